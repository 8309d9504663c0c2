#include "mlp_model_io.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "class_labels.h"
#include "csv_dataset.h"
#include "curvature/error.h"
#include "curvature/solve.h"
#include "curvature/version.h"
#include "mlp.h"
#include "mlp_layers.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::error_message;
using testing::expect_error_naming;

const std::string kDataDir = CURVATURE_DATA_DIR "/nn/";

bool bit_identical(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<size_t>(a.size())) == 0;
}

MlpModel read_back(const MlpModel& model) {
  std::stringstream file;
  write_mlp_model(model, file);
  return read_mlp_model(file, "model.json");
}

// friedman1 fitted for 20 LM iterations as `curv fit` does it: inputs
// and target standardized with the training statistics.
struct FittedRegression {
  Dataset train, test;
  Standardization inputs, targets;
  MlpOptions options;
  Eigen::VectorXd parameters;
};

FittedRegression fit_friedman1() {
  FittedRegression fit;
  CsvOptions csv;
  csv.target_column = "y";
  fit.train = load_csv_dataset(kDataDir + "friedman1_train.csv", csv);
  fit.test = load_csv_dataset(kDataDir + "friedman1_test.csv", csv);
  Dataset train = fit.train;
  fit.inputs = standardize_inputs(&train);
  fit.targets = standardize_targets(&train);
  fit.options.layer_sizes = {10, 8, 1};
  fit.options.seed = 3;
  Mlp mlp(fit.options);
  Problem problem;
  add_mlp_regression_residuals(mlp, train, &problem);
  SolverOptions solver;
  solver.damping = Damping::kLevenberg;
  solver.max_iterations = 20;
  solve(solver, &problem);
  fit.parameters = mlp.parameter_vector();
  return fit;
}

MlpModel model_of(const FittedRegression& fit) {
  MlpModel model;
  model.network = fit.options;
  model.parameters.assign(fit.parameters.data(), fit.parameters.data() + fit.parameters.size());
  model.input_names = fit.train.input_names;
  model.target_name = "y";
  model.input_scaling = fit.inputs;
  model.target_scaling = fit.targets;
  return model;
}

TEST(MlpModelIo, FitSaveLoadPredictIsBitIdenticalToTheFittedNetwork) {
  const FittedRegression fit = fit_friedman1();
  const MlpModel model = model_of(fit);
  const MlpModel loaded = read_back(model);

  EXPECT_EQ(loaded.parameters.size(), model.parameters.size());
  EXPECT_EQ(std::memcmp(loaded.parameters.data(), model.parameters.data(), sizeof(double) * model.parameters.size()),
            0);
  EXPECT_TRUE(bit_identical(loaded.input_scaling.mean, model.input_scaling.mean));
  EXPECT_TRUE(bit_identical(loaded.input_scaling.scale, model.input_scaling.scale));
  EXPECT_TRUE(bit_identical(loaded.target_scaling.scale, model.target_scaling.scale));
  EXPECT_EQ(loaded.curvature_version, kVersionString);

  // The loaded model predicts the same bits as the one in memory, and both
  // are the fitted network applied to the standardized inputs, mapped back.
  const Eigen::MatrixXd in_memory = predict(model, model_inputs(model, fit.test));
  const Eigen::MatrixXd from_file = predict(loaded, model_inputs(loaded, fit.test));
  EXPECT_TRUE(bit_identical(in_memory, from_file));
  Mlp network(fit.options);
  network.set_parameters(fit.parameters);
  const Eigen::MatrixXd direct = fit.targets.invert(predict(network, fit.inputs.apply(fit.test.inputs)));
  EXPECT_TRUE(bit_identical(in_memory, direct));
  // 20 LM iterations fit friedman1 somewhat: much better than the mean.
  const double mse = (in_memory - fit.test.targets).squaredNorm() / fit.test.num_samples();
  const double variance = (fit.test.targets.array() - fit.test.targets.mean()).square().mean();
  EXPECT_LT(mse, 0.5 * variance);
}

// A network with batch norm on both hidden layers, its weights moved off
// the start (scale and shift too), saved with the training rows'
// statistics as `curv fit --batch-norm --save` does.
struct BatchNormFit {
  FittedRegression data;
  MlpLayerObjective objective;
  Eigen::VectorXd x;
  MlpModel model;
};

