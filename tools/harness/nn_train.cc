// nn_train.cc — the training runs behind `curv fit` and `curv bench nn`
// (nn_setup.h): one network, one method, full batch or minibatches, with the
// trace of nn_recorder.h. Second-order and quasi-Newton methods through
// solve() and minimize(), first-order ones through train(), and the two
// hand-overs (L-BFGS or Adam, then Levenberg-Marquardt).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvature/error.h"
#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/solve.h"
#include "curvature/train.h"
#include "nn_recorder.h"
#include "nn_setup.h"

namespace curvature::tools {

const std::vector<NnMethod>& nn_methods() {
  static const std::vector<NnMethod> methods = [] {
    std::vector<NnMethod> rows;
    auto taken = [&rows](const char* name) {
      for (const NnMethod& row : rows) {
        if (std::string_view(name) == row.name || (row.registry_name && std::string_view(name) == row.registry_name))
          return true;
      }
      return false;
    };
    for (const MethodInfo& row : kMethods) {
      const bool lm = row.value == Method::kLevenbergMarquardt;
      rows.push_back(
          {row.short_name,
           std::string("least squares, full batch: ") + row.description +
               (lm ? " (xent: Levenberg-Marquardt on the generalized Gauss-Newton model, as lm-cg)" : " (mse only)"),
           NnRunner::kLeastSquares, !lm, row.value, MinimizerMethod::kLbfgs, UpdateRuleType::kAdam, row.name});
    }
    for (const MinimizerMethodInfo& row : kMinimizerMethods) {
      rows.push_back({row.short_name, std::string("full batch: ") + row.description, NnRunner::kMinimizer, false,
                      Method::kLevenbergMarquardt, row.value, UpdateRuleType::kAdam, row.name});
    }
    for (const UpdateRuleInfo& row : kUpdateRules) {
      if (taken(row.name)) continue;
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", row.default_learning_rate);
      rows.push_back({row.name,
                      std::string("first order, minibatches (--batch): ") + row.description + ", default lr " + rate,
                      NnRunner::kFirstOrder, false, Method::kLevenbergMarquardt, MinimizerMethod::kLbfgs, row.value});
    }
    rows.push_back({"lbfgs-lm",
                    "L-BFGS until it stalls (cost down < 5% in 50 iterations), then lm from there (mse only)",
                    NnRunner::kLbfgsThenLm, true});
    rows.push_back(
        {"adam-lm",
         "adam (lr --lr, default 0.03) for --warmup-steps epochs (full batch: steps), then lm from there (mse only)",
         NnRunner::kAdamThenLm, true});
    return rows;
  }();
  return methods;
}

namespace {

// "least squares: lm, dogleg, gn; full batch: sd, ...": the names of the methods
// `keep` accepts, by how they run.
template <typename Keep>
std::string nn_method_names(Keep keep) {
  std::string names;
  std::string_view group;
  for (const NnMethod& method : nn_methods()) {
    if (!keep(method)) continue;
    const char* label = method.runner == NnRunner::kLeastSquares ? "least squares: "
                        : method.runner == NnRunner::kMinimizer  ? "full batch: "
                        : method.runner == NnRunner::kFirstOrder ? "first order: "
                                                                 : "then lm: ";
    if (group != label) {
      names += (names.empty() ? "" : "; ") + std::string(label);
      group = label;
    } else {
      names += ", ";
    }
    names += method.name;
  }
  return names;
}

}  // namespace

const NnMethod& find_nn_method(const std::string& name) {
  for (const NnMethod& method : nn_methods()) {
    if (name == method.name || (method.registry_name && name == method.registry_name)) return method;
  }
  throw Error("--method: unknown method '" + name +
              "' (known: " + nn_method_names([](const NnMethod&) { return true; }) + ")");
}

const NnMethod& check_nn_method(const std::string& name, NnLoss loss) {
  const NnMethod& method = find_nn_method(name);
  if (method.needs_least_squares && loss != NnLoss::kMeanSquaredError) {
    throw Error("--method " + name +
                ": this method needs the loss as a sum of squares (residual blocks), which the softmax "
                "cross-entropy is not; for --loss xent, lm and lm-cg run Levenberg-Marquardt and newton-cg a trust "
                "region on its generalized Gauss-Newton model (methods for --loss xent: " +
                nn_method_names([](const NnMethod& m) { return !m.needs_least_squares; }) + ")");
  }
  return method;
}

namespace {

// The minimizer a method runs on MlpLayerObjective (task.layers active):
// its own, or for lm Levenberg-Marquardt on the generalized Gauss-Newton
// model (lm-cg); nullopt for a method that has none there.
std::optional<MinimizerMethod> layers_minimizer(const NnMethod& method) {
  if (method.runner == NnRunner::kMinimizer) return method.minimizer;
  if (method.runner == NnRunner::kLeastSquares && method.least_squares == Method::kLevenbergMarquardt) {
    return MinimizerMethod::kLevenbergMarquardtCg;
  }
  return std::nullopt;
}

// Second-order methods that need no more than Gauss-Newton products.
bool uses_products_only(MinimizerMethod method) {
  return method == MinimizerMethod::kNewtonTrustRegionCg || method == MinimizerMethod::kLevenbergMarquardtCg;
}

}  // namespace

void check_nn_layers(const NnMethod& method, const MlpLayerOptions& layers) {
  if (!layers.active() || method.runner == NnRunner::kFirstOrder) return;
  const std::optional<MinimizerMethod> minimizer = layers_minimizer(method);
  const bool full_batch = minimizer && (!uses_hessian(*minimizer) || uses_products_only(*minimizer));
  if (full_batch && layers.dropout == 0.0) return;
  throw Error("--method " + std::string(method.name) + ": " +
              (full_batch ? std::string("--dropout draws a new mask at every step, so a full-batch method would see "
                                        "a different function at every evaluation; use a first-order method (adam, "
                                        "sgd, ...)")
                          : std::string("--batch-norm and --dropout work with the first-order methods, and batch norm "
                                        "alone with the full-batch methods sd, cg, bfgs, lbfgs, nesterov and, on the "
                                        "generalized Gauss-Newton model through the batch statistics, lm (as lm-cg), "
                                        "lm-cg and newton-cg; this method needs a Jacobian or a dense Hessian")));
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// adam-lm's Adam learning rate when --lr is not given: large, since the
// warm-up is there to explore (Adam's own default, 1e-3, barely moves).
constexpr double kWarmupLearningRate = 0.03;

// Early stopping on task.validation is the solvers' own (EarlyStoppingOptions
// for solve() and minimize(), held-out residual blocks for train()); without
// --patience a validation set still picks the returned network: the monitor
// runs and never stops.
int validation_patience(const NnTrainOptions& options) {
  return options.patience > 0 ? options.patience : std::numeric_limits<int>::max();
}

// The validation loss of a parameter vector: the mean squared error
// (standardized) or the mean cross-entropy on task.validation.
EarlyStoppingOptions early_stopping(const NnTask& task, const NnTrainOptions& options) {
  EarlyStoppingOptions out;
  if (task.validation.num_samples() == 0) return out;
  out.patience = validation_patience(options);
  if (task.loss == NnLoss::kCrossEntropy) {
    auto objective = std::make_shared<MlpCrossEntropyObjective>(task.network, task.validation);
    out.validation_loss = [objective](const Eigen::VectorXd& x) {
      double value = kNaN;
      if (!objective->evaluate(x, &value, nullptr)) value = kNaN;
      return value;
    };
  } else {
    auto network = std::make_shared<Mlp>(task.network);
    const Dataset* data = &task.validation;
    out.validation_loss = [network, data](const Eigen::VectorXd& x) {
      network->set_parameters(x);
      return mean_squared_error(*network, *data);
    };
  }
  return out;
}

// The network a run starts from: task.initial_parameters when given (a
// model being fine-tuned), else drawn from task.network.seed.
Mlp initial_network(const NnTask& task) {
  Mlp mlp(task.network);
  if (task.initial_parameters.size() > 0) mlp.set_parameters(task.initial_parameters);
  return mlp;
}

// The training residuals of the least-squares form, with the L2 penalty
// (NnTrainOptions::l2) as residual blocks when asked.
void add_training_residuals(const NnTask& task, const NnTrainOptions& options, Mlp& mlp, Problem* problem) {
  add_mlp_regression_residuals(mlp, task.train, problem);
  if (options.l2 > 0.0) add_mlp_l2_regularization(mlp, options.l2, problem);
}

// The run's returned parameters, and the best validated iteration its
// Summary reports (under early stopping).
void finish(const Eigen::VectorXd& parameters, NnTrainResult* result) {
  result->parameters = parameters;
  result->best_iteration = result->summary.best_iteration;
  result->best_validation_loss = result->summary.best_validation_loss;
  result->train_accuracy = kNaN;
}

SolverOptions least_squares_options(const NnTask& task, const NnTrainOptions& options, const Mlp& mlp, Method method) {
  SolverOptions solver;
  solver.method = method;
  solver.linear_solver =
      mlp.num_parameters() <= 5000 ? LinearSolverType::kDenseNormalCholesky : LinearSolverType::kAuto;
  solver.max_iterations = options.max_iterations;
  solver.max_time_seconds = options.max_time_seconds;
  solver.num_threads = options.num_threads;
  solver.damping = options.damping;
  solver.initial_damping = options.initial_damping;
  solver.early_stopping = early_stopping(task, options);
  return solver;
}

// Levenberg-Marquardt from where a first phase (L-BFGS or Adam) left the
// network, with the iterations and time left; the trace and the Summary
// continue the first phase's. first_initial_cost is the first phase's
// initial cost in LM's units (train() reports costs per residual). Under
// early stopping the first phase left its best validated network, so LM
// starts from there and its iteration 0 is that iteration.
void continue_with_lm(const NnTask& task, const NnTrainOptions& options, Mlp& mlp, Problem& problem, Recorder& recorder,
                      const Summary& first, double first_initial_cost, const std::string& first_phase,
                      NnTrainResult* result) {
  SolverOptions solver = least_squares_options(task, options, mlp, Method::kLevenbergMarquardt);
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
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f s", first.total_time_s);
  result->summary.message = "after " + std::to_string(first.iterations) + " " + first_phase + " (" + seconds +
                            "): " + result->summary.message;
  if (result->summary.best_iteration == 0) {
    result->summary.best_iteration = first.best_iteration;
  } else if (result->summary.best_iteration > 0) {
    result->summary.best_iteration += first.iterations;
  }
  finish(mlp.parameter_vector(), result);
}

// train() on `problem` (the network's training blocks). With a validation
// set, on a second Problem over the same parameters that also holds
// task.validation as held-out blocks: train() validates on blocks of the
// Problem it trains, and `problem` may be handed to solve() next.
Summary train_with_validation(const NnTask& task, const NnTrainOptions& options, TrainOptions train_options, Mlp& mlp,
                              Problem& problem) {
  if (task.validation.num_samples() == 0) return train(train_options, &problem);
  Problem with_validation;
  add_mlp_regression_residuals(mlp, task.train, &with_validation);
  TrainValidation validation;
  validation.residual_blocks = add_mlp_regression_residuals(mlp, task.validation, &with_validation);
  train_options.early_stopping_patience = validation_patience(options);
  Summary summary = train(train_options, &with_validation, validation);
  summary.best_validation_loss *= 2.0;  // train()'s loss per residual is half the mean squared error
  return summary;
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
  train_options.weight_decay = options.l2 / num_residuals;
  train_options.l1 = options.l1 / num_residuals;
  train_options.callback = [&recorder, &mlp, num_residuals](const IterationRecord& record) {
    return recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, true,
                           record.cost * num_residuals, mlp.parameter_vector());
  };
  return train_options;
}

NnTrainResult train_least_squares(const NnTask& task, const NnTrainOptions& options, Method method) {
  NnTrainResult result;
  Mlp mlp = initial_network(task);
  Problem problem;
  add_training_residuals(task, options, mlp, &problem);
  Recorder recorder(task, options, &result.trace);

  SolverOptions solver = least_squares_options(task, options, mlp, method);
  solver.callback = [&](const IterationRecord& record) {
    // solve() keeps the current point in the network's parameter blocks.
    return recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, record.accepted,
                           record.cost, mlp.parameter_vector());
  };
  record_start(problem, mlp, &recorder);
  result.summary = solve(solver, &problem);
  finish(mlp.parameter_vector(), &result);
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
  Mlp mlp = initial_network(task);
  Problem problem;
  add_training_residuals(task, options, mlp, &problem);
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
  lbfgs.early_stopping = early_stopping(task, options);
  lbfgs.callback = [&](const IterationRecord& record) {
    if (const Eigen::VectorXd* point = objective.find(record.cost)) current = *point;
    recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, record.accepted, record.cost,
                    current);
    costs.push_back(record.cost);
    const size_t n = costs.size();
    stalled = n > kStallWindow && costs[n - 1] > (1.0 - kStallDecrease) * costs[n - 1 - kStallWindow];
    return stalled ? CallbackReturn::kStop : CallbackReturn::kContinue;
  };
  const Summary first = minimize(lbfgs, objective, &x);
  mlp.set_parameters(x);
  if (!stalled) {
    result.summary = first;
    finish(x, &result);
    return result;
  }

  continue_with_lm(task, options, mlp, problem, recorder, first, first.initial_cost, "L-BFGS iterations", &result);
  return result;
}

