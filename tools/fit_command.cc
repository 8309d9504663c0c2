// curv fit: fits a multilayer perceptron to a CSV data set, full batch, with
// one of curvature's second-order or quasi-Newton methods, printing one line
// per iteration and writing the trace. Also defines train_network()
// (nn_setup.h), which `curv bench nn` shares.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "curvature/error.h"
#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/solve.h"
#include "curvature/train.h"
#include "nn_setup.h"

namespace curvature::tools {

const NnMethod& find_nn_method(const std::string& name) {
  std::string known;
  for (const NnMethod& method : nn_methods()) {
    if (name == method.name) return method;
    known += (known.empty() ? "" : ", ") + std::string(method.name);
  }
  throw Error("--method: unknown method '" + name + "' (known: " + known +
              "; first-order methods such as adam and sgd arrive with the minibatch training loop)");
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// adam-lm's Adam learning rate when --lr is not given: large, since the
// warm-up is there to explore (Adam's own default, 1e-3, barely moves).
constexpr double kWarmupLearningRate = 0.03;

double seconds_since(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

// Passes everything through to another Objective and remembers the last few
// points it evaluated, so that a callback (which minimize() gives only the
// IterationRecord) can find the current point: the most recent evaluated
// point whose value is exactly the recorded cost.
class RecentPointsObjective final : public Objective {
 public:
  explicit RecentPointsObjective(Objective& inner) : inner_(inner) {}

  int num_parameters() const override { return inner_.num_parameters(); }
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override {
    const bool ok = inner_.evaluate(x, value, gradient);
    if (ok && std::isfinite(*value)) {
      recent_.emplace_back(*value, x);
      if (recent_.size() > kKept) recent_.pop_front();
    }
    return ok;
  }
  bool has_hessian() const override { return inner_.has_hessian(); }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd& x) override { return inner_.hessian(x); }
  const Eigen::VectorXd* lower_bounds() const override { return inner_.lower_bounds(); }
  const Eigen::VectorXd* upper_bounds() const override { return inner_.upper_bounds(); }
  const char* name() const override { return inner_.name(); }

  // The newest remembered point with f == value, or null.
  const Eigen::VectorXd* find(double value) const {
    for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) {
      if (it->first == value) return &it->second;
    }
    return nullptr;
  }

 private:
  static constexpr size_t kKept = 64;
  Objective& inner_;
  std::deque<std::pair<double, Eigen::VectorXd>> recent_;
};

// Turns the solvers' iteration records into NnTrainRecords: train loss from
// the recorded cost, test loss and accuracy from the current parameters,
// and the time with the recorder's own time taken out.
class Recorder {
 public:
  Recorder(const NnTask& task, const NnTrainOptions& options, std::vector<NnTrainRecord>* trace)
      : task_(task), options_(options), trace_(trace), network_(task.network) {
    if (task.test.num_samples() > 0 && task.loss == NnLoss::kCrossEntropy) {
      test_objective_ = std::make_unique<MlpCrossEntropyObjective>(task.network, task.test);
    }
    if (task.validation.num_samples() > 0 && task.loss == NnLoss::kCrossEntropy) {
      validation_objective_ = std::make_unique<MlpCrossEntropyObjective>(task.network, task.validation);
    }
  }

  // The solver's final parameters into the result, or, under early
  // stopping on a validation set, the best validated ones.
  void finish(const Eigen::VectorXd& final_parameters, NnTrainResult* result) const {
    result->parameters = final_parameters;
    if (best_iteration_ < 0) return;
    result->parameters = best_parameters_;
    result->best_iteration = best_iteration_;
    result->best_validation_loss = best_validation_;
  }

  // The training loss from a solver's cost: MSE = 2 cost / (N K) for the
  // least-squares form, the objective itself for cross-entropy.
  double train_loss(double cost) const {
    if (task_.loss == NnLoss::kCrossEntropy) return cost;
    return 2.0 * cost / (static_cast<double>(task_.train.num_samples()) * task_.train.num_targets());
  }

