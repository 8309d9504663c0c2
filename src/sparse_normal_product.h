// sparse_normal_product.h — J^T J of a compressed-row Jacobian, formed block
// by block over a pattern computed once. Internal; used by
// SparseNormalCholeskySolver.
//
// The rows of a Jacobian assembled from residual blocks come in runs that
// share one column pattern (every row of a block reads the same parameter
// blocks), and a row's columns come in runs of consecutive indices (one run
// per parameter block). analyze() finds those row groups and, for each
// group, where each of its column pairs lands in the lower triangle of
// J^T J; compute() then forms J^T J as a sum of small dense products, one
// per row group, each added along the precomputed positions: no search, no
// scatter into a dense accumulator, no transposed copy of J. The map stores
// one position per (column, column run) rather than one per entry, and the
// patterns it keeps to recognise J again are one row per group, so the
// memory beyond J^T J itself is a small fraction of J's.
//
// The sums run in one fixed order (group after group, row after row), so
// the result does not depend on anything but J.
#pragma once

#include <vector>

#include "linear_solver.h"

namespace curvature::internal {

class SparseNormalProduct {
 public:
  // Builds the pattern of the lower triangle of J^T J (diagonal always
  // stored, since damping fills it) and the row groups' maps. `j` must be
  // compressed with sorted columns per row.
  void analyze(const SparseRowMatrix& j);
  // Whether `j` has exactly the pattern last analyzed.
  bool same_pattern(const SparseRowMatrix& j) const;

  // values[p] = (J^T J) entry p of the pattern, for a J with the analyzed
  // pattern; `values` has nonzeros() entries.
  void compute(const SparseRowMatrix& j, double* values) const;

  int cols() const { return cols_; }
  // The lower triangle row by row, i.e. the upper triangle column by column.
  const std::vector<int>& outer() const { return outer_; }
  const std::vector<int>& inner() const { return inner_; }
  size_t nonzeros() const { return inner_.size(); }
  // Where entry (a, a) sits in the pattern.
  int diagonal_position(int a) const { return diagonal_position_[static_cast<size_t>(a)]; }

 private:
  // At most this many rows of a group are transposed into the scratch at a
  // time, so a dense J (one group of all rows) needs no full copy.
  static constexpr int kRowsPerChunk = 32;

  int rows_ = -1, cols_ = -1;
  // Row groups: rows group_rows_[g] .. group_rows_[g + 1] - 1 share the
  // column pattern group_columns_[group_column_start_[g] ..
  // group_column_start_[g + 1]).
  std::vector<int> group_rows_, group_column_start_, group_columns_;
  // Per group, per column i of the group, one position per column run
  // starting at or before column i: where (column i, first column of the
  // run) sits in the pattern.
  std::vector<int> group_position_start_, positions_;
  std::vector<int> outer_, inner_, diagonal_position_;
  int max_group_columns_ = 0;
  mutable std::vector<double> scratch_;  // a chunk of a group's rows, column by column
};

}  // namespace curvature::internal
