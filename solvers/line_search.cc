// Armijo backtracking and the strong Wolfe search (Nocedal and Wright,
// "Numerical Optimization", 2nd ed., sections 3.5, Algorithms 3.5 and 3.6).
// Both treat a trial point that cannot be evaluated as infinitely bad, so a
// function undefined beyond some step still gets a step: the search shrinks
// back into the domain.
//
// Sufficient decrease is also required to be a decrease, phi(a) < phi(0):
// once c1 a phi'(0) is below the rounding of phi(0) the Armijo inequality
// alone would accept a step that changes nothing, and a wrong gradient would
// then look like convergence.
#include "line_search.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "string_format.h"

namespace curvature::internal {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One evaluated point of phi.
struct Sample {
  double step = 0.0;
  double value = 0.0;
  double derivative = 0.0;
};

// Minimizer of the cubic matching value and derivative at both samples
// (Nocedal and Wright, equation 3.59); NaN when it has none.
double cubic_minimizer(const Sample& p, const Sample& q) {
  const double d1 = p.derivative + q.derivative - 3.0 * (p.value - q.value) / (p.step - q.step);
  const double radicand = d1 * d1 - p.derivative * q.derivative;
  if (!(radicand >= 0.0)) return kNaN;
  const double d2 = std::copysign(std::sqrt(radicand), q.step - p.step);
  const double denominator = q.derivative - p.derivative + 2.0 * d2;
  if (denominator == 0.0) return kNaN;
  return q.step - (q.step - p.step) * (q.derivative + d2 - d1) / denominator;
}

// Minimizer of the quadratic matching value and derivative at p and the
// value at q; NaN when it opens downwards.
double quadratic_minimizer(const Sample& p, const Sample& q) {
  const double h = q.step - p.step;
  const double curvature = 2.0 * (q.value - p.value - p.derivative * h);
  if (!(curvature > 0.0)) return kNaN;
  return p.step - p.derivative * h * h / curvature;
}

LineSearchResult finish(LineSearchStatus status, const Sample& at, bool has_derivative, int evaluations,
                        std::string message = {}) {
  LineSearchResult result;
  result.status = status;
  result.step = at.step;
  result.value = at.value;
  result.has_derivative = has_derivative;
  result.derivative = at.derivative;
  result.evaluations = evaluations;
  result.message = std::move(message);
  return result;
}

LineSearchResult not_descent(double value, double slope) {
  LineSearchResult result;
  result.status = LineSearchStatus::kNotDescentDirection;
  result.value = value;
  result.derivative = slope;
  result.message = string_printf("not a descent direction: directional derivative %.6e >= 0 (or not finite)", slope);
  return result;
}

double first_step(double initial_step, double max_step) {
  if (!(initial_step > 0.0) || !std::isfinite(initial_step)) return std::min(1.0, max_step);
  return std::min(initial_step, max_step);
}

}  // namespace

double backtracking_interpolate(double phi0, double dphi0, double a1, double phi1, double a2, double phi2,
                                double no_minimizer) {
  if (a2 <= 0.0 || !std::isfinite(phi2)) {
    const double denominator = 2.0 * (phi1 - phi0 - dphi0 * a1);
    return denominator > 0.0 ? -dphi0 * a1 * a1 / denominator : no_minimizer;
  }
  const double r1 = phi1 - phi0 - dphi0 * a1;
  const double r2 = phi2 - phi0 - dphi0 * a2;
  const double scale = 1.0 / (a1 * a1 * a2 * a2 * (a1 - a2));
  const double a = scale * (a2 * a2 * r1 - a1 * a1 * r2);
  const double b = scale * (-a2 * a2 * a2 * r1 + a1 * a1 * a1 * r2);
  if (a == 0.0) return b > 0.0 ? -dphi0 / (2.0 * b) : no_minimizer;
  const double discriminant = b * b - 3.0 * a * dphi0;
  if (discriminant < 0.0) return no_minimizer;
  return (-b + std::sqrt(discriminant)) / (3.0 * a);
}

const char* to_string(LineSearchStatus status) {
  switch (status) {
    case LineSearchStatus::kSuccess:
      return "success";
    case LineSearchStatus::kSufficientDecreaseOnly:
      return "sufficient-decrease-only";
    case LineSearchStatus::kNotDescentDirection:
      return "not-descent-direction";
    case LineSearchStatus::kMaxEvaluations:
      return "max-evaluations";
    case LineSearchStatus::kStepTooSmall:
      return "step-too-small";
  }
  return "unknown";
}

