// The bad-input catalogue (tests/bad_input_catalogue.md): classes of misuse
// that no other test program covers, one test per class, each asserting the
// curvature::Error names the item (the option's field, the block, the
// object) and that the caller's data are left alone. The classes that other
// programs already cover are listed in the catalogue with their tests.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "csv_dataset.h"
#include "curvature/first_order.h"
#include "curvature/learning_rate_schedule.h"
#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/problem.h"
#include "curvature/solve.h"
#include "curvature/train.h"
#include "test_manifolds.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::expect_error_naming;
using testing::RosenbrockResidual;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// An enumerator no enum of the library has: what a cast from an unchecked
// integer (a config file, a command line, memory corruption) produces.
template <typename Enum>
Enum out_of_range() {
  return static_cast<Enum>(77);
}

// Rosenbrock as a one-block problem over x.
struct RosenbrockProblem {
  RosenbrockProblem() { problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x); }
  double x[2] = {-1.2, 1.0};
  Problem problem;
  bool untouched() const { return x[0] == -1.2 && x[1] == 1.0; }
};

TEST(BadInputCatalogue, OutOfRangeSolverEnumsAreErrorsNamingTheField) {
  // The case: an out-of-range Method used to run nothing and report
  // max-iterations with an empty message.
  RosenbrockProblem p;
  SolverOptions options;
  options.method = out_of_range<Method>();
  expect_error_naming([&] { solve(options, &p.problem); },
                      "SolverOptions::method must be a Method with a row in kMethods, got 77");
  options = {};
  options.linear_solver = out_of_range<LinearSolverType>();
  expect_error_naming([&] { solve(options, &p.problem); }, "SolverOptions::linear_solver");
  options = {};
  options.damping = out_of_range<Damping>();
  expect_error_naming([&] { solve(options, &p.problem); },
                      "SolverOptions::damping must be Damping::kMarquardt or Damping::kLevenberg, got 77");
  options = {};
  options.method = static_cast<Method>(-1);
  expect_error_naming([&] { solve(options, &p.problem); }, "SolverOptions::method");
  EXPECT_TRUE(p.untouched());
}

TEST(BadInputCatalogue, OutOfRangeMinimizeEnumsAreErrorsNamingTheField) {
  RosenbrockProblem p;
  MinimizeOptions options;
  options.method = out_of_range<MinimizerMethod>();
  expect_error_naming([&] { minimize(options, &p.problem); }, "MinimizeOptions::method");
  options = {};
  options.line_search = out_of_range<LineSearchType>();
  expect_error_naming([&] { minimize(options, &p.problem); }, "MinimizeOptions::line_search");
  options = {};
  options.cg_variant = out_of_range<NonlinearCgVariant>();
  expect_error_naming([&] { minimize(options, &p.problem); },
                      "MinimizeOptions::cg_variant must be a NonlinearCgVariant, got 77");
  options = {};
  options.newton_modification = out_of_range<NewtonModification>();
  expect_error_naming([&] { minimize(options, &p.problem); },
                      "MinimizeOptions::newton_modification must be a NewtonModification, got 77");
  expect_error_naming(
      [&] { minimize(MinimizeOptions(), &p.problem, out_of_range<HessianModel>()); },
      "LeastSquaresObjectiveOptions::hessian_model must be HessianModel::kGaussNewton or kExact, got 77");
  EXPECT_TRUE(p.untouched());
}

TEST(BadInputCatalogue, OutOfRangeTrainEnumsAreErrorsNamingTheField) {
  RosenbrockProblem p;
  TrainOptions options;
  options.rule.type = out_of_range<UpdateRuleType>();
  expect_error_naming([&] { train(options, &p.problem); }, "77");
  options = {};
  options.schedule.type = out_of_range<ScheduleType>();
  expect_error_naming([&] { train(options, &p.problem); }, "77");
  options = {};
  options.schedule_unit = out_of_range<ScheduleUnit>();
  expect_error_naming([&] { train(options, &p.problem); },
                      "TrainOptions::schedule_unit must be ScheduleUnit::kEpoch or ScheduleUnit::kStep, got 77");
  EXPECT_TRUE(p.untouched());
}

