// Each loss's rho, rho' and rho'' against closed forms and differences, and
// the Triggs correction against the exact gradient and curvature.
#include "curvature/loss_function.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <memory>
#include <vector>

#include "curvature/error.h"
#include "robust_correction.h"

namespace curvature {
namespace {

std::vector<std::pair<const char*, std::shared_ptr<const LossFunction>>> all_losses() {
  return {{"trivial", std::make_shared<TrivialLoss>()},
          {"huber", std::make_shared<HuberLoss>(0.7)},
          {"soft_l1", std::make_shared<SoftLOneLoss>(0.7)},
          {"cauchy", std::make_shared<CauchyLoss>(0.7)},
          {"arctan", std::make_shared<ArctanLoss>(0.7)},
          {"tukey", std::make_shared<TukeyLoss>(0.7)},
          {"scaled_cauchy", std::make_shared<ScaledLoss>(std::make_shared<CauchyLoss>(0.7), 2.5)}};
}

TEST(LossFunctionTest, DerivativesMatchCentralDifferences) {
  for (const auto& [name, loss] : all_losses()) {
    auto at_zero = loss->evaluate(0.0);
    EXPECT_EQ(at_zero[0], 0.0) << name;
    for (double s : {0.01, 0.2, 0.45, 0.6, 1.3, 4.0}) {
      const double h = 1e-6 * std::max(1.0, s);
      auto value = loss->evaluate(s), plus = loss->evaluate(s + h), minus = loss->evaluate(s - h);
      EXPECT_NEAR(value[1], (plus[0] - minus[0]) / (2 * h), 1e-7) << name << " rho' at " << s;
      EXPECT_NEAR(value[2], (plus[1] - minus[1]) / (2 * h), 1e-6) << name << " rho'' at " << s;
    }
  }
}

TEST(LossFunctionTest, ClosedForms) {
  const double a = 0.7, s = 2.0;
  EXPECT_DOUBLE_EQ(HuberLoss(a).evaluate(s)[0], 2 * a * std::sqrt(s) - a * a);
  EXPECT_DOUBLE_EQ(HuberLoss(a).evaluate(0.3)[0], 0.3);
  EXPECT_DOUBLE_EQ(SoftLOneLoss(a).evaluate(s)[0], 2 * a * a * (std::sqrt(1 + s / (a * a)) - 1));
  EXPECT_DOUBLE_EQ(CauchyLoss(a).evaluate(s)[0], a * a * std::log(1 + s / (a * a)));
  EXPECT_DOUBLE_EQ(ArctanLoss(a).evaluate(s)[0], a * std::atan(s / a));
  EXPECT_DOUBLE_EQ(TukeyLoss(a).evaluate(s)[0], a * a / 3);
  EXPECT_DOUBLE_EQ(TukeyLoss(a).evaluate(s)[1], 0.0);
  EXPECT_DOUBLE_EQ(ScaledLoss(nullptr, 3.0).evaluate(s)[0], 6.0);
  // Every loss agrees with plain least squares to first order at zero.
  for (const auto& [name, loss] : all_losses()) {
    if (std::string(name) != "scaled_cauchy") EXPECT_DOUBLE_EQ(loss->evaluate(0.0)[1], 1.0) << name;
  }
}

TEST(LossFunctionTest, RejectsNonPositiveScales) {
  EXPECT_THROW(HuberLoss(0.0), Error);
  EXPECT_THROW(CauchyLoss(-1.0), Error);
  EXPECT_THROW(TukeyLoss(std::nan("")), Error);
  EXPECT_THROW(ScaledLoss(nullptr, 0.0), Error);
}

// For r(x) = A x - b with a loss, the corrected J~^T r~ is the gradient of
// 1/2 rho(|r|^2) and J~^T J~ is rho' J^T J + 2 rho'' J^T r r^T J wherever the
// radial curvature floor is not active.
TEST(LossFunctionRobustCorrection, GivesExactGradientAndCurvature) {
  Eigen::Matrix<double, 3, 2, Eigen::RowMajor> J;
  J << 1.0, 0.5, -0.3, 2.0, 0.7, 0.1;
  Eigen::Vector3d r(0.3, -0.2, 0.25);
  const double s = r.squaredNorm();
  for (const auto& [name, loss] : all_losses()) {
    auto rho = loss->evaluate(s);
    internal::RobustCorrection correction(*loss, s);
    Eigen::Matrix<double, 3, 2, Eigen::RowMajor> Jc = J;
    Eigen::Vector3d rc = r;
    correction.correct_jacobian(3, 2, r.data(), Jc.data());
    correction.correct_residuals(3, rc.data());
    const Eigen::Vector2d gradient = rho[1] * J.transpose() * r;
    EXPECT_LT((Jc.transpose() * rc - gradient).norm(), 1e-14) << name;
    if (1.0 + 2.0 * s * rho[2] / rho[1] >= internal::RobustCorrection::kMinRadialCurvature) {
      const Eigen::Matrix2d curvature = rho[1] * J.transpose() * J + 2 * rho[2] * J.transpose() * r * r.transpose() * J;
      EXPECT_LT((Jc.transpose() * Jc - curvature).norm(), 1e-13) << name;
    }
  }
}

}  // namespace
}  // namespace curvature
