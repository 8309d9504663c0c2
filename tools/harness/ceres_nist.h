// ceres_nist.h — the Ceres Solver side of the NIST comparison: the same
// models (nist_models.h) wrapped in ceres::AutoDiffCostFunction, solved with
// TRUST_REGION + LEVENBERG_MARQUARDT on DENSE_QR, tolerances 1e-15, at most
// 10000 iterations, one thread. Only built when Ceres is installed.
#pragma once

#include "nist_run.h"

namespace curvature::bench {

NistRun run_ceres_nist(const NistProblem& problem, int start, int repeats);

// Solves `problem` from `start` as run_ceres_nist does (start 0: no solve,
// NIST's certified values), then computes
// ceres::Covariance with DENSE_SVD and with SPARSE_QR, default options
// otherwise (min_reciprocal_condition_number 1e-14, null_space_rank 0), at
// Ceres's solution; the variances are scaled by s^2 = 2 cost / (n - p).
std::vector<NistCovarianceRun> run_ceres_nist_covariance(const NistProblem& problem, int start);

}  // namespace curvature::bench