LineSearchResult ArmijoLineSearch::search(LineFunction& function, double value, double slope,
                                          double initial_step) const {
  if (!(slope < 0.0) || !std::isfinite(slope) || !std::isfinite(value)) return not_descent(value, slope);
  const double c1 = options_.sufficient_decrease;
  double alpha = first_step(initial_step, options_.max_step);
  double previous_alpha = 0.0, previous_value = kNaN;
  int evaluations = 0;
  while (evaluations < options_.max_evaluations) {
    if (!(alpha > function.min_step())) {
      return finish(LineSearchStatus::kStepTooSmall, {alpha, value, slope}, false, evaluations,
                    string_printf("the step length shrank to %.6e without sufficient decrease", alpha));
    }
    // On a projected path a long step can bend into an ascent; shorter ones
    // follow the direction itself.
    const double change = function.linear_change(alpha, slope);
    if (!(change < 0.0)) {
      alpha *= 0.5;
      continue;
    }
    ++evaluations;
    double trial = kInfinity;
    const bool ok = function.evaluate(alpha, &trial, nullptr);
    if (ok && trial <= value + c1 * change && trial < value) {
      return finish(LineSearchStatus::kSuccess, {alpha, trial, 0.0}, false, evaluations);
    }
    double next =
        ok ? backtracking_interpolate(value, slope, alpha, trial, previous_alpha, previous_value, kNaN) : kNaN;
    if (!std::isfinite(next)) next = 0.5 * alpha;
    if (ok) {
      previous_alpha = alpha;
      previous_value = trial;
    }
    alpha = std::clamp(next, 0.1 * alpha, 0.5 * alpha);
  }
  return finish(LineSearchStatus::kMaxEvaluations, {alpha, value, slope}, false, evaluations,
                string_printf("no sufficient decrease in %d evaluations (last step length tried %.6e)", evaluations,
                              previous_alpha));
}

