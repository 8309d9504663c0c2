// curvature/least_squares_objective.h — a least-squares Problem seen as a
// smooth scalar Objective, so that every general minimizer (minimize.h) can
// solve it.
//
//   curvature::Problem problem;  ... residual blocks ...
//   curvature::MinimizeOptions options;
//   options.method = curvature::MinimizerMethod::kNewtonTrustRegionCg;
//   curvature::Summary summary = curvature::minimize(options, &problem);
//
// The objective is the Problem's cost over its effective parameters (the
// non-constant blocks, one after another in the order they were added):
//
//   f(x) = 1/2 sum_i rho_i(|r_i(x)|^2),   g(x) = J^T r
//
// where r and J are the loss-corrected residuals and Jacobian of
// Problem::evaluate(). Second-order information comes in two models:
//
//   HessianModel::kGaussNewton   H = J^T J. Positive semidefinite; products
//       cost two passes over J (no re-evaluation). With truncated CG this is
//       "Hessian-free" Gauss-Newton / Newton-CG for least squares.
//   HessianModel::kExact         H = J^T J + sum_i r_i Hess(r_i) (with robust
//       losses: the Hessian of the cost itself). When every cost function has
//       second derivatives (CostFunction::has_second_derivatives():
//       AutoDiffCostFunction computes them by nested forward-mode jets) and
//       no block has a loss, the second-order term is exact: one evaluation of
//       each block with second-order jets per product. Otherwise it is taken
//       by a forward difference of the gradient along v, one Jacobian
//       evaluation per product (see exact_hessian_step() for the step), and
//       its accuracy is limited: the product carries a relative error of
//       about sqrt(eps) ~ 1e-8 times |x| |third derivatives| / |Hessian|, and
//       the result is exactly symmetric only when formed densely (dense()
//       symmetrizes). Without losses only the term sum_i r_i Hess(r_i) v is
//       differenced — J^T J v is exact — so the error vanishes with the
//       residuals, as at a zero-residual solution.
//
// Bounds set on the Problem (Problem::set_lower_bound / set_upper_bound) are
// the Objective's lower_bounds() / upper_bounds() per effective coordinate.
//
// Manifolds set on the Problem's blocks make the objective one on a
// manifold (objective.h): x stays the ambient numbers, the gradient and the
// Gauss-Newton operator are over the tangent coordinates
// (Problem::num_effective_tangent_parameters()), and plus() applies each
// block's manifold. HessianModel::kExact is refused there (an Error), and
// minimize() refuses bounds together with manifolds.
//
// Lifetime: the Problem must outlive the objective and must not gain or lose
// blocks, nor change which blocks are constant, while the objective exists
// (the layout is fixed at construction). A HessianOperator returned by
// hessian() keeps its own Jacobian, so it stays valid after later
// evaluate() calls; an exact-model operator also evaluates through the
// objective, which must outlive it. The objective does not write to the
// Problem's parameter blocks during evaluation; LeastSquaresObjective::gather()
// and LeastSquaresObjective::scatter() move points between the two.
//
// Misuse (a point of the wrong size, a Problem without residual blocks or
// without variable parameters, num_threads < 1) throws curvature::Error.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <vector>

#include "curvature/minimize.h"
#include "curvature/objective.h"
#include "curvature/problem.h"
#include "curvature/summary.h"

namespace curvature {

namespace internal {
class Evaluator;
class MinibatchEvaluator;
}  // namespace internal

// The second-order information hessian() gives (see the top of this file).
enum class HessianModel {
  kGaussNewton,  // J^T J
  kExact,        // J^T J + sum_i r_i Hess(r_i), second-order term as described above
};

// How a LeastSquaresObjective evaluates.
struct LeastSquaresObjectiveOptions {
  HessianModel hessian_model = HessianModel::kGaussNewton;  // what hessian() returns
  // Threads used to evaluate residual blocks, in [1, kMaxThreads = 1024]
  // (thread_pool.h); results do not depend on it. A cost function's
  // exception on any thread is rethrown on the calling thread.
  int num_threads = 1;
  // HessianOperator::dense() forms the n x n matrix only for n up to this
  // (n^2 doubles; the exact model also costs n Jacobian evaluations).
  int max_dense_parameters = 2000;
  // false: evaluate() forms the Jacobian with every gradient and keeps it, so
  // that hessian() at the same point costs nothing more (Newton-type
  // methods). true: evaluate() asks each cost function for J^T r only
  // (CostFunction::evaluate_gradient; a network backpropagates its residuals
  // once instead of forming J), the better choice for methods that never ask
  // for the Hessian (L-BFGS, BFGS, CG, steepest descent, Nesterov); hessian()
  // then evaluates the Jacobian itself. minimize(options, problem, model)
  // sets it from the method.
  bool gradient_without_jacobian = false;
};

// A Problem's cost as an Objective over its effective parameters (see the top of this file).
class LeastSquaresObjective : public Objective {
 public:
  // Fixes the layout of `problem`, which must outlive the objective; throws curvature::Error for a
  // Problem without residual blocks or variable parameters and for options out of range.
  explicit LeastSquaresObjective(const Problem& problem,
                                 const LeastSquaresObjectiveOptions& options = LeastSquaresObjectiveOptions());
  ~LeastSquaresObjective() override;
  LeastSquaresObjective(const LeastSquaresObjective&) = delete;
  LeastSquaresObjective& operator=(const LeastSquaresObjective&) = delete;