  // Appends one trace row (test loss, validation tracking). Returns kStop
  // once `patience` recorded iterations have passed without a better
  // validation loss: the solvers' callbacks return it as it is.
  CallbackReturn record(int iteration, double solver_time_s, double iteration_time_s, bool accepted, double cost,
                        const Eigen::VectorXd& parameters) {
    const auto begin = std::chrono::steady_clock::now();
    NnTrainRecord row;
    row.iteration = iteration;
    row.time_s = solver_time_s - overhead_s_;
    row.iteration_time_s = iteration_time_s;
    row.accepted = accepted;
    row.train_loss = train_loss(cost);
    row.test_loss = kNaN;
    row.test_accuracy = kNaN;
    if (task_.test.num_samples() > 0) {
      network_.set_parameters(parameters);
      if (test_objective_) {
        double value = kNaN;
        if (!test_objective_->evaluate(parameters, &value, nullptr)) value = kNaN;
        row.test_loss = value;
        row.test_accuracy = classification_accuracy(network_, task_.test);
      } else {
        row.test_loss = mean_squared_error(network_, task_.test);
      }
    }
    if (task_.validation.num_samples() > 0) track_validation(iteration, parameters);
    trace_->push_back(row);
    if (options_.on_iteration) options_.on_iteration(row);
    overhead_s_ += seconds_since(begin);
    const bool stop = options_.patience > 0 && best_iteration_ >= 0 && since_best_ >= options_.patience;
    return stop ? CallbackReturn::kStop : CallbackReturn::kContinue;
  }

 private:
  void track_validation(int iteration, const Eigen::VectorXd& parameters) {
    double loss = kNaN;
    if (validation_objective_) {
      if (!validation_objective_->evaluate(parameters, &loss, nullptr)) loss = kNaN;
    } else {
      network_.set_parameters(parameters);
      loss = mean_squared_error(network_, task_.validation);
    }
    if (best_iteration_ < 0 || loss < best_validation_) {
      best_validation_ = loss;
      best_iteration_ = iteration;
      best_parameters_ = parameters;
      since_best_ = 0;
    } else {
      ++since_best_;
    }
  }

