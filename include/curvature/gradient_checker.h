// curvature/gradient_checker.h — compare a CostFunction's Jacobians with
// finite differences.
//
// A wrong derivative is the most common bug in a hand-written cost function
// and the hardest to see from the solver's behaviour (slow convergence, early
// termination). check_gradients() evaluates the analytic Jacobians at a point,
// differentiates the residuals numerically at the same point, and compares
// them entry by entry with the relative error
//
//   e = |analytic - numeric| / max(|analytic|, |numeric|, 1).
//
// (The 1 makes the test absolute for entries below 1 in magnitude, where a
// relative test would flag harmless rounding-level noise around zero.) The
// check passes when every e <= relative_precision.
//
//   GradientCheckResult result = check_gradients(cost, parameters);
//   if (!result.ok) std::cerr << result.message;
#pragma once

#include <string>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/manifold.h"
#include "curvature/numeric_diff_cost_function.h"

namespace curvature {

// How check_gradients() differentiates and what it accepts.
struct GradientCheckOptions {
  // Central differences are accurate to ~1e-10 relative for smooth,
  // well-scaled residuals: far inside the default precision, at two
  // evaluations per parameter. kRidders is slower and more accurate (use it
  // for badly scaled problems or a tighter precision); kForward is only good
  // to ~1e-6 and would need a looser precision.
  NumericDiffMethod method = NumericDiffMethod::kCentral;
  // Largest relative error e (see above) accepted for any entry; > 0.
  double relative_precision = 1e-6;
  // Step sizes and Ridders parameters of the numeric differentiation.
  NumericDiffOptions numeric;
};

// What check_gradients() found.
struct GradientCheckResult {
  // True when every entry of every block is within relative_precision.
  bool ok = true;
  // Per parameter block: the largest relative error e over its entries.
  std::vector<double> worst_relative_error;
  // Per parameter block: the Jacobians compared (row-major, num_residuals x
  // size, or x tangent_size for a block checked on a manifold).
  std::vector<JacobianMatrix> analytic;
  std::vector<JacobianMatrix> numeric;  // the finite-difference Jacobians, in the same layout
  // Residuals at the point.
  std::vector<double> residuals;
  // Empty when ok; otherwise one line per failing block naming its worst
  // entry (block, row, column, both values, the error) and how many entries
  // of the block failed.
  std::string message;
};

// Checks f's Jacobians at `parameters` (one pointer per block, as for
// CostFunction::evaluate). Throws curvature::Error when the options are out of
// range, when `parameters` or a block is null, when a parameter is not
// finite, when f fails to evaluate (returns false) at the point or at a
// perturbed point, or when a residual or an analytic Jacobian entry is not
// finite; each message names the offending item. A mismatch is not an error:
// it is reported through ok and message.
GradientCheckResult check_gradients(const CostFunction& f, double const* const* parameters,
                                    const GradientCheckOptions& options = {});

// The same for blocks on manifolds (manifold.h): `manifolds` has one entry
// per parameter block, null for a plain block. For a block with a manifold
// M, the Jacobians compared are the tangent ones the solvers use: analytic
// J * M.plus_jacobian(x) against numeric differences of
// r(M.plus(x, delta)) in delta at delta = 0 (num_residuals x tangent_size,
// with absolute steps of the relative size, since delta = 0); plain blocks
// are compared as by the overload above. Throws curvature::Error, besides
// the cases above, when `manifolds` has the wrong length, a manifold's
// ambient size differs from its block's (naming both sizes), or a
// manifold's plus() or plus_jacobian() fails at the point.
GradientCheckResult check_gradients(const CostFunction& f, double const* const* parameters,
                                    const std::vector<const Manifold*>& manifolds,
                                    const GradientCheckOptions& options = {});

}  // namespace curvature
