#include "linear_solver.h"

#include <string>

#include "cgnr.h"
#include "curvature/error.h"
#include "dense_normal_cholesky.h"
#include "dense_qr.h"
#include "memory_estimate.h"
#include "problem_impl.h"
#include "schur/elimination_ordering.h"
#include "schur/implicit_schur_solver.h"
#include "schur/schur_complement.h"
#include "sparse_normal_cholesky.h"
#include "sparse_qr.h"

namespace curvature::internal {
namespace {

// The kAuto rule. Dense normal Cholesky costs m n^2 / 2 flops to form J^T J
// plus n^3 / 3 per factorization whatever the sparsity, and needs m n doubles
// for a dense Jacobian; sparse Cholesky costs about sum_i nnz(row_i)^2 / 2 to
// form J^T J plus a factorization that depends on the fill. So dense wins
// while n is small enough for n^3 to be cheap and either the Jacobian is not
// very sparse or n is so small that nothing matters; beyond that, or when a
// dense Jacobian would not fit comfortably in memory, sparse. A Jacobian that
// is mostly nonzeros (a neural network's: every residual depends on most
// weights) gains nothing from sparse storage, only overhead, so it stays dense
// up to a few thousand columns.
//
// Without a supernodal sparse factorization (Eigen's SimplicialLDLT, in a
// build without SuiteSparse) a J^T J that fills in is factored entry by
// entry: on random Jacobians with 3n rows and 5 nonzeros per row a
// prepare() and 3 solves took 0.18 s at n = 1000 against 0.09 s for dense
// normal Cholesky and 0.06 s for CHOLMOD, and 2.0 s against 0.7 s and
// 0.25 s at n = 2000 (bench/linear_solver_benchmark, RandomSparse; README).
// Density cannot tell fill-heavy patterns from banded ones, where the
// simplicial factorization matches CHOLMOD, so dense is kept down to a lower
// density only up to kMaxDenseColumns, where its cost is bounded and small;
// beyond that sparse stays the pick.
constexpr Eigen::Index kMaxDenseColumns = 1000;
constexpr Eigen::Index kMaxDenseColumnsWhenDense = 5000;
constexpr double kMostlyDenseDensity = 0.5;
constexpr Eigen::Index kAlwaysDenseColumns = 100;
constexpr double kMinDenseDensity = 0.05;
constexpr double kMinDenseDensityWithoutSupernodes = 0.005;
constexpr double kMaxDenseJacobianBytes = 256.0 * 1024 * 1024;

// The Schur solvers pay when eliminating the independent set leaves few
// coordinates in the reduced system: bundle adjustment keeps 1-2% (cameras
// against points), a chain of poses about half, a network all but one
// block. Up to kMaxDenseSchurColumns kept coordinates S is factored dense
// (ladybug-49's 441 take well under a millisecond), beyond that sparse.
constexpr double kMaxSchurKeptFraction = 0.1;
constexpr int kMaxDenseSchurColumns = 1000;

}  // namespace

LinearSolverType choose_linear_solver(Eigen::Index rows, Eigen::Index cols, double jacobian_density) {
  const double dense_bytes = static_cast<double>(rows) * static_cast<double>(cols) * sizeof(double);
  const bool fits = dense_bytes <= kMaxDenseJacobianBytes;
  const double min_dense_density =
      SparseCholeskyFactorization::supernodal() ? kMinDenseDensity : kMinDenseDensityWithoutSupernodes;
  if (fits && cols <= kMaxDenseColumns && (cols <= kAlwaysDenseColumns || jacobian_density >= min_dense_density)) {
    return LinearSolverType::kDenseNormalCholesky;
  }
  if (fits && cols <= kMaxDenseColumnsWhenDense && jacobian_density >= kMostlyDenseDensity) {
    return LinearSolverType::kDenseNormalCholesky;
  }
  return LinearSolverType::kSparseNormalCholesky;
}

bool wants_sparse_jacobian(LinearSolverType resolved, int num_effective_parameters) {
  switch (info(resolved).storage) {
    case JacobianStorage::kDense:
      return false;
    case JacobianStorage::kSparse:
      return true;
    case JacobianStorage::kSparseWhenLarge:
      return num_effective_parameters > kSparseWhenLargeParameters;
    case JacobianStorage::kChosen:
      break;
  }
  throw Error(std::string("wants_sparse_jacobian: ") + to_string(resolved) +
              " must be resolved with choose_linear_solver() first");
}

LinearSolverType choose_schur_solver(const Problem& problem, std::span<const int> eliminated) {
  int eliminated_columns = 0;
  for (int p : eliminated) eliminated_columns += problem.impl().parameter_blocks[p].tangent_size();
  const int kept = problem.num_effective_tangent_parameters() - eliminated_columns;
  return kept <= kMaxDenseSchurColumns ? LinearSolverType::kDenseSchur : LinearSolverType::kSparseSchur;
}

LinearSolverChoice choose_linear_solver(const Problem& problem, LinearSolverType requested) {
  LinearSolverChoice choice;
  choice.type = requested;
  if (requested == LinearSolverType::kAuto) {
    const std::vector<int> eliminated = find_elimination_ordering(problem.impl());
    if (schur_structure_pays(problem.impl(), eliminated, kMaxSchurKeptFraction)) {
      choice.type = choose_schur_solver(problem, eliminated);
    } else {
      const JacobianShape shape = jacobian_shape(problem);
      choice.type = choose_linear_solver(shape.rows, shape.cols, shape.density());
    }
  }
  // An out-of-memory kill is no answer: a backend's known limit is an Error
  // before the solve, saying how to lift it.
  const int columns = problem.num_effective_tangent_parameters();  // the Jacobian's
  if (choice.type == LinearSolverType::kSparseQr && columns > SparseQrFactorization::max_columns()) {
    throw Error(
        std::string("SolverOptions::linear_solver sparse-qr: ") + SparseQrFactorization::backend() +
        " (this build has no SuiteSparse) takes at most " + std::to_string(SparseQrFactorization::max_columns()) +
        " variable parameters, its memory growing with their square; this problem has " + std::to_string(columns) +
        ". Rebuild curvature with -DCURVATURE_USE_SUITESPARSE=ON for SPQR, or use sparse-normal-cholesky or cgnr");
  }
  choice.sparse_jacobian = wants_sparse_jacobian(choice.type, columns);
  return choice;
}

}  // namespace curvature::internal

