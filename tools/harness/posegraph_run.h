// posegraph_run.h — one solve of one pose graph, as curv bench posegraph
// reports it, and the settings both libraries solve with.
#pragma once

#include <chrono>
#include <string>

#include "process_cpu_time.h"

namespace curvature::bench {

// Levenberg-Marquardt on the sparse normal equations (Cholesky) with Ceres
// Solver's default tolerances, which mean the same in both libraries:
//   function:  |cost change| <= function_tolerance * cost
//   gradient:  max_i |x_i - plus(x, -g)_i| <= gradient_tolerance
//   parameter: |dx| <= parameter_tolerance * (|x| + parameter_tolerance)
struct PoseGraphSettings {
  int num_threads = 1;
  int max_iterations = 100;
  double function_tolerance = 1e-6;
  double gradient_tolerance = 1e-10;
  double parameter_tolerance = 1e-8;
};

struct PoseGraphRun {
  std::string problem;  // the file's name without folder and extension
  std::string solver;   // "curvature-lm", "ceres-lm"
  int threads = 1;
  int poses = 0;
  int edges = 0;
  // Both costs are 1/2 sum e^T Omega e computed by pose_graph_cost() from
  // the poses before and after the solve, the same function for both
  // libraries.
  double initial_cost = 0.0;
  double final_cost = 0.0;
  int iterations = 0;        // accepted and rejected, without the starting point
  double time_s = 0.0;       // the solve call alone, wall clock
  double cpu_s = 0.0;        // the same call's CPU time, user + system, summed over its threads
  std::string status;        // the solver's termination reason
  double peak_rss_mb = 0.0;  // filled in by the command, which measures it
};

// Times one call: wall clock, and the CPU time of the whole process (which
// runs nothing else meanwhile). On a machine shared with other work, the CPU
// time is the steadier figure; the wall clock is what a user waits.
class SolveClock {
 public:
  SolveClock() : wall_(std::chrono::steady_clock::now()), cpu_(process_cpu_seconds()) {}
  void stop(PoseGraphRun* run) const {
    run->time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
    run->cpu_s = process_cpu_seconds() - cpu_;
  }

 private:
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

}  // namespace curvature::bench