LineSearchResult StrongWolfeLineSearch::search(LineFunction& function, double value, double slope,
                                               double initial_step) const {
  if (!(slope < 0.0) || !std::isfinite(slope) || !std::isfinite(value)) return not_descent(value, slope);
  const double c1 = options_.sufficient_decrease;
  const double curvature_limit = -options_.curvature * slope;  // |phi'(a)| at most this
  int evaluations = 0;
  auto sufficient = [&](const Sample& s) { return s.value <= value + c1 * s.step * slope && s.value < value; };
  auto noise = [](double v) { return 4.0 * kEpsilon * std::abs(v); };
  auto evaluate = [&](double step, Sample* s) {
    ++evaluations;
    s->step = step;
    const bool ok = function.evaluate(step, &s->value, &s->derivative);
    if (!ok) s->value = s->derivative = kInfinity;
    return ok;
  };

  // Zoom (Algorithm 3.6): lo satisfies sufficient decrease and has the lowest
  // value seen among such points; phi'(lo) (hi - lo) < 0, so [lo, hi] holds a
  // strong Wolfe point. hi may be a point that cannot be evaluated.
  auto zoom = [&](Sample lo, Sample hi) -> LineSearchResult {
    while (evaluations < options_.max_evaluations) {
      const double left = std::min(lo.step, hi.step), right = std::max(lo.step, hi.step);
      const double width = right - left;
      if (width <= 4.0 * kEpsilon * right || right <= function.min_step()) break;
      double trial_step = kNaN;
      if (std::isfinite(hi.value) && std::isfinite(hi.derivative)) {
        trial_step = cubic_minimizer(lo, hi);
      } else if (std::isfinite(hi.value)) {
        trial_step = quadratic_minimizer(lo, hi);
      }
      // Keep the trial inside the bracket and a tenth of it from either end,
      // so the bracket shrinks by at least that much every time; bisect when
      // the model has nothing to say (hi not evaluable, no minimizer).
      if (!std::isfinite(trial_step)) trial_step = 0.5 * (left + right);
      trial_step = std::clamp(trial_step, left + 0.1 * width, right - 0.1 * width);
      Sample trial;
      if (!evaluate(trial_step, &trial)) {
        hi = trial;
        continue;
      }
      // Near a minimizer phi is flat to rounding, and values no longer order
      // the points; within that noise the derivative decides, as below.
      if (!sufficient(trial) || trial.value > lo.value + noise(lo.value)) {
        hi = trial;
        continue;
      }
      if (std::abs(trial.derivative) <= curvature_limit) {
        return finish(LineSearchStatus::kSuccess, trial, true, evaluations);
      }
      if (trial.derivative * (hi.step - lo.step) >= 0.0) hi = lo;
      lo = trial;
    }
    if (lo.step > 0.0) {
      return finish(LineSearchStatus::kSufficientDecreaseOnly, lo, true, evaluations,
                    string_printf("the curvature condition |phi'| = %.6e <= %.6e was not met; step %.6e has sufficient "
                                  "decrease",
                                  std::abs(lo.derivative), curvature_limit, lo.step));
    }
    const bool collapsed = evaluations < options_.max_evaluations;
    return finish(collapsed ? LineSearchStatus::kStepTooSmall : LineSearchStatus::kMaxEvaluations, lo, true,
                  evaluations,
                  string_printf("no sufficient decrease in %d evaluations; the bracket shrank to [0, %.6e]",
                                evaluations, hi.step));
  };

  // Bracketing (Algorithm 3.5): grow the step until it overshoots a
  // minimizer of phi, or meets the strong Wolfe conditions outright.
  Sample previous{0.0, value, slope};
  double alpha = first_step(initial_step, options_.max_step);
  while (evaluations < options_.max_evaluations) {
    if (!(alpha > function.min_step())) {
      return finish(LineSearchStatus::kStepTooSmall, previous, true, evaluations,
                    string_printf("the initial step length %.6e does not move the point", alpha));
    }
    Sample current;
    if (!evaluate(alpha, &current)) return zoom(previous, current);
    // A trial so short that phi has not changed beyond rounding while phi'
    // is still steep (a first step scaled from a stalled last step, say)
    // shows no decrease only because the values cannot resolve it; zooming
    // into [0, alpha] would only shrink it further. The derivative says the
    // step is too short, so grow it; `previous` stays the last point with
    // sufficient decrease, as zoom needs.
    if (std::abs(current.value - value) <= noise(value) && current.derivative < -curvature_limit &&
        alpha < options_.max_step) {
      alpha = std::min(options_.max_step_expansion * alpha, options_.max_step);
      continue;
    }
    if (!sufficient(current) || (previous.step > 0.0 && current.value >= previous.value)) {
      return zoom(previous, current);
    }
    if (std::abs(current.derivative) <= curvature_limit) {
      return finish(LineSearchStatus::kSuccess, current, true, evaluations);
    }
    if (current.derivative >= 0.0) return zoom(current, previous);
    if (alpha >= options_.max_step) {
      return finish(LineSearchStatus::kSufficientDecreaseOnly, current, true, evaluations,
                    string_printf("phi still decreases at the largest step length allowed, %.6e", alpha));
    }
    // Extrapolate: the cubic's minimizer, kept between 1.1 times the last
    // interval beyond alpha (so the search makes progress) and
    // max_step_expansion times alpha (so it does not run off).
    const double lowest = alpha + 1.1 * (alpha - previous.step);
    const double highest = std::max(lowest, options_.max_step_expansion * alpha);
    double next = cubic_minimizer(previous, current);
    if (!std::isfinite(next) || next > highest) next = highest;
    next = std::min(std::max(next, lowest), options_.max_step);
    previous = current;
    alpha = next;
  }
  // The budget ran out while phi was still decreasing steeply: the last
  // point has sufficient decrease.
  if (previous.step > 0.0) {
    return finish(LineSearchStatus::kSufficientDecreaseOnly, previous, true, evaluations,
                  string_printf("the evaluation budget ran out while extrapolating (step %.6e)", previous.step));
  }
  return finish(LineSearchStatus::kMaxEvaluations, previous, true, evaluations, "no evaluations allowed");
}

std::unique_ptr<LineSearch> make_line_search(LineSearchType type, const LineSearchOptions& options) {
  if (type == LineSearchType::kArmijo) return std::make_unique<ArmijoLineSearch>(options);
  return std::make_unique<StrongWolfeLineSearch>(options);
}

}  // namespace curvature::internal
