// The split of an up-looking factorization's rows between threads: which
// subtrees each task gets and which rows run after them, and the sparse
// normal Cholesky solver giving the same bits on one and two threads.
#include "simplicial_row_schedule.h"

#include <gtest/gtest.h>

#include <Eigen/SparseCore>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "sparse_normal_cholesky.h"

namespace curvature::internal {
namespace {

using Ranges = std::vector<std::pair<int, int>>;

// The column patterns of a factor (diagonal first) as the planner reads them.
struct Pattern {
  std::vector<int> start, count, rows;
  explicit Pattern(const std::vector<std::vector<int>>& columns) {
    for (const auto& column : columns) {
      start.push_back(static_cast<int>(rows.size()));
      count.push_back(static_cast<int>(column.size()));
      rows.insert(rows.end(), column.begin(), column.end());
    }
  }
  RowSchedule plan(int tasks) const {
    return plan_row_schedule(static_cast<int>(start.size()), start.data(), count.data(), rows.data(), tasks);
  }
};

// Two chains of three rows (0-1-2 and 3-4-5, each filled in below) under
// the root 6: one chain per task, then the root.
TEST(SimplicialRowSchedule, GivesEachTaskOneSubtreeAndRunsTheirAncestorAfter) {
  const Pattern pattern({{0, 1, 2, 6}, {1, 2, 6}, {2, 6}, {3, 4, 5, 6}, {4, 5, 6}, {5, 6}, {6}});
  const RowSchedule schedule = pattern.plan(2);
  ASSERT_EQ(schedule.tasks.size(), 2u);
  EXPECT_EQ(schedule.tasks[0], (Ranges{{0, 3}}));
  EXPECT_EQ(schedule.tasks[1], (Ranges{{3, 6}}));
  EXPECT_EQ(schedule.after, (Ranges{{6, 7}}));
  // Row costs 1 + (m + 2) per entry m of a column: each chain 1 + 4 + 8,
  // the root 1 + 2 (5 + 4 + 3); 51 in all, 13 + 25 with two tasks.
  EXPECT_DOUBLE_EQ(schedule.estimated_speedup, 51.0 / 38.0);
}

TEST(SimplicialRowSchedule, EmptyForOneTaskAChainOrATreeNotPostordered) {
  const Pattern two_chains({{0, 1, 2, 6}, {1, 2, 6}, {2, 6}, {3, 4, 5, 6}, {4, 5, 6}, {5, 6}, {6}});
  EXPECT_TRUE(two_chains.plan(1).empty());
  // A chain has nothing to share out.
  const Pattern chain({{0, 1}, {1, 2}, {2, 3}, {3}});
  EXPECT_TRUE(chain.plan(2).empty());
  // 0 and 2 under 3, 1 under 3 too but between them: the subtree of 2 is not
  // the range just before it.
  const Pattern interleaved({{0, 2, 3}, {1, 3}, {2, 3}, {3}});
  EXPECT_TRUE(interleaved.plan(2).empty());
}

// A pose-graph-like Jacobian: two loops of `blocks` blocks of 3 columns,
// edges between neighbours and a few chords, and one edge joining the
// loops, so that the elimination tree has two large subtrees.
SparseRowMatrix two_loops(int blocks, std::mt19937* rng) {
  std::normal_distribution<double> value;
  std::vector<std::pair<int, int>> edges;
  for (int loop = 0; loop < 2; ++loop) {
    const int base = loop * blocks;
    for (int b = 0; b < blocks; ++b) edges.emplace_back(base + b, base + (b + 1) % blocks);
    for (int b = 0; b < blocks; b += 7) edges.emplace_back(base + b, base + (b + blocks / 3) % blocks);
  }
  edges.emplace_back(0, blocks);
  std::vector<Eigen::Triplet<double>> entries;
  int row = 0;
  for (auto [a, b] : edges) {
    for (int r = 0; r < 3; ++r, ++row) {
      for (int block : {a, b}) {
        for (int c = 0; c < 3; ++c) entries.emplace_back(row, 3 * block + c, value(*rng) + (block == a ? 2.0 : 0.0));
      }
    }
  }
  SparseRowMatrix j(row, 6 * blocks);
  j.setFromTriplets(entries.begin(), entries.end());
  j.makeCompressed();
  return j;
}

TEST(SimplicialRowSchedule, SparseNormalCholeskyGivesTheSameBitsOnOneAndTwoThreads) {
  std::mt19937 rng(5);
  const SparseRowMatrix j = two_loops(400, &rng);
  std::normal_distribution<double> value;
  Eigen::VectorXd r(j.rows());
  for (Eigen::Index i = 0; i < r.size(); ++i) r[i] = value(rng);
  SparseNormalCholeskySolver one(1), two(2);
  for (double damping : {1e-3, 1e-1, 0.0}) {
    const Eigen::VectorXd d = Eigen::VectorXd::Constant(j.cols(), damping);
    Eigen::VectorXd dx1, dx2;
    // Two solves at each point: the first factorization plans the split,
    // the later ones use it.
    for (int repeat = 0; repeat < 2; ++repeat) {
      ASSERT_TRUE(one.prepare(JacobianRef{.sparse = &j}, r).success);
      ASSERT_TRUE(two.prepare(JacobianRef{.sparse = &j}, r).success);
      ASSERT_TRUE(one.solve(d, &dx1).success);
      ASSERT_TRUE(two.solve(d, &dx2).success);
      ASSERT_EQ(dx1.size(), dx2.size());
      EXPECT_EQ(std::memcmp(dx1.data(), dx2.data(), sizeof(double) * static_cast<size_t>(dx1.size())), 0)
          << "damping " << damping << ", repeat " << repeat;
    }
    // The normal equations hold: (J^T J + D^2) dx = -J^T r.
    const Eigen::VectorXd residual = Eigen::VectorXd(j.transpose() * (j * dx2)) + d.cwiseProduct(d).cwiseProduct(dx2) +
                                     Eigen::VectorXd(j.transpose() * r);
    EXPECT_LT(residual.norm(), 1e-8 * Eigen::VectorXd(j.transpose() * r).norm());
  }
}

}  // namespace
}  // namespace curvature::internal
