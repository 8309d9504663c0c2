// curvature/batch_lane_fits.h — the Levenberg-Marquardt iteration of
// batch_solve() for kLanes fits at once, one fit per SIMD lane: the same
// steps as FitState (batch_solve.h) written on vectors, so that the damped
// normal equations, their Cholesky factorization, the bound handling and the
// acceptance tests of kLanes fits cost what one fit's cost. Used by
// batch_solve() when the model is evaluated across fits; an implementation
// detail, not part of the API.
//
// Why: a small fit's step is a chain of dependent divisions and square roots
// (the Cholesky factorization, the step's norm) that leaves the core idle
// while it waits; kLanes independent fits per instruction fill those waits,
// and for a 2-parameter model such bookkeeping was a third of the time.
//
// Every operation is lane by lane, so a fit's result depends neither on the
// fits sharing the register with it nor on the thread count. A lane that
// finishes its fit is handed the next one by the caller (begin_fit()).
#pragma once

#include <Eigen/Core>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

#include "curvature/batch_lanes.h"
#include "curvature/batch_options.h"

namespace curvature::internal {

template <int kN>
class LaneFits {
 public:
  using V = lanes::Lanes::Vector;
  using M = lanes::Mask;
  static constexpr int kL = lanes::kLanes;
  using Point = std::array<V, kN>;
  using Vector = Eigen::Matrix<double, kN, 1>;
  using Matrix = Eigen::Matrix<double, kN, kN>;

  // The model's cost, gradient and (approximate) Hessian in every lane.
  struct Evaluation {
    M ok{};  // the model returned true and the lane's numbers are finite
    V cost{};
    std::array<V, kN> g{};
    std::array<std::array<V, kN>, kN> jtj{};  // symmetric, both triangles filled
  };

  LaneFits(const BatchOptions& options, const Vector& lower, const Vector& upper) : options_(&options) {
    for (int j = 0; j < kN; ++j) {
      lower_[j] = splat(lower[j]);
      upper_[j] = splat(upper[j]);
    }
    for (int l = 0; l < kL; ++l) status_[l] = BatchStatus::kMaxIterations;
  }

  // Lane l takes a new fit starting at `start` (already inside the box);
  // the next point() of the lane is the start, and absorb() its evaluation.
  void begin_fit(int l, const Vector& start) {
    for (int j = 0; j < kN; ++j) p_[j][l] = start[j];
    lambda_[l] = options_->initial_damping;
    nu_[l] = 2.0;
    iterations_[l] = 0.0;
    set(starting_, l, true);
    set(active_, l, true);
    set(done_, l, false);
    set(has_current_, l, false);
    status_[l] = BatchStatus::kMaxIterations;
  }

