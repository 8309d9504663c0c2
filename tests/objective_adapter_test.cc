// The two Objective adapters: a least-squares Problem as an Objective (value,
// gradient, Gauss-Newton and exact Hessian products, bounds, write-back) and
// AutoDiffObjective (gradient and Hessian against closed forms).
#include <gtest/gtest.h>

#include <Eigen/QR>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "curvature/autodiff_cost_function.h"
#include "curvature/autodiff_objective.h"
#include "curvature/error.h"
#include "curvature/least_squares_objective.h"
#include "curvature/loss_function.h"
#include "curvature/minimize.h"
#include "curvature/problem.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::LineResidual;
using testing::RosenbrockResidual;

// r = (x0^2 - x1, x0 x1 - 2, sin x1): every residual has a different,
// non-zero Hessian, so the exact model differs visibly from Gauss-Newton.
struct SmallResidual {
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::sin;
    r[0] = x[0] * x[0] - x[1];
    r[1] = x[0] * x[1] - 2.0;
    r[2] = sin(x[1]);
    return true;
  }
};

// The same problem's cost under a Cauchy loss with a = 1 on the block (a
// loss acts on the block's squared norm): f = 1/2 log(1 + |r|^2).
struct SmallCauchyCost {
  template <typename T>
  bool operator()(const T* x, T* f) const {
    using std::log;
    T r[3];
    SmallResidual{}(x, r);
    *f = 0.5 * log(1.0 + r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    return true;
  }
};

Eigen::MatrixXd small_jacobian(const double* x) {
  Eigen::MatrixXd j(3, 2);
  j << 2 * x[0], -1, x[1], x[0], 0, std::cos(x[1]);
  return j;
}

// J^T J + sum_i r_i Hess(r_i), by hand.
Eigen::MatrixXd small_exact_hessian(const double* x) {
  const Eigen::MatrixXd j = small_jacobian(x);
  const double r0 = x[0] * x[0] - x[1], r1 = x[0] * x[1] - 2.0, r2 = std::sin(x[1]);
  Eigen::MatrixXd h = j.transpose() * j;
  h(0, 0) += 2.0 * r0;
  h(0, 1) += r1;
  h(1, 0) += r1;
  h(1, 1) += -r2 * std::sin(x[1]);
  return h;
}

// Where the cost functions have no second derivatives (or losses are
// present) the exact model differences the gradient with a step of about
// sqrt(eps) |x|: its products carry a relative error of order 1e-8; this
// allows two orders of magnitude for the third derivatives.
constexpr double kExactModelTolerance = 1e-6;
// With AutoDiffCostFunction's second derivatives the products are exact to
// rounding.
constexpr double kSecondDerivativeTolerance = 1e-14;

// SmallResidual with a hand-written Jacobian and no second derivatives.
class SmallResidualWithoutSecondDerivatives : public SizedCostFunction<3, 2> {
 public:
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const double* x = parameters[0];
    SmallResidual{}(x, residuals);
    if (jacobians && jacobians[0]) {
      Eigen::Map<Eigen::Matrix<double, 3, 2, Eigen::RowMajor>> jacobian(jacobians[0]);
      jacobian = small_jacobian(x);
    }
    return true;
  }
};

// Both ways of computing the gradient: with the Jacobian, and J^T r alone
// (CostFunction::evaluate_gradient, through the losses' rho').
class ObjectiveAdapterLeastSquaresObjectiveGradient : public ::testing::TestWithParam<bool> {};

