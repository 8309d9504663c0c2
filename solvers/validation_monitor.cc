#include "validation_monitor.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

namespace curvature::internal {

ValidationMonitor::ValidationMonitor(int patience, std::string unit) : patience_(patience), unit_(std::move(unit)) {}

bool ValidationMonitor::observe(int iteration, double loss, const Eigen::VectorXd& point, double cost) {
  // A loss that cannot be computed must not block every later improvement.
  if (std::isnan(loss)) loss = std::numeric_limits<double>::infinity();
  last_loss_ = loss;
  if (!observed_ || loss < best_loss_) {
    observed_ = true;
    best_iteration_ = iteration;
    best_loss_ = loss;
    best_cost_ = cost;
    best_point_ = point;
    since_best_ = 0;
  } else {
    ++since_best_;
  }
  return should_stop();
}

std::string ValidationMonitor::stop_message() const {
  char buffer[320];
  std::snprintf(buffer, sizeof buffer,
                "Early stopping: the validation loss has not improved on %.6e (%s %d) for %d %ss (patience %d); "
                "last validation loss %.6e.",
                best_loss_, unit_.c_str(), best_iteration_, since_best_, unit_.c_str(), patience_, last_loss_);
  return buffer;
}

std::string ValidationMonitor::restore_message() const {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, " Restored the best parameters, from %s %d (validation loss %.6e).",
                unit_.c_str(), best_iteration_, best_loss_);
  return buffer;
}

}  // namespace curvature::internal
