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
#include "exit_status.h"
#include "iteration_lines.h"
#include "json_output.h"
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
  bool batch_norm = false;
  double dropout = 0.0;
  std::string trace_path;
  std::string json_path;
  bool allow_unsolved = false;
  IterationLineOptions lines;
};

// A fit succeeded when training ended normally — converged, ran its epochs
// or its time, or stopped early on the validation set — and the losses it
// reports are finite. A line search or linear solve that failed, a start or
// a point that could not be evaluated: failed.
bool ended_normally(TerminationType termination) {
  switch (termination) {
    case TerminationType::kGradientTolerance:
    case TerminationType::kFunctionTolerance:
    case TerminationType::kParameterTolerance:
    case TerminationType::kMaxIterations:
    case TerminationType::kMaxTime:
    case TerminationType::kEarlyStopping:
      return true;
    default:
      return false;
  }
}

// --batch counts samples; the network's residual blocks hold chunks of
// samples and train() draws whole blocks, so a minibatch of B samples is
// ceil(B / 250) blocks of ceil(B / blocks) samples each: exactly B when it
// divides evenly, a few samples more otherwise (the header line says how
// many).
struct Minibatches {
  int blocks = 0;      // NnTrainOptions::batch_size; 0: full batch
  int chunk_size = 0;  // MlpOptions::chunk_size; 0: the network's default
};
Minibatches minibatches_of(int samples) {
  if (samples <= 0) return {};
  constexpr int kLargestChunk = 250;
  const int blocks = (samples + kLargestChunk - 1) / kLargestChunk;
  return {blocks, (samples + blocks - 1) / blocks};
}

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

