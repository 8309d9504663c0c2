// The unit-quaternion manifolds: QuaternionManifold (w, x, y, z),
// EigenQuaternionManifold (x, y, z, w) and SE3Manifold (translation, then a
// quaternion), all with the left-multiplied update
//   plus(q, delta) = normalise(exp(delta) q),  minus(p, q) = log(p q^*).
//
// Every Jacobian is the exact derivative of the function it belongs to, also
// at a quaternion whose norm is not 1 (plus normalises its result, minus is
// invariant to the scale of either argument); on the manifold (|q| = 1) they
// reduce to the textbook 1/2 R(q) and 2 R(q^*) blocks, and
// minus_jacobian * plus_jacobian = I.
#include <cmath>

#include "curvature/manifolds.h"
#include "curvature/rotation.h"

namespace curvature {

namespace {

bool all_finite(const double* values, int count) {
  for (int i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

double squared_norm4(const double* q) { return q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]; }

// Hamilton quaternions, w first.
bool quaternion_plus(const double* q, const double* delta, double* result) {
  double step[4], product[4];
  angle_axis_to_quaternion(delta, step);
  quaternion_product(step, q, product);
  const double norm = std::sqrt(squared_norm4(product));
  if (!(norm > 0.0)) return false;
  for (int i = 0; i < 4; ++i) result[i] = product[i] / norm;
  return all_finite(result, 4);
}

// d plus(q, delta) / d delta at delta = 0, row-major 4 x 3 with row stride
// `stride`: (d exp(delta)/d delta = (0, I/2)) times the right multiplication
// by q, divided by |q| for the normalisation (whose projection leaves these
// columns alone: they are orthogonal to q).
bool quaternion_plus_jacobian(const double* q, double* jacobian, int stride) {
  const double norm = std::sqrt(squared_norm4(q));
  if (!(norm > 0.0) || !std::isfinite(norm)) return false;
  const double h = 0.5 / norm;
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  const double rows[4][3] = {{-x, -y, -z}, {w, z, -y}, {-z, w, x}, {y, -x, w}};
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 3; ++c) jacobian[r * stride + c] = h * rows[r][c];
  }
  return true;
}

bool quaternion_minus(const double* p, const double* q, double* result) {
  if (!(squared_norm4(p) > 0.0) || !(squared_norm4(q) > 0.0)) return false;
  double conjugate[4], difference[4];
  quaternion_conjugate(q, conjugate);
  quaternion_product(p, conjugate, difference);
  quaternion_to_angle_axis(difference, result);
  return all_finite(result, 3);
}

// d minus(p, q) / d p at p = q, row-major 3 x 4 with row stride `stride`:
// log(z) ~ 2 vec(z) / w(z) near z = (|q|^2, 0, 0, 0), times the right
// multiplication by q^*.
bool quaternion_minus_jacobian(const double* q, double* jacobian, int stride) {
  const double norm_squared = squared_norm4(q);
  if (!(norm_squared > 0.0) || !std::isfinite(norm_squared)) return false;
  const double h = 2.0 / norm_squared;
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  const double rows[3][4] = {{-x, w, -z, y}, {-y, z, w, -x}, {-z, -y, x, w}};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) jacobian[r * stride + c] = h * rows[r][c];
  }
  return true;
}

// Eigen's order (x, y, z, w) <-> Hamilton's (w, x, y, z).
void from_eigen_order(const double* xyzw, double* wxyz) {
  wxyz[0] = xyzw[3];
  wxyz[1] = xyzw[0];
  wxyz[2] = xyzw[1];
  wxyz[3] = xyzw[2];
}

void to_eigen_order(const double* wxyz, double* xyzw) {
  xyzw[0] = wxyz[1];
  xyzw[1] = wxyz[2];
  xyzw[2] = wxyz[3];
  xyzw[3] = wxyz[0];
}

// Hamilton index of Eigen's storage index i.
constexpr int kHamiltonIndex[4] = {1, 2, 3, 0};

}  // namespace

bool QuaternionManifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  return quaternion_plus(x, delta, x_plus_delta);
}

bool QuaternionManifold::plus_jacobian(const double* x, double* jacobian) const {
  return quaternion_plus_jacobian(x, jacobian, 3);
}

bool QuaternionManifold::minus(const double* y, const double* x, double* y_minus_x) const {
  return quaternion_minus(y, x, y_minus_x);
}

bool QuaternionManifold::minus_jacobian(const double* x, double* jacobian) const {
  return quaternion_minus_jacobian(x, jacobian, 4);
}

bool EigenQuaternionManifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  double q[4], result[4];
  from_eigen_order(x, q);
  if (!quaternion_plus(q, delta, result)) return false;
  to_eigen_order(result, x_plus_delta);
  return true;
}

bool EigenQuaternionManifold::plus_jacobian(const double* x, double* jacobian) const {
  double q[4], hamilton[12];
  from_eigen_order(x, q);
  if (!quaternion_plus_jacobian(q, hamilton, 3)) return false;
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < 3; ++c) jacobian[i * 3 + c] = hamilton[kHamiltonIndex[i] * 3 + c];
  }
  return true;
}

bool EigenQuaternionManifold::minus(const double* y, const double* x, double* y_minus_x) const {
  double p[4], q[4];
  from_eigen_order(y, p);
  from_eigen_order(x, q);
  return quaternion_minus(p, q, y_minus_x);
}

bool EigenQuaternionManifold::minus_jacobian(const double* x, double* jacobian) const {
  double q[4], hamilton[12];
  from_eigen_order(x, q);
  if (!quaternion_minus_jacobian(q, hamilton, 4)) return false;
  for (int r = 0; r < 3; ++r) {
    for (int i = 0; i < 4; ++i) jacobian[r * 4 + i] = hamilton[r * 4 + kHamiltonIndex[i]];
  }
  return true;
}

// SE(3) as R^3 x unit quaternions: (t, q) with tangent (dt, dr).

bool SE3Manifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  for (int i = 0; i < 3; ++i) x_plus_delta[i] = x[i] + delta[i];
  return quaternion_plus(x + 3, delta + 3, x_plus_delta + 3) && all_finite(x_plus_delta, 3);
}

bool SE3Manifold::plus_jacobian(const double* x, double* jacobian) const {
  for (int i = 0; i < 7 * 6; ++i) jacobian[i] = 0.0;
  for (int i = 0; i < 3; ++i) jacobian[i * 6 + i] = 1.0;
  return quaternion_plus_jacobian(x + 3, jacobian + 3 * 6 + 3, 6);
}

bool SE3Manifold::minus(const double* y, const double* x, double* y_minus_x) const {
  for (int i = 0; i < 3; ++i) y_minus_x[i] = y[i] - x[i];
  return quaternion_minus(y + 3, x + 3, y_minus_x + 3) && all_finite(y_minus_x, 3);
}

bool SE3Manifold::minus_jacobian(const double* x, double* jacobian) const {
  for (int i = 0; i < 6 * 7; ++i) jacobian[i] = 0.0;
  for (int i = 0; i < 3; ++i) jacobian[i * 7 + i] = 1.0;
  return quaternion_minus_jacobian(x + 3, jacobian + 3 * 7 + 3, 7);
}

}  // namespace curvature
