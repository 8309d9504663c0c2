// covariance_sparse.cc — the requested columns of the covariance from a
// sparse QR factorization of the equilibrated Jacobian.
//
// J D^-1 E = Q R, so (J^T J)^-1 = D^-1 E R^-1 R^-T E^T D^-1; column j costs
// two triangular solves with R, and only the columns of the requested
// blocks are formed (in batches, so memory stays n x kBatchColumns).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "covariance_internal.h"
#include "curvature/error.h"
#include "sparse_qr_factorization.h"

namespace curvature::internal {
namespace {

constexpr Eigen::Index kBatchColumns = 64;

}  // namespace

CovarianceColumns sparse_qr_covariance(const SparseRowMatrix& jacobian, const std::vector<int>& columns,
                                       const CovarianceOptions& options) {
  const Eigen::Index m = jacobian.rows();
  const Eigen::Index n = jacobian.cols();
  CovarianceColumns out;
  out.reciprocal_condition_number = std::numeric_limits<double>::quiet_NaN();
  if (m < n) {
    out.rank = static_cast<int>(m);
    out.message = "J is rank-deficient: " + std::to_string(m) + " residuals for " + std::to_string(n) +
                  " parameters, so its rank is at most " + std::to_string(m);
    return out;
  }

  // J D^-1, column compressed with 64-bit indices, by a counting sort of
  // the row-major entries.
  Eigen::VectorXd squared = Eigen::VectorXd::Zero(n);
  for (Eigen::Index r = 0; r < m; ++r) {
    for (SparseRowMatrix::InnerIterator it(jacobian, r); it; ++it) squared[it.col()] += it.value() * it.value();
  }
  const Eigen::VectorXd d = equilibration(squared);
  std::vector<std::int64_t> starts(static_cast<size_t>(n) + 1, 0);
  for (Eigen::Index r = 0; r < m; ++r) {
    for (SparseRowMatrix::InnerIterator it(jacobian, r); it; ++it) ++starts[it.col() + 1];
  }
  for (Eigen::Index c = 0; c < n; ++c) starts[c + 1] += starts[c];
  std::vector<std::int64_t> rows(static_cast<size_t>(starts[n]));
  std::vector<double> values(static_cast<size_t>(starts[n]));
  std::vector<std::int64_t> next(starts.begin(), starts.end() - 1);
  for (Eigen::Index r = 0; r < m; ++r) {
    for (SparseRowMatrix::InnerIterator it(jacobian, r); it; ++it) {
      const std::int64_t slot = next[it.col()]++;
      rows[slot] = r;
      values[slot] = it.value() / d[it.col()];
    }
  }
  const SparseColumnView view{
      .rows = m, .cols = n, .starts = starts.data(), .row_indices = rows.data(), .values = values.data()};

  // The columns of J D^-1 have unit norm (or are zero), so a tolerance of
  // sqrt(min rcond) drops a column whose distance from the span of the ones
  // before it is below sqrt(min rcond) times the largest column norm.
  SparseQrFactorization qr;
  std::string error = qr.analyze(view);
  if (error.empty()) error = qr.factorize(view, std::sqrt(options.min_reciprocal_condition_number));
  if (!error.empty()) {
    out.message = error;
    return out;
  }
  out.rank = static_cast<int>(qr.rank());
  if (out.rank < n) {
    out.message = "J is rank-deficient: the sparse QR of the equilibrated J found rank " + std::to_string(out.rank) +
                  " of " + std::to_string(n) + " (column tolerance " +
                  to_decimal(std::sqrt(options.min_reciprocal_condition_number)) + ")";
    return out;
  }

  const auto k = static_cast<Eigen::Index>(columns.size());
  out.values.resize(n, k);
  const Eigen::VectorXd d_inverse = d.cwiseInverse();
  for (Eigen::Index first = 0; first < k; first += kBatchColumns) {
    const Eigen::Index batch = std::min(kBatchColumns, k - first);
    // C e_j = D^-1 E R^-1 R^-T E^T (D^-1 e_j).
    Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(n, batch);
    for (Eigen::Index b = 0; b < batch; ++b) {
      const int column = columns[static_cast<size_t>(first + b)];
      rhs(column, b) = d_inverse[column];
    }
    Eigen::MatrixXd solution;
    error = qr.solve_normal(rhs, &solution);
    if (!error.empty()) {
      out.message = error;
      return out;
    }
    out.values.middleCols(first, batch) = d_inverse.asDiagonal() * solution;
  }
  out.ok = true;
  return out;
}

}  // namespace curvature::internal
