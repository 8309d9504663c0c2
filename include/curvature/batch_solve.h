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
// Four fits at once (SIMD across fits). A model that declares
//   static constexpr bool kVectorizable = true;
// is evaluated for four fits in one pass, with T = Jet<lanes::Lanes, N>
// (batch_lanes.h), whenever the fits share one grid (points_per_fit > 0 and
// x shared); each fit still runs its own iteration, its lane taking the next
// fit when it is done. Such a model may use arithmetic and the functions
// listed in batch_lanes.h, but must not branch on T (a comparison of T does
// not compile with lanes) nor return false for some parameters only. Every
// operation is lane by lane, so a fit's result does not depend on the fits
// sharing the register with it, nor on the thread count;
// they may differ from the one-by-one path (BatchOptions::across_fits =
// false) in the last bits, since exp and log come from other kernels.
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

#include "curvature/batch_lanes.h"
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
  std::vector<double> lower_bounds;  // per parameter, or empty
  std::vector<double> upper_bounds;  // per parameter, or empty
  // Also compute standard errors sqrt(diag((J^T J)^-1) * s^2) at the
  // solution, with s^2 = 2 cost / (m - n), m the fit's points and n the
  // parameters (NaN when m <= n or J^T J is singular).
  bool standard_errors = false;
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
  std::vector<double> cost;             // final 1/2 sum (w (f - y))^2, per fit
  std::vector<int> iterations;          // steps tried, per fit
  std::vector<BatchStatus> status;      // why each fit stopped
  std::vector<double> standard_errors;  // num_fits x kNumParameters when asked for; empty otherwise

  int num_fits() const { return static_cast<int>(status.size()); }  // fits solved
  int num_converged() const;                                        // fits whose status is one of convergence
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

// One fit's Levenberg-Marquardt run as a state machine, so that one fit or
// kLanes fits in lock step run the same code: start() with the evaluation
// at the start, then, until done, propose() a trial point and, when it asks
// for one, conclude() with the evaluation there.
template <int kN>
class FitState {
 public:
  using Vector = Eigen::Matrix<double, kN, 1>;
  using Matrix = Eigen::Matrix<double, kN, kN>;

  struct Evaluation {
    bool ok = false;  // the model returned true and everything is finite
    double cost = 0.0;
    Matrix jtj;
    Vector g;
  };

  FitState(const BatchOptions& options, const Vector& lower, const Vector& upper)
      : options_(&options), lower_(&lower), upper_(&upper) {}

  // The start, projected onto the box.
  Vector projected(const double* p) const { return Eigen::Map<const Vector>(p).cwiseMax(*lower_).cwiseMin(*upper_); }

  void start(const Vector& params, const Evaluation& at_start) {
    params_ = params;
    if (!at_start.ok) return finish(BatchStatus::kInvalidStart);
    current_ = at_start;
    scale_ = current_.jtj.diagonal().cwiseMax(1e-12 * std::max(current_.jtj.diagonal().maxCoeff(), 1e-300));
    if (projected_gradient_norm() <= options_->gradient_tolerance) finish(BatchStatus::kGradientTolerance);
  }

  bool done() const { return done_; }
  BatchStatus status() const { return status_; }
  int iterations() const { return iterations_; }
  const Vector& params() const { return params_; }
  const Vector& trial() const { return trial_; }
  double cost() const { return current_.ok ? current_.cost : std::numeric_limits<double>::quiet_NaN(); }
  const Evaluation& current() const { return current_; }

