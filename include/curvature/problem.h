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
// Manifolds (manifold.h, manifolds.h). A block may live on a manifold — a
// unit quaternion, a unit vector, a pose — set by set_manifold(). The point
// stays the caller's ambient numbers (4 for a quaternion), but the solvers
// move it through Manifold::plus() and see tangent_size() coordinates for
// it (3 for a quaternion): steps, gradients and Jacobian columns of such a
// block are tangent vectors, the ambient Jacobian times plus_jacobian() at
// the current point. The "effective tangent parameters" are the sum of the
// variable blocks' tangent sizes (num_effective_tangent_parameters()); a
// block without a manifold, or with a Euclidean one, counts its size.
// Bounds are allowed only on blocks whose manifold is Euclidean (or that
// have none): setting either on a block that has the other is an Error.
//
// Editing. Residual and parameter blocks can be removed, and constancy,
// bounds and manifolds changed, between solves (never during one: a solve
// fixes the layout when it starts). Residual block indices are positions:
// removing block i renumbers every later block j to j - 1, as erasing from
// a vector does, so an index returned by add_residual_block() stays valid
// only until a block before it is removed. Each removal costs time linear in
// the problem's size.
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
#include "curvature/manifold.h"

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
  // The same, and set_manifold(values, manifold) (null: none).
  void add_parameter_block(double* values, int size, std::shared_ptr<const Manifold> manifold);

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

  // Attaches a manifold to the block (null removes it; manifold.h says what
  // changes). Its ambient_size() must equal the block's size, else an Error
  // naming both sizes; a non-Euclidean manifold on a block with a finite
  // bound is an Error. The values are not moved onto the manifold: start
  // from a point on it (a unit quaternion, say).
  void set_manifold(double* values, std::shared_ptr<const Manifold> manifold);
  // The block's manifold; null when it has none.
  const Manifold* manifold(const double* values) const;
  // Numbers in a step of the block: its manifold's tangent_size(), or its
  // size without one.
  int parameter_block_tangent_size(const double* values) const;

  // Removes residual block `index` (0 <= index < num_residual_blocks());
  // later blocks move down by one (see Editing above). Parameter blocks
  // stay, even when no residual block uses them any more.
  void remove_residual_block(int index);
  // Removes the parameter block and every residual block that uses it (the
  // remaining residual blocks keep their order and are renumbered from 0).
  // An unknown block is an Error.
  void remove_parameter_block(double* values);

  // Per-coordinate bounds, lower <= x[index] <= upper. Unset bounds are
  // -infinity / +infinity (and setting those means "no bound"). A NaN bound,
  // a lower bound of +infinity, an upper bound of -infinity and a bound that
  // crosses the opposite one are Errors, and so is a finite bound on a block
  // with a non-Euclidean manifold. A starting point outside its bounds is
  // projected onto them when a solve starts.
  void set_lower_bound(double* values, int index, double lower);
  void set_upper_bound(double* values, int index, double upper);
  double lower_bound(const double* values, int index) const;
  double upper_bound(const double* values, int index) const;

  int num_parameter_blocks() const;                      // constant or not
  int num_parameters() const;                            // all blocks, constant or not
  int num_effective_parameters() const;                  // the non-constant blocks
  int num_effective_tangent_parameters() const;          // their tangent sizes summed
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
  // output may be null. The gradient and the Jacobian's columns are over the
  // effective tangent parameters (num_effective_tangent_parameters()): for a
  // block with a manifold, the derivatives along its tangent vectors at
  // delta = 0 (the ambient Jacobian times plus_jacobian()); without
  // manifolds that is the plain Jacobian. With a loss, residuals and Jacobian are the
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
