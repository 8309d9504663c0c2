// Newton's trust-region method for a general Objective (Nocedal and Wright,
// "Numerical Optimization", 2nd ed., chapters 4 and 7). At each point the
// quadratic model
//   m(p) = f + g^T p + 1/2 p^T H p,   |p| <= radius
// is minimized approximately, either by
//   * Steihaug-Toint truncated CG (kNewtonTrustRegionCg; N&W Algorithm 7.2):
//     only products H v, so it is Hessian-free — with a least-squares
//     objective's Gauss-Newton operator this is Newton-CG on J^T J;
//   * dogleg (kNewtonDogleg; N&W section 4.1) on the dense Hessian;
//   * or, instead of the constrained model, the damped one of
//     Levenberg-Marquardt (kLevenbergMarquardtCg): (H + lambda I) p = -g by
//     CG with lambda = |g| / radius, so |p| <= |g| / lambda = radius for a
//     positive semidefinite H (CG's iterates grow monotonically towards p);
//     the radius update below then is LM's damping update, lambda falling
//     by 2 after a good step and rising at least 4-fold after a bad one.
// The step is accepted when the reduction ratio
//   rho = (f(x) - f(x + p)) / (m(0) - m(p))
// exceeds min_relative_decrease; the radius shrinks to |p| / 4 when
// rho < 1/4 and doubles (up to max_trust_region_radius) when rho > 3/4 and
// the step reached the boundary. Every step has |p| <= radius (up to
// rounding in the last bit); each trace record carries the radius the step
// was computed for.
//
// The region is a sphere until a short step would end the solve; then,
// with MinimizeOptions::scaled_trust_region_check, it becomes the ellipsoid
// |D p| <= radius, D = diag(sqrt|H_ii|), and the iteration goes on (see
// RegionScale). The models are then minimized in q = D p, with the gradient
// D^-1 g and the Hessian D^-1 H D^-1; the radius measures |q|.
//
// Bounds are handled by projection, as in the least-squares trust-region
// loop: coordinates held at a bound by an outward gradient are fixed for the
// step (the model is minimized over the free ones), the trial point is
// projected onto the box, and rho compares the actual reduction with the
// model's prediction for the projected step. Projection only shortens the
// step componentwise, so the radius still bounds it, and as the radius
// shrinks the projected step becomes a projected steepest-descent step,
// whose predicted and actual reductions agree.
#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "general_minimizers.h"
#include "objective_context.h"

namespace curvature::internal {
namespace {

// A step below the parameter tolerance still counts when the model predicts
// at least this relative decrease of f (1e-6 and 1e-16 gave the same MGH
// results).
constexpr double kPromisedDecreaseToContinue = 1e-10;

// Below this radius no step can make progress in double precision.
constexpr double kMinTrustRegionRadius = 1e-32;
constexpr double kShrinkRatio = 0.25;
constexpr double kExpandRatio = 0.75;
// The largest forcing term of Steihaug-CG (see SteihaugCg).
constexpr double kMaxForcing = 0.01;
// The forcing term and iteration limit (per parameter) of the accurate solve
// that confirms a short step (SteihaugCg::compute_accurately).
constexpr double kAccurateForcing = 1e-10;
constexpr int kAccurateCgIterationsPerParameter = 2;
// Attempts at raising the shift tau of H + tau I before the dogleg model gives up.
constexpr int kMaxShiftAttempts = 80;

std::string format(const char* pattern, double a, double b = 0.0) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, a, b);
  return buffer;
}

void zero_fixed(const std::vector<char>& fixed, Eigen::VectorXd* v) {
  for (Eigen::Index i = 0; i < v->size(); ++i) {
    if (fixed[i]) (*v)[i] = 0.0;
  }
}

// The largest tau >= 0 with |z + tau d| = radius, for |z| <= radius.
double boundary_step(const Eigen::VectorXd& z, const Eigen::VectorXd& d, double radius) {
  const double a = d.squaredNorm();
  const double b = 2.0 * z.dot(d);
  const double c = std::min(z.squaredNorm() - radius * radius, 0.0);
  const double root = std::sqrt(b * b - 4.0 * a * c);
  // The two forms of the positive root, each free of cancellation on its side.
  return b > 0.0 ? -2.0 * c / (b + root) : (-b + root) / (2.0 * a);
}

// Rounding can leave a boundary step a few ulps outside; pull it in.
void clamp_to_radius(double radius, Eigen::VectorXd* p) {
  const double norm = p->norm();
  if (norm > radius) *p *= radius / norm;
}

