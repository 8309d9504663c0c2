// The stochastic training loop of train.h.
//
// A linear regression with one hand-written residual block per sample is
// trained by SGD and Adam and compared with its least-squares solution
// (normal equations, solved here); the loop's promises are then checked one
// by one: bit-identical results for any thread count, seeds that matter,
// batch_size 0 as full-batch gradient descent (a hand-written loop over
// Problem::evaluate), gradient clipping and L1 soft-thresholding against
// hand-computed values, early stopping restoring the best epoch's
// parameters, options validation, and a small MLP fitted to sin.
#include "curvature/train.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/error.h"
#include "mlp.h"

namespace curvature {
namespace {

// r = a t + c s - y over the block (a, c): one sample of a two-feature linear
// model.
class LinearSample final : public SizedCostFunction<1, 2> {
 public:
  LinearSample(double t, double s, double y) : t_(t), s_(s), y_(y) {}
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const double* w = parameters[0];
    residuals[0] = w[0] * t_ + w[1] * s_ - y_;
    if (jacobians && jacobians[0]) {
      jacobians[0][0] = t_;
      jacobians[0][1] = s_;
    }
    return true;
  }

 private:
  double t_, s_, y_;
};

// r = x - target (per coordinate) over a block of size N.
template <int N>
class Offset final : public SizedCostFunction<N, N> {
 public:
  explicit Offset(std::vector<double> target) : target_(std::move(target)) {}
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    for (int i = 0; i < N; ++i) residuals[i] = parameters[0][i] - target_[i];
    if (jacobians && jacobians[0]) {
      for (int i = 0; i < N * N; ++i) jacobians[0][i] = i % (N + 1) == 0 ? 1.0 : 0.0;
    }
    return true;
  }

 private:
  std::vector<double> target_;
};

// y = 2 t - 1 + noise, with s a second feature (0 by default, so the model is
// a t + b with s = 1 as the intercept column when `intercept`).
struct Regression {
  std::vector<double> t, s, y;
  double w[2] = {0.0, 0.0};
  Problem problem;

  Regression(int samples, bool intercept) {
    for (int i = 0; i < samples; ++i) {
      const double ti = -1.0 + 2.0 * i / (samples - 1);
      // A second feature uncorrelated-ish with t, and deterministic noise.
      const double si = intercept ? 1.0 : std::cos(5.3 * i);
      const double noise = 0.1 * std::sin(7.1 * i + 0.3);
      t.push_back(ti);
      s.push_back(si);
      y.push_back(2.0 * ti + (intercept ? -1.0 : 0.0) + noise);
      problem.add_residual_block(std::make_shared<LinearSample>(ti, si, y.back()), nullptr, w);
    }
  }
  // The least-squares solution, from the normal equations.
  Eigen::Vector2d solution() const {
    Eigen::MatrixXd a(t.size(), 2);
    Eigen::VectorXd b(t.size());
    for (size_t i = 0; i < t.size(); ++i) {
      a(i, 0) = t[i];
      a(i, 1) = s[i];
      b[i] = y[i];
    }
    return (a.transpose() * a).ldlt().solve(a.transpose() * b);
  }
};

double distance(const double* w, const Eigen::Vector2d& target) {
  return std::hypot(w[0] - target[0], w[1] - target[1]);
}

TEST(Train, SgdConvergesToLeastSquares) {
  Regression regression(40, true);
  const Eigen::Vector2d solution = regression.solution();
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.type = ScheduleType::kInverseTime;  // Robbins-Monro: the noise averages out
  options.schedule.initial_learning_rate = 0.3;
  options.schedule.offset = 20.0;
  options.epochs = 300;
  options.batch_size = 4;
  options.seed = 7;
  const Summary summary = train(options, &regression.problem);

  EXPECT_EQ(summary.termination, TerminationType::kMaxIterations) << summary.message;
  EXPECT_EQ(summary.iterations, 300);
  EXPECT_EQ(summary.trace.size(), 301u);
  EXPECT_EQ(summary.residual_evaluations, 1 + 300 * 10 + 1);
  // The loss is per residual: cost / m at the start (w = 0).
  double sum = 0.0;
  for (double y : regression.y) sum += 0.5 * y * y;
  EXPECT_DOUBLE_EQ(summary.initial_cost, sum / 40.0);
  // Measured: 1.8e-4 from the solution (the last minibatches' noise).
  EXPECT_LT(distance(regression.w, solution), 2e-3) << regression.w[0] << " " << regression.w[1];
  EXPECT_LT(summary.final_cost, summary.initial_cost);
}

