// The schedules of learning_rate_schedule.h. The stateless ones are pure
// functions of k, written so that no k >= 0 can overflow an int or produce a
// non-finite rate.
#include "curvature/learning_rate_schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "curvature/error.h"

namespace curvature {
namespace {

void require(bool condition, const char* field, const char* requirement, double value) {
  require_option(condition, "LearningRateScheduleOptions", field, requirement, value);
}

void check_k(int k) {
  if (k < 0) throw Error("LearningRateSchedule::learning_rate: k must be non-negative, got " + std::to_string(k));
}

class Constant final : public LearningRateSchedule {
 public:
  explicit Constant(const LearningRateScheduleOptions& o) : lr0_(o.initial_learning_rate) {}
  double learning_rate(int k) const override {
    check_k(k);
    return lr0_;
  }

 private:
  double lr0_;
};

class InverseTime final : public LearningRateSchedule {
 public:
  explicit InverseTime(const LearningRateScheduleOptions& o) : lr0_(o.initial_learning_rate), t0_(o.offset) {}
  double learning_rate(int k) const override {
    check_k(k);
    return lr0_ * t0_ / (static_cast<double>(k) + t0_);
  }

 private:
  double lr0_;
  double t0_;
};

class InverseSqrt final : public LearningRateSchedule {
 public:
  explicit InverseSqrt(const LearningRateScheduleOptions& o) : lr0_(o.initial_learning_rate), t0_(o.offset) {}
  double learning_rate(int k) const override {
    check_k(k);
    return lr0_ * std::sqrt(t0_ / (static_cast<double>(k) + t0_));
  }

 private:
  double lr0_;
  double t0_;
};

class StepDecay final : public LearningRateSchedule {
 public:
  explicit StepDecay(const LearningRateScheduleOptions& o)
      : lr0_(o.initial_learning_rate), step_size_(o.step_size), factor_(o.step_factor) {}
  double learning_rate(int k) const override {
    check_k(k);
    // Integer division: the rate changes exactly at multiples of step_size.
    return lr0_ * std::pow(factor_, static_cast<double>(k / step_size_));
  }

 private:
  double lr0_;
  int step_size_;
  double factor_;
};

class Exponential final : public LearningRateSchedule {
 public:
  explicit Exponential(const LearningRateScheduleOptions& o)
      : lr0_(o.initial_learning_rate), decay_rate_(o.decay_rate) {}
  double learning_rate(int k) const override {
    check_k(k);
    return lr0_ * std::pow(decay_rate_, static_cast<double>(k));
  }

 private:
  double lr0_;
  double decay_rate_;
};

class CosineWithWarmup final : public LearningRateSchedule {
 public:
  explicit CosineWithWarmup(const LearningRateScheduleOptions& o)
      : lr0_(o.initial_learning_rate), lr_min_(o.min_learning_rate), warmup_(o.warmup_steps), total_(o.total_steps) {}
  double learning_rate(int k) const override {
    check_k(k);
    // (k + 1) / W: the first step already moves, and the ramp reaches lr0 at
    // k = W - 1, where the cosine takes over at its top.
    if (k < warmup_) return lr0_ * (static_cast<double>(k) + 1.0) / static_cast<double>(warmup_);
    if (k >= total_) return lr_min_;
    const double progress = static_cast<double>(k - warmup_) / static_cast<double>(total_ - warmup_);
    return lr_min_ + (lr0_ - lr_min_) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  }

