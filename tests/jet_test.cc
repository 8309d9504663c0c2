// Tests for curvature/jet.h: every function against its closed-form
// derivative and a central difference, for fixed, dynamic and nested jets;
// identities; the special cases of pow; operators and classification.
#include "curvature/jet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>
#include <vector>

namespace curvature {
namespace {

using J1 = Jet<double, 1>;
using J2 = Jet<double, 2>;
using J3 = Jet<double, 3>;
using JD = Jet<double, kDynamic>;
using JJ1 = Jet<Jet<double, 1>, 1>;
using JJ2 = Jet<Jet<double, 2>, 2>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Central difference of a scalar function, step relative to |x|.
template <typename F>
double central_difference(const F& f, double x) {
  const double h = 1e-5 * std::max(1.0, std::abs(x));
  return (f(x + h) - f(x - h)) / (2.0 * h);
}

double tolerance(double reference, double relative) { return relative * std::max(1.0, std::abs(reference)); }

// Checks a unary function f (generic in its scalar) whose derivative is df at
// each point: the value, the closed form, a central difference, a dynamic
// jet, a fixed jet along a non-unit direction, and (through Jet<Jet>) the
// second derivative against a central difference of df.
template <typename F, typename DF>
void check_unary(const char* name, const F& f, const DF& df, const std::vector<double>& points) {
  for (double x : points) {
    SCOPED_TRACE(::testing::Message() << name << " at x = " << x);
    const double expected = df(x);
    const J1 one = f(J1(x, 0));
    EXPECT_EQ(one.a, f(x));
    EXPECT_NEAR(one.v[0], expected, tolerance(expected, 1e-13));
    EXPECT_NEAR(one.v[0], central_difference(f, x), tolerance(expected, 1e-7));

    const JD dynamic = f(JD(x, 3, 1));
    ASSERT_EQ(dynamic.v.size(), 3);
    EXPECT_EQ(dynamic.a, f(x));
    EXPECT_EQ(dynamic.v[0], 0.0);
    EXPECT_NEAR(dynamic.v[1], expected, tolerance(expected, 1e-13));
    EXPECT_EQ(dynamic.v[2], 0.0);

    // Chain rule along the direction (2, 0, -1).
    const J3 directed = f(J3(x, Eigen::Vector3d(2.0, 0.0, -1.0)));
    EXPECT_NEAR(directed.v[0], 2.0 * expected, tolerance(expected, 2e-13));
    EXPECT_EQ(directed.v[1], 0.0);
    EXPECT_NEAR(directed.v[2], -expected, tolerance(expected, 1e-13));

    // Second order: the outer derivative's inner derivative is f''.
    const JJ1 second = f(JJ1(J1(x, 0), 0));
    EXPECT_EQ(second.a.a, f(x));
    EXPECT_NEAR(second.a.v[0], expected, tolerance(expected, 1e-13));
    EXPECT_NEAR(second.v[0].a, expected, tolerance(expected, 1e-13));
    const double second_derivative = central_difference(df, x);
    EXPECT_NEAR(second.v[0].v[0], second_derivative, tolerance(second_derivative, 1e-6));
  }
}

#define UNARY(expr) [](const auto& x) { return expr; }

// Fixed-size products and quotients of double jets are written out entry by
// entry (jet.h); each entry must round exactly as the vector formula does.
TEST(JetTest, FixedSizeProductAndQuotientRoundAsTheVectorFormula) {
  using J = Jet<double, 12>;
  J f(1.0 / 3.0), g(-7.0 / 9.0);
  for (int i = 0; i < 12; ++i) {
    f.v[i] = std::sin(1.0 + i) / 7.0;
    g.v[i] = std::cos(2.0 * i + 0.5) * 3.0;
  }
  const J product = f * g;
  const Eigen::Matrix<double, 12, 1> product_formula = g.a * f.v + f.a * g.v;
  EXPECT_EQ(product.a, f.a * g.a);
  EXPECT_EQ(product.v, product_formula);
  const J quotient = f / g;
  const double ratio = f.a / g.a;
  const Eigen::Matrix<double, 12, 1> quotient_formula = (f.v - ratio * g.v) * (1.0 / g.a);
  EXPECT_EQ(quotient.a, ratio);
  EXPECT_EQ(quotient.v, quotient_formula);
  // The derivative of f * g in direction i, against a central difference.
  const double h = 1e-6;
  for (int i = 0; i < 12; ++i) {
    const double plus = (f.a + h * f.v[i]) * (g.a + h * g.v[i]);
    const double minus = (f.a - h * f.v[i]) * (g.a - h * g.v[i]);
    EXPECT_NEAR(product.v[i], (plus - minus) / (2 * h), 1e-8);
  }
}

TEST(JetTest, ElementaryFunctionsMatchClosedFormsAndDifferences) {
  check_unary("abs", UNARY(abs(x)), [](double x) { return x < 0 ? -1.0 : 1.0; }, {-2.0, 0.5, 3.0});
  check_unary("sqrt", UNARY(sqrt(x)), [](double x) { return 0.5 / std::sqrt(x); }, {0.3, 2.0, 9.0});
  check_unary("cbrt", UNARY(cbrt(x)), [](double x) { return 1.0 / (3.0 * std::cbrt(x) * std::cbrt(x)); },
              {-8.0, 0.5, 27.0});
  check_unary("exp", UNARY(exp(x)), [](double x) { return std::exp(x); }, {-3.0, 0.0, 1.7});
  check_unary("expm1", UNARY(expm1(x)), [](double x) { return std::exp(x); }, {-1.0, 1e-8, 2.0});
  check_unary("log", UNARY(log(x)), [](double x) { return 1.0 / x; }, {0.2, 1.0, 50.0});
  check_unary("log1p", UNARY(log1p(x)), [](double x) { return 1.0 / (1.0 + x); }, {-0.5, 1e-9, 4.0});
  check_unary("log10", UNARY(log10(x)), [](double x) { return 1.0 / (x * std::numbers::ln10); }, {0.2, 3.0, 1e3});
  check_unary("log2", UNARY(log2(x)), [](double x) { return 1.0 / (x * std::numbers::ln2); }, {0.2, 3.0, 1e3});
  check_unary("sin", UNARY(sin(x)), [](double x) { return std::cos(x); }, {-2.0, 0.0, 0.7, 4.0});
  check_unary("cos", UNARY(cos(x)), [](double x) { return -std::sin(x); }, {-2.0, 0.0, 0.7, 4.0});
  check_unary("tan", UNARY(tan(x)), [](double x) { return 1.0 / (std::cos(x) * std::cos(x)); }, {-1.2, 0.0, 0.7});
  check_unary("asin", UNARY(asin(x)), [](double x) { return 1.0 / std::sqrt(1.0 - x * x); }, {-0.9, 0.0, 0.6});
  check_unary("acos", UNARY(acos(x)), [](double x) { return -1.0 / std::sqrt(1.0 - x * x); }, {-0.9, 0.0, 0.6});
  check_unary("atan", UNARY(atan(x)), [](double x) { return 1.0 / (1.0 + x * x); }, {-5.0, 0.0, 0.6});
  check_unary("sinh", UNARY(sinh(x)), [](double x) { return std::cosh(x); }, {-2.0, 0.0, 1.5});
  check_unary("cosh", UNARY(cosh(x)), [](double x) { return std::sinh(x); }, {-2.0, 0.3, 1.5});
  check_unary("tanh", UNARY(tanh(x)), [](double x) { return 1.0 - std::tanh(x) * std::tanh(x); }, {-2.0, 0.0, 0.8});
  check_unary("erf", UNARY(erf(x)), [](double x) { return 2.0 / std::sqrt(std::numbers::pi) * std::exp(-x * x); },
              {-1.5, 0.0, 0.4});
  check_unary("erfc", UNARY(erfc(x)), [](double x) { return -2.0 / std::sqrt(std::numbers::pi) * std::exp(-x * x); },
              {-1.5, 0.0, 0.4});
}

TEST(JetTest, ArithmeticAndPowerCompositionsMatchClosedForms) {
  check_unary("x^2.5", UNARY(pow(x, 2.5)), [](double x) { return 2.5 * std::pow(x, 1.5); }, {0.3, 2.0});
  check_unary("x^3 at negative x", UNARY(pow(x, 3)), [](double x) { return 3.0 * x * x; }, {-2.0, -0.5, 1.5});
  check_unary("2^x", UNARY(pow(2.0, x)), [](double x) { return std::pow(2.0, x) * std::numbers::ln2; },
              {-1.0, 0.0, 3.5});
  check_unary("x^x", UNARY(pow(x, x)), [](double x) { return std::pow(x, x) * (std::log(x) + 1.0); }, {0.5, 2.0});
  check_unary("1/x", UNARY(1.0 / x), [](double x) { return -1.0 / (x * x); }, {-3.0, 0.25, 2.0});
  check_unary("rational", UNARY((x * x + 1.0) / (2.0 - x)),
              [](double x) { return (2.0 * x * (2.0 - x) + (x * x + 1.0)) / ((2.0 - x) * (2.0 - x)); },
              {-1.0, 0.5, 3.0});
  check_unary("compound", UNARY(3 * x - x * x + 4 - (-x) / 2.0), [](double x) { return 3.0 - 2.0 * x + 0.5; },
              {-1.0, 2.0});
}

// f(x, y) with partials dfdx, dfdy: closed forms and central differences,
// fixed and dynamic jets, plus the mixed jet/scalar overloads.
template <typename F, typename DX, typename DY>
void check_binary(const char* name, const F& f, const DX& dfdx, const DY& dfdy,
                  const std::vector<std::pair<double, double>>& points) {
  for (auto [x, y] : points) {
    SCOPED_TRACE(::testing::Message() << name << " at (" << x << ", " << y << ")");
    const J2 r = f(J2(x, 0), J2(y, 1));
    EXPECT_EQ(r.a, f(x, y));
    EXPECT_NEAR(r.v[0], dfdx(x, y), tolerance(dfdx(x, y), 1e-13));
    EXPECT_NEAR(r.v[1], dfdy(x, y), tolerance(dfdy(x, y), 1e-13));
    EXPECT_NEAR(r.v[0], central_difference([&](double t) { return f(t, y); }, x), tolerance(r.v[0], 1e-7));
    EXPECT_NEAR(r.v[1], central_difference([&](double t) { return f(x, t); }, y), tolerance(r.v[1], 1e-7));

    const JD d = f(JD(x, 2, 0), JD(y, 2, 1));
    EXPECT_NEAR(d.v[0], r.v[0], tolerance(r.v[0], 1e-14));
    EXPECT_NEAR(d.v[1], r.v[1], tolerance(r.v[1], 1e-14));

    // Mixed overloads: a scalar operand contributes no derivative.
    EXPECT_NEAR(f(J1(x, 0), y).v[0], r.v[0], tolerance(r.v[0], 1e-14));
    EXPECT_NEAR(f(x, J1(y, 0)).v[0], r.v[1], tolerance(r.v[1], 1e-14));
    // A constant dynamic jet (empty v) mixes with a variable one.
    const JD constant_y = f(JD(x, 1, 0), JD(y));
    ASSERT_LE(constant_y.v.size(), 1);  // empty when the result is the constant itself
    EXPECT_NEAR(constant_y.v.size() == 0 ? 0.0 : constant_y.v[0], r.v[0], tolerance(r.v[0], 1e-14));
  }
}

#define BINARY(expr) [](const auto& x, const auto& y) { return expr; }

TEST(JetTest, BinaryFunctionsMatchClosedFormsAndDifferences) {
  check_binary(
      "x*y", BINARY(x * y), [](double, double y) { return y; }, [](double x, double) { return x; },
      {{2.0, -3.0}, {0.5, 4.0}});
  check_binary(
      "x/y", BINARY(x / y), [](double, double y) { return 1.0 / y; }, [](double x, double y) { return -x / (y * y); },
      {{2.0, -3.0}, {0.5, 4.0}});
  check_binary(
      "x+y", BINARY(x + y), [](double, double) { return 1.0; }, [](double, double) { return 1.0; }, {{2.0, -3.0}});
  check_binary(
      "x-y", BINARY(x - y), [](double, double) { return 1.0; }, [](double, double) { return -1.0; }, {{2.0, -3.0}});
  check_binary(
      "atan2", BINARY(atan2(x, y)), [](double x, double y) { return y / (x * x + y * y); },
      [](double x, double y) { return -x / (x * x + y * y); },
      // One point per quadrant (x is the ordinate here).
      {{1.0, 2.0}, {1.0, -2.0}, {-1.0, -2.0}, {-1.0, 2.0}, {3.0, 0.0}});
  check_binary(
      "hypot", BINARY(hypot(x, y)), [](double x, double y) { return x / std::hypot(x, y); },
      [](double x, double y) { return y / std::hypot(x, y); }, {{3.0, -4.0}, {1e-3, 2.0}});
  check_binary(
      "pow", BINARY(pow(x, y)), [](double x, double y) { return y * std::pow(x, y - 1.0); },
      [](double x, double y) { return std::pow(x, y) * std::log(x); }, {{2.0, 3.0}, {0.5, -1.5}, {3.0, 0.5}});
  check_binary(
      "fmax", BINARY(fmax(x, y)), [](double x, double y) { return x > y ? 1.0 : 0.0; },
      [](double x, double y) { return x > y ? 0.0 : 1.0; }, {{2.0, 3.0}, {4.0, -1.0}});
  check_binary(
      "fmin", BINARY(fmin(x, y)), [](double x, double y) { return x < y ? 1.0 : 0.0; },
      [](double x, double y) { return x < y ? 0.0 : 1.0; }, {{2.0, 3.0}, {4.0, -1.0}});
}

TEST(JetTest, MinMaxSelectTheOperandAndIgnoreNaNInFminFmax) {
  const J2 x(1.0, 0), y(2.0, 1);
  EXPECT_EQ(min(x, y).v, x.v);
  EXPECT_EQ(max(x, y).v, y.v);
  EXPECT_EQ(max(x, 5.0).a, 5.0);
  EXPECT_EQ(max(x, 5.0).v, Eigen::Vector2d::Zero());
  EXPECT_EQ(min(0.0, y).a, 0.0);
  const J2 nan(kNaN, 0);
  EXPECT_EQ(fmax(nan, y).a, 2.0);
  EXPECT_EQ(fmin(y, nan).v, y.v);
}

TEST(JetTest, FloorAndCeilHaveZeroDerivative) {
  const J2 x(2.5, Eigen::Vector2d(1.0, -3.0));
  EXPECT_EQ(floor(x).a, 2.0);
  EXPECT_EQ(ceil(x).a, 3.0);
  EXPECT_EQ(floor(x).v, Eigen::Vector2d::Zero());
  EXPECT_EQ(ceil(-x).a, -2.0);
  EXPECT_EQ(ceil(x).v, Eigen::Vector2d::Zero());
}

TEST(JetTest, Identities) {
  for (double t : {-2.0, 0.3, 1.0, 5.0}) {
    const J2 x(t, Eigen::Vector2d(1.0, 2.0));
    const J2 one = sin(x) * sin(x) + cos(x) * cos(x);
    EXPECT_NEAR(one.a, 1.0, 1e-15);
    EXPECT_NEAR(one.v.norm(), 0.0, 1e-14);
    const J2 same = exp(log(abs(x)));
    EXPECT_NEAR(same.a, std::abs(t), 1e-14 * std::abs(t));
    EXPECT_NEAR((same.v - abs(x).v).norm(), 0.0, 1e-13);
    const J2 square_root_squared = pow(sqrt(abs(x)), 2.0);
    EXPECT_NEAR((square_root_squared.v - abs(x).v).norm(), 0.0, 1e-13);
    // x^2 three ways: jet^scalar, jet^jet with a constant exponent, product.
    const J2 by_scalar = pow(x, 2.0);
    const J2 by_jet = pow(x, J2(2.0));
    const J2 by_product = x * x;
    EXPECT_NEAR((by_scalar.v - by_product.v).norm(), 0.0, 1e-13);
    EXPECT_NEAR((by_jet.v - by_product.v).norm(), 0.0, 1e-13);
    EXPECT_NEAR(cosh(x).a * cosh(x).a - sinh(x).a * sinh(x).a, 1.0, 1e-12 * std::cosh(t) * std::cosh(t));
    EXPECT_NEAR((erf(x) + erfc(x)).v.norm(), 0.0, 1e-15);
    EXPECT_NEAR((atan2(sin(x), cos(x)) - x).v.norm(), 0.0, 1e-14);
  }
}

TEST(JetTest, Atan2CoversAllFourQuadrants) {
  const double pi = std::numbers::pi;
  struct Case {
    double y, x, angle;
  };
  for (const Case& c :
       {Case{1.0, 1.0, pi / 4}, Case{1.0, -1.0, 3 * pi / 4}, Case{-1.0, -1.0, -3 * pi / 4}, Case{-1.0, 1.0, -pi / 4}}) {
    const J2 angle = atan2(J2(c.y, 0), J2(c.x, 1));
    EXPECT_NEAR(angle.a, c.angle, 1e-15);
    EXPECT_NEAR(angle.v[0], c.x / 2.0, 1e-15);   // d/dy = x / r^2
    EXPECT_NEAR(angle.v[1], -c.y / 2.0, 1e-15);  // d/dx = -y / r^2
  }
}

TEST(JetTest, PowSpecialCases) {
  // Zero base, exponent > 1: value 0 and zero derivative in both operands.
  J2 r = pow(J2(0.0, 0), J2(2.0, 1));
  EXPECT_EQ(r.a, 0.0);
  EXPECT_EQ(r.v, Eigen::Vector2d::Zero());
  // Zero base, exponent 1: the identity in the base.
  r = pow(J2(0.0, 0), J2(1.0, 1));
  EXPECT_EQ(r.v, Eigen::Vector2d(1.0, 0.0));
  // Zero base, 0 < exponent < 1: infinite along the base, zero along the exponent.
  r = pow(J2(0.0, 0), J2(0.5, 1));
  EXPECT_EQ(r.a, 0.0);
  EXPECT_EQ(r.v[0], kInf);
  EXPECT_EQ(r.v[1], 0.0);
  // Zero base, exponent <= 0: not finite.
  EXPECT_FALSE(isfinite(pow(J2(0.0, 0), J2(-1.0, 1))));
  EXPECT_TRUE(isnan(pow(J2(0.0, 0), J2(0.0, 1))));
  // Negative base, integer exponent: fine along the base, NaN along the exponent.
  r = pow(J2(-2.0, 0), J2(3.0, 1));
  EXPECT_EQ(r.a, -8.0);
  EXPECT_DOUBLE_EQ(r.v[0], 12.0);
  EXPECT_TRUE(std::isnan(r.v[1]));
  // ... and a constant exponent jet leaves the base derivative finite.
  r = pow(J2(-2.0, 0), J2(3.0));
  EXPECT_TRUE(isfinite(r));
  EXPECT_DOUBLE_EQ(r.v[0], 12.0);
  // Negative base, non-integer exponent: NaN.
  EXPECT_TRUE(std::isnan(pow(J2(-2.0, 0), J2(0.5, 1)).a));
  // Constant exponent.
  EXPECT_DOUBLE_EQ(pow(J2(-2.0, 0), 3.0).v[0], 12.0);
  r = pow(J2(0.0, 0), 0.0);
  EXPECT_EQ(r.a, 1.0);
  EXPECT_EQ(r.v, Eigen::Vector2d::Zero());
  EXPECT_EQ(pow(J2(0.0, 0), 2.0).v, Eigen::Vector2d::Zero());
  // Constant base.
  r = pow(0.0, J2(2.0, 1));
  EXPECT_EQ(r.a, 0.0);
  EXPECT_EQ(r.v, Eigen::Vector2d::Zero());
  r = pow(-2.0, J2(3.0, 1));
  EXPECT_EQ(r.a, -8.0);
  EXPECT_EQ(r.v[0], 0.0);
  EXPECT_TRUE(std::isnan(r.v[1]));
  EXPECT_FALSE(isfinite(pow(0.0, J2(-1.0, 0))));
}

TEST(JetTest, SecondOrderJetsGiveTheHessian) {
  // f(x, y) = x^2 y + sin(x y) + exp(x) / y
  auto f = [](const auto& x, const auto& y) { return x * x * y + sin(x * y) + exp(x) / y; };
  const double x = 0.7, y = -1.3;
  const JJ2 r = f(JJ2(J2(x, 0), 0), JJ2(J2(y, 1), 1));
  const double s = std::sin(x * y), c = std::cos(x * y), e = std::exp(x);
  const double fx = 2 * x * y + y * c + e / y;
  const double fy = x * x + x * c - e / (y * y);
  const double fxx = 2 * y - y * y * s + e / y;
  const double fxy = 2 * x + c - x * y * s - e / (y * y);
  const double fyy = -x * x * s + 2 * e / (y * y * y);
  EXPECT_DOUBLE_EQ(r.a.a, f(x, y));
  EXPECT_NEAR(r.a.v[0], fx, 1e-14);
  EXPECT_NEAR(r.a.v[1], fy, 1e-14);
  EXPECT_NEAR(r.v[0].a, fx, 1e-14);
  EXPECT_NEAR(r.v[1].a, fy, 1e-14);
  EXPECT_NEAR(r.v[0].v[0], fxx, 1e-13);
  EXPECT_NEAR(r.v[0].v[1], fxy, 1e-13);
  EXPECT_NEAR(r.v[1].v[0], fxy, 1e-13);
  EXPECT_NEAR(r.v[1].v[1], fyy, 1e-13);
}

TEST(JetTest, NestedJetsMixWithAllScalarLevels) {
  const JJ1 x(J1(3.0, 0), 0);
  const JJ1 r = 2 * x + x * 0.5 - J1(1.0) + 1.0 / x;  // 2.5 x - 1 + 1/x
  EXPECT_DOUBLE_EQ(r.a.a, 7.5 - 1.0 + 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.v[0].a, 2.5 - 1.0 / 9.0);
  EXPECT_DOUBLE_EQ(r.v[0].v[0], 2.0 / 27.0);
  EXPECT_TRUE(x > 2.0);
  EXPECT_TRUE(J1(2.0) < x);
}

TEST(JetTest, ConstructorsSeedTheRightDerivative) {
  const J3 zero;
  EXPECT_EQ(zero.a, 0.0);
  EXPECT_EQ(zero.v, Eigen::Vector3d::Zero());
  const J3 constant(4.0);
  EXPECT_EQ(constant.v, Eigen::Vector3d::Zero());
  const J3 variable(4.0, 2);
  EXPECT_EQ(variable.v, Eigen::Vector3d(0.0, 0.0, 1.0));
  EXPECT_THROW(J3(1.0, 3), Error);
  EXPECT_THROW(J3(1.0, -1), Error);
  const JD dynamic_constant(4.0);
  EXPECT_EQ(dynamic_constant.v.size(), 0);
  const JD dynamic_variable(4.0, 5, 3);
  EXPECT_EQ(dynamic_variable.v, (Eigen::VectorXd(5) << 0, 0, 0, 1, 0).finished());
  EXPECT_THROW(JD(1.0, 2, 2), Error);
}

TEST(JetTest, DynamicJetsTreatEmptyDerivativesAsZero) {
  const JD c(2.0), x(3.0, 2, 0);
  for (const JD& r : {c + x, x + c, c * x, x * c, x - c, c / x, c - x, x / c}) EXPECT_EQ(r.v.size(), 2);
  EXPECT_EQ((c * x).v, Eigen::Vector2d(2.0, 0.0));
  EXPECT_EQ((c - x).v, Eigen::Vector2d(-1.0, 0.0));
  EXPECT_NEAR((c / x).v[0], -2.0 / 9.0, 1e-16);
  EXPECT_EQ((c * c).v.size(), 0);
  EXPECT_EQ(sin(c).v.size(), 0);
  EXPECT_EQ(pow(c, x).v.size(), 2);
  EXPECT_EQ(pow(x, c).v.size(), 2);
  EXPECT_THROW(x + JD(1.0, 3, 0), Error);
  EXPECT_THROW(pow(x, JD(1.0, 3, 0)), Error);
}

TEST(JetTest, CompoundAssignment) {
  J2 x(3.0, 0);
  const J2 y(2.0, 1);
  x += y;  // x + y
  EXPECT_EQ(x.v, Eigen::Vector2d(1.0, 1.0));
  x *= y;  // (x + y) y
  EXPECT_EQ(x.a, 10.0);
  EXPECT_EQ(x.v, Eigen::Vector2d(2.0, 7.0));
  x -= y;
  EXPECT_EQ(x.v, Eigen::Vector2d(2.0, 6.0));
  x /= y;  // 8 / 2
  EXPECT_EQ(x.a, 4.0);
  EXPECT_EQ(x.v, Eigen::Vector2d(1.0, 1.0));  // (v_x - 4 v_y) / 2
  x += 1.0;
  x -= 2;
  x *= 3.0;
  x /= 2;
  EXPECT_EQ(x.a, 4.5);
  EXPECT_EQ(x.v, Eigen::Vector2d(1.5, 1.5));
}

TEST(JetTest, ComparisonsUseValuesOnly) {
  const J2 a(1.0, 0), b(2.0, 1), a_again(1.0, 1);
  EXPECT_TRUE(a == a_again);
  EXPECT_FALSE(a != a_again);
  EXPECT_TRUE(a < b && a <= b && b > a && b >= a && a != b);
  EXPECT_FALSE(a > b || a >= b || b < a || b <= a || a == b);
  EXPECT_TRUE(a == 1.0 && 1.0 == a && a != 2 && 2 != a);
  EXPECT_TRUE(a < 2.0 && 0.5 < a && a <= 1 && 1 <= a);
  EXPECT_TRUE(b > 1.5 && 3.0 > b && b >= 2.0 && 2.0 >= b);
  EXPECT_FALSE(a < 1.0 || 1.0 < a);
}

TEST(JetTest, Classification) {
  EXPECT_TRUE(isfinite(J2(1.0, 0)));
  J2 bad_derivative(1.0, 0);
  bad_derivative.v[1] = kNaN;
  EXPECT_FALSE(isfinite(bad_derivative));
  EXPECT_TRUE(isnan(bad_derivative));
  EXPECT_FALSE(isinf(bad_derivative));
  bad_derivative.v[1] = kInf;
  EXPECT_TRUE(isinf(bad_derivative));
  EXPECT_FALSE(isnan(bad_derivative));
  EXPECT_TRUE(isinf(J2(kInf)));
  EXPECT_EQ(fpclassify(J2(0.0, 0)), FP_ZERO);
  EXPECT_EQ(fpclassify(J2(1.0, 0)), FP_NORMAL);
  // The generic functions still work on plain doubles inside the namespace.
  EXPECT_TRUE(curvature::isnan(kNaN));
  EXPECT_EQ(curvature::sqrt(4.0), 2.0);
}

TEST(JetTest, PrintsValueAndDerivatives) {
  std::ostringstream out;
  out << J2(1.5, Eigen::Vector2d(2.0, -3.0));
  EXPECT_EQ(out.str(), "[1.5 ; 2, -3]");
  std::ostringstream empty;
  empty << JD(2.0);
  EXPECT_EQ(empty.str(), "[2 ;]");
}

TEST(JetTest, WorksInsideEigenExpressions) {
  Eigen::Matrix<J3, 3, 1> p;
  for (int i = 0; i < 3; ++i) p[i] = J3(i + 1.0, i);
  const J3 dot = p.dot(p);  // |p|^2, gradient 2 p
  EXPECT_EQ(dot.a, 14.0);
  EXPECT_EQ(dot.v, Eigen::Vector3d(2.0, 4.0, 6.0));
  const Eigen::Matrix<J3, 3, 1> scaled = p * 2.0;
  EXPECT_EQ(scaled[2].v, Eigen::Vector3d(0.0, 0.0, 2.0));
  EXPECT_EQ(p.sum().v, Eigen::Vector3d::Ones());
  const Eigen::Matrix3d m = Eigen::Matrix3d::Identity() * 3.0;
  const Eigen::Matrix<J3, 3, 1> mp = m.cast<J3>() * p;
  EXPECT_EQ(mp[1].v, Eigen::Vector3d(0.0, 3.0, 0.0));
}

}  // namespace
}  // namespace curvature
