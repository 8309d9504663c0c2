// curvature/solve.h — solving a least-squares Problem.
//
//   curvature::Problem problem;
//   problem.add_residual_block(cost, nullptr, x);
//   curvature::SolverOptions options;            // Levenberg-Marquardt by default
//   curvature::Summary summary = curvature::solve(options, &problem);
//   std::cout << summary.full_report();
//
// solve() reads the starting point from the problem's parameter blocks and,
// whatever the reason it stops, leaves the best point found in them (projected
// onto the bounds). It throws curvature::Error for options out of range, a
// null or empty problem, or a problem with no variable parameters; every
// numerical difficulty is reported in the Summary instead.
#pragma once

#include "curvature/problem.h"
#include "curvature/solver_options.h"
#include "curvature/summary.h"

namespace curvature {

// Solves `problem` from the values in its parameter blocks and leaves the best point in them (see
// the top of this file).
Summary solve(const SolverOptions& options, Problem* problem);

// Throws curvature::Error naming the first field of `options` out of range.
void validate(const SolverOptions& options);

// to_string(Method) and to_string(LinearSolverType) are in solver_options.h,
// next to their registries.

}  // namespace curvature
