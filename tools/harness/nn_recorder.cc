#include "nn_recorder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "curvature/least_squares_objective.h"

namespace curvature::tools {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

}  // namespace

bool RecentPointsObjective::evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) {
  const bool ok = inner_.evaluate(x, value, gradient);
  if (ok && std::isfinite(*value)) {
    recent_.emplace_back(*value, x);
    if (recent_.size() > kKept) recent_.pop_front();
  }
  return ok;
}

const Eigen::VectorXd* RecentPointsObjective::find(double value) const {
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) {
    if (it->first == value) return &it->second;
  }
  return nullptr;
}

Recorder::Recorder(const NnTask& task, const NnTrainOptions& options, std::vector<NnTrainRecord>* trace)
    : task_(task), options_(options), trace_(trace), network_(task.network) {
  if (task.test.num_samples() > 0 && task.loss == NnLoss::kCrossEntropy) {
    test_objective_ = std::make_unique<MlpCrossEntropyObjective>(task.network, task.test);
  }
}

double Recorder::train_loss(double cost) const {
  if (task_.loss == NnLoss::kCrossEntropy) return cost;
  return 2.0 * cost / (static_cast<double>(task_.train.num_samples()) * task_.train.num_targets());
}

CallbackReturn Recorder::record(int iteration, double solver_time_s, double iteration_time_s, bool accepted,
                                double cost, const Eigen::VectorXd& parameters) {
  const auto begin = std::chrono::steady_clock::now();
  NnTrainRecord row;
  row.iteration = iteration;
  // The solver's clock (steady_clock) minus the recorder's own time: never
  // negative and never backwards, also where a phase's clock restarts or
  // the recorder ran before the solver's clock started.
  row.time_s = std::max({0.0, solver_time_s - overhead_s_, trace_->empty() ? 0.0 : trace_->back().time_s});
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
  trace_->push_back(row);
  if (options_.on_iteration) options_.on_iteration(row);
  // Time spent before the solver's clock started (iteration 0) is not in
  // that clock, so it is not taken out of it.
  if (solver_time_s > 0.0) overhead_s_ += seconds_since(begin);
  return stalled() ? CallbackReturn::kStop : CallbackReturn::kContinue;
}

bool Recorder::stalled() const {
  const size_t window = static_cast<size_t>(options_.improvement_window);
  if (options_.min_improvement <= 0.0 || window < 1 || trace_->size() <= window) return false;
  const double before = (*trace_)[trace_->size() - 1 - window].train_loss;
  const double now = trace_->back().train_loss;
  return std::isfinite(now) && std::isfinite(before) && before - now <= options_.min_improvement * std::abs(before);
}

void record_start(const Problem& problem, const Mlp& mlp, Recorder* recorder) {
  LeastSquaresObjective objective(problem);
  double cost = 0.0;
  objective.evaluate(mlp.parameter_vector(), &cost, nullptr);
  recorder->record(0, 0.0, 0.0, true, cost, mlp.parameter_vector());
}

}  // namespace curvature::tools