BatchNormFit batch_norm_fit() {
  FittedRegression fit = fit_friedman1();
  fit.options.layer_sizes = {10, 6, 5, 1};
  Dataset train = fit.train;
  train.inputs = fit.inputs.apply(train.inputs);
  train.targets = fit.targets.apply(train.targets);
  MlpLayerOptions layers;
  layers.batch_norm = true;
  MlpLayerObjective objective(fit.options, layers, MlpLoss::kSquaredError, train);
  Eigen::VectorXd x = objective.initial_parameters();
  for (Eigen::Index i = 0; i < x.size(); ++i) x(i) += 0.1 * std::sin(1.7 * static_cast<double>(i) + 0.3);
  MlpModel model = model_of(fit);
  model.network = fit.options;
  const int mlp_size = Mlp(fit.options).num_parameters();
  model.parameters.assign(x.data(), x.data() + mlp_size);
  const BatchNormStatistics statistics = objective.inference_statistics(x);
  int offset = mlp_size;
  for (size_t l = 0; l < statistics.mean.size(); ++l) {
    const int n = fit.options.layer_sizes[l + 1];
    MlpBatchNormLayer layer;
    layer.scale.assign(x.data() + offset, x.data() + offset + n);
    layer.shift.assign(x.data() + offset + n, x.data() + offset + 2 * n);
    layer.mean.assign(statistics.mean[l].data(), statistics.mean[l].data() + n);
    layer.variance.assign(statistics.variance[l].data(), statistics.variance[l].data() + n);
    model.batch_norm.push_back(layer);
    offset += 2 * n;
  }
  return {std::move(fit), std::move(objective), std::move(x), std::move(model)};
}

TEST(MlpModelIo, BatchNormRoundTripIsBitIdenticalToTheNetworksInference) {
  const BatchNormFit fit = batch_norm_fit();
  const MlpModel loaded = read_back(fit.model);
  ASSERT_EQ(loaded.batch_norm.size(), 2u);
  EXPECT_EQ(loaded.batch_norm_epsilon, 1e-5);
  for (size_t l = 0; l < 2; ++l) {
    EXPECT_EQ(loaded.batch_norm[l].scale, fit.model.batch_norm[l].scale);
    EXPECT_EQ(loaded.batch_norm[l].shift, fit.model.batch_norm[l].shift);
    EXPECT_EQ(loaded.batch_norm[l].mean, fit.model.batch_norm[l].mean);
    EXPECT_EQ(loaded.batch_norm[l].variance, fit.model.batch_norm[l].variance);
  }
  EXPECT_EQ(layer_parameters(loaded), std::vector<double>(fit.x.data(), fit.x.data() + fit.x.size()));

  // The file predicts the bits the model in memory does, and both are the
  // network's own inference (training-set statistics) mapped back.
  const Dataset& test = fit.data.test;
  const Eigen::MatrixXd in_memory = predict(fit.model, model_inputs(fit.model, test));
  const Eigen::MatrixXd from_file = predict(loaded, model_inputs(loaded, test));
  EXPECT_TRUE(bit_identical(in_memory, from_file));
  const Eigen::MatrixXd direct =
      fit.data.targets.invert(fit.objective.predict(fit.x, fit.data.inputs.apply(test.inputs)));
  EXPECT_TRUE(bit_identical(in_memory, direct));
  // The normalization matters: without it the same weights predict otherwise.
  MlpModel plain = fit.model;
  plain.batch_norm.clear();
  EXPECT_GT((predict(plain, model_inputs(plain, test)) - in_memory).cwiseAbs().maxCoeff(), 1e-3);
  // An Mlp cannot hold the normalization.
  expect_error_naming([&] { network_of(fit.model); }, "batch norm");
}

TEST(MlpModelIo, BatchNormFieldsAreCheckedByName) {
  const BatchNormFit fit = batch_norm_fit();
  std::stringstream file;
  write_mlp_model(fit.model, file);
  const std::string text = file.str();
  auto read_text = [](const std::string& t) {
    std::stringstream in(t);
    read_mlp_model(in, "model.json");
  };
  std::string no_variance = text;
  no_variance.replace(no_variance.find("\"variance\""), 10, "\"varianc\"");
  expect_error_naming([&] { read_text(no_variance); }, "no \"variance\"");
  MlpModel negative = fit.model;
  negative.batch_norm[1].variance[2] = -1.0;
  expect_error_naming([&] { validate(negative); }, "batch_norm.layers[1].variance[2] is negative");
  MlpModel one_layer = fit.model;
  one_layer.batch_norm.pop_back();
  expect_error_naming([&] { validate(one_layer); }, "2 hidden layers, the model 1 batch-norm layers");
  MlpModel short_scale = fit.model;
  short_scale.batch_norm[0].scale.pop_back();
  expect_error_naming([&] { validate(short_scale); }, "layers[0].scale: the layer has 6 units, the model 5 values");
  // A version-1 file (before batch norm was saved) still reads, without it.
  std::stringstream plain_file;
  write_mlp_model(model_of(fit_friedman1()), plain_file);
  std::string version_1 = plain_file.str();
  version_1.replace(version_1.find("\"format_version\": 2"), 19, "\"format_version\": 1");
  version_1.erase(version_1.find(",\n  \"batch_norm\""), std::string(",\n  \"batch_norm\": null").size());
  std::stringstream in(version_1);
  EXPECT_TRUE(read_mlp_model(in, "old.json").batch_norm.empty());
}

