// minimizers.h — the two loops behind solve(): trust region (Levenberg-
// Marquardt, dogleg; the least-squares side of trust_region_loop.h) and line
// search (Gauss-Newton). Each starts from
// context.x, already projected into the bounds, and leaves the best point in
// context.x.
#pragma once

#include "least_squares_trust_region_strategy.h"
#include "minimizer_context.h"

namespace curvature::internal {

void minimize_trust_region(MinimizerContext& context, LeastSquaresTrustRegionStrategy& strategy);
void minimize_gauss_newton_line_search(MinimizerContext& context, LinearSolver& solver);

}  // namespace curvature::internal
