#include "dense_normal_cholesky.h"

#include <Eigen/Cholesky>
#include <string>

#include "dense_qr.h"
#include "jacobian_products.h"
#include "small_cholesky.h"
#include "tiled_dense.h"

namespace curvature::internal {

DenseNormalCholeskySolver::DenseNormalCholeskySolver(int num_threads, bool mixed_precision)
    : mixed_precision_(mixed_precision) {
  if (num_threads > 1) pool_ = std::make_unique<ThreadPool>(num_threads);
}

DenseNormalCholeskySolver::~DenseNormalCholeskySolver() = default;

LinearSolverResult DenseNormalCholeskySolver::prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  check_jacobian("DenseNormalCholeskySolver", jacobian, residuals);
  const Eigen::Index n = jacobian.cols();
  jacobian_ = jacobian;
  residuals_ = &residuals;
  use_mixed_ = mixed_precision_ && jacobian.dense && n >= kMixedPrecisionMinColumns;
  if (use_mixed_ && double_spell_left_ > 0) {
    // A recent step could not be solved in mixed precision. The conditioning
    // of J^T J changes slowly between Jacobians, so the next few would fail
    // the same way, each after paying for the single-precision J^T J and
    // factorizations.
    --double_spell_left_;
    use_mixed_ = false;
  }
  double_normal_formed_ = false;
  // The tile kernels of this Jacobian's size class (dense_kernel.h), looked
  // up (and calibrated on first use) only when the tiles will run.
  kernels_ = jacobian.dense && n > kDenseTileSize ? &dense_kernels(jacobian.rows(), pool_.get()) : nullptr;
  if (use_mixed_) {
    // Column norms, scaling, the scaled single-precision copy and the
    // right-hand side, column by column on the threads: serial passes over
    // J would otherwise take a fifth of the time of the single-precision J^T J.
    // The norms and J^T r come from the caller when it has them (the same
    // sums, so the same bits), which leaves only the conversion here.
    // And J S itself when the evaluator wrote it in the same pass (the same
    // expression of the same norms, so the same bits): then J is not read here.
    const Eigen::MatrixXd& j = *jacobian.dense;
    const Eigen::VectorXd* norms = jacobian.column_squared_norms;
    const Eigen::VectorXd* gradient = jacobian.gradient;
    if (norms && norms->size() != n) norms = nullptr;
    if (gradient && gradient->size() != n) gradient = nullptr;
    const Eigen::MatrixXf* given = jacobian.scaled_single;
    if (!norms || !given || given->rows() != j.rows() || given->cols() != n) given = nullptr;
    scale_.resize(n);
    if (!given) single_jacobian_.resize(j.rows(), n);
    scaled_rhs_.resize(n);
    auto convert = [&](int /*thread*/, int begin, int end) {
      for (int c = begin; c < end; ++c) {
        scale_[c] = jacobi_scale(norms ? (*norms)[c] : j.col(c).squaredNorm());
        if (!given) single_jacobian_.col(c) = (scale_[c] * j.col(c)).cast<float>();
        scaled_rhs_[c] = -scale_[c] * (gradient ? (*gradient)[c] : j.col(c).dot(residuals));
      }
    };
    // Only n scalars are left when J is not read: not worth the threads.
    if (pool_ && (!given || !gradient)) {
      pool_->parallel_for(static_cast<int>(n), convert);
    } else {
      convert(0, 0, static_cast<int>(n));
    }
    lower_normal_matrix(given ? *given : single_jacobian_, &single_normal_, pool_.get(), kDenseTileSize,
                        single_kernel());
    single_work_.resize(n, n);
  } else {
    form_double_normal_matrix();
  }
  work_.resize(n, n);
  prepared_ = true;
  return {.success = true, .iterations = 1, .message = {}};
}