TEST(MlpModelIo, ClassifierKeepsItsLabelsAndGivesProbabilities) {
  MlpModel model;
  model.network.layer_sizes = {2, 4, 3};
  model.network.seed = 9;
  const Mlp mlp(model.network);
  model.parameters.assign(mlp.parameters().begin(), mlp.parameters().end());
  model.input_names = {"a", "b"};
  model.target_name = "kind";
  model.input_divisor = 16.0;
  model.classes = {-1.0, 3.0, 7.0};
  const MlpModel loaded = read_back(model);
  ASSERT_TRUE(loaded.is_classifier());
  EXPECT_EQ(loaded.classes, model.classes);
  EXPECT_EQ(loaded.input_divisor, 16.0);
  EXPECT_EQ(loaded.input_scaling.mean.size(), 0);

  Eigen::MatrixXd x(3, 2);
  x << 0, 16, -8, 4, 32, -32;
  const Eigen::MatrixXd p = predict(loaded, x);
  EXPECT_TRUE(bit_identical(p, predict(model, x)));
  for (Eigen::Index r = 0; r < p.rows(); ++r) {
    EXPECT_NEAR(p.row(r).sum(), 1.0, 1e-15);
    EXPECT_TRUE((p.row(r).array() > 0.0).all());
  }
  // Probabilities are the softmax of the network's logits on x / 16.
  const Eigen::MatrixXd logits = curvature::predict(mlp, x / 16.0);
  const Eigen::RowVectorXd e = logits.row(1).array().exp();
  EXPECT_NEAR((p.row(1) - e / e.sum()).cwiseAbs().maxCoeff(), 0.0, 1e-15);
  const std::vector<double> labels = predicted_labels(loaded, p);
  for (Eigen::Index r = 0; r < p.rows(); ++r) {
    Eigen::Index best = 0;
    p.row(r).maxCoeff(&best);
    EXPECT_EQ(labels[static_cast<size_t>(r)], model.classes[static_cast<size_t>(best)]);
  }
}

TEST(MlpModelIo, CorruptedFilesAreClearErrors) {
  const FittedRegression fit = fit_friedman1();
  std::stringstream file;
  write_mlp_model(model_of(fit), file);
  const std::string text = file.str();
  auto read_text = [](const std::string& t) {
    std::stringstream in(t);
    read_mlp_model(in, "model.json");
  };
  // Truncated: the JSON reader names the file and the line.
  expect_error_naming([&] { read_text(text.substr(0, text.size() / 2)); }, "model.json, line ");
  // Not a network.
  expect_error_naming([&] { read_text("{\"format\": \"other\"}"); }, "not a curvature network");
  expect_error_naming([&] { read_text("[1, 2]"); }, "not a JSON object");
  // A format from the future.
  std::string future = text;
  future.replace(future.find("\"format_version\": 2"), 19, "\"format_version\": 3");
  expect_error_naming([&] { read_text(future); }, "format_version 3");
  // A weight dropped: the count no longer matches the architecture.
  std::string short_weights = text;
  const size_t weights_end = short_weights.rfind(']', short_weights.find("\"batch_norm\""));
  const size_t last_comma = short_weights.rfind(',', weights_end);
  short_weights.erase(last_comma, weights_end - last_comma);
  expect_error_naming([&] { read_text(short_weights); }, "has 97 parameters, the model 96");
  // Another architecture in the header than in the weights.
  std::string resized = text;
  resized.replace(resized.find("[10, 8, 1]"), 10, "[10, 9, 1]");
  expect_error_naming([&] { read_text(resized); }, "10-9-1");
  // A field of the wrong kind, an unknown activation, a missing field.
  std::string wrong_kind = text;
  wrong_kind.replace(wrong_kind.find("\"target\": \"y\""), 13, "\"target\": 5");
  expect_error_naming([&] { read_text(wrong_kind); }, "\"target\": expected a string");
  std::string activation = text;
  activation.replace(activation.find("\"tanh\""), 6, "\"swish\"");
  expect_error_naming([&] { read_text(activation); }, "unknown activation \"swish\"");
  std::string missing = text;
  missing.replace(missing.find("\"input_divisor\""), 15, "\"divisor\"");
  expect_error_naming([&] { read_text(missing); }, "no \"input_divisor\"");
  expect_error_naming([] { load_mlp_model("/nonexistent/model.json"); }, "/nonexistent/model.json: cannot open");
}

