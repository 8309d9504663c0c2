// curvature/minimize.h — general unconstrained (or bound-constrained)
// minimization of a smooth Objective.
//
//   curvature::MinimizeOptions options;          // L-BFGS with a strong Wolfe line search
//   Eigen::VectorXd x = ...;                     // the starting point
//   curvature::Summary summary = curvature::minimize(options, objective, &x);
//
// Line-search methods are a direction (steepest descent, nonlinear conjugate
// gradient, BFGS, L-BFGS, Newton with a modified Hessian) times a step length
// from a line search; trust-region methods (Newton-CG after Steihaug and
// Toint, dogleg) and Nesterov's accelerated gradient have loops of their own.
// All report through the same Summary as solve(). A least-squares Problem is
// minimized through least_squares_objective.h.
//
// Bounds (Objective::lower_bounds / upper_bounds) are honoured by the methods
// whose row in kMinimizerMethods says so: steepest descent and L-BFGS
// (projected search path, coordinates held at an active bound frozen; the
// line search is then Armijo whatever `line_search` says, since the
// curvature condition means nothing along a bent path), the trust-region
// methods and Nesterov's method (projected steps). The others (nonlinear CG,
// BFGS, line-search Newton) refuse bounded objectives.
//
// Methods and line searches each have a registry (registry.h):
// kMinimizerMethods and kLineSearches hold, one row per enumerator, the name
// printed in the Summary and accepted by parse_minimizer_method() /
// parse_line_search(), and the traits above.
//
// minimize() throws curvature::Error for options out of range, a null x, an
// x whose size differs from the objective's, and a method that needs second-
// order information on an objective without it. Numerical trouble ends the
// solve with a termination reason in the Summary; x holds the best point found.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string_view>

#include "curvature/objective.h"
#include "curvature/registry.h"
#include "curvature/solver_options.h"
#include "curvature/summary.h"

