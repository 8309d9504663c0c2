// Newton's trust-region methods (Steihaug-Toint CG and dogleg) through
// minimize(): Rosenbrock, a quadratic (solved in one step by dogleg; one CG
// step meets the forcing term), the step never longer than the radius,
// negative curvature, bounds, and a least-squares problem with Gauss-Newton
// products.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "curvature/autodiff_objective.h"
#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/problem.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::Quadratic;

// Every method whose registry row runs the trust-region loop.
std::vector<MinimizerMethod> trust_region_methods() {
  std::vector<MinimizerMethod> methods;
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    if (row.loop == MinimizerLoop::kTrustRegion) methods.push_back(row.value);
  }
  return methods;
}

struct Rosenbrock {
  template <typename T>
  bool operator()(const T* x, T* f) const {
    const T a = 1.0 - x[0], b = x[1] - x[0] * x[0];
    *f = a * a + 100.0 * b * b;
    return true;
  }
};

// A double well, f = x^4/4 - x^2/2 + y^2/2: minima (+-1, 0) with f = -1/4,
// a saddle at the origin, negative curvature for |x| < 1/sqrt(3).
struct DoubleWell {
  template <typename T>
  bool operator()(const T* x, T* f) const {
    *f = 0.25 * x[0] * x[0] * x[0] * x[0] - 0.5 * x[0] * x[0] + 0.5 * x[1] * x[1];
    return true;
  }
};

class NewtonTrustRegionTest : public ::testing::TestWithParam<MinimizerMethod> {};

TEST_P(NewtonTrustRegionTest, SolvesRosenbrock) {
  AutoDiffObjective<Rosenbrock, 2> objective(Rosenbrock{});
  MinimizeOptions options;
  options.method = GetParam();
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  const Summary summary = minimize(options, objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kGradientTolerance) << summary.full_report();
  EXPECT_NEAR(x[0], 1.0, 1e-9);
  EXPECT_NEAR(x[1], 1.0, 1e-9);
  EXPECT_LT(summary.iterations, 60) << summary.full_report();
  EXPECT_EQ(summary.iterations, summary.accepted_steps + summary.rejected_steps);
  EXPECT_EQ(summary.trace.size(), static_cast<size_t>(summary.iterations) + 1);
}

TEST_P(NewtonTrustRegionTest, StepNeverExceedsTheRadius) {
  AutoDiffObjective<Rosenbrock, 2> objective(Rosenbrock{});
  MinimizeOptions options;
  options.method = GetParam();
  options.initial_trust_region_radius = 0.05;  // many steps end on the boundary
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  const Summary summary = minimize(options, objective, &x);
  ASSERT_TRUE(summary.converged()) << summary.full_report();
  int on_boundary = 0;
  for (size_t i = 1; i < summary.trace.size(); ++i) {
    const IterationRecord& record = summary.trace[i];
    EXPECT_LE(record.step_norm, record.trust_region_radius * (1.0 + 1e-14))
        << "iteration " << record.iteration << ": |p| = " << record.step_norm
        << ", radius = " << record.trust_region_radius;
    if (record.step_norm > record.trust_region_radius * (1.0 - 1e-12)) ++on_boundary;
  }
  // The bound was actually tested (LM's damped steps stay strictly inside it:
  // |p| <= |g| / lambda = radius holds with equality only in the limit).
  if (GetParam() != MinimizerMethod::kLevenbergMarquardtCg) EXPECT_GT(on_boundary, 3);
}

