// curv fit: fits a multilayer perceptron to a CSV data set with one of the
// methods of nn_setup.h, printing one line per iteration and a final report,
// and writing the trace and a JSON summary on request. The training runs
// themselves are the harness's (nn_train.cc), shared with `curv bench nn`.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "curvature/error.h"
#include "json_line.h"
#include "nn_setup.h"

namespace curvature::tools {
namespace {

struct FitArgs {
  std::string data_path;
  std::string test_path;
  std::string target;
  std::string hidden = "32,32";
  std::string activation = "tanh";
  std::string loss = "mse";
  std::string method = "lm";
  int epochs = 100000;
  std::uint64_t seed = 0;
  double max_time = 120.0;
  int threads = 1;
  int max_cg_iterations = 50;
  std::string damping = "levenberg";
  double initial_damping = 1e-3;
  double learning_rate = 0.0;
  int batch_size = 0;
  int warmup_steps = NnTrainOptions{}.warmup_steps;
  double input_divisor = 1.0;
  int split = 0;
  double validation = 0.0;
  int patience = 0;
  std::string trace_path;
  std::string json_path;
};

std::vector<int> parse_hidden(const std::string& text) {
  std::vector<int> sizes;
  std::stringstream stream(text);
  std::string field;
  while (std::getline(stream, field, ',')) {
    std::size_t used = 0;
    int size = 0;
    try {
      size = std::stoi(field, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != field.size() || size < 1) {
      throw Error("--hidden: '" + text + "' is not a comma-separated list of positive layer sizes");
    }
    sizes.push_back(size);
  }
  if (sizes.empty()) throw Error("--hidden: at least one hidden layer is needed");
  return sizes;
}

Activation parse_activation(const std::string& name) {
  for (Activation a : {Activation::kTanh, Activation::kRelu, Activation::kSigmoid, Activation::kSoftplus}) {
    if (name == to_string(a)) return a;
  }
  throw Error("--activation: unknown activation '" + name + "' (known: tanh, relu, sigmoid, softplus)");
}

void fit(const FitArgs& args) {
  NnTask task;
  task.loss = parse_nn_loss(args.loss);
  check_nn_method(args.method, task.loss);  // fails before the data are read
  CsvOptions csv;
  csv.target_column = args.target;
  csv.input_divisor = args.input_divisor;
  task.train = load_csv_dataset(args.data_path, csv);
  if (!args.test_path.empty()) {
    if (args.split > 0) throw Error("--split and --test exclude each other");
    task.test = load_csv_dataset(args.test_path, csv);
  } else if (args.split > 0) {
    std::tie(task.train, task.test) = split_dataset(task.train, args.split);
  }
  if (task.train.num_targets() != 1) throw Error("fit: expected one target column");
  int outputs = 1;
  if (task.loss == NnLoss::kMeanSquaredError) {
    task.target_scaling = standardize_targets(&task.train, task.test.num_samples() > 0 ? &task.test : nullptr);
  } else {
    outputs = static_cast<int>(std::lround(task.train.targets.maxCoeff())) + 1;
    if (outputs < 2) throw Error("--loss xent: the target column must hold class labels 0..K-1 with K >= 2");
  }
  if (args.validation > 0.0) {
    // The last rows of the training set, after standardization (so with the
    // statistics of all training rows, as the test set).
    const int held_out = static_cast<int>(std::lround(args.validation * task.train.num_samples()));
    if (held_out < 1 || held_out >= task.train.num_samples()) {
      throw Error("--validation " + to_decimal(args.validation) + " leaves " + std::to_string(held_out) +
                  " validation rows of " + std::to_string(task.train.num_samples()));
    }
    std::tie(task.train, task.validation) = split_dataset(task.train, task.train.num_samples() - held_out);
  }
  if (args.patience > 0 && task.validation.num_samples() == 0) {
    throw Error("--patience needs a validation set (--validation FRACTION)");
  }
  task.name = args.data_path;
  task.network.layer_sizes.push_back(task.train.num_inputs());
  for (int size : parse_hidden(args.hidden)) task.network.layer_sizes.push_back(size);
  task.network.layer_sizes.push_back(outputs);
  task.network.hidden_activation = parse_activation(args.activation);
  task.network.output_activation = Activation::kLinear;
  task.network.initialization = Initialization::kGlorotUniform;
  task.network.seed = args.seed;

  const bool classification = info(task.loss).classification;
  const char* loss_name = classification ? "cross-entropy" : "MSE (standardized)";
  std::string shape;
  for (int size : task.network.layer_sizes) shape += (shape.empty() ? "" : "-") + std::to_string(size);
  std::printf("fit %s: %d train / %d test samples, MLP %s (%s), %d parameters, %s, method %s, seed %llu\n",
              args.data_path.c_str(), task.train.num_samples(), task.test.num_samples(), shape.c_str(),
              args.activation.c_str(), Mlp(task.network).num_parameters(), loss_name, args.method.c_str(),
              static_cast<unsigned long long>(args.seed));
  std::printf("%6s %10s %14s %14s%s\n", "iter", "time_s", "train_loss", "test_loss",
              classification ? "   test_acc" : "");

  NnTrainOptions options;
  options.method = args.method;
  options.max_iterations = args.epochs;
  options.max_time_seconds = args.max_time;
  options.num_threads = args.threads;
  options.max_cg_iterations = args.max_cg_iterations;
  options.damping = args.damping == "marquardt" ? Damping::kMarquardt : Damping::kLevenberg;
  options.initial_damping = args.initial_damping;
  options.learning_rate = args.learning_rate;
  options.batch_size = args.batch_size;
  options.warmup_steps = args.warmup_steps;
  options.patience = args.patience;
  options.on_iteration = [classification](const NnTrainRecord& row) {
    std::printf("%6d %10.3f %14.6e %14.6e", row.iteration, row.time_s, row.train_loss, row.test_loss);
    if (classification) std::printf(" %10.4f", row.test_accuracy);
    std::printf("\n");
    std::fflush(stdout);
  };
  const auto begin = std::chrono::steady_clock::now();
  const NnTrainResult result = train_network(task, options);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  // The row of the returned parameters: the last, or the best validated one.
  const NnTrainRecord* returned = &result.trace.back();
  for (const NnTrainRecord& row : result.trace) {
    if (row.iteration == result.best_iteration) returned = &row;
  }
  const NnTrainRecord& last = *returned;

  std::printf("\n%s\n", result.summary.brief_report().c_str());
  std::printf("  termination       %s: %s\n", to_string(result.summary.termination), result.summary.message.c_str());
  std::printf("  iterations        %d\n", result.summary.iterations);
  if (result.best_iteration >= 0) {
    std::printf(
        "  early stopping    best validation %s %.6e at iteration %d (%d validation rows); its parameters "
        "are returned\n",
        classification ? "loss" : "MSE", result.best_validation_loss, result.best_iteration,
        task.validation.num_samples());
  }
  std::printf("  train %-12s %.6e\n", classification ? "loss" : "MSE", last.train_loss);
  if (task.test.num_samples() > 0) {
    // From the returned parameters, not the trace: the two must agree.
    Mlp final_network(task.network);
    final_network.set_parameters(result.parameters);
    double test_loss = last.test_loss;
    if (classification) {
      MlpCrossEntropyObjective test_objective(task.network, task.test);
      test_objective.evaluate(result.parameters, &test_loss, nullptr);
    } else {
      test_loss = mean_squared_error(final_network, task.test);
    }
    std::printf("  test %-13s %.6e\n", classification ? "loss" : "MSE", test_loss);
    if (std::abs(test_loss - last.test_loss) > 1e-9 * std::max(1.0, std::abs(test_loss))) {
      std::printf("  warning: the trace's last test loss %.6e differs from the final network's\n", last.test_loss);
    }
  }
  if (classification) {
    std::printf("  train accuracy    %.4f\n", result.train_accuracy);
    if (task.test.num_samples() > 0) std::printf("  test accuracy     %.4f\n", last.test_accuracy);
  }
  std::printf("  time              %.3f s solver (%.3f s without the recorder), %.3f s wall\n",
              result.summary.total_time_s, last.time_s, wall_s);

  if (!args.trace_path.empty()) {
    std::ofstream trace(args.trace_path);
    if (!trace) throw Error("--trace: cannot write '" + args.trace_path + "'");
    trace << "iteration,time_s,train_loss,test_loss\n";
    char line[160];
    for (const NnTrainRecord& row : result.trace) {
      std::snprintf(line, sizeof line, "%d,%.6f,%.12g,%.12g\n", row.iteration, row.time_s, row.train_loss,
                    row.test_loss);
      trace << line;
    }
  }
  if (!args.json_path.empty()) {
    std::ofstream json(args.json_path);
    if (!json) throw Error("--json: cannot write '" + args.json_path + "'");
    json << JsonLine()
                .text("data", args.data_path)
                .text("test", args.test_path)
                .text("network", shape)
                .text("activation", args.activation)
                .text("loss", args.loss)
                .text("method", args.method)
                .unsigned_integer("seed", args.seed)
                .integer("parameters", static_cast<long long>(result.parameters.size()))
                .integer("iterations", result.summary.iterations)
                .text("termination", to_string(result.summary.termination))
                .number("time_s", last.time_s)
                .number("train_loss", last.train_loss)
                .number("test_loss", last.test_loss)
                .number("train_accuracy", result.train_accuracy)
                .number("test_accuracy", last.test_accuracy)
                .str();
  }
}

}  // namespace

void register_fit_command(CLI::App& app) {
  auto args = std::make_shared<FitArgs>();
  std::string methods;
  for (const NnMethod& method : nn_methods()) methods += "\n  " + std::string(method.name) + ": " + method.description;
  CLI::App* command = app.add_subcommand("fit", "Fit a multilayer perceptron to a CSV data set (full batch)");
  command->add_option("--data", args->data_path, "Training CSV (header row, numeric columns)")->required();
  command->add_option("--test", args->test_path, "Test CSV with the same columns");
  command->add_option("--target", args->target, "Target column (default: the last)");
  command->add_option("--hidden", args->hidden, "Hidden layer sizes, comma-separated (default 32,32)");
  command->add_option("--activation", args->activation, "Hidden activation: tanh, relu, sigmoid, softplus");
  std::string losses;
  for (const NnLossInfo& row : kNnLosses) losses += std::string("\n  ") + row.name + "  " + row.description;
  command->add_option("--loss", args->loss, "Loss:" + losses)->default_val(args->loss);
  command->add_option("--method", args->method, "Method:" + methods);
  command->add_option("--epochs", args->epochs, "Maximum iterations (full batch: one per epoch)")
      ->check(in_range(1, 100000000));
  command->add_option("--seed", args->seed, "Seed of the Glorot-uniform initialization")->check(not_negative_integer());
  command->add_option("--max-time", args->max_time, "Stop after this many seconds")->check(positive());
  command->add_option("--threads", args->threads, "Threads evaluating the residuals (lm, gn, lbfgs/newton-cg on mse)")
      ->check(in_range(1, 256));
  command->add_option("--cg-iterations", args->max_cg_iterations, "Steihaug-CG iterations per newton-cg step (0: n)")
      ->check(in_range(0, 100000000));
  command->add_option("--damping", args->damping, "lm: levenberg (lambda I, default) or marquardt (lambda diag J^T J)")
      ->check(CLI::IsMember({"levenberg", "marquardt"}));
  command
      ->add_option("--initial-damping", args->initial_damping,
                   "lm: the first lambda, relative to max diag(J^T J) for levenberg (default 1e-3)")
      ->check(positive());
  command->add_option("--lr", args->learning_rate, "Learning rate of a first-order method (0: the rule's default)")
      ->check(non_negative());
  command
      ->add_option("--batch", args->batch_size, "First-order methods: chunks of samples per minibatch (0: full batch)")
      ->check(non_negative());
  command
      ->add_option("--warmup-steps", args->warmup_steps,
                   "adam-lm: Adam epochs before lm takes over (full batch: steps; default 3000)")
      ->check(in_range(1, 100000000));
  command->add_option("--input-divisor", args->input_divisor, "Divide every input by this as it is read (e.g. 16)")
      ->check(positive());
  command
      ->add_option("--validation", args->validation,
                   "Hold out this fraction of the training rows (the last ones) as a validation set")
      ->check(in_range(0.0, 0.9));
  command
      ->add_option("--patience", args->patience,
                   "Early stopping: stop after this many iterations without a better validation loss and "
                   "return the best parameters (needs --validation)")
      ->check(non_negative());
  command->add_option("--split", args->split, "Without --test: the first N rows train, the rest test")
      ->check(in_range(1, 1000000000));
  command->add_option("--trace", args->trace_path, "Write iteration,time_s,train_loss,test_loss to this CSV");
  command->add_option("--json", args->json_path, "Write one JSON object with the final results to this file");
  command->callback([args] { fit(*args); });
}

}  // namespace curvature::tools
