// SphereManifold and LineManifold: unit vectors, and lines as (origin, unit
// direction), with the tangent basis at a unit vector x given by the
// Householder reflection H that exchanges x and -e_n (n the size):
//   H = I - 2 v v^T / (v^T v),  v = x + e_n,
// whose first n - 1 columns are orthonormal and orthogonal to x (H is
// symmetric and H e_n = -x). The basis is a smooth function of x everywhere
// except at x = -e_n, where v = 0 and the standard axes e_1..e_(n-1) (equally
// orthogonal to x) are taken; at x = +e_n it is the standard axes too.
#include <cmath>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "curvature/manifolds.h"
#include "curvature/rotation.h"

namespace curvature {

namespace {

// x / |x| and the tangent basis at it: `basis` is row-major n x (n - 1).
// False for a zero or non-finite x.
bool unit_and_basis(const double* x, int n, double* unit, double* basis) {
  double norm_squared = 0.0;
  for (int i = 0; i < n; ++i) norm_squared += x[i] * x[i];
  const double norm = std::sqrt(norm_squared);
  if (!(norm > 0.0) || !std::isfinite(norm)) return false;
  for (int i = 0; i < n; ++i) unit[i] = x[i] / norm;
  // v = unit + e_n; its last entry 1 + u_n is formed without cancellation
  // when u_n is near -1, as sigma / (1 - u_n) with sigma = 1 - u_n^2.
  double sigma = 0.0;
  for (int i = 0; i < n - 1; ++i) sigma += unit[i] * unit[i];
  const double last = unit[n - 1] >= 0.0 ? 1.0 + unit[n - 1] : sigma / (1.0 - unit[n - 1]);
  const double v_squared = sigma + last * last;
  const double beta = v_squared > 0.0 ? 2.0 / v_squared : 0.0;
  for (int i = 0; i < n; ++i) {
    const double v_i = i < n - 1 ? unit[i] : last;
    for (int j = 0; j < n - 1; ++j) basis[i * (n - 1) + j] = (i == j ? 1.0 : 0.0) - beta * v_i * unit[j];
  }
  return true;
}

// plus on the unit sphere in R^n: cos|delta| x + sin|delta| / |delta| B delta, renormalised.
bool sphere_plus(const double* x, const double* delta, int n, double* result) {
  std::vector<double> unit(n), basis(n * (n - 1));
  if (!unit_and_basis(x, n, unit.data(), basis.data())) return false;
  double theta_squared = 0.0;
  for (int j = 0; j < n - 1; ++j) theta_squared += delta[j] * delta[j];
  const double sine_factor = internal::sin_over_angle(theta_squared);
  const double cosine = std::cos(std::sqrt(theta_squared));
  double norm_squared = 0.0;
  for (int i = 0; i < n; ++i) {
    double step = 0.0;
    for (int j = 0; j < n - 1; ++j) step += basis[i * (n - 1) + j] * delta[j];
    result[i] = cosine * unit[i] + sine_factor * step;
    norm_squared += result[i] * result[i];
  }
  const double norm = std::sqrt(norm_squared);
  if (!(norm > 0.0) || !std::isfinite(norm)) return false;
  for (int i = 0; i < n; ++i) result[i] /= norm;
  return true;
}

// minus on the unit sphere: theta / sin(theta) B^T y for unit x, y, with theta
// the angle between them (B^T x = 0, so B^T y is the tangent part of y, of
// length sin(theta)). Antipodal points have no unique answer: false.
bool sphere_minus(const double* y, const double* x, int n, double* result) {
  std::vector<double> unit_x(n), unit_y(n), basis(n * (n - 1)), unused(n * (n - 1));
  if (!unit_and_basis(x, n, unit_x.data(), basis.data())) return false;
  if (!unit_and_basis(y, n, unit_y.data(), unused.data())) return false;
  double cosine = 0.0;
  for (int i = 0; i < n; ++i) cosine += unit_x[i] * unit_y[i];
  double sine_squared = 0.0;
  for (int j = 0; j < n - 1; ++j) {
    result[j] = 0.0;
    for (int i = 0; i < n; ++i) result[j] += basis[i * (n - 1) + j] * unit_y[i];
    sine_squared += result[j] * result[j];
  }
  double factor;  // theta / sin(theta)
  if (cosine > 0.0 && sine_squared < internal::kSmallAngleSquared * cosine * cosine) {
    factor = internal::small_atan_over_argument(sine_squared / (cosine * cosine)) / cosine;
  } else if (sine_squared > 0.0) {
    const double sine = std::sqrt(sine_squared);
    factor = std::atan2(sine, cosine) / sine;
  } else {
    return false;  // y = -x
  }
  for (int j = 0; j < n - 1; ++j) result[j] *= factor;
  return true;
}

// d plus / d delta at 0 is B (the renormalisation's projection leaves its
// columns alone); d minus / d y at y = x is B^T / |x| (B^T (I - x x^T) / |x|
// from normalising y). Row strides are given so that LineManifold can write
// these blocks into its larger matrices.
bool sphere_plus_jacobian(const double* x, int n, double* jacobian, int stride) {
  std::vector<double> unit(n), basis(n * (n - 1));
  if (!unit_and_basis(x, n, unit.data(), basis.data())) return false;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n - 1; ++j) jacobian[i * stride + j] = basis[i * (n - 1) + j];
  }
  return true;
}