TEST(NewtonTrustRegion, DoglegSolvesAQuadraticInOneStep) {
  AutoDiffObjective<Quadratic, 4> objective(Quadratic{});
  MinimizeOptions options;
  options.method = MinimizerMethod::kNewtonDogleg;
  options.initial_trust_region_radius = 1e6;
  options.max_trust_region_radius = 1e6;
  options.gradient_tolerance = 1e-11;
  Eigen::VectorXd x = Eigen::VectorXd::Constant(4, 5.0);
  const Summary summary = minimize(options, objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kGradientTolerance) << summary.full_report();
  EXPECT_EQ(summary.iterations, 1);
  EXPECT_EQ(summary.accepted_steps, 1);
  const Eigen::Vector4d expected = Quadratic::a().ldlt().solve(Quadratic::b());
  EXPECT_TRUE(x.isApprox(expected, 1e-12)) << x.transpose() << " vs " << expected.transpose();
  EXPECT_NEAR(summary.trace[1].relative_decrease, 1.0, 1e-10);
}

TEST(NewtonTrustRegion, CgSolvesAQuadraticToTheForcingTermInOneStep) {
  AutoDiffObjective<Quadratic, 4> objective(Quadratic{});
  const Eigen::Vector4d expected = Quadratic::a().ldlt().solve(Quadratic::b());
  MinimizeOptions options;
  options.method = MinimizerMethod::kNewtonTrustRegionCg;
  options.initial_trust_region_radius = 1e6;
  options.max_trust_region_radius = 1e6;
  options.max_iterations = 1;
  Eigen::VectorXd x = Eigen::VectorXd::Constant(4, 5.0);
  double f0;
  Eigen::VectorXd g0, g1;
  ASSERT_TRUE(objective.evaluate(x, &f0, &g0));
  const Summary summary = minimize(options, objective, &x);
  ASSERT_EQ(summary.accepted_steps, 1) << summary.full_report();
  // On a quadratic the new gradient is the CG residual: CG stopped at
  // |r| <= min(0.5, sqrt|g|) |g|.
  double f1;
  ASSERT_TRUE(objective.evaluate(x, &f1, &g1));
  EXPECT_LE(g1.norm(), std::min(0.5, std::sqrt(g0.norm())) * g0.norm());
  EXPECT_NEAR(summary.trace[1].relative_decrease, 1.0, 1e-10);  // the model is exact

  // With the forcing term met exactly, CG runs to the solution (n steps).
  options.max_iterations = 100;
  options.gradient_tolerance = 1e-11;
  x.setConstant(5.0);
  const Summary solved = minimize(options, objective, &x);
  EXPECT_EQ(solved.termination, TerminationType::kGradientTolerance) << solved.full_report();
  EXPECT_TRUE(x.isApprox(expected, 1e-12));
  EXPECT_LE(solved.iterations, 5);
}

TEST_P(NewtonTrustRegionTest, LeavesASaddleAlongNegativeCurvature) {
  AutoDiffObjective<DoubleWell, 2> objective(DoubleWell{});
  MinimizeOptions options;
  options.method = GetParam();
  options.initial_trust_region_radius = 0.5;
  // At (0.1, 0) the Hessian is diag(-0.97, 1) and the gradient points along
  // the negative-curvature direction; pure Newton would step to the saddle.
  Eigen::VectorXd x(2);
  x << 0.1, 0.0;
  const Summary summary = minimize(options, objective, &x);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  EXPECT_NEAR(x[0], 1.0, 1e-8);
  EXPECT_NEAR(x[1], 0.0, 1e-8);
  EXPECT_NEAR(summary.final_cost, -0.25, 1e-14);
  // The first step goes to the boundary, away from the saddle, and is taken.
  ASSERT_GE(summary.trace.size(), 2u);
  EXPECT_NEAR(summary.trace[1].step_norm, 0.5, 1e-12);
  EXPECT_TRUE(summary.trace[1].accepted);
  // Every accepted step decreased f.
  for (size_t i = 1; i < summary.trace.size(); ++i) EXPECT_LE(summary.trace[i].cost, summary.trace[i - 1].cost);
}

