// The trust-region loop: compute a step for the current model, project the
// trial point onto the bounds, compare the actual reduction with the one the
// Gauss-Newton model predicts for the projected step, and accept or reject.
// A trial point where the problem cannot be evaluated, or where the cost is
// not finite, is rejected like any step that does not reduce the cost.
#include <cmath>
#include <limits>

#include "minimizers.h"

namespace curvature::internal {
namespace {

// Consecutive linear-solver failures tolerated (each one raises the damping)
// before the solve gives up.
constexpr int kMaxLinearSolverFailures = 8;
// A ratio with which every least-squares strategy keeps its radius and
// damping: Levenberg-Marquardt's lambda *= max(1/3, 1 - (2 rho - 1)^3) is
// lambda * 1, and dogleg's region neither grows (rho > 3/4) nor shrinks
// (rho < 1/4).
constexpr double kNeutralRatio = 0.5;

}  // namespace

void minimize_trust_region(MinimizerContext& context, LeastSquaresTrustRegionStrategy& strategy) {
  Summary& summary = context.summary();
  const SolverOptions& options = context.options();
  Eigen::VectorXd step, trial, trial_residuals;
  bool need_prepare = true;
  int linear_failures = 0;

  while (!context.terminated()) {
    if (context.gradient_tolerance_reached() || context.iteration_or_time_limit_reached()) break;
    Stopwatch iteration_clock;
    IterationRecord record;
    record.iteration = summary.iterations + 1;

    Stopwatch linear_clock;
    LinearSolverResult solved;
    if (need_prepare) {
      solved = strategy.prepare(context);
      need_prepare = !solved.success;
    }
    if (!need_prepare) solved = strategy.compute_step(context, &step);
    context.linear_solver_seconds += linear_clock.seconds();
    record.linear_solver_iterations = solved.iterations;
    summary.linear_solver_iterations += solved.iterations;
    ++summary.iterations;

    bool accepted = false;
    double actual = 0.0;
    if (!solved.success || !step.allFinite()) {
      if (++linear_failures >= kMaxLinearSolverFailures) {
        context.terminate(
            TerminationType::kLinearSolverFailure,
            "The linear solver failed " + std::to_string(linear_failures) + " times in a row: " + solved.message);
      }
      strategy.step_invalid();
      record.relative_decrease = -std::numeric_limits<double>::infinity();
    } else {
      linear_failures = 0;
      trial = context.x + step;
      context.project(&trial);
      step = trial - context.x;  // the step actually taken
      record.step_norm = step.norm();
      if (!strategy.step_was_clipped() && context.parameter_tolerance_reached(record.step_norm)) {
        --summary.iterations;  // a converged model, not a trial: nothing was evaluated
        break;
      }
      const double predicted = context.predicted_reduction(step);
      double trial_cost;
      const bool evaluated = context.evaluate_trial(trial, &trial_cost, &trial_residuals);
      if (evaluated) actual = context.reduction(trial_cost, trial_residuals);
      const double ratio = reduction_ratio(evaluated, actual, predicted);
      record.relative_decrease = ratio;
      StepOutcome outcome = judge_step(evaluated, ratio, options.min_relative_decrease);
      double reported_ratio = ratio;
      if (outcome == StepOutcome::kAccepted) {
        if (context.move_to(trial, trial_cost)) context.function_tolerance_reached(actual);
      } else if (outcome == StepOutcome::kRejected && predicted > 0.0 && context.within_cost_noise(predicted) &&
                 context.accept_if_gradient_decreases(trial)) {
        // The model's reduction is below what the cost can resolve, so the
        // ratio is noise; the step still drives the gradient towards zero.
        // Keep the damping as it is.
        outcome = StepOutcome::kAccepted;
        reported_ratio = kNeutralRatio;
      }
      report_step(strategy, outcome, reported_ratio);
      accepted = outcome == StepOutcome::kAccepted;
      need_prepare = accepted;
      if (!accepted && strategy.radius() < options.min_trust_region_radius) {
        context.terminate(TerminationType::kTrustRegionTooSmall,
                          "Trust region radius " + std::to_string(strategy.radius()) +
                              " fell below min_trust_region_radius: no step reduces the cost.");
      }
    }
    if (accepted) {
      ++summary.accepted_steps;
    } else {
      ++summary.rejected_steps;
    }
    record.accepted = accepted;
    record.cost_change = accepted ? actual : 0.0;
    record.cost = context.cost;
    record.gradient_max_norm = context.projected_gradient_norm();
    record.trust_region_radius = strategy.radius();
    record.damping = strategy.damping();
    record.iteration_time_s = iteration_clock.seconds();
    context.record(record);
  }
}

}  // namespace curvature::internal
