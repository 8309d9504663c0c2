// Nesterov's accelerated gradient for smooth convex objectives, in the
// projected form of Beck and Teboulle's FISTA ("A fast iterative
// shrinkage-thresholding algorithm", SIAM J. Imaging Sci. 2009) with the
// momentum weight (k - 1) / (k + 2):
//
//   y_k     = P(x_k + (k - 1) / (k + 2) (x_k - x_{k-1}))
//   x_{k+1} = P(y_k - g(y_k) / L)
//
// k counts iterations since the last restart (k = 1: y = x, a plain
// projected gradient step). P is the projection onto the bounds: exact for a
// box, so every iterate is feasible and g is only ever asked for inside the
// box (y is projected too, which keeps f's domain safe without changing the
// fixed points).
//
// L, the Lipschitz constant of g, is estimated, never given:
//   * at the start from a secant, |g(x0 + s) - g(x0)| / |s| along a tiny
//     steepest-descent step s (one extra gradient evaluation);
//   * at every iteration first lowered by kDecrease (so that a pessimistic
//     estimate recovers, slowly: 1/kDecrease per iteration against the factor
//     2 of backtracking), then doubled until the local upper bound holds:
//       f(x+) <= f(y) + g(y)^T (x+ - y) + L/2 |x+ - y|^2 + noise,
//     noise = 16 eps |f(y)| being the rounding in f, without which the test
//     could fail forever once f is flat to machine precision.
//
// Restart (options.nesterov_restart; O'Donoghue and Candes, "Adaptive restart
// for accelerated gradient schemes", 2015, function scheme): when f(x_{k+1})
// > f(x_k) the step is discarded and the momentum reset (k = 1 from x_k), so
// the next step is a projected gradient step, which cannot increase f
// beyond the rounding allowance above. With restarts the iterates are
// monotone (up to that rounding).
// Without them f may rise for a while (the usual accelerated ripples); the
// best point seen is kept and returned.
//
// Each iteration evaluates f and g at y (unless y = x, whose gradient is
// known) and at each backtracking trial x+; the trial's gradient serves the
// termination tests at the next point.
//
// On a manifold (Objective::is_euclidean() false; no bounds there) the
// differences of points become tangent vectors without transport, as in the
// quasi-Newton methods (objective.h): y_k = plus(x_k, m v_k) with v_k the
// tangent step from x_{k-1} to x_k (the momentum part and the gradient step
// summed), and x_{k+1} = plus(y_k, -g(y_k) / L).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "general_minimizers.h"
#include "objective_context.h"
#include "string_format.h"

namespace curvature::internal {
namespace {

constexpr double kDecrease = 0.9;
// Doublings of L tried per iteration before the search gives up: 2^60
// covers any honest Lipschitz constant from any starting estimate.
constexpr int kMaxDoublings = 60;
constexpr double kMinLipschitz = 1e-300;

// Secant estimate of L at x along a tiny steepest-descent step; 1 when the
// step is empty (zero gradient, or every coordinate held at a bound) or the
// probe cannot be evaluated.
double initial_lipschitz(ObjectiveContext& context) {
  const double g_norm = context.gradient.norm();
  if (g_norm == 0.0) return 1.0;
  const double length = std::sqrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, context.x.norm());
  Eigen::VectorXd probe;
  double distance = length;
  if (context.euclidean()) {
    probe = context.x - (length / g_norm) * context.gradient;
    context.project(&probe);
    distance = (probe - context.x).norm();
  } else if (!context.step_to(context.gradient, -(length / g_norm), &probe)) {
    return 1.0;
  }
  if (distance == 0.0) return 1.0;
  double value;
  Eigen::VectorXd gradient;
  if (!context.evaluate(probe, &value, &gradient)) return 1.0;
  const double estimate = (gradient - context.gradient).norm() / distance;
  return std::isfinite(estimate) && estimate > 0.0 ? estimate : 1.0;
}

}  // namespace

