// Tests for AutoDiffCostFunction and DynamicAutoDiffCostFunction: Jacobians
// against hand-computed values and against numeric differentiation, partial
// Jacobian requests, gradients J^T r, failing functors, dynamic residual
// counts, and second derivative products against hand-computed Hessians.
#include "curvature/autodiff_cost_function.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "curvature/dynamic_autodiff_cost_function.h"
#include "curvature/numeric_diff_cost_function.h"

namespace curvature {
namespace {

// Three residuals of two blocks, x (size 2) and y (size 1):
//   r0 = x0 y0 - exp(x1)
//   r1 = sin(x0) + x1^2 y0
//   r2 = atan2(x1, y0) + 2
struct ThreeResiduals {
  template <typename T>
  static void compute(const T* x, const T* y, T* r) {
    using std::atan2;
    using std::exp;
    using std::sin;
    r[0] = x[0] * y[0] - exp(x[1]);
    r[1] = sin(x[0]) + x[1] * x[1] * y[0];
    r[2] = atan2(x[1], y[0]) + 2.0;
  }
  template <typename T>
  bool operator()(const T* x, const T* y, T* r) const {
    if constexpr (std::is_same_v<T, double>) ++*double_calls;
    compute(x, y, r);
    return true;
  }
  int* double_calls;
};

// The same residuals through the dynamic signature.
struct ThreeResidualsDynamic {
  template <typename T>
  bool operator()(T const* const* parameters, T* r) const {
    ThreeResiduals::compute(parameters[0], parameters[1], r);
    return true;
  }
};

struct Point {
  double x[2] = {0.7, -0.4};
  double y[1] = {1.3};
  const double* parameters[2] = {x, y};
};

// Row-major 3x2 and 3x1 Jacobians, by hand.
void expected_jacobians(const Point& p, double jx[6], double jy[3]) {
  const double x0 = p.x[0], x1 = p.x[1], y0 = p.y[0];
  const double q = x1 * x1 + y0 * y0;
  const double values_x[6] = {y0, -std::exp(x1), std::cos(x0), 2 * x1 * y0, 0.0, y0 / q};
  const double values_y[3] = {x0, x1 * x1, -x1 / q};
  std::copy(values_x, values_x + 6, jx);
  std::copy(values_y, values_y + 3, jy);
}

using Fixed = AutoDiffCostFunction<ThreeResiduals, 3, 2, 1>;

TEST(AutoDiffCostFunctionTest, SizesComeFromTheTemplateArguments) {
  int calls = 0;
  Fixed cost(ThreeResiduals{&calls});
  EXPECT_EQ(cost.num_residuals(), 3);
  EXPECT_EQ(cost.parameter_block_sizes(), (std::vector<int>{2, 1}));
  static_assert(Fixed::kNumParameters == 3);
  static_assert(std::is_base_of_v<SizedCostFunction<3, 2, 1>, Fixed>);
}

// A problem of a million small residual blocks should keep one heap chunk
// per cost function: the sizes are shared by every cost function of a type,
// and a functor taken by value lives inside the cost function.
TEST(AutoDiffCostFunctionTest, FixedSizesAreSharedAndTheFunctorLivesInline) {
  int calls = 0;
  const Fixed a(ThreeResiduals{&calls});
  const Fixed b(ThreeResiduals{&calls});
  EXPECT_EQ(&a.parameter_block_sizes(), &b.parameter_block_sizes());
  const auto* begin = reinterpret_cast<const char*>(&a);
  const auto* functor = reinterpret_cast<const char*>(&a.functor());
  EXPECT_TRUE(functor >= begin && functor < begin + sizeof(Fixed));
  // Given by pointer, the functor stays where the caller allocated it.
  auto owned = std::make_unique<ThreeResiduals>(ThreeResiduals{&calls});
  const ThreeResiduals* address = owned.get();
  const Fixed c(std::move(owned));
  EXPECT_EQ(&c.functor(), address);
  EXPECT_EQ(c.parameter_block_sizes(), (std::vector<int>{2, 1}));
}

// A copy of a cost function with run-time sizes owns its own sizes.
TEST(AutoDiffCostFunctionTest, CopiedDynamicSizesAreIndependent) {
  struct Sizes : DynamicCostFunction {
    bool evaluate(double const* const*, double*, double**) const override { return true; }
  };
  Sizes a;
  a.set_num_residuals(1);
  a.add_parameter_block(2);
  Sizes b = a;
  b.add_parameter_block(5);
  EXPECT_EQ(a.parameter_block_sizes(), (std::vector<int>{2}));
  EXPECT_EQ(b.parameter_block_sizes(), (std::vector<int>{2, 5}));
  a = b;
  b.add_parameter_block(1);
  EXPECT_EQ(a.parameter_block_sizes(), (std::vector<int>{2, 5}));
  EXPECT_EQ(b.parameter_block_sizes(), (std::vector<int>{2, 5, 1}));
}

TEST(AutoDiffCostFunctionTest, ResidualsWithoutJacobiansUseDoubles) {
  int calls = 0;
  Fixed cost(ThreeResiduals{&calls});
  Point p;
  double r[3];
  ASSERT_TRUE(cost.evaluate(p.parameters, r, nullptr));
  EXPECT_EQ(calls, 1);
  double expected[3];
  ThreeResiduals::compute(p.x, p.y, expected);
  // To the last few bits only: the compiler may fold `expected` at compile
  // time with a correctly rounded exp(), where the library calls libm's.
  for (int k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(r[k], expected[k]);

  // With Jacobians the functor runs on jets only, and the residuals agree.
  double jx[6], jy[3];
  double* jacobians[2] = {jx, jy};
  double r_jet[3];
  ASSERT_TRUE(cost.evaluate(p.parameters, r_jet, jacobians));
  EXPECT_EQ(calls, 1);
  for (int k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(r_jet[k], expected[k]);
}

TEST(AutoDiffCostFunctionTest, JacobiansMatchHandComputedValues) {
  int calls = 0;
  Fixed cost(ThreeResiduals{&calls});
  Point p;
  double r[3], jx[6], jy[3], ex[6], ey[3];
  double* jacobians[2] = {jx, jy};
  ASSERT_TRUE(cost.evaluate(p.parameters, r, jacobians));
  expected_jacobians(p, ex, ey);
  for (int e = 0; e < 6; ++e) EXPECT_NEAR(jx[e], ex[e], 1e-15) << "x entry " << e;
  for (int e = 0; e < 3; ++e) EXPECT_NEAR(jy[e], ey[e], 1e-15) << "y entry " << e;
}

TEST(AutoDiffCostFunctionTest, JacobiansMatchNumericDifferentiation) {
  int calls = 0;
  Fixed cost(ThreeResiduals{&calls});
  for (const auto& [x0, x1, y0] :
       {std::array{0.7, -0.4, 1.3}, std::array{-2.0, 1.5, -0.2}, std::array{3.0, 0.0, 4.0}}) {
    Point p;
    p.x[0] = x0;
    p.x[1] = x1;
    p.y[0] = y0;
    double r[3], jx[6], jy[3];
    double* jacobians[2] = {jx, jy};
    ASSERT_TRUE(cost.evaluate(p.parameters, r, jacobians));
    const std::vector<JacobianMatrix> numeric = numeric_jacobians(cost, p.parameters, NumericDiffMethod::kRidders);
    ASSERT_EQ(numeric.size(), 2u);
    for (int e = 0; e < 6; ++e) EXPECT_NEAR(jx[e], numeric[0].data()[e], 1e-9);
    for (int e = 0; e < 3; ++e) EXPECT_NEAR(jy[e], numeric[1].data()[e], 1e-9);
  }
}

TEST(AutoDiffCostFunctionTest, FillsOnlyTheRequestedJacobians) {
  int calls = 0;
  Fixed cost(ThreeResiduals{&calls});
  Point p;
  double r[3], jy[3], ex[6], ey[3];
  double* jacobians[2] = {nullptr, jy};
  ASSERT_TRUE(cost.evaluate(p.parameters, r, jacobians));
  expected_jacobians(p, ex, ey);
  for (int e = 0; e < 3; ++e) EXPECT_NEAR(jy[e], ey[e], 1e-15);
}

TEST(AutoDiffCostFunctionTest, GradientIsJacobianTransposeResiduals) {
  int calls = 0;
  Fixed cost(ThreeResiduals{&calls});
  Point p;
  double r[3], jx[6], jy[3];
  double* jacobians[2] = {jx, jy};
  ASSERT_TRUE(cost.evaluate(p.parameters, r, jacobians));
  const Eigen::Map<const Eigen::Matrix<double, 3, 2, Eigen::RowMajor>> jx_matrix(jx);
  const Eigen::Map<const Eigen::Vector3d> residuals(r);
  const Eigen::Vector2d want_x = jx_matrix.transpose() * residuals;
  double want_y = 0.0;
  for (int k = 0; k < 3; ++k) want_y += jy[k] * r[k];

  double gr[3], gx[2], gy[1];
  double* gradients[2] = {gx, gy};
  ASSERT_TRUE(cost.evaluate_gradient(p.parameters, gr, gradients));
  for (int k = 0; k < 3; ++k) EXPECT_EQ(gr[k], r[k]);
  EXPECT_NEAR(gx[0], want_x[0], 1e-14 * want_x.norm());
  EXPECT_NEAR(gx[1], want_x[1], 1e-14 * want_x.norm());
  EXPECT_NEAR(gy[0], want_y, 1e-14 * std::abs(want_y));

  // A null block is not written, and the base class's J^T r agrees.
  gx[0] = gx[1] = 42.0;
  double* y_only[2] = {nullptr, gy};
  ASSERT_TRUE(cost.evaluate_gradient(p.parameters, gr, y_only));
  EXPECT_EQ(gx[0], 42.0);
  EXPECT_NEAR(gy[0], want_y, 1e-14 * std::abs(want_y));
  double base_x[2], base_y[1];
  double* base[2] = {base_x, base_y};
  ASSERT_TRUE(cost.CostFunction::evaluate_gradient(p.parameters, gr, base));
  EXPECT_NEAR(base_x[0], want_x[0], 1e-14 * want_x.norm());
  EXPECT_NEAR(base_x[1], want_x[1], 1e-14 * want_x.norm());
  EXPECT_NEAR(base_y[0], want_y, 1e-14 * std::abs(want_y));
}

struct FailsWhenNegative {
  template <typename T>
  bool operator()(const T* x, T* r) const {
    if (x[0] < 0.0) return false;
    using std::sqrt;
    r[0] = sqrt(x[0]);
    return true;
  }
};

TEST(AutoDiffCostFunctionTest, ReturnsFalseWhenTheFunctorFails) {
  AutoDiffCostFunction<FailsWhenNegative, 1, 1> cost(FailsWhenNegative{});
  const double bad[1] = {-1.0};
  const double* parameters[1] = {bad};
  double r[1], j[1];
  double* jacobians[1] = {j};
  EXPECT_FALSE(cost.evaluate(parameters, r, nullptr));
  EXPECT_FALSE(cost.evaluate(parameters, r, jacobians));
  EXPECT_FALSE(cost.evaluate_gradient(parameters, r, jacobians));
  const double good[1] = {4.0};
  parameters[0] = good;
  ASSERT_TRUE(cost.evaluate(parameters, r, jacobians));
  EXPECT_EQ(r[0], 2.0);
  EXPECT_EQ(j[0], 0.25);
}

// n residuals r_k = (k + 1) * a * exp(b k / n), blocks a (size 1) and b (size 1).
struct Exponentials {
  int n;
  template <typename T>
  bool operator()(const T* a, const T* b, T* r) const {
    using std::exp;
    for (int k = 0; k < n; ++k) r[k] = (k + 1.0) * a[0] * exp(b[0] * (double(k) / n));
    return true;
  }
};

TEST(AutoDiffCostFunctionTest, DynamicResidualCount) {
  AutoDiffCostFunction<Exponentials, kDynamic, 1, 1> cost(Exponentials{5}, 5);
  EXPECT_EQ(cost.num_residuals(), 5);
  EXPECT_EQ(cost.parameter_block_sizes(), (std::vector<int>{1, 1}));
  const double a = 2.0, b = -0.5;
  const double* parameters[2] = {&a, &b};
  double r[5], ja[5], jb[5];
  double* jacobians[2] = {ja, jb};
  ASSERT_TRUE(cost.evaluate(parameters, r, jacobians));
  for (int k = 0; k < 5; ++k) {
    const double t = double(k) / 5, e = std::exp(b * t);
    EXPECT_DOUBLE_EQ(r[k], (k + 1) * a * e);
    EXPECT_DOUBLE_EQ(ja[k], (k + 1) * e);
    EXPECT_DOUBLE_EQ(jb[k], (k + 1) * a * t * e);
  }
  double gr[5], ga[1], gb[1];
  double* gradients[2] = {ga, gb};
  ASSERT_TRUE(cost.evaluate_gradient(parameters, gr, gradients));
  double want_a = 0.0, want_b = 0.0;
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(gr[k], r[k]);
    want_a += ja[k] * r[k];
    want_b += jb[k] * r[k];
  }
  EXPECT_NEAR(ga[0], want_a, 1e-14 * std::abs(want_a));
  EXPECT_NEAR(gb[0], want_b, 1e-14 * std::abs(want_b));
  EXPECT_THROW((AutoDiffCostFunction<Exponentials, kDynamic, 1, 1>(Exponentials{0}, 0)), Error);
}

// sum_k w_k Hess(r_k) d over z = (x0, x1, y0), by hand.
Eigen::Vector3d expected_second_derivative_product(const Point& p, const Eigen::Vector3d& w, const Eigen::Vector3d& d) {
  const double x0 = p.x[0], x1 = p.x[1], y0 = p.y[0];
  const double q = x1 * x1 + y0 * y0;
  Eigen::Matrix3d h0, h1, h2;
  h0 << 0, 0, 1, 0, -std::exp(x1), 0, 1, 0, 0;
  h1 << -std::sin(x0), 0, 0, 0, 2 * y0, 2 * x1, 0, 2 * x1, 0;
  h2 << 0, 0, 0, 0, -2 * x1 * y0 / (q * q), (x1 * x1 - y0 * y0) / (q * q), 0, (x1 * x1 - y0 * y0) / (q * q),
      2 * x1 * y0 / (q * q);
  return (w[0] * h0 + w[1] * h1 + w[2] * h2) * d;
}

// cost (ThreeResiduals, fixed or dynamic) against the hand-computed Hessians:
// both blocks along a direction, then only x (a null direction is zero, a
// null product is not written).
void expect_hand_computed_second_derivative_products(const CostFunction& cost) {
  ASSERT_TRUE(cost.has_second_derivatives());
  Point p;
  const Eigen::Vector3d w(0.5, -1.25, 2.0);
  const double dx[2] = {0.3, -0.8}, dy[1] = {1.1};
  const double* directions[2] = {dx, dy};
  double px[2], py[1];
  double* products[2] = {px, py};
  ASSERT_TRUE(cost.evaluate_second_derivative_product(p.parameters, w.data(), directions, products));
  Eigen::Vector3d expected = expected_second_derivative_product(p, w, Eigen::Vector3d(0.3, -0.8, 1.1));
  EXPECT_NEAR(px[0], expected[0], 1e-14 * expected.norm());
  EXPECT_NEAR(px[1], expected[1], 1e-14 * expected.norm());
  EXPECT_NEAR(py[0], expected[2], 1e-14 * expected.norm());

  const double* x_only[2] = {dx, nullptr};
  py[0] = 42.0;
  double* x_products[2] = {px, nullptr};
  ASSERT_TRUE(cost.evaluate_second_derivative_product(p.parameters, w.data(), x_only, x_products));
  expected = expected_second_derivative_product(p, w, Eigen::Vector3d(0.3, -0.8, 0.0));
  EXPECT_NEAR(px[0], expected[0], 1e-14 * expected.norm());
  EXPECT_NEAR(px[1], expected[1], 1e-14 * expected.norm());
  EXPECT_EQ(py[0], 42.0);
}

TEST(AutoDiffCostFunctionTest, SecondDerivativeProductMatchesHandComputedHessians) {
  int calls = 0;
  Fixed cost(ThreeResiduals{&calls});
  expect_hand_computed_second_derivative_products(cost);
  EXPECT_EQ(calls, 0);  // no plain double evaluation was needed
}

TEST(AutoDiffCostFunctionTest, SecondDerivativeProductWithDynamicResidualCount) {
  constexpr int kResiduals = 5;
  AutoDiffCostFunction<Exponentials, kDynamic, 1, 1> cost(Exponentials{kResiduals}, kResiduals);
  const double a = 2.0, b = -0.5, da = 0.7, db = -1.9;
  const double* parameters[2] = {&a, &b};
  const double* directions[2] = {&da, &db};
  double weights[kResiduals], pa, pb;
  double* products[2] = {&pa, &pb};
  for (int k = 0; k < kResiduals; ++k) weights[k] = 1.0 - 0.3 * k;
  ASSERT_TRUE(cost.evaluate_second_derivative_product(parameters, weights, directions, products));
  // r_k = (k + 1) a exp(b t_k): Hess = (k + 1) e^{b t} [[0, t], [t, a t^2]].
  double want_a = 0.0, want_b = 0.0;
  for (int k = 0; k < kResiduals; ++k) {
    const double t = double(k) / kResiduals, scale = weights[k] * (k + 1) * std::exp(b * t);
    want_a += scale * t * db;
    want_b += scale * (t * da + a * t * t * db);
  }
  EXPECT_NEAR(pa, want_a, 1e-14 * std::abs(want_a));
  EXPECT_NEAR(pb, want_b, 1e-14 * std::abs(want_b));
}

TEST(AutoDiffCostFunctionTest, OnlyAutodiffHasSecondDerivatives) {
  int calls = 0;
  NumericDiffCostFunction<ThreeResiduals, NumericDiffMethod::kCentral, 3, 2, 1> numeric(ThreeResiduals{&calls});
  EXPECT_FALSE(numeric.has_second_derivatives());
  Point p;
  const double* directions[2] = {nullptr, nullptr};
  double px[2], py[1];
  double* products[2] = {px, py};
  const double w[3] = {1.0, 1.0, 1.0};
  EXPECT_THROW(numeric.evaluate_second_derivative_product(p.parameters, w, directions, products), Error);
}

TEST(AutoDiffCostFunctionTest, UniquePtrConstructor) {
  int calls = 0;
  Fixed cost(std::make_unique<ThreeResiduals>(ThreeResiduals{&calls}));
  Point p;
  double r[3];
  ASSERT_TRUE(cost.evaluate(p.parameters, r, nullptr));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cost.functor().double_calls, &calls);
  EXPECT_THROW(Fixed(std::unique_ptr<ThreeResiduals>()), Error);
}

TEST(AutoDiffCostFunctionDynamic, AgreesWithTheFixedSizeVersion) {
  int calls = 0;
  Fixed fixed(ThreeResiduals{&calls});
  DynamicAutoDiffCostFunction<ThreeResidualsDynamic> dynamic(ThreeResidualsDynamic{});
  dynamic.add_parameter_block(2);
  dynamic.add_parameter_block(1);
  dynamic.set_num_residuals(3);
  EXPECT_EQ(dynamic.parameter_block_sizes(), fixed.parameter_block_sizes());

  Point p;
  double r_fixed[3], r_dynamic[3], jx_fixed[6], jy_fixed[3], jx_dynamic[6], jy_dynamic[3];
  double* j_fixed[2] = {jx_fixed, jy_fixed};
  double* j_dynamic[2] = {jx_dynamic, jy_dynamic};
  ASSERT_TRUE(fixed.evaluate(p.parameters, r_fixed, j_fixed));
  ASSERT_TRUE(dynamic.evaluate(p.parameters, r_dynamic, j_dynamic));
  for (int k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(r_dynamic[k], r_fixed[k]);
  for (int e = 0; e < 6; ++e) EXPECT_DOUBLE_EQ(jx_dynamic[e], jx_fixed[e]);
  for (int e = 0; e < 3; ++e) EXPECT_DOUBLE_EQ(jy_dynamic[e], jy_fixed[e]);

  // Residuals only.
  double r_only[3];
  ASSERT_TRUE(dynamic.evaluate(p.parameters, r_only, nullptr));
  for (int k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(r_only[k], r_fixed[k]);

  // A constant first block: only the second Jacobian is computed, unchanged.
  double* only_y[2] = {nullptr, jy_dynamic};
  std::fill(jy_dynamic, jy_dynamic + 3, -99.0);
  ASSERT_TRUE(dynamic.evaluate(p.parameters, r_dynamic, only_y));
  for (int e = 0; e < 3; ++e) EXPECT_DOUBLE_EQ(jy_dynamic[e], jy_fixed[e]);
}

TEST(AutoDiffCostFunctionDynamic, SecondDerivativesMatchHandComputedHessians) {
  DynamicAutoDiffCostFunction<ThreeResidualsDynamic> dynamic(ThreeResidualsDynamic{});
  dynamic.add_parameter_block(2);
  dynamic.add_parameter_block(1);
  dynamic.set_num_residuals(3);
  expect_hand_computed_second_derivative_products(dynamic);
}

// r = [x0 * x1, 7]: the second residual is a constant with no derivatives.
struct WithConstantResidual {
  template <typename T>
  bool operator()(T const* const* p, T* r) const {
    r[0] = p[0][0] * p[0][1];
    r[1] = T(7.0);
    return true;
  }
};

TEST(AutoDiffCostFunctionDynamic, ConstantResidualsGiveZeroRows) {
  DynamicAutoDiffCostFunction<WithConstantResidual> cost(std::make_unique<WithConstantResidual>());
  cost.add_parameter_block(2);
  cost.set_num_residuals(2);
  const double x[2] = {3.0, 5.0};
  const double* parameters[1] = {x};
  double r[2], j[4];
  double* jacobians[1] = {j};
  ASSERT_TRUE(cost.evaluate(parameters, r, jacobians));
  EXPECT_EQ(r[1], 7.0);
  EXPECT_EQ(j[0], 5.0);
  EXPECT_EQ(j[1], 3.0);
  EXPECT_EQ(j[2], 0.0);
  EXPECT_EQ(j[3], 0.0);
}

TEST(AutoDiffCostFunctionDynamic, ConstantResidualsHaveNoSecondDerivatives) {
  DynamicAutoDiffCostFunction<WithConstantResidual> cost(std::make_unique<WithConstantResidual>());
  cost.add_parameter_block(2);
  cost.set_num_residuals(2);
  const double x[2] = {3.0, 5.0}, d[2] = {0.5, -1.0}, weights[2] = {2.0, 3.0};
  const double* parameters[1] = {x};
  const double* directions[1] = {d};
  double product[2];
  double* products[1] = {product};
  ASSERT_TRUE(cost.evaluate_second_derivative_product(parameters, weights, directions, products));
  // 2 * [[0, 1], [1, 0]] d; the constant residual adds nothing.
  EXPECT_EQ(product[0], -2.0);
  EXPECT_EQ(product[1], 1.0);
}

TEST(AutoDiffCostFunctionDynamic, MisuseIsAnError) {
  DynamicAutoDiffCostFunction<WithConstantResidual> unsized(WithConstantResidual{});
  const double x[2] = {3.0, 5.0};
  const double* parameters[1] = {x};
  double r[2];
  EXPECT_THROW(unsized.evaluate(parameters, r, nullptr), Error);
  EXPECT_THROW(DynamicAutoDiffCostFunction<WithConstantResidual>(std::unique_ptr<WithConstantResidual>()), Error);
  EXPECT_THROW(unsized.add_parameter_block(0), Error);
}

}  // namespace
}  // namespace curvature
