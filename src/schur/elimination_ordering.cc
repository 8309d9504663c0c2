#include "schur/elimination_ordering.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <tuple>

#include "curvature/error.h"

namespace curvature::internal {
namespace {

bool variable(const Problem::Impl& problem, int block) { return !problem.parameter_blocks[block].constant; }

}  // namespace

std::vector<int> find_elimination_ordering(const Problem::Impl& problem) {
  const int num_blocks = static_cast<int>(problem.parameter_blocks.size());
  // Degree: how many residual blocks read a variable block (an upper bound
  // of its neighbours in the graph, and what Ceres sorts by).
  std::vector<int> degree(num_blocks, 0);
  for (const ResidualBlockInfo& residual : problem.residual_blocks) {
    for (int p : residual.parameter_blocks) ++degree[p];
  }
  std::vector<int> candidates;
  for (int p = 0; p < num_blocks; ++p) {
    if (variable(problem, p)) candidates.push_back(p);
  }
  std::stable_sort(candidates.begin(), candidates.end(), [&](int a, int b) {
    return std::make_tuple(degree[a], problem.parameter_blocks[a].tangent_size(), a) <
           std::make_tuple(degree[b], problem.parameter_blocks[b].tangent_size(), b);
  });

  // The residual blocks of each parameter block, compressed.
  std::vector<int> starts(num_blocks + 1, 0);
  for (int p = 0; p < num_blocks; ++p) starts[p + 1] = starts[p] + degree[p];
  std::vector<int> residuals_of(starts.back());
  std::vector<int> fill(starts.begin(), starts.end() - 1);
  for (int r = 0; r < static_cast<int>(problem.residual_blocks.size()); ++r) {
    for (int p : problem.residual_blocks[r].parameter_blocks) residuals_of[fill[p]++] = r;
  }

  // A block joins the set unless a neighbour already did; then all its
  // neighbours are excluded.
  enum : char { kFree, kTaken, kExcluded };
  std::vector<char> state(num_blocks, kFree);
  std::vector<int> eliminated;
  for (int p : candidates) {
    if (state[p] != kFree) continue;
    state[p] = kTaken;
    eliminated.push_back(p);
    for (int i = starts[p]; i < starts[p + 1]; ++i) {
      for (int q : problem.residual_blocks[residuals_of[i]].parameter_blocks) {
        if (q != p && state[q] == kFree) state[q] = kExcluded;
      }
    }
  }
  return eliminated;
}

std::vector<int> validate_elimination_ordering(const Problem::Impl& problem, std::span<double* const> blocks) {
  const int num_blocks = static_cast<int>(problem.parameter_blocks.size());
  std::vector<int> indices;
  std::vector<int> position(num_blocks, -1);  // in `blocks`, for the messages
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string item = "SolverOptions::elimination_ordering[" + std::to_string(i) + "]";
    auto found = problem.block_index.find(blocks[i]);
    if (found == problem.block_index.end()) throw Error(item + " is not a parameter block of the problem");
    const int p = found->second;
    if (problem.parameter_blocks[p].constant) {
      throw Error(item + " is a constant parameter block; only variable blocks can be eliminated");
    }
    if (position[p] >= 0) {
      throw Error(item + " is the same parameter block as elimination_ordering[" + std::to_string(position[p]) + "]");
    }
    position[p] = static_cast<int>(i);
    indices.push_back(p);
  }
  for (size_t r = 0; r < problem.residual_blocks.size(); ++r) {
    int first = -1;
    for (int p : problem.residual_blocks[r].parameter_blocks) {
      if (position[p] < 0) continue;
      if (first >= 0) {
        const int x = std::min(position[first], position[p]), y = std::max(position[first], position[p]);
        throw Error("SolverOptions::elimination_ordering[" + std::to_string(x) + "] and [" + std::to_string(y) +
                    "] share residual block " + std::to_string(r) + "; eliminated blocks must share no residual block");
      }
      first = p;
    }
  }
  return indices;
}

bool schur_structure_pays(const Problem::Impl& problem, std::span<const int> eliminated, double max_kept_fraction) {
  long eliminated_coordinates = 0, all_coordinates = 0;
  for (int p : eliminated) eliminated_coordinates += problem.parameter_blocks[p].tangent_size();
  for (int p = 0; p < static_cast<int>(problem.parameter_blocks.size()); ++p) {
    if (variable(problem, p)) all_coordinates += problem.parameter_blocks[p].tangent_size();
  }
  const long kept = all_coordinates - eliminated_coordinates;
  return kept > 0 && eliminated_coordinates > 0 &&
         static_cast<double>(kept) <= max_kept_fraction * static_cast<double>(all_coordinates);
}

}  // namespace curvature::internal