TEST(Train, AdamConvergesToLeastSquares) {
  Regression regression(40, true);
  const Eigen::Vector2d solution = regression.solution();
  TrainOptions options;
  options.rule.type = UpdateRuleType::kAdam;
  options.schedule.type = ScheduleType::kCosineWithWarmup;
  options.schedule.initial_learning_rate = 0.05;
  options.schedule.total_steps = 300;
  options.epochs = 300;
  options.batch_size = 8;
  options.seed = 3;
  const Summary summary = train(options, &regression.problem);
  EXPECT_EQ(summary.termination, TerminationType::kMaxIterations) << summary.message;
  // Measured: 1.4e-4 (minibatch noise at the small final rates).
  EXPECT_LT(distance(regression.w, solution), 1e-3) << regression.w[0] << " " << regression.w[1];
}

// Parameters after training an MLP (many-parameter blocks, so the reduction
// order matters) with `threads` threads.
std::vector<double> train_mlp(int threads, std::uint64_t seed, int epochs = 5) {
  MlpOptions network;
  network.layer_sizes = {1, 8, 1};
  network.chunk_size = 10;
  Mlp mlp(network);
  Dataset data;
  data.inputs.resize(200, 1);
  data.targets.resize(200, 1);
  for (int i = 0; i < 200; ++i) {
    data.inputs(i, 0) = -3.0 + 6.0 * i / 199.0;
    data.targets(i, 0) = std::sin(data.inputs(i, 0));
  }
  Problem problem;
  add_mlp_regression_residuals(mlp, data, &problem);
  TrainOptions options;
  options.schedule.initial_learning_rate = 0.01;
  options.epochs = epochs;
  options.batch_size = 3;
  options.seed = seed;
  options.num_threads = threads;
  train(options, &problem);
  return {mlp.parameters().begin(), mlp.parameters().end()};
}

TEST(Train, BitIdenticalForAnyThreadCount) {
  const std::vector<double> one = train_mlp(1, 11);
  EXPECT_EQ(one, train_mlp(2, 11));
  EXPECT_EQ(one, train_mlp(3, 11));

  // The linear problem too (one tiny block per sample).
  std::vector<std::vector<double>> results;
  for (int threads : {1, 2, 4}) {
    Regression regression(40, true);
    TrainOptions options;
    options.rule.type = UpdateRuleType::kMomentum;
    options.epochs = 20;
    options.batch_size = 5;
    options.seed = 5;
    options.num_threads = threads;
    train(options, &regression.problem);
    results.push_back({regression.w[0], regression.w[1]});
  }
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
}

TEST(Train, SeedsChangeTheTrajectory) {
  const std::vector<double> a = train_mlp(1, 11);
  EXPECT_EQ(a, train_mlp(1, 11));
  EXPECT_NE(a, train_mlp(1, 12));
}

TEST(Train, FullBatchIsGradientDescent) {
  Regression trained(30, true);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.initial_learning_rate = 0.4;
  options.epochs = 3;
  options.batch_size = 0;
  const Summary summary = train(options, &trained.problem);
  EXPECT_EQ(summary.jacobian_evaluations, 1 + 3);

  // The same three steps by hand: x -= lr * (J^T r) / m.
  Regression by_hand(30, true);
  for (int k = 0; k < 3; ++k) {
    Eigen::VectorXd gradient;
    double cost = 0.0;
    ASSERT_TRUE(by_hand.problem.evaluate({}, &cost, nullptr, &gradient, nullptr, nullptr));
    EXPECT_NEAR(summary.trace[k + 1].cost, cost / 30.0, 1e-15);  // the loss before each step
    by_hand.w[0] -= 0.4 * gradient[0] / 30.0;
    by_hand.w[1] -= 0.4 * gradient[1] / 30.0;
  }
  EXPECT_NEAR(trained.w[0], by_hand.w[0], 1e-14);
  EXPECT_NEAR(trained.w[1], by_hand.w[1], 1e-14);
  EXPECT_NE(trained.w[0], 0.0);
}

