// sparse_normal_cholesky.h — sparse Cholesky on the Jacobi-scaled normal
// equations. Internal.
//
// prepare() forms A = S J^T J S (S = diag(1/|J_col|), upper triangle, column
// compressed) block by block (sparse_normal_product.h) over a pattern that,
// with the factorization's symbolic analysis (fill-reducing ordering,
// elimination tree, supernodes), is computed once and reused for as long as
// the sparsity pattern of J stays the same; only the numeric values are
// recomputed, with no allocation. Each solve() adds (D S)^2 to the diagonal and runs the
// numeric factorization and solve. The factorization is CHOLMOD's or, in a
// build without SuiteSparse, Eigen's SimplicialLDLT
// (sparse_cholesky_factorization.h); everything described here is the same
// for both.
//
// When A + (D S)^2 is not positive definite, or its pivots say it is
// numerically singular (d = 0 and a rank-deficient J), the factorization is
// retried once on A + (D S)^2 + kRegularization * I, which on the unit-diagonal
// scaled matrix is a tiny relative regularization; the result's message says
// so. If that fails too the result is success = false with the backend's reason.
// Nothing here aborts.
//
// Index type is int (CHOLMOD's cholmod_* interface, Eigen's default), so
// J^T J must have fewer than 2^31 stored entries.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <vector>

#include "block_sparse_cholesky.h"
#include "curvature/thread_pool.h"
#include "linear_solver.h"
#include "sparse_cholesky_factorization.h"
#include "sparse_normal_product.h"

namespace curvature::internal {

class SparseNormalCholeskySolver final : public LinearSolver {
 public:
  // num_threads (the calling thread included) share the numeric
  // factorization (SparseCholeskyFactorization::set_thread_pool); the
  // results are the same for any count.
  //
  // When every row of J reads whole aligned runs of b columns (b from 2 to
  // 6: a pose graph's parameter blocks), the matrix can instead be ordered
  // and factored block by block (block_sparse_cholesky.h; independent
  // subtrees of its elimination tree on the threads), with the same scaling, damping, regularization retry and pivot
  // test. `block_path` says whether that is done: always / never where the structure allows it, or, with kAuto, when
  // the block factor is sparse enough that entry-by-entry or tiny-supernode work is what it replaces
  // (kMaxBlockFlopsPerNonzero); a denser factor goes to the scalar
  // factorization, whose supernodes then use dense BLAS kernels. The choice
  // depends on J's pattern alone, never on the thread count, so results
  // stay the same for any count.
  enum class BlockPath { kAuto, kAlways, kNever };
  explicit SparseNormalCholeskySolver(int num_threads = 1, BlockPath block_path = BlockPath::kAuto);
  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override;
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override;
  LinearSolverType type() const override { return LinearSolverType::kSparseNormalCholesky; }

  // Added to the scaled (unit-diagonal) matrix when the first factorization
  // fails or is numerically singular.
  static constexpr double kRegularization = 1e-10;
  // The block path's limit on the factor's flops per entry (CHOLMOD's
  // measure; it goes supernodal at 40). Measured, one thread, against
  // CHOLMOD: faster on manhattanOlson3500 (35.8), input_MITb (9.9) and
  // parking-garage (52.2), slower on sphere2500 (300), whose larger
  // supernodes CHOLMOD factors with BLAS.
  static constexpr double kMaxBlockFlopsPerNonzero = 100.0;
  // The smallest Cholesky pivot (L_jj^2, or D_jj for an LDL' factor) over the
  // largest diagonal entry of the undamped scaled matrix below which the
  // matrix counts as singular. Relative to the undamped diagonal, not to the
  // largest pivot: a coordinate pinned by a huge damping entry must not make
  // a healthy matrix look singular.
  static constexpr double kMinPivotRatio = 1e-14;

  // How many times the symbolic analysis has run over this object's
  // lifetime: once per distinct sparsity pattern of J.
  int num_symbolic_analyses() const { return num_symbolic_analyses_; }
  // The block size the last analysis factors by, 0 for the scalar
  // factorization.
  int block_size() const { return block_size_; }

 private:
  // Rebuilds the pattern of J^T J and the symbolic factorization; called
  // when the pattern of J differs from the one last seen.
  LinearSolverResult analyze(const SparseRowMatrix& j);
  SymmetricUpperView damped_matrix_view() const;
  // The largest b in 6 .. 2 that divides J's columns into runs every row
  // reads whole, or 0.
  static int uniform_block_size(const SparseRowMatrix& j);
  bool use_block_path() const;
  // Fill-reducing order of J's column blocks of block_size_, expanded to
  // columns.
  std::vector<int> block_column_ordering() const;
  std::string factorize(double shift);
  double min_pivot() const;

  std::unique_ptr<ThreadPool> pool_;  // only with more than one thread
  SparseCholeskyFactorization factorization_;
  BlockPath block_path_;
  int block_size_ = 0;  // > 0: block_factorization_ is used
  BlockSparseCholesky block_factorization_;
  bool analyzed_ = false;
  int num_symbolic_analyses_ = 0;
  bool prepared_ = false;

  // J in compressed row form when the caller's is dense or uncompressed.
  SparseRowMatrix jacobian_copy_;
  // J^T J's pattern (the lower triangle row by row, i.e. the upper triangle
  // column by column as the factorization reads it) and how to form it.
  SparseNormalProduct product_;
  // S J^T J S + (D S)^2, what is factored: the damping of the last solve()
  // on the diagonal, which scaled_diagonal_ keeps undamped.
  std::vector<double> values_;
  // From here on, vectors of n are in the order of product_ (the
  // factorization's), except jtr_.
  Eigen::VectorXd scale_;
  Eigen::VectorXd scaled_diagonal_;  // diag(S J^T J S)
  Eigen::VectorXd rhs_;              // -S J^T r
  Eigen::VectorXd jtr_;              // J^T r when prepare() is not given it (JacobianRef::gradient)
  Eigen::VectorXd solution_;
  double max_scaled_diagonal_ = 1.0;  // max(1, max diag(S J^T J S))
};

}  // namespace curvature::internal
