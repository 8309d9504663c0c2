// validation_monitor.h — early stopping, written once for every loop:
// train()'s epochs, and through SolveProgress the iterations of solve() and
// minimize() (and so curv fit's runs). Fed the validation loss of the current
// point after each recorded iteration, it keeps the best loss, its iteration,
// point and cost, counts the iterations since, and says when the patience has
// run out. The loop then ends with TerminationType::kEarlyStopping and
// returns the best point; it does so too when it ends for another reason.
#pragma once

#include <Eigen/Core>
#include <string>

namespace curvature::internal {

class ValidationMonitor {
 public:
  // patience >= 1: the number of consecutive observations without a strictly
  // lower loss than the best that ends the run. `unit` names an iteration in
  // messages ("epoch", "iteration").
  ValidationMonitor(int patience, std::string unit);

  // The validation loss at `point` (whose training cost is `cost`) after
  // `iteration`. The first observation is the best so far whatever its value;
  // later ones replace it only when strictly lower. A non-finite loss is
  // never the best (NaN counts as +infinity). Returns should_stop().
  bool observe(int iteration, double loss, const Eigen::VectorXd& point, double cost);

  bool should_stop() const { return observed_ && since_best_ >= patience_; }
  bool observed() const { return observed_; }
  int patience() const { return patience_; }
  int best_iteration() const { return best_iteration_; }
  double best_loss() const { return best_loss_; }
  double best_cost() const { return best_cost_; }
  const Eigen::VectorXd& best_point() const { return best_point_; }
  double last_loss() const { return last_loss_; }
  int since_best() const { return since_best_; }

  // "Early stopping: the validation loss has not improved on ... for ..."
  std::string stop_message() const;
  // " Restored the best parameters, from <unit> k (validation loss ...)."
  std::string restore_message() const;

 private:
  int patience_;
  std::string unit_;
  bool observed_ = false;
  int best_iteration_ = -1;
  double best_loss_ = 0.0;
  double best_cost_ = 0.0;
  double last_loss_ = 0.0;
  int since_best_ = 0;
  Eigen::VectorXd best_point_;
};

}  // namespace curvature::internal
