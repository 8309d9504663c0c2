// Newton's trust-region method for a general Objective (Nocedal and Wright,
// "Numerical Optimization", 2nd ed., chapters 4 and 7): the objective side
// of the trust-region loop (trust_region_loop.h). At each
// point the quadratic model
//   m(p) = f + g^T p + 1/2 p^T H p,   |p| <= radius
// is minimized approximately by a trust-region strategy
// (newton_trust_region_strategy.h): Steihaug-Toint truncated CG
// (kNewtonTrustRegionCg), dogleg on the dense Hessian (kNewtonDogleg) or
// Levenberg-Marquardt's damped step by CG (kLevenbergMarquardtCg).
// The step is accepted when the reduction ratio
//   rho = (f(x) - f(x + p)) / (m(0) - m(p))
// exceeds min_relative_decrease; the strategy's rule then sets the next
// radius. Every step has |p| <= radius (up to rounding in the last bit);
// each trace record carries the radius the step was computed for.
//
// The region is a sphere until a short step would end the solve; then,
// with MinimizeOptions::scaled_trust_region_check, it becomes the ellipsoid
// |D p| <= radius, D = diag(sqrt|H_ii|), and the iteration goes on (see
// region_scale.h).
//
// Bounds are handled by projection, as in the least-squares trust-region
// loop: coordinates held at a bound by an outward gradient are fixed for the
// step (the model is minimized over the free ones), the trial point is
// projected onto the box, and rho compares the actual reduction with the
// model's prediction for the projected step. Projection only shortens the
// step componentwise, so the radius still bounds it, and as the radius
// shrinks the projected step becomes a projected steepest-descent step,
// whose predicted and actual reductions agree.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "general_minimizers.h"
#include "newton_trust_region_strategy.h"
#include "objective_context.h"
#include "region_scale.h"
#include "string_format.h"
#include "trust_region_loop.h"

namespace curvature::internal {
namespace {

// A step below the parameter tolerance still counts when the model predicts
// at least this relative decrease of f (1e-6 and 1e-16 gave the same MGH
// results).
constexpr double kPromisedDecreaseToContinue = 1e-10;

// Below this radius no step can make progress in double precision.
constexpr double kMinTrustRegionRadius = 1e-32;

class ObjectiveSide {
 public:
  // The iteration is recorded before the function-tolerance and radius
  // tests: the callback sees every tried step, including the one that ends
  // the solve, and a stop it asks for wins.
  static constexpr bool kStopTestsAfterRecord = true;
  // The trace carries the radius each step was computed for, so that it
  // shows |p| <= radius step by step (newton_trust_region_test checks it).
  static constexpr bool kRadiusBeforeStep = true;

  ObjectiveSide(const MinimizeOptions& options, Objective& objective, Summary* summary,
                std::unique_ptr<NewtonTrustRegionStrategy> strategy)
      : context_(options, objective, summary),
        options_(options),
        objective_(objective),
        strategy_(std::move(strategy)) {}

  ObjectiveContext& context() { return context_; }

  TrustRegionStrategy& strategy() { return *strategy_; }
  Summary& summary() { return context_.summary(); }
  bool terminated() const { return context_.terminated(); }
  bool gradient_tolerance_reached() { return context_.gradient_tolerance_reached(); }
  bool iteration_or_time_limit_reached() { return context_.iteration_or_time_limit_reached(); }
  double min_relative_decrease() const { return options_.min_relative_decrease; }
  double cost() const { return context_.value; }
  double projected_gradient_norm() const { return context_.projected_gradient_norm(); }
  void record(IterationRecord record, double started) { context_.record(std::move(record), started); }
  double iteration_started() const { return context_.last_clock_reading(); }

  // The model at a new point, then the strategy's step. A model that cannot
  // be formed (no Hessian, or a factorization that fails) ends the solve at
  // once: the Hessian does not depend on the radius, so a retry would fail
  // the same way.
  StepStatus compute_step(IterationRecord* record) {
    if (need_model_) {
      if (!form_model(context_.evaluate_hessian(context_.x))) return StepStatus::kStopped;
      need_model_ = false;
    }
    Stopwatch linear_clock;
    step_ = strategy_->compute_step();
    make_trial();
    if (!step_.accurate && context_.parameter_tolerance_would_be_reached(step_.p.norm())) {
      // A truncated solve can stop with a sliver of the model's minimizer
      // (see truncated_cg); only an accurate step this short means convergence.
      const int iterations = step_.iterations;
      step_ = strategy_->compute_step_accurately();
      step_.iterations += iterations;
      make_trial();
    }
    summary().linear_solver_time_s += linear_clock.seconds();
    record->linear_solver_iterations = step_.iterations;
    summary().linear_solver_iterations += step_.iterations;
    record->step_norm = step_.p.norm();
    // The radius rule measures the step in the region's norm.
    strategy_->step_tried(region_.norm(step_.p));
    return StepStatus::kStep;
  }

