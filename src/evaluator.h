// evaluator.h — evaluates a Problem's residual blocks at a point of the
// effective parameter vector x.
//
// x holds the variable blocks' ambient numbers; the Jacobian's columns and
// the gradient are over their tangent coordinates (parameter_layout.h): a
// block on a manifold gets the cost function's ambient Jacobian times the
// manifold's plus-Jacobian, which is computed once per block per evaluation
// (not once per residual block that reads it). Plain blocks, and blocks on
// a manifold whose plus-Jacobian is the identity (an angle), are copied as
// they are.
//
// The layout (which blocks are variable, where each lands in x, the rows of
// each residual block, the sparse Jacobian pattern) is fixed when the
// evaluator is built, so each evaluation only runs cost functions and
// scatters their output. Residual blocks run in parallel on a thread pool;
// each writes only its own rows, and the reductions (cost, gradient) run in a
// fixed order afterwards, so results are bit-identical for any thread count.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "curvature/problem.h"
#include "curvature/thread_pool.h"
#include "parallel_region.h"
#include "parameter_layout.h"

namespace curvature::internal {

struct EvaluationRequest {
  Eigen::VectorXd* residuals = nullptr;
  Eigen::VectorXd* gradient = nullptr;
  Eigen::MatrixXd* dense_jacobian = nullptr;
  SparseRowMatrix* sparse_jacobian = nullptr;  // must come from make_sparse_jacobian()
  // |J_col|^2 for every column; needs dense_jacobian or sparse_jacobian.
  Eigen::VectorXd* column_squared_norms = nullptr;
  // J S in single precision, S = diag(jacobi_scale(|J_col|^2))
  // (jacobian_products.h): what the mixed-precision dense normal Cholesky
  // factors, written in the same pass over a wide J (at least kWideJacobian
  // columns) as the gradient and the column norms, so that the solver does
  // not read J once more to convert it. Needs dense_jacobian; resized to
  // 0 x 0 for a narrower J.
  Eigen::MatrixXf* scaled_single_jacobian = nullptr;
};

struct EvaluationStatus {
  bool ok = true;
  int failed_block = -1;  // residual block index, when !ok
  std::string message;
};

class Evaluator {
 public:
  struct Options {
    int num_threads = 1;
    bool apply_loss = true;
    std::vector<int> residual_blocks;  // empty: all
    bool sparse = false;               // prepare the sparse Jacobian pattern
    // Where the residual blocks' rows go in the residuals and the Jacobian:
    // the problem's residual blocks listed in row order (a permutation of
    // them all, needs residual_blocks empty); empty: the problem's order.
    // The blocks are still evaluated, and their costs summed, in the
    // problem's order, reading the user's cost functions as they lie in
    // memory; only the row offsets, fixed here once, change. solve() passes
    // the Schur solvers' order (schur_row_order()), so that J's rows come
    // grouped by point at no cost per evaluation.
    std::vector<int> row_order;
  };

  Evaluator(const Problem& problem, Options options);
  ~Evaluator();

  // From this many columns of a dense Jacobian on, the gradient and column
  // norms are computed column by column on the threads (bit-identical for
  // any count) instead of by one serial matrix-vector product.
  static constexpr Eigen::Index kWideJacobian = 256;

  int num_parameters() const { return layout_.num_parameters(); }  // the size of x (ambient)
  // The size of steps, gradients and Jacobian rows (tangent); equals
  // num_parameters() without manifolds.
  int num_tangent_parameters() const { return layout_.num_tangent_parameters(); }
  bool has_manifolds() const { return layout_.has_manifolds(); }
  const ParameterLayout& layout() const { return layout_; }
  int num_residuals() const { return num_residuals_; }
  int num_residual_blocks() const;

  // The user's parameter blocks as one effective vector, and back.
  Eigen::VectorXd gather_parameters() const;
  void scatter_parameters(const Eigen::VectorXd& x) const;

  // *result = x "+" step through each block's manifold (plain addition
  // elsewhere); false when a manifold's plus() fails (*error names it).
  bool plus(const Eigen::VectorXd& x, const Eigen::VectorXd& step, Eigen::VectorXd* result,
            std::string* error = nullptr) const {
    return layout_.plus(x, step, result, error);
  }

  // Bounds per effective coordinate of x (+-infinity where unset).
  const Eigen::VectorXd& lower_bounds() const { return layout_.lower_bounds(); }
  const Eigen::VectorXd& upper_bounds() const { return layout_.upper_bounds(); }
  bool has_bounds() const { return layout_.has_bounds(); }
  // Whether any evaluated residual block carries a robust loss.
  bool has_losses() const { return has_losses_; }
  // Whether every evaluated cost function has second derivatives
  // (CostFunction::has_second_derivatives).
  bool has_second_derivatives() const { return has_second_derivatives_; }

