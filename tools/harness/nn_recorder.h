// nn_recorder.h — the trace of a network fit: turns the solvers' iteration
// records into NnTrainRecords (nn_setup.h), with the test loss of the current
// parameters and the recorder's own time taken out of the clock. Used by the
// training runs of nn_train.cc.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "curvature/objective.h"
#include "curvature/problem.h"
#include "curvature/solver_options.h"
#include "nn_setup.h"

namespace curvature::tools {

// Passes everything through to another Objective and remembers the last few
// points it evaluated, so that a callback (which minimize() gives only the
// IterationRecord) can find the current point: the most recent evaluated
// point whose value is exactly the recorded cost.
class RecentPointsObjective final : public Objective {
 public:
  explicit RecentPointsObjective(Objective& inner) : inner_(inner) {}

  int num_parameters() const override { return inner_.num_parameters(); }
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override;
  bool has_hessian() const override { return inner_.has_hessian(); }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd& x) override { return inner_.hessian(x); }
  const Eigen::VectorXd* lower_bounds() const override { return inner_.lower_bounds(); }
  const Eigen::VectorXd* upper_bounds() const override { return inner_.upper_bounds(); }
  const char* name() const override { return inner_.name(); }

  // The newest remembered point with f == value, or null.
  const Eigen::VectorXd* find(double value) const;

 private:
  static constexpr std::size_t kKept = 64;
  Objective& inner_;
  std::deque<std::pair<double, Eigen::VectorXd>> recent_;
};

// Turns the solvers' iteration records into NnTrainRecords: train loss from
// the recorded cost, test loss and accuracy from the current parameters,
// and the time with the recorder's own time taken out.
class Recorder {
 public:
  Recorder(const NnTask& task, const NnTrainOptions& options, std::vector<NnTrainRecord>* trace);

  // The training loss from a solver's cost: MSE = 2 cost / (N K) for the
  // least-squares form, the objective itself for cross-entropy.
  double train_loss(double cost) const;

  // Appends one trace row (train and test loss) and passes it to
  // options.on_iteration. Early stopping is the solvers' own
  // (EarlyStoppingOptions); the recorder returns kStop (which the solvers'
  // callbacks return as it is) only when the training loss stalled
  // (stalled()), else kContinue.
  CallbackReturn record(int iteration, double solver_time_s, double iteration_time_s, bool accepted, double cost,
                        const Eigen::VectorXd& parameters);

  // NnTrainOptions::min_improvement > 0 and the training loss fell by less
  // than that (relative) over the last improvement_window rows.
  bool stalled() const;

 private:
  const NnTask& task_;
  const NnTrainOptions& options_;
  std::vector<NnTrainRecord>* trace_;
  Mlp network_;  // a copy, for test-set evaluation only
  std::unique_ptr<MlpCrossEntropyObjective> test_objective_;
  double overhead_s_ = 0.0;
};

// Iteration 0: the initial network's least-squares cost, recorded before
// the solver's clock starts.
void record_start(const Problem& problem, const Mlp& mlp, Recorder* recorder);

}  // namespace curvature::tools
