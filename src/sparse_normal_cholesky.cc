#include "sparse_normal_cholesky.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "curvature/error.h"
#include "jacobian_products.h"

namespace curvature::internal {
namespace {

// A dense J in compressed row form with every entry stored, zeros included,
// so its pattern (and the symbolic analysis) does not change when a value
// happens to be zero.
void copy_dense_to_sparse(const Eigen::MatrixXd& dense, SparseRowMatrix* sparse) {
  const Eigen::Index m = dense.rows();
  const Eigen::Index n = dense.cols();
  if (sparse->rows() != m || sparse->cols() != n || sparse->nonZeros() != m * n || !sparse->isCompressed()) {
    sparse->resize(m, n);
    sparse->resizeNonZeros(m * n);
    for (Eigen::Index i = 0; i <= m; ++i) sparse->outerIndexPtr()[i] = static_cast<int>(i * n);
    for (Eigen::Index i = 0; i < m; ++i) {
      for (Eigen::Index k = 0; k < n; ++k) sparse->innerIndexPtr()[i * n + k] = static_cast<int>(k);
    }
  }
  for (Eigen::Index i = 0; i < m; ++i) {
    for (Eigen::Index k = 0; k < n; ++k) sparse->valuePtr()[i * n + k] = dense(i, k);
  }
}

}  // namespace

bool SparseNormalCholeskySolver::same_pattern(const SparseRowMatrix& j) const {
  if (j.rows() != rows_ || j.cols() != cols_) return false;
  const auto nnz = static_cast<size_t>(j.nonZeros());
  if (nnz != j_inner_.size()) return false;
  return std::memcmp(j.outerIndexPtr(), j_outer_.data(), j_outer_.size() * sizeof(int)) == 0 &&
         std::memcmp(j.innerIndexPtr(), j_inner_.data(), nnz * sizeof(int)) == 0;
}

LinearSolverResult SparseNormalCholeskySolver::analyze(const SparseRowMatrix& j) {
  const int m = static_cast<int>(j.rows());
  const int n = static_cast<int>(j.cols());
  const int nnz = static_cast<int>(j.nonZeros());
  const int* outer = j.outerIndexPtr();
  const int* inner = j.innerIndexPtr();
  rows_ = m;
  cols_ = n;
  j_outer_.assign(outer, outer + m + 1);
  j_inner_.assign(inner, inner + nnz);

  // Column-compressed copy of the pattern, remembering where each value
  // comes from so that prepare() can gather values without sorting.
  jt_outer_.assign(n + 1, 0);
  for (int k = 0; k < nnz; ++k) ++jt_outer_[inner[k] + 1];
  for (int c = 0; c < n; ++c) jt_outer_[c + 1] += jt_outer_[c];
  jt_inner_.resize(nnz);
  jt_source_.resize(nnz);
  std::vector<int> next(jt_outer_.begin(), jt_outer_.end() - 1);
  for (int row = 0; row < m; ++row) {
    for (int k = outer[row]; k < outer[row + 1]; ++k) {
      const int slot = next[inner[k]]++;
      jt_inner_[slot] = row;
      jt_source_[slot] = k;
    }
  }

  // Pattern of the lower triangle of J^T J: row a holds every b <= a that
  // shares a row of J with a, plus the diagonal, which D^2 always fills.
  normal_outer_.assign(n + 1, 0);
  normal_inner_.clear();
  diagonal_position_.resize(n);
  std::vector<int> marker(n, -1);
  for (int a = 0; a < n; ++a) {
    const size_t start = normal_inner_.size();
    marker[a] = a;
    normal_inner_.push_back(a);
    for (int k = jt_outer_[a]; k < jt_outer_[a + 1]; ++k) {
      const int row = jt_inner_[k];
      for (int q = outer[row]; q < outer[row + 1]; ++q) {
        const int b = inner[q];
        if (b <= a && marker[b] != a) {
          marker[b] = a;
          normal_inner_.push_back(b);
        }
      }
    }
    std::sort(normal_inner_.begin() + static_cast<std::ptrdiff_t>(start), normal_inner_.end());
    // The diagonal is the last entry of a lower-triangular row.
    diagonal_position_[a] = static_cast<int>(normal_inner_.size()) - 1;
    normal_outer_[a + 1] = static_cast<int>(normal_inner_.size());
  }
  normal_values_.assign(normal_inner_.size(), 0.0);
  damped_values_.assign(normal_inner_.size(), 0.0);
  accumulator_.assign(n, 0.0);

  const std::string failure = factorization_.analyze(damped_matrix_view());
  ++num_symbolic_analyses_;
  analyzed_ = failure.empty();
  if (!analyzed_) {
    rows_ = cols_ = -1;  // analyze again next time
    return {.success = false, .iterations = 1, .message = "SparseNormalCholeskySolver: " + failure};
  }
  return {.success = true, .iterations = 1, .message = {}};
}

// The upper triangle of J^T J + D^2 in damped_values_, over the pattern
// built in analyze().
SymmetricUpperView SparseNormalCholeskySolver::damped_matrix_view() const {
  return {.n = static_cast<int>(cols_),
          .outer = normal_outer_.data(),
          .inner = normal_inner_.data(),
          .values = damped_values_.data()};
}

LinearSolverResult SparseNormalCholeskySolver::prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  check_jacobian("SparseNormalCholeskySolver", jacobian, residuals);
  prepared_ = false;
  const SparseRowMatrix* j = jacobian.sparse;
  if (jacobian.dense) {
    copy_dense_to_sparse(*jacobian.dense, &jacobian_copy_);
    j = &jacobian_copy_;
  } else if (!j->isCompressed()) {
    jacobian_copy_ = *j;
    jacobian_copy_.makeCompressed();
    j = &jacobian_copy_;
  }
  if (!analyzed_ || !same_pattern(*j)) {
    LinearSolverResult analysis = analyze(*j);
    if (!analysis.success) return analysis;
  }

