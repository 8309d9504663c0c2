// The line searches on one-dimensional functions (including Moré and
// Thuente's test functions) and on Rosenbrock along a direction: every step
// returned satisfies sufficient decrease, and strong Wolfe's also the
// curvature condition, both checked here from the function itself. A
// non-descent direction and a function undefined beyond some step are
// handled without exceptions.
#include "line_search.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <functional>
#include <limits>

namespace curvature::internal {
namespace {

constexpr double kC1 = 1e-4;
constexpr double kC2 = 0.9;

// phi from a function of one variable; the derivative by the given formula.
class ScalarLine : public LineFunction {
 public:
  ScalarLine(std::function<double(double)> f, std::function<double(double)> df, double min_step = 0.0)
      : f_(f), df_(df), min_step_(min_step) {}
  double min_step() const override { return min_step_; }
  bool evaluate(double step, double* value, double* derivative) override {
    ++calls;
    *value = f_(step);
    if (derivative) *derivative = df_(step);
    return std::isfinite(*value) && (derivative == nullptr || std::isfinite(*derivative));
  }
  double f(double a) const { return f_(a); }
  // Central difference, independent of df_.
  double numeric_derivative(double a) const {
    const double h = 1e-6 * std::max(1.0, std::abs(a));
    return (f_(a + h) - f_(a - h)) / (2.0 * h);
  }
  int calls = 0;

 private:
  std::function<double(double)> f_, df_;
  double min_step_;
};

LineSearchOptions search_options(double curvature = kC2) {
  LineSearchOptions options;
  options.sufficient_decrease = kC1;
  options.curvature = curvature;
  options.max_evaluations = 40;
  return options;
}

void expect_sufficient_decrease(const ScalarLine& line, const LineSearchResult& result) {
  const double phi0 = line.f(0.0), slope = line.numeric_derivative(0.0);
  EXPECT_GT(result.step, 0.0);
  EXPECT_LE(line.f(result.step), phi0 + kC1 * result.step * slope + 1e-12 * std::abs(phi0));
  EXPECT_DOUBLE_EQ(result.value, line.f(result.step));
}

void expect_strong_wolfe(const ScalarLine& line, const LineSearchResult& result, double curvature = kC2) {
  expect_sufficient_decrease(line, result);
  const double slope = line.numeric_derivative(0.0);
  EXPECT_LE(std::abs(line.numeric_derivative(result.step)), curvature * std::abs(slope) * (1.0 + 1e-6));
}

struct TestFunction {
  const char* name;
  std::function<double(double)> f, df;
};

// Moré and Thuente (1994), functions 1-3, and a plain quadratic.
std::vector<TestFunction> test_functions() {
  const double beta = 2.0;
  return {
      {"quadratic", [](double a) { return (a - 2.0) * (a - 2.0); }, [](double a) { return 2.0 * (a - 2.0); }},
      {"more-thuente-1", [beta](double a) { return -a / (a * a + beta); },
       [beta](double a) { return (a * a - beta) / ((a * a + beta) * (a * a + beta)); }},
      {"more-thuente-2", [](double a) { return std::pow(a + 0.004, 5) - 2.0 * std::pow(a + 0.004, 4); },
       [](double a) { return 5.0 * std::pow(a + 0.004, 4) - 8.0 * std::pow(a + 0.004, 3); }},
      {"more-thuente-3",
       [](double a) {
         const double l = 39.0, b = 0.01;
         const double phi0 =
             a <= 1.0 - b ? 1.0 - a : (a >= 1.0 + b ? a - 1.0 : (a - 1.0) * (a - 1.0) / (2 * b) + b / 2);
         return phi0 + 2.0 * (1.0 - b) / (l * M_PI) * std::sin(l * M_PI * a / 2.0);
       },
       [](double a) {
         const double l = 39.0, b = 0.01;
         const double dphi0 = a <= 1.0 - b ? -1.0 : (a >= 1.0 + b ? 1.0 : (a - 1.0) / b);
         return dphi0 + (1.0 - b) * std::cos(l * M_PI * a / 2.0);
       }},
  };
}

const double kInitialSteps[] = {1e-3, 1e-1, 1.0, 10.0, 1e3};

TEST(LineSearchArmijo, SufficientDecreaseOnTestFunctions) {
  ArmijoLineSearch search(search_options());
  for (const TestFunction& function : test_functions()) {
    for (double initial : kInitialSteps) {
      SCOPED_TRACE(std::string(function.name) + " from " + std::to_string(initial));
      ScalarLine line(function.f, function.df);
      LineSearchResult result = search.search(line, line.f(0.0), function.df(0.0), initial);
      ASSERT_EQ(result.status, LineSearchStatus::kSuccess) << result.message;
      EXPECT_EQ(result.evaluations, line.calls);
      EXPECT_LE(result.step, initial);
      expect_sufficient_decrease(line, result);
    }
  }
}

TEST(LineSearchStrongWolfe, BothConditionsOnTestFunctions) {
  for (double curvature : {0.1, 0.9}) {
    StrongWolfeLineSearch search(search_options(curvature));
    for (const TestFunction& function : test_functions()) {
      for (double initial : kInitialSteps) {
        SCOPED_TRACE(std::string(function.name) + " from " + std::to_string(initial) + ", c2 " +
                     std::to_string(curvature));
        ScalarLine line(function.f, function.df);
        LineSearchResult result = search.search(line, line.f(0.0), function.df(0.0), initial);
        ASSERT_EQ(result.status, LineSearchStatus::kSuccess) << result.message;
        EXPECT_EQ(result.evaluations, line.calls);
        EXPECT_TRUE(result.has_derivative);
        EXPECT_NEAR(result.derivative, line.numeric_derivative(result.step), 1e-6);
        expect_strong_wolfe(line, result, curvature);
      }
    }
  }
}

// Rosenbrock from (-1.2, 1) along steepest descent and along the Newton
// direction.
double rosenbrock(const Eigen::Vector2d& x) {
  return 100.0 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1.0 - x[0], 2);
}
Eigen::Vector2d rosenbrock_gradient(const Eigen::Vector2d& x) {
  return {-400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]), 200.0 * (x[1] - x[0] * x[0])};
}
Eigen::Matrix2d rosenbrock_hessian(const Eigen::Vector2d& x) {
  Eigen::Matrix2d h;
  h << 1200.0 * x[0] * x[0] - 400.0 * x[1] + 2.0, -400.0 * x[0], -400.0 * x[0], 200.0;
  return h;
}

