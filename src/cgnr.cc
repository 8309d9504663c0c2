#include "cgnr.h"

#include <cmath>
#include <string>

#include "curvature/error.h"
#include "jacobian_products.h"

namespace curvature::internal {

CgnrSolver::CgnrSolver(int max_iterations, double relative_tolerance)
    : max_iterations_(max_iterations), relative_tolerance_(relative_tolerance) {
  if (max_iterations_ < 1) {
    throw Error("CgnrSolver: max_cg_iterations must be >= 1, got " + std::to_string(max_iterations));
  }
  if (!(relative_tolerance_ >= 0.0)) {
    throw Error("CgnrSolver: cg_relative_tolerance must be >= 0, got " + to_decimal(relative_tolerance));
  }
}

LinearSolverResult CgnrSolver::prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  check_jacobian("CgnrSolver", jacobian, residuals);
  jacobian_ = jacobian;
  diagonal_ = jacobian_column_squared_norms(jacobian);
  multiply_jacobian_transpose(jacobian, residuals, &rhs_);
  rhs_ = -rhs_;
  const Eigen::Index n = jacobian.cols();
  residual_.resize(n);
  preconditioned_.resize(n);
  direction_.resize(n);
  product_.resize(n);
  inverse_preconditioner_.resize(n);
  jacobian_direction_.resize(jacobian.rows());
  prepared_ = true;
  return {.success = true, .iterations = 1, .message = {}};
}

LinearSolverResult CgnrSolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  const Eigen::Index n = rhs_.size();
  check_damping("CgnrSolver", prepared_, n, d, dx);
  dx->setZero(n);

  const double rhs_norm = rhs_.norm();
  if (rhs_norm == 0.0) return {.success = true, .iterations = 0, .message = {}};
  if (!std::isfinite(rhs_norm)) {
    return {.success = false, .iterations = 0, .message = "CgnrSolver: J^T r is not finite"};
  }
  // A variable with an empty column and no damping has a zero diagonal;
  // preconditioning it by 1 leaves it alone (its gradient entry is zero too).
  for (Eigen::Index i = 0; i < n; ++i) {
    const double m = diagonal_[i] + d[i] * d[i];
    inverse_preconditioner_[i] = m > 0.0 ? 1.0 / m : 1.0;
  }

  const double target = relative_tolerance_ * rhs_norm;
  residual_ = rhs_;  // b - A x for x = 0
  preconditioned_ = inverse_preconditioner_.cwiseProduct(residual_);
  direction_ = preconditioned_;
  double rho = residual_.dot(preconditioned_);
  double residual_norm = rhs_norm;
  int iteration = 0;
  while (iteration < max_iterations_ && residual_norm > target) {
    // q = (J^T J + D^2) p, through J p.
    multiply_jacobian(jacobian_, direction_, &jacobian_direction_);
    multiply_jacobian_transpose(jacobian_, jacobian_direction_, &product_);
    product_.array() += d.array().square() * direction_.array();
    const double curvature = direction_.dot(product_);
    if (!(curvature > 0.0)) {
      // p is (numerically) in the null space of J^T J + D^2: d = 0 and a
      // rank-deficient J. The iterate so far is still a descent step.
      if (iteration == 0) {
        return {.success = false,
                .iterations = 0,
                .message = "CgnrSolver: J^T J + D^2 has no curvature along the gradient (singular, d = 0?)"};
      }
      return {.success = true,
              .iterations = iteration,
              .message = "CgnrSolver: stopped at zero curvature (singular J^T J + D^2) after " +
                         std::to_string(iteration) + " iterations, relative residual " +
                         to_decimal(residual_norm / rhs_norm)};
    }
    const double alpha = rho / curvature;
    *dx += alpha * direction_;
    residual_ -= alpha * product_;
    ++iteration;
    residual_norm = residual_.norm();
    preconditioned_ = inverse_preconditioner_.cwiseProduct(residual_);
    const double rho_next = residual_.dot(preconditioned_);
    direction_ = preconditioned_ + (rho_next / rho) * direction_;
    rho = rho_next;
  }

  if (!dx->allFinite()) {
    return {.success = false, .iterations = iteration, .message = "CgnrSolver: non-finite iterate"};
  }
  if (residual_norm > target) {
    return {.success = true,
            .iterations = iteration,
            .message = "CgnrSolver: reached max_cg_iterations = " + std::to_string(max_iterations_) +
                       " at relative residual " + to_decimal(residual_norm / rhs_norm)};
  }
  return {.success = true, .iterations = iteration, .message = {}};
}

}  // namespace curvature::internal