void DenseNormalCholeskySolver::form_double_normal_matrix() {
  const JacobianRef& jacobian = jacobian_;
  const Eigen::Index n = jacobian.cols();
  double_normal_formed_ = true;
  // Lower triangle of J^T J only: that is all the factorization reads.
  if (jacobian.dense) {
    lower_normal_matrix(*jacobian.dense, &scaled_normal_, pool_.get(), kDenseTileSize, double_kernel());
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
  // Recomputed (with the right-hand side) even after the mixed-precision
  // path chose it from the same column norms, so that its fallback gives the
  // bits of the all-double solve. In place: a small solve runs thousands of
  // times a second, and a fresh vector each time cost an allocation.
  scale_.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) scale_[i] = jacobi_scale(scaled_normal_(i, i));
  if (n <= kSmallCholeskyColumns) {
    // The same products as below, without the expression set-up.
    for (Eigen::Index j = 0; j < n; ++j) {
      for (Eigen::Index i = j; i < n; ++i) scaled_normal_(i, j) = scale_[i] * scaled_normal_(i, j) * scale_[j];
    }
  } else {
    scaled_normal_.triangularView<Eigen::Lower>() = scale_.asDiagonal() * scaled_normal_ * scale_.asDiagonal();
  }
  // J^T r: the caller's when it has it for a Jacobian narrower than
  // Evaluator::kWideJacobian, which it formed by the same product as
  // multiply_jacobian_transpose (the same bits); wider ones it sums column by
  // column, which would change the bits of this path.
  const Eigen::VectorXd* gradient = jacobian.gradient;
  if (gradient && jacobian.dense && n <= kSmallCholeskyColumns && gradient->size() == n) {
    scaled_rhs_ = -scale_.cwiseProduct(*gradient);
  } else {
    multiply_jacobian_transpose(jacobian, *residuals_, &scaled_rhs_);
    scaled_rhs_ = -scale_.cwiseProduct(scaled_rhs_);
  }
}

LinearSolverResult DenseNormalCholeskySolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  const Eigen::Index n = scale_.size();
  check_damping("DenseNormalCholeskySolver", prepared_, n, d, dx);
  dx->resize(n);
  has_jacobian_step_ = false;

  if (use_mixed_) {
    int iterations = 0;
    if (solve_mixed_precision(d, dx, &iterations)) {
      ++num_mixed_solves_;
      return {.success = true, .iterations = iterations, .message = {}};
    }
    double_spell_left_ = kDoublePrecisionSpell;
    if (!double_normal_formed_) form_double_normal_matrix();
  }

  const bool small = n <= kSmallCholeskyColumns;
  if (small) {
    // The same sums as below, without the expression set-up.
    for (Eigen::Index j = 0; j < n; ++j) {
      const double damping = d[j] * scale_[j];
      work_(j, j) = scaled_normal_(j, j) + damping * damping;
      for (Eigen::Index i = j + 1; i < n; ++i) work_(i, j) = scaled_normal_(i, j);
    }
  } else {
    work_.triangularView<Eigen::Lower>() = scaled_normal_;
    work_.diagonal() += (d.cwiseProduct(scale_)).cwiseAbs2();
  }
  // In place: the factor overwrites work_, so nothing is allocated here.
  const bool factored = small ? small_cholesky_lower_in_place(work_.data(), n, n)
                              : cholesky_lower_in_place(work_, pool_.get(), kDenseTileSize, double_kernel());

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
    if (small) {
      small_cholesky_solve_in_place(work_.data(), n, n, dx->data());
    } else {
      work_.triangularView<Eigen::Lower>().solveInPlace(*dx);
      work_.triangularView<Eigen::Lower>().transpose().solveInPlace(*dx);
    }
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
            .message = "DenseNormalCholeskySolver: " + reason +
                       ", and the orthogonal-decomposition fallback "
                       "gave a non-finite solution (non-finite Jacobian or residuals?)"};
  }
  return {.success = true,
          .iterations = 1,
          .message = "DenseNormalCholeskySolver: " + reason +
                     "; used a complete orthogonal decomposition of [J; D] instead (numerical rank " +
                     std::to_string(rank) + " of " + std::to_string(n) + ", minimum-norm solution)"};
}

