#include "mlp_regression.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "curvature/error.h"
#include "mlp_kernels.h"

namespace curvature {
namespace {

using internal::mlp::columns_of;
using internal::mlp::ConstMatrixMap;
using internal::mlp::ConstVectorMap;
using internal::mlp::for_each_chunk;
using internal::mlp::make_shape;
using internal::mlp::MatrixMap;
using internal::mlp::RowMajorMap;
using internal::mlp::Scratch;
using internal::mlp::Shape;
using internal::mlp::VectorMap;

// The L2 penalty residuals of one layer block: sqrt(weight) * x[0..m), with
// m = the weight count (weights only) or the block size.
class L2Residual final : public CostFunction {
 public:
  L2Residual(int block_size, int count, double sqrt_weight) : count_(count), sqrt_weight_(sqrt_weight) {
    set_num_residuals(count);
    set_parameter_block_sizes({block_size});
  }
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    VectorMap(residuals, count_) = sqrt_weight_ * ConstVectorMap(parameters[0], count_);
    if (jacobians && jacobians[0]) {
      const int size = parameter_block_sizes()[0];
      RowMajorMap jacobian(jacobians[0], count_, size);
      jacobian.setZero();
      jacobian.leftCols(count_).diagonal().setConstant(sqrt_weight_);
    }
    return true;
  }

 private:
  int count_;
  double sqrt_weight_;
};

}  // namespace

MlpResidual::MlpResidual(const MlpOptions& options, const Eigen::MatrixXd& inputs, const Eigen::MatrixXd& targets)
    : layer_sizes_(options.layer_sizes), hidden_(options.hidden_activation), output_(options.output_activation) {
  validate(options);
  if (inputs.rows() < 1 || inputs.rows() != targets.rows()) {
    throw Error("MlpResidual: need at least one sample and as many target rows as input rows, got " +
                std::to_string(inputs.rows()) + " and " + std::to_string(targets.rows()));
  }
  if (inputs.cols() != layer_sizes_.front() || targets.cols() != layer_sizes_.back()) {
    throw Error("MlpResidual: the network has " + std::to_string(layer_sizes_.front()) + " inputs and " +
                std::to_string(layer_sizes_.back()) + " outputs, the data " + std::to_string(inputs.cols()) +
                " input and " + std::to_string(targets.cols()) + " target columns");
  }
  const long long residuals = static_cast<long long>(inputs.rows()) * targets.cols();
  if (residuals > std::numeric_limits<int>::max()) throw Error("MlpResidual: too many residuals for one block");
  inputs_ = columns_of(inputs);
  targets_ = columns_of(targets);
  set_num_residuals(static_cast<int>(residuals));
  const Shape shape{layer_sizes_, hidden_, output_};
  std::vector<int> blocks;
  for (int l = 1; l <= shape.layers(); ++l) blocks.push_back(shape.block_size(l));
  set_parameter_block_sizes(std::move(blocks));
}

namespace {

// One thread's work space for a network pass. Thread-local rather than
// per-object: the same block may be shared by Problems evaluated on
// different threads, and a pool thread reuses one buffer for every chunk it
// evaluates.
struct PassScratch {
  Scratch scratch;
  Shape shape;
};

// The forward pass both Jacobian layouts share: the residuals, and with
// want_jacobians the activations' derivatives the backward sweep needs.
PassScratch& forward_residuals(const std::vector<int>& layer_sizes, Activation hidden, Activation output,
                               const Eigen::MatrixXd& inputs, const Eigen::MatrixXd& targets,
                               double const* const* parameters, double* residuals, bool want_jacobians) {
  thread_local PassScratch pass;
  pass.shape.sizes = layer_sizes;  // no allocation once the thread has seen this many layers
  pass.shape.hidden = hidden;
  pass.shape.output = output;
  const int samples = static_cast<int>(inputs.cols());
  pass.scratch.prepare(pass.shape, samples);
  forward(pass.shape, parameters, inputs.data(), samples, pass.scratch.a(),
          want_jacobians ? pass.scratch.d() : nullptr);
  MatrixMap(residuals, pass.shape.outputs(), samples) =
      ConstMatrixMap(pass.scratch.a()[pass.shape.layers()], pass.shape.outputs(), samples) - targets;
  return pass;
}

}  // namespace

bool MlpResidual::evaluate(double const* const* parameters, double* residuals, double** jacobians) const {
  const bool want_jacobians = jacobians != nullptr;
  PassScratch& pass =
      forward_residuals(layer_sizes_, hidden_, output_, inputs_, targets_, parameters, residuals, want_jacobians);
  if (want_jacobians) {
    Scratch& scratch = pass.scratch;
    output_jacobians(pass.shape, parameters, inputs_.data(), num_samples(), scratch.a(), scratch.d(), scratch.back(0),
                     scratch.back(1), jacobians, parameter_block_sizes().data());
  }
  return true;
}

