#include "parameter_layout.h"

#include <algorithm>
#include <limits>

namespace curvature::internal {

ParameterLayout::ParameterLayout(const Problem::Impl& problem) {
  offsets_.assign(problem.parameter_blocks.size(), -1);
  for (size_t i = 0; i < problem.parameter_blocks.size(); ++i) {
    const ParameterBlockInfo& block = problem.parameter_blocks[i];
    values_.push_back(block.values);
    sizes_.push_back(block.size);
    if (block.constant) continue;
    offsets_[i] = num_parameters_;
    num_parameters_ += block.size;
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  lower_.setConstant(num_parameters_, -kInf);
  upper_.setConstant(num_parameters_, kInf);
  for (size_t i = 0; i < problem.parameter_blocks.size(); ++i) {
    const ParameterBlockInfo& block = problem.parameter_blocks[i];
    const int offset = offsets_[i];
    if (offset < 0) continue;
    for (int k = 0; k < block.size; ++k) {
      if (!block.lower.empty()) lower_[offset + k] = block.lower[k];
      if (!block.upper.empty()) upper_[offset + k] = block.upper[k];
    }
  }
  has_bounds_ = (lower_.array() > -kInf).any() || (upper_.array() < kInf).any();
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

}  // namespace curvature::internal
