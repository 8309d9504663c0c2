#include "block_sparse_cholesky.h"

#include <Eigen/OrderingMethods>
#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <limits>

namespace curvature::internal {

std::vector<int> BlockSparseCholesky::block_ordering(int num_blocks, const std::vector<int>& block_outer,
                                                     const std::vector<int>& block_inner) {
  std::vector<Eigen::Triplet<double, int>> entries;
  entries.reserve(block_inner.size() * 2 + static_cast<size_t>(num_blocks));
  for (int a = 0; a < num_blocks; ++a) {
    entries.emplace_back(a, a, 1.0);
    for (int p = block_outer[a]; p < block_outer[a + 1]; ++p) {
      entries.emplace_back(a, block_inner[p], 1.0);
      entries.emplace_back(block_inner[p], a, 1.0);
    }
  }
  Eigen::SparseMatrix<double, Eigen::ColMajor, int> pattern(num_blocks, num_blocks);
  pattern.setFromTriplets(entries.begin(), entries.end());
  // What Eigen's simplicial Cholesky calls P^-1: entry k is the block that
  // goes k-th.
  Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int> inverse;
  Eigen::AMDOrdering<int> amd;
  amd(pattern, inverse);
  const std::vector<int> order(inverse.indices().data(), inverse.indices().data() + inverse.indices().size());
  return postorder(order, pattern.outerIndexPtr(), pattern.innerIndexPtr());
}

// The same elimination in postorder: every subtree of the elimination tree
// a contiguous run of blocks ending at its root, which is what lets the
// factorization hand whole subtrees to threads (simplicial_row_schedule.h).
// A postorder of the elimination tree is an equivalent ordering: the same
// fill, the same flops.
std::vector<int> BlockSparseCholesky::postorder(const std::vector<int>& order, const int* outer, const int* inner) {
  const int nb = static_cast<int>(order.size());
  std::vector<int> position(static_cast<size_t>(nb));
  for (int k = 0; k < nb; ++k) position[order[k]] = k;
  // Elimination tree of the permuted pattern (symmetric, column by column).
  std::vector<int> parent(static_cast<size_t>(nb), -1), ancestor(static_cast<size_t>(nb), -1);
  for (int k = 0; k < nb; ++k) {
    const int block = order[k];
    for (int p = outer[block]; p < outer[block + 1]; ++p) {
      for (int i = position[inner[p]]; i != -1 && i < k;) {
        const int next = ancestor[i];
        ancestor[i] = k;
        if (next == -1) {
          parent[i] = k;
          break;
        }
        i = next;
      }
    }
  }
  // Children in increasing order, then a depth-first walk from each root.
  std::vector<int> child_start(static_cast<size_t>(nb) + 1, 0), children(static_cast<size_t>(nb));
  for (int k = 0; k < nb; ++k) {
    if (parent[k] != -1) ++child_start[parent[k] + 1];
  }
  for (int k = 0; k < nb; ++k) child_start[k + 1] += child_start[k];
  std::vector<int> fill(child_start.begin(), child_start.end() - 1);
  for (int k = 0; k < nb; ++k) {
    if (parent[k] != -1) children[fill[parent[k]]++] = k;
  }
  std::vector<int> result;
  result.reserve(static_cast<size_t>(nb));
  std::vector<std::pair<int, int>> stack;  // (node, next child to visit)
  for (int root = 0; root < nb; ++root) {
    if (parent[root] != -1) continue;
    stack.emplace_back(root, child_start[root]);
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < child_start[node + 1]) {
        const int child = children[next++];
        stack.emplace_back(child, child_start[child]);
      } else {
        result.push_back(order[node]);
        stack.pop_back();
      }
    }
  }
  return result;
}

