// mlp_layers.h — the network with batch normalization and inverted dropout
// on its hidden layers, as a SumObjective (one term per sample) for
// minibatch training by train(), and as a full-batch Objective with a
// generalized Gauss-Newton operator for the minimizers (batch normalization
// only).
//
// Hidden layer l = 1..L-1, with the options on:
//
//   z_l = W_l a_{l-1} + b_l
//   y_l = gamma_l .* (z_l - mu_l) ./ sqrt(var_l + eps) + beta_l    (batch norm)
//   a_l = f(y_l) .* m_l / (1 - p)                                   (dropout)
//
// with mu_l, var_l the mean and (biased) variance of each unit of z_l over the
// samples of the batch, and m_l a 0/1 mask, each entry 1 with probability
// 1 - p (Ioffe and Szegedy 2015; Srivastava et al. 2014). The output layer is
// plain: z_L = W_L a_{L-1} + b_L, the prediction (regression) or the softmax
// logits (classification).
//
// What "the batch" is, precisely:
//   * evaluate(terms, x, ...) with a gradient (a training step of train()):
//     the listed samples. Their statistics couple them: the gradient is the
//     exact gradient of the minibatch loss through mu and var. Dropout is
//     on, with a fresh mask at every such call (the masks depend on the seed,
//     the number of calls so far and the sample's index, nothing else).
//   * evaluate(x, ...) (the Objective: L-BFGS, BFGS, CG, steepest descent):
//     all training samples, full-batch statistics, a deterministic function
//     of x whose gradient is exact. Refused with dropout (curvature::Error):
//     a line search needs the same function at every evaluation.
//   * value-only evaluations (train()'s validation and reported losses),
//     predict() and the metrics: inference. mu and var are those of the
//     whole training set at x (full-batch statistics, recomputed for each x:
//     no running averages to drift), and dropout is off. These are the
//     population statistics that running averages only estimate: exact for
//     the returned weights, whichever method trained them. A saved model
//     keeps them (inference_statistics(), mlp_model_io.h), so that
//     batch_norm_inference() (mlp_batch_norm.h) needs no
//     training data.
// Second order (batch norm without dropout): hessian(x) is the generalized
// Gauss-Newton operator of the full-batch objective,
//
//   G = 1/N J^T H J,   J = d z_L(all training samples) / dx,
//
// with H the Hessian of the loss in the outputs (I / K for squared error,
// diag(p_s) - p_s p_s^T per sample for the cross-entropy), J taken through
// the full-batch statistics: a sample's outputs depend on every sample's z
// through mu and var, and J carries that coupling exactly. Products only
// (multiply(): one forward-mode pass for J v, one backpropagation for J^T u);
// the dense matrix is not formed. This is what Levenberg-Marquardt (lm-cg)
// and the trust-region Newton-CG (newton-cg) run on. A residual-block
// least-squares form (lm, gn, dogleg over J itself) is not offered: a
// residual block would have to hold every sample.
//
// Parameters: the Mlp's (mlp_network.h: [W_l | b_l] per layer, so a plain
// network's weights are a prefix), then for each hidden layer with batch norm
// gamma_l (n_l entries, initially 1) and beta_l (n_l, initially 0). b_l is
// redundant under batch norm (its gradient is zero) and kept so that the
// layout extends the Mlp's. Evaluation runs on one thread: the result cannot
// depend on a thread count.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "csv_dataset.h"
#include "curvature/objective.h"
#include "curvature/sum_objective.h"
#include "mlp_batch_norm.h"
#include "mlp_network.h"

namespace curvature {

struct MlpLayerOptions {
  bool batch_norm = false;  // on every hidden layer
  double dropout = 0.0;     // p in [0, 1): the probability of dropping a hidden unit
  std::uint64_t seed = 0;   // the dropout masks'
  double epsilon = 1e-5;    // > 0, added to the variance
  bool active() const { return batch_norm || dropout > 0.0; }
};

enum class MlpLoss {
  kSquaredError,  // f_s = 1/(2K) |z_L(x_s) - y_s|^2: the mean over terms is half the MSE
  kCrossEntropy,  // f_s = logsumexp(z_L(x_s)) - z_L(x_s)_{label}
};

class MlpLayerObjective final : public Objective, public SumObjective {
 public:
  // `data` holds every sample training may list (validation samples too);
  // the first `num_training` (0: all) are the training set whose statistics
  // inference uses. Throws curvature::Error for invalid options, an output
  // activation other than linear, mismatched sizes, or labels out of range.
  MlpLayerObjective(const MlpOptions& network, const MlpLayerOptions& layers, MlpLoss loss, const Dataset& data,
                    int num_training = 0);

