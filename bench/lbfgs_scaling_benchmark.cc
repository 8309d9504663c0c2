// How L-BFGS's time per iteration grows with n: extended Rosenbrock
// (Moré–Garbow–Hillstrom problem 21) at n = 10^3 .. 10^6, a fixed number of
// iterations (tolerances 0, so every run does them all unless the line search
// gives up), memory 10, strong Wolfe line search, one thread.
//
//   Curvature/Objective  minimize() on a hand-written Objective: f and g in
//                        one loop over the pairs, no residual blocks;
//   Curvature/Residuals  minimize(options, Problem*) on add_mgh_residuals():
//                        n/2 autodiff residual blocks of 2 x 2 through
//                        curvature's least-squares objective;
//   Ceres/Objective      ceres::GradientProblemSolver (LBFGS, rank 10) on a
//                        ceres::FirstOrderFunction computing the same f and g;
//   Ceres/Residuals      ceres::Solve with minimizer_type LINE_SEARCH (LBFGS,
//                        rank 10) on a ceres::Problem of the same n/2
//                        AutoDiffCostFunction<mgh::Rosenbrock, 2, 2> blocks.
// The Ceres benchmarks exist when Ceres is found (CURVATURE_WITH_CERES).
//
// f = 1/2 sum_i r_i^2 on both sides (curvature's cost convention, and Ceres's),
// from 10 x0 = (-12, 10, -12, 10, ...): the pairs are independent, so L-BFGS
// follows the 2-D Rosenbrock path, which from 10 x0 needs about 60
// iterations — all 50 measured ones are real progress.
//
// Reported: the time of the whole minimize()/Solve call (setting up the
// problem is outside it; Ceres::Solve's own preprocessing is inside), and the
// counters us_per_iter = that time / iterations done, minimizer_us_per_iter
// for the residual-block variants (see report()), iters, and evals_per_iter
// (evaluations of f, with or without the gradient, per iteration: a
// line-search statistic that differs between the libraries). The growth rate
// is the slope of log(us_per_iter) against log(n), fitted from the output of
// --benchmark_format=json.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <chrono>
#include <vector>

#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/objective.h"
#include "curvature/problem.h"
#include "mgh.h"
#include "mgh_models.h"
#ifdef CURVATURE_WITH_CERES
#include <ceres/ceres.h>
#include <glog/logging.h>

#include <memory>
#endif

namespace curvature {
namespace {

constexpr int kIterations = 50;
constexpr int kMemory = 10;
constexpr double kStartScale = 10.0;

// f = 1/2 sum over pairs of (10 (x2 - x1^2))^2 + (1 - x1)^2, and its
// gradient when `gradient` is not null; n even.
double extended_rosenbrock(const double* x, int n, double* gradient) {
  double f = 0.0;
  for (int i = 0; i < n; i += 2) {
    const double r1 = 10.0 * (x[i + 1] - x[i] * x[i]);
    const double r2 = 1.0 - x[i];
    f += r1 * r1 + r2 * r2;
    if (gradient != nullptr) {
      gradient[i] = -20.0 * x[i] * r1 - r2;
      gradient[i + 1] = 10.0 * r1;
    }
  }
  return 0.5 * f;
}

std::vector<double> start_point(int n) { return mgh_start(make_extended_rosenbrock(n), kStartScale); }

class ExtendedRosenbrockObjective : public Objective {
 public:
  explicit ExtendedRosenbrockObjective(int n) : n_(n) {}
  int num_parameters() const override { return n_; }
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override {
    if (gradient != nullptr) gradient->resize(n_);
    *value = extended_rosenbrock(x.data(), n_, gradient != nullptr ? gradient->data() : nullptr);
    return true;
  }
  const char* name() const override { return "extended rosenbrock"; }