  // sum_i weights_i Hess(r_i) direction over the residuals r_i (no losses)
  // at x, exactly, from the cost functions' second derivatives, summed block
  // by block in a fixed order. False when a cost function cannot evaluate at
  // x or the product is not finite. Requires has_second_derivatives() and a
  // problem without manifolds (an Error otherwise).
  bool second_derivative_product(const Eigen::VectorXd& x, const Eigen::VectorXd& weights,
                                 const Eigen::VectorXd& direction, Eigen::VectorXd* product) const;

  // A sparse Jacobian with this problem's pattern and zero values.
  SparseRowMatrix make_sparse_jacobian() const;
  // The same, built in *jacobian's own storage. Eigen 3.4's SparseMatrix
  // has no move assignment, so `j = make_sparse_jacobian()` copies the whole
  // Jacobian, and the freed temporary (megabytes on a large problem) raises
  // glibc's mmap threshold, so that later temporaries stay resident.
  void make_sparse_jacobian(SparseRowMatrix* jacobian) const;
  long jacobian_nonzeros() const { return nonzeros_; }

  // Cost 1/2 sum rho(|r_i|^2) at x, plus whatever `request` asks for. A
  // gradient without a Jacobian in the request is computed through an
  // internal Jacobian. On failure (a cost function returned false or a
  // non-finite value), the status names the residual block.
  EvaluationStatus evaluate(const Eigen::VectorXd& x, double* cost, const EvaluationRequest& request);

 private:
  struct Parameter;
  struct Block;
  struct BlockRecord;
  struct ParameterRecord;
  struct Scratch;
  // The record's Block, with its cost function, loss and parameter blocks
  // looked up, in scratch's storage (valid until the next expand() there).
  const Block& expand(const BlockRecord& record, Scratch& scratch) const;
  bool evaluate_block(const Block& block, const double* x, double* residuals, bool want_jacobian,
                      Eigen::MatrixXd* dense, SparseRowMatrix* sparse, Scratch& scratch, double* cost,
                      std::string* error) const;
  // The same for a block whose cost function writes its Jacobian columns
  // straight into the column-major dense J (Block::writes_into_dense).
  // check_jacobian false leaves the finiteness of the block's Jacobian
  // entries to the caller (see evaluate()).
  bool evaluate_block_into_dense(const Block& block, const double* x, double* residuals, Eigen::MatrixXd* dense,
                                 bool check_jacobian, Scratch& scratch, double* cost, std::string* error) const;
  // Whether the block's columns of a column-major dense J are all finite;
  // when not, *error names the first non-finite entry.
  bool dense_block_entries_finite(const Block& block, const Eigen::MatrixXd& dense, std::string* error) const;

  // J_tangent = J_ambient P for a block on a manifold: num_rows x `size`
  // (its ambient size) to num_rows x its tangent size, into `tangent`, with
  // the plus-Jacobian computed once for this evaluation; returns `tangent`.
  // Out of line: plain blocks never pay for it.
  [[gnu::noinline]] const double* to_tangent(int parameter_block, int size, int num_rows, const double* ambient,
                                             double* tangent) const;

  // J^T r and |J_col|^2 (either may be null) of a sparse J in one pass over
  // its values, block by block: each parameter block's columns are
  // contiguous within a row, so no column index is read. The threads take
  // column ranges of about equal nonzeros (column_share_bounds_), each
  // going through the blocks in row order (J's storage order: a permuted
  // row order read in record order missed the cache on every block), so
  // every column sums its terms in the same order for any thread count.
  void sparse_column_sums(const SparseRowMatrix& jacobian, const Eigen::VectorXd& residuals, Eigen::VectorXd* gradient,
                          Eigen::VectorXd* norms);

  Options options_;
  const Problem::Impl* problem_;  // the cost functions and losses
  ParameterLayout layout_;
  std::vector<BlockRecord> records_;
  std::vector<ParameterRecord> parameter_records_;  // every block's, block after block
  int num_residuals_ = 0;
  long nonzeros_ = 0;
  bool has_losses_ = false;
  bool has_second_derivatives_ = true;
  bool rows_permuted_ = false;  // Options::row_order was given
  std::unique_ptr<ThreadPool> pool_;
  std::vector<Scratch> scratch_;
  std::vector<double> block_costs_;
  std::vector<double> plus_jacobians_;  // at the point being evaluated (ParameterLayout::plus_jacobians)
  Eigen::VectorXd residual_buffer_;
  // The loop over the residual blocks, with and without Jacobians (two
  // sites: their work differs several times over), on the pool or on the
  // caller alone, whichever is faster here (parallel_region.h).
  ParallelRegion blocks_region_[2];
  // sparse_column_sums(): the first column of each thread's share, and the end.
  std::vector<int> column_share_bounds_;
  std::vector<int> records_by_row_;  // Options::row_order (records_ by first row), when sparse and rows_permuted_
  ParallelRegion column_sums_region_;
  Eigen::VectorXd column_norm_buffer_;  // |J_col|^2 when the request has no place for them
  bool defer_dense_check_ = false;      // this evaluation checks J's entries after the blocks
  Eigen::MatrixXd dense_buffer_;
  SparseRowMatrix sparse_buffer_;
};

}  // namespace curvature::internal