TEST(BadInputCatalogue, NonFiniteOptionValuesAreErrorsNamingTheField) {
  RosenbrockProblem p;
  const auto solver_error = [&](auto set, const std::string& field) {
    SolverOptions options;
    set(options);
    expect_error_naming([&] { solve(options, &p.problem); }, "SolverOptions::" + field);
  };
  solver_error([](SolverOptions& o) { o.function_tolerance = kNaN; }, "function_tolerance");
  solver_error([](SolverOptions& o) { o.gradient_tolerance = kNaN; }, "gradient_tolerance");
  solver_error([](SolverOptions& o) { o.parameter_tolerance = kNaN; }, "parameter_tolerance");
  solver_error([](SolverOptions& o) { o.max_time_seconds = kNaN; }, "max_time_seconds");
  solver_error([](SolverOptions& o) { o.initial_damping = kInf; }, "initial_damping");
  solver_error([](SolverOptions& o) { o.initial_trust_region_radius = kNaN; }, "initial_trust_region_radius");
  solver_error([](SolverOptions& o) { o.min_relative_decrease = kNaN; }, "min_relative_decrease");
  solver_error([](SolverOptions& o) { o.cg_relative_tolerance = kNaN; }, "cg_relative_tolerance");
  solver_error([](SolverOptions& o) { o.max_memory_bytes = kNaN; }, "max_memory_bytes");

  const auto minimize_error = [&](auto set, const std::string& field) {
    MinimizeOptions options;
    set(options);
    expect_error_naming([&] { minimize(options, &p.problem); }, "MinimizeOptions::" + field);
  };
  minimize_error([](MinimizeOptions& o) { o.function_tolerance = kNaN; }, "function_tolerance");
  minimize_error([](MinimizeOptions& o) { o.gradient_tolerance = kNaN; }, "gradient_tolerance");
  minimize_error([](MinimizeOptions& o) { o.sufficient_decrease = kNaN; }, "sufficient_decrease");
  minimize_error([](MinimizeOptions& o) { o.initial_trust_region_radius = kInf; }, "initial_trust_region_radius");

  TrainOptions options;
  options.schedule.initial_learning_rate = kNaN;
  expect_error_naming([&] { train(options, &p.problem); }, "initial_learning_rate");
  options = {};
  options.clip_gradient_norm = kInf;
  expect_error_naming([&] { train(options, &p.problem); }, "TrainOptions::clip_gradient_norm");
  EXPECT_TRUE(p.untouched());
}

TEST(BadInputCatalogue, NullParameterBlocksInAResidualBlockAreErrors) {
  Problem problem;
  double* missing = nullptr;
  expect_error_naming([&] { problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, missing); },
                      "null");
  expect_error_naming(
      [&] {
        problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, std::vector<double*>{nullptr});
      },
      "null");
  EXPECT_EQ(problem.num_residual_blocks(), 0);
}

TEST(BadInputCatalogue, EvaluatingResidualBlocksOutOfRangeIsAnErrorNamingTheIndex) {
  RosenbrockProblem p;
  Problem::EvaluateOptions options;
  double cost = 0.0;
  options.residual_blocks = {3};
  expect_error_naming([&] { p.problem.evaluate(options, &cost, nullptr, nullptr, nullptr, nullptr); }, "3");
  options.residual_blocks = {-1};
  expect_error_naming([&] { p.problem.evaluate(options, &cost, nullptr, nullptr, nullptr, nullptr); }, "-1");
}

TEST(BadInputCatalogue, AMovedFromProblemIsAnErrorInEveryEntryPoint) {
  RosenbrockProblem p;
  Problem taken = std::move(p.problem);
  expect_error_naming([&] { solve(SolverOptions(), &p.problem); }, "has been moved from");
  expect_error_naming([&] { minimize(MinimizeOptions(), &p.problem); }, "has been moved from");
  expect_error_naming([&] { train(TrainOptions(), &p.problem); }, "has been moved from");
  expect_error_naming([&] { LeastSquaresObjective objective(p.problem); }, "has been moved from");
  EXPECT_TRUE(p.untouched());
  // The problem it moved to still solves.
  EXPECT_TRUE(solve(SolverOptions(), &taken).converged());
}

