// Early stopping on a validation loss, the same for solve() and minimize()
// (EarlyStoppingOptions) and written once (ValidationMonitor, which train()
// uses too; train_test.cc covers train()).
//
// The problem: a degree-9 polynomial fitted to 12 noisy samples of sin(pi t)
// on [-1, 1], validated on 40 noise-free points between them. Iterative
// methods fit the smooth part of the data first and the noise last, so the
// validation error falls, then rises: the classic case for early stopping.
// Each test records the parameters after every iteration through the
// callback, recomputes the validation loss there, and checks that the run
// stopped `patience` iterations after the lowest one and returned exactly
// (bit for bit) the parameters of that iteration.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/error.h"
#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/solve.h"
#include "test_util.h"
#include "validation_monitor.h"

namespace curvature {
namespace {

constexpr int kDegree = 9;
constexpr int kCoefficients = kDegree + 1;

double polynomial(const double* c, double t) {
  double value = 0.0;
  for (int k = kDegree; k >= 0; --k) value = value * t + c[k];
  return value;
}

// r = p(t) - y over the coefficients c_0..c_9.
class PolynomialSample final : public SizedCostFunction<1, kCoefficients> {
 public:
  PolynomialSample(double t, double y) : t_(t), y_(y) {}
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    residuals[0] = polynomial(parameters[0], t_) - y_;
    if (jacobians && jacobians[0]) {
      double power = 1.0;
      for (int k = 0; k < kCoefficients; ++k, power *= t_) jacobians[0][k] = power;
    }
    return true;
  }

 private:
  double t_, y_;
};

struct NoisyPolynomialFit {
  NoisyPolynomialFit() {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, 0.3);  // values only need to be fixed within this test
    for (int i = 0; i < 12; ++i) {
      const double t = -1.0 + 2.0 * i / 11.0;
      problem.add_residual_block(std::make_shared<PolynomialSample>(t, std::sin(std::numbers::pi * t) + noise(rng)),
                                 nullptr, coefficients);
    }
    for (int i = 0; i < 40; ++i) validation_t.push_back(-0.975 + 1.95 * i / 39.0);
  }

  // Mean squared error against sin(pi t) on the validation points.
  double validation_loss(const Eigen::VectorXd& c) const {
    double sum = 0.0;
    for (double t : validation_t) {
      const double e = polynomial(c.data(), t) - std::sin(std::numbers::pi * t);
      sum += e * e;
    }
    return sum / static_cast<double>(validation_t.size());
  }

  EarlyStoppingOptions early_stopping(int patience) const {
    EarlyStoppingOptions options;
    options.patience = patience;
    options.validation_loss = [this](const Eigen::VectorXd& c) { return validation_loss(c); };
    return options;
  }

  double coefficients[kCoefficients] = {};
  Problem problem;
  std::vector<double> validation_t;
};

// The iteration with the lowest validation loss among `points` (the first
// on ties), as the monitor defines it.
size_t best_of(const NoisyPolynomialFit& fit, const std::vector<Eigen::VectorXd>& points) {
  size_t best = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    if (fit.validation_loss(points[i]) < fit.validation_loss(points[best])) best = i;
  }
  return best;
}

void expect_bitwise_equal(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  ASSERT_EQ(a.size(), b.size());
  for (Eigen::Index i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "coordinate " << i;
}

TEST(EarlyStopping, SolveReturnsTheBestValidatedIteration) {
  NoisyPolynomialFit fit;
  std::vector<Eigen::VectorXd> points = {Eigen::VectorXd::Map(fit.coefficients, kCoefficients)};
  SolverOptions options;
  options.damping = Damping::kLevenberg;
  options.initial_damping = 1e3;  // short steps: the smooth part of the fit comes first
  options.early_stopping = fit.early_stopping(4);
  options.callback = [&](const IterationRecord& record) {
    // The parameter blocks hold the current point during the callback.
    EXPECT_EQ(record.iteration, static_cast<int>(points.size()));
    points.push_back(Eigen::VectorXd::Map(fit.coefficients, kCoefficients));
    return CallbackReturn::kContinue;
  };
  const Summary summary = solve(options, &fit.problem);

  ASSERT_EQ(summary.termination, TerminationType::kEarlyStopping) << summary.message;
  EXPECT_NE(summary.message.find("Restored the best parameters"), std::string::npos) << summary.message;
  const size_t best = best_of(fit, points);
  EXPECT_GT(best, 0u);
  EXPECT_EQ(summary.best_iteration, static_cast<int>(best));
  EXPECT_EQ(summary.best_validation_loss, fit.validation_loss(points[best]));
  EXPECT_EQ(points.size(), best + 1 + 4) << "stopped after `patience` iterations without improvement";
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(summary.trace[i].validation_cost, fit.validation_loss(points[i])) << "iteration " << i;
  }
  expect_bitwise_equal(Eigen::VectorXd::Map(fit.coefficients, kCoefficients), points[best]);
  EXPECT_EQ(summary.final_cost, summary.trace[best].cost);
}