std::string BlockSparseCholesky::analyze(int n, int block_size, const int* outer, const int* inner) {
  if (block_size < 1 || block_size > kMaxBlockSize || n % block_size != 0) {
    return "block size " + std::to_string(block_size) + " does not divide " + std::to_string(n) +
           " or is not in 1 .. " + std::to_string(kMaxBlockSize);
  }
  n_ = n;
  block_size_ = block_size;
  const int B = block_size;
  const int nb = n / B;
  num_blocks_ = nb;

  // The block pattern of the strict upper triangle, column by column.
  std::vector<int> a_start(static_cast<size_t>(nb) + 1, 0), a_rows;
  std::vector<int> marker(static_cast<size_t>(nb), -1);
  for (int J = 0; J < nb; ++J) {
    marker[J] = J;
    for (int c = J * B; c < (J + 1) * B; ++c) {
      for (int p = outer[c]; p < outer[c + 1]; ++p) {
        const int I = inner[p] / B;
        if (inner[p] > c) return "entry below the diagonal in column " + std::to_string(c);
        if (marker[I] != J) {
          marker[I] = J;
          a_rows.push_back(I);
        }
      }
    }
    a_start[J + 1] = static_cast<int>(a_rows.size());
  }

  // Block elimination tree (Liu, with path compression through `ancestor`),
  // then each row of L: the blocks met walking up the tree from each block
  // of A's column J until J or a block already met.
  std::vector<int> parent(static_cast<size_t>(nb), -1), ancestor(static_cast<size_t>(nb), -1);
  for (int J = 0; J < nb; ++J) {
    for (int p = a_start[J]; p < a_start[J + 1]; ++p) {
      for (int I = a_rows[p]; I != -1 && I < J;) {
        const int next = ancestor[I];
        ancestor[I] = J;
        if (next == -1) {
          parent[I] = J;
          break;
        }
        I = next;
      }
    }
  }
  std::vector<std::vector<int>> columns(static_cast<size_t>(nb));
  for (int J = 0; J < nb; ++J) columns[J].push_back(J);
  row_start_.assign(1, 0);
  row_cols_.clear();
  row_place_.clear();
  std::fill(marker.begin(), marker.end(), -1);
  std::vector<int> row;
  for (int J = 0; J < nb; ++J) {
    marker[J] = J;
    row.clear();
    for (int p = a_start[J]; p < a_start[J + 1]; ++p) {
      for (int K = a_rows[p]; K != -1 && marker[K] != J; K = parent[K]) {
        marker[K] = J;
        row.push_back(K);
      }
    }
    std::sort(row.begin(), row.end());
    for (int K : row) {
      row_cols_.push_back(K);
      row_place_.push_back(static_cast<int>(columns[K].size()));
      columns[K].push_back(J);
    }
    row_start_.push_back(static_cast<int>(row_cols_.size()));
  }
  col_start_.assign(1, 0);
  col_rows_.clear();
  panel_start_.assign(1, 0);
  double flops = 0.0, nonzeros = 0.0;
  for (int J = 0; J < nb; ++J) {
    for (int i = 0; i < B; ++i) {
      const double entries = static_cast<double>(columns[J].size()) * B - i;
      flops += entries * entries;
      nonzeros += entries;
    }
    col_rows_.insert(col_rows_.end(), columns[J].begin(), columns[J].end());
    col_start_.push_back(static_cast<int>(col_rows_.size()));
    panel_start_.push_back(panel_start_.back() + columns[J].size() * static_cast<size_t>(B * B));
  }
  if (panel_start_.back() > std::numeric_limits<Offset>::max()) {
    const std::string size = std::to_string(panel_start_.back());
    ThreadPool* pool = pool_;
    *this = BlockSparseCholesky();  // not analyzed; nothing large kept
    pool_ = pool;
    return "the factor would hold " + size + " doubles, more than the 2^32 this factorization addresses";
  }
  factor_.assign(panel_start_.back(), 0.0);
  flops_per_nonzero_ = nonzeros > 0.0 ? flops / nonzeros : 0.0;

  // Entry (r, c), r <= c, is L's (c, r): block column r / B, at the place
  // of block c / B in that column's list.
  const int threads = pool_ ? pool_->num_threads() : 1;
  relative_.assign(static_cast<size_t>(threads), std::vector<int>(static_cast<size_t>(nb), -1));
  schedule_ = RowSchedule();
  if (threads > 1) {
    std::vector<int> counts(static_cast<size_t>(nb));
    for (int J = 0; J < nb; ++J) counts[J] = col_start_[J + 1] - col_start_[J];
    schedule_ = plan_row_schedule(nb, col_start_.data(), counts.data(), col_rows_.data(), threads);
  }
  scatter_.resize(static_cast<size_t>(outer[n]));
  diagonal_.assign(static_cast<size_t>(n), 0);
  for (int c = 0; c < n; ++c) {
    for (int p = outer[c]; p < outer[c + 1]; ++p) {
      const int r = inner[p];
      const int J = r / B;
      const int I = c / B;
      const int* rows = col_rows_.data() + col_start_[J];
      const int count = col_start_[J + 1] - col_start_[J];
      const int q = static_cast<int>(std::lower_bound(rows + 1, rows + count, I) - rows);
      const int at = I == J ? 0 : q;
      const size_t ld = static_cast<size_t>(count * B);
      scatter_[p] =
          static_cast<Offset>(panel_start_[J] + static_cast<size_t>(r % B) * ld + static_cast<size_t>(at * B + c % B));
      if (r == c) diagonal_[c] = scatter_[p];
    }
  }
  return {};
}

