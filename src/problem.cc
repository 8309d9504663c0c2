#include "curvature/problem.h"

#include <cmath>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>

#include "curvature/error.h"
#include "evaluator.h"
#include "problem_impl.h"

namespace curvature {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string describe(const double* values) {
  std::ostringstream out;
  out << "parameter block at " << static_cast<const void*>(values);
  return out.str();
}

void check_index(const ParameterBlockInfo& block, int index, const char* caller) {
  if (index < 0 || index >= block.size) {
    throw Error(std::string(caller) + ": index " + std::to_string(index) + " is outside " + describe(block.values) +
                " of size " + std::to_string(block.size));
  }
}

// A finite bound on a block that steps through a non-Euclidean manifold.
void check_no_manifold(const ParameterBlockInfo& block, int index, double bound, const char* caller) {
  if (!std::isfinite(bound) || block.stepping_manifold() == nullptr) return;
  throw Error(std::string(caller) + ": " + describe(block.values) + " of size " + std::to_string(block.size) +
              " has a manifold with tangent size " + std::to_string(block.manifold->tangent_size()) +
              ", and bounds are allowed only on blocks whose manifold is Euclidean; bound " + to_decimal(bound) +
              " at index " + std::to_string(index) + " refused");
}

}  // namespace

int Problem::Impl::find_block(const double* values, const char* caller) const {
  auto it = block_index.find(values);
  if (it == block_index.end()) {
    throw Error(std::string(caller) + ": " + describe(values) + " is not part of this problem");
  }
  return it->second;
}

Problem::Problem() : impl_(std::make_unique<Impl>()) {}
Problem::~Problem() = default;
Problem::Problem(Problem&&) noexcept = default;
Problem& Problem::operator=(Problem&&) noexcept = default;

Problem::Impl& Problem::state() {
  if (!impl_) throw Error("Problem: this Problem has been moved from; assign a Problem to it before using it");
  return *impl_;
}

const Problem::Impl& Problem::state() const { return const_cast<Problem*>(this)->state(); }

void Problem::add_parameter_block(double* values, int size) {
  if (values == nullptr) throw Error("add_parameter_block: the parameter block pointer is null");
  if (size <= 0) {
    throw Error("add_parameter_block: " + describe(values) + " has non-positive size " + std::to_string(size));
  }
  auto it = state().block_index.find(values);
  if (it != state().block_index.end()) {
    const int existing = state().parameter_blocks[it->second].size;
    if (existing != size) {
      throw Error("add_parameter_block: " + describe(values) + " was added with size " + std::to_string(existing) +
                  " and now with size " + std::to_string(size));
    }
    return;
  }
  // Blocks must not overlap: two views of the same doubles would make the
  // Jacobian's columns meaningless. Only the nearest blocks below and above
  // can overlap a new one.
  auto overlap_error = [&](int other) {
    const ParameterBlockInfo& block = state().parameter_blocks[other];
    return Error("add_parameter_block: " + describe(values) + " of size " + std::to_string(size) + " overlaps " +
                 describe(block.values) + " of size " + std::to_string(block.size));
  };
  auto above = state().blocks_by_address.lower_bound(values);
  if (above != state().blocks_by_address.end() && above->first < values + size) throw overlap_error(above->second);
  if (above != state().blocks_by_address.begin()) {
    auto below = std::prev(above);
    if (below->first + state().parameter_blocks[below->second].size > values) throw overlap_error(below->second);
  }
  state().block_index.emplace(values, static_cast<int>(state().parameter_blocks.size()));
  state().blocks_by_address.emplace(values, static_cast<int>(state().parameter_blocks.size()));
  ParameterBlockInfo info;
  info.values = values;
  info.size = size;
  state().parameter_blocks.push_back(std::move(info));
  ++state().structure_version;
}

void Problem::add_parameter_block(double* values, int size, std::shared_ptr<const Manifold> manifold) {
  add_parameter_block(values, size);
  set_manifold(values, std::move(manifold));
}

void Problem::set_manifold(double* values, std::shared_ptr<const Manifold> manifold) {
  ParameterBlockInfo& block = state().parameter_blocks[state().find_block(values, "set_manifold")];
  if (manifold) {
    if (manifold->ambient_size() != block.size) {
      throw Error("set_manifold: the manifold's ambient size " + std::to_string(manifold->ambient_size()) +
                  " differs from the size " + std::to_string(block.size) + " of " + describe(values));
    }
    const int tangent = manifold->tangent_size();
    if (tangent < 0 || tangent > block.size) {
      throw Error("set_manifold: the manifold's tangent size " + std::to_string(tangent) + " is outside [0, " +
                  std::to_string(block.size) + "] for " + describe(values) + " of size " + std::to_string(block.size));
    }
    if (!manifold->is_euclidean() && block.has_bounds()) {
      throw Error("set_manifold: " + describe(values) + " of size " + std::to_string(block.size) +
                  " has bounds, and bounds are allowed only on blocks whose manifold is Euclidean (a step through "
                  "the manifold's plus() does not move coordinates independently); clear the bounds first");
    }
  }
  block.manifold = std::move(manifold);
  ++state().structure_version;
}

