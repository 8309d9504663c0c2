// minimize(): validates the options, the point and what the objective can
// do for the chosen method, then runs the method's loop
// (general_minimizers.h). The loops evaluate the starting point themselves
// and report one that cannot be evaluated as kInvalidStartingPoint.
#include "curvature/minimize.h"

#include <cmath>
#include <iterator>
#include <string>

#include "curvature/error.h"
#include "curvature/least_squares_objective.h"
#include "general_minimizers.h"

namespace curvature {
namespace {

// The one wording of an option error (error.h), for this struct.
void require(bool condition, const char* field, const std::string& requirement, double value) {
  require_option(condition, "MinimizeOptions", field, requirement, value);
}

// "a, b or c": the methods whose rows say they honour bounds.
std::string methods_honouring_bounds() {
  std::string names;
  std::string last;
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    if (!row.honours_bounds) continue;
    if (!last.empty()) names += (names.empty() ? "" : ", ") + last;
    last = row.name;
  }
  return names.empty() ? last : names + " or " + last;
}

void check_bounds(const Eigen::VectorXd* bounds, const char* which, int n) {
  if (bounds == nullptr) return;
  if (bounds->size() != n) {
    throw Error(std::string("minimize: the objective's ") + which + " bounds have size " +
                std::to_string(bounds->size()) + ", expected num_parameters() = " + std::to_string(n));
  }
}

}  // namespace

void validate(const MinimizeOptions& o) {
  require(static_cast<size_t>(o.method) < std::size(kMinimizerMethods), "method",
          "a MinimizerMethod with a row in kMinimizerMethods", static_cast<int>(o.method));
  require(static_cast<size_t>(o.line_search) < std::size(kLineSearches), "line_search",
          "a LineSearchType with a row in kLineSearches", static_cast<int>(o.line_search));
  require(static_cast<unsigned>(o.cg_variant) <= static_cast<unsigned>(NonlinearCgVariant::kDaiYuan), "cg_variant",
          "a NonlinearCgVariant", static_cast<int>(o.cg_variant));
  require(o.newton_modification == NewtonModification::kShiftedCholesky ||
              o.newton_modification == NewtonModification::kEigenvalue,
          "newton_modification", "a NewtonModification", static_cast<int>(o.newton_modification));
  require(o.max_iterations >= 0, "max_iterations", "non-negative", o.max_iterations);
  require(o.max_time_seconds > 0.0, "max_time_seconds", "positive", o.max_time_seconds);
  require(o.function_tolerance >= 0.0, "function_tolerance", "non-negative", o.function_tolerance);
  require(o.gradient_tolerance >= 0.0, "gradient_tolerance", "non-negative", o.gradient_tolerance);
  require(o.parameter_tolerance >= 0.0, "parameter_tolerance", "non-negative", o.parameter_tolerance);
  require(o.sufficient_decrease > 0.0 && o.sufficient_decrease < 0.5, "sufficient_decrease", "in (0, 0.5)",
          o.sufficient_decrease);
  require(o.curvature > o.sufficient_decrease && o.curvature < 1.0, "curvature", "in (sufficient_decrease, 1)",
          o.curvature);
  require(o.curvature_for_cg > o.sufficient_decrease && o.curvature_for_cg < 1.0, "curvature_for_cg",
          "in (sufficient_decrease, 1)", o.curvature_for_cg);
  require(o.max_line_search_evaluations >= 1, "max_line_search_evaluations", "at least 1",
          o.max_line_search_evaluations);
  require(o.lbfgs_memory >= 1, "lbfgs_memory", "at least 1", o.lbfgs_memory);
  require(o.cg_restart_interval >= 0, "cg_restart_interval", "non-negative", o.cg_restart_interval);
  require(o.initial_trust_region_radius > 0.0 && std::isfinite(o.initial_trust_region_radius),
          "initial_trust_region_radius", "positive and finite", o.initial_trust_region_radius);
  require(o.max_trust_region_radius >= o.initial_trust_region_radius, "max_trust_region_radius",
          "at least initial_trust_region_radius", o.max_trust_region_radius);
  require(o.min_relative_decrease >= 0.0 && o.min_relative_decrease < 1.0, "min_relative_decrease", "in [0, 1)",
          o.min_relative_decrease);
  require(o.max_cg_iterations >= 0, "max_cg_iterations", "non-negative", o.max_cg_iterations);
  require(o.early_stopping.patience >= 0, "early_stopping.patience", ">= 0 (0: off)", o.early_stopping.patience);
  if (o.early_stopping.patience > 0 && !o.early_stopping.validation_loss) {
    throw Error("MinimizeOptions::early_stopping.validation_loss is empty, but early_stopping.patience is " +
                std::to_string(o.early_stopping.patience) + ": early stopping needs a validation loss");
  }
}

