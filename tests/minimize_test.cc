// minimize() with the line-search methods: Rosenbrock from the classical
// start, bounds active at the solution, reproducibility, the trace's
// line-search statistics, and the errors and invalid-input Summaries for bad
// input.
#include "curvature/minimize.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "curvature/error.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::error_message;
using testing::expect_error_naming;

class DenseHessian : public HessianOperator {
 public:
  explicit DenseHessian(Eigen::MatrixXd h) : h_(std::move(h)) {}
  int size() const override { return h_.rows(); }
  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override { *y = h_ * v; }
  bool dense(Eigen::MatrixXd* hessian) const override {
    *hessian = h_;
    return true;
  }

 private:
  Eigen::MatrixXd h_;
};

// f = 100 (y - x^2)^2 + (1 - x)^2, analytic gradient and Hessian; optional
// bounds.
class Rosenbrock : public Objective {
 public:
  int num_parameters() const override { return 2; }
  bool evaluate(const Eigen::VectorXd& p, double* value, Eigen::VectorXd* gradient) override {
    const double x = p[0], y = p[1];
    *value = 100.0 * (y - x * x) * (y - x * x) + (1.0 - x) * (1.0 - x);
    if (gradient) {
      gradient->resize(2);
      (*gradient)[0] = -400.0 * x * (y - x * x) - 2.0 * (1.0 - x);
      (*gradient)[1] = 200.0 * (y - x * x);
    }
    return true;
  }
  bool has_hessian() const override { return with_hessian; }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd& p) override {
    if (!with_hessian) return nullptr;
    Eigen::MatrixXd h(2, 2);
    h << 1200.0 * p[0] * p[0] - 400.0 * p[1] + 2.0, -400.0 * p[0], -400.0 * p[0], 200.0;
    return std::make_unique<DenseHessian>(h);
  }
  const Eigen::VectorXd* lower_bounds() const override { return lower.size() ? &lower : nullptr; }
  const Eigen::VectorXd* upper_bounds() const override { return upper.size() ? &upper : nullptr; }
  const char* name() const override { return "rosenbrock"; }

  bool with_hessian = true;
  Eigen::VectorXd lower, upper;
};

struct Case {
  MinimizerMethod method;
  NonlinearCgVariant variant = NonlinearCgVariant::kPolakRibierePlus;
  NewtonModification modification = NewtonModification::kShiftedCholesky;
  LineSearchType line_search = LineSearchType::kStrongWolfe;
};

std::string case_name(const Case& c) {
  std::string name = to_string(c.method);
  if (c.method == MinimizerMethod::kNonlinearConjugateGradient) name += "/variant" + std::to_string(int(c.variant));
  if (c.method == MinimizerMethod::kNewton) name += "/modification" + std::to_string(int(c.modification));
  return name + (c.line_search == LineSearchType::kArmijo ? "/armijo" : "/wolfe");
}

MinimizeOptions options_for(const Case& c) {
  MinimizeOptions options;
  options.method = c.method;
  options.cg_variant = c.variant;
  options.newton_modification = c.modification;
  options.line_search = c.line_search;
  // Steepest descent converges linearly with the Hessian's condition number
  // (about 2500 at the minimum): tens of thousands of cheap iterations.
  options.max_iterations = c.method == MinimizerMethod::kSteepestDescent ? 200000 : 5000;
  return options;
}

class MinimizeRosenbrock : public ::testing::TestWithParam<Case> {};

