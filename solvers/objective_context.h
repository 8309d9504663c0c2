// objective_context.h — what every Objective-based minimizer loop shares
// (line search, Newton trust region, Nesterov): the objective and the current
// point, the bounds and the projection onto them, counted and timed
// evaluations that treat non-finite values as failures, the termination tests
// as named predicates, and the trace. The least-squares counterpart is
// MinimizerContext; this one knows nothing of residuals or Jacobians.
//
// Counting. An Objective has no residuals or Jacobian, so the Summary's two
// evaluation counters are read as
//   summary.residual_evaluations  = evaluations of f (every call of evaluate()),
//   summary.jacobian_evaluations  = evaluations of the gradient (the calls that
//                                   asked for it),
// and summary.evaluation_time_s covers both and the Hessian evaluations made
// through evaluate_hessian().
//
// A loop runs as
//   ObjectiveContext context(options, objective, summary);
//   if (!context.begin(*x)) { context.finish(x); return; }  // kInvalidStartingPoint
//   while (!context.terminated()) {
//     if (context.gradient_tolerance_reached() || context.iteration_or_time_limit_reached()) break;
//     ... one iteration, ending with context.record(record) ...
//   }
//   context.finish(x);
#pragma once

#include <Eigen/Core>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "box_bounds.h"
#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/objective.h"
#include "curvature/summary.h"
#include "solve_progress.h"
#include "stationarity.h"

namespace curvature::internal {

class ObjectiveContext {
 public:
  // Keeps references to all three: they must outlive the context. Reads the
  // objective's bounds (a missing side is +-infinity); minimize() has checked
  // their sizes.
  ObjectiveContext(const MinimizeOptions& options, Objective& objective, Summary* summary);

  const MinimizeOptions& options() const { return options_; }
  Objective& objective() { return objective_; }
  Summary& summary() { return *summary_; }
  int num_parameters() const { return num_parameters_; }  // the size of x
  // The size of steps and gradients (Objective::tangent_size()).
  int tangent_size() const { return tangent_size_; }
  // Whether the objective's plus() is x + delta (objective.h).
  bool euclidean() const { return euclidean_; }

  // The current point and f and the gradient there.
  Eigen::VectorXd x, gradient;
  double value = 0.0;

  // Projects `start` into the bounds, evaluates f and the gradient there,
  // sets summary.initial_cost (and final_cost) and records iteration 0.
  // False when the start cannot be evaluated or is not finite: the
  // termination is then kInvalidStartingPoint, with the reason.
  bool begin(const Eigen::VectorXd& start);
  // Writes the current point to *x and the final cost and total time to the
  // Summary; under early stopping, the best validated point and its f.
  void finish(Eigen::VectorXd* point);

  // Bounds.
  bool has_bounds() const { return bounds_.active(); }
  const Eigen::VectorXd& lower_bounds() const { return bounds_.lower(); }
  const Eigen::VectorXd& upper_bounds() const { return bounds_.upper(); }
  // P(point): clamps each coordinate into [lower, upper], in place.
  void project(Eigen::VectorXd* point) const;
  // *trial = P(x + alpha direction), or on a manifold the objective's
  // plus(x, alpha direction) (no bounds there). False when plus() fails.
  bool step_to(const Eigen::VectorXd& direction, double alpha, Eigen::VectorXd* trial) const;
  // max_i |x_i - P(x_i - g_i)| at the current point: the gradient's max-norm
  // without the components that push against an active bound.
  double projected_gradient_norm() const;
  double projected_gradient_norm(const Eigen::VectorXd& point, const Eigen::VectorXd& point_gradient) const;
  // Coordinates at a bound whose gradient pushes outward (x_i at its lower
  // bound with g_i > 0, or at its upper bound with g_i < 0), at the current
  // point. A step holds them fixed. All zero without bounds.
  const std::vector<char>& fixed_coordinates();
  bool any_fixed() const { return any_fixed_; }

