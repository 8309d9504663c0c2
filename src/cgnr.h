// cgnr.h — conjugate gradients on the normal equations, matrix-free.
// Internal.
//
// Solves (J^T J + D^2) dx = -J^T r touching J only through the products J v
// and J^T w, so J^T J is never formed: memory O(nnz(J) + m + n), each
// iteration one product with J and one with J^T. The preconditioner is
// Jacobi, diag(J^T J) + d^2, with diag(J^T J) computed in prepare(). CG
// starts from dx = 0 and stops when |(J^T J + D^2) dx + J^T r| <=
// cg_relative_tolerance |J^T r| (recursively updated residual) or after
// max_cg_iterations. Stopping on the iteration limit is not a failure: every
// CG iterate from zero reduces the damped model, which is what a trust-region
// step needs; the message then gives the residual reached. The convergence
// rate depends on cond(J)^2 after scaling, so CGNR suits large, well-scaled
// problems where a factorization is too expensive.
#pragma once

#include <Eigen/Core>

#include "linear_solver.h"

namespace curvature::internal {

class CgnrSolver final : public LinearSolver {
 public:
  CgnrSolver(int max_iterations, double relative_tolerance);

  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override;
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override;
  LinearSolverType type() const override { return LinearSolverType::kCgnr; }

 private:
  int max_iterations_;
  double relative_tolerance_;
  bool prepared_ = false;
  JacobianRef jacobian_;
  Eigen::VectorXd diagonal_;  // diag(J^T J)
  Eigen::VectorXd rhs_;       // -J^T r
  // Iteration vectors, sized in prepare() so solve() does not allocate.
  Eigen::VectorXd residual_, preconditioned_, direction_, product_, jacobian_direction_, inverse_preconditioner_;
};

}  // namespace curvature::internal
