// Tests of the network with batch normalization and dropout
// (problems/mlp_layers.h): gradients by the gradient checker (batch
// statistics couple the samples of a batch, dropout masks are replayed),
// inference, seeded masks, and training by train().
#include "mlp_layers.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/error.h"
#include "curvature/gradient_checker.h"
#include "curvature/minimize.h"
#include "curvature/objective.h"
#include "curvature/train.h"
#include "mlp.h"
#include "mlp_test_data.h"

namespace curvature {
namespace {

using testing::three_classes;
using testing::uniform;

Dataset regression(int samples, std::uint64_t seed) {
  Dataset data;
  data.inputs = uniform(samples, 3, seed);
  data.targets.resize(samples, 2);
  for (int s = 0; s < samples; ++s) {
    data.targets(s, 0) = std::sin(2.0 * data.inputs(s, 0)) + data.inputs(s, 1) * data.inputs(s, 2);
    data.targets(s, 1) = data.inputs(s, 2);
  }
  return data;
}

// One of the objective's evaluations as a cost function with a single
// residual r = f(x) over one block x, so that the library's gradient checker
// compares the gradient with central differences. `replay` fixes the dropout
// masks: every evaluation uses those of the same training step.
class ObjectiveAsCost final : public DynamicCostFunction {
 public:
  ObjectiveAsCost(MlpLayerObjective& objective, std::vector<int> terms, bool full_batch)
      : objective_(objective), terms_(std::move(terms)), full_batch_(full_batch) {
    set_num_residuals(1);
    add_parameter_block(objective.num_parameters());
  }
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(parameters[0], objective_.num_parameters());
    Eigen::VectorXd gradient;
    objective_.set_dropout_steps(7);  // the same masks at every point
    const bool ok = full_batch_ ? objective_.evaluate(x, residuals, &gradient)
                                : objective_.evaluate(terms_, x, residuals, &gradient);
    if (jacobians && jacobians[0]) Eigen::Map<Eigen::VectorXd>(jacobians[0], gradient.size()) = gradient;
    return ok;
  }

