#include "curvature/loss_function.h"

#include <cmath>
#include <string>

#include "curvature/error.h"

namespace curvature {
namespace {

double checked_scale(const char* loss, double a) {
  if (!(a > 0.0) || !std::isfinite(a)) {
    throw Error(std::string(loss) + ": scale a must be positive and finite, got " + to_decimal(a));
  }
  return a;
}

}  // namespace

std::array<double, 3> TrivialLoss::evaluate(double s) const { return {s, 1.0, 0.0}; }

HuberLoss::HuberLoss(double a) : a_(checked_scale("HuberLoss", a)), b_(a * a) {}

std::array<double, 3> HuberLoss::evaluate(double s) const {
  if (s <= b_) return {s, 1.0, 0.0};
  const double r = std::sqrt(s);
  return {2.0 * a_ * r - b_, a_ / r, -0.5 * a_ / (s * r)};
}

SoftLOneLoss::SoftLOneLoss(double a) : b_(checked_scale("SoftLOneLoss", a) * a), c_(1.0 / (a * a)) {}

std::array<double, 3> SoftLOneLoss::evaluate(double s) const {
  const double sum = 1.0 + s * c_;
  const double root = std::sqrt(sum);
  return {2.0 * b_ * (root - 1.0), 1.0 / root, -0.5 * c_ / (sum * root)};
}

CauchyLoss::CauchyLoss(double a) : b_(checked_scale("CauchyLoss", a) * a), c_(1.0 / (a * a)) {}

std::array<double, 3> CauchyLoss::evaluate(double s) const {
  const double sum = 1.0 + s * c_;
  const double inv = 1.0 / sum;
  return {b_ * std::log1p(s * c_), inv, -c_ * inv * inv};
}

ArctanLoss::ArctanLoss(double a) : a_(checked_scale("ArctanLoss", a)), b_(1.0 / (a * a)) {}

std::array<double, 3> ArctanLoss::evaluate(double s) const {
  const double sum = 1.0 + s * s * b_;
  const double inv = 1.0 / sum;
  return {a_ * std::atan2(s, a_), inv, -2.0 * s * b_ * inv * inv};
}

TukeyLoss::TukeyLoss(double a) : a_squared_(checked_scale("TukeyLoss", a) * a) {}

std::array<double, 3> TukeyLoss::evaluate(double s) const {
  if (s > a_squared_) return {a_squared_ / 3.0, 0.0, 0.0};
  const double t = 1.0 - s / a_squared_;
  return {a_squared_ / 3.0 * (1.0 - t * t * t), t * t, -2.0 * t / a_squared_};
}

ScaledLoss::ScaledLoss(std::shared_ptr<const LossFunction> loss, double k) : loss_(std::move(loss)), k_(k) {
  if (!(k > 0.0) || !std::isfinite(k)) {
    throw Error("ScaledLoss: weight k must be positive and finite, got " + to_decimal(k));
  }
}

std::array<double, 3> ScaledLoss::evaluate(double s) const {
  if (!loss_) return {k_ * s, k_, 0.0};
  auto rho = loss_->evaluate(s);
  return {k_ * rho[0], k_ * rho[1], k_ * rho[2]};
}

}  // namespace curvature