TEST(LineSearch, RosenbrockAlongDirections) {
  const Eigen::Vector2d x0(-1.2, 1.0);
  const Eigen::Vector2d g0 = rosenbrock_gradient(x0);
  const Eigen::Vector2d directions[] = {-g0, -rosenbrock_hessian(x0).ldlt().solve(g0)};
  for (const Eigen::Vector2d& d : directions) {
    ASSERT_LT(g0.dot(d), 0.0);
    ScalarLine line([&](double a) { return rosenbrock(x0 + a * d); },
                    [&](double a) { return rosenbrock_gradient(x0 + a * d).dot(d); });
    const double initial = d.norm() > 10.0 ? 1.0 / d.norm() : 1.0;
    ArmijoLineSearch armijo(search_options());
    LineSearchResult result = armijo.search(line, rosenbrock(x0), g0.dot(d), initial);
    ASSERT_EQ(result.status, LineSearchStatus::kSuccess) << result.message;
    expect_sufficient_decrease(line, result);
    StrongWolfeLineSearch wolfe(search_options());
    result = wolfe.search(line, rosenbrock(x0), g0.dot(d), initial);
    ASSERT_EQ(result.status, LineSearchStatus::kSuccess) << result.message;
    expect_strong_wolfe(line, result);
  }
}

TEST(LineSearch, NonDescentDirectionFailsGracefully) {
  ScalarLine line([](double a) { return (a + 1.0) * (a + 1.0); }, [](double a) { return 2.0 * (a + 1.0); });
  for (LineSearchType type : {LineSearchType::kArmijo, LineSearchType::kStrongWolfe}) {
    auto search = make_line_search(type, search_options());
    LineSearchResult result = search->search(line, 1.0, 2.0, 1.0);
    EXPECT_EQ(result.status, LineSearchStatus::kNotDescentDirection);
    EXPECT_FALSE(result.acceptable());
    EXPECT_EQ(result.evaluations, 0);
    EXPECT_EQ(result.step, 0.0);
    EXPECT_NE(result.message.find("not a descent direction"), std::string::npos) << result.message;
    result = search->search(line, 1.0, std::numeric_limits<double>::quiet_NaN(), 1.0);
    EXPECT_EQ(result.status, LineSearchStatus::kNotDescentDirection);
  }
  EXPECT_STREQ(to_string(LineSearchStatus::kNotDescentDirection), "not-descent-direction");
}

