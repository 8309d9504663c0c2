// Gauss-Newton with a backtracking line search. The direction solves
// J^T J h = -J^T r (with the linear solver's rank-deficiency fallback); the
// step length alpha is the first of 1, alpha_1, ... with
//   F(P(x + alpha h)) <= F(x) + c1 g^T (P(x + alpha h) - x)   (Armijo),
// where each alpha_{k+1} minimizes the quadratic (then cubic) interpolating
// the values seen so far, safeguarded to [0.1, 0.5] alpha_k (Nocedal and
// Wright, "Numerical Optimization", section 3.5). A trial point that cannot be
// evaluated halves the step. Projection onto the bounds happens inside the
// search, so every trial point is feasible.
//
// The interpolation is line_search.h's; the loop is not yet its
// ArmijoLineSearch, because five details differ: sufficient decrease is
// measured on the reduction summed from residual differences
// (MinimizerContext::reduction); a trial skipped on a projected path counts
// against max_line_search_steps; after a trial that cannot be evaluated the
// interpolation forgets the earlier ones; an infinite interpolation is
// clamped into [0.1, 0.5] alpha rather than halved; and a NaN one (the
// cubic's arithmetic overflowing) halves alpha. The first three can be
// options of ArmijoLineSearch without moving a result; run through it, the
// infinite case moved Gauss-Newton's MGH result on meyer from 10 x0.
//
// Termination: the parameter test on a full step only once its trial point
// was evaluated, and claiming convergence only near a stationary point
// (MinimizerContext); a move beyond kDivergenceFactor times the start ends
// the solve as diverged (Jennrich-Sampson from 10 x0 once took one step to
// |x| = 1.3e62 and reported the parameter tolerance).
#include <algorithm>
#include <cmath>
#include <limits>

#include "curvature/error.h"
#include "line_search.h"
#include "minimizers.h"

namespace curvature::internal {

void minimize_gauss_newton_line_search(MinimizerContext& context, LinearSolver& solver) {
  Summary& summary = context.summary();
  const SolverOptions& options = context.options();
  Eigen::VectorXd direction, trial, trial_residuals, step;

  while (!context.terminated()) {
    if (context.gradient_tolerance_reached() || context.iteration_or_time_limit_reached()) break;
    Stopwatch iteration_clock;
    IterationRecord record;
    record.iteration = summary.iterations + 1;
    ++summary.iterations;

    Stopwatch linear_clock;
    const std::vector<char>& fixed = context.fixed_coordinates();
    Eigen::VectorXd damping = Eigen::VectorXd::Zero(context.gradient.size());
    for (Eigen::Index i = 0; i < damping.size(); ++i) {
      if (fixed[i]) damping[i] = fixed_coordinate_damping(context.column_scale[i]);
    }
    LinearSolverResult solved = solver.prepare(context.jacobian(), context.residuals);
    if (solved.success) solved = solver.solve(damping, &direction);
    context.linear_solver_seconds += linear_clock.seconds();
    record.linear_solver_iterations = solved.iterations;
    summary.linear_solver_iterations += solved.iterations;
    if (!solved.success || !direction.allFinite()) {
      context.terminate(TerminationType::kLinearSolverFailure,
                        "The Gauss-Newton system could not be solved: " + solved.message);
      break;
    }
    for (Eigen::Index i = 0; i < direction.size(); ++i) {
      if (fixed[i]) direction[i] = 0.0;
    }

    // Backtracking along the projected path x(alpha) = P(x + alpha h).
    const double phi0 = context.cost;
    const double direction_slope = context.gradient.dot(direction);
    double alpha = 1.0, previous_alpha = 0.0, previous_phi = 0.0;
    double trial_cost = std::numeric_limits<double>::infinity();
    bool found = false, short_full_step = false;
    for (int k = 0; k < options.max_line_search_steps && direction_slope < 0.0; ++k) {
      context.step_to(direction, alpha, &trial, &step);
      // A full step below the parameter tolerance ends the solve once its
      // trial point is known to be evaluable (below), never before.
      short_full_step = k == 0 && context.parameter_tolerance_would_be_reached(step.norm());
      // Projection can turn a descent direction into an ascent path for long
      // steps; shorter ones follow the direction itself.
      const double slope = context.gradient.dot(step);
      if (slope >= 0.0 && !short_full_step) {
        alpha *= 0.5;
        continue;
      }
      ++record.line_search_evaluations;
      const bool evaluated = context.evaluate_trial(trial, &trial_cost, &trial_residuals);
      if (evaluated && short_full_step) {
        context.parameter_tolerance_reached(step.norm());
        break;
      }
      if (evaluated) {
        const double reduction = context.reduction(trial_cost, trial_residuals);
        if (reduction >= -options.line_search_sufficient_decrease * slope) {
          found = true;
          record.cost_change = reduction;
          break;
        }
      }
      const double next =
          evaluated ? backtracking_interpolate(phi0, direction_slope, alpha, trial_cost, previous_alpha, previous_phi,
                                               /*no_minimizer=*/0.5 * alpha)
                    : 0.5 * alpha;
      previous_alpha = alpha;
      previous_phi = trial_cost;
      // A NaN from the cubic's arithmetic overflowing would make every
      // later trial point NaN: halve instead. (An infinite one is clamped.)
      alpha = std::isnan(next) ? 0.5 * alpha : std::clamp(next, 0.1 * alpha, 0.5 * alpha);
    }
    if (context.terminated()) {
      --summary.iterations;  // ended on a short full step, which it does not take: not an iteration
      break;
    }
    record.step_length = alpha;
    record.step_norm = step.norm();
    if (!found) {
      record.accepted = false;
      ++summary.rejected_steps;
      context.terminate(TerminationType::kLineSearchFailure,
                        "The line search found no sufficient decrease along the Gauss-Newton direction after " +
                            std::to_string(record.line_search_evaluations) + " trials (last step length " +
                            to_decimal(alpha) + ").");
    } else {
      record.accepted = true;
      ++summary.accepted_steps;
      if (context.move_to(trial, trial_cost)) context.function_tolerance_reached(record.cost_change);
    }
    record.cost = context.cost;
    record.gradient_max_norm = context.projected_gradient_norm();
    record.iteration_time_s = iteration_clock.seconds();
    context.record(record);
  }
}

}  // namespace curvature::internal
