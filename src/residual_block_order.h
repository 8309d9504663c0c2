// residual_block_order.h — the check of a row order: the problem's residual
// blocks listed in the order their rows are laid out (the evaluator's
// Options::row_order, build_schur_structure()'s row_order). Internal.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "curvature/error.h"

namespace curvature::internal {

// Throws curvature::Error, starting with `what`, unless `order` lists each of
// 0 .. num_residual_blocks - 1 exactly once.
inline void require_residual_block_order(std::span<const int> order, int num_residual_blocks, const std::string& what) {
  if (static_cast<int>(order.size()) != num_residual_blocks) {
    throw Error(what + " lists " + std::to_string(order.size()) + " residual blocks, the problem has " +
                std::to_string(num_residual_blocks));
  }
  std::vector<char> listed(static_cast<size_t>(num_residual_blocks), 0);
  for (int b : order) {
    if (b < 0 || b >= num_residual_blocks || listed[static_cast<size_t>(b)]) {
      throw Error(what + " is not a permutation of the residual blocks (entry " + std::to_string(b) + ")");
    }
    listed[static_cast<size_t>(b)] = 1;
  }
}

}  // namespace curvature::internal
