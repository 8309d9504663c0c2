// bal_test_util.h — what the Schur solvers' tests on BAL scenes share.
#pragma once

#include <vector>

#include "bal.h"
#include "curvature/problem.h"
#include "problem_impl.h"

namespace curvature::testing {

// The problem's index of every point block of `scene` (added to `problem`
// by add_bal_residuals()), in point order: the blocks the Schur solvers
// eliminate.
inline std::vector<int> point_blocks(const BalScene& scene, const Problem& problem) {
  std::vector<int> blocks;
  blocks.reserve(static_cast<size_t>(scene.num_points));
  for (int j = 0; j < scene.num_points; ++j) blocks.push_back(problem.impl().block_index.at(scene.point(j)));
  return blocks;
}

}  // namespace curvature::testing
