// The first-order update rules of first_order.h.
//
// Hand-computed steps: each rule is driven on one coordinate from x = 1 with
// the gradient sequence 0.5, 0.3, -0.2 and lr = 0.1, and its iterates are
// compared with the scalar formulas of the rule written out step by step
// below (the arithmetic is the test; none of it calls the library). Given
// gradients rather than a function's keep the arithmetic short; the rules
// never look at where a gradient came from. A separate test checks that the
// coordinates of a vector are updated independently, so the scalar cases
// cover the vector ones.
//
// Then the properties the header promises: the two Nesterov forms give the
// same iterates, RMSProp-Nesterov matches Goodfellow et al.'s Algorithm 8.6,
// every rule decreases a convex quadratic, Adam's first step is ~lr per
// coordinate, AMSGrad's v_hat never decreases, AdamW's decay is decoupled from
// the adaptive scaling, and bad options or arguments throw Error naming the
// field.
#include "curvature/first_order.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::error_message;
using testing::expect_error_naming;

constexpr double kX0 = 1.0;
constexpr double kLr = 0.1;
const std::vector<double> kGradients = {0.5, 0.3, -0.2};

// Iterates x_1, x_2, x_3 of `rule` from x_0 = kX0 under kGradients and kLr.
template <UpdateRule R>
std::vector<double> scalar_iterates(R rule) {
  std::vector<double> x = {kX0};
  std::vector<double> iterates;
  for (double g : kGradients) {
    const std::vector<double> gradient = {g};
    rule.step(x, gradient, kLr);
    iterates.push_back(x[0]);
  }
  return iterates;
}

void expect_iterates(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], 1e-14 * std::max(1.0, std::abs(expected[i]))) << "step " << i + 1;
  }
}

// ---------------------------------------------------------------------------
// Hand-computed steps.

TEST(FirstOrderTest, SgdByHand) {
  // x -= lr g
  expect_iterates(scalar_iterates(Sgd()), {1.0 - 0.1 * 0.5,      // 0.95
                                           0.95 - 0.1 * 0.3,     // 0.92
                                           0.92 - 0.1 * -0.2});  // 0.94
}

TEST(FirstOrderTest, MomentumByHand) {
  // v = 0.9 v - 0.1 g; x += v
  const double v1 = -0.1 * 0.5;             // -0.05
  const double v2 = 0.9 * v1 - 0.1 * 0.3;   // -0.075
  const double v3 = 0.9 * v2 - 0.1 * -0.2;  // -0.0475
  expect_iterates(scalar_iterates(Momentum()), {1.0 + v1, 1.0 + v1 + v2, 1.0 + v1 + v2 + v3});
  expect_iterates(scalar_iterates(Momentum()), {0.95, 0.875, 0.8275});
}

TEST(FirstOrderTest, NesterovLookaheadByHand) {
  // Given the gradients, the look-ahead form's recursion is heavy ball's; what
  // differs is the point it asks for: x + 0.9 v.
  NesterovLookahead rule;
  std::vector<double> x = {kX0};
  std::vector<double> point(1);
  rule.lookahead(x, point);
  EXPECT_EQ(point[0], 1.0);  // v = 0 before the first step
  const std::vector<double> expected_x = {0.95, 0.875, 0.8275};
  const std::vector<double> expected_point = {0.95 + 0.9 * -0.05, 0.875 + 0.9 * -0.075, 0.8275 + 0.9 * -0.0475};
  for (int k = 0; k < 3; ++k) {
    const std::vector<double> g = {kGradients[k]};
    rule.step(x, g, kLr);
    rule.lookahead(x, point);
    EXPECT_NEAR(x[0], expected_x[k], 1e-15);
    EXPECT_NEAR(point[0], expected_point[k], 1e-15);
  }
}

TEST(FirstOrderTest, NesterovReformulatedByHand) {
  // v_new = 0.9 v - 0.1 g; x += 0.9 v_new - 0.1 g
  const double v1 = -0.05, v2 = -0.075, v3 = -0.0475;  // as for momentum
  const double x1 = 1.0 + 0.9 * v1 - 0.1 * 0.5;        // 0.905
  const double x2 = x1 + 0.9 * v2 - 0.1 * 0.3;         // 0.8075
  const double x3 = x2 + 0.9 * v3 - 0.1 * -0.2;        // 0.78475
  expect_iterates(scalar_iterates(Nesterov()), {x1, x2, x3});
  expect_iterates(scalar_iterates(Nesterov()), {0.905, 0.8075, 0.78475});
}

