// sparse_normal_product.h — J^T J of a compressed-row Jacobian, formed block
// by block over a pattern computed once. Internal; used by
// SparseNormalCholeskySolver.
//
// The rows of a Jacobian assembled from residual blocks come in runs that
// share one column pattern (every row of a block reads the same parameter
// blocks), and a row's columns come in runs of consecutive indices (one run
// per parameter block). analyze() finds those row groups; set_ordering()
// renames the columns by the factorization's fill-reducing ordering, so
// that J^T J is formed directly in the order the factorization works in,
// and computes, for each group, where each of its column pairs lands in the
// lower triangle; compute() then forms J^T J as a sum of small dense
// products, one per row group, each added along the precomputed positions:
// no search, no scatter into a dense accumulator, no transposed copy of J.
// The map stores one position per (column, run of consecutive new indices)
// rather than one per entry (an ordering that keeps each parameter block's
// columns together keeps it small), and the patterns kept to recognise J
// again are one row per group, so the memory beyond J^T J itself is a small
// fraction of J's.
//
// The sums run in one fixed order (group after group, row after row), so
// the result does not depend on anything but J. With a thread pool each
// thread forms the rows of J^T J in its own range, reading every group
// that reaches them: each entry is still summed group after group, so the
// result is the same for any number of threads.
#pragma once

#include <vector>

#include "linear_solver.h"
#include "parallel_region.h"

namespace curvature {
class ThreadPool;
}

namespace curvature::internal {

class SparseNormalProduct {
 public:
  // Finds the row groups of `j` and builds the pattern of the lower
  // triangle of J^T J in J's column order (diagonal always stored, since
  // damping fills it), for choosing a fill-reducing ordering. `j` must be
  // compressed with sorted columns per row.
  void analyze(const SparseRowMatrix& j);
  // Renames J's columns: column permutation[k] becomes k, and the pattern
  // and the groups' maps are rebuilt for J^T J in that order, which is the
  // matrix compute() forms. Called after analyze(), before compute();
  // `permutation` is a permutation of 0 .. cols() - 1.
  // With `lower`, the pattern is the upper triangle row by row (the lower
  // one column by column) instead.
  void set_ordering(const std::vector<int>& permutation, bool lower);
  // Whether `j` has exactly the pattern last analyzed.
  bool same_pattern(const SparseRowMatrix& j) const;

  // values[p] = entry p of the (permuted) J^T J, for a J with the analyzed
  // pattern; `values` has nonzeros() entries. On `pool`'s threads when
  // given.
  void compute(const SparseRowMatrix& j, double* values, ThreadPool* pool = nullptr) const;

  // values[p] *= scale[k] * scale[r] for entry p at (r, k) of the pattern:
  // S A S for S = diag(scale).
  void scale(const double* scale, double* values) const;
  // Keeps the pattern's rows only as runs of consecutive indices, which is
  // all scale() needs: for a caller whose factorization has copied the
  // pattern, so that inner() is no longer read. inner() is empty after;
  // analyze() restores it. Small when the ordering keeps each parameter
  // block's columns together.
  void compress_rows();

  int cols() const { return cols_; }
  // The lower triangle row by row, i.e. the upper triangle column by
  // column (or the other triangle, as set_ordering() was asked): in J's
  // column order after analyze(), in the new order after set_ordering().
  const std::vector<int>& outer() const { return outer_; }
  const std::vector<int>& inner() const { return inner_; }
  size_t nonzeros() const { return outer_.empty() ? 0 : static_cast<size_t>(outer_.back()); }
  bool lower() const { return lower_; }
  // Where diagonal entry (k, k) sits in the pattern.
  int diagonal_position(int k) const { return diagonal_position_[static_cast<size_t>(k)]; }
  // The column of J that is column k of the permuted J^T J.
  int column(int k) const { return permutation_[static_cast<size_t>(k)]; }

 private:
  // At most this many rows of a group are transposed into the scratch at a
  // time, so a dense J (one group of all rows) needs no full copy.
  static constexpr int kRowsPerChunk = 32;

  void build_pattern(bool lower);
  // The entries of rows [row_begin, row_end) of the pattern.
  void compute_rows(const SparseRowMatrix& j, double* values, int row_begin, int row_end, double* scratch) const;

  int rows_ = -1, cols_ = -1;
  // Row groups: rows group_rows_[g] .. group_rows_[g + 1] - 1 share one
  // column pattern, of group_column_start_[g + 1] - group_column_start_[g]
  // columns, kept only as the two arrays below (from [group_column_start_[g]
  // on): place order[i] of a row holds column permutation_[sorted[i]].
  std::vector<int> group_rows_, group_column_start_;
  // Per group, its columns' places within a row (0 .. k-1) in the order of
  // their new indices.
  std::vector<int> group_order_;
  // Per group, the new indices of its columns in that order (the rows of
  // J^T J the group adds to), so that compute() reads them directly.
  std::vector<int> group_sorted_;
  // Per group, per column i of group_order_, one position per run of
  // columns (in that order) with consecutive new indices, from the first
  // column through column i: where (column i, the run's first column) sits
  // in the pattern; the run's other columns follow it there.
  std::vector<int> group_position_start_, positions_;
  std::vector<int> permutation_;  // new index -> column of J
  std::vector<int> outer_, inner_, diagonal_position_;
  // After compress_rows(), instead of inner_: row k of the pattern is the
  // runs run_outer_[k] .. run_outer_[k + 1] - 1, run q the indices
  // run_first_[q] .. run_first_[q] + run_length_[q] - 1.
  std::vector<int> run_outer_, run_first_, run_length_;
  int max_group_columns_ = 0;
  bool lower_ = false;  // the pattern is the upper triangle row by row
  // A chunk of a group's rows, column by column; one per thread.
  mutable std::vector<std::vector<double>> scratch_;
  // The rows each of `row_split_threads_` threads forms: thread t has
  // [row_split_[t], row_split_[t + 1]), about equal shares of the pattern.
  mutable std::vector<int> row_split_;
  mutable int row_split_threads_ = 0;
  // compute()'s loop over the threads' shares: on the pool or on the caller
  // alone, whichever is faster here (parallel_region.h).
  mutable ParallelRegion region_;
};

}  // namespace curvature::internal
