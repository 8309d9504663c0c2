#include "block_sparse_cholesky.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <random>
#include <vector>

#include "curvature/solve.h"
#include "curvature/thread_pool.h"
#include "pose_graph.h"
#include "pose_graph_residuals.h"
#include "sparse_normal_cholesky.h"

namespace curvature::internal {
namespace {

// J^T J + D^2 of a random block-sparse J: each residual block couples two
// random parameter blocks (a pose graph's edges) or one (a prior).
Eigen::MatrixXd random_block_normal_matrix(int num_blocks, int block_size, int num_edges, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, num_blocks - 1);
  std::normal_distribution<double> normal;
  const int n = num_blocks * block_size;
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
  for (int e = 0; e < num_edges; ++e) {
    const int x = pick(rng);
    const int y = e < num_blocks ? (e + 1) % num_blocks : pick(rng);
    Eigen::MatrixXd j = Eigen::MatrixXd::Zero(block_size, n);
    for (int r = 0; r < block_size; ++r) {
      for (int c = 0; c < block_size; ++c) {
        j(r, x * block_size + c) += normal(rng);
        j(r, y * block_size + c) += normal(rng);
      }
    }
    a += j.transpose() * j;
  }
  for (int k = 0; k < n; ++k) a(k, k) += 0.01 * (1.0 + k % 3);  // damping D^2
  return a;
}

// The upper triangle of `a` column by column, every entry of a nonzero
// block stored (zeros included), symmetrically permuted by `order` (blocks).
struct UpperPattern {
  std::vector<int> outer, inner;
  std::vector<double> values;
};

UpperPattern upper_blocks(const Eigen::MatrixXd& a, int block_size) {
  const int n = static_cast<int>(a.rows());
  UpperPattern u;
  u.outer.push_back(0);
  for (int c = 0; c < n; ++c) {
    for (int r = 0; r <= c; ++r) {
      const bool block_nonzero =
          a.block(r / block_size * block_size, c / block_size * block_size, block_size, block_size).norm() > 0.0;
      if (!block_nonzero) continue;
      u.inner.push_back(r);
      u.values.push_back(a(r, c));
    }
    u.outer.push_back(static_cast<int>(u.inner.size()));
  }
  return u;
}

Eigen::MatrixXd permute_blocks(const Eigen::MatrixXd& a, int block_size, const std::vector<int>& order) {
  const int nb = static_cast<int>(order.size());
  Eigen::MatrixXd p(a.rows(), a.cols());
  for (int i = 0; i < nb; ++i) {
    for (int j = 0; j < nb; ++j) {
      p.block(i * block_size, j * block_size, block_size, block_size) =
          a.block(order[i] * block_size, order[j] * block_size, block_size, block_size);
    }
  }
  return p;
}

std::vector<int> block_order_of(const Eigen::MatrixXd& a, int block_size) {
  const int nb = static_cast<int>(a.rows()) / block_size;
  std::vector<int> outer{0}, inner;
  for (int i = 0; i < nb; ++i) {
    for (int j = 0; j < nb; ++j) {
      if (i != j && a.block(i * block_size, j * block_size, block_size, block_size).norm() > 0.0) inner.push_back(j);
    }
    outer.push_back(static_cast<int>(inner.size()));
  }
  return BlockSparseCholesky::block_ordering(nb, outer, inner);
}

void expect_matches_dense(int block_size, unsigned seed) {
  const int num_blocks = 40;
  const Eigen::MatrixXd original = random_block_normal_matrix(num_blocks, block_size, 90, seed);
  const std::vector<int> order = block_order_of(original, block_size);
  ASSERT_EQ(order.size(), static_cast<size_t>(num_blocks));
  const Eigen::MatrixXd a = permute_blocks(original, block_size, order);
  const UpperPattern u = upper_blocks(a, block_size);
  BlockSparseCholesky cholesky;
  const int n = static_cast<int>(a.rows());
  ASSERT_EQ(cholesky.analyze(n, block_size, u.outer.data(), u.inner.data()), "");
  const double shift = 0.5;
  ASSERT_EQ(cholesky.factorize(u.values.data(), shift), "");
  std::mt19937 rng(seed + 1);
  std::normal_distribution<double> normal;
  Eigen::VectorXd b(n);
  for (int k = 0; k < n; ++k) b[k] = normal(rng);
  Eigen::VectorXd x;
  cholesky.solve(b, &x);
  const Eigen::MatrixXd shifted = a + shift * Eigen::MatrixXd::Identity(n, n);
  const Eigen::VectorXd expected = shifted.llt().solve(b);
  EXPECT_LE((x - expected).norm(), 1e-10 * expected.norm());
  const Eigen::VectorXd diagonal = shifted.llt().matrixL().toDenseMatrix().diagonal();
  EXPECT_NEAR(cholesky.min_pivot(), diagonal.cwiseAbs2().minCoeff(), 1e-12 * diagonal.cwiseAbs2().maxCoeff());
}

TEST(BlockSparseCholesky, StepEqualsDenseCholeskyWithBlocksOfThree) {
  for (unsigned seed = 1; seed <= 3; ++seed) expect_matches_dense(3, seed);
}

TEST(BlockSparseCholesky, StepEqualsDenseCholeskyWithBlocksOfSix) {
  for (unsigned seed = 1; seed <= 3; ++seed) expect_matches_dense(6, seed);
}

TEST(BlockSparseCholesky, RefactorsWithNewValuesOverTheSamePattern) {
  const Eigen::MatrixXd a = random_block_normal_matrix(20, 3, 40, 7);
  UpperPattern u = upper_blocks(a, 3);
  BlockSparseCholesky cholesky;
  ASSERT_EQ(cholesky.analyze(60, 3, u.outer.data(), u.inner.data()), "");
  for (double shift : {0.0, 1.0, 1e3}) {
    ASSERT_EQ(cholesky.factorize(u.values.data(), shift), "");
    Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(60, -1.0, 2.0);
    Eigen::VectorXd x;
    cholesky.solve(b, &x);
    const Eigen::MatrixXd shifted = a + shift * Eigen::MatrixXd::Identity(60, 60);
    EXPECT_LE((shifted * x - b).norm(), 1e-10 * b.norm()) << "shift " << shift;
  }
}

TEST(BlockSparseCholesky, ReportsNotPositiveDefiniteWithTheBlockColumn) {
  Eigen::MatrixXd a = random_block_normal_matrix(10, 3, 20, 3);
  // Block 4's diagonal made negative.
  a(13, 13) = -50.0;
  const UpperPattern u = upper_blocks(a, 3);
  BlockSparseCholesky cholesky;
  ASSERT_EQ(cholesky.analyze(30, 3, u.outer.data(), u.inner.data()), "");
  const std::string failure = cholesky.factorize(u.values.data(), 0.0);
  EXPECT_NE(failure.find("not positive definite"), std::string::npos) << failure;
  EXPECT_NE(failure.find("block column"), std::string::npos) << failure;
}

// Two chains of ten blocks of three joined by a last block: in this order
// the elimination tree is two disjoint subtrees under one root, which two
// threads factor at the same time.
Eigen::MatrixXd two_chains_joined(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  constexpr int kBlocks = 21;
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(3 * kBlocks, 3 * kBlocks);
  std::vector<std::pair<int, int>> edges{{9, 20}, {19, 20}};
  for (int i = 0; i < 9; ++i) {
    edges.emplace_back(i, i + 1);
    edges.emplace_back(10 + i, 11 + i);
  }
  for (auto [x, y] : edges) {
    Eigen::MatrixXd j = Eigen::MatrixXd::Zero(3, 3 * kBlocks);
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) {
        j(r, 3 * x + c) = normal(rng);
        j(r, 3 * y + c) = normal(rng);
      }
    }
    a += j.transpose() * j;
  }
  for (int k = 0; k < 3 * kBlocks; ++k) a(k, k) += 0.1;
  return a;
}