TEST(FirstOrderTest, AdaGradByHand) {
  // r += g^2; x -= 0.1 g / (sqrt(r) + 1e-7)
  const double r1 = 0.25, r2 = 0.25 + 0.09, r3 = 0.34 + 0.04;
  const double x1 = 1.0 - 0.1 * 0.5 / (std::sqrt(r1) + 1e-7);  // ~0.9
  const double x2 = x1 - 0.1 * 0.3 / (std::sqrt(r2) + 1e-7);
  const double x3 = x2 - 0.1 * -0.2 / (std::sqrt(r3) + 1e-7);
  expect_iterates(scalar_iterates(AdaGrad()), {x1, x2, x3});
  EXPECT_NEAR(x1, 0.9, 1e-7);
}

TEST(FirstOrderTest, RmsPropByHand) {
  // r = 0.9 r + 0.1 g^2; x -= 0.1 g / (sqrt(r) + 1e-8)
  const double r1 = 0.1 * 0.25;             // 0.025
  const double r2 = 0.9 * r1 + 0.1 * 0.09;  // 0.0315
  const double r3 = 0.9 * r2 + 0.1 * 0.04;  // 0.03235
  const double x1 = 1.0 - 0.1 * 0.5 / (std::sqrt(r1) + 1e-8);
  const double x2 = x1 - 0.1 * 0.3 / (std::sqrt(r2) + 1e-8);
  const double x3 = x2 - 0.1 * -0.2 / (std::sqrt(r3) + 1e-8);
  expect_iterates(scalar_iterates(RmsProp()), {x1, x2, x3});
}

TEST(FirstOrderTest, RmsPropMomentumByHand) {
  // r as above; v = 0.9 v - 0.1 g / (sqrt(r) + 1e-8); x += v
  const double s1 = 0.1 * 0.5 / (std::sqrt(0.025) + 1e-8);
  const double s2 = 0.1 * 0.3 / (std::sqrt(0.0315) + 1e-8);
  const double s3 = 0.1 * -0.2 / (std::sqrt(0.03235) + 1e-8);
  const double v1 = -s1, v2 = 0.9 * v1 - s2, v3 = 0.9 * v2 - s3;
  expect_iterates(scalar_iterates(RmsPropMomentum()), {1.0 + v1, 1.0 + v1 + v2, 1.0 + v1 + v2 + v3});
}

TEST(FirstOrderTest, RmsPropNesterovByHand) {
  // v_new = 0.9 v - s; x += 0.9 v_new - s, with s as for RMSProp with momentum
  const double s1 = 0.1 * 0.5 / (std::sqrt(0.025) + 1e-8);
  const double s2 = 0.1 * 0.3 / (std::sqrt(0.0315) + 1e-8);
  const double s3 = 0.1 * -0.2 / (std::sqrt(0.03235) + 1e-8);
  const double v1 = -s1, v2 = 0.9 * v1 - s2, v3 = 0.9 * v2 - s3;
  const double x1 = 1.0 + 0.9 * v1 - s1;
  const double x2 = x1 + 0.9 * v2 - s2;
  const double x3 = x2 + 0.9 * v3 - s3;
  expect_iterates(scalar_iterates(RmsPropNesterov()), {x1, x2, x3});
}

TEST(FirstOrderTest, AdaDeltaByHand) {
  // E[g^2] = 0.95 E[g^2] + 0.05 g^2; d = -sqrt(E[dx^2] + 1e-6) / sqrt(E[g^2] + 1e-6) g;
  // E[dx^2] = 0.95 E[dx^2] + 0.05 d^2; x += lr d
  const double eg1 = 0.05 * 0.25;  // 0.0125
  const double d1 = -std::sqrt(0.0 + 1e-6) / std::sqrt(eg1 + 1e-6) * 0.5;
  const double edx1 = 0.05 * d1 * d1;
  const double eg2 = 0.95 * eg1 + 0.05 * 0.09;  // 0.016375
  const double d2 = -std::sqrt(edx1 + 1e-6) / std::sqrt(eg2 + 1e-6) * 0.3;
  const double edx2 = 0.95 * edx1 + 0.05 * d2 * d2;
  const double eg3 = 0.95 * eg2 + 0.05 * 0.04;  // 0.01755625
  const double d3 = -std::sqrt(edx2 + 1e-6) / std::sqrt(eg3 + 1e-6) * -0.2;
  // lr = 0.1 scales the applied step only.
  expect_iterates(scalar_iterates(AdaDelta()), {1.0 + 0.1 * d1, 1.0 + 0.1 * (d1 + d2), 1.0 + 0.1 * (d1 + d2 + d3)});
  // The first step is ~sqrt(1e-6 / 0.0125) * 0.5 = 0.00447 before lr: the
  // unit-correcting numerator starts at sqrt(epsilon).
  EXPECT_NEAR(d1, -0.0044719, 1e-6);
}

