// Steihaug-Toint CG (Nocedal and Wright, "Numerical Optimization", 2nd ed.,
// Algorithm 7.2): truncated CG on H itself, stopping at the boundary. Only
// products H v, so it is Hessian-free — with a least-squares objective's
// Gauss-Newton operator this is Newton-CG on J^T J.
#include <algorithm>

#include "newton_trust_region_strategy.h"

namespace curvature::internal {
namespace {

// The forcing term and iteration limit (per parameter) of the accurate solve
// that confirms a short step (SteihaugCg::compute_accurately).
constexpr double kAccurateForcing = 1e-10;
constexpr int kAccurateCgIterationsPerParameter = 2;

class SteihaugCg final : public NewtonTrustRegionStrategy {
 public:
  explicit SteihaugCg(const MinimizeOptions& options) : NewtonTrustRegionStrategy(options) {}
  const char* linear_solver_name() const override { return "steihaug-cg"; }

  bool prepare(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
               const std::vector<char>& fixed, std::string* /*error*/) override {
    store(std::move(hessian), gradient, fixed);
    return true;
  }

  ModelStep compute(double radius) override {
    return truncated_cg(*hessian_, gradient_, fixed_, 0.0, radius, true, cg_limit());
  }

  ModelStep compute_accurately(double radius) override {
    const int n = static_cast<int>(gradient_.size());
    const int limit = std::max(cg_limit(), kAccurateCgIterationsPerParameter * n);
    ModelStep step = truncated_cg(*hessian_, gradient_, fixed_, 0.0, radius, true, limit, kAccurateForcing);
    step.accurate = true;
    return step;
  }
};

}  // namespace

std::unique_ptr<NewtonTrustRegionStrategy> make_steihaug_cg_strategy(const MinimizeOptions& options) {
  return std::make_unique<SteihaugCg>(options);
}

}  // namespace curvature::internal
