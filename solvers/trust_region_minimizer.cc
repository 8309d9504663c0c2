// solve()'s trust-region methods (Levenberg-Marquardt, dogleg): the
// least-squares side of the trust-region loop (trust_region_loop.h). The
// model is Gauss-Newton's, -(g^T h + 1/2 |J h|^2); the trial point is
// projected onto the bounds and rho compares the actual reduction with the
// one the model predicts for the projected step. A trial point where the
// problem cannot be evaluated, or where the cost is not finite, is an
// invalid step, which shrinks the region like a poor one.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "minimizers.h"
#include "string_format.h"
#include "trust_region_loop.h"

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

class LeastSquaresSide {
 public:
  // The iteration is recorded after the function-tolerance and radius
  // tests: the callback, which runs only while the solve goes on, is not
  // called for the iteration that ends the solve on either, so those
  // terminations win over a user stop. Recording first, as the objective
  // side does, changes no MGH or NIST figure and no test, and would keep
  // SolverOptions::callback's promise of a call after every iteration; it
  // is left as it was because it changes which termination a callback that
  // stops at that iteration sees.
  static constexpr bool kStopTestsAfterRecord = false;
  // The trace shows the radius and Levenberg-Marquardt's lambda after the
  // update, the state the next step starts from, as Ceres's trace does.
  static constexpr bool kRadiusBeforeStep = false;

  LeastSquaresSide(MinimizerContext& context, LeastSquaresTrustRegionStrategy& strategy)
      : context_(context), strategy_(strategy) {}

  TrustRegionStrategy& strategy() { return strategy_; }
  Summary& summary() { return context_.summary(); }
  bool terminated() const { return context_.terminated(); }
  bool gradient_tolerance_reached() { return context_.gradient_tolerance_reached(); }
  bool iteration_or_time_limit_reached() { return context_.iteration_or_time_limit_reached(); }
  double min_relative_decrease() const { return context_.options().min_relative_decrease; }
  double cost() const { return context_.cost; }
  double projected_gradient_norm() const { return context_.projected_gradient_norm(); }
  void record(IterationRecord record, double started) { context_.record(std::move(record), started); }
  double iteration_started() const { return context_.last_clock_reading(); }

  // A failed linear solve is an invalid step: the strategy raises the
  // damping (or shrinks the region), and the better-conditioned system may
  // solve. After kMaxLinearSolverFailures in a row the solve ends, with that
  // last iteration counted.
  StepStatus compute_step(IterationRecord* record) {
    // The loop calls this right after the time-limit test, whose reading of
    // the clock starts the linear solver's time too.
    const double linear_started = context_.last_clock_reading();
    LinearSolverResult solved;
    if (need_prepare_) {
      solved = strategy_.prepare(context_);
      need_prepare_ = !solved.success;
    }
    if (!need_prepare_) solved = strategy_.compute_step(context_, &step_);
    linear_ended_ = context_.clock_seconds();
    context_.linear_solver_seconds += linear_ended_ - linear_started;
    record->linear_solver_iterations = solved.iterations;
    summary().linear_solver_iterations += solved.iterations;
    if (!solved.success || !step_.allFinite()) {
      if (++linear_failures_ >= kMaxLinearSolverFailures) {
        context_.terminate(
            TerminationType::kLinearSolverFailure,
            "The linear solver failed " + std::to_string(linear_failures_) + " times in a row: " + solved.message);
      }
      return StepStatus::kInvalid;
    }
    linear_failures_ = 0;
    jacobian_step_ = strategy_.jacobian_times_step();
    if (jacobian_step_) direction_ = step_;
    // A model step (a second-order correction) is taken whole.
    if (strategy_.model_step()) step_fraction_ = 1.0;
    context_.step_to(step_, step_fraction_, &trial_, &step_);  // step_: the step actually taken
    // The solver's J h serves the model only for the step actually taken: not
    // after a projection onto the bounds, nor when adding it to x rounded it
    // by more than a relative 1e-12 (a step tiny against x).
    if (jacobian_step_ && !((step_ - direction_).norm() <= kTakenStepTolerance * direction_.norm())) {
      jacobian_step_ = nullptr;
    }
    record->step_norm = step_.norm();
    return StepStatus::kStep;
  }

  // A step cut short by the region's boundary says nothing about
  // convergence; the model's own minimizer that short does.
  ShortStep short_step(double step_norm) {
    if (!strategy_.step_was_clipped() && context_.parameter_tolerance_would_be_reached(step_norm)) {
      return ShortStep::kShort;
    }
    return ShortStep::kGoOn;
  }
  void parameter_tolerance_reached(double step_norm) { context_.parameter_tolerance_reached(step_norm); }
  std::string trial_failure() const { return context_.trial_failure(); }
  void terminate(TerminationType type, std::string message) { context_.terminate(type, std::move(message)); }