  int num_parameters() const override;  // the Problem's effective parameters (ambient: the size of x)
  // With manifolds on the Problem's blocks (problem.h): the effective tangent
  // parameters, the size of gradients, steps and Hessians; plus() moves
  // through each block's manifold. Without, num_parameters() and x + delta.
  int tangent_size() const override;
  bool plus(const Eigen::VectorXd& x, const Eigen::VectorXd& delta, Eigen::VectorXd* x_plus_delta) const override;
  bool is_euclidean() const override;
  // f = the Problem's cost at x; with a gradient, also evaluates (and keeps)
  // the Jacobian at x, which a following hessian(x) at the same x reuses.
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override;
  bool has_hessian() const override { return true; }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd& x) override;
  // Null when the Problem sets no bounds.
  const Eigen::VectorXd* lower_bounds() const override;
  const Eigen::VectorXd* upper_bounds() const override;
  const char* name() const override { return "least squares"; }

  const LeastSquaresObjectiveOptions& options() const { return options_; }  // as given to the constructor
  int num_residuals() const;                                                // the Problem's

  // max_i |J_i^T r| / (|J_i| |r|) at x over the coordinates i not marked in
  // `skip` (one entry per effective parameter, or empty), columns J_i = 0
  // left out: the largest cosine between a column of the Jacobian and the
  // residual vector, infinity when x cannot be evaluated; 0 when
  // |r| <= 64 eps sqrt(m) sum_i |J_i| |x_i|, a residual within the rounding of
  // evaluating it (near a zero-residual minimum r ~ J (x - x*) keeps its
  // angle with the columns, so the angle proves nothing there).
  // Small near a stationary point whatever the scaling of the parameters
  // and residuals; minimize() asks it before claiming convergence on a
  // relative test. Evaluates the residuals and the Jacobian once.
  double scaled_gradient(const Eigen::VectorXd& x, const std::vector<char>& skip = {});

  // The Problem's current values of the effective parameters, and back.
  Eigen::VectorXd gather() const;
  void scatter(const Eigen::VectorXd& x) const;

  // The finite-difference step of the exact model's product H v:
  // h = sqrt(eps) * max(1, |x|) / |v|, so that |h v| = sqrt(eps) max(1, |x|)
  // is a relative perturbation of x — large enough to rise above the
  // rounding in the gradient, small enough to keep the truncation error
  // O(h). (0 when v = 0.)
  static double exact_hessian_step(const Eigen::VectorXd& x, const Eigen::VectorXd& v);

 private:
  struct Jacobian;
  class GaussNewtonOperator;
  class ExactOperator;

  // Residuals, gradient and Jacobian at x into `jacobian`; false when the
  // point cannot be evaluated.
  bool evaluate_into(const Eigen::VectorXd& x, Jacobian* jacobian, double* cost);
  // Residuals, gradient and Jacobian at x into the cached state.
  bool evaluate_with_jacobian(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient);
  // J(y)^T r (no losses) or g(y) (with losses) at y = x + h v, for the exact
  // model's difference. False when y cannot be evaluated.
  bool difference_gradient(const Eigen::VectorXd& y, const Eigen::VectorXd& residuals_at_x, Eigen::VectorXd* out);

  LeastSquaresObjectiveOptions options_;
  std::unique_ptr<internal::Evaluator> evaluator_;
  // Cost and J^T r over all blocks without Jacobians (gradient_without_jacobian).
  std::unique_ptr<internal::MinibatchEvaluator> gradient_evaluator_;
  std::vector<int> all_blocks_;
  bool sparse_ = false;
  // The Jacobian (with residuals and gradient) at the last point evaluated
  // with a gradient; shared with the operators handed out, and replaced
  // rather than overwritten while one of them still holds it.
  std::shared_ptr<Jacobian> cached_;
  std::shared_ptr<Jacobian> scratch_;  // for the exact model's differences
  Eigen::VectorXd lower_, upper_;
  bool has_bounds_ = false;
};

// Minimizes the Problem's cost with a general minimizer: builds a
// LeastSquaresObjective (with this Hessian model, evaluating on one thread),
// starts from the values in the parameter blocks (projected onto the
// bounds by the minimizer) and writes the best point found back into them.
// The Summary's num_residuals / num_residual_blocks are the Problem's.
// Throws curvature::Error for a null problem and as minimize() does.
Summary minimize(const MinimizeOptions& options, Problem* problem,
                 HessianModel hessian_model = HessianModel::kGaussNewton);

}  // namespace curvature