TEST_P(ObjectiveAdapterLeastSquaresObjectiveGradient, ValueAndGradientMatchProblemEvaluate) {
  double x[2] = {-1.2, 1.0};
  double a = 0.5, b = 2.0;
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  for (int i = 0; i < 5; ++i) {
    problem.add_residual_block(std::make_shared<LineResidual>(i, 1.0 + 2.0 * i + 0.3 * (i % 2)),
                               std::make_shared<CauchyLoss>(0.5), &a, &b);
  }
  problem.set_parameter_block_constant(&b);

  LeastSquaresObjectiveOptions options;
  options.gradient_without_jacobian = GetParam();
  LeastSquaresObjective objective(problem, options);
  ASSERT_EQ(objective.num_parameters(), 3);  // x and a; b is constant
  EXPECT_EQ(objective.num_residuals(), 7);
  const Eigen::VectorXd point = objective.gather();
  EXPECT_EQ(point, Eigen::Vector3d(-1.2, 1.0, 0.5));

  double value = 0.0;
  Eigen::VectorXd gradient;
  ASSERT_TRUE(objective.evaluate(point, &value, &gradient));
  double cost = 0.0;
  Eigen::VectorXd expected_gradient;
  ASSERT_TRUE(problem.evaluate({}, &cost, nullptr, &expected_gradient, nullptr, nullptr));
  EXPECT_DOUBLE_EQ(value, cost);
  EXPECT_TRUE(gradient.isApprox(expected_gradient, 1e-14)) << gradient.transpose() << "\n"
                                                           << expected_gradient.transpose();

  // Value alone, and at a point other than the Problem's values (which the
  // objective leaves alone).
  Eigen::VectorXd other = point;
  other[2] = 1.5;
  double other_value = 0.0;
  ASSERT_TRUE(objective.evaluate(other, &other_value, nullptr));
  EXPECT_EQ(a, 0.5);
  objective.scatter(other);
  EXPECT_EQ(a, 1.5);
  EXPECT_EQ(b, 2.0);
  ASSERT_TRUE(problem.evaluate({}, &cost, nullptr, nullptr, nullptr, nullptr));
  EXPECT_DOUBLE_EQ(other_value, cost);

  // The Gauss-Newton product is there either way.
  const std::unique_ptr<HessianOperator> hessian = objective.hessian(other);
  ASSERT_NE(hessian, nullptr);
  Eigen::VectorXd product;
  hessian->multiply(Eigen::Vector3d(1.0, -2.0, 0.5), &product);
  EXPECT_EQ(product.size(), 3);
  EXPECT_TRUE(product.allFinite());
}

INSTANTIATE_TEST_SUITE_P(ObjectiveAdapterLeastSquaresObjective, ObjectiveAdapterLeastSquaresObjectiveGradient,
                         ::testing::Bool(),
                         [](const auto& info) { return info.param ? "GradientOnly" : "WithJacobian"; });

TEST(ObjectiveAdapterLeastSquaresObjective, RejectsMisuse) {
  double x[2] = {1.0, 2.0};
  Problem empty;
  EXPECT_THROW(LeastSquaresObjective{empty}, Error);
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  LeastSquaresObjective objective(problem);
  double value;
  EXPECT_THROW(objective.evaluate(Eigen::VectorXd::Zero(3), &value, nullptr), Error);
  EXPECT_THROW(objective.hessian(Eigen::VectorXd::Zero(1)), Error);
  EXPECT_THROW(objective.scatter(Eigen::VectorXd::Zero(3)), Error);
  EXPECT_THROW(minimize(MinimizeOptions{}, static_cast<Problem*>(nullptr)), Error);
}

TEST(ObjectiveAdapterLeastSquaresObjective, GaussNewtonProductIsJacobianTransposeJacobian) {
  double x[2] = {0.7, -0.4};
  Problem problem;
  problem.add_residual_block(std::make_shared<AutoDiffCostFunction<SmallResidual, 3, 2>>(SmallResidual{}), nullptr, x);
  LeastSquaresObjective objective(problem);
  const Eigen::VectorXd point = objective.gather();
  std::unique_ptr<HessianOperator> hessian = objective.hessian(point);
  ASSERT_NE(hessian, nullptr);
  ASSERT_EQ(hessian->size(), 2);
  const Eigen::MatrixXd j = small_jacobian(x);
  const Eigen::MatrixXd expected = j.transpose() * j;
  const Eigen::Vector2d v(0.3, -1.7);
  Eigen::VectorXd product;
  hessian->multiply(v, &product);
  EXPECT_TRUE(product.isApprox(expected * v, 1e-14));
  Eigen::MatrixXd dense;
  ASSERT_TRUE(hessian->dense(&dense));
  EXPECT_TRUE(dense.isApprox(expected, 1e-14));
  Eigen::VectorXd diagonal;
  ASSERT_TRUE(hessian->diagonal(&diagonal));
  EXPECT_TRUE(diagonal.isApprox(expected.diagonal(), 1e-14));

  // The operator keeps its own Jacobian: evaluating elsewhere does not
  // change it.
  double value;
  Eigen::VectorXd gradient;
  ASSERT_TRUE(objective.evaluate(Eigen::Vector2d(3.0, 5.0), &value, &gradient));
  hessian->multiply(v, &product);
  EXPECT_TRUE(product.isApprox(expected * v, 1e-14));
}

