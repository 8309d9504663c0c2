// The scaled Newton trust region (see region_scale.h).
#include "region_scale.h"

#include <cmath>

namespace curvature::internal {
namespace {

// The Hessian in the scaled variables q = D p: D^-1 H D^-1.
class ScaledHessian final : public HessianOperator {
 public:
  ScaledHessian(std::unique_ptr<HessianOperator> hessian, Eigen::VectorXd inverse_scale)
      : hessian_(std::move(hessian)), inverse_scale_(std::move(inverse_scale)) {}
  int size() const override { return hessian_->size(); }
  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override {
    hessian_->multiply(inverse_scale_.cwiseProduct(v), y);
    *y = inverse_scale_.cwiseProduct(*y);
  }
  bool dense(Eigen::MatrixXd* hessian) const override {
    if (!hessian_->dense(hessian)) return false;
    *hessian = inverse_scale_.asDiagonal() * (*hessian) * inverse_scale_.asDiagonal();
    return true;
  }

 private:
  std::unique_ptr<HessianOperator> hessian_;
  Eigen::VectorXd inverse_scale_;
};

}  // namespace

void RegionScale::start(const Eigen::VectorXd& diagonal) {
  scale_ = Eigen::VectorXd::Ones(diagonal.size());
  update(diagonal);
}

void RegionScale::update(const Eigen::VectorXd& diagonal) {
  for (Eigen::Index i = 0; i < scale_.size(); ++i) {
    const double d = std::sqrt(std::abs(diagonal[i]));
    if (d > 0.0 && std::isfinite(d)) scale_[i] = d;
  }
}

void RegionScale::to_scaled(std::unique_ptr<HessianOperator>* hessian, Eigen::VectorXd* gradient) const {
  if (!scaled()) return;
  const Eigen::VectorXd inverse = scale_.cwiseInverse();
  *gradient = inverse.cwiseProduct(*gradient);
  *hessian = std::make_unique<ScaledHessian>(std::move(*hessian), inverse);
}

}  // namespace curvature::internal
