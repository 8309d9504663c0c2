// forcing_sequence.h — the forcing terms eta_k of an inexact Newton method:
// how accurately the k-th linear system is solved (|r| <= eta_k |r_0|).
// Internal.
//
// Far from the solution an accurate step is wasted work: the quadratic model
// it minimizes is only a rough guide there, so eta starts at eta_max (0.1
// by default, the constant Ceres Solver uses for the same purpose). Near the
// solution a loose step would cost outer iterations (with a constant eta the
// outer convergence is only linear), so eta falls with the gradient,
//
//   eta_k = clamp(sqrt(|g_k| / |g_0|), eta_min, eta_max),
//
// which gives eta_k = O(|g_k|^(1/2)) -> 0 and so superlinear convergence of
// the outer iteration (Dembo, Eisenstat and Steihaug, "Inexact Newton
// methods", SIAM J. Numer. Anal. 19, 1982; Nocedal and Wright, "Numerical
// Optimization", 2nd ed., theorem 7.2). The ratio to the starting gradient
// |g_0| makes it independent of the problem's scaling.
#pragma once

#include <algorithm>
#include <cmath>

namespace curvature::internal {

class ForcingSequence {
 public:
  ForcingSequence(double eta_max, double eta_min) : eta_max_(eta_max), eta_min_(std::min(eta_min, eta_max)) {}

  // The forcing term for the systems at a new point whose gradient has norm
  // gradient_norm; the first call fixes |g_0|.
  double next(double gradient_norm) {
    if (!(initial_gradient_norm_ > 0.0)) {
      initial_gradient_norm_ = gradient_norm;
      return eta_max_;
    }
    const double ratio = std::sqrt(gradient_norm / initial_gradient_norm_);
    if (!std::isfinite(ratio)) return eta_max_;
    return std::clamp(ratio, eta_min_, eta_max_);
  }

 private:
  double eta_max_;
  double eta_min_;
  double initial_gradient_norm_ = 0.0;
};

}  // namespace curvature::internal
