// AngleManifold and SE2Manifold: an angle kept in (-pi, pi], alone or after a
// planar translation. Wrapping is the only non-Euclidean part, so every
// Jacobian is the identity.
#include <cmath>
#include <numbers>

#include "curvature/manifolds.h"

namespace curvature {

namespace {

constexpr double kPi = std::numbers::pi;

// The angle in (-pi, pi] equal to `angle` modulo 2 pi; angles already in
// range come back unchanged, bit for bit. Non-finite angles stay non-finite.
double wrap_angle(double angle) {
  if (angle > -kPi && angle <= kPi) return angle;
  double wrapped = std::remainder(angle, 2.0 * kPi);  // in [-pi, pi]
  if (wrapped <= -kPi) wrapped += 2.0 * kPi;
  return wrapped;
}

}  // namespace

bool AngleManifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  x_plus_delta[0] = wrap_angle(x[0] + delta[0]);
  return std::isfinite(x_plus_delta[0]);
}

bool AngleManifold::plus_jacobian(const double*, double* jacobian) const {
  jacobian[0] = 1.0;
  return true;
}

bool AngleManifold::minus(const double* y, const double* x, double* y_minus_x) const {
  y_minus_x[0] = wrap_angle(y[0] - x[0]);
  return std::isfinite(y_minus_x[0]);
}

bool AngleManifold::minus_jacobian(const double*, double* jacobian) const {
  jacobian[0] = 1.0;
  return true;
}

bool SE2Manifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  x_plus_delta[0] = x[0] + delta[0];
  x_plus_delta[1] = x[1] + delta[1];
  x_plus_delta[2] = wrap_angle(x[2] + delta[2]);
  return std::isfinite(x_plus_delta[0]) && std::isfinite(x_plus_delta[1]) && std::isfinite(x_plus_delta[2]);
}

bool SE2Manifold::plus_jacobian(const double*, double* jacobian) const {
  for (int i = 0; i < 9; ++i) jacobian[i] = i % 4 == 0 ? 1.0 : 0.0;
  return true;
}

bool SE2Manifold::minus(const double* y, const double* x, double* y_minus_x) const {
  y_minus_x[0] = y[0] - x[0];
  y_minus_x[1] = y[1] - x[1];
  y_minus_x[2] = wrap_angle(y[2] - x[2]);
  return std::isfinite(y_minus_x[0]) && std::isfinite(y_minus_x[1]) && std::isfinite(y_minus_x[2]);
}

bool SE2Manifold::minus_jacobian(const double* x, double* jacobian) const { return plus_jacobian(x, jacobian); }

}  // namespace curvature
