// The Schur solvers' row order (schur_structure.h: schur_row_order()): a
// scene whose residual blocks come grouped by point keeps its order; blocks
// added camera by camera are laid out grouped by point, stably, with those
// that read no eliminated block last; the evaluator and the structure agree
// on that layout; a camera-major solve reaches the point-major solution with
// every Schur solver, with and without a robust loss; the user still sees
// residuals, and failing blocks, in the order the blocks were added; 1 and 2
// threads give the same bits.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <vector>

#include "bal.h"
#include "bal_generator.h"
#include "bal_observation_order.h"
#include "bal_test_util.h"
#include "curvature/cost_function.h"
#include "curvature/solve.h"
#include "evaluator.h"
#include "parameter_layout.h"
#include "schur/schur_structure.h"
#include "test_util.h"

namespace curvature {
namespace {

using internal::SchurStructure;

// A tiny generated scene with its observations in `order`, and its problem.
struct OrderedScene {
  BalScene scene;
  Problem problem;
  explicit OrderedScene(BalObservationOrder order, BalLoss loss = BalLoss::kNone, int constant_cameras = 0)
      : scene(generate_bal_scene(bal_generator_options("tiny"))) {
    order_bal_observations(&scene, order);
    BalProblemOptions options;
    options.loss = loss;
    add_bal_residuals(&scene, &problem, options);
    // Two fixed cameras remove the similarity gauge freedom, so that the
    // solution is unique and two solves can be compared.
    for (int i = 0; i < constant_cameras; ++i) problem.set_parameter_block_constant(scene.camera(i));
  }
  std::vector<int> points() const { return testing::point_blocks(scene, problem); }
};

double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double difference = 0.0, size = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference = std::max(difference, std::abs(a[i] - b[i]));
    size = std::max(size, std::abs(b[i]));
  }
  return difference / size;
}

TEST(SchurRowOrder, ASceneGroupedByPointKeepsItsOrder) {
  for (BalObservationOrder order : {BalObservationOrder::kGiven, BalObservationOrder::kPoint}) {
    const OrderedScene bal(order);
    EXPECT_TRUE(internal::schur_row_order(bal.problem.impl(), bal.points()).empty()) << to_string(order);
  }
}

TEST(SchurRowOrder, CameraMajorBlocksAreGroupedByPointInTheOrderAdded) {
  OrderedScene bal(BalObservationOrder::kCamera);
  // Point 0 constant and not eliminated: its blocks read no eliminated block.
  bal.problem.set_parameter_block_constant(bal.scene.point(0));
  std::vector<int> points = bal.points();
  points.erase(points.begin());
  const std::vector<int> order = internal::schur_row_order(bal.problem.impl(), points);
  const int num_blocks = bal.scene.num_observations();
  ASSERT_EQ(order.size(), static_cast<size_t>(num_blocks));
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(static_cast<size_t>(num_blocks));
  std::iota(identity.begin(), identity.end(), 0);
  ASSERT_EQ(sorted, identity);

  // The points in the order of their first observation, point 0 last.
  std::vector<int> expected_points;
  for (const BalObservation& o : bal.scene.observations) {
    if (o.point != 0 && std::find(expected_points.begin(), expected_points.end(), o.point) == expected_points.end()) {
      expected_points.push_back(o.point);
    }
  }
  expected_points.push_back(0);
  std::vector<int> expected;
  for (int point : expected_points) {
    for (int b = 0; b < num_blocks; ++b) {
      if (bal.scene.observations[static_cast<size_t>(b)].point == point) expected.push_back(b);
    }
  }
  EXPECT_EQ(order, expected);
}