const Manifold* Problem::manifold(const double* values) const {
  return state().parameter_blocks[state().find_block(values, "manifold")].manifold.get();
}

int Problem::parameter_block_tangent_size(const double* values) const {
  return state().parameter_blocks[state().find_block(values, "parameter_block_tangent_size")].tangent_size();
}

void Problem::remove_residual_block(int index) {
  Impl& impl = state();
  if (index < 0 || index >= static_cast<int>(impl.residual_blocks.size())) {
    throw Error("remove_residual_block: residual block " + std::to_string(index) + " is out of range [0, " +
                std::to_string(impl.residual_blocks.size()) + ")");
  }
  impl.num_residuals -= impl.residual_blocks[index].cost->num_residuals();
  impl.residual_blocks.erase(impl.residual_blocks.begin() + index);
  ++impl.structure_version;
}

void Problem::remove_parameter_block(double* values) {
  Impl& impl = state();
  const int removed = impl.find_block(values, "remove_parameter_block");
  // The residual blocks that read it go first, in one pass that keeps the
  // others in order.
  std::vector<ResidualBlockInfo> kept;
  kept.reserve(impl.residual_blocks.size());
  for (ResidualBlockInfo& info : impl.residual_blocks) {
    bool uses = false;
    for (int p : info.parameter_blocks) uses = uses || p == removed;
    if (uses) {
      impl.num_residuals -= info.cost->num_residuals();
      continue;
    }
    for (int& p : info.parameter_blocks) {
      if (p > removed) --p;
    }
    kept.push_back(std::move(info));
  }
  impl.residual_blocks = std::move(kept);
  impl.parameter_blocks.erase(impl.parameter_blocks.begin() + removed);
  impl.block_index.erase(values);
  impl.blocks_by_address.erase(values);
  for (auto& [address, index] : impl.block_index) {
    if (index > removed) --index;
  }
  for (auto& [address, index] : impl.blocks_by_address) {
    if (index > removed) --index;
  }
  ++impl.structure_version;
}

int Problem::add_residual_block(std::shared_ptr<const CostFunction> cost, std::shared_ptr<const LossFunction> loss,
                                const std::vector<double*>& blocks) {
  const int id = static_cast<int>(state().residual_blocks.size());
  const std::string who = "add_residual_block (residual block " + std::to_string(id) + ")";
  if (!cost) throw Error(who + ": the cost function is null");
  const std::vector<int>& sizes = cost->parameter_block_sizes();
  if (cost->num_residuals() <= 0) throw Error(who + ": the cost function has no residuals");
  if (sizes.size() != blocks.size()) {
    throw Error(who + ": the cost function expects " + std::to_string(sizes.size()) + " parameter blocks, got " +
                std::to_string(blocks.size()));
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i] == nullptr) throw Error(who + ": parameter block " + std::to_string(i) + " is null");
    for (size_t j = 0; j < i; ++j) {
      if (blocks[j] == blocks[i]) {
        throw Error(who + ": parameter blocks " + std::to_string(j) + " and " + std::to_string(i) +
                    " are the same block");
      }
    }
  }
  ResidualBlockInfo info{std::move(cost), std::move(loss), {}};
  for (size_t i = 0; i < blocks.size(); ++i) {
    add_parameter_block(blocks[i], sizes[i]);
    info.parameter_blocks.push_back(state().block_index.at(blocks[i]));
  }
  state().num_residuals += info.cost->num_residuals();
  state().residual_blocks.push_back(std::move(info));
  ++state().structure_version;
  return id;
}

void Problem::set_parameter_block_constant(double* values) {
  state().parameter_blocks[state().find_block(values, "set_parameter_block_constant")].constant = true;
  ++state().structure_version;
}

void Problem::set_parameter_block_variable(double* values) {
  state().parameter_blocks[state().find_block(values, "set_parameter_block_variable")].constant = false;
  ++state().structure_version;
}

bool Problem::is_parameter_block_constant(const double* values) const {
  return state().parameter_blocks[state().find_block(values, "is_parameter_block_constant")].constant;
}

