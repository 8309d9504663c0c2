// curv fit: fits a multilayer perceptron to a CSV data set with one of the
// methods of nn_setup.h, printing one line per iteration and a final report,
// and writing the trace, a JSON summary and the fitted model (mlp_model_io.h)
// on request. The data are prepared by fit_data.cc (columns, labels, splits,
// standardization); the training runs themselves are the harness's
// (nn_train.cc), shared with `curv bench nn`. docs/curv_fit.md is the user's
// guide.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "class_labels.h"
#include "cli_checks.h"
#include "commands.h"
#include "curvature/error.h"
#include "exit_status.h"
#include "fit_data.h"
#include "iteration_lines.h"
#include "json_output.h"
#include "loss_figure.h"
#include "mlp_model_io.h"
#include "nn_setup.h"

namespace curvature::tools {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Early stopping's patience when --patience is not given: recorded
// iterations (epochs) without a better validation loss, as scikit-learn's
// n_iter_no_change.
constexpr int kDefaultPatience = 10;
// The first-order methods' minibatch when --batch is not given, in samples:
// scikit-learn's min(200, N).
constexpr int kDefaultBatch = 200;
// Weight decay when --l2 is not given: scikit-learn's alpha = 1e-4, in the
// same units (alpha / 2 |W|^2 on the summed loss).
constexpr double kDefaultL2 = 1e-4;
// The validation split when --validation-fraction is not given. Regression:
// 10% held out for early stopping; without it L-BFGS overfits friedman1
// (test MSE 5.4 instead of 1.44 after 9,000 iterations) and weight decay of
// the default size does not prevent that. Classification: none, as
// scikit-learn: the validation cross-entropy starts rising while the test
// accuracy still improves (the network grows confident on the rows it
// already classifies correctly), so early stopping on it ends L-BFGS on
// digits after 6 to 23 iterations; the weight-decayed cross-entropy has a
// minimum of its own, which L-BFGS reaches on every training row and the
// relative-improvement test ends (docs/curv_fit.md gives the figures). The
// first-order methods keep the validation split for classification too:
// their minibatch loss is too noisy for that test, and the validation set
// is what ends them before --epochs or --max-time.
constexpr double kDefaultRegressionValidation = 0.1;
constexpr double kDefaultClassificationValidation = 0.0;
constexpr double kDefaultFirstOrderValidation = 0.1;

struct FitArgs {
  std::string data_path;
  std::string test_path;
  std::string target;
  std::string hidden = "32,32";
  std::string activation = "tanh";
  std::string loss = "mse";
  // L-BFGS: it takes both losses, and with early stopping on the default
  // validation split it fits friedman1 and digits better than scikit-learn's
  // defaults in less time (docs/curv_fit.md).
  std::string method = "lbfgs";
  int epochs = 100000;
  std::uint64_t seed = 0;
  double max_time = 120.0;
  int threads = 1;
  int max_cg_iterations = 50;
  std::string damping = "levenberg";
  double initial_damping = 1e-3;
  double learning_rate = 0.0;
  int batch_size = 0;
  bool batch_given = false;
  int warmup_steps = NnTrainOptions{}.warmup_steps;
  double input_divisor = 1.0;
  int split = 0;  // replaced by test_fraction: refused with a message
  double test_fraction = 0.0;
  double validation_fraction = kDefaultRegressionValidation;  // by the loss when not given
  bool validation_given = false;
  bool no_standardize = false;
  double l2 = kDefaultL2;
  bool l2_given = false;
  double l1 = 0.0;
  double min_improvement = 1e-3;
  int improvement_window = 50;
  int patience = kDefaultPatience;
  bool patience_given = false;
  bool hidden_given = false;
  bool activation_given = false;
  bool input_divisor_given = false;
  bool batch_norm = false;
  double dropout = 0.0;
  std::string trace_path;
  std::string json_path;
  std::string save_path;
  std::string plot_path;
  std::string plot_size = "1200x500";
  std::string init_path;
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

int fit(FitArgs args) {
  NnTask task;
  task.loss = parse_nn_loss(args.loss);
  if (!args.validation_given) {
    args.validation_fraction = !info(task.loss).classification ? kDefaultRegressionValidation
                               : find_nn_method(args.method).runner == NnRunner::kFirstOrder
                                   ? kDefaultFirstOrderValidation
                                   : kDefaultClassificationValidation;
  }
  // The batch-normalized network on a full-batch method takes no penalty
  // (check_nn_options refuses one given explicitly): there the default is none.
  if (!args.l2_given && args.batch_norm && find_nn_method(args.method).runner != NnRunner::kFirstOrder) args.l2 = 0.0;
  {
    // The options a method cannot take fail before the data are read.
    NnTrainOptions checked;
    checked.method = args.method;
    checked.l1 = args.l1;
    checked.l2 = args.l2;
    checked.min_improvement = args.min_improvement;
    checked.improvement_window = args.improvement_window;
    check_nn_options(checked, task.loss);
  }
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
  if (args.split > 0) {
    throw Error(
        "--split N (the first N rows) was replaced by --test-fraction FRACTION: a shuffled split by --seed, "
        "stratified by class for --loss xent");
  }
  const bool classification = info(task.loss).classification;
  // A model to fine-tune: its architecture, columns, classes and scaling.
  MlpModel start;
  if (!args.init_path.empty()) start = load_mlp_model(args.init_path);
  const MlpModel* init = args.init_path.empty() ? nullptr : &start;
  if (init != nullptr && args.input_divisor_given && args.input_divisor != start.input_divisor) {
    throw Error("--input-divisor " + to_decimal(args.input_divisor) + ": the model of --init " + args.init_path +
                " divides its inputs by " + to_decimal(start.input_divisor));
  }
  FitDataOptions data_options;
  data_options.data_path = args.data_path;
  data_options.test_path = args.test_path;
  data_options.target = args.target;
  data_options.input_divisor = init != nullptr ? start.input_divisor : args.input_divisor;
  data_options.classification = classification;
  data_options.test_fraction = args.test_fraction;
  data_options.validation_fraction = args.validation_fraction;
  data_options.validation_required = args.validation_given;
  data_options.seed = args.seed;
  data_options.standardize_inputs = !args.no_standardize;
  data_options.start = init;
  FitData data = prepare_fit_data(data_options);
  task.train = std::move(data.train);
  task.validation = std::move(data.validation);
  task.test = std::move(data.test);
  task.target_scaling = data.target_scaling;
  const int outputs = classification ? static_cast<int>(data.classes.size()) : 1;
  if (args.patience_given && task.validation.num_samples() == 0) {
    throw Error("--patience needs a validation set (--validation-fraction FRACTION)");
  }
  task.name = args.data_path;
  task.network.layer_sizes.push_back(task.train.num_inputs());
  if (init != nullptr && !args.hidden_given) {
    const std::vector<int>& sizes = start.network.layer_sizes;
    task.network.layer_sizes.insert(task.network.layer_sizes.end(), sizes.begin() + 1, sizes.end() - 1);
  } else {
    for (int size : parse_hidden(args.hidden)) task.network.layer_sizes.push_back(size);
  }
  task.network.layer_sizes.push_back(outputs);
  task.network.hidden_activation =
      init != nullptr && !args.activation_given ? start.network.hidden_activation : parse_activation(args.activation);
  task.network.output_activation = Activation::kLinear;
  task.network.initialization = Initialization::kGlorotUniform;
  task.network.seed = args.seed;

  if (init != nullptr) {
    try {
      check_architecture(start, task.network);
    } catch (const Error& e) {
      throw Error("--init " + args.init_path + ": " + e.what());
    }
    if (!start.batch_norm.empty() && !args.batch_norm) {
      throw Error("--init " + args.init_path + ": the model normalizes its hidden layers; add --batch-norm");
    }
    // With batch norm, the learned scale and shift too (the statistics are
    // recomputed from the new training rows).
    const std::vector<double> x = layer_parameters(start);
    task.initial_parameters = Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
  }

  int batch_size = args.batch_size;
  if (!args.batch_given && find_nn_method(args.method).runner == NnRunner::kFirstOrder) {
    batch_size = std::min(kDefaultBatch, task.train.num_samples());
  }
  const Minibatches minibatches = minibatches_of(batch_size);
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
  std::ofstream save;
  if (!args.save_path.empty()) {
    save.open(args.save_path);
    if (!save) throw Error("--save: cannot write '" + args.save_path + "'");
  }

  // --plot: gnuplot is there and the file can be written, before the work.
  std::pair<int, int> plot_size;
  if (!args.plot_path.empty()) {
    plot_size = parse_plot_size(args.plot_size, "--plot-size");
    if (!gnuplot_available()) {
      throw Error("--plot: gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
    }
    std::ofstream plot(args.plot_path);
    if (!plot) throw Error("--plot: cannot write '" + args.plot_path + "'");
  }

  const char* loss_name = classification ? "cross-entropy" : "MSE (standardized)";
  std::string shape;
  for (int size : task.network.layer_sizes) shape += (shape.empty() ? "" : "-") + std::to_string(size);
  std::fprintf(out, "fit %s: %d train / %d test samples, MLP %s (%s), %d parameters, %s, method %s, seed %llu\n",
               args.data_path.c_str(), task.train.num_samples(), task.test.num_samples(), shape.c_str(),
               to_string(task.network.hidden_activation), Mlp(task.network).num_parameters(), loss_name,
               args.method.c_str(), static_cast<unsigned long long>(args.seed));
  const bool too_few_to_validate = task.validation.num_samples() == 0 && args.validation_fraction > 0.0;
  const char* no_early_stopping = too_few_to_validate
                                      ? " (too few rows for the default validation split: no early stopping)"
                                  : task.validation.num_samples() == 0 ? " (no early stopping)"
                                                                       : "";
  std::fprintf(out, "inputs %s; %d validation rows%s; weight decay %s%s\n",
               data.input_scaling.mean.size() != 0 ? "standardized with the training rows' statistics"
                                                   : "as read (--no-standardize)",
               task.validation.num_samples(), no_early_stopping,
               args.l2 > 0.0 ? ("--l2 " + to_decimal(args.l2)).c_str() : "none",
               init != nullptr ? (", starting from " + args.init_path).c_str() : "");
  if (!classification) {
    std::fprintf(out,
                 "target %s standardized: mean %.6g, standard deviation %.6g (MSE in the target's units = "
                 "standardized MSE x %.6g)\n",
                 data.target_name.c_str(), data.target_scaling.mean(0), data.target_scaling.scale(0),
                 data.target_scaling.scale(0) * data.target_scaling.scale(0));
  } else {
    std::string mapping;
    for (size_t k = 0; k < data.classes.size(); ++k) {
      mapping += (k ? ", " : "") + std::to_string(k) +
                 (classes_are_indices(data.classes) ? "" : " <- " + to_decimal(data.classes[k]));
    }
    std::fprintf(out, "%zu classes of %s%s: %s\n", data.classes.size(), data.target_name.c_str(),
                 classes_are_indices(data.classes) ? "" : " (labels mapped to classes in increasing order)",
                 mapping.c_str());
  }
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
  options.patience = task.validation.num_samples() > 0 ? args.patience : 0;
  options.l2 = args.l2;
  options.l1 = args.l1;
  options.min_improvement = args.min_improvement;
  options.improvement_window = args.improvement_window;
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
                 classification ? "loss" : "MSE (standardized)", result.best_validation_loss, result.best_iteration,
                 task.validation.num_samples());
  }
  // The final metrics from the returned parameters, not the trace (whose
  // training loss includes an --l2 penalty): regression in the target's
  // units and standardized.
  // (network_metrics(): the network itself, or with --batch-norm / --dropout
  // its inference: the training set's statistics, no dropout.)
  const double target_variance = classification ? 1.0 : data.target_scaling.scale(0) * data.target_scaling.scale(0);
  double train_loss = network_metrics(task, result.parameters, task.train).loss;
  if (classification) {
    std::fprintf(out, "  train loss        %.6e\n", train_loss);
  } else {
    std::fprintf(out, "  train MSE         %.6e (%.6e standardized)\n", train_loss * target_variance, train_loss);
  }
  double test_loss = last.test_loss;
  if (task.test.num_samples() > 0) {
    test_loss = network_metrics(task, result.parameters, task.test).loss;
    if (classification) {
      std::fprintf(out, "  test loss         %.6e\n", test_loss);
    } else {
      std::fprintf(out, "  test MSE          %.6e (%.6e standardized)\n", test_loss * target_variance, test_loss);
    }
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
  if (save.is_open()) {
    MlpModel model;
    model.network = task.network;
    const int mlp_size = Mlp(task.network).num_parameters();
    model.parameters.assign(result.parameters.data(), result.parameters.data() + mlp_size);
    if (task.layers.batch_norm) {
      // gamma and beta after the Mlp's weights (mlp_layers.h), and the
      // training rows' statistics that inference normalizes with.
      const MlpLayerObjective network(task.network, task.layers,
                                      classification ? MlpLoss::kCrossEntropy : MlpLoss::kSquaredError, task.train);
      const BatchNormStatistics statistics = network.inference_statistics(result.parameters);
      model.batch_norm_epsilon = task.layers.epsilon;
      int offset = mlp_size;
      for (size_t l = 1; l + 1 < task.network.layer_sizes.size(); ++l) {
        const int n = task.network.layer_sizes[l];
        MlpBatchNormLayer layer;
        layer.scale.assign(result.parameters.data() + offset, result.parameters.data() + offset + n);
        layer.shift.assign(result.parameters.data() + offset + n, result.parameters.data() + offset + 2 * n);
        layer.mean.assign(statistics.mean[l - 1].data(), statistics.mean[l - 1].data() + n);
        layer.variance.assign(statistics.variance[l - 1].data(), statistics.variance[l - 1].data() + n);
        model.batch_norm.push_back(std::move(layer));
        offset += 2 * n;
      }
    }
    model.input_names = data.input_names;
    model.target_name = data.target_name;
    model.input_divisor = data_options.input_divisor;
    model.input_scaling = data.input_scaling;
    model.target_scaling = data.target_scaling;
    model.classes = data.classes;
    write_mlp_model(model, save);
    if (!save.flush()) throw Error("--save: cannot write '" + args.save_path + "'");
    std::fprintf(out, "  saved             %s\n", args.save_path.c_str());
  }
  if (!args.plot_path.empty()) {
    // The trace's losses, as `curv plot` draws a --trace file.
    LossCurves curves;
    curves.run = args.method;
    std::vector<double> train, test;
    for (const NnTrainRecord& row : result.trace) {
      curves.iteration.push_back(row.iteration);
      curves.time_s.push_back(row.time_s);
      train.push_back(row.train_loss);
      test.push_back(row.test_loss);
    }
    curves.losses = {{"train_loss", std::move(train)}, {"test_loss", std::move(test)}};
    const std::string drawn = draw_figure(loss_figure({curves}, plot_size.first, plot_size.second), args.plot_path);
    std::fprintf(out, "  plot              %s\n", drawn.c_str());
  }
  const bool finite = std::isfinite(train_loss) && (task.test.num_samples() == 0 || std::isfinite(test_loss)) &&
                      (!classification || std::isfinite(result.train_accuracy));
  const bool succeeded = ended_normally(result.summary.termination) && finite;
  if (!succeeded) {
    std::fprintf(out, "  FAILED: %s\n",
                 finite ? "training did not end normally" : "the reported losses are not all finite");
  }
  json.write(
      JsonLine()
          .text("data", args.data_path)
          .text("test", args.test_path)
          .text("network", shape)
          .text("activation", to_string(task.network.hidden_activation))
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
          .number("train_loss", train_loss)
          .number("test_loss", test_loss)
          .number("train_mse", classification ? kNaN : train_loss * target_variance)
          .number("test_mse", classification || task.test.num_samples() == 0 ? kNaN : test_loss * target_variance)
          .boolean("standardized_inputs", data.input_scaling.mean.size() != 0)
          .integer("validation_rows", task.validation.num_samples())
          .text("model", args.save_path)
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
  CLI::Option* hidden = command->add_option("--hidden", args->hidden, "Hidden layer sizes, comma-separated");
  CLI::Option* activation =
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
  CLI::Option* batch =
      command
          ->add_option("--batch", args->batch_size,
                       "First-order methods and adam-lm's Adam phase: samples per minibatch, 0 all the training "
                       "samples; when not given, 200 (or all, if fewer) for the first-order methods and all for "
                       "adam-lm")
          ->check(whole_number(0, 1000000000));
  command
      ->add_option("--warmup-steps", args->warmup_steps,
                   "adam-lm: Adam epochs before lm takes over (full batch: one step each)")
      ->check(whole_number(1, 100000000));
  CLI::Option* divisor =
      command->add_option("--input-divisor", args->input_divisor, "Divide every input by this as it is read (e.g. 16)")
          ->check(positive());
  command->add_flag("--no-standardize", args->no_standardize,
                    "Feed the inputs as read; by default each input column is standardized with the training rows' "
                    "mean and standard deviation (stored in a saved model and applied by curv predict)");
  command
      ->add_option("--test-fraction", args->test_fraction,
                   "Without --test: hold out this fraction of the rows, shuffled by --seed (stratified by class for "
                   "--loss xent), as the test set (0: none)")
      ->check(in_range(0.0, 0.9));
  CLI::Option* validation =
      command
          ->add_option("--validation-fraction,--validation", args->validation_fraction,
                       "Hold out this fraction of the rows, shuffled by --seed (stratified for --loss xent), as a "
                       "validation set for early stopping (default 0.1, but 0 for xent on a full-batch method; 0: "
                       "none; --validation is its former name)")
          ->check(in_range(0.0, 0.9));
  CLI::Option* patience =
      command
          ->add_option("--patience", args->patience,
                       "Early stopping on the validation set: stop after this many epochs (full batch: iterations) "
                       "without a better validation loss and keep the best weights (needs --validation-fraction)")
          ->check(whole_number(1, 1000000000));
  CLI::Option* l2 =
      command
          ->add_option(
              "--l2", args->l2,
              "Weight decay alpha: alpha/2 |W|^2 added to the summed loss (scikit-learn's alpha, and its default "
              "1e-4; weights only, biases too for the first-order methods; 0 with --batch-norm on a full-batch "
              "method, which takes no penalty)")
          ->check(non_negative());
  command
      ->add_option("--l1", args->l1, "L1 penalty l1 |w|_1 on the summed loss, by a proximal step (first-order methods)")
      ->check(non_negative());
  command
      ->add_option("--min-improvement", args->min_improvement,
                   "Full-batch methods: stop when the training loss fell by less than this fraction over the last "
                   "--improvement-window iterations (0: never)")
      ->check(in_range(0.0, 0.5));
  command->add_option("--improvement-window", args->improvement_window, "Iterations --min-improvement looks back over")
      ->check(whole_number(1, 1000000000));
  command->add_option("--split", args->split, "Replaced by --test-fraction (refused with a message)")
      ->check(whole_number(1, 1000000000))
      ->default_str("");
  command
      ->add_option("--save", args->save_path,
                   "Write the fitted model (network, weights, scaling, columns, classes) as JSON to FILE "
                   "(docs/curv_fit.md; curv predict reads it)")
      ->type_name("FILE");
  command
      ->add_option("--plot", args->plot_path,
                   "Draw the training and test loss against iterations and time to this PNG file by gnuplot (as "
                   "curv plot draws a --trace file)")
      ->type_name("FILE.png");
  command->add_option("--plot-size", args->plot_size, "--plot: width x height in pixels")->capture_default_str();
  command
      ->add_option("--init", args->init_path,
                   "Start from the weights of a saved model (fine-tune or resume): its network, columns, classes and "
                   "scaling are used")
      ->type_name("FILE");
  command->add_flag("--batch-norm", args->batch_norm,
                    "Batch normalization on the hidden layers: minibatch statistics in training, the training set's "
                    "at inference (first-order methods; on the full batch sd, cg, bfgs, lbfgs, nesterov, and lm, "
                    "lm-cg, newton-cg on the Gauss-Newton model)");
  command
      ->add_option("--dropout", args->dropout,
                   "Inverted dropout on the hidden units with this probability, seeded by --seed (first-order "
                   "methods only; 0: off)")
      ->check(in_range(0.0, 0.95));
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
  command->callback([args, exit_status, hidden, activation, divisor, patience, batch, validation, l2] {
    args->validation_given = validation->count() > 0;
    args->l2_given = l2->count() > 0;
    args->batch_given = batch->count() > 0;
    args->hidden_given = hidden->count() > 0;
    args->activation_given = activation->count() > 0;
    args->input_divisor_given = divisor->count() > 0;
    args->patience_given = patience->count() > 0;
    *exit_status = fit(*args);
  });
}

}  // namespace curvature::tools
