// Micro-benchmarks of the first-order update rules on large parameter
// vectors: one Adam step on 1e4 parameters (the state fits in L2) and on 1e6
// (32 MB of x, g, m and v: bound by memory bandwidth), with SGD and
// momentum on the same sizes as the floor a fused single-pass step is
// measured against. Bytes processed count x, g and each state vector read
// once and written once (g only read).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "curvature/first_order.h"

namespace curvature {
namespace {

constexpr double kMinTimeSeconds = 0.2;

template <typename Rule>
void bench_step(benchmark::State& state, Rule rule, int state_vectors) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<double> x(n), g(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = std::sin(0.001 * static_cast<double>(i));
    g[i] = std::cos(0.003 * static_cast<double>(i));
  }
  rule.step(x, g, 1e-3);  // allocate the state outside the timed loop
  for (auto _ : state) {
    rule.step(x, g, 1e-3);
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  const std::int64_t bytes_per_step = static_cast<std::int64_t>(n * sizeof(double)) * (3 + 2 * state_vectors);
  state.SetBytesProcessed(state.iterations() * bytes_per_step);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void BM_AdamStep(benchmark::State& state) { bench_step(state, Adam(), 2); }
void BM_SgdStep(benchmark::State& state) { bench_step(state, Sgd(), 0); }
void BM_MomentumStep(benchmark::State& state) { bench_step(state, Momentum(), 1); }
void BM_AnyUpdateRuleAdamStep(benchmark::State& state) {
  bench_step(state, make_update_rule(UpdateRuleOptions{}), 2);  // the default type is Adam
}

BENCHMARK(BM_AdamStep)->Arg(10000)->Arg(1000000)->MinTime(kMinTimeSeconds);
BENCHMARK(BM_AnyUpdateRuleAdamStep)->Arg(10000)->Arg(1000000)->MinTime(kMinTimeSeconds);
BENCHMARK(BM_SgdStep)->Arg(10000)->Arg(1000000)->MinTime(kMinTimeSeconds);
BENCHMARK(BM_MomentumStep)->Arg(10000)->Arg(1000000)->MinTime(kMinTimeSeconds);

}  // namespace
}  // namespace curvature

BENCHMARK_MAIN();
