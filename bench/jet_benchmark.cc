// Micro-benchmarks of Jet arithmetic: the inner loop of every
// AutoDiffCostFunction. Three expressions in three variables x, y, z,
//   arithmetic      (x y + z) / (x - y z + 3) x
//   transcendental  exp(-x y) sin(z) + log(1 + x^2) + sqrt(y^2 + z^2)
//   horner          a degree-8 polynomial in x with jet coefficients y, z
// each with Jet<double, 3> (one derivative per variable), Jet<double, 9>
// (the same expressions inside a 9-parameter cost function) and dynamic jets
// of 3 and 9 derivatives (one heap vector per temporary), against plain
// doubles as the floor.
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <type_traits>

#include "curvature/jet.h"

namespace curvature {
namespace {

constexpr double kMinTimeSeconds = 0.05;
constexpr std::array<double, 3> kValues = {0.7, -1.3, 2.1};

template <typename T>
T arithmetic(const T& x, const T& y, const T& z) {
  return (x * y + z) / (x - y * z + 3.0) * x;
}

template <typename T>
T transcendental(const T& x, const T& y, const T& z) {
  using std::exp, std::log, std::sin, std::sqrt;
  return exp(-x * y) * sin(z) + log(1.0 + x * x) + sqrt(y * y + z * z);
}

template <typename T>
T horner(const T& x, const T& y, const T& z) {
  T p = y;
  for (int k = 0; k < 8; ++k) p = p * x + (k % 2 == 0 ? z : y);
  return p;
}

template <typename J>
constexpr bool kIsDynamic = std::is_same_v<J, Jet<double, kDynamic>>;

// x, y, z as independent variables 0, 1, 2 of `size` derivatives (the rest
// stay zero, as for the other parameters of a larger cost function).
template <typename J>
std::array<J, 3> make_variables(int size) {
  std::array<J, 3> variables;
  for (int k = 0; k < 3; ++k) {
    if constexpr (std::is_same_v<J, double>) {
      variables[k] = kValues[k];
    } else if constexpr (kIsDynamic<J>) {
      variables[k] = J(kValues[k], size, k);
    } else {
      variables[k] = J(kValues[k], k);
    }
  }
  return variables;
}

// Argument (dynamic jets only): the number of derivatives.
template <typename J, J (*kExpression)(const J&, const J&, const J&)>
void BM_Jet(benchmark::State& state) {
  int size = 0;
  if constexpr (kIsDynamic<J>) size = static_cast<int>(state.range(0));
  std::array<J, 3> variables = make_variables<J>(size);
  for (auto _ : state) {
    // Through memory each time, so the compiler cannot fold the expression.
    benchmark::DoNotOptimize(variables);
    J result = kExpression(variables[0], variables[1], variables[2]);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

using J3 = Jet<double, 3>;
using J9 = Jet<double, 9>;
using JD = Jet<double, kDynamic>;

// Registers one expression for every scalar type.
#define CURVATURE_JET_BENCHMARKS(expression)                                                                  \
  BENCHMARK(BM_Jet<double, expression<double>>)->Name("BM_" #expression "/double")->MinTime(kMinTimeSeconds); \
  BENCHMARK(BM_Jet<J3, expression<J3>>)->Name("BM_" #expression "/Jet3")->MinTime(kMinTimeSeconds);           \
  BENCHMARK(BM_Jet<J9, expression<J9>>)->Name("BM_" #expression "/Jet9")->MinTime(kMinTimeSeconds);           \
  BENCHMARK(BM_Jet<JD, expression<JD>>)                                                                       \
      ->Name("BM_" #expression "/JetDynamic")                                                                 \
      ->ArgName("derivatives")                                                                                \
      ->Arg(3)                                                                                                \
      ->Arg(9)                                                                                                \
      ->MinTime(kMinTimeSeconds)

CURVATURE_JET_BENCHMARKS(arithmetic);
CURVATURE_JET_BENCHMARKS(transcendental);
CURVATURE_JET_BENCHMARKS(horner);

#undef CURVATURE_JET_BENCHMARKS

}  // namespace
}  // namespace curvature

BENCHMARK_MAIN();
