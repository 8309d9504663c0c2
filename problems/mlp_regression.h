// mlp_regression.h — the network as a least-squares problem: one residual
// block per chunk of samples, and L2 regularization as residuals.
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
#pragma once

#include <Eigen/Core>
#include <vector>

#include "csv_dataset.h"
#include "curvature/cost_function.h"
#include "curvature/problem.h"
#include "mlp_network.h"

namespace curvature {

// The residual block of one chunk of samples (see the top of this file):
// B * K residuals over the L layer blocks. Holds its own copy of the chunk's
// inputs and targets.
class MlpResidual final : public CostFunction {
 public:
  // `inputs` is B x n_0 and `targets` B x n_L, samples as rows (B >= 1).
  // Throws curvature::Error for invalid options or mismatched sizes.
  MlpResidual(const MlpOptions& options, const Eigen::MatrixXd& inputs, const Eigen::MatrixXd& targets);

  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override;
  // The Jacobian a column (one weight over the chunk's samples) at a time,
  // straight into a dense column-major J.
  bool writes_column_major_jacobians() const override { return true; }
  bool evaluate_column_major(double const* const* parameters, double* residuals, double** jacobians,
                             long leading_dimension) const override;
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

}  // namespace curvature