// The exact model from AutoDiffCostFunction's second derivatives (exact to
// rounding) and, for a cost function without them, from differences.
class ObjectiveAdapterLeastSquaresObjectiveExactModel : public ::testing::TestWithParam<bool> {};

TEST_P(ObjectiveAdapterLeastSquaresObjectiveExactModel, ProductMatchesAnalyticHessian) {
  const bool second_derivatives = GetParam();
  const double tolerance = second_derivatives ? kSecondDerivativeTolerance : kExactModelTolerance;
  double x[2] = {0.7, -0.4};
  Problem problem;
  std::shared_ptr<CostFunction> cost;
  if (second_derivatives) {
    cost = std::make_shared<AutoDiffCostFunction<SmallResidual, 3, 2>>(SmallResidual{});
  } else {
    cost = std::make_shared<SmallResidualWithoutSecondDerivatives>();
  }
  ASSERT_EQ(cost->has_second_derivatives(), second_derivatives);
  problem.add_residual_block(cost, nullptr, x);
  LeastSquaresObjectiveOptions options;
  options.hessian_model = HessianModel::kExact;
  LeastSquaresObjective objective(problem, options);
  std::unique_ptr<HessianOperator> hessian = objective.hessian(objective.gather());
  ASSERT_NE(hessian, nullptr);
  const Eigen::MatrixXd expected = small_exact_hessian(x);
  for (const Eigen::Vector2d& v : {Eigen::Vector2d(1.0, 0.0), Eigen::Vector2d(0.0, 1.0), Eigen::Vector2d(0.3, -1.7),
                                   Eigen::Vector2d(-40.0, 25.0)}) {
    Eigen::VectorXd product;
    hessian->multiply(v, &product);
    const Eigen::VectorXd want = expected * v;
    EXPECT_LE((product - want).norm(), tolerance * expected.norm() * v.norm())
        << "v = " << v.transpose() << ": " << product.transpose() << " vs " << want.transpose();
  }
  Eigen::MatrixXd dense;
  ASSERT_TRUE(hessian->dense(&dense));
  EXPECT_EQ(dense, dense.transpose());
  EXPECT_LE((dense - expected).norm(), tolerance * expected.norm());
  // The exact diagonal, not the Gauss-Newton one the base operator knows.
  Eigen::VectorXd diagonal;
  ASSERT_TRUE(hessian->diagonal(&diagonal));
  EXPECT_EQ(diagonal, dense.diagonal());
  // Not the Gauss-Newton matrix: the residuals are far from zero here.
  const Eigen::MatrixXd j = small_jacobian(x);
  EXPECT_GT((dense - j.transpose() * j).norm(), 0.1);

  Eigen::VectorXd zero_product;
  hessian->multiply(Eigen::Vector2d::Zero(), &zero_product);
  EXPECT_EQ(zero_product, Eigen::Vector2d::Zero());
}

