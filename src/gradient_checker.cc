#include "curvature/gradient_checker.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>

#include "curvature/error.h"

namespace curvature {

namespace {

std::string entry_name(std::size_t block, Eigen::Index row, Eigen::Index column) {
  return "block " + std::to_string(block) + ", row " + std::to_string(row) + ", column " + std::to_string(column);
}

// r(plus(x, delta)) as a cost function of the tangent steps of the manifold
// blocks (plain blocks pass through as themselves), for numeric_jacobians().
// Residuals only.
class PlusComposedCost final : public CostFunction {
 public:
  PlusComposedCost(const CostFunction& f, double const* const* parameters,
                   const std::vector<const Manifold*>& manifolds)
      : f_(f), parameters_(parameters), manifolds_(manifolds) {
    const std::vector<int>& sizes = f.parameter_block_sizes();
    std::vector<int> tangent_sizes;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      tangent_sizes.push_back(manifolds[i] ? manifolds[i]->tangent_size() : sizes[i]);
      points_.emplace_back(static_cast<std::size_t>(sizes[i]));
    }
    set_num_residuals(f.num_residuals());
    set_parameter_block_sizes(tangent_sizes);
  }

  bool evaluate(double const* const* steps, double* residuals, double** jacobians) const override {
    if (jacobians != nullptr) return false;
    std::vector<const double*> points(points_.size());
    for (std::size_t i = 0; i < points_.size(); ++i) {
      if (manifolds_[i] == nullptr) {
        points[i] = steps[i];
      } else {
        if (!manifolds_[i]->plus(parameters_[i], steps[i], points_[i].data())) return false;
        points[i] = points_[i].data();
      }
    }
    return f_.evaluate(points.data(), residuals, nullptr);
  }

 private:
  const CostFunction& f_;
  double const* const* parameters_;
  const std::vector<const Manifold*>& manifolds_;
  mutable std::vector<std::vector<double>> points_;
};

// Fills result->worst_relative_error, ok and message from the Jacobians in it.
void compare(const GradientCheckOptions& options, GradientCheckResult* result) {
  std::ostringstream message;
  for (std::size_t i = 0; i < result->analytic.size(); ++i) {
    const JacobianMatrix& a = result->analytic[i];
    const JacobianMatrix& n = result->numeric[i];
    double worst = 0.0;
    Eigen::Index worst_row = 0, worst_column = 0;
    int num_failed = 0;
    for (Eigen::Index r = 0; r < a.rows(); ++r) {
      for (Eigen::Index c = 0; c < a.cols(); ++c) {
        const double scale = std::max({std::abs(a(r, c)), std::abs(n(r, c)), 1.0});
        // A non-finite numeric entry (the residual jumps) counts as a failure.
        const double error =
            std::isfinite(n(r, c)) ? std::abs(a(r, c) - n(r, c)) / scale : std::numeric_limits<double>::infinity();
        if (error > options.relative_precision) ++num_failed;
        if (error > worst) {
          worst = error;
          worst_row = r;
          worst_column = c;
        }
      }
    }
    result->worst_relative_error.push_back(worst);
    if (num_failed > 0) {
      result->ok = false;
      // Values in full precision (they may differ only in late digits); the
      // error and the precision need only a few.
      message << entry_name(i, worst_row, worst_column) << ": analytic " << std::setprecision(17)
              << a(worst_row, worst_column) << " vs numeric " << n(worst_row, worst_column) << ", relative error "
              << std::setprecision(3) << worst << " > " << options.relative_precision << " (" << num_failed << " of "
              << a.size() << " entries of the block fail)\n";
    }
  }
  result->message = message.str();
}

// The analytic Jacobians and residuals at the point, validated (the checks
// both overloads share).
GradientCheckResult analytic_jacobians(const CostFunction& f, double const* const* parameters,
                                       const GradientCheckOptions& options) {
  if (!(options.relative_precision > 0.0)) {
    require_option(false, "GradientCheckOptions", "relative_precision", "positive", options.relative_precision);
  }
  validate(options.numeric);
  if (parameters == nullptr) throw Error("check_gradients: the parameter array is null");
  const std::vector<int>& sizes = f.parameter_block_sizes();
  const int m = f.num_residuals();
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (parameters[i] == nullptr) throw Error("check_gradients: parameter block " + std::to_string(i) + " is null");
    for (int j = 0; j < sizes[i]; ++j) {
      if (!std::isfinite(parameters[i][j])) {
        throw Error("check_gradients: parameter block " + std::to_string(i) + ", coordinate " + std::to_string(j) +
                    " is not finite");
      }
    }
  }

