// residual_block_call.h — running one residual block's cost function, the
// same way for every evaluator: parameter pointers into the effective vector
// x (or the user's memory for constant blocks), Jacobians (or only the
// gradients J^T r) for the variable blocks when asked, and the check that
// every output is finite.
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace curvature::internal {

// Per-thread buffers, sized for the largest residual block.
struct ResidualBlockScratch {
  std::vector<const double*> parameter_pointers;
  std::vector<double*> jacobian_pointers;      // also the gradient pointers
  std::vector<std::vector<double>> jacobians;  // row-major, one per parameter block
};

// Which output of a block is not finite: the slow search, run only after
// the one-pass check has failed; kept out of line so the common path stays small.
template <typename Block>
[[gnu::noinline, gnu::cold]] std::string describe_non_finite(const Block& block, const double* residuals,
                                                             double* const* jacobians) {
  const int m = block.num_residuals;
  for (int r = 0; r < m; ++r) {
    if (!std::isfinite(residuals[r])) {
      return "residual " + std::to_string(r) + " is not finite (" + std::to_string(residuals[r]) + ")";
    }
  }
  for (size_t k = 0; jacobians && k < block.parameters.size(); ++k) {
    if (!jacobians[k]) continue;
    const int size = block.parameters[k].size;
    for (int e = 0; e < m * size; ++e) {
      if (!std::isfinite(jacobians[k][e])) {
        return "Jacobian of parameter block " + std::to_string(k) + " has a non-finite entry at row " +
               std::to_string(e / size) + ", column " + std::to_string(e % size);
      }
    }
  }
  return "non-finite output";
}

// |r|^2 of m residuals, and in *probe the sum of every residual times zero:
// NaN exactly when one is not finite (one pass; callers add their other
// outputs to the probe the same way).
inline double squared_norm_and_probe(const double* residuals, int m, double* probe) {
  double sum_of_squares = 0.0;
  double zeros = 0.0;
  for (int r = 0; r < m; ++r) {
    zeros += residuals[r] * 0.0;
    sum_of_squares += residuals[r] * residuals[r];
  }
  *probe = zeros;
  return sum_of_squares;
}

// The sum of count values times zero: 0 when all are finite, NaN
// otherwise. Four running sums rather than one: a single chain of dependent
// additions over a bundle adjustment block's 24 Jacobian entries cost as
// much as the rest of the block's bookkeeping.
inline double zero_probe(const double* values, int count) {
  double sums[4] = {0.0, 0.0, 0.0, 0.0};
  int e = 0;
  for (; e + 4 <= count; e += 4) {
    for (int j = 0; j < 4; ++j) sums[j] += values[e + j] * 0.0;
  }
  for (; e < count; ++e) sums[0] += values[e] * 0.0;
  return (sums[0] + sums[1]) + (sums[2] + sums[3]);
}

// Points scratch.parameter_pointers at each parameter block's values (in x
// for a variable block, the user's memory for a constant one) and
// scratch.jacobian_pointers at jacobian_for(k, parameter) for a variable
// block, null for a constant one; jacobian_for is called for the variable
// blocks in order. Returns whether any block is variable.
template <typename Block, typename JacobianFor>
inline bool point_at_parameters(const Block& block, const double* x, ResidualBlockScratch& scratch,
                                JacobianFor&& jacobian_for) {
  const size_t count = block.parameters.size();
  bool any_variable = false;
  for (size_t k = 0; k < count; ++k) {
    const auto& parameter = block.parameters[k];
    const bool variable = parameter.offset >= 0;
    scratch.parameter_pointers[k] = variable ? x + parameter.offset : parameter.user_values;
    scratch.jacobian_pointers[k] = variable ? jacobian_for(k, parameter) : nullptr;
    any_variable = any_variable || variable;
  }
  return any_variable;
}

// Block must provide `cost` (a CostFunction*), `num_residuals`, and
// `parameters`, each with `user_values`, `size` and `offset` (-1: constant).
// On success, *jacobians (when not null) is the array the cost function filled (null when no
// Jacobian was asked for or every block is constant) and *squared_norm is
// |r|^2. On failure, *error says what went wrong (without naming the block:
// callers know how they number it).
template <typename Block>
inline bool call_residual_block(const Block& block, const double* x, double* residuals, bool want_jacobian,
                                ResidualBlockScratch& scratch, double*** jacobians, double* squared_norm,
                                std::string* error) {
  const size_t count = block.parameters.size();
  const bool any_variable = point_at_parameters(
      block, x, scratch, [&](size_t k, const auto&) { return want_jacobian ? scratch.jacobians[k].data() : nullptr; });
  // Locals, not the out-parameters, in the loops below: writes through those
  // pointers could alias the outputs and would keep the sums out of registers.
  double** filled = want_jacobian && any_variable ? scratch.jacobian_pointers.data() : nullptr;
  if (jacobians) *jacobians = filled;
  if (!block.cost->evaluate(scratch.parameter_pointers.data(), residuals, filled)) {
    *error = "the cost function returned false";
    return false;
  }
  // One pass that multiplies every output by zero: the sum is NaN exactly
  // when some value is not finite. The slow search for which one runs only then.
  const int m = block.num_residuals;
  double probe;
  *squared_norm = squared_norm_and_probe(residuals, m, &probe);
  for (size_t k = 0; filled && k < count; ++k) {
    if (!filled[k]) continue;
    probe += zero_probe(filled[k], m * block.parameters[k].size);
  }
  if (probe == 0.0) return true;
  *error = describe_non_finite(block, residuals, filled);
  return false;
}

// As call_residual_block, but asks the cost function for J_k^T r only
// (CostFunction::evaluate_gradient), written for the variable blocks one
// after another to `gradient` (their sizes summed). *squared_norm is |r|^2.
template <typename Block>
inline bool call_residual_block_gradient(const Block& block, const double* x, double* residuals, double* gradient,
                                         ResidualBlockScratch& scratch, double* squared_norm, std::string* error) {
  double* next = gradient;
  point_at_parameters(block, x, scratch, [&](size_t, const auto& parameter) {
    double* slice = next;
    next += parameter.size;
    return slice;
  });
  if (!block.cost->evaluate_gradient(scratch.parameter_pointers.data(), residuals, scratch.jacobian_pointers.data())) {
    *error = "the cost function returned false";
    return false;
  }
  double probe;
  *squared_norm = squared_norm_and_probe(residuals, block.num_residuals, &probe);
  probe += zero_probe(gradient, static_cast<int>(next - gradient));
  if (probe == 0.0) return true;
  *error = describe_non_finite(block, residuals, nullptr);
  if (*error == "non-finite output") *error = "its gradient J^T r has a non-finite entry";
  return false;
}

}  // namespace curvature::internal
