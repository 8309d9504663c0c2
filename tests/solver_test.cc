// The least-squares solvers on problems with known minima: Rosenbrock,
// Powell's singular function, linear regression, bounds active at the
// solution, robust fitting; thread-count independence; termination,
// callbacks and the errors for bad input.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "curvature/solve.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::ExponentialResidual;
using testing::LineResidual;
using testing::PowellSingularResidual;
using testing::RosenbrockResidual;

using testing::every_linear_solver;
using testing::every_method;

class SolverMethod : public ::testing::TestWithParam<Method> {};

TEST_P(SolverMethod, SolvesRosenbrock) {
  double x[2] = {-1.2, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  SolverOptions options;
  options.method = GetParam();
  Summary summary = solve(options, &problem);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  EXPECT_NEAR(x[0], 1.0, 1e-10);
  EXPECT_NEAR(x[1], 1.0, 1e-10);
  EXPECT_LT(summary.final_cost, 1e-24);
  EXPECT_EQ(summary.trace.size(), static_cast<size_t>(summary.iterations + 1));
}

TEST_P(SolverMethod, SolvesPowellSingularFunction) {
  double x[4] = {3.0, -1.0, 0.0, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<PowellSingularResidual>(), nullptr, x);
  SolverOptions options;
  options.method = GetParam();
  options.max_iterations = 500;
  Summary summary = solve(options, &problem);
  EXPECT_LT(summary.final_cost, 1e-18) << summary.full_report();
  for (double v : x) EXPECT_NEAR(v, 0.0, 1e-4);
}

TEST_P(SolverMethod, FitsExponentialDecay) {
  std::vector<double> t, y;
  for (int i = 0; i < 30; ++i) {
    t.push_back(0.1 * i);
    y.push_back(3.0 * std::exp(-1.7 * 0.1 * i));
  }
  double p[2] = {1.0, 0.5};
  Problem problem;
  for (size_t i = 0; i < t.size(); ++i)
    problem.add_residual_block(std::make_shared<ExponentialResidual>(t[i], y[i]), nullptr, p);
  SolverOptions options;
  options.method = GetParam();
  Summary summary = solve(options, &problem);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  EXPECT_NEAR(p[0], 3.0, 1e-11);
  EXPECT_NEAR(p[1], 1.7, 1e-11);
}

INSTANTIATE_TEST_SUITE_P(AllMethods, SolverMethod, ::testing::ValuesIn(every_method()));

// Noisy line data; the least-squares line in closed form.
struct LineData {
  std::vector<double> t, y;
  double slope = 0.0, intercept = 0.0;
  LineData() {
    std::mt19937 generator(7);
    std::normal_distribution<double> noise(0.0, 0.3);
    for (int i = 0; i < 50; ++i) {
      t.push_back(0.2 * i);
      y.push_back(1.5 - 0.8 * t.back() + noise(generator));
    }
    const double n = t.size();
    double st = 0, sy = 0, stt = 0, sty = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      st += t[i];
      sy += y[i];
      stt += t[i] * t[i];
      sty += t[i] * y[i];
    }
    slope = (n * sty - st * sy) / (n * stt - st * st);
    intercept = (sy - slope * st) / n;
  }
  void add_to(Problem* problem, double* a, double* b) const {
    for (size_t i = 0; i < t.size(); ++i)
      problem->add_residual_block(std::make_shared<LineResidual>(t[i], y[i]), nullptr, a, b);
  }
};

// solve() reserves the trace for up to 4096 iterations at once instead of
// growing it record by record; the Summary it returns keeps no more than
// twice the records it holds, however large max_iterations is.
TEST(SolverTrace, KeepsAtMostTwiceItsRecords) {
  for (int max_iterations : {0, 5, 200, 10000, 1000000}) {
    LineData data;
    double a = 10.0, b = -3.0;
    Problem problem;
    data.add_to(&problem, &a, &b);
    SolverOptions options;
    options.max_iterations = max_iterations;
    const Summary summary = solve(options, &problem);
    ASSERT_EQ(summary.trace.size(), static_cast<size_t>(summary.iterations) + 1) << max_iterations;
    EXPECT_LE(summary.trace.capacity(), 2 * summary.trace.size()) << max_iterations;
    if (max_iterations > 0) EXPECT_NEAR(a, data.intercept, 1e-6) << max_iterations;
  }
}