TEST(FirstOrderTest, AdamByHand) {
  // m = 0.9 m + 0.1 g; v = 0.999 v + 0.001 g^2;
  // x -= 0.1 (m / (1 - 0.9^t)) / (sqrt(v / (1 - 0.999^t)) + 1e-8)
  const double m1 = 0.1 * 0.5, v1 = 0.001 * 0.25;                             // 0.05, 0.00025
  const double m2 = 0.9 * m1 + 0.1 * 0.3;                                     // 0.075
  const double v2 = 0.999 * v1 + 0.001 * 0.09;                                // 0.00033975
  const double m3 = 0.9 * m2 + 0.1 * -0.2;                                    // 0.0475
  const double v3 = 0.999 * v2 + 0.001 * 0.04;                                // 0.00037941025
  const double x1 = 1.0 - 0.1 * (m1 / 0.1) / (std::sqrt(v1 / 0.001) + 1e-8);  // m_hat = 0.5, v_hat = 0.25
  const double x2 = x1 - 0.1 * (m2 / 0.19) / (std::sqrt(v2 / 0.001999) + 1e-8);
  const double x3 = x2 - 0.1 * (m3 / 0.271) / (std::sqrt(v3 / 0.002997001) + 1e-8);
  expect_iterates(scalar_iterates(Adam()), {x1, x2, x3});
  EXPECT_NEAR(x1, 0.9, 1e-8);  // first step lr sign(g)
}

TEST(FirstOrderTest, AdaMaxByHand) {
  // m as Adam; u = max(0.999 u, |g|); x -= 0.1 / (1 - 0.9^t) m / (u + 1e-8)
  const double u1 = 0.5;
  const double u2 = std::max(0.999 * u1, 0.3);  // 0.4995
  const double u3 = std::max(0.999 * u2, 0.2);  // 0.4990005
  const double x1 = 1.0 - 0.1 / 0.1 * 0.05 / (u1 + 1e-8);
  const double x2 = x1 - 0.1 / 0.19 * 0.075 / (u2 + 1e-8);
  const double x3 = x2 - 0.1 / 0.271 * 0.0475 / (u3 + 1e-8);
  expect_iterates(scalar_iterates(AdaMax()), {x1, x2, x3});
}

TEST(FirstOrderTest, NadamByHand) {
  // mu_t = 0.9 (1 - 0.5 * 0.96^(0.004 t)); P_t = mu_1 ... mu_t
  // m = mu_t m + (1 - mu_t) g; n = 0.999 n + 0.001 g^2
  // x -= 0.1 (mu_{t+1} m / (1 - P_{t+1}) + (1 - mu_t) g / (1 - P_t)) / (sqrt(n / (1 - 0.999^t)) + 1e-8)
  const double mu1 = 0.9 * (1.0 - 0.5 * std::pow(0.96, 0.004));
  const double mu2 = 0.9 * (1.0 - 0.5 * std::pow(0.96, 0.008));
  const double mu3 = 0.9 * (1.0 - 0.5 * std::pow(0.96, 0.012));
  const double mu4 = 0.9 * (1.0 - 0.5 * std::pow(0.96, 0.016));
  const double p1 = mu1, p2 = p1 * mu2, p3 = p2 * mu3, p4 = p3 * mu4;
  const double m1 = (1.0 - mu1) * 0.5;
  const double m2 = mu2 * m1 + (1.0 - mu2) * 0.3;
  const double m3 = mu3 * m2 + (1.0 - mu3) * -0.2;
  const double n1 = 0.00025, n2 = 0.00033975, n3 = 0.00037941025;  // as Adam's v
  const double x1 =
      1.0 - 0.1 * (mu2 * m1 / (1.0 - p2) + (1.0 - mu1) * 0.5 / (1.0 - p1)) / (std::sqrt(n1 / 0.001) + 1e-8);
  const double x2 =
      x1 - 0.1 * (mu3 * m2 / (1.0 - p3) + (1.0 - mu2) * 0.3 / (1.0 - p2)) / (std::sqrt(n2 / 0.001999) + 1e-8);
  const double x3 =
      x2 - 0.1 * (mu4 * m3 / (1.0 - p4) + (1.0 - mu3) * -0.2 / (1.0 - p3)) / (std::sqrt(n3 / 0.002997001) + 1e-8);
  expect_iterates(scalar_iterates(Nadam()), {x1, x2, x3});
  // mu_1 = 0.4507..., so the first step is larger than Adam's 0.1:
  // (mu2 m1 / (1 - mu1 mu2) + 1) 0.5 / 0.5 = 1.2... times lr.
  EXPECT_GT(1.0 - x1, 0.1);
}

