// Tests for curvature/rotation.h: closed forms, round trips between the
// representations, agreement of the three ways to rotate a point, and
// derivatives through Jets against closed forms (exactly, at zero rotation)
// and central differences (at random points, around the Taylor branches'
// threshold and near pi).
#include "curvature/rotation.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <array>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "curvature/jet.h"

namespace curvature {
namespace {

constexpr double kPi = std::numbers::pi;
using Matrix3 = Eigen::Matrix<double, 3, 3, Eigen::RowMajor>;

// A random unit axis times `angle`.
Eigen::Vector3d random_angle_axis(std::mt19937& rng, double angle) {
  std::normal_distribution<double> normal;
  Eigen::Vector3d axis(normal(rng), normal(rng), normal(rng));
  return angle * axis.normalized();
}

Matrix3 matrix_of_angle_axis(const Eigen::Vector3d& a) {
  Matrix3 R;
  angle_axis_to_rotation_matrix(a.data(), R.data());
  return R;
}

// The angles the tests sweep: zero, both sides of the Taylor threshold
// (0.01 rad), ordinary angles, and up to pi.
const std::vector<double> kAngles = {0.0, 1e-12, 1e-6, 0.0099999, 0.0100001, 0.3, 1.0, 2.0, 3.0, kPi - 1e-6, kPi};

TEST(RotationTest, ClosedFormsForAQuarterTurnAboutZ) {
  const double a[3] = {0.0, 0.0, kPi / 2};
  double q[4];
  angle_axis_to_quaternion(a, q);
  EXPECT_NEAR(q[0], std::sqrt(0.5), 1e-15);
  EXPECT_EQ(q[1], 0.0);
  EXPECT_EQ(q[2], 0.0);
  EXPECT_NEAR(q[3], std::sqrt(0.5), 1e-15);

  Matrix3 R;
  angle_axis_to_rotation_matrix(a, R.data());
  Matrix3 expected;
  expected << 0, -1, 0, 1, 0, 0, 0, 0, 1;
  EXPECT_LT((R - expected).cwiseAbs().maxCoeff(), 1e-15);

  const double p[3] = {1.0, 0.0, 0.0};
  double rotated[3];
  angle_axis_rotate_point(a, p, rotated);
  EXPECT_NEAR(rotated[0], 0.0, 1e-15);
  EXPECT_NEAR(rotated[1], 1.0, 1e-15);
  EXPECT_EQ(rotated[2], 0.0);

  // Euler: yaw alone is the same rotation about z.
  const double euler[3] = {kPi / 2, 0.0, 0.0};
  Matrix3 from_euler;
  euler_angles_to_rotation_matrix(euler, from_euler.data());
  EXPECT_LT((from_euler - expected).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(RotationTest, AgreesWithEigenAngleAxis) {
  std::mt19937 rng(7);
  for (double angle : kAngles) {
    const Eigen::Vector3d a = random_angle_axis(rng, angle);
    const Eigen::AngleAxisd eigen_rotation(angle, angle > 0 ? Eigen::Vector3d(a / angle) : Eigen::Vector3d::UnitX());
    const Matrix3 expected = eigen_rotation.toRotationMatrix();
    EXPECT_LT((matrix_of_angle_axis(a) - expected).cwiseAbs().maxCoeff(), 1e-15) << "angle " << angle;
    const Eigen::Quaterniond eigen_q(eigen_rotation);
    double q[4];
    angle_axis_to_quaternion(a.data(), q);
    EXPECT_NEAR(q[0], eigen_q.w(), 1e-15);
    EXPECT_NEAR(q[1], eigen_q.x(), 1e-15);
    EXPECT_NEAR(q[2], eigen_q.y(), 1e-15);
    EXPECT_NEAR(q[3], eigen_q.z(), 1e-15);
  }
}

TEST(RotationTest, ConversionsRoundTripAtEveryAngle) {
  std::mt19937 rng(11);
  for (double angle : kAngles) {
    for (int trial = 0; trial < 5; ++trial) {
      SCOPED_TRACE(::testing::Message() << "angle " << angle << " trial " << trial);
      const Eigen::Vector3d a = random_angle_axis(rng, angle);
      Eigen::Vector3d back;
      double q[4];
      angle_axis_to_quaternion(a.data(), q);
      quaternion_to_angle_axis(q, back.data());
      // At exactly pi, a and -a are the same rotation.
      if (angle == kPi && back.dot(a) < 0) back = -back;
      EXPECT_LT((back - a).norm(), 1e-15 * std::max(1.0, angle));

      const Matrix3 R = matrix_of_angle_axis(a);
      rotation_matrix_to_angle_axis(R.data(), back.data());
      if (angle == kPi && back.dot(a) < 0) back = -back;
      // Shepperd's method keeps full precision up to and at pi.
      EXPECT_LT((back - a).norm(), 4e-15);
      EXPECT_LT((matrix_of_angle_axis(back) - R).cwiseAbs().maxCoeff(), 4e-15);

      // Quaternion -> matrix -> quaternion, up to the sign of q; and a
      // scaled quaternion gives the same matrix.
      Matrix3 from_q, from_scaled_q;
      quaternion_to_rotation_matrix(q, from_q.data());
      const double scaled[4] = {3 * q[0], 3 * q[1], 3 * q[2], 3 * q[3]};
      quaternion_to_rotation_matrix(scaled, from_scaled_q.data());
      EXPECT_LT((from_q - R).cwiseAbs().maxCoeff(), 1e-15);
      EXPECT_LT((from_scaled_q - R).cwiseAbs().maxCoeff(), 1e-15);
      double q_back[4];
      rotation_matrix_to_quaternion(R.data(), q_back);
      const double sign = q_back[0] * q[0] + q_back[1] * q[1] + q_back[2] * q[2] + q_back[3] * q[3] < 0 ? -1 : 1;
      EXPECT_GE(q_back[0], 0.0);
      for (int i = 0; i < 4; ++i) EXPECT_NEAR(sign * q_back[i], q[i], 1e-15);
    }
  }
}

TEST(RotationTest, QuaternionToAngleAxisKeepsTheAngleAtMostPi) {
  // q and -q: the same rotation, the same angle-axis vector.
  std::mt19937 rng(3);
  const Eigen::Vector3d a = random_angle_axis(rng, 2.5);
  double q[4], negated[4];
  angle_axis_to_quaternion(a.data(), q);
  for (int i = 0; i < 4; ++i) negated[i] = -q[i];
  Eigen::Vector3d from_q, from_negated;
  quaternion_to_angle_axis(q, from_q.data());
  quaternion_to_angle_axis(negated, from_negated.data());
  EXPECT_LT((from_q - a).norm(), 1e-15);
  EXPECT_LT((from_negated - a).norm(), 1e-15);
  // A rotation by 3 pi / 2 about z comes back as pi / 2 about -z.
  const double three_quarters[3] = {0.0, 0.0, 1.5 * kPi};
  angle_axis_to_quaternion(three_quarters, q);
  quaternion_to_angle_axis(q, from_q.data());
  EXPECT_LT((from_q - Eigen::Vector3d(0, 0, -kPi / 2)).norm(), 1e-15);
  // Degenerate input: the zero quaternion gives zero.
  const double zero[4] = {0, 0, 0, 0};
  quaternion_to_angle_axis(zero, from_q.data());
  EXPECT_EQ(from_q, Eigen::Vector3d::Zero());
}

TEST(RotationTest, EveryWayOfRotatingAPointAgrees) {
  std::mt19937 rng(5);
  std::normal_distribution<double> normal;
  for (double angle : kAngles) {
    const Eigen::Vector3d a = random_angle_axis(rng, angle);
    const Eigen::Vector3d p(normal(rng), normal(rng), normal(rng));
    const Eigen::Vector3d expected = matrix_of_angle_axis(a) * p;
    double q[4];
    angle_axis_to_quaternion(a.data(), q);
    const double scaled[4] = {-0.25 * q[0], -0.25 * q[1], -0.25 * q[2], -0.25 * q[3]};
    Eigen::Vector3d by_angle_axis, by_unit, by_scaled;
    angle_axis_rotate_point(a.data(), p.data(), by_angle_axis.data());
    unit_quaternion_rotate_point(q, p.data(), by_unit.data());
    quaternion_rotate_point(scaled, p.data(), by_scaled.data());
    EXPECT_LT((by_angle_axis - expected).norm(), 1e-15 * p.norm()) << "angle " << angle;
    EXPECT_LT((by_unit - expected).norm(), 1e-15 * p.norm()) << "angle " << angle;
    EXPECT_LT((by_scaled - expected).norm(), 1e-15 * p.norm()) << "angle " << angle;
  }
}

TEST(RotationTest, ProductComposesRotationsAndConjugateInverts) {
  std::mt19937 rng(13);
  const Eigen::Vector3d a = random_angle_axis(rng, 0.7), b = random_angle_axis(rng, 2.9);
  double qa[4], qb[4], qab[4], conjugate[4], identity[4];
  angle_axis_to_quaternion(a.data(), qa);
  angle_axis_to_quaternion(b.data(), qb);
  quaternion_product(qa, qb, qab);
  Matrix3 R;
  quaternion_to_rotation_matrix(qab, R.data());
  EXPECT_LT((R - matrix_of_angle_axis(a) * matrix_of_angle_axis(b)).cwiseAbs().maxCoeff(), 1e-15);
  quaternion_conjugate(qa, conjugate);
  quaternion_product(qa, conjugate, identity);
  EXPECT_NEAR(identity[0], 1.0, 1e-15);
  for (int i = 1; i < 4; ++i) EXPECT_NEAR(identity[i], 0.0, 1e-15);
  // The output may alias an input.
  quaternion_product(qa, qb, qa);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(qa[i], qab[i]);
}

TEST(RotationTest, EulerAnglesRoundTripAndComposeAboutZThenYThenX) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> angle(-kPi, kPi), half(-kPi / 2, kPi / 2);
  for (int trial = 0; trial < 20; ++trial) {
    const double euler[3] = {angle(rng), half(rng), angle(rng)};
    Matrix3 R;
    euler_angles_to_rotation_matrix(euler, R.data());
    const Matrix3 expected = matrix_of_angle_axis(Eigen::Vector3d(0, 0, euler[0])) *
                             matrix_of_angle_axis(Eigen::Vector3d(0, euler[1], 0)) *
                             matrix_of_angle_axis(Eigen::Vector3d(euler[2], 0, 0));
    EXPECT_LT((R - expected).cwiseAbs().maxCoeff(), 1e-15);
    double back[3];
    rotation_matrix_to_euler_angles(R.data(), back);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(back[i], euler[i], 1e-14);
  }
  // Gimbal lock: pitch = +-pi/2 fixes only yaw -+ roll; roll comes back 0 and
  // the matrix is reproduced.
  for (double pitch : {kPi / 2, -kPi / 2}) {
    const double euler[3] = {0.4, pitch, 0.3};
    Matrix3 R, again;
    euler_angles_to_rotation_matrix(euler, R.data());
    double back[3];
    rotation_matrix_to_euler_angles(R.data(), back);
    EXPECT_EQ(back[2], 0.0);
    EXPECT_EQ(back[1], pitch);
    euler_angles_to_rotation_matrix(back, again.data());
    EXPECT_LT((again - R).cwiseAbs().maxCoeff(), 1e-15);
  }
}

// ---------------------------------------------------------------------------
// Derivatives.

// The Jacobian (row-major, kOut x kIn) of f at x, through Jets.
template <int kIn, int kOut, typename F>
std::array<double, kIn * kOut> jet_jacobian(const F& f, const double* x) {
  using J = Jet<double, kIn>;
  std::array<J, kIn> input;
  std::array<J, kOut> output;
  for (int i = 0; i < kIn; ++i) input[i] = J(x[i], i);
  f(input.data(), output.data());
  std::array<double, kIn * kOut> jacobian;
  for (int r = 0; r < kOut; ++r) {
    for (int c = 0; c < kIn; ++c) jacobian[r * kIn + c] = output[r].v[c];
  }
  return jacobian;
}

// The same by central differences with step h.
template <int kIn, int kOut, typename F>
std::array<double, kIn * kOut> numeric_jacobian(const F& f, const double* x, double h = 1e-6) {
  std::array<double, kIn * kOut> jacobian;
  for (int c = 0; c < kIn; ++c) {
    std::array<double, kIn> forward, backward;
    std::copy(x, x + kIn, forward.begin());
    std::copy(x, x + kIn, backward.begin());
    forward[c] += h;
    backward[c] -= h;
    std::array<double, kOut> f_forward, f_backward;
    f(forward.data(), f_forward.data());
    f(backward.data(), f_backward.data());
    for (int r = 0; r < kOut; ++r) jacobian[r * kIn + c] = (f_forward[r] - f_backward[r]) / (2 * h);
  }
  return jacobian;
}

template <std::size_t kSize>
double max_difference(const std::array<double, kSize>& a, const std::array<double, kSize>& b) {
  double largest = 0.0;
  for (std::size_t i = 0; i < kSize; ++i) largest = std::max(largest, std::abs(a[i] - b[i]));
  return largest;
}

struct AngleAxisToQuaternion {
  template <typename T>
  void operator()(const T* a, T* q) const {
    angle_axis_to_quaternion(a, q);
  }
};
struct AngleAxisToMatrix {
  template <typename T>
  void operator()(const T* a, T* R) const {
    angle_axis_to_rotation_matrix(a, R);
  }
};
struct QuaternionToAngleAxis {
  template <typename T>
  void operator()(const T* q, T* a) const {
    quaternion_to_angle_axis(q, a);
  }
};
struct MatrixToAngleAxis {
  template <typename T>
  void operator()(const T* R, T* a) const {
    rotation_matrix_to_angle_axis(R, a);
  }
};
struct RotatePointByAngleAxis {  // input (a, p)
  template <typename T>
  void operator()(const T* ap, T* result) const {
    angle_axis_rotate_point(ap, ap + 3, result);
  }
};
struct RotatePointByQuaternion {  // input (q, p), any non-zero q
  template <typename T>
  void operator()(const T* qp, T* result) const {
    quaternion_rotate_point(qp, qp + 4, result);
  }
};
struct EulerToMatrix {
  template <typename T>
  void operator()(const T* e, T* R) const {
    euler_angles_to_rotation_matrix(e, R);
  }
};
struct EulerRoundTrip {
  template <typename T>
  void operator()(const T* e, T* back) const {
    T R[9];
    euler_angles_to_rotation_matrix(e, R);
    rotation_matrix_to_euler_angles(R, back);
  }
};

TEST(RotationTest, JetDerivativesAtExactlyZeroRotationEqualTheClosedForms) {
  const double zero[3] = {0.0, 0.0, 0.0};
  // q = (cos(t/2), sin(t/2) a/t): dq/da = (0, I/2).
  const auto dq = jet_jacobian<3, 4>(AngleAxisToQuaternion{}, zero);
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(dq[r * 3 + c], r == c + 1 ? 0.5 : 0.0) << r << "," << c;
  }
  // R = exp([a]x): dR/da_k = [e_k]x.
  const auto dR = jet_jacobian<3, 9>(AngleAxisToMatrix{}, zero);
  const Matrix3 generators[3] = {
      (Matrix3() << 0, 0, 0, 0, 0, -1, 0, 1, 0).finished(),
      (Matrix3() << 0, 0, 1, 0, 0, 0, -1, 0, 0).finished(),
      (Matrix3() << 0, -1, 0, 1, 0, 0, 0, 0, 0).finished(),
  };
  for (int k = 0; k < 3; ++k) {
    for (int e = 0; e < 9; ++e) EXPECT_EQ(dR[e * 3 + k], generators[k].data()[e]) << "entry " << e << " along " << k;
  }
  // log at the identity quaternion: d a / d q = (0 | 2 I).
  const double identity_q[4] = {1.0, 0.0, 0.0, 0.0};
  const auto da = jet_jacobian<4, 3>(QuaternionToAngleAxis{}, identity_q);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) EXPECT_EQ(da[r * 4 + c], c == r + 1 ? 2.0 : 0.0) << r << "," << c;
  }
  // log at the identity matrix: a = vee(R - R^T) / 2 to first order.
  const Matrix3 identity = Matrix3::Identity();
  const auto da_dR = jet_jacobian<9, 3>(MatrixToAngleAxis{}, identity.data());
  std::array<double, 27> expected{};
  expected[0 * 9 + 7] = 0.5, expected[0 * 9 + 5] = -0.5;  // a0 = (R21 - R12) / 2
  expected[1 * 9 + 2] = 0.5, expected[1 * 9 + 6] = -0.5;  // a1 = (R02 - R20) / 2
  expected[2 * 9 + 3] = 0.5, expected[2 * 9 + 1] = -0.5;  // a2 = (R10 - R01) / 2
  EXPECT_EQ(da_dR, expected);
  // R p at a = 0: d/da = -[p]x, d/dp = I.
  const double ap[6] = {0, 0, 0, 0.3, -1.2, 2.0};
  const auto drot = jet_jacobian<6, 3>(RotatePointByAngleAxis{}, ap);
  const Matrix3 minus_cross_p = (Matrix3() << 0, 2.0, 1.2, -2.0, 0, 0.3, -1.2, -0.3, 0).finished();
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(drot[r * 6 + c], minus_cross_p(r, c)) << r << "," << c;
      EXPECT_EQ(drot[r * 6 + 3 + c], r == c ? 1.0 : 0.0);
    }
  }
}