TEST(SolverGaussNewton, SolvesLinearLeastSquaresInOneStep) {
  LineData data;
  double a = 10.0, b = -3.0;
  Problem problem;
  data.add_to(&problem, &a, &b);
  SolverOptions options;
  options.method = Method::kGaussNewton;
  Summary summary = solve(options, &problem);
  EXPECT_NEAR(a, data.intercept, 1e-12);
  EXPECT_NEAR(b, data.slope, 1e-12);
  ASSERT_GE(summary.trace.size(), 2u);
  EXPECT_TRUE(summary.trace[1].accepted);
  EXPECT_EQ(summary.trace[1].step_length, 1.0);
  EXPECT_NEAR(summary.trace[1].cost, summary.final_cost, 1e-12 * summary.final_cost)
      << "the first step already reaches the minimum";
}

TEST(SolverLinearSolverChoice, EveryLinearSolverGivesTheSameFit) {
  LineData data;
  for (LinearSolverType type : every_linear_solver()) {
    double a = 0.0, b = 0.0;
    Problem problem;
    data.add_to(&problem, &a, &b);
    SolverOptions options;
    options.linear_solver = type;
    Summary summary = solve(options, &problem);
    EXPECT_TRUE(summary.converged()) << to_string(type) << "\n" << summary.full_report();
    EXPECT_NEAR(a, data.intercept, 1e-9) << to_string(type);
    EXPECT_NEAR(b, data.slope, 1e-9) << to_string(type);
  }
}

// Extended Rosenbrock with 300 parameters: a dense Jacobian wide enough for
// the mixed-precision normal equations. With and without them LM reaches
// the minimum to the same accuracy; the float factor only preconditions.
TEST(SolverLinearSolverChoice, MixedPrecisionNormalEquationsReachTheSameMinimum) {
  constexpr int kPairs = 150;
  for (const bool mixed : {true, false}) {
    std::vector<std::array<double, 2>> x(kPairs, {-1.2, 1.0});
    Problem problem;
    for (auto& pair : x) problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, pair.data());
    SolverOptions options;
    options.linear_solver = LinearSolverType::kDenseNormalCholesky;
    options.mixed_precision = mixed;
    Summary summary = solve(options, &problem);
    EXPECT_TRUE(summary.converged()) << "mixed " << mixed << "\n" << summary.full_report();
    EXPECT_LT(summary.final_cost, 1e-20) << "mixed " << mixed;
    for (const auto& pair : x) {
      EXPECT_NEAR(pair[0], 1.0, 1e-10) << "mixed " << mixed;
      EXPECT_NEAR(pair[1], 1.0, 1e-10) << "mixed " << mixed;
    }
  }
}

// The Summary names the dense kernels when dense normal Cholesky ran on more
// than one 256-column tile, and only then.
TEST(SolverLinearSolverChoice, SummaryNamesTheDenseKernelsOfAMultiTileSolve) {
  std::vector<std::array<double, 2>> x(150, {-1.2, 1.0});
  Problem wide;
  for (auto& pair : x) wide.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, pair.data());
  SolverOptions options;
  options.linear_solver = LinearSolverType::kDenseNormalCholesky;
  options.max_iterations = 2;
  const Summary summary = solve(options, &wide);
  EXPECT_NE(summary.dense_kernel.find("256-column tiles"), std::string::npos) << summary.dense_kernel;
  EXPECT_NE(summary.full_report().find("dense kernels                " + summary.dense_kernel), std::string::npos)
      << summary.full_report();

  LineData data;
  double a = 0.0, b = 0.0;
  Problem narrow;
  data.add_to(&narrow, &a, &b);
  const Summary narrow_summary = solve(options, &narrow);
  EXPECT_EQ(narrow_summary.dense_kernel, "");
  EXPECT_EQ(narrow_summary.full_report().find("dense kernels"), std::string::npos);
}

