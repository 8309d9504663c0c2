// curvature/manifold.h — parameter blocks that live on a smooth manifold.
//
// A rotation stored as a unit quaternion has 4 numbers but 3 degrees of
// freedom; a unit vector in R^3 has 2. Adding a solver's step to such a block
// coordinate by coordinate leaves the manifold (the quaternion's norm drifts
// from 1). A Manifold says how to move on it instead:
//
//   plus(x, delta)   x "+" delta: the point reached from x along the tangent
//                    vector delta (tangent_size() numbers), on the manifold;
//   minus(y, x)      y "-" x: the tangent vector delta with plus(x, delta) = y,
//                    for y near x.
//
// with plus(x, 0) = x and minus(plus(x, delta), x) = delta near delta = 0.
// Problem::set_manifold() attaches one to a parameter block; the solvers then
// work in the tangent space: each step is a tangent vector, applied through
// plus(), and the Jacobians, gradients and covariances of the block have
// tangent_size() columns (the ambient Jacobian times plus_jacobian()).
//
// Sizes: x and y have ambient_size() numbers, delta tangent_size(). Matrices
// are row-major:
//   plus_jacobian(x)   d plus(x, delta) / d delta at delta = 0,
//                      ambient_size() x tangent_size();
//   minus_jacobian(x)  d minus(y, x) / d y at y = x,
//                      tangent_size() x ambient_size().
// minus_jacobian(x) * plus_jacobian(x) is the identity for x on the manifold
// (a quaternion of norm 1, say; the provided manifolds' Jacobians are the
// exact derivatives of their plus and minus at any x in their domain).
//
// Every function returns false when it cannot be computed at its input (a
// point off the manifold's domain); the solvers treat that as a point that
// cannot be evaluated. A Manifold is immutable once built and is shared by
// shared_ptr, so one instance may serve many blocks and threads.
//
// Provided (manifolds.h): EuclideanManifold, SubsetManifold, QuaternionManifold
// (Hamilton, w first), EigenQuaternionManifold (x, y, z, w), SO3Manifold
// (angle-axis), SE2Manifold, SE3Manifold, SphereManifold, LineManifold,
// ProductManifold; and AutoDiffManifold (autodiff_manifold.h), built from
// templated plus/minus functors.
#pragma once

namespace curvature {

// How a parameter block moves on its manifold (see the top of this file).
class Manifold {
 public:
  virtual ~Manifold() = default;

  virtual int ambient_size() const = 0;  // numbers in a point
  virtual int tangent_size() const = 0;  // numbers in a step, <= ambient_size()

  // The four maps of the top of this file; each returns false where it
  // cannot be computed.
  virtual bool plus(const double* x, const double* delta, double* x_plus_delta) const = 0;
  virtual bool plus_jacobian(const double* x, double* jacobian) const = 0;
  virtual bool minus(const double* y, const double* x, double* y_minus_x) const = 0;
  virtual bool minus_jacobian(const double* x, double* jacobian) const = 0;

  // tangent_matrix = ambient_matrix * plus_jacobian(x), for a row-major
  // ambient_matrix of num_rows x ambient_size() (a cost function's Jacobian
  // block) into a row-major num_rows x tangent_size(). The default forms
  // plus_jacobian() and multiplies; manifolds with structure (Euclidean,
  // subset) override it. For code that maps one Jacobian block at a time:
  // the solvers' evaluator instead calls plus_jacobian() once per block and
  // evaluation and multiplies every residual block's Jacobian by it, so a
  // manifold needs only plus_jacobian() to be fast there.
  virtual bool right_multiply_by_plus_jacobian(const double* x, int num_rows, const double* ambient_matrix,
                                               double* tangent_matrix) const;

  // True when plus(x, delta) = x + delta (tangent = ambient, identity
  // Jacobians): the solvers may then treat the block as plain coordinates,
  // and bounds are allowed on it.
  virtual bool is_euclidean() const { return false; }

  // True when plus_jacobian() is the identity at every point (tangent size =
  // ambient size), even if plus() is not x + delta (an angle that wraps):
  // the solvers then use a cost function's Jacobian block as it is, with no
  // product by plus_jacobian(). Implied by is_euclidean().
  virtual bool has_identity_plus_jacobian() const { return is_euclidean(); }
};

}  // namespace curvature
