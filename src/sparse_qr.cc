#include "sparse_qr.h"

#include <algorithm>
#include <cstdint>
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
      column_starts_[c + 1] = static_cast<std::int64_t>(row_indices_.size());
    }
  } else {
    const SparseRowMatrix& j = *jacobian.sparse;
    for (Eigen::Index r = 0; r < rows_; ++r) {
      for (SparseRowMatrix::InnerIterator it(j, r); it; ++it) ++column_starts_[it.col() + 1];
    }
    for (Eigen::Index c = 0; c < cols_; ++c) column_starts_[c + 1] += column_starts_[c];
    row_indices_.resize(column_starts_[cols_]);
    values_.resize(column_starts_[cols_]);
    std::vector<std::int64_t> next(column_starts_.begin(), column_starts_.end() - 1);
    for (Eigen::Index r = 0; r < rows_; ++r) {
      for (SparseRowMatrix::InnerIterator it(j, r); it; ++it) {
        const std::int64_t slot = next[it.col()]++;
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
  std::int64_t nnz = 0, damped = 0;
  for (Eigen::Index c = 0; c < cols_; ++c) {
    for (std::int64_t k = column_starts_[c]; k < column_starts_[c + 1]; ++k, ++nnz) {
      augmented_rows_[nnz] = row_indices_[k];
      augmented_values_[nnz] = values_[k];
    }
    if (d[c] != 0.0) {
      augmented_rows_[nnz] = rows_ + damped++;
      augmented_values_[nnz++] = d[c] * scale_[c];
    }
    augmented_starts_[c + 1] = nnz;
  }
  augmented_rhs_.setZero(rows_ + damped);
  augmented_rhs_.head(rows_) = -residuals_;

  const SparseColumnView a{.rows = rows_ + damped,
                           .cols = cols_,
                           .starts = augmented_starts_.data(),
                           .row_indices = augmented_rows_.data(),
                           .values = augmented_values_.data()};
  // The ordering and symbolic analysis (more than half of a solve on a
  // banded Jacobian) depend only on the pattern of [J S; D S], which stays
  // the same from iteration to iteration; redo them only when it changes.
  const auto rows_end = augmented_rows_.begin() + nnz;
  if (!analyzed_ || a.rows != analyzed_nrow_ || augmented_starts_ != analyzed_starts_ ||
      !std::equal(augmented_rows_.begin(), rows_end, analyzed_rows_.begin(), analyzed_rows_.end())) {
    const std::string failure = factorization_.analyze(a);
    analyzed_ = failure.empty();
    if (!analyzed_) return {.success = false, .iterations = 1, .message = "SparseQrSolver: " + failure};
    ++num_symbolic_analyses_;
    analyzed_nrow_ = a.rows;
    analyzed_starts_ = augmented_starts_;
    analyzed_rows_.assign(augmented_rows_.begin(), rows_end);
  }
  if (const std::string failure = factorization_.factorize(a); !failure.empty()) {
    return {.success = false, .iterations = 1, .message = "SparseQrSolver: " + failure};
  }
  if (const std::string failure = factorization_.solve(augmented_rhs_, &solution_); !failure.empty()) {
    return {.success = false, .iterations = 1, .message = "SparseQrSolver: " + failure};
  }
  *dx = scale_.cwiseProduct(solution_);
  if (!dx->allFinite()) {
    return {.success = false,
            .iterations = 1,
            .message = "SparseQrSolver: non-finite solution (non-finite Jacobian or residuals?)"};
  }
  const Eigen::Index rank = factorization_.rank();
  if (rank < cols_) {
    return {.success = true,
            .iterations = 1,
            .message = "SparseQrSolver: [J; D] is rank-deficient (estimated rank " + std::to_string(rank) + " of " +
                       std::to_string(cols_) + "); returned a basic least-squares solution"};
  }
  return {.success = true, .iterations = 1, .message = {}};
}

}  // namespace curvature::internal
