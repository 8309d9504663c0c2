// robust_correction.h — folds a robust loss into a residual block so that
// Gauss-Newton-type methods can treat 1/2 rho(|r|^2) as a plain 1/2 |r~|^2.
//
// Triggs' correction (Triggs, McLauchlan, Hartley, Fitzgibbon, "Bundle
// Adjustment — A Modern Synthesis", 2000, section 4.3): with s = |r|^2,
//   r~ = sqrt(rho') / (1 - alpha) r,
//   J~ = sqrt(rho') (I - alpha r r^T / s) J,
// where alpha solves alpha^2 / 2 - alpha = s rho'' / rho', i.e.
// alpha = 1 - sqrt(1 + 2 s rho'' / rho'). Then J~^T r~ = rho' J^T r is the
// exact gradient and J~^T J~ = rho' J^T J + 2 rho'' J^T r r^T J is the
// Gauss-Newton curvature of the robustified cost, including the second-order
// term of the loss. Where 1 + 2 s rho''/rho' falls below kMinRadialCurvature
// the exact radial curvature is (nearly) negative; the model then keeps that
// floor, so it stays convex and r~ stays bounded (at most 10 sqrt(rho') r).
// A loss with rho' = 0 (Tukey beyond its scale) zeroes the block's residual
// and Jacobian: such a residual has no influence at all.
#pragma once

#include <cmath>

#include "curvature/loss_function.h"

namespace curvature::internal {

struct RobustCorrection {
  static constexpr double kMinRadialCurvature = 1e-2;

  RobustCorrection(const LossFunction& loss, double squared_norm) : squared_norm(squared_norm) {
    const auto values = loss.evaluate(squared_norm);
    rho = values[0];
    const double rho1 = values[1], rho2 = values[2];
    if (!(rho1 > 0.0)) {
      residual_scale = 0.0;
      jacobian_scale = 0.0;
      return;
    }
    jacobian_scale = std::sqrt(rho1);
    if (squared_norm == 0.0 || rho2 == 0.0) {
      residual_scale = jacobian_scale;
      return;
    }
    const double radial = std::fmax(1.0 + 2.0 * squared_norm * rho2 / rho1, kMinRadialCurvature);
    const double alpha = 1.0 - std::sqrt(radial);
    residual_scale = jacobian_scale / (1.0 - alpha);
    alpha_over_squared_norm = alpha / squared_norm;
  }

  // J (rows x cols, row-major) <- sqrt(rho') (I - alpha r r^T / s) J, with the original r.
  void correct_jacobian(int rows, int cols, const double* residuals, double* jacobian) const {
    if (alpha_over_squared_norm != 0.0) {
      for (int c = 0; c < cols; ++c) {
        double r_dot_column = 0.0;
        for (int r = 0; r < rows; ++r) r_dot_column += residuals[r] * jacobian[r * cols + c];
        const double scale = alpha_over_squared_norm * r_dot_column;
        for (int r = 0; r < rows; ++r) jacobian[r * cols + c] -= scale * residuals[r];
      }
    }
    for (int e = 0; e < rows * cols; ++e) jacobian[e] *= jacobian_scale;
  }

  void correct_residuals(int rows, double* residuals) const {
    for (int r = 0; r < rows; ++r) residuals[r] *= residual_scale;
  }

  double squared_norm;
  double rho = 0.0;
  double jacobian_scale = 1.0;
  double residual_scale = 1.0;
  double alpha_over_squared_norm = 0.0;
};

}  // namespace curvature::internal