  // A step this short ends the solve only when the model expects little of
  // it: on a badly scaled problem (Brown's, x* = (1e6, 2e-6)) the step in the
  // small coordinate is below the parameter test against |x| yet the model
  // promises, and the function delivers, a real decrease. Before ending,
  // with MinimizeOptions::scaled_trust_region_check, the region becomes the
  // scaled ellipsoid and the iteration starts over (see region_scale.h).
  ShortStep short_step(double step_norm) {
    const bool promises_decrease =
        step_.predicted > kPromisedDecreaseToContinue * std::max(std::abs(context_.value), 1e-300);
    if (promises_decrease || !context_.parameter_tolerance_would_be_reached(step_norm)) return ShortStep::kGoOn;
    if (options_.scaled_trust_region_check && !region_.scaled()) {
      if (start_scaled_region()) return ShortStep::kReshaped;
      if (context_.terminated()) return ShortStep::kEnded;
    }
    return ShortStep::kShort;
  }
  // The trial point was evaluated (and moved to when accepted): the step
  // still being this short ends the solve.
  void parameter_tolerance_reached(double step_norm) { context_.parameter_tolerance_reached(step_norm); }
  std::string trial_failure() const { return "f or its gradient is not finite there, or the objective failed"; }
  void terminate(TerminationType type, std::string message) { context_.terminate(type, std::move(message)); }

  double predicted_reduction() const { return step_.predicted; }

  // The reduction is f(x) - f(trial): an objective has no residuals to
  // difference.
  bool evaluate_trial(double* actual) {
    const bool evaluated = context_.evaluate(trial_, &trial_value_, &trial_gradient_);
    if (evaluated) *actual = context_.value - trial_value_;
    return evaluated;
  }

  bool move_to_trial() {
    context_.swap_in(&trial_, trial_value_, &trial_gradient_);  // both are refilled next iteration
    need_model_ = true;
    return true;
  }

  // rho is the only judge: f is not a sum of residuals whose rounding the
  // side could estimate.
  std::optional<double> accept_below_noise(double) { return std::nullopt; }

  bool function_tolerance_reached(double actual) { return context_.function_tolerance_reached(actual); }

  // Against a fixed floor: MinimizeOptions has no option for it.
  bool radius_too_small() {
    if (strategy_->radius() >= kMinTrustRegionRadius) return false;
    context_.terminate(TerminationType::kTrustRegionTooSmall,
                       string_printf("Trust region radius %.3e fell below %.0e: no step reduces f.",
                                     strategy_->radius(), kMinTrustRegionRadius));
    return true;
  }

 private:
  ObjectiveContext context_;

  // The Hessian's diagonal into *diagonal; false when the operator has none.
  // One of the wrong size is a bug in the objective, reported as such.
  bool diagonal_of(const HessianOperator& hessian, Eigen::VectorXd* diagonal) {
    if (!hessian.diagonal(diagonal)) return false;
    if (diagonal->size() != context_.tangent_size()) {
      throw Error(std::string("HessianOperator::diagonal: the objective '") + objective_.name() +
                  "' returned a diagonal of size " + std::to_string(diagonal->size()) + ", expected " +
                  std::to_string(context_.tangent_size()));
    }
    return true;
  }

  // The model at context_.x from its Hessian; false (terminated) when none.
  bool form_model(std::unique_ptr<HessianOperator> hessian) {
    if (!hessian) {
      context_.terminate(TerminationType::kEvaluationFailure, std::string("The objective '") + objective_.name() +
                                                                  "' gave no Hessian at the current point (f = " +
                                                                  string_printf("%.6e", context_.value) + ").");
      return false;
    }
    Stopwatch linear_clock;
    Eigen::VectorXd gradient = context_.gradient;
    if (region_.scaled()) {
      Eigen::VectorXd diagonal;
      if (diagonal_of(*hessian, &diagonal)) region_.update(diagonal);
      region_.to_scaled(&hessian, &gradient);
    }
    std::string error;
    const bool prepared = strategy_->prepare(std::move(hessian), gradient, context_.fixed_coordinates(), &error);
    summary().linear_solver_time_s += linear_clock.seconds();
    if (!prepared) {
      context_.terminate(TerminationType::kLinearSolverFailure,
                         error.empty() ? "The trust-region model could not be formed." : error);
    }
    return prepared;
  }

