// line_search_direction.h — where the line-search loop goes next.
//
// Steepest descent, nonlinear conjugate gradients, BFGS, L-BFGS and Newton
// differ only here: given the current iterate and the previous one, each
// proposes a direction d; the loop (line_search_minimizer.cc) chooses the
// step length along it. Curvature memory (BFGS's matrix, L-BFGS's pairs, CG's
// previous direction) lives in the direction object; reset() forgets it.
//
// Gradients handed to a direction have the coordinates held at a bound
// zeroed (see ObjectiveContext::fixed_coordinates), so on a bound-constrained
// problem the curvature pairs live in the free subspace while the active set
// stays put.
#pragma once

#include <Eigen/Core>
#include <Eigen/Dense>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "curvature/minimize.h"
#include "curvature/objective.h"

namespace curvature::internal {

// One iterate of the loop, as a direction sees it.
struct Iterate {
  Eigen::VectorXd x;
  // The tangent step that led here from the previous iterate, on an
  // objective on a manifold (objective.h); empty means current.x - previous.x.
  Eigen::VectorXd step;
  Eigen::VectorXd gradient;   // fixed coordinates zeroed
  Eigen::VectorXd direction;  // the direction searched from x (set once taken)
  double step_length = 0.0;   // the step accepted along it
};

class LineSearchDirection {
 public:
  virtual ~LineSearchDirection() = default;

  // The direction at `current`. `previous` is the iterate the last accepted
  // step started from, with its direction and step length; null at the start
  // and after reset(). Quasi-Newton updates happen here, from
  // s = current.x - previous.x (current.step on a manifold, no transport:
  // objective.h says why) and y = current.gradient - previous.gradient.
  // False, with the reason in *error, when no direction can be formed (the
  // Hessian cannot be evaluated, say).
  virtual bool next_direction(const Iterate* previous, const Iterate& current, Eigen::VectorXd* direction,
                              std::string* error) = 0;
  // Forgets the curvature memory: the next direction is steepest descent
  // (or, for Newton, unchanged).
  virtual void reset() {}
  // Whether the last direction carries the problem's scale (Newton, or a
  // quasi-Newton method with at least one curvature pair), so that the unit
  // step is the natural first trial. Otherwise the loop scales the first
  // trial from the previous iteration.
  virtual bool unit_step_natural() const { return false; }
  // Linear-solver work for the last direction (Newton: factorizations tried).
  virtual int last_linear_solver_iterations() const { return 0; }
  virtual const char* name() const = 0;
};

// d = -g.
class SteepestDescentDirection : public LineSearchDirection {
 public:
  bool next_direction(const Iterate* previous, const Iterate& current, Eigen::VectorXd* direction,
                      std::string* error) override;
  const char* name() const override { return "steepest-descent"; }
};

// d = -g + beta d_prev, with beta
//   Fletcher-Reeves   |g|^2 / |g_prev|^2
//   Polak-Ribiere+    max(0, g^T y / |g_prev|^2)
//   Hestenes-Stiefel  g^T y / d_prev^T y
//   Dai-Yuan          |g|^2 / d_prev^T y              (y = g - g_prev)
// Restarts with steepest descent every `restart_interval` iterations, when
// consecutive gradients are far from orthogonal (Powell: |g^T g_prev| >=
// 0.2 |g|^2), when beta is not finite, and when d is not a descent direction
// (Nocedal and Wright, section 5.2).
class NonlinearCgDirection : public LineSearchDirection {
 public:
  // restart_interval 0: every n iterations.
  NonlinearCgDirection(NonlinearCgVariant variant, int restart_interval)
      : variant_(variant), restart_interval_(restart_interval) {}
  bool next_direction(const Iterate* previous, const Iterate& current, Eigen::VectorXd* direction,
                      std::string* error) override;
  void reset() override { since_restart_ = 0; }
  const char* name() const override;
  // Whether the last direction was a restart (steepest descent).
  bool restarted() const { return restarted_; }

 private:
  NonlinearCgVariant variant_;
  int restart_interval_;
  int since_restart_ = 0;
  bool restarted_ = true;
};

// BFGS on the inverse Hessian H: d = -H g, with
//   H+ = (I - rho s y^T) H (I - rho y s^T) + rho s s^T,  rho = 1 / y^T s,
// skipped when y^T s <= eps |s| |y| (the curvature condition fails, and the
// update would lose positive definiteness). Before the first update H is
// scaled to (y^T s / y^T y) I (Nocedal and Wright, equation 6.20). O(n^2)
// memory and work per iteration.
class BfgsDirection : public LineSearchDirection {
 public:
  bool next_direction(const Iterate* previous, const Iterate& current, Eigen::VectorXd* direction,
                      std::string* error) override;
  void reset() override;
  bool unit_step_natural() const override { return updated_; }
  const char* name() const override { return "bfgs"; }
  // The current inverse-Hessian approximation (empty before the first call).
  const Eigen::MatrixXd& inverse_hessian() const { return inverse_hessian_; }
  int skipped_updates() const { return skipped_updates_; }