 private:
  int n_;
};

MinimizeOptions lbfgs_options() {
  MinimizeOptions options;
  options.method = MinimizerMethod::kLbfgs;
  options.lbfgs_memory = kMemory;
  options.max_iterations = kIterations;
  options.function_tolerance = 0.0;
  options.gradient_tolerance = 0.0;
  options.parameter_tolerance = 0.0;
  return options;
}

double seconds_since(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

// minimizer_seconds: the time the library itself reports for its iterations
// (curvature's Summary::total_time_s, Ceres's minimizer_time_in_seconds),
// which leaves out building the evaluation layout from the residual blocks;
// negative when not reported.
void report(benchmark::State& state, double seconds, long iterations, long evaluations,
            double minimizer_seconds = -1.0) {
  state.counters["us_per_iter"] = benchmark::Counter(1e6 * seconds / static_cast<double>(iterations));
  if (minimizer_seconds >= 0.0) {
    state.counters["minimizer_us_per_iter"] =
        benchmark::Counter(1e6 * minimizer_seconds / static_cast<double>(iterations));
  }
  state.counters["iters"] = benchmark::Counter(static_cast<double>(iterations), benchmark::Counter::kAvgIterations);
  state.counters["evals_per_iter"] =
      benchmark::Counter(static_cast<double>(evaluations) / static_cast<double>(iterations));
}

void BM_CurvatureLbfgsObjective(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::vector<double> start = start_point(n);
  ExtendedRosenbrockObjective objective(n);
  const MinimizeOptions options = lbfgs_options();
  double seconds = 0.0;
  long iterations = 0, evaluations = 0;
  for (auto _ : state) {
    Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(start.data(), n);
    const auto begin = std::chrono::steady_clock::now();
    const Summary summary = minimize(options, objective, &x);
    const double elapsed = seconds_since(begin);
    state.SetIterationTime(elapsed);
    seconds += elapsed;
    iterations += summary.iterations;
    evaluations += summary.residual_evaluations;
  }
  report(state, seconds, iterations, evaluations);
}

void BM_CurvatureLbfgsResiduals(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const MghProblem rosenbrock = make_extended_rosenbrock(n);
  const std::vector<double> start = start_point(n);
  std::vector<double> x = start;
  Problem problem;
  add_mgh_residuals(rosenbrock, &problem, x.data());
  const MinimizeOptions options = lbfgs_options();
  double seconds = 0.0, minimizer_seconds = 0.0;
  long iterations = 0, evaluations = 0;
  for (auto _ : state) {
    std::copy(start.begin(), start.end(), x.begin());  // in place: the blocks point into x
    const auto begin = std::chrono::steady_clock::now();
    const Summary summary = minimize(options, &problem);
    const double elapsed = seconds_since(begin);
    state.SetIterationTime(elapsed);
    seconds += elapsed;
    iterations += summary.iterations;
    evaluations += summary.residual_evaluations;
    minimizer_seconds += summary.total_time_s;
  }
  report(state, seconds, iterations, evaluations, minimizer_seconds);
}

#ifdef CURVATURE_WITH_CERES

class CeresExtendedRosenbrock : public ceres::FirstOrderFunction {
 public:
  explicit CeresExtendedRosenbrock(int n) : n_(n) {}
  bool Evaluate(const double* parameters, double* cost, double* gradient) const override {
    *cost = extended_rosenbrock(parameters, n_, gradient);
    return true;
  }
  int NumParameters() const override { return n_; }

 private:
  int n_;
};

void BM_CeresLbfgsObjective(benchmark::State& state) {
  FLAGS_minloglevel = google::GLOG_ERROR;
  const int n = static_cast<int>(state.range(0));
  const std::vector<double> start = start_point(n);
  ceres::GradientProblem problem(new CeresExtendedRosenbrock(n));
  ceres::GradientProblemSolver::Options options;
  options.line_search_direction_type = ceres::LBFGS;
  options.max_lbfgs_rank = kMemory;
  options.max_num_iterations = kIterations;
  options.function_tolerance = 0.0;
  options.gradient_tolerance = 0.0;
  options.parameter_tolerance = 0.0;
  options.logging_type = ceres::SILENT;
  double seconds = 0.0;
  long iterations = 0, evaluations = 0;
  for (auto _ : state) {
    std::vector<double> x = start;
    ceres::GradientProblemSolver::Summary summary;
    const auto begin = std::chrono::steady_clock::now();
    ceres::Solve(options, problem, x.data(), &summary);
    const double elapsed = seconds_since(begin);
    state.SetIterationTime(elapsed);
    seconds += elapsed;
    iterations += static_cast<long>(summary.iterations.size()) - 1;
    evaluations += summary.num_cost_evaluations + summary.num_gradient_evaluations;
  }
  report(state, seconds, iterations, evaluations);
}

void BM_CeresLbfgsResiduals(benchmark::State& state) {
  FLAGS_minloglevel = google::GLOG_ERROR;
  const int n = static_cast<int>(state.range(0));
  const std::vector<double> start = start_point(n);
  std::vector<double> x = start;
  // One cost function for all pairs, owned here.
  auto cost = std::make_unique<ceres::AutoDiffCostFunction<mgh::Rosenbrock, 2, 2>>(new mgh::Rosenbrock);
  ceres::Problem::Options problem_options;
  problem_options.cost_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  ceres::Problem problem(problem_options);
  for (int i = 0; i < n; i += 2) problem.AddResidualBlock(cost.get(), nullptr, x.data() + i);
  ceres::Solver::Options options;
  options.minimizer_type = ceres::LINE_SEARCH;
  options.line_search_direction_type = ceres::LBFGS;
  options.max_lbfgs_rank = kMemory;
  options.max_num_iterations = kIterations;
  options.function_tolerance = 0.0;
  options.gradient_tolerance = 0.0;
  options.parameter_tolerance = 0.0;
  options.num_threads = 1;
  options.logging_type = ceres::SILENT;
  double seconds = 0.0, minimizer_seconds = 0.0;
  long iterations = 0, evaluations = 0;
  for (auto _ : state) {
    std::copy(start.begin(), start.end(), x.begin());  // in place: the blocks point into x
    ceres::Solver::Summary summary;
    const auto begin = std::chrono::steady_clock::now();
    ceres::Solve(options, &problem, &summary);
    const double elapsed = seconds_since(begin);
    state.SetIterationTime(elapsed);
    seconds += elapsed;
    iterations += static_cast<long>(summary.iterations.size()) - 1;
    evaluations += summary.num_residual_evaluations + summary.num_jacobian_evaluations;
    minimizer_seconds += summary.minimizer_time_in_seconds;
  }
  report(state, seconds, iterations, evaluations, minimizer_seconds);
}

#endif  // CURVATURE_WITH_CERES

void sizes(benchmark::internal::Benchmark* benchmark) {
  benchmark->RangeMultiplier(10)->Range(1000, 1000000)->UseManualTime()->Unit(benchmark::kMillisecond);
  benchmark->MinTime(0.2);
}

BENCHMARK(BM_CurvatureLbfgsObjective)->Apply(sizes);
BENCHMARK(BM_CurvatureLbfgsResiduals)->Apply(sizes);
#ifdef CURVATURE_WITH_CERES
BENCHMARK(BM_CeresLbfgsObjective)->Apply(sizes);
BENCHMARK(BM_CeresLbfgsResiduals)->Apply(sizes);
#endif

}  // namespace
}  // namespace curvature

BENCHMARK_MAIN();