std::string BlockSparseCholesky::factorize(const double* values, double shift) {
  switch (block_size_) {
    case 1:
      return factorize_fixed<1>(values, shift);
    case 2:
      return factorize_fixed<2>(values, shift);
    case 3:
      return factorize_fixed<3>(values, shift);
    case 4:
      return factorize_fixed<4>(values, shift);
    case 5:
      return factorize_fixed<5>(values, shift);
    case 6:
      return factorize_fixed<6>(values, shift);
    default:
      return "not analyzed";
  }
}

namespace {

// The kernels below work on B x B blocks stored column-major with a leading
// dimension `ld` (a block column's panel), as plain loops of fixed length:
// at B = 3 Eigen's general triangular solvers spend more on their set-up
// (packing, blocking, dispatch on the dynamic panel height) than on the
// few flops, and that set-up ran once per block column and solve.

// In place: the lower triangle of the block at `a` becomes its Cholesky
// factor L (A = L L'); the strict upper triangle is left alone. False when
// a pivot is not positive and finite; *min_pivot takes the smallest L_ii^2.
// `reciprocal` takes 1 / L_jj for each j: the one division per pivot, which
// the entries below it and the inverse (invert_lower_triangle) multiply by.
// Divisions are the longest operations on a block column's chain of
// dependent steps, and at B = 3 there were nine of them.
template <int B>
bool factor_diagonal_block(double* a, Eigen::Index ld, double* min_pivot, double* reciprocal) {
  for (int j = 0; j < B; ++j) {
    double pivot = a[j * ld + j];
    for (int k = 0; k < j; ++k) pivot -= a[k * ld + j] * a[k * ld + j];
    if (!(pivot > 0.0) || !std::isfinite(pivot)) return false;
    *min_pivot = std::min(*min_pivot, pivot);
    const double l_jj = std::sqrt(pivot);
    reciprocal[j] = 1.0 / l_jj;
    a[j * ld + j] = l_jj;
    for (int i = j + 1; i < B; ++i) {
      double sum = a[j * ld + i];
      for (int k = 0; k < j; ++k) sum -= a[k * ld + i] * a[k * ld + j];
      a[j * ld + i] = sum * reciprocal[j];
    }
  }
  return true;
}

// The inverse of the B x B lower-triangular L at `l` (leading dimension
// ld), given its diagonal's reciprocals, into `inverse` (B x B,
// column-major, lower triangle; the strict upper one zero), column by column
// by forward substitution.
template <int B>
void invert_lower_triangle(const double* l, Eigen::Index ld, const double* reciprocal, double* inverse) {
  for (int c = 0; c < B; ++c) {
    for (int i = 0; i < B; ++i) {
      if (i < c) {
        inverse[c * B + i] = 0.0;
        continue;
      }
      if (i == c) {
        inverse[c * B + i] = reciprocal[i];
        continue;
      }
      double sum = 0.0;
      for (int k = c; k < i; ++k) sum -= l[k * ld + i] * inverse[c * B + k];
      inverse[c * B + i] = sum * reciprocal[i];
    }
  }
}

// rows x B panel X (column-major, leading dimension ld) := X L^-T, given
// L^-1 (invert_lower_triangle): column c of the result is
// sum_{k <= c} L^-1(c, k) X(:, k), built from the last column down so that
// each column is read before it is overwritten; each a contiguous run of
// `rows` that the compiler vectorizes.
template <int B>
void multiply_panel_by_inverse_transpose(const double* inverse, Eigen::Index ld, double* x, Eigen::Index rows) {
  for (int c = B - 1; c >= 0; --c) {
    double* column_c = x + c * ld;
    const double scale = inverse[c * B + c];
    for (Eigen::Index r = 0; r < rows; ++r) column_c[r] *= scale;
    for (int k = 0; k < c; ++k) {
      const double weight = inverse[k * B + c];
      const double* column_k = x + k * ld;
      for (Eigen::Index r = 0; r < rows; ++r) column_c[r] += weight * column_k[r];
    }
  }
}

// y := L^-1 y, given L^-1 (B x B, column-major with leading dimension ld,
// lower triangle): a product, not a substitution, so that no division sits
// on the solve's chain of dependent operations.
template <int B>
void multiply_by_inverse(const double* inverse, Eigen::Index ld, double* y) {
  double result[B];
  for (int i = 0; i < B; ++i) {
    double sum = 0.0;
    for (int k = 0; k <= i; ++k) sum += inverse[k * ld + i] * y[k];
    result[i] = sum;
  }
  for (int i = 0; i < B; ++i) y[i] = result[i];
}

// y := L^-T y, given L^-1 as above.
template <int B>
void multiply_by_inverse_transpose(const double* inverse, Eigen::Index ld, double* y) {
  double result[B];
  for (int i = 0; i < B; ++i) {
    double sum = 0.0;
    for (int k = i; k < B; ++k) sum += inverse[i * ld + k] * y[k];
    result[i] = sum;
  }
  for (int i = 0; i < B; ++i) y[i] = result[i];
}

}  // namespace

