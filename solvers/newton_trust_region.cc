// Newton's trust-region method for a general Objective (Nocedal and Wright,
// "Numerical Optimization", 2nd ed., chapters 4 and 7): the loop. At each
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

namespace curvature::internal {
namespace {

// A step below the parameter tolerance still counts when the model predicts
// at least this relative decrease of f (1e-6 and 1e-16 gave the same MGH
// results).
constexpr double kPromisedDecreaseToContinue = 1e-10;

// Below this radius no step can make progress in double precision.
constexpr double kMinTrustRegionRadius = 1e-32;

std::string format(const char* pattern, double a, double b = 0.0) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, a, b);
  return buffer;
}

}  // namespace

void minimize_newton_trust_region(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x,
                                  Summary* summary) {
  ObjectiveContext context(options, objective, summary);
  std::unique_ptr<NewtonTrustRegionStrategy> strategy;
  if (options.method == MinimizerMethod::kNewtonDogleg) {
    strategy = make_newton_dogleg_strategy(options);
  } else if (options.method == MinimizerMethod::kLevenbergMarquardtCg) {
    strategy = make_levenberg_cg_strategy(options);
  } else {
    strategy = make_steihaug_cg_strategy(options);
  }
  summary->linear_solver = strategy->linear_solver_name();
  if (!context.begin(*x)) {
    context.finish(x);
    return;
  }

  RegionScale region;
  // The Hessian's diagonal into *diagonal; false when the operator has none.
  // One of the wrong size is a bug in the objective, reported as such.
  auto diagonal_of = [&](const HessianOperator& hessian, Eigen::VectorXd* diagonal) {
    if (!hessian.diagonal(diagonal)) return false;
    if (diagonal->size() != context.x.size()) {
      throw Error(std::string("HessianOperator::diagonal: the objective '") + objective.name() +
                  "' returned a diagonal of size " + std::to_string(diagonal->size()) + ", expected " +
                  std::to_string(context.x.size()));
    }
    return true;
  };
  // The model at context.x from its Hessian; false (terminated) when none.
  auto form_model = [&](std::unique_ptr<HessianOperator> hessian) {
    if (!hessian) {
      context.terminate(TerminationType::kEvaluationFailure,
                        std::string("The objective '") + objective.name() +
                            "' gave no Hessian at the current point (f = " + format("%.6e", context.value) + ").");
      return false;
    }
    Stopwatch linear_clock;
    Eigen::VectorXd gradient = context.gradient;
    if (region.scaled()) {
      Eigen::VectorXd diagonal;
      if (diagonal_of(*hessian, &diagonal)) region.update(diagonal);
      region.to_scaled(&hessian, &gradient);
    }
    std::string error;
    const bool prepared = strategy->prepare(std::move(hessian), gradient, context.fixed_coordinates(), &error);
    summary->linear_solver_time_s += linear_clock.seconds();
    if (!prepared) {
      context.terminate(TerminationType::kLinearSolverFailure,
                        error.empty() ? "The trust-region model could not be formed." : error);
    }
    return prepared;
  };
  // Switches to the scaled region at context.x (see RegionScale); false
  // when the Hessian has no diagonal.
  auto start_scaled_region = [&]() {
    std::unique_ptr<HessianOperator> hessian = context.evaluate_hessian(context.x);
    Eigen::VectorXd diagonal;
    if (!hessian || !diagonal_of(*hessian, &diagonal)) return false;
    region.start(diagonal);
    summary->scaled_region_from_iteration = summary->iterations;
    // Afresh: the sphere's radius had shrunk to the short step, and
    // starting from that step's scaled length lost Osborne 1 from 100 x0.
    strategy->reset_radius();
    return form_model(std::move(hessian));
  };
  bool need_model = true;
  Eigen::VectorXd trial, trial_gradient;
  while (!context.terminated()) {
    if (context.gradient_tolerance_reached() || context.iteration_or_time_limit_reached()) break;
    Stopwatch iteration_clock;
    if (need_model) {
      if (!form_model(context.evaluate_hessian(context.x))) break;
      need_model = false;
    }

    IterationRecord record;
    record.iteration = summary->iterations + 1;
    record.trust_region_radius = strategy->radius();  // the radius this step was computed for
    Stopwatch linear_clock;
    // The strategy's step (in the scaled variables when the region is
    // scaled) as p, and the trial point x + p, projected into the bounds (p
    // and the prediction follow).
    auto make_trial = [&](ModelStep* step) {
      region.step_from_scaled(&step->p);
      trial = context.x + step->p;
      if (!context.has_bounds()) return;
      context.project(&trial);
      const Eigen::VectorXd projected = trial - context.x;
      if (projected != step->p) {
        step->p = projected;
        step->predicted = strategy->predicted_reduction(region.scaled_step(step->p));
      }
    };
    ModelStep step = strategy->compute_step();
    make_trial(&step);
    if (!step.accurate && context.parameter_tolerance_would_be_reached(step.p.norm())) {
      // A truncated solve can stop with a sliver of the model's minimizer
      // (see truncated_cg); only an accurate step this short means convergence.
      const int iterations = step.iterations;
      step = strategy->compute_step_accurately();
      step.iterations += iterations;
      make_trial(&step);
    }
    summary->linear_solver_time_s += linear_clock.seconds();
    record.linear_solver_iterations = step.iterations;
    summary->linear_solver_iterations += step.iterations;
    record.step_norm = step.p.norm();
    // A step this short ends the solve only when the model expects little
    // of it: on a badly scaled problem (Brown's, x* = (1e6, 2e-6)) the step
    // in the small coordinate is below the parameter test against |x| yet
    // the model promises, and the function delivers, a real decrease.
    const bool promises_decrease =
        step.predicted > kPromisedDecreaseToContinue * std::max(std::abs(context.value), 1e-300);
    if (!promises_decrease && context.parameter_tolerance_would_be_reached(record.step_norm)) {
      if (options.scaled_trust_region_check && !region.scaled()) {
        if (start_scaled_region()) continue;
        if (context.terminated()) break;
      }
      context.parameter_tolerance_reached(record.step_norm);
      break;  // nothing was tried
    }
    ++summary->iterations;

    double trial_value;
    const bool evaluated = context.evaluate(trial, &trial_value, &trial_gradient);
    const double actual = evaluated ? context.value - trial_value : -std::numeric_limits<double>::infinity();
    const double ratio = reduction_ratio(evaluated, actual, step.predicted);
    record.relative_decrease = ratio;
    const StepOutcome outcome = judge_step(evaluated, ratio, options.min_relative_decrease);
    const bool accepted = outcome == StepOutcome::kAccepted;
    if (accepted) {
      context.swap_in(&trial, trial_value, &trial_gradient);  // both are refilled next iteration
      need_model = true;
      ++summary->accepted_steps;
      record.cost_change = actual;
    } else {
      ++summary->rejected_steps;
    }
    strategy->step_tried(region.norm(step.p));
    report_step(*strategy, outcome, ratio);
    record.accepted = accepted;
    record.cost = context.value;
    record.gradient_max_norm = context.projected_gradient_norm();
    record.iteration_time_s = iteration_clock.seconds();
    context.record(record);
    if (context.terminated()) break;
    if (accepted && context.function_tolerance_reached(actual)) break;
    if (strategy->radius() < kMinTrustRegionRadius) {
      context.terminate(TerminationType::kTrustRegionTooSmall,
                        format("Trust region radius %.3e fell below %.0e: no step reduces f.", strategy->radius(),
                               kMinTrustRegionRadius));
    }
  }
  context.finish(x);
}

}  // namespace curvature::internal
