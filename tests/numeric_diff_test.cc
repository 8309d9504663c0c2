// Tests for curvature/numeric_diff_cost_function.h: accuracy of forward,
// central and Ridders differences on functions with known derivatives, the
// cost-function wrapper, numeric_jacobians() on any CostFunction, failures.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "curvature/numeric_diff_cost_function.h"

namespace curvature {
namespace {

// r = [exp(x0) sin(x1), x0^3 / x1 + cos(y0 x0)] with blocks x (2) and y (1).
struct ExpSin {
  bool operator()(const double* x, const double* y, double* r) const {
    r[0] = std::exp(x[0]) * std::sin(x[1]);
    r[1] = x[0] * x[0] * x[0] / x[1] + std::cos(y[0] * x[0]);
    return true;
  }
};

struct Exact {
  double jx[4];
  double jy[2];
};

Exact exact_jacobians(const double* x, const double* y) {
  const double e = std::exp(x[0]), s = std::sin(y[0] * x[0]);
  return {
      {e * std::sin(x[1]), e * std::cos(x[1]), 3 * x[0] * x[0] / x[1] - y[0] * s, -x[0] * x[0] * x[0] / (x[1] * x[1])},
      {0.0, -x[0] * s}};
}

// Largest relative error |numeric - exact| / max(|exact|, 1) over both blocks.
template <NumericDiffMethod kMethod>
double max_error(const double* x, const double* y, const NumericDiffOptions& options = {}) {
  NumericDiffCostFunction<ExpSin, kMethod, 2, 2, 1> cost(ExpSin{}, options);
  const double* parameters[2] = {x, y};
  double r[2], jx[4], jy[2];
  double* jacobians[2] = {jx, jy};
  EXPECT_TRUE(cost.evaluate(parameters, r, jacobians));
  double expected_r[2];
  ExpSin{}(x, y, expected_r);
  EXPECT_EQ(r[0], expected_r[0]);
  EXPECT_EQ(r[1], expected_r[1]);
  const Exact exact = exact_jacobians(x, y);
  double error = 0.0;
  for (int e = 0; e < 4; ++e)
    error = std::max(error, std::abs(jx[e] - exact.jx[e]) / std::max(1.0, std::abs(exact.jx[e])));
  for (int e = 0; e < 2; ++e)
    error = std::max(error, std::abs(jy[e] - exact.jy[e]) / std::max(1.0, std::abs(exact.jy[e])));
  return error;
}

TEST(NumericDiffTest, AccuracyImprovesFromForwardToCentralToRidders) {
  const std::vector<std::array<double, 3>> points = {{0.5, 1.2, 2.0}, {-1.3, 0.4, -0.7}, {2.0, -3.0, 0.1}};
  for (const auto& p : points) {
    SCOPED_TRACE(::testing::Message() << "at (" << p[0] << ", " << p[1] << ", " << p[2] << ")");
    const double x[2] = {p[0], p[1]};
    const double y[1] = {p[2]};
    const double forward = max_error<NumericDiffMethod::kForward>(x, y);
    const double central = max_error<NumericDiffMethod::kCentral>(x, y);
    const double ridders = max_error<NumericDiffMethod::kRidders>(x, y);
    EXPECT_LT(forward, 1e-4);
    EXPECT_GT(forward, 1e-9);  // O(h) truncation: forward differences are visibly approximate
    EXPECT_LT(central, 1e-8);
    EXPECT_LT(central, forward / 100);
    EXPECT_LT(ridders, 1e-10);
    EXPECT_LT(ridders, central);
  }
}

TEST(NumericDiffTest, ZeroCoordinatesUseAnAbsoluteStep) {
  const double x[2] = {0.0, 1.0};
  const double y[1] = {0.0};
  EXPECT_LT(max_error<NumericDiffMethod::kCentral>(x, y), 1e-8);
  EXPECT_LT(max_error<NumericDiffMethod::kRidders>(x, y), 1e-10);
}

TEST(NumericDiffTest, OneRiddersStepIsACentralDifference) {
  NumericDiffOptions options;
  options.max_num_ridders_extrapolations = 1;
  options.ridders_relative_initial_step_size = options.central_relative_step_size;
  const double x[2] = {0.5, 1.2};
  const double y[1] = {2.0};
  EXPECT_EQ((max_error<NumericDiffMethod::kRidders>(x, y, options)),
            (max_error<NumericDiffMethod::kCentral>(x, y, options)));
}

// Counts evaluations of an affine function: Ridders sees a zero error estimate
// at the first extrapolation and stops after two central differences.
struct Affine {
  int* calls;
  bool operator()(const double* x, double* r) const {
    ++*calls;
    r[0] = 3.0 * x[0] - 2.0 * x[1];
    return true;
  }
};

TEST(NumericDiffTest, RiddersStopsEarlyWhenTheErrorEstimateIsZero) {
  int calls = 0;
  NumericDiffCostFunction<Affine, NumericDiffMethod::kRidders, 1, 2> cost(Affine{&calls});
  const double x[2] = {1.0, 2.0};
  const double* parameters[1] = {x};
  double r[1], j[2];
  double* jacobians[1] = {j};
  ASSERT_TRUE(cost.evaluate(parameters, r, jacobians));
  EXPECT_EQ(calls, 1 + 2 * 4);  // the point, then 2 steps x 2 evaluations per coordinate
  EXPECT_NEAR(j[0], 3.0, 1e-12);
  EXPECT_NEAR(j[1], -2.0, 1e-12);
}

// n residuals r_k = sin(k x0) + x1 (dynamic residual count).
struct Sines {
  int n;
  bool operator()(const double* x, double* r) const {
    for (int k = 0; k < n; ++k) r[k] = std::sin(k * x[0]) + x[1];
    return true;
  }
};

TEST(NumericDiffTest, DynamicResidualCount) {
  NumericDiffCostFunction<Sines, NumericDiffMethod::kCentral, kDynamic, 2> cost(Sines{4}, 4);
  EXPECT_EQ(cost.num_residuals(), 4);
  const double x[2] = {0.3, -1.0};
  const double* parameters[1] = {x};
  double r[4], j[8];
  double* jacobians[1] = {j};
  ASSERT_TRUE(cost.evaluate(parameters, r, jacobians));
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(j[2 * k], k * std::cos(k * x[0]), 1e-9);
    EXPECT_NEAR(j[2 * k + 1], 1.0, 1e-9);
  }
}

// A hand-written CostFunction that cannot be evaluated for x0 > limit.
class Bounded : public SizedCostFunction<1, 1> {
 public:
  explicit Bounded(double limit) : limit_(limit) {}
  bool evaluate(double const* const* p, double* r, double** /*jacobians*/) const override {
    if (p[0][0] > limit_) return false;
    r[0] = p[0][0] * p[0][0];
    return true;
  }