TEST_P(MinimizeRosenbrock, ReachesTheMinimum) {
  Rosenbrock objective;
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  const MinimizeOptions options = options_for(GetParam());
  Summary summary = minimize(options, objective, &x);
  EXPECT_TRUE(summary.converged()) << summary.message;
  EXPECT_NEAR(x[0], 1.0, 1e-8) << summary.brief_report();
  EXPECT_NEAR(x[1], 1.0, 1e-8);
  EXPECT_EQ(summary.method, to_string(GetParam().method));
  EXPECT_DOUBLE_EQ(summary.initial_cost, 24.2);
  EXPECT_LT(summary.final_cost, 1e-15);
  EXPECT_EQ(summary.iterations, summary.accepted_steps + summary.rejected_steps);
  EXPECT_EQ(static_cast<int>(summary.trace.size()), summary.iterations + 1);
  EXPECT_GE(summary.residual_evaluations, summary.iterations);
  EXPECT_GE(summary.jacobian_evaluations, summary.accepted_steps);
  int line_search_evaluations = 0;
  for (size_t k = 1; k < summary.trace.size(); ++k) {
    const IterationRecord& r = summary.trace[k];
    EXPECT_GE(r.line_search_evaluations, 1);
    EXPECT_GT(r.step_length, 0.0);
    if (r.accepted) {
      EXPECT_GE(r.cost_change, 0.0);
    }
    line_search_evaluations += r.line_search_evaluations;
  }
  // Every trial costs one evaluation of f; the start is one more.
  EXPECT_LE(line_search_evaluations + 1, summary.residual_evaluations);
}