TEST(LineSearch, ShrinksPastNonFiniteValues) {
  // Defined (and decreasing) only below 0.5; NaN beyond, like a log barrier.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ScalarLine line([nan](double a) { return a < 0.5 ? (a - 1.0) * (a - 1.0) : nan; },
                  [nan](double a) { return a < 0.5 ? 2.0 * (a - 1.0) : nan; });
  for (LineSearchType type : {LineSearchType::kArmijo, LineSearchType::kStrongWolfe}) {
    for (double initial : {4.0, 100.0}) {
      auto search = make_line_search(type, search_options());
      LineSearchResult result = search->search(line, 1.0, -2.0, initial);
      ASSERT_EQ(result.status, LineSearchStatus::kSuccess) << search->name() << ": " << result.message;
      EXPECT_LT(result.step, 0.5);
      expect_sufficient_decrease(line, result);
      if (type == LineSearchType::kStrongWolfe) expect_strong_wolfe(line, result);
    }
  }
}

TEST(LineSearchStrongWolfe, GrowsAFirstStepTooShortForPhiToChange) {
  // phi(a) = 1 - a + a^2 / 2: at a = 1e-20 phi rounds to phi(0) exactly,
  // while phi' = -1 says the step is far too short. The search must grow
  // the step to the minimizer's neighbourhood, not zoom towards 0 and fail.
  ScalarLine line([](double a) { return 1.0 - a + 0.5 * a * a; }, [](double a) { return a - 1.0; });
  ASSERT_EQ(line.f(1e-20), 1.0);
  StrongWolfeLineSearch search(search_options());
  LineSearchResult result = search.search(line, 1.0, -1.0, 1e-20);
  ASSERT_EQ(result.status, LineSearchStatus::kSuccess) << result.message;
  expect_strong_wolfe(line, result);
  EXPECT_LE(result.evaluations, 30);
}

TEST(LineSearch, FunctionThatNeverDecreasesExhaustsTheBudget) {
  // phi'(0) claims descent but phi rises at once: a wrong gradient. Steps
  // below 1e-10 do not count (as for a point of size 1 in the minimizer,
  // where phi would stop changing at all).
  ScalarLine line([](double a) { return 1.0 + a; }, [](double) { return 1.0; }, 1e-10);
  for (LineSearchType type : {LineSearchType::kArmijo, LineSearchType::kStrongWolfe}) {
    auto search = make_line_search(type, search_options());
    LineSearchResult result = search->search(line, 1.0, -1.0, 1.0);
    EXPECT_FALSE(result.acceptable()) << search->name();
    EXPECT_TRUE(result.status == LineSearchStatus::kStepTooSmall || result.status == LineSearchStatus::kMaxEvaluations)
        << to_string(result.status);
    EXPECT_LE(result.evaluations, 40);
    EXPECT_FALSE(result.message.empty());
  }
}

TEST(LineSearchArmijo, ProjectedPathMeasuresTheProjectedStep) {
  // f(x) = (x - 3)^2 on x <= 1 from x = 0, d = 1: the path is P(a) =
  // min(a, 1), so the linear change is g * min(a, 1) and a long first step
  // lands on the bound.
  class Projected : public LineFunction {
   public:
    bool evaluate(double step, double* value, double*) override {
      const double x = std::min(step, 1.0);
      *value = (x - 3.0) * (x - 3.0);
      return true;
    }
    double linear_change(double step, double slope) const override { return slope * std::min(step, 1.0); }
  } line;
  ArmijoLineSearch search(search_options());
  LineSearchResult result = search.search(line, 9.0, -6.0, 100.0);
  ASSERT_EQ(result.status, LineSearchStatus::kSuccess) << result.message;
  EXPECT_EQ(result.step, 100.0);
  EXPECT_EQ(result.value, 4.0);
}

}  // namespace
}  // namespace curvature::internal
