// curvature/batch_solve.h — many small fits of one model at once: one curve
// per pixel (fluorescence lifetime, MRI relaxometry), one Gaussian per spot
// (localization microscopy), one decay per sensor channel. Each fit is a
// fixed-size Levenberg-Marquardt run that allocates nothing; the fits are
// shared among threads.
//
// The model is a functor evaluated at one data point, generic in T like an
// AutoDiffCostFunction's:
//
//   struct Exponential {                    // y = a exp(-k t)
//     template <typename T>
//     bool operator()(const T* p, const double* x, T* value) const {
//       using std::exp;
//       *value = p[0] * exp(-p[1] * x[0]);  // the prediction at x
//       return true;                        // false: cannot evaluate here
//     }
//   };
//
//   curvature::BatchData data;
//   data.y = y;                   // all fits' observations, one fit after another
//   data.x = t;                   // one time grid shared by every fit ...
//   data.points_per_fit = 64;     // ... of 64 points each
//   std::vector<double> p(2 * num_fits, ...);  // starts in, estimates out
//   curvature::BatchResult result = curvature::batch_solve<2>(Exponential{}, data, p);
//
// What is minimized, for each fit separately, is
//   cost(p) = 1/2 sum_i (w_i (f(p, x_i) - y_i))^2,
// with w_i = 1 unless BatchData::weights are given (w_i = 1/sigma_i makes it
// chi^2 / 2). The Jacobian comes from forward-mode automatic differentiation
// (Jet<double, kNumParameters>): J^T J and J^T r are summed point by point, so
// no Jacobian is stored, and the kNumParameters x kNumParameters normal
// equations live on the stack (fixed-size Eigen types).
//
// The iteration (per fit): LM with Marquardt's scaling, (J^T J + lambda D) dx =
// -J^T r with D = diag(J^T J) (each entry the largest seen so far, at least
// 1e-12 times the largest; as in MINPACK), lambda updated by Nielsen's rule
// (Madsen, Nielsen & Tingleff, "Methods for non-linear least squares
// problems", 2004, sec. 3.2). With bounds, parameters at a bound that the
// gradient pushes outwards are held for the step, every trial point is
// projected onto the box, and the gain ratio uses the projected step. A
// trial point where the model returns false or a non-finite value is a
// rejected step.
//
// Results do not depend on the number of threads: each fit runs the same
// arithmetic on whichever thread takes it.
//
// Errors: bad input (no fits, sizes that do not match, a NaN start, bounds
// with lower > upper, options out of range) throws curvature::Error naming
// the item before any fit runs. A fit that fails numerically is not an
// error: its status says so. An exception thrown by the model is rethrown on
// the calling thread (see thread_pool.h); the fits that had finished keep
// their results, the others their starts.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include "curvature/jet.h"

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
  std::vector<double> lower_bounds;
  std::vector<double> upper_bounds;
  // Also compute standard errors sqrt(diag((J^T J)^-1) * s^2) at the
  // solution, with s^2 = 2 cost / (m - n), m the fit's points and n the
  // parameters (NaN when m <= n or J^T J is singular).
  bool standard_errors = false;
  int num_threads = 1;  // threads sharing the fits, the calling one included; in [1, kMaxThreads]
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
  std::vector<double> cost;             // final 1/2 sum (w (f - y))^2, per fit
  std::vector<int> iterations;          // steps tried, per fit
  std::vector<BatchStatus> status;      // why each fit stopped
  std::vector<double> standard_errors;  // num_fits x kNumParameters when asked for; empty otherwise

  int num_fits() const { return static_cast<int>(status.size()); }
  int num_converged() const;  // fits whose status is one of convergence
};

namespace internal {

// Where each fit's data lies, once the input has been checked.
struct BatchLayout {
  int num_fits = 0;
  bool shared_x = false;
  std::size_t start(int fit) const { return starts.empty() ? std::size_t(fit) * points_per_fit : starts[fit]; }
  int size(int fit) const { return static_cast<int>(start(fit + 1) - start(fit)); }
  std::size_t points_per_fit = 0;
  std::span<const std::size_t> starts;
};

// Checks the options, data, starts and bounds (see the top of this file)
// and describes the layout; throws curvature::Error naming the item.
BatchLayout check_batch(const BatchData& data, std::span<const double> parameters, int num_parameters, int num_inputs,
                        const BatchOptions& options);

// Calls fit_range(begin, end) over disjoint ranges covering [0, num_fits) on
// num_threads threads (the calling one included).
void run_batch(int num_fits, int num_threads, const std::function<void(int begin, int end)>& fit_range);

// One fit, everything on the stack.
template <typename Model, int kN, int kInputs>
class BatchFit {
 public:
  using Vector = Eigen::Matrix<double, kN, 1>;
  using Matrix = Eigen::Matrix<double, kN, kN>;
  using JetType = Jet<double, kN>;