TEST(FirstOrderTest, AmsGradByHand) {
  // m, v as Adam; v_hat = max(v_hat, v / (1 - 0.999^t)); x -= 0.1 (m / (1 - 0.9^t)) / (sqrt(v_hat) + 1e-8)
  // v / (1 - 0.999^t): 0.25, 0.00033975 / 0.001999 = 0.16996, 0.00037941025 / 0.002997001 = 0.12660:
  // the gradients shrink, Adam's v_hat follows them down, AMSGrad's stays at 0.25.
  const double x1 = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8);
  const double x2 = x1 - 0.1 * (0.075 / 0.19) / (0.5 + 1e-8);
  const double x3 = x2 - 0.1 * (0.0475 / 0.271) / (0.5 + 1e-8);
  expect_iterates(scalar_iterates(AmsGrad()), {x1, x2, x3});
  EXPECT_LT(0.00033975 / 0.001999, 0.25);
}

TEST(FirstOrderTest, AdamWByHand) {
  // x -= 0.1 * 0.1 * x + (Adam's step), both at the x before the step
  AdamWOptions options;
  options.weight_decay = 0.1;
  const double a1 = 0.1 * 0.5 / (0.5 + 1e-8);  // Adam's steps, from AdamByHand
  const double a2 = 0.1 * (0.075 / 0.19) / (std::sqrt(0.00033975 / 0.001999) + 1e-8);
  const double a3 = 0.1 * (0.0475 / 0.271) / (std::sqrt(0.00037941025 / 0.002997001) + 1e-8);
  const double x1 = 1.0 - 0.01 * 1.0 - a1;  // ~0.89
  const double x2 = x1 - 0.01 * x1 - a2;
  const double x3 = x2 - 0.01 * x2 - a3;
  expect_iterates(scalar_iterates(AdamW(options)), {x1, x2, x3});
  EXPECT_NEAR(x1, 0.89, 1e-8);
}

// ---------------------------------------------------------------------------
// Structure shared by all rules.

// Every rule in the registry: a new row is tested without editing this file.
std::vector<UpdateRuleType> all_types() {
  std::vector<UpdateRuleType> types;
  for (const UpdateRuleInfo& row : kUpdateRules) types.push_back(row.value);
  return types;
}

AnyUpdateRule make(UpdateRuleType type) {
  UpdateRuleOptions options;
  options.type = type;
  return make_update_rule(options);
}

// A vector step is the scalar step applied to each coordinate: the rules are
// elementwise, and no coordinate's state leaks into another's.
TEST(FirstOrderTest, CoordinatesAreIndependent) {
  const std::vector<double> x0 = {1.0, -2.0, 0.5};
  const std::vector<std::vector<double>> gradients = {{0.5, -1.0, 0.0}, {0.3, 2.0, 1e-3}, {-0.2, 0.4, -3.0}};
  for (UpdateRuleType type : all_types()) {
    AnyUpdateRule vector_rule = make(type);
    std::vector<double> x = x0;
    for (const auto& g : gradients) vector_rule.step(x, g, 0.05);
    for (std::size_t i = 0; i < x0.size(); ++i) {
      AnyUpdateRule scalar_rule = make(type);
      std::vector<double> xi = {x0[i]};
      for (const auto& g : gradients) {
        const std::vector<double> gi = {g[i]};
        scalar_rule.step(xi, gi, 0.05);
      }
      EXPECT_EQ(x[i], xi[0]) << to_string(type) << " coordinate " << i;
    }
  }
}

