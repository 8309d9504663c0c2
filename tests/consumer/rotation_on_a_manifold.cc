// A user's rotation fit, built against the installed package: the
// orientation q (unit quaternion, w first) that carries three reference
// directions onto their noisy observations, on the quaternion manifold, with
// the covariance of the fitted rotation (3 x 3, in the tangent space).
#include <cmath>
#include <cstdio>
#include <memory>

#include "curvature/autodiff_cost_function.h"
#include "curvature/covariance.h"
#include "curvature/manifolds.h"
#include "curvature/problem.h"
#include "curvature/rotation.h"
#include "curvature/solve.h"

struct DirectionResidual {
  double reference[3], observed[3];
  template <typename T>
  bool operator()(const T* q, T* residual) const {
    const T point[3] = {T(reference[0]), T(reference[1]), T(reference[2])};
    T rotated[3];
    curvature::unit_quaternion_rotate_point(q, point, rotated);
    for (int i = 0; i < 3; ++i) residual[i] = rotated[i] - observed[i];
    return true;
  }
};

int main() {
  // The true rotation: 0.5 rad about z. Observations carry ~1e-3 of noise.
  const double truth[3] = {0.0, 0.0, 0.5};
  const double references[4][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0.6, 0.8, 0}};
  const double noise[4][3] = {{1e-3, -2e-3, 0}, {-1e-3, 1e-3, 2e-3}, {0, 1e-3, -1e-3}, {2e-3, 0, 1e-3}};
  double q[4] = {1.0, 0.0, 0.0, 0.0};  // start at the identity
  curvature::Problem problem;
  for (int k = 0; k < 4; ++k) {
    DirectionResidual r{};
    for (int i = 0; i < 3; ++i) r.reference[i] = references[k][i];
    curvature::angle_axis_rotate_point(truth, references[k], r.observed);
    for (int i = 0; i < 3; ++i) r.observed[i] += noise[k][i];
    problem.add_residual_block(std::make_shared<curvature::AutoDiffCostFunction<DirectionResidual, 3, 4>>(r), nullptr,
                               q);
  }
  problem.set_manifold(q, std::make_shared<curvature::QuaternionManifold>());
  const curvature::Summary summary = curvature::solve(curvature::SolverOptions(), &problem);

  double fitted[3];
  curvature::quaternion_to_angle_axis(q, fitted);
  const double norm_error = std::abs(std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]) - 1.0);
  curvature::CovarianceOptions options;
  options.scale_by_residual_variance = true;
  const curvature::CovarianceResult covariance = curvature::compute_covariance(problem, q, options);
  if (!summary.converged() || norm_error > 1e-15 || std::abs(fitted[2] - 0.5) > 5e-3 || !covariance.ok()) {
    std::printf("unexpected: %s, |q| - 1 = %.1e, angle %.6f, covariance: %s\n", summary.message.c_str(), norm_error,
                fitted[2], covariance.message().c_str());
    return 1;
  }
  const auto standard_errors = covariance.standard_errors(q);
  std::printf("angle about z %.4f rad (true 0.5), |q| - 1 = %.1e, tangent standard errors %.1e %.1e %.1e\n", fitted[2],
              norm_error, standard_errors[0], standard_errors[1], standard_errors[2]);
  return 0;
}
