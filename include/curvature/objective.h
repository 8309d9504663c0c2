// curvature/objective.h — a smooth scalar objective f(x), for the general
// minimizers (minimize.h).
//
// An Objective gives f and its gradient at a point x in R^n, and optionally
// second-order information at x as an operator (products H v, and the dense
// matrix where it can be formed). Evaluation may keep state (a cached
// Jacobian, say), so evaluate() is not const; one Objective serves one solve
// at a time.
//
// On a manifold. An objective whose point lives on a manifold (a Problem
// with manifolds on its blocks, least_squares_objective.h) keeps x as its
// ambient numbers (num_parameters()) but takes steps of tangent_size()
// numbers through plus(); its gradient and Hessian operator are over the
// tangent coordinates, the derivatives of f(plus(x, delta)) in delta at 0.
// The minimizers form every trial point with plus(). Quasi-Newton methods
// (BFGS, L-BFGS) pair the tangent step taken with the difference of the
// tangent gradients at its two ends without transporting vectors between
// tangent spaces, as Ceres does: the manifolds provided take their tangent
// coordinates at the current point from a smooth frame (e.g. a quaternion's
// left-multiplied rotation vector), so the spaces of nearby points differ
// by O(|step|) and the secant pairs stay first-order consistent; the
// curvature condition skips the rare pair that is not. The defaults below
// are those of R^n.
//
// A least-squares Problem is an Objective too (least_squares_objective.h):
// f = 1/2 |r|^2, g = J^T r, with the Gauss-Newton operator J^T J or the exact
// Hessian.
#pragma once

#include <Eigen/Core>
#include <memory>

namespace curvature {

// Second-order information at one point.
class HessianOperator {
 public:
  virtual ~HessianOperator() = default;
  virtual int size() const = 0;  // n, the operator's dimension
  // y = H v.
  virtual void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const = 0;
  // The dense matrix; false when this operator cannot form it.
  virtual bool dense(Eigen::MatrixXd* hessian) const {
    (void)hessian;
    return false;
  }
  // The diagonal H_ii; false when this operator cannot form it. The default
  // takes it from dense(); operators that know it more cheaply override it.
  // The trust-region Newton methods use it to shape their region
  // (MinimizeOptions::scaled_trust_region_check).
  virtual bool diagonal(Eigen::VectorXd* diagonal) const {
    Eigen::MatrixXd hessian;
    if (!dense(&hessian)) return false;
    *diagonal = hessian.diagonal();
    return true;
  }
};

// A smooth scalar f(x) over R^n, for minimize() (see the top of this file).
class Objective {
 public:
  virtual ~Objective() = default;

  virtual int num_parameters() const = 0;  // n

  // f(x) into *value and, when `gradient` is not null, the gradient (resized
  // to n). Returns false when f cannot be evaluated at x (outside its domain);
  // a minimizer then treats x as infinitely bad. A non-finite value or
  // gradient is treated the same way.
  virtual bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) = 0;

  // The size of a step, of the gradient and of the Hessian operator; equals
  // num_parameters() unless the objective lives on a manifold.
  virtual int tangent_size() const { return num_parameters(); }
  // *x_plus_delta = x "+" delta (delta has tangent_size() numbers); false when
  // it cannot be formed, which the minimizers treat as a point that cannot be
  // evaluated. The default is x + delta.
  virtual bool plus(const Eigen::VectorXd& x, const Eigen::VectorXd& delta, Eigen::VectorXd* x_plus_delta) const {
    *x_plus_delta = x + delta;
    return true;
  }
  // Whether plus() is x + delta with tangent_size() == num_parameters():
  // only then may the objective have bounds.
  virtual bool is_euclidean() const { return true; }

  // Whether hessian() gives second-order information.
  virtual bool has_hessian() const { return false; }
  // The Hessian (or a positive semidefinite model of it, such as Gauss-Newton)
  // at x, or null when unavailable or when x cannot be evaluated.
  virtual std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd& x) {
    (void)x;
    return nullptr;
  }

  // Optional per-coordinate bounds lower <= x <= upper (null: none).
  virtual const Eigen::VectorXd* lower_bounds() const { return nullptr; }
  virtual const Eigen::VectorXd* upper_bounds() const { return nullptr; }

  // A short name for reports.
  virtual const char* name() const { return "objective"; }
};

}  // namespace curvature
