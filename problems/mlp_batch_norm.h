// mlp_batch_norm.h — inference of a network with batch normalization on
// its hidden layers, given the statistics to normalize with: what
// MlpLayerObjective (mlp_layers.h) predicts with the training set's
// statistics, and what a saved model (mlp_model_io.h) predicts with the
// statistics saved in it. Needs only the network's layout, so that a model
// file can be applied without the training code.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "mlp_network.h"

namespace curvature {

// Batch normalization's inference statistics: for each hidden layer l
// (index l - 1), the mean and biased variance of each unit of z_l over the
// training samples.
struct BatchNormStatistics {
  std::vector<Eigen::VectorXd> mean, variance;
};

// The network's inference with batch normalization on every hidden layer and
// given statistics: outputs z_L (N x n_L) for `inputs` (N x n_0, samples as
// rows), with `x` in MlpLayerObjective's layout (the Mlp's parameters, then
// gamma_l and beta_l per hidden layer) and 1 / sqrt(variance + epsilon) as
// the normalization. MlpLayerObjective::predict() computes exactly this
// with the training set's statistics, so a saved model predicts the same
// bits. Throws curvature::Error for mismatched sizes.
Eigen::MatrixXd batch_norm_inference(const MlpOptions& network, const Eigen::VectorXd& x,
                                     const BatchNormStatistics& statistics, double epsilon,
                                     const Eigen::MatrixXd& inputs);

}  // namespace curvature
