// SO3Manifold: rotations stored as angle-axis vectors, moved by the same
// left-multiplied update as the quaternion manifolds,
//   plus(x, delta) = log(exp(delta) exp(x)),  minus(y, x) = log(exp(y) exp(x)^-1),
// computed through quaternions (rotation.h), whose conversions are safe at
// zero angle and near pi.
//
// To first order, log(exp(delta) exp(x)) = x + J_l(x)^-1 delta, with J_l the
// left Jacobian of SO(3):
//   J_l(x)    = I + (1 - cos t)/t^2 [x]x + (t - sin t)/t^3 [x]x^2,
//   J_l(x)^-1 = I - 1/2 [x]x + (1/t^2 - cot(t/2)/(2t)) [x]x^2,   t = |x|,
// so plus_jacobian is J_l^-1 and minus_jacobian is J_l. Both are smooth up to
// t = pi, where plus wraps to the other angle-axis vector of the same
// rotation. J_l^-1 grows without bound as t approaches 2 pi; plus returns
// angles of at most pi, so a block is that far out only at its starting point.
#include <cmath>

#include "curvature/manifolds.h"
#include "curvature/rotation.h"

namespace curvature {

namespace {

// 3x3 row-major I + a [x]x + b [x]x^2, [x]x^2 = x x^T - |x|^2 I.
void identity_plus_cross_terms(const double* x, double a, double b, double* matrix) {
  const double t2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
  const double cross[9] = {0.0, -x[2], x[1], x[2], 0.0, -x[0], -x[1], x[0], 0.0};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      matrix[r * 3 + c] = (r == c ? 1.0 - b * t2 : 0.0) + a * cross[r * 3 + c] + b * x[r] * x[c];
    }
  }
}

bool all_finite(const double* values, int count) {
  for (int i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

}  // namespace

bool SO3Manifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  double q_x[4], q_delta[4], product[4];
  angle_axis_to_quaternion(x, q_x);
  angle_axis_to_quaternion(delta, q_delta);
  quaternion_product(q_delta, q_x, product);
  quaternion_to_angle_axis(product, x_plus_delta);
  return all_finite(x_plus_delta, 3);
}

bool SO3Manifold::plus_jacobian(const double* x, double* jacobian) const {
  const double t2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
  double b;  // 1/t^2 - cot(t/2) / (2t)
  if (t2 < internal::kSmallAngleSquared) {
    b = internal::series(t2, 1.0 / 12.0, 1.0 / 720.0, 1.0 / 30240.0, 1.0 / 1209600.0);
  } else {
    const double t = std::sqrt(t2);
    b = 1.0 / t2 - std::cos(0.5 * t) / (2.0 * t * std::sin(0.5 * t));
  }
  identity_plus_cross_terms(x, -0.5, b, jacobian);
  return all_finite(jacobian, 9);
}

bool SO3Manifold::minus(const double* y, const double* x, double* y_minus_x) const {
  double q_y[4], q_x[4], inverse[4], difference[4];
  angle_axis_to_quaternion(y, q_y);
  angle_axis_to_quaternion(x, q_x);
  quaternion_conjugate(q_x, inverse);
  quaternion_product(q_y, inverse, difference);
  quaternion_to_angle_axis(difference, y_minus_x);
  return all_finite(y_minus_x, 3);
}

bool SO3Manifold::minus_jacobian(const double* x, double* jacobian) const {
  const double t2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
  identity_plus_cross_terms(x, internal::one_minus_cos_over_angle_squared(t2),
                            internal::angle_minus_sin_over_angle_cubed(t2), jacobian);
  return all_finite(jacobian, 9);
}

}  // namespace curvature
