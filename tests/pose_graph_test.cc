#include "pose_graph.h"

#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <map>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "curvature/gradient_checker.h"
#include "curvature/solve.h"
#include "pose_graph_residuals.h"
#include "test_util.h"

namespace curvature {
namespace {

using std::numbers::pi;

// A unit quaternion (x, y, z, w) for the rotation by `angle` about `axis`.
Eigen::Quaterniond rotation(double angle, Eigen::Vector3d axis) {
  return Eigen::Quaterniond(Eigen::AngleAxisd(angle, axis.normalized()));
}

void store(const Eigen::Quaterniond& q, double* out) {
  out[0] = q.x();
  out[1] = q.y();
  out[2] = q.z();
  out[3] = q.w();
}

Eigen::Quaterniond load(const double* q) { return Eigen::Quaterniond(q[3], q[0], q[1], q[2]); }

PoseEdge2d edge2d(int from, int to, double dx, double dy, double dtheta, const Eigen::Matrix3d& information) {
  PoseEdge2d edge;
  edge.from = from;
  edge.to = to;
  edge.measurement.position[0] = dx;
  edge.measurement.position[1] = dy;
  edge.measurement.angle[0] = dtheta;
  edge.information = information;
  return edge;
}

// A random symmetric positive definite n x n matrix.
template <int n>
Eigen::Matrix<double, n, n> random_information(unsigned seed) {
  const Eigen::MatrixXd a = testing::random_matrix(n, n, seed);
  return a * a.transpose() + Eigen::Matrix<double, n, n>::Identity();
}

TEST(PoseGraph2d, ResidualIsUTimesTheErrorWithOmegaEqualUTransposeU) {
  // Pose a at (1, 2) facing +y; b one unit further along +y, turned by 0.1.
  const double p_a[2] = {1.0, 2.0}, theta_a[1] = {pi / 2}, p_b[2] = {1.0, 3.0}, theta_b[1] = {pi / 2 + 0.1};
  Eigen::Matrix3d information;
  information << 4, 2, 0, 2, 5, 0, 0, 0, 16;  // U = [2 1 0; 0 2 0; 0 0 4]
  double r[3];
  edge_residual(edge2d(0, 1, 1.0, 0.0, 0.1, information))(p_a, theta_a, p_b, theta_b, r);
  for (double v : r) EXPECT_NEAR(v, 0.0, 1e-15);  // the measurement is exact

  edge_residual(edge2d(0, 1, 0.5, 0.25, 0.0, information))(p_a, theta_a, p_b, theta_b, r);
  // e = (1 - 0.5, 0 - 0.25, 0.1) in a's frame.
  EXPECT_NEAR(r[0], 2 * 0.5 + 1 * -0.25, 1e-15);
  EXPECT_NEAR(r[1], 2 * -0.25, 1e-15);
  EXPECT_NEAR(r[2], 4 * 0.1, 1e-15);
}

TEST(PoseGraph2d, AngleErrorIsWrapped) {
  const double p[2] = {0.0, 0.0}, theta_a[1] = {3.0}, theta_b[1] = {-3.0};
  double r[3];
  edge_residual(edge2d(0, 1, 0.0, 0.0, 0.2, Eigen::Matrix3d::Identity()))(p, theta_a, p, theta_b, r);
  EXPECT_NEAR(r[2], 2 * pi - 6.0 - 0.2, 1e-14);  // -6.2 wrapped by 2 pi
}

TEST(PoseGraph2d, JacobiansMatchNumericDifferences) {
  std::mt19937 random(7);
  std::uniform_real_distribution<double> uniform(-3.0, 3.0);
  for (int trial = 0; trial < 20; ++trial) {
    const PoseEdge2d edge = edge2d(0, 1, uniform(random), uniform(random), uniform(random) / 3,
                                   random_information<3>(static_cast<unsigned>(trial)));
    const auto cost = pose_edge_cost(edge);
    double p_a[2] = {uniform(random), uniform(random)}, theta_a[1] = {uniform(random)};
    double p_b[2] = {uniform(random), uniform(random)}, theta_b[1] = {uniform(random)};
    const double* blocks[] = {p_a, theta_a, p_b, theta_b};
    const GradientCheckResult result = check_gradients(*cost, blocks);
    EXPECT_TRUE(result.ok) << result.message;
  }
}

TEST(PoseGraph3d, ResidualOfAnExactMeasurementIsZeroAndOfARotatedOneIsTwiceTheVectorPart) {
  const Eigen::Quaterniond q_a = rotation(pi / 2, {0, 0, 1});
  const Eigen::Vector3d p_a(1, 2, 3), p_ab(1, 0, 0.5);
  const Eigen::Quaterniond q_ab = rotation(0.3, {1, 2, 3});
  const Eigen::Vector3d p_b = p_a + q_a * p_ab;
  const Eigen::Quaterniond q_b = q_a * q_ab;
  double qa[4], qb[4];
  store(q_a, qa);
  store(q_b, qb);
  PoseEdge3d edge;
  for (int k = 0; k < 3; ++k) edge.measurement.position[k] = p_ab[k];
  store(q_ab, edge.measurement.orientation);
  edge.information = Eigen::Matrix<double, 6, 6>::Identity();
  double r[6];
  edge_residual(edge)(p_a.data(), qa, p_b.data(), qb, r);
  for (double v : r) EXPECT_NEAR(v, 0.0, 1e-15);

  // Measured: the same plus a further rotation by 0.2 about x; the error
  // quaternion q_ab^-1 q_a^-1 q_b is then the rotation by -0.2 about x.
  store(q_ab * rotation(0.2, {1, 0, 0}), edge.measurement.orientation);
  edge_residual(edge)(p_a.data(), qa, p_b.data(), qb, r);
  EXPECT_NEAR(r[3], -2 * std::sin(0.1), 1e-15);
  EXPECT_NEAR(r[4], 0.0, 1e-15);
  EXPECT_NEAR(r[5], 0.0, 1e-15);
}

TEST(PoseGraph3d, HalfSquaredResidualIsHalfETransposeOmegaE) {
  const Eigen::Matrix<double, 6, 6> information = random_information<6>(3);
  PoseEdge3d edge;
  edge.information = information;
  edge.measurement.position[0] = 0.5;
  store(rotation(0.4, {0, 1, 1}), edge.measurement.orientation);
  const double p_a[3] = {0, 0, 0}, p_b[3] = {1, 0.5, -0.25};
  double qa[4], qb[4];
  store(rotation(0.2, {1, 0, 0}), qa);
  store(rotation(-0.3, {0, 0, 1}), qb);
  Eigen::Matrix<double, 6, 1> e, r;
  edge.information = Eigen::Matrix<double, 6, 6>::Identity();
  edge_residual(edge)(p_a, qa, p_b, qb, e.data());  // with Omega = I the residual is e
  edge.information = information;
  edge_residual(edge)(p_a, qa, p_b, qb, r.data());
  EXPECT_NEAR(0.5 * r.squaredNorm(), 0.5 * e.dot(information * e), 1e-12 * e.dot(information * e));
}

TEST(PoseGraph3d, JacobiansMatchNumericDifferences) {
  std::mt19937 random(11);
  std::uniform_real_distribution<double> uniform(-2.0, 2.0);
  auto random_quaternion = [&](double* q) {
    store(rotation(uniform(random), {uniform(random), uniform(random), uniform(random)}), q);
  };
  for (int trial = 0; trial < 20; ++trial) {
    PoseEdge3d edge;
    for (double& p : edge.measurement.position) p = uniform(random);
    random_quaternion(edge.measurement.orientation);
    edge.information = random_information<6>(static_cast<unsigned>(trial));
    const auto cost = pose_edge_cost(edge);
    double p_a[3], q_a[4], p_b[3], q_b[4];
    for (int k = 0; k < 3; ++k) p_a[k] = uniform(random), p_b[k] = uniform(random);
    random_quaternion(q_a);
    random_quaternion(q_b);
    const double* blocks[] = {p_a, q_a, p_b, q_b};
    const GradientCheckResult result = check_gradients(*cost, blocks);
    EXPECT_TRUE(result.ok) << result.message;
  }
}

// Consistent graphs: every measurement is the true relative pose, so the
// minimum is cost 0 at the true poses (the first one held there). Edges:
// the chain 0-1-...-7 and the loop closures 7-0, 0-4, 2-6, 5-1.
const int kEdges[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}, {7, 0}, {0, 4}, {2, 6}, {5, 1}};

SolverOptions pose_graph_options() {
  SolverOptions options;
  options.linear_solver = LinearSolverType::kSparseNormalCholesky;
  return options;
}

TEST(PoseGraph2d, ConsistentGraphIsSolvedToItsTruePoses) {
  std::mt19937 random(5);
  std::normal_distribution<double> noise(0.0, 0.2);
  std::map<int, Pose2d> truth;
  for (int i = 0; i < 8; ++i) {
    // Headings all around the circle, across the wrap at +-pi.
    truth[i] = Pose2d{{3 * std::cos(0.8 * i), 2 * std::sin(0.8 * i)}, {wrap_angle(0.9 * i + 2.5)}};
  }
  PoseGraph graph;
  graph.dimension = 2;
  for (const auto& [from, to] : kEdges) {
    const Pose2d& a = truth[from];
    const Pose2d& b = truth[to];
    const double c = std::cos(a.angle[0]), s = std::sin(a.angle[0]);
    const double dx = b.position[0] - a.position[0], dy = b.position[1] - a.position[1];
    graph.edges2d.push_back(edge2d(from, to, c * dx + s * dy, c * dy - s * dx, wrap_angle(b.angle[0] - a.angle[0]),
                                   random_information<3>(static_cast<unsigned>(from * 8 + to))));
  }
  for (const auto& [id, pose] : truth) {
    Pose2d start = pose;
    if (id != 0) {
      start.position[0] += noise(random);
      start.position[1] += noise(random);
      start.angle[0] = wrap_angle(start.angle[0] + noise(random));
    }
    graph.poses2d[id] = start;
  }
  Problem problem;
  add_pose_graph(&graph, &problem);
  EXPECT_EQ(problem.num_effective_parameters(), 7 * 3);
  EXPECT_EQ(problem.num_effective_tangent_parameters(), 7 * 3);
  const Summary summary = solve(pose_graph_options(), &problem);
  EXPECT_TRUE(summary.converged()) << summary.message;
  EXPECT_LT(pose_graph_cost(graph), 1e-20);
  for (const auto& [id, pose] : truth) {
    const Pose2d& solved = graph.poses2d.at(id);
    EXPECT_NEAR(solved.position[0], pose.position[0], 1e-9) << id;
    EXPECT_NEAR(solved.position[1], pose.position[1], 1e-9) << id;
    EXPECT_NEAR(solved.angle[0], pose.angle[0], 1e-9) << id;
    EXPECT_GE(solved.angle[0], -pi);  // the manifold keeps angles wrapped
    EXPECT_LE(solved.angle[0], pi);
  }
}

// The 3-D consistent graph: true poses, and a start perturbed by about 0.2
// in position and 0.3 rad in orientation (the first pose at its true value).
struct ConsistentGraph3d {
  std::map<int, Eigen::Vector3d> p;
  std::map<int, Eigen::Quaterniond> q;
  PoseGraph graph;
};

ConsistentGraph3d consistent_graph_3d() {
  std::mt19937 random(9);
  std::normal_distribution<double> noise(0.0, 0.2);
  auto random_axis = [&] { return Eigen::Vector3d(noise(random), noise(random), noise(random)); };
  ConsistentGraph3d g;
  for (int i = 0; i < 8; ++i) {
    g.p[i] = Eigen::Vector3d(3 * std::cos(0.8 * i), 2 * std::sin(0.8 * i), 0.3 * i);
    g.q[i] = rotation(0.4 * i - 1.5, Eigen::Vector3d(1, 0.5 * i, 2) + random_axis());
  }
  g.graph.dimension = 3;
  for (const auto& [from, to] : kEdges) {
    PoseEdge3d edge;
    edge.from = from;
    edge.to = to;
    const Eigen::Vector3d p_ab = g.q[from].conjugate() * (g.p[to] - g.p[from]);
    for (int k = 0; k < 3; ++k) edge.measurement.position[k] = p_ab[k];
    store(g.q[from].conjugate() * g.q[to], edge.measurement.orientation);
    edge.information = random_information<6>(static_cast<unsigned>(from * 8 + to));
    g.graph.edges3d.push_back(edge);
  }
  for (int i = 0; i < 8; ++i) {
    Pose3d& start = g.graph.poses3d[i];
    const Eigen::Vector3d position = i == 0 ? g.p[i] : Eigen::Vector3d(g.p[i] + random_axis());
    for (int k = 0; k < 3; ++k) start.position[k] = position[k];
    store(i == 0 ? g.q[i] : rotation(0.3, random_axis()) * g.q[i], start.orientation);
  }
  return g;
}

TEST(PoseGraph3d, ConsistentGraphIsSolvedToItsTruePosesWithUnitQuaternions) {
  for (Method method : testing::every_method()) {
    SCOPED_TRACE(to_string(method));
    ConsistentGraph3d g = consistent_graph_3d();
    Problem problem;
    add_pose_graph(&g.graph, &problem);
    EXPECT_EQ(problem.num_effective_parameters(), 7 * 7);          // ambient: 3 + 4 per pose
    EXPECT_EQ(problem.num_effective_tangent_parameters(), 7 * 6);  // tangent: 3 + 3
    SolverOptions options = pose_graph_options();
    options.method = method;
    const Summary summary = solve(options, &problem);
    EXPECT_TRUE(summary.converged()) << summary.message;
    EXPECT_LT(pose_graph_cost(g.graph), 1e-20);
    for (int i = 0; i < 8; ++i) {
      const Pose3d& solved = g.graph.poses3d.at(i);
      for (int k = 0; k < 3; ++k) EXPECT_NEAR(solved.position[k], g.p[i][k], 1e-9) << i;
      const Eigen::Quaterniond orientation = load(solved.orientation);
      EXPECT_NEAR(orientation.norm(), 1.0, 1e-15) << i;
      EXPECT_NEAR(std::abs(orientation.dot(g.q[i])), 1.0, 1e-15) << i;  // q and -q are the same rotation
    }
  }
}

TEST(PoseGraphProblem, NullArgumentsAndAGraphWithoutPosesAreErrors) {
  PoseGraph graph;
  Problem problem;
  EXPECT_EQ(testing::error_message([&] { add_pose_graph(nullptr, &problem); }), "add_pose_graph: graph is null");
  EXPECT_EQ(testing::error_message([&] { add_pose_graph(&graph, nullptr); }), "add_pose_graph: problem is null");
  EXPECT_EQ(testing::error_message([&] { add_pose_graph(&graph, &problem); }),
            "add_pose_graph: the graph has no poses");
}

TEST(PoseGraphData, InitialCostsAreTheReferenceFigures) {
  // The starting costs the comparison with Ceres Solver reports.
  const std::string dir = CURVATURE_DATA_DIR "/posegraph/";
  EXPECT_NEAR(pose_graph_cost(read_g2o_file(dir + "manhattanOlson3500.g2o")), 34571.47, 0.01);
  EXPECT_NEAR(pose_graph_cost(read_g2o_file(dir + "parking-garage.g2o")), 8362.72, 0.01);
}

// input_MITb on one and two threads: evaluation, J^T J and CHOLMOD's
// simplicial factorization (split between the threads from the second
// iteration on) give the same poses to the last bit.
TEST(PoseGraphData, OneAndTwoThreadsGiveTheSameBits) {
  const std::string path = CURVATURE_DATA_DIR "/posegraph/input_MITb_g2o.g2o";
  std::vector<PoseGraph> graphs;
  std::vector<Summary> summaries;
  for (int threads : {1, 2}) {
    graphs.push_back(read_g2o_file(path));
    Problem problem;
    add_pose_graph(&graphs.back(), &problem);
    SolverOptions options = pose_graph_options();
    options.num_threads = threads;
    options.max_iterations = 10;
    summaries.push_back(solve(options, &problem));
  }
  EXPECT_EQ(summaries[0].iterations, summaries[1].iterations);
  EXPECT_EQ(summaries[0].final_cost, summaries[1].final_cost);
  for (const auto& [id, pose] : graphs[0].poses2d) {
    const Pose2d& other = graphs[1].poses2d.at(id);
    EXPECT_EQ(pose.position[0], other.position[0]) << id;
    EXPECT_EQ(pose.position[1], other.position[1]) << id;
    EXPECT_EQ(pose.angle[0], other.angle[0]) << id;
  }
}

}  // namespace
}  // namespace curvature
