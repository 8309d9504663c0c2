// curvature/autodiff_objective.h — a small scalar Objective from a templated
// functor, with exact gradient and Hessian by forward-mode automatic
// differentiation.
//
//   struct Rosenbrock {
//     template <typename T>
//     bool operator()(const T* x, T* f) const {
//       T a = 1.0 - x[0], b = x[1] - x[0] * x[0];
//       *f = a * a + 100.0 * b * b;
//       return true;  // false: f cannot be evaluated at x
//     }
//   };
//   curvature::AutoDiffObjective<Rosenbrock, 2> objective(Rosenbrock{});
//   curvature::MinimizeOptions options;
//   options.method = curvature::MinimizerMethod::kNewtonDogleg;
//   Eigen::VectorXd x(2); x << -1.2, 1.0;
//   curvature::minimize(options, objective, &x);
//
// How each quantity is computed (exact to rounding; no step sizes):
//   * value alone:   the functor with T = double;
//   * gradient:      one call with T = Jet<double, N>, each x_i seeded as
//                    independent variable i;
//   * Hessian:       one call with T = Jet<Jet<double, N>, N> (second-order
//                    forward mode): x_i = ((x_i, e_i), e_i), so the result's
//                    outer derivative j, itself a jet, carries d2f/dx_j dx_k in
//                    its inner derivative k. The matrix is symmetrized
//                    (rounding may differ between the two triangles).
//   Costs grow as N (gradient) and N^2 (Hessian) per operation of the
//   functor, and the jets live on the stack: this is meant for N up to a few
//   dozen. Larger objectives want hand-written gradients or a least-squares
//   formulation.
//
// The same rules as for AutoDiffCostFunction apply to the functor: const-
// callable, generic in T, math functions called unqualified (after `using
// std::exp;` ...) so that the jet overloads are found; branches are
// differentiated along the branch taken.
//
// Optional box bounds (set_bounds) are reported to the minimizers through
// lower_bounds() / upper_bounds(). Misuse (points of the wrong size, bounds
// of the wrong size or with lower > upper) throws curvature::Error.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "curvature/error.h"
#include "curvature/jet.h"
#include "curvature/objective.h"

namespace curvature {

// A HessianOperator over an explicit dense symmetric matrix.
class DenseHessianOperator : public HessianOperator {
 public:
  explicit DenseHessianOperator(Eigen::MatrixXd hessian) : hessian_(std::move(hessian)) {}  // takes a square matrix
  int size() const override { return static_cast<int>(hessian_.rows()); }
  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override {
    if (v.size() != hessian_.cols()) {
      throw Error("DenseHessianOperator::multiply: v has " + std::to_string(v.size()) + " entries, the matrix " +
                  std::to_string(hessian_.cols()) + " columns");
    }
    y->noalias() = hessian_ * v;
  }
  bool dense(Eigen::MatrixXd* hessian) const override {
    *hessian = hessian_;
    return true;
  }
  const Eigen::MatrixXd& matrix() const { return hessian_; }  // the matrix given to the constructor

 private:
  Eigen::MatrixXd hessian_;
};

// The Objective of a templated Functor `bool operator()(const T* x, T* f) const` of kNumParameters
// variables, with gradient and Hessian by forward-mode automatic differentiation (see the top of
// this file).
template <typename Functor, int kNumParameters>
class AutoDiffObjective : public Objective {
 public:
  static_assert(kNumParameters > 0, "AutoDiffObjective: kNumParameters must be positive (no kDynamic)");
  using FirstOrder = Jet<double, kNumParameters>;       // the jet of the gradient
  using SecondOrder = Jet<FirstOrder, kNumParameters>;  // the nested jet of the Hessian

  // `name` is what reports print for the objective (name()).
  explicit AutoDiffObjective(Functor functor, std::string name = "autodiff objective")
      : functor_(std::move(functor)), name_(std::move(name)) {}

  const Functor& functor() const { return functor_; }  // the functor given to the constructor

  // lower <= x <= upper coordinatewise (+-infinity for an open side).
  void set_bounds(const Eigen::VectorXd& lower, const Eigen::VectorXd& upper) {
    if (lower.size() != kNumParameters || upper.size() != kNumParameters) {
      throw Error("AutoDiffObjective::set_bounds: bounds have " + std::to_string(lower.size()) + " and " +
                  std::to_string(upper.size()) + " entries, the objective " + std::to_string(kNumParameters));
    }
    for (int i = 0; i < kNumParameters; ++i) {
      if (!(lower[i] <= upper[i])) {
        throw Error("AutoDiffObjective::set_bounds: lower bound " + std::to_string(lower[i]) + " exceeds upper bound " +
                    std::to_string(upper[i]) + " at coordinate " + std::to_string(i));
      }
    }
    lower_ = lower;
    upper_ = upper;
    has_bounds_ = true;
  }

  int num_parameters() const override { return kNumParameters; }

  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override {
    check_size(x, "evaluate");
    if (gradient == nullptr) {
      std::array<double, kNumParameters> point;
      for (int i = 0; i < kNumParameters; ++i) point[i] = x[i];
      double f = 0.0;
      if (!functor_(point.data(), &f)) return false;
      *value = f;
      return std::isfinite(f);
    }
    std::array<FirstOrder, kNumParameters> point;
    for (int i = 0; i < kNumParameters; ++i) point[i] = FirstOrder(x[i], i);
    FirstOrder f;
    if (!functor_(point.data(), &f)) return false;
    *value = f.a;
    *gradient = f.v;
    return std::isfinite(f.a) && gradient->allFinite();
  }

  bool has_hessian() const override { return true; }

  // The exact Hessian as a dense operator; null when the functor fails or the
  // Hessian is not finite at x.
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd& x) override {
    check_size(x, "hessian");
    std::array<SecondOrder, kNumParameters> point;
    for (int i = 0; i < kNumParameters; ++i) point[i] = SecondOrder(FirstOrder(x[i], i), i);
    SecondOrder f;
    if (!functor_(point.data(), &f)) return nullptr;
    Eigen::MatrixXd h(kNumParameters, kNumParameters);
    for (int j = 0; j < kNumParameters; ++j) {
      for (int k = 0; k < kNumParameters; ++k) h(j, k) = f.v[j].v[k];
    }
    h = 0.5 * (h + h.transpose()).eval();
    if (!h.allFinite()) return nullptr;
    return std::make_unique<DenseHessianOperator>(std::move(h));
  }

  const Eigen::VectorXd* lower_bounds() const override { return has_bounds_ ? &lower_ : nullptr; }
  const Eigen::VectorXd* upper_bounds() const override { return has_bounds_ ? &upper_ : nullptr; }
  const char* name() const override { return name_.c_str(); }

 private:
  static void check_size(const Eigen::VectorXd& x, const char* caller) {
    if (x.size() != kNumParameters) {
      throw Error(std::string("AutoDiffObjective::") + caller + ": the point has " + std::to_string(x.size()) +
                  " entries, the objective " + std::to_string(kNumParameters));
    }
  }

  Functor functor_;
  std::string name_;
  Eigen::VectorXd lower_, upper_;
  bool has_bounds_ = false;
};

}  // namespace curvature