bool sphere_minus_jacobian(const double* x, int n, double* jacobian, int stride) {
  std::vector<double> unit(n), basis(n * (n - 1));
  if (!unit_and_basis(x, n, unit.data(), basis.data())) return false;
  double norm_squared = 0.0;
  for (int i = 0; i < n; ++i) norm_squared += x[i] * x[i];
  const double inverse_norm = 1.0 / std::sqrt(norm_squared);
  for (int j = 0; j < n - 1; ++j) {
    for (int i = 0; i < n; ++i) jacobian[j * stride + i] = basis[i * (n - 1) + j] * inverse_norm;
  }
  return true;
}

bool all_finite(const double* values, int count) {
  for (int i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

}  // namespace

SphereManifold::SphereManifold(int ambient_size) : size_(ambient_size) {
  if (ambient_size < 2) {
    throw Error("SphereManifold: ambient size must be at least 2, got " + std::to_string(ambient_size));
  }
}

bool SphereManifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  return sphere_plus(x, delta, size_, x_plus_delta);
}

bool SphereManifold::plus_jacobian(const double* x, double* jacobian) const {
  return sphere_plus_jacobian(x, size_, jacobian, size_ - 1);
}

bool SphereManifold::minus(const double* y, const double* x, double* y_minus_x) const {
  return sphere_minus(y, x, size_, y_minus_x);
}

bool SphereManifold::minus_jacobian(const double* x, double* jacobian) const {
  return sphere_minus_jacobian(x, size_, jacobian, size_);
}

// A line (o, d) in R^n: the tangent is (delta_o, delta_d), n - 1 numbers
// each. The origin moves by B(d) delta_o, within the plane through o
// orthogonal to d; the direction moves as on the sphere. minus reads the
// origin's step back with B(d_x)^T, the direction's with the sphere's minus.

LineManifold::LineManifold(int dimension) : dimension_(dimension) {
  if (dimension < 2) throw Error("LineManifold: dimension must be at least 2, got " + std::to_string(dimension));
}

bool LineManifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  const int n = dimension_;
  std::vector<double> unit(n), basis(n * (n - 1)), origin(n);
  if (!unit_and_basis(x + n, n, unit.data(), basis.data())) return false;
  for (int i = 0; i < n; ++i) {
    origin[i] = x[i];
    for (int j = 0; j < n - 1; ++j) origin[i] += basis[i * (n - 1) + j] * delta[j];
  }
  if (!sphere_plus(x + n, delta + (n - 1), n, x_plus_delta + n)) return false;
  for (int i = 0; i < n; ++i) x_plus_delta[i] = origin[i];
  return all_finite(x_plus_delta, n);
}

bool LineManifold::plus_jacobian(const double* x, double* jacobian) const {
  const int n = dimension_, tangent = 2 * (n - 1);
  for (int i = 0; i < 2 * n * tangent; ++i) jacobian[i] = 0.0;
  // d origin / d delta_o and d direction / d delta_d are both B(d).
  return sphere_plus_jacobian(x + n, n, jacobian, tangent) &&
         sphere_plus_jacobian(x + n, n, jacobian + n * tangent + (n - 1), tangent);
}

bool LineManifold::minus(const double* y, const double* x, double* y_minus_x) const {
  const int n = dimension_;
  std::vector<double> unit(n), basis(n * (n - 1)), origin_step(n - 1);
  if (!unit_and_basis(x + n, n, unit.data(), basis.data())) return false;
  for (int j = 0; j < n - 1; ++j) {
    origin_step[j] = 0.0;
    for (int i = 0; i < n; ++i) origin_step[j] += basis[i * (n - 1) + j] * (y[i] - x[i]);
  }
  if (!sphere_minus(y + n, x + n, n, y_minus_x + (n - 1))) return false;
  for (int j = 0; j < n - 1; ++j) y_minus_x[j] = origin_step[j];
  return all_finite(y_minus_x, n - 1);
}

bool LineManifold::minus_jacobian(const double* x, double* jacobian) const {
  const int n = dimension_, ambient = 2 * n;
  for (int i = 0; i < 2 * (n - 1) * ambient; ++i) jacobian[i] = 0.0;
  // d delta_o / d o_y = B(d)^T; d delta_d / d d_y as on the sphere.
  std::vector<double> unit(n), basis(n * (n - 1));
  if (!unit_and_basis(x + n, n, unit.data(), basis.data())) return false;
  for (int j = 0; j < n - 1; ++j) {
    for (int i = 0; i < n; ++i) jacobian[j * ambient + i] = basis[i * (n - 1) + j];
  }
  return sphere_minus_jacobian(x + n, n, jacobian + (n - 1) * ambient + n, ambient);
}

}  // namespace curvature