NnTrainResult train_minimizer(const NnTask& task, const NnTrainOptions& options, MinimizerMethod method) {
  NnTrainResult result;
  Mlp mlp = initial_network(task);
  Problem problem;
  std::unique_ptr<Objective> inner;
  std::unique_ptr<LeastSquaresObjective> least_squares;
  if (task.loss == NnLoss::kMeanSquaredError) {
    add_training_residuals(task, options, mlp, &problem);
    LeastSquaresObjectiveOptions objective_options;
    objective_options.hessian_model = HessianModel::kGaussNewton;
    objective_options.num_threads = options.num_threads;
    objective_options.gradient_without_jacobian = !uses_hessian(method);
    inner = std::make_unique<LeastSquaresObjective>(problem, objective_options);
  } else {
    MlpCrossEntropyOptions objective_options;
    objective_options.num_threads = options.num_threads;
    objective_options.l2_weight = options.l2 / task.train.num_samples();
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
  minimizer.early_stopping = early_stopping(task, options);
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
  finish(x, &result);
  if (task.loss == NnLoss::kCrossEntropy) {
    mlp.set_parameters(result.parameters);
    result.train_accuracy = classification_accuracy(mlp, task.train);
  }
  return result;
}

// First-order training through train(): its loss is the cost per residual,
// so the recorder gets it back as a total cost.
NnTrainResult train_first_order(const NnTask& task, const NnTrainOptions& options, UpdateRuleType rule) {
  NnTrainResult result;
  Mlp mlp = initial_network(task);
  Problem problem;
  add_mlp_regression_residuals(mlp, task.train, &problem);
  Recorder recorder(task, options, &result.trace);
  const double num_residuals = problem.num_residuals();

  const TrainOptions train_options = first_order_options(
      task, options, rule, options.learning_rate > 0.0 ? options.learning_rate : default_learning_rate(rule),
      options.max_iterations, num_residuals, mlp, recorder);
  record_start(problem, mlp, &recorder);
  result.summary = train_with_validation(task, options, train_options, mlp, problem);
  finish(mlp.parameter_vector(), &result);
  return result;
}

// The training samples followed by the validation samples, which are listed
// in validation->terms as held-out terms: what train()'s SumObjective form
// validates on.
Dataset with_validation_terms(const NnTask& task, TrainValidation* validation) {
  Dataset data = task.train;
  const int num_train = task.train.num_samples();
  const int num_validation = task.validation.num_samples();
  if (num_validation == 0) return data;
  const int all = num_train + num_validation;
  data.inputs.conservativeResize(all, Eigen::NoChange);
  data.targets.conservativeResize(all, Eigen::NoChange);
  data.inputs.bottomRows(num_validation) = task.validation.inputs;
  data.targets.bottomRows(num_validation) = task.validation.targets;
  for (int s = num_train; s < all; ++s) validation->terms.push_back(s);
  return data;
}

// First-order training of the cross-entropy through train()'s SumObjective
// form: one term per sample, validation samples appended as held-out terms.
// --batch arrives as blocks of chunk_size samples (fit_command.cc), so a
// minibatch is batch_size * chunk_size samples, what the header reports.
NnTrainResult train_first_order_cross_entropy(const NnTask& task, const NnTrainOptions& options, UpdateRuleType rule) {
  NnTrainResult result;
  Mlp mlp = initial_network(task);
  const int num_train = task.train.num_samples();
  TrainValidation validation;
  const Dataset data = with_validation_terms(task, &validation);
  MlpCrossEntropyOptions objective_options;
  objective_options.num_threads = options.num_threads;
  MlpCrossEntropyObjective objective(task.network, data, objective_options);
  Recorder recorder(task, options, &result.trace);
  Eigen::VectorXd x = mlp.parameter_vector();

  TrainOptions train_options;
  train_options.rule.type = rule;
  train_options.schedule.initial_learning_rate =
      options.learning_rate > 0.0 ? options.learning_rate : default_learning_rate(rule);
  train_options.epochs = options.max_iterations;
  train_options.batch_size = options.batch_size * task.network.chunk_size;
  train_options.seed = task.network.seed;
  train_options.num_threads = 1;  // the objective evaluates its chunks on options.num_threads
  train_options.max_time_seconds = options.max_time_seconds;
  // --l2 and --l1 on the summed loss, as for the other first-order runs:
  // per term (sample) of the mean that train() descends.
  train_options.weight_decay = options.l2 / num_train;
  train_options.l1 = options.l1 / num_train;
  if (!validation.terms.empty()) train_options.early_stopping_patience = validation_patience(options);
  train_options.callback = [&recorder, &x](const IterationRecord& record) {
    return recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, true, record.cost, x);
  };
  {
    std::vector<int> training(static_cast<size_t>(num_train));
    for (int s = 0; s < num_train; ++s) training[static_cast<size_t>(s)] = s;
    double sum = 0.0;
    objective.evaluate(training, x, &sum, nullptr);
    recorder.record(0, 0.0, 0.0, true, sum / num_train, x);
  }
  result.summary = train(train_options, static_cast<SumObjective*>(&objective), &x, validation);
  finish(x, &result);
  mlp.set_parameters(x);
  result.train_accuracy = classification_accuracy(mlp, task.train);
  return result;
}