void Problem::set_lower_bound(double* values, int index, double lower) {
  ParameterBlockInfo& block = state().parameter_blocks[state().find_block(values, "set_lower_bound")];
  check_index(block, index, "set_lower_bound");
  check_no_manifold(block, index, lower, "set_lower_bound");
  if (std::isnan(lower)) throw Error("set_lower_bound: the bound for index " + std::to_string(index) + " is NaN");
  if (lower == kInf) {
    throw Error("set_lower_bound: a lower bound of +inf at index " + std::to_string(index) + " of " + describe(values) +
                " leaves no feasible value (-inf means no bound)");
  }
  if (lower > block.upper_bound(index)) {
    throw Error("set_lower_bound: lower bound " + to_decimal(lower) + " exceeds upper bound " +
                to_decimal(block.upper_bound(index)) + " at index " + std::to_string(index) + " of " +
                describe(values));
  }
  block.mutable_bounds().lower[static_cast<size_t>(index)] = lower;
}

void Problem::set_upper_bound(double* values, int index, double upper) {
  ParameterBlockInfo& block = state().parameter_blocks[state().find_block(values, "set_upper_bound")];
  check_index(block, index, "set_upper_bound");
  check_no_manifold(block, index, upper, "set_upper_bound");
  if (std::isnan(upper)) throw Error("set_upper_bound: the bound for index " + std::to_string(index) + " is NaN");
  if (upper == -kInf) {
    throw Error("set_upper_bound: an upper bound of -inf at index " + std::to_string(index) + " of " +
                describe(values) + " leaves no feasible value (+inf means no bound)");
  }
  if (upper < block.lower_bound(index)) {
    throw Error("set_upper_bound: upper bound " + to_decimal(upper) + " is below lower bound " +
                to_decimal(block.lower_bound(index)) + " at index " + std::to_string(index) + " of " +
                describe(values));
  }
  block.mutable_bounds().upper[static_cast<size_t>(index)] = upper;
}

double Problem::lower_bound(const double* values, int index) const {
  const ParameterBlockInfo& block = state().parameter_blocks[state().find_block(values, "lower_bound")];
  check_index(block, index, "lower_bound");
  return block.lower_bound(index);
}

double Problem::upper_bound(const double* values, int index) const {
  const ParameterBlockInfo& block = state().parameter_blocks[state().find_block(values, "upper_bound")];
  check_index(block, index, "upper_bound");
  return block.upper_bound(index);
}

int Problem::num_parameter_blocks() const { return static_cast<int>(state().parameter_blocks.size()); }

int Problem::num_parameters() const {
  int n = 0;
  for (const ParameterBlockInfo& block : state().parameter_blocks) n += block.size;
  return n;
}

int Problem::num_effective_parameters() const {
  int n = 0;
  for (const ParameterBlockInfo& block : state().parameter_blocks) n += block.constant ? 0 : block.size;
  return n;
}

int Problem::num_effective_tangent_parameters() const {
  int n = 0;
  for (const ParameterBlockInfo& block : state().parameter_blocks) n += block.constant ? 0 : block.tangent_size();
  return n;
}

int Problem::num_residual_blocks() const { return static_cast<int>(state().residual_blocks.size()); }
int Problem::num_residuals() const { return state().num_residuals; }

std::vector<double*> Problem::parameter_blocks() const {
  std::vector<double*> out;
  for (const ParameterBlockInfo& block : state().parameter_blocks) out.push_back(block.values);
  return out;
}

int Problem::parameter_block_size(const double* values) const {
  return state().parameter_blocks[state().find_block(values, "parameter_block_size")].size;
}

bool Problem::evaluate(const EvaluateOptions& options, double* cost, Eigen::VectorXd* residuals,
                       Eigen::VectorXd* gradient, Eigen::MatrixXd* dense_jacobian, SparseRowMatrix* sparse_jacobian,
                       std::string* error) const {
  internal::Evaluator::Options evaluator_options;
  evaluator_options.num_threads = options.num_threads;
  evaluator_options.apply_loss = options.apply_loss;
  evaluator_options.residual_blocks = options.residual_blocks;
  evaluator_options.sparse = sparse_jacobian != nullptr;
  internal::Evaluator evaluator(*this, evaluator_options);
  const Eigen::VectorXd x = evaluator.gather_parameters();
  if (sparse_jacobian) *sparse_jacobian = evaluator.make_sparse_jacobian();
  internal::EvaluationRequest request;
  request.residuals = residuals;
  request.gradient = gradient;
  request.dense_jacobian = dense_jacobian;
  request.sparse_jacobian = sparse_jacobian;
  double local_cost = 0.0;
  internal::EvaluationStatus status = evaluator.evaluate(x, &local_cost, request);
  if (cost) *cost = local_cost;
  if (!status.ok && error) *error = status.message;
  return status.ok;
}

}  // namespace curvature