  const NnTask& task_;
  const NnTrainOptions& options_;
  std::vector<NnTrainRecord>* trace_;
  Mlp network_;  // a copy, for test-set evaluation only
  std::unique_ptr<MlpCrossEntropyObjective> test_objective_;
  std::unique_ptr<MlpCrossEntropyObjective> validation_objective_;
  double overhead_s_ = 0.0;
  int best_iteration_ = -1;
  int since_best_ = 0;
  double best_validation_ = kNaN;
  Eigen::VectorXd best_parameters_;
};

// Iteration 0: the initial network's least-squares cost, recorded before
// the solver's clock starts.
void record_start(const Problem& problem, const Mlp& mlp, Recorder* recorder) {
  LeastSquaresObjective objective(problem);
  double cost = 0.0;
  objective.evaluate(mlp.parameter_vector(), &cost, nullptr);
  recorder->record(0, 0.0, 0.0, true, cost, mlp.parameter_vector());
}

SolverOptions least_squares_options(const NnTrainOptions& options, const Mlp& mlp, Method method) {
  SolverOptions solver;
  solver.method = method;
  solver.linear_solver =
      mlp.num_parameters() <= 5000 ? LinearSolverType::kDenseNormalCholesky : LinearSolverType::kAuto;
  solver.max_iterations = options.max_iterations;
  solver.max_time_seconds = options.max_time_seconds;
  solver.num_threads = options.num_threads;
  solver.damping = options.damping;
  solver.initial_damping = options.initial_damping;
  return solver;
}

// Levenberg-Marquardt from where a first phase (L-BFGS or Adam) left the
// network, with the iterations and time left; the trace and the Summary
// continue the first phase's. first_initial_cost is the first phase's
// initial cost in LM's units (train() reports costs per residual).
void continue_with_lm(const NnTrainOptions& options, Mlp& mlp, Problem& problem, Recorder& recorder,
                      const Summary& first, double first_initial_cost, const std::string& first_phase,
                      NnTrainResult* result) {
  SolverOptions solver = least_squares_options(options, mlp, Method::kLevenbergMarquardt);
  solver.max_iterations = std::max(1, options.max_iterations - first.iterations);
  solver.max_time_seconds = std::max(1e-3, options.max_time_seconds - first.total_time_s);
  solver.callback = [&](const IterationRecord& record) {
    return recorder.record(first.iterations + record.iteration, first.total_time_s + record.cumulative_time_s,
                           record.iteration_time_s, record.accepted, record.cost, mlp.parameter_vector());
  };
  result->summary = solve(solver, &problem);
  result->summary.initial_cost = first_initial_cost;
  result->summary.iterations += first.iterations;
  result->summary.accepted_steps += first.accepted_steps;
  result->summary.total_time_s += first.total_time_s;
  result->summary.message = "after " + std::to_string(first.iterations) + " " + first_phase + " (" +
                            std::to_string(first.total_time_s) + " s): " + result->summary.message;
  recorder.finish(mlp.parameter_vector(), result);
  result->train_accuracy = kNaN;
}

// train()'s options for a first-order rule on the network's residual blocks,
// recording each epoch (train() reports the loss per residual and keeps the
// current point in the network's parameter blocks).
TrainOptions first_order_options(const NnTask& task, const NnTrainOptions& options, UpdateRuleType rule,
                                 double learning_rate, int epochs, double num_residuals, const Mlp& mlp,
                                 Recorder& recorder) {
  TrainOptions train_options;
  train_options.rule.type = rule;
  train_options.schedule.initial_learning_rate = learning_rate;
  train_options.epochs = epochs;
  train_options.batch_size = options.batch_size;
  train_options.seed = task.network.seed;
  train_options.num_threads = options.num_threads;
  train_options.max_time_seconds = options.max_time_seconds;
  train_options.callback = [&recorder, &mlp, num_residuals](const IterationRecord& record) {
    return recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, true,
                           record.cost * num_residuals, mlp.parameter_vector());
  };
  return train_options;
}

NnTrainResult train_least_squares(const NnTask& task, const NnTrainOptions& options, Method method) {
  NnTrainResult result;
  Mlp mlp(task.network);
  Problem problem;
  add_mlp_regression_residuals(mlp, task.train, &problem);
  Recorder recorder(task, options, &result.trace);

  SolverOptions solver = least_squares_options(options, mlp, method);
  solver.callback = [&](const IterationRecord& record) {
    // solve() keeps the current point in the network's parameter blocks.
    return recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, record.accepted,
                           record.cost, mlp.parameter_vector());
  };
  record_start(problem, mlp, &recorder);
  result.summary = solve(solver, &problem);
  recorder.finish(mlp.parameter_vector(), &result);
  result.train_accuracy = kNaN;
  return result;
}

// L-BFGS makes the early progress in iterations that cost a gradient each;
// once it stalls (the cost fell by less than kStallDecrease over the last
// kStallWindow iterations), Levenberg-Marquardt continues from its point
// with the time and iterations left. On R1 the switch comes after about 200
// L-BFGS iterations (0.4 s) and saves LM about 15 of the 45 iterations it
// needs from the initial network to reach MSE 0.005.
NnTrainResult train_lbfgs_then_lm(const NnTask& task, const NnTrainOptions& options) {
  constexpr int kStallWindow = 50;
  constexpr double kStallDecrease = 0.05;
  NnTrainResult result;
  Mlp mlp(task.network);
  Problem problem;
  add_mlp_regression_residuals(mlp, task.train, &problem);
  Recorder recorder(task, options, &result.trace);
  record_start(problem, mlp, &recorder);

  LeastSquaresObjectiveOptions objective_options;
  objective_options.num_threads = options.num_threads;
  objective_options.gradient_without_jacobian = true;
  LeastSquaresObjective least_squares(problem, objective_options);
  RecentPointsObjective objective(least_squares);
  Eigen::VectorXd x = mlp.parameter_vector();
  Eigen::VectorXd current = x;
  std::vector<double> costs;
  bool stalled = false;
  MinimizeOptions lbfgs;
  lbfgs.method = MinimizerMethod::kLbfgs;
  lbfgs.max_iterations = options.max_iterations;
  lbfgs.max_time_seconds = options.max_time_seconds;
  lbfgs.callback = [&](const IterationRecord& record) {
    if (const Eigen::VectorXd* point = objective.find(record.cost)) current = *point;
    if (recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, record.accepted,
                        record.cost, current) == CallbackReturn::kStop) {
      return CallbackReturn::kStop;
    }
    costs.push_back(record.cost);
    const size_t n = costs.size();
    stalled = n > kStallWindow && costs[n - 1] > (1.0 - kStallDecrease) * costs[n - 1 - kStallWindow];
    return stalled ? CallbackReturn::kStop : CallbackReturn::kContinue;
  };
  const Summary first = minimize(lbfgs, objective, &x);
  mlp.set_parameters(x);
  if (!stalled) {
    result.summary = first;
    recorder.finish(x, &result);
    result.train_accuracy = kNaN;
    return result;
  }

  continue_with_lm(options, mlp, problem, recorder, first, first.initial_cost, "L-BFGS iterations", &result);
  return result;
}

