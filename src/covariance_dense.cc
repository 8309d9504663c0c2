// covariance_dense.cc — the covariance from the SVD of the dense Jacobian.
//
// The rank test and the full-rank inverse use the SVD of the equilibrated
// J D^-1 = U S V^T: C = D^-1 V S^-2 V^T D^-1. Eigen's one-sided JacobiSVD
// computes every singular value of a matrix with well-scaled columns to
// high relative accuracy, so even a smallest one 1e-6 below the largest
// (MGH10, Bennett5) keeps almost all its digits; the equilibration is what
// makes the columns well scaled. A dropped null space instead uses the SVD of
// the unscaled J, whose truncation is the Moore-Penrose pseudo-inverse.
#include <Eigen/SVD>
#include <cmath>
#include <string>

#include "covariance_internal.h"
#include "curvature/error.h"

namespace curvature::internal {
namespace {

// JacobiSVD's cost grows fast with the column count; Eigen's
// divide-and-conquer SVD takes over beyond this many columns.
constexpr Eigen::Index kJacobiSvdMaxColumns = 64;

struct Svd {
  Eigen::VectorXd singular_values;  // n entries, descending; zero-padded when m < n
  Eigen::MatrixXd v;                // n x n
};

Svd svd_of(const Eigen::MatrixXd& a) {
  const Eigen::Index n = a.cols();
  Svd out;
  out.singular_values.setZero(n);
  if (n <= kJacobiSvdMaxColumns) {
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeFullV);
    out.singular_values.head(svd.singularValues().size()) = svd.singularValues();
    out.v = svd.matrixV();
  } else {
    Eigen::BDCSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeFullV);
    out.singular_values.head(svd.singularValues().size()) = svd.singularValues();
    out.v = svd.matrixV();
  }
  return out;
}

// The columns whose coordinates the null vectors v (the columns of `null`,
// in J's unscaled coordinates) involve.
std::vector<int> involved_columns(const Eigen::MatrixXd& null) {
  std::vector<int> out;
  Eigen::MatrixXd unit = null;
  for (Eigen::Index k = 0; k < unit.cols(); ++k) {
    const double norm = unit.col(k).norm();
    if (norm > 0.0) unit.col(k) /= norm;
  }
  for (Eigen::Index i = 0; i < unit.rows(); ++i) {
    if (unit.row(i).cwiseAbs().maxCoeff() > kNullSpaceComponent) out.push_back(static_cast<int>(i));
  }
  return out;
}

// Columns `columns` of W W^T.
Eigen::MatrixXd outer_columns(const Eigen::MatrixXd& w, const std::vector<int>& columns) {
  Eigen::MatrixXd selected(w.cols(), static_cast<Eigen::Index>(columns.size()));
  for (size_t k = 0; k < columns.size(); ++k)
    selected.col(static_cast<Eigen::Index>(k)) = w.row(columns[k]).transpose();
  return w * selected;
}

}  // namespace

Eigen::VectorXd equilibration(const Eigen::VectorXd& squared_column_norms) {
  Eigen::VectorXd d = squared_column_norms.cwiseSqrt();
  for (Eigen::Index i = 0; i < d.size(); ++i) {
    if (!(d[i] > 0.0)) d[i] = 1.0;
  }
  return d;
}

CovarianceColumns dense_svd_covariance(const Eigen::MatrixXd& jacobian, const std::vector<int>& columns,
                                       const CovarianceOptions& options) {
  const Eigen::Index n = jacobian.cols();
  const int num = static_cast<int>(n);
  CovarianceColumns out;
  const Eigen::VectorXd d = equilibration(jacobian.colwise().squaredNorm().transpose());
  const Svd scaled = svd_of(jacobian * d.cwiseInverse().asDiagonal());
  const Eigen::VectorXd& s = scaled.singular_values;
  const double largest = n > 0 ? s[0] : 0.0;
  int tested_rank = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (largest > 0.0 && std::pow(s[i] / largest, 2) >= options.min_reciprocal_condition_number && s[i] > 0.0) {
      ++tested_rank;
    }
  }
  out.reciprocal_condition_number = largest > 0.0 ? std::pow(s[n - 1] / largest, 2) : 0.0;

  int dropped = options.null_space_dimension == kAutomaticNullSpace ? num - tested_rank : options.null_space_dimension;
  const std::string test = "(reciprocal condition number of the equilibrated J^T J " +
                           to_decimal(out.reciprocal_condition_number) + ", minimum " +
                           to_decimal(options.min_reciprocal_condition_number) + ")";
  if (tested_rank < num - dropped) {
    // Rank-deficient beyond what may be dropped: report, compute nothing.
    out.rank = tested_rank;
    Eigen::MatrixXd null = d.cwiseInverse().asDiagonal() * scaled.v.rightCols(num - tested_rank);
    out.null_space_columns = involved_columns(null);
    out.message = "J is rank-deficient: numerical rank " + std::to_string(tested_rank) + " of " + std::to_string(num) +
                  " " + test;
    if (dropped > 0) out.message += ", after dropping a null space of dimension " + std::to_string(dropped);
    return out;
  }

  Eigen::MatrixXd w;  // C = W W^T
  if (dropped == 0) {
    // C = D^-1 V S^-2 V^T D^-1.
    w = d.cwiseInverse().asDiagonal() * scaled.v * s.cwiseInverse().asDiagonal();
  } else {
    const Svd plain = svd_of(jacobian);
    const int kept = num - dropped;
    if (kept > 0 && !(plain.singular_values[kept - 1] > 0.0)) {
      out.rank = tested_rank;
      out.message = "J has fewer than " + std::to_string(kept) + " nonzero singular values";
      return out;
    }
    w = plain.v.leftCols(kept) * plain.singular_values.head(kept).cwiseInverse().asDiagonal();
    out.null_space_columns = involved_columns(plain.v.rightCols(dropped));
    out.message = "the Moore-Penrose pseudo-inverse of J^T J: the " + std::to_string(dropped) +
                  " smallest singular values of J dropped as a null space " + test;
  }
  out.rank = num - dropped;
  out.values = outer_columns(w, columns);
  out.ok = true;
  return out;
}

}  // namespace curvature::internal