std::vector<Case> rosenbrock_cases() {
  std::vector<Case> cases;
  for (LineSearchType search : {LineSearchType::kStrongWolfe, LineSearchType::kArmijo}) {
    cases.push_back({MinimizerMethod::kSteepestDescent, {}, {}, search});
    cases.push_back({MinimizerMethod::kBfgs, {}, {}, search});
    cases.push_back({MinimizerMethod::kLbfgs, {}, {}, search});
    cases.push_back({MinimizerMethod::kNewton, {}, NewtonModification::kShiftedCholesky, search});
    cases.push_back({MinimizerMethod::kNewton, {}, NewtonModification::kEigenvalue, search});
  }
  for (NonlinearCgVariant variant : {NonlinearCgVariant::kFletcherReeves, NonlinearCgVariant::kPolakRibierePlus,
                                     NonlinearCgVariant::kHestenesStiefel, NonlinearCgVariant::kDaiYuan}) {
    cases.push_back({MinimizerMethod::kNonlinearConjugateGradient, variant});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(LineSearchMethods, MinimizeRosenbrock, ::testing::ValuesIn(rosenbrock_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name = case_name(info.param);
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(Minimize, BoundActiveAtTheSolution) {
  // x <= 0.5 cuts off the minimum (1, 1); the constrained minimizer is
  // (0.5, 0.25), where df/dx = -1 pushes against the bound.
  // Every line-search method that honours bounds, with every line search.
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    if (row.loop != MinimizerLoop::kLineSearch || !row.honours_bounds) continue;
    const MinimizerMethod method = row.value;
    for (const LineSearchInfo& search_row : kLineSearches) {
      const LineSearchType search = search_row.value;
      Rosenbrock objective;
      objective.lower = Eigen::Vector2d(-2.0, -2.0);
      objective.upper = Eigen::Vector2d(0.5, 2.0);
      Eigen::VectorXd x(2);
      x << -1.2, 1.0;
      MinimizeOptions options;
      options.method = method;
      options.line_search = search;
      options.max_iterations = 20000;
      Summary summary = minimize(options, objective, &x);
      SCOPED_TRACE(summary.brief_report() + " " + summary.message);
      EXPECT_TRUE(summary.converged());
      EXPECT_EQ(x[0], 0.5);
      EXPECT_NEAR(x[1], 0.25, 1e-8);
      EXPECT_NEAR(summary.final_cost, 0.25, 1e-12);
      for (const IterationRecord& r : summary.trace) EXPECT_LE(r.cost, 24.2);
    }
  }
}

TEST(Minimize, StartOutsideTheBoundsIsProjected) {
  Rosenbrock objective;
  objective.upper = Eigen::Vector2d(0.5, 10.0);
  Eigen::VectorXd x(2);
  x << 3.0, 3.0;
  MinimizeOptions options;
  Summary summary = minimize(options, objective, &x);
  EXPECT_TRUE(summary.converged()) << summary.message;
  EXPECT_EQ(x[0], 0.5);
  EXPECT_NEAR(x[1], 0.25, 1e-8);
}

TEST(Minimize, ResultsAreReproducible) {
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    const MinimizerMethod method = row.value;
    MinimizeOptions options;
    options.method = method;
    Eigen::VectorXd x1(2), x2(2);
    x1 << -1.2, 1.0;
    x2 = x1;
    Rosenbrock first, second;
    Summary a = minimize(options, first, &x1);
    Summary b = minimize(options, second, &x2);
    EXPECT_EQ(x1, x2) << to_string(method);
    EXPECT_EQ(a.iterations, b.iterations);
    EXPECT_EQ(a.residual_evaluations, b.residual_evaluations);
    EXPECT_EQ(a.final_cost, b.final_cost);
  }
}

TEST(Minimize, CallbackStopsTheSolve) {
  Rosenbrock objective;
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  MinimizeOptions options;
  int calls = 0;
  options.callback = [&](const IterationRecord& record) {
    ++calls;
    return record.iteration >= 3 ? CallbackReturn::kStop : CallbackReturn::kContinue;
  };
  Summary summary = minimize(options, objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kUserStop);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(summary.iterations, 3);
}

TEST(Minimize, MaxIterations) {
  Rosenbrock objective;
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  MinimizeOptions options;
  options.method = MinimizerMethod::kSteepestDescent;
  options.max_iterations = 5;
  Summary summary = minimize(options, objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kMaxIterations);
  EXPECT_EQ(summary.iterations, 5);
  EXPECT_LT(summary.final_cost, summary.initial_cost);
}

// An objective whose gradient has the wrong size.
class WrongGradient : public Objective {
 public:
  int num_parameters() const override { return 2; }
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override {
    *value = x.squaredNorm();
    if (gradient) *gradient = Eigen::VectorXd::Ones(3);
    return true;
  }
};

// f = |x|^2 + a, with a NaN (or a refusal) on request.
class Broken : public Objective {
 public:
  int num_parameters() const override { return 2; }
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override {
    *value = x.squaredNorm() + (nan ? std::numeric_limits<double>::quiet_NaN() : 0.0);
    if (gradient) *gradient = 2.0 * x;
    return !refuse;
  }
  bool nan = false, refuse = false;
};

TEST(Minimize, BadInputThrowsClearErrors) {
  Rosenbrock objective;
  MinimizeOptions options;
  Eigen::VectorXd wrong(3);
  wrong.setZero();
  EXPECT_NE(error_message([&] { minimize(options, objective, &wrong); }).find("x has size 3"), std::string::npos);
  EXPECT_NE(error_message([&] { minimize(options, objective, nullptr); }).find("x is null"), std::string::npos);

  Eigen::VectorXd x = Eigen::VectorXd::Ones(2);
  WrongGradient bad_gradient;
  EXPECT_NE(error_message([&] { minimize(options, bad_gradient, &x); }).find("gradient of size 3"), std::string::npos);

  options.lbfgs_memory = 0;
  EXPECT_NE(error_message([&] { minimize(options, objective, &x); }).find("MinimizeOptions::lbfgs_memory"),
            std::string::npos);
  options = MinimizeOptions();
  options.curvature = 1e-5;
  EXPECT_NE(error_message([&] { validate(options); }).find("MinimizeOptions::curvature"), std::string::npos);
}

// f = 1/2 x^T A x - b^T x, whose minimizer A^-1 b = (0.28, -0.06) is not
// representable, so the gradient never vanishes exactly and the solve ends on
// a short step; its Hessian operator reports a diagonal of the wrong size.
class WrongDiagonal : public Objective {
 public:
  int num_parameters() const override { return 2; }
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override {
    *value = 0.5 * x.dot(a_ * x) - b_.dot(x);
    if (gradient) *gradient = a_ * x - b_;
    return true;
  }
  bool has_hessian() const override { return true; }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd&) override {
    struct Operator : DenseHessian {
      using DenseHessian::DenseHessian;
      bool diagonal(Eigen::VectorXd* diagonal) const override {
        *diagonal = Eigen::VectorXd::Ones(3);
        return true;
      }
    };
    return std::make_unique<Operator>(a_);
  }
  const char* name() const override { return "wrong-diagonal"; }

 private:
  Eigen::Matrix2d a_{{3.0, 1.0}, {1.0, 2.0}};
  Eigen::Vector2d b_{0.78, 0.16};
};

TEST(Minimize, TrustRegionRefusesADiagonalOfTheWrongSize) {
  // Without the gradient and function tests the solve ends on a short
  // step, where the scaled trust-region check asks for the diagonal.
  WrongDiagonal objective;
  MinimizeOptions options;
  options.method = MinimizerMethod::kNewtonTrustRegionCg;
  options.gradient_tolerance = 0.0;
  options.function_tolerance = 0.0;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  const std::string message = error_message([&] { minimize(options, objective, &x); });
  EXPECT_NE(message.find("diagonal of size 3, expected 2"), std::string::npos) << message;
  EXPECT_NE(message.find("wrong-diagonal"), std::string::npos) << message;
  // With the check off the diagonal is never asked for.
  options.scaled_trust_region_check = false;
  x.setZero();
  const Summary summary = minimize(options, objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kParameterTolerance) << summary.full_report();
  EXPECT_NEAR(x[0], 0.28, 1e-12);
  EXPECT_NEAR(x[1], -0.06, 1e-12);
}

// The registry's uses_hessian, both ways: a method that says it uses the
// Hessian refuses an objective without one; a method that says it does not
// runs on one (and so never asks for it).
TEST(Minimize, MethodsNeedingHessiansRefuseObjectivesWithout) {
  Rosenbrock objective;
  objective.with_hessian = false;
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    MinimizeOptions options;
    options.method = row.value;
    options.max_iterations = 20;
    Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
    const std::string message = error_message([&] { minimize(options, objective, &x); });
    if (row.uses_hessian) {
      EXPECT_NE(message.find(row.name), std::string::npos) << message;
      EXPECT_NE(message.find("Hessian"), std::string::npos) << message;
    } else {
      EXPECT_EQ(message, "(no error)") << row.name;
    }
  }
}