TEST(SolverBounds, ActiveBoundsHoldAtTheSolution) {
  for (Method method : every_method()) {
    // Unconstrained minimum at (1, 1); the box x0 <= 0.5 makes the minimum
    // (0.5, 0.25) with the bound active.
    double x[2] = {-1.2, 1.0};
    Problem problem;
    problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
    problem.set_upper_bound(x, 0, 0.5);
    SolverOptions options;
    options.method = method;
    Summary summary = solve(options, &problem);
    EXPECT_TRUE(summary.converged()) << to_string(method) << "\n" << summary.full_report();
    EXPECT_EQ(x[0], 0.5) << to_string(method);
    EXPECT_NEAR(x[1], 0.25, 1e-10) << to_string(method);
    for (const IterationRecord& record : summary.trace) EXPECT_LE(record.cost, summary.initial_cost);
  }
}

TEST(SolverBounds, StartingPointOutsideTheBoxIsProjected) {
  double x[2] = {3.0, 3.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  problem.set_lower_bound(x, 1, 2.0);
  SolverOptions options;
  solve(options, &problem);
  EXPECT_GE(x[1], 2.0);
  // Minimum of (10 (x1 - x0^2))^2 + (1 - x0)^2 with x1 >= 2: x1 = 2 active.
  EXPECT_EQ(x[1], 2.0);
}

TEST(SolverRobust, CauchyLossIgnoresOutliers) {
  LineData data;
  std::vector<double> y = data.y;
  y[10] += 30.0;
  y[31] -= 25.0;
  double a = 0.0, b = 0.0;
  Problem problem;
  for (size_t i = 0; i < y.size(); ++i) {
    problem.add_residual_block(std::make_shared<LineResidual>(data.t[i], y[i]), std::make_shared<CauchyLoss>(0.5), &a,
                               &b);
  }
  Summary summary = solve(SolverOptions{}, &problem);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  EXPECT_NEAR(a, data.intercept, 0.1);
  EXPECT_NEAR(b, data.slope, 0.02);
}

TEST(SolverThreads, OneAndTwoThreadsGiveBitIdenticalSolves) {
  auto run = [](int threads, std::vector<double>* p) {
    p->assign(200, 1.0);
    Problem problem;
    for (int i = 0; i < 100; ++i) {
      for (int k = 0; k < 8; ++k) {
        const double t = 0.3 * k;
        problem.add_residual_block(std::make_shared<ExponentialResidual>(t, (2.0 + 0.01 * i) * std::exp(-0.5 * t)),
                                   std::make_shared<SoftLOneLoss>(1.0), &(*p)[2 * i]);
      }
    }
    SolverOptions options;
    options.num_threads = threads;
    return solve(options, &problem);
  };
  std::vector<double> p1, p2;
  Summary s1 = run(1, &p1), s2 = run(2, &p2);
  EXPECT_EQ(p1, p2);
  EXPECT_EQ(s1.final_cost, s2.final_cost);
  EXPECT_EQ(s1.iterations, s2.iterations);
  EXPECT_TRUE(s1.converged()) << s1.full_report();
}

class DomainResidual final : public SizedCostFunction<1, 1> {
 public:
  // r = log(x) - 1, defined only for x > 0; minimum at x = e.
  bool evaluate(double const* const* p, double* r, double** j) const override {
    if (p[0][0] <= 0.0) return false;
    r[0] = std::log(p[0][0]) - 1.0;
    if (j && j[0]) j[0][0] = 1.0 / p[0][0];
    return true;
  }
};

TEST(SolverRobustness, PointsOutsideTheDomainAreRejectedSteps) {
  for (Method method : every_method()) {
    double x = 0.05;  // the Gauss-Newton step from here lands at x < 0
    Problem problem;
    problem.add_residual_block(std::make_shared<DomainResidual>(), nullptr, &x);
    SolverOptions options;
    options.method = method;
    Summary summary = solve(options, &problem);
    EXPECT_TRUE(summary.converged()) << to_string(method) << "\n" << summary.full_report();
    EXPECT_NEAR(x, std::exp(1.0), 1e-10) << to_string(method);
  }
}

TEST(SolverRobustness, NonFiniteStartIsReportedNotThrown) {
  double x = -1.0;
  Problem problem;
  problem.add_residual_block(std::make_shared<DomainResidual>(), nullptr, &x);
  Summary summary = solve(SolverOptions{}, &problem);
  EXPECT_EQ(summary.termination, TerminationType::kInvalidStartingPoint);
  EXPECT_NE(summary.message.find("residual block 0"), std::string::npos) << summary.message;
  EXPECT_EQ(x, -1.0);
}

TEST(SolverTermination, MaxIterationsLeavesTheBestPointInTheParameters) {
  double x[2] = {-1.2, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  SolverOptions options;
  options.max_iterations = 3;
  Summary summary = solve(options, &problem);
  EXPECT_EQ(summary.termination, TerminationType::kMaxIterations);
  EXPECT_EQ(summary.iterations, 3);
  double cost;
  problem.evaluate({}, &cost, nullptr, nullptr, nullptr, nullptr);
  EXPECT_EQ(cost, summary.final_cost);
  double best = summary.initial_cost;
  for (const IterationRecord& record : summary.trace) best = std::min(best, record.cost);
  EXPECT_EQ(cost, best);
}

// r = x - 3, evaluable only at the starting point x = 1: every trial fails.
class EvaluableOnlyAtOne final : public SizedCostFunction<1, 1> {
 public:
  bool evaluate(double const* const* p, double* r, double** j) const override {
    if (p[0][0] != 1.0) return false;
    r[0] = p[0][0] - 3.0;
    if (j && j[0]) j[0][0] = 1.0;
    return true;
  }
};

TEST(SolverTermination, NoConvergenceClaimedWhenNoTrialPointCouldBeEvaluated) {
  // Every rejection shrinks the step until the parameter test would hold;
  // but no trial was ever evaluated, so the point is not known to be a
  // minimum (its gradient is 2): an evaluation failure, not convergence.
  double x[1] = {1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<EvaluableOnlyAtOne>(), nullptr, x);
  SolverOptions options;
  const Summary summary = solve(options, &problem);
  EXPECT_EQ(summary.termination, TerminationType::kEvaluationFailure) << summary.message;
  EXPECT_FALSE(summary.converged());
  EXPECT_EQ(summary.accepted_steps, 0);
  EXPECT_NE(summary.message.find("could not be evaluated"), std::string::npos) << summary.message;
  EXPECT_EQ(x[0], 1.0);
}

TEST(SolverTermination, CallbackCanStopTheSolve) {
  double x[2] = {-1.2, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  SolverOptions options;
  int calls = 0;
  options.callback = [&](const IterationRecord& record) {
    ++calls;
    return record.iteration >= 2 ? CallbackReturn::kStop : CallbackReturn::kContinue;
  };
  Summary summary = solve(options, &problem);
  EXPECT_EQ(summary.termination, TerminationType::kUserStop);
  EXPECT_EQ(calls, 2);
  EXPECT_NE(summary.message.find("after iteration 2"), std::string::npos) << summary.message;
}

TEST(SolverErrors, BadOptionsNameTheField) {
  double x[2] = {0, 0};
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  auto message = [&](SolverOptions options) {
    try {
      solve(options, &problem);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  SolverOptions options;
  options.num_threads = 0;
  EXPECT_NE(message(options).find("num_threads"), std::string::npos);
  options = {};
  options.function_tolerance = -1;
  EXPECT_NE(message(options).find("function_tolerance"), std::string::npos);
  options = {};
  options.min_relative_decrease = 1.5;
  EXPECT_NE(message(options).find("min_relative_decrease"), std::string::npos);
  options = {};
  options.max_time_seconds = 0;
  EXPECT_NE(message(options).find("max_time_seconds"), std::string::npos);
  EXPECT_EQ(x[0], 0.0);
}

TEST(SolverErrors, EmptyOrConstantProblemsAreErrors) {
  Problem empty;
  EXPECT_THROW(solve(SolverOptions{}, &empty), Error);
  EXPECT_THROW(solve(SolverOptions{}, nullptr), Error);
  double x[2] = {0, 0};
  Problem constant;
  constant.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  constant.set_parameter_block_constant(x);
  EXPECT_THROW(solve(SolverOptions{}, &constant), Error);
}

TEST(SolverReport, ReportsQuoteTheNumbers) {
  double x[2] = {-1.2, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  Summary summary = solve(SolverOptions{}, &problem);
  const std::string full = summary.full_report();
  EXPECT_NE(full.find("levenberg-marquardt"), std::string::npos);
  EXPECT_NE(full.find(to_string(summary.termination)), std::string::npos);
  EXPECT_NE(full.find(summary.message), std::string::npos);
  EXPECT_NE(summary.brief_report().find("iterations"), std::string::npos);
  EXPECT_GT(summary.residual_evaluations, summary.jacobian_evaluations - 1);
  EXPECT_GE(summary.total_time_s, summary.evaluation_time_s);
}

}  // namespace
}  // namespace curvature

namespace curvature {
namespace {

// Rosenbrock with one wrong Jacobian entry.
class WrongJacobianResidual final : public SizedCostFunction<2, 2> {
 public:
  bool evaluate(double const* const* p, double* r, double** j) const override {
    testing::RosenbrockResidual().evaluate(p, r, j);
    if (j && j[0]) j[0][1] = 11.0;  // should be 10
    return true;
  }
};

TEST(SolverGradientCheckOption, RefusesToSolveWithAWrongJacobian) {
  double x[2] = {-1.2, 1.0}, y[2] = {0.5, 0.5};
  Problem problem;
  problem.add_residual_block(std::make_shared<testing::RosenbrockResidual>(), nullptr, y);
  problem.add_residual_block(std::make_shared<WrongJacobianResidual>(), nullptr, x);
  SolverOptions options;
  options.check_gradients = true;
  Summary summary = solve(options, &problem);
  EXPECT_EQ(summary.termination, TerminationType::kGradientCheckFailed);
  EXPECT_NE(summary.message.find("residual block 1"), std::string::npos) << summary.message;
  EXPECT_EQ(x[0], -1.2);
  EXPECT_EQ(summary.iterations, 0);
}

TEST(SolverGradientCheckOption, PassesCorrectJacobiansThrough) {
  double x[2] = {-1.2, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<testing::RosenbrockResidual>(), nullptr, x);
  SolverOptions options;
  options.check_gradients = true;
  Summary summary = solve(options, &problem);
  EXPECT_TRUE(summary.converged()) << summary.message;
  EXPECT_NEAR(x[0], 1.0, 1e-10);
}

}  // namespace
}  // namespace curvature

namespace curvature {
namespace {

// Jennrich-Sampson-like: finite residuals at the start whose sum of squares overflows.
class ExponentialGrowthResidual final : public SizedCostFunction<1, 1> {
 public:
  bool evaluate(double const* const* p, double* r, double** j) const override {
    r[0] = std::exp(p[0][0]);
    if (j && j[0]) j[0][0] = std::exp(p[0][0]);
    return true;
  }
};

TEST(SolverRobustness, StartWhoseCostOverflowsIsInvalidNotConverged) {
  double x = 400.0;  // exp(400)^2 overflows, exp(400) does not
  Problem problem;
  problem.add_residual_block(std::make_shared<ExponentialGrowthResidual>(), nullptr, &x);
  Summary summary = solve(SolverOptions{}, &problem);
  EXPECT_EQ(summary.termination, TerminationType::kInvalidStartingPoint) << summary.message;
  EXPECT_FALSE(summary.converged());
  EXPECT_NE(summary.message.find("overflows"), std::string::npos) << summary.message;
  EXPECT_EQ(x, 400.0);
}

}  // namespace
}  // namespace curvature

namespace curvature {
namespace {

TEST(SolverTermination, CallbackSeesTheCurrentPointInTheParameterBlocks) {
  double x[2] = {-1.2, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<testing::RosenbrockResidual>(), nullptr, x);
  SolverOptions options;
  int checked = 0;
  options.callback = [&](const IterationRecord& record) {
    double cost;
    problem.evaluate({}, &cost, nullptr, nullptr, nullptr, nullptr);
    EXPECT_EQ(cost, record.cost) << "iteration " << record.iteration;
    ++checked;
    return CallbackReturn::kContinue;
  };
  solve(options, &problem);
  EXPECT_GT(checked, 5);
}

}  // namespace
}  // namespace curvature
