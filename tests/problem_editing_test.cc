// Editing a Problem between solves: removing residual and parameter blocks
// (what remains, how indices move), and solving again afterwards.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <vector>

#include "curvature/problem.h"
#include "curvature/solve.h"
#include "solve_cache.h"
#include "sparse_normal_cholesky.h"
#include "test_manifolds.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::expect_error_naming;
using testing::LineResidual;
using testing::OffsetResidual;

double cost_of(const Problem& problem, Eigen::VectorXd* residuals = nullptr, Eigen::VectorXd* gradient = nullptr) {
  double cost = 0.0;
  EXPECT_TRUE(problem.evaluate(Problem::EvaluateOptions(), &cost, residuals, gradient, nullptr, nullptr));
  return cost;
}

// Lines y = a + b t through five points, each its own residual block.
void add_lines(Problem* problem, double* a, double* b, const std::vector<int>& which) {
  for (int i : which) problem->add_residual_block(std::make_shared<LineResidual>(i, 1.0 + 0.5 * i * i), nullptr, a, b);
}

TEST(ProblemEditingTest, RemovingAResidualBlockLeavesTheProblemBuiltWithoutIt) {
  double a = 0.3, b = -0.7;
  Problem edited, reference;
  add_lines(&edited, &a, &b, {0, 1, 2, 3, 4});
  add_lines(&reference, &a, &b, {0, 1, 3, 4});
  edited.remove_residual_block(2);
  EXPECT_EQ(edited.num_residual_blocks(), 4);
  EXPECT_EQ(edited.num_residuals(), 4);
  Eigen::VectorXd r1, r2, g1, g2;
  EXPECT_EQ(cost_of(edited, &r1, &g1), cost_of(reference, &r2, &g2));
  EXPECT_EQ(r1, r2);
  EXPECT_EQ(g1, g2);
  // Indices are positions: the old block 3 is now 2.
  Problem::EvaluateOptions only;
  only.residual_blocks = {2};
  Eigen::VectorXd single, expected;
  edited.evaluate(only, nullptr, &single, nullptr, nullptr, nullptr);
  reference.evaluate(only, nullptr, &expected, nullptr, nullptr, nullptr);
  EXPECT_EQ(single, expected);
  expect_error_naming([&] { edited.remove_residual_block(4); }, "residual block 4 is out of range [0, 4)");
  expect_error_naming([&] { edited.remove_residual_block(-1); }, "residual block -1");
}

TEST(ProblemEditingTest, RemovingAParameterBlockRemovesTheResidualBlocksThatUseIt) {
  double a = 0.3, b = -0.7;
  double c[2] = {1.0, 2.0}, d[3] = {0.0, 0.5, -1.0};
  Problem edited, reference;
  for (Problem* problem : {&edited, &reference}) {
    if (problem == &edited)
      problem->add_residual_block(std::make_shared<OffsetResidual>(std::vector<double>{3.0, 4.0}), nullptr, c);
    add_lines(problem, &a, &b, {0, 1});
    if (problem == &edited)
      problem->add_residual_block(std::make_shared<OffsetResidual>(std::vector<double>{1.0, 1.0}), nullptr, c);
    problem->add_residual_block(std::make_shared<OffsetResidual>(std::vector<double>{0.0, 0.0, 2.0}), nullptr, d);
    add_lines(problem, &a, &b, {2});
  }
  edited.remove_parameter_block(c);
  EXPECT_EQ(edited.num_parameter_blocks(), 3);
  EXPECT_EQ(edited.num_residual_blocks(), 4);
  EXPECT_EQ(edited.num_residuals(), 6);
  EXPECT_EQ(edited.parameter_blocks(), (std::vector<double*>{&a, &b, d}));
  Eigen::VectorXd r1, r2, g1, g2;
  EXPECT_EQ(cost_of(edited, &r1, &g1), cost_of(reference, &r2, &g2));
  EXPECT_EQ(r1, r2);
  EXPECT_EQ(g1, g2);
  // The blocks after the removed one are still found, and the removed one is gone.
  edited.set_parameter_block_constant(d);
  EXPECT_TRUE(edited.is_parameter_block_constant(d));
  expect_error_naming([&] { edited.parameter_block_size(c); }, "not part of this problem");
  expect_error_naming([&] { edited.remove_parameter_block(c); }, "not part of this problem");
  // Its memory may be added again, as a new block (the overlap index forgot it).
  edited.add_parameter_block(c, 2);
  EXPECT_EQ(edited.num_parameter_blocks(), 4);
}

