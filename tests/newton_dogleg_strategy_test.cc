// The Newton dogleg strategy (newton_dogleg_strategy.cc): the three kinds of
// step (Newton point inside the region, steepest descent to the boundary,
// the leg between the Cauchy and Newton points), a shifted Hessian when H
// is indefinite, a Hessian that cannot be formed densely, and the radius
// rule of the Newton strategies (newton_trust_region_strategy.h) on
// interior and boundary steps.
// The model: H = diag(1, 4), g = (2, 4). Newton point -H^-1 g = (-2, -1),
// |p_N| = sqrt 5 = 2.236; Cauchy point -(g.g / g.H g) g = -(20/68) g,
// |p_U| = (5/17) sqrt 20 = 1.315.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "newton_trust_region_strategy.h"
#include "trust_region_test_models.h"

namespace curvature::internal {
namespace {

using testing::DenseHessian;
using testing::try_step;

std::unique_ptr<NewtonTrustRegionStrategy> make(double initial_radius) {
  MinimizeOptions options;
  options.method = MinimizerMethod::kNewtonDogleg;
  options.initial_trust_region_radius = initial_radius;
  return make_newton_dogleg_strategy(options);
}

Eigen::MatrixXd model_hessian() { return Eigen::Vector2d(1.0, 4.0).asDiagonal(); }

// A dogleg step costs one solve, counted as one iteration.
ModelStep try_dogleg_step(NewtonTrustRegionStrategy& strategy) {
  ModelStep step = try_step(strategy);
  EXPECT_EQ(step.iterations, 1);
  return step;
}

TEST(NewtonDoglegStrategy, ThreeKindsOfStepAndTheRadiusRule) {
  auto strategy = make(1.0);
  std::string error;
  ASSERT_TRUE(
      strategy->prepare(std::make_unique<DenseHessian>(model_hessian()), Eigen::Vector2d(2.0, 4.0), {0, 0}, &error))
      << error;
  // Radius 1 < |p_U|: steepest descent to the boundary, -g / |g|.
  ModelStep step = try_dogleg_step(*strategy);
  EXPECT_TRUE(step.on_boundary);
  EXPECT_NEAR(step.p[0], -2.0 / std::sqrt(20.0), 1e-15);
  EXPECT_NEAR(step.p[1], -4.0 / std::sqrt(20.0), 1e-15);
  strategy->step_accepted(0.9);  // on the boundary: 2
  EXPECT_DOUBLE_EQ(strategy->radius(), 2.0);

  // |p_U| < 2 < |p_N|: on the leg, on the boundary, between the two points.
  step = try_dogleg_step(*strategy);
  EXPECT_TRUE(step.on_boundary);
  EXPECT_NEAR(step.p.norm(), 2.0, 1e-15);
  const Eigen::Vector2d cauchy = -(20.0 / 68.0) * Eigen::Vector2d(2.0, 4.0), newton(-2.0, -1.0);
  const Eigen::Vector2d along = Eigen::Vector2d(step.p) - cauchy, leg = newton - cauchy;
  EXPECT_NEAR(along[0] * leg[1] - along[1] * leg[0], 0.0, 1e-14);
  EXPECT_GT(along.dot(leg), 0.0);
  strategy->step_accepted(0.9);  // 4
  EXPECT_DOUBLE_EQ(strategy->radius(), 4.0);

  // 4 > |p_N|: the Newton point, inside; m(0) - m(p_N) = g^T H^-1 g / 2 = 4.
  step = try_dogleg_step(*strategy);
  EXPECT_FALSE(step.on_boundary);
  EXPECT_EQ(step.p[0], -2.0);
  EXPECT_EQ(step.p[1], -1.0);
  EXPECT_DOUBLE_EQ(step.predicted, 4.0);
  strategy->step_accepted(0.9);  // not on the boundary: unchanged
  EXPECT_DOUBLE_EQ(strategy->radius(), 4.0);
  strategy->step_rejected(0.0);  // |p_N| / 4
  EXPECT_DOUBLE_EQ(strategy->radius(), std::sqrt(5.0) / 4.0);
  try_dogleg_step(*strategy);
  strategy->step_invalid();  // a quarter of that step, sqrt(5) / 4
  EXPECT_DOUBLE_EQ(strategy->radius(), std::sqrt(5.0) / 16.0);
}

TEST(NewtonDoglegStrategy, IndefiniteHessianStillDescends) {
  // H = diag(-1, 2): the path is built on H + tau I, tau = 1 + beta; the
  // ratio's model is still H, and the step lowers it.
  Eigen::MatrixXd hessian(2, 2);
  hessian << -1.0, 0.0, 0.0, 2.0;
  for (const double radius : {0.01, 0.5, 1.0, 10.0}) {
    auto strategy = make(radius);
    std::string error;
    ASSERT_TRUE(strategy->prepare(std::make_unique<DenseHessian>(hessian), Eigen::Vector2d(1.0, 1.0), {0, 0}, &error))
        << error;
    const ModelStep step = try_dogleg_step(*strategy);
    EXPECT_GT(step.predicted, 0.0) << "radius " << radius;
    EXPECT_NEAR(step.predicted, strategy->predicted_reduction(step.p), 1e-12);
  }
}

TEST(NewtonDoglegStrategy, NeedsTheDenseHessian) {
  auto strategy = make(1.0);
  std::string error;
  EXPECT_FALSE(strategy->prepare(std::make_unique<DenseHessian>(model_hessian(), /*has_dense=*/false),
                                 Eigen::Vector2d(2.0, 4.0), {0, 0}, &error));
  EXPECT_NE(error.find("kNewtonTrustRegionCg"), std::string::npos) << error;
}

TEST(NewtonDoglegStrategy, FixedCoordinatesStayAtZero) {
  auto strategy = make(10.0);
  std::string error;
  Eigen::MatrixXd hessian(2, 2);
  hessian << 2.0, 1.0, 1.0, 2.0;
  ASSERT_TRUE(strategy->prepare(std::make_unique<DenseHessian>(hessian), Eigen::Vector2d(1.0, 1.0), {1, 0}, &error));
  const ModelStep step = try_dogleg_step(*strategy);
  EXPECT_EQ(step.p[0], 0.0);
  EXPECT_NEAR(step.p[1], -0.5, 1e-15);  // 2 p1 = -1 over the free coordinate
}

}  // namespace
}  // namespace curvature::internal