TEST(EarlyStopping, SolveWithPatienceZeroRunsOn) {
  NoisyPolynomialFit fit;
  SolverOptions options;
  options.damping = Damping::kLevenberg;
  options.initial_damping = 1e3;
  options.early_stopping = fit.early_stopping(0);
  const Summary summary = solve(options, &fit.problem);
  EXPECT_NE(summary.termination, TerminationType::kEarlyStopping) << summary.message;
  EXPECT_EQ(summary.best_iteration, -1);
  EXPECT_TRUE(std::isnan(summary.best_validation_loss));
  EXPECT_EQ(summary.trace.back().validation_cost, 0.0);
}

TEST(EarlyStopping, SolveValidatesEachNewPointOnce) {
  // Rosenbrock from (-1.2, 1) by Levenberg-Marquardt rejects steps: a
  // rejected step leaves the point as it was, whose loss is known. The
  // validation loss, |x - (1, 1)|, only improves, so the run goes on.
  double x[2] = {-1.2, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<testing::RosenbrockResidual>(), nullptr, x);
  int calls = 0;
  SolverOptions options;
  options.initial_damping = 1e2;
  options.early_stopping.patience = 1000;
  options.early_stopping.validation_loss = [&](const Eigen::VectorXd& p) {
    ++calls;
    return std::hypot(p[0] - 1.0, p[1] - 1.0);
  };
  const Summary summary = solve(options, &problem);
  int accepted = 0, rejected = 0;
  for (size_t i = 1; i < summary.trace.size(); ++i) (summary.trace[i].accepted ? accepted : rejected)++;
  EXPECT_GT(rejected, 0) << "the test needs rejected steps";
  EXPECT_EQ(calls, 1 + accepted);
  EXPECT_TRUE(summary.converged()) << summary.message;
  EXPECT_EQ(summary.final_cost, summary.trace[summary.best_iteration].cost);
}

TEST(EarlyStopping, MinimizeReturnsTheBestValidatedIteration) {
  NoisyPolynomialFit fit;
  LeastSquaresObjective objective(fit.problem);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(kCoefficients);
  MinimizeOptions options;
  options.method = MinimizerMethod::kSteepestDescent;
  options.line_search = LineSearchType::kArmijo;
  options.early_stopping = fit.early_stopping(5);
  const Summary summary = minimize(options, objective, &x);

  ASSERT_EQ(summary.termination, TerminationType::kEarlyStopping) << summary.message;
  const int best = summary.best_iteration;
  ASSERT_GT(best, 0);
  EXPECT_EQ(static_cast<int>(summary.trace.size()), best + 1 + 5);
  // minimize() hands the callback only the record, so the point of the best
  // iteration comes from the same run cut there (early stopping only
  // watches: the iterations are the same).
  MinimizeOptions cut = options;
  cut.early_stopping = {};
  cut.max_iterations = best;
  Eigen::VectorXd at_best = Eigen::VectorXd::Zero(kCoefficients);
  const Summary cut_summary = minimize(cut, objective, &at_best);
  expect_bitwise_equal(x, at_best);
  EXPECT_EQ(summary.final_cost, cut_summary.final_cost);
  EXPECT_EQ(summary.best_validation_loss, fit.validation_loss(at_best));
  // The trace's validation losses: lowest at the best iteration, first on ties.
  for (int i = 0; i < static_cast<int>(summary.trace.size()); ++i) {
    if (i < best) EXPECT_GT(summary.trace[i].validation_cost, summary.best_validation_loss) << "iteration " << i;
    if (i > best) EXPECT_GE(summary.trace[i].validation_cost, summary.best_validation_loss) << "iteration " << i;
  }
}

// Every family of minimize() loop — line search, trust region, Nesterov —
// stops through the same monitor and returns the best iteration's point.
class EarlyStoppingEveryLoop : public ::testing::TestWithParam<MinimizerMethod> {};

