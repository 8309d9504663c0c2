// ceres_ba.h — the Ceres Solver side of the bundle adjustment comparison: the
// same camera model (bal_camera_model.h) in ceres::AutoDiffCostFunction<.., 2,
// 9, 3>, the same loss, solved by TRUST_REGION + LEVENBERG_MARQUARDT with the
// points eliminated first (an explicit ParameterBlockOrdering: points in group
// 0, cameras in group 1, as Ceres's bundle_adjuster example) and the
// tolerances, iteration limit and threads of BaRunOptions. Only built when
// Ceres is installed.
#pragma once

#include <string>
#include <vector>

#include "ba_run.h"

namespace curvature::bench {

// Ceres's linear solvers for bundle adjustment, in the order curv bench ba
// runs them; "dense-schur" only up to kCeresDenseSchurMaxCameras cameras.
//   sparse-schur                      SPARSE_SCHUR
//   iterative-schur                   ITERATIVE_SCHUR + SCHUR_JACOBI
//   dense-schur                       DENSE_SCHUR
//   sparse-normal-cholesky            SPARSE_NORMAL_CHOLESKY (what curvature has today)
std::vector<std::string> ceres_ba_linear_solvers(int num_cameras);
inline constexpr int kCeresDenseSchurMaxCameras = 100;

// Solves a copy of `scene` with Ceres and the linear solver named as above.
BaRun run_ceres_ba(const BalScene& scene, const std::string& problem_name, const std::string& linear_solver,
                   const BaRunOptions& options);

}  // namespace curvature::bench