struct ModelStep {
  Eigen::VectorXd p;
  double predicted = 0.0;  // m(0) - m(p)
  bool on_boundary = false;
  bool accurate = false;  // from compute_accurately()
  int iterations = 0;     // CG iterations (1 for dogleg)
};

// Approximate minimizer of the model inside the region, for one point and
// Hessian; compute() is called again with a smaller radius after a rejection.
class NewtonStepper {
 public:
  virtual ~NewtonStepper() = default;
  // False (with the reason) when no model can be formed at this point.
  virtual bool prepare(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
                       const std::vector<char>& fixed, std::string* error) = 0;
  virtual ModelStep compute(double radius) = 0;
  // The step again, solved as accurately as the method can: asked before a
  // step short enough to end the solve is taken as proof of convergence.
  virtual ModelStep compute_accurately(double radius) { return compute(radius); }
  // m(0) - m(p) for any step p that is zero on the fixed coordinates.
  double predicted_reduction(const Eigen::VectorXd& p) const {
    Eigen::VectorXd hp;
    hessian_->multiply(p, &hp);
    return -(gradient_.dot(p) + 0.5 * p.dot(hp));
  }
  virtual const char* name() const = 0;

 protected:
  // Keeps the model's operator and gradient (zeroed on the fixed coordinates).
  void store(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
             const std::vector<char>& fixed) {
    hessian_ = std::move(hessian);
    fixed_ = fixed;
    gradient_ = gradient;
    zero_fixed(fixed_, &gradient_);
  }

  std::unique_ptr<HessianOperator> hessian_;
  Eigen::VectorXd gradient_;  // zero on the fixed coordinates
  std::vector<char> fixed_;
};

// Truncated CG on (H + shift I) z = -g from z = 0, the fixed coordinates
// held at zero. It stops when |r| <= min(0.01, sqrt|g|) |g| (the forcing
// term that gives superlinear convergence, N&W (7.3)), after `limit`
// iterations, on non-positive curvature (then along that direction to the
// boundary), and, when `stop_at_boundary`, where an iterate would leave the
// region (then on the boundary). N&W cap the forcing term at 0.5, but far
// from a solution (|g| >= 1/4 in the units of f) that lets CG stop as soon
// as it has resolved the stiffest directions of an ill-conditioned Hessian:
// the step is then orders of magnitude shorter than the model's minimizer,
// and on problems such as Meyer's the iteration alternates such slivers with
// boundary steps until the parameter test mistakes one for convergence.
// Near a solution sqrt|g| is the smaller term, so the cap leaves the rate
// alone. predicted is m(0) - m(z) for the unshifted model, tracked along the
// way.
ModelStep truncated_cg(const HessianOperator& hessian, const Eigen::VectorXd& gradient, const std::vector<char>& fixed,
                       double shift, double radius, bool stop_at_boundary, int limit,
                       double max_forcing = kMaxForcing) {
  const Eigen::Index n = gradient.size();
  ModelStep step;
  Eigen::VectorXd z = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd r = gradient;  // g + (H + shift I) z
  Eigen::VectorXd d = -r;
  Eigen::VectorXd hd;
  const double g_norm = gradient.norm();
  const double tolerance = std::min(max_forcing, std::sqrt(g_norm)) * g_norm;
  double model = 0.0;  // m(z) - m(0) for H alone
  double rr = r.squaredNorm();
  // The model's change along d by t, from d^T (H + shift I) d.
  auto model_change = [&](double t, double rd, double dhd) {
    return t * rd + 0.5 * t * t * (dhd - shift * d.squaredNorm());
  };
  if (std::sqrt(rr) > tolerance) {
    for (int j = 0; j < limit; ++j) {
      ++step.iterations;
      hessian.multiply(d, &hd);
      if (shift != 0.0) hd += shift * d;
      zero_fixed(fixed, &hd);
      const double dhd = d.dot(hd);
      const double rd = r.dot(d);
      const double alpha = rr / dhd;
      if (!(dhd > 0.0) || (stop_at_boundary && (z + alpha * d).norm() >= radius)) {
        // Non-positive curvature: the model decreases without bound along d.
        // Or the next iterate leaves the region. Either way, to the boundary.
        const double tau = boundary_step(z, d, radius);
        z += tau * d;
        model += model_change(tau, rd, dhd);
        step.on_boundary = true;
        break;
      }
      z += alpha * d;
      model += model_change(alpha, rd, dhd);
      r += alpha * hd;
      const double rr_next = r.squaredNorm();
      if (std::sqrt(rr_next) <= tolerance) break;
      d = -r + (rr_next / rr) * d;
      rr = rr_next;
    }
  }
  if (step.on_boundary) clamp_to_radius(radius, &z);
  step.p = std::move(z);
  step.predicted = -model;
  return step;
}