// The network with batch norm or dropout (task.layers) on MlpLayerObjective:
// first-order rules through train() in minibatches of samples (validation
// samples appended as held-out terms), or with batch norm alone a full-batch
// minimizer: gradient-only, or lm-cg / newton-cg on the generalized
// Gauss-Newton products (lm runs as lm-cg). The recorder gets costs in its units: the
// mean term is half the MSE, or the mean cross-entropy.
NnTrainResult train_with_layers(const NnTask& task, const NnTrainOptions& options, const NnMethod& method) {
  check_nn_layers(method, task.layers);
  const bool first_order = method.runner == NnRunner::kFirstOrder;
  const std::optional<MinimizerMethod> full_batch_method = layers_minimizer(method);
  NnTrainResult result;
  const bool classification = task.loss == NnLoss::kCrossEntropy;
  const int num_train = task.train.num_samples();
  TrainValidation validation;
  const Dataset data = first_order ? with_validation_terms(task, &validation) : task.train;
  MlpLayerObjective objective(task.network, task.layers,
                              classification ? MlpLoss::kCrossEntropy : MlpLoss::kSquaredError, data, num_train);
  const double units = classification ? 1.0 : static_cast<double>(num_train) * task.train.num_targets();
  Recorder recorder(task, options, &result.trace);
  Eigen::VectorXd x = objective.initial_parameters();
  // A saved network to start from: all of it (a model with batch norm), or
  // the Mlp part, with gamma and beta starting at 1 and 0.
  if (task.initial_parameters.size() > 0) {
    const int mlp_size = Mlp(task.network).num_parameters();
    if (task.initial_parameters.size() == x.size()) {
      x = task.initial_parameters;
    } else if (task.initial_parameters.size() == mlp_size) {
      x.head(mlp_size) = task.initial_parameters;
    } else {
      throw Error("the starting parameters have " + std::to_string(task.initial_parameters.size()) +
                  " entries, the network " + std::to_string(mlp_size) + " (" + std::to_string(x.size()) +
                  " with its layers' own)");
    }
  }
  if (!first_order && options.l2 > 0.0) {
    throw Error(
        "--l2 with --batch-norm: the full-batch methods on the batch-normalized network take no penalty; "
        "use a first-order method (its weight decay)");
  }
  {
    double value = 0.0;
    Objective& full = objective;
    if (task.layers.dropout == 0.0) {
      full.evaluate(x, &value, nullptr);
    } else {
      std::vector<int> training(static_cast<size_t>(num_train));
      for (int s = 0; s < num_train; ++s) training[static_cast<size_t>(s)] = s;
      objective.evaluate(training, x, &value, nullptr);
      value /= num_train;
    }
    recorder.record(0, 0.0, 0.0, true, value * units, x);
  }
  if (first_order) {
    TrainOptions train_options;
    train_options.rule.type = method.rule;
    train_options.schedule.initial_learning_rate =
        options.learning_rate > 0.0 ? options.learning_rate : default_learning_rate(method.rule);
    train_options.epochs = options.max_iterations;
    train_options.batch_size = options.batch_size * task.network.chunk_size;
    train_options.seed = task.network.seed;
    train_options.max_time_seconds = options.max_time_seconds;
    train_options.weight_decay = options.l2 / num_train;
    train_options.l1 = options.l1 / num_train;
    if (!validation.terms.empty()) train_options.early_stopping_patience = validation_patience(options);
    train_options.callback = [&](const IterationRecord& record) {
      return recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, true,
                             record.cost * units, x);
    };
    result.summary = train(train_options, static_cast<SumObjective*>(&objective), &x, validation);
    if (!classification) result.summary.best_validation_loss *= 2.0;  // half the MSE per term
  } else {
    RecentPointsObjective recent(objective);
    Eigen::VectorXd current = x;
    MinimizeOptions minimizer;
    minimizer.method = *full_batch_method;
    minimizer.max_iterations = options.max_iterations;
    minimizer.max_time_seconds = options.max_time_seconds;
    minimizer.max_cg_iterations = options.max_cg_iterations;
    minimizer.callback = [&](const IterationRecord& record) {
      if (const Eigen::VectorXd* point = recent.find(record.cost)) current = *point;
      return recorder.record(record.iteration, record.cumulative_time_s, record.iteration_time_s, record.accepted,
                             record.cost * units, current);
    };
    if (task.validation.num_samples() > 0) {
      minimizer.early_stopping.patience = validation_patience(options);
      minimizer.early_stopping.validation_loss = [&objective, &task](const Eigen::VectorXd& point) {
        return objective.loss(point, task.validation);
      };
    }
    result.summary = minimize(minimizer, recent, &x);
  }
  finish(x, &result);
  if (classification) result.train_accuracy = objective.accuracy(x, task.train);
  return result;
}

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
  Mlp mlp = initial_network(task);
  Problem problem;
  add_mlp_regression_residuals(mlp, task.train, &problem);
  Recorder recorder(task, options, &result.trace);
  const double num_residuals = problem.num_residuals();
  record_start(problem, mlp, &recorder);

  const TrainOptions adam = first_order_options(
      task, options, UpdateRuleType::kAdam, options.learning_rate > 0.0 ? options.learning_rate : kWarmupLearningRate,
      std::min(options.warmup_steps, options.max_iterations), num_residuals, mlp, recorder);
  const Summary first = train_with_validation(task, options, adam, mlp, problem);
  // Only a finished warm-up hands over; a limit, a callback, early stopping
  // or a failure ends the run here.
  if (first.termination != TerminationType::kMaxIterations || first.iterations >= options.max_iterations) {
    result.summary = first;
    finish(mlp.parameter_vector(), &result);
    return result;
  }

  if (options.l2 > 0.0) add_mlp_l2_regularization(mlp, options.l2, &problem);  // Adam had it as weight decay
  continue_with_lm(task, options, mlp, problem, recorder, first, first.initial_cost * num_residuals, "Adam steps",
                   &result);
  return result;
}

}  // namespace