TEST(MlpModelIo, ArchitectureMismatchIsNamed) {
  const MlpModel model = model_of(fit_friedman1());
  MlpOptions other = model.network;
  EXPECT_NO_THROW(check_architecture(model, other));
  other.layer_sizes = {10, 32, 1};
  expect_error_naming([&] { check_architecture(model, other); }, "network is 10-8-1, the one asked for 10-32-1");
  other = model.network;
  other.hidden_activation = Activation::kRelu;
  expect_error_naming([&] { check_architecture(model, other); }, "hidden activation is tanh");
}

TEST(MlpModelIo, InputsAreMatchedByName) {
  const FittedRegression fit = fit_friedman1();
  const MlpModel model = model_of(fit);
  // The test file's columns in reverse order predict the same values.
  Dataset reversed = fit.test;
  reversed.inputs = fit.test.inputs.rowwise().reverse();
  std::reverse(reversed.input_names.begin(), reversed.input_names.end());
  EXPECT_TRUE(bit_identical(predict(model, model_inputs(model, reversed)), predict(model, fit.test.inputs)));
  Dataset missing = fit.test;
  missing.input_names[3] = "z";
  expect_error_naming([&] { model_inputs(model, missing); }, "no column \"x4\"");
  Dataset extra = fit.test;
  extra.inputs.conservativeResize(Eigen::NoChange, 11);
  extra.inputs.col(10).setZero();
  extra.input_names.push_back("x11");
  expect_error_naming([&] { model_inputs(model, extra); }, "column \"x11\" is not one of the expected inputs");
}

TEST(MlpModelIo, ClassLabelsAreCheckedWithFileLineAndValue) {
  Dataset data;
  data.source = "labels.csv";
  data.inputs = Eigen::MatrixXd::Zero(12, 1);
  data.targets.resize(12, 1);
  data.targets << 3, 7, 3, 7, 3, 7, 3, 7, 3, 7, 3, 7;
  data.target_names = {"kind"};
  for (int r = 0; r < 12; ++r) data.lines.push_back(r + 2);
  const std::vector<double> classes = find_classes(data);
  EXPECT_EQ(classes, (std::vector<double>{3, 7}));
  EXPECT_FALSE(classes_are_indices(classes));
  Dataset encoded = data;
  encode_classes(&encoded, classes);
  EXPECT_EQ(encoded.targets(1, 0), 1.0);
  EXPECT_EQ(encoded.targets(2, 0), 0.0);

  Dataset fractional = data;
  fractional.targets(4, 0) = 2.5;
  expect_error_naming([&] { find_classes(fractional); }, "labels.csv, line 6: the class label (column \"kind\") 2.5");
  Dataset unseen = data;
  unseen.targets(5, 0) = 4;
  expect_error_naming([&] { encode_classes(&unseen, classes); }, "labels.csv, line 7");
  expect_error_naming([&] { encode_classes(&unseen, classes); }, "4 is not a class of the training data");

  CsvOptions csv;
  csv.target_column = "y";
  const Dataset friedman = load_csv_dataset(kDataDir + "friedman1_train.csv", csv);
  expect_error_naming([&] { find_classes(friedman); }, "not a whole number");
  // An integer target with hundreds of values (y in tenths) is a
  // regression target, not 300 classes.
  Dataset rounded = friedman;
  rounded.targets = (10.0 * rounded.targets.array()).round();
  expect_error_naming([&] { find_classes(rounded); }, "looks like a regression target");
}

TEST(MlpModelIo, StratifiedSplitKeepsTheClassProportions) {
  CsvOptions csv;
  csv.target_column = "label";
  const Dataset digits = load_csv_dataset(kDataDir + "digits.csv", csv);
  const DatasetSplit split = shuffled_split(digits, 0.2, 0.1, 5, true);
  EXPECT_EQ(split.train.num_samples() + split.validation.num_samples() + split.test.num_samples(),
            digits.num_samples());
  for (int c = 0; c < 10; ++c) {
    const double all = (digits.targets.array() == c).count();
    const double test = (split.test.targets.array() == c).count();
    EXPECT_NEAR(test, 0.2 * all, 0.51) << "class " << c;
  }
  // The same seed, the same split; the lines follow their samples.
  const DatasetSplit again = shuffled_split(digits, 0.2, 0.1, 5, true);
  EXPECT_TRUE(bit_identical(split.test.inputs, again.test.inputs));
  ASSERT_EQ(split.test.lines.size(), static_cast<size_t>(split.test.num_samples()));
  const int line = split.test.lines[0];
  EXPECT_TRUE(bit_identical(split.test.inputs.row(0), digits.inputs.row(line - 2)));
  expect_error_naming([&] { shuffled_split(digits, 0.6, 0.4, 1, true); }, "leave no training samples");
}

}  // namespace
}  // namespace curvature