  BatchFit(const Model& model, const BatchOptions& options, const Vector& lower, const Vector& upper)
      : model_(model), options_(options), lower_(lower), upper_(upper) {}

  // Fits points [0, m) at x (kInputs each), y, w (null: 1) from p (kN
  // entries, overwritten with the estimate). Writes the cost, the steps
  // tried, the status and, when standard_errors is not null, kN standard
  // errors.
  void run(const double* x, const double* y, const double* w, int m, double* p, double* cost, int* iterations,
           BatchStatus* status, double* standard_errors) const {
    Vector params = Eigen::Map<const Vector>(p).cwiseMax(lower_).cwiseMin(upper_);
    Matrix jtj;
    Vector g;
    double f = 0.0;
    *iterations = 0;
    if (!evaluate(params, x, y, w, m, &f, &jtj, &g)) {
      *status = BatchStatus::kInvalidStart;
      *cost = std::numeric_limits<double>::quiet_NaN();
      if (standard_errors) std::fill(standard_errors, standard_errors + kN, std::numeric_limits<double>::quiet_NaN());
      return;
    }
    *status = iterate(x, y, w, m, &params, &f, &jtj, &g, iterations);
    Eigen::Map<Vector>{p} = params;
    *cost = f;
    if (standard_errors) write_standard_errors(jtj, f, m, standard_errors);
  }

 private:
  static constexpr double kMaxDamping = 1e32;

  BatchStatus iterate(const double* x, const double* y, const double* w, int m, Vector* params, double* f, Matrix* jtj,
                      Vector* g, int* iterations) const {
    if (projected_gradient_norm(*params, *g) <= options_.gradient_tolerance) return BatchStatus::kGradientTolerance;
    Vector scale = jtj->diagonal().cwiseMax(1e-12 * std::max(jtj->diagonal().maxCoeff(), 1e-300));
    double lambda = options_.initial_damping;
    double nu = 2.0;
    Matrix trial_jtj;
    Vector trial_g;
    while (*iterations < options_.max_iterations) {
      ++*iterations;
      Matrix a = *jtj;
      a.diagonal() += lambda * scale;
      // Parameters held at a bound by the gradient are left out of the
      // system (projected Newton, Bertsekas 1982): projecting a step that
      // moved them too would distort the others' step.
      Vector rhs = *g;
      for (int j = 0; j < kN; ++j) {
        if (((*params)[j] <= lower_[j] && (*g)[j] > 0.0) || ((*params)[j] >= upper_[j] && (*g)[j] < 0.0)) {
          a.row(j).setZero();
          a.col(j).setZero();
          a(j, j) = 1.0;
          rhs[j] = 0.0;
        }
      }
      const Eigen::LLT<Matrix> llt(a);
      Vector step = Vector::Zero();
      bool solved = llt.info() == Eigen::Success;
      if (solved) {
        step = -llt.solve(rhs);
        solved = step.allFinite();
      }
      double trial_f = 0.0;
      double gain = -1.0;
      bool evaluated = false;
      bool tiny = false;
      if (solved) {
        const Vector trial = (*params + step).cwiseMax(lower_).cwiseMin(upper_);
        step = trial - *params;
        // A step that rounds away to nothing proves nothing (the model may
        // fail everywhere else), so it never counts as converging.
        tiny = step.norm() <= options_.parameter_tolerance * (params->norm() + options_.parameter_tolerance) &&
               step.norm() > 0.0;
        // The model's predicted decrease for the (projected) step.
        const double predicted = -(g->dot(step) + 0.5 * step.dot(*jtj * step));
        evaluated = evaluate(trial, x, y, w, m, &trial_f, &trial_jtj, &trial_g);
        if (evaluated && predicted > 0.0) gain = (*f - trial_f) / predicted;
        if (gain > 0.0) {
          const double decrease = *f - trial_f;
          *params = trial;
          *f = trial_f;
          *jtj = trial_jtj;
          *g = trial_g;
          scale = scale.cwiseMax(jtj->diagonal());
          const double r = 2.0 * gain - 1.0;
          lambda *= std::max(1.0 / 3.0, 1.0 - r * r * r);
          nu = 2.0;
          if (projected_gradient_norm(*params, *g) <= options_.gradient_tolerance) {
            return BatchStatus::kGradientTolerance;
          }
          if (tiny) return BatchStatus::kParameterTolerance;
          if (decrease <= options_.function_tolerance * (*f + decrease)) return BatchStatus::kFunctionTolerance;
          continue;
        }
        // A step too small to matter that does not lower the cost: nothing
        // left to gain at this scale. A step the model could not evaluate
        // proves nothing, so the damping grows instead.
        if (tiny && evaluated) return BatchStatus::kParameterTolerance;
      }
      lambda *= nu;
      nu *= 2.0;
      if (!(lambda <= kMaxDamping)) return BatchStatus::kDampingLimit;
    }
    return BatchStatus::kMaxIterations;
  }

