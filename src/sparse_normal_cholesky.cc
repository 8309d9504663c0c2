#include "sparse_normal_cholesky.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "curvature/error.h"
#include "jacobian_products.h"

namespace curvature::internal {
namespace {

std::string cholmod_status_text(int status) {
  switch (status) {
    case CHOLMOD_OK:
      return "ok";
    case CHOLMOD_NOT_POSDEF:
      return "matrix not positive definite";
    case CHOLMOD_DSMALL:
      return "diagonal entry of the factor tiny";
    case CHOLMOD_OUT_OF_MEMORY:
      return "out of memory";
    case CHOLMOD_TOO_LARGE:
      return "problem too large for int indices";
    case CHOLMOD_INVALID:
      return "invalid input";
    case CHOLMOD_NOT_INSTALLED:
      return "method not installed";
    default:
      return "status " + std::to_string(status);
  }
}

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

// The smallest pivot of a numeric factor, read where cholmod_rcond reads it:
// L_jj^2 for LL' (simplicial or supernodal), D_jj for a simplicial LDL'.
double min_pivot(const cholmod_factor& factor) {
  const auto* x = static_cast<const double*>(factor.x);
  double smallest = std::numeric_limits<double>::infinity();
  if (factor.is_super) {
    const auto* super = static_cast<const int*>(factor.super);
    const auto* pi = static_cast<const int*>(factor.pi);
    const auto* px = static_cast<const int*>(factor.px);
    for (size_t s = 0; s < factor.nsuper; ++s) {
      const int columns = super[s + 1] - super[s];
      const int rows = pi[s + 1] - pi[s];
      for (int jj = 0; jj < columns; ++jj) {
        const double pivot = x[px[s] + jj * rows + jj];
        smallest = std::min(smallest, pivot * pivot);
      }
    }
  } else {
    const auto* p = static_cast<const int*>(factor.p);
    for (size_t j = 0; j < factor.n; ++j) {
      const double pivot = x[p[j]];
      smallest = std::min(smallest, factor.is_ll ? pivot * pivot : pivot);
    }
  }
  return smallest;
}

}  // namespace

SparseNormalCholeskySolver::SparseNormalCholeskySolver() = default;

SparseNormalCholeskySolver::~SparseNormalCholeskySolver() { free_cholmod(); }

void SparseNormalCholeskySolver::free_cholmod() {
  if (factor_) cholmod_free_factor(&factor_, common_.get());
  if (solution_) cholmod_free_dense(&solution_, common_.get());
  if (solve_y_) cholmod_free_dense(&solve_y_, common_.get());
  if (solve_e_) cholmod_free_dense(&solve_e_, common_.get());
}

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

  free_cholmod();
  cholmod_sparse a = damped_matrix_view(n);
  factor_ = cholmod_analyze(&a, common_.get());
  ++num_symbolic_analyses_;
  if (factor_ == nullptr || common_->status < CHOLMOD_OK) {
    rows_ = cols_ = -1;  // analyze again next time
    return {.success = false,
            .iterations = 1,
            .message = "SparseNormalCholeskySolver: cholmod_analyze failed: " + cholmod_status_text(common_->status)};
  }
  return {.success = true, .iterations = 1, .message = {}};
}

// A CHOLMOD view (no copy) of the upper triangle of J^T J + D^2 in
// damped_values_, over the pattern built in prepare().
cholmod_sparse SparseNormalCholeskySolver::damped_matrix_view(Eigen::Index n) {
  cholmod_sparse a = {};
  a.nrow = a.ncol = static_cast<size_t>(n);
  a.nzmax = normal_inner_.size();
  a.p = normal_outer_.data();
  a.i = normal_inner_.data();
  a.x = damped_values_.data();
  a.stype = 1;
  a.itype = CHOLMOD_INT;
  a.xtype = CHOLMOD_REAL;
  a.dtype = CHOLMOD_DOUBLE;
  a.sorted = 1;
  a.packed = 1;
  return a;
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
  if (factor_ == nullptr || !same_pattern(*j)) {
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
  cholmod_sparse a = damped_matrix_view(n);

  cholmod_common* c = common_.get();
  auto factorize = [&](double regularization) {
    double beta[2] = {regularization, 0.0};
    const int ok = cholmod_factorize_p(&a, beta, nullptr, 0, factor_, c);
    return ok && c->status == CHOLMOD_OK && factor_->minor == factor_->n;
  };

  std::string note;
  if (!factorize(0.0)) {
    note = "J^T J + D^2 is not positive definite (" + cholmod_status_text(c->status) + ")";
  } else if (const double ratio = min_pivot(*factor_) / max_scaled_diagonal_; !(ratio >= kMinPivotRatio)) {
    note = "J^T J + D^2 is numerically singular (pivot ratio " + to_decimal(ratio) + ")";
  }
  if (!note.empty()) {
    if (!factorize(kRegularization)) {
      return {.success = false,
              .iterations = 1,
              .message = "SparseNormalCholeskySolver: " + note + ", and regularization did not help (" +
                         cholmod_status_text(c->status) + ")"};
    }
    note = "SparseNormalCholeskySolver: " + note + "; solved with a relative regularization of " +
           to_decimal(kRegularization) + " on the Jacobi-scaled matrix";
  }

  cholmod_dense b = {};
  b.nrow = b.nzmax = b.d = static_cast<size_t>(n);
  b.ncol = 1;
  b.x = rhs_.data();
  b.xtype = CHOLMOD_REAL;
  b.dtype = CHOLMOD_DOUBLE;
  if (!cholmod_solve2(CHOLMOD_A, factor_, &b, nullptr, &solution_, nullptr, &solve_y_, &solve_e_, c)) {
    return {.success = false,
            .iterations = 1,
            .message = "SparseNormalCholeskySolver: cholmod_solve2 failed: " + cholmod_status_text(c->status)};
  }
  const double* x = static_cast<const double*>(solution_->x);
  for (Eigen::Index i = 0; i < n; ++i) (*dx)[i] = scale_[i] * x[i];
  if (!dx->allFinite()) {
    return {.success = false,
            .iterations = 1,
            .message = "SparseNormalCholeskySolver: non-finite solution (non-finite Jacobian or residuals?)"};
  }
  return {.success = true, .iterations = 1, .message = note};
}

}  // namespace curvature::internal