TEST(BlockSparseCholesky, TwoThreadsFactorTheSubtreesAndGiveTheSameBits) {
  const Eigen::MatrixXd a = two_chains_joined(5);
  const int n = static_cast<int>(a.rows());
  const UpperPattern u = upper_blocks(a, 3);
  const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(n, -1.0, 2.0);
  BlockSparseCholesky one;
  ASSERT_EQ(one.analyze(n, 3, u.outer.data(), u.inner.data()), "");
  ASSERT_EQ(one.factorize(u.values.data(), 0.5), "");
  Eigen::VectorXd x_one;
  one.solve(b, &x_one);
  ThreadPool pool(2);
  BlockSparseCholesky two;
  two.set_thread_pool(&pool);
  ASSERT_EQ(two.analyze(n, 3, u.outer.data(), u.inner.data()), "");
  EXPECT_TRUE(two.factors_in_parallel());
  ASSERT_EQ(two.factorize(u.values.data(), 0.5), "");
  Eigen::VectorXd x_two;
  two.solve(b, &x_two);
  EXPECT_EQ(x_one, x_two);
  EXPECT_EQ(one.min_pivot(), two.min_pivot());
  const Eigen::MatrixXd shifted = a + 0.5 * Eigen::MatrixXd::Identity(n, n);
  EXPECT_LE((shifted * x_two - b).norm(), 1e-10 * b.norm());
}

