// mlp_metrics.h — what a network predicts and how well: outputs, mean
// squared error, class labels and accuracy.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "csv_dataset.h"
#include "mlp_network.h"

namespace curvature {

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

}  // namespace curvature
