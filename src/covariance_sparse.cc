// covariance_sparse.cc — the requested columns of the covariance from a
// sparse QR factorization of the equilibrated Jacobian.
//
// J D^-1 E = Q R, so (J^T J)^-1 = D^-1 E R^-1 R^-T E^T D^-1; column j costs
// two triangular solves with R, and only the columns of the requested
// blocks are formed (in batches, so memory stays n x kBatchColumns).
//
// The rank test has two stages: the factorization drops columns closer than
// sqrt(min rcond) to the span of the ones before it (cheap, but blind to a
// near-dependence spread over many columns), then the reciprocal condition
// number of the equilibrated J^T J is estimated by power iteration at both
// ends of the spectrum (each step of the inverse end is one pair of
// triangular solves with R) and tested as on the dense path.
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

// Power-iteration steps for each end of the spectrum: enough for a few
// digits of sigma_min and sigma_max, which is all a threshold test needs.
constexpr int kPowerIterations = 30;

// The largest eigenvalue of a symmetric positive semidefinite operator on
// R^n by power iteration (the Rayleigh quotient, which approaches it from
// below), from a fixed start so the result does not vary between runs.
// `apply` returns false on failure. `vector` (if given) receives the last
// iterate, an approximate eigenvector of unit norm.
template <typename Apply>
bool largest_eigenvalue(Eigen::Index n, const Apply& apply, double* eigenvalue, Eigen::VectorXd* vector = nullptr) {
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = 1.0 + 0.5 * std::sin(static_cast<double>(i));
  v.normalize();
  *eigenvalue = 0.0;
  Eigen::VectorXd w;
  for (int k = 0; k < kPowerIterations; ++k) {
    if (!apply(v, &w)) return false;
    *eigenvalue = v.dot(w);
    const double norm = w.norm();
    if (!(norm > 0.0) || !std::isfinite(norm)) break;
    v = w / norm;
  }
  if (vector) *vector = v;
  return true;
}

// w = A^T A v.
bool apply_normal(const SparseColumnView& a, const Eigen::VectorXd& v, Eigen::VectorXd* w) {
  Eigen::VectorXd av = Eigen::VectorXd::Zero(a.rows);
  for (Eigen::Index c = 0; c < a.cols; ++c) {
    for (std::int64_t e = a.starts[c]; e < a.starts[c + 1]; ++e) av[a.row_indices[e]] += a.values[e] * v[c];
  }
  w->resize(a.cols);
  for (Eigen::Index c = 0; c < a.cols; ++c) {
    double sum = 0.0;
    for (std::int64_t e = a.starts[c]; e < a.starts[c + 1]; ++e) sum += a.values[e] * av[a.row_indices[e]];
    (*w)[c] = sum;
  }
  return true;
}

// w = (A^T A)^-1 v through the factorization of A.
bool apply_inverse_normal(SparseQrFactorization& qr, const Eigen::VectorXd& v, Eigen::VectorXd* w) {
  Eigen::MatrixXd solution;
  if (!qr.solve_normal(v, &solution).empty()) return false;
  *w = solution.col(0);
  return true;
}

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

  // The rank test proper: sigma_max^2 by power iteration on A^T A,
  // 1 / sigma_min^2 on (A^T A)^-1 = (R^T R)^-1 through the factorization.
  double largest = 0.0, inverse_smallest = 0.0;
  Eigen::VectorXd smallest_vector;  // of J D^-1: the near-null direction
  const bool estimated =
      largest_eigenvalue(
          n, [&](const Eigen::VectorXd& v, Eigen::VectorXd* w) { return apply_normal(view, v, w); }, &largest) &&
      largest_eigenvalue(
          n, [&](const Eigen::VectorXd& v, Eigen::VectorXd* w) { return apply_inverse_normal(qr, v, w); },
          &inverse_smallest, &smallest_vector);
  if (estimated && largest > 0.0 && inverse_smallest > 0.0) {
    out.reciprocal_condition_number = 1.0 / (largest * inverse_smallest);
  }
  if (options.min_reciprocal_condition_number > 0.0 &&
      !(out.reciprocal_condition_number >= options.min_reciprocal_condition_number)) {
    out.rank = static_cast<int>(n) - 1;
    out.message = "J is rank-deficient: the estimated reciprocal condition number of the equilibrated J^T J " +
                  to_decimal(out.reciprocal_condition_number) + " is below the minimum " +
                  to_decimal(options.min_reciprocal_condition_number) + " (numerical rank at most " +
                  std::to_string(n - 1) + " of " + std::to_string(n) + ")";
    // The near-null direction in J's own coordinates names the blocks.
    if (smallest_vector.size() == n) {
      Eigen::VectorXd direction = d.cwiseInverse().asDiagonal() * smallest_vector;
      direction /= direction.norm();
      for (Eigen::Index i = 0; i < n; ++i) {
        if (std::abs(direction[i]) > kNullSpaceComponent) out.null_space_columns.push_back(static_cast<int>(i));
      }
    }
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
