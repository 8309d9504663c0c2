// minimizer_context.h — what every least-squares minimizer loop shares: the
// evaluator and the current point, the bookkeeping behind the Summary
// (counts, phase timings, the trace), the bounds, and the termination tests,
// each of which sets the termination type and a message quoting its numbers.
//
// Manifolds (parameter_layout.h): x holds the ambient numbers, while the
// gradient, the Jacobian's columns, the column scaling and every step are
// in tangent coordinates; a step moves x through step_to(). The size tests
// use the ambient |x| (divergence, the parameter tolerance's scale) and the
// tangent |step|. Without manifolds both are the plain coordinates.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "box_bounds.h"
#include "curvature/solver_options.h"
#include "curvature/summary.h"
#include "evaluator.h"
#include "linear_solver.h"
#include "solve_progress.h"
#include "stationarity.h"

namespace curvature::internal {

class MinimizerContext {
 public:
  MinimizerContext(const SolverOptions& options, Evaluator* evaluator, Summary* summary, bool sparse);

  const SolverOptions& options() const { return options_; }
  Evaluator& evaluator() { return *evaluator_; }
  Summary& summary() { return *summary_; }
  JacobianRef jacobian() const;
  // Whether each Jacobian evaluation also writes J S in single precision
  // (EvaluationRequest::scaled_single_jacobian), for a mixed-precision dense
  // normal Cholesky; only a dense J of at least
  // DenseNormalCholeskySolver::kMixedPrecisionMinColumns columns has it.
  void set_scaled_single_jacobian(bool wanted);

  // The current point (ambient) and everything evaluated there (gradient:
  // tangent).
  Eigen::VectorXd x, residuals, gradient;
  double cost = 0.0;
  // Decaying running maximum of the squared column norms of J,
  // s_k = max(|J_k e_i|^2, 0.9 s_{k-1}) over accepted points: the parameter
  // scaling of Marquardt's damping and of dogleg's trust region. MINPACK
  // keeps the plain maximum; the decay lets the scaling follow columns that
  // have shrunk for good since a far-off start.
  Eigen::VectorXd column_scale;

  // Whether any parameter has a finite bound.
  bool has_bounds() const { return ambient_bounds_.active(); }
  // Projects a point (ambient) into the bounds in place.
  void project(Eigen::VectorXd* point) const;
  // With step = alpha * direction: *trial = P(x "+" step) (through each
  // block's manifold, then projected onto the bounds) and *taken = the step
  // actually taken, in tangent coordinates: P(x + step) - x on the plain
  // coordinates, the step itself on manifold blocks (which have no bounds).
  // `taken` may be `direction`. When a manifold's plus() fails, *trial is
  // filled with NaN, which evaluate_trial() reports as such.
  void step_to(const Eigen::VectorXd& direction, double alpha, Eigen::VectorXd* trial, Eigen::VectorXd* taken);
  // x in tangent coordinates (ParameterLayout::tangent_coordinates): x
  // itself without manifolds.
  const Eigen::VectorXd& tangent_x() const;
  // max_i |x_i - P(x_i - g_i)|: the gradient's max-norm, where components
  // that push against an active bound do not count.
  double projected_gradient_norm() const;
  // Coordinates held at a bound because the gradient pushes outward: the
  // step leaves them alone.
  const std::vector<char>& fixed_coordinates();
  bool any_fixed() const { return any_fixed_; }

  // Evaluates cost, residuals, gradient and Jacobian at x. False (with the
  // reason in *error) when the point cannot be evaluated.
  //
  // Timing (Summary::evaluation_time_s): `started`, when given, is a reading
  // of clock_seconds() that closed the phase just before (a linear solve, or
  // the trial evaluation before an accepted point's Jacobian), so that the
  // evaluation reads the clock once, at its end, instead of twice: a loop of
  // a small problem otherwise spends a tenth of its time reading the clock.
  // Whatever ran in between (the model's reduction, the acceptance test: a
  // few vector operations) is then counted as evaluation time.
  static constexpr double kReadClock = -1.0;
  // evaluate_trial() only: no reading at all, and nothing added to
  // evaluation_time_s, for an evaluation inside a phase that the caller
  // times as a whole (geodesic acceleration's probe, which is part of
  // computing the step and counts in linear_solver_time_s).
  static constexpr double kUntimed = -2.0;
  bool evaluate_at_x(std::string* error, double started = kReadClock);
  // Makes an accepted trial point (whose cost was evaluated) the current one
  // and evaluates the Jacobian there. When the Jacobian cannot be evaluated,
  // the point is kept (it is the best so far) and the solve ends with
  // kEvaluationFailure; returns false then.
  bool move_to(const Eigen::VectorXd& trial, double trial_cost, double started = kReadClock);
  // Cost and residuals at a trial point, into the given outputs. False when
  // the point cannot be evaluated or its cost is not finite; trial_failure()
  // then says which.
  bool evaluate_trial(const Eigen::VectorXd& trial, double* trial_cost, Eigen::VectorXd* trial_residuals,
                      double started = kReadClock);
  // clock_seconds() at the end of the last evaluation.
  double last_evaluation_end() const { return evaluation_ended_; }
  const std::string& trial_failure() const { return trial_failure_; }

  // The reduction F(x) - F(trial). Without robust losses it is summed from
  // residual differences, 1/2 sum (r_i - t_i)(r_i + t_i), which stays accurate
  // long after F(x) - F(trial) itself is lost to cancellation — near an
  // ill-conditioned minimum (NIST's ENSO) the parameters still move when the
  // cost has converged to machine precision.
  double reduction(double trial_cost, const Eigen::VectorXd& trial_residuals) const;
  // Predicted reduction of the Gauss-Newton model for the step h:
  // -(g^T h + 1/2 |J h|^2).
  double predicted_reduction(const Eigen::VectorXd& step) const;
  // The same with J h already known.
  double predicted_reduction(const Eigen::VectorXd& step, const Eigen::VectorXd& jacobian_step) const {
    return -(gradient.dot(step) + 0.5 * jacobian_step.squaredNorm());
  }

