// sparse_qr_factorization.h — the sparse QR factorization behind
// SparseQrSolver. Internal.
//
// One implementation is compiled into each build, chosen by CMake's
// CURVATURE_USE_SUITESPARSE: SuiteSparseQR (suitesparse/spqr_factorization.cc)
// or Eigen's SparseQR with a COLAMD ordering
// (eigen_sparse/eigen_qr_factorization.cc). Both detect rank with the same
// default tolerance, 20 (m + n) eps max|A_col| (Heath's method in SPQR, the
// same threshold on R's diagonal in Eigen), and return the basic
// least-squares solution, zero on the columns found dependent.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>

namespace curvature::internal {

// An m x n matrix, column compressed with sorted 64-bit row indices (SPQR's
// index type). The arrays belong to the caller.
struct SparseColumnView {
  Eigen::Index rows = 0;
  Eigen::Index cols = 0;
  const std::int64_t* starts = nullptr;  // cols + 1 column starts
  const std::int64_t* row_indices = nullptr;
  const double* values = nullptr;
};

class SparseQrFactorization {
 public:
  SparseQrFactorization();
  ~SparseQrFactorization();
  SparseQrFactorization(const SparseQrFactorization&) = delete;
  SparseQrFactorization& operator=(const SparseQrFactorization&) = delete;

  // The library doing the work ("SPQR", "Eigen SparseQR").
  static const char* backend();
  // The most columns the backend is given (choose_linear_solver refuses
  // more): no limit for SPQR. Eigen's left-looking SparseQR fills its
  // Householder vectors in: on a banded Jacobian with 2n rows its memory
  // grows as n^2 (0.43 GB at n = 5,000, 1.7 GB at 10,000, 6.7 GB at 20,000,
  // more than 23 GB at 100,000), so it stops at 10,000.
  static Eigen::Index max_columns();

  // Column ordering and symbolic analysis of the pattern of `a`. Empty on
  // success, the reason otherwise.
  std::string analyze(const SparseColumnView& a);
  // Numeric factorization of `a`, whose pattern was analyzed. Empty on success.
  std::string factorize(const SparseColumnView& a);
  // The same with the rank-detection tolerance `tolerance` (>= 0) instead of
  // the default: a column whose norm, after the reflections of the columns
  // before it, falls below it is dropped as dependent.
  std::string factorize(const SparseColumnView& a, double tolerance);
  // The numerical rank found by the last factorization.
  Eigen::Index rank() const;
  // x = E R^-1 Q^T b, the basic least-squares solution; b has a.rows
  // entries, x gets a.cols. Empty on success.
  std::string solve(const Eigen::VectorXd& b, Eigen::VectorXd* x);
  // x = (A^T A)^-1 b = E R^-1 R^-T E^T b for every column of b (a.cols
  // rows): columns of the inverse of the normal matrix, for the covariance.
  // Meaningful only when the last factorization had full column rank.
  // Empty on success.
  std::string solve_normal(const Eigen::MatrixXd& b, Eigen::MatrixXd* x);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace curvature::internal
