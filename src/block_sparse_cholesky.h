// block_sparse_cholesky.h — LL' of a symmetric positive definite matrix in
// units of equal-size dense blocks (a pose graph's 3x3 or 6x6 parameter
// blocks). Internal; used by SparseNormalCholeskySolver.
//
// CHOLMOD's simplicial factorization of such a matrix works entry by entry;
// this one works block by block with fixed-size dense kernels, so each
// update is a small dense product the compiler unrolls.
//
// analyze() takes the pattern of the upper triangle (column by column) of a
// matrix whose columns form consecutive blocks of `block_size`, already in
// the order to factor in (block_ordering() picks a fill-reducing order of
// the blocks), and builds the block elimination tree, the block pattern of
// L and a map from each stored entry into L's storage. factorize() then
// copies the values in, adds `shift` to the diagonal and factors
// (left-looking, one block column at a time); solve() runs the forward and
// back substitutions.
//
// With a thread pool (set_thread_pool), factorize() factors disjoint
// subtrees of the block elimination tree at the same time, one task each,
// and the block columns above them afterwards (simplicial_row_schedule.h:
// a block column, like CHOLMOD's row, is computed from its descendants'
// columns alone and writes only itself). Every block column is computed by
// the same operations in the same order whichever thread runs it, so the
// factor, the pivots and a failure's message depend on nothing but the
// matrix, for any thread count.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "curvature/thread_pool.h"
#include "parallel_region.h"
#include "simplicial_row_schedule.h"

namespace curvature::internal {

class BlockSparseCholesky {
 public:
  static constexpr int kMaxBlockSize = 6;

  // A fill-reducing order of the blocks of a matrix with `num_blocks`
  // blocks, where `block_outer` / `block_inner` list, for each block, the
  // blocks it is coupled with (either triangle or both; self-loops
  // allowed): result[k] is the block that goes k-th. Eigen's AMD, so the
  // same with and without SuiteSparse, postordered (subtrees of the
  // elimination tree contiguous).
  static std::vector<int> block_ordering(int num_blocks, const std::vector<int>& block_outer,
                                         const std::vector<int>& block_inner);

  // The upper triangle (rows <= column) column by column, diagonal stored;
  // n a multiple of block_size, 1 <= block_size <= kMaxBlockSize. An
  // empty string on success, else why not.
  std::string analyze(int n, int block_size, const int* outer, const int* inner);
  // The pool factorize() shares its work with from the next analyze() on
  // (null: one thread); it must outlive this object's use of it.
  void set_thread_pool(ThreadPool* pool) { pool_ = pool; }
  // Whether the last analysis found subtrees worth factoring in parallel.
  bool factors_in_parallel() const { return !schedule_.empty(); }
  // Factors A + shift I, A's values in the pattern given to analyze(). An
  // empty string on success, else the reason (not positive definite, with
  // the block column).
  std::string factorize(const double* values, double shift);
  // min over j of L_jj^2 of the last successful factorize().
  double min_pivot() const { return min_pivot_; }
  // Solves (A + shift I) x = b with the last factor.
  void solve(const Eigen::VectorXd& b, Eigen::VectorXd* x) const;

  int num_blocks() const { return num_blocks_; }
  // Of the last analysis, counted per scalar column j of L (c_j entries,
  // the diagonal included): sum c_j^2 / sum c_j, the measure by which
  // CHOLMOD chooses between its simplicial and supernodal factorizations.
  double flops_per_nonzero() const { return flops_per_nonzero_; }
  // Stored doubles of L (after factorize(), each diagonal block holds its
  // inverse L_JJ^-1, which the solves multiply by).
  size_t factor_size() const { return factor_.size(); }

 private:
  // `order` (as block_ordering's result) postordered along the elimination
  // tree of the symmetric block pattern outer / inner (both triangles).
  static std::vector<int> postorder(const std::vector<int>& order, const int* outer, const int* inner);
  template <int B>
  std::string factorize_fixed(const double* values, double shift);
  // Block column J of L from the columns left of it (already factored);
  // `relative` is scratch of num_blocks_. False when its diagonal block is
  // not positive definite.
  template <int B>
  bool factor_column(int J, int* relative, double* min_pivot);
  template <int B>
  void solve_fixed(const Eigen::VectorXd& b, Eigen::VectorXd* x) const;

  int n_ = 0, block_size_ = 0, num_blocks_ = 0;
  // Block column J of L: its row blocks (J itself first, then the others in
  // increasing order) col_rows_[col_start_[J] .. col_start_[J + 1]); its
  // values a dense column-major panel of (count * B) x B doubles at
  // factor_[panel_start_[J]], row block i of the list at row i * B.
  std::vector<int> col_start_, col_rows_;
  std::vector<size_t> panel_start_;
  // Block row J of L (left of the diagonal): the columns K < J with
  // L(J, K) stored, and the place of J in K's row list, in increasing K.
  std::vector<int> row_start_, row_cols_, row_place_;
  // Where each stored entry of A goes in factor_: 4-byte offsets, half the
  // size of the 8-byte ones (1 MB less on parking-garage's 262,000 entries);
  // analyze() refuses a factor beyond their reach (2^32 doubles, 32 GiB).
  using Offset = std::uint32_t;
  std::vector<Offset> scatter_;
  std::vector<Offset> diagonal_;  // factor_ index of A(k, k)
  std::vector<double> factor_;
  std::vector<double> update_;  // scratch: one column panel's update
  // Scratch per thread: block -> place in the column being factored.
  std::vector<std::vector<int>> relative_;
  ThreadPool* pool_ = nullptr;
  RowSchedule schedule_;  // over block columns; empty: one thread
  // The schedule's tasks: on the pool or on the caller alone, whichever is
  // faster here (parallel_region.h).
  ParallelRegion region_;
  double min_pivot_ = 0.0;
  double flops_per_nonzero_ = 0.0;
};

}  // namespace curvature::internal