// The evaluator given the row order and the structure built with it
// describe the same Jacobian: each structure row holds the residuals and
// Jacobian entries of the residual block the order puts there.
TEST(SchurRowOrder, EvaluatorAndStructureAgreeOnThePermutedRows) {
  const OrderedScene bal(BalObservationOrder::kCamera);
  const std::vector<int> points = bal.points();
  const std::vector<int> order = internal::schur_row_order(bal.problem.impl(), points);
  ASSERT_FALSE(order.empty());
  internal::Evaluator evaluator(bal.problem, {.num_threads = 2, .sparse = true, .row_order = order});
  const SchurStructure s = internal::build_schur_structure(bal.problem.impl(), evaluator.layout(), points, order);
  SparseRowMatrix sparse = evaluator.make_sparse_jacobian();
  Eigen::VectorXd residuals;
  double cost = 0.0;
  ASSERT_TRUE(
      evaluator.evaluate(evaluator.gather_parameters(), &cost, {.residuals = &residuals, .sparse_jacobian = &sparse})
          .ok);
  ASSERT_TRUE(internal::matches_pattern(s, sparse));

  Eigen::VectorXd user_residuals;
  Eigen::MatrixXd user_jacobian;
  double user_cost = 0.0;
  ASSERT_TRUE(bal.problem.evaluate({}, &user_cost, &user_residuals, nullptr, &user_jacobian, nullptr));
  EXPECT_NEAR(cost, user_cost, 1e-12 * user_cost);
  ASSERT_EQ(s.residual_blocks.size(), order.size());
  for (size_t position = 0; position < order.size(); ++position) {
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[position];
    const int user_row = 2 * order[position];  // two residuals per observation
    ASSERT_EQ(rb.num_rows, 2);
    ASSERT_GE(rb.e_block, 0);
    EXPECT_EQ(s.e_blocks[rb.e_block].parameter_block,
              bal.problem.impl().block_index.at(bal.scene.point(bal.scene.observations[order[position]].point)));
    for (int i = 0; i < rb.num_rows; ++i) {
      EXPECT_EQ(residuals[rb.row + i], user_residuals[user_row + i]);
      const SchurStructure::Block& point = s.e_blocks[rb.e_block];
      for (int c = 0; c < point.size; ++c) {
        EXPECT_EQ(sparse.valuePtr()[rb.e_value_offset + i * rb.row_stride + c],
                  user_jacobian(user_row + i, point.column + c));
      }
      for (int k = rb.f_cell_begin; k < rb.f_cell_end; ++k) {
        const SchurStructure::Block& camera = s.f_blocks[s.f_cells[k].block];
        for (int c = 0; c < camera.size; ++c) {
          EXPECT_EQ(sparse.valuePtr()[s.f_cells[k].value_offset + i * rb.row_stride + c],
                    user_jacobian(user_row + i, camera.column + c));
        }
      }
    }
  }
  // Chunks list their rows forward: the permuted J is read in order.
  int previous_row = -1;
  for (int b : s.chunk_residual_blocks) {
    EXPECT_GT(s.residual_blocks[b].row, previous_row);
    previous_row = s.residual_blocks[b].row;
  }
}

TEST(SchurRowOrder, RowOrderThatIsNotAPermutationIsAnError) {
  const OrderedScene bal(BalObservationOrder::kCamera);
  const internal::ParameterLayout layout(bal.problem.impl());
  std::vector<int> order = internal::schur_row_order(bal.problem.impl(), bal.points());
  order[1] = order[0];
  testing::expect_error_naming(
      [&] { internal::build_schur_structure(bal.problem.impl(), layout, bal.points(), order); }, "not a permutation");
  order.pop_back();
  testing::expect_error_naming(
      [&] { internal::build_schur_structure(bal.problem.impl(), layout, bal.points(), order); }, "row order lists");
}

struct Solved {
  Summary summary;
  std::vector<double> cameras, points;
};

Solved solve_scene(BalObservationOrder order, LinearSolverType linear_solver, BalLoss loss, int threads,
                   int max_iterations = 200) {
  OrderedScene bal(order, loss, 2);
  SolverOptions options;
  options.linear_solver = linear_solver;
  options.num_threads = threads;
  options.max_iterations = max_iterations;
  options.function_tolerance = 1e-15;
  options.gradient_tolerance = 1e-14;
  options.parameter_tolerance = 1e-14;
  options.cg_relative_tolerance = 1e-12;
  Solved solved{solve(options, &bal.problem), bal.scene.cameras, bal.scene.points};
  return solved;
}

