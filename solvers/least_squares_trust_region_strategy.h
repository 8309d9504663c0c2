// least_squares_trust_region_strategy.h — a trust-region strategy on the
// Gauss-Newton model of a least-squares problem (MinimizerContext):
// Levenberg-Marquardt and Powell's dogleg. The accept/reject loop around it
// is trust_region_loop.h, with the least-squares side in
// trust_region_minimizer.cc.
#pragma once

#include <Eigen/Core>
#include <memory>

#include "linear_solver.h"
#include "minimizer_context.h"
#include "trust_region_strategy.h"

namespace curvature::internal {

class LeastSquaresTrustRegionStrategy : public TrustRegionStrategy {
 public:
  // A new Jacobian is at the current point: prepare the linear solver.
  virtual LinearSolverResult prepare(MinimizerContext& context) = 0;
  // The step from the current point, before projection onto the bounds.
  // Coordinates in context.fixed_coordinates() get exactly zero.
  virtual LinearSolverResult compute_step(MinimizerContext& context, Eigen::VectorXd* step) = 0;
  // Whether the last step was cut short by the region's boundary rather than
  // being the model's own minimizer. A short step then says nothing about
  // convergence, so the parameter tolerance is not tested on it.
  virtual bool step_was_clipped() const { return false; }
  // The step whose model reduction judges the trial point: nullptr for the
  // step itself; for a step with a second-order correction (geodesic
  // acceleration), its first-order part.
  virtual const Eigen::VectorXd* model_step() const { return nullptr; }
  // J times model_step(), when the strategy computed it anyway (null otherwise).
  virtual const Eigen::VectorXd* model_jacobian_step() const { return nullptr; }
  // J h for the step h of the last compute_step(), when its linear solver
  // had it for free (null otherwise, and whenever the strategy changed the
  // solver's step afterwards).
  virtual const Eigen::VectorXd* jacobian_times_step() const { return nullptr; }
};

std::unique_ptr<LeastSquaresTrustRegionStrategy> make_levenberg_marquardt_strategy(
    const SolverOptions& options, std::unique_ptr<LinearSolver> solver);
std::unique_ptr<LeastSquaresTrustRegionStrategy> make_dogleg_strategy(const SolverOptions& options,
                                                                      std::unique_ptr<LinearSolver> solver);

// Damping vector entries for the coordinates held at their bounds: large
// enough to decouple them from the rest of the system.
double fixed_coordinate_damping(double column_scale);

}  // namespace curvature::internal
