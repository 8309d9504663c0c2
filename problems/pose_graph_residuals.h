// pose_graph_residuals.h — the error of one pose-graph edge, templated on
// the scalar so that any forward-mode dual number differentiates it
// (curvature's Jet here, Ceres's Jet in the comparison harness, which runs
// these very functors).
//
// An edge from pose a to pose b with measurement (p_ab, q_ab) or
// (p_ab, theta_ab) and information Omega = U^T U (U upper triangular) has
// the residual U e, so that 1/2 |U e|^2 = 1/2 e^T Omega e, with
//
//   3-D: e = [ R(q_a)^T (p_b - p_a) - p_ab ;  2 vec(q_ab^-1 q_a^-1 q_b) ]
//   2-D: e = [ R(theta_a)^T (p_b - p_a) - p_ab ;  wrap(theta_b - theta_a - theta_ab) ]
//
// Quaternions are in Eigen's memory order (x, y, z, w) and of unit norm (the
// manifold keeps them there), so the inverse is the conjugate.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <numbers>

#include "g2o.h"

namespace curvature {

// The angle wrapped to [-pi, pi): theta - 2 pi floor((theta + pi) / (2 pi)).
// Exact (unchanged) for an angle already in range; the floor is locally
// constant, so the derivative is 1.
template <typename T>
T wrap_angle(const T& theta) {
  using std::floor;
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  return theta - kTwoPi * floor((theta + std::numbers::pi) / kTwoPi);
}

// The sine and cosine of an angle. For a dual number (a value `a` and
// derivatives `v`: curvature's Jet and Ceres's alike) sin(x) and cos(x)
// would each compute both the sine and the cosine of the value; here they
// are computed once and shared.
template <typename T>
void sin_cos(const T& angle, T* sine, T* cosine) {
  using std::cos;
  using std::sin;
  if constexpr (requires {
                  angle.a;
                  angle.v;
                }) {
    const auto s = sin(angle.a);
    const auto c = cos(angle.a);
    *sine = T(s, angle.v * c);
    *cosine = T(c, angle.v * (-s));
  } else {
    *sine = sin(angle);
    *cosine = cos(angle);
  }
}

// The upper-triangular U with Omega = U^T U, row-major, for an information
// matrix Omega that is symmetric positive definite.
template <int kSize>
Eigen::Matrix<double, kSize, kSize, Eigen::RowMajor> information_square_root(
    const Eigen::Matrix<double, kSize, kSize>& information) {
  return information.llt().matrixU();
}

// The 2-D edge; parameter blocks: position a (2), angle a (1), position b,
// angle b.
struct PoseGraph2dResidual {
  double p_ab[2];
  double theta_ab;
  Eigen::Matrix<double, 3, 3, Eigen::RowMajor> sqrt_information;  // U

  template <typename T>
  bool operator()(const T* p_a, const T* theta_a, const T* p_b, const T* theta_b, T* residuals) const {
    T s, c;
    sin_cos(theta_a[0], &s, &c);
    const T dx = p_b[0] - p_a[0];
    const T dy = p_b[1] - p_a[1];
    const T e[3] = {c * dx + s * dy - p_ab[0], c * dy - s * dx - p_ab[1],
                    wrap_angle(T(theta_b[0] - theta_a[0] - theta_ab))};
    for (int i = 0; i < 3; ++i) {
      T sum = sqrt_information(i, i) * e[i];
      for (int j = i + 1; j < 3; ++j) sum += sqrt_information(i, j) * e[j];
      residuals[i] = sum;
    }
    return true;
  }
};

// The 3-D edge; parameter blocks: position a (3), quaternion a (4),
// position b, quaternion b.
struct PoseGraph3dResidual {
  double p_ab[3];
  double q_ab[4];                                                 // x, y, z, w
  Eigen::Matrix<double, 6, 6, Eigen::RowMajor> sqrt_information;  // U

  template <typename T>
  bool operator()(const T* p_a, const T* q_a, const T* p_b, const T* q_b, T* residuals) const {
    // v rotated by the conjugate of q_a: R(q_a)^T v = v + 2 w (u x v) + 2 u x (u x v), u = -vec(q_a).
    const T u[3] = {-q_a[0], -q_a[1], -q_a[2]};
    const T& w = q_a[3];
    const T v[3] = {p_b[0] - p_a[0], p_b[1] - p_a[1], p_b[2] - p_a[2]};
    const T uv[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
    const T uuv[3] = {u[1] * uv[2] - u[2] * uv[1], u[2] * uv[0] - u[0] * uv[2], u[0] * uv[1] - u[1] * uv[0]};
    T e[6];
    for (int i = 0; i < 3; ++i) e[i] = v[i] + T(2.0) * (w * uv[i] + uuv[i]) - p_ab[i];

    // q_ab_est = q_a^-1 q_b, then delta = q_ab^-1 q_ab_est (Hamilton products).
    T est[4];
    hamilton_product(u[0], u[1], u[2], w, q_b[0], q_b[1], q_b[2], q_b[3], est);
    T delta[4];
    hamilton_product(T(-q_ab[0]), T(-q_ab[1]), T(-q_ab[2]), T(q_ab[3]), est[0], est[1], est[2], est[3], delta);
    for (int i = 0; i < 3; ++i) e[3 + i] = T(2.0) * delta[i];

    for (int i = 0; i < 6; ++i) {
      T sum = sqrt_information(i, i) * e[i];
      for (int j = i + 1; j < 6; ++j) sum += sqrt_information(i, j) * e[j];
      residuals[i] = sum;
    }
    return true;
  }

  // (x1, y1, z1, w1) (x2, y2, z2, w2) = (w1 v2 + w2 v1 + v1 x v2, w1 w2 - v1 . v2), out in (x, y, z, w).
  template <typename T>
  static void hamilton_product(const T& x1, const T& y1, const T& z1, const T& w1, const T& x2, const T& y2,
                               const T& z2, const T& w2, T* out) {
    out[0] = w1 * x2 + w2 * x1 + y1 * z2 - z1 * y2;
    out[1] = w1 * y2 + w2 * y1 + z1 * x2 - x1 * z2;
    out[2] = w1 * z2 + w2 * z1 + x1 * y2 - y1 * x2;
    out[3] = w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2;
  }
};

// The functors of a graph's edges.
inline PoseGraph2dResidual edge_residual(const PoseEdge2d& edge) {
  return {{edge.measurement.position[0], edge.measurement.position[1]},
          edge.measurement.angle[0],
          information_square_root<3>(edge.information)};
}

inline PoseGraph3dResidual edge_residual(const PoseEdge3d& edge) {
  const Pose3d& m = edge.measurement;
  return {{m.position[0], m.position[1], m.position[2]},
          {m.orientation[0], m.orientation[1], m.orientation[2], m.orientation[3]},
          information_square_root<6>(edge.information)};
}

}  // namespace curvature
