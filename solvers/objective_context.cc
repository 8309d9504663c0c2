#include "objective_context.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "curvature/error.h"

namespace curvature::internal {
ObjectiveContext::ObjectiveContext(const MinimizeOptions& options, Objective& objective, Summary* summary)
    : options_(options),
      objective_(objective),
      summary_(summary),
      num_parameters_(objective.num_parameters()),
      tangent_size_(objective.tangent_size()),
      euclidean_(objective.is_euclidean()),
      progress_(summary, options.verbose, options.callback, SolveProgress::Columns::kObjective),
      least_squares_(dynamic_cast<LeastSquaresObjective*>(&objective)) {
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  const Eigen::VectorXd* lower = objective.lower_bounds();
  const Eigen::VectorXd* upper = objective.upper_bounds();
  bounds_ = BoxBounds(lower ? *lower : Eigen::VectorXd::Constant(num_parameters_, -kInfinity),
                      upper ? *upper : Eigen::VectorXd::Constant(num_parameters_, kInfinity));
  fixed_.assign(tangent_size_, 0);
  progress_.enable_early_stopping(options.early_stopping, &x);
}

bool ObjectiveContext::begin(const Eigen::VectorXd& start) {
  x = start;
  project(&x);
  const bool ok = evaluate(x, &value, &gradient);
  summary_->initial_cost = summary_->final_cost = value;
  start_size_ = x.lpNorm<Eigen::Infinity>();
  if (!ok) {
    if (gradient.size() != tangent_size_) gradient = Eigen::VectorXd::Zero(tangent_size_);
    terminate(TerminationType::kInvalidStartingPoint,
              std::string("The starting point cannot be evaluated: the objective '") + objective_.name() +
                  "' declined it or returned a non-finite value or gradient (f = " + string_printf("%.6e", value) +
                  ").");
    return false;
  }
  IterationRecord start_record;
  start_record.cost = value;
  start_record.gradient_max_norm = projected_gradient_norm();
  start_record.accepted = true;
  record(start_record);
  return true;
}

void ObjectiveContext::finish(Eigen::VectorXd* point) {
  progress_.restore_best(&x, &value);
  *point = x;
  summary_->final_cost = value;
  summary_->total_time_s = progress_.clock.seconds();
}

void ObjectiveContext::project(Eigen::VectorXd* point) const { bounds_.project(point); }

bool ObjectiveContext::step_to(const Eigen::VectorXd& direction, double alpha, Eigen::VectorXd* trial) const {
  if (euclidean_) {
    *trial = x + alpha * direction;
    project(trial);
    return true;
  }
  return objective_.plus(x, alpha * direction, trial);
}

double ObjectiveContext::projected_gradient_norm() const { return projected_gradient_norm(x, gradient); }

double ObjectiveContext::projected_gradient_norm(const Eigen::VectorXd& point,
                                                 const Eigen::VectorXd& point_gradient) const {
  return bounds_.projected_gradient_norm(point, point_gradient);
}

const std::vector<char>& ObjectiveContext::fixed_coordinates() {
  if (!euclidean_) return fixed_;  // no bounds on a manifold (minimize() refuses them): none fixed
  any_fixed_ = bounds_.fixed_coordinates(x, gradient, &fixed_);
  return fixed_;
}

bool ObjectiveContext::evaluate(const Eigen::VectorXd& point, double* point_value, Eigen::VectorXd* point_gradient) {
  Stopwatch clock;
  bool ok = objective_.evaluate(point, point_value, point_gradient);
  summary_->evaluation_time_s += clock.seconds();
  summary_->residual_evaluations += 1;
  if (point_gradient != nullptr) summary_->jacobian_evaluations += 1;
  if (ok && point_gradient != nullptr && point_gradient->size() != tangent_size_) {
    throw Error(std::string("Objective::evaluate: the objective '") + objective_.name() +
                "' returned a gradient of size " + std::to_string(point_gradient->size()) +
                ", expected tangent_size() = " + std::to_string(tangent_size_));
  }
  ok = ok && std::isfinite(*point_value) && (point_gradient == nullptr || point_gradient->allFinite());
  if (!ok) *point_value = std::numeric_limits<double>::infinity();
  return ok;
}

void ObjectiveContext::move_to(const Eigen::VectorXd& point, double point_value,
                               const Eigen::VectorXd& point_gradient) {
  x = point;
  value = point_value;
  gradient = point_gradient;
}

void ObjectiveContext::swap_in(Eigen::VectorXd* point, double point_value, Eigen::VectorXd* point_gradient) {
  x.swap(*point);
  value = point_value;
  gradient.swap(*point_gradient);
}

std::unique_ptr<HessianOperator> ObjectiveContext::evaluate_hessian(const Eigen::VectorXd& point) {
  Stopwatch clock;
  std::unique_ptr<HessianOperator> hessian = objective_.hessian(point);
  summary_->evaluation_time_s += clock.seconds();
  if (hessian && hessian->size() != tangent_size_) {
    throw Error(std::string("Objective::hessian: the objective '") + objective_.name() +
                "' returned an operator of size " + std::to_string(hessian->size()) +
                ", expected tangent_size() = " + std::to_string(tangent_size_));
  }
  return hessian;
}

bool ObjectiveContext::near_stationary_point() {
  if (least_squares_ == nullptr || value <= 0.0) return true;  // f = 0: a least-squares global minimum
  last_scaled_gradient_ = least_squares_->scaled_gradient(x, fixed_coordinates());
  return last_scaled_gradient_ <= kStationaryScaledGradient;
}

bool ObjectiveContext::stalled_or_diverged(const std::string& test) {
  const double size = x.lpNorm<Eigen::Infinity>();
  const double limit = kDivergenceFactor * std::max(1.0, start_size_);
  if (size > limit || (std::isnan(size))) {
    terminate(TerminationType::kDiverged,
              test + string_printf(", but the iterates diverged: |x| = %.3e (largest coordinate %.3e, more than %.0e "
                                   "times the start's %.3e), f = %.6e.",
                                   x.norm(), size, kDivergenceFactor, start_size_, value));
    return true;
  }
  if (near_stationary_point()) return false;
  terminate(TerminationType::kStalled,
            test + string_printf(", but the scaled gradient max_i |J_i^T r| / (|J_i| |r|) is %.3e > %.0e: the run "
                                 "can make no more progress, at a point not known to be stationary (f = %.6e, "
                                 "|x| = %.3e).",
                                 last_scaled_gradient_, kStationaryScaledGradient, value, x.norm()));
  return true;
}

bool ObjectiveContext::gradient_tolerance_reached() {
  const double gradient_norm = projected_gradient_norm();
  if (gradient_norm <= options_.gradient_tolerance &&
      stalled_or_diverged(string_printf("Gradient tolerance held (projected gradient max-norm %.6e <= %.6e)",
                                        gradient_norm, options_.gradient_tolerance))) {
    return true;
  }
  return progress_.gradient_tolerance_reached(gradient_norm, options_.gradient_tolerance);
}

bool ObjectiveContext::function_tolerance_reached(double value_change) {
  // f may be negative or zero at the minimum: the scale is |f|, kept off zero.
  const double limit = options_.function_tolerance * std::max(std::abs(value), 1e-300);
  if (std::abs(value_change) > limit) return false;
  if (stalled_or_diverged(
          string_printf("Function tolerance held (|f change| %.6e <= %.6e)", std::abs(value_change), limit))) {
    return true;
  }
  terminate(
      TerminationType::kFunctionTolerance,
      string_printf("Function tolerance reached: |f change| %.6e <= %.6e = tolerance * max(|f|, 1e-300), f = %.6e.",
                    std::abs(value_change), limit, value));
  return true;
}

bool ObjectiveContext::parameter_tolerance_reached(double step_norm) {
  if (!parameter_tolerance_would_be_reached(step_norm)) return false;
  if (stalled_or_diverged(
          string_printf("Parameter tolerance held (step norm %.6e, |x| = %.6e)", step_norm, x.norm()))) {
    return true;
  }
  return progress_.parameter_tolerance_reached(step_norm, x.norm(), options_.parameter_tolerance);
}

bool ObjectiveContext::parameter_tolerance_would_be_reached(double step_norm) const {
  const double tolerance = options_.parameter_tolerance;
  return step_norm <= tolerance * (x.norm() + tolerance);
}

bool ObjectiveContext::iteration_or_time_limit_reached() {
  return progress_.iteration_or_time_limit_reached(options_.max_iterations, options_.max_time_seconds);
}

void ObjectiveContext::terminate(TerminationType type, std::string message) {
  progress_.terminate(type, std::move(message));
}

void ObjectiveContext::record(IterationRecord record) { progress_.record(std::move(record)); }

}  // namespace curvature::internal
