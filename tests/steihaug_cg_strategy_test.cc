// The Steihaug-Toint CG strategy (steihaug_cg_strategy.cc) and the radius
// rule of the Newton strategies (newton_trust_region_strategy.h), with |p|
// the length of the step last tried:
//   rho < 1/4, or the step invalid:        radius = |p| / 4;
//   rho > 3/4 and the step on the boundary: radius = min(2 radius, max);
//   otherwise:                              unchanged.
// The model: H = I, g = (3, 4), so the model's minimizer is -g, |g| = 5,
// and the first CG direction -g leaves any region of radius below 5 at
// tau = radius / 5 (a step of length radius, on the boundary).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "newton_trust_region_strategy.h"
#include "trust_region_test_models.h"

namespace curvature::internal {
namespace {

using testing::DenseHessian;
using testing::prepare_dense;
using testing::try_step;

MinimizeOptions newton_options(double initial_radius, double max_radius = 1e10) {
  MinimizeOptions options;
  options.method = MinimizerMethod::kNewtonTrustRegionCg;
  options.initial_trust_region_radius = initial_radius;
  options.max_trust_region_radius = max_radius;
  return options;
}

std::unique_ptr<NewtonTrustRegionStrategy> prepared(const MinimizeOptions& options, const Eigen::MatrixXd& hessian,
                                                    const Eigen::VectorXd& gradient) {
  auto strategy = make_steihaug_cg_strategy(options);
  prepare_dense(*strategy, hessian, gradient);
  return strategy;
}

TEST(SteihaugCgStrategy, RadiusFollowsTheRule) {
  auto strategy = prepared(newton_options(1.0), Eigen::MatrixXd::Identity(2, 2), Eigen::Vector2d(3.0, 4.0));
  ModelStep step = try_step(*strategy);  // -g / 5: (-0.6, -0.8), on the boundary
  EXPECT_TRUE(step.on_boundary);
  EXPECT_NEAR(step.p[0], -0.6, 1e-15);
  EXPECT_NEAR(step.p[1], -0.8, 1e-15);
  // m(0) - m(p) = -(g.p + |p|^2 / 2) = 5 - 1/2.
  EXPECT_NEAR(step.predicted, 4.5, 1e-14);
  strategy->step_accepted(0.9);  // on the boundary: 2 * 1
  EXPECT_DOUBLE_EQ(strategy->radius(), 2.0);

  try_step(*strategy);
  strategy->step_accepted(0.5);  // between 1/4 and 3/4: unchanged
  EXPECT_DOUBLE_EQ(strategy->radius(), 2.0);

  try_step(*strategy);
  strategy->step_rejected(0.1);  // |p| / 4 = 2 / 4
  EXPECT_DOUBLE_EQ(strategy->radius(), 0.5);

  try_step(*strategy);
  strategy->step_invalid();  // |p| / 4 = 0.5 / 4
  EXPECT_DOUBLE_EQ(strategy->radius(), 0.125);

  try_step(*strategy);
  // A rejected step with rho in [1/4, 3/4] (min_relative_decrease may be
  // that high) keeps the radius.
  strategy->step_rejected(0.3);
  EXPECT_DOUBLE_EQ(strategy->radius(), 0.125);

  // Doubling on every good boundary step: 0.25, 0.5, 1, 2, 4, 8.
  for (const double expected : {0.25, 0.5, 1.0, 2.0, 4.0, 8.0}) {
    EXPECT_TRUE(try_step(*strategy).on_boundary);
    strategy->step_accepted(1.0);
    EXPECT_DOUBLE_EQ(strategy->radius(), expected);
  }
  // Radius 8 holds the model's minimizer -g (|g| = 5): CG reaches it inside
  // the region, and a good ratio does not grow the region further.
  step = try_step(*strategy);
  EXPECT_FALSE(step.on_boundary);
  EXPECT_NEAR(step.p[0], -3.0, 1e-14);
  EXPECT_NEAR(step.p[1], -4.0, 1e-14);
  strategy->step_accepted(1.0);
  EXPECT_DOUBLE_EQ(strategy->radius(), 8.0);
  // A poor ratio shrinks to a quarter of the step taken, not of the radius.
  strategy->step_accepted(0.2);
  EXPECT_NEAR(strategy->radius(), 1.25, 1e-14);
}

TEST(SteihaugCgStrategy, RadiusNeverExceedsTheMaximum) {
  auto strategy = prepared(newton_options(1.0, 1.5), Eigen::MatrixXd::Identity(2, 2), Eigen::Vector2d(3.0, 4.0));
  try_step(*strategy);
  strategy->step_accepted(1.0);  // min(2, 1.5)
  EXPECT_DOUBLE_EQ(strategy->radius(), 1.5);
  try_step(*strategy);
  strategy->step_accepted(1.0);
  EXPECT_DOUBLE_EQ(strategy->radius(), 1.5);
}

TEST(SteihaugCgStrategy, ResetRadiusStartsAfresh) {
  auto strategy = prepared(newton_options(1.0), Eigen::MatrixXd::Identity(2, 2), Eigen::Vector2d(3.0, 4.0));
  try_step(*strategy);
  strategy->step_rejected(-std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(strategy->radius(), 0.25);
  strategy->reset_radius();
  EXPECT_DOUBLE_EQ(strategy->radius(), 1.0);
}

TEST(SteihaugCgStrategy, NegativeCurvatureGoesToTheBoundary) {
  // H = diag(-1, 1), g = (1, 1): -g has curvature 0, so CG's first
  // direction already fails the positive-curvature test and the step runs
  // along it to the boundary, where the model is lower than anywhere inside
  // along that line.
  Eigen::MatrixXd hessian(2, 2);
  hessian << -1.0, 0.0, 0.0, 1.0;
  auto strategy = prepared(newton_options(0.5), hessian, Eigen::Vector2d(1.0, 1.0));
  const ModelStep step = try_step(*strategy);
  EXPECT_TRUE(step.on_boundary);
  EXPECT_NEAR(step.p.norm(), 0.5, 1e-15);
  EXPECT_NEAR(step.p[0], -0.5 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(step.p[1], -0.5 / std::sqrt(2.0), 1e-15);
  // m(0) - m(p) = -(g.p) - p^T H p / 2 = 0.5 sqrt 2 - 0.
  EXPECT_NEAR(step.predicted, 0.5 * std::sqrt(2.0), 1e-15);
}

TEST(SteihaugCgStrategy, FixedCoordinatesStayAtZero) {
  Eigen::MatrixXd hessian(2, 2);
  hessian << 2.0, 1.0, 1.0, 2.0;
  auto strategy = make_steihaug_cg_strategy(newton_options(10.0));
  std::string error;
  ASSERT_TRUE(strategy->prepare(std::make_unique<DenseHessian>(hessian), Eigen::Vector2d(1.0, 1.0), {0, 1}, &error));
  const ModelStep step = strategy->compute_step();
  // Over the free coordinate alone: 2 p0 = -1.
  EXPECT_EQ(step.p[1], 0.0);
  EXPECT_NEAR(step.p[0], -0.5, 1e-15);
  EXPECT_FALSE(step.on_boundary);
}

TEST(SteihaugCgStrategy, NoStepOutsideTheRadiusOnAnIllConditionedModel) {
  // H = diag(1, 10^4), g = (1, 1): CG's iterates bend towards the stiff
  // coordinate; whatever the radius, the step stays inside it.
  Eigen::MatrixXd hessian = Eigen::Vector2d(1.0, 1e4).asDiagonal();
  for (double radius = 1e-6; radius < 10.0; radius *= 3.0) {
    auto strategy = prepared(newton_options(radius), hessian, Eigen::Vector2d(1.0, 1.0));
    const ModelStep step = try_step(*strategy);
    EXPECT_GT(step.predicted, 0.0) << "radius " << radius;
  }
}

}  // namespace
}  // namespace curvature::internal
