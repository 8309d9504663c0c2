// ba_run.h — one bundle adjustment solve as curv bench ba reports it, and the
// curvature side of the comparison (ceres_ba.h is Ceres Solver's).
#pragma once

#include <string>

#include "bal.h"

namespace curvature::bench {

// What both libraries are asked for, so that their runs compare.
struct BaRunOptions {
  int threads = 1;
  int max_iterations = 100;
  // Ceres's meaning, which is also curvature's: stop when an accepted step
  // changes the cost by at most function_tolerance * cost, when
  // max |x - P(x - g)| <= gradient_tolerance, or when
  // |dx| <= parameter_tolerance (|x| + parameter_tolerance).
  double function_tolerance = 1e-8;
  double gradient_tolerance = 1e-10;
  double parameter_tolerance = 1e-10;
  BalProblemOptions problem;
};

struct BaRun {
  std::string problem;
  int cameras = 0;
  int points = 0;
  int observations = 0;
  int threads = 1;
  std::string solver;         // "curvature-lm", "ceres-lm"
  std::string linear_solver;  // the library's own name for it
  double initial_cost = 0.0;
  double final_cost = 0.0;
  int iterations = 0;                 // accepted + rejected steps
  double evaluation_time_s = 0.0;     // residuals and Jacobians, all iterations
  double linear_solver_time_s = 0.0;  // all iterations
  int linear_solver_iterations = 0;   // iterative linear solvers' (CG) iterations, all steps
  double time_s = 0.0;                // the solve call alone, wall clock
  double cpu_s = 0.0;                 // the same call's CPU time, user + system, summed over its threads
  double peak_memory_bytes = -1.0;    // peak_memory.h; -1: not measured
  std::string status;                 // the solver's termination reason
};

// A run's description, the same on both libraries' sides: the problem's
// name and sizes, the thread count, the solver and its linear solver; the
// results are left at their defaults.
BaRun describe_ba_run(const BalScene& scene, const std::string& problem_name, int threads, std::string solver,
                      std::string linear_solver);

// Solves a copy of `scene` with curvature's Levenberg-Marquardt and the
// linear solver named `linear_solver` (kLinearSolvers); `problem_name` labels
// the run. The scene itself is left as it was.
BaRun run_curvature_ba(const BalScene& scene, const std::string& problem_name, const std::string& linear_solver,
                       const BaRunOptions& options);

}  // namespace curvature::bench
