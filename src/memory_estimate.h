// memory_estimate.h — what a linear solver's matrices would take, known
// before any of them is allocated, and the limit solve() holds them to.
//
// A least-squares solve allocates its large matrices once, up front: the
// Jacobian (dense m x n, or sparse), and for the direct solvers J^T J and its
// factor (dense n x n) or the QR factors of [J; D]. Their sizes follow from
// the problem's structure alone, so a solve that cannot fit is refused (or,
// when the linear solver was left automatic, steered to one that fits)
// before it starts, instead of dying with std::bad_alloc after the first
// evaluations, or taking the machine into swap.
#pragma once

#include <Eigen/Core>
#include <string>

#include "curvature/problem.h"
#include "curvature/solver_options.h"
#include "linear_solver.h"

namespace curvature::internal {

// The Jacobian's shape as the evaluator lays it out (every residual block;
// constant parameter blocks have no columns), read from the problem's
// structure without evaluating anything.
struct JacobianShape {
  Eigen::Index rows = 0;
  Eigen::Index cols = 0;
  double nonzeros = 0.0;  // structural nonzeros of J
  // sum over rows of nnz(row)^2: the products that form J^T J, and twice an
  // upper bound on the nonzeros of its lower triangle.
  double row_products = 0.0;
  double residual_blocks = 0.0;  // the Schur solvers keep an index entry per residual block

  double density() const;
};
JacobianShape jacobian_shape(const Problem& problem);

// Bytes the solve would hold in matrices with `resolved` (not kAuto): the
// Jacobian in the storage that solver uses, plus its own matrices. Exact for
// the dense solvers (with mixed_precision's single-precision copies); for
// the sparse direct solvers a lower bound, since the factor's fill-in is
// known only after the symbolic analysis (it is counted as J^T J's lower
// triangle again). Vectors of length m or n are left out.
double linear_solver_bytes(LinearSolverType resolved, const JacobianShape& shape, bool mixed_precision);

// This machine's physical memory in bytes: sysconf(_SC_PHYS_PAGES) times the
// page size, or MemTotal from /proc/meminfo; 0 when neither can be read.
// Read at the first call and remembered for the life of the process.
double physical_memory_bytes();

// The limit SolverOptions::max_memory_bytes stands for: itself when
// positive, else kDefaultMemoryFraction of physical_memory_bytes() (no limit
// when that cannot be read).
inline constexpr double kDefaultMemoryFraction = 0.5;
double memory_limit_bytes(double max_memory_bytes);

// choose_linear_solver(problem, requested) held to a memory limit. When the
// solver it resolves to would need more than `limit_bytes`:
//   - requested kAuto: the first of sparse normal Cholesky and CGNR (sparse
//     Jacobian, matrix-free) that fits is chosen instead;
//   - otherwise, or when nothing fits: throws curvature::Error
//     "solve: the <solver> linear solver would need <bytes> (<what>), above
//     SolverOptions::max_memory_bytes = <limit>; <the solvers that fit, with
//     their needs>" so the caller learns both the cost and the way out.
LinearSolverChoice choose_linear_solver_within(const Problem& problem, LinearSolverType requested, bool mixed_precision,
                                               double limit_bytes);

// "1.5 GB", "640 kB", "12 bytes": bytes in the units a person reads (SI).
std::string format_bytes(double bytes);

}  // namespace curvature::internal