  // One step tried: true when the trial point trial() needs an evaluation
  // (then conclude() with it); false when the step was settled without one.
  bool propose() {
    if (iterations_ >= options_->max_iterations) {
      finish(BatchStatus::kMaxIterations);
      return false;
    }
    ++iterations_;
    Matrix a = current_.jtj;
    a.diagonal() += lambda_ * scale_;
    // Parameters held at a bound by the gradient are left out of the
    // system (projected Newton, Bertsekas 1982): projecting a step that
    // moved them too would distort the others' step.
    Vector rhs = current_.g;
    for (int j = 0; j < kN; ++j) {
      if ((params_[j] <= (*lower_)[j] && current_.g[j] > 0.0) || (params_[j] >= (*upper_)[j] && current_.g[j] < 0.0)) {
        a.row(j).setZero();
        a.col(j).setZero();
        a(j, j) = 1.0;
        rhs[j] = 0.0;
      }
    }
    Vector step;
    if (!cholesky_solve(a, -rhs, &step) || !step.allFinite()) {
      reject();
      return false;
    }
    trial_ = (params_ + step).cwiseMax(*lower_).cwiseMin(*upper_);
    step = trial_ - params_;
    // A step that rounds away to nothing proves nothing (the model may fail
    // everywhere else), so it never counts as converging.
    tiny_ = step.norm() <= options_->parameter_tolerance * (params_.norm() + options_->parameter_tolerance) &&
            step.norm() > 0.0;
    // The model's predicted decrease for the (projected) step.
    predicted_ = -(current_.g.dot(step) + 0.5 * step.dot(current_.jtj * step));
    return true;
  }

  // The evaluation at trial(): the step is accepted or rejected.
  void conclude(const Evaluation& at_trial) {
    double gain = -1.0;
    if (at_trial.ok && predicted_ > 0.0) gain = (current_.cost - at_trial.cost) / predicted_;
    if (gain > 0.0) {
      const double decrease = current_.cost - at_trial.cost;
      params_ = trial_;
      current_ = at_trial;
      scale_ = scale_.cwiseMax(current_.jtj.diagonal());
      const double r = 2.0 * gain - 1.0;
      lambda_ *= std::max(1.0 / 3.0, 1.0 - r * r * r);
      nu_ = 2.0;
      if (projected_gradient_norm() <= options_->gradient_tolerance) return finish(BatchStatus::kGradientTolerance);
      if (tiny_) return finish(BatchStatus::kParameterTolerance);
      if (decrease <= options_->function_tolerance * (current_.cost + decrease)) {
        return finish(BatchStatus::kFunctionTolerance);
      }
      return;
    }
    // A step too small to matter that does not lower the cost: nothing left
    // to gain at this scale. A step the model could not evaluate proves
    // nothing, so the damping grows instead.
    if (tiny_ && at_trial.ok) return finish(BatchStatus::kParameterTolerance);
    reject();
  }

  // sqrt(diag((J^T J)^-1) * 2 cost / (m - n)), NaN when m <= n or J^T J is
  // singular.
  void write_standard_errors(int m, double* out) const {
    Vector errors = Vector::Constant(std::numeric_limits<double>::quiet_NaN());
    const Eigen::LLT<Matrix> llt(current_.jtj);
    if (current_.ok && m > kN && llt.info() == Eigen::Success) {
      const Matrix inverse = llt.solve(Matrix::Identity());
      errors = (inverse.diagonal() * (2.0 * current_.cost / (m - kN))).cwiseSqrt();
    }
    Eigen::Map<Vector>{out} = errors;
  }

 private:
  static constexpr double kMaxDamping = 1e32;

  // Solves a x = b for symmetric a by Cholesky's factorization, unrolled
  // for the small fixed size (Eigen's LLT is an out-of-line call, a sixth of
  // a 2-parameter fit's time); false unless a is numerically positive
  // definite.
  static bool cholesky_solve(Matrix a, const Vector& b, Vector* x) {
    for (int j = 0; j < kN; ++j) {
      double d = a(j, j);
      for (int k = 0; k < j; ++k) d -= a(j, k) * a(j, k);
      if (!(d > 0.0)) return false;
      a(j, j) = std::sqrt(d);
      for (int i = j + 1; i < kN; ++i) {
        double v = a(i, j);
        for (int k = 0; k < j; ++k) v -= a(i, k) * a(j, k);
        a(i, j) = v / a(j, j);
      }
    }
    for (int i = 0; i < kN; ++i) {  // L z = b
      double v = b[i];
      for (int k = 0; k < i; ++k) v -= a(i, k) * (*x)[k];
      (*x)[i] = v / a(i, i);
    }
    for (int i = kN - 1; i >= 0; --i) {  // L^T x = z
      double v = (*x)[i];
      for (int k = i + 1; k < kN; ++k) v -= a(k, i) * (*x)[k];
      (*x)[i] = v / a(i, i);
    }
    return true;
  }

