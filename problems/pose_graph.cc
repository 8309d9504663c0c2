#include "pose_graph.h"

#include <map>
#include <type_traits>
#include <utility>

#include "curvature/autodiff_cost_function.h"
#include "curvature/error.h"
#include "curvature/manifolds.h"
#include "data_dir.h"
#include "pose_graph_residuals.h"

namespace curvature {
namespace {

using Cost2d = AutoDiffCostFunction<PoseGraph2dResidual, 3, 2, 1, 2, 1>;
using Cost3d = AutoDiffCostFunction<PoseGraph3dResidual, 6, 3, 4, 3, 4>;

template <typename Pose, typename Edge>
void add_graph(std::map<int, Pose>& poses, const std::vector<Edge>& edges, std::shared_ptr<const Manifold> rotation,
               Problem* problem) {
  if (poses.empty()) throw Error("add_pose_graph: the graph has no poses");
  // Blocks in vertex-id order: the effective parameters' layout follows it.
  for (auto& [id, pose] : poses) {
    if constexpr (std::is_same_v<Pose, Pose2d>) {
      problem->add_parameter_block(pose.position, 2);
      problem->add_parameter_block(pose.angle, 1, rotation);
    } else {
      problem->add_parameter_block(pose.position, 3);
      problem->add_parameter_block(pose.orientation, 4, rotation);
    }
  }
  for (const Edge& edge : edges) {
    Pose& a = poses.at(edge.from);
    Pose& b = poses.at(edge.to);
    if constexpr (std::is_same_v<Pose, Pose2d>) {
      problem->add_residual_block(pose_edge_cost(edge), nullptr, a.position, a.angle, b.position, b.angle);
    } else {
      problem->add_residual_block(pose_edge_cost(edge), nullptr, a.position, a.orientation, b.position, b.orientation);
    }
  }
  Pose& first = poses.begin()->second;
  problem->set_parameter_block_constant(first.position);
  if constexpr (std::is_same_v<Pose, Pose2d>) {
    problem->set_parameter_block_constant(first.angle);
  } else {
    problem->set_parameter_block_constant(first.orientation);
  }
}

}  // namespace

void add_pose_graph(PoseGraph* graph, Problem* problem) {
  if (graph == nullptr) throw Error("add_pose_graph: graph is null");
  if (problem == nullptr) throw Error("add_pose_graph: problem is null");
  if (graph->dimension == 3) {
    add_graph(graph->poses3d, graph->edges3d, std::make_shared<EigenQuaternionManifold>(), problem);
  } else {
    add_graph(graph->poses2d, graph->edges2d, std::make_shared<AngleManifold>(), problem);
  }
}

std::shared_ptr<const CostFunction> pose_edge_cost(const PoseEdge2d& edge) {
  return std::make_shared<Cost2d>(edge_residual(edge));
}

std::shared_ptr<const CostFunction> pose_edge_cost(const PoseEdge3d& edge) {
  return std::make_shared<Cost3d>(edge_residual(edge));
}

double pose_graph_cost(const PoseGraph& graph) {
  double cost = 0.0;
  for (const PoseEdge2d& edge : graph.edges2d) {
    const Pose2d& a = graph.poses2d.at(edge.from);
    const Pose2d& b = graph.poses2d.at(edge.to);
    double r[3];
    edge_residual(edge)(a.position, a.angle, b.position, b.angle, r);
    for (double v : r) cost += 0.5 * v * v;
  }
  for (const PoseEdge3d& edge : graph.edges3d) {
    const Pose3d& a = graph.poses3d.at(edge.from);
    const Pose3d& b = graph.poses3d.at(edge.to);
    double r[6];
    edge_residual(edge)(a.position, a.orientation, b.position, b.orientation, r);
    for (double v : r) cost += 0.5 * v * v;
  }
  return cost;
}

std::vector<std::string> pose_graph_data_files() {
  const std::string dir = find_data_dir("posegraph");
  std::vector<std::string> paths;
  for (const char* name : {"manhattanOlson3500.g2o", "input_MITb_g2o.g2o", "parking-garage.g2o", "sphere2500.g2o"})
    paths.push_back(dir + "/" + name);
  return paths;
}

}  // namespace curvature