NnTrainResult train_minimizer(const NnTask& task, const NnTrainOptions& options, MinimizerMethod method) {
  NnTrainResult result;
  Mlp mlp(task.network);
  Problem problem;
  std::unique_ptr<Objective> inner;
  std::unique_ptr<LeastSquaresObjective> least_squares;
  if (task.loss == NnLoss::kMeanSquaredError) {
    add_mlp_regression_residuals(mlp, task.train, &problem);
    LeastSquaresObjectiveOptions objective_options;
    objective_options.hessian_model = HessianModel::kGaussNewton;
    objective_options.num_threads = options.num_threads;
    objective_options.gradient_without_jacobian = !uses_hessian(method);
    inner = std::make_unique<LeastSquaresObjective>(problem, objective_options);
  } else {
    MlpCrossEntropyOptions objective_options;
    objective_options.num_threads = options.num_threads;
    inner = std::make_unique<MlpCrossEntropyObjective>(task.network, task.train, objective_options);
  }
  RecentPointsObjective objective(*inner);
  Recorder recorder(task, options, &result.trace);
  Eigen::VectorXd x = mlp.parameter_vector();
  Eigen::VectorXd current = x;

  MinimizeOptions minimizer;
  minimizer.method = method;
  minimizer.max_iterations = options.max_iterations;
  minimizer.max_time_seconds = options.max_time_seconds;
  minimizer.max_cg_iterations = options.max_cg_iterations;
  minimizer.callback = [&](const IterationRecord& record) {
    if (const Eigen::VectorXd* point = objective.find(record.cost)) current = *point;
    return recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, record.accepted,
                           record.cost, current);
  };
  {
    double value = 0.0;
    inner->evaluate(x, &value, nullptr);
    recorder.record(0, 0.0, 0.0, true, value, x);
  }
  result.summary = minimize(minimizer, objective, &x);
  recorder.finish(x, &result);
  result.train_accuracy = kNaN;
  if (task.loss == NnLoss::kCrossEntropy) {
    mlp.set_parameters(result.parameters);
    result.train_accuracy = classification_accuracy(mlp, task.train);
  }
  return result;
}

}  // namespace

namespace {

// Throws curvature::Error for an unknown method or one the loss cannot use.
void check_method(const std::string& name, NnLoss loss) {
  const NnMethod& method = find_nn_method(name);
  if (method.needs_least_squares && loss != NnLoss::kMeanSquaredError) {
    throw Error("--method " + name +
                ": this method works on the loss as a sum of squares (residual blocks); the softmax "
                "cross-entropy is not one, so it is not available with --loss xent yet (use lbfgs or "
                "newton-cg, whose Newton-CG uses the generalized Gauss-Newton matrix)");
  }
}

}  // namespace