bool DenseNormalCholeskySolver::solve_mixed_precision(const Eigen::VectorXd& d, Eigen::VectorXd* dx, int* iterations) {
  damping_squared_ = d.cwiseProduct(scale_).cwiseAbs2();
  const double max_diagonal = std::max(1.0, static_cast<double>(single_normal_.diagonal().maxCoeff()));
  auto factor = [&](double shift) {
    single_work_.triangularView<Eigen::Lower>() = single_normal_;
    single_work_.diagonal() += damping_squared_.cast<float>();
    single_work_.diagonal().array() += static_cast<float>(shift);
    if (!cholesky_lower_in_place(single_work_, pool_.get(), kDenseTileSize, single_kernel())) return false;
    const double pivot_ratio = single_work_.diagonal().cast<double>().cwiseAbs2().minCoeff() / max_diagonal;
    return pivot_ratio >= kMinSinglePivotRatio;
  };
  int max_iterations = kMaxRefinementIterations;
  bool shifted = false;
  if (!factor(0.0)) {
    // The damping alone keeps A's smallest eigenvalue above what the double
    // path accepts, so A is well-posed and only the float rounding of J^T J
    // broke the factorization: a shifted factor still preconditions, with a
    // few more CG iterations for the eigenvalues below the shift.
    const bool well_posed = damping_squared_.minCoeff() >= kMinPivotRatio * max_diagonal;
    if (!well_posed || !factor(kPreconditionerShift * max_diagonal)) return false;
    max_iterations = kMaxShiftedRefinementIterations;
    shifted = true;
  }

  // Preconditioned CG on A y = b, A = S J^T J S + (D S)^2, b = -S J^T r,
  // from the single-precision solution.
  const Eigen::MatrixXd& j = *jacobian_.dense;
  auto apply_a = [&](const Eigen::VectorXd& v, Eigen::VectorXd* out, Eigen::VectorXd* jacobian_product) {
    scaled_vector_ = scale_.cwiseProduct(v);
    normal_matrix_product(j, scaled_vector_, out, pool_.get(), jacobian_product, &partial_sums_);
    *out = scale_.cwiseProduct(*out) + damping_squared_.cwiseProduct(v);
  };
  const double target = kMixedPrecisionTolerance * scaled_rhs_.norm();
  Eigen::VectorXd& y = *dx;
  apply_preconditioner(scaled_rhs_, &y);
  apply_a(y, &product_, &jacobian_step_);
  residual_ = scaled_rhs_ - product_;
  *iterations = 0;
  if (residual_.norm() > target) {
    apply_preconditioner(residual_, &preconditioned_);
    direction_ = preconditioned_;
    double rz = residual_.dot(preconditioned_);
    while (true) {
      if (++*iterations > max_iterations) return false;
      apply_a(direction_, &product_, &jacobian_direction_);
      const double curvature = direction_.dot(product_);
      if (!(curvature > 0.0)) return false;
      const double alpha = rz / curvature;
      y += alpha * direction_;
      jacobian_step_ += alpha * jacobian_direction_;
      residual_ -= alpha * product_;
      if (residual_.norm() <= target) break;
      apply_preconditioner(residual_, &preconditioned_);
      const double rz_next = residual_.dot(preconditioned_);
      direction_ = preconditioned_ + (rz_next / rz) * direction_;
      rz = rz_next;
    }
  }
  y.array() *= scale_.array();
  if (!y.allFinite()) return false;
  has_jacobian_step_ = jacobian_step_.allFinite();
  if (shifted) ++num_shifted_solves_;
  return true;
}

void DenseNormalCholeskySolver::apply_preconditioner(const Eigen::VectorXd& r, Eigen::VectorXd* z) {
  single_vector_ = r.cast<float>();
  single_work_.triangularView<Eigen::Lower>().solveInPlace(single_vector_);
  single_work_.triangularView<Eigen::Lower>().transpose().solveInPlace(single_vector_);
  *z = single_vector_.cast<double>();
}

}  // namespace curvature::internal
