// Tests for the provided manifolds (manifolds.h) and AutoDiffManifold: for
// each, at random points and at the special ones (zero rotation, rotation by
// pi, the sphere's poles including -e_n), plus(x, 0) = x, the round trip
// minus(plus(x, d), x) = d, plus and minus Jacobians against central
// differences, minus_jacobian * plus_jacobian = I and the tangent-space
// product; then closed forms, the documented conventions, and bad input.
#include "curvature/manifold.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "curvature/autodiff_manifold.h"
#include "curvature/manifolds.h"
#include "curvature/rotation.h"
#include "test_util.h"

namespace curvature {
namespace {

using curvature::testing::expect_error_naming;
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;
constexpr double kPi = std::numbers::pi;

Matrix plus_jacobian(const Manifold& m, const Vector& x) {
  Matrix J(m.ambient_size(), m.tangent_size());
  EXPECT_TRUE(m.plus_jacobian(x.data(), J.data()));
  return J;
}

Matrix minus_jacobian(const Manifold& m, const Vector& x) {
  Matrix J(m.tangent_size(), m.ambient_size());
  EXPECT_TRUE(m.minus_jacobian(x.data(), J.data()));
  return J;
}

Vector plus(const Manifold& m, const Vector& x, const Vector& delta) {
  Vector result(m.ambient_size());
  EXPECT_TRUE(m.plus(x.data(), delta.data(), result.data()));
  return result;
}

Vector minus(const Manifold& m, const Vector& y, const Vector& x) {
  Vector result(m.tangent_size());
  EXPECT_TRUE(m.minus(y.data(), x.data(), result.data()));
  return result;
}

// d plus(x, delta) / d delta at 0 by central differences.
Matrix numeric_plus_jacobian(const Manifold& m, const Vector& x, double h = 1e-6) {
  Matrix J(m.ambient_size(), m.tangent_size());
  for (int j = 0; j < m.tangent_size(); ++j) {
    Vector step = Vector::Zero(m.tangent_size());
    step[j] = h;
    J.col(j) = (plus(m, x, step) - plus(m, x, -step)) / (2 * h);
  }
  return J;
}

// d minus(y, x) / d y at y = x by central differences (y leaves the manifold
// along ambient coordinates; minus is defined there).
Matrix numeric_minus_jacobian(const Manifold& m, const Vector& x, double h = 1e-6) {
  Matrix J(m.tangent_size(), m.ambient_size());
  for (int i = 0; i < m.ambient_size(); ++i) {
    Vector forward = x, backward = x;
    forward[i] += h;
    backward[i] -= h;
    J.col(i) = (minus(m, forward, x) - minus(m, backward, x)) / (2 * h);
  }
  return J;
}

Vector random_vector(std::mt19937& rng, int size, double length) {
  std::normal_distribution<double> normal;
  Vector v(size);
  for (int i = 0; i < size; ++i) v[i] = normal(rng);
  return length * v.normalized();
}

// Every property a manifold must have at the point x (on the manifold), for
// steps up to `largest_step` long. At a point where plus wraps (an angle of
// pi), central differences straddle the jump: `compare_differences` = false
// leaves them out.
void check_manifold(const Manifold& m, const Vector& x, double largest_step, const std::string& where,
                    bool compare_differences = true) {
  SCOPED_TRACE(where);
  const int ambient = m.ambient_size(), tangent = m.tangent_size();
  ASSERT_EQ(x.size(), ambient);
  std::mt19937 rng(23);

  EXPECT_LT((plus(m, x, Vector::Zero(tangent)) - x).cwiseAbs().maxCoeff(), 1e-15) << "plus(x, 0) = x";
  EXPECT_LT(minus(m, x, x).cwiseAbs().maxCoeff(), 1e-15) << "minus(x, x) = 0";
  for (double length : {1e-12, 1e-6, 1e-3, 0.1, largest_step}) {
    const Vector delta = random_vector(rng, tangent, length);
    EXPECT_LT((minus(m, plus(m, x, delta), x) - delta).norm(), 1e-14 * std::max(1.0, length))
        << "round trip, |delta| = " << length;
  }

  const Matrix P = plus_jacobian(m, x), M = minus_jacobian(m, x);
  if (compare_differences) {
    EXPECT_LT((P - numeric_plus_jacobian(m, x)).cwiseAbs().maxCoeff(), 1e-8) << "plus_jacobian\n" << P;
    EXPECT_LT((M - numeric_minus_jacobian(m, x)).cwiseAbs().maxCoeff(), 1e-8) << "minus_jacobian\n" << M;
  }
  EXPECT_LT((M * P - Matrix::Identity(tangent, tangent)).cwiseAbs().maxCoeff(), 1e-14) << "minus_J * plus_J = I";

  const Matrix A = Matrix::Random(3, ambient);
  Matrix product(3, tangent);
  ASSERT_TRUE(m.right_multiply_by_plus_jacobian(x.data(), 3, A.data(), product.data()));
  EXPECT_LT((product - A * P).cwiseAbs().maxCoeff(), 1e-14) << "right_multiply_by_plus_jacobian";
}

Vector quaternion_of(const Eigen::Vector3d& angle_axis) {
  Vector q(4);
  angle_axis_to_quaternion(angle_axis.data(), q.data());
  return q;
}

Vector eigen_order(const Vector& wxyz) { return (Vector(4) << wxyz[1], wxyz[2], wxyz[3], wxyz[0]).finished(); }

Vector unit(Vector v) { return v.normalized(); }

// The rotations the rotation manifolds are checked at: identity, random,
// near and at pi.
std::vector<std::pair<std::string, Eigen::Vector3d>> special_rotations() {
  std::mt19937 rng(29);
  const Eigen::Vector3d axis = random_vector(rng, 3, 1.0);
  return {{"zero rotation", Eigen::Vector3d::Zero()},
          {"small rotation", 1e-9 * axis},
          {"random rotation", 1.3 * random_vector(rng, 3, 1.0)},
          {"near pi", (kPi - 1e-3) * axis},
          {"rotation by pi", kPi * axis},
          {"pi about z", Eigen::Vector3d(0, 0, kPi)}};
}

TEST(ManifoldTest, EuclideanAndSubset) {
  std::mt19937 rng(1);
  check_manifold(EuclideanManifold(4), random_vector(rng, 4, 2.0), 3.0, "Euclidean");
  check_manifold(SubsetManifold(5, {3, 1}), random_vector(rng, 5, 2.0), 3.0, "Subset");
  const SubsetManifold subset(4, {0, 2});
  const Vector x = (Vector(4) << 1, 2, 3, 4).finished();
  EXPECT_EQ(plus(subset, x, (Vector(2) << 10, 20).finished()), (Vector(4) << 1, 12, 3, 24).finished());
  EXPECT_EQ(minus(subset, (Vector(4) << 9, 5, 9, 1).finished(), x), (Vector(2) << 3, -3).finished());
  EXPECT_EQ(subset.tangent_size(), 2);
  EXPECT_TRUE(EuclideanManifold(2).is_euclidean());
  EXPECT_FALSE(subset.is_euclidean());
}

TEST(ManifoldTest, QuaternionAtSpecialAndRandomRotations) {
  for (const auto& [name, a] : special_rotations()) {
    const Vector q = quaternion_of(a);
    check_manifold(QuaternionManifold(), q, 3.0, "Quaternion at " + name);
    check_manifold(QuaternionManifold(), -q, 3.0, "Quaternion, negated, at " + name);
    check_manifold(EigenQuaternionManifold(), eigen_order(q), 3.0, "EigenQuaternion at " + name);
  }
}

TEST(ManifoldTest, QuaternionPlusLeftMultipliesByTheStepsRotation) {
  const QuaternionManifold manifold;
  std::mt19937 rng(31);
  const Vector q = quaternion_of(random_vector(rng, 3, 2.0));
  const Eigen::Vector3d delta = random_vector(rng, 3, 0.8);
  const Vector result = plus(manifold, q, delta);
  Vector expected(4);
  quaternion_product(quaternion_of(delta).data(), q.data(), expected.data());
  EXPECT_LT((result - expected).cwiseAbs().maxCoeff(), 1e-15);
  // A quarter turn about z from the identity.
  const Vector quarter = plus(manifold, (Vector(4) << 1, 0, 0, 0).finished(), Eigen::Vector3d(0, 0, kPi / 2));
  EXPECT_LT((quarter - (Vector(4) << std::sqrt(0.5), 0, 0, std::sqrt(0.5)).finished()).cwiseAbs().maxCoeff(), 1e-15);
  // The Eigen-ordered manifold is the same map with the storage permuted.
  const EigenQuaternionManifold eigen_manifold;
  EXPECT_LT((plus(eigen_manifold, eigen_order(q), delta) - eigen_order(result)).cwiseAbs().maxCoeff(), 1e-15);
  EXPECT_LT((minus(eigen_manifold, eigen_order(result), eigen_order(q)) - delta).norm(), 1e-15);
}

TEST(ManifoldTest, QuaternionStaysUnitThroughManySteps) {
  const QuaternionManifold manifold;
  std::mt19937 rng(37);
  // Start slightly off the sphere, as a quaternion read from a file may be.
  Vector q = (Vector(4) << 0.5, 0.5, 0.5, 0.5000001).finished();
  for (int step = 0; step < 1000; ++step) {
    q = plus(manifold, q, random_vector(rng, 3, 0.5));
    ASSERT_LT(std::abs(q.norm() - 1.0), 1e-15) << "step " << step;
  }
}

TEST(ManifoldTest, QuaternionJacobiansAreExactOffTheUnitSphere) {
  // plus normalises its result and minus ignores the scale of its inputs: the
  // Jacobians are the derivatives of those functions at any non-zero q.
  std::mt19937 rng(41);
  const Vector q = 2.5 * quaternion_of(random_vector(rng, 3, 1.0));
  const QuaternionManifold manifold;
  EXPECT_LT((plus_jacobian(manifold, q) - numeric_plus_jacobian(manifold, q)).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_LT((minus_jacobian(manifold, q) - numeric_minus_jacobian(manifold, q)).cwiseAbs().maxCoeff(), 1e-9);
}

TEST(ManifoldTest, SO3AtSpecialAndRandomRotations) {
  const SO3Manifold manifold;
  for (const auto& [name, a] : special_rotations()) {
    // At an angle of pi plus wraps to the angle-axis vector of angle <= pi,
    // so differences there straddle a jump; the round trip still holds.
    const bool at_pi = a.norm() > kPi - 1e-12;
    check_manifold(manifold, a, 2.0, "SO3 at " + name, !at_pi);
    std::mt19937 rng(43);
    for (double length : {1e-6, 0.1, 2.0}) {
      EXPECT_LE(plus(manifold, a, random_vector(rng, 3, length)).norm(), kPi + 1e-15) << name;
    }
  }
}

TEST(ManifoldTest, SO3MovesAsTheQuaternionManifold) {
  const SO3Manifold so3;
  const QuaternionManifold quaternions;
  std::mt19937 rng(47);
  const Eigen::Vector3d x = random_vector(rng, 3, 2.7), delta = random_vector(rng, 3, 0.9);
  const Vector via_so3 = quaternion_of(plus(so3, x, delta));
  Vector via_quaternion = plus(quaternions, quaternion_of(x), delta);
  if (via_quaternion.dot(via_so3) < 0) via_quaternion = -via_quaternion;
  EXPECT_LT((via_so3 - via_quaternion).cwiseAbs().maxCoeff(), 1e-15);
  // The angle of the result is at most pi: 3 rad about z plus 0.5 rad about z
  // is -(2 pi - 3.5) rad about z.
  const Vector wrapped = plus(so3, Eigen::Vector3d(0, 0, 3.0), Eigen::Vector3d(0, 0, 0.5));
  EXPECT_LT((wrapped - Eigen::Vector3d(0, 0, 3.5 - 2 * kPi)).norm(), 1e-15);
}

TEST(ManifoldTest, AngleAndSE2WrapIntoMinusPiToPi) {
  const AngleManifold angle;
  for (double theta : {0.0, 1.0, -3.0, kPi, -kPi + 1e-9}) {
    check_manifold(angle, Vector::Constant(1, theta), 3.0, "Angle at " + std::to_string(theta), std::abs(theta) < 3.1);
  }
  EXPECT_NEAR(plus(angle, Vector::Constant(1, 3.0), Vector::Constant(1, 0.5))[0], 3.5 - 2 * kPi, 1e-15);
  EXPECT_EQ(plus(angle, Vector::Constant(1, -kPi), Vector::Constant(1, 0.0))[0], kPi);  // -pi is pi
  EXPECT_NEAR(minus(angle, Vector::Constant(1, -3.0), Vector::Constant(1, 3.0))[0], 2 * kPi - 6.0, 1e-15);
  const SE2Manifold se2;
  const Vector pose = (Vector(3) << 1.0, -2.0, kPi - 0.1).finished();
  check_manifold(se2, pose, 3.0, "SE2");
  const Vector moved = plus(se2, pose, (Vector(3) << 0.5, 0.25, 0.3).finished());
  EXPECT_LT((moved - (Vector(3) << 1.5, -1.75, 0.2 - kPi).finished()).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(ManifoldTest, IdentityPlusJacobiansAreDeclaredWhereTheyHoldEverywhere) {
  const auto angle = std::make_shared<AngleManifold>();
  const auto quaternion = std::make_shared<EigenQuaternionManifold>();
  const auto plane = std::make_shared<EuclideanManifold>(2);
  EXPECT_TRUE(angle->has_identity_plus_jacobian());
  EXPECT_TRUE(SE2Manifold().has_identity_plus_jacobian());
  EXPECT_TRUE(plane->has_identity_plus_jacobian());
  EXPECT_TRUE(ProductManifold({plane, angle}).has_identity_plus_jacobian());
  EXPECT_FALSE(quaternion->has_identity_plus_jacobian());
  EXPECT_FALSE(ProductManifold({plane, quaternion}).has_identity_plus_jacobian());
  EXPECT_FALSE(SubsetManifold(3, {1}).has_identity_plus_jacobian());
  // Where declared, it is the identity, also far outside (-pi, pi].
  for (double theta : {0.0, 3.0, -3.2, 40.0}) {
    double jacobian = 0.0;
    ASSERT_TRUE(angle->plus_jacobian(&theta, &jacobian));
    EXPECT_EQ(jacobian, 1.0);
    const double pose[3] = {1.0, -2.0, theta};
    double jacobian3[9];
    ASSERT_TRUE(SE2Manifold().plus_jacobian(pose, jacobian3));
    for (int i = 0; i < 9; ++i) EXPECT_EQ(jacobian3[i], i % 4 == 0 ? 1.0 : 0.0);
  }
}

TEST(ManifoldTest, SE3IsTranslationThenQuaternion) {
  const SE3Manifold se3;
  const ProductManifold product({std::make_shared<EuclideanManifold>(3), std::make_shared<QuaternionManifold>()});
  std::mt19937 rng(53);
  for (const auto& [name, a] : special_rotations()) {
    Vector x(7);
    x << random_vector(rng, 3, 4.0), quaternion_of(a);
    check_manifold(se3, x, 3.0, "SE3 at " + name);
    const Vector delta = random_vector(rng, 6, 1.0);
    EXPECT_EQ(plus(se3, x, delta), plus(product, x, delta));
    EXPECT_EQ(minus(se3, plus(se3, x, delta), x), minus(product, plus(product, x, delta), x));
    EXPECT_EQ(plus_jacobian(se3, x), plus_jacobian(product, x));
    EXPECT_EQ(minus_jacobian(se3, x), minus_jacobian(product, x));
  }
}

TEST(ManifoldTest, SphereAtPolesAndRandomPoints) {
  std::mt19937 rng(59);
  // n = 10: a 10 x 9 plus_jacobian, past the default product's stack buffer.
  for (int n : {2, 3, 5, 10}) {
    const SphereManifold sphere(n);
    Vector north = Vector::Zero(n), south = Vector::Zero(n), first = Vector::Zero(n);
    north[n - 1] = 1.0;
    south[n - 1] = -1.0;
    first[0] = 1.0;
    const std::string size = " in R^" + std::to_string(n);
    check_manifold(sphere, north, 3.0, "Sphere at e_n" + size);
    check_manifold(sphere, south, 3.0, "Sphere at -e_n" + size);
    check_manifold(sphere, first, 3.0, "Sphere at e_1" + size);
    check_manifold(sphere, unit(south + 1e-7 * random_vector(rng, n, 1.0)), 3.0, "Sphere near -e_n" + size);
    for (int trial = 0; trial < 3; ++trial) {
      check_manifold(sphere, random_vector(rng, n, 1.0), 3.0, "Sphere at a random point" + size);
    }
  }
}

TEST(ManifoldTest, SpherePlusFollowsAGreatCircleAndStaysUnit) {
  const SphereManifold sphere(3);
  const Vector north = (Vector(3) << 0, 0, 1).finished();
  // At e_n the basis is the standard axes: a step (t, 0) turns toward e_1.
  const Vector moved = plus(sphere, north, (Vector(2) << 0.3, 0.0).finished());
  EXPECT_LT((moved - (Vector(3) << std::sin(0.3), 0, std::cos(0.3)).finished()).cwiseAbs().maxCoeff(), 1e-15);
  std::mt19937 rng(61);
  Vector x = random_vector(rng, 3, 1.0);
  for (int step = 0; step < 1000; ++step) {
    x = plus(sphere, x, random_vector(rng, 2, 0.7));
    ASSERT_LT(std::abs(x.norm() - 1.0), 1e-15) << "step " << step;
  }
  // The tangent basis is orthogonal to x: plus_jacobian^T x = 0.
  EXPECT_LT((plus_jacobian(sphere, x).transpose() * x).cwiseAbs().maxCoeff(), 1e-15);
  // Antipodal points have no unique step between them.
  double step[2];
  const Vector south = -north;
  EXPECT_FALSE(sphere.minus(south.data(), north.data(), step));
  const Vector zero = Vector::Zero(3);
  double out[3];
  EXPECT_FALSE(sphere.plus(zero.data(), step, out));
}

TEST(ManifoldTest, LineMovesTheOriginOrthogonallyToTheDirection) {
  std::mt19937 rng(67);
  for (int n : {2, 3, 4}) {
    const LineManifold line(n);
    Vector x(2 * n);
    x << random_vector(rng, n, 2.0), random_vector(rng, n, 1.0);
    check_manifold(line, x, 2.0, "Line in R^" + std::to_string(n));
    Vector down(2 * n);
    down << random_vector(rng, n, 2.0), Vector::Zero(n);
    down[2 * n - 1] = -1.0;
    check_manifold(line, down, 2.0, "Line along -e_n in R^" + std::to_string(n));
    // The origin's displacement is orthogonal to the old direction.
    const Vector moved = plus(line, x, random_vector(rng, 2 * (n - 1), 0.5));
    EXPECT_LT(std::abs((moved.head(n) - x.head(n)).dot(x.tail(n))), 1e-15);
    EXPECT_LT(std::abs(moved.tail(n).norm() - 1.0), 1e-15);
  }
}

TEST(ManifoldTest, ProductPlacesEachFactorAtItsOffsets) {
  std::mt19937 rng(71);
  auto quaternion = std::make_shared<QuaternionManifold>();
  auto plane = std::make_shared<EuclideanManifold>(2);
  auto sphere = std::make_shared<SphereManifold>(3);
  const ProductManifold product({quaternion, plane, sphere});
  EXPECT_EQ(product.ambient_size(), 9);
  EXPECT_EQ(product.tangent_size(), 7);
  EXPECT_FALSE(product.is_euclidean());
  Vector x(9);
  x << quaternion_of(random_vector(rng, 3, 1.0)), random_vector(rng, 2, 3.0), random_vector(rng, 3, 1.0);
  check_manifold(product, x, 2.0, "Product");
  const Vector delta = random_vector(rng, 7, 1.0);
  const Vector result = plus(product, x, delta);
  EXPECT_EQ(result.segment(0, 4), plus(*quaternion, x.segment(0, 4), delta.segment(0, 3)));
  EXPECT_EQ(result.segment(4, 2), plus(*plane, x.segment(4, 2), delta.segment(3, 2)));
  EXPECT_EQ(result.segment(6, 3), plus(*sphere, x.segment(6, 3), delta.segment(5, 2)));
  const Matrix P = plus_jacobian(product, x);
  EXPECT_EQ(Matrix(P.block(0, 0, 4, 3)), plus_jacobian(*quaternion, x.segment(0, 4)));
  EXPECT_EQ(Matrix(P.block(6, 5, 3, 2)), plus_jacobian(*sphere, x.segment(6, 3)));
  EXPECT_EQ(P.block(0, 3, 4, 4).cwiseAbs().maxCoeff(), 0.0);
  const ProductManifold flat({plane, std::make_shared<EuclideanManifold>(3)});
  EXPECT_TRUE(flat.is_euclidean());
}

// A hand-written quaternion manifold's plus and minus, as a user would
// write them for AutoDiffManifold.
struct QuaternionFunctor {
  template <typename T>
  bool plus(const T* x, const T* delta, T* x_plus_delta) const {
    using std::sqrt;
    T step[4], product[4];
    angle_axis_to_quaternion(delta, step);
    quaternion_product(step, x, product);
    const T norm =
        sqrt(product[0] * product[0] + product[1] * product[1] + product[2] * product[2] + product[3] * product[3]);
    for (int i = 0; i < 4; ++i) x_plus_delta[i] = product[i] / norm;
    return true;
  }
  template <typename T>
  bool minus(const T* y, const T* x, T* y_minus_x) const {
    T inverse[4], difference[4];
    quaternion_conjugate(x, inverse);
    quaternion_product(y, inverse, difference);
    quaternion_to_angle_axis(difference, y_minus_x);
    return true;
  }
};

// The example of autodiff_manifold.h's documentation.
struct UnitCircle {
  template <typename T>
  bool plus(const T* x, const T* delta, T* x_plus_delta) const {
    using std::cos;
    using std::sin;
    x_plus_delta[0] = cos(delta[0]) * x[0] - sin(delta[0]) * x[1];
    x_plus_delta[1] = sin(delta[0]) * x[0] + cos(delta[0]) * x[1];
    return true;
  }
  template <typename T>
  bool minus(const T* y, const T* x, T* y_minus_x) const {
    using std::atan2;
    y_minus_x[0] = atan2(x[0] * y[1] - x[1] * y[0], x[0] * y[0] + x[1] * y[1]);
    return true;
  }
};

struct Refuses {
  template <typename T>
  bool plus(const T*, const T*, T*) const {
    return false;
  }
  template <typename T>
  bool minus(const T*, const T*, T*) const {
    return false;
  }
};

TEST(ManifoldTest, AutoDiffManifoldEqualsTheHandWrittenOne) {
  const AutoDiffManifold<QuaternionFunctor, 4, 3> automatic;
  const QuaternionManifold by_hand;
  for (const auto& [name, a] : special_rotations()) {
    SCOPED_TRACE(name);
    const Vector q = quaternion_of(a);
    check_manifold(automatic, q, 3.0, "AutoDiffManifold at " + name);
    EXPECT_LT((plus_jacobian(automatic, q) - plus_jacobian(by_hand, q)).cwiseAbs().maxCoeff(), 1e-15);
    EXPECT_LT((minus_jacobian(automatic, q) - minus_jacobian(by_hand, q)).cwiseAbs().maxCoeff(), 1e-15);
    const Eigen::Vector3d delta(0.1, -0.2, 0.3);
    EXPECT_EQ(plus(automatic, q, delta), plus(by_hand, q, delta));
  }
  const AutoDiffManifold<UnitCircle, 2, 1> circle;
  check_manifold(circle, (Vector(2) << std::cos(0.4), std::sin(0.4)).finished(), 3.0, "UnitCircle");
  const AutoDiffManifold<Refuses, 2, 1> refuses;
  double buffer[2] = {0, 0};
  EXPECT_FALSE(refuses.plus(buffer, buffer, buffer));
  EXPECT_FALSE(refuses.plus_jacobian(buffer, buffer));
  EXPECT_FALSE(refuses.minus(buffer, buffer, buffer));
  EXPECT_FALSE(refuses.minus_jacobian(buffer, buffer));
}

TEST(ManifoldTest, PointsOffTheDomainAreRefused) {
  const double zero[7] = {0, 0, 0, 0, 0, 0, 0}, delta[6] = {0.1, 0.2, 0.3, 0.1, 0.2, 0.3};
  double out[42];
  EXPECT_FALSE(QuaternionManifold().plus(zero, delta, out));
  EXPECT_FALSE(QuaternionManifold().plus_jacobian(zero, out));
  EXPECT_FALSE(QuaternionManifold().minus_jacobian(zero, out));
  EXPECT_FALSE(EigenQuaternionManifold().minus(zero, zero, out));
  EXPECT_FALSE(SE3Manifold().plus(zero, delta, out));
  EXPECT_FALSE(SphereManifold(3).plus_jacobian(zero, out));
  EXPECT_FALSE(LineManifold(3).minus_jacobian(zero, out));
  const double nan_angle[1] = {std::nan("")};
  EXPECT_FALSE(AngleManifold().plus(nan_angle, delta, out));
}

TEST(ManifoldTest, BadSizesAndIndicesAreErrorsNamingThem) {
  expect_error_naming([] { EuclideanManifold(0); }, "EuclideanManifold: size must be at least 1, got 0");
  expect_error_naming([] { SubsetManifold(3, {3}); }, "SubsetManifold: constant index 3 is outside [0, 3)");
  expect_error_naming([] { SubsetManifold(3, {-1}); }, "constant index -1");
  expect_error_naming([] { SubsetManifold(3, {1, 1}); }, "constant index 1 is given twice");
  expect_error_naming([] { SubsetManifold(2, {0, 1}); }, "all 2 coordinates are constant");
  expect_error_naming([] { SubsetManifold(0, {}); }, "SubsetManifold: size must be at least 1, got 0");
  expect_error_naming([] { SphereManifold(1); }, "SphereManifold: ambient size must be at least 2, got 1");
  expect_error_naming([] { LineManifold(1); }, "LineManifold: dimension must be at least 2, got 1");
  expect_error_naming([] { ProductManifold({}); }, "ProductManifold: needs at least one factor");
  expect_error_naming(
      [] {
        ProductManifold({std::make_shared<AngleManifold>(), nullptr});
      },
      "ProductManifold: factor 1 is null");
}

}  // namespace
}  // namespace curvature