namespace {

NnTrainResult run(const NnTask& task, const NnTrainOptions& options, const NnMethod& method) {
  const bool cross_entropy = task.loss == NnLoss::kCrossEntropy;
  if (task.layers.active()) return train_with_layers(task, options, method);
  switch (method.runner) {
    case NnRunner::kLeastSquares:
      // The cross-entropy's Levenberg-Marquardt: on its generalized
      // Gauss-Newton model (check_nn_method refuses the other methods).
      if (cross_entropy) return train_minimizer(task, options, MinimizerMethod::kLevenbergMarquardtCg);
      return train_least_squares(task, options, method.least_squares);
    case NnRunner::kMinimizer:
      return train_minimizer(task, options, method.minimizer);
    case NnRunner::kFirstOrder:
      if (cross_entropy) return train_first_order_cross_entropy(task, options, method.rule);
      return train_first_order(task, options, method.rule);
    case NnRunner::kLbfgsThenLm:
      return train_lbfgs_then_lm(task, options);
    case NnRunner::kAdamThenLm:
      return train_adam_then_lm(task, options);
  }
  throw Error("--method " + options.method + ": no runner");
}

}  // namespace

const NnMethod& check_nn_options(const NnTrainOptions& options, NnLoss loss) {
  const NnMethod& method = check_nn_method(options.method, loss);
  require_option(options.l2 >= 0.0 && std::isfinite(options.l2), "NnTrainOptions", "l2", "non-negative and finite",
                 options.l2);
  require_option(options.l1 >= 0.0 && std::isfinite(options.l1), "NnTrainOptions", "l1", "non-negative and finite",
                 options.l1);
  require_option(options.min_improvement >= 0.0 && options.min_improvement < 1.0, "NnTrainOptions", "min_improvement",
                 "in [0, 1)", options.min_improvement);
  require_option(options.improvement_window >= 1, "NnTrainOptions", "improvement_window", ">= 1",
                 options.improvement_window);
  if (options.l1 > 0.0 && method.runner != NnRunner::kFirstOrder) {
    throw Error("--l1: " + options.method +
                " takes smooth penalties only; the L1 penalty is a proximal step of the first-order methods "
                "(use --l2 here)");
  }
  return method;
}