// First-order training through train(): its loss is the cost per residual,
// so the recorder gets it back as a total cost.
NnTrainResult train_first_order(const NnTask& task, const NnTrainOptions& options, UpdateRuleType rule) {
  NnTrainResult result;
  Mlp mlp(task.network);
  Problem problem;
  add_mlp_regression_residuals(mlp, task.train, &problem);
  Recorder recorder(task, options, &result.trace);
  const double num_residuals = problem.num_residuals();

  const TrainOptions train_options = first_order_options(
      task, options, rule, options.learning_rate > 0.0 ? options.learning_rate : default_learning_rate(rule),
      options.max_iterations, num_residuals, mlp, recorder);
  record_start(problem, mlp, &recorder);
  result.summary = train(train_options, &problem);
  recorder.finish(mlp.parameter_vector(), &result);
  result.train_accuracy = kNaN;
  return result;
}

namespace {

// Adam with a large learning rate explores before Levenberg-Marquardt
// converges: its noisy full-batch steps leave the basin that damped
// Gauss-Newton steps from the initial network settle in. On R1 (medians over
// five seeds, 30 s) LM alone levels off near train MSE 1.05e-3 (1.02e-3 after
// 90 s); after 3000 Adam steps at lr 0.03 (1.5 s) LM reaches 7e-4, after 4000
// steps 4.8e-4, after 2000 steps 7.5e-4. A longer warm-up finds a lower basin
// but delays the fast early progress of LM (MSE 0.005 after 1.9, 2.3 and
// 3.0 s for 2000, 3000 and 4000 steps); lr 0.01 explores too little (9.2e-4),
// lr 0.1 leaves the well-trained region altogether.
NnTrainResult train_adam_then_lm(const NnTask& task, const NnTrainOptions& options) {
  NnTrainResult result;
  Mlp mlp(task.network);
  Problem problem;
  add_mlp_regression_residuals(mlp, task.train, &problem);
  Recorder recorder(task, options, &result.trace);
  const double num_residuals = problem.num_residuals();
  record_start(problem, mlp, &recorder);

  const TrainOptions adam = first_order_options(
      task, options, UpdateRuleType::kAdam, options.learning_rate > 0.0 ? options.learning_rate : kWarmupLearningRate,
      std::min(options.warmup_steps, options.max_iterations), num_residuals, mlp, recorder);
  const Summary first = train(adam, &problem);
  // Only a finished warm-up hands over; a limit, a callback or a failure ends the run here.
  if (first.termination != TerminationType::kMaxIterations || first.iterations >= options.max_iterations) {
    result.summary = first;
    recorder.finish(mlp.parameter_vector(), &result);
    result.train_accuracy = kNaN;
    return result;
  }

  continue_with_lm(options, mlp, problem, recorder, first, first.initial_cost * num_residuals, "Adam steps", &result);
  return result;
}

}  // namespace

