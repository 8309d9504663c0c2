#include "schur/preconditioned_cg.h"

#include <cmath>

#include "curvature/error.h"

namespace curvature::internal {

PcgResult PreconditionedCg::solve(const Operator& apply_a, const Operator& apply_preconditioner,
                                  const Eigen::VectorXd& b, const PcgOptions& options, Eigen::VectorXd* x) {
  const Eigen::Index n = b.size();
  x->setZero(n);
  PcgResult result;
  const double b_norm = b.norm();
  if (b_norm == 0.0) {
    result.success = result.converged = true;
    return result;
  }
  if (!std::isfinite(b_norm)) {
    result.message = "the right-hand side is not finite";
    return result;
  }
  residual_ = b;  // b - A x for x = 0
  preconditioned_.resize(n);
  product_.resize(n);
  apply_preconditioner(residual_, &preconditioned_);
  direction_ = preconditioned_;
  double rho = residual_.dot(preconditioned_);
  const double target = options.relative_tolerance * b_norm;
  double residual_norm = b_norm;
  double model = 0.0;  // Q(x) at x = 0
  bool model_converged = false;
  int iteration = 0;
  while (iteration < options.max_iterations && residual_norm > target) {
    apply_a(direction_, &product_);
    const double curvature = direction_.dot(product_);
    if (!(curvature > 0.0) || !(rho > 0.0)) {
      // No curvature left along p (A singular, d = 0) or a preconditioner
      // that is not positive definite: the iterate so far still descends.
      result.iterations = iteration;
      result.relative_residual = residual_norm / b_norm;
      result.success = iteration > 0;
      result.message = iteration == 0 ? "no positive curvature along the first direction (singular system?)"
                                      : "stopped at zero curvature after " + std::to_string(iteration) +
                                            " iterations, relative residual " + to_decimal(result.relative_residual);
      return result;
    }
    const double alpha = rho / curvature;
    *x += alpha * direction_;
    residual_ -= alpha * product_;
    ++iteration;
    residual_norm = residual_.norm();
    if (residual_norm <= target) break;
    if (options.model_tolerance > 0.0) {
      // Q(x) = 1/2 x^T A x - b^T x = -1/2 x^T (b + r) with r = b - A x.
      const double next_model = -0.5 * (x->dot(b) + x->dot(residual_));
      if (next_model < 0.0 && iteration * (next_model - model) / next_model < options.model_tolerance) {
        model_converged = true;
        break;
      }
      model = next_model;
    }
    apply_preconditioner(residual_, &preconditioned_);
    const double rho_next = residual_.dot(preconditioned_);
    direction_ = preconditioned_ + (rho_next / rho) * direction_;
    rho = rho_next;
  }
  result.iterations = iteration;
  result.relative_residual = residual_norm / b_norm;
  if (!x->allFinite()) {
    result.message = "non-finite iterate";
    return result;
  }
  result.success = true;
  result.converged = model_converged || residual_norm <= target;
  if (!result.converged) {
    result.message = "reached the iteration limit " + std::to_string(options.max_iterations) +
                     " at relative residual " + to_decimal(result.relative_residual);
  }
  return result;
}

}  // namespace curvature::internal
