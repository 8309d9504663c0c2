// Levenberg-Marquardt as a trust-region strategy: the step solves
//   (J^T J + lambda S) h = -J^T r,
// with S = diag(J^T J) (Marquardt; the running maximum of the column norms,
// as MINPACK does, so the scaling never collapses, capped where a column has
// grown far beyond its size at the start) or S = I (Levenberg).
// lambda follows Nielsen's rule (H. B. Nielsen, "Damping parameter in
// Marquardt's method", IMM-REP-1999-05; Madsen, Nielsen and Tingleff,
// "Methods for Non-Linear Least Squares Problems", 2004, section 3.2): after
// an accepted step with gain ratio rho, lambda *= max(1/3, 1 - (2 rho - 1)^3)
// and nu = 2; after a rejection, lambda *= nu and nu *= 2. The smooth
// update avoids the oscillation of the classic "times ten / divided by ten".
// A step that could not be computed or evaluated counts as a rejection.
//
// Geodesic acceleration (SolverOptions::geodesic_acceleration; Transtrum and
// Sethna 2012, and Transtrum, Machta and Sethna, "Geometry of nonlinear
// least squares", 2011) adds a second-order correction to the step v: the
// residuals' second derivative along v, r_vv, is estimated from one extra
// evaluation at x + h v, and a = -(J^T J + lambda S)^-1 J^T r_vv bends the
// step to v + a/2, the second-order Taylor term of a path that keeps J h + r
// at its minimum. Where the iterates follow a narrow curved valley (NIST's
// MGH10 from either start, Bennett5, Lanczos, MGH17) the damped linear step
// only runs along the tangent, and the damping must stay high to keep it in
// the valley; with the correction the step follows the curve, and those
// solves take 2 to 8 times fewer iterations.
//
// What the valley of MGH10 from start 1 does not take (measured, 1015
// iterations without any of them): its steps run parallel to six digits
// in the scaled space, but the accelerated step v + a/2 already ends at the
// valley's edge. Lengthening it by 1.1 to 8 times along the same line (Moré's
// and Nielsen's step expansion) or along the parabola t v + t^2 a/2 was
// rejected at most tries (1480 to 1600 iterations); shortening it (t = 0.6
// to 0.9) lowers the cost of each step more but crawls (1055 to 5923
// iterations); r_vv from the last accepted step instead of the probe, by a
// secant or a Hermite fit, costs an evaluation less per step but 1582 and
// 1923 iterations; skipping the probe for the next 2 to 8 steps once the
// correction is below 1e-2 to 1e-4 of the step (it is ~1e-5 along the
// valley, in the scaled norm) never reaches the minimum in 10000
// iterations: that small correction is what keeps the steps in the valley.
// The iterations go into the path: b1 dives to 1e-50 in
// the first 274 and climbs back in the other 740.
#include <algorithm>
#include <cmath>
#include <limits>

#include "least_squares_trust_region_strategy.h"
#include "small_cholesky.h"

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

// Marquardt's scaling of a parameter stops growing at this factor times
// (1 + |J_i(x0)|)^2, the squared norm of its column at the start (Ceres
// Solver caps its scaled diagonal likewise, at 1e32 times its Jacobi scale).
// On NIST's MGH10 from start 1 the iterates run along the valley
// b1 = A exp(-b2 / (x + b3)) where b1's column grows by tens of orders of
// magnitude; the running maximum locked the damping of every step that
// followed to those values, and the solve crawled back along the valley in
// small steps: 1610 iterations, 1015 with the cap (1018 since the small
// Cholesky of small_cholesky.h changed the last bits). NIST: 3176 -> 2581
// iterations, 54/54, median LRE 10.80; MGH LM 96/111 with the same runs
// solved (41571 iterations against 42567). Chebyquad from 10 x0 is fragile
// here: 1e8 and 1e12 lose it, and so does the same cap computed from the
// evaluator's squared column norms instead of |J_i| (a last-bit
// difference); 1e16 to 1e24 lose nothing.
constexpr double kMaxScaleGrowth = 1e16;

