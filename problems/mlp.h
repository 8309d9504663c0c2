// mlp.h — a multilayer perceptron as a least-squares problem (regression) and
// as a smooth Objective (softmax classification), so that the same network can
// be fitted by Levenberg-Marquardt, Gauss-Newton, Newton-CG, L-BFGS or a
// first-order method.
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
//
// Regression (add_mlp_regression_residuals). One residual block per chunk of
// up to MlpOptions::chunk_size consecutive samples — never one block per
// sample: the per-block overhead of the evaluator and the Jacobian layout
// would dominate, while a chunk is evaluated by a handful of matrix products.
// A block of B samples and K outputs has B * K residuals,
//
//   r[s * K + o] = a_L(x_s)_o - y_{s,o}          (prediction minus target)
//
// over all L layer blocks. The cost 1/2 sum r^2 is N K / 2 times the mean
// squared error:  MSE = 2 cost / (N K).
//
// Derivatives are exact (backpropagation), computed chunk-wise with matrix
// products: the forward pass is Z_l = W_l A_{l-1} + b_l 1^T over the chunk's
// columns; the backward pass carries, for every residual (s, o), the
// sensitivity delta_l = d r / d z_l, as the n_l x (B K) matrix
// Delta_{l-1} = (W_l^T Delta_l) .* f'(Z_{l-1}). The Jacobian row of residual
// (s, o) with respect to block l is then the outer product
// delta_l a_{l-1}(x_s)^T (row-major, the W_l part) followed by delta_l (the
// b_l part). ReLU's derivative at exactly z = 0 is taken as 0.
//
// Classification (MlpCrossEntropyObjective): the outputs are the logits of a
// softmax over K classes; see the class.
//
// Threads. MlpResidual::evaluate() keeps its scratch matrices in
// thread-local storage (grown, never shrunk), so any number of threads may
// evaluate any blocks concurrently, and once a thread has evaluated a chunk
// of the largest size an evaluation allocates nothing (Eigen's GEMM blocking
// buffers for these sizes live on the stack). Results do not depend on the
// thread count.
//
// Cost of one chunk of B samples: the forward pass is 2 B (number of
// weights) flops plus B (n_1 + ... + n_L) activations; the Jacobian adds
// B K (number of parameters) outer-product entries and the backward products.
// The gradient J^T r alone (MlpResidual::evaluate_gradient, what first-order
// methods ask for) is one backward pass of the B residuals instead of B K,
// about the cost of the forward pass again.
//
// tanh is evaluated as 1 - 2 / (e^{2z} + 1) with Eigen's vectorized exp:
// about ten times faster than std::tanh, with an absolute (not relative)
// error of a few ulp of 1, the same throughout.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "csv_dataset.h"
#include "curvature/cost_function.h"
#include "curvature/objective.h"
#include "curvature/problem.h"

namespace curvature {

class ThreadPool;

namespace internal {
struct MlpCrossEntropyState;
}

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

// The residual block of one chunk of samples (see the top of this file):
// B * K residuals over the L layer blocks. Holds its own copy of the chunk's
// inputs and targets.
class MlpResidual final : public CostFunction {
 public:
  // `inputs` is B x n_0 and `targets` B x n_L, samples as rows (B >= 1).
  // Throws curvature::Error for invalid options or mismatched sizes.
  MlpResidual(const MlpOptions& options, const Eigen::MatrixXd& inputs, const Eigen::MatrixXd& targets);

  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override;
  // One backward pass of the residuals themselves: J^T r without forming J.
  bool evaluate_gradient(double const* const* parameters, double* residuals, double** gradients) const override;

  int num_samples() const { return static_cast<int>(inputs_.cols()); }

