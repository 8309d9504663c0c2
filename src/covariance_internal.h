// covariance_internal.h — the two ways compute_covariance() inverts J^T J,
// each on the Jacobian the evaluator produced. Internal.
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "curvature/covariance.h"
#include "curvature/problem.h"

namespace curvature::internal {

// What an algorithm found: the rank and, when it could invert, the columns
// asked for. Both work on J D^-1, D the column norms (covariance.h says why).
struct CovarianceColumns {
  bool ok = false;
  std::string message;  // why not ok; or a note on a pseudo-inverse
  int rank = 0;
  double reciprocal_condition_number = 0.0;  // NaN when the algorithm does not know it
  // Effective columns with a component above kNullSpaceComponent in a unit
  // vector of the dropped or detected null space.
  std::vector<int> null_space_columns;
  // The columns `columns` of (J^T J)^-1 (or of its pseudo-inverse), one
  // matrix column each, n rows; set only when ok.
  Eigen::MatrixXd values;
};

inline constexpr double kNullSpaceComponent = 1e-8;

// The column norms of J, with 1 for a zero column (which stays zero and so
// shows up as rank deficiency rather than as a division by zero).
Eigen::VectorXd equilibration(const Eigen::VectorXd& squared_column_norms);

// Dense SVD of J (rank test, null space and pseudo-inverse as covariance.h
// describes). Computes every column; `columns` selects the ones returned.
CovarianceColumns dense_svd_covariance(const Eigen::MatrixXd& jacobian, const std::vector<int>& columns,
                                       const CovarianceOptions& options);

// Sparse QR of J D^-1; only `columns` of the inverse are computed.
CovarianceColumns sparse_qr_covariance(const SparseRowMatrix& jacobian, const std::vector<int>& columns,
                                       const CovarianceOptions& options);

}  // namespace curvature::internal