TEST(RotationTest, SecondDerivativesAtZeroRotationAreExactToo) {
  // d^2 R / da_i da_j = ([e_i]x [e_j]x + [e_j]x [e_i]x) / 2 at a = 0, and
  // d^2 w / da_i da_j = -delta_ij / 4 for the quaternion's w.
  using J3 = Jet<double, 3>;
  using JJ = Jet<J3, 3>;
  JJ a[3];
  for (int i = 0; i < 3; ++i) {
    a[i].a = J3(0.0, i);
    a[i].v = Eigen::Matrix<J3, 3, 1>::Zero();
    a[i].v[i] = J3(1.0);
  }
  JJ R[9], q[4];
  angle_axis_to_rotation_matrix(a, R);
  angle_axis_to_quaternion(a, q);
  const Matrix3 generators[3] = {
      (Matrix3() << 0, 0, 0, 0, 0, -1, 0, 1, 0).finished(),
      (Matrix3() << 0, 0, 1, 0, 0, 0, -1, 0, 0).finished(),
      (Matrix3() << 0, -1, 0, 1, 0, 0, 0, 0, 0).finished(),
  };
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      const Matrix3 expected = 0.5 * (generators[i] * generators[j] + generators[j] * generators[i]);
      for (int e = 0; e < 9; ++e) EXPECT_EQ(R[e].v[i].v[j], expected.data()[e]) << i << j << " entry " << e;
      EXPECT_EQ(q[0].v[i].v[j], i == j ? -0.25 : 0.0);
    }
  }
}

