#include "curvature/cost_function.h"

#include <Eigen/Core>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace curvature {

namespace {

const std::vector<int>& no_parameter_block_sizes() {
  static const std::vector<int>* const sizes = new std::vector<int>();
  return *sizes;
}

}  // namespace

CostFunction::CostFunction() : parameter_block_sizes_(&no_parameter_block_sizes()) {}

CostFunction::CostFunction(const CostFunction& other)
    : num_residuals_(other.num_residuals_), parameter_block_sizes_(other.parameter_block_sizes_) {
  if (other.owned_parameter_block_sizes_) {
    owned_parameter_block_sizes_ = std::make_unique<std::vector<int>>(*other.owned_parameter_block_sizes_);
    parameter_block_sizes_ = owned_parameter_block_sizes_.get();
  }
}

CostFunction& CostFunction::operator=(const CostFunction& other) {
  if (this != &other) {
    num_residuals_ = other.num_residuals_;
    if (other.owned_parameter_block_sizes_) {
      owned_parameter_block_sizes_ = std::make_unique<std::vector<int>>(*other.owned_parameter_block_sizes_);
      parameter_block_sizes_ = owned_parameter_block_sizes_.get();
    } else {
      owned_parameter_block_sizes_.reset();
      parameter_block_sizes_ = other.parameter_block_sizes_;
    }
  }
  return *this;
}

void CostFunction::set_num_residuals(int num_residuals) {
  if (num_residuals <= 0) {
    throw Error("CostFunction: num_residuals must be positive, got " + std::to_string(num_residuals));
  }
  num_residuals_ = num_residuals;
}

void CostFunction::set_parameter_block_sizes(std::vector<int> sizes) {
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] <= 0) {
      throw Error("CostFunction: parameter block " + std::to_string(i) + " has non-positive size " +
                  std::to_string(sizes[i]));
    }
  }
  owned_parameter_block_sizes_ = std::make_unique<std::vector<int>>(std::move(sizes));
  parameter_block_sizes_ = owned_parameter_block_sizes_.get();
}

void CostFunction::share_parameter_block_sizes(const std::vector<int>& sizes) {
  owned_parameter_block_sizes_.reset();
  parameter_block_sizes_ = &sizes;
}

bool CostFunction::evaluate_column_major(double const* const* parameters, double* residuals, double** jacobians,
                                         long leading_dimension) const {
  const int m = num_residuals();
  if (leading_dimension < m) {
    throw Error("CostFunction::evaluate_column_major: leading dimension " + std::to_string(leading_dimension) +
                " is below the number of residuals " + std::to_string(m));
  }
  if (!jacobians) return evaluate(parameters, residuals, nullptr);
  thread_local std::vector<std::vector<double>> row_major;
  thread_local std::vector<double*> pointers;
  const std::vector<int>& sizes = parameter_block_sizes();
  if (row_major.size() < sizes.size()) row_major.resize(sizes.size());
  pointers.assign(sizes.size(), nullptr);
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (!jacobians[k]) continue;
    const size_t entries = static_cast<size_t>(m) * static_cast<size_t>(sizes[k]);
    if (row_major[k].size() < entries) row_major[k].resize(entries);
    pointers[k] = row_major[k].data();
  }
  if (!evaluate(parameters, residuals, pointers.data())) return false;
  using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (!jacobians[k]) continue;
    Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>>(jacobians[k], m, sizes[k],
                                                         Eigen::OuterStride<>(leading_dimension)) =
        Eigen::Map<const RowMajorMatrix>(pointers[k], m, sizes[k]);
  }
  return true;
}

bool CostFunction::evaluate_gradient(double const* const* parameters, double* residuals, double** gradients) const {
  // Per thread, grown and never shrunk: evaluators call this from many threads.
  thread_local std::vector<std::vector<double>> jacobians;
  thread_local std::vector<double*> pointers;
  const std::vector<int>& sizes = parameter_block_sizes();
  const int m = num_residuals();
  if (jacobians.size() < sizes.size()) jacobians.resize(sizes.size());
  pointers.assign(sizes.size(), nullptr);
  bool any = false;
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (!gradients[k]) continue;
    any = true;
    const size_t entries = static_cast<size_t>(m) * static_cast<size_t>(sizes[k]);
    if (jacobians[k].size() < entries) jacobians[k].resize(entries);
    pointers[k] = jacobians[k].data();
  }
  if (!evaluate(parameters, residuals, any ? pointers.data() : nullptr)) return false;
  using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const Eigen::VectorXd> r(residuals, m);
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (!gradients[k]) continue;
    Eigen::Map<Eigen::VectorXd>(gradients[k], sizes[k]).noalias() =
        Eigen::Map<const RowMajorMatrix>(pointers[k], m, sizes[k]).transpose() * r;
  }
  return true;
}

void DynamicCostFunction::add_parameter_block(int size) {
  std::vector<int> sizes = parameter_block_sizes();
  sizes.push_back(size);
  set_parameter_block_sizes(std::move(sizes));
}

bool CostFunction::evaluate_second_derivative_product(double const* const* /*parameters*/, const double* /*weights*/,
                                                      double const* const* /*directions*/,
                                                      double** /*products*/) const {
  throw Error(
      "CostFunction::evaluate_second_derivative_product: this cost function has no second derivatives "
      "(has_second_derivatives() is false)");
}

}  // namespace curvature