  // Numeric J^T J, one row of the lower triangle at a time: scatter the
  // products into a dense accumulator, gather them along the known pattern.
  const int n = static_cast<int>(cols_);
  const int* outer = j->outerIndexPtr();
  const int* inner = j->innerIndexPtr();
  const double* values = j->valuePtr();
  for (int a = 0; a < n; ++a) {
    for (int k = jt_outer_[a]; k < jt_outer_[a + 1]; ++k) {
      const int row = jt_inner_[k];
      const double value = values[jt_source_[k]];
      for (int q = outer[row]; q < outer[row + 1]; ++q) {
        if (inner[q] <= a) accumulator_[inner[q]] += value * values[q];
      }
    }
    for (int p = normal_outer_[a]; p < normal_outer_[a + 1]; ++p) {
      normal_values_[p] = accumulator_[normal_inner_[p]];
      accumulator_[normal_inner_[p]] = 0.0;
    }
  }

  scale_.resize(n);
  max_scaled_diagonal_ = 1.0;
  for (int a = 0; a < n; ++a) {
    const double diagonal = normal_values_[diagonal_position_[a]];
    scale_[a] = diagonal > 0.0 ? 1.0 / std::sqrt(diagonal) : 1.0;
    max_scaled_diagonal_ = std::max(max_scaled_diagonal_, diagonal * scale_[a] * scale_[a]);
  }
  for (int a = 0; a < n; ++a) {
    for (int p = normal_outer_[a]; p < normal_outer_[a + 1]; ++p) {
      normal_values_[p] *= scale_[a] * scale_[normal_inner_[p]];
    }
  }
  multiply_jacobian_transpose(JacobianRef{.dense = nullptr, .sparse = j}, residuals, &jtr_);
  rhs_ = -scale_.cwiseProduct(jtr_);
  prepared_ = true;
  return {.success = true, .iterations = 1, .message = {}};
}

LinearSolverResult SparseNormalCholeskySolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  const Eigen::Index n = scale_.size();
  check_damping("SparseNormalCholeskySolver", prepared_, n, d, dx);
  dx->resize(n);
  if (n == 0) return {.success = true, .iterations = 1, .message = {}};

  std::copy(normal_values_.begin(), normal_values_.end(), damped_values_.begin());
  for (Eigen::Index a = 0; a < n; ++a) {
    const double scaled_damping = d[a] * scale_[a];
    damped_values_[diagonal_position_[a]] += scaled_damping * scaled_damping;
  }
  const SymmetricUpperView a = damped_matrix_view();

  std::string note;
  if (const std::string failure = factorization_.factorize(a, 0.0); !failure.empty()) {
    note = "J^T J + D^2 is not positive definite (" + failure + ")";
  } else if (const double ratio = factorization_.min_pivot() / max_scaled_diagonal_; !(ratio >= kMinPivotRatio)) {
    note = "J^T J + D^2 is numerically singular (pivot ratio " + to_decimal(ratio) + ")";
  }
  if (!note.empty()) {
    if (const std::string failure = factorization_.factorize(a, kRegularization); !failure.empty()) {
      return {.success = false,
              .iterations = 1,
              .message = "SparseNormalCholeskySolver: " + note + ", and regularization did not help (" + failure + ")"};
    }
    note = "SparseNormalCholeskySolver: " + note + "; solved with a relative regularization of " +
           to_decimal(kRegularization) + " on the Jacobi-scaled matrix";
  }

  if (const std::string failure = factorization_.solve(rhs_, &solution_); !failure.empty()) {
    return {.success = false, .iterations = 1, .message = "SparseNormalCholeskySolver: " + failure};
  }
  *dx = scale_.cwiseProduct(solution_);
  if (!dx->allFinite()) {
    return {.success = false,
            .iterations = 1,
            .message = "SparseNormalCholeskySolver: non-finite solution (non-finite Jacobian or residuals?)"};
  }
  return {.success = true, .iterations = 1, .message = note};
}

}  // namespace curvature::internal
