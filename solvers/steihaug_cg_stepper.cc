// Steihaug-Toint CG (Nocedal and Wright, "Numerical Optimization", 2nd ed.,
// Algorithm 7.2): truncated CG on H itself, stopping at the boundary. Only
// products H v, so it is Hessian-free — with a least-squares objective's
// Gauss-Newton operator this is Newton-CG on J^T J.
#include <algorithm>

#include "newton_stepper.h"

namespace curvature::internal {
namespace {

// The forcing term and iteration limit (per parameter) of the accurate solve
// that confirms a short step (SteihaugCg::compute_accurately).
constexpr double kAccurateForcing = 1e-10;
constexpr int kAccurateCgIterationsPerParameter = 2;

class SteihaugCg final : public NewtonStepper {
 public:
  explicit SteihaugCg(int max_iterations) : max_iterations_(max_iterations) {}
  const char* name() const override { return "steihaug-cg"; }

  bool prepare(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
               const std::vector<char>& fixed, std::string* /*error*/) override {
    store(std::move(hessian), gradient, fixed);
    return true;
  }

  ModelStep compute(double radius) override {
    const int limit = max_iterations_ > 0 ? max_iterations_ : static_cast<int>(gradient_.size());
    return truncated_cg(*hessian_, gradient_, fixed_, 0.0, radius, true, limit);
  }

  ModelStep compute_accurately(double radius) override {
    const int n = static_cast<int>(gradient_.size());
    const int limit = std::max(max_iterations_ > 0 ? max_iterations_ : n, kAccurateCgIterationsPerParameter * n);
    ModelStep step = truncated_cg(*hessian_, gradient_, fixed_, 0.0, radius, true, limit, kAccurateForcing);
    step.accurate = true;
    return step;
  }

 private:
  int max_iterations_;
};

}  // namespace

std::unique_ptr<NewtonStepper> make_steihaug_cg_stepper(int max_iterations) {
  return std::make_unique<SteihaugCg>(max_iterations);
}

}  // namespace curvature::internal