void minimize_nesterov(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x, Summary* summary) {
  ObjectiveContext context(options, objective, summary);
  KeepPointOnUnwind keep_point(context, x);
  summary->linear_solver = "none";
  if (!context.begin(*x)) {
    context.finish(x);
    return;
  }

  double lipschitz = initial_lipschitz(context);
  Eigen::VectorXd previous = context.x;  // x_{k-1}
  int k = 1;                             // iterations since the last restart, plus one
  int restarts = 0;
  // The best point seen; only differs from the current one without restarts.
  Eigen::VectorXd best_x = context.x, best_gradient = context.gradient;
  double best_value = context.value;

  Eigen::VectorXd y, y_gradient, trial, trial_gradient;
  double y_value = 0.0;
  // On a manifold: the tangent step from x_{k-1} to x_k, and the gradient
  // step from y (see the top of this file).
  const bool euclidean = context.euclidean();
  Eigen::VectorXd velocity = Eigen::VectorXd::Zero(euclidean ? 0 : context.tangent_size());
  Eigen::VectorXd gradient_step, next_velocity;
  while (!context.terminated()) {
    if (context.gradient_tolerance_reached() || context.iteration_or_time_limit_reached()) break;
    Stopwatch iteration_clock;
    IterationRecord record;
    record.iteration = summary->iterations + 1;
    ++summary->iterations;

    const double momentum = (k - 1.0) / (k + 2.0);
    bool at_x = momentum == 0.0;
    if (!at_x) {
      bool formed = true;
      if (euclidean) {
        y = context.x + momentum * (context.x - previous);
        context.project(&y);
      } else {
        formed = context.step_to(velocity, momentum, &y);
      }
      ++record.line_search_evaluations;
      // Outside f's domain: drop the momentum for this step.
      if (!formed || !context.evaluate(y, &y_value, &y_gradient)) at_x = true;
    }
    if (at_x) {
      y = context.x;
      y_value = context.value;
      y_gradient = context.gradient;
    }

    // Backtracking on L.
    lipschitz = std::max(kDecrease * lipschitz, kMinLipschitz);
    bool found = false;
    double trial_value = std::numeric_limits<double>::infinity();
    const double noise = 16.0 * std::numeric_limits<double>::epsilon() * std::abs(y_value);
    for (int doubling = 0; doubling <= kMaxDoublings; ++doubling, lipschitz *= 2.0) {
      if (euclidean) {
        trial = y - y_gradient / lipschitz;
        context.project(&trial);
      } else {
        gradient_step = -y_gradient / lipschitz;
        if (!context.objective().plus(y, gradient_step, &trial)) continue;
      }
      ++record.line_search_evaluations;
      if (!context.evaluate(trial, &trial_value, &trial_gradient)) continue;
      const Eigen::VectorXd d = euclidean ? Eigen::VectorXd(trial - y) : gradient_step;
      if (trial_value <= y_value + y_gradient.dot(d) + 0.5 * lipschitz * d.squaredNorm() + noise) {
        found = true;
        break;
      }
    }
    record.step_length = 1.0 / lipschitz;
    if (!found) {
      ++summary->rejected_steps;
      record.cost = context.value;
      record.gradient_max_norm = context.projected_gradient_norm();
      record.iteration_time_s = iteration_clock.seconds();
      context.record(record);
      context.terminate(
          TerminationType::kLineSearchFailure,
          string_printf("No Lipschitz estimate up to L = %.3e gave the sufficient decrease of an accelerated "
                        "gradient step (f = %.6e).",
                        lipschitz, context.value));
      break;
    }

    const double change = context.value - trial_value;
    double step_norm;
    if (euclidean) {
      step_norm = (trial - context.x).norm();
    } else {
      next_velocity = at_x ? gradient_step : Eigen::VectorXd(momentum * velocity + gradient_step);
      step_norm = next_velocity.norm();
    }
    record.step_norm = step_norm;
    record.relative_decrease = 1.0;
    if (options.nesterov_restart && change < 0.0 && !at_x) {
      // f rose: discard the step and restart the momentum from x_k.
      ++restarts;
      ++summary->rejected_steps;
      previous = context.x;
      if (!euclidean) velocity.setZero();
      k = 1;
      record.accepted = false;
      record.cost = context.value;
      record.gradient_max_norm = context.projected_gradient_norm();
      record.iteration_time_s = iteration_clock.seconds();
      context.record(record);
      continue;
    }

    previous = context.x;
    if (!euclidean) velocity = next_velocity;
    context.move_to(trial, trial_value, trial_gradient);
    ++k;
    ++summary->accepted_steps;
    if (trial_value < best_value) {
      best_value = trial_value;
      best_x = trial;
      best_gradient = trial_gradient;
    }
    record.accepted = true;
    record.cost_change = change;
    record.cost = context.value;
    record.gradient_max_norm = context.projected_gradient_norm();
    record.iteration_time_s = iteration_clock.seconds();
    context.record(record);
    if (context.terminated()) break;
    if (context.function_tolerance_reached(change) || context.parameter_tolerance_reached(step_norm)) break;
  }
  if (best_value < context.value) {
    context.move_to(best_x, best_value, best_gradient);
    summary->message += " Returned the best point seen (f = " + string_printf("%.6e", best_value) + ").";
  }
  if (restarts > 0) summary->message += " Momentum restarts: " + std::to_string(restarts) + ".";
  context.finish(x);
}

}  // namespace curvature::internal
