#include "mlp_network.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "curvature/error.h"
#include "mlp_kernels.h"
#include "mlp_random.h"

namespace curvature {
namespace {

using internal::mlp::ConstVectorMap;
using internal::mlp::make_shape;
using internal::mlp::NormalSource;
using internal::mlp::RowMajorMatrix;
using internal::mlp::Shape;
using internal::mlp::uniform01;
using internal::mlp::VectorMap;

void check_layer(int layer, int layers, const char* where) {
  if (layer < 1 || layer > layers) {
    throw Error(std::string(where) + ": layer " + std::to_string(layer) + " is outside 1.." + std::to_string(layers));
  }
}

}  // namespace

const char* to_string(Activation activation) {
  switch (activation) {
    case Activation::kTanh:
      return "tanh";
    case Activation::kRelu:
      return "relu";
    case Activation::kSigmoid:
      return "sigmoid";
    case Activation::kSoftplus:
      return "softplus";
    case Activation::kLinear:
      return "linear";
  }
  return "unknown";
}

const char* to_string(Initialization initialization) {
  switch (initialization) {
    case Initialization::kGlorotUniform:
      return "glorot_uniform";
    case Initialization::kGlorotNormal:
      return "glorot_normal";
    case Initialization::kHeUniform:
      return "he_uniform";
    case Initialization::kHeNormal:
      return "he_normal";
    case Initialization::kLecunNormal:
      return "lecun_normal";
  }
  return "unknown";
}

void validate(const MlpOptions& options) {
  const auto& sizes = options.layer_sizes;
  if (sizes.size() < 2) {
    throw Error("MlpOptions::layer_sizes needs at least two entries (inputs and outputs), got " +
                std::to_string(sizes.size()));
  }
  long long total = 0;
  for (size_t l = 0; l < sizes.size(); ++l) {
    if (sizes[l] <= 0) {
      throw Error("MlpOptions::layer_sizes[" + std::to_string(l) + "] must be positive, got " +
                  std::to_string(sizes[l]));
    }
    if (l > 0) total += static_cast<long long>(sizes[l]) * sizes[l - 1] + sizes[l];
  }
  if (total > std::numeric_limits<int>::max()) {
    throw Error("MlpOptions::layer_sizes: " + std::to_string(total) + " parameters do not fit an int");
  }
  if (options.chunk_size < 1) {
    throw Error("MlpOptions::chunk_size must be at least 1, got " + std::to_string(options.chunk_size));
  }
  if (static_cast<long long>(options.chunk_size) * sizes.back() > std::numeric_limits<int>::max()) {
    throw Error("MlpOptions::chunk_size: " + std::to_string(options.chunk_size) + " samples x " +
                std::to_string(sizes.back()) + " outputs residuals do not fit an int");
  }
  for (const Activation a : {options.hidden_activation, options.output_activation}) {
    if (std::string(to_string(a)) == "unknown") throw Error("MlpOptions: unknown activation");
  }
  if (std::string(to_string(options.initialization)) == "unknown") {
    throw Error("MlpOptions::initialization is not a known Initialization");
  }
}

Mlp::Mlp(const MlpOptions& options) : options_(options) {
  validate(options_);
  const Shape shape = make_shape(options_);
  offsets_.push_back(0);
  for (int l = 1; l <= shape.layers(); ++l) offsets_.push_back(offsets_.back() + shape.block_size(l));
  parameters_.assign(static_cast<size_t>(offsets_.back()), 0.0);
  initialize(options_.seed);
}

int Mlp::layer_offset(int layer) const {
  check_layer(layer, num_layers(), "Mlp::layer_offset");
  return offsets_[static_cast<size_t>(layer - 1)];
}

int Mlp::layer_size(int layer) const {
  check_layer(layer, num_layers(), "Mlp::layer_size");
  return offsets_[static_cast<size_t>(layer)] - offsets_[static_cast<size_t>(layer - 1)];
}

Eigen::VectorXd Mlp::parameter_vector() const { return ConstVectorMap(parameters_.data(), num_parameters()); }

void Mlp::set_parameters(const Eigen::VectorXd& x) {
  if (x.size() != num_parameters()) {
    throw Error("Mlp::set_parameters: got " + std::to_string(x.size()) + " values, the network has " +
                std::to_string(num_parameters()) + " parameters");
  }
  VectorMap(parameters_.data(), num_parameters()) = x;
}

Eigen::Map<const RowMajorMatrix> Mlp::weights(int layer) const {
  check_layer(layer, num_layers(), "Mlp::weights");
  return internal::mlp::weights_of(make_shape(options_), layer_parameters(layer), layer);
}

Eigen::Map<const Eigen::VectorXd> Mlp::biases(int layer) const {
  check_layer(layer, num_layers(), "Mlp::biases");
  const int n = options_.layer_sizes[static_cast<size_t>(layer)];
  return ConstVectorMap(layer_parameters(layer) + layer_size(layer) - n, n);
}

void Mlp::initialize(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  NormalSource normal(rng);
  const auto& sizes = options_.layer_sizes;
  for (int l = 1; l <= num_layers(); ++l) {
    const double fan_in = sizes[static_cast<size_t>(l - 1)];
    const double fan_out = sizes[static_cast<size_t>(l)];
    const int count = sizes[static_cast<size_t>(l)] * sizes[static_cast<size_t>(l - 1)];
    double* w = layer_parameters(l);
    for (int i = 0; i < count; ++i) {
      switch (options_.initialization) {
        case Initialization::kGlorotUniform:
          w[i] = std::sqrt(6.0 / (fan_in + fan_out)) * (2.0 * uniform01(rng) - 1.0);
          break;
        case Initialization::kGlorotNormal:
          w[i] = std::sqrt(2.0 / (fan_in + fan_out)) * normal.next();
          break;
        case Initialization::kHeUniform:
          w[i] = std::sqrt(6.0 / fan_in) * (2.0 * uniform01(rng) - 1.0);
          break;
        case Initialization::kHeNormal:
          w[i] = std::sqrt(2.0 / fan_in) * normal.next();
          break;
        case Initialization::kLecunNormal:
          w[i] = std::sqrt(1.0 / fan_in) * normal.next();
          break;
      }
    }
    std::fill(w + count, w + layer_size(l), 0.0);
  }
}

}  // namespace curvature
