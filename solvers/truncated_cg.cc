// Truncated CG for the Newton trust-region steps (Nocedal and Wright,
// "Numerical Optimization", 2nd ed., Algorithm 7.2 when it stops at the
// boundary).
//
// Nocedal and Wright cap the forcing term at 0.5, but far from a solution
// (|g| >= 1/4 in the units of f) that lets CG stop as soon as it has
// resolved the stiffest directions of an ill-conditioned Hessian: the step
// is then orders of magnitude shorter than the model's minimizer, and on
// problems such as Meyer's the iteration alternates such slivers with
// boundary steps until the parameter test mistakes one for convergence.
// Near a solution sqrt|g| is the smaller term, so the cap (kMaxForcing)
// leaves the rate alone.
#include "truncated_cg.h"

#include <algorithm>
#include <cmath>

namespace curvature::internal {

void zero_fixed_coordinates(const std::vector<char>& fixed, Eigen::VectorXd* v) {
  for (Eigen::Index i = 0; i < v->size(); ++i) {
    if (fixed[i]) (*v)[i] = 0.0;
  }
}

double boundary_step(const Eigen::VectorXd& z, const Eigen::VectorXd& d, double radius) {
  const double a = d.squaredNorm();
  const double b = 2.0 * z.dot(d);
  const double c = std::min(z.squaredNorm() - radius * radius, 0.0);
  const double root = std::sqrt(b * b - 4.0 * a * c);
  // The two forms of the positive root, each free of cancellation on its side.
  return b > 0.0 ? -2.0 * c / (b + root) : (-b + root) / (2.0 * a);
}

void clamp_to_radius(double radius, Eigen::VectorXd* p) {
  const double norm = p->norm();
  if (norm > radius) *p *= radius / norm;
}

ModelStep truncated_cg(const HessianOperator& hessian, const Eigen::VectorXd& gradient, const std::vector<char>& fixed,
                       double shift, double radius, bool stop_at_boundary, int limit, double max_forcing) {
  const Eigen::Index n = gradient.size();
  ModelStep step;
  Eigen::VectorXd z = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd r = gradient;  // g + (H + shift I) z
  Eigen::VectorXd d = -r;
  Eigen::VectorXd hd;
  const double g_norm = gradient.norm();
  const double tolerance = std::min(max_forcing, std::sqrt(g_norm)) * g_norm;
  double model = 0.0;  // m(z) - m(0) for H alone
  double rr = r.squaredNorm();
  // The model's change along d by t, from d^T (H + shift I) d.
  auto model_change = [&](double t, double rd, double dhd) {
    return t * rd + 0.5 * t * t * (dhd - shift * d.squaredNorm());
  };
  if (std::sqrt(rr) > tolerance) {
    for (int j = 0; j < limit; ++j) {
      ++step.iterations;
      hessian.multiply(d, &hd);
      if (shift != 0.0) hd += shift * d;
      zero_fixed_coordinates(fixed, &hd);
      const double dhd = d.dot(hd);
      const double rd = r.dot(d);
      const double alpha = rr / dhd;
      if (!(dhd > 0.0) || (stop_at_boundary && (z + alpha * d).norm() >= radius)) {
        // Non-positive curvature: the model decreases without bound along d.
        // Or the next iterate leaves the region. Either way, to the boundary.
        const double tau = boundary_step(z, d, radius);
        z += tau * d;
        model += model_change(tau, rd, dhd);
        step.on_boundary = true;
        break;
      }
      z += alpha * d;
      model += model_change(alpha, rd, dhd);
      r += alpha * hd;
      const double rr_next = r.squaredNorm();
      if (std::sqrt(rr_next) <= tolerance) break;
      d = -r + (rr_next / rr) * d;
      rr = rr_next;
    }
  }
  if (step.on_boundary) clamp_to_radius(radius, &z);
  step.p = std::move(z);
  step.predicted = -model;
  return step;
}

}  // namespace curvature::internal