  // One step tried in every running lane (not starting, not done): the
  // lanes whose step needs the model at trial() are asking(); the others
  // settled their step without it (a failed factorization, a lane that hit
  // max_iterations).
  void propose() {
    const M running = active_ & ~starting_ & ~done_;
    asking_ = M{};
    if (!any(running)) return;
    const M over = running & (iterations_ >= splat(double(options_->max_iterations)));
    finish(over, BatchStatus::kMaxIterations);
    const M proposing = running & ~over;
    if (!any(proposing)) return;
    iterations_ = select(proposing, iterations_ + 1.0, iterations_);

    // (J^T J + lambda D) with the parameters held at a bound by the
    // gradient taken out of the system (projected Newton; see FitState).
    std::array<std::array<V, kN>, kN> a = jtj_;
    std::array<V, kN> rhs = g_;
    for (int j = 0; j < kN; ++j) a[j][j] += lambda_ * scale_[j];
    for (int j = 0; j < kN; ++j) {
      const M held = ((p_[j] <= lower_[j]) & (g_[j] > 0.0)) | ((p_[j] >= upper_[j]) & (g_[j] < 0.0));
      if (!any(held)) continue;
      for (int k = 0; k < kN; ++k) {
        a[j][k] = select(held, V{}, a[j][k]);
        a[k][j] = select(held, V{}, a[k][j]);
      }
      a[j][j] = select(held, splat(1.0), a[j][j]);
      rhs[j] = select(held, V{}, rhs[j]);
    }
    // Cholesky's factorization in the lower triangle, then the two
    // triangular solves for -rhs; a lane whose matrix is not numerically
    // positive definite fails (its numbers run on as NaN, harmlessly).
    // The reciprocals of the diagonal are taken once: a division's latency
    // is paid kN times, not kN (kN + 3) / 2.
    M failed{};
    std::array<V, kN> inverse;
    for (int j = 0; j < kN; ++j) {
      V d = a[j][j];
      for (int k = 0; k < j; ++k) d -= a[j][k] * a[j][k];
      failed |= ~(d > 0.0);
      inverse[j] = 1.0 / lanes::sqrt(lanes::Lanes(d)).v;
      for (int i = j + 1; i < kN; ++i) {
        V v = a[i][j];
        for (int k = 0; k < j; ++k) v -= a[i][k] * a[j][k];
        a[i][j] = v * inverse[j];
      }
    }
    std::array<V, kN> step;
    for (int i = 0; i < kN; ++i) {
      V v = -rhs[i];
      for (int k = 0; k < i; ++k) v -= a[i][k] * step[k];
      step[i] = v * inverse[i];
    }
    for (int i = kN - 1; i >= 0; --i) {
      V v = step[i];
      for (int k = i + 1; k < kN; ++k) v -= a[k][i] * step[k];
      step[i] = v * inverse[i];
    }
    for (int j = 0; j < kN; ++j) failed |= ~finite(step[j]);
    reject(proposing & failed);
    asking_ = proposing & ~failed;

    V step_squared{}, p_norm{};
    for (int j = 0; j < kN; ++j) {
      trial_[j] = clamp(p_[j] + step[j], j);
      step[j] = trial_[j] - p_[j];
      step_squared += step[j] * step[j];
      p_norm += p_[j] * p_[j];
    }
    p_norm = lanes::sqrt(lanes::Lanes(p_norm)).v;
    const V ptol = splat(options_->parameter_tolerance);
    const V bound = ptol * (p_norm + ptol);
    // |step| <= ptol (|p| + ptol), squared (one square root fewer). A step
    // that rounds away to nothing proves nothing (see FitState).
    tiny_ = (step_squared <= bound * bound) & (step_squared > 0.0);
    V g_step{}, curvature{};
    for (int i = 0; i < kN; ++i) {
      g_step += g_[i] * step[i];
      V row{};
      for (int k = 0; k < kN; ++k) row += jtj_[i][k] * step[k];
      curvature += step[i] * row;
    }
    predicted_ = -(g_step + 0.5 * curvature);
  }

  // Where each lane wants the model: the start for a starting lane, the
  // trial point for an asking one, the current point otherwise (any finite
  // point will do for a lane whose result is not used).
  Point point() const {
    Point x;
    for (int j = 0; j < kN; ++j) x[j] = select(asking_, trial_[j], p_[j]);
    return x;
  }

  // The model's evaluation at point(): starting lanes start, asking lanes
  // accept or reject their step.
  void absorb(const Evaluation& e) {
    const M starting = active_ & starting_;
    const M asking = asking_;
    starting_ = M{};
    asking_ = M{};
    if (any(starting)) start(starting, e);
    if (any(asking)) conclude(asking, e);
  }

  // Whether point() needs the model this round.
  bool wants_evaluation() const { return any((active_ & starting_) | asking_); }

  // Bit l set for each lane that has a fit; for each lane whose fit is
  // done (and waits to be recorded and released).
  unsigned active_lanes() const { return lanes::bits(active_); }
  unsigned finished_lanes() const { return lanes::bits(active_ & done_); }
  void release(int l) { set(active_, l, false); }

  BatchStatus status(int l) const { return status_[l]; }
  int iterations(int l) const { return static_cast<int>(iterations_[l]); }
  Vector params(int l) const {
    Vector x;
    for (int j = 0; j < kN; ++j) x[j] = p_[j][l];
    return x;
  }
  double cost(int l) const { return lane(has_current_, l) ? cost_[l] : std::numeric_limits<double>::quiet_NaN(); }
  bool has_current(int l) const { return lane(has_current_, l); }
  Matrix jtj(int l) const {
    Matrix m;
    for (int i = 0; i < kN; ++i) {
      for (int k = 0; k < kN; ++k) m(i, k) = jtj_[i][k][l];
    }
    return m;
  }

 private:
  static constexpr double kMaxDamping = 1e32;

  static V splat(double s) { return lanes::Lanes(s).v; }
  static V select(M m, V a, V b) { return m ? a : b; }
  static bool any(M m) { return lanes::bits(m) != 0; }
  static bool lane(M m, int l) { return (lanes::bits(m) >> l) & 1u; }
  static void set(M& m, int l, bool value) { m[l] = value ? -1 : 0; }
  // x - x is 0 exactly when x is finite (NaN and infinities give NaN).
  static M finite(V x) { return (x - x) == 0.0; }
  static V abs(V x) { return select(x < 0.0, -x, x); }
  // std::max(lower, std::min(x, upper)) as Eigen's cwiseMax/cwiseMin do it.
  V clamp(V x, int j) const {
    const V above = select(x < lower_[j], lower_[j], x);
    return select(upper_[j] < above, upper_[j], above);
  }

