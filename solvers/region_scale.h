// region_scale.h — the shape of the Newton trust region: the sphere |p| <=
// radius until start(), then the ellipsoid |D p| <= radius with
// D = diag(sqrt|H_ii|), refreshed from each new point's Hessian. Where H_ii
// is zero or not finite, D_ii keeps its previous value (1 at first): a
// coordinate without curvature information is left as the sphere had it.
//
// Scaling each coordinate by its curvature makes the region's radius a
// bound on the model's change per coordinate instead of on |p|, as Moré's
// scaling of Levenberg-Marquardt by the column norms of J does (for a
// least-squares objective, D is exactly those norms under the Gauss-Newton
// model). As the region's shape from the start it lost more MGH runs than
// it gained; as the second opinion on a short step it gained 3 to 7 runs
// for each of newton-cg, gn-cg and lm-cg and lost none.
//
// In the scaled region the models are minimized in q = D p, with the
// gradient D^-1 g and the Hessian D^-1 H D^-1; the radius measures |q|.
#pragma once

#include <Eigen/Core>
#include <memory>

#include "curvature/objective.h"

namespace curvature::internal {

class RegionScale {
 public:
  bool scaled() const { return scale_.size() > 0; }
  // Switches to the scaled region. Every diagonal given has the problem's size.
  void start(const Eigen::VectorXd& diagonal);
  void update(const Eigen::VectorXd& diagonal);
  // The model's gradient and Hessian in q = D p (unchanged for the sphere).
  void to_scaled(std::unique_ptr<HessianOperator>* hessian, Eigen::VectorXd* gradient) const;
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

}  // namespace curvature::internal
