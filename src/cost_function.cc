#include "curvature/cost_function.h"

#include <string>

namespace curvature {

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
  parameter_block_sizes_ = std::move(sizes);
}

void DynamicCostFunction::add_parameter_block(int size) {
  std::vector<int> sizes = parameter_block_sizes();
  sizes.push_back(size);
  set_parameter_block_sizes(std::move(sizes));
}

}  // namespace curvature
