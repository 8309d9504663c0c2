// The line-search loop: one loop for every direction. Each iteration asks
// the direction for d, checks that it descends, picks a first trial step,
// runs the line search along x(alpha) and moves to the point it returns.
//
// First trial step. Newton and quasi-Newton directions (once they hold
// curvature) carry the problem's scale, so alpha = 1. Steepest descent and
// nonlinear CG do not; they assume the first-order change matches the last
// iteration's, alpha0 = alpha_prev (g_prev^T d_prev) / (g^T d) (Nocedal and
// Wright, section 3.5), at most kMaxStepGrowth times alpha_prev. With no
// history the first step moves as far as the last accepted step did, or, at
// the start, no coordinate by more than 1.
//
// Bounds (steepest descent and L-BFGS only; minimize() refuses the others).
// Coordinates at a bound whose gradient pushes outward are held fixed: the
// direction sees the gradient with them zeroed and its own zeros there are
// enforced. The search runs along the projected path P(x + alpha d) with
// Armijo backtracking, sufficient decrease measured against the projected
// step, f(P(x + a d)) <= f(x) + c1 g^T (P(x + a d) - x); strong Wolfe's
// curvature condition has no meaning on a bent path, so a bound-constrained
// problem always uses Armijo.
//
// Failure. When the search finds no acceptable step along a direction other
// than -g, the curvature memory is reset and the search runs once more along
// -g. Only if that fails too (or the direction was -g already) does the
// solve end with kLineSearchFailure, at the last accepted point.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "general_minimizers.h"
#include "line_search.h"
#include "line_search_direction.h"
#include "objective_context.h"

namespace curvature::internal {
namespace {

constexpr double kMaxStepGrowth = 10.0;

// phi(alpha) = f(P(x + alpha d)) from the context's current point. Keeps the
// gradient of the lowest and of the latest point it evaluated with one, so
// that the point accepted by a strong Wolfe search needs no re-evaluation.
// One PathFunction serves the whole solve (start() sets each direction), and
// gradients change hands by swapping vectors: at n = 10^5 and more, fresh
// n-vectors per iteration cost L-BFGS as much as its two-loop recursion.
class PathFunction : public LineFunction {
 public:
  explicit PathFunction(ObjectiveContext& context) : context_(context) {}

  // The path along `direction` (kept by reference) from the context's point.
  void start(const Eigen::VectorXd& direction) {
    direction_ = &direction;
    const double d_norm = direction.lpNorm<Eigen::Infinity>();
    min_step_ = d_norm > 0.0 ? std::numeric_limits<double>::epsilon() * context_.x.lpNorm<Eigen::Infinity>() / d_norm
                             : std::numeric_limits<double>::infinity();
    has_latest_ = has_lowest_ = false;
  }

  // False when the objective's plus() cannot take the step (on a manifold).
  bool point(double step, Eigen::VectorXd* out) const { return context_.step_to(*direction_, step, out); }

  bool evaluate(double step, double* value, double* derivative) override {
    if (!point(step, &trial_)) {
      *value = std::numeric_limits<double>::infinity();
      return false;
    }
    if (derivative == nullptr) return context_.evaluate(trial_, value, nullptr);
    const bool ok = context_.evaluate(trial_, value, &trial_gradient_);
    if (!ok) return false;
    *derivative = trial_gradient_.dot(*direction_);
    const bool new_lowest = !has_lowest_ || *value < lowest_value();
    // The latest point moves to lowest_ when it is the lowest so far; either
    // way latest_'s old vector becomes the next scratch gradient.
    if (has_latest_ && lowest_is_latest_) std::swap(lowest_, latest_);
    latest_.step = step;
    latest_.value = *value;
    std::swap(latest_.gradient, trial_gradient_);
    lowest_is_latest_ = new_lowest;
    has_latest_ = has_lowest_ = true;
    return true;
  }

  double linear_change(double step, double slope) const override {
    if (!context_.has_bounds()) return step * slope;
    point(step, &scratch_);  // bounds: a Euclidean objective, whose point() always succeeds
    return context_.gradient.dot(scratch_ - context_.x);
  }

  double min_step() const override { return min_step_; }