// reset() returns a rule to its fresh state: the same steps give the same
// iterates, and a vector of another size is accepted.
TEST(FirstOrderTest, ResetForgetsState) {
  for (UpdateRuleType type : all_types()) {
    AnyUpdateRule rule = make(type);
    std::vector<double> x = {1.0, 2.0};
    const std::vector<double> g = {0.5, -0.5};
    rule.step(x, g, 0.1);
    const std::vector<double> first = x;
    rule.step(x, g, 0.1);
    rule.reset();
    x = {1.0, 2.0};
    rule.step(x, g, 0.1);
    EXPECT_EQ(x, first) << to_string(type);
    rule.reset();
    std::vector<double> y = {1.0, 2.0, 3.0};
    const std::vector<double> h = {1.0, 1.0, 1.0};
    EXPECT_NO_THROW(rule.step(y, h, 0.1)) << to_string(type);
  }
}

// A user-written policy plugs into AnyUpdateRule through the concept.
struct HalveTowardZero {
  int steps = 0;
  void step(std::span<double> x, std::span<const double>, double) {
    for (double& xi : x) xi *= 0.5;
    ++steps;
  }
  void reset() { steps = 0; }
};
static_assert(UpdateRule<HalveTowardZero>);
static_assert(!LookaheadUpdateRule<HalveTowardZero>);
static_assert(UpdateRule<AnyUpdateRule> && LookaheadUpdateRule<AnyUpdateRule>);

TEST(FirstOrderTest, AnyUpdateRuleHoldsUserPolicies) {
  AnyUpdateRule rule{HalveTowardZero{}};
  std::vector<double> x = {4.0, -2.0};
  const std::vector<double> g = {0.0, 0.0};
  rule.step(x, g, 0.0);
  EXPECT_EQ(x, (std::vector<double>{2.0, -1.0}));
  EXPECT_FALSE(rule.needs_lookahead());
  std::vector<double> point(2);
  rule.lookahead(x, point);
  EXPECT_EQ(point, x);
  EXPECT_TRUE(make(UpdateRuleType::kNesterovLookahead).needs_lookahead());
  // The registry's trait is what the built rule reports.
  for (const UpdateRuleInfo& row : kUpdateRules)
    EXPECT_EQ(make(row.value).needs_lookahead(), row.needs_lookahead) << row.name;
}

// ---------------------------------------------------------------------------
// Nesterov's two forms, on f = 1/2 x^T A x - b^T x.

struct Quadratic2 {
  // A = [[4, 1], [1, 2]], b = (1, -1).
  void gradient(std::span<const double> x, std::span<double> g) const {
    g[0] = 4.0 * x[0] + 1.0 * x[1] - 1.0;
    g[1] = 1.0 * x[0] + 2.0 * x[1] + 1.0;
  }
  double value(std::span<const double> x) const {
    return 0.5 * (4.0 * x[0] * x[0] + 2.0 * x[0] * x[1] + 2.0 * x[1] * x[1]) - x[0] + x[1];
  }
  // The minimum value, at A^-1 b = (3/7, -5/7).
  double minimum() const { return value(std::vector<double>{3.0 / 7.0, -5.0 / 7.0}); }
};

TEST(FirstOrderTest, NesterovFormsGiveTheSameIterates) {
  const Quadratic2 f;
  MomentumOptions options;
  options.momentum = 0.8;
  NesterovLookahead lookahead_form(options);
  Nesterov reformulated(options);
  std::vector<double> x = {2.0, 3.0};  // the look-ahead form's parameters
  std::vector<double> y = x;           // the reformulated form's: y = x + mu v
  std::vector<double> point(2), g(2), h(2);
  for (int k = 0; k < 300; ++k) {
    // A learning rate that changes every step: the identity holds for any sequence.
    const double lr = 0.1 + 0.05 * std::sin(0.3 * k);
    lookahead_form.lookahead(x, point);
    f.gradient(point, g);
    lookahead_form.step(x, g, lr);
    f.gradient(y, h);
    reformulated.step(y, h, lr);
    lookahead_form.lookahead(x, point);
    for (int i = 0; i < 2; ++i) {
      EXPECT_NEAR(y[i], point[i], 1e-14 * std::max(1.0, std::abs(point[i]))) << "step " << k << " coordinate " << i;
    }
  }
  // And both converge to the minimizer; x and y differ by mu v -> 0.
  EXPECT_NEAR(x[0], 3.0 / 7.0, 1e-6);
  EXPECT_NEAR(y[1], -5.0 / 7.0, 1e-6);
}

