// line_search.h — step lengths along a search direction.
//
// A line search sees the objective only through phi(alpha) = f(x(alpha)),
// where x(alpha) = x + alpha d, or P(x + alpha d) on a bound-constrained
// problem (the projected path). It looks for an alpha with
//   phi(alpha) <= phi(0) + c1 * g^T (x(alpha) - x)       (sufficient decrease)
// which on a straight ray reads phi(0) + c1 alpha phi'(0), with phi(alpha) <
// phi(0) strictly (rounding cannot pass for decrease), and, for strong
// Wolfe, also
//   |phi'(alpha)| <= c2 |phi'(0)|                          (curvature)
// (Nocedal and Wright, "Numerical Optimization", 2nd ed., chapter 3).
//
// Failures are results, not exceptions: a direction along which f does not
// decrease (phi'(0) >= 0), a budget of evaluations spent, or steps shrunk
// below what moves x. A trial point that cannot be evaluated, or where f is
// not finite, counts as infinitely bad: the step shrinks.
#pragma once

#include <memory>
#include <string>

#include "curvature/minimize.h"

namespace curvature::internal {

// phi along the path; what a line search evaluates.
class LineFunction {
 public:
  virtual ~LineFunction() = default;
  // phi(step) and, when `derivative` is not null, phi'(step). False when the
  // point cannot be evaluated or a value is not finite.
  virtual bool evaluate(double step, double* value, double* derivative) = 0;
  // g^T (x(step) - x): the first-order change of f along the path, against
  // which sufficient decrease is measured. step * phi'(0) on a straight ray;
  // a projected path bends, so it differs there.
  virtual double linear_change(double step, double slope) const { return step * slope; }
  // Steps at or below this no longer move x in floating point.
  virtual double min_step() const { return 0.0; }
};

enum class LineSearchStatus {
  kSuccess,                 // all the conditions of the search hold
  kSufficientDecreaseOnly,  // strong Wolfe: the budget ran out with sufficient decrease but not curvature
  kNotDescentDirection,     // phi'(0) >= 0 (or not finite): nothing tried
  kMaxEvaluations,          // no acceptable step within the budget
  kStepTooSmall,            // the step shrank below min_step() without sufficient decrease
};

const char* to_string(LineSearchStatus status);

struct LineSearchResult {
  LineSearchStatus status = LineSearchStatus::kMaxEvaluations;
  double step = 0.0;            // the step length found (0 on failure)
  double value = 0.0;           // phi(step)
  bool has_derivative = false;  // whether phi'(step) was evaluated (and the gradient with it)
  double derivative = 0.0;      // phi'(step) when has_derivative
  int evaluations = 0;          // calls of LineFunction::evaluate
  std::string message;          // on failure, why, with numbers

  // The step may be taken: sufficient decrease holds (kSuccess or
  // kSufficientDecreaseOnly).
  bool acceptable() const {
    return status == LineSearchStatus::kSuccess || status == LineSearchStatus::kSufficientDecreaseOnly;
  }
};

struct LineSearchOptions {
  double sufficient_decrease = 1e-4;  // c1 in (0, 1/2)
  double curvature = 0.9;             // c2 in (c1, 1); strong Wolfe only
  int max_evaluations = 30;
  // Strong Wolfe extrapolates by at most this factor per bracketing step...
  double max_step_expansion = 10.0;
  // ...and never beyond this step length.
  double max_step = 1e20;
};

class LineSearch {
 public:
  virtual ~LineSearch() = default;
  // Searches from phi(0) = value and phi'(0) = slope, trying initial_step
  // first. The slope must be negative, else kNotDescentDirection.
  virtual LineSearchResult search(LineFunction& function, double value, double slope, double initial_step) const = 0;
  virtual const char* name() const = 0;
};

// Backtracking from the initial step: each shorter trial minimizes the
// quadratic (first) or cubic (after) interpolating phi(0), phi'(0) and the
// values tried, safeguarded to [0.1, 0.5] of the previous step. Needs only
// values of phi. Works on projected paths.
class ArmijoLineSearch : public LineSearch {
 public:
  explicit ArmijoLineSearch(const LineSearchOptions& options) : options_(options) {}
  LineSearchResult search(LineFunction& function, double value, double slope, double initial_step) const override;
  const char* name() const override { return "armijo"; }

 private:
  LineSearchOptions options_;
};

// Bracketing, then zoom, with safeguarded cubic interpolation (Nocedal and
// Wright, Algorithms 3.5 and 3.6; the safeguards in the spirit of Moré and
// Thuente, 1994). Every trial evaluates phi and phi'. Straight rays only.
// While bracketing, a trial where phi equals phi(0) to rounding but phi' is
// still steeper than the curvature condition allows counts as too short, and
// the step grows.
class StrongWolfeLineSearch : public LineSearch {
 public:
  explicit StrongWolfeLineSearch(const LineSearchOptions& options) : options_(options) {}
  LineSearchResult search(LineFunction& function, double value, double slope, double initial_step) const override;
  const char* name() const override { return "strong-wolfe"; }

 private:
  LineSearchOptions options_;
};

// The next trial of a backtracking search (Nocedal and Wright, section
// 3.5): the minimizer of the cubic through phi(0), phi'(0), phi(a1) and
// phi(a2), or of the quadratic through the first three when a2 is absent
// (a2 <= 0, or phi(a2) not finite); `no_minimizer` when the model has none.
// Used by ArmijoLineSearch and by the Gauss-Newton search of solve().
double backtracking_interpolate(double phi0, double dphi0, double a1, double phi1, double a2, double phi2,
                                double no_minimizer);

std::unique_ptr<LineSearch> make_line_search(LineSearchType type, const LineSearchOptions& options);

}  // namespace curvature::internal