  // True when a reduction this small is below the noise of evaluating the
  // cost: each residual carries a few ulps of rounding error, and their
  // contributions to a cost difference add up like a random walk, so the
  // noise is about 64 eps sqrt(m) cost.
  bool within_cost_noise(double reduction) const;
  // Past the cost's resolution, a step is judged by the scaled gradient
  // |D^-1 g| instead: moves to `trial` (evaluating the Jacobian there) when
  // that norm decreases, else leaves the current point untouched.
  bool accept_if_gradient_decreases(const Eigen::VectorXd& trial);

  // Coordinates whose Jacobian column has vanished (squared norm below eps
  // times the largest it has ever been, without decay, and times the largest
  // squared column norm now): parameters that no longer influence the
  // residuals, as far as the normal equations can tell, typically because they ran off towards infinity
  // ("parameter evaporation", Transtrum, Machta and Sethna, 2011).
  std::vector<int> evaporated_coordinates() const;
  // Starts over from `start`: clears the scaling memory and the termination
  // state; the caller evaluates the new point.
  void restart(const Eigen::VectorXd& start);

  // max_i |J_i^T r| / (|J_i| |r|) over the coordinates not held at a bound:
  // the largest cosine between a column of the Jacobian and the residual
  // vector (MINPACK's gtol measure), 0 when r is within the rounding of
  // evaluating it (stationarity.h). Invariant to the scaling
  // of the parameters and of the residuals: near 0 at a stationary point
  // whatever the sizes, where the plain gradient can be tiny far from one
  // (a column that vanished because its parameter ran off to infinity) or
  // large at one (a huge residual).
  double scaled_gradient() const;
  // Whether the current point is near a stationary point: scaled_gradient()
  // at most kStationaryScaledGradient (stationarity.h).
  bool near_stationary_point() const;

  // Termination tests: each returns true after setting the termination type
  // and message. The relative tests (function, parameter) claim convergence
  // only near a stationary point; where they hold elsewhere the solve ends
  // as kStalled, quoting the scaled gradient. A move to a point beyond
  // kDivergenceFactor times the start's size ends the solve as kDiverged.
  bool gradient_tolerance_reached();
  bool iteration_or_time_limit_reached();
  bool parameter_tolerance_would_be_reached(double step_norm) const;
  bool parameter_tolerance_reached(double step_norm);
  bool function_tolerance_reached(double actual_reduction);
  // Remembers the size of the starting point, for the divergence test.
  void set_start_size() { start_size_ = x.lpNorm<Eigen::Infinity>(); }
  bool diverged();
  void terminate(TerminationType type, std::string message);
  bool terminated() const { return progress_.terminated(); }

  // Appends the record, prints it when verbose, runs the callback.
  void record(IterationRecord record);
  // The same for an iteration that began at `started` (SolveProgress).
  void record(IterationRecord record, double started);
  // Seconds since the solve began, as read by the last time-limit test
  // (SolveProgress::last_reading), and as read now.
  double last_clock_reading() const { return progress_.last_reading(); }
  double clock_seconds() const { return progress_.clock.seconds(); }
  // Under early stopping, makes the best validated point the current one
  // (SolveProgress::restore_best); solve() calls it last.
  void restore_best_validated() { progress_.restore_best(&x, &cost); }

  // Linear-solver time, summed by the loops.
  double linear_solver_seconds = 0.0;

 private:
  const SolverOptions& options_;
  Evaluator* evaluator_;
  Summary* summary_;
  bool sparse_;
  bool exact_reduction_;
  Eigen::MatrixXd dense_jacobian_;
  double evaluation_ended_ = 0.0;  // last_evaluation_end()
  Eigen::VectorXd column_norms_;   // squared column norms of the current Jacobian
  bool single_wanted_ = false;
  Eigen::MatrixXf scaled_single_jacobian_;  // J S in float (set_scaled_single_jacobian)
  SparseRowMatrix sparse_jacobian_;
  BoxBounds bounds_;          // per tangent coordinate
  BoxBounds ambient_bounds_;  // per coordinate of x, for the projection
  mutable Eigen::VectorXd tangent_x_;
  mutable Eigen::VectorXd jacobian_step_;  // J h, predicted_reduction()'s
  std::string plus_failure_;               // why the last step_to() found no trial point
  std::vector<char> fixed_;
  bool any_fixed_ = false;
  // The plain running maximum of the squared column norms, for the
  // evaporation test.
  Eigen::VectorXd column_norm_max_;
  SolveProgress progress_;
  std::string trial_failure_;
  double start_size_ = 0.0;
  // The point accept_if_gradient_decreases() moved away from, with
  // everything evaluated there; kept between calls so that no call
  // allocates.
  Eigen::VectorXd previous_x_, previous_residuals_, previous_gradient_, previous_column_scale_,
      previous_column_norm_max_, previous_column_norms_;
  double previous_cost_ = 0.0;
  Eigen::MatrixXd previous_dense_jacobian_;
  Eigen::MatrixXf previous_scaled_single_jacobian_;
  SparseRowMatrix previous_sparse_jacobian_;
  // Exchanges the current point's state with the previous_* buffers.
  void swap_with_previous();
  // Ends the solve as kStalled when the point is not near a stationary one;
  // true then. `test` quotes the relative test that held.
  bool stalled(const std::string& test);
};

}  // namespace curvature::internal
