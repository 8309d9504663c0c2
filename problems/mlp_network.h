// mlp_network.h — a multilayer perceptron's shape and parameters: the
// options, the activations, the seeded initialization and the Mlp that owns
// the parameter vector. mlp.h describes the whole MLP problem.
//
// The network. Layer sizes n_0 (inputs), n_1, ..., n_L (outputs); for layer
// l = 1..L
//
//   z_l = W_l a_{l-1} + b_l,   a_l = f_l(z_l),   a_0 = x,
//
// with W_l an n_l x n_{l-1} matrix, b_l an n_l vector, f_l the hidden
// activation for l < L and the output activation for l = L. The prediction
// is a_L.
//
// Parameters. All of them live in one std::vector<double> owned by Mlp, one
// parameter block per layer, the blocks one after another in layer order.
// Block l holds n_l * n_{l-1} + n_l doubles:
//
//   [ W_l row-major (W_l(j, i) at j * n_{l-1} + i) | b_l (b_l(j) at n_l * n_{l-1} + j) ]
//
// (the layout of PyTorch's Linear.weight followed by Linear.bias, so trained
// weights move between the two by a copy). The Objective below uses the whole
// vector, blocks concatenated, as its x. A 10-32-32-1 network has
// 352 + 1056 + 33 = 1441 parameters; 64-32-10 has 2080 + 330 = 2410.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <vector>

namespace curvature {

// tanh is evaluated as 1 - 2 / (e^{2z} + 1) with Eigen's vectorized exp:
// about ten times faster than std::tanh, with an absolute (not relative)
// error of a few ulp of 1, the same throughout.
enum class Activation {
  kTanh,      // tanh z;                   f' = 1 - tanh^2 z
  kRelu,      // max(z, 0);                f' = 1 for z > 0, else 0
  kSigmoid,   // 1 / (1 + e^-z);           f' = f (1 - f)
  kSoftplus,  // log(1 + e^z), stably;     f' = sigmoid z
  kLinear,    // z;                        f' = 1
};

// How Mlp draws the initial weights (biases start at zero). fan_in = n_{l-1},
// fan_out = n_l. Uniforms are the top 53 bits of one std::mt19937_64 draw,
// normals come from a hand-written Box-Muller transform (std::*_distribution
// algorithms differ between standard libraries), so a seed gives the same
// network everywhere up to the last-bit accuracy of std::log, std::sqrt,
// std::cos and std::sin.
enum class Initialization {
  kGlorotUniform,  // U(-a, a), a = sqrt(6 / (fan_in + fan_out))  (Glorot and Bengio 2010)
  kGlorotNormal,   // N(0, 2 / (fan_in + fan_out))
  kHeUniform,      // U(-a, a), a = sqrt(6 / fan_in)              (He et al. 2015)
  kHeNormal,       // N(0, 2 / fan_in)
  kLecunNormal,    // N(0, 1 / fan_in)
};

const char* to_string(Activation activation);
const char* to_string(Initialization initialization);

struct MlpOptions {
  // n_0 (inputs), hidden sizes..., n_L (outputs); at least two entries, all
  // positive. E.g. {10, 32, 32, 1}.
  std::vector<int> layer_sizes;
  Activation hidden_activation = Activation::kTanh;
  // Regression normally keeps the output linear. The cross-entropy objective
  // requires kLinear (its logits are z_L).
  Activation output_activation = Activation::kLinear;
  Initialization initialization = Initialization::kGlorotUniform;
  std::uint64_t seed = 42;
  // Samples per residual block (regression) and per pass of the objectives'
  // loops; >= 1. Larger chunks mean fewer, larger matrix products; the
  // Jacobian block of a chunk is chunk_size * K x (block size) doubles.
  int chunk_size = 250;
};

// Throws curvature::Error naming the first field of `options` out of range
// (also when the parameter count overflows int).
void validate(const MlpOptions& options);

// The network's parameters and shape. The Problem built by
// add_mlp_regression_residuals() refers to the parameter memory: do not
// destroy the Mlp while the Problem is in use. Moving an Mlp keeps its
// memory (and so the Problem's pointers) valid; a copy has its own memory.
class Mlp {
 public:
  // Validates the options (curvature::Error) and initializes the parameters
  // from options.seed.
  explicit Mlp(const MlpOptions& options);

  const MlpOptions& options() const { return options_; }
  const std::vector<int>& layer_sizes() const { return options_.layer_sizes; }
  int num_layers() const { return static_cast<int>(options_.layer_sizes.size()) - 1; }  // L, weight layers
  int num_inputs() const { return options_.layer_sizes.front(); }
  int num_outputs() const { return options_.layer_sizes.back(); }
  int num_parameters() const { return static_cast<int>(parameters_.size()); }

  // Parameter block of layer l = 1..L: its offset in parameters() and size
  // n_l * n_{l-1} + n_l. Out-of-range l throws curvature::Error.
  int layer_offset(int layer) const;
  int layer_size(int layer) const;
  double* layer_parameters(int layer) { return parameters_.data() + layer_offset(layer); }
  const double* layer_parameters(int layer) const { return parameters_.data() + layer_offset(layer); }

  std::span<double> parameters() { return parameters_; }
  std::span<const double> parameters() const { return parameters_; }
  // Copies of the parameters as one vector, and back (sizes must agree:
  // curvature::Error otherwise). set_parameters() writes in place.
  Eigen::VectorXd parameter_vector() const;
  void set_parameters(const Eigen::VectorXd& x);

  // Views of W_l (n_l x n_{l-1}, row-major) and b_l.
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> weights(int layer) const;
  Eigen::Map<const Eigen::VectorXd> biases(int layer) const;

  // Redraws every weight from `seed` (as the constructor does with
  // options.seed) and zeroes the biases. Draw order: layers 1..L, each W_l in
  // row-major order; a Box-Muller pair's second normal is used by the next
  // draw, across layer boundaries.
  void initialize(std::uint64_t seed);

 private:
  MlpOptions options_;
  std::vector<int> offsets_;  // offsets_[l - 1] = offset of block l; back() = total
  std::vector<double> parameters_;
};

}  // namespace curvature
