// Levenberg-Marquardt's damped step instead of the constrained model:
// (H + lambda I) p = -g by truncated CG with lambda = |g| / radius, which
// keeps |p| <= |g| / lambda = radius for a positive semidefinite H (CG's
// iterates grow monotonically towards the solution); rounding is clamped.
// The damping always shapes the step, so it counts as on the boundary: a
// good ratio doubles the radius (halves lambda), and the radius update of
// the loop is LM's damping update, lambda falling by 2 after a good step
// and rising at least 4-fold after a bad one.
#include "newton_stepper.h"

namespace curvature::internal {
namespace {

class LevenbergCg final : public NewtonStepper {
 public:
  explicit LevenbergCg(int max_iterations) : max_iterations_(max_iterations) {}
  const char* name() const override { return "levenberg-cg"; }

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
    const int limit = max_iterations_ > 0 ? max_iterations_ : static_cast<int>(gradient_.size());
    ModelStep step = truncated_cg(*hessian_, gradient_, fixed_, g_norm / radius, radius, false, limit);
    clamp_to_radius(radius, &step.p);
    step.predicted = predicted_reduction(step.p);
    step.on_boundary = true;
    return step;
  }

 private:
  int max_iterations_;
};

}  // namespace

std::unique_ptr<NewtonStepper> make_levenberg_cg_stepper(int max_iterations) {
  return std::make_unique<LevenbergCg>(max_iterations);
}

}  // namespace curvature::internal