// Steihaug-Toint CG (N&W Algorithm 7.2): truncated CG on H itself, stopping
// at the boundary.
class SteihaugCg final : public NewtonStepper {
 public:
  explicit SteihaugCg(int max_iterations) : max_iterations_(max_iterations) {}
  const char* name() const override { return "steihaug-cg"; }

  bool prepare(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
               const std::vector<char>& fixed, std::string* /*error*/) override {
    store(std::move(hessian), gradient, fixed);
    return true;
  }

  ModelStep compute(double radius) override {
    const int limit = max_iterations_ > 0 ? max_iterations_ : static_cast<int>(gradient_.size());
    return truncated_cg(*hessian_, gradient_, fixed_, 0.0, radius, true, limit);
  }

  ModelStep compute_accurately(double radius) override {
    const int n = static_cast<int>(gradient_.size());
    const int limit = std::max(max_iterations_ > 0 ? max_iterations_ : n, kAccurateCgIterationsPerParameter * n);
    ModelStep step = truncated_cg(*hessian_, gradient_, fixed_, 0.0, radius, true, limit, kAccurateForcing);
    step.accurate = true;
    return step;
  }

 private:
  int max_iterations_;
};

// Levenberg-Marquardt's damped step: truncated CG on H + lambda I with
// lambda = |g| / radius, which keeps |p| <= radius for a positive
// semidefinite H (CG's iterates grow monotonically towards the solution);
// rounding is clamped. The damping always shapes the step, so it counts as
// on the boundary: a good ratio doubles the radius (halves lambda).
class LevenbergCg final : public NewtonStepper {
 public:
  explicit LevenbergCg(int max_iterations) : max_iterations_(max_iterations) {}
  const char* name() const override { return "levenberg-cg"; }

  bool prepare(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
               const std::vector<char>& fixed, std::string* /*error*/) override {
    store(std::move(hessian), gradient, fixed);
    return true;
  }

  ModelStep compute(double radius) override {
    const double g_norm = gradient_.norm();
    if (g_norm == 0.0) {
      ModelStep step;
      step.p = Eigen::VectorXd::Zero(gradient_.size());
      return step;
    }
    const int limit = max_iterations_ > 0 ? max_iterations_ : static_cast<int>(gradient_.size());
    ModelStep step = truncated_cg(*hessian_, gradient_, fixed_, g_norm / radius, radius, false, limit);
    clamp_to_radius(radius, &step.p);
    step.predicted = predicted_reduction(step.p);
    step.on_boundary = true;
    return step;
  }

 private:
  int max_iterations_;
};

// Dogleg on the dense Hessian: the path from 0 to the Cauchy point
// p_U = -(g^T g / g^T B g) g and on to the Newton point p_N = -B^-1 g. B is H
// when H is positive definite; otherwise the modified Hessian H + tau I, tau
// raised from max(0, -min_i H_ii + beta) by doubling until Cholesky succeeds
// (N&W Algorithm 3.3, beta = 1e-3 max(max_ij |H_ij|, sqrt(eps))), so the
// path is always defined and descends. rho still uses the true model with H.
class Dogleg final : public NewtonStepper {
 public:
  const char* name() const override { return "dense-cholesky-dogleg"; }

