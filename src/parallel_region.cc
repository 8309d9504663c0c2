#include "parallel_region.h"

#include <algorithm>

namespace curvature::internal {

bool RegionChoice::next_inline(double wake_seconds) {
  const double parallel = mean_[0];
  const double on_caller = mean_[1];
  if (parallel < 0.0 || !(wake_seconds > 0.0)) return checking_ = false;
  // Too long for a caller alone to win, unless it already has.
  if (!prefers_inline_ && parallel > kCandidateWakeUps * wake_seconds) return checking_ = false;
  if (on_caller < 0.0) return checking_ = true;  // never measured
  checking_ = ++runs_since_check_ >= check_interval_;
  if (checking_) runs_since_check_ = 0;
  return prefers_inline_ != checking_;
}

void RegionChoice::record(bool ran_inline, double seconds) {
  double& mean = mean_[ran_inline ? 1 : 0];
  if (checking_ || mean < 0.0) {
    mean = seconds;
  } else {
    mean += (seconds - mean) / 4.0;
  }
  if (mean_[0] < 0.0 || mean_[1] < 0.0) return;
  const bool was = prefers_inline_;
  prefers_inline_ = mean_[1] < mean_[0];
  if (checking_) {
    // A check that confirms the choice spaces the next one further out; one
    // that overturns it starts again from the first interval.
    check_interval_ = prefers_inline_ == was ? std::min(2 * check_interval_, kMaxCheckInterval) : kFirstCheckInterval;
  }
  checking_ = false;
}

}  // namespace curvature::internal