int fit(const FitArgs& args) {
  NnTask task;
  task.loss = parse_nn_loss(args.loss);
  check_nn_method(args.method, task.loss);  // fails before the data are read
  task.layers.batch_norm = args.batch_norm;
  task.layers.dropout = args.dropout;
  task.layers.seed = args.seed;
  check_nn_layers(find_nn_method(args.method), task.layers);
  if (args.batch_size > 0) {
    // Refused rather than ignored: a full-batch method would silently run
    // on every sample.
    const NnRunner runner = find_nn_method(args.method).runner;
    if (runner != NnRunner::kFirstOrder && runner != NnRunner::kAdamThenLm) {
      throw Error("--batch: " + args.method +
                  " uses every sample at each iteration; minibatches are for the first-order methods and adam-lm's "
                  "Adam phase");
    }
  }
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

  const Minibatches minibatches = minibatches_of(args.batch_size);
  if (minibatches.chunk_size > 0) task.network.chunk_size = minibatches.chunk_size;

  // Both outputs are opened before the training starts: a path that cannot
  // be written ends the command before any work is lost.
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();
  std::ofstream trace;
  if (!args.trace_path.empty()) {
    trace.open(args.trace_path);
    if (!trace) throw Error("--trace: cannot write '" + args.trace_path + "'");
  }

  const bool classification = info(task.loss).classification;
  const char* loss_name = classification ? "cross-entropy" : "MSE (standardized)";
  std::string shape;
  for (int size : task.network.layer_sizes) shape += (shape.empty() ? "" : "-") + std::to_string(size);
  std::fprintf(out, "fit %s: %d train / %d test samples, MLP %s (%s), %d parameters, %s, method %s, seed %llu\n",
               args.data_path.c_str(), task.train.num_samples(), task.test.num_samples(), shape.c_str(),
               args.activation.c_str(), Mlp(task.network).num_parameters(), loss_name, args.method.c_str(),
               static_cast<unsigned long long>(args.seed));
  if (task.layers.active()) {
    int hidden_units = 0;
    for (size_t l = 1; l + 1 < task.network.layer_sizes.size(); ++l) hidden_units += task.network.layer_sizes[l];
    std::fprintf(out, "hidden layers:%s%s (test losses at inference: training-set statistics, no dropout)\n",
                 args.batch_norm ? (" batch norm (scale and shift per unit: " + std::to_string(2 * hidden_units) +
                                    " more parameters)")
                                       .c_str()
                                 : "",
                 args.dropout > 0.0 ? (" dropout p = " + to_decimal(args.dropout)).c_str() : "");
  }
  if (minibatches.blocks > 0) {
    std::fprintf(out, "minibatches of %d samples\n",
                 std::min(minibatches.blocks * minibatches.chunk_size, task.train.num_samples()));
  }
  const int every = args.lines.every(true);
  auto print_row = [out, classification](const NnTrainRecord& row) {
    std::fprintf(out, "%6d %10.3f %14.6e %14.6e", row.iteration, row.time_s, row.train_loss, row.test_loss);
    if (classification) std::fprintf(out, " %10.4f", row.test_accuracy);
    std::fprintf(out, "\n");
    std::fflush(out);
  };
  if (every > 0) {
    std::fprintf(out, "%6s %10s %14s %14s%s\n", "iter", "time_s", "train_loss", "test_loss",
                 classification ? "   test_acc" : "");
  }

  NnTrainOptions options;
  options.method = args.method;
  options.max_iterations = args.epochs;
  options.max_time_seconds = args.max_time;
  options.num_threads = args.threads;
  options.max_cg_iterations = args.max_cg_iterations;
  options.damping = args.damping == "marquardt" ? Damping::kMarquardt : Damping::kLevenberg;
  options.initial_damping = args.initial_damping;
  options.learning_rate = args.learning_rate;
  options.batch_size = minibatches.blocks;
  options.warmup_steps = args.warmup_steps;
  options.patience = args.patience;
  int last_printed = -1;
  if (every > 0) {
    options.on_iteration = [&](const NnTrainRecord& row) {
      if (row.iteration % every != 0) return;
      print_row(row);
      last_printed = row.iteration;
    };
  }
  const auto begin = std::chrono::steady_clock::now();
  const NnTrainResult result = train_network(task, options);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  if (every > 0 && result.trace.back().iteration != last_printed) print_row(result.trace.back());
  // The row of the returned parameters: the last, or the best validated one.
  const NnTrainRecord* returned = &result.trace.back();
  for (const NnTrainRecord& row : result.trace) {
    if (row.iteration == result.best_iteration) returned = &row;
  }
  const NnTrainRecord& last = *returned;

  std::fprintf(out, "\n%s\n", result.summary.brief_report().c_str());
  std::fprintf(out, "  termination       %s: %s\n", to_string(result.summary.termination),
               result.summary.message.c_str());
  std::fprintf(out, "  iterations        %d\n", result.summary.iterations);
  if (result.best_iteration >= 0) {
    std::fprintf(out,
                 "  early stopping    best validation %s %.6e at iteration %d (%d validation rows); its parameters "
                 "are returned\n",
                 classification ? "loss" : "MSE", result.best_validation_loss, result.best_iteration,
                 task.validation.num_samples());
  }
  std::fprintf(out, "  train %-12s %.6e\n", classification ? "loss" : "MSE", last.train_loss);
  double test_loss = last.test_loss;
  if (task.test.num_samples() > 0) {
    // From the returned parameters, not the trace: the two must agree.
    test_loss = network_metrics(task, result.parameters, task.test).loss;
    std::fprintf(out, "  test %-13s %.6e\n", classification ? "loss" : "MSE", test_loss);
    if (std::abs(test_loss - last.test_loss) > 1e-9 * std::max(1.0, std::abs(test_loss))) {
      std::fprintf(out, "  warning: the trace's last test loss %.6e differs from the final network's\n",
                   last.test_loss);
    }
  }
  if (classification) {
    std::fprintf(out, "  train accuracy    %.4f\n", result.train_accuracy);
    if (task.test.num_samples() > 0) std::fprintf(out, "  test accuracy     %.4f\n", last.test_accuracy);
  }
  std::fprintf(out, "  time              %.3f s solver (%.3f s without the recorder), %.3f s wall\n",
               result.summary.total_time_s, last.time_s, wall_s);

  if (trace.is_open()) {
    trace << "iteration,time_s,train_loss,test_loss" << (classification ? ",test_accuracy\n" : "\n");
    char line[160];
    for (const NnTrainRecord& row : result.trace) {
      std::snprintf(line, sizeof line, "%d,%.6f,%.12g,%.12g", row.iteration, row.time_s, row.train_loss, row.test_loss);
      trace << line;
      if (classification) {
        std::snprintf(line, sizeof line, ",%.6f", row.test_accuracy);
        trace << line;
      }
      trace << '\n';
    }
    if (!trace.flush()) throw Error("--trace: cannot write '" + args.trace_path + "'");
  }
  const bool finite = std::isfinite(last.train_loss) && (task.test.num_samples() == 0 || std::isfinite(test_loss)) &&
                      (!classification || std::isfinite(result.train_accuracy));
  const bool succeeded = ended_normally(result.summary.termination) && finite;
  if (!succeeded) {
    std::fprintf(out, "  FAILED: %s\n",
                 finite ? "training did not end normally" : "the reported losses are not all finite");
  }
  json.write(JsonLine()
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
                 .text("message", result.summary.message)
                 .boolean("succeeded", succeeded)
                 .integer("best_iteration", result.best_iteration)
                 .number("time_s", last.time_s)
                 .number("train_loss", last.train_loss)
                 .number("test_loss", test_loss)
                 .number("train_accuracy", result.train_accuracy)
                 .number("test_accuracy", last.test_accuracy));
  return solve_exit_status(succeeded, args.allow_unsolved);
}

}  // namespace

