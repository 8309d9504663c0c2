// curvature/manifolds.h — the manifolds curvature provides (manifold.h says
// what a Manifold is).
//
//   auto q = std::make_shared<curvature::QuaternionManifold>();
//   problem.set_manifold(orientation, q);  // orientation: double[4], w first
//
// Constructors throw curvature::Error for sizes or indices out of range.
#pragma once

#include <memory>
#include <vector>

#include "curvature/manifold.h"

namespace curvature {

// R^n with plus(x, delta) = x + delta: what a block without a manifold is.
class EuclideanManifold final : public Manifold {
 public:
  // size >= 1 coordinates; the members are Manifold's (manifold.h).
  explicit EuclideanManifold(int size);
  int ambient_size() const override { return size_; }
  int tangent_size() const override { return size_; }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;
  bool right_multiply_by_plus_jacobian(const double* x, int num_rows, const double* ambient_matrix,
                                       double* tangent_matrix) const override;
  bool is_euclidean() const override { return true; }

 private:
  int size_;
};

// R^n with some coordinates held constant: the tangent space is the other
// coordinates, in order. Holding every coordinate is an Error (make the block
// constant instead).
class SubsetManifold final : public Manifold {
 public:
  // constant_indices: the held coordinates, each in [0, size) and named once,
  // not all of them; the members are Manifold's (manifold.h).
  SubsetManifold(int size, std::vector<int> constant_indices);
  int ambient_size() const override { return size_; }
  int tangent_size() const override { return static_cast<int>(free_.size()); }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;
  bool right_multiply_by_plus_jacobian(const double* x, int num_rows, const double* ambient_matrix,
                                       double* tangent_matrix) const override;

 private:
  int size_;
  std::vector<int> free_;  // the coordinates that move, ascending
};

// Unit quaternions q = (w, x, y, z) (Hamilton convention, w first, as in
// rotation.h), tangent size 3: plus(q, delta) = exp(delta) * q, where
// exp(delta) is the rotation by the angle |delta| about delta / |delta|
// (angle-axis, rotation.h). The result is renormalised. minus(p, q) =
// log(p q^*), the angle-axis vector (angle at most pi) of the rotation from
// q to p. Unlike Ceres Solver's QuaternionManifold, whose step rotates by
// 2 |delta|, a step here is the rotation vector itself (as in SO3Manifold).
class QuaternionManifold final : public Manifold {
 public:
  // The members are Manifold's (manifold.h); points are (w, x, y, z).
  int ambient_size() const override { return 4; }
  int tangent_size() const override { return 3; }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;
};

// The same with Eigen::Quaterniond's memory order (x, y, z, w).
class EigenQuaternionManifold final : public Manifold {
 public:
  // The members are Manifold's (manifold.h); points are (x, y, z, w).
  int ambient_size() const override { return 4; }
  int tangent_size() const override { return 3; }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;
};

// Rotations stored as angle-axis vectors (3 numbers, rotation.h): plus(x,
// delta) = log(exp(delta) exp(x)), the same left-multiplied update as the
// quaternion manifolds. minus is its inverse. Well defined at zero rotation;
// a rotation by pi has two angle-axis vectors and plus returns the one with
// angle at most pi.
class SO3Manifold final : public Manifold {
 public:
  // The members are Manifold's (manifold.h); points are angle-axis vectors.
  int ambient_size() const override { return 3; }
  int tangent_size() const override { return 3; }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;
};

// An angle in (-pi, pi]: plus(theta, delta) = wrap(theta + delta),
// minus(a, b) = wrap(a - b). The rotation group SO(2) in one number.
class AngleManifold final : public Manifold {
 public:
  // The members are Manifold's (manifold.h); the point is an angle in radians.
  int ambient_size() const override { return 1; }
  int tangent_size() const override { return 1; }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;
  bool has_identity_plus_jacobian() const override { return true; }
};

// A planar pose (x, y, theta), tangent (dx, dy, dtheta): the translation moves
// by (dx, dy) in the world frame and the angle as AngleManifold does (the
// product R^2 x SO(2)).
class SE2Manifold final : public Manifold {
 public:
  // The members are Manifold's (manifold.h); points are (x, y, theta).
  int ambient_size() const override { return 3; }
  int tangent_size() const override { return 3; }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;
  bool has_identity_plus_jacobian() const override { return true; }
};

// A rigid pose stored as (tx, ty, tz, qw, qx, qy, qz): translation in the
// world frame, then a Hamilton unit quaternion; tangent (dt (3), dr (3)):
// the translation moves by dt and the rotation as QuaternionManifold moves it
// (the product R^3 x SO(3)).
class SE3Manifold final : public Manifold {
 public:
  // The members are Manifold's (manifold.h); points are (tx, ty, tz, qw, qx, qy, qz).
  int ambient_size() const override { return 7; }
  int tangent_size() const override { return 6; }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;
};

// The unit sphere S^(n-1) in R^n (n >= 2), tangent size n - 1. The tangent
// basis at x is the first n - 1 columns of the Householder reflection that
// exchanges x and -e_n, so it is smooth everywhere except at -e_n, and at
// both poles +-e_n it is exactly the standard axes e_1..e_(n-1).
// plus(x, delta) = cos(|v|) x + sin(|v|) v / |v| with v the tangent vector
// delta expressed in R^n (renormalised); minus is its inverse for y != -x
// and returns false at the antipode.
class SphereManifold final : public Manifold {
 public:
  // ambient_size = n >= 2; the members are Manifold's (manifold.h).
  explicit SphereManifold(int ambient_size);
  int ambient_size() const override { return size_; }
  int tangent_size() const override { return size_ - 1; }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;

 private:
  int size_;
};

// A line in R^n (n >= 2) stored as (origin o (n), unit direction d (n)),
// tangent size 2(n - 1): d moves as on SphereManifold, o moves within the
// plane through o orthogonal to d (so the pair never describes the same line
// twice along a step).
class LineManifold final : public Manifold {
 public:
  // dimension = n >= 2 (points have 2n numbers); the members are Manifold's
  // (manifold.h).
  explicit LineManifold(int dimension);
  int ambient_size() const override { return 2 * dimension_; }
  int tangent_size() const override { return 2 * (dimension_ - 1); }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;

 private:
  int dimension_;
};

// M1 x M2 x ...: the point and the step are the factors' points and steps one
// after another. Needs at least one factor; a null factor is an Error.
class ProductManifold final : public Manifold {
 public:
  // factors: at least one, none null; the members are Manifold's
  // (manifold.h), each factor working on its slice of x, delta and y.
  explicit ProductManifold(std::vector<std::shared_ptr<const Manifold>> factors);
  int ambient_size() const override { return ambient_size_; }
  int tangent_size() const override { return tangent_size_; }
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override;
  bool plus_jacobian(const double* x, double* jacobian) const override;
  bool minus(const double* y, const double* x, double* y_minus_x) const override;
  bool minus_jacobian(const double* x, double* jacobian) const override;
  bool right_multiply_by_plus_jacobian(const double* x, int num_rows, const double* ambient_matrix,
                                       double* tangent_matrix) const override;
  bool is_euclidean() const override;
  bool has_identity_plus_jacobian() const override;

 private:
  std::vector<std::shared_ptr<const Manifold>> factors_;
  int ambient_size_ = 0;
  int tangent_size_ = 0;
};

}  // namespace curvature
