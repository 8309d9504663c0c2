// nn_setup.h — the neural-network fits shared by `curv fit` and
// `curv bench nn`: the two benchmark tasks, defined exactly, and one
// full-batch training run with a per-iteration trace.
//
// R1 regression: data/nn/friedman1_train.csv (2000 rows) and
//   friedman1_test.csv (500), inputs x1..x10 as given, target y standardized
//   with the training mean and (population) standard deviation; MLP
//   10-32-32-1, tanh hidden, linear output, 1441 parameters; loss the mean
//   squared error over the training set (standardized units, not halved).
// C1 classification: data/nn/digits.csv (1797 rows, 64 pixels 0..16 divided
//   by 16, last column the label 0..9); the first 1437 rows train, the other
//   360 test; MLP 64-32-10, tanh hidden, softmax cross-entropy (mean over the
//   samples), 2410 parameters.
// Both: Glorot-uniform weights, zero biases, the seed of the run.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "csv_dataset.h"
#include "curvature/error.h"
#include "curvature/first_order.h"
#include "curvature/minimize.h"
#include "curvature/solver_options.h"
#include "curvature/summary.h"
#include "data_dir.h"
#include "mlp.h"

namespace curvature::tools {

inline std::string nn_data_dir() { return find_data_dir("nn"); }

enum class NnLoss { kMeanSquaredError, kCrossEntropy };

// The network losses: the one table that --loss, its help and its errors
// read, with the trait the rest of the CLI asks of a loss.
struct NnLossInfo {
  NnLoss value;
  const char* name;
  const char* description;
  bool classification;  // targets are class labels 0..K-1, reported with accuracy
};

inline constexpr NnLossInfo kNnLosses[] = {
    {NnLoss::kMeanSquaredError, "mse", "mean squared error, targets standardized (regression)", false},
    {NnLoss::kCrossEntropy, "xent",
     "softmax cross-entropy, targets are integer class labels (0..K-1, or any integers, mapped to classes in "
     "increasing order) (classification)",
     true},
};

inline const NnLossInfo& info(NnLoss loss) {
  for (const NnLossInfo& row : kNnLosses) {
    if (row.value == loss) return row;
  }
  throw Error("unknown NnLoss " + std::to_string(static_cast<int>(loss)));
}

// "mse or xent", for messages and help.
inline std::string nn_loss_names() {
  std::string names;
  for (size_t i = 0; i < std::size(kNnLosses); ++i) {
    names += (i == 0 ? "" : (i + 1 == std::size(kNnLosses) ? " or " : ", "));
    names += kNnLosses[i].name;
  }
  return names;
}

inline NnLoss parse_nn_loss(const std::string& name) {
  for (const NnLossInfo& row : kNnLosses) {
    if (name == row.name) return row.value;
  }
  throw Error("--loss: unknown loss '" + name + "' (known: " + nn_loss_names() + ")");
}

// A network, its data and its loss. For kMeanSquaredError the targets are
// already standardized; for kCrossEntropy they hold the labels 0..K-1.
struct NnTask {
  std::string name;
  Dataset train, test;  // test may be empty (no rows)
  // Rows held out of training for early stopping (may be empty).
  Dataset validation;
  MlpOptions network;
  // The starting parameters (Mlp layout), e.g. of a saved model to fine-tune;
  // empty: drawn from network.seed.
  Eigen::VectorXd initial_parameters;
  NnLoss loss = NnLoss::kMeanSquaredError;
  Standardization target_scaling;  // kMeanSquaredError only
};

inline NnTask make_r1_task(std::uint64_t seed) {
  NnTask task;
  task.name = "R1 friedman1 10-32-32-1 mse";
  CsvOptions csv;
  csv.target_column = "y";
  task.train = load_csv_dataset(nn_data_dir() + "/friedman1_train.csv", csv);
  task.test = load_csv_dataset(nn_data_dir() + "/friedman1_test.csv", csv);
  task.target_scaling = standardize_targets(&task.train, &task.test);
  task.network.layer_sizes = {10, 32, 32, 1};
  task.network.hidden_activation = Activation::kTanh;
  task.network.output_activation = Activation::kLinear;
  task.network.initialization = Initialization::kGlorotUniform;
  task.network.seed = seed;
  task.loss = NnLoss::kMeanSquaredError;
  return task;
}

inline NnTask make_c1_task(std::uint64_t seed) {
  NnTask task;
  task.name = "C1 digits 64-32-10 cross-entropy";
  CsvOptions csv;
  csv.target_column = "label";
  csv.input_divisor = 16.0;
  const Dataset all = load_csv_dataset(nn_data_dir() + "/digits.csv", csv);
  std::tie(task.train, task.test) = split_dataset(all, 1437);
  task.network.layer_sizes = {64, 32, 10};
  task.network.hidden_activation = Activation::kTanh;
  task.network.output_activation = Activation::kLinear;
  task.network.initialization = Initialization::kGlorotUniform;
  task.network.seed = seed;
  task.loss = NnLoss::kCrossEntropy;
  return task;
}

// The methods a fit can use, by their names on the command line: every
// least-squares method (solve(), full batch), every general minimizer
// (minimize(), full batch), every first-order update rule (train(), full
// batch or minibatches), all from the library's registries, and two hybrids
// of the CLI's own. A name is looked up in that order; an update rule
// named like a minimizer (nesterov) is reached through minimize().
enum class NnRunner {
  kLeastSquares,  // solve() with a kMethods row
  kMinimizer,     // minimize() with a kMinimizerMethods row
  kFirstOrder,    // train() with a kUpdateRules row
  kLbfgsThenLm,   // lbfgs-lm: L-BFGS until it stalls, then lm
  kAdamThenLm,    // adam-lm: an Adam warm-up, then lm
};

struct NnMethod {
  const char* name;  // the registry's short name, or the hybrid's
  std::string description;
  NnRunner runner;
  // Works on the residual blocks (solve(), train(), the hybrids): only for
  // the mean-squared-error loss.
  bool needs_least_squares;
  Method least_squares = Method::kLevenbergMarquardt;   // kLeastSquares
  MinimizerMethod minimizer = MinimizerMethod::kLbfgs;  // kMinimizer
  UpdateRuleType rule = UpdateRuleType::kAdam;          // kFirstOrder
  const char* registry_name = nullptr;                  // the registry's long name, also accepted
};

// In lookup order; built from the registries once.
const std::vector<NnMethod>& nn_methods();
// The entry of `name`; throws curvature::Error listing the known names.
const NnMethod& find_nn_method(const std::string& name);
// The entry of `name`; throws curvature::Error for an unknown method or one
// the loss cannot use (those that need the sum-of-squares form on the
// cross-entropy loss), listing the names that would do.
const NnMethod& check_nn_method(const std::string& name, NnLoss loss);

// One row of a fit's trace. time_s is the solver's clock minus the time
// spent in the recorder (test-set evaluation, printing), so that it measures
// the method alone.
struct NnTrainRecord {
  int iteration = 0;
  double time_s = 0.0;
  double iteration_time_s = 0.0;  // the solver's own time for this iteration
  bool accepted = true;           // the iteration moved the point
  double train_loss = 0.0;        // MSE (standardized, not halved) or mean cross-entropy
  double test_loss = 0.0;         // NaN without a test set
  double test_accuracy = 0.0;     // classification; NaN otherwise or without a test set
};

struct NnTrainOptions {
  std::string method = "lm";
  int max_iterations = 100000;  // full-batch: one iteration = one epoch
  double max_time_seconds = 120.0;
  int num_threads = 1;
  // Steihaug-CG iterations per Newton-CG step (0: n, the library default).
  int max_cg_iterations = 50;
  // lm: how the damping scales with the parameters. Levenberg's identity
  // treats a network's weights alike; Marquardt's diag(J^T J) lets the
  // weights with tiny gradients take huge steps.
  Damping damping = Damping::kLevenberg;
  double initial_damping = 1e-3;
  // Early stopping on task.validation (when it has rows), by the solvers'
  // own monitor (EarlyStoppingOptions; train()'s held-out blocks): stop
  // after this many recorded iterations without a lower validation loss
  // (the run ends with kEarlyStopping) and return the parameters of the best
  // one. 0: never stop early, but with a validation set still return the
  // best validated parameters.
  int patience = 0;
  // First-order methods: the learning rate (0: the rule's default) and the
  // residual blocks (chunks of samples) per minibatch (0: full batch).
  double learning_rate = 0.0;
  int batch_size = 0;
  // adam-lm: Adam epochs (full batch: steps) before Levenberg-Marquardt takes over.
  int warmup_steps = 3000;
  // Weight decay, in the units of scikit-learn's alpha: l2 / 2 |W|^2 (the
  // weights, not the biases) added to the summed loss 1/2 sum r^2 (the
  // least-squares methods: add_mlp_l2_regularization), i.e. l2 / (2 N) |W|^2
  // per sample (cross-entropy: MlpCrossEntropyOptions::l2_weight = l2 / N;
  // first-order methods: TrainOptions::weight_decay = l2 / (N K), on the
  // biases too). >= 0; 0: none.
  double l2 = 0.0;
  // L1 penalty l1 |w|_1 on the summed loss, by train()'s proximal step
  // (TrainOptions::l1 = l1 / (N K)): first-order methods only. >= 0.
  double l1 = 0.0;
  // Full-batch methods (least squares, minimizers, lbfgs-lm's phases): stop
  // when the training loss fell by less than min_improvement (relative) over
  // the last improvement_window iterations; the run ends with
  // kFunctionTolerance and a message quoting the two losses. 0: never.
  double min_improvement = 0.0;
  int improvement_window = 50;
  // Called after every recorded iteration (iteration 0 included).
  std::function<void(const NnTrainRecord&)> on_iteration;
};

struct NnTrainResult {
  Summary summary;
  std::vector<NnTrainRecord> trace;
  Eigen::VectorXd parameters;  // the final network (the best on validation under early stopping)
  int best_iteration = -1;     // early stopping: the iteration whose parameters were returned
  double best_validation_loss = std::numeric_limits<double>::quiet_NaN();
  double train_accuracy = 0.0;  // classification; NaN otherwise
};

// The method of options.method for `loss` (check_nn_method()), with the
// options checked against it: throws curvature::Error naming the option out
// of range, or --l1 with a method that is not first order. train_network()
// calls it first; a command calls it before it prints anything.
const NnMethod& check_nn_options(const NnTrainOptions& options, NnLoss loss);

// Fits task.network (initialized from its seed) to task.train with the
// method, full batch. Throws curvature::Error for an unknown method or lm/gn
// on the cross-entropy loss. Defined in nn_train.cc.
NnTrainResult train_network(const NnTask& task, const NnTrainOptions& options);

}  // namespace curvature::tools