  // Cost, J^T J and J^T r at p; false when the model fails or anything is
  // not finite.
  bool evaluate(const Vector& p, const double* x, const double* y, const double* w, int m, double* f, Matrix* jtj,
                Vector* g) const {
    std::array<JetType, kN> jets;
    for (int j = 0; j < kN; ++j) {
      jets[j].a = p[j];
      jets[j].v[j] = 1.0;
    }
    double sum = 0.0;
    jtj->setZero();
    g->setZero();
    for (int i = 0; i < m; ++i) {
      JetType value;
      if (!model_(jets.data(), x + std::size_t(i) * kInputs, &value)) return false;
      const double weight = w ? w[i] : 1.0;
      const double r = weight * (value.a - y[i]);
      const Vector d = weight * value.v;
      sum += r * r;
      *g += r * d;
      // The lower triangle by hand: Eigen's triangular product update is an
      // out-of-line call per point, a fifth of a Gaussian fit's time.
      for (int c = 0; c < kN; ++c) {
        for (int r = c; r < kN; ++r) (*jtj)(r, c) += d[r] * d[c];
      }
    }
    for (int c = 0; c < kN; ++c) {
      for (int r = c + 1; r < kN; ++r) (*jtj)(c, r) = (*jtj)(r, c);
    }
    *f = 0.5 * sum;
    return std::isfinite(*f) && g->allFinite() && jtj->allFinite();
  }

  // max_j |P(p - g)_j - p_j|: the gradient's max-norm where no bound is
  // active, what can still move where one is.
  double projected_gradient_norm(const Vector& p, const Vector& g) const {
    return ((p - g).cwiseMax(lower_).cwiseMin(upper_) - p).cwiseAbs().maxCoeff();
  }

  static void write_standard_errors(const Matrix& jtj, double f, int m, double* out) {
    Vector errors = Vector::Constant(std::numeric_limits<double>::quiet_NaN());
    const Eigen::LLT<Matrix> llt(jtj);
    if (m > kN && llt.info() == Eigen::Success) {
      const Matrix inverse = llt.solve(Matrix::Identity());
      errors = (inverse.diagonal() * (2.0 * f / (m - kN))).cwiseSqrt();
    }
    Eigen::Map<Vector>{out} = errors;
  }

  const Model& model_;
  const BatchOptions& options_;
  Vector lower_;
  Vector upper_;
};

}  // namespace internal

// Fits `model` (see the top of this file) with kNumParameters parameters to
// every data set in `data`. `parameters` holds num_fits x kNumParameters
// starts (fit k's at [k * kNumParameters, (k + 1) * kNumParameters)) and
// receives the estimates. kInputs is the number of coordinates of a point
// (2 for a pixel (column, row)). Throws curvature::Error for bad input (see
// the top of this file).
template <int kNumParameters, int kInputs = 1, typename Model>
BatchResult batch_solve(const Model& model, const BatchData& data, std::span<double> parameters,
                        const BatchOptions& options = {}) {
  static_assert(kNumParameters > 0, "batch_solve: kNumParameters must be positive");
  static_assert(kInputs > 0, "batch_solve: kInputs must be positive");
  using Fit = internal::BatchFit<Model, kNumParameters, kInputs>;
  const internal::BatchLayout layout = internal::check_batch(data, parameters, kNumParameters, kInputs, options);
  typename Fit::Vector lower = Fit::Vector::Constant(-std::numeric_limits<double>::infinity());
  typename Fit::Vector upper = Fit::Vector::Constant(std::numeric_limits<double>::infinity());
  if (!options.lower_bounds.empty()) lower = Eigen::Map<const typename Fit::Vector>(options.lower_bounds.data());
  if (!options.upper_bounds.empty()) upper = Eigen::Map<const typename Fit::Vector>(options.upper_bounds.data());

  BatchResult result;
  result.cost.assign(layout.num_fits, 0.0);
  result.iterations.assign(layout.num_fits, 0);
  result.status.assign(layout.num_fits, BatchStatus::kMaxIterations);
  if (options.standard_errors) result.standard_errors.assign(std::size_t(layout.num_fits) * kNumParameters, 0.0);
  const Fit fit(model, options, lower, upper);
  internal::run_batch(layout.num_fits, options.num_threads, [&](int begin, int end) {
    for (int k = begin; k < end; ++k) {
      const std::size_t start = layout.start(k);
      const double* x = data.x.data() + (layout.shared_x ? 0 : start * kInputs);
      const double* w = data.weights.empty() ? nullptr : data.weights.data() + start;
      fit.run(x, data.y.data() + start, w, layout.size(k), parameters.data() + std::size_t(k) * kNumParameters,
              &result.cost[k], &result.iterations[k], &result.status[k],
              options.standard_errors ? result.standard_errors.data() + std::size_t(k) * kNumParameters : nullptr);
    }
  });
  return result;
}

}  // namespace curvature
