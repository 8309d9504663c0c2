#include "sparse_normal_cholesky.h"

#include <algorithm>
#include <cmath>
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

SparseNormalCholeskySolver::SparseNormalCholeskySolver(int num_threads, BlockPath block_path)
    : block_path_(block_path) {
  ThreadPool::check_num_threads(num_threads);
  if (num_threads > 1) {
    pool_ = std::make_unique<ThreadPool>(num_threads);
    factorization_.set_thread_pool(pool_.get());
  }
}

int SparseNormalCholeskySolver::uniform_block_size(const SparseRowMatrix& j) {
  const int n = static_cast<int>(j.cols());
  const int* outer = j.outerIndexPtr();
  const int* inner = j.innerIndexPtr();
  for (int b = BlockSparseCholesky::kMaxBlockSize; b >= 2; --b) {
    if (n == 0 || n % b != 0) continue;
    bool whole = true;
    for (Eigen::Index row = 0; row < j.rows() && whole; ++row) {
      const int begin = outer[row];
      const int end = outer[row + 1];
      if ((end - begin) % b != 0) {
        whole = false;
        break;
      }
      for (int p = begin; p < end && whole; p += b) {
        whole = inner[p] % b == 0 && inner[p + b - 1] == inner[p] + b - 1;
      }
    }
    if (whole) return b;
  }
  return 0;
}

bool SparseNormalCholeskySolver::use_block_path() const {
  return block_path_ == BlockPath::kAlways || block_factorization_.flops_per_nonzero() < kMaxBlockFlopsPerNonzero;
}

std::vector<int> SparseNormalCholeskySolver::block_column_ordering() const {
  const int b = block_size_;
  const int num_blocks = product_.cols() / b;
  const std::vector<int>& outer = product_.outer();
  const std::vector<int>& inner = product_.inner();
  std::vector<int> block_outer(1, 0), block_inner, marker(static_cast<size_t>(num_blocks), -1);
  for (int block = 0; block < num_blocks; ++block) {
    marker[block] = block;
    for (int c = block * b; c < (block + 1) * b; ++c) {
      for (int p = outer[c]; p < outer[c + 1]; ++p) {
        const int other = inner[p] / b;
        if (marker[other] != block) {
          marker[other] = block;
          block_inner.push_back(other);
        }
      }
    }
    block_outer.push_back(static_cast<int>(block_inner.size()));
  }
  const std::vector<int> order = BlockSparseCholesky::block_ordering(num_blocks, block_outer, block_inner);
  std::vector<int> permutation(static_cast<size_t>(product_.cols()));
  for (int k = 0; k < num_blocks; ++k) {
    for (int i = 0; i < b; ++i) permutation[k * b + i] = order[k] * b + i;
  }
  return permutation;
}

LinearSolverResult SparseNormalCholeskySolver::analyze(const SparseRowMatrix& j) {
  product_.analyze(j);
  ++num_symbolic_analyses_;
  analyzed_ = false;
  block_size_ = block_path_ == BlockPath::kNever ? 0 : uniform_block_size(j);
  if (block_size_ > 0) {
    product_.set_ordering(block_column_ordering(), false);
    values_.assign(product_.nonzeros(), 0.0);
    block_factorization_.set_thread_pool(pool_.get());
    // A block factorization that cannot take the matrix (a factor beyond its
    // 4-byte offsets) leaves it to the scalar one below.
    const std::string failure =
        block_factorization_.analyze(product_.cols(), block_size_, product_.outer().data(), product_.inner().data());
    if (failure.empty() && use_block_path()) {
      // The block factorization has its own copy of the pattern.
      product_.compress_rows();
      analyzed_ = true;
      return {.success = true, .iterations = 1, .message = {}};
    }
    // Back to J's column order for the scalar factorization's own ordering;
    // the block factor's storage is released.
    block_size_ = 0;
    block_factorization_ = BlockSparseCholesky();
    product_.analyze(j);
  }
  std::vector<int> permutation;
  std::string failure = factorization_.fill_reducing_ordering(
      {.n = product_.cols(), .outer = product_.outer().data(), .inner = product_.inner().data(), .values = nullptr},
      &permutation);
  if (failure.empty()) {
    product_.set_ordering(permutation, factorization_.prefers_lower_triangle());
    values_.assign(product_.nonzeros(), 0.0);
    failure = factorization_.analyze(damped_matrix_view());
  }
  analyzed_ = failure.empty();
  if (!analyzed_) {
    return {.success = false, .iterations = 1, .message = "SparseNormalCholeskySolver: " + failure};
  }
  return {.success = true, .iterations = 1, .message = {}};
}

