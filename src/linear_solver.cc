#include "linear_solver.h"

#include <string>

#include "cgnr.h"
#include "curvature/error.h"
#include "dense_normal_cholesky.h"
#include "dense_qr.h"
#include "memory_estimate.h"
#include "problem_impl.h"
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
constexpr Eigen::Index kMaxDenseColumns = 1000;
constexpr Eigen::Index kMaxDenseColumnsWhenDense = 5000;
constexpr double kMostlyDenseDensity = 0.5;
constexpr Eigen::Index kAlwaysDenseColumns = 100;
constexpr double kMinDenseDensity = 0.05;
constexpr double kMaxDenseJacobianBytes = 256.0 * 1024 * 1024;

}  // namespace

LinearSolverType choose_linear_solver(Eigen::Index rows, Eigen::Index cols, double jacobian_density) {
  const double dense_bytes = static_cast<double>(rows) * static_cast<double>(cols) * sizeof(double);
  const bool fits = dense_bytes <= kMaxDenseJacobianBytes;
  if (fits && cols <= kMaxDenseColumns && (cols <= kAlwaysDenseColumns || jacobian_density >= kMinDenseDensity)) {
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

LinearSolverChoice choose_linear_solver(const Problem& problem, LinearSolverType requested) {
  LinearSolverChoice choice;
  choice.type = requested;
  if (requested == LinearSolverType::kAuto) {
    const JacobianShape shape = jacobian_shape(problem);
    choice.type = choose_linear_solver(shape.rows, shape.cols, shape.density());
  }
  choice.sparse_jacobian = wants_sparse_jacobian(choice.type, problem.num_effective_parameters());
  return choice;
}

std::unique_ptr<LinearSolver> make_linear_solver(const LinearSolverOptions& options) {
  switch (options.type) {
    case LinearSolverType::kDenseNormalCholesky:
      return std::make_unique<DenseNormalCholeskySolver>(options.num_threads, options.mixed_precision);
    case LinearSolverType::kDenseQr:
      return std::make_unique<DenseQrSolver>();
    case LinearSolverType::kSparseNormalCholesky:
      return std::make_unique<SparseNormalCholeskySolver>();
    case LinearSolverType::kSparseQr:
      return std::make_unique<SparseQrSolver>();
    case LinearSolverType::kCgnr:
      return std::make_unique<CgnrSolver>(options.max_cg_iterations, options.cg_relative_tolerance);
    case LinearSolverType::kAuto:
      throw Error("make_linear_solver: LinearSolverType::kAuto must be resolved with choose_linear_solver() first");
    case LinearSolverType::kCount:
      break;
  }
  throw Error("make_linear_solver: unknown LinearSolverType " + std::to_string(static_cast<int>(options.type)));
}

}  // namespace curvature::internal