  void finish(M lanes, BatchStatus status) {
    lanes &= ~done_;
    if (!any(lanes)) return;
    done_ |= lanes;
    for (unsigned b = lanes::bits(lanes); b != 0; b &= b - 1) status_[std::countr_zero(b)] = status;
  }
  void reject(M lanes) {
    if (!any(lanes)) return;
    lambda_ = select(lanes, lambda_ * nu_, lambda_);
    nu_ = select(lanes, nu_ * 2.0, nu_);
    finish(lanes & ~(lambda_ <= kMaxDamping), BatchStatus::kDampingLimit);
  }
  // max_j |P(p - g)_j - p_j|: the gradient where no bound is active, what
  // can still move where one is.
  V projected_gradient_norm() const {
    V norm{};
    for (int j = 0; j < kN; ++j) {
      const V moved = abs(clamp(p_[j] - g_[j], j) - p_[j]);
      norm = select(norm < moved, moved, norm);
    }
    return norm;
  }
  void take(M lanes, const Evaluation& e) {
    cost_ = select(lanes, e.cost, cost_);
    for (int i = 0; i < kN; ++i) {
      g_[i] = select(lanes, e.g[i], g_[i]);
      for (int k = 0; k < kN; ++k) jtj_[i][k] = select(lanes, e.jtj[i][k], jtj_[i][k]);
    }
  }

  void start(M starting, const Evaluation& e) {
    finish(starting & ~e.ok, BatchStatus::kInvalidStart);
    const M good = starting & e.ok;
    if (!any(good)) return;
    take(good, e);
    has_current_ |= good;
    V largest = splat(1e-300);
    for (int j = 0; j < kN; ++j) largest = select(largest < jtj_[j][j], jtj_[j][j], largest);
    const V floor = 1e-12 * largest;
    for (int j = 0; j < kN; ++j) {
      scale_[j] = select(good, select(jtj_[j][j] < floor, floor, jtj_[j][j]), scale_[j]);
    }
    finish(good & (projected_gradient_norm() <= options_->gradient_tolerance), BatchStatus::kGradientTolerance);
  }

  void conclude(M asking, const Evaluation& e) {
    const M measurable = asking & e.ok & (predicted_ > 0.0);
    const V decrease = cost_ - e.cost;
    const V gain = select(measurable, decrease / predicted_, splat(-1.0));
    const M accepted = asking & (gain > 0.0);
    if (any(accepted)) {
      for (int j = 0; j < kN; ++j) p_[j] = select(accepted, trial_[j], p_[j]);
      take(accepted, e);
      for (int j = 0; j < kN; ++j) {
        scale_[j] = select(accepted & (scale_[j] < jtj_[j][j]), jtj_[j][j], scale_[j]);
      }
      const V r = 2.0 * gain - 1.0;
      const V shrink = 1.0 - r * r * r;
      const V third = splat(1.0 / 3.0);
      lambda_ = select(accepted, lambda_ * select(third < shrink, shrink, third), lambda_);
      nu_ = select(accepted, splat(2.0), nu_);
      finish(accepted & (projected_gradient_norm() <= options_->gradient_tolerance), BatchStatus::kGradientTolerance);
      finish(accepted & tiny_, BatchStatus::kParameterTolerance);
      finish(accepted & (decrease <= options_->function_tolerance * (cost_ + decrease)),
             BatchStatus::kFunctionTolerance);
    }
    const M rejected = asking & ~accepted;
    if (any(rejected)) {
      // A step too small to matter that does not lower the cost: nothing
      // left to gain at this scale (unless the model failed there).
      finish(rejected & tiny_ & e.ok, BatchStatus::kParameterTolerance);
      reject(rejected & ~done_);
    }
  }

  const BatchOptions* options_;
  std::array<V, kN> lower_, upper_;
  std::array<V, kN> p_{}, trial_{}, g_{}, scale_{};
  std::array<std::array<V, kN>, kN> jtj_{};
  V cost_{}, lambda_{}, nu_{}, predicted_{}, iterations_{};
  M tiny_{}, starting_{}, asking_{}, active_{}, done_{}, has_current_{};
  std::array<BatchStatus, kL> status_;
};

}  // namespace curvature::internal
