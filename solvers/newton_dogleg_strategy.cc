// Dogleg on the dense Hessian (Nocedal and Wright, "Numerical Optimization",
// 2nd ed., section 4.1): the path from 0 to the Cauchy point
// p_U = -(g^T g / g^T B g) g and on to the Newton point p_N = -B^-1 g. B is H
// when H is positive definite; otherwise the modified Hessian H + tau I, tau
// raised from max(0, -min_i H_ii + beta) by doubling until Cholesky succeeds
// (N&W Algorithm 3.3, beta = 1e-3 max(max_ij |H_ij|, sqrt(eps))), so the
// path is always defined and descends. rho still uses the true model with H.
#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "newton_trust_region_strategy.h"

namespace curvature::internal {
namespace {

// Attempts at raising the shift tau of H + tau I before the model gives up.
constexpr int kMaxShiftAttempts = 80;

class Dogleg final : public NewtonTrustRegionStrategy {
 public:
  explicit Dogleg(const MinimizeOptions& options) : NewtonTrustRegionStrategy(options) {}
  const char* linear_solver_name() const override { return "dense-cholesky-dogleg"; }

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
        char shift[32];
        std::snprintf(shift, sizeof shift, "%.3e", shift_);
        *error =
            std::string("The dogleg model could not make the Hessian positive definite (last shift ") + shift + ").";
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

}  // namespace

std::unique_ptr<NewtonTrustRegionStrategy> make_newton_dogleg_strategy(const MinimizeOptions& options) {
  return std::make_unique<Dogleg>(options);
}

}  // namespace curvature::internal