TEST(ProblemEditingTest, SolvesAgainAfterEdits) {
  double a = 0.0, b = 0.0;
  Problem problem;
  add_lines(&problem, &a, &b, {0, 1, 2, 3, 4});
  // An outlier, added and then removed: the fit is that of the clean data.
  const int outlier = problem.add_residual_block(std::make_shared<LineResidual>(2.0, 100.0), nullptr, &a, &b);
  Summary summary = solve(SolverOptions(), &problem);
  EXPECT_TRUE(summary.converged()) << summary.message;
  problem.remove_residual_block(outlier);
  summary = solve(SolverOptions(), &problem);
  EXPECT_TRUE(summary.converged()) << summary.message;
  double clean_a = 0.0, clean_b = 0.0;
  Problem clean;
  add_lines(&clean, &clean_a, &clean_b, {0, 1, 2, 3, 4});
  solve(SolverOptions(), &clean);
  EXPECT_NEAR(a, clean_a, 1e-9);
  EXPECT_NEAR(b, clean_b, 1e-9);
}

TEST(ProblemEditingTest, RemovingAManifoldBlockKeepsTheOthersOnTheirManifolds) {
  testing::PoseProblem pose;
  Problem problem;
  pose.build(&problem);
  problem.remove_parameter_block(pose.q[1].data());  // its points and both relative directions go
  EXPECT_EQ(problem.num_residual_blocks(),
            (testing::PoseProblem::kBodies - 1) * testing::PoseProblem::kPoints + (testing::PoseProblem::kBodies - 3));
  EXPECT_EQ(problem.num_effective_tangent_parameters(), 3 * (testing::PoseProblem::kBodies - 1) + 3);
  const Summary summary = solve(SolverOptions(), &problem);
  EXPECT_TRUE(summary.converged()) << summary.message;
  EXPECT_LE(pose.worst_norm_error(), 1e-15);
  EXPECT_LT(cost_of(problem), 1e-20);
}

// The sparse solver's symbolic analysis, from the problem's solve cache.
int cached_analyses(const Problem& problem, const internal::LinearSolver** solver = nullptr) {
  const internal::SolveCache* cache = problem.impl().solve_cache.get();
  if (!cache || !cache->linear_solver) return -1;
  if (solver) *solver = cache->linear_solver.get();
  const auto* cholesky = dynamic_cast<const internal::SparseNormalCholeskySolver*>(cache->linear_solver.get());
  return cholesky ? cholesky->num_symbolic_analyses() : -1;
}

// A value-only change between solves keeps the sparse Cholesky's symbolic
// analysis; a structural edit starts afresh; the bits are those of a fresh
// solve either way.
TEST(ProblemEditingTest, SolvesReuseTheSymbolicAnalysisUntilTheStructureChanges) {
  testing::PoseProblem pose;
  const testing::PoseProblem start = pose;
  Problem problem;
  pose.build(&problem);
  SolverOptions options;
  options.linear_solver = LinearSolverType::kSparseNormalCholesky;
  const Summary first = solve(options, &problem);
  const internal::LinearSolver* solver = nullptr;
  EXPECT_EQ(cached_analyses(problem, &solver), 1);

  // New starting values: the same solver, no new analysis, the same result.
  pose.q = start.q;
  pose.t = start.t;
  const Summary again = solve(options, &problem);
  const internal::LinearSolver* reused = nullptr;
  EXPECT_EQ(cached_analyses(problem, &reused), 1);
  EXPECT_EQ(reused, solver);
  EXPECT_EQ(again.final_cost, first.final_cost);
  EXPECT_EQ(again.iterations, first.iterations);

  // A bound is a value change too.
  problem.set_upper_bound(pose.t.data(), 0, 100.0);
  solve(options, &problem);
  EXPECT_EQ(cached_analyses(problem, &reused), 1);
  EXPECT_EQ(reused, solver);

  // A structural edit: another solver, analysed once for the new pattern.
  problem.remove_residual_block(0);
  pose.q = start.q;
  pose.t = start.t;
  const Summary edited = solve(options, &problem);
  EXPECT_TRUE(edited.converged()) << edited.message;
  EXPECT_EQ(cached_analyses(problem), 1);

  // Another linear solver is not cached; the Cholesky one comes back afresh.
  options.linear_solver = LinearSolverType::kDenseNormalCholesky;
  solve(options, &problem);
  EXPECT_EQ(problem.impl().solve_cache, nullptr);
}

}  // namespace
}  // namespace curvature