// The same LM steps, eight of them (the Huber runs reject their first
// few), agree to rounding (~1e-14 measured). Converged solves agree in cost
// to rounding; their parameters only as well as the function tolerance pins
// them down along the scene's weakest directions (~1e-8 measured, the same
// spread any change in the last bits gives).
TEST(SchurRowOrder, CameraMajorSolveReachesThePointMajorSolutionWithEverySchurSolver) {
  for (LinearSolverType type :
       {LinearSolverType::kDenseSchur, LinearSolverType::kSparseSchur, LinearSolverType::kIterativeSchur}) {
    for (BalLoss loss : {BalLoss::kNone, BalLoss::kHuber}) {
      SCOPED_TRACE(std::string(to_string(type)) + ", loss " + to_string(loss));
      const Solved steps_by_point = solve_scene(BalObservationOrder::kPoint, type, loss, 1, 8);
      const Solved steps_by_camera = solve_scene(BalObservationOrder::kCamera, type, loss, 1, 8);
      EXPECT_EQ(steps_by_camera.summary.linear_solver, to_string(type));
      EXPECT_LT(steps_by_point.summary.final_cost, 0.5 * steps_by_point.summary.initial_cost);
      EXPECT_EQ(steps_by_camera.summary.iterations, steps_by_point.summary.iterations);
      EXPECT_NEAR(steps_by_camera.summary.final_cost, steps_by_point.summary.final_cost,
                  1e-10 * steps_by_point.summary.final_cost);
      EXPECT_LT(max_relative_difference(steps_by_camera.cameras, steps_by_point.cameras), 1e-10);
      EXPECT_LT(max_relative_difference(steps_by_camera.points, steps_by_point.points), 1e-10);

      const Solved by_point = solve_scene(BalObservationOrder::kPoint, type, loss, 1);
      const Solved by_camera = solve_scene(BalObservationOrder::kCamera, type, loss, 1);
      EXPECT_TRUE(by_camera.summary.converged()) << by_camera.summary.message;
      EXPECT_NEAR(by_camera.summary.final_cost, by_point.summary.final_cost, 1e-10 * by_point.summary.final_cost);
      EXPECT_LT(max_relative_difference(by_camera.cameras, by_point.cameras), 1e-6);
      EXPECT_LT(max_relative_difference(by_camera.points, by_point.points), 1e-6);
    }
  }
}

// The solve lays J out point by point internally; what the user reads
// afterwards (Problem::evaluate's residuals) is in the order the blocks were
// added, and the Summary's cost is theirs.
TEST(SchurRowOrder, ResidualsReachTheUserInTheOrderAdded) {
  OrderedScene bal(BalObservationOrder::kCamera, BalLoss::kNone, 2);
  SolverOptions options;
  options.linear_solver = LinearSolverType::kSparseSchur;
  options.max_iterations = 5;
  const Summary summary = solve(options, &bal.problem);
  Eigen::VectorXd residuals;
  double cost = 0.0;
  ASSERT_TRUE(bal.problem.evaluate({}, &cost, &residuals, nullptr, nullptr, nullptr));
  EXPECT_NEAR(summary.final_cost, cost, 1e-12 * cost);
  for (int k = 0; k < bal.scene.num_observations(); ++k) {
    const BalObservation& o = bal.scene.observations[static_cast<size_t>(k)];
    const auto cost_function = make_bal_reprojection_cost(o.x, o.y);
    const double* parameters[] = {bal.scene.camera(o.camera), bal.scene.point(o.point)};
    double expected[2];
    ASSERT_TRUE(cost_function->evaluate(parameters, expected, nullptr));
    EXPECT_EQ(residuals[2 * k], expected[0]) << "observation " << k;
    EXPECT_EQ(residuals[2 * k + 1], expected[1]) << "observation " << k;
  }
}

// A residual that fails (returns false) when its flag is set.
class FailingResidual final : public SizedCostFunction<1, 1> {
 public:
  explicit FailingResidual(bool fails) : fails_(fails) {}
  bool evaluate(const double* const* parameters, double* residuals, double** jacobians) const override {
    if (fails_) return false;
    residuals[0] = parameters[0][0];
    if (jacobians && jacobians[0]) jacobians[0][0] = 1.0;
    return true;
  }

 private:
  bool fails_;
};