TEST(Train, ClippingCapsTheGradientNorm) {
  // r = x - (3, 4) at x = 0: the gradient per residual is (-3, -4) / 2, norm
  // 2.5; clipped to norm 1 it is (-0.6, -0.8), and SGD with lr 1 steps there.
  double x[2] = {0.0, 0.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<Offset<2>>(std::vector<double>{3.0, 4.0}), nullptr, x);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.initial_learning_rate = 1.0;
  options.epochs = 1;
  options.clip_gradient_norm = 1.0;
  const Summary summary = train(options, &problem);
  EXPECT_DOUBLE_EQ(x[0], 0.6);
  EXPECT_DOUBLE_EQ(x[1], 0.8);
  EXPECT_DOUBLE_EQ(summary.trace[1].step_norm, 1.0);
  // A gradient below the cap is untouched: the next step from (0.6, 0.8)
  // has gradient (-1.2, -1.6), norm 2, cap 3: x = (1.8, 2.4).
  options.clip_gradient_norm = 3.0;
  train(options, &problem);
  EXPECT_DOUBLE_EQ(x[0], 1.8);
  EXPECT_DOUBLE_EQ(x[1], 2.4);
}

TEST(Train, WeightDecayAndBounds) {
  // Weight decay w adds w x: from x = (1, 1) with target (3, 4), the
  // gradient is (-1, -1.5) + 0.5 (1, 1) = (-0.5, -1); lr 1 gives (1.5, 2),
  // and an upper bound of 1.8 on the second coordinate projects it there.
  double x[2] = {1.0, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<Offset<2>>(std::vector<double>{3.0, 4.0}), nullptr, x);
  problem.set_upper_bound(x, 1, 1.8);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.initial_learning_rate = 1.0;
  options.epochs = 1;
  options.weight_decay = 0.5;
  train(options, &problem);
  EXPECT_DOUBLE_EQ(x[0], 1.5);
  EXPECT_DOUBLE_EQ(x[1], 1.8);
}

TEST(Train, L1ZerosAnIrrelevantCoordinate) {
  // y = 2 t + noise; s does not enter y. Least squares gives s a small
  // nonzero weight (it fits the noise); L1 makes it exactly zero.
  Regression regression(60, false);
  const Eigen::Vector2d solution = regression.solution();
  ASSERT_NE(solution[1], 0.0);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.initial_learning_rate = 0.5;
  options.epochs = 300;
  options.l1 = 0.02;
  const Summary summary = train(options, &regression.problem);
  EXPECT_EQ(regression.w[1], 0.0) << "least squares: " << solution[1];
  EXPECT_GT(regression.w[0], 1.8);
  // One more hand-computed check of the threshold: from x = 1 with target 1
  // (zero gradient), one SGD step with lr 0.5 and l1 0.2 gives 1 - 0.1.
  double x[1] = {1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<Offset<1>>(std::vector<double>{1.0}), nullptr, x);
  options.epochs = 1;
  options.l1 = 0.2;
  train(options, &problem);
  EXPECT_DOUBLE_EQ(x[0], 0.9);
  (void)summary;
}

