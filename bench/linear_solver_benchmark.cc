// Micro-benchmarks for the damped least-squares solvers: forming J^T J, and
// each solver's prepare() + solve() at a NIST-like size, a mid-size dense
// size and a large banded sparse size.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <random>
#include <vector>

#include "linear_solver.h"

namespace curvature::internal {
namespace {

Eigen::MatrixXd random_dense(int m, int n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  Eigen::MatrixXd j(m, n);
  for (int c = 0; c < n; ++c) {
    for (int r = 0; r < m; ++r) j(r, c) = uniform(rng);
  }
  return j;
}

// 2n rows with three entries each in a band: a diagonally dominant upper
// block and a lower block coupling neighbours (a discretized smoothness
// term), the shape of curve and image fitting problems.
SparseRowMatrix banded_sparse(int n) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<Eigen::Triplet<double>> triplets;
  for (int i = 0; i < n; ++i) {
    triplets.emplace_back(i, i, 3.0 + uniform(rng));
    if (i + 1 < n) triplets.emplace_back(i, i + 1, uniform(rng));
    if (i + 2 < n) triplets.emplace_back(i, i + 2, uniform(rng));
    if (i > 0) triplets.emplace_back(n + i, i - 1, uniform(rng));
    triplets.emplace_back(n + i, i, uniform(rng));
    if (i + 1 < n) triplets.emplace_back(n + i, i + 1, uniform(rng));
  }
  SparseRowMatrix j(2 * n, n);
  j.setFromTriplets(triplets.begin(), triplets.end());
  j.makeCompressed();
  return j;
}

Eigen::VectorXd random_residuals(Eigen::Index m) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  Eigen::VectorXd r(m);
  for (Eigen::Index i = 0; i < m; ++i) r[i] = uniform(rng);
  return r;
}