namespace curvature {

// The methods of minimize(); kMinimizerMethods holds their names and traits.
enum class MinimizerMethod {
  kSteepestDescent,
  kNonlinearConjugateGradient,
  kBfgs,
  kLbfgs,
  kNewton,               // modified-Hessian Newton direction with a line search
  kNewtonTrustRegionCg,  // trust region, Steihaug-Toint truncated CG (Hessian-vector products only)
  kNewtonDogleg,         // trust region, dogleg on the dense Hessian
  kNesterov,             // accelerated gradient with a backtracking Lipschitz estimate
  // Levenberg-Marquardt on the objective's Hessian model (for a least-squares
  // or network objective, the Gauss-Newton or generalized Gauss-Newton
  // matrix): (H + lambda I) p = -g solved by CG, lambda = |g| / radius with
  // the trust-region radius updated by the reduction ratio.
  kLevenbergMarquardtCg,
  kCount,  // not a method: the number of methods
};

// The loop a method runs in.
enum class MinimizerLoop {
  kLineSearch,   // a direction times a step length from a line search
  kTrustRegion,  // a step within a trust region around a model of f
  kNesterov,     // accelerated gradient steps
};

// A row of kMinimizerMethods, the methods' registry (registry.h).
struct MinimizerMethodInfo {
  MinimizerMethod value;    // the row's enumerator
  const char* name;         // Summary::method, to_string(), parse_minimizer_method()
  const char* short_name;   // the curv program's --method name; parse_minimizer_method() accepts it too
  const char* description;  // one line for lists and help texts
  MinimizerLoop loop;       // the loop the method runs in
  bool uses_hessian;        // asks the objective for its Hessian: has_hessian() must be true
  bool honours_bounds;      // keeps every iterate in the objective's bounds; the others refuse bounds
};

// clang-format off
inline constexpr MinimizerMethodInfo kMinimizerMethods[] = {
    {MinimizerMethod::kSteepestDescent, "steepest-descent", "sd", "steepest descent",
     MinimizerLoop::kLineSearch, false, true},
    {MinimizerMethod::kNonlinearConjugateGradient, "nonlinear-conjugate-gradient", "cg",
     "nonlinear conjugate gradient (cg_variant)", MinimizerLoop::kLineSearch, false, false},
    {MinimizerMethod::kBfgs, "bfgs", "bfgs", "BFGS on a dense inverse Hessian",
     MinimizerLoop::kLineSearch, false, false},
    {MinimizerMethod::kLbfgs, "lbfgs", "lbfgs", "L-BFGS (lbfgs_memory pairs)",
     MinimizerLoop::kLineSearch, false, true},
    {MinimizerMethod::kNewton, "newton", "newton", "line-search Newton on a modified Hessian",
     MinimizerLoop::kLineSearch, true, false},
    {MinimizerMethod::kNewtonTrustRegionCg, "newton-trust-region-cg", "newton-cg",
     "trust-region Newton-CG (Steihaug-Toint), Hessian-vector products only", MinimizerLoop::kTrustRegion, true, true},
    {MinimizerMethod::kNewtonDogleg, "newton-dogleg", "newton-dogleg", "trust-region dogleg on the dense Hessian",
     MinimizerLoop::kTrustRegion, true, true},
    {MinimizerMethod::kNesterov, "nesterov", "nesterov", "Nesterov's accelerated gradient",
     MinimizerLoop::kNesterov, false, true},
    {MinimizerMethod::kLevenbergMarquardtCg, "levenberg-marquardt-cg", "lm-cg",
     "Levenberg-Marquardt on the Hessian model, (H + lambda I) p = -g by CG", MinimizerLoop::kTrustRegion, true,
     true},
};
// clang-format on
static_assert(registry_is_complete<MinimizerMethod>(kMinimizerMethods));

// The row of `method`, and its name.
inline const MinimizerMethodInfo& info(MinimizerMethod method) {
  return registry_row<MinimizerMethodInfo>(kMinimizerMethods, method, "MinimizerMethod");
}
inline const char* to_string(MinimizerMethod method) { return info(method).name; }
// By name or short name; throws curvature::Error listing the names.
inline MinimizerMethod parse_minimizer_method(std::string_view name) {
  return registry_find<MinimizerMethodInfo>(kMinimizerMethods, name, "minimizer method").value;
}
// Whether the method asks the objective for its Hessian (the Newton methods).
inline bool uses_hessian(MinimizerMethod method) { return info(method).uses_hessian; }
// Whether the method keeps its iterates in the objective's bounds;
// minimize() refuses a bounded objective for the others.
inline bool honours_bounds(MinimizerMethod method) { return info(method).honours_bounds; }

// The line searches of the line-search methods; kLineSearches holds their names.
enum class LineSearchType {
  kArmijo,       // backtracking with quadratic/cubic interpolation: sufficient decrease only
  kStrongWolfe,  // bracketing and zoom with safeguarded cubic interpolation
  kCount,        // not a line search: the number of them
};

// A row of kLineSearches, the line searches' registry (registry.h).
struct LineSearchInfo {
  LineSearchType value;     // the row's enumerator
  const char* name;         // to_string(), parse_line_search()
  const char* description;  // one line for lists and help texts
  bool projected_paths;     // also searches a path bent by projection onto bounds
};

// clang-format off
inline constexpr LineSearchInfo kLineSearches[] = {
    {LineSearchType::kArmijo, "armijo", "backtracking with interpolation: sufficient decrease", true},
    {LineSearchType::kStrongWolfe, "strong-wolfe", "bracketing and zoom: sufficient decrease and curvature", false},
};
// clang-format on
static_assert(registry_is_complete<LineSearchType>(kLineSearches));

// The row of `type`, and its name.
inline const LineSearchInfo& info(LineSearchType type) {
  return registry_row<LineSearchInfo>(kLineSearches, type, "LineSearchType");
}
inline const char* to_string(LineSearchType type) { return info(type).name; }
// Throws curvature::Error listing the names.
inline LineSearchType parse_line_search(std::string_view name) {
  return registry_find<LineSearchInfo>(kLineSearches, name, "line search").value;
}

// The beta formula of nonlinear conjugate gradients (MinimizeOptions::cg_variant).
enum class NonlinearCgVariant { kFletcherReeves, kPolakRibierePlus, kHestenesStiefel, kDaiYuan };

// How line-search Newton makes an indefinite Hessian positive definite.
enum class NewtonModification {
  kShiftedCholesky,  // H + tau I, tau raised until Cholesky succeeds (Nocedal and Wright, Algorithm 3.3)
  kEigenvalue,       // eigenvalues below a floor raised to it (small dense problems)
};

// How minimize() runs; validated once by minimize() (validate()).
struct MinimizeOptions {
  MinimizerMethod method = MinimizerMethod::kLbfgs;                               // kMinimizerMethods
  LineSearchType line_search = LineSearchType::kStrongWolfe;                      // for the line-search methods
  NonlinearCgVariant cg_variant = NonlinearCgVariant::kPolakRibierePlus;          // kNonlinearConjugateGradient only
  NewtonModification newton_modification = NewtonModification::kShiftedCholesky;  // kNewton only

