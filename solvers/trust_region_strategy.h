// trust_region_strategy.h — the interface every trust-region strategy
// implements, for the one trust-region loop (trust_region_loop.h) that serves
// solve() (Levenberg-Marquardt, dogleg:
// least_squares_trust_region_strategy.h) and minimize() (Steihaug-Toint CG,
// Levenberg-CG, Newton dogleg: newton_trust_region_strategy.h).
//
// A strategy is a small state machine. The loop asks it for a step within
// radius(), tries the step, and reports the outcome with exactly one of
//   step_accepted(rho)  the trial point becomes the current one;
//   step_rejected(rho)  it does not, because rho is too low;
//   step_invalid()      no ratio exists: no step could be computed, or the
//                       trial point could not be evaluated;
// where rho = (actual reduction) / (model's predicted reduction)
// (reduction_ratio). How the radius (or the damping) follows from these
// calls is the strategy's own rule, stated in its file with named
// constants; the loop only decides acceptance (rho > min_relative_decrease)
// and when the radius is too small to go on.
#pragma once

#include <limits>

namespace curvature::internal {

class TrustRegionStrategy {
 public:
  virtual ~TrustRegionStrategy() = default;

  virtual void step_accepted(double ratio) = 0;
  virtual void step_rejected(double ratio) = 0;
  virtual void step_invalid() = 0;

  // The radius the next step is computed for (for Levenberg-Marquardt:
  // 1 / lambda).
  virtual double radius() const = 0;
  // Levenberg-Marquardt's lambda; 0 for strategies without damping.
  virtual double damping() const { return 0.0; }
  // What computes the steps, for Summary::linear_solver.
  virtual const char* linear_solver_name() const = 0;
};

// rho = actual / predicted for a trial that was evaluated; -infinity when it
// was not, or when the model predicts no decrease at all: such a step is
// lost to rounding, and counting it as a failure makes the region shrink.
inline double reduction_ratio(bool evaluated, double actual, double predicted) {
  return evaluated && predicted > 0.0 ? actual / predicted : -std::numeric_limits<double>::infinity();
}

// How a tried step fared, by the loop's rule: a trial that could not be
// evaluated is invalid; one with rho > min_relative_decrease is accepted;
// any other is rejected. (The least-squares side may then still accept a
// rejected step whose predicted reduction is below the cost's noise; see
// accept_below_noise in trust_region_minimizer.cc.)
enum class StepOutcome { kAccepted, kRejected, kInvalid };

inline StepOutcome judge_step(bool evaluated, double ratio, double min_relative_decrease) {
  if (!evaluated) return StepOutcome::kInvalid;
  return ratio > min_relative_decrease ? StepOutcome::kAccepted : StepOutcome::kRejected;
}

// Tells the strategy the outcome, with the ratio it is to act on.
inline void report_step(TrustRegionStrategy& strategy, StepOutcome outcome, double ratio) {
  switch (outcome) {
    case StepOutcome::kAccepted:
      strategy.step_accepted(ratio);
      break;
    case StepOutcome::kRejected:
      strategy.step_rejected(ratio);
      break;
    case StepOutcome::kInvalid:
      strategy.step_invalid();
      break;
  }
}

}  // namespace curvature::internal
