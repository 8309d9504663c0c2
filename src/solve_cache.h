// solve_cache.h — what solve() keeps on a Problem from one solve to the
// next: the sparse direct solver, whose fill-reducing ordering and symbolic
// analysis (CHOLMOD's or SPQR's, the costly part of setting up a large
// sparse solve) then carry over to the next solve. Internal.
//
// The cache is dropped when the Problem's structure changed since it was
// filled (Problem::Impl::structure_version: blocks added or removed,
// constancy or manifolds changed) or when the next solve asks for another
// linear solver or options. Value changes (new starting values, bounds)
// keep it. The solvers themselves also compare the Jacobian's pattern with
// the one analyzed before reusing an analysis, so a stale entry could cost
// an analysis but never a wrong answer; the cached object holds no values
// that a later solve reads before overwriting them, so a solve gives the
// same bits with or without it.
#pragma once

#include <memory>

#include "linear_solver.h"
#include "problem_impl.h"

namespace curvature::internal {

struct SolveCache {
  long structure_version = -1;
  LinearSolverOptions options;
  std::unique_ptr<LinearSolver> linear_solver;
};

// Whether a solver of this type is worth keeping between solves: the sparse
// direct ones, whose analysis depends on the pattern only.
inline bool cacheable(LinearSolverType type) {
  return type == LinearSolverType::kSparseNormalCholesky || type == LinearSolverType::kSparseQr ||
         type == LinearSolverType::kDenseSchur || type == LinearSolverType::kSparseSchur;
}

// The linear solver for a solve of `problem` with these options: the cached
// one when it still fits (it leaves the cache), else a new one.
std::unique_ptr<LinearSolver> take_linear_solver(const Problem::Impl& problem, const LinearSolverOptions& options);
// Puts the solver back for the next solve of the problem in its present
// structure (only cacheable types are kept).
void keep_linear_solver(const Problem::Impl& problem, const LinearSolverOptions& options,
                        std::unique_ptr<LinearSolver> solver);

// A LinearSolver that forwards to one owned elsewhere, for a strategy that
// takes ownership of its solver while solve() keeps the real one.
class BorrowedLinearSolver final : public LinearSolver {
 public:
  explicit BorrowedLinearSolver(LinearSolver& solver) : solver_(solver) {}
  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override {
    return solver_.prepare(jacobian, residuals);
  }
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override { return solver_.solve(d, dx); }
  void set_forcing_term(double eta) override { solver_.set_forcing_term(eta); }
  LinearSolverType type() const override { return solver_.type(); }
  const Eigen::VectorXd* jacobian_times_step() const override { return solver_.jacobian_times_step(); }

 private:
  LinearSolver& solver_;
};

}  // namespace curvature::internal