  // Termination, as for solve():
  //   gradient:  max_i |x_i - P(x_i - g_i)| <= gradient_tolerance
  //   function:  |f change| <= function_tolerance * max(|f|, 1e-300) on an accepted step
  //   parameter: |dx| <= parameter_tolerance * (|x| + parameter_tolerance)
  int max_iterations = 1000;
  double max_time_seconds = 1e6;
  double function_tolerance = 1e-16;
  double gradient_tolerance = 1e-10;
  double parameter_tolerance = 1e-16;

  // Line search: f(x + a d) <= f(x) + c1 a g^T d (sufficient decrease) and,
  // for strong Wolfe, |g(x + a d)^T d| <= c2 |g^T d| (curvature).
  // c2 = 0.9 suits quasi-Newton and Newton directions; nonlinear CG wants 0.1.
  double sufficient_decrease = 1e-4;     // c1
  double curvature = 0.9;                // c2
  double curvature_for_cg = 0.1;         // c2 used by nonlinear CG
  int max_line_search_evaluations = 30;  // per line search

  // L-BFGS memory (pairs kept); O(memory * n) work per iteration.
  int lbfgs_memory = 10;
  // Restart nonlinear CG with steepest descent every this many iterations
  // (0: every n iterations) and whenever consecutive gradients are far from
  // orthogonal (Powell's restart test).
  int cg_restart_interval = 0;

  // Trust-region Newton methods.
  double initial_trust_region_radius = 1.0;  // > 0
  double max_trust_region_radius = 1e10;     // >= initial_trust_region_radius
  // A step is accepted when (actual reduction) / (model's reduction) exceeds
  // this; in [0, 1).
  double min_relative_decrease = 1e-4;
  int max_cg_iterations = 0;  // Steihaug-CG iterations per step; 0: n
  // The region is the sphere |p| <= radius. When a step is short enough to
  // end the solve by the parameter test (and the gradient test has not
  // passed), true first confirms it in the scaled region |D p| <= radius,
  // D = diag(sqrt|H_ii|) refreshed at every new point, from
  // initial_trust_region_radius. On a badly scaled problem a step that is
  // short against |x| can be the only move the sphere allows in a small
  // coordinate (Meyer's, x* = (0.0056, 6181, 345)); in the scaled region the
  // iteration goes on. At a true minimizer it stops again once the radius
  // has shrunk to the noise in f, after a few further iterations at most.
  // The region stays scaled to the end of the solve
  // (Summary::scaled_region_from_iteration). Needs HessianOperator::diagonal();
  // without it the solve ends as with false. The trace's radius then
  // measures |D p|.
  bool scaled_trust_region_check = true;

  // Nesterov: restart the momentum when f increases (O'Donoghue and Candes).
  bool nesterov_restart = true;

  bool verbose = false;  // one line per iteration on stderr
  // Called after every iteration with its trace record; kStop ends the run with kUserStop.
  std::function<CallbackReturn(const IterationRecord&)> callback;

  // Stop when a validation loss of x stops improving and return the best x
  // (EarlyStoppingOptions, solver_options.h). Off by default.
  EarlyStoppingOptions early_stopping;
};

// Minimizes `objective` from *x and leaves the best point found in *x (see the top of this file).
Summary minimize(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x);

// Throws curvature::Error naming the first field out of range.
void validate(const MinimizeOptions& options);

}  // namespace curvature