  // Switches to the scaled region at context_.x (see RegionScale); false
  // when the Hessian has no diagonal.
  bool start_scaled_region() {
    std::unique_ptr<HessianOperator> hessian = context_.evaluate_hessian(context_.x);
    Eigen::VectorXd diagonal;
    if (!hessian || !diagonal_of(*hessian, &diagonal)) return false;
    region_.start(diagonal);
    summary().scaled_region_from_iteration = summary().iterations;
    // Afresh: the sphere's radius had shrunk to the short step, and
    // starting from that step's scaled length lost Osborne 1 from 100 x0.
    strategy_->reset_radius();
    return form_model(std::move(hessian));
  }

  // The strategy's step (in the scaled variables when the region is scaled)
  // as p, and the trial point x + p, projected into the bounds (p and the
  // prediction follow).
  void make_trial() {
    region_.step_from_scaled(&step_.p);
    if (!context_.euclidean()) {
      // Through the manifold; a step plus() cannot take leaves a NaN point,
      // which evaluate_trial() reports as unevaluable. No bounds here.
      if (!context_.step_to(step_.p, 1.0, &trial_)) {
        trial_.setConstant(context_.num_parameters(), std::numeric_limits<double>::quiet_NaN());
      }
      return;
    }
    trial_ = context_.x + step_.p;
    if (!context_.has_bounds()) return;
    context_.project(&trial_);
    const Eigen::VectorXd projected = trial_ - context_.x;
    if (projected != step_.p) {
      step_.p = projected;
      step_.predicted = strategy_->predicted_reduction(region_.scaled_step(step_.p));
    }
  }

  const MinimizeOptions& options_;
  Objective& objective_;
  std::unique_ptr<NewtonTrustRegionStrategy> strategy_;
  RegionScale region_;
  ModelStep step_;
  Eigen::VectorXd trial_, trial_gradient_;
  double trial_value_ = 0.0;
  bool need_model_ = true;
};

// The step of each trust-region method (MinimizerLoop::kTrustRegion in
// kMinimizerMethods): a new trust-region step is its strategy and one row.
struct TrustRegionStrategyEntry {
  MinimizerMethod method;
  std::unique_ptr<NewtonTrustRegionStrategy> (*make)(const MinimizeOptions& options);
};

constexpr TrustRegionStrategyEntry kStrategies[] = {
    {MinimizerMethod::kNewtonTrustRegionCg, make_steihaug_cg_strategy},
    {MinimizerMethod::kNewtonDogleg, make_newton_dogleg_strategy},
    {MinimizerMethod::kLevenbergMarquardtCg, make_levenberg_cg_strategy},
};

// Every method whose row names the trust-region loop has a strategy here.
consteval bool every_trust_region_method_has_a_strategy() {
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    if (row.loop != MinimizerLoop::kTrustRegion) continue;
    bool found = false;
    for (const TrustRegionStrategyEntry& entry : kStrategies) found = found || entry.method == row.value;
    if (!found) return false;
  }
  return true;
}
static_assert(every_trust_region_method_has_a_strategy());

std::unique_ptr<NewtonTrustRegionStrategy> make_strategy(const MinimizeOptions& options) {
  for (const TrustRegionStrategyEntry& entry : kStrategies) {
    if (entry.method == options.method) return entry.make(options);
  }
  throw Error(std::string("minimize_newton_trust_region: ") + to_string(options.method) +
              " is not a trust-region method");
}

}  // namespace

void minimize_newton_trust_region(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x,
                                  Summary* summary) {
  ObjectiveSide side(options, objective, summary, make_strategy(options));
  KeepPointOnUnwind keep_point(side.context(), x);
  summary->linear_solver = side.strategy().linear_solver_name();
  if (side.context().begin(*x)) run_trust_region_loop(side);
  side.context().finish(x);
}

}  // namespace curvature::internal
