// Powell's dogleg strategy (dogleg_strategy.cc) as a state machine: the
// radius after given sequences of accepted, rejected and invalid steps, each
// value worked out by hand from its rule, with |D h| the scaled length of
// the step last computed:
//   accepted, rho > 3/4:            radius = min(max(radius, 3 |D h|), max);
//   accepted, rho < 1/4; rejected;
//   invalid:                        radius = min(radius, |D h|) / 2;
//   otherwise:                      unchanged.
// The model throughout: r(x) = x at x0 = (3, 4), J = I, so D = I, the
// Gauss-Newton point is -x0 (|D h| = 5) and so is the Cauchy point.
#include <gtest/gtest.h>

#include <cmath>

#include "least_squares_trust_region_strategy.h"
#include "trust_region_test_models.h"

namespace curvature::internal {
namespace {

using testing::LinearLeastSquaresModel;

SolverOptions dogleg_options(double initial_radius_factor, double max_radius = 1e16) {
  SolverOptions options;
  options.method = Method::kDogleg;
  options.initial_trust_region_radius = initial_radius_factor;
  options.max_trust_region_radius = max_radius;
  return options;
}

// Computes a step and checks it lies within the radius it was computed for.
Eigen::VectorXd step_within_radius(LeastSquaresTrustRegionStrategy& strategy, MinimizerContext& context) {
  Eigen::VectorXd step;
  EXPECT_TRUE(strategy.compute_step(context, &step).success);
  EXPECT_LE(step.norm(), strategy.radius() * (1.0 + 1e-15));
  return step;
}

TEST(DoglegStrategy, RadiusFollowsTheRule) {
  // The first radius is 0.4 |D x0| = 2.
  LinearLeastSquaresModel model(dogleg_options(0.4), Eigen::Matrix2d::Identity(), Eigen::Vector2d::Zero(),
                                Eigen::Vector2d(3.0, 4.0));
  ASSERT_TRUE(model.evaluated);
  auto strategy = make_dogleg_strategy(model.options, model.linear_solver());
  MinimizerContext& context = *model.context;
  ASSERT_TRUE(strategy->prepare(context).success);

  Eigen::VectorXd step = step_within_radius(*strategy, context);  // radius 2 < 5: cut to 2
  EXPECT_DOUBLE_EQ(strategy->radius(), 2.0);
  EXPECT_TRUE(strategy->step_was_clipped());
  EXPECT_NEAR(step[0], -1.2, 1e-15);
  EXPECT_NEAR(step[1], -1.6, 1e-15);
  strategy->step_accepted(0.9);  // max(2, 3 * 2)
  EXPECT_DOUBLE_EQ(strategy->radius(), 6.0);

  step = step_within_radius(*strategy, context);  // the Gauss-Newton point, |D h| = 5
  EXPECT_FALSE(strategy->step_was_clipped());
  EXPECT_DOUBLE_EQ(step[0], -3.0);
  EXPECT_DOUBLE_EQ(step[1], -4.0);
  strategy->step_accepted(0.9);  // max(6, 3 * 5)
  EXPECT_DOUBLE_EQ(strategy->radius(), 15.0);
  strategy->step_accepted(0.5);  // between 1/4 and 3/4: unchanged
  EXPECT_DOUBLE_EQ(strategy->radius(), 15.0);

  step_within_radius(*strategy, context);  // |D h| = 5 again
  strategy->step_rejected(0.1);            // min(15, 5) / 2
  EXPECT_DOUBLE_EQ(strategy->radius(), 2.5);

  step_within_radius(*strategy, context);  // cut to 2.5
  strategy->step_accepted(0.1);            // min(2.5, 2.5) / 2
  EXPECT_DOUBLE_EQ(strategy->radius(), 1.25);
  strategy->step_invalid();  // min(1.25, 2.5) / 2: the last step was longer than the radius now
  EXPECT_DOUBLE_EQ(strategy->radius(), 0.625);
}

TEST(DoglegStrategy, RadiusNeverExceedsTheMaximum) {
  LinearLeastSquaresModel model(dogleg_options(2.0, 12.0), Eigen::Matrix2d::Identity(), Eigen::Vector2d::Zero(),
                                Eigen::Vector2d(3.0, 4.0));
  ASSERT_TRUE(model.evaluated);
  auto strategy = make_dogleg_strategy(model.options, model.linear_solver());
  ASSERT_TRUE(strategy->prepare(*model.context).success);
  step_within_radius(*strategy, *model.context);  // radius 2 * 5 = 10 holds the Gauss-Newton point
  EXPECT_DOUBLE_EQ(strategy->radius(), 10.0);
  strategy->step_accepted(1.0);  // max(10, 15) capped at 12
  EXPECT_DOUBLE_EQ(strategy->radius(), 12.0);
}

TEST(DoglegStrategy, StepOnTheDoglegLeg) {
  // J = [1 1; 0 1] at x0 = (1, 1), b = 0: r = (2, 1), g = J^T r = (2, 3),
  // D = sqrt(diag(J^T J)) = diag(1, sqrt 2). Gauss-Newton point n = -x0,
  // |D n| = sqrt 3 = 1.732. Cauchy point along d = -D^-2 g = (-2, -1.5):
  // c = (-g.d / |J d|^2) d = (8.5 / 14.5) d, |D c| = 1.709. The first
  // radius, 0.995 |D x0| = 1.7234, lies between: the step is on the leg
  // from c to n, on the boundary.
  Eigen::Matrix2d jacobian;
  jacobian << 1.0, 1.0, 0.0, 1.0;
  LinearLeastSquaresModel model(dogleg_options(0.995), jacobian, Eigen::Vector2d::Zero(), Eigen::Vector2d(1.0, 1.0));
  ASSERT_TRUE(model.evaluated);
  auto strategy = make_dogleg_strategy(model.options, model.linear_solver());
  MinimizerContext& context = *model.context;
  ASSERT_TRUE(strategy->prepare(context).success);
  const Eigen::Vector2d scale(1.0, std::sqrt(2.0));
  const Eigen::Vector2d n(-1.0, -1.0);
  const Eigen::Vector2d c = (8.5 / 14.5) * Eigen::Vector2d(-2.0, -1.5);
  // The hand computation's premise: |D c| < radius < |D n|.
  ASSERT_LT(scale.cwiseProduct(c).norm(), 0.995 * std::sqrt(3.0));
  ASSERT_GT(scale.cwiseProduct(n).norm(), 0.995 * std::sqrt(3.0));
  const Eigen::VectorXd step = step_within_radius(*strategy, context);
  EXPECT_NEAR(strategy->radius(), 0.995 * std::sqrt(3.0), 1e-15);
  EXPECT_TRUE(strategy->step_was_clipped());
  EXPECT_NEAR(scale.cwiseProduct(step).norm(), strategy->radius(), 1e-14);
  // On the segment from c to n: step - c is a positive multiple of n - c,
  // less than n - c itself.
  const Eigen::Vector2d along = Eigen::Vector2d(step) - c, leg = n - c;
  EXPECT_NEAR(along[0] * leg[1] - along[1] * leg[0], 0.0, 1e-14);
  const double beta = along.dot(leg) / leg.squaredNorm();
  EXPECT_GT(beta, 0.0);
  EXPECT_LT(beta, 1.0);
  EXPECT_GT(context.predicted_reduction(step), 0.0);
}

}  // namespace
}  // namespace curvature::internal