void register_fit_command(CLI::App& app, int* exit_status) {
  auto args = std::make_shared<FitArgs>();
  std::string methods;
  for (const NnMethod& method : nn_methods()) methods += "\n  " + std::string(method.name) + ": " + method.description;
  CLI::App* command = app.add_subcommand("fit", "Fit a multilayer perceptron to a CSV data set");
  command->add_option("--data", args->data_path, "Training CSV (header row, numeric columns)")
      ->required()
      ->type_name("FILE");
  command->add_option("--test", args->test_path, "Test CSV with the same columns (default: none)")->type_name("FILE");
  command->add_option("--target", args->target, "Target column (default: the last)");
  command->add_option("--hidden", args->hidden, "Hidden layer sizes, comma-separated");
  command->add_option("--activation", args->activation, "Hidden activation: tanh, relu, sigmoid, softplus");
  std::string losses;
  for (const NnLossInfo& row : kNnLosses) losses += std::string("\n  ") + row.name + "  " + row.description;
  command->add_option("--loss", args->loss, "Loss:" + losses);
  command->add_option("--method", args->method, "Method:" + methods);
  command
      ->add_option("--epochs", args->epochs,
                   "At most this many epochs (passes over the training samples); for the full-batch methods, "
                   "iterations")
      ->check(whole_number(1, 100000000));
  command->add_option("--seed", args->seed, "Seed of the initial weights (Glorot uniform) and of the minibatches")
      ->check(not_negative_integer());
  command->add_option("--max-time", args->max_time, "Stop after this many seconds")->check(positive());
  command
      ->add_option("--threads", args->threads,
                   "Threads evaluating the network over the training samples (lm, gn; lbfgs and newton-cg on mse)")
      ->check(whole_number(1, 256));
  command
      ->add_option("--cg-iterations", args->max_cg_iterations,
                   "newton-cg: conjugate-gradient iterations per step (0: as many as there are weights)")
      ->check(whole_number(0, 100000000));
  command->add_option("--damping", args->damping, "lm: levenberg (lambda I) or marquardt (lambda diag J^T J)")
      ->check(CLI::IsMember({"levenberg", "marquardt"}));
  command
      ->add_option("--initial-damping", args->initial_damping,
                   "lm: the first lambda, relative to max diag(J^T J) for levenberg")
      ->check(positive());
  command->add_option("--lr", args->learning_rate, "Learning rate of a first-order method (0: the method's default)")
      ->check(non_negative());
  command
      ->add_option("--batch", args->batch_size,
                   "First-order methods and adam-lm's Adam phase: samples per minibatch (0: all the training samples)")
      ->check(whole_number(0, 1000000000));
  command
      ->add_option("--warmup-steps", args->warmup_steps,
                   "adam-lm: Adam epochs before lm takes over (full batch: one step each)")
      ->check(whole_number(1, 100000000));
  command->add_option("--input-divisor", args->input_divisor, "Divide every input by this as it is read (e.g. 16)")
      ->check(positive());
  command
      ->add_option("--validation", args->validation,
                   "Hold out this fraction of the training rows (the last ones) as a validation set (0: none)")
      ->check(in_range(0.0, 0.9));
  command
      ->add_option("--patience", args->patience,
                   "Early stopping: stop after this many epochs without a better validation loss and keep the best "
                   "weights (needs --validation; 0: never stop early)")
      ->check(whole_number(0, 1000000000));
  command->add_flag("--batch-norm", args->batch_norm,
                    "Batch normalization on the hidden layers: minibatch statistics in training, the training set's "
                    "at inference (first-order methods; on the full batch sd, cg, bfgs, lbfgs, nesterov, and lm, "
                    "lm-cg, newton-cg on the Gauss-Newton model)");
  command
      ->add_option("--dropout", args->dropout,
                   "Inverted dropout on the hidden units with this probability, seeded by --seed (first-order "
                   "methods only; 0: off)")
      ->check(in_range(0.0, 0.95));
  command->add_option("--split", args->split, "Without --test: the first N rows train, the rest test (default: none)")
      ->check(whole_number(1, 1000000000))
      ->default_str("");
  command
      ->add_option("--trace", args->trace_path,
                   "Write iteration,time_s,train_loss,test_loss (and test_accuracy for xent) to this CSV file")
      ->type_name("FILE");
  command
      ->add_option("--json", args->json_path,
                   "Write the results as one JSON line to FILE ('-': standard output, and the report to standard "
                   "error)")
      ->type_name("FILE");
  command->add_flag("--allow-unsolved", args->allow_unsolved, "Exit with status 0 even when the fit failed");
  add_iteration_line_options(command, &args->lines, true);
  command->callback([args, exit_status] { *exit_status = fit(*args); });
}

}  // namespace curvature::tools