Summary minimize(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x) {
  if (x == nullptr) throw Error("minimize: x is null");
  validate(options);
  const int n = objective.num_parameters();
  if (n <= 0) throw Error("minimize: the objective has " + std::to_string(n) + " parameters");
  if (x->size() != n) {
    throw Error("minimize: x has size " + std::to_string(x->size()) + ", but the objective '" + objective.name() +
                "' has num_parameters() = " + std::to_string(n));
  }
  const char* method = to_string(options.method);
  if (uses_hessian(options.method) && !objective.has_hessian()) {
    throw Error(std::string("minimize: ") + method + " needs second-order information, but the objective '" +
                objective.name() + "' has no Hessian (has_hessian() is false)");
  }
  const Eigen::VectorXd* lower = objective.lower_bounds();
  const Eigen::VectorXd* upper = objective.upper_bounds();
  if (!objective.is_euclidean()) {
    const int t = objective.tangent_size();
    if (t <= 0 || t > n) {
      throw Error("minimize: the objective '" + std::string(objective.name()) + "' has tangent_size() = " +
                  std::to_string(t) + ", expected 1 to num_parameters() = " + std::to_string(n));
    }
    if (lower != nullptr || upper != nullptr) {
      throw Error("minimize: the objective '" + std::string(objective.name()) +
                  "' lives on a manifold (is_euclidean() is false) and has bounds; the general minimizers take "
                  "bounds only on Euclidean objectives (solve() takes bounds on the blocks without a manifold)");
    }
  }
  check_bounds(lower, "lower", n);
  check_bounds(upper, "upper", n);
  if (lower != nullptr && upper != nullptr) {
    for (int i = 0; i < n; ++i) {
      if (!((*lower)[i] <= (*upper)[i])) {
        throw Error("minimize: the objective's bounds are inconsistent at coordinate " + std::to_string(i) +
                    ": lower " + to_decimal((*lower)[i]) + " > upper " + to_decimal((*upper)[i]));
      }
    }
  }
  if ((lower != nullptr || upper != nullptr) && !honours_bounds(options.method)) {
    throw Error(std::string("minimize: ") + method + " cannot honour the objective's bounds; use " +
                methods_honouring_bounds() + " for a bound-constrained problem");
  }

  Summary summary;
  summary.method = method;
  summary.num_parameters = n;
  if (options.method == MinimizerMethod::kNewton) {
    summary.linear_solver = options.newton_modification == NewtonModification::kShiftedCholesky
                                ? "dense-shifted-cholesky"
                                : "dense-eigenvalue-modification";
  }
  // The loop the method's row names; within it, the method picks its
  // direction (line_search_direction.cc) or step (newton_trust_region.cc).
  switch (info(options.method).loop) {
    case MinimizerLoop::kLineSearch:
      internal::minimize_line_search(options, objective, x, &summary);
      break;
    case MinimizerLoop::kTrustRegion:
      internal::minimize_newton_trust_region(options, objective, x, &summary);
      break;
    case MinimizerLoop::kNesterov:
      internal::minimize_nesterov(options, objective, x, &summary);
      break;
  }
  return summary;
}

// A least-squares Problem through the same loops: the objective adapter
// lives in the engine, the choice of loop here.
Summary minimize(const MinimizeOptions& options, Problem* problem, HessianModel hessian_model) {
  if (problem == nullptr) throw Error("minimize: the problem is null");
  validate(options);  // before options.method is looked up below
  LeastSquaresObjectiveOptions objective_options;
  objective_options.hessian_model = hessian_model;
  objective_options.gradient_without_jacobian = !uses_hessian(options.method);
  LeastSquaresObjective objective(*problem, objective_options);
  Eigen::VectorXd x = objective.gather();
  Summary summary;
  try {
    summary = minimize(options, objective, &x);
  } catch (...) {
    objective.scatter(x);  // the point accepted last, as after a solve
    throw;
  }
  objective.scatter(x);
  summary.num_residuals = objective.num_residuals();
  summary.num_residual_blocks = problem->num_residual_blocks();
  return summary;
}

}  // namespace curvature
