#include "minimizer_context.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "dense_normal_cholesky.h"

namespace curvature::internal {
namespace {

// Factor by which the scaling memory (column_scale) decays at each accepted
// point. Between 0.8 and 0.95 the MGH counts of LM and dogleg are the same;
// 0.7 and below let the damping of a column that dips for a few steps fall
// with it (Penalty I), 0.99 remembers a far-off start for too long.
constexpr double kScaleMemory = 0.9;

}  // namespace

MinimizerContext::MinimizerContext(const SolverOptions& options, Evaluator* evaluator, Summary* summary, bool sparse)
    : options_(options),
      evaluator_(evaluator),
      summary_(summary),
      sparse_(sparse),
      exact_reduction_(!evaluator->has_losses()),
      bounds_(evaluator->layout().tangent_lower_bounds(), evaluator->layout().tangent_upper_bounds()),
      ambient_bounds_(evaluator->lower_bounds(), evaluator->upper_bounds()),
      progress_(summary, options.verbose, options.callback, SolveProgress::Columns::kLeastSquares) {
  if (sparse_) evaluator_->make_sparse_jacobian(&sparse_jacobian_);
  fixed_.assign(evaluator_->num_tangent_parameters(), 0);
  column_scale.setZero(evaluator_->num_tangent_parameters());
  column_norm_max_.setZero(evaluator_->num_tangent_parameters());
  progress_.enable_early_stopping(options.early_stopping, &x);
}

JacobianRef MinimizerContext::jacobian() const {
  JacobianRef ref;
  // The gradient is J^T r from evaluate_at_x(), with J (accept_if_gradient_
  // decreases() restores them together).
  ref.gradient = &gradient;
  if (sparse_) {
    ref.sparse = &sparse_jacobian_;
  } else {
    ref.dense = &dense_jacobian_;
    ref.column_squared_norms = &column_norms_;
    if (single_wanted_ && scaled_single_jacobian_.size() > 0) ref.scaled_single = &scaled_single_jacobian_;
  }
  return ref;
}

void MinimizerContext::set_scaled_single_jacobian(bool wanted) {
  single_wanted_ = wanted && !sparse_ &&
                   evaluator_->num_tangent_parameters() >= DenseNormalCholeskySolver::kMixedPrecisionMinColumns;
  if (!single_wanted_) scaled_single_jacobian_.resize(0, 0);
}

void MinimizerContext::project(Eigen::VectorXd* point) const { ambient_bounds_.project(point); }

const Eigen::VectorXd& MinimizerContext::tangent_x() const {
  if (!evaluator_->has_manifolds()) return x;
  evaluator_->layout().tangent_coordinates(x, &tangent_x_);
  return tangent_x_;
}

void MinimizerContext::step_to(const Eigen::VectorXd& direction, double alpha, Eigen::VectorXd* trial,
                               Eigen::VectorXd* taken) {
  const ParameterLayout& layout = evaluator_->layout();
  if (!layout.has_manifolds()) {
    *trial = x + alpha * direction;
    project(trial);
    *taken = *trial - x;
    return;
  }
  *taken = alpha * direction;
  if (!layout.plus(x, *taken, trial, &plus_failure_)) {
    trial->setConstant(x.size(), std::numeric_limits<double>::quiet_NaN());
    return;
  }
  plus_failure_.clear();
  if (!ambient_bounds_.active()) return;
  project(trial);
  // Bounds live on plain blocks only, where a tangent coordinate is an
  // ambient one.
  for (int b = 0; b < layout.num_blocks(); ++b) {
    const int offset = layout.offset(b);
    if (offset < 0 || layout.manifold(b)) continue;
    const int t = layout.tangent_offset(b);
    for (int k = 0; k < layout.tangent_size(b); ++k) (*taken)[t + k] = (*trial)[offset + k] - x[offset + k];
  }
}

double MinimizerContext::projected_gradient_norm() const {
  // Without bounds x plays no part: no tangent coordinates to form.
  if (!bounds_.active()) return gradient.lpNorm<Eigen::Infinity>();
  return bounds_.projected_gradient_norm(tangent_x(), gradient);
}

const std::vector<char>& MinimizerContext::fixed_coordinates() {
  if (!bounds_.active()) {
    // Nothing is held: no tangent coordinates to form (on a manifold that
    // is a pass over every block at every step).
    fixed_.assign(static_cast<size_t>(gradient.size()), 0);
    any_fixed_ = false;
    return fixed_;
  }
  any_fixed_ = bounds_.fixed_coordinates(tangent_x(), gradient, &fixed_);
  return fixed_;
}

bool MinimizerContext::evaluate_at_x(std::string* error, double started) {
  const double start = started >= 0.0 ? started : clock_seconds();
  EvaluationRequest request;
  request.residuals = &residuals;
  request.gradient = &gradient;
  request.column_squared_norms = &column_norms_;
  if (sparse_) {
    request.sparse_jacobian = &sparse_jacobian_;
  } else {
    request.dense_jacobian = &dense_jacobian_;
    if (single_wanted_) request.scaled_single_jacobian = &scaled_single_jacobian_;
  }
  EvaluationStatus status = evaluator_->evaluate(x, &cost, request);
  summary_->residual_evaluations += 1;
  summary_->jacobian_evaluations += 1;
  evaluation_ended_ = clock_seconds();
  summary_->evaluation_time_s += evaluation_ended_ - start;
  if (!status.ok) {
    *error = status.message;
    return false;
  }
  // MINPACK keeps the running maximum, so a column that shrinks for a step
  // does not drop its parameter's damping to nothing. Yet a maximum that
  // never forgets holds on to the columns of a far-off start for good: from
  // 10 and 100 x0, Chebyquad's columns fall by 14 orders of magnitude on the
  // way in, and the damping, measured against columns that no longer exist,
  // kept the steps at 1e-2 for 10 000 iterations. The memory now decays by
  // kScaleMemory per accepted point: a column must stay small for many steps
  // before its damping follows it down.
  column_scale = (kScaleMemory * column_scale).cwiseMax(column_norms_);
  column_norm_max_ = column_norm_max_.cwiseMax(column_norms_);
  return true;
}

bool MinimizerContext::move_to(const Eigen::VectorXd& trial, double trial_cost, double started) {
  x = trial;
  std::string error;
  if (evaluate_at_x(&error, started)) return !diverged();
  cost = trial_cost;
  terminate(TerminationType::kEvaluationFailure, "The Jacobian cannot be evaluated at an accepted point: " + error);
  return false;
}

bool MinimizerContext::evaluate_trial(const Eigen::VectorXd& trial, double* trial_cost,
                                      Eigen::VectorXd* trial_residuals, double started) {
  // A reading of the clock after an evaluation waits for all of its
  // arithmetic to finish: on a small problem each one costs about as much
  // as a residual block.
  const bool timed = started != kUntimed;
  const double start = !timed || started >= 0.0 ? started : clock_seconds();
  EvaluationRequest request;
  request.residuals = trial_residuals;
  if (!plus_failure_.empty() && evaluator_->has_manifolds() && trial.hasNaN()) {
    *trial_cost = std::numeric_limits<double>::infinity();
    trial_failure_ = plus_failure_;
    return false;
  }
  EvaluationStatus status = evaluator_->evaluate(trial, trial_cost, request);
  summary_->residual_evaluations += 1;
  if (timed) {
    evaluation_ended_ = clock_seconds();
    summary_->evaluation_time_s += evaluation_ended_ - start;
  }
  if (!status.ok) {
    *trial_cost = std::numeric_limits<double>::infinity();
    trial_failure_ = status.message.empty() ? "a cost function failed" : status.message;
    return false;
  }
  if (!std::isfinite(*trial_cost)) {
    trial_failure_ = string_printf("the cost is %g", *trial_cost);
    return false;
  }
  return true;
}

double MinimizerContext::reduction(double trial_cost, const Eigen::VectorXd& trial_residuals) const {
  if (!exact_reduction_) return cost - trial_cost;
  return 0.5 * (residuals - trial_residuals).dot(residuals + trial_residuals);
}

double MinimizerContext::predicted_reduction(const Eigen::VectorXd& step) const {
  // Into a buffer kept between calls: a temporary J h was an allocation and
  // a free every step, twice with geodesic acceleration.
  if (sparse_) {
    jacobian_step_.noalias() = sparse_jacobian_ * step;
  } else {
    jacobian_step_.noalias() = dense_jacobian_ * step;
  }
  return -(gradient.dot(step) + 0.5 * jacobian_step_.squaredNorm());
}

bool MinimizerContext::within_cost_noise(double reduction) const {
  const double noise =
      64.0 * std::numeric_limits<double>::epsilon() * std::sqrt(static_cast<double>(residuals.size())) * cost;
  return reduction <= noise;
}

bool MinimizerContext::accept_if_gradient_decreases(const Eigen::VectorXd& trial) {
  const auto scaled_norm = [](const Eigen::VectorXd& g, const Eigen::VectorXd& scale) {
    return (g.array() / scale.array().max(1e-300).sqrt()).matrix().norm();
  };
  const double old_norm = scaled_norm(gradient, column_scale);
  // The current point goes to the kept buffers by swapping, and comes back
  // the same way when the trial is turned down: this test runs at every step
  // of a long tail (ENSO: 30 in a row), where copying x, r, g, J and the
  // single-precision J each time cost as much as the step's arithmetic.
  // The evaluator fills a sparse J's values into the pattern it is given.
  if (sparse_ && previous_sparse_jacobian_.nonZeros() != sparse_jacobian_.nonZeros()) {
    previous_sparse_jacobian_ = sparse_jacobian_;
  }
  swap_with_previous();
  // The scaling memory is updated from its old values, not swapped.
  column_scale = previous_column_scale_;
  column_norm_max_ = previous_column_norm_max_;
  x = trial;
  std::string error;
  if (evaluate_at_x(&error) && scaled_norm(gradient, previous_column_scale_) < old_norm) return true;
  swap_with_previous();
  return false;
}

void MinimizerContext::swap_with_previous() {
  x.swap(previous_x_);
  residuals.swap(previous_residuals_);
  gradient.swap(previous_gradient_);
  column_scale.swap(previous_column_scale_);
  column_norm_max_.swap(previous_column_norm_max_);
  column_norms_.swap(previous_column_norms_);
  std::swap(cost, previous_cost_);
  dense_jacobian_.swap(previous_dense_jacobian_);
  scaled_single_jacobian_.swap(previous_scaled_single_jacobian_);
  sparse_jacobian_.swap(previous_sparse_jacobian_);
}

std::vector<int> MinimizerContext::evaporated_coordinates() const {
  const Eigen::VectorXd& norms = column_norms_;
  // Vanished both against its own history and against the other columns now:
  // a long path through large values (MGH10) can leave a column small
  // against its history alone. A squared norm below eps times the largest
  // diagonal entry of J^T J is lost to rounding when J^T J is formed: the
  // parameter no longer counts in the normal equations. (eps^2, the earlier
  // threshold, missed Beale from 10 x0 and 100 x0, where x1 -> -inf while
  // x2 -> 1 and x1's column fades only as 1/x1.)
  constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
  const double largest = norms.size() ? norms.maxCoeff() : 0.0;
  std::vector<int> evaporated;
  for (Eigen::Index i = 0; i < norms.size(); ++i) {
    if (norms[i] <= kEpsilon * column_norm_max_[i] && norms[i] <= kEpsilon * largest) evaporated.push_back(i);
  }
  return evaporated;
}

void MinimizerContext::restart(const Eigen::VectorXd& start) {
  x = start;
  column_scale.setZero();
  column_norm_max_.setZero();
  progress_.resume();
}

bool MinimizerContext::gradient_tolerance_reached() {
  const double gradient_norm = projected_gradient_norm();
  // A gradient that is small only because the columns of J are small
  // against the residuals is no sign of a stationary point: typically some
  // parameters ran off to infinity, where their columns vanish (named when
  // they fell below rounding), or all columns faded together on the way to a
  // minimum at infinity (Box 3-D from 100 x0: max-norm 7e-17, scaled
  // gradient 0.84). Either way the solve stalls rather than claim
  // convergence, unless the residuals have shrunk by 1/sqrt(eps) or more
  // since the start: a zero-residual fit at the rounding of its data, where
  // the cosine measures that rounding (NIST's Lanczos1: cost 1.7e-25, scaled
  // gradient 4e-3).
  constexpr double kZeroResidualCostRatio = std::numeric_limits<double>::epsilon();
  if (gradient_norm <= options_.gradient_tolerance && !near_stationary_point() &&
      !(cost <= kZeroResidualCostRatio * summary_->initial_cost)) {
    const std::vector<int> evaporated = evaporated_coordinates();
    std::string which;
    for (int i : evaporated) which += (which.empty() ? "" : ", ") + std::to_string(i);
    const std::string held =
        string_printf("Gradient tolerance held (max-norm %.6e <= %.6e) ", gradient_norm, options_.gradient_tolerance);
    if (!evaporated.empty()) {
      return stalled(held + "only because parameter(s) " + which +
                     " no longer influence the residuals (they ran off towards infinity)");
    }
    return stalled(held + "only because every column of the Jacobian is small against the residuals");
  }
  return progress_.gradient_tolerance_reached(gradient_norm, options_.gradient_tolerance);
}

bool MinimizerContext::iteration_or_time_limit_reached() {
  return progress_.iteration_or_time_limit_reached(options_.max_iterations, options_.max_time_seconds);
}

double MinimizerContext::scaled_gradient() const {
  const double residual_norm = residuals.norm();
  const double rounding = kResidualRounding * std::numeric_limits<double>::epsilon() *
                          std::sqrt(static_cast<double>(residuals.size())) *
                          column_norms_.cwiseSqrt().dot(tangent_x().cwiseAbs());
  if (residual_norm <= rounding) return 0.0;
  std::vector<char> held;
  bounds_.fixed_coordinates(tangent_x(), gradient, &held);
  double largest = 0.0;
  for (Eigen::Index i = 0; i < gradient.size(); ++i) {
    const double column_norm = std::sqrt(column_norms_[i]);
    if (held[i] || column_norm == 0.0) continue;
    const double cosine = std::abs(gradient[i]) / (column_norm * residual_norm);
    if (!(cosine <= largest)) largest = cosine;  // NaN propagates: not stationary
  }
  return largest;
}

bool MinimizerContext::near_stationary_point() const {
  // A cost of 0 is the global minimum, though a robust loss may round it to
  // 0 with residuals around sqrt(eps) left (soft L1: 2 (sqrt(1 + s) - 1)).
  return cost <= 0.0 || scaled_gradient() <= kStationaryScaledGradient;
}

bool MinimizerContext::stalled(const std::string& test) {
  if (near_stationary_point()) return false;
  terminate(TerminationType::kStalled,
            test + string_printf(", but the scaled gradient max_i |J_i^T r| / (|J_i| |r|) is %.3e > %.0e: the "
                                 "solve can make no more progress, at a point not known to be stationary (cost "
                                 "%.6e, |x| %.3e).",
                                 scaled_gradient(), kStationaryScaledGradient, cost, x.norm()));
  return true;
}

bool MinimizerContext::diverged() {
  const double size = x.lpNorm<Eigen::Infinity>();
  const double limit = kDivergenceFactor * std::max(1.0, start_size_);
  if (!(size > limit)) return false;
  terminate(TerminationType::kDiverged,
            string_printf("The iterates diverged: |x| = %.3e (largest coordinate %.3e, more than %.0e times the "
                          "start's %.3e), cost %.6e. The point returned is the lowest-cost one seen.",
                          x.norm(), size, kDivergenceFactor, start_size_, cost));
  return true;
}

bool MinimizerContext::parameter_tolerance_would_be_reached(double step_norm) const {
  const double tolerance = options_.parameter_tolerance;
  return step_norm <= tolerance * (x.norm() + tolerance);
}

bool MinimizerContext::parameter_tolerance_reached(double step_norm) {
  if (!parameter_tolerance_would_be_reached(step_norm)) return false;
  if (stalled(string_printf("Parameter tolerance held (step norm %.6e, |x| = %.6e)", step_norm, x.norm()))) {
    return true;
  }
  return progress_.parameter_tolerance_reached(step_norm, x.norm(), options_.parameter_tolerance);
}

bool MinimizerContext::function_tolerance_reached(double actual_reduction) {
  const double limit = options_.function_tolerance * cost;
  if (std::abs(actual_reduction) > limit) return false;
  if (stalled(string_printf("Function tolerance held (|cost change| %.6e <= %.6e = tolerance * cost)",
                            std::abs(actual_reduction), limit))) {
    return true;
  }
  terminate(TerminationType::kFunctionTolerance,
            string_printf("Function tolerance reached: |cost change| %.6e <= %.6e = tolerance * cost.",
                          std::abs(actual_reduction), limit));
  return true;
}

void MinimizerContext::terminate(TerminationType type, std::string message) {
  progress_.terminate(type, std::move(message));
}

void MinimizerContext::record(IterationRecord record) {
  // The callback and the validation loss are promised the current point in
  // the user's parameter blocks.
  if (options_.callback || progress_.early_stopping()) evaluator_->scatter_parameters(x);
  progress_.record(std::move(record));
}

void MinimizerContext::record(IterationRecord record, double started) {
  if (options_.callback || progress_.early_stopping()) evaluator_->scatter_parameters(x);
  progress_.record(std::move(record), started);
}

}  // namespace curvature::internal