 private:
  double limit_;
};

TEST(NumericDiffTest, NumericJacobiansOfAnyCostFunction) {
  Bounded cost(10.0);
  const double x[1] = {3.0};
  const double* parameters[1] = {x};
  for (NumericDiffMethod method :
       {NumericDiffMethod::kForward, NumericDiffMethod::kCentral, NumericDiffMethod::kRidders}) {
    const std::vector<JacobianMatrix> j = numeric_jacobians(cost, parameters, method);
    ASSERT_EQ(j.size(), 1u);
    ASSERT_EQ(j[0].rows(), 1);
    ASSERT_EQ(j[0].cols(), 1);
    EXPECT_NEAR(j[0](0, 0), 6.0, method == NumericDiffMethod::kForward ? 1e-4 : 1e-8);
  }
  EXPECT_EQ(x[0], 3.0);  // the caller's parameters are not touched
}

TEST(NumericDiffTest, EvaluationFailuresAreErrors) {
  const double at_limit[1] = {1.0};
  const double* parameters[1] = {at_limit};
  Bounded fails_when_perturbed(1.0);
  try {
    numeric_jacobians(fails_when_perturbed, parameters, NumericDiffMethod::kForward);
    FAIL() << "expected curvature::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("block 0, coordinate 0"), std::string::npos) << e.what();
  }
  Bounded fails_everywhere(0.0);
  EXPECT_THROW(numeric_jacobians(fails_everywhere, parameters, NumericDiffMethod::kCentral), Error);
  EXPECT_THROW(numeric_jacobians(fails_everywhere, nullptr, NumericDiffMethod::kCentral), Error);
  const double* null_block[1] = {nullptr};
  EXPECT_THROW(numeric_jacobians(fails_everywhere, null_block, NumericDiffMethod::kCentral), Error);
}

struct FailsAbove {
  bool operator()(const double* x, double* r) const {
    r[0] = x[0];
    return x[0] <= 1.0;
  }
};

TEST(NumericDiffTest, CostFunctionReturnsFalseWhenAPerturbedPointFails) {
  NumericDiffCostFunction<FailsAbove, NumericDiffMethod::kCentral, 1, 1> cost(FailsAbove{});
  const double x[1] = {1.0};
  const double* parameters[1] = {x};
  double r[1], j[1];
  double* jacobians[1] = {j};
  EXPECT_TRUE(cost.evaluate(parameters, r, nullptr));
  EXPECT_FALSE(cost.evaluate(parameters, r, jacobians));
}

TEST(NumericDiffTest, InvalidOptionsNameTheField) {
  NumericDiffOptions options;
  options.ridders_step_shrink_factor = 1.0;
  try {
    validate(options);
    FAIL() << "expected curvature::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ridders_step_shrink_factor"), std::string::npos) << e.what();
  }
  options = {};
  options.central_relative_step_size = 0.0;
  EXPECT_THROW((NumericDiffCostFunction<FailsAbove, NumericDiffMethod::kCentral, 1, 1>(FailsAbove{}, options)), Error);
  options = {};
  options.max_num_ridders_extrapolations = 0;
  Bounded cost(10.0);
  const double x[1] = {3.0};
  const double* parameters[1] = {x};
  EXPECT_THROW(numeric_jacobians(cost, parameters, NumericDiffMethod::kRidders, options), Error);
  EXPECT_NO_THROW(validate(NumericDiffOptions{}));
}

}  // namespace
}  // namespace curvature
