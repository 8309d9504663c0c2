// newton_stepper.h — the step of Newton's trust-region method: an
// approximate minimizer of the quadratic model
//   m(p) = f + g^T p + 1/2 p^T H p,   |p| <= radius
// for one point and Hessian, by Steihaug-Toint CG, Levenberg-CG or dogleg.
// The loop around it is minimize_newton_trust_region (newton_trust_region.cc).
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "curvature/objective.h"
#include "truncated_cg.h"

namespace curvature::internal {

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
    zero_fixed_coordinates(fixed_, &gradient_);
  }

  std::unique_ptr<HessianOperator> hessian_;
  Eigen::VectorXd gradient_;  // zero on the fixed coordinates
  std::vector<char> fixed_;
};

// max_iterations: CG's limit per step (0: the number of parameters).
std::unique_ptr<NewtonStepper> make_steihaug_cg_stepper(int max_iterations);
std::unique_ptr<NewtonStepper> make_levenberg_cg_stepper(int max_iterations);
std::unique_ptr<NewtonStepper> make_newton_dogleg_stepper();

}  // namespace curvature::internal