  void finish(BatchStatus status) {
    done_ = true;
    status_ = status;
  }
  void reject() {
    lambda_ *= nu_;
    nu_ *= 2.0;
    if (!(lambda_ <= kMaxDamping)) finish(BatchStatus::kDampingLimit);
  }
  // max_j |P(p - g)_j - p_j|: the gradient's max-norm where no bound is
  // active, what can still move where one is.
  double projected_gradient_norm() const {
    return ((params_ - current_.g).cwiseMax(*lower_).cwiseMin(*upper_) - params_).cwiseAbs().maxCoeff();
  }

  const BatchOptions* options_;
  const Vector* lower_;
  const Vector* upper_;
  Vector params_ = Vector::Zero();
  Vector trial_ = Vector::Zero();
  Vector scale_ = Vector::Ones();
  Evaluation current_;
  double lambda_ = options_->initial_damping;
  double nu_ = 2.0;
  double predicted_ = 0.0;
  bool tiny_ = false;
  int iterations_ = 0;
  bool done_ = false;
  BatchStatus status_ = BatchStatus::kMaxIterations;
};

// Cost, J^T J and J^T r of one fit at p, summed point by point from jets.
// flatten: every call inside, the model's and the jets' operators included,
// is inlined; left to itself the compiler calls the jet operators out of
// line, passing 100-200-byte jets through memory (a third of the time).
#if defined(__GNUC__)
#define CURVATURE_BATCH_FLATTEN __attribute__((flatten))
#else
#define CURVATURE_BATCH_FLATTEN
#endif

template <int kN, int kInputs, typename Model>
CURVATURE_BATCH_FLATTEN typename FitState<kN>::Evaluation evaluate_fit(const Model& model,
                                                                       const Eigen::Matrix<double, kN, 1>& p,
                                                                       const double* x, const double* y,
                                                                       const double* w, int m) {
  using JetType = Jet<double, kN>;
  typename FitState<kN>::Evaluation e;
  std::array<JetType, kN> jets;
  for (int j = 0; j < kN; ++j) {
    jets[j].a = p[j];
    jets[j].v[j] = 1.0;
  }
  double sum = 0.0;
  e.jtj.setZero();
  e.g.setZero();
  for (int i = 0; i < m; ++i) {
    JetType value;
    if (!model(jets.data(), x + std::size_t(i) * kInputs, &value)) return e;
    const double weight = w ? w[i] : 1.0;
    const double r = weight * (value.a - y[i]);
    const Eigen::Matrix<double, kN, 1> d = weight * value.v;
    sum += r * r;
    e.g += r * d;
    // The lower triangle by hand: Eigen's triangular product update is an
    // out-of-line call per point, a fifth of a Gaussian fit's time.
    for (int c = 0; c < kN; ++c) {
      for (int r2 = c; r2 < kN; ++r2) e.jtj(r2, c) += d[r2] * d[c];
    }
  }
  for (int c = 0; c < kN; ++c) {
    for (int r2 = c + 1; r2 < kN; ++r2) e.jtj(c, r2) = e.jtj(r2, c);
  }
  e.cost = 0.5 * sum;
  e.ok = std::isfinite(e.cost) && e.g.allFinite() && e.jtj.allFinite();
  return e;
}