namespace curvature {

const char* linear_solver_backend(LinearSolverType type) {
  switch (type) {
    case LinearSolverType::kSparseNormalCholesky:
    case LinearSolverType::kSparseSchur:
      return internal::SparseCholeskyFactorization::backend();
    case LinearSolverType::kSparseQr:
      return internal::SparseQrFactorization::backend();
    default:
      return "";
  }
}

}  // namespace curvature

namespace curvature::internal {

std::unique_ptr<LinearSolver> make_linear_solver(const LinearSolverOptions& options) {
  switch (options.type) {
    case LinearSolverType::kDenseNormalCholesky:
      return std::make_unique<DenseNormalCholeskySolver>(options.num_threads, options.mixed_precision);
    case LinearSolverType::kDenseQr:
      return std::make_unique<DenseQrSolver>();
    case LinearSolverType::kSparseNormalCholesky:
      return std::make_unique<SparseNormalCholeskySolver>(options.num_threads);
    case LinearSolverType::kSparseQr:
      return std::make_unique<SparseQrSolver>();
    case LinearSolverType::kCgnr:
      return std::make_unique<CgnrSolver>(options.max_cg_iterations, options.cg_relative_tolerance);
    case LinearSolverType::kDenseSchur:
    case LinearSolverType::kSparseSchur:
      return std::make_unique<SchurComplementSolver>(options.type, options.schur_structure, options.num_threads);
    case LinearSolverType::kIterativeSchur:
      // The forcing sequence at its default, Ceres's constant eta = 0.1;
      // Levenberg-Marquardt passes SolverOptions::eta per solve
      // (set_forcing_term). On generated ladybug-49 (model test alone, as
      // Ceres): eta 0.1 took 30 LM and 2134 CG iterations; 0.05 30 and
      // 2809; 0.2 37 and 2619; letting it fall with the gradient down to
      // 0.01 32 and 3464, to 0.001 33 and 4142 (down to 0.03: 16 and 1318
      // but a final cost 2e-6 above Ceres's); the residual test as well
      // (|r| <= 0.1 |r_0|) 45 and 3872.
      return std::make_unique<ImplicitSchurSolver>(
          options.schur_structure,
          ImplicitSchurSolverOptions{.num_threads = options.num_threads, .max_iterations = options.max_cg_iterations});
    case LinearSolverType::kAuto:
      throw Error("make_linear_solver: LinearSolverType::kAuto must be resolved with choose_linear_solver() first");
    case LinearSolverType::kCount:
      break;
  }
  throw Error("make_linear_solver: unknown LinearSolverType " + std::to_string(static_cast<int>(options.type)));
}

}  // namespace curvature::internal
