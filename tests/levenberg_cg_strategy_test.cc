// The Levenberg-CG strategy (levenberg_cg_strategy.cc): the damped step
// (H + lambda I) p = -g with lambda = |g| / radius, and the damping after
// given sequences of outcomes under the Newton strategies' radius rule
// (newton_trust_region_strategy.h). Every step counts as on the boundary,
// so a good ratio doubles the radius (halves lambda), and a poor one or an
// invalid step sets the radius to |p| / 4.
// The model: H = I, g = (3, 4), |g| = 5. Then p = -g / (1 + lambda) exactly
// (CG converges in one iteration on a multiple of I), |p| = 5 / (1 + lambda),
// and after a poor ratio lambda' = |g| / (|p| / 4) = 4 (1 + lambda).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "newton_trust_region_strategy.h"
#include "trust_region_test_models.h"

namespace curvature::internal {
namespace {

using testing::prepare_dense;
using testing::try_step;

std::unique_ptr<NewtonTrustRegionStrategy> prepared(double initial_radius, const Eigen::MatrixXd& hessian,
                                                    const Eigen::VectorXd& gradient) {
  MinimizeOptions options;
  options.method = MinimizerMethod::kLevenbergMarquardtCg;
  options.initial_trust_region_radius = initial_radius;
  auto strategy = make_levenberg_cg_strategy(options);
  prepare_dense(*strategy, hessian, gradient);
  return strategy;
}

// Every Levenberg-CG step counts as on the boundary.
ModelStep try_boundary_step(NewtonTrustRegionStrategy& strategy) {
  ModelStep step = try_step(strategy);
  EXPECT_TRUE(step.on_boundary);
  return step;
}

TEST(LevenbergCgStrategy, DampingFollowsTheRule) {
  auto strategy = prepared(1.0, Eigen::MatrixXd::Identity(2, 2), Eigen::Vector2d(3.0, 4.0));
  EXPECT_DOUBLE_EQ(strategy->damping(), 5.0);     // |g| / 1
  ModelStep step = try_boundary_step(*strategy);  // -g / 6
  EXPECT_NEAR(step.p[0], -0.5, 1e-15);
  EXPECT_NEAR(step.p[1], -4.0 / 6.0, 1e-15);
  // m(0) - m(p) = -(g.p + |p|^2 / 2) = 25/6 - 25/72.
  EXPECT_NEAR(step.predicted, 25.0 / 6.0 - 25.0 / 72.0, 1e-14);
  strategy->step_accepted(0.9);  // radius 2: lambda halves
  EXPECT_DOUBLE_EQ(strategy->damping(), 2.5);

  try_boundary_step(*strategy);  // |p| = 5 / 3.5
  strategy->step_rejected(0.1);  // lambda = 4 (1 + 2.5)
  EXPECT_DOUBLE_EQ(strategy->damping(), 14.0);

  try_boundary_step(*strategy);  // |p| = 5 / 15
  strategy->step_invalid();      // lambda = 4 (1 + 14)
  EXPECT_DOUBLE_EQ(strategy->damping(), 60.0);

  try_boundary_step(*strategy);
  strategy->step_accepted(0.5);  // unchanged
  EXPECT_DOUBLE_EQ(strategy->damping(), 60.0);
  try_boundary_step(*strategy);
  strategy->step_accepted(0.8);  // halves
  EXPECT_DOUBLE_EQ(strategy->damping(), 30.0);
}

TEST(LevenbergCgStrategy, NoStepOutsideTheRadius) {
  // A positive semidefinite, ill-conditioned H: |p| <= |g| / lambda = radius
  // before any clamping, for every radius.
  const Eigen::MatrixXd hessian = Eigen::Vector3d(0.0, 1.0, 1e6).asDiagonal();
  for (double radius = 1e-8; radius < 1e4; radius *= 7.0) {
    auto strategy = prepared(radius, hessian, Eigen::Vector3d(1.0, -2.0, 3.0));
    const ModelStep step = try_boundary_step(*strategy);
    EXPECT_GT(step.predicted, 0.0) << "radius " << radius;
  }
}

TEST(LevenbergCgStrategy, ZeroGradientGivesAZeroStep) {
  auto strategy = prepared(1.0, Eigen::MatrixXd::Identity(2, 2), Eigen::Vector2d::Zero());
  const ModelStep step = strategy->compute_step();
  EXPECT_EQ(step.p.norm(), 0.0);
  EXPECT_EQ(step.predicted, 0.0);
}

}  // namespace
}  // namespace curvature::internal