  bool prepare(std::unique_ptr<HessianOperator> hessian, const Eigen::VectorXd& gradient,
               const std::vector<char>& fixed, std::string* error) override {
    store(std::move(hessian), gradient, fixed);
    const Eigen::Index n = gradient_.size();
    Eigen::MatrixXd h;
    if (!hessian_->dense(&h)) {
      *error = "kNewtonDogleg needs the dense Hessian, and this objective's Hessian operator cannot form it (n = " +
               std::to_string(n) + "); use kNewtonTrustRegionCg, which needs only Hessian-vector products.";
      return false;
    }
    if (h.rows() != n || h.cols() != n || !h.allFinite()) {
      *error = "The dense Hessian is not a finite " + std::to_string(n) + " x " + std::to_string(n) + " matrix.";
      return false;
    }
    // Fixed coordinates decouple: identity rows and columns, zero gradient.
    for (Eigen::Index i = 0; i < n; ++i) {
      if (!fixed_[i]) continue;
      h.row(i).setZero();
      h.col(i).setZero();
      h(i, i) = 1.0;
    }
    const double beta = 1e-3 * std::max(h.cwiseAbs().maxCoeff(), std::sqrt(std::numeric_limits<double>::epsilon()));
    const double min_diagonal = h.diagonal().minCoeff();
    shift_ = min_diagonal > 0.0 ? 0.0 : -min_diagonal + beta;
    Eigen::LLT<Eigen::MatrixXd> cholesky;
    for (int attempt = 0;; ++attempt) {
      if (attempt == kMaxShiftAttempts) {
        *error = "The dogleg model could not make the Hessian positive definite (last shift " + format("%.3e", shift_) +
                 ").";
        return false;
      }
      Eigen::MatrixXd shifted = h;
      shifted.diagonal().array() += shift_;
      cholesky.compute(shifted);
      if (cholesky.info() == Eigen::Success) {
        h = std::move(shifted);
        break;
      }
      shift_ = std::max(2.0 * shift_, beta);
    }
    newton_ = -cholesky.solve(gradient_);
    const double gg = gradient_.squaredNorm();
    const double gbg = gradient_.dot(h * gradient_);
    cauchy_ = gbg > 0.0 ? Eigen::VectorXd(-(gg / gbg) * gradient_) : Eigen::VectorXd::Zero(n);
    return newton_.allFinite() && cauchy_.allFinite();
  }

  ModelStep compute(double radius) override {
    ModelStep step;
    step.iterations = 1;
    const double g_norm = gradient_.norm();
    if (newton_.norm() <= radius) {
      step.p = newton_;
    } else if (cauchy_.norm() >= radius || g_norm == 0.0) {
      step.p = g_norm > 0.0 ? Eigen::VectorXd(-(radius / g_norm) * gradient_) : Eigen::VectorXd::Zero(gradient_.size());
      step.on_boundary = true;
    } else {
      const Eigen::VectorXd leg = newton_ - cauchy_;
      step.p = cauchy_ + boundary_step(cauchy_, leg, radius) * leg;
      step.on_boundary = true;
    }
    clamp_to_radius(radius, &step.p);
    step.predicted = predicted_reduction(step.p);
    return step;
  }

 private:
  Eigen::VectorXd newton_, cauchy_;
  double shift_ = 0.0;
};

// The Hessian in the scaled variables q = D p: D^-1 H D^-1.
class ScaledHessian final : public HessianOperator {
 public:
  ScaledHessian(std::unique_ptr<HessianOperator> hessian, Eigen::VectorXd inverse_scale)
      : hessian_(std::move(hessian)), inverse_scale_(std::move(inverse_scale)) {}
  int size() const override { return hessian_->size(); }
  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override {
    hessian_->multiply(inverse_scale_.cwiseProduct(v), y);
    *y = inverse_scale_.cwiseProduct(*y);
  }
  bool dense(Eigen::MatrixXd* hessian) const override {
    if (!hessian_->dense(hessian)) return false;
    *hessian = inverse_scale_.asDiagonal() * (*hessian) * inverse_scale_.asDiagonal();
    return true;
  }

 private:
  std::unique_ptr<HessianOperator> hessian_;
  Eigen::VectorXd inverse_scale_;
};