TEST(BlockSparseCholesky, TwoThreadsReportTheFailingColumnOneThreadReports) {
  Eigen::MatrixXd a = two_chains_joined(6);
  a(3 * 4, 3 * 4) = -50.0;    // block 4, in the first subtree
  a(3 * 16, 3 * 16) = -50.0;  // block 16, in the second
  const int n = static_cast<int>(a.rows());
  const UpperPattern u = upper_blocks(a, 3);
  BlockSparseCholesky one;
  ASSERT_EQ(one.analyze(n, 3, u.outer.data(), u.inner.data()), "");
  const std::string expected = one.factorize(u.values.data(), 0.0);
  EXPECT_NE(expected.find("block column 4"), std::string::npos) << expected;
  ThreadPool pool(2);
  BlockSparseCholesky two;
  two.set_thread_pool(&pool);
  ASSERT_EQ(two.analyze(n, 3, u.outer.data(), u.inner.data()), "");
  ASSERT_TRUE(two.factors_in_parallel());
  EXPECT_EQ(two.factorize(u.values.data(), 0.0), expected);
}

TEST(BlockSparseCholesky, RejectsABlockSizeThatDoesNotDivideTheMatrix) {
  const std::vector<int> outer{0, 1, 2, 3, 4}, inner{0, 1, 2, 3};
  BlockSparseCholesky cholesky;
  EXPECT_NE(cholesky.analyze(4, 3, outer.data(), inner.data()).find("block size 3"), std::string::npos);
  EXPECT_NE(cholesky.analyze(14, 7, outer.data(), inner.data()).find("block size 7"), std::string::npos);
}

// A pose-graph-like J: each residual block of 3 rows reads two parameter
// blocks of `block_size` columns; the first block is not anchored, so J has
// a null space (a gauge) unless damped.
SparseRowMatrix random_block_jacobian(int num_blocks, int block_size, int num_edges, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, num_blocks - 1);
  std::normal_distribution<double> normal;
  std::vector<Eigen::Triplet<double, int>> entries;
  for (int e = 0; e < num_edges; ++e) {
    int x = e < num_blocks - 1 ? e : pick(rng);
    int y = e < num_blocks - 1 ? e + 1 : pick(rng);
    if (x == y) y = (x + 1) % num_blocks;
    for (int r = 0; r < block_size; ++r) {
      for (int c = 0; c < block_size; ++c) {
        entries.emplace_back(e * block_size + r, x * block_size + c, normal(rng));
        entries.emplace_back(e * block_size + r, y * block_size + c, normal(rng));
      }
    }
  }
  SparseRowMatrix j(num_edges * block_size, num_blocks * block_size);
  j.setFromTriplets(entries.begin(), entries.end());
  j.makeCompressed();
  return j;
}

TEST(BlockSparseCholeskyInSolver, DampedStepEqualsTheScalarFactorizationsForBlocksOfThreeAndSix) {
  for (int block_size : {3, 6}) {
    const SparseRowMatrix j = random_block_jacobian(50, block_size, 120, 11);
    const Eigen::VectorXd r = Eigen::VectorXd::LinSpaced(j.rows(), -1.0, 1.0);
    SparseNormalCholeskySolver block(1, SparseNormalCholeskySolver::BlockPath::kAlways);
    SparseNormalCholeskySolver scalar(1, SparseNormalCholeskySolver::BlockPath::kNever);
    ASSERT_TRUE(block.prepare(JacobianRef{.sparse = &j}, r).success);
    ASSERT_TRUE(scalar.prepare(JacobianRef{.sparse = &j}, r).success);
    EXPECT_EQ(block.block_size(), block_size);
    EXPECT_EQ(scalar.block_size(), 0);
    for (double damping : {1e-3, 1.0, 100.0}) {
      const Eigen::VectorXd d = Eigen::VectorXd::Constant(j.cols(), damping);
      Eigen::VectorXd step_block, step_scalar;
      const LinearSolverResult b = block.solve(d, &step_block);
      const LinearSolverResult s = scalar.solve(d, &step_scalar);
      ASSERT_TRUE(b.success) << b.message;
      ASSERT_TRUE(s.success) << s.message;
      EXPECT_LE((step_block - step_scalar).norm(), 1e-10 * step_scalar.norm()) << block_size << " " << damping;
    }
  }
}

