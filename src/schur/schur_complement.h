// schur_complement.h — the explicit Schur-complement solvers: dense-schur and
// sparse-schur. Internal.
//
// With the parameter blocks split into eliminated e-blocks and kept f-blocks
// (schur_structure.h), the damped normal equations
//
//   (J^T J + D^2) dx = -J^T r,   J = [E F],  dx = [dy; dz]
//
// are solved by eliminating dy chunk by chunk (one e-block and the residual
// blocks that read it):
//
//   M_c = E_c^T E_c + D_c^2                     (e x e, Cholesky)
//   S   = F^T F + D_f^2 - sum_c W_c M_c^-1 W_c^T,   W_c = F^T E_c
//   S dz = -(F^T r - sum_c W_c M_c^-1 E_c^T r)
//   dy_c = -M_c^-1 (E_c^T r + W_c^T dz)
//
// S is block sparse with one f x f block per pair of f-blocks that share a
// residual block or a chunk. prepare() computes what does not depend on the
// damping (E_c^T E_c, E_c^T r, the F^T F blocks, F^T r); solve(d) adds D^2,
// factors M_c = L_c L_c^T, and eliminates chunk by chunk as Ceres's Schur
// eliminator does: G = L_c^-1 E_c^T F per (residual block, f-block) cell,
// formed from the Jacobian's values into a small buffer (so that
// W_c M_c^-1 W_c^T = G^T G: one product per pair of cells), its pairs
// subtracted from S's blocks; nothing per observation is kept. Then it
// factors S and back-substitutes (dy from E^T (r + F dz), again from the
// Jacobian, which gives J dx for the step's model on the way). Each thread owns a range of S's block rows and every
// block sums its contributions in chunk order; every chunk is computed by one thread; so the results are bit-identical
// for any thread count. The common BAL shapes (2 residuals, 9-coordinate cameras, 3-coordinate points) run with
// fixed-size kernels; any other shape with dynamic ones.
//
// dense-schur factors S in place with a dense LLT (a few hundred cameras at
// most); sparse-schur gives S, permuted by a fill-reducing ordering found
// once, to the sparse Cholesky factorization (CHOLMOD, or Eigen's without
// SuiteSparse) in the triangle it reads without a transpose; its symbolic
// analysis is done once per structure. When M_c or S is not positive definite (a point seen
// once and no damping, a gauge freedom), it is retried once with
// kRegularization times its largest diagonal entry added; the result's
// message says so.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <memory>
#include <vector>

#include "curvature/thread_pool.h"
#include "linear_solver.h"
#include "schur/schur_structure.h"
#include "sparse_cholesky_factorization.h"

namespace curvature::internal {

class SchurComplementSolver final : public LinearSolver {
 public:
  // `type` is kDenseSchur or kSparseSchur.
  SchurComplementSolver(LinearSolverType type, std::shared_ptr<const SchurStructure> structure, int num_threads);
  ~SchurComplementSolver() override;

  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override;
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override;
  LinearSolverType type() const override { return type_; }
  // J dx of the last successful solve, formed during back-substitution
  // while each residual block's rows are in cache.
  const Eigen::VectorXd* jacobian_times_step() const override { return has_jacobian_step_ ? &jacobian_step_ : nullptr; }

  const SchurStructure& structure() const { return *structure_; }
  // Symbolic analyses of S run so far (sparse-schur): one per structure.
  int num_symbolic_analyses() const { return num_symbolic_analyses_; }

  static constexpr double kRegularization = 1e-12;

 private:
  struct Kernels;
  template <int kR, int kF, int kE>
  struct FixedKernels;

  void build_block_pattern();
  void build_sparse_pattern();
  LinearSolverResult factor_and_solve_reduced(Eigen::VectorXd* dz);

  LinearSolverType type_;
  std::shared_ptr<const SchurStructure> structure_;
  ThreadPool pool_;
  std::unique_ptr<Kernels> kernels_;

  // Set by prepare(): the Jacobian's values and the residuals.
  const double* values_ = nullptr;
  const double* residuals_ = nullptr;
  bool prepared_ = false;

  // Chunk c's f-cells in row order (its residual blocks' cells), with
  // their residual blocks.
  void chunk_cells(int c, std::vector<int>* cells, std::vector<int>* residual_blocks) const;
  // The index of S's block (a, b), a <= b, which must exist.
  long find_block(int a, int b) const;

  // Per chunk: its number of f-cells, the smallest and largest f-block they
  // read.
  std::vector<int> chunk_num_cells_, chunk_min_block_, chunk_max_block_;
  // Per chunk: the S block of each ordered pair of its cells (x, y) with
  // block(x) <= block(y), chunk_pair_blocks_[chunk_pair_starts_[c] ..).
  std::vector<long> chunk_pair_starts_;
  std::vector<int> chunk_pair_blocks_;
  // Per row of S's blocks: its pairs, the work of eliminating into it.
  std::vector<long> row_work_;

  // The blocks of S (upper triangle, a <= b), sorted by (a, b), each stored
  // column major at block_offsets_[k] in s_blocks_; row a's blocks are
  // [row_block_starts_[a], row_block_starts_[a + 1]).
  std::vector<int> block_row_, block_col_;
  std::vector<long> block_offsets_, row_block_starts_;
  std::vector<long> diagonal_block_;  // per f-block: its diagonal block's index
  // solve(): per chunk the Cholesky factor L of M = L L^T (e x e, row
  // major, the diagonal stored inverted) and L^-1 E^T r; the S blocks. The
  // products G = L^-1 E^T F (W M^-1 W^T = G^T G) are formed chunk by chunk
  // from the Jacobian's values and not kept.
  std::vector<double> chunk_l_, l_inverse_etr_, s_blocks_;
  // The fixed-shape kernels' running sums of -G_x^T G_y's rows past the
  // whole 4-double head of an f-block (row 8 of a BAL camera's 9): per S
  // block, row after row, each contiguous (in the column-major block that
  // row's entries lie 9 apart), added into s_blocks_ when elimination ends.
  std::vector<double> block_tails_;
  std::vector<char> chunk_regularized_;
  Eigen::VectorXd rhs_, dz_;
  Eigen::VectorXd jacobian_step_;  // J dx, one entry per Jacobian row
  bool has_jacobian_step_ = false;
  PatternCheck pattern_check_;

  // dense-schur
  Eigen::MatrixXd dense_s_;  // S, then its factor (upper triangle)
  // sparse-schur: S permuted by the fill-reducing ordering (permutation_[k]
  // is the row and column of S that goes k-th), in the triangle the
  // factorization reads as it is (lower_: the lower one), column
  // compressed; where each entry of s_blocks_ goes in it (-1: below S's
  // diagonal, not stored).
  std::vector<int> permutation_;
  bool lower_ = false;
  std::vector<int> sparse_outer_, sparse_inner_;
  std::vector<double> sparse_values_;
  std::vector<int> sparse_position_;  // per entry of s_blocks_
  Eigen::VectorXd permuted_rhs_, permuted_solution_;
  std::unique_ptr<SparseCholeskyFactorization> factorization_;
  bool analyzed_ = false;
  int num_symbolic_analyses_ = 0;
};

}  // namespace curvature::internal
