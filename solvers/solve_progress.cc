#include "solve_progress.h"

#include <cstdio>

namespace curvature::internal {

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
            string_printf("Gradient tolerance reached: projected gradient max-norm %.6e <= %.6e.",
                          projected_gradient_norm, tolerance));
  return true;
}

bool SolveProgress::parameter_tolerance_reached(double step_norm, double x_norm, double tolerance) {
  const double limit = tolerance * (x_norm + tolerance);
  if (step_norm > limit) return false;
  terminate(TerminationType::kParameterTolerance,
            string_printf("Parameter tolerance reached: step norm %.6e <= %.6e = tolerance * (|x| + tolerance), "
                          "|x| = %.6e.",
                          step_norm, limit, x_norm));
  return true;
}

bool SolveProgress::iteration_or_time_limit_reached(int max_iterations, double max_time_seconds) {
  if (summary_->iterations >= max_iterations) {
    terminate(TerminationType::kMaxIterations,
              string_printf("Maximum number of iterations reached: %d.", max_iterations));
    return true;
  }
  const double elapsed = reading_current_ ? last_reading_ : (last_reading_ = clock.seconds());
  reading_current_ = false;
  if (elapsed >= max_time_seconds) {
    terminate(TerminationType::kMaxTime,
              string_printf("Maximum time reached: %.3f s >= %.3f s.", elapsed, max_time_seconds));
    return true;
  }
  return false;
}

void SolveProgress::enable_early_stopping(const EarlyStoppingOptions& options, const Eigen::VectorXd* point) {
  if (options.patience <= 0) return;
  monitor_.emplace(options.patience, "iteration");
  validation_loss_ = &options.validation_loss;
  point_ = point;
}

void SolveProgress::restore_best(Eigen::VectorXd* point, double* cost) {
  if (!monitor_ || !monitor_->observed()) return;
  summary_->best_iteration = monitor_->best_iteration();
  summary_->best_validation_loss = monitor_->best_loss();
  const Eigen::VectorXd& best = monitor_->best_point();
  if (point->size() == best.size() && (point->array() == best.array()).all()) return;
  *point = best;
  *cost = monitor_->best_cost();
  summary_->message += monitor_->restore_message();
  // A convergence test held at the last iterate, not at the point returned:
  // the summary must not claim convergence for it.
  if (summary_->converged()) {
    summary_->termination = TerminationType::kEarlyStopping;
    summary_->message += " The convergence test above held at the last iterate, not at these parameters.";
  }
}

void SolveProgress::record(IterationRecord record) { append(std::move(record), std::nullopt); }

void SolveProgress::record(IterationRecord record, double started) { append(std::move(record), started); }

void SolveProgress::append(IterationRecord record, std::optional<double> started) {
  if (started && monitor_) {
    // The validation loss below is not the iteration's work.
    record.iteration_time_s = clock.seconds() - *started;
    started.reset();
  }
  if (monitor_) {
    // A rejected step leaves the point as it was: its loss is known.
    const Eigen::VectorXd& point = *point_;
    if (!monitor_->observed() || point.size() != validated_point_.size() ||
        !(point.array() == validated_point_.array()).all()) {
      validation_ = (*validation_loss_)(point);
      validated_point_ = point;
    }
    record.validation_cost = validation_;
    monitor_->observe(record.iteration, validation_, point, record.cost);
  }
  record.cumulative_time_s = clock.seconds();
  if (started) record.iteration_time_s = record.cumulative_time_s - *started;
  if (!verbose_ && !callback_) {
    last_reading_ = record.cumulative_time_s;
    reading_current_ = true;
  }
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
                string_printf("The callback asked to stop after iteration %d.", record.iteration));
    }
  }
  if (monitor_ && !terminated_ && monitor_->should_stop()) {
    terminate(TerminationType::kEarlyStopping, monitor_->stop_message());
  }
}

}  // namespace curvature::internal
