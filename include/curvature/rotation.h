// curvature/rotation.h — conversions between rotation representations, and
// rotating points, generic in the scalar T so that they work on doubles and
// on curvature::Jet (automatic differentiation) alike.
//
// Conventions:
//   angle-axis      3 numbers a: the rotation by the angle |a| (radians, right
//                   hand) about the unit axis a / |a|; a = 0 is the identity.
//   quaternion      4 numbers q = (w, x, y, z), Hamilton convention (i j = k),
//                   w first. q and -q are the same rotation. Functions that
//                   take a quaternion accept any non-zero q unless their name
//                   says "unit".
//   rotation matrix 9 numbers, a 3x3 matrix stored row-major: R[3 * row + col].
//                   It maps a point's coordinates in the rotated frame to the
//                   fixed frame: p' = R p. An Eigen
//                   Matrix<T, 3, 3, Eigen::RowMajor>'s data() is this layout.
//   Euler angles    3 numbers (yaw, pitch, roll) in radians, Z-Y-X intrinsic:
//                   R = Rz(yaw) * Ry(pitch) * Rx(roll), i.e. turn by yaw about
//                   z, then by pitch about the new y, then by roll about the
//                   newest x.
//
// Every output may alias an input (each function reads all of its input
// before writing its output).
//
// Numerical safety: near zero angle the functions switch to Taylor series
// (through the sixth order in the angle), so their values and their
// derivatives are exact to rounding at and near the identity, including the
// derivative at exactly zero rotation, where the closed forms divide 0 by 0.
// Near an angle of pi, angle-axis results come from atan2 on both the sine and
// the cosine of the half angle, and rotation matrices are converted through
// the largest of the quaternion's components (Shepperd's method), so no step
// loses precision there. Angle-axis results have angle at most pi.
//
// Math functions are called unqualified after `using std::...`, so a Jet
// finds curvature's overloads (jet.h) by argument-dependent lookup.
#pragma once

#include <cmath>
#include <numbers>

