// ceres_nn.h — the Ceres Solver side of the neural-network benchmark R1: the
// same network residuals (MlpResidual chunks, exact backpropagated
// Jacobians) wrapped as ceres::CostFunction, fitted by TRUST_REGION +
// LEVENBERG_MARQUARDT on DENSE_NORMAL_CHOLESKY with the given threads and
// time limit, tolerances 1e-15 so that only the time stops it. Only built
// when Ceres is installed.
//
// Ceres forms J^T J with Eigen either way; its dense linear algebra library
// decides who factors it: Eigen's LLT (Ceres's default) or LAPACK's dpotrf
// (the system's, OpenBLAS on Debian), which can be the faster of the two.
#pragma once

#include "nn_setup.h"

namespace curvature::bench {

// Ceres's dense_linear_algebra_library_type.
enum class CeresDenseLibrary { kEigen, kLapack };

// "EIGEN" or "LAPACK", as Ceres spells them.
const char* to_string(CeresDenseLibrary library);

// Whether the installed Ceres was built with that library.
bool ceres_dense_library_available(CeresDenseLibrary library);

// The trace has one row per Ceres iteration (train MSE, test MSE, the
// solver's time without the test-set evaluations).
tools::NnTrainResult run_ceres_lm_nn(const tools::NnTask& task, double max_time_s, int threads,
                                     CeresDenseLibrary library = CeresDenseLibrary::kEigen);

}  // namespace curvature::bench