 private:
  Eigen::MatrixXd inverse_hessian_;
  bool updated_ = false;
  int skipped_updates_ = 0;
};

// L-BFGS: the same inverse-Hessian product from the last `memory` pairs by
// the two-loop recursion (Nocedal and Wright, Algorithms 7.4 and 7.5), with
// H0 = (|s| / |y|) I from the newest pair: the geometric mean of the two
// Barzilai-Borwein scalings y^T s / y^T y (N&W's equation 7.20) and
// s^T s / y^T s. The pairs sit in a ring buffer; work and memory are
// O(memory * n) per iteration. Same curvature guard as BFGS.
class LbfgsDirection : public LineSearchDirection {
 public:
  explicit LbfgsDirection(int memory) : memory_(memory) {}
  bool next_direction(const Iterate* previous, const Iterate& current, Eigen::VectorXd* direction,
                      std::string* error) override;
  void reset() override { count_ = 0; }
  bool unit_step_natural() const override { return count_ > 0; }
  const char* name() const override { return "lbfgs"; }
  int pairs() const { return count_; }
  int skipped_updates() const { return skipped_updates_; }

 private:
  int memory_;
  std::vector<Eigen::VectorXd> s_, y_;  // ring buffers of `memory_` pairs
  std::vector<double> rho_;
  int newest_ = -1;  // slot of the newest pair
  int count_ = 0;    // pairs held
  int skipped_updates_ = 0;
  std::vector<double> alpha_;  // two-loop scratch
  Eigen::VectorXd scratch_s_, scratch_y_;
};

// Newton: d = -B^-1 g with B the Hessian made positive definite:
//   kShiftedCholesky  B = H + tau I, tau = 0 when min diag H > 0, else
//                     beta - min diag H, raised tenfold (at least to beta)
//                     until the Cholesky factorization succeeds; beta =
//                     1e-3 times the Hessian's scale (Nocedal and Wright,
//                     Algorithm 3.3);
//   kEigenvalue       B = Q max(Lambda, delta) Q^T, eigenvalues below
//                     delta = sqrt(eps) max |lambda| raised to it.
// Uses the dense Hessian, formed from Hessian-vector products when the
// operator cannot form it. Curvature-free objectives are refused by
// minimize() before this runs.
class NewtonDirection : public LineSearchDirection {
 public:
  NewtonDirection(Objective& objective, NewtonModification modification)
      : objective_(objective), modification_(modification) {}
  bool next_direction(const Iterate* previous, const Iterate& current, Eigen::VectorXd* direction,
                      std::string* error) override;
  bool unit_step_natural() const override { return true; }
  int last_linear_solver_iterations() const override { return factorizations_; }
  const char* name() const override { return "newton"; }
  // The direction -B^-1 g for a given Hessian; what next_direction uses.
  // Exposed for tests. False when no modification yields a factorization.
  bool modified_newton_direction(const Eigen::MatrixXd& hessian, const Eigen::VectorXd& gradient,
                                 Eigen::VectorXd* direction);
  // The shift tau of the last kShiftedCholesky direction.
  double last_shift() const { return shift_; }

 private:
  Objective& objective_;
  NewtonModification modification_;
  int factorizations_ = 0;
  double shift_ = 0.0;
};

// The directions' registry: one entry per MinimizerMethod whose row in
// kMinimizerMethods runs the line-search loop (a test holds the two to each
// other). What the loop needs to know about a direction is here, not in
// comparisons with method enumerators.
struct LineSearchDirectionEntry {
  MinimizerMethod method;
  std::unique_ptr<LineSearchDirection> (*make)(const MinimizeOptions& options, Objective& objective);
  // Strong Wolfe with MinimizeOptions::curvature_for_cg instead of
  // curvature: nonlinear CG needs a nearly exact line search to keep its
  // directions conjugate (Nocedal and Wright, section 5.2).
  bool tight_curvature;
  // Every direction is -g: there is no curvature memory whose failure would
  // be worth a retry along -g, and no scale to take a unit step from.
  bool always_steepest;
};

std::span<const LineSearchDirectionEntry> line_search_directions();

// The entry of `method`; throws curvature::Error when the method does not run
// the line-search loop.
const LineSearchDirectionEntry& line_search_direction(MinimizerMethod method);

// line_search_direction(options.method).make(options, objective).
std::unique_ptr<LineSearchDirection> make_line_search_direction(const MinimizeOptions& options, Objective& objective);

}  // namespace curvature::internal