// The blocks are evaluated in the order added whatever order their rows are
// laid out in: the failing block named is the first one added, for any
// thread count.
TEST(SchurRowOrder, AFailureNamesTheFirstFailingBlockAdded) {
  double x[6] = {1, 2, 3, 4, 5, 6};
  Problem problem;
  for (int b = 0; b < 6; ++b) {
    problem.add_residual_block(std::make_shared<FailingResidual>(b == 2 || b == 4), nullptr, {x + b});
  }
  for (int threads : {1, 2}) {
    internal::Evaluator evaluator(problem, {.num_threads = threads, .row_order = {5, 4, 3, 2, 1, 0}});
    Eigen::VectorXd residuals;
    double cost = 0.0;
    const internal::EvaluationStatus status =
        evaluator.evaluate(evaluator.gather_parameters(), &cost, {.residuals = &residuals});
    EXPECT_FALSE(status.ok);
    EXPECT_EQ(status.failed_block, 2) << threads << " threads";
    EXPECT_NE(status.message.find("residual block 2"), std::string::npos) << status.message;
  }
  // Without failures, each block's residual sits where the order put it.
  Problem fine;
  for (int b = 0; b < 6; ++b) fine.add_residual_block(std::make_shared<FailingResidual>(false), nullptr, {x + b});
  internal::Evaluator evaluator(fine, {.row_order = {5, 4, 3, 2, 1, 0}});
  Eigen::VectorXd residuals;
  double cost = 0.0;
  ASSERT_TRUE(evaluator.evaluate(evaluator.gather_parameters(), &cost, {.residuals = &residuals}).ok);
  EXPECT_EQ(residuals, (Eigen::VectorXd(6) << 6, 5, 4, 3, 2, 1).finished());
  testing::expect_error_naming(
      [&] {
        internal::Evaluator(fine, {.row_order = {0, 1, 2, 3, 4, 4}});
      },
      "not a permutation");
}

TEST(SchurRowOrderThreads, CameraMajorSolveIsBitIdenticalForOneAndTwoThreads) {
  for (LinearSolverType type : {LinearSolverType::kSparseSchur, LinearSolverType::kIterativeSchur}) {
    SCOPED_TRACE(to_string(type));
    const Solved one = solve_scene(BalObservationOrder::kCamera, type, BalLoss::kCauchy, 1);
    const Solved two = solve_scene(BalObservationOrder::kCamera, type, BalLoss::kCauchy, 2);
    EXPECT_EQ(one.summary.final_cost, two.summary.final_cost);
    EXPECT_EQ(one.summary.iterations, two.summary.iterations);
    EXPECT_EQ(one.summary.linear_solver_iterations, two.summary.linear_solver_iterations);
    EXPECT_EQ(one.cameras, two.cameras);
    EXPECT_EQ(one.points, two.points);
  }
}

// The sparse gradient and column norms come from one pass over J's values,
// the threads taking ranges of columns: each column sums in J's row order
// whatever the thread count, so the bits agree on 1, 2 and 3 threads, and the
// values are J^T r (bit for bit Eigen's product) and |J_col|^2 of the
// Jacobian returned.
TEST(SchurRowOrderThreads, SparseGradientAndColumnNormsAreJTransposeRForAnyThreadCount) {
  const OrderedScene bal(BalObservationOrder::kCamera, BalLoss::kCauchy);
  const std::vector<int> order = internal::schur_row_order(bal.problem.impl(), bal.points());
  ASSERT_FALSE(order.empty());
  std::vector<Eigen::VectorXd> gradients, norms;
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(threads);
    internal::Evaluator evaluator(bal.problem, {.num_threads = threads, .sparse = true, .row_order = order});
    SparseRowMatrix sparse = evaluator.make_sparse_jacobian();
    Eigen::VectorXd residuals, gradient, column_norms;
    double cost = 0.0;
    ASSERT_TRUE(evaluator
                    .evaluate(evaluator.gather_parameters(), &cost,
                              {.residuals = &residuals,
                               .gradient = &gradient,
                               .sparse_jacobian = &sparse,
                               .column_squared_norms = &column_norms})
                    .ok);
    const Eigen::VectorXd expected_gradient = sparse.transpose() * residuals;
    Eigen::VectorXd expected_norms = Eigen::VectorXd::Zero(sparse.cols());
    for (int r = 0; r < sparse.outerSize(); ++r) {
      for (SparseRowMatrix::InnerIterator it(sparse, r); it; ++it) expected_norms[it.col()] += it.value() * it.value();
    }
    // The same bits as Eigen's product (JacobianRef::gradient promises a
    // solver exactly that): both sum each column in row order.
    EXPECT_EQ(gradient, expected_gradient);
    EXPECT_EQ(column_norms, expected_norms);
    EXPECT_GT(expected_norms.minCoeff(), 0.0);  // every column is read by some residual
    gradients.push_back(gradient);
    norms.push_back(column_norms);
  }
  for (size_t k = 1; k < gradients.size(); ++k) {
    EXPECT_EQ(gradients[k], gradients[0]);
    EXPECT_EQ(norms[k], norms[0]);
  }
}

}  // namespace
}  // namespace curvature
