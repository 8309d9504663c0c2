// curvature/batch_options.h — the types of batch_solve() (batch_solve.h):
// how each fit runs (BatchOptions), the data of all fits (BatchData), what
// each fit ended with (BatchResult, BatchStatus).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace curvature {

// Why a fit stopped. The first three are convergence; the rest are not.
enum class BatchStatus {
  kGradientTolerance,   // max_j |projected gradient_j| <= gradient_tolerance
  kParameterTolerance,  // a step |dx| <= parameter_tolerance (|x| + parameter_tolerance) where the model could be
                        // evaluated
  kFunctionTolerance,   // an accepted step lowered the cost by <= function_tolerance * cost
  kMaxIterations,       // max_iterations steps were tried without meeting a test
  kDampingLimit,        // lambda grew past 1e32 without an acceptable step: no descent found
  kInvalidStart,        // the model returned false or a non-finite value at the start
};

// "gradient-tolerance", "parameter-tolerance", "function-tolerance",
// "max-iterations", "damping-limit", "invalid-start".
const char* to_string(BatchStatus status);

// True for the three convergence tests.
inline bool converged(BatchStatus status) {
  return status == BatchStatus::kGradientTolerance || status == BatchStatus::kParameterTolerance ||
         status == BatchStatus::kFunctionTolerance;
}

// What each fit minimizes (see batch_solve.h).
enum class BatchEstimator {
  kLeastSquares,       // 1/2 sum (w (f - y))^2
  kPoissonLikelihood,  // half the Poisson deviance, sum (f - y - y log(f / y)): photon counts y >= 0
};

// How each fit runs. The tolerances' defaults are those of Ceres Solver's
// TinySolver (and Solver::Options) so that the two are comparable.
struct BatchOptions {
  int max_iterations = 50;            // steps tried (accepted or not) per fit; >= 1
  double gradient_tolerance = 1e-10;  // absolute, on the max-norm of the (projected) gradient J^T r; >= 0
  double parameter_tolerance = 1e-8;  // relative step size; >= 0
  double function_tolerance = 1e-6;   // relative cost decrease of an accepted step; >= 0
  double initial_damping = 1e-3;      // lambda at the start, relative to diag(J^T J); > 0 and finite
  // Box bounds, the same for every fit: empty (none) or one entry per
  // parameter; -inf / +inf leave a side open. Starts outside the box are
  // projected onto it.
  std::vector<double> lower_bounds;  // per parameter, or empty
  std::vector<double> upper_bounds;  // per parameter, or empty
  // Also compute standard errors sqrt(diag((J^T J)^-1) * s^2) at the
  // solution, with s^2 = 2 cost / (m - n), m the fit's points and n the
  // parameters (NaN when m <= n or J^T J is singular). For the Poisson
  // likelihood: sqrt(diag(H^-1)) with H its Hessian approximation (the
  // Fisher information at the estimate), no s^2.
  bool standard_errors = false;
  // Least squares, or maximum likelihood for counts (Poisson noise: photon
  // counting); the latter needs y >= 0, no weights, and a model that stays
  // positive (a prediction f <= 0 is a rejected step).
  BatchEstimator estimator = BatchEstimator::kLeastSquares;
  int num_threads = 1;  // threads sharing the fits, the calling one included; in [1, kMaxThreads]
  // Evaluate four fits at once in SIMD lanes when the model allows it (see
  // the top of this file) and the fits share one grid. false: one by one.
  bool across_fits = true;
};

// The data of all fits. Fit k's observations are y[start_k, start_{k+1}).
struct BatchData {
  std::span<const double> y;  // the observations of all fits, one fit after another
  // The coordinates, kInputs numbers per point: either for every point
  // (kInputs * y.size() numbers), or one set shared by every fit
  // (kInputs * points_per_fit numbers; equal-size fits only).
  std::span<const double> x;
  std::span<const double> weights;  // empty: all 1; otherwise one per observation (e.g. 1/sigma)
  // > 0: every fit has this many points (y.size() must be a multiple of it).
  // 0: fit_starts says where each fit starts.
  int points_per_fit = 0;
  // With points_per_fit == 0: num_fits + 1 offsets into y, the first 0, the
  // last y.size(), none decreasing; every fit needs at least one point.
  std::span<const std::size_t> fit_starts;
};

// What each fit ended with; the parameters are written back in place.
struct BatchResult {
  std::vector<double> cost;             // final cost per fit (see BatchEstimator); NaN after an invalid start
  std::vector<int> iterations;          // steps tried, per fit
  std::vector<BatchStatus> status;      // why each fit stopped
  std::vector<double> standard_errors;  // num_fits x kNumParameters when asked for; empty otherwise

  int num_fits() const { return static_cast<int>(status.size()); }  // fits solved
  int num_converged() const;                                        // fits whose status is one of convergence
};

}  // namespace curvature
