// train.cc — the stochastic training loop of curvature/train.h.
#include "curvature/train.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>

#include "box_bounds.h"
#include "curvature/error.h"
#include "curvature/thread_pool.h"
#include "solve_progress.h"
#include "string_format.h"
#include "training_source.h"
#include "validation_monitor.h"

namespace curvature {
namespace {

using internal::string_printf;

// Uniform integer in [0, bound) from the generator's raw 64-bit output, by
// rejection: std::uniform_int_distribution's algorithm differs between
// standard libraries, and the shuffle must not.
std::uint64_t uniform_below(std::mt19937_64& generator, std::uint64_t bound) {
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
  std::uint64_t draw = generator();
  while (draw >= limit) draw = generator();
  return draw % bound;
}

// Fisher-Yates (Durstenfeld's form, from the back).
void shuffle(std::vector<int>& items, std::mt19937_64& generator) {
  for (size_t i = items.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(uniform_below(generator, i));
    std::swap(items[i - 1], items[j]);
  }
}

// What a problem with manifolds cannot train with: the options and rules
// that read or shrink x itself, which on a manifold has no meaning in
// tangent coordinates.
void check_manifold_options(const TrainOptions& options) {
  auto refuse = [](const std::string& what) {
    throw Error("train: " + what +
                " is not available on a problem with manifolds (it acts on the parameters' ambient coordinates, "
                "which a manifold block cannot take); leave it off");
  };
  if (options.weight_decay > 0.0) refuse("TrainOptions::weight_decay " + to_decimal(options.weight_decay));
  if (options.l1 > 0.0) refuse("TrainOptions::l1 " + to_decimal(options.l1));
  if (options.rule.type == UpdateRuleType::kNesterovLookahead) {
    refuse("the update rule nesterov-lookahead (its gradient point x + mu v)");
  }
  if (options.rule.type == UpdateRuleType::kAdamW && options.rule.adamw.weight_decay > 0.0) {
    refuse("AdamW's decoupled weight decay (UpdateRuleOptions::adamw.weight_decay " +
           to_decimal(options.rule.adamw.weight_decay) + ")");
  }
}

// The loss per residual (train.h) of `blocks` at x; +infinity when it cannot
// be evaluated.
double mean_loss(internal::TrainingSource& source, const Eigen::VectorXd& x, const std::vector<int>& blocks,
                 std::string* error = nullptr) {
  const internal::TrainingSource::Result result = source.evaluate(x, blocks, nullptr);
  if (!result.ok) {
    if (error) *error = result.message;
    return std::numeric_limits<double>::infinity();
  }
  return result.sum / result.count;
}

void print_line(int epoch, double train_loss, double validation_loss, bool has_validation, double learning_rate,
                double seconds) {
  if (epoch == 0) {
    std::fprintf(stderr, "%6s %15s %15s %11s %9s\n", "epoch", "train_loss", "valid_loss", "lr", "time_s");
  }
  if (has_validation) {
    std::fprintf(stderr, "%6d %15.8e %15.8e %11.4e %9.3e\n", epoch, train_loss, validation_loss, learning_rate,
                 seconds);
  } else {
    std::fprintf(stderr, "%6d %15.8e %15s %11.4e %9.3e\n", epoch, train_loss, "-", learning_rate, seconds);
  }
}

}  // namespace

void validate(const TrainOptions& options) {
  // Each test written so that NaN fails too.
  auto require = [](bool condition, const char* field, const std::string& requirement, double value) {
    require_option(condition, "TrainOptions", field, requirement, value);
  };
  require(options.epochs >= 1, "epochs", "at least 1", options.epochs);
  require(options.batch_size >= 0, "batch_size", ">= 0 (0: full batch)", options.batch_size);
  require(options.clip_gradient_norm >= 0.0 && std::isfinite(options.clip_gradient_norm), "clip_gradient_norm",
          "finite and >= 0 (0: off)", options.clip_gradient_norm);
  require(options.weight_decay >= 0.0 && std::isfinite(options.weight_decay), "weight_decay", "finite and >= 0",
          options.weight_decay);
  require(options.l1 >= 0.0 && std::isfinite(options.l1), "l1", "finite and >= 0", options.l1);
  require(options.early_stopping_patience >= 0, "early_stopping_patience", ">= 0 (0: off)",
          options.early_stopping_patience);
  require(options.num_threads >= 1 && options.num_threads <= kMaxThreads, "num_threads",
          "in [1, " + std::to_string(kMaxThreads) + "]", options.num_threads);
  require(options.max_time_seconds > 0.0, "max_time_seconds", "> 0", options.max_time_seconds);
  require(options.schedule_unit == ScheduleUnit::kEpoch || options.schedule_unit == ScheduleUnit::kStep,
          "schedule_unit", "ScheduleUnit::kEpoch or ScheduleUnit::kStep", static_cast<int>(options.schedule_unit));
  validate(options.schedule);
  make_update_rule(options.rule);  // validates the options of the chosen rule
}

namespace {

// The loop of train.h over residual blocks or terms (training_source.h):
// `validation_items` are held out of training.
Summary train_items(const TrainOptions& options, internal::TrainingSource& evaluator,
                    const std::vector<int>& validation_items) {
  const int num_blocks = evaluator.num_items();
  const char* field = evaluator.validation_field();
  std::vector<char> held_out(num_blocks, 0);
  for (int b : validation_items) {
    if (b < 0 || b >= num_blocks) {
      throw Error(string_printf("%s: index %d is out of range [0, %d)", field, b, num_blocks));
    }
    if (held_out[b]) throw Error(string_printf("%s: index %d is listed twice", field, b));
    held_out[b] = 1;
  }
  std::vector<int> order;  // the training blocks, reshuffled every epoch
  for (int b = 0; b < num_blocks; ++b) {
    if (!held_out[b]) order.push_back(b);
  }
  if (order.empty()) {
    throw Error(string_printf("train: no %s left for training (there are %d, validation holds %d)",
                              evaluator.item_name(), num_blocks, static_cast<int>(validation_items.size())));
  }
  const std::vector<int> training_blocks = order;
  const std::vector<int>& validation_blocks = validation_items;
  const bool has_validation = !validation_blocks.empty();
  if (options.early_stopping_patience > 0 && !has_validation) {
    throw Error(string_printf("TrainOptions::early_stopping_patience needs a validation set (%s is empty)", field));
  }

  Summary summary;
  summary.method = std::string("train ") + to_string(options.rule.type);
  summary.linear_solver = "none";
  summary.num_parameters = evaluator.num_parameters();
  summary.num_residual_blocks = static_cast<int>(training_blocks.size());
  for (int b : training_blocks) summary.num_residuals += evaluator.units(b);
  summary.num_threads = options.num_threads;

  internal::SolveProgress progress(&summary, false, options.callback, internal::SolveProgress::Columns::kObjective);
  const internal::BoxBounds bounds(evaluator.lower_bounds(), evaluator.upper_bounds());
  const int n = evaluator.num_parameters();
  // On a problem with manifolds the gradient and the rule's update live in
  // the tangent space (nt numbers) and x moves through the manifolds' plus():
  // the rule updates a zero tangent vector, which then becomes the step.
  const bool manifolds = evaluator.has_manifolds();
  const int nt = evaluator.num_tangent_parameters();
  if (manifolds) check_manifold_options(options);
  Eigen::VectorXd x;
  evaluator.gather_parameters(&x);
  bounds.project(&x);

  // The starting point, with a full-batch gradient for the first record.
  Eigen::VectorXd gradient(nt);
  internal::Stopwatch phase;
  internal::TrainingSource::Result start = evaluator.evaluate(x, training_blocks, &gradient);
  ++summary.residual_evaluations;
  ++summary.jacobian_evaluations;
  if (!start.ok) {
    evaluator.scatter_parameters(x);
    summary.initial_cost = summary.final_cost = std::numeric_limits<double>::infinity();
    progress.terminate(TerminationType::kInvalidStartingPoint,
                       "The training loss cannot be evaluated at the starting point: " + start.message + ".");
    summary.total_time_s = progress.clock.seconds();
    return summary;
  }
  gradient /= start.count;
  if (options.weight_decay > 0.0) gradient += options.weight_decay * x;
  summary.initial_cost = start.sum / start.count;
  double validation_loss = 0.0;
  if (has_validation) {
    validation_loss = mean_loss(evaluator, x, validation_blocks);
    ++summary.residual_evaluations;
  }
  summary.evaluation_time_s += phase.seconds();

  AnyUpdateRule rule = make_update_rule(options.rule);
  const std::unique_ptr<LearningRateSchedule> schedule = make_learning_rate_schedule(options.schedule);
  {
    IterationRecord record;
    record.cost = summary.initial_cost;
    record.gradient_max_norm = gradient.lpNorm<Eigen::Infinity>();
    record.step_length = schedule->learning_rate(0);
    record.accepted = true;
    if (options.verbose) {
      print_line(0, record.cost, validation_loss, has_validation, record.step_length, progress.clock.seconds());
    }
    progress.record(record);
  }

  const int num_training = static_cast<int>(training_blocks.size());
  const int batch = options.batch_size == 0 ? num_training : std::min(options.batch_size, num_training);
  const bool full_batch = batch == num_training;
  std::mt19937_64 generator(options.seed);
  // Early stopping: the best epoch's validation loss and parameters.
  std::optional<internal::ValidationMonitor> monitor;
  if (options.early_stopping_patience > 0) {
    monitor.emplace(options.early_stopping_patience, "epoch");
    monitor->observe(0, validation_loss, x, summary.initial_cost);
  }

  Eigen::VectorXd point = x;        // where the gradient is taken (rule.lookahead(x) when needed)
  Eigen::VectorXd epoch_start = x;  // for the epoch's step norm, and to fall back to on failure
  Eigen::VectorXd previous_epoch_start = x;
  const Eigen::VectorXd start_point = x;
  Eigen::VectorXd step, moved;  // with manifolds: the rule's tangent update and the point it reaches
  double previous_cost = summary.initial_cost;
  long steps = 0;
  int epoch = 0;
  bool restored_best = false;

  while (epoch < options.epochs && !progress.terminated()) {
    ++epoch;
    const double epoch_begin = progress.clock.seconds();
    if (!full_batch) shuffle(order, generator);
    previous_epoch_start = epoch_start;
    epoch_start = x;
    double loss_sum = 0.0;
    int epoch_steps = 0;
    double learning_rate = 0.0;
    bool time_up = false;
    for (int begin = 0; begin < num_training; begin += batch) {
      const std::span<const int> slice(order.data() + begin, std::min(batch, num_training - begin));
      learning_rate =
          schedule->learning_rate(options.schedule_unit == ScheduleUnit::kEpoch ? epoch - 1 : static_cast<int>(steps));
      const bool lookahead = rule.needs_lookahead();
      if (lookahead) rule.lookahead(std::span<const double>(x.data(), n), std::span<double>(point.data(), n));
      const Eigen::VectorXd& at = lookahead ? point : x;

      phase = internal::Stopwatch();
      internal::TrainingSource::Result result = evaluator.evaluate(at, slice, &gradient);
      summary.evaluation_time_s += phase.seconds();
      ++summary.residual_evaluations;
      ++summary.jacobian_evaluations;
      if (!result.ok) {
        // A diverging step: go back to the last point known to be good —
        // the best validated one, or else the latest epoch boundary whose
        // training loss is finite (the start of this epoch may itself be
        // the point that failed, as in full-batch training).
        int returned_epoch = epoch - 1;
        if (monitor) {
          x = monitor->best_point();
          returned_epoch = monitor->best_iteration();
        } else {
          x = epoch_start;
          if (!std::isfinite(mean_loss(evaluator, x, training_blocks))) {
            x = previous_epoch_start;
            returned_epoch = std::max(epoch - 2, 0);
            if (returned_epoch > 0 && !std::isfinite(mean_loss(evaluator, x, training_blocks))) {
              x = start_point;
              returned_epoch = 0;
            }
          }
        }
        restored_best = monitor.has_value();
        progress.terminate(
            TerminationType::kEvaluationFailure,
            string_printf("Evaluation failed at step %ld (epoch %d, learning rate %.6e): %s. Returned the "
                          "parameters at the end of epoch %d.",
                          steps + 1, epoch, learning_rate, result.message.c_str(), returned_epoch));
        break;
      }
      const double scale = 1.0 / result.count;
      gradient *= scale;
      loss_sum += result.sum * scale;

      if (options.clip_gradient_norm > 0.0) {
        const double norm = gradient.norm();
        if (norm > options.clip_gradient_norm) gradient *= options.clip_gradient_norm / norm;
      }
      if (options.weight_decay > 0.0) gradient += options.weight_decay * at;
      if (manifolds) {
        step.setZero(nt);
        rule.step(std::span<double>(step.data(), nt), std::span<const double>(gradient.data(), nt), learning_rate);
        std::string failure;
        if (!evaluator.plus(x, step, &moved, &failure)) {
          progress.terminate(TerminationType::kEvaluationFailure,
                             string_printf("Step %ld (epoch %d) cannot be taken: %s. Returned the parameters before "
                                           "it.",
                                           steps + 1, epoch, failure.c_str()));
          break;
        }
        x.swap(moved);
      } else {
        rule.step(std::span<double>(x.data(), n), std::span<const double>(gradient.data(), n), learning_rate);
      }
      if (options.l1 > 0.0) {
        const double threshold = learning_rate * options.l1;
        for (int i = 0; i < n; ++i) {
          const double magnitude = std::abs(x[i]) - threshold;
          x[i] = magnitude > 0.0 ? std::copysign(magnitude, x[i]) : 0.0;
        }
      }
      bounds.project(&x);
      ++steps;
      ++epoch_steps;
      if (progress.clock.seconds() >= options.max_time_seconds) {
        time_up = true;
        break;
      }
    }
    if (progress.terminated()) break;

    IterationRecord record;
    record.iteration = epoch;
    record.cost = loss_sum / epoch_steps;
    record.cost_change = previous_cost - record.cost;
    record.gradient_max_norm = gradient.lpNorm<Eigen::Infinity>();
    record.step_norm = (x - epoch_start).norm();
    record.step_length = learning_rate;
    record.accepted = true;
    previous_cost = record.cost;
    ++summary.iterations;
    ++summary.accepted_steps;

    if (has_validation) {
      phase = internal::Stopwatch();
      validation_loss = mean_loss(evaluator, x, validation_blocks);  // +inf when it fails: never the best
      summary.evaluation_time_s += phase.seconds();
      ++summary.residual_evaluations;
      if (monitor) monitor->observe(epoch, validation_loss, x, record.cost);
    }
    schedule->observe(has_validation ? validation_loss : record.cost);
    record.validation_cost = has_validation ? validation_loss : 0.0;
    record.iteration_time_s = progress.clock.seconds() - epoch_begin;
    if (options.verbose) {
      print_line(epoch, record.cost, validation_loss, has_validation, learning_rate, progress.clock.seconds());
    }
    evaluator.scatter_parameters(x);  // the callback sees this epoch's parameters
    progress.record(record);
    if (progress.terminated()) break;
    if (time_up) {
      progress.terminate(TerminationType::kMaxTime,
                         string_printf("Maximum time reached: %.3f s >= %.3f s, in epoch %d after %ld steps.",
                                       progress.clock.seconds(), options.max_time_seconds, epoch, steps));
    } else if (monitor && monitor->should_stop()) {
      progress.terminate(TerminationType::kEarlyStopping, monitor->stop_message());
    }
  }
  if (!progress.terminated()) {
    progress.terminate(
        TerminationType::kMaxIterations,
        string_printf("Completed %d epochs (%ld steps of up to %d %ss).", epoch, steps, batch, evaluator.item_name()));
  }
  if (monitor && !restored_best && monitor->best_iteration() != epoch) {
    x = monitor->best_point();
    restored_best = true;
  }
  if (monitor) {
    summary.best_iteration = monitor->best_iteration();
    summary.best_validation_loss = monitor->best_loss();
    if (restored_best) summary.message += monitor->restore_message();
  }
  evaluator.scatter_parameters(x);
  phase = internal::Stopwatch();
  std::string error;
  summary.final_cost = mean_loss(evaluator, x, training_blocks, &error);
  summary.evaluation_time_s += phase.seconds();
  ++summary.residual_evaluations;
  summary.message += string_printf(" Training loss (per %s) %.6e -> %.6e",
                                   evaluator.item_name() == std::string("term") ? "term" : "residual",
                                   summary.initial_cost, summary.final_cost);
  summary.message +=
      has_validation ? string_printf(", validation loss %.6e.", restored_best ? monitor->best_loss() : validation_loss)
                     : ".";
  summary.total_time_s = progress.clock.seconds();
  return summary;
}

}  // namespace

Summary train(const TrainOptions& options, Problem* problem, const TrainValidation& validation) {
  validate(options);
  if (problem == nullptr) throw Error("train: the problem is null");
  if (problem->num_effective_parameters() == 0) {
    throw Error("train: the problem has no variable parameters (every parameter block is constant)");
  }
  if (!validation.terms.empty()) {
    throw Error("TrainValidation::terms is for a SumObjective; a Problem holds out TrainValidation::residual_blocks");
  }
  const std::unique_ptr<internal::TrainingSource> source =
      internal::make_training_source(*problem, options.num_threads);
  return train_items(options, *source, validation.residual_blocks);
}

Summary train(const TrainOptions& options, SumObjective* objective, Eigen::VectorXd* x,
              const TrainValidation& validation) {
  validate(options);
  if (objective == nullptr) throw Error("train: the objective is null");
  if (x == nullptr) throw Error("train: x is null");
  if (!validation.residual_blocks.empty()) {
    throw Error("TrainValidation::residual_blocks is for a Problem; a SumObjective holds out TrainValidation::terms");
  }
  const std::unique_ptr<internal::TrainingSource> source = internal::make_training_source(*objective, x);
  return train_items(options, *source, validation.terms);
}

}  // namespace curvature