TEST(BlockSparseCholeskyInSolver, UndampedGaugeIsRegularizedAndSaysSo) {
  // Every residual reads two blocks through opposite Jacobians, so moving
  // all blocks together changes nothing: J^T J is singular. Zeros are
  // stored, so each row reads its blocks whole, as a residual block's do.
  std::vector<Eigen::Triplet<double, int>> entries;
  for (int e = 0; e < 5; ++e) {
    for (int k = 0; k < 3; ++k) {
      for (int c = 0; c < 3; ++c) {
        entries.emplace_back(3 * e + k, 3 * e + c, k == c ? 1.0 : 0.0);
        entries.emplace_back(3 * e + k, 3 * (e + 1) + c, k == c ? -1.0 : 0.0);
      }
    }
  }
  SparseRowMatrix j(15, 18);
  j.setFromTriplets(entries.begin(), entries.end());
  j.makeCompressed();
  SparseNormalCholeskySolver solver(1, SparseNormalCholeskySolver::BlockPath::kAlways);
  const Eigen::VectorXd r = Eigen::VectorXd::Ones(15);
  ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &j}, r).success);
  ASSERT_EQ(solver.block_size(), 3);
  Eigen::VectorXd step;
  const LinearSolverResult result = solver.solve(Eigen::VectorXd::Zero(18), &step);
  ASSERT_TRUE(result.success) << result.message;
  EXPECT_NE(result.message.find("regularization"), std::string::npos) << result.message;
  EXPECT_LE((j.transpose() * (j * step + r)).norm(), 1e-6);
}

TEST(BlockSparseCholeskyInSolver, ColumnsNotInWholeBlocksKeepTheScalarFactorization) {
  SparseRowMatrix j(2, 4);
  j.insert(0, 0) = 1.0;
  j.insert(0, 1) = 2.0;
  j.insert(1, 1) = 1.0;
  j.insert(1, 2) = 1.0;
  j.insert(1, 3) = 3.0;
  j.makeCompressed();
  SparseNormalCholeskySolver solver(1, SparseNormalCholeskySolver::BlockPath::kAlways);
  ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &j}, Eigen::VectorXd::Ones(2)).success);
  EXPECT_EQ(solver.block_size(), 0);
}

// A noisy 2-D pose graph (a chain with loop closures): its 3x3 blocks and
// sparse factor take the block path in the sparse normal Cholesky solver;
// the solve must end where a dense solver's does.
PoseGraph noisy_pose_graph_2d() {
  std::mt19937 rng(17);
  std::normal_distribution<double> noise(0.0, 0.1);
  PoseGraph graph;
  graph.dimension = 2;
  const int num_poses = 40;
  for (int i = 0; i < num_poses; ++i) {
    graph.poses2d[i] = Pose2d{{std::cos(0.3 * i) * (3 + 0.05 * i) + noise(rng), std::sin(0.3 * i) * 3 + noise(rng)},
                              {wrap_angle(0.3 * i + noise(rng))}};
  }
  auto add_edge = [&](int from, int to) {
    PoseEdge2d edge;
    edge.from = from;
    edge.to = to;
    edge.measurement.position[0] = 1.0 + noise(rng);
    edge.measurement.position[1] = 0.1 * (to - from) + noise(rng);
    edge.measurement.angle[0] = wrap_angle(0.3 * (to - from) + noise(rng));
    edge.information = Eigen::Matrix3d::Identity() * 4.0;
    edge.information(0, 1) = edge.information(1, 0) = 0.5;
    graph.edges2d.push_back(edge);
  };
  for (int i = 0; i + 1 < num_poses; ++i) add_edge(i, i + 1);
  for (int i = 0; i + 7 < num_poses; i += 3) add_edge(i, i + 7);
  return graph;
}

TEST(BlockSparseCholeskyPoseGraph, SolveEndsAtTheSameCostAsADenseSolver) {
  double final_cost[2];
  const LinearSolverType solvers[2] = {LinearSolverType::kSparseNormalCholesky, LinearSolverType::kDenseQr};
  for (int k = 0; k < 2; ++k) {
    PoseGraph graph = noisy_pose_graph_2d();
    Problem problem;
    add_pose_graph(&graph, &problem);
    SolverOptions options;
    options.linear_solver = solvers[k];
    options.function_tolerance = 1e-14;
    options.gradient_tolerance = 1e-14;
    options.parameter_tolerance = 1e-14;
    const Summary summary = solve(options, &problem);
    ASSERT_TRUE(summary.converged()) << summary.message;
    final_cost[k] = pose_graph_cost(graph);
  }
  EXPECT_GT(final_cost[0], 1e-3);  // inconsistent: a nonzero minimum
  EXPECT_NEAR(final_cost[0], final_cost[1], 1e-9 * final_cost[1]);
}

}  // namespace
}  // namespace curvature::internal
