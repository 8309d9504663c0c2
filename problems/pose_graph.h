// pose_graph.h — the standard 2-D and 3-D pose-graph problems over a graph
// read from a g2o file (g2o.h), as curvature::Problems.
//
//   PoseGraph graph = read_g2o_file(path);
//   Problem problem;
//   add_pose_graph(&graph, &problem);
//   solve(options, &problem);          // the graph's poses now hold the solution
//   write_g2o_file(graph, "optimized.g2o");
//
// The cost is 1/2 sum over edges of e^T Omega e with the edge errors of
// pose_graph_residuals.h, each edge one AutoDiffCostFunction residual block
// U e (Omega = U^T U, U upper triangular). Each pose is two parameter blocks:
//   2-D: position (2), angle (1) on AngleManifold;
//   3-D: position (3), quaternion (4, x y z w) on EigenQuaternionManifold.
// The pose with the lowest vertex id is held constant: it fixes the gauge
// (the cost does not change when every pose moves rigidly together).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/problem.h"
#include "g2o.h"

namespace curvature {

// Adds one residual block per edge of `graph` to `problem`, over the poses of
// `graph` (which must outlive the problem and keep its poses: add no vertex
// to it meanwhile), puts the blocks on their manifolds and holds the first
// pose constant. Throws curvature::Error for a null argument or a graph
// without poses.
void add_pose_graph(PoseGraph* graph, Problem* problem);

// One edge's cost function: 3 residuals over (position a, angle a,
// position b, angle b), or 6 over (position a, quaternion a, position b,
// quaternion b).
std::shared_ptr<const CostFunction> pose_edge_cost(const PoseEdge2d& edge);
std::shared_ptr<const CostFunction> pose_edge_cost(const PoseEdge3d& edge);

// 1/2 sum over edges of e^T Omega e at the graph's current poses.
double pose_graph_cost(const PoseGraph& graph);

// The pose graphs shipped in data/posegraph (found by find_data_dir), by
// path: manhattanOlson3500 and input_MITb (2-D), parking-garage and
// sphere2500 (3-D).
std::vector<std::string> pose_graph_data_files();

}  // namespace curvature
