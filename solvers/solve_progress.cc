#include "solve_progress.h"

#include <cstdio>

namespace curvature::internal {

std::string format_numbers(const char* pattern, double a, double b, double c) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, a, b, c);
  return buffer;
}

SolveProgress::SolveProgress(Summary* summary, bool verbose, const Callback& callback, Columns columns)
    : summary_(summary), verbose_(verbose), callback_(callback), columns_(columns) {}

void SolveProgress::terminate(TerminationType type, std::string message) {
  terminated_ = true;
  summary_->termination = type;
  summary_->message = std::move(message);
}

bool SolveProgress::gradient_tolerance_reached(double projected_gradient_norm, double tolerance) {
  if (projected_gradient_norm > tolerance) return false;
  terminate(TerminationType::kGradientTolerance,
            format_numbers("Gradient tolerance reached: projected gradient max-norm %.6e <= %.6e.",
                           projected_gradient_norm, tolerance));
  return true;
}

bool SolveProgress::parameter_tolerance_reached(double step_norm, double x_norm, double tolerance) {
  const double limit = tolerance * (x_norm + tolerance);
  if (step_norm > limit) return false;
  terminate(TerminationType::kParameterTolerance,
            format_numbers("Parameter tolerance reached: step norm %.6e <= %.6e = tolerance * (|x| + tolerance), "
                           "|x| = %.6e.",
                           step_norm, limit, x_norm));
  return true;
}

bool SolveProgress::iteration_or_time_limit_reached(int max_iterations, double max_time_seconds) {
  if (summary_->iterations >= max_iterations) {
    terminate(TerminationType::kMaxIterations,
              format_numbers("Maximum number of iterations reached: %.0f.", max_iterations));
    return true;
  }
  const double elapsed = clock.seconds();
  if (elapsed >= max_time_seconds) {
    terminate(TerminationType::kMaxTime,
              format_numbers("Maximum time reached: %.3f s >= %.3f s.", elapsed, max_time_seconds));
    return true;
  }
  return false;
}

void SolveProgress::record(IterationRecord record) {
  record.cumulative_time_s = clock.seconds();
  if (verbose_) {
    const bool least_squares = columns_ == Columns::kLeastSquares;
    if (record.iteration == 0) {
      std::fprintf(stderr, "%5s %15s %11s %10s %10s %10s %10s %4s %4s %9s\n", "iter", least_squares ? "cost" : "f",
                   least_squares ? "cost_change" : "f_change", "|gradient|", "|step|", least_squares ? "rho" : "alpha",
                   "radius", "acc", least_squares ? "lin" : "ls", "time_s");
    }
    std::fprintf(stderr, "%5d %15.8e %11.3e %10.3e %10.3e %10.3e %10.3e %4s %4d %9.3e\n", record.iteration, record.cost,
                 record.cost_change, record.gradient_max_norm, record.step_norm,
                 least_squares ? record.relative_decrease : record.step_length, record.trust_region_radius,
                 record.accepted ? "yes" : "no",
                 least_squares ? record.linear_solver_iterations : record.line_search_evaluations,
                 record.cumulative_time_s);
  }
  summary_->trace.push_back(record);
  if (callback_ && record.iteration > 0 && !terminated_) {
    if (callback_(summary_->trace.back()) == CallbackReturn::kStop) {
      terminate(TerminationType::kUserStop,
                format_numbers("The callback asked to stop after iteration %.0f.", record.iteration));
    }
  }
}

}  // namespace curvature::internal
