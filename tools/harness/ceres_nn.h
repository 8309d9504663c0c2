// ceres_nn.h — the Ceres Solver side of the neural-network benchmark R1: the
// same network residuals (MlpResidual chunks, exact backpropagated
// Jacobians) wrapped as ceres::CostFunction, fitted by TRUST_REGION +
// LEVENBERG_MARQUARDT on DENSE_NORMAL_CHOLESKY with the given threads and
// time limit, tolerances 1e-15 so that only the time stops it. Only built
// when Ceres is installed.
#pragma once

#include "nn_setup.h"

namespace curvature::bench {

// The trace has one row per Ceres iteration (train MSE, test MSE, the
// solver's time without the test-set evaluations).
tools::NnTrainResult run_ceres_lm_nn(const tools::NnTask& task, double max_time_s, int threads);

}  // namespace curvature::bench