 private:
  std::vector<int> layer_sizes_;
  Activation hidden_;
  Activation output_;
  Eigen::MatrixXd inputs_;   // n_0 x B: one column per sample
  Eigen::MatrixXd targets_;  // K x B
};

// Adds one MlpResidual per chunk of data (chunk_size samples, the last chunk
// possibly smaller, in sample order) to `problem`, over mlp's L layer blocks,
// and returns the residual block indices (usable as
// Problem::EvaluateOptions::residual_blocks, e.g. for minibatches). The
// targets must have n_L columns. Throws curvature::Error, before touching
// `problem`, for a null problem, an empty data set or mismatched sizes.
// `mlp` is taken by non-const reference because the Problem refers to its
// parameter memory and solvers write the fitted parameters there.
std::vector<int> add_mlp_regression_residuals(Mlp& mlp, const Dataset& data, Problem* problem);

// Which parameters the L2 penalty covers.
enum class RegularizationScope {
  kWeightsOnly,  // the W_l; biases free (the usual weight decay)
  kWeightsAndBiases,
};

// L2 regularization (Tikhonov) as residuals r = sqrt(weight) * w, one
// residual block per layer over that layer's block, adding
// 1/2 weight sum w^2 to the cost (so the regularized objective is
// N K / 2 * MSE + weight / 2 |w|^2). With kWeightsOnly a block has
// n_l * n_{l-1} residuals whose Jacobian is sqrt(weight) on the W part and
// zero on the bias columns. These rows enter J like any others: a dense
// normal-equation solver pays for them (J gains as many rows as there are
// regularized parameters). Returns the residual block indices. Throws
// curvature::Error for a null problem or a weight that is not positive and
// finite.
std::vector<int> add_mlp_l2_regularization(Mlp& mlp, double weight, Problem* problem,
                                           RegularizationScope scope = RegularizationScope::kWeightsOnly);

// The network's outputs a_L for `inputs` (N x n_0, samples as rows): N x n_L.
// Throws curvature::Error for a column count other than n_0.
Eigen::MatrixXd predict(const Mlp& mlp, const Eigen::MatrixXd& inputs);

// Mean over all N K entries of (prediction - target)^2 on `data`.
double mean_squared_error(const Mlp& mlp, const Dataset& data);

// Class labels: targets with one column hold the labels 0..K-1 (as doubles,
// checked to be integers in range); targets with K columns (one-hot or
// probabilities) give the label of their largest entry (the first on ties).
// Throws curvature::Error for anything else.
std::vector<int> class_labels(const Dataset& data, int num_classes);

// The fraction of samples whose largest output (the first on ties) is the
// class label (class_labels()).
double classification_accuracy(const Mlp& mlp, const Dataset& data);

struct MlpCrossEntropyOptions {
  // Weight lambda >= 0 of an L2 penalty lambda / 2 |W|^2 on the weights
  // (biases free) added to the mean cross-entropy; its Hessian lambda I on
  // the weight coordinates is added to the Gauss-Newton matrix, which makes
  // it positive definite.
  double l2_weight = 0.0;
  // HessianOperator::dense() forms the n x n matrix only for n up to this.
  // Forming it costs about n^2 N (K + 1) flops (rank updates with the
  // explicit logit Jacobians): some 90 GFLOP, about 12 s on one core, for
  // the 64-32-10 digits network (n = 2410) on 1500 samples. Products
  // (multiply()) cost two passes over the data, about 2 ms there.
  int max_dense_parameters = 4000;
  // Threads evaluating chunks of samples in evaluate(); the result is the
  // same for any number.
  int num_threads = 1;
};

// Softmax cross-entropy over a network with linear output (logits z_L):
//
//   f(x) = 1/N sum_s [ logsumexp(z_L(x_s)) - t_s^T z_L(x_s) ] + lambda / 2 |W|^2
//
// where t_s is the one-hot vector of the label (one target column) or the
// target distribution (K target columns, each row non-negative summing to
// 1 within 1e-9). x is the network's parameter vector (Mlp layout). The
// gradient is exact (backpropagation with Delta_L = (P - T) / N, matrix
// products per chunk). hessian(x) returns the generalized Gauss-Newton
// matrix (Schraudolph 2002; Martens 2010)
//
//   G = 1/N sum_s J_s^T (diag(p_s) - p_s p_s^T) J_s  (+ lambda on the W diagonal)
//
// with J_s = d z_L(x_s) / d x, the Hessian of the cross-entropy in the
// logits in the middle: positive semidefinite, equal to the Hessian up to the
// terms that carry the curvature of the network itself. multiply() never
// forms J: J v is a forward-mode directional derivative (Pearlmutter's
// R-operator: R z_l = W_l R a_{l-1} + V_l a_{l-1} + v_b, R a_l = f'(z_l) .*
// R z_l), and J^T u a backpropagation, both chunk by chunk with matrix
// products, on the activations hessian() stored at x (one forward pass per
// hessian() call, about two passes per product). dense() forms explicit
// chunk Jacobians of the logits and accumulates them by symmetric rank
// updates; it returns false when n > max_dense_parameters.
//
// Throws curvature::Error at construction for an output activation other
// than kLinear, fewer than two outputs, an empty data set, targets that are
// neither labels in 0..K-1 nor K columns of distributions, or invalid
// options; evaluate() and hessian() throw for an x of the wrong size.
class MlpCrossEntropyObjective final : public Objective {
 public:
  MlpCrossEntropyObjective(const MlpOptions& network, const Dataset& data, const MlpCrossEntropyOptions& options = {});
  ~MlpCrossEntropyObjective() override;

  int num_parameters() const override;
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override;
  bool has_hessian() const override { return true; }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd& x) override;
  const char* name() const override { return "mlp cross-entropy"; }

 private:
  std::shared_ptr<const internal::MlpCrossEntropyState> state_;
  std::vector<double> chunk_losses_;   // evaluate()'s per-chunk sums
  Eigen::MatrixXd chunk_gradients_;    // n x chunks
  std::unique_ptr<ThreadPool> pool_;   // null with one thread

};

}  // namespace curvature
