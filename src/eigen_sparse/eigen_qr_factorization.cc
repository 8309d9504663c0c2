// The Eigen backend of SparseQrFactorization (CURVATURE_USE_SUITESPARSE=OFF):
// Eigen's SparseQR (left-looking Householder QR) with a COLAMD column
// ordering, both from Eigen itself (MPL-2.0). Its default pivot threshold,
// 20 (m + n) eps max|A_col|, is SPQR's default rank tolerance, and its
// solve() returns the same basic solution, zero on the dropped columns.
#include <Eigen/OrderingMethods>
#include <Eigen/SparseQR>
#include <algorithm>
#include <string>

#include "sparse_qr_factorization.h"

namespace curvature::internal {

struct SparseQrFactorization::State {
  // The caller's matrix, copied with int indices: Eigen's COLAMD and
  // SparseQR work on their own matrix type.
  Eigen::SparseMatrix<double, Eigen::ColMajor, int> matrix;
  Eigen::SparseQR<Eigen::SparseMatrix<double, Eigen::ColMajor, int>, Eigen::COLAMDOrdering<int>> qr;
  // Whether a caller's rank tolerance replaced Eigen's default.
  bool custom_threshold = false;

  std::string factorize(const SparseColumnView& a);

  void copy(const SparseColumnView& a) {
    const auto nnz = static_cast<Eigen::Index>(a.starts[a.cols]);
    matrix.resize(a.rows, a.cols);
    matrix.resizeNonZeros(nnz);
    std::transform(a.starts, a.starts + a.cols + 1, matrix.outerIndexPtr(),
                   [](std::int64_t i) { return static_cast<int>(i); });
    std::transform(a.row_indices, a.row_indices + nnz, matrix.innerIndexPtr(),
                   [](std::int64_t i) { return static_cast<int>(i); });
    std::copy(a.values, a.values + nnz, matrix.valuePtr());
  }
};

SparseQrFactorization::SparseQrFactorization() : state_(std::make_unique<State>()) {}
SparseQrFactorization::~SparseQrFactorization() = default;

const char* SparseQrFactorization::backend() { return "Eigen SparseQR"; }
Eigen::Index SparseQrFactorization::max_columns() { return 10'000; }

std::string SparseQrFactorization::analyze(const SparseColumnView& a) {
  state_->copy(a);
  state_->qr.analyzePattern(state_->matrix);
  return {};
}

std::string SparseQrFactorization::factorize(const SparseColumnView& a) {
  // Eigen computes this default itself until a threshold has been set; once
  // one has, it is set here again, with Eigen's formula.
  if (state_->custom_threshold) {
    state_->copy(a);
    double max_norm = 0.0;
    for (Eigen::Index j = 0; j < a.cols; ++j) max_norm = std::max(max_norm, state_->matrix.col(j).norm());
    if (max_norm == 0.0) max_norm = 1.0;
    state_->qr.setPivotThreshold(20.0 * static_cast<double>(a.rows + a.cols) * max_norm *
                                 Eigen::NumTraits<double>::epsilon());
  }
  return state_->factorize(a);
}

std::string SparseQrFactorization::factorize(const SparseColumnView& a, double tolerance) {
  state_->custom_threshold = true;
  state_->qr.setPivotThreshold(tolerance);
  return state_->factorize(a);
}

std::string SparseQrFactorization::State::factorize(const SparseColumnView& a) {
  copy(a);
  qr.factorize(matrix);
  if (qr.info() != Eigen::Success) return "Eigen's SparseQR failed: " + qr.lastErrorMessage();
  return {};
}

Eigen::Index SparseQrFactorization::rank() const { return state_->qr.rank(); }

std::string SparseQrFactorization::solve(const Eigen::VectorXd& b, Eigen::VectorXd* x) {
  *x = state_->qr.solve(b);
  if (state_->qr.info() != Eigen::Success) return "Eigen's SparseQR solve failed: " + state_->qr.lastErrorMessage();
  return {};
}

std::string SparseQrFactorization::solve_normal(const Eigen::MatrixXd& b, Eigen::MatrixXd* x) {
  // A P = Q R: (A^T A)^-1 = P R^-1 R^-T P^T.
  const auto& qr = state_->qr;
  const Eigen::Index n = b.rows();
  const Eigen::SparseMatrix<double, Eigen::ColMajor, int> r = qr.matrixR().topLeftCorner(n, n);
  const Eigen::SparseMatrix<double, Eigen::ColMajor, int> r_transpose = r.transpose();
  Eigen::MatrixXd y = qr.colsPermutation().transpose() * b;
  r_transpose.triangularView<Eigen::Lower>().solveInPlace(y);
  r.triangularView<Eigen::Upper>().solveInPlace(y);
  *x = qr.colsPermutation() * y;
  return {};
}

}  // namespace curvature::internal
