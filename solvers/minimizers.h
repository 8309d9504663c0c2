// minimizers.h — the two loops behind solve(): trust region (Levenberg-
// Marquardt, dogleg) and line search (Gauss-Newton). Each starts from
// context.x, already projected into the bounds, and leaves the best point in
// context.x.
#pragma once

#include "minimizer_context.h"
#include "trust_region_strategy.h"

namespace curvature::internal {

void minimize_trust_region(MinimizerContext& context, TrustRegionStrategy& strategy);
void minimize_gauss_newton_line_search(MinimizerContext& context, LinearSolver& solver);

}  // namespace curvature::internal