TEST_P(NewtonTrustRegionTest, ProjectsOntoBounds) {
  // The quadratic's unconstrained minimizer has x2 = 1.47...; cap it at 1 and
  // bound x0 below by 0.5 (unconstrained: -0.26...).
  AutoDiffObjective<Quadratic, 4> objective(Quadratic{});
  constexpr double kInf = std::numeric_limits<double>::infinity();
  objective.set_bounds(Eigen::Vector4d(0.5, -kInf, -kInf, -kInf), Eigen::Vector4d(kInf, kInf, 1.0, kInf));
  MinimizeOptions options;
  options.method = GetParam();
  options.gradient_tolerance = 1e-10;
  Eigen::VectorXd x = Eigen::VectorXd::Constant(4, 3.0);
  const Summary summary = minimize(options, objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kGradientTolerance) << summary.full_report();
  // KKT by hand: x0 = 0.5 and x2 = 1 fixed, the free x1, x3 minimize the rest.
  const Eigen::Matrix4d a = Quadratic::a();
  const Eigen::Vector4d b = Quadratic::b();
  Eigen::Matrix2d a_free;
  a_free << a(1, 1), a(1, 3), a(3, 1), a(3, 3);
  const Eigen::Vector2d rhs(b[1] - a(1, 0) * 0.5 - a(1, 2) * 1.0, b[3] - a(3, 0) * 0.5 - a(3, 2) * 1.0);
  const Eigen::Vector2d free = a_free.ldlt().solve(rhs);
  EXPECT_NEAR(x[0], 0.5, 1e-12);
  EXPECT_NEAR(x[2], 1.0, 1e-12);
  EXPECT_NEAR(x[1], free[0], 1e-9);
  EXPECT_NEAR(x[3], free[1], 1e-9);
  // Both bounds are active with the gradient pushing outward.
  Eigen::VectorXd g;
  double f;
  ASSERT_TRUE(objective.evaluate(x, &f, &g));
  EXPECT_GT(g[0], 0.0);
  EXPECT_LT(g[2], 0.0);
  for (const IterationRecord& record : summary.trace) {
    EXPECT_LE(record.step_norm, record.trust_region_radius * (1.0 + 1e-14));
  }
}

TEST(NewtonTrustRegion, HessianFreeGaussNewtonOnLeastSquares) {
  // Powell's singular function: J is singular at the solution, so the
  // Gauss-Newton operator is only semidefinite there.
  double x[4] = {3.0, -1.0, 0.0, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<testing::PowellSingularResidual>(), nullptr, x);
  MinimizeOptions options;
  options.method = MinimizerMethod::kNewtonTrustRegionCg;
  options.gradient_tolerance = 1e-14;
  const Summary summary = minimize(options, &problem);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  EXPECT_LT(summary.final_cost, 1e-20);
  EXPECT_GT(summary.linear_solver_iterations, 0);
  EXPECT_EQ(summary.linear_solver, "steihaug-cg");
}

TEST(NewtonTrustRegion, StopsWhenTheCallbackAsks) {
  AutoDiffObjective<Rosenbrock, 2> objective(Rosenbrock{});
  MinimizeOptions options;
  options.method = MinimizerMethod::kNewtonTrustRegionCg;
  options.callback = [](const IterationRecord& record) {
    return record.iteration >= 3 ? CallbackReturn::kStop : CallbackReturn::kContinue;
  };
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  const Summary summary = minimize(options, objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kUserStop);
  EXPECT_EQ(summary.iterations, 3);
}

INSTANTIATE_TEST_SUITE_P(Methods, NewtonTrustRegionTest, ::testing::ValuesIn(trust_region_methods()),
                         [](const ::testing::TestParamInfo<MinimizerMethod>& info) {
                           switch (info.param) {
                             case MinimizerMethod::kNewtonDogleg:
                               return std::string("Dogleg");
                             case MinimizerMethod::kLevenbergMarquardtCg:
                               return std::string("LevenbergCg");
                             default:
                               return std::string("SteihaugCg");
                           }
                         });

}  // namespace
}  // namespace curvature
