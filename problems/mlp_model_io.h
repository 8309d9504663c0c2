// mlp_model_io.h — a fitted network as a file: everything predict needs
// (architecture, weights, the input and target scaling, the column names,
// the class labels), saved as JSON, loaded back, and applied to new data.
//
//   MlpModel model = ...;                              // e.g. from `curv fit --save`
//   save_mlp_model(model, "model.json");
//   const MlpModel loaded = load_mlp_model("model.json");
//   const Dataset data = load_csv_dataset("new.csv", {.target_column = loaded.target_name,
//                                                     .target_optional = true});
//   Eigen::MatrixXd out = predict(loaded, model_inputs(loaded, data));
//
// The round trip is exact: every number is written as the shortest decimal
// that reads back to the same double (to_decimal()) and read with
// std::from_chars, so a loaded model predicts bit for bit what the saved one
// did.
//
// The format (format_version 2; version 1, the same without "batch_norm",
// is read too), one JSON object:
//
//   {
//     "format": "curvature-mlp",
//     "format_version": 1,
//     "curvature_version": "0.2.0",              // the library that wrote it
//     "task": "regression",                      // or "classification"
//     "layer_sizes": [10, 32, 32, 1],            // n_0 (inputs), hidden..., n_L
//     "hidden_activation": "tanh",               // to_string(Activation)
//     "output_activation": "linear",
//     "inputs": ["x1", ..., "x10"],              // n_0 column names, in network order
//     "target": "y",                             // the target column's name
//     "input_divisor": 1,                        // raw inputs are divided by this first
//     "input_scaling": {"mean": [...], "scale": [...]},   // or null: not standardized
//     "target_scaling": {"mean": [...], "scale": [...]},  // regression: or null
//     "classes": [0, 1, ...],                    // classification: the label of class k
//     "parameters": [...],                       // the Mlp layout (mlp_network.h)
//     "batch_norm": null                         // or, with batch norm on the hidden layers:
//       {"epsilon": 1e-05,
//        "layers": [{"scale": [...], "shift": [...], "mean": [...], "variance": [...]}, ...]}
//   }
//
// With batch norm, hidden layer l (one "layers" entry each, n_l numbers per
// field) computes f(scale .* (z_l - mean) ./ sqrt(variance + epsilon) +
// shift) with z_l = W_l a_{l-1} + b_l: scale and shift are the learned
// gamma and beta, mean and variance the training set's statistics at the
// fitted weights (mlp_layers.h), which inference uses.
//
// A network's input is (raw / input_divisor - mean) / scale (input_scaling
// omitted when null); a regression output o is o * scale + mean in the
// target's units (target_scaling); a classifier's outputs are logits, turned
// into probabilities by the softmax, and class k stands for the label
// classes[k] of the training data.
#pragma once

#include <Eigen/Core>
#include <iosfwd>
#include <string>
#include <vector>

#include "csv_dataset.h"
#include "mlp_network.h"

namespace curvature {

// Batch normalization of one hidden layer in a fitted model (see above);
// each field has the layer's n_l entries.
struct MlpBatchNormLayer {
  std::vector<double> scale, shift, mean, variance;
};

struct MlpModel {
  // Layer sizes and activations; initialization, seed and chunk size are not
  // part of a fitted model (network() uses the defaults).
  MlpOptions network;
  std::vector<double> parameters;        // Mlp layout, network's parameter count
  std::vector<std::string> input_names;  // n_0 names
  std::string target_name;
  double input_divisor = 1.0;      // > 0
  Standardization input_scaling;   // size 0: inputs not standardized
  Standardization target_scaling;  // size 0: outputs are in the target's units
  // Classification: classes[k] is the label class k stands for (n_L >= 2
  // entries, distinct, increasing); empty: regression.
  std::vector<double> classes;
  // Batch normalization: one entry per hidden layer, or empty (none).
  std::vector<MlpBatchNormLayer> batch_norm;
  double batch_norm_epsilon = 1e-5;  // > 0 and finite, with batch_norm
  // The version of the library that wrote the file (load_mlp_model()); the
  // one saving it writes its own.
  std::string curvature_version;

  bool is_classifier() const { return !classes.empty(); }
};

// Throws curvature::Error naming the first inconsistent field: a parameter
// count other than the architecture's, batch-norm layers other than one per
// hidden layer or of the wrong size, a variance that is negative, name, scaling or class counts that do
// not match the layer sizes, a classifier with a non-linear output or fewer
// than two outputs, a divisor or scale that is not positive and finite.
void validate(const MlpModel& model);

// The network with the model's parameters (default chunk size). Throws
// curvature::Error for a model with batch norm, which an Mlp cannot hold
// (predict() applies it).
Mlp network_of(const MlpModel& model);

// The parameters in MlpLayerObjective's layout (mlp_layers.h): the Mlp's,
// then scale and shift per batch-normalized hidden layer.
std::vector<double> layer_parameters(const MlpModel& model);

// Writes the model as described above; validates it first. save_mlp_model()
// throws curvature::Error when the file cannot be written.
void write_mlp_model(const MlpModel& model, std::ostream& out);
void save_mlp_model(const MlpModel& model, const std::string& path);

// Reads a model written by write_mlp_model(). Throws curvature::Error naming
// the file (and the line, for malformed JSON) for a file that cannot be
// read, is not a curvature network of a known format version, lacks a field
// or holds one of the wrong kind, or fails validate().
MlpModel read_mlp_model(std::istream& in, const std::string& source);
MlpModel load_mlp_model(const std::string& path);

// The model's inputs from a data set read with its own column names: the
// columns of data.inputs reordered to model.input_names. Throws
// curvature::Error naming a model input the data lack or a data column the
// model does not know (the data's target column, when read as such, is
// not an input).
Eigen::MatrixXd model_inputs(const MlpModel& model, const Dataset& data);

// The model applied to raw inputs (N x n_0, columns in model.input_names
// order, values as in the file): regression gives N x n_L values in the
// target's units, classification N x K class probabilities (softmax of the
// logits, each row summing to 1). Throws curvature::Error for a column
// count other than n_0.
Eigen::MatrixXd predict(const MlpModel& model, const Eigen::MatrixXd& raw_inputs);

// Classification: the label of each row's most probable class (the first
// on ties), from predict()'s probabilities.
std::vector<double> predicted_labels(const MlpModel& model, const Eigen::MatrixXd& probabilities);

// Throws curvature::Error unless `options` describes the model's network
// (layer sizes and activations), naming what differs: for starting a fit
// from a saved model.
void check_architecture(const MlpModel& model, const MlpOptions& options);

}  // namespace curvature