template <int B>
bool BlockSparseCholesky::factor_column(int J, int* relative, double* min_pivot) {
  using Block = Eigen::Matrix<double, B, B>;
  using BlockMap = Eigen::Map<Block, 0, Eigen::OuterStride<>>;
  double* factor = factor_.data();
  const int* rows_j = col_rows_.data() + col_start_[J];
  const int count_j = col_start_[J + 1] - col_start_[J];
  const Eigen::Index ld_j = static_cast<Eigen::Index>(count_j) * B;
  double* panel_j = factor + panel_start_[J];
  for (int q = 0; q < count_j; ++q) relative[rows_j[q]] = q;
  // Left-looking: subtract L(I, K) L(J, K)' for every K with L(J, K) != 0
  // and every I >= J in K's column.
  for (int e = row_start_[J]; e < row_start_[J + 1]; ++e) {
    const int K = row_cols_[e];
    const int place = row_place_[e];
    const int* rows_k = col_rows_.data() + col_start_[K];
    const int count_k = col_start_[K + 1] - col_start_[K];
    const Eigen::Index ld_k = static_cast<Eigen::Index>(count_k) * B;
    const double* panel_k = factor + panel_start_[K];
    const Block l_jk = BlockMap(const_cast<double*>(panel_k) + place * B, B, B, Eigen::OuterStride<>(ld_k));
    for (int t = place; t < count_k; ++t) {
      const BlockMap l_ik(const_cast<double*>(panel_k) + t * B, B, B, Eigen::OuterStride<>(ld_k));
      BlockMap target(panel_j + relative[rows_k[t]] * B, B, B, Eigen::OuterStride<>(ld_j));
      target.noalias() -= l_ik * l_jk.transpose();
    }
  }
  double reciprocal[B];
  if (!factor_diagonal_block<B>(panel_j, ld_j, min_pivot, reciprocal)) return false;
  double inverse[B * B];
  invert_lower_triangle<B>(panel_j, ld_j, reciprocal, inverse);
  // The blocks below: := below L_JJ^-T.
  if (count_j > 1) multiply_panel_by_inverse_transpose<B>(inverse, ld_j, panel_j + B, ld_j - B);
  // L_JJ itself is read by nothing after this (later columns read the blocks
  // below the diagonal, the solves only its inverse), so the inverse, with
  // its strict upper triangle zero, takes its place in the panel instead of
  // a second array.
  for (int c = 0; c < B; ++c) {
    for (int r = 0; r < B; ++r) panel_j[c * ld_j + r] = inverse[c * B + r];
  }
  return true;
}

