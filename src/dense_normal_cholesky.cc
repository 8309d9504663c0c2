#include "dense_normal_cholesky.h"

#include <Eigen/Cholesky>
#include <string>

#include "dense_qr.h"
#include "jacobian_products.h"
#include "tiled_dense.h"

namespace curvature::internal {

DenseNormalCholeskySolver::DenseNormalCholeskySolver(int num_threads) {
  if (num_threads > 1) pool_ = std::make_unique<ThreadPool>(num_threads);
}

DenseNormalCholeskySolver::~DenseNormalCholeskySolver() = default;

LinearSolverResult DenseNormalCholeskySolver::prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  check_jacobian("DenseNormalCholeskySolver", jacobian, residuals);
  const Eigen::Index n = jacobian.cols();
  jacobian_ = jacobian;
  residuals_ = &residuals;

  // Lower triangle of J^T J only: that is all the factorization reads.
  if (jacobian.dense) {
    lower_normal_matrix(*jacobian.dense, &scaled_normal_, pool_.get());
  } else {
    scaled_normal_.setZero(n, n);
    // Sum of the outer products of the rows: cost sum_i nnz(row_i)^2 / 2, no
    // temporary sparse product.
    const SparseRowMatrix& j = *jacobian.sparse;
    for (Eigen::Index row = 0; row < j.outerSize(); ++row) {
      for (SparseRowMatrix::InnerIterator a(j, row); a; ++a) {
        for (SparseRowMatrix::InnerIterator b(j, row); b; ++b) {
          if (b.col() <= a.col()) scaled_normal_(a.col(), b.col()) += a.value() * b.value();
        }
      }
    }
  }
  scale_ = jacobi_scaling_from_squared_norms(scaled_normal_.diagonal());
  scaled_normal_.triangularView<Eigen::Lower>() = scale_.asDiagonal() * scaled_normal_ * scale_.asDiagonal();
  multiply_jacobian_transpose(jacobian, residuals, &scaled_rhs_);
  scaled_rhs_ = -scale_.cwiseProduct(scaled_rhs_);

  work_.resize(n, n);
  prepared_ = true;
  return {.success = true, .iterations = 1, .message = {}};
}

LinearSolverResult DenseNormalCholeskySolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  const Eigen::Index n = scale_.size();
  check_damping("DenseNormalCholeskySolver", prepared_, n, d, dx);
  dx->resize(n);

  work_.triangularView<Eigen::Lower>() = scaled_normal_;
  work_.diagonal() += (d.cwiseProduct(scale_)).cwiseAbs2();
  // In place: the factor overwrites work_, so nothing is allocated here.
  const bool factored = cholesky_lower_in_place(work_, pool_.get());

  std::string reason;
  if (!factored) {
    reason = "J^T J + D^2 is not numerically positive definite";
  } else if (n > 0) {
    // work_ now holds L; its squared diagonal are the pivots. Compare with the
    // largest diagonal entry of the matrix itself, >= 1 after scaling unless
    // J has zero columns.
    const double max_diagonal = std::max(1.0, scaled_normal_.diagonal().maxCoeff());
    const double pivot_ratio = work_.diagonal().cwiseAbs2().minCoeff() / max_diagonal;
    if (!(pivot_ratio >= kMinPivotRatio)) {
      reason = "J^T J + D^2 is too ill-conditioned for the normal equations (pivot ratio " +
               std::to_string(pivot_ratio) + ")";
    }
  }

  if (reason.empty()) {
    *dx = scaled_rhs_;
    work_.triangularView<Eigen::Lower>().solveInPlace(*dx);
    work_.triangularView<Eigen::Lower>().transpose().solveInPlace(*dx);
    dx->array() *= scale_.array();
    if (dx->allFinite()) return {.success = true, .iterations = 1, .message = {}};
    reason = "the Cholesky solution is not finite";
  }

  ++num_fallbacks_;
  Eigen::Index rank;
  if (jacobian_.dense) {
    rank = solve_augmented_cod(*jacobian_.dense * scale_.asDiagonal(), scale_, *residuals_, d, dx);
  } else {
    rank = solve_augmented_cod(Eigen::MatrixXd(*jacobian_.sparse) * scale_.asDiagonal(), scale_, *residuals_, d, dx);
  }
  if (!dx->allFinite()) {
    return {.success = false,
            .iterations = 1,
            .message = "DenseNormalCholeskySolver: " + reason + ", and the orthogonal-decomposition fallback "
                       "gave a non-finite solution (non-finite Jacobian or residuals?)"};
  }
  return {.success = true,
          .iterations = 1,
          .message = "DenseNormalCholeskySolver: " + reason +
                     "; used a complete orthogonal decomposition of [J; D] instead (numerical rank " +
                     std::to_string(rank) + " of " + std::to_string(n) + ", minimum-norm solution)"};
}

}  // namespace curvature::internal
