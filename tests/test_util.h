// test_util.h — what several test programs share: small least-squares
// problems with analytic Jacobians, scalar objectives with known minimizers,
// the "every method" lists read from the registries (so that a new row is
// tested without editing any test), and the checks of error messages.
#pragma once

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/error.h"
#include "curvature/solver_options.h"

namespace curvature::testing {

// ---------------------------------------------------------------------------
// Errors.

// The message of the curvature::Error that f throws, or "(no error)".
template <typename F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Expects f to throw a curvature::Error whose message contains `fragment`
// (typically the name of the offending field or item).
inline void expect_error_naming(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no curvature::Error thrown; expected one naming " << fragment;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what();
  }
}

// ---------------------------------------------------------------------------
// Least-squares problems with analytic Jacobians.

// Rosenbrock as least squares: r = (10 (x1 - x0^2), 1 - x0). Minimum 0 at (1, 1).
class RosenbrockResidual final : public SizedCostFunction<2, 2> {
 public:
  bool evaluate(double const* const* p, double* r, double** j) const override {
    const double* x = p[0];
    r[0] = 10.0 * (x[1] - x[0] * x[0]);
    r[1] = 1.0 - x[0];
    if (j && j[0]) {
      j[0][0] = -20.0 * x[0];
      j[0][1] = 10.0;
      j[0][2] = -1.0;
      j[0][3] = 0.0;
    }
    return true;
  }
};

// Powell's singular function: four residuals over x in R^4, minimum 0 at the
// origin, where the Jacobian is singular (so convergence is only linear).
class PowellSingularResidual final : public SizedCostFunction<4, 4> {
 public:
  bool evaluate(double const* const* p, double* r, double** j) const override {
    const double* x = p[0];
    const double s5 = std::sqrt(5.0), s10 = std::sqrt(10.0);
    r[0] = x[0] + 10.0 * x[1];
    r[1] = s5 * (x[2] - x[3]);
    r[2] = (x[1] - 2.0 * x[2]) * (x[1] - 2.0 * x[2]);
    r[3] = s10 * (x[0] - x[3]) * (x[0] - x[3]);
    if (j && j[0]) {
      double* J = j[0];
      const double a = x[1] - 2.0 * x[2], b = x[0] - x[3];
      const double rows[4][4] = {
          {1, 10, 0, 0}, {0, 0, s5, -s5}, {0, 2 * a, -4 * a, 0}, {2 * s10 * b, 0, 0, -2 * s10 * b}};
      for (int i = 0; i < 4; ++i)
        for (int k = 0; k < 4; ++k) J[i * 4 + k] = rows[i][k];
    }
    return true;
  }
};

// One observation of a straight line: r = y - (a + b t) over blocks {a} and {b}.
class LineResidual final : public SizedCostFunction<1, 1, 1> {
 public:
  LineResidual(double t, double y) : t_(t), y_(y) {}
  bool evaluate(double const* const* p, double* r, double** j) const override {
    r[0] = y_ - (p[0][0] + p[1][0] * t_);
    if (j) {
      if (j[0]) j[0][0] = -1.0;
      if (j[1]) j[1][0] = -t_;
    }
    return true;
  }

 private:
  double t_, y_;
};

// An exponential decay observation y = A exp(-k t) over one block {A, k}.
class ExponentialResidual final : public SizedCostFunction<1, 2> {
 public:
  ExponentialResidual(double t, double y) : t_(t), y_(y) {}
  bool evaluate(double const* const* p, double* r, double** j) const override {
    const double e = std::exp(-p[0][1] * t_);
    r[0] = p[0][0] * e - y_;
    if (j && j[0]) {
      j[0][0] = e;
      j[0][1] = -p[0][0] * t_ * e;
    }
    return true;
  }

 private:
  double t_, y_;
};

// r = x - target, elementwise, for a block of size n: the simplest model.
class OffsetResidual final : public DynamicCostFunction {
 public:
  explicit OffsetResidual(std::vector<double> target) : target_(std::move(target)) {
    set_num_residuals(static_cast<int>(target_.size()));
    add_parameter_block(static_cast<int>(target_.size()));
  }
  bool evaluate(double const* const* p, double* r, double** j) const override {
    const int n = static_cast<int>(target_.size());
    for (int i = 0; i < n; ++i) r[i] = p[0][i] - target_[i];
    if (j && j[0]) {
      for (int i = 0; i < n * n; ++i) j[0][i] = 0.0;
      for (int i = 0; i < n; ++i) j[0][i * n + i] = 1.0;
    }
    return true;
  }

 private:
  std::vector<double> target_;
};

// ---------------------------------------------------------------------------
// Scalar objectives with known minimizers (templated functors for
// AutoDiffObjective).

// f = 1/2 x^T A x - b^T x with A symmetric positive definite (condition
// number about 30); minimizer A^-1 b.
struct Quadratic {
  static Eigen::Matrix4d a() {
    Eigen::Matrix4d m;
    m << 10, 1, 0, 2,  //
        1, 5, 1, 0,    //
        0, 1, 3, 0.5,  //
        2, 0, 0.5, 1;
    return m;
  }
  static Eigen::Vector4d b() { return Eigen::Vector4d(1.0, -2.0, 3.0, 0.5); }
  template <typename T>
  bool operator()(const T* x, T* f) const {
    const Eigen::Matrix4d m = a();
    const Eigen::Vector4d v = b();
    T sum(0.0);
    for (int i = 0; i < 4; ++i) {
      sum -= v[i] * x[i];
      for (int j = 0; j < 4; ++j) sum += 0.5 * m(i, j) * x[i] * x[j];
    }
    *f = sum;
    return true;
  }
};

// ---------------------------------------------------------------------------
// Every method of a role, from its registry.

// Every linear solver a solve can run (kAuto resolves to one of these).
inline std::vector<LinearSolverType> every_linear_solver() {
  std::vector<LinearSolverType> types;
  for (const LinearSolverInfo& row : kLinearSolvers) {
    if (row.storage != JacobianStorage::kChosen) types.push_back(row.value);
  }
  return types;
}

// The ones that solve a bare Jacobian (not the Schur solvers, which need the
// problem's block structure).
inline std::vector<LinearSolverType> every_bare_jacobian_linear_solver() {
  std::vector<LinearSolverType> types;
  for (LinearSolverType type : every_linear_solver()) {
    if (!info(type).needs_block_structure) types.push_back(type);
  }
  return types;
}

// The direct ones, which solve exactly and diagnose rank deficiency.
inline std::vector<LinearSolverType> every_direct_linear_solver() {
  std::vector<LinearSolverType> types;
  for (LinearSolverType type : every_linear_solver()) {
    if (!info(type).iterative) types.push_back(type);
  }
  return types;
}

inline std::vector<Method> every_method() {
  std::vector<Method> methods;
  for (const MethodInfo& row : kMethods) methods.push_back(row.value);
  return methods;
}

// A rows x cols matrix of uniform values in [-1, 1], the same for the same
// seed on every platform's std::mt19937 (column by column).
inline Eigen::MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = uniform(rng);
  }
  return m;
}

// The lower triangle of m, the strict upper triangle zero.
inline Eigen::MatrixXd lower(const Eigen::MatrixXd& m) { return m.triangularView<Eigen::Lower>(); }

}  // namespace curvature::testing
