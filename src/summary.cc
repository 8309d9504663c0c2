#include "curvature/summary.h"

#include <cstdio>
#include <string>

#include "curvature/solve.h"

namespace curvature {

const char* to_string(TerminationType type) {
  switch (type) {
    case TerminationType::kGradientTolerance:
      return "gradient-tolerance";
    case TerminationType::kFunctionTolerance:
      return "function-tolerance";
    case TerminationType::kParameterTolerance:
      return "parameter-tolerance";
    case TerminationType::kMaxIterations:
      return "max-iterations";
    case TerminationType::kMaxTime:
      return "max-time";
    case TerminationType::kUserStop:
      return "user-stop";
    case TerminationType::kTrustRegionTooSmall:
      return "trust-region-too-small";
    case TerminationType::kLineSearchFailure:
      return "line-search-failure";
    case TerminationType::kLinearSolverFailure:
      return "linear-solver-failure";
    case TerminationType::kInvalidStartingPoint:
      return "invalid-starting-point";
    case TerminationType::kEvaluationFailure:
      return "evaluation-failure";
    case TerminationType::kGradientCheckFailed:
      return "gradient-check-failed";
    case TerminationType::kEarlyStopping:
      return "early-stopping";
    case TerminationType::kDiverged:
      return "diverged";
    case TerminationType::kStalled:
      return "stalled";
  }
  return "unknown";
}

bool Summary::converged() const {
  return termination == TerminationType::kGradientTolerance || termination == TerminationType::kFunctionTolerance ||
         termination == TerminationType::kParameterTolerance;
}

std::string Summary::brief_report() const {
  char line[512];
  std::snprintf(line, sizeof line, "%s: %s, cost %.6e -> %.6e, %d iterations (%d accepted), %.3f ms", method.c_str(),
                to_string(termination), initial_cost, final_cost, iterations, accepted_steps, total_time_s * 1e3);
  return line;
}

std::string Summary::full_report() const {
  std::string out;
  char line[512];
  auto add = [&](const char* format, auto... values) {
    std::snprintf(line, sizeof line, format, values...);
    out += line;
  };
  add("curvature solver report\n");
  add("  %-28s %s\n", "method", method.c_str());
  add("  %-28s %s\n", "linear solver", linear_solver.c_str());
  if (!dense_kernel.empty()) add("  %-28s %s\n", "dense kernels", dense_kernel.c_str());
  add("  %-28s %d\n", "threads", num_threads);
  add("  %-28s %d\n", "parameters (effective)", num_parameters);
  add("  %-28s %d in %d blocks\n", "residuals", num_residuals, num_residual_blocks);
  add("\n");
  add("  %-28s %.16e\n", "initial cost", initial_cost);
  add("  %-28s %.16e\n", "final cost", final_cost);
  add("  %-28s %.16e\n", "change", initial_cost - final_cost);
  add("\n");
  add("  %-28s %d (%d accepted, %d rejected)\n", "iterations", iterations, accepted_steps, rejected_steps);
  add("  %-28s %d\n", "residual evaluations", residual_evaluations);
  add("  %-28s %d\n", "jacobian evaluations", jacobian_evaluations);
  add("  %-28s %d\n", "linear solver iterations", linear_solver_iterations);
  if (line_search_failures > 0) add("  %-28s %d\n", "line search failures", line_search_failures);
  if (scaled_region_from_iteration >= 0) {
    add("  %-28s after iteration %d\n", "region scaled to diag(H)", scaled_region_from_iteration);
  }
  add("\n");
  add("  %-28s %.6f s\n", "evaluation time", evaluation_time_s);
  add("  %-28s %.6f s\n", "linear solver time", linear_solver_time_s);
  add("  %-28s %.6f s\n", "total time", total_time_s);
  add("\n");
  add("  %-28s %s\n", "termination", to_string(termination));
  out += "  " + message + "\n";
  return out;
}

}  // namespace curvature
