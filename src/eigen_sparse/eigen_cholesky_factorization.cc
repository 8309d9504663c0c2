// The Eigen backend of SparseCholeskyFactorization (CURVATURE_USE_SUITESPARSE=OFF):
// SimplicialLDLT with an approximate minimum degree ordering, both from
// Eigen itself (MPL-2.0), so a build without SuiteSparse has no GPL code.
// LDL' rather than LL': no square roots, and a negative or zero D_jj says
// "not positive definite" as CHOLMOD's NOT_POSDEF does.
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCholesky>
#include <algorithm>
#include <numeric>
#include <string>

#include "sparse_cholesky_factorization.h"

namespace curvature::internal {

struct SparseCholeskyFactorization::State {
  // The caller's upper triangle, copied: Eigen factors its own matrix type.
  Eigen::SparseMatrix<double, Eigen::ColMajor, int> matrix;
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double, Eigen::ColMajor, int>, Eigen::Upper, Eigen::AMDOrdering<int>>
      factor;

  void copy_values(const SymmetricUpperView& a) { std::copy(a.values, a.values + a.outer[a.n], matrix.valuePtr()); }
};

SparseCholeskyFactorization::SparseCholeskyFactorization() : state_(std::make_unique<State>()) {}
SparseCholeskyFactorization::~SparseCholeskyFactorization() = default;

// Eigen's factorization has no parallel form; it stays on the calling thread.
void SparseCholeskyFactorization::set_thread_pool(ThreadPool* /*pool*/) {}

const char* SparseCholeskyFactorization::backend() { return "Eigen SimplicialLDLT"; }
bool SparseCholeskyFactorization::supernodal() { return false; }

// SimplicialLDLT applies its own AMD ordering in analyze().
std::string SparseCholeskyFactorization::fill_reducing_ordering(const SymmetricUpperView& a,
                                                                std::vector<int>* permutation) {
  permutation->resize(static_cast<size_t>(a.n));
  std::iota(permutation->begin(), permutation->end(), 0);
  return {};
}

bool SparseCholeskyFactorization::prefers_lower_triangle() const { return false; }

std::string SparseCholeskyFactorization::analyze(const SymmetricUpperView& a) {
  if (a.lower) return "Eigen's SimplicialLDLT is set up for the upper triangle";
  auto& matrix = state_->matrix;
  const int nnz = a.outer[a.n];
  matrix.resize(a.n, a.n);
  matrix.resizeNonZeros(nnz);
  std::copy(a.outer, a.outer + a.n + 1, matrix.outerIndexPtr());
  std::copy(a.inner, a.inner + nnz, matrix.innerIndexPtr());
  state_->copy_values(a);
  state_->factor.analyzePattern(matrix);
  if (state_->factor.info() != Eigen::Success) return "Eigen's symbolic analysis failed";
  return {};
}

std::string SparseCholeskyFactorization::factorize(const SymmetricUpperView& a, double shift) {
  state_->copy_values(a);
  state_->factor.setShift(shift);
  state_->factor.factorize(state_->matrix);
  if (state_->factor.info() != Eigen::Success) return "zero pivot";
  if (!(state_->factor.vectorD().minCoeff() > 0.0)) return "matrix not positive definite";
  return {};
}

double SparseCholeskyFactorization::min_pivot() const { return state_->factor.vectorD().minCoeff(); }

std::string SparseCholeskyFactorization::solve(const Eigen::VectorXd& b, Eigen::VectorXd* x) {
  *x = state_->factor.solve(b);
  if (state_->factor.info() != Eigen::Success) return "Eigen's triangular solves failed";
  return {};
}

}  // namespace curvature::internal