// The same for kLanes fits on one shared grid x, in one pass with
// T = Jet<Lanes, kN>: fit l's parameters are p[l], its observations
// y[l][0, m), its weights w[l] (or none).
template <int kN, int kInputs, typename Model>
CURVATURE_BATCH_FLATTEN void evaluate_lanes(const Model& model,
                                            const std::array<Eigen::Matrix<double, kN, 1>, lanes::kLanes>& p,
                                            const double* x, const std::array<const double*, lanes::kLanes>& y,
                                            const std::array<const double*, lanes::kLanes>& w, int m,
                                            std::array<typename FitState<kN>::Evaluation, lanes::kLanes>* out) {
  using lanes::Lanes;
  using JetType = Jet<Lanes, kN>;
  std::array<JetType, kN> jets;
  for (int j = 0; j < kN; ++j) {
    jets[j].a = Lanes(p[0][j], p[1][j], p[2][j], p[3][j]);
    jets[j].v[j] = Lanes(1.0);
  }
  Lanes sum;
  std::array<Lanes, kN> g;
  std::array<Lanes, kN*(kN + 1) / 2> jtj;  // the lower triangle, column by column
  bool ok = true;
  for (int i = 0; i < m && ok; ++i) {
    JetType value;
    ok = model(jets.data(), x + std::size_t(i) * kInputs, &value);
    const Lanes yi(y[0][i], y[1][i], y[2][i], y[3][i]);
    Lanes weight(1.0);
    if (w[0]) weight = Lanes(w[0][i], w[1][i], w[2][i], w[3][i]);
    const Lanes r = weight * (value.a - yi);
    std::array<Lanes, kN> d;
    for (int j = 0; j < kN; ++j) d[j] = weight * value.v[j];
    sum += r * r;
    for (int j = 0; j < kN; ++j) g[j] += r * d[j];
    int k = 0;
    for (int c = 0; c < kN; ++c) {
      for (int r2 = c; r2 < kN; ++r2) jtj[k++] += d[r2] * d[c];
    }
  }
  for (int l = 0; l < lanes::kLanes; ++l) {
    typename FitState<kN>::Evaluation& e = (*out)[l];
    e.cost = 0.5 * sum[l];
    int k = 0;
    for (int c = 0; c < kN; ++c) {
      e.g[c] = g[c][l];
      for (int r2 = c; r2 < kN; ++r2) e.jtj(r2, c) = e.jtj(c, r2) = jtj[k++][l];
    }
    e.ok = ok && std::isfinite(e.cost) && e.g.allFinite() && e.jtj.allFinite();
  }
}

