// sparse_qr.h — sparse QR on the augmented system [J S; D S]. Internal.
//
// prepare() Jacobi-scales J (S = diag(1/|J_col|)) and stores it column
// compressed with 64-bit indices, as SPQR requires. Each solve() appends the
// nonzero damping rows and factors [J S; D S] for the least-squares solution
// of [J S; D S] y = [-r; 0], dx = S y. The factorization
// (sparse_qr_factorization.h: SuiteSparseQR, or Eigen's SparseQR in a build
// without SuiteSparse) detects rank with the default tolerance
// 20 (m + n) eps max|A_col| and drops columns that are numerically
// dependent, so d = 0 with a rank-deficient J still gives a finite basic
// least-squares solution; the result's message reports the rank when it is
// short. The ordering and symbolic analysis are done once and redone only
// when the pattern of the augmented matrix changes (a new Jacobian pattern,
// or a different set of damped columns); each solve refactorizes
// numerically. QR is the most accurate sparse option and also the slowest;
// use it for ill-conditioned sparse problems.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "linear_solver.h"
#include "sparse_qr_factorization.h"

namespace curvature::internal {

class SparseQrSolver final : public LinearSolver {
 public:
  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override;
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override;
  LinearSolverType type() const override { return LinearSolverType::kSparseQr; }
  // How many times the ordering and symbolic analysis ran (for tests).
  int num_symbolic_analyses() const { return num_symbolic_analyses_; }

 private:
  bool prepared_ = false;
  Eigen::Index rows_ = 0, cols_ = 0;
  // J S column compressed.
  std::vector<std::int64_t> column_starts_, row_indices_;
  std::vector<double> values_;
  Eigen::VectorXd scale_;
  Eigen::VectorXd residuals_;
  // The augmented matrix and right-hand side, rebuilt per solve in storage
  // reused across solves.
  std::vector<std::int64_t> augmented_starts_, augmented_rows_;
  std::vector<double> augmented_values_;
  Eigen::VectorXd augmented_rhs_;
  Eigen::VectorXd solution_;
  // The symbolic analysis (and the numeric factorization on top of it) of
  // the pattern below.
  SparseQrFactorization factorization_;
  bool analyzed_ = false;
  Eigen::Index analyzed_nrow_ = 0;
  int num_symbolic_analyses_ = 0;
  std::vector<std::int64_t> analyzed_starts_, analyzed_rows_;
};

}  // namespace curvature::internal
