// dense_normal_cholesky.h — Cholesky of the Jacobi-scaled normal equations.
// Internal.
//
// prepare() forms J^T J once (tiled selfadjoint rank updates for a dense J,
// shared among num_threads threads; a row-by-row outer-product sum for a
// sparse one) and scales it to unit diagonal, S J^T J S with
// S = diag(1/|J_col|). Each solve() adds (D S)^2 to the diagonal and factors
// in place by tiled Cholesky (by the plain loops of small_cholesky.h up to
// kSmallCholeskyColumns columns): O(n^3 / 3) and no heap allocation. Both are
// bit-identical for any number of threads (tiled_dense.h). Scaling makes
// the Cholesky pivots comparable, so a pivot ratio below kMinPivotRatio is a
// reliable sign that the normal equations cannot resolve the step (their
// error is ~ cond(J)^2 eps). Then, and when LLT fails outright (d = 0 and a
// rank-deficient J), the solve falls back to a complete orthogonal
// decomposition of [J; D] (minimum-norm solution in the scaled
// variables) and says so in the result's message.
//
// Mixed precision (dense J with at least kMixedPrecisionMinColumns columns):
// S J^T J S is formed and factored in single precision, which runs about
// twice as fast, and each step is then solved in double precision by
// conjugate gradients on the normal equations, applied through J itself,
// preconditioned by the single-precision factor. The step is the double
// solution to a relative residual of kMixedPrecisionTolerance; when the
// single-precision factorization fails or its pivots show it cannot
// precondition (cond beyond ~1e9), it is redone with kPreconditionerShift
// added to the diagonal, provided the damping alone keeps the system within
// what the double path accepts. When that fails too, or CG does not converge
// in kMaxRefinementIterations (kMaxShiftedRefinementIterations with the
// shift), the solve takes the double-precision path above, and so do the
// next kDoublePrecisionSpell Jacobians.
#pragma once

#include <Eigen/Core>
#include <memory>

#include "curvature/thread_pool.h"
#include "dense_kernel.h"
#include "linear_solver.h"

namespace curvature::internal {

class DenseNormalCholeskySolver final : public LinearSolver {
 public:
  explicit DenseNormalCholeskySolver(int num_threads = 1, bool mixed_precision = false);
  ~DenseNormalCholeskySolver() override;

  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override;
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override;
  LinearSolverType type() const override { return LinearSolverType::kDenseNormalCholesky; }
  // After a mixed-precision solve: J dx accumulated from the products J S p
  // that conjugate gradients forms anyway (exact in exact arithmetic
  // whatever the CG residual, so no accuracy threshold applies).
  const Eigen::VectorXd* jacobian_times_step() const override { return has_jacobian_step_ ? &jacobian_step_ : nullptr; }

  // min L_kk^2 / max A_kk of the scaled matrix below which the Cholesky
  // solution is replaced by the QR one: cond(J) beyond ~1e6, where the normal
  // equations keep fewer than ~4 correct digits.
  static constexpr double kMinPivotRatio = 1e-12;

  // How many solves since construction fell back to the orthogonal
  // decomposition (for tests and diagnostics).
  int num_fallbacks() const { return num_fallbacks_; }

  static constexpr Eigen::Index kMixedPrecisionMinColumns = 256;
  static constexpr double kMixedPrecisionTolerance = 1e-10;
  static constexpr int kMaxRefinementIterations = 20;
  // Single-precision pivot ratio below which the factor is not used: beyond
  // cond ~1e9 it carries no correct digit. Up to there CG decides; on R1 late
  // in a fit (pivot ratios 1e-7..1e-5) it converges in 7-14 iterations,
  // still well under the cost of forming and factoring J^T J in double.
  static constexpr double kMinSinglePivotRatio = 1e-9;

  // Added to the diagonal of S J^T J S + (D S)^2 (relative to its largest
  // entry) when the single-precision factorization fails: above the float
  // rounding of forming and factoring it (~sqrt(m) and ~sqrt(n) times 6e-8).
  // On R1 late in a fit, CG then needs 11-24 iterations instead of 4-10,
  // still well under the cost of the double path.
  static constexpr double kPreconditionerShift = 1e-5;
  static constexpr int kMaxShiftedRefinementIterations = 30;
  // Jacobians that go straight to the double path after a step could not be
  // solved in mixed precision (on R1 such failures come in runs of tens of
  // iterations; 10 was faster than 0 or 4 in fixed-length fits).
  static constexpr int kDoublePrecisionSpell = 10;

  // How many solves since construction used the single-precision factor
  // (for tests and diagnostics).
  int num_mixed_precision_solves() const { return num_mixed_solves_; }
  // How many of those needed the shifted factor.
  int num_shifted_preconditioner_solves() const { return num_shifted_solves_; }

 private:
  bool prepared_ = false;
  JacobianRef jacobian_;
  const Eigen::VectorXd* residuals_ = nullptr;
  Eigen::MatrixXd scaled_normal_;  // S J^T J S, lower triangle
  Eigen::VectorXd scaled_rhs_;     // -S J^T r
  Eigen::VectorXd scale_;          // S
  Eigen::MatrixXd work_;           // factorized in place each solve
  int num_fallbacks_ = 0;

  // Forms S J^T J S and -S J^T r in double (the mixed-precision path skips
  // it until a solve needs it).
  void form_double_normal_matrix();
  bool solve_mixed_precision(const Eigen::VectorXd& d, Eigen::VectorXd* dx, int* iterations);
  void apply_preconditioner(const Eigen::VectorXd& r, Eigen::VectorXd* z);

  bool mixed_precision_;
  bool use_mixed_ = false;             // this Jacobian goes through the single-precision path
  bool double_normal_formed_ = false;  // scaled_normal_ is current
  Eigen::MatrixXf single_jacobian_;    // J S, when JacobianRef::scaled_single does not give it
  Eigen::MatrixXf single_normal_;      // S J^T J S, lower triangle
  Eigen::MatrixXf single_work_;        // its factor, each solve
  Eigen::VectorXf single_vector_;
  Eigen::VectorXd damping_squared_, residual_, direction_, product_, preconditioned_;
  Eigen::VectorXd jacobian_step_, jacobian_direction_;  // J S y and J S p in CG
  Eigen::VectorXd scaled_vector_;                       // S v, the vector a CG product multiplies
  Eigen::MatrixXd partial_sums_;                        // normal_matrix_product's per-chunk sums
  bool has_jacobian_step_ = false;
  int num_mixed_solves_ = 0;
  int num_shifted_solves_ = 0;
  int double_spell_left_ = 0;  // Jacobians still to skip the mixed path
  // The tile kernels of the current Jacobian's size class; null when J is
  // sparse or one tile wide (tiled_dense.h then needs none).
  const DenseKernels* kernels_ = nullptr;
  const DenseKernel* double_kernel() const { return kernels_ ? &kernels_->double_precision : nullptr; }
  const DenseKernel* single_kernel() const { return kernels_ ? &kernels_->single_precision : nullptr; }
  std::unique_ptr<ThreadPool> pool_;  // null with one thread
};

}  // namespace curvature::internal
