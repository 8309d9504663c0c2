// Powell's dogleg (M. J. D. Powell, "A hybrid method for nonlinear
// equations", 1970; Nocedal and Wright, "Numerical Optimization", 2nd ed.,
// section 4.1). The trust region is the ellipsoid |D h| <= radius with
// D = sqrt(diag(J^T J)) (running maximum of the column norms), which makes
// the method invariant to the scaling of the parameters. The step follows the
// path from the Cauchy point (the model's minimizer along the scaled steepest
// descent direction) to the Gauss-Newton point, cut where it leaves the
// region. Both points depend only on the Jacobian, so they are computed once
// per Jacobian however many times the radius shrinks.
//
// With SolverOptions::damping = kLevenberg the region is the sphere
// |h| <= radius (D = I): the shape the evaporation restart (solve.cc) tries
// when the scaled region led a parameter off to infinity.
//
// The radius (in the scaled norm, |D h| for the last step h): after an
// accepted step with rho > 3/4, at least 3 |D h|; after one with rho < 1/4,
// and after any rejected or invalid step, half of min(radius, |D h|);
// otherwise unchanged. Never above max_trust_region_radius.
#include <algorithm>
#include <cmath>

#include "least_squares_trust_region_strategy.h"

namespace curvature::internal {
namespace {

constexpr double kExpandRatio = 0.75;  // rho above this grows the region...
constexpr double kExpandFactor = 3.0;  // ...to this many times the step
constexpr double kShrinkRatio = 0.25;  // rho below this shrinks the region...
constexpr double kShrinkFactor = 0.5;  // ...to this fraction of the step

class DoglegStrategy final : public LeastSquaresTrustRegionStrategy {
 public:
  DoglegStrategy(const SolverOptions& options, std::unique_ptr<LinearSolver> solver)
      : options_(options), solver_(std::move(solver)) {}

  LinearSolverResult prepare(MinimizerContext& context) override {
    have_points_ = false;
    return solver_->prepare(context.jacobian(), context.residuals);
  }

  LinearSolverResult compute_step(MinimizerContext& context, Eigen::VectorXd* step) override {
    LinearSolverResult result;
    result.success = true;
    if (!have_points_) {
      result = compute_points(context);
      if (!result.success) return result;
      have_points_ = true;
    }
    if (radius_ < 0.0) {
      // MINPACK's choice: a multiple of the scaled starting point, so the
      // first region means the same whatever the units of the parameters.
      const double scaled_start = scaled_norm(context.tangent_x());
      radius_ = options_.initial_trust_region_radius * (scaled_start > 0.0 ? scaled_start : 1.0);
    }
    clipped_ = scaled_norm(gauss_newton_) > radius_;
    if (!clipped_) {
      *step = gauss_newton_;
    } else if (scaled_norm(cauchy_) >= radius_) {
      *step = cauchy_ * (radius_ / scaled_norm(cauchy_));
    } else {
      // |D (c + beta (n - c))| = radius for beta in (0, 1).
      const Eigen::VectorXd a = scale_.cwiseProduct(cauchy_);
      const Eigen::VectorXd b = scale_.cwiseProduct(gauss_newton_ - cauchy_);
      const double bb = b.squaredNorm(), ab = a.dot(b), aa_minus_r2 = a.squaredNorm() - radius_ * radius_;
      const double discriminant = std::sqrt(std::max(ab * ab - bb * aa_minus_r2, 0.0));
      // The numerically stable root of bb beta^2 + 2 ab beta + (aa - r^2) = 0.
      const double beta = ab <= 0.0 ? (discriminant - ab) / bb : -aa_minus_r2 / (ab + discriminant);
      *step = cauchy_ + beta * (gauss_newton_ - cauchy_);
    }
    last_scaled_norm_ = scaled_norm(*step);
    return result;
  }

  void step_accepted(double ratio) override {
    if (ratio > kExpandRatio) {
      radius_ = std::min(std::max(radius_, kExpandFactor * last_scaled_norm_), options_.max_trust_region_radius);
    } else if (ratio < kShrinkRatio) {
      shrink();
    }
  }
  void step_rejected(double /*ratio*/) override { shrink(); }
  void step_invalid() override { shrink(); }

  double radius() const override { return radius_; }
  bool step_was_clipped() const override { return clipped_; }
  const char* linear_solver_name() const override { return solver_->name(); }

 private:
  void shrink() { radius_ = kShrinkFactor * std::min(radius_, last_scaled_norm_); }
  double scaled_norm(const Eigen::VectorXd& h) const { return scale_.cwiseProduct(h).norm(); }

  LinearSolverResult compute_points(MinimizerContext& context) {
    const Eigen::VectorXd& column_scale = context.column_scale;
    const double floor = 1e-16 * std::max(column_scale.maxCoeff(), 1e-300);
    if (options_.damping == Damping::kLevenberg) {
      scale_ = Eigen::VectorXd::Ones(column_scale.size());
    } else {
      scale_ = column_scale.cwiseMax(floor).cwiseSqrt();
    }
    const std::vector<char>& fixed = context.fixed_coordinates();

    // Gauss-Newton point, with held coordinates decoupled.
    Eigen::VectorXd damping = Eigen::VectorXd::Zero(scale_.size());
    for (Eigen::Index i = 0; i < damping.size(); ++i) {
      if (fixed[i]) damping[i] = fixed_coordinate_damping(column_scale[i]);
    }
    LinearSolverResult result = solver_->solve(damping, &gauss_newton_);
    if (!result.success) return result;

    // Cauchy point along -D^-2 g: alpha = |D^-1 g|^2 / |J D^-2 g|^2.
    Eigen::VectorXd direction = -context.gradient.cwiseQuotient(scale_.cwiseProduct(scale_));
    for (Eigen::Index i = 0; i < direction.size(); ++i) {
      if (fixed[i]) direction[i] = gauss_newton_[i] = 0.0;
    }
    const double predicted = context.predicted_reduction(direction);  // -(g.d) - |J d|^2 / 2
    const double g_dot_d = context.gradient.dot(direction);
    const double curvature = 2.0 * (-g_dot_d - predicted);  // |J d|^2
    const double alpha = curvature > 0.0 ? -g_dot_d / curvature : 0.0;
    cauchy_ = alpha * direction;
    return result;
  }

  const SolverOptions& options_;
  std::unique_ptr<LinearSolver> solver_;
  double radius_ = -1.0;  // set at the first step, from the scaled start
  bool clipped_ = false;
  double last_scaled_norm_ = 0.0;
  bool have_points_ = false;
  Eigen::VectorXd scale_, gauss_newton_, cauchy_;
};

}  // namespace

std::unique_ptr<LeastSquaresTrustRegionStrategy> make_dogleg_strategy(const SolverOptions& options,
                                                                      std::unique_ptr<LinearSolver> solver) {
  return std::make_unique<DoglegStrategy>(options, std::move(solver));
}

}  // namespace curvature::internal
