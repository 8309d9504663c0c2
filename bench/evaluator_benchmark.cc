// Micro-benchmarks of residual and Jacobian evaluation: cost, residuals and
// Jacobian at once, as every accepted Levenberg-Marquardt step needs them.
//
//   * a NIST StRD problem (Gauss1: 250 autodiff residual blocks over one
//     block of 8 parameters, dense Jacobian), and
//   * the image-denoising problem (128 x 128: 16,384 one-pixel blocks,
//     49,024 hand-written residual blocks, 32,512 of them with a robust
//     loss, sparse Jacobian) at 1 and 2 threads.
//
// Each is measured twice: through Problem::evaluate(), which builds the
// evaluation layout (and the sparse pattern) on every call, and through the
// library's internal Evaluator, built once, which is what a solve pays per
// iteration. The difference is the per-call set-up cost of the public API.
// Items processed are residual blocks.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <vector>

#include "curvature/problem.h"
#include "evaluator.h"
#include "image_denoising.h"
#include "nist.h"
#include "nist_problem.h"

namespace curvature {
namespace {

// Keeps each benchmark short: the binary runs in about a second.
constexpr double kMinTimeSeconds = 0.05;
constexpr int kDenoisingSize = 128;

// Gauss1 at its second starting point. The Problem points into `parameters`,
// so instances are built in place and never moved.
struct NistInstance {
  NistInstance() : data(load_nist_problem_by_name("Gauss1")), parameters(data.start2) {
    add_nist_residuals(data, &problem, parameters.data());
  }
  NistProblem data;
  std::vector<double> parameters;
  Problem problem;
};

// The noisy start has every smoothness residual away from zero, so the
// losses do real work. The Problem points into image.solution.
struct DenoisingInstance {
  DenoisingInstance() : image(make_synthetic_denoising_problem(kDenoisingSize, kDenoisingSize)) {
    build_denoising_problem(image, &problem);
  }
  ImageDenoisingProblem image;
  Problem problem;
};

// Built on first use, shared by the benchmarks of each problem.
NistInstance& nist_instance() {
  static NistInstance instance;
  return instance;
}

DenoisingInstance& denoising_instance() {
  static DenoisingInstance instance;
  return instance;
}

void BM_ProblemEvaluateNistGauss1Dense(benchmark::State& state) {
  const Problem& problem = nist_instance().problem;
  double cost = 0.0;
  Eigen::VectorXd residuals;
  Eigen::MatrixXd jacobian;
  for (auto _ : state) {
    if (!problem.evaluate({}, &cost, &residuals, nullptr, &jacobian, nullptr)) state.SkipWithError("evaluate failed");
    benchmark::DoNotOptimize(jacobian.data());
  }
  state.SetItemsProcessed(state.iterations() * problem.num_residual_blocks());
}
BENCHMARK(BM_ProblemEvaluateNistGauss1Dense)->MinTime(kMinTimeSeconds)->Unit(benchmark::kMicrosecond);

void BM_EvaluatorNistGauss1Dense(benchmark::State& state) {
  const Problem& problem = nist_instance().problem;
  internal::Evaluator evaluator(problem, {});
  const Eigen::VectorXd x = evaluator.gather_parameters();
  double cost = 0.0;
  Eigen::VectorXd residuals(evaluator.num_residuals());
  Eigen::MatrixXd jacobian(evaluator.num_residuals(), evaluator.num_parameters());
  internal::EvaluationRequest request;
  request.residuals = &residuals;
  request.dense_jacobian = &jacobian;
  for (auto _ : state) {
    if (!evaluator.evaluate(x, &cost, request).ok) state.SkipWithError("evaluate failed");
    benchmark::DoNotOptimize(jacobian.data());
  }
  state.SetItemsProcessed(state.iterations() * problem.num_residual_blocks());
}
BENCHMARK(BM_EvaluatorNistGauss1Dense)->MinTime(kMinTimeSeconds)->Unit(benchmark::kMicrosecond);

// Argument: threads.
void BM_ProblemEvaluateDenoisingSparse(benchmark::State& state) {
  const Problem& problem = denoising_instance().problem;
  Problem::EvaluateOptions options;
  options.num_threads = static_cast<int>(state.range(0));
  double cost = 0.0;
  Eigen::VectorXd residuals;
  SparseRowMatrix jacobian;
  for (auto _ : state) {
    if (!problem.evaluate(options, &cost, &residuals, nullptr, nullptr, &jacobian)) {
      state.SkipWithError("evaluate failed");
    }
    benchmark::DoNotOptimize(jacobian.valuePtr());
  }
  state.SetItemsProcessed(state.iterations() * problem.num_residual_blocks());
}
BENCHMARK(BM_ProblemEvaluateDenoisingSparse)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->MinTime(kMinTimeSeconds)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Argument: threads.
void BM_EvaluatorDenoisingSparse(benchmark::State& state) {
  const Problem& problem = denoising_instance().problem;
  internal::Evaluator::Options options;
  options.num_threads = static_cast<int>(state.range(0));
  options.sparse = true;
  internal::Evaluator evaluator(problem, options);
  const Eigen::VectorXd x = evaluator.gather_parameters();
  double cost = 0.0;
  Eigen::VectorXd residuals(evaluator.num_residuals());
  SparseRowMatrix jacobian = evaluator.make_sparse_jacobian();
  internal::EvaluationRequest request;
  request.residuals = &residuals;
  request.sparse_jacobian = &jacobian;
  for (auto _ : state) {
    if (!evaluator.evaluate(x, &cost, request).ok) state.SkipWithError("evaluate failed");
    benchmark::DoNotOptimize(jacobian.valuePtr());
  }
  state.SetItemsProcessed(state.iterations() * problem.num_residual_blocks());
}
BENCHMARK(BM_EvaluatorDenoisingSparse)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->MinTime(kMinTimeSeconds)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace curvature

BENCHMARK_MAIN();
