#include "memory_estimate.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "curvature/error.h"
#include "dense_normal_cholesky.h"
#include "problem_impl.h"

namespace curvature::internal {
namespace {

constexpr double kDouble = sizeof(double);
constexpr double kFloat = sizeof(float);
// A sparse entry: its value and its column index (Eigen's default int).
constexpr double kSparseEntry = sizeof(double) + sizeof(int);

// One matrix the solve would hold: what it is, and its bytes.
struct Part {
  std::string what;
  double bytes;
};

std::string dims(Eigen::Index rows, Eigen::Index cols) { return std::to_string(rows) + " x " + std::to_string(cols); }

// The loop holds the current Jacobian, and near a minimum a saved copy of it
// while it tries a step judged by the gradient (MinimizerContext).
constexpr double kJacobianCopies = 2.0;

// SchurStructure's record of a residual block (7 ints), its f-cell (2 ints)
// and its place in a chunk (1 int); the implicit Schur complement's packed
// cell (4 ints) and incidence (1 int), and the Schur-Jacobi task list (1 int).
constexpr double kSchurIndexPerResidualBlock = 10 * sizeof(int);
constexpr double kImplicitSchurIndexPerResidualBlock = 6 * sizeof(int);

std::vector<Part> solver_parts(LinearSolverType resolved, const JacobianShape& shape, bool mixed_precision) {
  const auto m = static_cast<double>(shape.rows);
  const auto n = static_cast<double>(shape.cols);
  const double dense_jacobian = kJacobianCopies * m * n * kDouble;
  const double sparse_jacobian = kJacobianCopies * (shape.nonzeros * kSparseEntry + (m + 1) * sizeof(int));
  // J^T J's lower triangle: at most n (n + 1) / 2 entries, and at most the
  // (nnz(row)^2 + nnz(row)) / 2 pairs each row contributes.
  const double normal_entries = std::min(n * (n + 1) / 2, (shape.row_products + shape.nonzeros) / 2);
  const std::string jacobian_dims = dims(shape.rows, shape.cols);
  switch (resolved) {
    case LinearSolverType::kDenseNormalCholesky: {
      std::vector<Part> parts = {
          {"dense Jacobian " + jacobian_dims + " and its saved copy", dense_jacobian},
          {"J^T J and its factor, " + dims(shape.cols, shape.cols) + " each", 2 * n * n * kDouble}};
      if (mixed_precision && shape.cols >= DenseNormalCholeskySolver::kMixedPrecisionMinColumns) {
        parts.push_back({"single-precision J, J^T J and factor", (m * n + 2 * n * n) * kFloat});
      }
      return parts;
    }
    case LinearSolverType::kDenseQr:
      // J S, [J S, r] and the QR factors of the latter; R^T and its update.
      return {{"dense Jacobian " + jacobian_dims + " and its saved copy", dense_jacobian},
              {"J S, [J S, r] and its QR factors, " + dims(shape.rows, shape.cols + 1) + " each",
               m * (3 * n + 2) * kDouble},
              {"R^T and its update, " + dims(shape.cols, shape.cols) + " each", 2 * n * n * kDouble}};
    case LinearSolverType::kSparseNormalCholesky:
      return {{"sparse Jacobian (" + std::to_string(static_cast<long long>(shape.nonzeros)) +
                   " nonzeros) and its saved copy",
               sparse_jacobian},
              {"J^T J's lower triangle and at least as much for its factor", 2 * normal_entries * kSparseEntry}};
    case LinearSolverType::kSparseQr:
      return {{"sparse Jacobian (" + std::to_string(static_cast<long long>(shape.nonzeros)) +
                   " nonzeros) and its saved copy",
               sparse_jacobian},
              {"[J; D] and at least as much for its R factor", 2 * (shape.nonzeros + n) * kSparseEntry}};
    case LinearSolverType::kCgnr:
      if (!wants_sparse_jacobian(LinearSolverType::kCgnr, static_cast<int>(shape.cols))) {
        return {{"dense Jacobian " + jacobian_dims + " and its saved copy", dense_jacobian}};
      }
      return {{"sparse Jacobian (" + std::to_string(static_cast<long long>(shape.nonzeros)) +
                   " nonzeros) and its saved copy",
               sparse_jacobian}};
    case LinearSolverType::kDenseSchur:
    case LinearSolverType::kSparseSchur:
      // The elimination keeps nothing per Jacobian cell (each chunk's
      // products live in per-thread buffers); the structure keeps a record
      // and a chunk entry per residual block (schur/schur_structure.h). S
      // and its factor depend on the elimination ordering, found later, and
      // are left out (a lower bound, as for the sparse direct solvers).
      return {{"sparse Jacobian (" + std::to_string(static_cast<long long>(shape.nonzeros)) +
                   " nonzeros) and its saved copy",
               sparse_jacobian},
              {"the Schur structure's index", shape.residual_blocks * kSchurIndexPerResidualBlock}};
    case LinearSolverType::kIterativeSchur:
      // Besides J and the structure: per residual block the implicit
      // product's and the preconditioner's index, a residual-sized vector,
      // and per eliminated block its inverse and E^T r, per kept block its
      // preconditioner block, its factor and the CG vectors
      // (schur/implicit_schur_solver.h): about eight doubles per column.
      return {{"sparse Jacobian (" + std::to_string(static_cast<long long>(shape.nonzeros)) +
                   " nonzeros) and its saved copy",
               sparse_jacobian},
              {"the Schur structure's and the implicit product's index",
               shape.residual_blocks * (kSchurIndexPerResidualBlock + kImplicitSchurIndexPerResidualBlock)},
              {"implicit Schur complement work vectors", (m + 8 * n) * kDouble}};
    case LinearSolverType::kAuto:
    case LinearSolverType::kCount:
      break;
  }
  throw Error(std::string("linear_solver_bytes: ") + to_string(resolved) + " is not a resolved linear solver");
}

double total(const std::vector<Part>& parts) {
  double bytes = 0.0;
  for (const Part& part : parts) bytes += part.bytes;
  return bytes;
}

std::string describe(const std::vector<Part>& parts) {
  std::string text;
  for (const Part& part : parts) text += (text.empty() ? "" : "; ") + part.what + ": " + format_bytes(part.bytes);
  return text;
}

// MemTotal from /proc/meminfo ("MemTotal:       16318412 kB"), in bytes.
double meminfo_total_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, unit;
    double value = 0.0;
    if (fields >> key >> value >> unit && key == "MemTotal:") return unit == "kB" ? value * 1024.0 : value;
  }
  return 0.0;
}

