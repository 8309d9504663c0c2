// preconditioned_cg.h — preconditioned conjugate gradients on an operator
// given only through its products. Internal.
//
// Solves A x = b for a symmetric positive definite A, from x = 0, with a
// symmetric positive definite preconditioner M (applied as z = M^-1 r), and
// stops as an inexact Newton method asks, on the first of
//
//   - the residual test |r_k| <= eta |r_0| = eta |b| (Dembo, Eisenstat and
//     Steihaug, "Inexact Newton methods", SIAM J. Numer. Anal. 19, 1982);
//   - the model test k (Q_k - Q_{k-1}) / Q_k < eta on the quadratic model
//     Q(x) = 1/2 x^T A x - b^T x (Nash and Sofer, "Assessing a search
//     direction within a truncated-Newton method", Oper. Res. Lett. 9,
//     1990): the last iteration lowered the model by less than eta / k of
//     what all of them did. On an ill-conditioned A the residual can stall
//     for many iterations while the model, which is what a step is judged
//     by, no longer moves; Ceres Solver stops its Schur CG on this test;
//   - max_iterations.
//
// Every iterate from zero reduces Q, so stopping early still gives a
// descent step for a trust-region loop; the result says how far the
// residual went down.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>

namespace curvature::internal {

struct PcgOptions {
  int max_iterations = 500;
  // eta: stop at |r_k| <= relative_tolerance |b|.
  double relative_tolerance = 0.1;
  // Stop at k (Q_k - Q_{k-1}) / Q_k < model_tolerance; 0 leaves the test out.
  double model_tolerance = 0.0;
};

struct PcgResult {
  // False only when no step could be computed: A has no curvature along the
  // first direction (singular, or not positive definite), or b or an iterate
  // is not finite.
  bool success = false;
  int iterations = 0;
  double relative_residual = 0.0;  // |r_k| / |b| at the end
  bool converged = false;          // a tolerance was reached (not the iteration limit)
  std::string message;             // why it stopped short or failed; empty when it converged
};

// The iteration with its work vectors, kept from one solve to the next so a
// solve of the same size does not allocate.
class PreconditionedCg {
 public:
  // y = A x or y = M^-1 x; y is sized by the caller's vectors (x.size()).
  using Operator = std::function<void(const Eigen::VectorXd& x, Eigen::VectorXd* y)>;

  PcgResult solve(const Operator& apply_a, const Operator& apply_preconditioner, const Eigen::VectorXd& b,
                  const PcgOptions& options, Eigen::VectorXd* x);

 private:
  Eigen::VectorXd residual_, preconditioned_, direction_, product_;
};

}  // namespace curvature::internal
