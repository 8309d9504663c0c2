// sparse_qr.h — SuiteSparseQR on the augmented system [J S; D S]. Internal.
//
// prepare() Jacobi-scales J (S = diag(1/|J_col|)) and stores it column
// compressed with 64-bit indices, as SPQR requires. Each solve() appends the
// nonzero damping rows and calls SuiteSparseQR for the least-squares solution
// of [J S; D S] y = [-r; 0], dx = S y. SPQR's rank detection (Heath's method,
// default tolerance 20 (m + n) eps max|A_col|) drops columns that are
// numerically dependent, so d = 0 with a rank-deficient J still gives a
// finite basic least-squares solution; the result's message reports the rank
// when it is short. SPQR's ordering and symbolic analysis are done once and
// redone only when the pattern of the augmented matrix changes (a new
// Jacobian pattern, or a different set of damped columns); each solve
// refactorizes numerically. QR is the most accurate sparse option and also
// the slowest; use it for ill-conditioned sparse problems.
#pragma once

#include <Eigen/Core>
#include <SuiteSparseQR.hpp>
#include <memory>
#include <vector>

#include "linear_solver.h"
#include "suitesparse_common.h"

namespace curvature::internal {

struct SpqrFactorizationDeleter {
  cholmod_common* common;
  void operator()(SuiteSparseQR_factorization<double>* factorization) const {
    SuiteSparseQR_free<double>(&factorization, common);
  }
};

class SparseQrSolver final : public LinearSolver {
 public:
  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override;
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override;
  LinearSolverType type() const override { return LinearSolverType::kSparseQr; }
  // How many times SPQR's ordering and symbolic analysis ran (for tests).
  int num_symbolic_analyses() const { return num_symbolic_analyses_; }

 private:
  CholmodCommon common_{CholmodCommon::IndexType::kLong};
  bool prepared_ = false;
  Eigen::Index rows_ = 0, cols_ = 0;
  // J S column compressed.
  std::vector<SuiteSparse_long> column_starts_, row_indices_;
  std::vector<double> values_;
  Eigen::VectorXd scale_;
  Eigen::VectorXd residuals_;
  // The augmented matrix and right-hand side, rebuilt per solve in storage
  // reused across solves.
  std::vector<SuiteSparse_long> augmented_starts_, augmented_rows_;
  std::vector<double> augmented_values_;
  std::vector<double> augmented_rhs_;
  // The symbolic analysis (and the numeric factorization on top of it) of
  // the pattern below. Declared after common_, so freed before it.
  std::unique_ptr<SuiteSparseQR_factorization<double>, SpqrFactorizationDeleter> factorization_{
      nullptr, SpqrFactorizationDeleter{common_.get()}};
  size_t analyzed_nrow_ = 0;
  int num_symbolic_analyses_ = 0;
  std::vector<SuiteSparse_long> analyzed_starts_, analyzed_rows_;
};

}  // namespace curvature::internal
