// Micro-benchmarks of whole NIST StRD solves (Levenberg-Marquardt, the
// options of `curv bench nist`): what a small dense solve costs per solve and
// per iteration, set-up and bookkeeping included. The cases:
//
//   * MGH10 from start 1: 3 parameters, 16 residual blocks, 1018 iterations;
//     the per-iteration cost of the loop (evaluations, the 3 x 3 linear
//     solves, geodesic acceleration, the trace);
//   * DanWood from start 2 and Misra1a from start 2: 2 parameters, 6 and 14
//     residual blocks, 6 and 9 iterations; mostly the per-solve cost;
//   * Gauss1 from start 2: 8 parameters, 250 residual blocks, 8 iterations;
//     evaluation-bound.
//
// Counter: LM iterations per solve (the CPU time over it is the cost per
// iteration).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "curvature/solve.h"
#include "nist.h"
#include "nist_problem.h"

namespace curvature {
namespace {

// Built in place (the Problem points into `parameters`), never moved.
struct NistCase {
  NistCase(const std::string& name, int start_index)
      : data(load_nist_problem_by_name(name)), start(start_index == 1 ? data.start1 : data.start2), parameters(start) {
    add_nist_residuals(data, &problem, parameters.data());
  }
  NistProblem data;
  std::vector<double> start;
  std::vector<double> parameters;
  Problem problem;
};

void solve_nist(benchmark::State& state, const char* name, int start) {
  NistCase instance(name, start);
  SolverOptions options;
  options.max_iterations = 10000;  // as `curv bench nist`
  int iterations = 0;
  for (auto _ : state) {
    instance.parameters = instance.start;
    const Summary summary = solve(options, &instance.problem);
    iterations = summary.iterations;
    benchmark::DoNotOptimize(summary.final_cost);
  }
  state.counters["iterations"] = iterations;
}

BENCHMARK_CAPTURE(solve_nist, MGH10_start1, "MGH10", 1)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(solve_nist, MGH10_start2, "MGH10", 2)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(solve_nist, DanWood_start2, "DanWood", 2)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(solve_nist, Misra1a_start2, "Misra1a", 2)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(solve_nist, Gauss1_start2, "Gauss1", 2)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace curvature

BENCHMARK_MAIN();