  // The starting point: the Mlp's initial weights (from network.seed), then
  // gamma = 1, beta = 0.
  Eigen::VectorXd initial_parameters() const;

  int num_parameters() const override { return num_parameters_; }
  int num_terms() const override { return static_cast<int>(inputs_.cols()); }
  // The mean of f_s over the training samples, full-batch statistics.
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override;
  bool evaluate(std::span<const int> terms, const Eigen::VectorXd& x, double* value,
                Eigen::VectorXd* gradient) override;
  const char* name() const override { return "mlp with batch norm / dropout"; }
  // The generalized Gauss-Newton operator (see the top); false / null with
  // dropout.
  bool has_hessian() const override { return layers_.dropout == 0.0; }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd& x) override;

  // The training samples' outputs z_L under full-batch statistics (what the
  // full-batch objective sees), N_train x K.
  Eigen::MatrixXd training_outputs(const Eigen::VectorXd& x) const;

  // Training steps so far with dropout: the masks of the next one are those
  // of number dropout_steps() + 1. Setting it replays (or resumes) a
  // sequence of masks.
  std::uint64_t dropout_steps() const { return dropout_calls_; }
  void set_dropout_steps(std::uint64_t steps) { dropout_calls_ = steps; }

  // Inference (see the top): outputs for `inputs` (N x n_0, samples as rows),
  // N x K; the mean loss on `data` (MSE, not halved, for kSquaredError; mean
  // cross-entropy) and the accuracy (classification; NaN otherwise).
  Eigen::MatrixXd predict(const Eigen::VectorXd& x, const Eigen::MatrixXd& inputs) const;
  // The training set's statistics at x (batch norm; throws curvature::Error
  // without it): what predict() normalizes with.
  BatchNormStatistics inference_statistics(const Eigen::VectorXd& x) const;
  double loss(const Eigen::VectorXd& x, const Dataset& data) const;
  double accuracy(const Eigen::VectorXd& x, const Dataset& data) const;

 private:
  struct Pass;
  // Forward over the columns of `inputs`; batch statistics when `statistics`
  // is null (and stored in the pass), those given otherwise.
  void forward(const Eigen::VectorXd& x, const Eigen::MatrixXd& inputs, const Pass* statistics, bool dropout,
               Pass* pass) const;
  // The summed loss of the pass's outputs against `targets` and, when
  // gradient is not null, its gradient (times `scale`) by backpropagation.
  double backward(const Eigen::VectorXd& x, const Eigen::MatrixXd& inputs, const Eigen::MatrixXd& targets, Pass& pass,
                  double scale, Eigen::VectorXd* gradient) const;
  void training_statistics(const Eigen::VectorXd& x, Pass* pass) const;
  // The loss summed over the pass's samples and its sensitivity to their
  // outputs z_L (K x B).
  double output_sensitivity(const Pass& pass, const Eigen::MatrixXd& targets, Eigen::MatrixXd* delta) const;
  // J^T delta: the gradient of sum_s delta_s^T z_L(x_s) through the pass.
  void backpropagate(const Eigen::VectorXd& x, const Eigen::MatrixXd& inputs, const Pass& pass, Eigen::MatrixXd delta,
                     Eigen::VectorXd* gradient) const;
  // J v: the outputs' directional derivative along v (K x B), through the
  // pass's statistics (batch or fixed).
  Eigen::MatrixXd directional(const Eigen::VectorXd& x, const Eigen::VectorXd& v, const Eigen::MatrixXd& inputs,
                              const Pass& pass) const;
  class GaussNewton;
  void check(const Eigen::VectorXd& x) const;

  MlpOptions network_;
  MlpLayerOptions layers_;
  MlpLoss loss_;
  std::vector<int> offsets_;     // [W_l | b_l] block offsets, as Mlp
  std::vector<int> bn_offsets_;  // gamma_l offset for hidden layer l (index l - 1); -1 without batch norm
  int num_parameters_ = 0;
  int num_training_ = 0;
  Eigen::MatrixXd inputs_;   // n_0 x N
  Eigen::MatrixXd targets_;  // K x N: values, or one-hot labels
  std::uint64_t dropout_calls_ = 0;
};

}  // namespace curvature