// RMSProp with Nesterov momentum as Goodfellow et al. write it (Algorithm
// 8.6: gradient at the interim point x + mu v), run here coordinate by
// coordinate on the quadratic, against RmsPropNesterov's iterates, which are
// Algorithm 8.6's interim points.
TEST(FirstOrderTest, RmsPropNesterovMatchesAlgorithm86) {
  const Quadratic2 f;
  const double rho = 0.9, eps = 1e-8, mu = 0.9, lr = 0.01;
  std::vector<double> x = {2.0, 3.0}, v = {0.0, 0.0}, r = {0.0, 0.0};
  std::vector<double> interim(2), g(2);
  RmsPropNesterov rule;
  std::vector<double> y = x, h(2);
  for (int k = 0; k < 50; ++k) {
    for (int i = 0; i < 2; ++i) interim[i] = x[i] + mu * v[i];
    f.gradient(interim, g);
    for (int i = 0; i < 2; ++i) {
      r[i] = rho * r[i] + (1.0 - rho) * g[i] * g[i];
      v[i] = mu * v[i] - lr * g[i] / (std::sqrt(r[i]) + eps);
      x[i] += v[i];
    }
    f.gradient(y, h);
    rule.step(y, h, lr);
    for (int i = 0; i < 2; ++i) {
      EXPECT_NEAR(y[i], x[i] + mu * v[i], 1e-13 * std::max(1.0, std::abs(y[i]))) << "step " << k;
    }
  }
}

// ---------------------------------------------------------------------------
// Every rule decreases a convex quadratic.

TEST(FirstOrderTest, EveryRuleDecreasesAConvexQuadratic) {
  const Quadratic2 f;
  const double f_star = f.minimum();
  for (UpdateRuleType type : all_types()) {
    AnyUpdateRule rule = make(type);
    // Each rule's suggested rate, except where that is tuned for networks:
    // the plain and momentum SGD rules take 0.1 (lr lambda_max < 2 and < 2(1 + mu)),
    // the adaptive ones a rate that crosses the distance to the minimizer
    // (about 3) in the step budget; AdaDelta runs at its own rate, lr = 1.
    double lr = 0.01;
    switch (type) {
      case UpdateRuleType::kSgd:
      case UpdateRuleType::kMomentum:
      case UpdateRuleType::kNesterovLookahead:
      case UpdateRuleType::kNesterov:
        lr = 0.1;
        break;
      case UpdateRuleType::kAdaGrad:
        lr = 0.5;
        break;
      case UpdateRuleType::kAdaDelta:
        lr = 1.0;
        break;
      default:
        break;
    }
    std::vector<double> x = {2.0, 3.0}, point(2), g(2);
    const double gap0 = f.value(x) - f_star;
    for (int k = 0; k < 5000; ++k) {
      rule.lookahead(x, point);
      f.gradient(point, g);
      rule.step(x, g, lr);
    }
    const double gap = f.value(x) - f_star;
    EXPECT_LT(gap, 1e-3 * gap0) << to_string(type) << ": f - f* from " << gap0 << " to " << gap;
  }
}

// ---------------------------------------------------------------------------
// Adam's bias correction, AMSGrad's monotone v_hat, AdamW's decoupled decay.

TEST(FirstOrderTest, AdamFirstStepIsLearningRatePerCoordinate) {
  // Gradients over six orders of magnitude: without bias correction the step
  // would be lr (1 - beta1) / sqrt(1 - beta2) = 3.16 lr; with it, lr sign(g).
  const std::vector<double> g = {1e-2, -0.7, 5.0, -200.0, 3e3};
  std::vector<double> x(g.size(), 1.0);
  Adam adam;
  const double lr = 1e-3;
  adam.step(x, g, lr);
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double moved = 1.0 - x[i];
    EXPECT_NEAR(moved, lr * (g[i] > 0 ? 1.0 : -1.0), lr * 1e-6) << "coordinate " << i;
  }
}

