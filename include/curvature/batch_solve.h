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
// chi^2 / 2). For photon counts, BatchOptions::estimator =
// kPoissonLikelihood minimizes instead half the Poisson deviance,
//   cost(p) = sum_i (f_i - y_i - y_i log(f_i / y_i))   (0 log 0 = 0),
// whose minimum is the maximum-likelihood estimate (Laurence & Chromy 2010;
// Gpufit's MLE estimator), by the same LM iteration with gradient
// sum (1 - y_i / f_i) df_i and Hessian approximation sum y_i / f_i^2 df_i
// df_i^T. The Jacobian comes from forward-mode automatic differentiation
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
// Several fits at once (SIMD across fits). A model that declares
//   static constexpr bool kVectorizable = true;
// is evaluated for lanes::kLanes fits (8 with AVX-512, else 4) in one pass,
// with T = Jet<lanes::Lanes, N> (batch_lanes.h), whenever the fits share one
// grid (points_per_fit > 0 and x shared); the iteration runs on vectors too,
// one fit per lane (batch_lane_fits.h), each lane taking the next fit when
// its fit is done. Such a model may use arithmetic and the functions listed
// in batch_lanes.h, but must not branch on T (a comparison of T does not
// compile with lanes) nor return false for some parameters only. Every
// operation is lane by lane, so a fit's result does not depend on the fits
// sharing the register with it, nor on the thread count; they may differ
// from the one-by-one path (BatchOptions::across_fits = false) in the last
// bits, since exp and log come from other kernels.
//
// Memory: batch_solve() reads the caller's observations and parameters in
// place and allocates, besides the results (16 bytes per fit, 8 more per
// parameter with standard errors), kLanes x points_per_fit doubles per
// thread for the interleaved observations; nothing per fit.
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
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

#include "curvature/batch_lane_fits.h"
#include "curvature/batch_lanes.h"
#include "curvature/batch_options.h"
#include "curvature/jet.h"

