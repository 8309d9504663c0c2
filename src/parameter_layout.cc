#include "parameter_layout.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace curvature::internal {

ParameterLayout::ParameterLayout(const Problem::Impl& problem) {
  const size_t count = problem.parameter_blocks.size();
  offsets_.assign(count, -1);
  tangent_offsets_.assign(count, -1);
  jacobian_offsets_.assign(count, 0);
  values_.reserve(count);
  sizes_.reserve(count);
  manifolds_.reserve(count);
  jacobian_manifolds_.reserve(count);
  tangent_sizes_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const ParameterBlockInfo& block = problem.parameter_blocks[i];
    values_.push_back(block.values);
    sizes_.push_back(block.size);
    const Manifold* manifold = block.stepping_manifold();
    manifolds_.push_back(manifold);
    jacobian_manifolds_.push_back(manifold && !manifold->has_identity_plus_jacobian() ? manifold : nullptr);
    tangent_sizes_.push_back(manifold ? manifold->tangent_size() : block.size);
    if (block.constant) continue;
    offsets_[i] = num_parameters_;
    tangent_offsets_[i] = num_tangent_;
    num_parameters_ += block.size;
    num_tangent_ += tangent_sizes_.back();
    has_manifolds_ = has_manifolds_ || manifold != nullptr;
    if (jacobian_manifolds_.back()) {
      manifold_blocks_.push_back(static_cast<int>(i));
      jacobian_offsets_[i] = jacobian_storage_;
      jacobian_storage_ += static_cast<size_t>(block.size) * static_cast<size_t>(tangent_sizes_.back());
    }
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  lower_.setConstant(num_parameters_, -kInf);
  upper_.setConstant(num_parameters_, kInf);
  if (has_manifolds_) {
    tangent_lower_.setConstant(num_tangent_, -kInf);
    tangent_upper_.setConstant(num_tangent_, kInf);
  }
  for (size_t i = 0; i < count; ++i) {
    const ParameterBlockInfo& block = problem.parameter_blocks[i];
    const int offset = offsets_[i];
    // Problem refuses finite bounds on manifold blocks; any infinite ones
    // left there mean nothing.
    if (offset < 0 || manifolds_[i]) continue;
    for (int k = 0; k < block.size; ++k) {
      lower_[offset + k] = block.lower_bound(k);
      upper_[offset + k] = block.upper_bound(k);
      if (has_manifolds_) {
        tangent_lower_[tangent_offsets_[i] + k] = lower_[offset + k];
        tangent_upper_[tangent_offsets_[i] + k] = upper_[offset + k];
      }
    }
  }
  has_bounds_ = (lower_.array() > -kInf).any() || (upper_.array() < kInf).any();
  if (!has_manifolds_) {
    // The tangent layout is the ambient one: the accessors read offsets_
    // and sizes_, and the per-block copies (24 bytes a block) go.
    std::vector<int>().swap(tangent_offsets_);
    std::vector<int>().swap(tangent_sizes_);
    std::vector<const Manifold*>().swap(manifolds_);
    std::vector<const Manifold*>().swap(jacobian_manifolds_);
    std::vector<size_t>().swap(jacobian_offsets_);
  }
}

void ParameterLayout::gather(Eigen::VectorXd* x) const {
  x->resize(num_parameters_);
  for (size_t i = 0; i < values_.size(); ++i) {
    if (offsets_[i] < 0) continue;
    std::copy(values_[i], values_[i] + sizes_[i], x->data() + offsets_[i]);
  }
}

void ParameterLayout::scatter(const Eigen::VectorXd& x) const {
  for (size_t i = 0; i < values_.size(); ++i) {
    if (offsets_[i] < 0) continue;
    const double* source = x.data() + offsets_[i];
    std::copy(source, source + sizes_[i], values_[i]);
  }
}

bool ParameterLayout::plus(const Eigen::VectorXd& x, const Eigen::VectorXd& delta, Eigen::VectorXd* result,
                           std::string* error) const {
  if (!has_manifolds_) {
    *result = x + delta;
    return true;
  }
  result->resize(num_parameters_);
  for (size_t i = 0; i < values_.size(); ++i) {
    const int offset = offsets_[i];
    if (offset < 0) continue;
    const int tangent = tangent_offsets_[i];
    if (manifolds_[i] == nullptr) {
      result->segment(offset, sizes_[i]) = x.segment(offset, sizes_[i]) + delta.segment(tangent, sizes_[i]);
    } else if (!manifolds_[i]->plus(x.data() + offset, delta.data() + tangent, result->data() + offset)) {
      if (error) *error = "the manifold's plus() failed for parameter block " + std::to_string(i);
      return false;
    }
  }
  return true;
}

void ParameterLayout::tangent_coordinates(const Eigen::VectorXd& x, Eigen::VectorXd* result) const {
  if (!has_manifolds_) {
    *result = x;
    return;
  }
  result->resize(num_tangent_);
  // Plain loops over the blocks' few numbers: the solvers ask for this at
  // every iteration, and Eigen's dynamic-size segments cost more to set up
  // than the pose graph's 1- and 2-number blocks take to copy.
  const double* in = x.data();
  double* out = result->data();
  for (size_t i = 0; i < values_.size(); ++i) {
    const int offset = offsets_[i];
    if (offset < 0) continue;
    const int tangent = tangent_offsets_[i];
    if (manifolds_[i] == nullptr) {
      for (int k = 0; k < sizes_[i]; ++k) out[tangent + k] = in[offset + k];
    } else {
      double squared_norm = 0.0;
      for (int k = 0; k < sizes_[i]; ++k) squared_norm += in[offset + k] * in[offset + k];
      const double norm = std::sqrt(squared_norm);
      for (int k = 0; k < tangent_sizes_[i]; ++k) out[tangent + k] = norm;
    }
  }
}

bool ParameterLayout::plus_jacobians(const Eigen::VectorXd& x, std::vector<double>* storage, std::string* error) const {
  storage->resize(jacobian_storage_);
  for (int i : manifold_blocks_) {
    if (!manifolds_[i]->plus_jacobian(x.data() + offsets_[i], storage->data() + jacobian_offsets_[i])) {
      *error = "the manifold's plus_jacobian() failed for parameter block " + std::to_string(i);
      return false;
    }
  }
  return true;
}

void ParameterLayout::tangent_gradient(const Eigen::VectorXd& ambient, const std::vector<double>& jacobians,
                                       Eigen::VectorXd* tangent) const {
  if (!has_manifolds_) {
    *tangent = ambient;
    return;
  }
  using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  tangent->resize(num_tangent_);
  for (size_t i = 0; i < values_.size(); ++i) {
    const int offset = offsets_[i];
    if (offset < 0) continue;
    const int t = tangent_offsets_[i];
    if (jacobian_manifolds_[i] == nullptr) {
      tangent->segment(t, sizes_[i]) = ambient.segment(offset, sizes_[i]);
    } else {
      const Eigen::Map<const RowMajorMatrix> plus_jacobian(jacobians.data() + jacobian_offsets_[i], sizes_[i],
                                                           tangent_sizes_[i]);
      tangent->segment(t, tangent_sizes_[i]).noalias() = plus_jacobian.transpose() * ambient.segment(offset, sizes_[i]);
    }
  }
}

}  // namespace curvature::internal