void BM_FormNormalEquationsDense(benchmark::State& state) {
  const Eigen::MatrixXd j = random_dense(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  Eigen::MatrixXd jtj(j.cols(), j.cols());
  for (auto _ : state) {
    jtj.setZero();
    jtj.selfadjointView<Eigen::Lower>().rankUpdate(j.transpose());
    benchmark::DoNotOptimize(jtj.data());
  }
}
BENCHMARK(BM_FormNormalEquationsDense)->Args({200, 9})->Args({2000, 200});

// One trust-region iteration's worth: prepare() then three solves with
// growing damping, as after two rejected steps.
void run_dense(benchmark::State& state, LinearSolverType type) {
  const Eigen::MatrixXd j = random_dense(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const Eigen::VectorXd r = random_residuals(j.rows());
  const Eigen::VectorXd diag = j.colwise().norm().transpose();
  LinearSolverOptions options;
  options.type = type;
  auto solver = make_linear_solver(options);
  Eigen::VectorXd dx(j.cols());
  for (auto _ : state) {
    solver->prepare(JacobianRef{.dense = &j}, r);
    for (double lambda : {1e-3, 1e-2, 1e-1}) {
      const LinearSolverResult result = solver->solve(std::sqrt(lambda) * diag, &dx);
      if (!result.success) state.SkipWithError(result.message.c_str());
    }
    benchmark::DoNotOptimize(dx.data());
  }
}

void BM_DenseNormalCholesky(benchmark::State& state) { run_dense(state, LinearSolverType::kDenseNormalCholesky); }
void BM_DenseQr(benchmark::State& state) { run_dense(state, LinearSolverType::kDenseQr); }
void BM_CgnrDense(benchmark::State& state) { run_dense(state, LinearSolverType::kCgnr); }
BENCHMARK(BM_DenseNormalCholesky)->Args({200, 9})->Args({2000, 200});
BENCHMARK(BM_DenseQr)->Args({200, 9})->Args({2000, 200});
BENCHMARK(BM_CgnrDense)->Args({200, 9})->Args({2000, 200});

// The per-solve cost alone at NIST size, where allocation would show.
void BM_DenseNormalCholeskySolveOnly(benchmark::State& state) {
  const Eigen::MatrixXd j = random_dense(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const Eigen::VectorXd r = random_residuals(j.rows());
  const Eigen::VectorXd d = 0.1 * j.colwise().norm().transpose();
  auto solver = make_linear_solver(LinearSolverOptions{.type = LinearSolverType::kDenseNormalCholesky});
  solver->prepare(JacobianRef{.dense = &j}, r);
  Eigen::VectorXd dx(j.cols());
  for (auto _ : state) {
    solver->solve(d, &dx);
    benchmark::DoNotOptimize(dx.data());
  }
}
BENCHMARK(BM_DenseNormalCholeskySolveOnly)->Args({14, 2})->Args({200, 9});

void run_sparse(benchmark::State& state, LinearSolverType type) {
  const SparseRowMatrix j = banded_sparse(static_cast<int>(state.range(0)));
  const Eigen::VectorXd r = random_residuals(j.rows());
  const Eigen::VectorXd diag = (Eigen::RowVectorXd::Ones(j.rows()) * j.cwiseAbs2()).transpose();
  LinearSolverOptions options;
  options.type = type;
  auto solver = make_linear_solver(options);
  Eigen::VectorXd dx(j.cols());
  // The first prepare() pays for the symbolic analysis; the loop
  // measures the iterations after it.
  solver->prepare(JacobianRef{.sparse = &j}, r);
  for (auto _ : state) {
    solver->prepare(JacobianRef{.sparse = &j}, r);
    for (double lambda : {1e-3, 1e-2, 1e-1}) {
      const LinearSolverResult result = solver->solve((lambda * diag).cwiseSqrt(), &dx);
      if (!result.success) state.SkipWithError(result.message.c_str());
    }
    benchmark::DoNotOptimize(dx.data());
  }
}

void BM_SparseNormalCholesky(benchmark::State& state) { run_sparse(state, LinearSolverType::kSparseNormalCholesky); }
void BM_SparseQr(benchmark::State& state) { run_sparse(state, LinearSolverType::kSparseQr); }
void BM_CgnrSparse(benchmark::State& state) { run_sparse(state, LinearSolverType::kCgnr); }
BENCHMARK(BM_SparseNormalCholesky)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SparseQr)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CgnrSparse)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// 3n rows with k nonzeros each at random columns (n, k): J^T J fills in,
// which separates a supernodal sparse factorization (CHOLMOD) from a
// simplicial one (Eigen's, in a build without SuiteSparse). The region of
// the automatic choice between dense and sparse normal Cholesky; the same
// Jacobian for both, in the storage each takes. CPU time, so that a loaded
// machine does not blur the comparison.
void run_random_sparse(benchmark::State& state, LinearSolverType type) {
  const int n = static_cast<int>(state.range(0));
  const int per_row = static_cast<int>(state.range(1));
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> column(0, n - 1);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<Eigen::Triplet<double>> triplets;
  for (int row = 0; row < 3 * n; ++row) {
    for (int k = 0; k < per_row; ++k) triplets.emplace_back(row, column(rng), uniform(rng));
  }
  SparseRowMatrix sparse(3 * n, n);
  sparse.setFromTriplets(triplets.begin(), triplets.end());
  sparse.makeCompressed();
  const Eigen::MatrixXd dense(sparse);
  const JacobianRef j =
      type == LinearSolverType::kDenseNormalCholesky ? JacobianRef{.dense = &dense} : JacobianRef{.sparse = &sparse};
  const Eigen::VectorXd r = random_residuals(sparse.rows());
  LinearSolverOptions options;
  options.type = type;
  auto solver = make_linear_solver(options);
  Eigen::VectorXd dx(n);
  solver->prepare(j, r);
  for (auto _ : state) {
    solver->prepare(j, r);
    for (double lambda : {1e-3, 1e-2, 1e-1}) {
      const LinearSolverResult result = solver->solve(Eigen::VectorXd::Constant(n, lambda), &dx);
      if (!result.success) state.SkipWithError(result.message.c_str());
    }
    benchmark::DoNotOptimize(dx.data());
  }
  state.SetLabel(type == LinearSolverType::kDenseNormalCholesky ? "dense" : linear_solver_backend(type));
}

void BM_RandomSparseDenseNormalCholesky(benchmark::State& state) {
  run_random_sparse(state, LinearSolverType::kDenseNormalCholesky);
}
void BM_RandomSparseSparseNormalCholesky(benchmark::State& state) {
  run_random_sparse(state, LinearSolverType::kSparseNormalCholesky);
}
BENCHMARK(BM_RandomSparseDenseNormalCholesky)
    ->ArgsProduct({{500, 1000, 2000}, {3, 5, 10}})
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RandomSparseSparseNormalCholesky)
    ->ArgsProduct({{500, 1000, 2000}, {3, 5, 10}})
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace curvature::internal

BENCHMARK_MAIN();
