// newton_trust_region_strategy.h — a trust-region strategy on the quadratic
// model of a general objective,
//   m(p) = f + g^T p + 1/2 p^T H p,   |p| <= radius,
// for minimize()'s Newton methods (the objective side of the trust-region
// loop, newton_trust_region.cc): Steihaug-Toint CG,
// Levenberg-CG or dogleg computes the step; the radius rule is common to
// the three and lives here.
//
// The radius rule (Nocedal and Wright, "Numerical Optimization", 2nd ed.,
// Algorithm 4.1, with the shrink measured from the step): with |p| the
// length, in the region's norm, of the step last tried (step_tried()),
//   rho < 1/4 (or the step invalid):         radius = |p| / 4;
//   rho > 3/4 and the step on the boundary:  radius = min(2 radius, max);
//   otherwise:                               unchanged.
// The same for accepted and rejected steps: with min_relative_decrease in
// [1/4, 1) a rejected step may keep its radius. For Levenberg-CG, whose
// damping is lambda = |g| / radius and whose steps all count as on the
// boundary, this is Levenberg-Marquardt's damping update.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "curvature/minimize.h"
#include "curvature/objective.h"
#include "truncated_cg.h"
#include "trust_region_strategy.h"

namespace curvature::internal {

class NewtonTrustRegionStrategy : public TrustRegionStrategy {
 public:
  // rho below this shrinks the region to kShrinkFactor times the step...
  static constexpr double kShrinkRatio = 0.25;
  static constexpr double kShrinkFactor = 0.25;
  // ...and above this, for a step on the boundary, grows it by kExpandFactor.
  static constexpr double kExpandRatio = 0.75;
  static constexpr double kExpandFactor = 2.0;

  // Reads initial_trust_region_radius, max_trust_region_radius and
  // max_cg_iterations (copied).
  explicit NewtonTrustRegionStrategy(const MinimizeOptions& options)
      : initial_radius_(options.initial_trust_region_radius),
        max_radius_(options.max_trust_region_radius),
        max_cg_iterations_(options.max_cg_iterations),
        radius_(options.initial_trust_region_radius) {}

  // The model at a new point. False (with the reason) when none can be formed.
  virtual bool prepare(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
                       const std::vector<char>& fixed, std::string* error) = 0;
  // An approximate minimizer of the model within radius(); called again
  // after a rejection, with the radius the rejection left.
  ModelStep compute_step() { return remember(compute(radius_)); }
  // The step again, solved as accurately as the method can: asked before a
  // step short enough to end the solve is taken as proof of convergence.
  ModelStep compute_step_accurately() { return remember(compute_accurately(radius_)); }
  // m(0) - m(p) for any step p that is zero on the fixed coordinates.
  double predicted_reduction(const Eigen::VectorXd& p) const {
    Eigen::VectorXd hp;
    hessian_->multiply(p, &hp);
    return -(gradient_.dot(p) + 0.5 * p.dot(hp));
  }
  // The length, in the region's norm, of the step actually tried: the loop
  // may have projected it onto the bounds. Reported before the outcome.
  void step_tried(double norm) { step_norm_ = norm; }
  // Starts the radius afresh (when the region changes shape).
  void reset_radius() { radius_ = initial_radius_; }

  void step_accepted(double ratio) override { update_radius(ratio); }
  void step_rejected(double ratio) override { update_radius(ratio); }
  void step_invalid() override { radius_ = kShrinkFactor * step_norm_; }
  double radius() const override { return radius_; }

 protected:
  virtual ModelStep compute(double radius) = 0;
  virtual ModelStep compute_accurately(double radius) { return compute(radius); }
  // CG's iteration limit per step: max_cg_iterations, or n when that is 0.
  int cg_limit() const { return max_cg_iterations_ > 0 ? max_cg_iterations_ : static_cast<int>(gradient_.size()); }
  int max_cg_iterations() const { return max_cg_iterations_; }

  // Keeps the model's operator and gradient (zeroed on the fixed coordinates).
  void store(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
             const std::vector<char>& fixed) {
    hessian_ = std::move(hessian);
    fixed_ = fixed;
    gradient_ = gradient;
    zero_fixed_coordinates(fixed_, &gradient_);
  }

  std::unique_ptr<HessianOperator> hessian_;
  Eigen::VectorXd gradient_;  // zero on the fixed coordinates
  std::vector<char> fixed_;

 private:
  ModelStep remember(ModelStep step) {
    on_boundary_ = step.on_boundary;
    return step;
  }
  void update_radius(double ratio) {
    if (ratio < kShrinkRatio) {
      radius_ = kShrinkFactor * step_norm_;
    } else if (ratio > kExpandRatio && on_boundary_) {
      radius_ = std::min(kExpandFactor * radius_, max_radius_);
    }
  }

  double initial_radius_, max_radius_;
  int max_cg_iterations_;
  double radius_;
  double step_norm_ = 0.0;    // of the step last tried
  bool on_boundary_ = false;  // whether the step last computed reached the boundary
};

std::unique_ptr<NewtonTrustRegionStrategy> make_steihaug_cg_strategy(const MinimizeOptions& options);
std::unique_ptr<NewtonTrustRegionStrategy> make_levenberg_cg_strategy(const MinimizeOptions& options);
std::unique_ptr<NewtonTrustRegionStrategy> make_newton_dogleg_strategy(const MinimizeOptions& options);

}  // namespace curvature::internal
