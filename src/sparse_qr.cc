#include "sparse_qr.h"

#include <SuiteSparseQR.hpp>
#include <algorithm>
#include <string>

#include "jacobian_products.h"

namespace curvature::internal {

LinearSolverResult SparseQrSolver::prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  check_jacobian("SparseQrSolver", jacobian, residuals);
  rows_ = jacobian.rows();
  cols_ = jacobian.cols();
  scale_ = jacobi_scaling_from_squared_norms(jacobian_column_squared_norms(jacobian));
  residuals_ = residuals;

  // Column-compressed J S by counting sort of the row-major entries (or
  // column by column for a dense J, keeping its zeros out).
  column_starts_.assign(cols_ + 1, 0);
  row_indices_.clear();
  values_.clear();
  if (jacobian.dense) {
    const Eigen::MatrixXd& j = *jacobian.dense;
    for (Eigen::Index c = 0; c < cols_; ++c) {
      for (Eigen::Index r = 0; r < rows_; ++r) {
        if (j(r, c) != 0.0) {
          row_indices_.push_back(r);
          values_.push_back(j(r, c) * scale_[c]);
        }
      }
      column_starts_[c + 1] = static_cast<SuiteSparse_long>(row_indices_.size());
    }
  } else {
    const SparseRowMatrix& j = *jacobian.sparse;
    for (Eigen::Index r = 0; r < rows_; ++r) {
      for (SparseRowMatrix::InnerIterator it(j, r); it; ++it) ++column_starts_[it.col() + 1];
    }
    for (Eigen::Index c = 0; c < cols_; ++c) column_starts_[c + 1] += column_starts_[c];
    row_indices_.resize(column_starts_[cols_]);
    values_.resize(column_starts_[cols_]);
    std::vector<SuiteSparse_long> next(column_starts_.begin(), column_starts_.end() - 1);
    for (Eigen::Index r = 0; r < rows_; ++r) {
      for (SparseRowMatrix::InnerIterator it(j, r); it; ++it) {
        const SuiteSparse_long slot = next[it.col()]++;
        row_indices_[slot] = r;
        values_[slot] = it.value() * scale_[it.col()];
      }
    }
  }
  prepared_ = true;
  return {.success = true, .iterations = 1, .message = {}};
}

LinearSolverResult SparseQrSolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  check_damping("SparseQrSolver", prepared_, cols_, d, dx);
  dx->resize(cols_);
  if (cols_ == 0) return {.success = true, .iterations = 1, .message = {}};

  // [J S; D S]: each column gets its damping entry, if any, in row m + (its
  // index among the damped columns).
  augmented_starts_.assign(cols_ + 1, 0);
  augmented_rows_.resize(row_indices_.size() + static_cast<size_t>(cols_));
  augmented_values_.resize(values_.size() + static_cast<size_t>(cols_));
  SuiteSparse_long nnz = 0, damped = 0;
  for (Eigen::Index c = 0; c < cols_; ++c) {
    for (SuiteSparse_long k = column_starts_[c]; k < column_starts_[c + 1]; ++k, ++nnz) {
      augmented_rows_[nnz] = row_indices_[k];
      augmented_values_[nnz] = values_[k];
    }
    if (d[c] != 0.0) {
      augmented_rows_[nnz] = rows_ + damped++;
      augmented_values_[nnz++] = d[c] * scale_[c];
    }
    augmented_starts_[c + 1] = nnz;
  }
  augmented_rhs_.assign(rows_ + damped, 0.0);
  for (Eigen::Index r = 0; r < rows_; ++r) augmented_rhs_[r] = -residuals_[r];

  cholmod_sparse a = {};
  a.nrow = static_cast<size_t>(rows_ + damped);
  a.ncol = static_cast<size_t>(cols_);
  a.nzmax = static_cast<size_t>(nnz);
  a.p = augmented_starts_.data();
  a.i = augmented_rows_.data();
  a.stype = 0;
  a.x = augmented_values_.data();
  a.itype = CHOLMOD_LONG;
  a.xtype = CHOLMOD_REAL;
  a.dtype = CHOLMOD_DOUBLE;
  a.sorted = 1;
  a.packed = 1;
  cholmod_dense b = {};
  b.nrow = b.nzmax = b.d = a.nrow;
  b.ncol = 1;
  b.x = augmented_rhs_.data();
  b.xtype = CHOLMOD_REAL;
  b.dtype = CHOLMOD_DOUBLE;

  cholmod_common* c = common_.get();
  // The ordering and symbolic analysis (more than half of a solve on a
  // banded Jacobian) depend only on the pattern of [J S; D S], which stays
  // the same from iteration to iteration; redo them only when it changes.
  const auto rows_end = augmented_rows_.begin() + nnz;
  if (!factorization_ || a.nrow != analyzed_nrow_ || augmented_starts_ != analyzed_starts_ ||
      !std::equal(augmented_rows_.begin(), rows_end, analyzed_rows_.begin(), analyzed_rows_.end())) {
    factorization_.reset();
    factorization_.reset(SuiteSparseQR_symbolic<double>(SPQR_ORDERING_DEFAULT, /*allow_tol=*/1, &a, c));
    if (!factorization_) {
      return {.success = false,
              .iterations = 1,
              .message =
                  "SparseQrSolver: SPQR's symbolic analysis failed (CHOLMOD status " + std::to_string(c->status) + ")"};
    }
    ++num_symbolic_analyses_;
    analyzed_nrow_ = a.nrow;
    analyzed_starts_ = augmented_starts_;
    analyzed_rows_.assign(augmented_rows_.begin(), rows_end);
  }
  if (!SuiteSparseQR_numeric<double>(SPQR_DEFAULT_TOL, &a, factorization_.get(), c)) {
    return {.success = false,
            .iterations = 1,
            .message = "SparseQrSolver: SPQR's numeric factorization failed (CHOLMOD status " +
                       std::to_string(c->status) + ")"};
  }
  // x = E R^-1 Q^T b: the basic least-squares solution, zero on the columns
  // rank detection dropped.
  cholmod_dense* qtb = SuiteSparseQR_qmult<double>(SPQR_QTX, factorization_.get(), &b, c);
  cholmod_dense* x = qtb ? SuiteSparseQR_solve<double>(SPQR_RETX_EQUALS_B, factorization_.get(), qtb, c) : nullptr;
  if (qtb) cholmod_l_free_dense(&qtb, c);
  if (x == nullptr) {
    return {
        .success = false,
        .iterations = 1,
        .message = "SparseQrSolver: SuiteSparseQR's solve failed (CHOLMOD status " + std::to_string(c->status) + ")"};
  }
  const double* values = static_cast<const double*>(x->x);
  for (Eigen::Index i = 0; i < cols_; ++i) (*dx)[i] = scale_[i] * values[i];
  cholmod_l_free_dense(&x, c);
  if (!dx->allFinite()) {
    return {.success = false,
            .iterations = 1,
            .message = "SparseQrSolver: non-finite solution (non-finite Jacobian or residuals?)"};
  }
  const auto rank = static_cast<Eigen::Index>(factorization_->rank);
  if (rank < cols_) {
    return {.success = true,
            .iterations = 1,
            .message = "SparseQrSolver: [J; D] is rank-deficient (estimated rank " + std::to_string(rank) + " of " +
                       std::to_string(cols_) + "); returned a basic least-squares solution"};
  }
  return {.success = true, .iterations = 1, .message = {}};
}

}  // namespace curvature::internal