namespace curvature {

namespace internal {

// Below this squared angle (a step of 0.01 rad) the rotation functions use
// Taylor series: four terms in theta^2 keep the truncation error below 1e-19
// and its derivative below 1e-18, while the closed forms above it lose at
// most eps / theta^2 ~ 1e-12 relative in a derivative's smallest terms.
inline constexpr double kSmallAngleSquared = 1e-4;

// c0 + c1 s + c2 s^2 + c3 s^3 (s is a squared angle), by Horner's rule.
template <typename T>
T series(const T& s, double c0, double c1, double c2, double c3) {
  return c0 + s * (c1 + s * (c2 + s * c3));
}

// sin(theta) / theta, given theta^2.
template <typename T>
T sin_over_angle(const T& theta_squared) {
  using std::sin;
  using std::sqrt;
  if (theta_squared < kSmallAngleSquared) {
    return series(theta_squared, 1.0, -1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0);
  }
  const T theta = sqrt(theta_squared);
  return sin(theta) / theta;
}

// (1 - cos(theta)) / theta^2, given theta^2; as 2 sin^2(theta / 2) / theta^2,
// which has no cancellation at small angles.
template <typename T>
T one_minus_cos_over_angle_squared(const T& theta_squared) {
  using std::sin;
  using std::sqrt;
  if (theta_squared < kSmallAngleSquared) {
    return series(theta_squared, 0.5, -1.0 / 24.0, 1.0 / 720.0, -1.0 / 40320.0);
  }
  const T half_sine = sin(sqrt(theta_squared) * 0.5);
  return 2.0 * half_sine * half_sine / theta_squared;
}

// (theta - sin(theta)) / theta^3, given theta^2.
template <typename T>
T angle_minus_sin_over_angle_cubed(const T& theta_squared) {
  using std::sin;
  using std::sqrt;
  if (theta_squared < kSmallAngleSquared) {
    return series(theta_squared, 1.0 / 6.0, -1.0 / 120.0, 1.0 / 5040.0, -1.0 / 362880.0);
  }
  const T theta = sqrt(theta_squared);
  return (theta - sin(theta)) / (theta_squared * theta);
}

// atan(t) / t, given t^2 < kSmallAngleSquared.
template <typename T>
T small_atan_over_argument(const T& t_squared) {
  return series(t_squared, 1.0, -1.0 / 3.0, 1.0 / 5.0, -1.0 / 7.0);
}

}  // namespace internal

// The unit quaternion of the rotation by angle_axis (see the top of this
// file for both conventions): (cos(theta / 2), sin(theta / 2) a / theta).
template <typename T>
void angle_axis_to_quaternion(const T* angle_axis, T* quaternion) {
  using std::cos;
  using std::sin;
  using std::sqrt;
  const T a0 = angle_axis[0], a1 = angle_axis[1], a2 = angle_axis[2];
  const T theta_squared = a0 * a0 + a1 * a1 + a2 * a2;
  T w, k;  // q = (w, k a)
  if (theta_squared < internal::kSmallAngleSquared) {
    w = internal::series(theta_squared, 1.0, -1.0 / 8.0, 1.0 / 384.0, -1.0 / 46080.0);
    k = internal::series(theta_squared, 0.5, -1.0 / 48.0, 1.0 / 3840.0, -1.0 / 645120.0);
  } else {
    const T half_theta = sqrt(theta_squared) * 0.5;
    w = cos(half_theta);
    k = sin(half_theta) / (2.0 * half_theta);
  }
  quaternion[0] = w;
  quaternion[1] = k * a0;
  quaternion[2] = k * a1;
  quaternion[3] = k * a2;
}

// The angle-axis vector, angle in [0, pi], of the rotation by `quaternion`
// (any non-zero q; q and -q give the same result). The zero quaternion gives
// the zero vector.
template <typename T>
void quaternion_to_angle_axis(const T* quaternion, T* angle_axis) {
  using std::atan2;
  using std::sqrt;
  const T w = quaternion[0], x = quaternion[1], y = quaternion[2], z = quaternion[3];
  const T sin_squared = x * x + y * y + z * z;  // sin^2(theta / 2), times |q|^2
  T k;                                          // angle_axis = k (x, y, z)
  if (sin_squared < internal::kSmallAngleSquared * (w * w) && w != 0.0) {
    // theta = 2 atan(s / w) (for either sign of w: the rotation is the same),
    // so k = 2 atan(t) / (t w) with t = s / w small.
    k = 2.0 / w * internal::small_atan_over_argument(sin_squared / (w * w));
  } else if (sin_squared > 0.0) {
    const T sin_half = sqrt(sin_squared);
    // With w < 0 the half angle is beyond pi / 2; the rotation by the same
    // amount about -axis (the half angle atan2(-s, -w) in (-pi / 2, 0]) keeps
    // the angle within [-pi, pi].
    const T theta = w < 0.0 ? 2.0 * atan2(-sin_half, -w) : 2.0 * atan2(sin_half, w);
    k = theta / sin_half;
  } else {
    k = T(0.0);
  }
  angle_axis[0] = k * x;
  angle_axis[1] = k * y;
  angle_axis[2] = k * z;
}

// The rotation matrix (row-major) of the rotation by angle_axis, by
// Rodrigues' formula R = I + sin(theta)/theta [a]x + (1 - cos(theta))/theta^2 [a]x^2.
template <typename T>
void angle_axis_to_rotation_matrix(const T* angle_axis, T* R) {
  const T a0 = angle_axis[0], a1 = angle_axis[1], a2 = angle_axis[2];
  const T theta_squared = a0 * a0 + a1 * a1 + a2 * a2;
  const T s = internal::sin_over_angle(theta_squared);
  const T c = internal::one_minus_cos_over_angle_squared(theta_squared);
  // [a]x^2 = a a^T - theta^2 I.
  R[0] = 1.0 + c * (a0 * a0 - theta_squared);
  R[1] = c * a0 * a1 - s * a2;
  R[2] = c * a0 * a2 + s * a1;
  R[3] = c * a1 * a0 + s * a2;
  R[4] = 1.0 + c * (a1 * a1 - theta_squared);
  R[5] = c * a1 * a2 - s * a0;
  R[6] = c * a2 * a0 - s * a1;
  R[7] = c * a2 * a1 + s * a0;
  R[8] = 1.0 + c * (a2 * a2 - theta_squared);
}

// The unit quaternion (w >= 0) of a rotation matrix R (row-major), by
// Shepperd's method: the largest of |w|, |x|, |y|, |z| is computed from the
// diagonal, the others from off-diagonal sums and differences divided by it.
// R should be a rotation (orthonormal, determinant 1); no check is made.
template <typename T>
void rotation_matrix_to_quaternion(const T* R, T* quaternion) {
  using std::sqrt;
  const T trace = R[0] + R[4] + R[8];
  T q[4];
  if (trace >= 0.0) {
    T t = sqrt(trace + 1.0);
    q[0] = 0.5 * t;
    t = 0.5 / t;
    q[1] = (R[7] - R[5]) * t;
    q[2] = (R[2] - R[6]) * t;
    q[3] = (R[3] - R[1]) * t;
  } else {
    int i = 0;
    if (R[4] > R[0]) i = 1;
    if (R[8] > R[3 * i + i]) i = 2;
    const int j = (i + 1) % 3;
    const int k = (j + 1) % 3;
    T t = sqrt(R[3 * i + i] - R[3 * j + j] - R[3 * k + k] + 1.0);
    q[i + 1] = 0.5 * t;
    t = 0.5 / t;
    q[0] = (R[3 * k + j] - R[3 * j + k]) * t;
    q[j + 1] = (R[3 * j + i] + R[3 * i + j]) * t;
    q[k + 1] = (R[3 * k + i] + R[3 * i + k]) * t;
    if (q[0] < 0.0) {
      for (T& value : q) value = -value;
    }
  }
  for (int n = 0; n < 4; ++n) quaternion[n] = q[n];
}

// The angle-axis vector (angle in [0, pi]) of a rotation matrix (row-major),
// through rotation_matrix_to_quaternion and quaternion_to_angle_axis.
template <typename T>
void rotation_matrix_to_angle_axis(const T* R, T* angle_axis) {
  T q[4];
  rotation_matrix_to_quaternion(R, q);
  quaternion_to_angle_axis(q, angle_axis);
}

// The rotation matrix (row-major) of any non-zero quaternion: q is
// normalised first, so q and s q give the same matrix for s != 0.
template <typename T>
void quaternion_to_rotation_matrix(const T* quaternion, T* R) {
  const T w = quaternion[0], x = quaternion[1], y = quaternion[2], z = quaternion[3];
  const T ww = w * w, xx = x * x, yy = y * y, zz = z * z;
  const T inverse_norm_squared = 1.0 / (ww + xx + yy + zz);
  const T wx = w * x, wy = w * y, wz = w * z, xy = x * y, xz = x * z, yz = y * z;
  R[0] = (ww + xx - yy - zz) * inverse_norm_squared;
  R[1] = 2.0 * (xy - wz) * inverse_norm_squared;
  R[2] = 2.0 * (xz + wy) * inverse_norm_squared;
  R[3] = 2.0 * (xy + wz) * inverse_norm_squared;
  R[4] = (ww - xx + yy - zz) * inverse_norm_squared;
  R[5] = 2.0 * (yz - wx) * inverse_norm_squared;
  R[6] = 2.0 * (xz - wy) * inverse_norm_squared;
  R[7] = 2.0 * (yz + wx) * inverse_norm_squared;
  R[8] = (ww - xx - yy + zz) * inverse_norm_squared;
}

// R p: the point p rotated by angle_axis, without forming R:
// p + sin(theta)/theta (a x p) + (1 - cos(theta))/theta^2 (a x (a x p)).
template <typename T>
void angle_axis_rotate_point(const T* angle_axis, const T* point, T* result) {
  const T a0 = angle_axis[0], a1 = angle_axis[1], a2 = angle_axis[2];
  const T p0 = point[0], p1 = point[1], p2 = point[2];
  const T theta_squared = a0 * a0 + a1 * a1 + a2 * a2;
  const T s = internal::sin_over_angle(theta_squared);
  const T c = internal::one_minus_cos_over_angle_squared(theta_squared);
  const T cross0 = a1 * p2 - a2 * p1, cross1 = a2 * p0 - a0 * p2, cross2 = a0 * p1 - a1 * p0;
  const T double0 = a1 * cross2 - a2 * cross1, double1 = a2 * cross0 - a0 * cross2, double2 = a0 * cross1 - a1 * cross0;
  result[0] = p0 + s * cross0 + c * double0;
  result[1] = p1 + s * cross1 + c * double1;
  result[2] = p2 + s * cross2 + c * double2;
}

// q p q^*: the point p rotated by a unit quaternion (|q| = 1 is assumed, not
// checked; for any other q use quaternion_rotate_point).
template <typename T>
void unit_quaternion_rotate_point(const T* quaternion, const T* point, T* result) {
  // p + 2 w (v x p) + 2 v x (v x p), v = (x, y, z): 30 operations, no matrix.
  const T w = quaternion[0], v0 = quaternion[1], v1 = quaternion[2], v2 = quaternion[3];
  const T p0 = point[0], p1 = point[1], p2 = point[2];
  const T t0 = 2.0 * (v1 * p2 - v2 * p1), t1 = 2.0 * (v2 * p0 - v0 * p2), t2 = 2.0 * (v0 * p1 - v1 * p0);
  result[0] = p0 + w * t0 + (v1 * t2 - v2 * t1);
  result[1] = p1 + w * t1 + (v2 * t0 - v0 * t2);
  result[2] = p2 + w * t2 + (v0 * t1 - v1 * t0);
}

// The point p rotated by any non-zero quaternion (normalised first, as in
// quaternion_to_rotation_matrix).
template <typename T>
void quaternion_rotate_point(const T* quaternion, const T* point, T* result) {
  using std::sqrt;
  const T norm = sqrt(quaternion[0] * quaternion[0] + quaternion[1] * quaternion[1] + quaternion[2] * quaternion[2] +
                      quaternion[3] * quaternion[3]);
  const T unit[4] = {quaternion[0] / norm, quaternion[1] / norm, quaternion[2] / norm, quaternion[3] / norm};
  unit_quaternion_rotate_point(unit, point, result);
}

// The Hamilton product a b: the rotation b followed by the rotation a.
template <typename T>
void quaternion_product(const T* a, const T* b, T* ab) {
  const T w = a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
  const T x = a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2];
  const T y = a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1];
  const T z = a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0];
  ab[0] = w;
  ab[1] = x;
  ab[2] = y;
  ab[3] = z;
}

