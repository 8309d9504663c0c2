// general_minimizers.h — the loops behind minimize(). Each starts from *x,
// fills the Summary (counts, trace, termination) and leaves the best point
// found in *x. minimize() (minimize.cc) validates, checks the objective's
// capabilities, times the solve and dispatches here.
#pragma once

#include <Eigen/Core>

#include "curvature/minimize.h"
#include "curvature/objective.h"
#include "curvature/summary.h"

namespace curvature::internal {

// Steepest descent, nonlinear CG, BFGS, L-BFGS and Newton: a direction times
// a step length from the configured line search (line_search_minimizer.cc).
void minimize_line_search(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x, Summary* summary);

// Newton's trust-region method with Steihaug-Toint CG, Levenberg-CG or dogleg steps
// (newton_trust_region.cc: the objective side of trust_region_loop.h).
void minimize_newton_trust_region(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x,
                                  Summary* summary);

// Nesterov's accelerated gradient (nesterov.cc).
void minimize_nesterov(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x, Summary* summary);

}  // namespace curvature::internal