// The registry's honours_bounds, both ways: a method that says it honours
// bounds evaluates the objective only inside the box and ends there, at the
// constrained minimizer (0.5, 0.25) of x <= 0.5; every other method refuses
// the bounded objective, and the message names the ones that accept it.
class BoxWatchingRosenbrock : public Rosenbrock {
 public:
  bool evaluate(const Eigen::VectorXd& p, double* value, Eigen::VectorXd* gradient) override {
    if ((p.array() < lower.array()).any() || (p.array() > upper.array()).any()) ++points_outside;
    return Rosenbrock::evaluate(p, value, gradient);
  }
  int points_outside = 0;
};

TEST(Minimize, MethodsHonourBoundsExactlyAsTheirRowsSay) {
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    SCOPED_TRACE(row.name);
    BoxWatchingRosenbrock objective;
    objective.lower = Eigen::Vector2d(-2.0, -2.0);
    objective.upper = Eigen::Vector2d(0.5, 2.0);
    MinimizeOptions options;
    options.method = row.value;
    options.max_iterations = 20000;
    Eigen::VectorXd x(2);
    x << -1.2, 1.0;
    if (!row.honours_bounds) {
      const std::string message = error_message([&] { minimize(options, objective, &x); });
      EXPECT_NE(message.find(row.name), std::string::npos) << message;
      EXPECT_NE(message.find("bounds"), std::string::npos) << message;
      std::string expected = "; use ";
      for (const MinimizerMethodInfo& other : kMinimizerMethods) {
        if (other.honours_bounds) expected += std::string(other.name) + ", ";
      }
      expected.replace(expected.rfind(", ", expected.size() - 3), 2, " or ");
      expected.replace(expected.size() - 2, 2, " for a bound-constrained problem");
      EXPECT_NE(message.find(expected), std::string::npos) << message << "\nexpected: " << expected;
      continue;
    }
    const Summary summary = minimize(options, objective, &x);
    EXPECT_EQ(objective.points_outside, 0);
    EXPECT_LE(x[0], 0.5);
    EXPECT_NEAR(x[0], 0.5, 1e-6) << summary.brief_report() << " " << summary.message;
    EXPECT_NEAR(x[1], 0.25, 1e-6) << summary.brief_report() << " " << summary.message;
  }
}

