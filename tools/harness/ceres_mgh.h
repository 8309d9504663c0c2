// ceres_mgh.h — the Ceres Solver side of the Moré–Garbow–Hillstrom
// comparison, on the very cost functions curvature solves (mgh_models.h
// through make_mgh_residual_blocks, counted as in mgh_run.h):
//   "lm"     ceres::Solve on a ceres::Problem whose residual blocks call
//            curvature::CostFunction::evaluate (the layouts are the same):
//            TRUST_REGION + LEVENBERG_MARQUARDT on DENSE_QR, tolerances 1e-15;
//   "lbfgs", "bfgs"
//            ceres::GradientProblemSolver (line search, Wolfe) on a
//            ceres::FirstOrderFunction computing f = 1/2 |r|^2 and g = J^T r
//            through curvature::LeastSquaresObjective; L-BFGS rank 10 (as
//            curvature's default memory); the tolerances of curvature's
//            minimize() side (mgh_run.h); Ceres's other line-search defaults.
// All at most kMghMaxIterations iterations, one thread. Only built when Ceres is installed.
#pragma once

#include <string>

#include "mgh_run.h"

namespace curvature::bench {

// A Ceres method, by the curvature method it is compared with: Ceres's
// Levenberg-Marquardt for Method::kLevenbergMarquardt, its line-search
// directions for the minimizers. Its run is "ceres-" + the curvature
// method's short name.
struct CeresMghMethod {
  bool least_squares;
  Method method = Method::kLevenbergMarquardt;
  MinimizerMethod minimizer = MinimizerMethod::kLbfgs;
  const char* name() const { return least_squares ? info(method).short_name : info(minimizer).short_name; }
};

inline constexpr CeresMghMethod kCeresMghMethods[] = {
    {true, Method::kLevenbergMarquardt},
    {false, {}, MinimizerMethod::kLbfgs},
    {false, {}, MinimizerMethod::kBfgs},
};

// One case from mgh_case.start(scale); time_s is the median of `repeats`
// solves. A method with no Ceres counterpart in ceres_mgh.cc is a
// curvature::Error.
MghRun run_ceres_mgh(const MghCase& mgh_case, double scale, const CeresMghMethod& method, int repeats);

}  // namespace curvature::bench
