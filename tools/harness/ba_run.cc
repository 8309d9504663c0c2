#include "ba_run.h"

#include <chrono>
#include <utility>

#include "curvature/solve.h"
#include "peak_memory.h"
#include "process_cpu_time.h"

namespace curvature::bench {

BaRun describe_ba_run(const BalScene& scene, const std::string& problem_name, int threads, std::string solver,
                      std::string linear_solver) {
  BaRun run;
  run.problem = problem_name;
  run.cameras = scene.num_cameras;
  run.points = scene.num_points;
  run.observations = scene.num_observations();
  run.threads = threads;
  run.solver = std::move(solver);
  run.linear_solver = std::move(linear_solver);
  return run;
}

BaRun run_curvature_ba(const BalScene& scene, const std::string& problem_name, const std::string& linear_solver,
                       const BaRunOptions& options) {
  BalScene copy = scene;
  SolverOptions solver;
  solver.method = Method::kLevenbergMarquardt;
  solver.linear_solver = parse_linear_solver(linear_solver);
  solver.num_threads = options.threads;
  solver.max_iterations = options.max_iterations;
  solver.function_tolerance = options.function_tolerance;
  solver.gradient_tolerance = options.gradient_tolerance;
  solver.parameter_tolerance = options.parameter_tolerance;

  const PeakMemory memory;
  Summary summary;
  double time_s = 0.0, cpu_s = 0.0;
  {
    Problem problem;
    add_bal_residuals(&copy, &problem, options.problem);
    const auto begin = std::chrono::steady_clock::now();
    const double cpu_begin = process_cpu_seconds();
    summary = solve(solver, &problem);
    cpu_s = process_cpu_seconds() - cpu_begin;
    time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }
  BaRun run = describe_ba_run(scene, problem_name, options.threads, "curvature-lm", summary.linear_solver);
  run.time_s = time_s;
  run.cpu_s = cpu_s;
  run.peak_memory_bytes = memory.bytes();
  run.initial_cost = summary.initial_cost;
  run.final_cost = summary.final_cost;
  run.iterations = summary.iterations;
  run.evaluation_time_s = summary.evaluation_time_s;
  run.linear_solver_time_s = summary.linear_solver_time_s;
  run.linear_solver_iterations = summary.linear_solver_iterations;
  run.status = to_string(summary.termination);
  return run;
}

}  // namespace curvature::bench
