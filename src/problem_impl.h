// problem_impl.h — the data behind curvature::Problem, shared with the
// evaluator. Parameter blocks live in the user's memory; this records their
// sizes, constancy and bounds, and the residual blocks that read them.
#pragma once

#include <limits>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "block_index_list.h"
#include "curvature/manifold.h"
#include "curvature/problem.h"

namespace curvature {

namespace internal {
struct SolveCache;  // solve_cache.h
}  // namespace internal

struct ParameterBlockInfo {
  double* values = nullptr;
  int size = 0;
  bool constant = false;
  std::vector<double> lower;  // empty until a bound is set: all -inf
  std::vector<double> upper;  // empty until a bound is set: all +inf
  // Null for a plain block. The engine treats a manifold whose
  // is_euclidean() holds as no manifold at all.
  std::shared_ptr<const Manifold> manifold;

  // The manifold the solvers must step through: null when the block is
  // plain coordinates (no manifold, or a Euclidean one).
  const Manifold* stepping_manifold() const { return manifold && !manifold->is_euclidean() ? manifold.get() : nullptr; }
  int tangent_size() const { return manifold ? manifold->tangent_size() : size; }
  // Whether some coordinate has a finite bound (+-inf means none).
  bool has_bounds() const {
    for (double bound : lower) {
      if (bound > -std::numeric_limits<double>::infinity()) return true;
    }
    for (double bound : upper) {
      if (bound < std::numeric_limits<double>::infinity()) return true;
    }
    return false;
  }
};

struct ResidualBlockInfo {
  std::shared_ptr<const CostFunction> cost;
  std::shared_ptr<const LossFunction> loss;
  // Indices into Problem::Impl::parameter_blocks; inline up to four, with
  // no allocation per residual block.
  internal::BlockIndexList parameter_blocks;
};

struct Problem::Impl {
  std::vector<ParameterBlockInfo> parameter_blocks;
  std::unordered_map<const double*, int> block_index;
  // The same blocks ordered by address, so an overlap check looks only at the
  // neighbours of a new block: O(log n) instead of a scan.
  std::map<const double*, int> blocks_by_address;
  std::vector<ResidualBlockInfo> residual_blocks;
  int num_residuals = 0;
  // Bumped by every edit that changes the structure (blocks added or
  // removed, constancy or manifold changed), not by value changes.
  long structure_version = 0;
  // What solve() keeps for the next solve (solve_cache.h); mutable, as a
  // cache that never changes what the problem is.
  mutable std::shared_ptr<internal::SolveCache> solve_cache;

  // Index of the block at `values`; an Error naming the caller if unknown.
  int find_block(const double* values, const char* caller) const;
};

}  // namespace curvature