// The region's shape: the sphere (D = I) until start(), then
// D = diag(sqrt|H_ii|), refreshed from each new point's Hessian. Where
// H_ii is zero or not finite, D_ii keeps its previous value (1 at first):
// a coordinate without curvature information is left as the sphere had it.
// Scaling each coordinate by its curvature makes the region's radius a
// bound on the model's change per coordinate instead of on |p|, as Moré's
// scaling of Levenberg-Marquardt by the column norms of J does (for a
// least-squares objective, D is exactly those norms under the Gauss-Newton
// model). As the region's shape from the start it lost more MGH runs than
// it gained; as the second opinion on a short step it gained 3 to 7 runs
// for each of newton-cg, gn-cg and lm-cg and lost none.
class RegionScale {
 public:
  bool scaled() const { return scale_.size() > 0; }
  // Switches to the scaled region. Every diagonal given has the problem's size.
  void start(const Eigen::VectorXd& diagonal) {
    scale_ = Eigen::VectorXd::Ones(diagonal.size());
    update(diagonal);
  }
  void update(const Eigen::VectorXd& diagonal) {
    for (Eigen::Index i = 0; i < scale_.size(); ++i) {
      const double d = std::sqrt(std::abs(diagonal[i]));
      if (d > 0.0 && std::isfinite(d)) scale_[i] = d;
    }
  }
  // The model's gradient and Hessian in q = D p (unchanged for the sphere).
  void to_scaled(std::unique_ptr<HessianOperator>* hessian, Eigen::VectorXd* gradient) const {
    if (!scaled()) return;
    const Eigen::VectorXd inverse = scale_.cwiseInverse();
    *gradient = inverse.cwiseProduct(*gradient);
    *hessian = std::make_unique<ScaledHessian>(std::move(*hessian), inverse);
  }
  // q = D p into p, in place (nothing to do for the sphere).
  void step_from_scaled(Eigen::VectorXd* q) const {
    if (scaled()) q->array() /= scale_.array();
  }
  Eigen::VectorXd scaled_step(const Eigen::VectorXd& p) const {
    return scaled() ? Eigen::VectorXd(p.cwiseProduct(scale_)) : p;
  }
  // |D p|, the norm the radius bounds.
  double norm(const Eigen::VectorXd& p) const { return scaled() ? p.cwiseProduct(scale_).norm() : p.norm(); }

 private:
  Eigen::VectorXd scale_;  // D's diagonal; empty for the sphere
};

}  // namespace

