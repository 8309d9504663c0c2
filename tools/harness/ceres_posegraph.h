// ceres_posegraph.h — the Ceres Solver side of the pose-graph comparison:
// the same edge functors (pose_graph_residuals.h) in ceres::AutoDiffCostFunction,
// quaternions on ceres::EigenQuaternionManifold, angles on an
// ceres::AutoDiffManifold that wraps them as curvature's AngleManifold does,
// the lowest-id pose constant; TRUST_REGION + LEVENBERG_MARQUARDT on
// SPARSE_NORMAL_CHOLESKY (SuiteSparse) with the settings of
// posegraph_run.h. Only built when Ceres is installed.
#pragma once

#include "g2o.h"
#include "posegraph_run.h"

namespace curvature::bench {

// Solves `graph` in place (its poses receive Ceres's solution).
PoseGraphRun run_ceres_pose_graph(PoseGraph& graph, const PoseGraphSettings& settings);

}  // namespace curvature::bench
