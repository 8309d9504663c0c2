// Tests for check_gradients(): correct Jacobians pass, a wrong entry fails
// with a message naming it, and misuse or non-finite values are errors.
#include "curvature/gradient_checker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "curvature/autodiff_cost_function.h"
#include "test_manifolds.h"

namespace curvature {
namespace {

// r = [x0 exp(x1) + y0, sin(x0 y0)], blocks x (2) and y (1). The Jacobian is
// hand-written; `wrong` adds an error to d r1 / d y0 (block 1, row 1, column 0),
// `nan_residual` makes r0 NaN, `skip_entry` leaves d r0 / d x1 unwritten.
class HandWritten : public SizedCostFunction<2, 2, 1> {
 public:
  double wrong = 0.0;
  bool nan_residual = false;
  bool skip_entry = false;
  bool fail = false;

  bool evaluate(double const* const* p, double* r, double** jacobians) const override {
    if (fail) return false;
    const double x0 = p[0][0], x1 = p[0][1], y0 = p[1][0];
    const double e = std::exp(x1), c = std::cos(x0 * y0);
    r[0] = nan_residual ? std::numeric_limits<double>::quiet_NaN() : x0 * e + y0;
    r[1] = std::sin(x0 * y0);
    if (jacobians == nullptr) return true;
    if (jacobians[0] != nullptr) {
      jacobians[0][0] = e;
      if (!skip_entry) jacobians[0][1] = x0 * e;
      jacobians[0][2] = y0 * c;
      jacobians[0][3] = 0.0;
    }
    if (jacobians[1] != nullptr) {
      jacobians[1][0] = 1.0;
      jacobians[1][1] = x0 * c + wrong;
    }
    return true;
  }
};

struct Point {
  double x[2] = {0.8, -0.3};
  double y[1] = {1.7};
  const double* parameters[2] = {x, y};
};

TEST(GradientCheckerTest, CorrectJacobiansPass) {
  HandWritten cost;
  Point p;
  for (NumericDiffMethod method : {NumericDiffMethod::kCentral, NumericDiffMethod::kRidders}) {
    GradientCheckOptions options;
    options.method = method;
    const GradientCheckResult result = check_gradients(cost, p.parameters, options);
    EXPECT_TRUE(result.ok) << result.message;
    EXPECT_TRUE(result.message.empty());
    ASSERT_EQ(result.worst_relative_error.size(), 2u);
    EXPECT_LT(result.worst_relative_error[0], 1e-8);
    EXPECT_LT(result.worst_relative_error[1], 1e-8);
    ASSERT_EQ(result.analytic.size(), 2u);
    ASSERT_EQ(result.numeric.size(), 2u);
    EXPECT_EQ(result.analytic[0].rows(), 2);
    EXPECT_EQ(result.analytic[0].cols(), 2);
    EXPECT_EQ(result.analytic[1].cols(), 1);
    EXPECT_LT((result.analytic[0] - result.numeric[0]).cwiseAbs().maxCoeff(), 1e-8);
    ASSERT_EQ(result.residuals.size(), 2u);
    EXPECT_DOUBLE_EQ(result.residuals[1], std::sin(0.8 * 1.7));
  }
}

struct Smooth {
  template <typename T>
  bool operator()(const T* x, const T* y, T* r) const {
    using std::exp;
    using std::sin;
    r[0] = x[0] * exp(x[1]) + y[0];
    r[1] = sin(x[0] * y[0]);
    return true;
  }
};

TEST(GradientCheckerTest, AutoDiffCostFunctionsPass) {
  AutoDiffCostFunction<Smooth, 2, 2, 1> cost(Smooth{});
  Point p;
  const GradientCheckResult result = check_gradients(cost, p.parameters);
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(GradientCheckerTest, AWrongEntryFailsAndIsNamed) {
  HandWritten cost;
  cost.wrong = 1e-3;
  Point p;
  const GradientCheckResult result = check_gradients(cost, p.parameters);
  EXPECT_FALSE(result.ok);
  EXPECT_LT(result.worst_relative_error[0], 1e-8);
  EXPECT_NEAR(result.worst_relative_error[1], 1e-3, 1e-6);  // |entry| < 1: the error is absolute
  EXPECT_NE(result.message.find("block 1, row 1, column 0"), std::string::npos) << result.message;
  EXPECT_EQ(result.message.find("block 0"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("1 of 2 entries"), std::string::npos) << result.message;
  // Both values are quoted.
  const double analytic = result.analytic[1](1, 0), numeric = result.numeric[1](1, 0);
  EXPECT_NEAR(analytic - numeric, 1e-3, 1e-8);
}

TEST(GradientCheckerTest, PrecisionDecidesSmallErrors) {
  HandWritten cost;
  cost.wrong = 1e-7;
  Point p;
  EXPECT_TRUE(check_gradients(cost, p.parameters).ok);
  GradientCheckOptions strict;
  strict.method = NumericDiffMethod::kRidders;
  strict.relative_precision = 1e-9;
  const GradientCheckResult result = check_gradients(cost, p.parameters, strict);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.message.find("block 1, row 1, column 0"), std::string::npos) << result.message;
  cost.wrong = 0.0;
  EXPECT_TRUE(check_gradients(cost, p.parameters, strict).ok);
}

TEST(GradientCheckerTest, MessageQuotesBothValues) {
  HandWritten cost;
  cost.wrong = 0.5;
  Point p;
  const GradientCheckResult result = check_gradients(cost, p.parameters);
  ASSERT_FALSE(result.ok);
  std::ostringstream analytic, numeric;
  analytic.precision(17);
  numeric.precision(17);
  analytic << "analytic " << result.analytic[1](1, 0);
  numeric << "numeric " << result.numeric[1](1, 0);
  EXPECT_NE(result.message.find(analytic.str()), std::string::npos) << result.message;
  EXPECT_NE(result.message.find(numeric.str()), std::string::npos) << result.message;
}

TEST(GradientCheckerTest, NonFiniteValuesAreErrors) {
  Point p;
  HandWritten nan_residual;
  nan_residual.nan_residual = true;
  EXPECT_THROW(check_gradients(nan_residual, p.parameters), Error);
  HandWritten unwritten;
  unwritten.skip_entry = true;
  try {
    check_gradients(unwritten, p.parameters);
    FAIL() << "expected curvature::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("block 0, row 0, column 1"), std::string::npos) << e.what();
  }
  HandWritten cost;
  p.x[1] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(check_gradients(cost, p.parameters), Error);
}

TEST(GradientCheckerTest, MisuseIsAnError) {
  HandWritten cost;
  Point p;
  EXPECT_THROW(check_gradients(cost, nullptr), Error);
  const double* null_block[2] = {p.x, nullptr};
  EXPECT_THROW(check_gradients(cost, null_block), Error);
  HandWritten failing;
  failing.fail = true;
  EXPECT_THROW(check_gradients(failing, p.parameters), Error);
  GradientCheckOptions options;
  options.relative_precision = 0.0;
  EXPECT_THROW(check_gradients(cost, p.parameters, options), Error);
  options = {};
  options.numeric.forward_relative_step_size = -1.0;
  EXPECT_THROW(check_gradients(cost, p.parameters, options), Error);
}

// R(q) p + t - y with a hand-written ambient Jacobian in q; `wrong` spoils
// d r0 / d q1 by that much.
class RotatedPoint : public SizedCostFunction<3, 4, 3> {
 public:
  double wrong = 0.0;
  bool evaluate(double const* const* p, double* r, double** jacobians) const override {
    const testing::ObservedPoint functor{{0.3, -0.4, 0.8}, {0.1, 0.2, 0.3}};
    AutoDiffCostFunction<testing::ObservedPoint, 3, 4, 3> reference(functor);
    if (!reference.evaluate(p, r, jacobians)) return false;
    if (jacobians && jacobians[0]) jacobians[0][1] += wrong;
    return true;
  }
};

TEST(GradientCheckerManifolds, TangentJacobiansPassAndAWrongOneFailsNamingTheBlock) {
  double q[4] = {0.5, 0.5, -0.5, 0.5};
  double t[3] = {1.0, 2.0, 3.0};
  const double* parameters[] = {q, t};
  const testing::TestQuaternionManifold quaternion;
  const std::vector<const Manifold*> manifolds = {&quaternion, nullptr};
  RotatedPoint cost;
  GradientCheckResult result = check_gradients(cost, parameters, manifolds);
  EXPECT_TRUE(result.ok) << result.message;
  ASSERT_EQ(result.analytic.size(), 2u);
  EXPECT_EQ(result.analytic[0].cols(), 3);  // the tangent Jacobian
  EXPECT_EQ(result.numeric[0].cols(), 3);
  EXPECT_EQ(result.analytic[1].cols(), 3);
  EXPECT_LT(result.worst_relative_error[0], 1e-8);

  cost.wrong = 0.1;
  result = check_gradients(cost, parameters, manifolds);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.message.find("block 0"), std::string::npos) << result.message;
  // The old signature still checks the ambient Jacobian.
  EXPECT_FALSE(check_gradients(cost, parameters).ok);
  cost.wrong = 0.0;
  EXPECT_TRUE(check_gradients(cost, parameters).ok);
}

TEST(GradientCheckerManifolds, MismatchedManifoldsAreErrorsNamingTheSizes) {
  double q[4] = {1.0, 0.0, 0.0, 0.0};
  double t[3] = {0.0, 0.0, 0.0};
  const double* parameters[] = {q, t};
  const testing::TestQuaternionManifold quaternion;
  RotatedPoint cost;
  try {
    check_gradients(cost, parameters, {nullptr, &quaternion});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("parameter block 1 has ambient size 4, the block size 3"), std::string::npos)
        << e.what();
  }
  try {
    check_gradients(cost, parameters, {&quaternion});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1 manifolds given for 2 parameter blocks"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace curvature