TEST(BadInputCatalogue, ThreadCountsAboveTheCapAreErrorsInEveryOptionsStruct) {
  RosenbrockProblem p;
  const std::string cap = "num_threads must be in [1, 1024], got 100000";
  SolverOptions solver;
  solver.num_threads = 100000;
  expect_error_naming([&] { solve(solver, &p.problem); }, "SolverOptions::" + cap);
  TrainOptions training;
  training.num_threads = 100000;
  expect_error_naming([&] { train(training, &p.problem); }, "TrainOptions::" + cap);
  LeastSquaresObjectiveOptions objective;
  objective.num_threads = 100000;
  expect_error_naming([&] { LeastSquaresObjective o(p.problem, objective); }, cap);
  Problem::EvaluateOptions evaluation;
  evaluation.num_threads = -3;
  double cost = 0.0;
  expect_error_naming([&] { p.problem.evaluate(evaluation, &cost, nullptr, nullptr, nullptr, nullptr); },
                      "num_threads must be in [1, 1024], got -3");
  EXPECT_TRUE(p.untouched());
}

TEST(BadInputCatalogue, BoundsAtANegativeIndexOrOnAnUnknownBlockAreErrors) {
  RosenbrockProblem p;
  expect_error_naming([&] { p.problem.set_lower_bound(p.x, -1, 0.0); }, "index -1");
  double other = 0.0;
  expect_error_naming([&] { p.problem.set_upper_bound(&other, 0, 1.0); }, "not part of this problem");
}

// Rosenbrock's block under a manifold (x0 held by a subset manifold) with
// the options that cannot work on one: each refused, x untouched.
TEST(BadInputCatalogue, ManifoldsWithOptionsThatCannotUseThemAreErrors) {
  RosenbrockProblem p;
  p.problem.set_manifold(p.x, std::make_shared<testing::TestSubsetManifold>(2, std::vector<int>{0}));
  TrainOptions train_options;
  train_options.l1 = 0.01;
  expect_error_naming([&] { train(train_options, &p.problem); }, "TrainOptions::l1");
  train_options.l1 = 0.0;
  train_options.rule.type = UpdateRuleType::kAdamW;
  expect_error_naming([&] { train(train_options, &p.problem); }, "adamw.weight_decay");
  MinimizeOptions minimize_options;
  minimize_options.method = MinimizerMethod::kNewton;
  expect_error_naming([&] { minimize(minimize_options, &p.problem, HessianModel::kExact); }, "kExact");
  EXPECT_TRUE(p.untouched());
}

// The message of the Error reading `text` as a CSV file throws.
std::string csv_error(const std::string& text) {
  std::istringstream in(text);
  return testing::error_message([&] { read_csv_dataset(in, "cells.csv"); });
}

TEST(BadInputCatalogue, CsvCellsOutOfRangeOrInfiniteAreErrorsNamingTheCell) {
  EXPECT_NE(csv_error("a,b\n1,2\n3,1e400\n").find("cells.csv, line 3, column 2 (\"b\"): \"1e400\" is out of range"),
            std::string::npos)
      << csv_error("a,b\n1,2\n3,1e400\n");
  EXPECT_NE(csv_error("a,b\n-inf,2\n").find("line 2, column 1 (\"a\"): \"-inf\" is not finite"), std::string::npos);
  EXPECT_NE(csv_error("a,b\n1,+\n").find("line 2, column 2 (\"b\"): \"+\" is not a number"), std::string::npos);
  EXPECT_NE(csv_error("a,b\n1,0x10\n").find("\"0x10\" is not a number"), std::string::npos);
}

}  // namespace
}  // namespace curvature