 private:
  double lr0_;
  double lr_min_;
  int warmup_;
  int total_;
};

}  // namespace

void validate(const LearningRateScheduleOptions& o) {
  // Written so that NaN fails every check.
  require(o.initial_learning_rate > 0.0 && std::isfinite(o.initial_learning_rate), "initial_learning_rate",
          "positive and finite", o.initial_learning_rate);
  require(o.offset >= 1.0 && std::isfinite(o.offset), "offset", "at least 1 and finite", o.offset);
  require(o.step_size >= 1, "step_size", "at least 1", o.step_size);
  require(o.step_factor > 0.0 && o.step_factor <= 1.0, "step_factor", "in (0, 1]", o.step_factor);
  require(o.decay_rate > 0.0 && o.decay_rate <= 1.0, "decay_rate", "in (0, 1]", o.decay_rate);
  require(o.warmup_steps >= 0, "warmup_steps", "non-negative", o.warmup_steps);
  require(o.total_steps > o.warmup_steps, "total_steps", "greater than warmup_steps", o.total_steps);
  require(o.min_learning_rate >= 0.0 && o.min_learning_rate <= o.initial_learning_rate, "min_learning_rate",
          "in [0, initial_learning_rate]", o.min_learning_rate);
  require(o.patience >= 0, "patience", "non-negative", o.patience);
  require(o.factor > 0.0 && o.factor < 1.0, "factor", "in (0, 1)", o.factor);
  require(o.threshold >= 0.0 && std::isfinite(o.threshold), "threshold", "non-negative and finite", o.threshold);
  require(o.cooldown >= 0, "cooldown", "non-negative", o.cooldown);
}

ReduceOnPlateau::ReduceOnPlateau(const LearningRateScheduleOptions& options) : options_(options) {
  validate(options_);
  reset();
}

void ReduceOnPlateau::reset() {
  learning_rate_ = options_.initial_learning_rate;
  best_ = std::numeric_limits<double>::infinity();
  num_bad_ = 0;
  cooldown_counter_ = 0;
  num_reductions_ = 0;
}

double ReduceOnPlateau::learning_rate(int k) const {
  check_k(k);
  return learning_rate_;
}

void ReduceOnPlateau::observe(double loss) {
  // A NaN loss fails the comparison and counts as no improvement; +inf
  // likewise. best_ = +inf at the start, so any finite first loss improves.
  const double limit = std::isfinite(best_) ? best_ - options_.threshold * std::abs(best_) : best_;
  if (loss < limit) {
    best_ = loss;
    num_bad_ = 0;
  } else {
    ++num_bad_;
  }
  // During the cooldown after a reduction, bad observations are forgiven,
  // so the new rate gets `cooldown` observations before patience counts.
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_ = 0;
  }
  if (num_bad_ > options_.patience) {
    const double reduced = std::max(learning_rate_ * options_.factor, options_.min_learning_rate);
    if (reduced < learning_rate_) {
      learning_rate_ = reduced;
      ++num_reductions_;
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_ = 0;
  }
}

namespace {

// The factory of each schedule: one line per row of kSchedules, in its order.
struct ScheduleFactory {
  ScheduleType value;
  std::unique_ptr<LearningRateSchedule> (*make)(const LearningRateScheduleOptions& options);
};
template <typename S>
std::unique_ptr<LearningRateSchedule> make_schedule(const LearningRateScheduleOptions& options) {
  return std::make_unique<S>(options);
}
constexpr ScheduleFactory kFactories[] = {
    {ScheduleType::kConstant, make_schedule<Constant>},
    {ScheduleType::kInverseTime, make_schedule<InverseTime>},
    {ScheduleType::kInverseSqrt, make_schedule<InverseSqrt>},
    {ScheduleType::kStepDecay, make_schedule<StepDecay>},
    {ScheduleType::kExponential, make_schedule<Exponential>},
    {ScheduleType::kCosineWithWarmup, make_schedule<CosineWithWarmup>},
    {ScheduleType::kReduceOnPlateau, make_schedule<ReduceOnPlateau>},
};
static_assert(registry_is_complete<ScheduleType>(kFactories), "one factory per ScheduleType, in order");

}  // namespace

std::unique_ptr<LearningRateSchedule> make_learning_rate_schedule(const LearningRateScheduleOptions& options) {
  validate(options);
  const ScheduleInfo& row = info(options.type);  // throws for a type without a row
  return kFactories[static_cast<std::size_t>(row.value)].make(options);
}

}  // namespace curvature
