// solve_progress.h — what every minimizer loop, least-squares or general,
// does the same way: the clock, the termination state with a message that
// quotes its numbers, the tests that do not depend on the kind of problem
// (gradient, parameter, iteration and time limits), and the trace: each
// iteration's record appended, printed when verbose, and handed to the
// user's callback; and early stopping on a validation loss, the same for
// every loop (validation_monitor.h).
#pragma once

#include <Eigen/Core>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "curvature/solver_options.h"
#include "curvature/summary.h"
#include "string_format.h"
#include "validation_monitor.h"

namespace curvature::internal {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

class SolveProgress {
 public:
  using Callback = std::function<CallbackReturn(const IterationRecord&)>;
  // Which quantities the verbose lines show: least squares print the cost and
  // the ratio rho, general minimizers f and the step length alpha.
  enum class Columns { kLeastSquares, kObjective };

  // `summary` and `callback` must outlive this object.
  SolveProgress(Summary* summary, bool verbose, const Callback& callback, Columns columns);

  void terminate(TerminationType type, std::string message);
  bool terminated() const { return terminated_; }
  // Forgets a termination, for a solve that starts over (the trace goes on).
  void resume() {
    terminated_ = false;
    reading_current_ = false;
  }

  // Each test returns true after setting the termination and its message.
  bool gradient_tolerance_reached(double projected_gradient_norm, double tolerance);
  bool parameter_tolerance_reached(double step_norm, double x_norm, double tolerance);
  bool iteration_or_time_limit_reached(int max_iterations, double max_time_seconds);

  // Stamps the cumulative time, appends the record to the trace, prints one
  // line to stderr when verbose, and runs the callback for iterations > 0
  // (kStop ends the solve with kUserStop). Under early stopping it first
  // evaluates the validation loss at the current point (into the record's
  // validation_cost) and, after the callback, ends the solve with
  // kEarlyStopping once the patience has run out.
  void record(IterationRecord record);
  // The same for an iteration that began at `started` (seconds on `clock`):
  // one reading of the clock gives both its iteration_time_s and its
  // cumulative_time_s.
  void record(IterationRecord record, double started);

  // Seconds on `clock`, as read by the last time-limit test: the start of
  // the iteration that test lets begin, without reading the clock again.
  // A loop of a small problem reads the clock a dozen times an iteration
  // otherwise, a tenth of its time.
  double last_reading() const { return last_reading_; }

  // Early stopping (EarlyStoppingOptions): from now on record() validates
  // *point, the loop's current point. `options` and `point` must outlive
  // this object. Nothing happens when options.patience is 0.
  void enable_early_stopping(const EarlyStoppingOptions& options, const Eigen::VectorXd* point);
  bool early_stopping() const { return monitor_.has_value(); }
  // The hook at the end of a loop. Under early stopping, makes the best
  // validated point and its cost the current ones (when they differ, the
  // message says so) and reports that iteration and loss in the Summary.
  void restore_best(Eigen::VectorXd* point, double* cost);

  // Started at construction.
  Stopwatch clock;

 private:
  Summary* summary_;
  bool verbose_;
  const Callback& callback_;
  Columns columns_;
  bool terminated_ = false;
  double last_reading_ = 0.0;
  // The last record's reading (its cumulative_time_s) is still "now" for
  // the time-limit test that follows it: no callback or printing ran after
  // it. A loop records its iteration last and tests the limits first, so
  // one reading serves both.
  bool reading_current_ = false;

  // record()'s work; with `started`, iteration_time_s is set as well.
  void append(IterationRecord record, std::optional<double> started);

  std::optional<ValidationMonitor> monitor_;
  const std::function<double(const Eigen::VectorXd&)>* validation_loss_ = nullptr;
  const Eigen::VectorXd* point_ = nullptr;
  Eigen::VectorXd validated_point_;  // where validation_ was evaluated
  double validation_ = 0.0;
};

}  // namespace curvature::internal
