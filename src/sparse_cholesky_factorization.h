// sparse_cholesky_factorization.h — the sparse symmetric factorization behind
// SparseNormalCholeskySolver. Internal.
//
// One implementation is compiled into each build, chosen by CMake's
// CURVATURE_USE_SUITESPARSE: CHOLMOD (suitesparse/cholmod_factorization.cc)
// or Eigen's SimplicialLDLT with an AMD ordering
// (eigen_sparse/eigen_cholesky_factorization.cc). The solver does everything
// else (forming and scaling J^T J, deciding when the matrix is singular,
// regularizing), so both backends behave the same way to their caller.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

namespace curvature {
class ThreadPool;
}

namespace curvature::internal {

// The upper triangle of a symmetric n x n matrix, column compressed, sorted,
// diagonal always stored; int indices. The arrays belong to the caller.
struct SymmetricUpperView {
  int n = 0;
  const int* outer = nullptr;  // n + 1 column starts
  const int* inner = nullptr;  // row indices
  const double* values = nullptr;
  // The same arrays hold the lower triangle column by column (the upper
  // triangle row by row) instead.
  bool lower = false;
};

class SparseCholeskyFactorization {
 public:
  SparseCholeskyFactorization();
  ~SparseCholeskyFactorization();
  SparseCholeskyFactorization(const SparseCholeskyFactorization&) = delete;
  SparseCholeskyFactorization& operator=(const SparseCholeskyFactorization&) = delete;

  // Lets factorize() run on `pool`'s threads (null, the default: on the
  // calling thread only); the pool must outlive the factorize() calls. The
  // factor is the same, bit for bit, for any number of threads. CHOLMOD's
  // simplicial factorization splits the elimination tree between them;
  // the other factorizations stay on the calling thread.
  void set_thread_pool(ThreadPool* pool);

  // The library doing the work ("CHOLMOD", "Eigen SimplicialLDLT").
  static const char* backend();
  // Whether the factorization is supernodal: CHOLMOD factors the dense
  // blocks that fill-in creates with BLAS-3 kernels, Eigen's simplicial
  // factorization goes entry by entry, and so falls behind dense normal
  // Cholesky on Jacobians whose J^T J fills in (choose_linear_solver).
  static bool supernodal();

  // A fill-reducing ordering of the pattern of `a` (its values are not
  // read and may be null): (*permutation)[k] is the row and column of `a`
  // that goes k-th. The caller then hands analyze() and factorize() the
  // matrix in that order, built so directly: the backend need not permute
  // a copy of it at every factorization. A backend that orders inside its
  // own analysis returns the identity. Empty on success, the reason
  // otherwise.
  std::string fill_reducing_ordering(const SymmetricUpperView& a, std::vector<int>* permutation);
  // Which triangle the factorization reads without transposing it first
  // (CHOLMOD's supernodal factorization: the lower one), as decided by the
  // last fill_reducing_ordering(); analyze() and factorize() accept either.
  bool prefers_lower_triangle() const;
  // Symbolic factorization of the pattern of `a`, already in the order of
  // fill_reducing_ordering(). Returns an empty string on success, the
  // reason otherwise.
  std::string analyze(const SymmetricUpperView& a);
  // Numeric factorization of a + shift * I over the analyzed pattern. Empty
  // on success; the reason when the matrix is not positive definite (or the
  // backend failed).
  std::string factorize(const SymmetricUpperView& a, double shift);
  // The smallest pivot of the last successful factorization: L_jj^2 for an
  // LL' factor, D_jj for an LDL' one.
  double min_pivot() const;
  // x = (a + shift I)^-1 b with the last factorization. Empty on success.
  std::string solve(const Eigen::VectorXd& b, Eigen::VectorXd* x);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace curvature::internal