TEST(Train, EarlyStoppingRestoresTheBestEpoch) {
  // Training pulls x towards 1, the held-out block towards 0.5: the
  // validation loss falls while x < 0.5 and rises after it passes.
  double x[1] = {0.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<Offset<1>>(std::vector<double>{1.0}), nullptr, x);
  const int held_out = problem.add_residual_block(std::make_shared<Offset<1>>(std::vector<double>{0.5}), nullptr, x);
  std::vector<double> per_epoch = {0.0};  // x after each epoch, epoch 0 the start
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.initial_learning_rate = 0.07;
  options.epochs = 100;
  options.early_stopping_patience = 3;
  options.callback = [&](const IterationRecord& record) {
    EXPECT_EQ(record.iteration, static_cast<int>(per_epoch.size()));
    EXPECT_GT(record.validation_cost, 0.0) << "the trace carries the validation loss";
    per_epoch.push_back(x[0]);
    return CallbackReturn::kContinue;
  };
  TrainValidation validation;
  validation.residual_blocks = {held_out};
  const Summary summary = train(options, &problem, validation);

  EXPECT_EQ(summary.termination, TerminationType::kEarlyStopping) << summary.message;
  EXPECT_NE(summary.message.find("Early stopping"), std::string::npos) << summary.message;
  EXPECT_NE(summary.message.find("Restored"), std::string::npos) << summary.message;
  size_t best = 0;
  for (size_t e = 0; e < per_epoch.size(); ++e) {
    if (std::abs(per_epoch[e] - 0.5) < std::abs(per_epoch[best] - 0.5)) best = e;
  }
  EXPECT_GT(best, 0u);
  EXPECT_EQ(per_epoch.size(), best + 1 + 3);  // stopped after `patience` epochs without improvement
  EXPECT_EQ(x[0], per_epoch[best]);           // bit for bit
  EXPECT_EQ(summary.best_iteration, static_cast<int>(best));
  // The held-out block's loss per residual, 1/2 (x - 0.5)^2, at the best epoch.
  EXPECT_DOUBLE_EQ(summary.best_validation_loss, 0.5 * (per_epoch[best] - 0.5) * (per_epoch[best] - 0.5));
  EXPECT_EQ(summary.trace[best].validation_cost, summary.best_validation_loss);
}

TEST(Train, PatienceZeroKeepsTheLastEpoch) {
  // As above, without early stopping: every epoch runs and the last one's
  // parameters are returned, past the validation optimum.
  double x[1] = {0.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<Offset<1>>(std::vector<double>{1.0}), nullptr, x);
  const int held_out = problem.add_residual_block(std::make_shared<Offset<1>>(std::vector<double>{0.5}), nullptr, x);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.initial_learning_rate = 0.07;
  options.epochs = 100;
  options.early_stopping_patience = 0;
  TrainValidation validation;
  validation.residual_blocks = {held_out};
  const Summary summary = train(options, &problem, validation);
  EXPECT_EQ(summary.termination, TerminationType::kMaxIterations) << summary.message;
  EXPECT_EQ(summary.iterations, 100);
  EXPECT_EQ(summary.best_iteration, -1);
  EXPECT_GT(x[0], 0.99);  // well past 0.5, where the validation loss was lowest
}

TEST(Train, CallbackStopsAndTimeLimit) {
  Regression regression(20, true);
  TrainOptions options;
  options.epochs = 50;
  options.callback = [](const IterationRecord& record) {
    return record.iteration == 4 ? CallbackReturn::kStop : CallbackReturn::kContinue;
  };
  Summary summary = train(options, &regression.problem);
  EXPECT_EQ(summary.termination, TerminationType::kUserStop);
  EXPECT_EQ(summary.iterations, 4);

  options.callback = nullptr;
  options.epochs = 1000000;
  options.max_time_seconds = 0.05;
  summary = train(options, &regression.problem);
  EXPECT_EQ(summary.termination, TerminationType::kMaxTime) << summary.message;
}

TEST(Train, DivergenceIsAnEvaluationFailure) {
  // SGD with a huge rate on r = x - 1 overflows within a few hundred steps.
  double x[1] = {0.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<Offset<1>>(std::vector<double>{1.0}), nullptr, x);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.initial_learning_rate = 1e3;
  options.epochs = 1000;
  const Summary summary = train(options, &problem);
  EXPECT_EQ(summary.termination, TerminationType::kEvaluationFailure) << summary.message;
  EXPECT_TRUE(std::isfinite(x[0]));
}

void expect_error(const TrainOptions& options, Problem* problem, const std::string& field,
                  const TrainValidation& validation = {}) {
  try {
    train(options, problem, validation);
    ADD_FAILURE() << "no Error for " << field;
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(field), std::string::npos) << error.what();
  }
}