TEST(RotationTest, JetDerivativesMatchCentralDifferencesFromZeroToPi) {
  std::mt19937 rng(19);
  std::normal_distribution<double> normal;
  for (double angle : kAngles) {
    if (angle == kPi) continue;  // the angle-axis log jumps there
    SCOPED_TRACE(::testing::Message() << "angle " << angle);
    const Eigen::Vector3d a = random_angle_axis(rng, angle);
    EXPECT_LT(max_difference(jet_jacobian<3, 4>(AngleAxisToQuaternion{}, a.data()),
                             numeric_jacobian<3, 4>(AngleAxisToQuaternion{}, a.data())),
              1e-9);
    EXPECT_LT(max_difference(jet_jacobian<3, 9>(AngleAxisToMatrix{}, a.data()),
                             numeric_jacobian<3, 9>(AngleAxisToMatrix{}, a.data())),
              1e-9);
    double q[4];
    angle_axis_to_quaternion(a.data(), q);
    if (angle < kPi - 1e-3) {  // the numeric difference would straddle the wrap at pi
      EXPECT_LT(max_difference(jet_jacobian<4, 3>(QuaternionToAngleAxis{}, q),
                               numeric_jacobian<4, 3>(QuaternionToAngleAxis{}, q)),
                1e-8);
      const Matrix3 R = matrix_of_angle_axis(a);
      EXPECT_LT(max_difference(jet_jacobian<9, 3>(MatrixToAngleAxis{}, R.data()),
                               numeric_jacobian<9, 3>(MatrixToAngleAxis{}, R.data())),
                1e-8);
    }
    double ap[6] = {a[0], a[1], a[2], normal(rng), normal(rng), normal(rng)};
    EXPECT_LT(max_difference(jet_jacobian<6, 3>(RotatePointByAngleAxis{}, ap),
                             numeric_jacobian<6, 3>(RotatePointByAngleAxis{}, ap)),
              1e-9);
    double qp[7] = {2 * q[0], 2 * q[1], 2 * q[2], 2 * q[3], ap[3], ap[4], ap[5]};
    EXPECT_LT(max_difference(jet_jacobian<7, 3>(RotatePointByQuaternion{}, qp),
                             numeric_jacobian<7, 3>(RotatePointByQuaternion{}, qp)),
              1e-9);
  }
}

TEST(RotationTest, EulerAngleDerivativesMatchDifferencesAndInvert) {
  const double euler[3] = {0.9, -0.4, 2.1};
  EXPECT_LT(max_difference(jet_jacobian<3, 9>(EulerToMatrix{}, euler), numeric_jacobian<3, 9>(EulerToMatrix{}, euler)),
            1e-9);
  const auto identity = jet_jacobian<3, 3>(EulerRoundTrip{}, euler);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(identity[r * 3 + c], r == c ? 1.0 : 0.0, 1e-14);
  }
}

}  // namespace
}  // namespace curvature
