// curvature/problem.h — a nonlinear least-squares problem.
//
// A Problem is a set of residual blocks over parameter blocks:
//
//   minimize  F(x) = 1/2 sum_i rho_i(|r_i(x_{i1}, ..., x_{ik})|^2)
//
// where each r_i is a CostFunction, rho_i an optional LossFunction, and the
// x's are parameter blocks: arrays of doubles that belong to the caller. The
// Problem refers to that memory; it never copies it or takes ownership. The
// solvers read the starting point from it and write the best point found back
// into it when they return.
//
// The "effective" parameters are the non-constant blocks, laid out one after
// another in the order the blocks were first added; gradients and Jacobians
// are over the effective parameters in that order.
//
// Misuse throws curvature::Error naming the offending item: null pointers,
// sizes that disagree with the cost function or with an earlier use of the
// same block, an unknown block, bounds with lower > upper, and so on.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <memory>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/loss_function.h"

namespace curvature {

using SparseRowMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor, int>;  // a sparse Jacobian

// Residual blocks over the caller's parameter blocks (see the top of this file).
class Problem {
 public:
  Problem();  // an empty problem
  ~Problem();
  // A moved-from Problem may only be assigned to or destroyed; any other use
  // throws curvature::Error.
  Problem(Problem&&) noexcept;
  Problem& operator=(Problem&&) noexcept;
  Problem(const Problem&) = delete;
  Problem& operator=(const Problem&) = delete;

  // Declares a parameter block of `size` doubles at `values`. Adding the same
  // pointer again with the same size is a no-op; with another size, an Error.
  void add_parameter_block(double* values, int size);

  // Adds r(blocks...) with an optional loss (null: plain least squares).
  // The blocks are declared implicitly with the sizes the cost function
  // states. Returns the residual block's index (0, 1, ...), which the
  // subset-evaluation below accepts.
  int add_residual_block(std::shared_ptr<const CostFunction> cost, std::shared_ptr<const LossFunction> loss,
                         const std::vector<double*>& blocks);

  // The same, with the blocks as separate arguments: add_residual_block(cost, loss, x, y).
  template <typename... Blocks>
  int add_residual_block(std::shared_ptr<const CostFunction> cost, std::shared_ptr<const LossFunction> loss,
                         double* first, Blocks*... rest) {
    return add_residual_block(std::move(cost), std::move(loss), std::vector<double*>{first, rest...});
  }

  // A constant block keeps its value during solves and has no columns in the
  // Jacobian.
  void set_parameter_block_constant(double* values);
  void set_parameter_block_variable(double* values);
  bool is_parameter_block_constant(const double* values) const;

  // Per-coordinate bounds, lower <= x[index] <= upper. Unset bounds are
  // -infinity / +infinity (and setting those means "no bound"). A NaN bound,
  // a lower bound of +infinity, an upper bound of -infinity and a bound that
  // crosses the opposite one are Errors. A starting point outside its bounds
  // is projected onto them when a solve starts.
  void set_lower_bound(double* values, int index, double lower);
  void set_upper_bound(double* values, int index, double upper);
  double lower_bound(const double* values, int index) const;
  double upper_bound(const double* values, int index) const;

  int num_parameter_blocks() const;                      // constant or not
  int num_parameters() const;                            // all blocks, constant or not
  int num_effective_parameters() const;                  // the non-constant blocks
  int num_residual_blocks() const;                       // as added
  int num_residuals() const;                             // the sum over residual blocks
  std::vector<double*> parameter_blocks() const;         // in the order they were added
  int parameter_block_size(const double* values) const;  // an unknown block is an Error

  // What evaluate() computes, and on how many threads.
  struct EvaluateOptions {
    // The residual blocks to evaluate, by index; empty means all of them.
    // Residuals and Jacobian rows come in the order listed here.
    std::vector<int> residual_blocks;
    // Threads used to evaluate residual blocks, in [1, kMaxThreads]
    // (thread_pool.h). Results are bit-identical for any value. An exception
    // thrown by a cost function or loss on any thread is rethrown here, on
    // the calling thread, after every thread has stopped.
    int num_threads = 1;
    // When false, losses are ignored: the plain residuals and Jacobian.
    bool apply_loss = true;
  };

  // Evaluates at the values currently stored in the parameter blocks. Any
  // output may be null. With a loss, residuals and Jacobian are the
  // loss-corrected ones, whose 1/2 |r|^2 equals the cost and whose J^T r equals
  // the gradient. Returns false when some cost function failed or produced a
  // non-finite residual or Jacobian entry, or when the cost or the gradient
  // overflows; `error` (if given) then says which, naming the residual block
  // where there is one.
  bool evaluate(const EvaluateOptions& options, double* cost, Eigen::VectorXd* residuals, Eigen::VectorXd* gradient,
                Eigen::MatrixXd* dense_jacobian, SparseRowMatrix* sparse_jacobian, std::string* error = nullptr) const;

  // Implementation detail, for the library's evaluator.
  struct Impl;
  const Impl& impl() const { return state(); }

 private:
  // The implementation, or an Error naming the misuse after a move.
  Impl& state();
  const Impl& state() const;

  std::unique_ptr<Impl> impl_;
};

}  // namespace curvature