void minimize_newton_trust_region(const MinimizeOptions& options, Objective& objective, Eigen::VectorXd* x,
                                  Summary* summary) {
  ObjectiveContext context(options, objective, summary);
  std::unique_ptr<NewtonStepper> stepper;
  if (options.method == MinimizerMethod::kNewtonDogleg) {
    stepper = std::make_unique<Dogleg>();
  } else if (options.method == MinimizerMethod::kLevenbergMarquardtCg) {
    stepper = std::make_unique<LevenbergCg>(options.max_cg_iterations);
  } else {
    stepper = std::make_unique<SteihaugCg>(options.max_cg_iterations);
  }
  summary->linear_solver = stepper->name();
  if (!context.begin(*x)) {
    context.finish(x);
    return;
  }

  double radius = options.initial_trust_region_radius;
  RegionScale region;
  // The Hessian's diagonal into *diagonal; false when the operator has none.
  // One of the wrong size is a bug in the objective, reported as such.
  auto diagonal_of = [&](const HessianOperator& hessian, Eigen::VectorXd* diagonal) {
    if (!hessian.diagonal(diagonal)) return false;
    if (diagonal->size() != context.x.size()) {
      throw Error(std::string("HessianOperator::diagonal: the objective '") + objective.name() +
                  "' returned a diagonal of size " + std::to_string(diagonal->size()) + ", expected " +
                  std::to_string(context.x.size()));
    }
    return true;
  };
  // The model at context.x from its Hessian; false (terminated) when none.
  auto form_model = [&](std::unique_ptr<HessianOperator> hessian) {
    if (!hessian) {
      context.terminate(TerminationType::kEvaluationFailure,
                        std::string("The objective '") + objective.name() +
                            "' gave no Hessian at the current point (f = " + format("%.6e", context.value) + ").");
      return false;
    }
    Stopwatch linear_clock;
    Eigen::VectorXd gradient = context.gradient;
    if (region.scaled()) {
      Eigen::VectorXd diagonal;
      if (diagonal_of(*hessian, &diagonal)) region.update(diagonal);
      region.to_scaled(&hessian, &gradient);
    }
    std::string error;
    const bool prepared = stepper->prepare(std::move(hessian), gradient, context.fixed_coordinates(), &error);
    summary->linear_solver_time_s += linear_clock.seconds();
    if (!prepared) {
      context.terminate(TerminationType::kLinearSolverFailure,
                        error.empty() ? "The trust-region model could not be formed." : error);
    }
    return prepared;
  };
  // Switches to the scaled region at context.x (see RegionScale); false
  // when the Hessian has no diagonal.
  auto start_scaled_region = [&]() {
    std::unique_ptr<HessianOperator> hessian = context.evaluate_hessian(context.x);
    Eigen::VectorXd diagonal;
    if (!hessian || !diagonal_of(*hessian, &diagonal)) return false;
    region.start(diagonal);
    summary->scaled_region_from_iteration = summary->iterations;
    // Afresh: the sphere's radius had shrunk to the short step, and
    // starting from that step's scaled length lost Osborne 1 from 100 x0.
    radius = options.initial_trust_region_radius;
    return form_model(std::move(hessian));
  };
  bool need_model = true;
  Eigen::VectorXd trial, trial_gradient;
  while (!context.terminated()) {
    if (context.gradient_tolerance_reached() || context.iteration_or_time_limit_reached()) break;
    Stopwatch iteration_clock;
    if (need_model) {
      if (!form_model(context.evaluate_hessian(context.x))) break;
      need_model = false;
    }

    IterationRecord record;
    record.iteration = summary->iterations + 1;
    record.trust_region_radius = radius;  // the radius this step was computed for
    Stopwatch linear_clock;
    // The stepper's step (in the scaled variables when the region is
    // scaled) as p, and the trial point x + p, projected into the bounds (p
    // and the prediction follow).
    auto make_trial = [&](ModelStep* step) {
      region.step_from_scaled(&step->p);
      trial = context.x + step->p;
      if (!context.has_bounds()) return;
      context.project(&trial);
      const Eigen::VectorXd projected = trial - context.x;
      if (projected != step->p) {
        step->p = projected;
        step->predicted = stepper->predicted_reduction(region.scaled_step(step->p));
      }
    };
    ModelStep step = stepper->compute(radius);
    make_trial(&step);
    if (!step.accurate && context.parameter_tolerance_would_be_reached(step.p.norm())) {
      // A truncated solve can stop with a sliver of the model's minimizer
      // (see truncated_cg); only an accurate step this short means convergence.
      const int iterations = step.iterations;
      step = stepper->compute_accurately(radius);
      step.iterations += iterations;
      make_trial(&step);
    }
    summary->linear_solver_time_s += linear_clock.seconds();
    record.linear_solver_iterations = step.iterations;
    summary->linear_solver_iterations += step.iterations;
    record.step_norm = step.p.norm();
    // A step this short ends the solve only when the model expects little
    // of it: on a badly scaled problem (Brown's, x* = (1e6, 2e-6)) the step
    // in the small coordinate is below the parameter test against |x| yet
    // the model promises, and the function delivers, a real decrease.
    const bool promises_decrease =
        step.predicted > kPromisedDecreaseToContinue * std::max(std::abs(context.value), 1e-300);
    if (!promises_decrease && context.parameter_tolerance_would_be_reached(record.step_norm)) {
      if (options.scaled_trust_region_check && !region.scaled()) {
        if (start_scaled_region()) continue;
        if (context.terminated()) break;
      }
      context.parameter_tolerance_reached(record.step_norm);
      break;  // nothing was tried
    }
    ++summary->iterations;

    double trial_value;
    const bool evaluated = context.evaluate(trial, &trial_value, &trial_gradient);
    const double actual = evaluated ? context.value - trial_value : -std::numeric_limits<double>::infinity();
    // A model that predicts no decrease is a step lost to rounding: count it
    // as a failure so that the region shrinks.
    const double ratio =
        evaluated && step.predicted > 0.0 ? actual / step.predicted : -std::numeric_limits<double>::infinity();
    record.relative_decrease = ratio;
    const bool accepted = ratio > options.min_relative_decrease;
    if (accepted) {
      context.swap_in(&trial, trial_value, &trial_gradient);  // both are refilled next iteration
      need_model = true;
      ++summary->accepted_steps;
      record.cost_change = actual;
    } else {
      ++summary->rejected_steps;
    }
    if (ratio < kShrinkRatio) {
      radius = kShrinkRatio * region.norm(step.p);
    } else if (ratio > kExpandRatio && step.on_boundary) {
      radius = std::min(2.0 * radius, options.max_trust_region_radius);
    }
    record.accepted = accepted;
    record.cost = context.value;
    record.gradient_max_norm = context.projected_gradient_norm();
    record.iteration_time_s = iteration_clock.seconds();
    context.record(record);
    if (context.terminated()) break;
    if (accepted && context.function_tolerance_reached(actual)) break;
    if (radius < kMinTrustRegionRadius) {
      context.terminate(
          TerminationType::kTrustRegionTooSmall,
          format("Trust region radius %.3e fell below %.0e: no step reduces f.", radius, kMinTrustRegionRadius));
    }
  }
  context.finish(x);
}

}  // namespace curvature::internal