TEST_P(EarlyStoppingEveryLoop, MinimizeReturnsTheBestValidatedIteration) {
  NoisyPolynomialFit fit;
  LeastSquaresObjective objective(fit.problem);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(kCoefficients);
  MinimizeOptions options;
  options.method = GetParam();
  options.max_iterations = 5000;
  options.early_stopping = fit.early_stopping(3);
  const Summary summary = minimize(options, objective, &x);
  ASSERT_EQ(summary.termination, TerminationType::kEarlyStopping) << summary.message;
  const int best = summary.best_iteration;
  ASSERT_GT(best, 0);
  MinimizeOptions cut = options;
  cut.early_stopping = {};
  cut.max_iterations = best;
  Eigen::VectorXd at_best = Eigen::VectorXd::Zero(kCoefficients);
  minimize(cut, objective, &at_best);
  expect_bitwise_equal(x, at_best);
  EXPECT_EQ(summary.best_validation_loss, fit.validation_loss(at_best));
}

INSTANTIATE_TEST_SUITE_P(Loops, EarlyStoppingEveryLoop,
                         ::testing::Values(MinimizerMethod::kLbfgs, MinimizerMethod::kNewtonTrustRegionCg,
                                           MinimizerMethod::kNewtonDogleg, MinimizerMethod::kLevenbergMarquardtCg,
                                           MinimizerMethod::kNesterov));

TEST(EarlyStopping, MinimizeWithPatienceZeroRunsOn) {
  NoisyPolynomialFit fit;
  LeastSquaresObjective objective(fit.problem);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(kCoefficients);
  MinimizeOptions options;
  options.method = MinimizerMethod::kSteepestDescent;
  options.line_search = LineSearchType::kArmijo;
  options.max_iterations = 300;
  options.early_stopping = fit.early_stopping(0);
  const Summary summary = minimize(options, objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kMaxIterations) << summary.message;
  EXPECT_EQ(summary.best_iteration, -1);
}

TEST(EarlyStopping, BadOptionsAreNamed) {
  NoisyPolynomialFit fit;
  auto expect_error = [](auto&& run, const std::string& field) {
    try {
      run();
      ADD_FAILURE() << "expected an error naming " << field;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(field), std::string::npos) << error.what();
    }
  };
  SolverOptions solver;
  solver.early_stopping.patience = -1;
  expect_error([&] { solve(solver, &fit.problem); }, "SolverOptions::early_stopping.patience");
  solver.early_stopping.patience = 3;  // no validation loss
  expect_error([&] { solve(solver, &fit.problem); }, "SolverOptions::early_stopping.validation_loss");

  LeastSquaresObjective objective(fit.problem);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(kCoefficients);
  MinimizeOptions minimizer;
  minimizer.early_stopping.patience = -2;
  expect_error([&] { minimize(minimizer, objective, &x); }, "MinimizeOptions::early_stopping.patience");
  minimizer.early_stopping.patience = 1;
  expect_error([&] { minimize(minimizer, objective, &x); }, "MinimizeOptions::early_stopping.validation_loss");
}

TEST(EarlyStoppingValidationMonitor, TracksTheBestAndCountsPatience) {
  internal::ValidationMonitor monitor(2, "iteration");
  const Eigen::VectorXd a = Eigen::VectorXd::Constant(1, 1.0), b = Eigen::VectorXd::Constant(1, 2.0);
  EXPECT_FALSE(monitor.observe(0, std::nan(""), a, 10.0));  // the first is the best, NaN as +infinity
  EXPECT_FALSE(monitor.observe(1, 5.0, b, 9.0));            // any finite loss beats it
  EXPECT_EQ(monitor.best_iteration(), 1);
  EXPECT_FALSE(monitor.observe(2, 5.0, a, 8.0));  // equal is no improvement
  EXPECT_EQ(monitor.since_best(), 1);
  EXPECT_TRUE(monitor.observe(3, 6.0, a, 7.0));
  EXPECT_EQ(monitor.best_iteration(), 1);
  EXPECT_EQ(monitor.best_loss(), 5.0);
  EXPECT_EQ(monitor.best_cost(), 9.0);
  EXPECT_EQ(monitor.best_point()[0], 2.0);
  EXPECT_NE(monitor.stop_message().find("(iteration 1) for 2 iterations (patience 2)"), std::string::npos)
      << monitor.stop_message();
}

}  // namespace
}  // namespace curvature
