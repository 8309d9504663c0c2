// trust_region_loop.h — the trust-region iteration, written once for
// solve()'s least-squares methods (Levenberg-Marquardt, dogleg:
// trust_region_minimizer.cc) and minimize()'s Newton methods (Steihaug-Toint
// CG, Levenberg-CG, Newton dogleg: newton_trust_region.cc).
//
// One iteration: test the gradient and the limits; ask the problem side for
// a step (the side forms the model when the point is new, has the strategy
// compute the step within its radius and projects the trial point onto the
// bounds); evaluate the trial point and judge it by rho = actual / predicted
// reduction (judge_step); move or stay; tell the strategy the outcome
// (report_step); test the step (parameter tolerance: only for a step short
// enough to mean convergence whose trial point could be evaluated), the
// function tolerance and the radius; record the iteration.
//
// A trial point that cannot be evaluated proves nothing: the region shrinks
// as after a poor step, and after kMaxUnevaluableTrials of them in a row the
// solve ends with kEvaluationFailure, saying how many and why. A short step
// is tested only once its trial point was evaluated, so a region that shrank
// because nothing near the point could be evaluated never reads as
// convergence.
//
// What differs between a least-squares problem and a general objective
// belongs to the side, each as a named hook or policy of TrustRegionSide
// (below); each side's file says why it does it its way.
#pragma once

#include <concepts>
#include <limits>
#include <optional>
#include <string>

#include "curvature/summary.h"
#include "solve_progress.h"
#include "string_format.h"
#include "trust_region_strategy.h"