 private:
  MlpLayerObjective& objective_;
  std::vector<int> terms_;
  bool full_batch_;
};

// Random biases, gammas and betas away from 1 and 0, so that a wrong
// derivative of any of them shows.
Eigen::VectorXd perturbed_start(const MlpLayerObjective& objective, std::uint64_t seed) {
  return objective.initial_parameters() + 0.3 * uniform(objective.num_parameters(), 1, seed);
}

void expect_gradients_pass(MlpLayerObjective& objective, const std::vector<int>& terms, bool full_batch,
                           const std::string& what) {
  const Eigen::VectorXd x = perturbed_start(objective, 3);
  const ObjectiveAsCost cost(objective, terms, full_batch);
  const double* blocks[] = {x.data()};
  GradientCheckOptions options;
  // Ridders' extrapolation: central differences are off by up to 8e-7 here
  // (the truncation error of the normalization's 1 / sigma), which would
  // need a looser precision that could hide a real mistake.
  options.method = NumericDiffMethod::kRidders;
  options.relative_precision = 1e-7;
  const GradientCheckResult result = check_gradients(cost, blocks, options);
  EXPECT_TRUE(result.ok) << what << ": " << result.message;
}

MlpOptions network(std::vector<int> sizes, Activation hidden = Activation::kTanh) {
  MlpOptions options;
  options.layer_sizes = std::move(sizes);
  options.hidden_activation = hidden;
  options.seed = 4;
  return options;
}

TEST(MlpLayers, BatchNormGradientsPassTheGradientChecker) {
  MlpLayerOptions layers;
  layers.batch_norm = true;
  for (const Activation hidden : {Activation::kTanh, Activation::kSoftplus}) {
    MlpLayerObjective classifier(network({2, 6, 5, 3}, hidden), layers, MlpLoss::kCrossEntropy, three_classes(30, 1));
    // gamma and beta for the two hidden layers after the Mlp's 18 + 35 + 18.
    EXPECT_EQ(classifier.num_parameters(), 71 + 2 * (6 + 5));
    expect_gradients_pass(classifier, {}, true, "full batch, cross-entropy");
    expect_gradients_pass(classifier, {4, 17, 0, 29, 8, 11}, false, "minibatch, cross-entropy");
    MlpLayerObjective regressor(network({3, 7, 2}, hidden), layers, MlpLoss::kSquaredError, regression(25, 2));
    expect_gradients_pass(regressor, {}, true, "full batch, squared error");
    expect_gradients_pass(regressor, {24, 3, 9, 10}, false, "minibatch, squared error");
  }
}

// G = 1/N J^T H J with J = d(all training outputs)/dx by central differences
// of training_outputs(): the coupling through the batch statistics is in J.
void expect_gauss_newton_matches_numeric_jacobians(MlpLayerObjective& objective, MlpLoss loss, int samples) {
  const Eigen::VectorXd x = perturbed_start(objective, 9);
  const int n = objective.num_parameters();
  const Eigen::MatrixXd outputs = objective.training_outputs(x);  // N x K
  const int k = static_cast<int>(outputs.cols());
  Eigen::MatrixXd jacobian(samples * k, n);  // row s * K + o
  for (int j = 0; j < n; ++j) {
    const double h = 1e-6;
    Eigen::VectorXd plus = x, minus = x;
    plus[j] += h;
    minus[j] -= h;
    const Eigen::MatrixXd difference = (objective.training_outputs(plus) - objective.training_outputs(minus)) / (2 * h);
    for (int s = 0; s < samples; ++s) jacobian.block(s * k, j, k, 1) = difference.row(s).transpose();
  }
  Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(n, n);
  for (int s = 0; s < samples; ++s) {
    Eigen::MatrixXd h_out = Eigen::MatrixXd::Identity(k, k) / k;
    if (loss == MlpLoss::kCrossEntropy) {
      const Eigen::VectorXd z = outputs.row(s).transpose();
      const Eigen::VectorXd p = (z.array() - z.maxCoeff()).exp().matrix() / (z.array() - z.maxCoeff()).exp().sum();
      h_out = Eigen::MatrixXd(p.asDiagonal()) - p * p.transpose();
    }
    const auto j_s = jacobian.middleRows(s * k, k);
    expected += j_s.transpose() * h_out * j_s / samples;
  }
  const std::unique_ptr<HessianOperator> g = objective.hessian(x);
  ASSERT_NE(g, nullptr);
  Eigen::MatrixXd formed(n, n);
  for (int j = 0; j < n; ++j) {
    Eigen::VectorXd column;
    g->multiply(Eigen::VectorXd::Unit(n, j), &column);
    formed.col(j) = column;
  }
  EXPECT_LT((formed - expected).cwiseAbs().maxCoeff(), 1e-7 * expected.cwiseAbs().maxCoeff());
  EXPECT_LT((formed - formed.transpose()).cwiseAbs().maxCoeff(), 1e-12 * expected.cwiseAbs().maxCoeff());
}

TEST(MlpLayers, GaussNewtonProductsCarryTheBatchStatistics) {
  MlpLayerOptions layers;
  layers.batch_norm = true;
  MlpLayerObjective regressor(network({3, 4, 3, 2}), layers, MlpLoss::kSquaredError, regression(15, 3));
  expect_gauss_newton_matches_numeric_jacobians(regressor, MlpLoss::kSquaredError, 15);
  MlpLayerObjective classifier(network({2, 5, 3}), layers, MlpLoss::kCrossEntropy, three_classes(20, 4));
  expect_gauss_newton_matches_numeric_jacobians(classifier, MlpLoss::kCrossEntropy, 20);
  layers.dropout = 0.2;
  MlpLayerObjective dropped(network({2, 5, 3}), layers, MlpLoss::kCrossEntropy, three_classes(20, 4));
  EXPECT_FALSE(dropped.has_hessian());
  EXPECT_EQ(dropped.hessian(dropped.initial_parameters()), nullptr);
}

TEST(MlpLayers, DropoutGradientsPassTheGradientCheckerWithTheirMasks) {
  MlpLayerOptions layers;
  layers.dropout = 0.3;
  layers.seed = 11;
  MlpLayerObjective plain(network({2, 8, 6, 3}), layers, MlpLoss::kCrossEntropy, three_classes(30, 1));
  expect_gradients_pass(plain, {1, 2, 3, 5, 8, 13, 21}, false, "dropout");
  layers.batch_norm = true;
  MlpLayerObjective both(network({3, 8, 6, 2}), layers, MlpLoss::kSquaredError, regression(30, 2));
  expect_gradients_pass(both, {1, 2, 3, 5, 8, 13, 21}, false, "dropout and batch norm");
}

TEST(MlpLayers, DropoutMasksAreSeededScaledAndOffAtInference) {
  MlpLayerOptions layers;
  layers.dropout = 0.5;
  layers.seed = 3;
  const Dataset data = regression(40, 5);
  MlpLayerObjective a(network({3, 50, 2}), layers, MlpLoss::kSquaredError, data);
  MlpLayerObjective b(network({3, 50, 2}), layers, MlpLoss::kSquaredError, data);
  const Eigen::VectorXd x = perturbed_start(a, 1);
  const std::vector<int> terms = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  double va = 0.0, vb = 0.0, again = 0.0, inference = 0.0;
  Eigen::VectorXd ga, gb, g_again;
  ASSERT_TRUE(a.evaluate(terms, x, &va, &ga));
  ASSERT_TRUE(b.evaluate(terms, x, &vb, &gb));
  EXPECT_EQ(va, vb);  // same seed, same step: same masks
  EXPECT_EQ(ga, gb);
  ASSERT_TRUE(a.evaluate(terms, x, &again, &g_again));
  EXPECT_NE(again, va);  // the next step draws new masks
  EXPECT_EQ(a.dropout_steps(), 2u);
  // Value-only evaluations are inference: no dropout, the same each time,
  // and equal to predict()'s loss.
  ASSERT_TRUE(a.evaluate(terms, x, &inference, nullptr));
  double inference_again = 0.0;
  ASSERT_TRUE(a.evaluate(terms, x, &inference_again, nullptr));
  EXPECT_EQ(inference, inference_again);
  const Dataset first_ten = data.rows(terms);
  EXPECT_NEAR(inference / 10.0, a.loss(x, first_ten) / 2.0, 1e-14);  // f_s = |r_s|^2 / (2K)
  // Without dropout or batch norm the network is the Mlp.
  MlpLayerObjective none(network({3, 50, 2}), {}, MlpLoss::kSquaredError, data);
  Mlp mlp(network({3, 50, 2}));
  mlp.set_parameters(x.head(mlp.num_parameters()));
  EXPECT_LT((none.predict(x.head(mlp.num_parameters()), data.inputs) - predict(mlp, data.inputs)).cwiseAbs().maxCoeff(),
            1e-13);
  // The full-batch objective is refused with dropout.
  double unused = 0.0;
  EXPECT_THROW(a.evaluate(x, &unused, nullptr), Error);
}

TEST(MlpLayers, InferenceUsesTheTrainingSetsStatistics) {
  MlpLayerOptions layers;
  layers.batch_norm = true;
  const Dataset data = regression(30, 8);
  MlpLayerObjective objective(network({3, 5, 2}), layers, MlpLoss::kSquaredError, data, 20);
  const Eigen::VectorXd x = perturbed_start(objective, 2);
  // Full-batch statistics of the 20 training rows: predicting them one at a
  // time gives what the full-batch objective computes for them together.
  double full = 0.0;
  ASSERT_TRUE(objective.evaluate(x, &full, nullptr));
  double sum = 0.0;
  for (int s = 0; s < 20; ++s) {
    double one = 0.0;
    ASSERT_TRUE(objective.evaluate(std::vector<int>{s}, x, &one, nullptr));
    sum += one;
  }
  EXPECT_NEAR(sum / 20.0, full, 1e-14);
}

// train()'s num_threads cannot change a SumObjective's result (the objective
// evaluates on one thread); this pins that down for the whole training run.
TEST(MlpLayers, AdamTrainsWithBatchNormAndDropoutTheSameOnAnyThreadCount) {
  MlpLayerOptions layers;
  layers.batch_norm = true;
  layers.dropout = 0.1;
  layers.seed = 2;
  const Dataset data = three_classes(200, 6);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kAdam;
  options.schedule.initial_learning_rate = 0.01;
  options.epochs = 60;
  options.batch_size = 20;
  options.seed = 5;
  Eigen::VectorXd results[2];
  for (int threads : {1, 2}) {
    MlpLayerObjective objective(network({2, 16, 3}), layers, MlpLoss::kCrossEntropy, data, 160);
    TrainValidation validation;
    for (int s = 160; s < 200; ++s) validation.terms.push_back(s);
    options.num_threads = threads;
    Eigen::VectorXd x = objective.initial_parameters();
    const Summary summary = train(options, static_cast<SumObjective*>(&objective), &x, validation);
    EXPECT_EQ(summary.termination, TerminationType::kMaxIterations) << summary.message;
    results[threads - 1] = x;
    // Measured: 0.97 on the 40 held-out rows.
    EXPECT_GE(objective.accuracy(x, data.rows(validation.terms)), 0.9);
  }
  EXPECT_EQ(results[0], results[1]);
}

TEST(MlpLayers, InvalidOptionsAreErrors) {
  const Dataset data = regression(10, 1);
  MlpLayerOptions layers;
  layers.dropout = 1.0;
  EXPECT_THROW(MlpLayerObjective(network({3, 4, 2}), layers, MlpLoss::kSquaredError, data), Error);
  layers.dropout = 0.0;
  layers.epsilon = 0.0;
  EXPECT_THROW(MlpLayerObjective(network({3, 4, 2}), layers, MlpLoss::kSquaredError, data), Error);
  EXPECT_THROW(MlpLayerObjective(network({3, 4, 3}), {}, MlpLoss::kSquaredError, data), Error);  // 2 targets
  MlpLayerObjective objective(network({3, 4, 2}), {}, MlpLoss::kSquaredError, data);
  double value = 0.0;
  EXPECT_THROW(objective.evaluate(std::vector<int>{10}, objective.initial_parameters(), &value, nullptr), Error);
  EXPECT_THROW(objective.evaluate(Eigen::VectorXd::Zero(3), &value, nullptr), Error);
}

}  // namespace
}  // namespace curvature
