#include "solve_cache.h"

#include <utility>

#include "schur/schur_structure.h"

namespace curvature::internal {
namespace {

// The same eliminated blocks in the same order (the rest of a structure
// follows from the problem's, which the structure version guards).
bool same_elimination(const SchurStructure* a, const SchurStructure* b) {
  if (!a || !b) return a == b;
  if (a->e_blocks.size() != b->e_blocks.size()) return false;
  for (size_t e = 0; e < a->e_blocks.size(); ++e) {
    if (a->e_blocks[e].parameter_block != b->e_blocks[e].parameter_block) return false;
  }
  return true;
}

bool same_options(const LinearSolverOptions& a, const LinearSolverOptions& b) {
  return same_elimination(a.schur_structure.get(), b.schur_structure.get()) && a.type == b.type &&
         a.num_threads == b.num_threads && a.mixed_precision == b.mixed_precision &&
         a.max_cg_iterations == b.max_cg_iterations && a.cg_relative_tolerance == b.cg_relative_tolerance;
}

}  // namespace

std::unique_ptr<LinearSolver> take_linear_solver(const Problem::Impl& problem, const LinearSolverOptions& options) {
  SolveCache* cache = problem.solve_cache.get();
  if (cache && cache->linear_solver && cache->structure_version == problem.structure_version &&
      same_options(cache->options, options)) {
    return std::move(cache->linear_solver);
  }
  problem.solve_cache.reset();  // stale: its analysis is of another structure
  return make_linear_solver(options);
}

void keep_linear_solver(const Problem::Impl& problem, const LinearSolverOptions& options,
                        std::unique_ptr<LinearSolver> solver) {
  if (!solver || !cacheable(solver->type())) return;
  auto cache = std::make_shared<SolveCache>();
  cache->structure_version = problem.structure_version;
  cache->options = options;
  cache->linear_solver = std::move(solver);
  problem.solve_cache = std::move(cache);
}

}  // namespace curvature::internal