bool MlpResidual::evaluate_column_major(double const* const* parameters, double* residuals, double** jacobians,
                                        long leading_dimension) const {
  if (leading_dimension < num_residuals()) {
    throw Error("MlpResidual::evaluate_column_major: leading dimension " + std::to_string(leading_dimension) +
                " is below the number of residuals " + std::to_string(num_residuals()));
  }
  const bool want_jacobians = jacobians != nullptr;
  PassScratch& pass =
      forward_residuals(layer_sizes_, hidden_, output_, inputs_, targets_, parameters, residuals, want_jacobians);
  if (want_jacobians) {
    Scratch& scratch = pass.scratch;
    output_jacobians_column_major(pass.shape, parameters, inputs_.data(), num_samples(), scratch.a(), scratch.d(),
                                  scratch.back(0), scratch.back(1), jacobians, leading_dimension);
  }
  return true;
}

bool MlpResidual::evaluate_gradient(double const* const* parameters, double* residuals, double** gradients) const {
  thread_local Scratch scratch;
  thread_local Shape shape;
  shape.sizes = layer_sizes_;
  shape.hidden = hidden_;
  shape.output = output_;
  const int samples = num_samples();
  const int layers = shape.layers();
  const int k = shape.outputs();
  scratch.prepare(shape, samples);
  forward(shape, parameters, inputs_.data(), samples, scratch.a(), scratch.d());
  MatrixMap r(residuals, k, samples);
  r = ConstMatrixMap(scratch.a()[layers], k, samples) - targets_;

  // Delta_L = d(1/2 |r|^2) / d z_L = r .* f'(z_L), backpropagated once.
  MatrixMap(scratch.back(0), k, samples) = r.cwiseProduct(ConstMatrixMap(scratch.d()[layers], k, samples));
  // backward_gradient adds to every layer's gradient; unwanted layers get scratch.
  thread_local std::vector<double> unwanted;
  thread_local std::vector<double*> targets;
  targets.assign(gradients, gradients + layers);
  size_t largest = 0;
  for (int l = 1; l <= layers; ++l) largest = std::max(largest, static_cast<size_t>(shape.block_size(l)));
  if (unwanted.size() < largest) unwanted.resize(largest);
  for (int l = 1; l <= layers; ++l) {
    if (!targets[l - 1]) targets[l - 1] = unwanted.data();
    VectorMap(targets[l - 1], shape.block_size(l)).setZero();
  }
  backward_gradient(shape, parameters, inputs_.data(), samples, scratch.a(), scratch.d(), scratch.back(0),
                    scratch.back(1), targets.data());
  return true;
}

std::vector<int> add_mlp_regression_residuals(Mlp& mlp, const Dataset& data, Problem* problem) {
  const std::string where = "add_mlp_regression_residuals: ";
  if (problem == nullptr) throw Error(where + "the Problem is null");
  if (data.num_samples() < 1) throw Error(where + "the data set is empty");
  if (data.num_inputs() != mlp.num_inputs() || data.num_targets() != mlp.num_outputs() ||
      data.targets.rows() != data.inputs.rows()) {
    throw Error(where + "the network has " + std::to_string(mlp.num_inputs()) + " inputs and " +
                std::to_string(mlp.num_outputs()) + " outputs; the data set has " + std::to_string(data.num_inputs()) +
                " input and " + std::to_string(data.num_targets()) + " target columns, " +
                std::to_string(data.inputs.rows()) + " and " + std::to_string(data.targets.rows()) + " rows");
  }
  // Build every block before adding any, so that an error leaves the Problem untouched.
  std::vector<std::shared_ptr<const CostFunction>> costs;
  for_each_chunk(data.num_samples(), mlp.options().chunk_size, [&](int start, int count) {
    costs.push_back(std::make_shared<const MlpResidual>(mlp.options(), data.inputs.middleRows(start, count),
                                                        data.targets.middleRows(start, count)));
  });
  std::vector<double*> blocks;
  for (int l = 1; l <= mlp.num_layers(); ++l) blocks.push_back(mlp.layer_parameters(l));
  std::vector<int> indices;
  for (auto& cost : costs) indices.push_back(problem->add_residual_block(std::move(cost), nullptr, blocks));
  return indices;
}

std::vector<int> add_mlp_l2_regularization(Mlp& mlp, double weight, Problem* problem, RegularizationScope scope) {
  if (problem == nullptr) throw Error("add_mlp_l2_regularization: the Problem is null");
  if (!(weight > 0.0) || !std::isfinite(weight)) {
    throw Error("add_mlp_l2_regularization: the weight must be positive and finite, got " + std::to_string(weight));
  }
  const Shape shape = make_shape(mlp.options());
  std::vector<int> indices;
  for (int l = 1; l <= shape.layers(); ++l) {
    const int count = scope == RegularizationScope::kWeightsOnly ? shape.weight_count(l) : shape.block_size(l);
    indices.push_back(
        problem->add_residual_block(std::make_shared<const L2Residual>(shape.block_size(l), count, std::sqrt(weight)),
                                    nullptr, mlp.layer_parameters(l)));
  }
  return indices;
}

}  // namespace curvature
