// The SuiteSparseQR backend of SparseQrFactorization (CURVATURE_USE_SUITESPARSE=ON).
#include <SuiteSparseQR.hpp>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "sparse_qr_factorization.h"
#include "suitesparse_common.h"

namespace curvature::internal {
namespace {

static_assert(std::is_same_v<SuiteSparse_long, std::int64_t>,
              "SparseColumnView's indices are handed to SPQR as they are");

struct FactorizationDeleter {
  cholmod_common* common;
  void operator()(SuiteSparseQR_factorization<double>* factorization) const {
    SuiteSparseQR_free<double>(&factorization, common);
  }
};

// A CHOLMOD view (no copy) of the caller's matrix; SPQR reads it only.
cholmod_sparse view_of(const SparseColumnView& a) {
  return cholmod_view(static_cast<size_t>(a.rows), static_cast<size_t>(a.cols), a.starts, a.row_indices, a.values, 0);
}

}  // namespace

struct SparseQrFactorization::State {
  CholmodCommon common{CholmodCommon::IndexType::kLong};
  // Declared after common, so freed before it.
  std::unique_ptr<SuiteSparseQR_factorization<double>, FactorizationDeleter> factorization{
      nullptr, FactorizationDeleter{common.get()}};
  Eigen::Index cols = 0;
};

SparseQrFactorization::SparseQrFactorization() : state_(std::make_unique<State>()) {}
SparseQrFactorization::~SparseQrFactorization() = default;

const char* SparseQrFactorization::backend() { return "SPQR"; }
Eigen::Index SparseQrFactorization::max_columns() { return std::numeric_limits<Eigen::Index>::max(); }

std::string SparseQrFactorization::analyze(const SparseColumnView& a) {
  cholmod_sparse view = view_of(a);
  cholmod_common* c = state_->common.get();
  state_->factorization.reset();
  state_->factorization.reset(SuiteSparseQR_symbolic<double>(SPQR_ORDERING_DEFAULT, /*allow_tol=*/1, &view, c));
  if (!state_->factorization) {
    return "SPQR's symbolic analysis failed (CHOLMOD status " + std::to_string(c->status) + ")";
  }
  state_->cols = a.cols;
  return {};
}

std::string SparseQrFactorization::factorize(const SparseColumnView& a) { return factorize(a, SPQR_DEFAULT_TOL); }

std::string SparseQrFactorization::factorize(const SparseColumnView& a, double tolerance) {
  cholmod_sparse view = view_of(a);
  cholmod_common* c = state_->common.get();
  if (!SuiteSparseQR_numeric<double>(tolerance, &view, state_->factorization.get(), c)) {
    return "SPQR's numeric factorization failed (CHOLMOD status " + std::to_string(c->status) + ")";
  }
  return {};
}

Eigen::Index SparseQrFactorization::rank() const { return static_cast<Eigen::Index>(state_->factorization->rank); }

std::string SparseQrFactorization::solve(const Eigen::VectorXd& b, Eigen::VectorXd* x) {
  cholmod_dense rhs = cholmod_view(b.data(), static_cast<size_t>(b.size()));
  cholmod_common* c = state_->common.get();
  SuiteSparseQR_factorization<double>* factorization = state_->factorization.get();
  cholmod_dense* qtb = SuiteSparseQR_qmult<double>(SPQR_QTX, factorization, &rhs, c);
  cholmod_dense* solution = qtb ? SuiteSparseQR_solve<double>(SPQR_RETX_EQUALS_B, factorization, qtb, c) : nullptr;
  if (qtb) cholmod_l_free_dense(&qtb, c);
  if (solution == nullptr) return "SuiteSparseQR's solve failed (CHOLMOD status " + std::to_string(c->status) + ")";
  *x = Eigen::Map<const Eigen::VectorXd>(static_cast<const double*>(solution->x), state_->cols);
  cholmod_l_free_dense(&solution, c);
  return {};
}

std::string SparseQrFactorization::solve_normal(const Eigen::MatrixXd& b, Eigen::MatrixXd* x) {
  cholmod_dense rhs = cholmod_view(b.data(), static_cast<size_t>(b.rows()));
  rhs.ncol = static_cast<size_t>(b.cols());
  rhs.nzmax = static_cast<size_t>(b.size());
  cholmod_common* c = state_->common.get();
  SuiteSparseQR_factorization<double>* factorization = state_->factorization.get();
  // y = R^-T E^T b (rows: A's), then x = E R^-1 y.
  cholmod_dense* y = SuiteSparseQR_solve<double>(SPQR_RTX_EQUALS_ETB, factorization, &rhs, c);
  cholmod_dense* solution = y ? SuiteSparseQR_solve<double>(SPQR_RETX_EQUALS_B, factorization, y, c) : nullptr;
  if (y) cholmod_l_free_dense(&y, c);
  if (solution == nullptr) return "SuiteSparseQR's solve failed (CHOLMOD status " + std::to_string(c->status) + ")";
  *x = Eigen::Map<const Eigen::MatrixXd>(static_cast<const double*>(solution->x), state_->cols, b.cols());
  cholmod_l_free_dense(&solution, c);
  return {};
}

}  // namespace curvature::internal
