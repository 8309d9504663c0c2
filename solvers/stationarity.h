// stationarity.h — when a relative termination test (function or parameter
// tolerance) may claim convergence, and when iterates have diverged.
//
// A relative test says the method has stopped making progress; it says
// nothing about where. Gauss-Newton once stopped on the parameter tolerance
// at |x| = 1.3e62 (a relative step below 1e-14 of an enormous |x|), and
// first-order methods stop on a relative change below 1e-16 far from any
// minimum. So a relative test claims convergence only where the point is
// near a stationary one, measured without regard to the scaling of the
// parameters and of the values; elsewhere the run ends as stalled.
#pragma once

namespace curvature::internal {

// Least squares: max_i |J_i^T r| / (|J_i| |r|), the largest cosine between a
// Jacobian column and the residual vector (MINPACK's gtol measure), at most
// this near a stationary point. The NIST and MGH sweep
// (tests/stationarity_sweep_test.cc) holds every run that claims
// convergence to the same bound.
inline constexpr double kStationaryScaledGradient = 1e-4;
// Near a zero-residual minimum r ~ J (x - x*) keeps its angle with the
// columns down to the last bit, so the angle proves nothing there; a
// residual vector within the rounding of evaluating it,
//   |r| <= kResidualRounding * eps * sqrt(m) * sum_i |J_i| |x_i|,
// counts as zero (the scaled gradient is then 0).
inline constexpr double kResidualRounding = 64.0;

// Iterates whose largest coordinate exceeds this many times the start's
// (or 1, whichever is larger) have run off towards infinity: the run ends as
// diverged. No NIST or MGH minimizer lies anywhere near so far out; the
// divergent runs it catches had reached 1e62 and beyond.
inline constexpr double kDivergenceFactor = 1e30;

}  // namespace curvature::internal
