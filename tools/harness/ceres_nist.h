// ceres_nist.h — the Ceres Solver side of the NIST comparison: the same
// models (nist_models.h) wrapped in ceres::AutoDiffCostFunction, solved with
// TRUST_REGION + LEVENBERG_MARQUARDT on DENSE_QR, tolerances 1e-15, at most
// 10000 iterations, one thread. Only built when Ceres is installed.
#pragma once

#include "nist_run.h"

namespace curvature::bench {

NistRun run_ceres_nist(const NistProblem& problem, int start, int repeats);

}  // namespace curvature::bench
