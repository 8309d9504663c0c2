// problem_impl.h — the data behind curvature::Problem, shared with the
// evaluator. Parameter blocks live in the user's memory; this records their
// sizes, constancy and bounds, and the residual blocks that read them.
#pragma once

#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "curvature/problem.h"

namespace curvature {

struct ParameterBlockInfo {
  double* values = nullptr;
  int size = 0;
  bool constant = false;
  std::vector<double> lower;  // empty until a bound is set: all -inf
  std::vector<double> upper;  // empty until a bound is set: all +inf
};

struct ResidualBlockInfo {
  std::shared_ptr<const CostFunction> cost;
  std::shared_ptr<const LossFunction> loss;
  std::vector<int> parameter_blocks;  // indices into Problem::Impl::parameter_blocks
};

struct Problem::Impl {
  std::vector<ParameterBlockInfo> parameter_blocks;
  std::unordered_map<const double*, int> block_index;
  // The same blocks ordered by address, so an overlap check looks only at the
  // neighbours of a new block: O(log n) instead of a scan.
  std::map<const double*, int> blocks_by_address;
  std::vector<ResidualBlockInfo> residual_blocks;
  int num_residuals = 0;

  // Index of the block at `values`; an Error naming the caller if unknown.
  int find_block(const double* values, const char* caller) const;
};

}  // namespace curvature
