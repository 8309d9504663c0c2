#include "ceres_posegraph.h"

#include <ceres/ceres.h>

#include "pose_graph.h"
#include "pose_graph_residuals.h"

namespace curvature::bench {
namespace {

// An angle on the circle: plus and minus wrap to [-pi, pi).
struct AngleManifoldFunctor {
  template <typename T>
  bool Plus(const T* x, const T* delta, T* x_plus_delta) const {
    x_plus_delta[0] = wrap_angle(T(x[0] + delta[0]));
    return true;
  }
  template <typename T>
  bool Minus(const T* y, const T* x, T* y_minus_x) const {
    y_minus_x[0] = wrap_angle(T(y[0] - x[0]));
    return true;
  }
};

void build_2d(PoseGraph& graph, ceres::Problem& problem) {
  ceres::Manifold* angle = new ceres::AutoDiffManifold<AngleManifoldFunctor, 1, 1>;
  for (auto& [id, pose] : graph.poses2d) {
    problem.AddParameterBlock(pose.position, 2);
    problem.AddParameterBlock(pose.angle, 1, angle);
  }
  using Cost = ceres::AutoDiffCostFunction<PoseGraph2dResidual, 3, 2, 1, 2, 1>;
  for (const PoseEdge2d& edge : graph.edges2d) {
    Pose2d& a = graph.poses2d.at(edge.from);
    Pose2d& b = graph.poses2d.at(edge.to);
    problem.AddResidualBlock(new Cost(new PoseGraph2dResidual(edge_residual(edge))), nullptr, a.position, a.angle,
                             b.position, b.angle);
  }
  Pose2d& first = graph.poses2d.begin()->second;
  problem.SetParameterBlockConstant(first.position);
  problem.SetParameterBlockConstant(first.angle);
}

void build_3d(PoseGraph& graph, ceres::Problem& problem) {
  ceres::Manifold* quaternion = new ceres::EigenQuaternionManifold;
  for (auto& [id, pose] : graph.poses3d) {
    problem.AddParameterBlock(pose.position, 3);
    problem.AddParameterBlock(pose.orientation, 4, quaternion);
  }
  using Cost = ceres::AutoDiffCostFunction<PoseGraph3dResidual, 6, 3, 4, 3, 4>;
  for (const PoseEdge3d& edge : graph.edges3d) {
    Pose3d& a = graph.poses3d.at(edge.from);
    Pose3d& b = graph.poses3d.at(edge.to);
    problem.AddResidualBlock(new Cost(new PoseGraph3dResidual(edge_residual(edge))), nullptr, a.position, a.orientation,
                             b.position, b.orientation);
  }
  Pose3d& first = graph.poses3d.begin()->second;
  problem.SetParameterBlockConstant(first.position);
  problem.SetParameterBlockConstant(first.orientation);
}

}  // namespace

PoseGraphRun run_ceres_pose_graph(PoseGraph& graph, const PoseGraphSettings& settings) {
  PoseGraphRun run;
  run.solver = "ceres-lm";
  run.threads = settings.num_threads;
  run.poses = graph.num_poses();
  run.edges = graph.num_edges();
  run.initial_cost = pose_graph_cost(graph);

  // One manifold instance serves every block; the problem deletes it once.
  ceres::Problem problem;
  if (graph.dimension == 3) {
    build_3d(graph, problem);
  } else {
    build_2d(graph, problem);
  }
  ceres::Solver::Options options;
  options.minimizer_type = ceres::TRUST_REGION;
  options.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  options.linear_solver_type = ceres::SPARSE_NORMAL_CHOLESKY;
  options.function_tolerance = settings.function_tolerance;
  options.gradient_tolerance = settings.gradient_tolerance;
  options.parameter_tolerance = settings.parameter_tolerance;
  options.max_num_iterations = settings.max_iterations;
  options.num_threads = settings.num_threads;
  options.logging_type = ceres::SILENT;

  ceres::Solver::Summary summary;
  const SolveClock clock;
  ceres::Solve(options, &problem, &summary);
  clock.stop(&run);
  run.iterations = static_cast<int>(summary.iterations.size()) - 1;
  run.final_cost = pose_graph_cost(graph);
  run.status = ceres::TerminationTypeToString(summary.termination_type);
  return run;
}

}  // namespace curvature::bench