  GradientCheckResult result;
  result.residuals.resize(static_cast<std::size_t>(m));
  std::vector<double*> jacobians;
  for (int size : sizes) {
    // NaN-filled so that an entry the cost function forgets to write is caught.
    result.analytic.emplace_back(JacobianMatrix::Constant(m, size, std::numeric_limits<double>::quiet_NaN()));
    jacobians.push_back(result.analytic.back().data());
  }
  if (!f.evaluate(parameters, result.residuals.data(), jacobians.data())) {
    throw Error("check_gradients: the cost function failed to evaluate (returned false) at the given point");
  }
  for (int r = 0; r < m; ++r) {
    if (!std::isfinite(result.residuals[r])) {
      throw Error("check_gradients: residual " + std::to_string(r) + " is not finite (" +
                  to_decimal(result.residuals[r]) + ")");
    }
  }
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const JacobianMatrix& a = result.analytic[i];
    for (Eigen::Index r = 0; r < a.rows(); ++r) {
      for (Eigen::Index c = 0; c < a.cols(); ++c) {
        if (!std::isfinite(a(r, c))) {
          throw Error("check_gradients: the analytic Jacobian entry at " + entry_name(i, r, c) +
                      " is not finite (or was not written)");
        }
      }
    }
  }

  return result;
}

}  // namespace

GradientCheckResult check_gradients(const CostFunction& f, double const* const* parameters,
                                    const GradientCheckOptions& options) {
  GradientCheckResult result = analytic_jacobians(f, parameters, options);
  result.numeric = numeric_jacobians(f, parameters, options.method, options.numeric);
  compare(options, &result);
  return result;
}

GradientCheckResult check_gradients(const CostFunction& f, double const* const* parameters,
                                    const std::vector<const Manifold*>& manifolds,
                                    const GradientCheckOptions& options) {
  const std::vector<int>& sizes = f.parameter_block_sizes();
  if (manifolds.size() != sizes.size()) {
    throw Error("check_gradients: " + std::to_string(manifolds.size()) + " manifolds given for " +
                std::to_string(sizes.size()) + " parameter blocks");
  }
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (manifolds[i] && manifolds[i]->ambient_size() != sizes[i]) {
      throw Error("check_gradients: the manifold of parameter block " + std::to_string(i) + " has ambient size " +
                  std::to_string(manifolds[i]->ambient_size()) + ", the block size " + std::to_string(sizes[i]));
    }
  }
  GradientCheckResult result = analytic_jacobians(f, parameters, options);
  std::vector<std::vector<double>> points(sizes.size());  // zero steps for manifold blocks
  std::vector<const double*> at(sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (manifolds[i] == nullptr) {
      at[i] = parameters[i];
      continue;
    }
    const int tangent = manifolds[i]->tangent_size();
    JacobianMatrix plus_jacobian(sizes[i], tangent);
    if (!manifolds[i]->plus_jacobian(parameters[i], plus_jacobian.data())) {
      throw Error("check_gradients: the manifold's plus_jacobian() failed at parameter block " + std::to_string(i));
    }
    result.analytic[i] = JacobianMatrix(result.analytic[i] * plus_jacobian);
    points[i].assign(static_cast<std::size_t>(tangent), 0.0);
    at[i] = points[i].data();
    std::vector<double> moved(static_cast<std::size_t>(sizes[i]));
    if (!manifolds[i]->plus(parameters[i], points[i].data(), moved.data())) {
      throw Error("check_gradients: the manifold's plus() failed at parameter block " + std::to_string(i));
    }
  }
  const PlusComposedCost composed(f, parameters, manifolds);
  result.numeric = numeric_jacobians(composed, at.data(), options.method, options.numeric);
  compare(options, &result);
  return result;
}

}  // namespace curvature