template <int B>
std::string BlockSparseCholesky::factorize_fixed(const double* values, double shift) {
  std::fill(factor_.begin(), factor_.end(), 0.0);
  double* factor = factor_.data();
  for (size_t p = 0; p < scatter_.size(); ++p) factor[scatter_[p]] = values[p];
  for (size_t k = 0; k < diagonal_.size(); ++k) factor[diagonal_[k]] += shift;
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  const auto failure = [](int J) { return "not positive definite at block column " + std::to_string(J); };
  double min_pivot = kInfinity;

  std::vector<std::pair<int, int>> all{{0, num_blocks_}};
  const std::vector<std::pair<int, int>>* sequential = &all;
  if (!schedule_.empty()) {
    // Each task stops at its first failing column; the smallest over the
    // tasks is the one a sequential pass would have stopped at (the columns
    // before it do not depend on it), so the message is the same.
    const size_t tasks = schedule_.tasks.size();
    std::vector<int> failed(tasks, num_blocks_);
    std::vector<double> pivots(tasks, kInfinity);
    region_.run(pool_, static_cast<int>(tasks), [&](int thread, int begin, int end) {
      int* relative = relative_[static_cast<size_t>(thread)].data();
      for (int t = begin; t < end; ++t) {
        for (const auto& [first, last] : schedule_.tasks[static_cast<size_t>(t)]) {
          int J = first;
          while (J < last && factor_column<B>(J, relative, &pivots[static_cast<size_t>(t)])) ++J;
          if (J < last) {
            failed[static_cast<size_t>(t)] = J;
            break;
          }
        }
      }
    });
    const int first_failure = *std::min_element(failed.begin(), failed.end());
    if (first_failure < num_blocks_) return failure(first_failure);
    min_pivot = *std::min_element(pivots.begin(), pivots.end());
    sequential = &schedule_.after;
  }
  int* relative = relative_[0].data();
  for (const auto& [first, last] : *sequential) {
    for (int J = first; J < last; ++J) {
      if (!factor_column<B>(J, relative, &min_pivot)) return failure(J);
    }
  }
  min_pivot_ = num_blocks_ > 0 ? min_pivot : 0.0;
  return {};
}

void BlockSparseCholesky::solve(const Eigen::VectorXd& b, Eigen::VectorXd* x) const {
  switch (block_size_) {
    case 1:
      return solve_fixed<1>(b, x);
    case 2:
      return solve_fixed<2>(b, x);
    case 3:
      return solve_fixed<3>(b, x);
    case 4:
      return solve_fixed<4>(b, x);
    case 5:
      return solve_fixed<5>(b, x);
    case 6:
      return solve_fixed<6>(b, x);
    default:
      x->resize(0);
  }
}

template <int B>
void BlockSparseCholesky::solve_fixed(const Eigen::VectorXd& b, Eigen::VectorXd* x) const {
  *x = b;
  double* y = x->data();
  const double* factor = factor_.data();
  for (int J = 0; J < num_blocks_; ++J) {
    const int* rows_j = col_rows_.data() + col_start_[J];
    const int count_j = col_start_[J + 1] - col_start_[J];
    const Eigen::Index ld = static_cast<Eigen::Index>(count_j) * B;
    const double* panel = factor + panel_start_[J];
    double* y_j = y + J * B;
    multiply_by_inverse<B>(panel, ld, y_j);
    // y_I -= L_IJ y_J for the blocks below.
    for (int q = 1; q < count_j; ++q) {
      double* y_i = y + rows_j[q] * B;
      const double* l_ij = panel + q * B;
      for (int c = 0; c < B; ++c) {
        const double y_c = y_j[c];
        for (int r = 0; r < B; ++r) y_i[r] -= l_ij[c * ld + r] * y_c;
      }
    }
  }
  for (int J = num_blocks_ - 1; J >= 0; --J) {
    const int* rows_j = col_rows_.data() + col_start_[J];
    const int count_j = col_start_[J + 1] - col_start_[J];
    const Eigen::Index ld = static_cast<Eigen::Index>(count_j) * B;
    const double* panel = factor + panel_start_[J];
    double* x_j = y + J * B;
    // x_J -= L_IJ' x_I for the blocks below.
    for (int q = 1; q < count_j; ++q) {
      const double* x_i = y + rows_j[q] * B;
      const double* l_ij = panel + q * B;
      for (int c = 0; c < B; ++c) {
        double sum = 0.0;
        for (int r = 0; r < B; ++r) sum += l_ij[c * ld + r] * x_i[r];
        x_j[c] -= sum;
      }
    }
    multiply_by_inverse_transpose<B>(panel, ld, x_j);
  }
}

}  // namespace curvature::internal
