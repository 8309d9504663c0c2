// The Levenberg-Marquardt strategy as a state machine: lambda after given
// sequences of accepted, rejected and invalid steps, each value worked out
// by hand from Nielsen's rule (levenberg_marquardt_strategy.cc):
//   accepted with rho:  lambda *= max(1/3, 1 - (2 rho - 1)^3), nu = 2;
//   rejected, invalid:  lambda *= nu, nu *= 2;
// radius() = 1 / lambda. And the step it computes on a linear model.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "least_squares_trust_region_strategy.h"
#include "trust_region_test_models.h"

namespace curvature::internal {
namespace {

using testing::LinearLeastSquaresModel;

SolverOptions marquardt_options(double initial_damping) {
  SolverOptions options;
  options.method = Method::kLevenbergMarquardt;
  options.damping = Damping::kMarquardt;
  options.initial_damping = initial_damping;
  return options;
}

TEST(LevenbergMarquardtStrategy, DampingFollowsNielsensRule) {
  LinearLeastSquaresModel model(marquardt_options(1.0), Eigen::Matrix2d::Identity(), Eigen::Vector2d::Zero(),
                                Eigen::Vector2d(3.0, 4.0));
  ASSERT_TRUE(model.evaluated);
  auto strategy = make_levenberg_marquardt_strategy(model.options, model.linear_solver());
  ASSERT_TRUE(strategy->prepare(*model.context).success);
  // Marquardt's scaling: lambda_0 = initial_damping.
  EXPECT_DOUBLE_EQ(strategy->damping(), 1.0);
  EXPECT_DOUBLE_EQ(strategy->radius(), 1.0);

  strategy->step_accepted(1.0);  // 2 rho - 1 = 1: max(1/3, 0) = 1/3
  EXPECT_DOUBLE_EQ(strategy->damping(), 1.0 / 3.0);
  strategy->step_rejected(0.0);  // * nu = 2, nu = 4
  EXPECT_DOUBLE_EQ(strategy->damping(), 2.0 / 3.0);
  strategy->step_rejected(-std::numeric_limits<double>::infinity());  // * 4, nu = 8
  EXPECT_DOUBLE_EQ(strategy->damping(), 8.0 / 3.0);
  strategy->step_invalid();  // as a rejection: * 8, nu = 16
  EXPECT_DOUBLE_EQ(strategy->damping(), 64.0 / 3.0);
  strategy->step_accepted(0.5);  // 2 rho - 1 = 0: * 1, and nu back to 2
  EXPECT_DOUBLE_EQ(strategy->damping(), 64.0 / 3.0);
  strategy->step_rejected(0.0);  // * 2 (nu was reset), nu = 4
  EXPECT_DOUBLE_EQ(strategy->damping(), 128.0 / 3.0);
  strategy->step_accepted(0.75);  // 2 rho - 1 = 1/2: * (1 - 1/8) = 7/8
  EXPECT_DOUBLE_EQ(strategy->damping(), 112.0 / 3.0);
  strategy->step_accepted(0.0);  // 2 rho - 1 = -1: * 2
  EXPECT_DOUBLE_EQ(strategy->damping(), 224.0 / 3.0);
  EXPECT_DOUBLE_EQ(strategy->radius(), 3.0 / 224.0);
}

TEST(LevenbergMarquardtStrategy, LevenbergDampingStartsFromTheLargestColumnNorm) {
  SolverOptions options = marquardt_options(0.5);
  options.damping = Damping::kLevenberg;
  // J = diag(1, 2): squared column norms 1 and 4, so lambda_0 = 0.5 * 4.
  LinearLeastSquaresModel model(options, Eigen::Vector2d(1.0, 2.0).asDiagonal(), Eigen::Vector2d::Zero(),
                                Eigen::Vector2d(1.0, 1.0));
  ASSERT_TRUE(model.evaluated);
  auto strategy = make_levenberg_marquardt_strategy(model.options, model.linear_solver());
  ASSERT_TRUE(strategy->prepare(*model.context).success);
  EXPECT_DOUBLE_EQ(strategy->damping(), 2.0);
}

TEST(LevenbergMarquardtStrategy, StepSolvesTheDampedSystem) {
  // J = I, r = x - b at x = (3, 4), b = 0: g = (3, 4), S = diag(J^T J) = I,
  // so (1 + lambda) h = -g; with lambda = 1, h = -g / 2.
  LinearLeastSquaresModel model(marquardt_options(1.0), Eigen::Matrix2d::Identity(), Eigen::Vector2d::Zero(),
                                Eigen::Vector2d(3.0, 4.0));
  ASSERT_TRUE(model.evaluated);
  auto strategy = make_levenberg_marquardt_strategy(model.options, model.linear_solver());
  ASSERT_TRUE(strategy->prepare(*model.context).success);
  Eigen::VectorXd step;
  ASSERT_TRUE(strategy->compute_step(*model.context, &step).success);
  EXPECT_NEAR(step[0], -1.5, 1e-14);
  EXPECT_NEAR(step[1], -2.0, 1e-14);
  // After a rejection lambda = 2: h = -g / 3, shorter.
  strategy->step_rejected(0.0);
  ASSERT_TRUE(strategy->compute_step(*model.context, &step).success);
  EXPECT_NEAR(step[0], -1.0, 1e-14);
  EXPECT_NEAR(step[1], -4.0 / 3.0, 1e-14);
  EXPECT_FALSE(strategy->step_was_clipped());
}

TEST(LevenbergMarquardtStrategy, DampingStaysFiniteAfterManyRejections) {
  LinearLeastSquaresModel model(marquardt_options(1.0), Eigen::Matrix2d::Identity(), Eigen::Vector2d::Zero(),
                                Eigen::Vector2d(3.0, 4.0));
  ASSERT_TRUE(model.evaluated);
  auto strategy = make_levenberg_marquardt_strategy(model.options, model.linear_solver());
  ASSERT_TRUE(strategy->prepare(*model.context).success);
  // lambda grows by 2^k at the k-th rejection: past 1e300 after 25 of them.
  for (int i = 0; i < 100; ++i) strategy->step_invalid();
  EXPECT_EQ(strategy->damping(), 1e300);
  EXPECT_GT(strategy->radius(), 0.0);
  // One good step brings it down again, by the largest factor, 1/3.
  strategy->step_accepted(1.0);
  EXPECT_DOUBLE_EQ(strategy->damping(), 1e300 / 3.0);
}

}  // namespace
}  // namespace curvature::internal
