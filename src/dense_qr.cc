#include "dense_qr.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "jacobian_products.h"

namespace curvature::internal {
namespace {

// A diagonal entry of the damped triangle below this fraction of the largest
// one counts as zero, i.e. [J S; D S] is treated as rank-deficient. Scaled
// columns have unit norm, so this is a bound on 1 / cond(J S).
double rank_tolerance(Eigen::Index cols) {
  return 100.0 * static_cast<double>(std::max<Eigen::Index>(cols, 1)) * std::numeric_limits<double>::epsilon();
}

}  // namespace

Eigen::Index solve_augmented_cod(const Eigen::MatrixXd& scaled_jacobian, const Eigen::VectorXd& scale,
                                 const Eigen::VectorXd& residuals, const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  const Eigen::Index m = scaled_jacobian.rows();
  const Eigen::Index n = scaled_jacobian.cols();
  // Damping rows that are zero add nothing; leaving them out keeps the
  // decomposition as small as the problem.
  const Eigen::Index damped = (d.array() != 0.0).count();
  Eigen::MatrixXd augmented = Eigen::MatrixXd::Zero(m + damped, n);
  augmented.topRows(m) = scaled_jacobian;
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(m + damped);
  rhs.head(m) = -residuals;
  for (Eigen::Index j = 0, row = m; j < n; ++j) {
    if (d[j] != 0.0) augmented(row++, j) = d[j] * scale[j];
  }
  Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod(augmented);
  *dx = scale.cwiseProduct(cod.solve(rhs));
  return cod.rank();
}

LinearSolverResult DenseQrSolver::prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  check_jacobian("DenseQrSolver", jacobian, residuals);
  const Eigen::Index m = jacobian.rows();
  const Eigen::Index n = jacobian.cols();
  const Eigen::Index k = std::min(m, n);

  scale_ = jacobi_scaling_from_squared_norms(jacobian_column_squared_norms(jacobian));
  if (jacobian.dense) {
    scaled_jacobian_ = *jacobian.dense * scale_.asDiagonal();
  } else {
    scaled_jacobian_ = Eigen::MatrixXd(*jacobian.sparse) * scale_.asDiagonal();
  }
  residuals_ = residuals;

  // Factoring [J S, r] instead of J S leaves Q^T r in the last column of R,
  // without applying Q separately. Only R and the first n entries of Q^T r
  // matter: the rest of Q^T r is the part of r no step can reduce.
  augmented_.resize(m, n + 1);
  augmented_.leftCols(n) = scaled_jacobian_;
  augmented_.col(n) = residuals;
  qr_.compute(augmented_);
  r_transpose_.setZero(n, n);
  r_transpose_.leftCols(k) =
      qr_.matrixQR().topLeftCorner(k, n).triangularView<Eigen::Upper>().toDenseMatrix().transpose();
  rhs_.setZero(n);
  rhs_.head(k) = -qr_.matrixQR().col(n).head(k);

  work_r_transpose_.resize(n, n);
  work_rhs_.resize(n);
  work_row_.resize(n);
  prepared_ = true;
  return {.success = true, .iterations = 1, .message = {}};
}

LinearSolverResult DenseQrSolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  const Eigen::Index n = scale_.size();
  check_damping("DenseQrSolver", prepared_, n, d, dx);
  dx->resize(n);

  // Fold each damping row (a single entry d_j s_j in column j) into
  // the triangle with Givens rotations. R is stored transposed so that a row
  // of R, which each rotation sweeps, is a contiguous column.
  Eigen::MatrixXd& lt = work_r_transpose_;
  Eigen::VectorXd& c = work_rhs_;
  Eigen::VectorXd& w = work_row_;
  lt = r_transpose_;
  c = rhs_;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double damping = d[j] * scale_[j];
    if (damping == 0.0) continue;
    w.tail(n - j).setZero();
    w[j] = damping;
    double extra_rhs = 0.0;
    for (Eigen::Index k = j; k < n; ++k) {
      if (w[k] == 0.0) continue;
      // The rotation that zeroes w[k] against R(k, k), in the overflow-safe
      // form MINPACK uses.
      double cosine, sine;
      const double a = lt(k, k);
      if (std::abs(w[k]) > std::abs(a)) {
        const double cotangent = a / w[k];
        sine = 1.0 / std::sqrt(1.0 + cotangent * cotangent);
        cosine = sine * cotangent;
      } else {
        const double tangent = w[k] / a;
        cosine = 1.0 / std::sqrt(1.0 + tangent * tangent);
        sine = cosine * tangent;
      }
      lt(k, k) = cosine * a + sine * w[k];
      for (Eigen::Index i = k + 1; i < n; ++i) {
        const double rki = lt(i, k);
        lt(i, k) = cosine * rki + sine * w[i];
        w[i] = -sine * rki + cosine * w[i];
      }
      const double ck = c[k];
      c[k] = cosine * ck + sine * extra_rhs;
      extra_rhs = -sine * ck + cosine * extra_rhs;
    }
  }

  const double max_diagonal = n > 0 ? lt.diagonal().cwiseAbs().maxCoeff() : 0.0;
  const double min_diagonal = n > 0 ? lt.diagonal().cwiseAbs().minCoeff() : 0.0;
  if (n > 0 && !(min_diagonal > rank_tolerance(n) * max_diagonal)) {
    const Eigen::Index rank = solve_augmented_cod(scaled_jacobian_, scale_, residuals_, d, dx);
    if (!dx->allFinite()) {
      return {
          .success = false, .iterations = 1, .message = "DenseQrSolver: non-finite solution (non-finite Jacobian?)"};
    }
    return {.success = true,
            .iterations = 1,
            .message = "DenseQrSolver: [J; D] is rank-deficient (numerical rank " + std::to_string(rank) + " of " +
                       std::to_string(n) +
                       "); used a complete orthogonal decomposition for the minimum-norm solution in "
                       "Jacobi-scaled variables"};
  }

  lt.triangularView<Eigen::Lower>().adjoint().solveInPlace(c);
  *dx = scale_.cwiseProduct(c);
  if (!dx->allFinite()) {
    return {.success = false, .iterations = 1, .message = "DenseQrSolver: non-finite solution (non-finite Jacobian?)"};
  }
  return {.success = true, .iterations = 1, .message = {}};
}

}  // namespace curvature::internal