TEST(FirstOrderTest, AmsGradMaxSecondMomentNeverDecreases) {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  const std::size_t n = 20;
  AmsGrad amsgrad;
  Adam adam;
  std::vector<double> x(n, 0.0), z(n, 0.0), g(n);
  std::vector<double> previous(n, 0.0);
  bool adam_v_hat_decreased = false;
  std::vector<double> adam_previous(n, 0.0);
  for (int k = 1; k <= 300; ++k) {
    // Gradients whose scale shrinks: Adam's v_hat then decreases.
    const double scale = 10.0 / k;
    for (double& gi : g) gi = scale * normal(rng);
    amsgrad.step(x, g, 1e-3);
    adam.step(z, g, 1e-3);
    const auto v_hat = amsgrad.max_second_moment();
    const double c2 = 1.0 / (1.0 - std::pow(0.999, k));
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_GE(v_hat[i], previous[i]) << "step " << k << " coordinate " << i;
      previous[i] = v_hat[i];
      const double adam_v_hat = adam.second_moment()[i] * c2;
      if (adam_v_hat < adam_previous[i]) adam_v_hat_decreased = true;
      adam_previous[i] = adam_v_hat;
    }
  }
  EXPECT_TRUE(adam_v_hat_decreased);  // the case exercises the maximum
}

TEST(FirstOrderTest, AdamWDecayIsDecoupledFromAdaptiveScaling) {
  const double lr = 1e-3, w = 0.1;
  AdamWOptions adamw_options;
  adamw_options.weight_decay = w;

  // Pure regularization (the loss is flat): AdamW shrinks every coordinate
  // by the same factor 1 - lr w per step, whatever its size. Adam on the L2
  // loss (w / 2) |x|^2, whose gradient is w x, normalizes that gradient away
  // and moves every coordinate by about lr per step instead.
  AdamW adamw(adamw_options);
  Adam adam_l2;
  const std::vector<double> x0 = {1.0, 100.0};
  std::vector<double> x = x0, z = x0, zero(2, 0.0), l2(2);
  for (int k = 0; k < 10; ++k) {
    adamw.step(x, zero, lr);
    for (int i = 0; i < 2; ++i) l2[i] = w * z[i];
    adam_l2.step(z, l2, lr);
  }
  const double shrink = std::pow(1.0 - lr * w, 10);
  EXPECT_NEAR(x[0], x0[0] * shrink, 1e-15);
  EXPECT_NEAR(x[1], x0[1] * shrink, 1e-12);
  // Adam + L2 moves both coordinates by ~lr per step (slightly less, as the
  // shrinking gradient pulls m_hat below sqrt(v_hat)) ...
  EXPECT_NEAR(x0[0] - z[0], 10 * lr, 1e-5);
  EXPECT_NEAR(x0[1] - z[1], 10 * lr, 1e-5);
  // ... so its relative decay is 100 times stronger on the coordinate 100
  // times smaller; AdamW's is the same on both.
  const double l2_ratio = ((x0[0] - z[0]) / x0[0]) / ((x0[1] - z[1]) / x0[1]);
  const double adamw_ratio = ((x0[0] - x[0]) / x0[0]) / ((x0[1] - x[1]) / x0[1]);
  EXPECT_NEAR(l2_ratio, 100.0, 1.0);
  EXPECT_NEAR(adamw_ratio, 1.0, 1e-9);

  // With a loss gradient as well: AdamW's step is Adam's step on the loss
  // gradient alone plus -lr w x_old, and the moments never see w.
  AdamW adamw2(adamw_options);
  Adam adam;
  std::vector<double> p = {0.5, -3.0};
  const std::vector<double> g = {2.0, 1e-3};
  std::vector<double> adam_point = p;
  adamw2.step(p, g, lr);
  adam.step(adam_point, g, lr);
  EXPECT_NEAR(p[0], adam_point[0] - lr * w * 0.5, 1e-15);
  EXPECT_NEAR(p[1], adam_point[1] - lr * w * -3.0, 1e-15);
}

// ---------------------------------------------------------------------------
// Errors.

