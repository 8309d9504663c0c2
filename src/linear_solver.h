// linear_solver.h — the damped linear least-squares subproblem every
// Gauss-Newton-type step needs:
//
//   minimize over dx   |J dx + r|^2 + |diag(d) dx|^2
//
// equivalently (J^T J + diag(d)^2) dx = -J^T r. d = 0 is the Gauss-Newton
// step. A solver is prepared once per Jacobian and then solved for as many
// damping vectors as the trust-region loop asks for (each rejected step only
// changes d), so factorizations of J that do not depend on d are done once.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <span>
#include <string>

#include "curvature/problem.h"
#include "curvature/solver_options.h"

namespace curvature::internal {

struct SchurStructure;  // schur/schur_structure.h

// A Jacobian in one of the two storage forms; exactly one pointer is set.
struct JacobianRef {
  const Eigen::MatrixXd* dense = nullptr;
  const SparseRowMatrix* sparse = nullptr;
  // Optional: J^T r for the residuals prepare() gets, when the caller has it
  // (the evaluator's gradient): for a sparse J and a dense one narrower than
  // Evaluator::kWideJacobian columns the product multiply_jacobian_transpose()
  // forms, the same bits; for a wider dense J column by column as
  // dense_col.dot(r), which the dense solver's wide path sums the same way.
  // A solver that uses it needs no pass over J of its own.
  const Eigen::VectorXd* gradient = nullptr;
  // Optional, dense only: |J_col|^2, as dense_col.squaredNorm().
  const Eigen::VectorXd* column_squared_norms = nullptr;
  // Optional, with column_squared_norms: J S in single precision,
  // S = diag(jacobi_scale(column_squared_norms)) (EvaluationRequest::
  // scaled_single_jacobian), which the mixed-precision dense normal Cholesky
  // then need not convert itself.
  const Eigen::MatrixXf* scaled_single = nullptr;

  Eigen::Index rows() const { return dense ? dense->rows() : sparse->rows(); }
  Eigen::Index cols() const { return dense ? dense->cols() : sparse->cols(); }
};

struct LinearSolverResult {
  bool success = false;
  int iterations = 1;   // CG iterations; 1 for direct solvers
  std::string message;  // why it failed, when it did
};

class LinearSolver {
 public:
  virtual ~LinearSolver() = default;

  // J and r must stay alive and unchanged until the next prepare().
  virtual LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) = 0;

  // d has J.cols() non-negative entries. dx is resized to J.cols().
  virtual LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) = 0;

  // The forcing term eta the trust-region strategy asks of the following
  // solves (Ceres Solver's per-solve eta): an iterative solver stops once an
  // iteration lowers the step's quadratic model by less than eta / k of
  // what all k iterations did (preconditioned_cg.h). Direct solvers, which
  // solve exactly, ignore it.
  virtual void set_forcing_term(double /*eta*/) {}

  // Its row in kLinearSolvers, never kAuto.
  virtual LinearSolverType type() const = 0;

  // J dx for the dx of the last successful solve(), when the solve computed
  // it on the way (null otherwise): the model reduction then needs no
  // further pass over J.
  virtual const Eigen::VectorXd* jacobian_times_step() const { return nullptr; }
  // The registry's name (Summary::linear_solver).
  const char* name() const { return to_string(type()); }
};

struct LinearSolverOptions {
  LinearSolverType type = LinearSolverType::kDenseNormalCholesky;
  // Threads forming and factoring J^T J (dense normal Cholesky only).
  int num_threads = 1;
  // Dense normal Cholesky only: single-precision factor, double-precision
  // steps (dense_normal_cholesky.h).
  bool mixed_precision = false;
  // CGNR only.
  int max_cg_iterations = 500;
  double cg_relative_tolerance = 1e-10;
  // The Schur solvers only: which blocks are eliminated and where their
  // slices of the Jacobian lie (solve() builds it from the problem).
  std::shared_ptr<const SchurStructure> schur_structure;
};

std::unique_ptr<LinearSolver> make_linear_solver(const LinearSolverOptions& options);

// LinearSolverType::kAuto resolved by the problem's size and sparsity.
LinearSolverType choose_linear_solver(Eigen::Index rows, Eigen::Index cols, double jacobian_density);

// Whether a resolved (not kAuto) solver wants the Jacobian in sparse storage,
// by its JacobianStorage (solver_options.h); kSparseWhenLarge counts the
// problem's variable parameters.
bool wants_sparse_jacobian(LinearSolverType resolved, int num_effective_parameters);

// The solver `requested` resolves to and the storage it wants: the one rule
// solve() and LeastSquaresObjective follow. kAuto is resolved from the
// Jacobian's size and density, read from the problem's structure (no
// evaluator is built for it).
struct LinearSolverChoice {
  LinearSolverType type = LinearSolverType::kDenseNormalCholesky;  // never kAuto
  bool sparse_jacobian = false;
};
LinearSolverChoice choose_linear_solver(const Problem& problem, LinearSolverType requested);

// dense-schur or sparse-schur for eliminating `eliminated` (parameter block
// indices) from `problem`, by the size of the reduced system.
LinearSolverType choose_schur_solver(const Problem& problem, std::span<const int> eliminated);

}  // namespace curvature::internal