// Whether Model declares itself fit for evaluation across fits (see the top
// of this file).
template <typename Model>
concept VectorizableModel = requires {
  requires Model::kVectorizable;
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
  using State = internal::FitState<kNumParameters>;
  using Vector = typename State::Vector;
  const internal::BatchLayout layout = internal::check_batch(data, parameters, kNumParameters, kInputs, options);
  Vector lower = Vector::Constant(-std::numeric_limits<double>::infinity());
  Vector upper = Vector::Constant(std::numeric_limits<double>::infinity());
  if (!options.lower_bounds.empty()) lower = Eigen::Map<const Vector>(options.lower_bounds.data());
  if (!options.upper_bounds.empty()) upper = Eigen::Map<const Vector>(options.upper_bounds.data());

  BatchResult result;
  result.cost.assign(layout.num_fits, 0.0);
  result.iterations.assign(layout.num_fits, 0);
  result.status.assign(layout.num_fits, BatchStatus::kMaxIterations);
  if (options.standard_errors) result.standard_errors.assign(std::size_t(layout.num_fits) * kNumParameters, 0.0);
  const auto record = [&](int k, const State& state) {
    Eigen::Map<Vector>{parameters.data() + std::size_t(k)* kNumParameters} = state.params();
    result.cost[k] = state.cost();
    result.iterations[k] = state.iterations();
    result.status[k] = state.status();
    if (options.standard_errors) {
      state.write_standard_errors(layout.size(k), result.standard_errors.data() + std::size_t(k) * kNumParameters);
    }
  };

  if constexpr (internal::VectorizableModel<Model>) {
    if (options.across_fits && layout.shared_x) {
      // Four lanes, each running one fit at a time and taking the next fit
      // of its thread's range as soon as its fit is done. Every operation
      // is lane by lane, so a fit's result does not depend on which fits
      // share the register with it, nor on the thread count.
      constexpr int kLanes = lanes::kLanes;
      const int m = static_cast<int>(layout.points_per_fit);
      internal::run_batch(layout.num_fits, options.num_threads, [&](int begin, int end) {
        std::array<State, kLanes> states{State(options, lower, upper), State(options, lower, upper),
                                         State(options, lower, upper), State(options, lower, upper)};
        std::array<int, kLanes> fit{-1, -1, -1, -1};  // the fit in each lane; -1: none
        std::array<bool, kLanes> starting{};          // the lane's point is its fit's start
        std::array<Vector, kLanes> points;
        std::array<const double*, kLanes> y{}, w{};
        std::array<typename State::Evaluation, kLanes> evaluations;
        int next = begin;
        for (;;) {
          std::array<bool, kLanes> asked{};
          int first = -1;  // a lane with a point to evaluate
          for (int l = 0; l < kLanes; ++l) {
            if (fit[l] < 0 && next < end) {
              const int k = next++;
              fit[l] = k;
              states[l] = State(options, lower, upper);
              points[l] = states[l].projected(parameters.data() + std::size_t(k) * kNumParameters);
              y[l] = data.y.data() + layout.start(k);
              w[l] = data.weights.empty() ? nullptr : data.weights.data() + layout.start(k);
              starting[l] = true;
              asked[l] = true;
            } else if (fit[l] >= 0) {
              starting[l] = false;
              asked[l] = states[l].propose();
              if (asked[l]) points[l] = states[l].trial();
            }
            if (asked[l] && first < 0) first = l;
          }
          if (first >= 0) {
            for (int l = 0; l < kLanes; ++l) {
              if (!asked[l]) {  // idle lanes evaluate a finite point on valid data
                points[l] = points[first];
                y[l] = y[first];
                w[l] = w[first];
              }
            }
            internal::evaluate_lanes<kNumParameters, kInputs>(model, points, data.x.data(), y, w, m, &evaluations);
          }
          bool busy = next < end;
          for (int l = 0; l < kLanes; ++l) {
            if (fit[l] < 0) continue;
            if (asked[l]) {
              if (starting[l]) {
                states[l].start(points[l], evaluations[l]);
              } else {
                states[l].conclude(evaluations[l]);
              }
            }
            if (states[l].done()) {
              record(fit[l], states[l]);
              fit[l] = -1;
            } else {
              busy = true;
            }
          }
          if (!busy) break;
        }
      });
      return result;
    }
  }

  internal::run_batch(layout.num_fits, options.num_threads, [&](int begin, int end) {
    for (int k = begin; k < end; ++k) {
      const std::size_t start = layout.start(k);
      const double* x = data.x.data() + (layout.shared_x ? 0 : start * kInputs);
      const double* y = data.y.data() + start;
      const double* w = data.weights.empty() ? nullptr : data.weights.data() + start;
      const int m = layout.size(k);
      State state(options, lower, upper);
      const Vector start_point = state.projected(parameters.data() + std::size_t(k) * kNumParameters);
      state.start(start_point, internal::evaluate_fit<kNumParameters, kInputs>(model, start_point, x, y, w, m));
      while (!state.done()) {
        if (state.propose()) {
          state.conclude(internal::evaluate_fit<kNumParameters, kInputs>(model, state.trial(), x, y, w, m));
        }
      }
      record(k, state);
    }
  });
  return result;
}

}  // namespace curvature