TEST(FirstOrderTest, InvalidOptionsNameTheField) {
  expect_error_naming([] { Momentum(MomentumOptions{.momentum = 1.0}); }, "MomentumOptions::momentum");
  expect_error_naming([] { Nesterov(MomentumOptions{.momentum = -0.1}); }, "MomentumOptions::momentum");
  expect_error_naming([] { AdaGrad(AdaGradOptions{.epsilon = 0.0}); }, "AdaGradOptions::epsilon");
  expect_error_naming([] { RmsProp(RmsPropOptions{.decay = 1.0}); }, "RmsPropOptions::decay");
  expect_error_naming([] { RmsProp(RmsPropOptions{.epsilon = -1e-8}); }, "RmsPropOptions::epsilon");
  expect_error_naming([] { RmsPropMomentum(RmsPropOptions{.momentum = 1.5}); }, "RmsPropOptions::momentum");
  expect_error_naming([] { AdaDelta(AdaDeltaOptions{.decay = -0.5}); }, "AdaDeltaOptions::decay");
  expect_error_naming([] { Adam(AdamOptions{.beta1 = 1.0}); }, "AdamOptions::beta1");
  expect_error_naming([] { Adam(AdamOptions{.beta2 = -0.001}); }, "AdamOptions::beta2");
  expect_error_naming([] { Adam(AdamOptions{.epsilon = 0.0}); }, "AdamOptions::epsilon");
  expect_error_naming([] { AmsGrad(AdamOptions{.beta2 = NAN}); }, "AdamOptions::beta2");
  expect_error_naming([] { AdaMax(AdamOptions{.beta1 = 2.0}); }, "AdamOptions::beta1");
  expect_error_naming([] { Nadam(NadamOptions{.momentum_decay = -1.0}); }, "NadamOptions::momentum_decay");
  expect_error_naming([] { AdamW(AdamWOptions{.weight_decay = -0.01}); }, "AdamWOptions::weight_decay");
  expect_error_naming([] { AdamW(AdamWOptions{.beta1 = 1.0}); }, "AdamWOptions::beta1");
  // Through the factory: only the struct the type names is read.
  UpdateRuleOptions options;
  options.type = UpdateRuleType::kAdam;
  options.adam.epsilon = -1.0;
  expect_error_naming([&] { make_update_rule(options); }, "AdamOptions::epsilon");
  options.type = UpdateRuleType::kSgd;
  EXPECT_NO_THROW(make_update_rule(options));
  // The message quotes the value.
  expect_error_naming([] { Adam(AdamOptions{.beta1 = 1.5}); }, "got 1.5");
}

TEST(FirstOrderTest, InvalidStepArgumentsThrow) {
  for (UpdateRuleType type : all_types()) {
    AnyUpdateRule rule = make(type);
    std::vector<double> x = {1.0, 2.0};
    const std::vector<double> g = {0.1, 0.2};
    expect_error_naming([&] { rule.step(x, g, -1e-3); }, "learning_rate");
    expect_error_naming([&] { rule.step(x, g, INFINITY); }, "learning_rate");
    expect_error_naming([&] { rule.step(x, g, NAN); }, "learning_rate");
    const std::vector<double> short_g = {0.1};
    EXPECT_THROW(rule.step(x, short_g, 0.1), Error) << to_string(type);
    EXPECT_EQ(x, (std::vector<double>{1.0, 2.0})) << to_string(type) << ": a rejected step leaves x alone";
    EXPECT_NO_THROW(rule.step(x, g, 0.0)) << to_string(type);  // lr = 0 is allowed
    if (type != UpdateRuleType::kSgd) {
      // State built for two parameters refuses three until reset().
      std::vector<double> y = {1.0, 2.0, 3.0};
      const std::vector<double> h = {0.1, 0.2, 0.3};
      EXPECT_THROW(rule.step(y, h, 0.1), Error) << to_string(type);
    }
  }
}

TEST(FirstOrderTest, DefaultLearningRates) {
  EXPECT_EQ(default_learning_rate(UpdateRuleType::kAdam), 1e-3);
  EXPECT_EQ(default_learning_rate(UpdateRuleType::kAdaDelta), 1.0);
  EXPECT_EQ(default_learning_rate(UpdateRuleType::kAdaMax), 2e-3);
  EXPECT_EQ(default_learning_rate(UpdateRuleType::kNadam), 2e-3);
  for (UpdateRuleType type : all_types()) {
    EXPECT_GT(default_learning_rate(type), 0.0) << to_string(type);
    EXPECT_STRNE(to_string(type), "unknown");
  }
}

}  // namespace
}  // namespace curvature
