#include "minibatch_evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "curvature/thread_pool.h"
#include "problem_impl.h"
#include "residual_block_call.h"

namespace curvature::internal {

struct MinibatchEvaluator::Block {
  const CostFunction* cost = nullptr;
  const LossFunction* loss = nullptr;
  int num_residuals = 0;
  // Where this block's gradient contribution lives in contributions_: its
  // variable parameter blocks' columns one after another, in `parameters` order.
  size_t contribution_offset = 0;
  int gradient_size = 0;  // the variable parameter blocks' sizes summed
  struct Parameter {
    const double* user_values;
    int size;
    int offset;  // in x; -1 when constant
  };
  std::vector<Parameter> parameters;
};

struct MinibatchEvaluator::Scratch : ResidualBlockScratch {
  std::vector<double> residuals;
};

MinibatchEvaluator::MinibatchEvaluator(const Problem& problem, int num_threads) : layout_(problem.impl()) {
  ThreadPool::check_num_threads(num_threads);
  const Problem::Impl& impl = problem.impl();
  size_t max_parameters = 0, max_residuals = 0, contribution_size = 0;
  for (const ResidualBlockInfo& info : impl.residual_blocks) {
    Block block;
    block.cost = info.cost.get();
    block.loss = info.loss.get();
    block.num_residuals = info.cost->num_residuals();
    block.contribution_offset = contribution_size;
    for (int p : info.parameter_blocks) {
      const ParameterBlockInfo& parameter = impl.parameter_blocks[p];
      block.parameters.push_back({parameter.values, parameter.size, layout_.offset(p)});
      if (layout_.offset(p) >= 0) block.gradient_size += parameter.size;
    }
    contribution_size += static_cast<size_t>(block.gradient_size);
    max_parameters = std::max(max_parameters, block.parameters.size());
    max_residuals = std::max(max_residuals, static_cast<size_t>(block.num_residuals));
    blocks_.push_back(std::move(block));
  }
  contributions_.assign(contribution_size, 0.0);
  block_costs_.assign(blocks_.size(), 0.0);
  block_failed_.assign(blocks_.size(), 0);
  block_errors_.resize(blocks_.size());

  pool_ = std::make_unique<ThreadPool>(num_threads);
  scratch_.resize(num_threads);
  for (Scratch& scratch : scratch_) {
    scratch.parameter_pointers.resize(max_parameters);
    scratch.jacobian_pointers.resize(max_parameters);
    // No Jacobian buffers: gradients come from CostFunction::evaluate_gradient.
    scratch.residuals.resize(max_residuals);
  }
  job_ = [this](int thread, int begin, int end) {
    for (int i = begin; i < end; ++i) {
      const int b = job_blocks_[i];
      double* contribution = job_gradient_ ? contributions_.data() + blocks_[b].contribution_offset : nullptr;
      block_failed_[b] =
          !evaluate_block(blocks_[b], job_x_, contribution, scratch_[thread], &block_costs_[b], &block_errors_[b]);
    }
  };
}

MinibatchEvaluator::~MinibatchEvaluator() = default;

int MinibatchEvaluator::num_residual_blocks() const { return static_cast<int>(blocks_.size()); }
int MinibatchEvaluator::num_residuals(int block) const { return blocks_[block].num_residuals; }

void MinibatchEvaluator::gather_parameters(Eigen::VectorXd* x) const { layout_.gather(x); }

void MinibatchEvaluator::scatter_parameters(const Eigen::VectorXd& x) const { layout_.scatter(x); }

bool MinibatchEvaluator::evaluate_block(const Block& block, const double* x, double* contribution, Scratch& scratch,
                                        double* cost, std::string* error) const {
  double* residuals = scratch.residuals.data();
  double squared_norm;
  const bool called =
      contribution ? call_residual_block_gradient(block, x, residuals, contribution, scratch, &squared_norm, error)
                   : call_residual_block(block, x, residuals, false, scratch, nullptr, &squared_norm, error);
  if (!called) return false;
  // d/dx 1/2 rho(|r|^2) = rho'(|r|^2) J^T r. A non-positive rho' (Tukey
  // beyond its scale) means the block no longer pulls: zero, as the
  // evaluator's robust correction does.
  double scale = 1.0;
  if (block.loss) {
    const auto rho = block.loss->evaluate(squared_norm);
    *cost = 0.5 * rho[0];
    scale = rho[1] > 0.0 ? rho[1] : 0.0;
  } else {
    *cost = 0.5 * squared_norm;
  }
  if (!std::isfinite(*cost)) {
    *error = "its cost overflows";
    return false;
  }
  if (contribution && scale != 1.0) {
    Eigen::Map<Eigen::VectorXd>(contribution, block.gradient_size) *= scale;
  }
  return true;
}

MinibatchEvaluator::Result MinibatchEvaluator::evaluate(const Eigen::VectorXd& x, std::span<const int> blocks,
                                                        Eigen::VectorXd* gradient) {
  job_x_ = x.data();
  job_blocks_ = blocks.data();
  job_gradient_ = gradient != nullptr;
  pool_->parallel_for(static_cast<int>(blocks.size()), job_);

  Result result;
  for (int b : blocks) {
    if (block_failed_[b]) {
      result.ok = false;
      result.cost = std::numeric_limits<double>::infinity();
      result.message = "residual block " + std::to_string(b) + ": " + block_errors_[b];
      return result;
    }
    result.cost += block_costs_[b];
    result.num_residuals += blocks_[b].num_residuals;
  }
  if (!std::isfinite(result.cost)) {
    result.ok = false;
    result.message = "the minibatch cost overflows (every block's cost is finite, their sum is not)";
    return result;
  }
  if (!gradient) return result;
  const bool manifolds = layout_.has_manifolds();
  Eigen::VectorXd* sum = gradient;
  if (manifolds) {
    ambient_gradient_.resize(layout_.num_parameters());
    sum = &ambient_gradient_;
  }
  // The fixed-order reduction that makes the result independent of threads.
  sum->setZero();
  for (int b : blocks) {
    const Block& block = blocks_[b];
    const double* source = contributions_.data() + block.contribution_offset;
    for (const Block::Parameter& parameter : block.parameters) {
      if (parameter.offset < 0) continue;
      sum->segment(parameter.offset, parameter.size) += Eigen::Map<const Eigen::VectorXd>(source, parameter.size);
      source += parameter.size;
    }
  }
  if (manifolds) {
    if (!layout_.plus_jacobians(x, &plus_jacobians_, &result.message)) {
      result.ok = false;
      return result;
    }
    layout_.tangent_gradient(ambient_gradient_, plus_jacobians_, gradient);
  }
  if (!gradient->allFinite()) {
    result.ok = false;
    result.message = "the gradient overflows although every residual and Jacobian entry is finite";
  }
  return result;
}

}  // namespace curvature::internal
