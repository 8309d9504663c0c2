// elimination_ordering.h — which parameter blocks the Schur-complement
// solvers eliminate. Internal.
//
// The eliminated blocks must form an independent set: no residual block may
// read two of them, so that E^T E is block diagonal and inverted block by
// block (schur_structure.h). Found automatically as Ceres does (its
// parameter_block_ordering.cc): a greedy independent set of the graph whose
// vertices are the variable parameter blocks and whose edges join blocks that
// share a residual block, taking the vertices in order of increasing degree
// (the number of residual blocks reading them), then increasing size, then
// index: deterministic, and on bundle adjustment it picks the points (seen by
// a few cameras each) before the cameras (which see thousands of points).
// The user can name the blocks to eliminate instead
// (SolverOptions::elimination_ordering).
#pragma once

#include <span>
#include <vector>

#include "problem_impl.h"

namespace curvature::internal {

// The automatic independent set, in the order the greedy pass took the
// blocks; empty when the problem has no variable blocks.
std::vector<int> find_elimination_ordering(const Problem::Impl& problem);

// The user's blocks (pointers to their values) as indices, in the order
// given. Throws curvature::Error naming the item when a pointer is not a
// parameter block of the problem, is constant, is listed twice, or when two
// listed blocks share a residual block (naming the residual block).
std::vector<int> validate_elimination_ordering(const Problem::Impl& problem, std::span<double* const> blocks);

// Whether the Schur solvers pay off for this elimination: at least one
// variable block is kept (the reduced system is not empty) and the kept
// coordinates are few next to the eliminated ones (`max_kept_fraction` of
// all variable coordinates at most).
bool schur_structure_pays(const Problem::Impl& problem, std::span<const int> eliminated, double max_kept_fraction);

}  // namespace curvature::internal
