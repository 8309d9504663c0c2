#include "sparse_normal_product.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "curvature/thread_pool.h"

namespace curvature::internal {

namespace {

// Whether place jj of a group's columns, in the order of their new indices
// `sorted`, starts a run of consecutive new indices within the places
// first .. jj: the map keeps one position per run start, and the run's
// other columns follow it in the pattern. set_ordering() counts and fills
// the map and compute_rows() reads it by this one rule.
inline bool starts_run(const int* sorted, int first, int jj) { return jj == first || sorted[jj] != sorted[jj - 1] + 1; }

}  // namespace

void SparseNormalProduct::analyze(const SparseRowMatrix& j) {
  const int m = static_cast<int>(j.rows());
  const int n = static_cast<int>(j.cols());
  const int* outer = j.outerIndexPtr();
  const int* inner = j.innerIndexPtr();
  rows_ = m;
  cols_ = n;
  run_outer_ = std::vector<int>();
  run_first_ = std::vector<int>();
  run_length_ = std::vector<int>();

  // Consecutive rows with the same columns form one group. The groups'
  // columns are copied once the total is known, into an array of that size.
  group_rows_.clear();
  max_group_columns_ = 0;
  for (int row = 0; row < m;) {
    const int begin = outer[row];
    const int length = outer[row + 1] - begin;
    int end = row + 1;
    while (end < m && outer[end + 1] - outer[end] == length &&
           std::memcmp(inner + outer[end], inner + begin, static_cast<size_t>(length) * sizeof(int)) == 0) {
      ++end;
    }
    group_rows_.push_back(row);
    max_group_columns_ = std::max(max_group_columns_, length);
    row = end;
  }
  group_rows_.push_back(m);
  group_rows_.shrink_to_fit();
  const int num_groups = static_cast<int>(group_rows_.size()) - 1;
  group_column_start_.assign(static_cast<size_t>(num_groups) + 1, 0);
  for (int g = 0; g < num_groups; ++g) {
    const int row = group_rows_[g];
    group_column_start_[g + 1] = group_column_start_[g] + outer[row + 1] - outer[row];
  }
  // In J's column order (the identity permutation) a group's columns are
  // already sorted: each row's are.
  const size_t total = static_cast<size_t>(group_column_start_[num_groups]);
  group_order_.resize(total);
  group_sorted_.resize(total);
  for (int g = 0; g < num_groups; ++g) {
    const int row = group_rows_[g];
    const int k = outer[row + 1] - outer[row];
    std::iota(group_order_.data() + group_column_start_[g], group_order_.data() + group_column_start_[g] + k, 0);
    std::copy(inner + outer[row], inner + outer[row + 1], group_sorted_.data() + group_column_start_[g]);
  }

  permutation_.resize(static_cast<size_t>(n));
  std::iota(permutation_.begin(), permutation_.end(), 0);
  lower_ = false;
  build_pattern(false);
}

// Row k of the lower triangle of the permuted J^T J: every new index below
// k (above k for the upper triangle) that shares a group with k, and the
// diagonal. Reads the groups' new indices, group_sorted_.
void SparseNormalProduct::build_pattern(bool lower) {
  const int n = cols_;
  const int num_groups = static_cast<int>(group_rows_.size()) - 1;
  // The groups that read each new index.
  std::vector<int> column_group_start(static_cast<size_t>(n) + 1, 0);
  for (int c : group_sorted_) ++column_group_start[static_cast<size_t>(c) + 1];
  for (int c = 0; c < n; ++c) column_group_start[c + 1] += column_group_start[c];
  std::vector<int> column_groups(group_sorted_.size());
  {
    std::vector<int> next(column_group_start.begin(), column_group_start.end() - 1);
    for (int g = 0; g < num_groups; ++g) {
      for (int q = group_column_start_[g]; q < group_column_start_[g + 1]; ++q) {
        column_groups[next[group_sorted_[q]]++] = g;
      }
    }
  }

  // Two passes, counting then filling, so that the pattern is allocated once
  // at its exact size: grown entry by entry, its discarded buffers (and a
  // final shrinking copy) would be freed into holes that the factorization's
  // larger arrays, allocated next, cannot reuse.
  outer_.assign(static_cast<size_t>(n) + 1, 0);
  diagonal_position_.resize(n);
  std::vector<int> marker(n, -1);
  const auto for_each_entry = [&](int k, auto&& visit) {
    marker[k] = k;
    for (int q = column_group_start[k]; q < column_group_start[k + 1]; ++q) {
      const int g = column_groups[q];
      for (int p = group_column_start_[g]; p < group_column_start_[g + 1]; ++p) {
        const int other = group_sorted_[p];
        if ((lower ? other > k : other < k) && marker[other] != k) {
          marker[other] = k;
          visit(other);
        }
      }
    }
  };
  for (int k = 0; k < n; ++k) {
    int count = 1;
    for_each_entry(k, [&](int) { ++count; });
    outer_[k + 1] = outer_[k] + count;
  }
  std::fill(marker.begin(), marker.end(), -1);
  inner_.resize(static_cast<size_t>(outer_[n]));
  for (int k = 0; k < n; ++k) {
    int* row = inner_.data() + outer_[k];
    int size = 0;
    row[size++] = k;
    for_each_entry(k, [&](int other) { row[size++] = other; });
    std::sort(row, row + size);
    // The first entry of an upper-triangular row, the last of a lower one.
    diagonal_position_[k] = lower ? outer_[k] : outer_[k + 1] - 1;
  }
}

void SparseNormalProduct::set_ordering(const std::vector<int>& permutation, bool lower) {
  const int n = cols_;
  lower_ = lower;
  std::vector<int> new_index(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) new_index[permutation[k]] = k;

  // Each group's columns in the order of their new indices: its columns of
  // J, place order[i] holding column permutation_[sorted[i]] under the
  // ordering being replaced, are renamed and sorted again.
  const int num_groups = static_cast<int>(group_rows_.size()) - 1;
  std::vector<int> columns(static_cast<size_t>(max_group_columns_));
  for (int g = 0; g < num_groups; ++g) {
    const int k = group_column_start_[g + 1] - group_column_start_[g];
    int* order = group_order_.data() + group_column_start_[g];
    int* sorted = group_sorted_.data() + group_column_start_[g];
    for (int i = 0; i < k; ++i) columns[order[i]] = permutation_[sorted[i]];
    std::iota(order, order + k, 0);
    std::sort(order, order + k, [&](int x, int y) { return new_index[columns[x]] < new_index[columns[y]]; });
    for (int i = 0; i < k; ++i) sorted[i] = new_index[columns[order[i]]];
  }
  permutation_ = permutation;
  build_pattern(lower);

  // Each group's map: for column i, the position of the first column of
  // every run (of consecutive new indices) that starts at or before i.
  group_position_start_.assign(static_cast<size_t>(num_groups) + 1, 0);
  for (int g = 0; g < num_groups; ++g) {
    const int k = group_column_start_[g + 1] - group_column_start_[g];
    const int* sorted = group_sorted_.data() + group_column_start_[g];
    // One position per run start within [first, last] of each column i.
    int count = 0;
    for (int i = 0; i < k; ++i) {
      const int first = lower ? i : 0;
      const int last = lower ? k - 1 : i;
      for (int jj = first; jj <= last; ++jj) count += starts_run(sorted, first, jj);
    }
    group_position_start_[g + 1] = group_position_start_[g] + count;
  }
  // Allocated once at its exact size, for the reason build_pattern() gives.
  positions_.resize(static_cast<size_t>(group_position_start_[num_groups]));
  for (int g = 0; g < num_groups; ++g) {
    const int k = group_column_start_[g + 1] - group_column_start_[g];
    const int* sorted = group_sorted_.data() + group_column_start_[g];
    int* position = positions_.data() + group_position_start_[g];
    for (int i = 0; i < k; ++i) {
      const int* row_begin = inner_.data() + outer_[sorted[i]];
      const int* row_end = inner_.data() + outer_[sorted[i] + 1];
      const int first = lower ? i : 0;
      const int last = lower ? k - 1 : i;
      for (int jj = first; jj <= last; ++jj) {
        if (!starts_run(sorted, first, jj)) continue;
        *position++ = static_cast<int>(std::lower_bound(row_begin, row_end, sorted[jj]) - inner_.data());
      }
    }
  }
  scratch_.assign(1, std::vector<double>(static_cast<size_t>(kRowsPerChunk) * static_cast<size_t>(max_group_columns_)));
  row_split_threads_ = 0;
}

void SparseNormalProduct::compress_rows() {
  if (inner_.empty()) return;
  const int n = cols_;
  const auto starts_run = [&](int p, int k) { return p == outer_[k] || inner_[p] != inner_[p - 1] + 1; };
  run_outer_.assign(static_cast<size_t>(n) + 1, 0);
  for (int k = 0; k < n; ++k) {
    int runs = 0;
    for (int p = outer_[k]; p < outer_[k + 1]; ++p) runs += starts_run(p, k);
    run_outer_[k + 1] = run_outer_[k] + runs;
  }
  run_first_.resize(static_cast<size_t>(run_outer_[n]));
  run_length_.resize(static_cast<size_t>(run_outer_[n]));
  for (int k = 0; k < n; ++k) {
    int q = run_outer_[k] - 1;
    for (int p = outer_[k]; p < outer_[k + 1]; ++p) {
      if (starts_run(p, k)) {
        run_first_[++q] = inner_[p];
        run_length_[q] = 0;
      }
      ++run_length_[q];
    }
  }
  inner_ = std::vector<int>();
}

void SparseNormalProduct::scale(const double* scale, double* values) const {
  // Plain pointers: through the members, every store would have to be read
  // back in case it changed them.
  const int n = cols_;
  const int* outer = outer_.data();
  if (!inner_.empty() || run_outer_.empty()) {
    const int* inner = inner_.data();
    for (int a = 0; a < n; ++a) {
      const double scale_a = scale[a];
      for (int p = outer[a]; p < outer[a + 1]; ++p) values[p] *= scale_a * scale[inner[p]];
    }
    return;
  }
  const int* run_outer = run_outer_.data();
  const int* run_first = run_first_.data();
  const int* run_length = run_length_.data();
  for (int a = 0; a < n; ++a) {
    const double scale_a = scale[a];
    double* value = values + outer[a];
    for (int q = run_outer[a]; q < run_outer[a + 1]; ++q) {
      const double* scale_r = scale + run_first[q];
      for (int i = 0; i < run_length[q]; ++i) *value++ *= scale_a * scale_r[i];
    }
  }
}

bool SparseNormalProduct::same_pattern(const SparseRowMatrix& j) const {
  if (j.rows() != rows_ || j.cols() != cols_) return false;
  const int* outer = j.outerIndexPtr();
  const int* inner = j.innerIndexPtr();
  const int num_groups = static_cast<int>(group_rows_.size()) - 1;
  // A group's columns of J, in J's order (the rows' order).
  std::vector<int> columns(static_cast<size_t>(max_group_columns_));
  for (int g = 0; g < num_groups; ++g) {
    const int k = group_column_start_[g + 1] - group_column_start_[g];
    const int* order = group_order_.data() + group_column_start_[g];
    const int* sorted = group_sorted_.data() + group_column_start_[g];
    for (int i = 0; i < k; ++i) columns[order[i]] = permutation_[sorted[i]];
    for (int row = group_rows_[g]; row < group_rows_[g + 1]; ++row) {
      if (outer[row + 1] - outer[row] != k) return false;
      if (std::memcmp(inner + outer[row], columns.data(), static_cast<size_t>(k) * sizeof(int)) != 0) return false;
    }
  }
  return true;
}

void SparseNormalProduct::compute(const SparseRowMatrix& j, double* values, ThreadPool* pool) const {
  const int threads = pool ? pool->num_threads() : 1;
  if (threads == 1 || cols_ < 2) {
    compute_rows(j, values, 0, cols_, scratch_[0].data());
    return;
  }
  if (row_split_threads_ != threads) {
    // Equal shares of the pattern's entries.
    row_split_.assign(1, 0);
    const double share = static_cast<double>(nonzeros()) / threads;
    for (int row = 0; row < cols_ && static_cast<int>(row_split_.size()) < threads; ++row) {
      if (outer_[row + 1] >= share * static_cast<double>(row_split_.size())) row_split_.push_back(row + 1);
    }
    while (static_cast<int>(row_split_.size()) <= threads) row_split_.push_back(cols_);
    row_split_.back() = cols_;
    row_split_threads_ = threads;
    scratch_.resize(static_cast<size_t>(threads), scratch_[0]);
  }
  region_.run(pool, threads, [&](int thread, int begin, int end) {
    for (int t = begin; t < end; ++t) {
      compute_rows(j, values, row_split_[t], row_split_[t + 1], scratch_[static_cast<size_t>(thread)].data());
    }
  });
}

namespace {

// sum_r x[r] y[r], r = 0 .. rows - 1, in that order. Residual blocks have a
// handful of rows, so the common counts get a loop of fixed length that
// the compiler unrolls; the sum is the same in every case.
template <int kRows>
double fixed_dot(const double* x, const double* y) {
  double sum = 0.0;
  for (int r = 0; r < kRows; ++r) sum += x[r] * y[r];
  return sum;
}

double dot(const double* x, const double* y, int rows) {
  double sum = 0.0;
  for (int r = 0; r < rows; ++r) sum += x[r] * y[r];
  return sum;
}

}  // namespace

void SparseNormalProduct::compute_rows(const SparseRowMatrix& j, double* values, int row_begin, int row_end,
                                       double* scratch) const {
  std::fill(values + outer_[row_begin], values + outer_[row_end], 0.0);
  const int* outer = j.outerIndexPtr();
  const double* jacobian = j.valuePtr();
  const int num_groups = static_cast<int>(group_rows_.size()) - 1;
  for (int g = 0; g < num_groups; ++g) {
    const int* order = group_order_.data() + group_column_start_[g];
    const int* sorted = group_sorted_.data() + group_column_start_[g];
    const int k = group_column_start_[g + 1] - group_column_start_[g];
    // The group's rows of J^T J are the new indices of its columns: skip it
    // when none is in range.
    if (k == 0 || sorted[k - 1] < row_begin || sorted[0] >= row_end) continue;
    for (int first = group_rows_[g]; first < group_rows_[g + 1]; first += kRowsPerChunk) {
      const int rows = std::min(kRowsPerChunk, group_rows_[g + 1] - first);
      // The chunk column by column, so that each inner product below reads
      // two contiguous arrays. The group's rows are consecutive in J.
      const double* block = jacobian + outer[first];
      for (int r = 0; r < rows; ++r) {
        for (int i = 0; i < k; ++i) scratch[i * rows + r] = block[r * k + order[i]];
      }
      const int* position = positions_.data() + group_position_start_[g];
      for (int i = 0; i < k; ++i) {
        const double* column_i = scratch + i * rows;
        const bool mine = sorted[i] >= row_begin && sorted[i] < row_end;
        int p = 0;
        const int first_jj = lower_ ? i : 0;
        const int last_jj = lower_ ? k - 1 : i;
        for (int jj = first_jj; jj <= last_jj; ++jj) {
          if (starts_run(sorted, first_jj, jj)) p = *position++;
          if (!mine) continue;
          const double* column_j = scratch + jj * rows;
          double sum;
          switch (rows) {
            case 1:
              sum = fixed_dot<1>(column_i, column_j);
              break;
            case 2:
              sum = fixed_dot<2>(column_i, column_j);
              break;
            case 3:
              sum = fixed_dot<3>(column_i, column_j);
              break;
            case 6:
              sum = fixed_dot<6>(column_i, column_j);
              break;
            default:
              sum = dot(column_i, column_j, rows);
          }
          values[p++] += sum;
        }
      }
    }
  }
}

}  // namespace curvature::internal
