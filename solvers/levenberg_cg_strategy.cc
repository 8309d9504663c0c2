// Levenberg-Marquardt's damped step instead of the constrained model:
// (H + lambda I) p = -g by truncated CG with lambda = |g| / radius, which
// keeps |p| <= |g| / lambda = radius for a positive semidefinite H (CG's
// iterates grow monotonically towards the solution); rounding is clamped.
// The damping always shapes the step, so it counts as on the boundary: a
// good ratio doubles the radius (halves lambda), and the radius update is
// LM's damping update, lambda falling by 2 after a good step
// and rising at least 4-fold after a bad one (the radius rule of
// newton_trust_region_strategy.h).
#include "newton_trust_region_strategy.h"

namespace curvature::internal {
namespace {

class LevenbergCg final : public NewtonTrustRegionStrategy {
 public:
  explicit LevenbergCg(const MinimizeOptions& options) : NewtonTrustRegionStrategy(options) {}
  const char* linear_solver_name() const override { return "levenberg-cg"; }
  // lambda = |g| / radius, for the current model.
  double damping() const override { return gradient_.norm() / radius(); }

  bool prepare(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
               const std::vector<char>& fixed, std::string* /*error*/) override {
    store(std::move(hessian), gradient, fixed);
    return true;
  }

  ModelStep compute(double radius) override {
    const double g_norm = gradient_.norm();
    if (g_norm == 0.0) {
      ModelStep step;
      step.p = Eigen::VectorXd::Zero(gradient_.size());
      return step;
    }
    ModelStep step = truncated_cg(*hessian_, gradient_, fixed_, g_norm / radius, radius, false, cg_limit());
    clamp_to_radius(radius, &step.p);
    step.predicted = predicted_reduction(step.p);
    step.on_boundary = true;
    return step;
  }
};

}  // namespace

std::unique_ptr<NewtonTrustRegionStrategy> make_levenberg_cg_strategy(const MinimizeOptions& options) {
  return std::make_unique<LevenbergCg>(options);
}

}  // namespace curvature::internal