// The alternatives to `refused`, in the order kAuto tries them: the sparse
// direct solver, then the matrix-free one.
constexpr LinearSolverType kFallbacks[] = {LinearSolverType::kSparseNormalCholesky, LinearSolverType::kCgnr};

}  // namespace

double JacobianShape::density() const {
  const double entries = static_cast<double>(rows) * static_cast<double>(cols);
  return entries > 0 ? nonzeros / entries : 1.0;
}

JacobianShape jacobian_shape(const Problem& problem) {
  const Problem::Impl& impl = problem.impl();
  JacobianShape shape;
  shape.rows = impl.num_residuals;
  shape.cols = problem.num_effective_tangent_parameters();  // the Jacobian's columns
  for (const ResidualBlockInfo& block : impl.residual_blocks) {
    double row_nonzeros = 0.0;
    for (int p : block.parameter_blocks) {
      const ParameterBlockInfo& parameter = impl.parameter_blocks[static_cast<size_t>(p)];
      if (!parameter.constant) row_nonzeros += parameter.tangent_size();
    }
    const double rows = block.cost->num_residuals();
    shape.nonzeros += rows * row_nonzeros;
    shape.row_products += rows * row_nonzeros * row_nonzeros;
  }
  shape.residual_blocks = static_cast<double>(impl.residual_blocks.size());
  return shape;
}

double linear_solver_bytes(LinearSolverType resolved, const JacobianShape& shape, bool mixed_precision) {
  return total(solver_parts(resolved, shape, mixed_precision));
}

namespace {

double read_physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) return static_cast<double>(pages) * static_cast<double>(page_size);
  return meminfo_total_bytes();
}

}  // namespace

// Read once per process: sysconf(_SC_PHYS_PAGES) is a sysinfo() system call,
// a measurable part of a solve of a few parameters when every solve() asked
// again (1% of a loop of Misra1a solves), and the memory a running program
// sees does not change under it.
double physical_memory_bytes() {
  static const double bytes = read_physical_memory_bytes();
  return bytes;
}

double memory_limit_bytes(double max_memory_bytes) {
  if (max_memory_bytes > 0.0) return max_memory_bytes;
  const double physical = physical_memory_bytes();
  return physical > 0.0 ? kDefaultMemoryFraction * physical : HUGE_VAL;
}

LinearSolverChoice choose_linear_solver_within(const Problem& problem, LinearSolverType requested, bool mixed_precision,
                                               double limit_bytes) {
  LinearSolverChoice choice = choose_linear_solver(problem, requested);
  const JacobianShape shape = jacobian_shape(problem);
  const std::vector<Part> parts = solver_parts(choice.type, shape, mixed_precision);
  if (total(parts) <= limit_bytes) return choice;

  std::string fitting;
  for (LinearSolverType fallback : kFallbacks) {
    if (fallback == choice.type) continue;
    const double bytes = linear_solver_bytes(fallback, shape, mixed_precision);
    if (bytes > limit_bytes) continue;
    if (requested == LinearSolverType::kAuto) {
      choice.type = fallback;
      choice.sparse_jacobian = wants_sparse_jacobian(fallback, static_cast<int>(shape.cols));
      return choice;
    }
    fitting += std::string(fitting.empty() ? "" : ", ") + to_string(fallback) + " (about " + format_bytes(bytes) + ")";
  }
  throw Error(std::string("solve: the ") + to_string(choice.type) + " linear solver would need " +
              format_bytes(total(parts)) + " (" + describe(parts) +
              "), above SolverOptions::max_memory_bytes = " + format_bytes(limit_bytes) + "; " +
              (fitting.empty() ? std::string("no linear solver fits: raise the limit or make the problem smaller")
                               : "within the limit: SolverOptions::linear_solver = " + fitting));
}

std::string format_bytes(double bytes) {
  static constexpr std::pair<double, const char*> kUnits[] = {{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}};
  char buffer[64];
  for (const auto& [size, unit] : kUnits) {
    if (bytes >= size) {
      std::snprintf(buffer, sizeof buffer, "%.3g %s", bytes / size, unit);
      return buffer;
    }
  }
  std::snprintf(buffer, sizeof buffer, "%.0f bytes", bytes);
  return buffer;
}

}  // namespace curvature::internal
