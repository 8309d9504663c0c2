// truncated_cg.h — the pieces of the Newton trust-region steps that work on
// vectors alone: truncated CG on a shifted Hessian, the step to the
// region's boundary along a direction, and the clamp that undoes rounding.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "curvature/objective.h"

namespace curvature::internal {

// The largest forcing term of truncated CG (see truncated_cg).
constexpr double kMaxForcing = 0.01;

// A step of the trust-region model and what its computation learnt.
struct ModelStep {
  Eigen::VectorXd p;
  double predicted = 0.0;  // m(0) - m(p)
  bool on_boundary = false;
  bool accurate = false;  // from compute_accurately()
  int iterations = 0;     // CG iterations (1 for dogleg)
};

// Sets v_i = 0 where fixed[i].
void zero_fixed_coordinates(const std::vector<char>& fixed, Eigen::VectorXd* v);

// The largest tau >= 0 with |z + tau d| = radius, for |z| <= radius.
double boundary_step(const Eigen::VectorXd& z, const Eigen::VectorXd& d, double radius);

// Rounding can leave a boundary step a few ulps outside; pull it in.
void clamp_to_radius(double radius, Eigen::VectorXd* p);

// Truncated CG on (H + shift I) z = -g from z = 0, the fixed coordinates
// held at zero. It stops when |r| <= min(max_forcing, sqrt|g|) |g| (the
// forcing term that gives superlinear convergence, Nocedal and Wright (7.3)),
// after `limit` iterations, on non-positive curvature (then along that
// direction to the boundary), and, when `stop_at_boundary`, where an iterate
// would leave the region (then on the boundary). predicted is m(0) - m(z)
// for the unshifted model, tracked along the way.
ModelStep truncated_cg(const HessianOperator& hessian, const Eigen::VectorXd& gradient, const std::vector<char>& fixed,
                       double shift, double radius, bool stop_at_boundary, int limit, double max_forcing = kMaxForcing);

}  // namespace curvature::internal
