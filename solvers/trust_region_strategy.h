// trust_region_strategy.h — the part of a trust-region method that differs
// between Levenberg-Marquardt and dogleg: how a step is computed for the
// current model, and how the region grows or shrinks with the ratio of actual
// to predicted reduction. The accept/reject loop around it is written once,
// in trust_region_minimizer.cc.
#pragma once

#include <Eigen/Core>
#include <memory>

#include "linear_solver.h"
#include "minimizer_context.h"

namespace curvature::internal {

class TrustRegionStrategy {
 public:
  virtual ~TrustRegionStrategy() = default;

  // A new Jacobian is at the current point: prepare the linear solver.
  virtual LinearSolverResult prepare(MinimizerContext& context) = 0;
  // The step from the current point, before projection onto the bounds.
  // Coordinates in context.fixed_coordinates() get exactly zero.
  virtual LinearSolverResult compute_step(MinimizerContext& context, Eigen::VectorXd* step) = 0;
  // The ratio of actual to predicted reduction of the step just tried.
  virtual void step_accepted(double ratio) = 0;
  virtual void step_rejected() = 0;

  // Trust-region radius (for Levenberg-Marquardt: 1 / lambda).
  virtual double radius() const = 0;
  // Whether the last step was cut short by the region's boundary rather than
  // being the model's own minimizer. A short step then says nothing about
  // convergence, so the parameter tolerance is not tested on it.
  virtual bool step_was_clipped() const { return false; }
  // Levenberg-Marquardt's lambda; 0 for strategies without damping.
  virtual double damping() const { return 0.0; }
  virtual const char* linear_solver_name() const = 0;
};

std::unique_ptr<TrustRegionStrategy> make_levenberg_marquardt_strategy(const SolverOptions& options,
                                                                      std::unique_ptr<LinearSolver> solver);
std::unique_ptr<TrustRegionStrategy> make_dogleg_strategy(const SolverOptions& options,
                                                          std::unique_ptr<LinearSolver> solver);

// Damping vector entries for the coordinates held at their bounds: large
// enough to decouple them from the rest of the system.
double fixed_coordinate_damping(double column_scale);

}  // namespace curvature::internal