TEST(Train, AFullBatchDivergenceReturnsAPointWhoseLossIsFinite) {
  // Full batch with a learning rate of 1e300: the first step lands where
  // the loss overflows, so the end of epoch 1 is the very point whose
  // evaluation fails; the run must return a point with a finite loss and
  // report that loss, not inf.
  Regression regression(5, true);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.initial_learning_rate = 1e300;
  options.epochs = 20;
  const Summary summary = train(options, &regression.problem);
  ASSERT_EQ(summary.termination, TerminationType::kEvaluationFailure) << summary.message;
  EXPECT_TRUE(std::isfinite(summary.final_cost)) << summary.message;
  EXPECT_LE(summary.final_cost, summary.initial_cost * (1.0 + 1e-12)) << summary.message;
}

TEST(Train, AProblemWithoutVariableParametersIsTheSameErrorAsForSolve) {
  double x[1] = {0.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<Offset<1>>(std::vector<double>{1.0}), nullptr, x);
  problem.set_parameter_block_constant(x);
  expect_error(TrainOptions(), &problem, "the problem has no variable parameters");
  EXPECT_EQ(x[0], 0.0);
}

TEST(Train, InvalidOptionsNameTheField) {
  Regression regression(5, true);
  Problem* p = &regression.problem;
  TrainOptions options;
  options.epochs = 0;
  expect_error(options, p, "TrainOptions::epochs");
  options = {};
  options.batch_size = -1;
  expect_error(options, p, "TrainOptions::batch_size");
  options = {};
  options.clip_gradient_norm = -1.0;
  expect_error(options, p, "TrainOptions::clip_gradient_norm");
  options = {};
  options.weight_decay = std::nan("");
  expect_error(options, p, "TrainOptions::weight_decay");
  options = {};
  options.l1 = -0.1;
  expect_error(options, p, "TrainOptions::l1");
  options = {};
  options.early_stopping_patience = -2;
  expect_error(options, p, "TrainOptions::early_stopping_patience");
  options.early_stopping_patience = 2;  // valid, but no validation set
  expect_error(options, p, "TrainOptions::early_stopping_patience");
  options = {};
  options.num_threads = 0;
  expect_error(options, p, "TrainOptions::num_threads");
  options = {};
  options.max_time_seconds = 0.0;
  expect_error(options, p, "TrainOptions::max_time_seconds");
  options = {};
  options.schedule.initial_learning_rate = -1.0;
  expect_error(options, p, "initial_learning_rate");
  options = {};
  options.rule.adam.beta1 = 1.0;
  expect_error(options, p, "beta1");
  options = {};
  TrainValidation validation;
  validation.residual_blocks = {7};
  expect_error(options, p, "TrainValidation::residual_blocks", validation);
  validation.residual_blocks = {1, 1};
  expect_error(options, p, "TrainValidation::residual_blocks", validation);
  validation.residual_blocks = {0, 1, 2, 3, 4};
  expect_error(options, p, "no residual block left", validation);
  expect_error(options, nullptr, "null");
}

TEST(Train, MlpOnSineWithAdam) {
  MlpOptions network;
  network.layer_sizes = {1, 8, 1};
  network.chunk_size = 10;
  Mlp mlp(network);
  Dataset data;
  data.inputs.resize(200, 1);
  data.targets.resize(200, 1);
  for (int i = 0; i < 200; ++i) {
    data.inputs(i, 0) = -3.0 + 6.0 * i / 199.0;
    data.targets(i, 0) = std::sin(data.inputs(i, 0));
  }
  Problem problem;
  add_mlp_regression_residuals(mlp, data, &problem);
  const double initial_mse = mean_squared_error(mlp, data);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kAdam;
  options.schedule.initial_learning_rate = 0.01;
  options.epochs = 400;
  options.batch_size = 2;
  options.seed = 1;
  const Summary summary = train(options, &problem);
  const double mse = mean_squared_error(mlp, data);
  // The loss per residual is MSE / 2 for one output.
  EXPECT_NEAR(summary.final_cost, mse / 2.0, 1e-12 * mse);
  // Measured: MSE 1.4e-3, from 2.2 at the start.
  EXPECT_LT(mse, 5e-3) << "initial " << initial_mse;
}

}  // namespace
}  // namespace curvature
