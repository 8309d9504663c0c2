// curvature/cost_function.h — the residual side of a least-squares problem.
//
// A CostFunction maps k parameter blocks x_1..x_k (sizes fixed up front) to a
// residual vector r of fixed size m. It evaluates r and, when asked, the
// Jacobian of r with respect to each parameter block.
//
// Layout conventions (the same as Ceres Solver's, so functions port easily):
//   parameters[i]  points to block i, parameter_block_sizes()[i] doubles;
//   residuals      points to num_residuals() doubles;
//   jacobians      is null when no Jacobian is wanted; otherwise jacobians[i]
//                  is either null (block i's Jacobian is not wanted, e.g. the
//                  block is constant) or points to a row-major
//                  num_residuals() x parameter_block_sizes()[i] matrix:
//                  jacobians[i][r * size_i + c] = d residual_r / d x_i[c].
//
// evaluate() returns false when the residuals cannot be computed at this point
// (outside the model's domain, say). The solver then treats the point as
// infinitely bad: a rejected step, never an accepted one.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <vector>

#include "curvature/error.h"

namespace curvature {

// The interface of a residual function r(x_1, ..., x_k) (see the top of this file). Derive from
// SizedCostFunction or DynamicCostFunction, or let AutoDiffCostFunction,
// DynamicAutoDiffCostFunction or NumericDiffCostFunction derive a functor's.
class CostFunction {
 public:
  virtual ~CostFunction() = default;

  // The residuals at `parameters` and, when `jacobians` is not null, the Jacobians that are asked
  // for, in the layout described at the top of this file. Returns false when the residuals cannot
  // be computed at this point.
  virtual bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const = 0;

  // The residuals and, for every block i with gradients[i] not null, the
  // gradient of 1/2 |r|^2 with respect to block i, J_i^T r
  // (parameter_block_sizes()[i] doubles, overwritten). First-order methods
  // (train(), L-BFGS on a least-squares objective) need nothing else. The
  // default forms the Jacobians with evaluate() and multiplies; override it
  // when J^T r is much cheaper than J, as backpropagation makes it for a
  // network (one backward pass instead of one per residual). Same return
  // convention as evaluate().
  virtual bool evaluate_gradient(double const* const* parameters, double* residuals, double** gradients) const;

  // The residuals and the Jacobians asked for, each written column-major
  // into caller memory: entry (i, j) of block k at
  // jacobians[k][j * leading_dimension + i], leading_dimension >= m. An
  // evaluator assembling a dense column-major Jacobian passes pointers into
  // that matrix, so nothing is transposed afterwards; it does so only when
  // writes_column_major_jacobians() is true. The default calls evaluate()
  // and copies (correct, no faster); override both when the Jacobian is
  // naturally computed a column at a time over many residuals, as a
  // network's is. Same return convention as evaluate().
  virtual bool writes_column_major_jacobians() const { return false; }
  virtual bool evaluate_column_major(double const* const* parameters, double* residuals, double** jacobians,
                                     long leading_dimension) const;

  // Second derivatives, for Newton methods on a least-squares objective
  // (LeastSquaresObjective with HessianModel::kExact): for every block i with
  // products[i] not null, the product of the weighted residual Hessian with a
  // direction d,
  //   products[i] = sum_r weights[r] * (d^2 residual_r / dx_i dx) d
  // (parameter_block_sizes()[i] doubles, overwritten), where directions[i]
  // is block i's part of d (null: zero). Returns false when the point cannot
  // be evaluated. Only called when has_second_derivatives() is true (the
  // default is false, and then the objective differences first derivatives
  // instead; the default product throws curvature::Error).
  // AutoDiffCostFunction and DynamicAutoDiffCostFunction provide it exactly.
  virtual bool has_second_derivatives() const { return false; }
  virtual bool evaluate_second_derivative_product(double const* const* parameters, const double* weights,
                                                  double const* const* directions, double** products) const;

  // m, the size of r, and the size of each parameter block, in order.
  int num_residuals() const { return num_residuals_; }
  const std::vector<int>& parameter_block_sizes() const { return *parameter_block_sizes_; }

 protected:
  CostFunction();
  // A copy owns a copy of sizes set with set_parameter_block_sizes() and
  // shares sizes shared with share_parameter_block_sizes().
  CostFunction(const CostFunction& other);
  CostFunction& operator=(const CostFunction& other);
  // Sizes are validated here, once: a non-positive size is a curvature::Error.
  void set_num_residuals(int num_residuals);
  void set_parameter_block_sizes(std::vector<int> sizes);
  // Sizes fixed at compile time, shared by every cost function of one type
  // (SizedCostFunction, the fixed-size autodiff and numeric-diff cost
  // functions) so that a problem of a million small residual blocks does
  // not keep a million copies of them. `sizes` must outlive every cost
  // function using it (a static) and be valid (positive sizes).
  void share_parameter_block_sizes(const std::vector<int>& sizes);

 private:
  int num_residuals_ = 0;
  const std::vector<int>* parameter_block_sizes_;                  // *owned_..., a shared vector, or an empty one
  std::unique_ptr<std::vector<int>> owned_parameter_block_sizes_;  // null unless set_parameter_block_sizes()
};

namespace internal {

// The sizes of SizedCostFunction<m, kBlockSizes...>, one vector per list of
// sizes for the whole process (never destroyed, so that a cost function
// destroyed during static destruction can still read them).
template <int... kBlockSizes>
const std::vector<int>& shared_parameter_block_sizes() {
  static const std::vector<int>* const sizes = new std::vector<int>{kBlockSizes...};
  return *sizes;
}

}  // namespace internal

// A cost function whose sizes are known at compile time.
//   class MyCost : public SizedCostFunction<2, 3, 1> { ... };
// has 2 residuals and two parameter blocks of sizes 3 and 1.
template <int kNumResiduals, int... kBlockSizes>
class SizedCostFunction : public CostFunction {
 public:
  static_assert(kNumResiduals > 0, "a cost function needs at least one residual");
  static_assert(sizeof...(kBlockSizes) > 0, "a cost function needs at least one parameter block");
  static_assert(((kBlockSizes > 0) && ...), "parameter block sizes must be positive");

  // k, and the block sizes in order.
  static constexpr int kNumParameterBlocks = sizeof...(kBlockSizes);
  static constexpr std::array<int, sizeof...(kBlockSizes)> kParameterBlockSizes{kBlockSizes...};

  SizedCostFunction() {
    set_num_residuals(kNumResiduals);
    share_parameter_block_sizes(internal::shared_parameter_block_sizes<kBlockSizes...>());
  }
};

// A cost function whose sizes are set at run time, before it is added to a
// Problem: call set_num_residuals() and add_parameter_block() in the
// constructor of the derived class.
class DynamicCostFunction : public CostFunction {
 public:
  using CostFunction::set_num_residuals;
  void add_parameter_block(int size);  // appends a block; a non-positive size is an Error
};

}  // namespace curvature