// (w, -x, -y, -z): the inverse rotation (the inverse quaternion when |q| = 1).
template <typename T>
void quaternion_conjugate(const T* quaternion, T* conjugate) {
  conjugate[0] = quaternion[0];
  conjugate[1] = -quaternion[1];
  conjugate[2] = -quaternion[2];
  conjugate[3] = -quaternion[3];
}

// R = Rz(yaw) Ry(pitch) Rx(roll) (row-major) from euler = (yaw, pitch, roll)
// in radians (Z-Y-X intrinsic; see the top of this file).
template <typename T>
void euler_angles_to_rotation_matrix(const T* euler, T* R) {
  using std::cos;
  using std::sin;
  const T cy = cos(euler[0]), sy = sin(euler[0]);
  const T cp = cos(euler[1]), sp = sin(euler[1]);
  const T cr = cos(euler[2]), sr = sin(euler[2]);
  R[0] = cy * cp;
  R[1] = cy * sp * sr - sy * cr;
  R[2] = cy * sp * cr + sy * sr;
  R[3] = sy * cp;
  R[4] = sy * sp * sr + cy * cr;
  R[5] = sy * sp * cr - cy * sr;
  R[6] = -sp;
  R[7] = cp * sr;
  R[8] = cp * cr;
}

// The inverse of euler_angles_to_rotation_matrix: (yaw, pitch, roll) with
// yaw and roll in [-pi, pi] and pitch in [-pi/2, pi/2]. At pitch = +-pi/2
// (gimbal lock) only yaw -+ roll is determined; the result then has roll = 0
// and derivatives with respect to R that hold along that choice.
template <typename T>
void rotation_matrix_to_euler_angles(const T* R, T* euler) {
  using std::atan2;
  using std::sqrt;
  const T cos_pitch_squared = R[0] * R[0] + R[3] * R[3];
  T yaw, pitch, roll;
  if (cos_pitch_squared > 1e-24) {
    const T cos_pitch = sqrt(cos_pitch_squared);
    yaw = atan2(R[3], R[0]);
    pitch = atan2(-R[6], cos_pitch);
    roll = atan2(R[7], R[8]);
  } else {
    // R[1] = -sin(yaw -+ roll), R[4] = cos(yaw -+ roll) at pitch = +-pi/2.
    yaw = atan2(-R[1], R[4]);
    pitch = T(R[6] < 0.0 ? std::numbers::pi / 2 : -std::numbers::pi / 2);
    roll = T(0.0);
  }
  euler[0] = yaw;
  euler[1] = pitch;
  euler[2] = roll;
}

}  // namespace curvature
