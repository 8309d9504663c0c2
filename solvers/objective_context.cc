#include "objective_context.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "curvature/error.h"

namespace curvature::internal {
namespace {

std::string format(const char* pattern, double a, double b = 0.0, double c = 0.0) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, a, b, c);
  return buffer;
}

}  // namespace

ObjectiveContext::ObjectiveContext(const MinimizeOptions& options, Objective& objective, Summary* summary)
    : options_(options), objective_(objective), summary_(summary), num_parameters_(objective.num_parameters()) {
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  lower_ = Eigen::VectorXd::Constant(num_parameters_, -kInfinity);
  upper_ = Eigen::VectorXd::Constant(num_parameters_, kInfinity);
  if (const Eigen::VectorXd* lower = objective.lower_bounds()) {
    lower_ = *lower;
    has_bounds_ = true;
  }
  if (const Eigen::VectorXd* upper = objective.upper_bounds()) {
    upper_ = *upper;
    has_bounds_ = true;
  }
  fixed_.assign(num_parameters_, 0);
}

bool ObjectiveContext::begin(const Eigen::VectorXd& start) {
  x = start;
  project(&x);
  const bool ok = evaluate(x, &value, &gradient);
  summary_->initial_cost = summary_->final_cost = value;
  if (!ok) {
    if (gradient.size() != num_parameters_) gradient = Eigen::VectorXd::Zero(num_parameters_);
    terminate(TerminationType::kInvalidStartingPoint,
              std::string("The starting point cannot be evaluated: the objective '") + objective_.name() +
                  "' declined it or returned a non-finite value or gradient (f = " + format("%.6e", value) + ").");
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
  *point = x;
  summary_->final_cost = value;
  summary_->total_time_s = total_clock.seconds();
}

void ObjectiveContext::project(Eigen::VectorXd* point) const {
  if (!has_bounds_) return;
  *point = point->cwiseMax(lower_).cwiseMin(upper_);
}

double ObjectiveContext::projected_gradient_norm() const { return projected_gradient_norm(x, gradient); }

double ObjectiveContext::projected_gradient_norm(const Eigen::VectorXd& point,
                                                 const Eigen::VectorXd& point_gradient) const {
  if (!has_bounds_) return point_gradient.lpNorm<Eigen::Infinity>();
  Eigen::VectorXd moved = point - point_gradient;
  project(&moved);
  return (point - moved).lpNorm<Eigen::Infinity>();
}

const std::vector<char>& ObjectiveContext::fixed_coordinates() {
  any_fixed_ = false;
  if (!has_bounds_) return fixed_;
  for (int i = 0; i < num_parameters_; ++i) {
    fixed_[i] = (x[i] <= lower_[i] && gradient[i] > 0.0) || (x[i] >= upper_[i] && gradient[i] < 0.0);
    any_fixed_ = any_fixed_ || fixed_[i];
  }
  return fixed_;
}

bool ObjectiveContext::evaluate(const Eigen::VectorXd& point, double* point_value, Eigen::VectorXd* point_gradient) {
  Stopwatch clock;
  bool ok = objective_.evaluate(point, point_value, point_gradient);
  summary_->evaluation_time_s += clock.seconds();
  summary_->residual_evaluations += 1;
  if (point_gradient != nullptr) summary_->jacobian_evaluations += 1;
  if (ok && point_gradient != nullptr && point_gradient->size() != num_parameters_) {
    throw Error(std::string("Objective::evaluate: the objective '") + objective_.name() +
                "' returned a gradient of size " + std::to_string(point_gradient->size()) +
                ", expected num_parameters() = " + std::to_string(num_parameters_));
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

std::unique_ptr<HessianOperator> ObjectiveContext::evaluate_hessian(const Eigen::VectorXd& point) {
  Stopwatch clock;
  std::unique_ptr<HessianOperator> hessian = objective_.hessian(point);
  summary_->evaluation_time_s += clock.seconds();
  if (hessian && hessian->size() != num_parameters_) {
    throw Error(std::string("Objective::hessian: the objective '") + objective_.name() +
                "' returned an operator of size " + std::to_string(hessian->size()) +
                ", expected num_parameters() = " + std::to_string(num_parameters_));
  }
  return hessian;
}

bool ObjectiveContext::gradient_tolerance_reached() {
  const double norm = projected_gradient_norm();
  if (norm > options_.gradient_tolerance) return false;
  terminate(TerminationType::kGradientTolerance,
            format("Gradient tolerance reached: projected gradient max-norm %.6e <= %.6e.", norm,
                   options_.gradient_tolerance));
  return true;
}

bool ObjectiveContext::function_tolerance_reached(double value_change) {
  // f may be negative or zero at the minimum: the scale is |f|, kept off zero.
  const double limit = options_.function_tolerance * std::max(std::abs(value), 1e-300);
  if (std::abs(value_change) > limit) return false;
  terminate(TerminationType::kFunctionTolerance,
            format("Function tolerance reached: |f change| %.6e <= %.6e = tolerance * max(|f|, 1e-300), f = %.6e.",
                   std::abs(value_change), limit, value));
  return true;
}

bool ObjectiveContext::parameter_tolerance_reached(double step_norm) {
  const double x_norm = x.norm();
  const double limit = options_.parameter_tolerance * (x_norm + options_.parameter_tolerance);
  if (step_norm > limit) return false;
  terminate(TerminationType::kParameterTolerance,
            format("Parameter tolerance reached: step norm %.6e <= %.6e = tolerance * (|x| + tolerance), |x| = %.6e.",
                   step_norm, limit, x_norm));
  return true;
}

bool ObjectiveContext::iteration_limit_reached() {
  if (summary_->iterations < options_.max_iterations) return false;
  terminate(TerminationType::kMaxIterations,
            format("Maximum number of iterations reached: %.0f.", options_.max_iterations));
  return true;
}

bool ObjectiveContext::time_limit_reached() {
  const double elapsed = total_clock.seconds();
  if (elapsed < options_.max_time_seconds) return false;
  terminate(TerminationType::kMaxTime,
            format("Maximum time reached: %.3f s >= %.3f s.", elapsed, options_.max_time_seconds));
  return true;
}

void ObjectiveContext::terminate(TerminationType type, std::string message) {
  terminated_ = true;
  summary_->termination = type;
  summary_->message = std::move(message);
}

void ObjectiveContext::record(IterationRecord record) {
  record.cumulative_time_s = total_clock.seconds();
  if (options_.verbose) {
    if (record.iteration == 0) {
      std::fprintf(stderr, "%5s %15s %11s %10s %10s %10s %10s %4s %4s %9s\n", "iter", "f", "f_change", "|gradient|",
                   "|step|", "alpha", "radius", "acc", "ls", "time_s");
    }
    std::fprintf(stderr, "%5d %15.8e %11.3e %10.3e %10.3e %10.3e %10.3e %4s %4d %9.3e\n", record.iteration, record.cost,
                 record.cost_change, record.gradient_max_norm, record.step_norm, record.step_length,
                 record.trust_region_radius, record.accepted ? "yes" : "no", record.line_search_evaluations,
                 record.cumulative_time_s);
  }
  summary_->trace.push_back(record);
  if (options_.callback && record.iteration > 0 && !terminated_) {
    if (options_.callback(summary_->trace.back()) == CallbackReturn::kStop) {
      terminate(TerminationType::kUserStop,
                format("The callback asked to stop after iteration %.0f.", record.iteration));
    }
  }
}

}  // namespace curvature::internal