// Geodesic acceleration. The probe x + kGeodesicProbe v for the finite
// difference: Transtrum and Sethna's h = 0.1 (0.01 doubled NIST's
// iterations in trials).
constexpr double kGeodesicProbe = 0.1;
// The correction is used when 2 |D a| <= kMaxAccelerationRatio |D v|, D the
// damping's scaling (Marquardt: sqrt(S); Levenberg: I), else the step is v
// alone: Transtrum and Sethna's 0.75. With it LM solves two more MGH runs
// (Beale from (2, -2) at 10 and 100 x0) and loses none. The outcome is not
// smooth in this constant: in trials between 0.1 and 2, some values (0.25,
// 0.6, 1, 1.5) each lost a Chebyquad or Beale start to another minimum.
constexpr double kMaxAccelerationRatio = 0.75;
// Only where the second solve is cheap next to an evaluation: dense
// Jacobians of at most this many columns (the NIST and MGH problems have at
// most 12).
constexpr Eigen::Index kMaxGeodesicColumns = 16;
// r(x + h v) - r(x) - h J v below this many ulps of the sizes of its terms
// is rounding, not curvature.
constexpr double kCurvatureRounding = 16.0;

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
      // The first scaling is the first Jacobian's squared column norms.
      scale_limit_ = kMaxScaleGrowth / (1.0 / (1.0 + first_column_norms(context).array())).square();
    }
    normal_matrix_formed_ = false;
    return solver_->prepare(context.jacobian(), context.residuals);
  }

  // |J_i| at the first point: from the dense Jacobian itself when there is
  // one (the evaluator's squared norms differ in the last bits, and
  // Chebyquad from 10 x0 is decided by them), else from the scaling.
  static Eigen::VectorXd first_column_norms(const MinimizerContext& context) {
    if (const Eigen::MatrixXd* dense = context.jacobian().dense) return dense->colwise().norm().transpose();
    return context.column_scale.cwiseSqrt();
  }

  LinearSolverResult compute_step(MinimizerContext& context, Eigen::VectorXd* step) override {
    scale_ = context.column_scale.cwiseMin(scale_limit_);
    const Eigen::VectorXd& scale = scale_;
    const double floor = 1e-16 * std::max(scale.maxCoeff(), 1e-300);
    const std::vector<char>& fixed = context.fixed_coordinates();
    damping_vector_.resize(scale.size());
    for (Eigen::Index i = 0; i < scale.size(); ++i) {
      const double s = options_.damping == Damping::kMarquardt ? std::max(scale[i], floor) : 1.0;
      damping_vector_[i] = fixed[i] ? fixed_coordinate_damping(scale[i]) : std::sqrt(lambda_ * s);
    }
    solver_->set_forcing_term(options_.eta);
    LinearSolverResult result = solver_->solve(damping_vector_, step);
    step_changed_ = context.any_fixed();
    if (context.any_fixed()) {
      for (Eigen::Index i = 0; i < step->size(); ++i) {
        if (fixed[i]) (*step)[i] = 0.0;
      }
    }
    accelerated_ = false;
    if (result.success && accelerates(context)) accelerate(context, step);
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

  const Eigen::VectorXd* model_step() const override { return accelerated_ ? &velocity_ : nullptr; }
  const Eigen::VectorXd* model_jacobian_step() const override { return accelerated_ ? &jacobian_velocity_ : nullptr; }
  // J h from the solver is for its own step: not for a corrected one.
  const Eigen::VectorXd* jacobian_times_step() const override {
    return step_changed_ || accelerated_ ? nullptr : solver_->jacobian_times_step();
  }

  double radius() const override { return 1.0 / lambda_; }
  double damping() const override { return lambda_; }
  const char* linear_solver_name() const override { return solver_->name(); }

 private:
  bool accelerates(const MinimizerContext& context) const {
    const JacobianRef jacobian = context.jacobian();
    return options_.geodesic_acceleration && jacobian.dense && jacobian.cols() <= kMaxGeodesicColumns &&
           !context.has_bounds();
  }

  // Replaces the step v by v + a/2 when the correction a is small enough;
  // leaves v when it is not, or when x + h v cannot be evaluated.
  // J v is formed once, for the noise test, the curvature estimate and the
  // model reduction of an accelerated step (model_jacobian_step()), and the
  // lower triangle of J^T J once per Jacobian: the steps rejected at the
  // same point only change the damping on its diagonal.
  void accelerate(MinimizerContext& context, Eigen::VectorXd* step) {
    if (!step->allFinite()) return;
    const Eigen::MatrixXd& jacobian = *context.jacobian().dense;
    jacobian_velocity_.noalias() = jacobian * *step;
    // A step whose predicted reduction is below the cost's rounding noise
    // is judged by the gradient instead (accept_below_noise in
    // trust_region_minimizer.cc); its second-order term is smaller still,
    // and the probe would only cost an evaluation (ENSO's last 30 steps).
    if (context.within_cost_noise(context.predicted_reduction(*step, jacobian_velocity_))) return;
    velocity_ = *step;
    context.step_to(velocity_, kGeodesicProbe, &probe_, &probe_step_);
    double probe_cost;
    // Timed with the step it is part of (linear_solver_time_s).
    if (!context.evaluate_trial(probe_, &probe_cost, &probe_residuals_, MinimizerContext::kUntimed)) return;
    // r_vv ~ (2 / h^2) (r(x + h v) - r(x) - h J v), unless that difference is
    // within the rounding of its terms (a residual linear along v): its
    // noise, amplified by 2 / h^2, would then only perturb the step.
    constexpr double h = kGeodesicProbe;
    second_derivative_ = probe_residuals_ - context.residuals - h * jacobian_velocity_;
    const double rounding = kCurvatureRounding * std::numeric_limits<double>::epsilon() *
                            (probe_residuals_.norm() + context.residuals.norm() + (h * jacobian_velocity_).norm());
    if (!(second_derivative_.norm() > rounding)) return;
    second_derivative_ *= 2.0 / (h * h);
    const Eigen::Index n = jacobian.cols();
    if (!normal_matrix_formed_) {
      // The lower triangle of J^T J column by column: for at most
      // kMaxGeodesicColumns columns, plain dot products beat the blocked
      // product's packing.
      normal_matrix_.resize(n, n);
      for (Eigen::Index j = 0; j < n; ++j) {
        for (Eigen::Index i = j; i < n; ++i) normal_matrix_(i, j) = jacobian.col(i).dot(jacobian.col(j));
      }
      normal_matrix_formed_ = true;
    }
    damped_matrix_ = normal_matrix_;
    for (Eigen::Index j = 0; j < n; ++j) damped_matrix_(j, j) += damping_vector_[j] * damping_vector_[j];
    static_assert(kMaxGeodesicColumns <= kSmallCholeskyColumns);
    if (!small_cholesky_lower_in_place(damped_matrix_.data(), n, n)) return;
    acceleration_.noalias() = -(jacobian.transpose() * second_derivative_);
    small_cholesky_solve_in_place(damped_matrix_.data(), n, n, acceleration_.data());
    if (!acceleration_.allFinite()) return;
    double acceleration_norm = 0.0, velocity_norm = 0.0;
    const Eigen::VectorXd& scale = scale_;
    const double floor = 1e-16 * std::max(scale.maxCoeff(), 1e-300);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double s = options_.damping == Damping::kMarquardt ? std::max(scale[i], floor) : 1.0;
      acceleration_norm += s * acceleration_[i] * acceleration_[i];
      velocity_norm += s * velocity_[i] * velocity_[i];
    }
    if (!(2.0 * std::sqrt(acceleration_norm) <= kMaxAccelerationRatio * std::sqrt(velocity_norm))) return;
    *step = velocity_ + 0.5 * acceleration_;
    accelerated_ = true;
  }

  const SolverOptions& options_;
  std::unique_ptr<LinearSolver> solver_;
  Eigen::VectorXd damping_vector_;
  // Marquardt's scaling: the context's column_scale capped at scale_limit_,
  // kMaxScaleGrowth times the first Jacobian's (1 + |J_i|)^2.
  Eigen::VectorXd scale_, scale_limit_;
  // Geodesic acceleration: the first-order step v, its correction a, and
  // their work space, kept from step to step.
  Eigen::VectorXd velocity_, acceleration_, probe_, probe_step_, probe_residuals_, jacobian_velocity_,
      second_derivative_;
  // The lower triangle of J^T J for the current Jacobian (formed when
  // normal_matrix_formed_), and of J^T J + D^2 for this step, factored in
  // place.
  Eigen::MatrixXd normal_matrix_, damped_matrix_;
  bool normal_matrix_formed_ = false;
  bool accelerated_ = false;
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
