// trust_region_test_models.h — the small models the trust-region strategy
// tests drive their strategies with: a linear least-squares problem at a
// given point (for Levenberg-Marquardt and dogleg, through a
// MinimizerContext as solve() builds it) and a dense Hessian operator (for
// the Newton strategies), and the two steps every Newton strategy test
// takes.
#pragma once

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/objective.h"
#include "curvature/problem.h"
#include "curvature/solver_options.h"
#include "curvature/summary.h"
#include "evaluator.h"
#include "linear_solver.h"
#include "minimizer_context.h"
#include "newton_trust_region_strategy.h"

namespace curvature::testing {

// r(x) = J x - b for two parameters and two residuals.
class LinearResidual2 final : public SizedCostFunction<2, 2> {
 public:
  LinearResidual2(const Eigen::Matrix2d& jacobian, const Eigen::Vector2d& b) : jacobian_(jacobian), b_(b) {}
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const Eigen::Vector2d x(parameters[0][0], parameters[0][1]);
    const Eigen::Vector2d r = jacobian_ * x - b_;
    residuals[0] = r[0];
    residuals[1] = r[1];
    if (jacobians != nullptr && jacobians[0] != nullptr) {
      for (int row = 0; row < 2; ++row) {
        for (int col = 0; col < 2; ++col) jacobians[0][2 * row + col] = jacobian_(row, col);  // row-major
      }
    }
    return true;
  }

 private:
  Eigen::Matrix2d jacobian_;
  Eigen::Vector2d b_;
};

// The Gauss-Newton model of |J x - b|^2 / 2 at x, evaluated as solve() does,
// with the dense normal Cholesky solver for a strategy to take.
struct LinearLeastSquaresModel {
  LinearLeastSquaresModel(const SolverOptions& solver_options, const Eigen::Matrix2d& jacobian,
                          const Eigen::Vector2d& b, const Eigen::Vector2d& x)
      : options(solver_options), point(x) {
    problem.add_residual_block(std::make_shared<LinearResidual2>(jacobian, b), nullptr, point.data());
    evaluator = std::make_unique<internal::Evaluator>(problem, internal::Evaluator::Options{});
    context = std::make_unique<internal::MinimizerContext>(options, evaluator.get(), &summary, false);
    context->x = evaluator->gather_parameters();
    std::string error;
    evaluated = context->evaluate_at_x(&error);
  }
  std::unique_ptr<internal::LinearSolver> linear_solver() const {
    return internal::make_linear_solver(internal::LinearSolverOptions{});
  }

  SolverOptions options;
  Eigen::Vector2d point;
  Problem problem;
  std::unique_ptr<internal::Evaluator> evaluator;
  Summary summary;
  std::unique_ptr<internal::MinimizerContext> context;
  bool evaluated = false;
};

// H as a dense matrix; `has_dense` false hides it (products only).
class DenseHessian final : public HessianOperator {
 public:
  explicit DenseHessian(Eigen::MatrixXd hessian, bool has_dense = true)
      : hessian_(std::move(hessian)), has_dense_(has_dense) {}
  int size() const override { return static_cast<int>(hessian_.rows()); }
  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override { *y = hessian_ * v; }
  bool dense(Eigen::MatrixXd* hessian) const override {
    if (has_dense_) *hessian = hessian_;
    return has_dense_;
  }

 private:
  Eigen::MatrixXd hessian_;
  bool has_dense_;
};

// Gives a Newton strategy the model with H dense and no fixed coordinates.
inline void prepare_dense(internal::NewtonTrustRegionStrategy& strategy, const Eigen::MatrixXd& hessian,
                          const Eigen::VectorXd& gradient) {
  std::string error;
  EXPECT_TRUE(strategy.prepare(std::make_unique<DenseHessian>(hessian), gradient, std::vector<char>(gradient.size(), 0),
                               &error))
      << error;
}

// Computes a Newton strategy's step, checks that it lies within the radius
// it was computed for, and reports its length as tried, as minimize()'s loop
// does in the spherical region.
inline internal::ModelStep try_step(internal::NewtonTrustRegionStrategy& strategy) {
  const double radius = strategy.radius();
  internal::ModelStep step = strategy.compute_step();
  EXPECT_LE(step.p.norm(), radius * (1.0 + 1e-15));
  strategy.step_tried(step.p.norm());
  return step;
}

}  // namespace curvature::testing