TEST(Minimize, InconsistentBoundsAreRefused) {
  Rosenbrock objective;
  objective.upper = Eigen::Vector2d(0.5, 2.0);
  objective.lower = Eigen::Vector2d(1.0, 0.0);  // lower > upper
  MinimizeOptions options;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  EXPECT_NE(error_message([&] { minimize(options, objective, &x); }).find("inconsistent"), std::string::npos);
}

TEST(Minimize, UnevaluableStartIsReportedInTheSummary) {
  for (bool nan : {true, false}) {
    Broken objective;
    objective.nan = nan;
    objective.refuse = !nan;
    Eigen::VectorXd x = Eigen::VectorXd::Ones(2);
    MinimizeOptions options;
    Summary summary = minimize(options, objective, &x);
    EXPECT_EQ(summary.termination, TerminationType::kInvalidStartingPoint);
    EXPECT_FALSE(summary.converged());
    EXPECT_NE(summary.message.find("starting point"), std::string::npos) << summary.message;
    EXPECT_EQ(x, Eigen::VectorXd::Ones(2));
    EXPECT_EQ(summary.iterations, 0);
  }
}

// f = x0 + x1 with the gradient's sign flipped: every "descent" direction
// climbs. The Hessian is zero (Newton then goes along -g).
class Misleading : public Objective {
 public:
  int num_parameters() const override { return 2; }
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override {
    *value = x.sum();
    if (gradient) *gradient = -Eigen::VectorXd::Ones(2);
    return true;
  }
  bool has_hessian() const override { return true; }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd&) override {
    return std::make_unique<DenseHessian>(Eigen::MatrixXd::Zero(2, 2));
  }
};

TEST(Minimize, LineSearchFailureRestartsOnceFromSteepestDescent) {
  for (LineSearchType search : {LineSearchType::kStrongWolfe, LineSearchType::kArmijo}) {
    // Newton has a direction of its own to give up on: two failed searches.
    // L-BFGS starts from -g already: nothing to restart, one failure.
    for (MinimizerMethod method : {MinimizerMethod::kNewton, MinimizerMethod::kLbfgs}) {
      Misleading objective;
      Eigen::VectorXd x = Eigen::VectorXd::Ones(2);
      MinimizeOptions options;
      options.method = method;
      options.line_search = search;
      Summary summary = minimize(options, objective, &x);
      SCOPED_TRACE(summary.message);
      EXPECT_EQ(summary.termination, TerminationType::kLineSearchFailure);
      const bool restarted = method == MinimizerMethod::kNewton;
      EXPECT_EQ(summary.line_search_failures, restarted ? 2 : 1);
      EXPECT_EQ(summary.message.find("after resetting its memory") != std::string::npos, restarted);
      EXPECT_EQ(x, Eigen::VectorXd::Ones(2));  // the best point is the start
      EXPECT_EQ(summary.final_cost, 2.0);
      EXPECT_EQ(summary.rejected_steps, 1);
      ASSERT_EQ(summary.trace.size(), 2u);
      EXPECT_FALSE(summary.trace[1].accepted);
    }
  }
}

TEST(Minimize, NamesOfMethods) {
  EXPECT_STREQ(to_string(MinimizerMethod::kLbfgs), "lbfgs");
  EXPECT_STREQ(to_string(MinimizerMethod::kNonlinearConjugateGradient), "nonlinear-conjugate-gradient");
  EXPECT_STREQ(to_string(MinimizerMethod::kNewtonDogleg), "newton-dogleg");
}

}  // namespace
}  // namespace curvature