  // A step with a second-order correction is judged against what the model
  // promised for its first-order part: the correction is there to deliver
  // that promise along a curved path, not to be extrapolated linearly.
  double predicted_reduction() {
    predicted_ = model_reduction();
    return predicted_;
  }

  // The reduction from residual differences (MinimizerContext::reduction),
  // accurate long after the cost difference is lost to cancellation.
  bool evaluate_trial(double* actual) {
    double trial_cost;
    // The loop evaluates the trial point right after compute_step():
    // its time starts at the linear solve's end.
    const bool evaluated = context_.evaluate_trial(trial_, &trial_cost, &trial_residuals_, linear_ended_);
    trial_cost_ = trial_cost;
    if (evaluated) *actual = context_.reduction(trial_cost, trial_residuals_);
    return evaluated;
  }

  bool move_to_trial() {
    need_prepare_ = true;
    const bool below_noise = context_.within_cost_noise(predicted_);
    const double slope_before = context_.gradient.dot(step_);
    // Right after the trial's evaluation.
    const bool moved = context_.move_to(trial_, trial_cost_, context_.last_evaluation_end());
    if (below_noise) {
      update_step_fraction(slope_before, context_.gradient.dot(step_));
    } else {
      step_fraction_ = 1.0;
    }
    return moved;
  }

  // When the model's reduction is below what the cost can resolve, the ratio
  // is noise; the step is still taken when it drives the scaled gradient
  // towards zero, and the strategy keeps its damping (kNeutralRatio).
  std::optional<double> accept_below_noise(double predicted) {
    const double slope_before = context_.gradient.dot(step_);
    if (predicted > 0.0 && context_.within_cost_noise(predicted) && context_.accept_if_gradient_decreases(trial_)) {
      need_prepare_ = true;
      update_step_fraction(slope_before, context_.gradient.dot(step_));
      return kNeutralRatio;
    }
    step_fraction_ = 1.0;
    return std::nullopt;
  }

  bool function_tolerance_reached(double actual) { return context_.function_tolerance_reached(actual); }

  // Against the user's min_trust_region_radius.
  bool radius_too_small() {
    if (strategy_.radius() >= context_.options().min_trust_region_radius) return false;
    context_.terminate(TerminationType::kTrustRegionTooSmall,
                       string_printf("Trust region radius %.3e fell below min_trust_region_radius %.3e: no step "
                                     "reduces the cost.",
                                     strategy_.radius(), context_.options().min_trust_region_radius));
    return true;
  }

 private:
  double model_reduction() const {
    if (const Eigen::VectorXd* model_step = strategy_.model_step()) {
      if (const Eigen::VectorXd* image = strategy_.model_jacobian_step()) {
        return context_.predicted_reduction(*model_step, *image);
      }
      return context_.predicted_reduction(*model_step);
    }
    if (jacobian_step_) return context_.predicted_reduction(direction_, *jacobian_step_);
    return context_.predicted_reduction(step_);
  }

  // Below the cost's noise a step is judged by the gradient, and the
  // gradient at its end says how far along it the minimum lies: with the
  // slopes g.h before and after the step h, the secant minimiser is at
  // s0 / (s0 - s1) times h. On a large-residual problem Gauss-Newton
  // overshoots in the directions where J^T J underestimates the curvature
  // (ENSO: by ~1.6x), so the error changes sign and shrinks only by ~0.6
  // per step; scaling the next step by that fraction, which stays the same
  // from step to step while the tail lasts, removes the overshoot at no
  // extra evaluation. Above the noise the ratio rho judges the steps, and
  // they are taken whole.
  void update_step_fraction(double slope_before, double slope_after) {
    if (!(slope_before < 0.0) || !(slope_after > slope_before)) {
      step_fraction_ = 1.0;
      return;
    }
    const double secant = slope_before / (slope_before - slope_after);
    step_fraction_ = std::clamp(step_fraction_ * secant, kMinStepFraction, 1.0);
  }

  MinimizerContext& context_;
  LeastSquaresTrustRegionStrategy& strategy_;
  Eigen::VectorXd step_, trial_, trial_residuals_;
  // The solver's step and J times it, when the solver had it (see compute_step).
  static constexpr double kTakenStepTolerance = 1e-12;
  Eigen::VectorXd direction_;
  const Eigen::VectorXd* jacobian_step_ = nullptr;
  double trial_cost_ = 0.0;
  double predicted_ = 0.0;  // predicted_reduction() of the step under way
  // The fraction of the next step to take (update_step_fraction), at least
  // kMinStepFraction.
  static constexpr double kMinStepFraction = 0.1;
  double step_fraction_ = 1.0;
  double linear_ended_ = 0.0;  // clock_seconds() at the end of the last compute_step()
  bool need_prepare_ = true;
  int linear_failures_ = 0;
};

}  // namespace

void minimize_trust_region(MinimizerContext& context, LeastSquaresTrustRegionStrategy& strategy) {
  LeastSquaresSide side(context, strategy);
  run_trust_region_loop(side);
}

}  // namespace curvature::internal
