// Nesterov's accelerated gradient through minimize(): a strongly convex
// quadratic, a logistic-like smooth convex function, the benefit of restarts
// on an ill-conditioned quadratic, and projection onto a box.
//
// Where f* is far from zero the solve usually ends on the function
// tolerance: f stops changing in double precision once f - f* ~
// lambda_min |x - x*|^2 / 2 drops below eps |f*|, i.e. at |x - x*| of about
// sqrt(2 eps |f*| / lambda_min) ~ 1e-7 here. The accuracy asked of x is set
// by that resolution.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>

#include "curvature/autodiff_objective.h"
#include "curvature/minimize.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::Quadratic;

// f = sum_j softplus(z_j) + softplus(-z_j), z = A x - b, softplus(z) =
// log(1 + e^z): each term is a two-sided logistic loss, smooth, convex and
// smallest at z_j = 0, so the minimizer is A^-1 b.
struct TwoSidedLogistic {
  static Eigen::Matrix3d a() {
    Eigen::Matrix3d m;
    m << 2, -1, 0.5,  //
        0.3, 1, -1,   //
        1, 0.2, 3;
    return m;
  }
  static Eigen::Vector3d b() { return Eigen::Vector3d(1.0, -0.5, 2.0); }
  template <typename T>
  bool operator()(const T* x, T* f) const {
    using std::exp;
    using std::log;
    const Eigen::Matrix3d m = a();
    const Eigen::Vector3d v = b();
    T sum(0.0);
    for (int j = 0; j < 3; ++j) {
      T z(-v[j]);
      for (int i = 0; i < 3; ++i) z += m(j, i) * x[i];
      sum += log(1.0 + exp(z)) + log(1.0 + exp(-z));
    }
    *f = sum;
    return true;
  }
};

// f = 1/2 sum_i d_i (x_i - c_i)^2 with d_i from 1 to 1e4 (condition number
// 1e4) and c_i = i / 10.
constexpr int kIllConditionedSize = 12;
struct IllConditioned {
  static double d(int i) { return std::pow(1e4, i / (kIllConditionedSize - 1.0)); }
  static double c(int i) { return i / 10.0; }
  template <typename T>
  bool operator()(const T* x, T* f) const {
    T sum(0.0);
    for (int i = 0; i < kIllConditionedSize; ++i) sum += 0.5 * d(i) * (x[i] - c(i)) * (x[i] - c(i));
    *f = sum;
    return true;
  }
};

TEST(Nesterov, ReachesTheMinimizerOfAStronglyConvexQuadratic) {
  AutoDiffObjective<Quadratic, 4> objective(Quadratic{});
  MinimizeOptions options;
  options.method = MinimizerMethod::kNesterov;
  options.gradient_tolerance = 1e-10;
  Eigen::VectorXd x = Eigen::VectorXd::Constant(4, 5.0);
  const Summary summary = minimize(options, objective, &x);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  const Eigen::Vector4d expected = Quadratic::a().ldlt().solve(Quadratic::b());
  EXPECT_LT((x - expected).norm(), 1e-6) << x.transpose() << " vs " << expected.transpose();
  EXPECT_EQ(summary.method, "nesterov");
  EXPECT_EQ(summary.iterations, summary.accepted_steps + summary.rejected_steps);
  // With restarts the iterates are monotone, up to the rounding in f.
  for (size_t i = 1; i < summary.trace.size(); ++i) {
    EXPECT_LE(summary.trace[i].cost, summary.trace[i - 1].cost + 1e-14 * std::abs(summary.trace[i - 1].cost));
  }
}

TEST(Nesterov, ReachesTheMinimizerOfALogisticLikeFunction) {
  AutoDiffObjective<TwoSidedLogistic, 3> objective(TwoSidedLogistic{});
  const Eigen::Vector3d expected = TwoSidedLogistic::a().lu().solve(TwoSidedLogistic::b());
  for (bool restart : {true, false}) {
    MinimizeOptions options;
    options.method = MinimizerMethod::kNesterov;
    options.nesterov_restart = restart;
    options.gradient_tolerance = 1e-10;
    options.max_iterations = 20000;
    Eigen::VectorXd x(3);
    x << -3.0, 4.0, 2.0;
    const Summary summary = minimize(options, objective, &x);
    SCOPED_TRACE(restart ? "with restart" : "without restart");
    EXPECT_TRUE(summary.converged()) << summary.full_report();
    EXPECT_LT((x - expected).norm(), 1e-6) << x.transpose() << " vs " << expected.transpose();
    EXPECT_NEAR(summary.final_cost, 3.0 * 2.0 * std::log(2.0), 1e-14);
  }
}

TEST(Nesterov, RestartNeedsFewerIterationsOnAnIllConditionedQuadratic) {
  AutoDiffObjective<IllConditioned, kIllConditionedSize> objective(IllConditioned{});
  int iterations[2] = {0, 0};
  for (bool restart : {false, true}) {
    MinimizeOptions options;
    options.method = MinimizerMethod::kNesterov;
    options.nesterov_restart = restart;
    options.gradient_tolerance = 1e-8;
    options.max_iterations = 100000;
    Eigen::VectorXd x = Eigen::VectorXd::Constant(kIllConditionedSize, 10.0);
    const Summary summary = minimize(options, objective, &x);
    SCOPED_TRACE(restart ? "with restart" : "without restart");
    EXPECT_EQ(summary.termination, TerminationType::kGradientTolerance) << summary.full_report();
    for (int i = 0; i < kIllConditionedSize; ++i) EXPECT_NEAR(x[i], IllConditioned::c(i), 1e-7);
    iterations[restart] = summary.iterations;
  }
  EXPECT_LT(iterations[1], iterations[0]) << "with restart " << iterations[1] << ", without " << iterations[0];
}

TEST(Nesterov, ProjectsOntoABox) {
  // Separable, so the box-constrained minimizer is the clamped c.
  AutoDiffObjective<IllConditioned, kIllConditionedSize> objective(IllConditioned{});
  Eigen::VectorXd lower = Eigen::VectorXd::Constant(kIllConditionedSize, 0.25);
  Eigen::VectorXd upper = Eigen::VectorXd::Constant(kIllConditionedSize, 0.75);
  objective.set_bounds(lower, upper);
  MinimizeOptions options;
  options.method = MinimizerMethod::kNesterov;
  options.gradient_tolerance = 1e-9;
  options.max_iterations = 100000;
  Eigen::VectorXd x = Eigen::VectorXd::Constant(kIllConditionedSize, -3.0);  // projected at the start
  const Summary summary = minimize(options, objective, &x);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  // Coordinates at a bound sit exactly on it; the free ones are limited by
  // the resolution of f (f* ~ 770 here).
  for (int i = 0; i < kIllConditionedSize; ++i) {
    const double c = IllConditioned::c(i);
    const bool free = c > 0.25 && c < 0.75;
    EXPECT_NEAR(x[i], std::clamp(c, 0.25, 0.75), free ? 1e-6 : 0.0) << "coordinate " << i;
  }
}

struct Undefined {
  template <typename T>
  bool operator()(const T* x, T* f) const {
    *f = x[0];
    return false;
  }
};

TEST(Nesterov, ReportsAnInvalidStart) {
  AutoDiffObjective<Undefined, 1> objective(Undefined{});
  MinimizeOptions options;
  options.method = MinimizerMethod::kNesterov;
  Eigen::VectorXd x = Eigen::VectorXd::Constant(1, 2.0);
  const Summary summary = minimize(options, objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kInvalidStartingPoint);
  EXPECT_EQ(x[0], 2.0);
}

}  // namespace
}  // namespace curvature
