// curvature/objective.h — a smooth scalar objective f(x), for the general
// minimizers (minimize.h).
//
// An Objective gives f and its gradient at a point x in R^n, and optionally
// second-order information at x as an operator (products H v, and the dense
// matrix where it can be formed). Evaluation may keep state (a cached
// Jacobian, say), so evaluate() is not const; one Objective serves one solve
// at a time.
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