NnTrainResult train_network(const NnTask& task, const NnTrainOptions& options) {
  check_method(options.method, task.loss);
  const std::string& name = options.method;
  if (name == "lm") return train_least_squares(task, options, Method::kLevenbergMarquardt);
  if (name == "gn") return train_least_squares(task, options, Method::kGaussNewton);
  if (name == "lbfgs-lm") return train_lbfgs_then_lm(task, options);
  if (name == "adam-lm") return train_adam_then_lm(task, options);
  if (name == "lbfgs") return train_minimizer(task, options, MinimizerMethod::kLbfgs);
  if (name == "newton-cg") return train_minimizer(task, options, MinimizerMethod::kNewtonTrustRegionCg);
  if (name == "lm-cg") return train_minimizer(task, options, MinimizerMethod::kLevenbergMarquardtCg);
  if (name == "adam") return train_first_order(task, options, UpdateRuleType::kAdam);
  if (name == "sgd") return train_first_order(task, options, UpdateRuleType::kSgd);
  if (name == "momentum") return train_first_order(task, options, UpdateRuleType::kMomentum);
  throw Error("--method " + name + ": listed in nn_methods() but not wired into train_network()");
}

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

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char text[64];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void fit(const FitArgs& args) {
  if (args.loss != "mse" && args.loss != "xent")
    throw Error("--loss: unknown loss '" + args.loss + "' (known: mse, xent)");
  NnTask task;
  task.loss = args.loss == "mse" ? NnLoss::kMeanSquaredError : NnLoss::kCrossEntropy;
  check_method(args.method, task.loss);  // fails before the data are read
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
      throw Error("--validation " + std::to_string(args.validation) + " leaves " + std::to_string(held_out) +
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

  const bool classification = task.loss == NnLoss::kCrossEntropy;
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
  const double wall_s = seconds_since(begin);
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
    std::printf("  early stopping    best validation %s %.6e at iteration %d (%d validation rows); its parameters "
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
    json << "{\"data\":" << json_string(args.data_path) << ",\"test\":" << json_string(args.test_path)
         << ",\"network\":\"" << shape << "\",\"activation\":\"" << args.activation << "\",\"loss\":\"" << args.loss
         << "\",\"method\":\"" << args.method << "\",\"seed\":" << args.seed
         << ",\"parameters\":" << result.parameters.size() << ",\"iterations\":" << result.summary.iterations
         << ",\"termination\":\"" << to_string(result.summary.termination)
         << "\",\"time_s\":" << json_number(last.time_s) << ",\"train_loss\":" << json_number(last.train_loss)
         << ",\"test_loss\":" << json_number(last.test_loss)
         << ",\"train_accuracy\":" << json_number(result.train_accuracy)
         << ",\"test_accuracy\":" << json_number(last.test_accuracy) << "}\n";
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
  command->add_option("--loss", args->loss, "mse (target standardized) or xent (target = class labels 0..K-1)");
  command->add_option("--method", args->method, "Method:" + methods);
  command->add_option("--epochs", args->epochs, "Maximum iterations (full batch: one per epoch)")
      ->check(CLI::Range(1, 100000000));
  command->add_option("--seed", args->seed, "Seed of the Glorot-uniform initialization");
  command->add_option("--max-time", args->max_time, "Stop after this many seconds")->check(CLI::PositiveNumber);
  command->add_option("--threads", args->threads, "Threads evaluating the residuals (lm, gn, lbfgs/newton-cg on mse)")
      ->check(CLI::Range(1, 256));
  command->add_option("--cg-iterations", args->max_cg_iterations, "Steihaug-CG iterations per newton-cg step (0: n)")
      ->check(CLI::Range(0, 100000000));
  command->add_option("--damping", args->damping, "lm: levenberg (lambda I, default) or marquardt (lambda diag J^T J)")
      ->check(CLI::IsMember({"levenberg", "marquardt"}));
  command->add_option("--initial-damping", args->initial_damping,
                      "lm: the first lambda, relative to max diag(J^T J) for levenberg (default 1e-3)")
      ->check(CLI::PositiveNumber);
  command->add_option("--lr", args->learning_rate, "Learning rate of a first-order method (0: the rule's default)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--batch", args->batch_size,
                      "First-order methods: chunks of samples per minibatch (0: full batch)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--warmup-steps", args->warmup_steps,
                   "adam-lm: Adam epochs before lm takes over (full batch: steps; default 3000)")
      ->check(CLI::Range(1, 100000000));
  command->add_option("--input-divisor", args->input_divisor, "Divide every input by this as it is read (e.g. 16)")
      ->check(CLI::PositiveNumber);
  command->add_option("--validation", args->validation,
                      "Hold out this fraction of the training rows (the last ones) as a validation set")
      ->check(CLI::Range(0.0, 0.9));
  command->add_option("--patience", args->patience,
                      "Early stopping: stop after this many iterations without a better validation loss and "
                      "return the best parameters (needs --validation)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--split", args->split, "Without --test: the first N rows train, the rest test")
      ->check(CLI::Range(1, 1000000000));
  command->add_option("--trace", args->trace_path, "Write iteration,time_s,train_loss,test_loss to this CSV");
  command->add_option("--json", args->json_path, "Write one JSON object with the final results to this file");
  command->callback([args] { fit(*args); });
}

}  // namespace curvature::tools