  // Moves the gradient at `step` into *gradient (swapping vectors) when an
  // evaluation there computed it; false otherwise.
  bool take_gradient_at(double step, Eigen::VectorXd* gradient) {
    Evaluated* known = nullptr;
    if (has_latest_ && latest_.step == step) {
      known = &latest_;
    } else if (has_lowest_ && !lowest_is_latest_ && lowest_.step == step) {
      known = &lowest_;
    }
    if (known == nullptr) return false;
    std::swap(known->gradient, *gradient);
    has_latest_ = has_lowest_ = false;  // the vectors are no longer theirs
    return true;
  }

 private:
  struct Evaluated {
    double step = 0.0, value = 0.0;
    Eigen::VectorXd gradient;
  };
  double lowest_value() const { return lowest_is_latest_ ? latest_.value : lowest_.value; }

  ObjectiveContext& context_;
  const Eigen::VectorXd* direction_ = nullptr;
  double min_step_ = 0.0;
  Eigen::VectorXd trial_, trial_gradient_;
  mutable Eigen::VectorXd scratch_;
  Evaluated latest_, lowest_;
  bool has_latest_ = false, has_lowest_ = false;
  bool lowest_is_latest_ = false;  // then lowest_ holds nothing of use
};

void zero_fixed(const std::vector<char>& fixed, Eigen::VectorXd* v) {
  for (Eigen::Index i = 0; i < v->size(); ++i) {
    if (fixed[i]) (*v)[i] = 0.0;
  }
}

}  // namespace

void minimize_line_search(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x, Summary* summary) {
  ObjectiveContext context(options, objective, summary);
  KeepPointOnUnwind keep_point(context, x);
  if (!context.begin(*x)) {
    context.finish(x);
    return;
  }
  const LineSearchDirectionEntry& entry = line_search_direction(options.method);
  std::unique_ptr<LineSearchDirection> direction_rule = entry.make(options, objective);
  LineSearchOptions search_options;
  search_options.sufficient_decrease = options.sufficient_decrease;
  search_options.curvature = entry.tight_curvature ? options.curvature_for_cg : options.curvature;
  search_options.max_evaluations = options.max_line_search_evaluations;
  // A projected path bends at the bounds: only a search whose row says it
  // works on such paths may run on it.
  const LineSearchType search_type = context.has_bounds() && !info(options.line_search).projected_paths
                                         ? LineSearchType::kArmijo
                                         : options.line_search;
  std::unique_ptr<LineSearch> line_search = make_line_search(search_type, search_options);
  const bool always_steepest = entry.always_steepest;

  Iterate previous, current;
  PathFunction path(context);
  bool has_previous = false;
  double previous_slope = 0.0;      // g_prev^T d_prev
  double previous_step_norm = 0.0;  // |x - x_prev| of the last accepted step
  Eigen::VectorXd direction, new_x, new_gradient;
  Eigen::VectorXd taken;  // on a manifold: the last accepted tangent step

  // The first trial step along `d` whose slope is g^T d.
  auto initial_step = [&](const Eigen::VectorXd& d, double slope, bool scaled) {
    if (scaled) return 1.0;
    if (has_previous && previous_slope < 0.0) {
      return std::min(previous.step_length * previous_slope / slope, kMaxStepGrowth * previous.step_length);
    }
    // No history (the start, or after a reset): move as far as the last
    // accepted step did, or by at most 1 in any coordinate at the start.
    if (previous_step_norm > 0.0) return previous_step_norm / d.norm();
    return std::min(1.0, 1.0 / d.lpNorm<Eigen::Infinity>());
  };

  while (!context.terminated()) {
    if (context.gradient_tolerance_reached() || context.iteration_or_time_limit_reached()) break;
    Stopwatch iteration_clock;
    IterationRecord record;
    record.iteration = summary->iterations + 1;
    ++summary->iterations;

    const std::vector<char>& fixed = context.fixed_coordinates();
    current.x = context.x;
    if (!context.euclidean() && has_previous) std::swap(current.step, taken);
    current.gradient = context.gradient;
    zero_fixed(fixed, &current.gradient);

    // The direction's time (Newton: the Hessian and its factorizations)
    // counts as linear-solver time.
    Stopwatch direction_clock;
    std::string error;
    const bool formed = direction_rule->next_direction(has_previous ? &previous : nullptr, current, &direction, &error);
    summary->linear_solver_time_s += direction_clock.seconds();
    record.linear_solver_iterations = direction_rule->last_linear_solver_iterations();
    summary->linear_solver_iterations += record.linear_solver_iterations;
    if (!formed) {
      --summary->iterations;  // nothing was tried
      context.terminate(TerminationType::kEvaluationFailure, std::string("The ") + direction_rule->name() +
                                                                 " direction could not be formed: " + error + ".");
      break;
    }
    zero_fixed(fixed, &direction);
    double slope = current.gradient.dot(direction);
    // Without memory (the first iteration, or after a reset) the direction
    // of SD, CG and the quasi-Newton methods is -g itself: a failure there
    // has nothing to restart from.
    bool steepest = always_steepest || (!has_previous && !direction_rule->unit_step_natural());
    if (!(slope < 0.0) || !direction.allFinite()) {
      // A direction spoiled by the fixed coordinates, or by round-off in the
      // curvature memory: this iteration goes downhill instead.
      direction = -current.gradient;
      slope = -current.gradient.squaredNorm();
      steepest = true;
    }

    path.start(direction);
    LineSearchResult result = line_search->search(
        path, context.value, slope, initial_step(direction, slope, !steepest && direction_rule->unit_step_natural()));
    record.line_search_evaluations = result.evaluations;
    std::string first_failure;
    if (!result.acceptable() && !steepest) {
      ++summary->line_search_failures;
      first_failure = std::string(" along the ") + direction_rule->name() + " direction (" + result.message +
                      ") nor, after resetting its memory,";
      direction_rule->reset();
      has_previous = false;
      direction = -current.gradient;
      slope = -current.gradient.squaredNorm();
      path.start(direction);
      result = line_search->search(path, context.value, slope, initial_step(direction, slope, false));
      record.line_search_evaluations += result.evaluations;
    }
    if (!result.acceptable()) {
      ++summary->line_search_failures;
      ++summary->rejected_steps;
      record.accepted = false;
      record.step_length = result.step;
      record.cost = context.value;
      record.gradient_max_norm = context.projected_gradient_norm();
      context.terminate(TerminationType::kLineSearchFailure,
                        std::string("The ") + line_search->name() + " line search found no acceptable step" +
                            first_failure + " along steepest descent: " + result.message + ".");
      record.iteration_time_s = iteration_clock.seconds();
      context.record(record);
      break;
    }

    path.point(result.step, &new_x);  // evaluated there by the search: plus() succeeded
    double new_value = result.value;
    if (!path.take_gradient_at(result.step, &new_gradient) && !context.evaluate(new_x, &new_value, &new_gradient)) {
      // f was fine there a moment ago; the gradient is not.
      --summary->iterations;
      context.terminate(TerminationType::kEvaluationFailure,
                        "The gradient cannot be evaluated at the point the line search accepted.");
      break;
    }
    const double change = context.value - new_value;
    // On a manifold the step taken is the tangent vector itself, the s of
    // the next quasi-Newton pair; in R^n, x_new - x as before.
    if (!context.euclidean()) {
      taken = result.step * direction;
      previous_step_norm = taken.norm();
    } else {
      previous_step_norm = (new_x - context.x).norm();
    }
    // Swaps, not copies: current's and direction's vectors are refilled
    // next iteration, and the context hands back its old point's.
    std::swap(previous.x, current.x);
    std::swap(previous.gradient, current.gradient);
    std::swap(previous.direction, direction);
    previous.step_length = result.step;
    previous_slope = slope;
    has_previous = true;
    context.swap_in(&new_x, new_value, &new_gradient);
    ++summary->accepted_steps;

    record.accepted = true;
    record.cost = context.value;
    record.cost_change = change;
    record.step_norm = previous_step_norm;
    record.step_length = result.step;
    record.gradient_max_norm = context.projected_gradient_norm();
    if (!context.function_tolerance_reached(change)) context.parameter_tolerance_reached(previous_step_norm);
    record.iteration_time_s = iteration_clock.seconds();
    context.record(record);
  }
  context.finish(x);
}

}  // namespace curvature::internal