NnTrainResult train_network(const NnTask& task, const NnTrainOptions& options) {
  const NnMethod& method = check_nn_options(options, task.loss);
  // The stall test watches the training loss, which only full-batch methods
  // compute exactly: a first-order method's minibatch losses are noisy (its
  // runs end on the validation set, the epochs or the time).
  NnTrainOptions run_options = options;
  if (method.runner == NnRunner::kFirstOrder || method.runner == NnRunner::kAdamThenLm) {
    run_options.min_improvement = 0.0;
  }
  NnTrainResult result = run(task, run_options, method);
  if (result.summary.termination == TerminationType::kUserStop && run_options.min_improvement > 0.0) {
    const std::vector<NnTrainRecord>& trace = result.trace;
    const size_t window = static_cast<size_t>(run_options.improvement_window);
    if (trace.size() > window) {
      const double before = trace[trace.size() - 1 - window].train_loss;
      const double now = trace.back().train_loss;
      char message[200];
      std::snprintf(message, sizeof message,
                    "the training loss fell by less than %g relative over the last %d iterations (%.6e -> %.6e)",
                    run_options.min_improvement, run_options.improvement_window, before, now);
      result.summary.termination = TerminationType::kFunctionTolerance;
      result.summary.message = message;
    }
  }
  return result;
}

}  // namespace curvature::tools
