// dense_normal_cholesky.h — Cholesky of the Jacobi-scaled normal equations.
// Internal.
//
// prepare() forms J^T J once (tiled selfadjoint rank updates for a dense J,
// shared among num_threads threads; a row-by-row outer-product sum for a
// sparse one) and scales it to unit diagonal, S J^T J S with
// S = diag(1/|J_col|). Each solve() adds (D S)^2 to the diagonal and factors
// in place by tiled Cholesky: O(n^3 / 3) and no heap allocation. Both are
// bit-identical for any number of threads (tiled_dense.h). Scaling makes the Cholesky pivots comparable, so a pivot ratio
// below kMinPivotRatio is a reliable sign that the normal equations cannot
// resolve the step (their error is ~ cond(J)^2 eps). Then, and when LLT fails
// outright (d = 0 and a rank-deficient J), the solve falls back to a complete
// orthogonal decomposition of [J; D] (minimum-norm solution in the scaled
// variables) and says so in the result's message.
#pragma once

#include <Eigen/Core>
#include <memory>

#include "linear_solver.h"
#include "curvature/thread_pool.h"

namespace curvature::internal {

class DenseNormalCholeskySolver final : public LinearSolver {
 public:
  explicit DenseNormalCholeskySolver(int num_threads = 1);
  ~DenseNormalCholeskySolver() override;

  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override;
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override;
  const char* name() const override { return "dense_normal_cholesky"; }

  // min L_kk^2 / max A_kk of the scaled matrix below which the Cholesky
  // solution is replaced by the QR one: cond(J) beyond ~1e6, where the normal
  // equations keep fewer than ~4 correct digits.
  static constexpr double kMinPivotRatio = 1e-12;

  // How many solves since construction fell back to the orthogonal
  // decomposition (for tests and diagnostics).
  int num_fallbacks() const { return num_fallbacks_; }

 private:
  bool prepared_ = false;
  JacobianRef jacobian_;
  const Eigen::VectorXd* residuals_ = nullptr;
  Eigen::MatrixXd scaled_normal_;  // S J^T J S, lower triangle
  Eigen::VectorXd scaled_rhs_;     // -S J^T r
  Eigen::VectorXd scale_;          // S
  Eigen::MatrixXd work_;           // factorized in place each solve
  int num_fallbacks_ = 0;
  std::unique_ptr<ThreadPool> pool_;  // null with one thread
};

}  // namespace curvature::internal