namespace curvature::internal {

// What TrustRegionSide::compute_step() produced.
enum class StepStatus {
  kStep,     // a trial point to evaluate
  kInvalid,  // no step this time: an iteration that tells the strategy
             // step_invalid() and counts as rejected (the side may have
             // ended the solve, e.g. after too many failures in a row)
  kStopped,  // the side ended the solve before an iteration could start
};

// What the length of the step just computed means.
enum class ShortStep {
  kGoOn,      // nothing: evaluate it
  kShort,     // short enough for the parameter tolerance: evaluate it, and
              // if it could be evaluated the side's step test ends the solve
  kReshaped,  // the side changed the region; the iteration starts over
  kEnded,     // the side ended the solve; not an iteration
};

// Trial points in a row that could not be evaluated before the solve ends
// with kEvaluationFailure. Ceres Solver stops after 5
// (max_num_consecutive_invalid_steps); from a far start the first steps of
// Levenberg-Marquardt overflow more often than that before the damping has
// grown enough (MGH Gaussian and Osborne 1 from 100 x0, solved after 8
// rejections in a row), and 10 still ends Levenberg-Marquardt's region on a
// point where nothing can be evaluated long before the radius test would.
inline constexpr int kMaxUnevaluableTrials = 10;

// The problem side of the loop: the current point and its model, the
// evaluations, the termination tests and the trace.
template <typename Side>
concept TrustRegionSide = requires(Side& side, const Side& const_side, IterationRecord* record, double value,
                                   double* out) {
  // Policies.
  // true: the iteration is recorded (and the user's callback run) before the
  // function-tolerance and radius tests, so the callback sees the iteration
  // that ends the solve and a user stop wins over those terminations;
  // false: after them, so the callback (which runs only while the solve goes
  // on) is not run for an iteration that ended the solve on either test.
  { Side::kStopTestsAfterRecord } -> std::convertible_to<bool>;
  // true: the trace carries the radius the step was computed for (and no
  // damping); false: the radius and damping the strategy holds after the
  // outcome, i.e. those of the next step.
  { Side::kRadiusBeforeStep } -> std::convertible_to<bool>;

  { side.strategy() } -> std::convertible_to<TrustRegionStrategy&>;
  { side.summary() } -> std::convertible_to<Summary&>;
  { const_side.terminated() } -> std::convertible_to<bool>;
  { side.gradient_tolerance_reached() } -> std::convertible_to<bool>;
  { side.iteration_or_time_limit_reached() } -> std::convertible_to<bool>;
  // Forms the model when the point is new, computes the step and the trial
  // point; fills record->linear_solver_iterations and record->step_norm.
  { side.compute_step(record) } -> std::same_as<StepStatus>;
  // What the step just computed, of length `value`, means.
  { side.short_step(value) } -> std::same_as<ShortStep>;
  // After a short step (ShortStep::kShort) whose trial point was evaluated,
  // moved to or not: ends the solve on the parameter tolerance, or as
  // stalled when the current point is not near a stationary one.
  {side.parameter_tolerance_reached(value)};
  // Ends the solve with this termination and message.
  {side.terminate(TerminationType::kEvaluationFailure, std::string())};
  // Why the last trial point could not be evaluated, for the message.
  { const_side.trial_failure() } -> std::convertible_to<std::string>;
  // The model's predicted reduction for the step just computed.
  { side.predicted_reduction() } -> std::convertible_to<double>;
  // Acceptance: rho > min_relative_decrease.
  { const_side.min_relative_decrease() } -> std::convertible_to<double>;
  // Evaluates the trial point: false when it cannot be evaluated, else the
  // actual reduction into *out.
  { side.evaluate_trial(out) } -> std::convertible_to<bool>;
  // Makes the trial point the current one; false (with the solve ended)
  // when the new point cannot be evaluated fully.
  { side.move_to_trial() } -> std::convertible_to<bool>;
  // A rejected step with this predicted reduction that the side accepts
  // (and moves to) anyway: the ratio the strategy is to be told; nullopt
  // when the step stays rejected.
  { side.accept_below_noise(value) } -> std::same_as<std::optional<double>>;
  // Terminates on the function tolerance after a move with this actual
  // reduction; true when it did.
  { side.function_tolerance_reached(value) } -> std::convertible_to<bool>;
  // Terminates when the strategy's radius is below the side's floor; true
  // when it did.
  { side.radius_too_small() } -> std::convertible_to<bool>;
  // The value at the current point, for the trace.
  { const_side.cost() } -> std::convertible_to<double>;
  { const_side.projected_gradient_norm() } -> std::convertible_to<double>;
  // When the iteration under way began, in seconds since the solve began:
  // the time-limit test's reading of the clock.
  { const_side.iteration_started() } -> std::convertible_to<double>;
  // Appends the record of an iteration that began at `value` to the trace
  // (stamps its times, prints it, runs the callback).
  {side.record(IterationRecord(), value)};
};

// Fills the rest of an iteration's record, counts the step and appends the
// record to the trace.
template <typename Side>
void finish_iteration(Side& side, bool accepted, double actual, double started, IterationRecord* record) {
  Summary& summary = side.summary();
  if (accepted) {
    ++summary.accepted_steps;
  } else {
    ++summary.rejected_steps;
  }
  record->accepted = accepted;
  record->cost_change = accepted ? actual : 0.0;
  record->cost = side.cost();
  record->gradient_max_norm = side.projected_gradient_norm();
  if constexpr (!Side::kRadiusBeforeStep) {
    record->trust_region_radius = side.strategy().radius();
    record->damping = side.strategy().damping();
  }
  side.record(*record, started);
}

template <TrustRegionSide Side>
void run_trust_region_loop(Side& side) {
  TrustRegionStrategy& strategy = side.strategy();
  Summary& summary = side.summary();
  int unevaluable_in_a_row = 0;
  while (!side.terminated()) {
    if (side.gradient_tolerance_reached() || side.iteration_or_time_limit_reached()) break;
    const double started = side.iteration_started();
    IterationRecord record;
    record.iteration = summary.iterations + 1;
    const StepStatus status = side.compute_step(&record);
    if (status == StepStatus::kStopped) break;
    if constexpr (Side::kRadiusBeforeStep) record.trust_region_radius = strategy.radius();

    bool accepted = false, moved = false, short_step_tested = false;
    double actual = 0.0;
    if (status == StepStatus::kInvalid) {
      strategy.step_invalid();
      record.relative_decrease = -std::numeric_limits<double>::infinity();
    } else {
      const ShortStep short_step = side.short_step(record.step_norm);
      if (short_step == ShortStep::kEnded) break;
      if (short_step == ShortStep::kReshaped) continue;

      const double predicted = side.predicted_reduction();
      const bool evaluated = side.evaluate_trial(&actual);
      unevaluable_in_a_row = evaluated ? 0 : unevaluable_in_a_row + 1;
      const double ratio = reduction_ratio(evaluated, actual, predicted);
      record.relative_decrease = ratio;
      StepOutcome outcome = judge_step(evaluated, ratio, side.min_relative_decrease());
      double reported_ratio = ratio;
      if (outcome == StepOutcome::kAccepted) {
        moved = side.move_to_trial();
      } else if (outcome == StepOutcome::kRejected) {
        if (const std::optional<double> ratio_to_report = side.accept_below_noise(predicted)) {
          outcome = StepOutcome::kAccepted;
          reported_ratio = *ratio_to_report;
        }
      }
      report_step(strategy, outcome, reported_ratio);
      accepted = outcome == StepOutcome::kAccepted;
      if (!evaluated && unevaluable_in_a_row >= kMaxUnevaluableTrials && !side.terminated()) {
        side.terminate(
            TerminationType::kEvaluationFailure,
            string_printf(
                "The last %d trial points in a row could not be evaluated (%s); the region shrank to a step of %.3e "
                "without an evaluable trial: the point returned is the best one evaluated, not known to be a minimum.",
                unevaluable_in_a_row, side.trial_failure().c_str(), record.step_norm));
      } else if (evaluated && short_step == ShortStep::kShort && !side.terminated()) {
        short_step_tested = true;
        side.parameter_tolerance_reached(record.step_norm);
      }
    }
    // An iteration is a step tried or found invalid; a step that reshapes
    // the region is none.
    ++summary.iterations;

    // After a tried step: the function tolerance when it moved, the radius
    // when the step was not accepted. (An accepted step with a low ratio
    // shrinks the region too, but testing the radius after accepted steps as
    // well ends Levenberg-Marquardt on Jennrich-Sampson from 10 x0 unsolved;
    // the Newton loop used to test after every step, and testing only after
    // the others changes none of its MGH runs.)
    auto stop_tests = [&] {
      if (status != StepStatus::kStep || side.terminated() || short_step_tested) return;
      if (moved) {
        side.function_tolerance_reached(actual);
      } else if (!accepted) {
        side.radius_too_small();
      }
    };
    if constexpr (!Side::kStopTestsAfterRecord) stop_tests();
    finish_iteration(side, accepted, actual, started, &record);
    if constexpr (Side::kStopTestsAfterRecord) stop_tests();
  }
}

}  // namespace curvature::internal