namespace curvature {

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
  const Matrix& jtj() const { return current_.jtj; }
  bool has_current() const { return current_.ok; }

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

// The standard errors of one fit from its final J^T J (for the Poisson
// likelihood its Fisher information) and cost (see BatchOptions); NaN where
// they do not exist.
template <int kN>
void write_standard_errors(const Eigen::Matrix<double, kN, kN>& jtj, double cost, bool has_current, int m,
                           BatchEstimator estimator, double* out) {
  using Vector = Eigen::Matrix<double, kN, 1>;
  using Matrix = Eigen::Matrix<double, kN, kN>;
  Vector errors = Vector::Constant(std::numeric_limits<double>::quiet_NaN());
  const Eigen::LLT<Matrix> llt(jtj);
  if (has_current && m > kN && llt.info() == Eigen::Success) {
    const Matrix inverse = llt.solve(Matrix::Identity());
    // Least squares: the residuals' variance estimated from the fit; the
    // Poisson likelihood knows it (the variance is the mean).
    const double variance = estimator == BatchEstimator::kPoissonLikelihood ? 1.0 : 2.0 * cost / (m - kN);
    errors = (inverse.diagonal() * variance).cwiseSqrt();
  }
  Eigen::Map<Vector>{out} = errors;
}

// One point's share of the cost, gradient and Hessian approximation, given
// the prediction f, the observation y and the weight w:
//   least squares      2 cost += (w (f - y))^2,  g += q df,  H += c df df^T
//                      with q = w^2 (f - y), c = w^2;
//   Poisson likelihood 2 cost += 2 (f - y - y log(f / y)) (the deviance;
//                      y log(f / y) = 0 for y = 0), q = 1 - y / f,
//                      c = y / f^2 (Gpufit's MLE: the expected Hessian at
//                      f = y, positive semi-definite everywhere).
// T is double or lanes::Lanes::Vector; for the likelihood a prediction
// f <= 0 makes the point unevaluable (the caller tests positive(f)).
template <BatchEstimator kEstimator, typename T>
struct PointShare {
  T twice_cost, q, c;
};
template <BatchEstimator kEstimator, typename T>
inline PointShare<kEstimator, T> point_share(T f, T y, T w) {
  if constexpr (kEstimator == BatchEstimator::kLeastSquares) {
    const T r = w * (f - y);
    const T c = w * w;
    return {r * r, c * (f - y), c};
  } else {
    const T ratio = y / f;
    T y_log;
    if constexpr (std::is_same_v<T, double>) {
      y_log = y > 0.0 ? y * std::log(f / y) : 0.0;
    } else {
      const T logs = lanes::log(lanes::Lanes(f / y)).v;
      y_log = y > 0.0 ? y * logs : T{};
    }
    return {2.0 * (f - y - y_log), 1.0 - ratio, ratio / f};
  }
}

template <int kN, int kInputs, BatchEstimator kEstimator, typename Model>
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
    if constexpr (kEstimator == BatchEstimator::kPoissonLikelihood) {
      if (!(value.a > 0.0)) return e;
    }
    const auto share = point_share<kEstimator>(value.a, y[i], w ? w[i] : 1.0);
    const Eigen::Matrix<double, kN, 1>& d = value.v;
    sum += share.twice_cost;
    e.g += share.q * d;
    // The lower triangle by hand: Eigen's triangular product update is an
    // out-of-line call per point, a fifth of a Gaussian fit's time.
    for (int c = 0; c < kN; ++c) {
      const double cd = share.c * d[c];
      for (int r2 = c; r2 < kN; ++r2) e.jtj(r2, c) += d[r2] * cd;
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
// T = Jet<Lanes, kN>: lane l holds its fit's parameters in p[.][l]; the
// observations are interleaved, y[i * kLanes + l] (and so the weights, or
// none).
template <int kN, int kInputs, BatchEstimator kEstimator, typename Model>
CURVATURE_BATCH_FLATTEN typename LaneFits<kN>::Evaluation evaluate_lanes(const Model& model,
                                                                         const typename LaneFits<kN>::Point& p,
                                                                         const double* x, const double* y,
                                                                         const double* w, int m) {
  using lanes::Lanes;
  using V = Lanes::Vector;
  using JetType = Jet<Lanes, kN>;
  constexpr int kL = lanes::kLanes;
  std::array<JetType, kN> jets;
  for (int j = 0; j < kN; ++j) {
    jets[j].a = Lanes(p[j]);
    jets[j].v[j] = Lanes(1.0);
  }
  V sum{};
  std::array<V, kN> g{};
  std::array<V, kN*(kN + 1) / 2> jtj{};  // the lower triangle, column by column
  lanes::Mask positive = sum == sum;     // all true
  bool ok = true;
  const auto accumulate = [&](const JetType& value, int i) {
    V yi, wi = Lanes(1.0).v;
    std::memcpy(&yi, y + std::size_t(i) * kL, sizeof(V));
    if (w) std::memcpy(&wi, w + std::size_t(i) * kL, sizeof(V));
    const V f = value.a.v;
    if constexpr (kEstimator == BatchEstimator::kPoissonLikelihood) positive &= f > 0.0;
    const auto share = point_share<kEstimator>(f, yi, wi);
    sum += share.twice_cost;
    for (int j = 0; j < kN; ++j) g[j] += share.q * value.v[j].v;
    int k = 0;
    for (int c = 0; c < kN; ++c) {
      const V cd = share.c * value.v[c].v;
      for (int r2 = c; r2 < kN; ++r2) jtj[k++] += value.v[r2].v * cd;
    }
  };
  // Two points per pass: their evaluations are independent chains (exp,
  // division) that the core overlaps; the sums still run point by point.
  int i = 0;
  for (; i + 1 < m && ok; i += 2) {
    JetType first, second;
    ok = model(jets.data(), x + std::size_t(i) * kInputs, &first);
    ok = model(jets.data(), x + std::size_t(i + 1) * kInputs, &second) && ok;
    accumulate(first, i);
    accumulate(second, i + 1);
  }
  if (i < m && ok) {
    JetType value;
    ok = model(jets.data(), x + std::size_t(i) * kInputs, &value);
    accumulate(value, i);
  }
  typename LaneFits<kN>::Evaluation e;
  e.cost = 0.5 * sum;
  // x - x is 0 exactly when x is finite.
  e.ok = positive & ((e.cost - e.cost) == 0.0);
  int k = 0;
  for (int c = 0; c < kN; ++c) {
    e.g[c] = g[c];
    e.ok &= (g[c] - g[c]) == 0.0;
    for (int r2 = c; r2 < kN; ++r2) {
      e.jtj[r2][c] = e.jtj[c][r2] = jtj[k];
      e.ok &= (jtj[k] - jtj[k]) == 0.0;
      ++k;
    }
  }
  if (!ok) e.ok = lanes::Mask{};
  return e;
}

// Whether Model declares itself fit for evaluation across fits (see the top
// of this file).
template <typename Model>
concept VectorizableModel = requires {
  requires Model::kVectorizable;
};

// Every fit of `data`, with one estimator: kLanes fits at a time in SIMD
// lanes when the model allows it and the fits share one grid, otherwise one
// by one. Writes the estimates into `parameters` and the rest into `result`.
template <int kN, int kInputs, BatchEstimator kEstimator, typename Model>
void solve_fits(const Model& model, const BatchData& data, const BatchLayout& layout, const BatchOptions& options,
                const Eigen::Matrix<double, kN, 1>& lower, const Eigen::Matrix<double, kN, 1>& upper,
                std::span<double> parameters, BatchResult& result) {
  using Vector = Eigen::Matrix<double, kN, 1>;
  const auto record = [&](int k, const Vector& params, double cost, int iterations, BatchStatus status, const auto& jtj,
                          bool has_current) {
    Eigen::Map<Vector>{parameters.data() + std::size_t(k)* kN} = params;
    result.cost[k] = cost;
    result.iterations[k] = iterations;
    result.status[k] = status;
    if (options.standard_errors) {
      write_standard_errors<kN>(jtj, cost, has_current, layout.size(k), options.estimator,
                                result.standard_errors.data() + std::size_t(k) * kN);
    }
  };
  const auto start_of = [&](int k) {
    return Vector(Eigen::Map<const Vector>(parameters.data() + std::size_t(k) * kN).cwiseMax(lower).cwiseMin(upper));
  };

  if constexpr (VectorizableModel<Model>) {
    if (options.across_fits && layout.shared_x) {
      // kLanes lanes, each running one fit at a time and taking the next
      // fit of its thread's range as soon as its fit is done. A lane's
      // observations are copied, interleaved with the other lanes', when it
      // takes its fit, so that each point's kLanes observations are one load.
      constexpr int kL = lanes::kLanes;
      const int m = static_cast<int>(layout.points_per_fit);
      run_batch(layout.num_fits, options.num_threads, [&](int begin, int end) {
        LaneFits<kN> fits(options, lower, upper);
        // One allocation per thread, none per fit.
        std::vector<double> y(std::size_t(m) * kL, 0.0);
        std::vector<double> w(data.weights.empty() ? 0 : std::size_t(m) * kL, 1.0);
        std::array<int, kL> fit;
        fit.fill(-1);
        int next = begin;
        for (;;) {
          for (unsigned idle = ~fits.active_lanes() & ((1u << kL) - 1); idle != 0 && next < end; idle &= idle - 1) {
            const int l = std::countr_zero(idle);
            const int k = next++;
            fit[l] = k;
            fits.begin_fit(l, start_of(k));
            const std::size_t start = layout.start(k);
            for (int i = 0; i < m; ++i) y[std::size_t(i) * kL + l] = data.y[start + i];
            for (int i = 0; i < m && !w.empty(); ++i) w[std::size_t(i) * kL + l] = data.weights[start + i];
          }
          if (fits.active_lanes() == 0) break;
          fits.propose();
          if (fits.wants_evaluation()) {
            fits.absorb(evaluate_lanes<kN, kInputs, kEstimator>(model, fits.point(), data.x.data(), y.data(),
                                                                w.empty() ? nullptr : w.data(), m));
          }
          for (unsigned finished = fits.finished_lanes(); finished != 0; finished &= finished - 1) {
            const int l = std::countr_zero(finished);
            record(fit[l], fits.params(l), fits.cost(l), fits.iterations(l), fits.status(l), fits.jtj(l),
                   fits.has_current(l));
            fits.release(l);
          }
        }
      });
      return;
    }
  }

  run_batch(layout.num_fits, options.num_threads, [&](int begin, int end) {
    for (int k = begin; k < end; ++k) {
      const std::size_t start = layout.start(k);
      const double* x = data.x.data() + (layout.shared_x ? 0 : start * kInputs);
      const double* y = data.y.data() + start;
      const double* w = data.weights.empty() ? nullptr : data.weights.data() + start;
      const int m = layout.size(k);
      FitState<kN> state(options, lower, upper);
      const Vector start_point = start_of(k);
      state.start(start_point, evaluate_fit<kN, kInputs, kEstimator>(model, start_point, x, y, w, m));
      while (!state.done()) {
        if (state.propose()) state.conclude(evaluate_fit<kN, kInputs, kEstimator>(model, state.trial(), x, y, w, m));
      }
      record(k, state.params(), state.cost(), state.iterations(), state.status(), state.jtj(), state.has_current());
    }
  });
}

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
  using Vector = Eigen::Matrix<double, kNumParameters, 1>;
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
  if (options.estimator == BatchEstimator::kPoissonLikelihood) {
    internal::solve_fits<kNumParameters, kInputs, BatchEstimator::kPoissonLikelihood>(model, data, layout, options,
                                                                                      lower, upper, parameters, result);
  } else {
    internal::solve_fits<kNumParameters, kInputs, BatchEstimator::kLeastSquares>(model, data, layout, options, lower,
                                                                                 upper, parameters, result);
  }
  return result;
}

}  // namespace curvature
