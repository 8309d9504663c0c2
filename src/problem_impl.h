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

// A block's bounds, allocated when its first bound is set: most blocks
// have none, and two empty vectors in every block cost 48 bytes each
// (3 MB over a bundle adjustment's 65,000 points).
struct ParameterBlockBounds {
  std::vector<double> lower;  // -inf where unset
  std::vector<double> upper;  // +inf where unset
};

struct ParameterBlockInfo {
  double* values = nullptr;
  int size = 0;
  bool constant = false;
  std::unique_ptr<ParameterBlockBounds> bounds;  // null until a bound is set
  // Null for a plain block. The engine treats a manifold whose
  // is_euclidean() holds as no manifold at all.
  std::shared_ptr<const Manifold> manifold;

  // The manifold the solvers must step through: null when the block is
  // plain coordinates (no manifold, or a Euclidean one).
  const Manifold* stepping_manifold() const { return manifold && !manifold->is_euclidean() ? manifold.get() : nullptr; }
  int tangent_size() const { return manifold ? manifold->tangent_size() : size; }
  double lower_bound(int k) const {
    return bounds ? bounds->lower[static_cast<size_t>(k)] : -std::numeric_limits<double>::infinity();
  }
  double upper_bound(int k) const {
    return bounds ? bounds->upper[static_cast<size_t>(k)] : std::numeric_limits<double>::infinity();
  }
  // The bounds to edit, allocated (all +-inf) on first use.
  ParameterBlockBounds& mutable_bounds() {
    if (!bounds) {
      bounds = std::make_unique<ParameterBlockBounds>();
      bounds->lower.assign(static_cast<size_t>(size), -std::numeric_limits<double>::infinity());
      bounds->upper.assign(static_cast<size_t>(size), std::numeric_limits<double>::infinity());
    }
    return *bounds;
  }
  // Whether some coordinate has a finite bound (+-inf means none).
  bool has_bounds() const {
    if (!bounds) return false;
    for (double bound : bounds->lower) {
      if (bound > -std::numeric_limits<double>::infinity()) return true;
    }
    for (double bound : bounds->upper) {
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
