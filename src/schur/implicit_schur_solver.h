// implicit_schur_solver.h — the iterative-schur linear solver: conjugate
// gradients on the Schur complement S (implicit_schur.h, never formed),
// preconditioned by S's block diagonal (schur_jacobi.h), then
// back-substitution for the eliminated blocks. Internal.
//
// Each solve(d) is an inexact Newton step. When the trust-region strategy
// gives its eta (set_forcing_term(), SolverOptions::eta), PCG on S dz = b
// stops when an iteration lowers the quadratic model by less than eta / k
// of the total so far, as Ceres Solver's (on the ill-conditioned reduced
// systems of long camera paths the residual stalls long after the step
// has stopped improving, and |r_k| <= eta |r_0| first cuts steps short
// that then cost LM iterations). Without it, PCG stops at
// |r_k| <= eta |r_0| or on that model test (options.model_test), where eta is
// the forcing term of the present Jacobian (forcing_sequence.h): eta_max
// far from the solution, falling as sqrt(|J^T r| / |J^T r|_0) towards
// eta_min near it (by default both 0.1: a constant eta, as Ceres Solver). A step cut
// off by the iteration limit is still returned (every CG iterate reduces
// the model), with a message giving the residual reached.
//
// Work per CG iteration: one pass over J's nonzeros, chunk by chunk;
// memory linear in the observations (J itself, a 4-int index per
// observation, per point a 3x3 inverse, per camera a 9x9 block and its
// factor, a few copies of dz).
// Bit-identical for any number of threads.
#pragma once

#include <Eigen/Core>
#include <memory>

#include "curvature/thread_pool.h"
#include "linear_solver.h"
#include "schur/forcing_sequence.h"
#include "schur/implicit_schur.h"
#include "schur/preconditioned_cg.h"
#include "schur/schur_jacobi.h"
#include "schur/schur_structure.h"

namespace curvature::internal {

struct ImplicitSchurSolverOptions {
  int num_threads = 1;
  int max_iterations = 500;  // PCG iterations per solve
  // The forcing term's ceiling (the first Jacobian's) and floor. The
  // defaults make it the constant 0.1, Ceres Solver's default; a lower
  // floor lets it fall with the gradient (forcing_sequence.h), which buys
  // accuracy per step at more CG iterations than it saves LM iterations on
  // the generated BAL scenes.
  double eta_max = 0.1;
  double eta_min = 0.1;
  // Also stop CG on Nash and Sofer's model test (preconditioned_cg.h) at
  // the same eta; off, only the residual test, for solves that must be
  // accurate to rounding (the model test stops at about sqrt(eta) relative
  // accuracy in the solution).
  bool model_test = true;
};

class ImplicitSchurSolver final : public LinearSolver {
 public:
  // Throws curvature::Error for options out of range.
  ImplicitSchurSolver(std::shared_ptr<const SchurStructure> structure, const ImplicitSchurSolverOptions& options);

  // J must be sparse with the structure's pattern.
  LinearSolverResult prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) override;
  LinearSolverResult solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) override;
  LinearSolverType type() const override { return LinearSolverType::kIterativeSchur; }
  // From then on CG stops on the model test alone, at the smaller of eta
  // and the forcing sequence's term, as Ceres Solver's Levenberg-Marquardt
  // asks of its CG (the residual test stops too early or too late on these
  // ill-conditioned systems: Nash and Sofer). Throws curvature::Error
  // unless eta is in (0, 1).
  void set_forcing_term(double eta) override;

  // The forcing term the solves of the present Jacobian use.
  double eta() const { return eta_; }
  const SchurJacobiPreconditioner& preconditioner() const { return preconditioner_; }
  ImplicitSchurComplement& complement() { return schur_; }

 private:
  std::shared_ptr<const SchurStructure> structure_;
  ImplicitSchurSolverOptions options_;
  ThreadPool pool_;
  ImplicitSchurComplement schur_;
  SchurJacobiPreconditioner preconditioner_;
  PreconditionedCg cg_;
  ForcingSequence forcing_;
  PatternCheck pattern_check_;
  bool prepared_ = false;
  double eta_ = 0.1;
  double strategy_eta_ = 0.0;  // set_forcing_term()'s; 0: none given
  Eigen::VectorXd rhs_, dz_, dy_;
};

}  // namespace curvature::internal