  // f at `point` and, when `point_gradient` is not null, the gradient; both
  // counted and timed. False when the objective declines or returns a
  // non-finite value or gradient; *point_value is then +infinity. Throws
  // curvature::Error when the objective returns a gradient of the wrong
  // size: that is a bug in the objective, not numerical trouble.
  bool evaluate(const Eigen::VectorXd& point, double* point_value, Eigen::VectorXd* point_gradient);
  // Moves to `point` with f and the gradient already evaluated there.
  void move_to(const Eigen::VectorXd& point, double point_value, const Eigen::VectorXd& point_gradient);
  // The same, swapping vectors: *point and *point_gradient receive the old
  // point and gradient, whose storage the caller may reuse.
  void swap_in(Eigen::VectorXd* point, double point_value, Eigen::VectorXd* point_gradient);
  // The objective's Hessian operator at `point`, timed into
  // summary.evaluation_time_s; null when unavailable. Throws curvature::Error
  // when its size differs from the objective's.
  std::unique_ptr<HessianOperator> evaluate_hessian(const Eigen::VectorXd& point);

  // Termination tests, each against MinimizeOptions. Each returns true after
  // setting the termination type and a message quoting the numbers.
  //   gradient:  projected_gradient_norm() <= gradient_tolerance
  //   function:  |f change| <= function_tolerance * max(|f|, 1e-300) (call on an accepted step)
  //   parameter: |step| <= parameter_tolerance * (|x| + parameter_tolerance)
  // The three claim convergence only near a stationary point
  // (near_stationary_point()); where one holds elsewhere the run ends as
  // kStalled, quoting the scaled gradient. The function and parameter tests
  // first end a run whose iterates ran off beyond kDivergenceFactor times
  // the start as kDiverged.
  bool gradient_tolerance_reached();
  bool function_tolerance_reached(double value_change);
  bool parameter_tolerance_reached(double step_norm);
  // For a least-squares objective (LeastSquaresObjective): its scaled
  // gradient at x at most kStationaryScaledGradient (stationarity.h). Other
  // objectives carry no scale to judge by: always true.
  bool near_stationary_point();
  // The parameter test alone, without terminating.
  bool parameter_tolerance_would_be_reached(double step_norm) const;
  // summary.iterations >= max_iterations, or elapsed >= max_time_seconds.
  bool iteration_or_time_limit_reached();
  void terminate(TerminationType type, std::string message);
  bool terminated() const { return progress_.terminated(); }

  // Stamps the cumulative time, appends the record to the trace, prints one
  // line to stderr when verbose, and runs the callback for iterations > 0
  // (kStop ends the solve with kUserStop).
  void record(IterationRecord record);
  // The same for an iteration that began at `started` (SolveProgress).
  void record(IterationRecord record, double started) { progress_.record(std::move(record), started); }
  // Seconds since the solve began, as read by the last time-limit test.
  double last_clock_reading() const { return progress_.last_reading(); }

 private:
  const MinimizeOptions& options_;
  Objective& objective_;
  Summary* summary_;
  int num_parameters_;
  int tangent_size_;
  bool euclidean_;
  BoxBounds bounds_;
  std::vector<char> fixed_;
  bool any_fixed_ = false;
  SolveProgress progress_;
  LeastSquaresObjective* least_squares_;  // objective_ when it is one, else null
  double start_size_ = 0.0;
  double last_scaled_gradient_ = 0.0;
  // Ends the run as kStalled when the point is not near a stationary one,
  // or as kDiverged; true then. `test` quotes the test that held.
  bool stalled_or_diverged(const std::string& test);
};

// Leaves the point a loop had accepted last in *point when the loop is left
// by an exception from user code (an objective, a callback): the work done
// before the throw is kept, as solve() keeps it. Declared right after the
// context, so it runs before the context is destroyed.
class KeepPointOnUnwind {
 public:
  KeepPointOnUnwind(const ObjectiveContext& context, Eigen::VectorXd* point)
      : context_(context), point_(point), exceptions_at_start_(std::uncaught_exceptions()) {}
  KeepPointOnUnwind(const KeepPointOnUnwind&) = delete;
  KeepPointOnUnwind& operator=(const KeepPointOnUnwind&) = delete;
  ~KeepPointOnUnwind() {
    // Only while unwinding, and only once begin() has set a point.
    if (std::uncaught_exceptions() > exceptions_at_start_ && context_.x.size() == point_->size()) *point_ = context_.x;
  }

 private:
  const ObjectiveContext& context_;
  Eigen::VectorXd* point_;
  int exceptions_at_start_;
};

}  // namespace curvature::internal
