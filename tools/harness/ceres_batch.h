// ceres_batch.h — Ceres Solver's side of curv bench batch, on the same
// models (batch_models.h) and data, split over the same number of threads by
// curvature's ThreadPool:
//
//   ceres-tiny     ceres::TinySolver over TinySolverAutoDiffFunction, one fit
//                  after another, the residual count fixed at compile time
//                  (TinySolver's best case), default options.
//   ceres-problem  one ceres::Problem per fit (one AutoDiffCostFunction with
//                  all the fit's residuals), LEVENBERG_MARQUARDT on DENSE_QR,
//                  one thread per solve, at most 50 iterations and TinySolver's
//                  tolerances (function 1e-6, gradient 1e-10, parameter 1e-8).
//
// A fit counts as converged when TinySolver stops on a tolerance (not on
// HIT_MAX_ITERATIONS), and when ceres::Solve's termination is CONVERGENCE.
// Only built when Ceres is installed.
#pragma once

#include "batch_models.h"

namespace curvature::bench {

BatchRun run_ceres_tiny(const BatchCase& batch, int threads);
BatchRun run_ceres_problem(const BatchCase& batch, int threads);

}  // namespace curvature::bench
