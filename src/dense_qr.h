// dense_qr.h — Householder QR for the damped subproblem. Internal.
//
// prepare() Jacobi-scales the columns of J (S = diag(1/|J_col|)) and computes
// the blocked Householder QR  J S = Q R  once (unpivoted: Eigen's pivoted QR
// is unblocked and ~3x slower; rank deficiency still shows as a tiny
// diagonal entry of R, which is all the solve needs to detect). Each solve() then folds the damping
// rows D S into R with Givens rotations (Moré's "qrsolv" from MINPACK), which
// costs O(n^3) instead of refactoring the (m+n) x n matrix [J S; D S]. When the
// damped triangle is numerically singular (d = 0 with a rank-deficient J) the
// solve falls back to a complete orthogonal decomposition of [J S; D S], which
// gives the minimum-norm solution in the scaled variables, and says so in the
// result's message.
//
// Accuracy is that of QR on J (error ~ cond(J) eps), not of the normal
// equations (cond(J)^2 eps): this is the solver for small ill-conditioned
// problems such as the harder NIST ones.
#pragma once

#include <Eigen/Core>
#include <Eigen/QR>

#include "linear_solver.h"

namespace curvature::internal {

class DenseQrSolver final : public LinearSolver {
 public:
  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override;
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override;
  LinearSolverType type() const override { return LinearSolverType::kDenseQr; }

 private:
  bool prepared_ = false;
  Eigen::MatrixXd scaled_jacobian_;  // J S, kept for the rank-deficient fallback
  Eigen::MatrixXd augmented_;        // [J S, r], factored in prepare()
  Eigen::VectorXd residuals_;
  Eigen::VectorXd scale_;  // S
  Eigen::HouseholderQR<Eigen::MatrixXd> qr_;
  Eigen::MatrixXd r_transpose_;  // R^T, n x n (zero rows padded when m < n)
  Eigen::VectorXd rhs_;          // -(Q^T r), first n entries
  // Per-solve workspaces, sized in prepare() so solve() does not allocate.
  Eigen::MatrixXd work_r_transpose_;
  Eigen::VectorXd work_rhs_;
  Eigen::VectorXd work_row_;
};

// min |J S y + r|^2 + |D S y|^2 by a complete orthogonal decomposition of the
// augmented matrix, returned as dx = S y: the minimum-norm y, so a finite
// least-squares solution even when [J; D] is rank-deficient. Shared by the
// dense solvers as their robust fallback. Returns the numerical rank.
Eigen::Index solve_augmented_cod(const Eigen::MatrixXd& scaled_jacobian, const Eigen::VectorXd& scale,
                                 const Eigen::VectorXd& residuals, const Eigen::VectorXd& d, Eigen::VectorXd* dx);

}  // namespace curvature::internal