INSTANTIATE_TEST_SUITE_P(SecondDerivatives, ObjectiveAdapterLeastSquaresObjectiveExactModel, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Autodiff" : "Differenced"; });

TEST(ObjectiveAdapterLeastSquaresObjective, ExactProductWithLossMatchesAutodiffHessianOfTheCost) {
  double x[2] = {0.7, -0.4};
  Problem problem;
  problem.add_residual_block(std::make_shared<AutoDiffCostFunction<SmallResidual, 3, 2>>(SmallResidual{}),
                             std::make_shared<CauchyLoss>(1.0), x);
  LeastSquaresObjectiveOptions options;
  options.hessian_model = HessianModel::kExact;
  LeastSquaresObjective objective(problem, options);
  AutoDiffObjective<SmallCauchyCost, 2> reference(SmallCauchyCost{});
  const Eigen::VectorXd point = objective.gather();

  double value, reference_value;
  Eigen::VectorXd gradient, reference_gradient;
  ASSERT_TRUE(objective.evaluate(point, &value, &gradient));
  ASSERT_TRUE(reference.evaluate(point, &reference_value, &reference_gradient));
  EXPECT_NEAR(value, reference_value, 1e-14);
  EXPECT_TRUE(gradient.isApprox(reference_gradient, 1e-13));

  Eigen::MatrixXd dense, expected;
  ASSERT_TRUE(objective.hessian(point)->dense(&dense));
  ASSERT_TRUE(reference.hessian(point)->dense(&expected));
  EXPECT_LE((dense - expected).norm(), kExactModelTolerance * expected.norm()) << dense << "\n\n" << expected;
}

TEST(ObjectiveAdapterLeastSquaresObjective, ExposesTheProblemsBounds) {
  double x[2] = {0.5, 0.5};
  double c = 1.0, d = 0.0;
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  problem.add_residual_block(std::make_shared<LineResidual>(1.0, 1.0), nullptr, &c, &d);
  {
    LeastSquaresObjective unbounded(problem);
    EXPECT_EQ(unbounded.lower_bounds(), nullptr);
    EXPECT_EQ(unbounded.upper_bounds(), nullptr);
  }
  problem.set_lower_bound(x, 1, -2.0);
  problem.set_upper_bound(&c, 0, 3.0);
  LeastSquaresObjective objective(problem);
  ASSERT_NE(objective.lower_bounds(), nullptr);
  ASSERT_NE(objective.upper_bounds(), nullptr);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(*objective.lower_bounds(), Eigen::Vector4d(-kInf, -2.0, -kInf, -kInf));
  EXPECT_EQ(*objective.upper_bounds(), Eigen::Vector4d(kInf, kInf, 3.0, kInf));
}

TEST(ObjectiveAdapterLeastSquaresObjective, MinimizeWritesTheBestPointBack) {
  for (MinimizerMethod method :
       {MinimizerMethod::kNewtonTrustRegionCg, MinimizerMethod::kNewtonDogleg, MinimizerMethod::kLbfgs}) {
    for (HessianModel model : {HessianModel::kGaussNewton, HessianModel::kExact}) {
      double x[2] = {-1.2, 1.0};
      double fixed = 7.0, free = 0.0;
      Problem problem;
      problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
      // r = 9 - (fixed + free): zero at free = 2 while `fixed` stays 7.
      problem.add_residual_block(std::make_shared<LineResidual>(1.0, 9.0), nullptr, &fixed, &free);
      problem.set_parameter_block_constant(&fixed);
      MinimizeOptions options;
      options.method = method;
      options.gradient_tolerance = 1e-12;
      const Summary summary = minimize(options, &problem, model);
      SCOPED_TRACE(to_string(method));
      EXPECT_TRUE(summary.converged()) << summary.full_report();
      EXPECT_NEAR(x[0], 1.0, 1e-8);
      EXPECT_NEAR(x[1], 1.0, 1e-8);
      EXPECT_NEAR(free, 2.0, 1e-8);
      EXPECT_EQ(fixed, 7.0);
      EXPECT_EQ(summary.num_parameters, 3);
      EXPECT_EQ(summary.num_residuals, 3);
      EXPECT_EQ(summary.num_residual_blocks, 2);
      EXPECT_NEAR(summary.final_cost, 0.0, 1e-18);
    }
  }
}

// The chained Rosenbrock function over n scalar blocks: block i has
// r = (10 (x_{i+1} - x_i^2), 1 - x_i). With n = 300 the Jacobian is
// 0.7% full, so the objective stores it sparse.
struct ChainResidual {
  template <typename T>
  bool operator()(const T* a, const T* b, T* r) const {
    r[0] = 10.0 * (b[0] - a[0] * a[0]);
    r[1] = 1.0 - a[0];
    return true;
  }
};

TEST(ObjectiveAdapterLeastSquaresObjective, SparseJacobianProductsAndSolve) {
  constexpr int kSize = 300;
  std::vector<double> x(kSize);
  for (int i = 0; i < kSize; ++i) x[i] = i % 2 == 0 ? -1.2 : 1.0;
  Problem problem;
  for (int i = 0; i + 1 < kSize; ++i) {
    problem.add_residual_block(std::make_shared<AutoDiffCostFunction<ChainResidual, 2, 1, 1>>(ChainResidual{}), nullptr,
                               &x[i], &x[i + 1]);
  }
  Eigen::MatrixXd j;
  Eigen::VectorXd residuals;
  ASSERT_TRUE(problem.evaluate({}, nullptr, &residuals, nullptr, &j, nullptr));
  Eigen::VectorXd v(kSize);
  for (int i = 0; i < kSize; ++i) v[i] = std::sin(0.1 * i);

  LeastSquaresObjective gauss_newton(problem);
  Eigen::VectorXd product;
  gauss_newton.hessian(gauss_newton.gather())->multiply(v, &product);
  EXPECT_TRUE(product.isApprox(j.transpose() * (j * v), 1e-13));
  Eigen::MatrixXd dense;
  ASSERT_TRUE(gauss_newton.hessian(gauss_newton.gather())->dense(&dense));
  EXPECT_TRUE(dense.isApprox(j.transpose() * j, 1e-13));
  // The squared column norms of the sparse Jacobian, beyond the dense limit too.
  LeastSquaresObjectiveOptions small_dense;
  small_dense.max_dense_parameters = 10;
  LeastSquaresObjective no_dense(problem, small_dense);
  Eigen::VectorXd diagonal;
  ASSERT_FALSE(no_dense.hessian(no_dense.gather())->dense(&dense));
  ASSERT_TRUE(no_dense.hessian(no_dense.gather())->diagonal(&diagonal));
  EXPECT_TRUE(diagonal.isApprox((j.transpose() * j).diagonal(), 1e-13));

  // Exact: each block adds r0 * Hess(r0) = r0 * (-20) at (x_i, x_i).
  Eigen::MatrixXd expected = j.transpose() * j;
  for (int i = 0; i + 1 < kSize; ++i) expected(i, i) += -20.0 * residuals[2 * i];
  LeastSquaresObjectiveOptions options;
  options.hessian_model = HessianModel::kExact;
  LeastSquaresObjective exact(problem, options);
  exact.hessian(exact.gather())->multiply(v, &product);
  EXPECT_LE((product - expected * v).norm(), kSecondDerivativeTolerance * expected.norm() * v.norm());
  ASSERT_TRUE(exact.hessian(exact.gather())->diagonal(&diagonal));
  EXPECT_LE((diagonal - expected.diagonal()).norm(), kSecondDerivativeTolerance * expected.norm());

  MinimizeOptions minimize_options;
  minimize_options.method = MinimizerMethod::kNewtonTrustRegionCg;
  // The chain moves information one variable per step: about 1100 iterations.
  minimize_options.max_iterations = 5000;
  const Summary summary = minimize(minimize_options, &problem);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  for (int i = 0; i < kSize; ++i) EXPECT_NEAR(x[i], 1.0, 1e-8) << "coordinate " << i;
}

// One observation of a quadratic in t: r = c0 + c1 t + c2 t^2 - y.
struct QuadraticObservation {
  double t, y;
  template <typename T>
  bool operator()(const T* c, T* r) const {
    r[0] = c[0] + c[1] * t + c[2] * t * t - y;
    return true;
  }
};

TEST(ObjectiveAdapterLeastSquaresObjective, NewtonSolvesLinearRegressionInOneStep) {
  // Linear residuals: the exact Hessian is J^T J, and one Newton step lands
  // on the least-squares solution.
  constexpr int kSamples = 20;
  Eigen::MatrixXd design(kSamples, 3);
  Eigen::VectorXd observed(kSamples);
  double c[3] = {10.0, -4.0, 3.0};
  Problem problem;
  for (int i = 0; i < kSamples; ++i) {
    const double t = 0.1 * i;
    const double y = 1.0 + 2.0 * t - 0.5 * t * t + 0.01 * std::sin(7.0 * i);
    design.row(i) << 1.0, t, t * t;
    observed[i] = y;
    problem.add_residual_block(
        std::make_shared<AutoDiffCostFunction<QuadraticObservation, 1, 3>>(QuadraticObservation{t, y}), nullptr, c);
  }
  const Eigen::Vector3d expected = design.colPivHouseholderQr().solve(observed);
  MinimizeOptions options;
  options.method = MinimizerMethod::kNewton;
  const Summary summary = minimize(options, &problem, HessianModel::kExact);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(c[k], expected[k], 1e-12 * expected.norm()) << "coefficient " << k;
  ASSERT_GE(summary.trace.size(), 2u);
  EXPECT_EQ(summary.trace[1].step_length, 1.0);
  EXPECT_NEAR(summary.trace[1].cost, summary.final_cost, 1e-12 * summary.final_cost)
      << "the first step already reaches the minimum\n"
      << summary.full_report();
}

// f = exp(x0) sin(x1) + x0^2 x2^3.
struct Closed {
  template <typename T>
  bool operator()(const T* x, T* f) const {
    using std::exp;
    using std::sin;
    *f = exp(x[0]) * sin(x[1]) + x[0] * x[0] * x[2] * x[2] * x[2];
    return true;
  }
};

TEST(ObjectiveAdapterAutoDiffObjective, GradientAndHessianMatchClosedForms) {
  AutoDiffObjective<Closed, 3> objective(Closed{}, "closed form");
  EXPECT_STREQ(objective.name(), "closed form");
  EXPECT_TRUE(objective.has_hessian());
  const Eigen::Vector3d x(0.3, -1.1, 0.8);
  const double e = std::exp(x[0]), s = std::sin(x[1]), c = std::cos(x[1]);
  double value = 0.0, value_only = 0.0;
  Eigen::VectorXd gradient;
  ASSERT_TRUE(objective.evaluate(x, &value, &gradient));
  ASSERT_TRUE(objective.evaluate(x, &value_only, nullptr));
  const double expected_value = e * s + x[0] * x[0] * std::pow(x[2], 3);
  EXPECT_NEAR(value, expected_value, 1e-15);
  EXPECT_NEAR(value_only, expected_value, 1e-15);
  const Eigen::Vector3d expected_gradient(e * s + 2 * x[0] * std::pow(x[2], 3), e * c, 3 * x[0] * x[0] * x[2] * x[2]);
  EXPECT_TRUE(gradient.isApprox(expected_gradient, 1e-14));

  Eigen::Matrix3d expected_hessian;
  expected_hessian << e * s + 2 * std::pow(x[2], 3), e * c, 6 * x[0] * x[2] * x[2],  //
      e * c, -e * s, 0,                                                              //
      6 * x[0] * x[2] * x[2], 0, 6 * x[0] * x[0] * x[2];
  std::unique_ptr<HessianOperator> hessian = objective.hessian(x);
  ASSERT_NE(hessian, nullptr);
  Eigen::MatrixXd dense;
  ASSERT_TRUE(hessian->dense(&dense));
  EXPECT_TRUE(dense.isApprox(expected_hessian, 1e-14)) << dense;
  Eigen::VectorXd product;
  hessian->multiply(Eigen::Vector3d(1.0, 2.0, -3.0), &product);
  EXPECT_TRUE(product.isApprox(expected_hessian * Eigen::Vector3d(1.0, 2.0, -3.0), 1e-14));
}

struct Domain {
  template <typename T>
  bool operator()(const T* x, T* f) const {
    using std::log;
    if (x[0] <= 0.0) return false;
    *f = log(x[0]);
    return true;
  }
};

TEST(ObjectiveAdapterAutoDiffObjective, ReportsFailuresAndChecksSizesAndBounds) {
  AutoDiffObjective<Domain, 1> objective(Domain{});
  double value;
  Eigen::VectorXd gradient;
  EXPECT_FALSE(objective.evaluate(Eigen::VectorXd::Constant(1, -1.0), &value, &gradient));
  EXPECT_EQ(objective.hessian(Eigen::VectorXd::Constant(1, -1.0)), nullptr);
  EXPECT_THROW(objective.evaluate(Eigen::VectorXd::Zero(2), &value, nullptr), Error);
  EXPECT_EQ(objective.lower_bounds(), nullptr);
  EXPECT_THROW(objective.set_bounds(Eigen::VectorXd::Constant(1, 2.0), Eigen::VectorXd::Constant(1, 1.0)), Error);
  EXPECT_THROW(objective.set_bounds(Eigen::VectorXd::Zero(2), Eigen::VectorXd::Zero(2)), Error);
  objective.set_bounds(Eigen::VectorXd::Constant(1, 0.5), Eigen::VectorXd::Constant(1, 4.0));
  ASSERT_NE(objective.lower_bounds(), nullptr);
  EXPECT_EQ((*objective.upper_bounds())[0], 4.0);
}

}  // namespace
}  // namespace curvature
