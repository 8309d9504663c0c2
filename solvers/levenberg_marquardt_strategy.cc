// Levenberg-Marquardt as a trust-region strategy: the step solves
//   (J^T J + lambda S) h = -J^T r,
// with S = diag(J^T J) (Marquardt; the running maximum of the column norms,
// as MINPACK does, so the scaling never collapses) or S = I (Levenberg).
// lambda follows Nielsen's rule (H. B. Nielsen, "Damping parameter in
// Marquardt's method", IMM-REP-1999-05; Madsen, Nielsen and Tingleff,
// "Methods for Non-Linear Least Squares Problems", 2004, section 3.2): after
// an accepted step with gain ratio rho, lambda *= max(1/3, 1 - (2 rho - 1)^3)
// and nu = 2; after a rejection, lambda *= nu and nu *= 2. The smooth
// update avoids the oscillation of the classic "times ten / divided by ten".
// A step that could not be computed or evaluated counts as a rejection.
#include <algorithm>
#include <cmath>
#include <limits>

#include "least_squares_trust_region_strategy.h"

namespace curvature::internal {
namespace {

constexpr double kMinLambda = 1e-300;
constexpr double kMaxLambda = 1e300;
// Nielsen's rule: after an accepted step lambda shrinks by at most this
// factor (at rho = 1) ...
constexpr double kMaxDampingDecrease = 1.0 / 3.0;
// ... and the growth factor nu restarts here; every rejection multiplies
// lambda by nu and nu by kDampingGrowthIncrease.
constexpr double kInitialDampingGrowth = 2.0;
constexpr double kDampingGrowthIncrease = 2.0;
constexpr double kMaxDampingGrowth = 1e300;

class LevenbergMarquardtStrategy final : public LeastSquaresTrustRegionStrategy {
 public:
  LevenbergMarquardtStrategy(const SolverOptions& options, std::unique_ptr<LinearSolver> solver)
      : options_(options), solver_(std::move(solver)) {}

  LinearSolverResult prepare(MinimizerContext& context) override {
    if (lambda_ < 0.0) {
      // First Jacobian: Madsen-Nielsen-Tingleff's lambda_0 = tau * max diag(J^T J)
      // for Levenberg; with Marquardt's scaling diag(J^T J) is already in S.
      lambda_ = options_.damping == Damping::kLevenberg
                    ? options_.initial_damping * std::max(context.column_scale.maxCoeff(), 1e-300)
                    : options_.initial_damping;
    }
    return solver_->prepare(context.jacobian(), context.residuals);
  }

  LinearSolverResult compute_step(MinimizerContext& context, Eigen::VectorXd* step) override {
    const Eigen::VectorXd& scale = context.column_scale;
    const double floor = 1e-16 * std::max(scale.maxCoeff(), 1e-300);
    const std::vector<char>& fixed = context.fixed_coordinates();
    damping_vector_.resize(scale.size());
    for (Eigen::Index i = 0; i < scale.size(); ++i) {
      const double s = options_.damping == Damping::kMarquardt ? std::max(scale[i], floor) : 1.0;
      damping_vector_[i] = fixed[i] ? fixed_coordinate_damping(scale[i]) : std::sqrt(lambda_ * s);
    }
    LinearSolverResult result = solver_->solve(damping_vector_, step);
    step_changed_ = context.any_fixed();
    if (context.any_fixed()) {
      for (Eigen::Index i = 0; i < step->size(); ++i) {
        if (fixed[i]) (*step)[i] = 0.0;
      }
    }
    return result;
  }

  void step_accepted(double ratio) override {
    const double t = 2.0 * ratio - 1.0;
    lambda_ = std::clamp(lambda_ * std::max(kMaxDampingDecrease, 1.0 - t * t * t), kMinLambda, kMaxLambda);
    nu_ = kInitialDampingGrowth;
  }

  // The ratio does not matter: any rejection raises lambda by nu.
  void step_rejected(double /*ratio*/) override {
    lambda_ = std::min(lambda_ * nu_, kMaxLambda);
    nu_ = std::min(nu_ * kDampingGrowthIncrease, kMaxDampingGrowth);
  }
  void step_invalid() override { step_rejected(-std::numeric_limits<double>::infinity()); }

  const Eigen::VectorXd* jacobian_times_step() const override {
    return step_changed_ ? nullptr : solver_->jacobian_times_step();
  }

  double radius() const override { return 1.0 / lambda_; }
  double damping() const override { return lambda_; }
  const char* linear_solver_name() const override { return solver_->name(); }

 private:
  const SolverOptions& options_;
  std::unique_ptr<LinearSolver> solver_;
  Eigen::VectorXd damping_vector_;
  double lambda_ = -1.0;  // set from the first Jacobian
  double nu_ = kInitialDampingGrowth;
  bool step_changed_ = false;  // fixed coordinates zeroed after the solve
};

}  // namespace

double fixed_coordinate_damping(double column_scale) { return 1e8 * std::sqrt(std::max(column_scale, 1.0)); }

std::unique_ptr<LeastSquaresTrustRegionStrategy> make_levenberg_marquardt_strategy(
    const SolverOptions& options, std::unique_ptr<LinearSolver> solver) {
  return std::make_unique<LevenbergMarquardtStrategy>(options, std::move(solver));
}

}  // namespace curvature::internal
