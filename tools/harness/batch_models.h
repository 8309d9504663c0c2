// batch_models.h — the models of curv bench batch, each a per-point functor
// in batch_solve()'s form (generic in T, so Ceres's jets work too), and the
// synthetic data sets they are fitted to:
//
//   gauss2d   a 2-D Gaussian spot on 11 x 11 pixels, 5 parameters
//             (amplitude, x0, y0, sigma, background), Poisson noise: the
//             standard single-molecule localization test. Starts from the
//             data: the brightest pixel minus the dimmest, the grid's
//             centre, sigma 1.5, the dimmest pixel.
//   gauss2d-5x5  the same on 5 x 5 pixels (sigma from 0.8 to 1.2, the
//             centre within half a pixel of the grid's).
//   biexp     a bi-exponential decay a1 exp(-k1 t) + a2 exp(-k2 t) on 128
//             time bins of 0.2, 4 parameters, Poisson noise (fluorescence
//             lifetime). Starts: each generating value times a factor drawn
//             from [0.8, 1.2].
//   misra1a   NIST StRD Misra1a's model b1 (1 - exp(-b2 x)) at its 14 x,
//             the certified values as the truth and Gaussian noise of the
//             certified residual standard deviation, from NIST's start 1.
//
// Every fit of a model has the same points (one shared grid) so that Ceres's
// TinySolver can take the residual count at compile time, its best case.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace curvature::bench {

template <int kSide>
struct Gaussian2dModel {
  static constexpr int kNumParameters = 5;
  static constexpr int kInputs = 2;  // pixel column, row
  static constexpr int kPoints = kSide * kSide;
  static constexpr bool kVectorizable = true;  // batch_solve may evaluate four fits at once
  template <typename T>
  bool operator()(const T* p, const double* x, T* value) const {
    using std::exp;
    const T dx = x[0] - p[1];
    const T dy = x[1] - p[2];
    *value = p[0] * exp(-(dx * dx + dy * dy) / (2.0 * p[3] * p[3])) + p[4];
    return true;
  }
};

struct BiExponentialModel {
  static constexpr int kNumParameters = 4;
  static constexpr int kInputs = 1;
  static constexpr int kPoints = 128;
  static constexpr bool kVectorizable = true;
  template <typename T>
  bool operator()(const T* p, const double* x, T* value) const {
    using std::exp;
    *value = p[0] * exp(-p[1] * x[0]) + p[2] * exp(-p[3] * x[0]);
    return true;
  }
};

struct Misra1aModel {
  static constexpr int kNumParameters = 2;
  static constexpr int kInputs = 1;
  static constexpr int kPoints = 14;
  static constexpr bool kVectorizable = true;
  template <typename T>
  bool operator()(const T* b, const double* x, T* value) const {
    using std::exp;
    *value = b[0] * (1.0 - exp(-b[1] * x[0]));
    return true;
  }
};

// Calls f.template operator()<Model>() for the named model; false when the
// name is unknown.
template <typename F>
bool visit_batch_model(const std::string& name, F&& f) {
  if (name == "gauss2d") return f.template operator()<Gaussian2dModel<11>>(), true;
  if (name == "gauss2d-5x5") return f.template operator()<Gaussian2dModel<5>>(), true;
  if (name == "biexp") return f.template operator()<BiExponentialModel>(), true;
  if (name == "misra1a") return f.template operator()<Misra1aModel>(), true;
  return false;
}

inline const std::vector<std::string>& batch_model_names() {
  static const std::vector<std::string> names{"gauss2d", "gauss2d-5x5", "biexp", "misra1a"};
  return names;
}

// A model's synthetic fits: one shared grid, fits x points observations.
struct BatchCase {
  std::string model;
  int num_fits = 0;
  int num_parameters = 0;
  int num_inputs = 0;
  int points_per_fit = 0;
  std::vector<std::string> parameter_names;
  std::vector<double> x;       // points_per_fit x num_inputs, shared by every fit
  std::vector<double> y;       // num_fits x points_per_fit
  std::vector<double> starts;  // num_fits x num_parameters
  std::vector<double> truth;   // num_fits x num_parameters, the generating values
};

// The data sets of `model` (see the top of this file), the same for a given
// seed on every machine (the generators are std::mt19937_64 with explicit
// transforms, not the standard's implementation-defined distributions).
// Throws curvature::Error for an unknown model.
BatchCase make_batch_case(const std::string& model, int num_fits, std::uint64_t seed);

// What one solver made of a BatchCase.
struct BatchRun {
  std::string solver;  // curvature-batch, ceres-tiny, ceres-problem
  double seconds = 0.0;
  std::vector<double> estimates;        // num_fits x num_parameters
  std::vector<char> converged;          // per fit
  std::vector<int> iterations;          // per fit: steps tried (accepted or not)
  std::vector<double> standard_errors;  // num_fits x num_parameters when asked for
};

// batch_solve() with default options (those of TinySolver) on `threads`;
// with `poisson`, the Poisson likelihood instead of least squares (solver
// "curvature-poisson"); with `standard_errors`, those too.
BatchRun run_curvature_batch(const BatchCase& batch, int threads, bool poisson = false, bool standard_errors = false);

}  // namespace curvature::bench
