// curvature/summary.h — what a solve reports: why it stopped, with numbers.
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace curvature {

// Why a run stopped. The first three are convergence (Summary::converged()).
enum class TerminationType {
  kGradientTolerance,   // converged: projected gradient small
  kFunctionTolerance,   // converged: relative cost change small
  kParameterTolerance,  // converged: relative step small
  kMaxIterations,
  kMaxTime,
  kUserStop,              // the callback asked to stop
  kTrustRegionTooSmall,   // no acceptable step at any damping
  kLineSearchFailure,     // no sufficient decrease along the direction
  kLinearSolverFailure,   // the step's linear system could not be solved
  kInvalidStartingPoint,  // the cost or Jacobian is not finite at the start
  kEvaluationFailure,     // the Jacobian could not be evaluated at an accepted point
  kGradientCheckFailed,   // check_gradients found a Jacobian that disagrees with numeric differentiation
  kEarlyStopping,         // the validation loss stopped improving (early stopping)
  kDiverged,              // the iterates ran off towards infinity (|x| and the cost are in the message); the
                          // parameters returned are the best point seen
  kStalled,               // a function or parameter tolerance held where the gradient is not small: the method
                          // can make no more progress, but the point is not known to be stationary
};

// The name reports print ("gradient-tolerance", ...).
const char* to_string(TerminationType type);

// One row of the per-iteration trace. Iteration 0 is the starting point.
struct IterationRecord {
  int iteration = 0;                 // 0 the starting point, then 1, 2, ...
  double cost = 0.0;                 // at the current (best) point after this iteration
  double cost_change = 0.0;          // actual reduction of the trial step (0 when rejected)
  double gradient_max_norm = 0.0;    // max_i |x_i - P(x_i - g_i)| at the current point
  double step_norm = 0.0;            // |x_trial - x| of the step tried
  double relative_decrease = 0.0;    // actual / predicted reduction
  double trust_region_radius = 0.0;  // dogleg radius; 1 / lambda for Levenberg-Marquardt
  double damping = 0.0;              // Levenberg-Marquardt lambda (0 for other methods)
  double step_length = 0.0;          // line-search step length; train(): the learning rate
  double validation_cost = 0.0;      // the validation loss under early stopping (train(): on the validation
                                     // blocks, whenever there are some); 0 without one
  bool accepted = false;             // the trial step was taken
  int linear_solver_iterations = 0;  // iterative solvers' iterations for this step
  int line_search_evaluations = 0;   // function evaluations of this iteration's line search
  double iteration_time_s = 0.0;     // wall time of this iteration
  double cumulative_time_s = 0.0;    // wall time since the run started
};

// What every run (solve(), minimize(), train()) reports: why it stopped, with numbers.
struct Summary {
  std::string method;         // "levenberg-marquardt", "dogleg", "gauss-newton"
  std::string linear_solver;  // solve(): the kLinearSolvers name of the solver used, "dense-normal-cholesky"
  // What ran the dense tiles of J^T J and Cholesky, when the normal equations
  // spanned more than one tile, e.g. "BLIS zen3 in double, BLIS haswell in
  // single precision (calibrated at 976 rows, 1 thread; BLIS chose zen3),
  // 256-column tiles"; empty otherwise. Chosen per precision for the CPU and the
  // Jacobian's size class; CURVATURE_DENSE_KERNEL overrides it (solver_options.h).
  std::string dense_kernel;
  TerminationType termination = TerminationType::kMaxIterations;  // the reason it stopped
  std::string message;                                            // why it stopped, quoting the numbers

  int num_parameters = 0;       // effective (non-constant) parameters
  int num_residuals = 0;        // of the problem
  int num_residual_blocks = 0;  // of the problem
  int num_threads = 1;          // used to evaluate

  double initial_cost = 0.0;  // at the starting point
  double final_cost = 0.0;    // at the point returned

  int iterations = 0;                // accepted + rejected
  int accepted_steps = 0;            // iterations that moved
  int rejected_steps = 0;            // iterations that did not
  int residual_evaluations = 0;      // cost or residual evaluations
  int jacobian_evaluations = 0;      // Jacobian or gradient evaluations
  int linear_solver_iterations = 0;  // iterative solvers' iterations, all steps
  // Line searches that found no acceptable step (line-search methods of
  // minimize()), counting those recovered by restarting from steepest descent.
  int line_search_failures = 0;
  // Trust-region Newton methods of minimize(): the iteration after which the
  // region was scaled to the Hessian's diagonal
  // (MinimizeOptions::scaled_trust_region_check); -1 when it never was.
  int scaled_region_from_iteration = -1;

  // Early stopping (EarlyStoppingOptions, TrainOptions::early_stopping_patience):
  // the iteration whose parameters were returned, the one with the lowest
  // validation loss, and that loss. -1 and NaN when early stopping was off.
  int best_iteration = -1;
  double best_validation_loss = std::numeric_limits<double>::quiet_NaN();

  // Residuals and Jacobians. The trust-region loop times a trial point's
  // evaluation from the end of the linear solve before it, and an accepted
  // point's Jacobian from the end of the trial's evaluation, so the few
  // vector operations in between (the model's reduction, the acceptance
  // test) count here too: one clock reading per evaluation instead of two.
  double evaluation_time_s = 0.0;
  // Factorizations and solves; for Levenberg-Marquardt with geodesic
  // acceleration also the residual evaluation at the probe point, which is
  // part of computing the step (counted in residual_evaluations, not in
  // evaluation_time_s).
  double linear_solver_time_s = 0.0;
  double total_time_s = 0.0;  // wall time of the run

  std::vector<IterationRecord> trace;  // one record per iteration, iteration 0 first

  // True for the three tolerance-based terminations.
  bool converged() const;
  // One line: method, termination, costs, iterations, time.
  std::string brief_report() const;
  // The problem's size, the options that mattered, counts, timings and the
  // termination message.
  std::string full_report() const;
};

}  // namespace curvature
