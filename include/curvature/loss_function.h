// curvature/loss_function.h — robust losses rho(s) applied to s = |r|^2.
//
// A residual block with a loss contributes 1/2 rho(|r|^2) to the cost instead
// of 1/2 |r|^2. evaluate(s) returns rho(s), rho'(s) and rho''(s); every loss
// here satisfies rho(0) = 0 and rho'(0) = 1, so it agrees with plain least
// squares for small residuals. The solvers fold the loss into the residual and
// Jacobian with Triggs' second-order correction (Triggs et al., "Bundle
// Adjustment — A Modern Synthesis", 2000, section 4.3), so Gauss-Newton-type
// methods see the exact gradient and a curvature that keeps the rho'' term
// wherever that term leaves the model convex.
//
// The scale parameter a > 0 sets where the loss departs from s: residuals
// with |r| well below a are treated as inliers.
#pragma once

#include <array>
#include <memory>

namespace curvature {

// A robust loss rho(s) of s = |r|^2 (see the top of this file).
class LossFunction {
 public:
  virtual ~LossFunction() = default;
  // {rho(s), rho'(s), rho''(s)} for s >= 0.
  virtual std::array<double, 3> evaluate(double s) const = 0;
};

// rho(s) = s. Equivalent to no loss at all.
class TrivialLoss final : public LossFunction {
 public:
  std::array<double, 3> evaluate(double s) const override;
};

// rho(s) = s for s <= a^2, 2 a sqrt(s) - a^2 beyond: quadratic, then linear in |r|.
class HuberLoss final : public LossFunction {
 public:
  explicit HuberLoss(double a);  // a > 0 and finite, else curvature::Error
  std::array<double, 3> evaluate(double s) const override;

 private:
  double a_, b_;  // b = a^2
};

// rho(s) = 2 a^2 (sqrt(1 + s / a^2) - 1): a smooth Huber.
class SoftLOneLoss final : public LossFunction {
 public:
  explicit SoftLOneLoss(double a);  // a > 0 and finite, else curvature::Error
  std::array<double, 3> evaluate(double s) const override;

 private:
  double b_, c_;  // b = a^2, c = 1 / b
};

// rho(s) = a^2 log(1 + s / a^2): grows logarithmically, strongly down-weights outliers.
class CauchyLoss final : public LossFunction {
 public:
  explicit CauchyLoss(double a);  // a > 0 and finite, else curvature::Error
  std::array<double, 3> evaluate(double s) const override;

 private:
  double b_, c_;
};

// rho(s) = a atan(s / a): bounded by a pi / 2.
class ArctanLoss final : public LossFunction {
 public:
  explicit ArctanLoss(double a);  // a > 0 and finite, else curvature::Error
  std::array<double, 3> evaluate(double s) const override;

 private:
  double a_, b_;  // b = 1 / a^2
};

// Tukey's biweight: rho(s) = a^2/3 (1 - (1 - s/a^2)^3) for s <= a^2, a^2/3 beyond.
// Redescending: residuals beyond a have no influence at all.
class TukeyLoss final : public LossFunction {
 public:
  explicit TukeyLoss(double a);  // a > 0 and finite, else curvature::Error
  std::array<double, 3> evaluate(double s) const override;

 private:
  double a_squared_;
};

// rho_scaled(s) = k rho(s) for a loss rho (null means TrivialLoss) and a weight k > 0.
class ScaledLoss final : public LossFunction {
 public:
  ScaledLoss(std::shared_ptr<const LossFunction> loss, double k);  // k > 0 and finite, else curvature::Error
  std::array<double, 3> evaluate(double s) const override;

 private:
  std::shared_ptr<const LossFunction> loss_;
  double k_;
};

}  // namespace curvature