// One triangle of S J^T J S + (D S)^2 in values_, over the pattern built in
// analyze().
SymmetricUpperView SparseNormalCholeskySolver::damped_matrix_view() const {
  return {.n = product_.cols(),
          .outer = product_.outer().data(),
          .inner = product_.inner().data(),
          .values = values_.data(),
          .lower = product_.lower()};
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
  if (!analyzed_ || !product_.same_pattern(*j)) {
    LinearSolverResult analysis = analyze(*j);
    if (!analysis.success) return analysis;
  }
  product_.compute(*j, values_.data(), pool_.get());

  const int n = product_.cols();
  scale_.resize(n);
  // Plain pointers and a local maximum: through the members, every store
  // would have to be read back in case it changed them.
  double* scale = scale_.data();
  double* values = values_.data();
  double max_scaled_diagonal = 1.0;
  for (int a = 0; a < n; ++a) {
    const double diagonal = values[product_.diagonal_position(a)];
    scale[a] = diagonal > 0.0 ? 1.0 / std::sqrt(diagonal) : 1.0;
    max_scaled_diagonal = std::max(max_scaled_diagonal, diagonal * scale[a] * scale[a]);
  }
  max_scaled_diagonal_ = max_scaled_diagonal;
  product_.scale(scale, values);
  scaled_diagonal_.resize(n);
  for (int k = 0; k < n; ++k) scaled_diagonal_[k] = values[product_.diagonal_position(k)];
  // J^T r: the evaluator's when given (the same product), read in place.
  const Eigen::VectorXd* jtr = jacobian.gradient;
  if (!jtr || jtr->size() != n) {
    multiply_jacobian_transpose(JacobianRef{.dense = nullptr, .sparse = j}, residuals, &jtr_);
    jtr = &jtr_;
  }
  rhs_.resize(n);
  for (int k = 0; k < n; ++k) rhs_[k] = -scale_[k] * (*jtr)[product_.column(k)];
  prepared_ = true;
  return {.success = true, .iterations = 1, .message = {}};
}

std::string SparseNormalCholeskySolver::factorize(double shift) {
  if (block_size_ > 0) return block_factorization_.factorize(values_.data(), shift);
  return factorization_.factorize(damped_matrix_view(), shift);
}

double SparseNormalCholeskySolver::min_pivot() const {
  return block_size_ > 0 ? block_factorization_.min_pivot() : factorization_.min_pivot();
}

LinearSolverResult SparseNormalCholeskySolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  const Eigen::Index n = scale_.size();
  check_damping("SparseNormalCholeskySolver", prepared_, n, d, dx);
  dx->resize(n);
  if (n == 0) return {.success = true, .iterations = 1, .message = {}};

  // Only the diagonal differs between the solves at one point.
  for (Eigen::Index k = 0; k < n; ++k) {
    const double scaled_damping = d[product_.column(static_cast<int>(k))] * scale_[k];
    values_[product_.diagonal_position(static_cast<int>(k))] = scaled_diagonal_[k] + scaled_damping * scaled_damping;
  }
  std::string note;
  if (const std::string failure = factorize(0.0); !failure.empty()) {
    note = "J^T J + D^2 is not positive definite (" + failure + ")";
  } else if (const double ratio = min_pivot() / max_scaled_diagonal_; !(ratio >= kMinPivotRatio)) {
    note = "J^T J + D^2 is numerically singular (pivot ratio " + to_decimal(ratio) + ")";
  }
  if (!note.empty()) {
    if (const std::string failure = factorize(kRegularization); !failure.empty()) {
      return {.success = false,
              .iterations = 1,
              .message = "SparseNormalCholeskySolver: " + note + ", and regularization did not help (" + failure + ")"};
    }
    note = "SparseNormalCholeskySolver: " + note + "; solved with a relative regularization of " +
           to_decimal(kRegularization) + " on the Jacobi-scaled matrix";
  }

  if (block_size_ > 0) {
    block_factorization_.solve(rhs_, &solution_);
  } else if (const std::string failure = factorization_.solve(rhs_, &solution_); !failure.empty()) {
    return {.success = false, .iterations = 1, .message = "SparseNormalCholeskySolver: " + failure};
  }
  for (Eigen::Index k = 0; k < n; ++k) (*dx)[product_.column(static_cast<int>(k))] = scale_[k] * solution_[k];
  if (!dx->allFinite()) {
    return {.success = false,
            .iterations = 1,
            .message = "SparseNormalCholeskySolver: non-finite solution (non-finite Jacobian or residuals?)"};
  }
  return {.success = true, .iterations = 1, .message = note};
}

}  // namespace curvature::internal
