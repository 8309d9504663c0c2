// The learning-rate schedules of learning_rate_schedule.h: each schedule's
// values at chosen k, computed by hand from the header's formulas;
// reduce-on-plateau's reaction to a plateau, its cooldown and its floor; and
// options out of range naming the field.
#include "curvature/learning_rate_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <string>

#include "curvature/error.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::error_message;
using testing::expect_error_naming;

std::unique_ptr<LearningRateSchedule> make(const LearningRateScheduleOptions& options) {
  return make_learning_rate_schedule(options);
}

TEST(LearningRateScheduleTest, Constant) {
  LearningRateScheduleOptions options;
  options.initial_learning_rate = 0.3;
  auto schedule = make(options);
  EXPECT_EQ(schedule->learning_rate(0), 0.3);
  EXPECT_EQ(schedule->learning_rate(1000000), 0.3);
  schedule->observe(1.0);  // a no-op
  EXPECT_EQ(schedule->learning_rate(5), 0.3);
}

TEST(LearningRateScheduleTest, InverseTime) {
  LearningRateScheduleOptions options;
  options.type = ScheduleType::kInverseTime;
  options.initial_learning_rate = 0.5;
  auto schedule = make(options);  // t0 = 1: 0.5 / (k + 1)
  EXPECT_DOUBLE_EQ(schedule->learning_rate(0), 0.5);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(1), 0.25);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(9), 0.05);
  options.offset = 10.0;  // 0.5 * 10 / (k + 10)
  schedule = make(options);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(0), 0.5);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(10), 0.25);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(90), 0.05);
}

TEST(LearningRateScheduleTest, InverseSqrt) {
  LearningRateScheduleOptions options;
  options.type = ScheduleType::kInverseSqrt;
  options.initial_learning_rate = 0.6;
  auto schedule = make(options);  // 0.6 / sqrt(k + 1)
  EXPECT_DOUBLE_EQ(schedule->learning_rate(0), 0.6);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(3), 0.3);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(99), 0.06);
  options.offset = 4.0;  // 0.6 sqrt(4 / (k + 4))
  schedule = make(options);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(12), 0.3);
}

TEST(LearningRateScheduleTest, StepDecay) {
  LearningRateScheduleOptions options;
  options.type = ScheduleType::kStepDecay;
  options.initial_learning_rate = 1.0;
  options.step_size = 30;
  options.step_factor = 0.5;
  auto schedule = make(options);
  EXPECT_EQ(schedule->learning_rate(0), 1.0);
  EXPECT_EQ(schedule->learning_rate(29), 1.0);
  EXPECT_EQ(schedule->learning_rate(30), 0.5);  // changes exactly at a multiple of step_size
  EXPECT_EQ(schedule->learning_rate(59), 0.5);
  EXPECT_EQ(schedule->learning_rate(60), 0.25);
  EXPECT_EQ(schedule->learning_rate(95), 0.125);
}

TEST(LearningRateScheduleTest, Exponential) {
  LearningRateScheduleOptions options;
  options.type = ScheduleType::kExponential;
  options.initial_learning_rate = 2.0;
  options.decay_rate = 0.9;
  auto schedule = make(options);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(0), 2.0);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(1), 1.8);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(2), 1.62);
  EXPECT_NEAR(schedule->learning_rate(10), 2.0 * 0.3486784401, 1e-12);  // 0.9^10
  // Far out the rate underflows towards zero, never to NaN.
  EXPECT_GE(schedule->learning_rate(2000000000), 0.0);
}

TEST(LearningRateScheduleTest, CosineWithWarmup) {
  LearningRateScheduleOptions options;
  options.type = ScheduleType::kCosineWithWarmup;
  options.initial_learning_rate = 1.0;
  options.min_learning_rate = 0.1;
  options.warmup_steps = 4;
  options.total_steps = 104;
  auto schedule = make(options);
  // Warm-up: (k + 1) / 4.
  EXPECT_DOUBLE_EQ(schedule->learning_rate(0), 0.25);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(1), 0.5);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(3), 1.0);
  // Cosine over T - W = 100 units: 0.1 + 0.9 (1 + cos(pi (k - 4) / 100)) / 2.
  EXPECT_DOUBLE_EQ(schedule->learning_rate(4), 1.0);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(54), 0.55);  // half-way: cos(pi / 2) = 0
  EXPECT_NEAR(schedule->learning_rate(29), 0.1 + 0.9 * (1.0 + std::sqrt(0.5)) / 2.0, 1e-15);  // cos(pi / 4)
  EXPECT_NEAR(schedule->learning_rate(79), 0.1 + 0.9 * (1.0 - std::sqrt(0.5)) / 2.0, 1e-15);  // cos(3 pi / 4)
  EXPECT_NEAR(schedule->learning_rate(103), 0.1 + 0.9 * (1.0 + std::cos(std::numbers::pi * 0.99)) / 2.0, 1e-15);
  // At and after T: the floor.
  EXPECT_EQ(schedule->learning_rate(104), 0.1);
  EXPECT_EQ(schedule->learning_rate(100000), 0.1);
  // Without warm-up the cosine starts at k = 0.
  options.warmup_steps = 0;
  options.total_steps = 10;
  options.min_learning_rate = 0.0;
  schedule = make(options);
  EXPECT_DOUBLE_EQ(schedule->learning_rate(0), 1.0);
  EXPECT_NEAR(schedule->learning_rate(5), 0.5, 1e-15);
  EXPECT_EQ(schedule->learning_rate(10), 0.0);
}

TEST(LearningRateScheduleTest, NegativeStepThrows) {
  for (const ScheduleInfo& row : kSchedules) {
    LearningRateScheduleOptions options;
    options.type = row.value;
    EXPECT_THROW(make(options)->learning_rate(-1), Error) << row.name;
  }
}

// The registry's watches_loss: after many observations of a loss that never
// improves, a schedule that watches the loss has lowered its rate; one that
// does not gives the same rates as a fresh schedule.
TEST(LearningRateScheduleTest, OnlySchedulesThatWatchTheLossFollowIt) {
  for (const ScheduleInfo& row : kSchedules) {
    LearningRateScheduleOptions options;
    options.type = row.value;
    options.patience = 2;
    options.total_steps = 100;
    std::unique_ptr<LearningRateSchedule> watched = make(options);
    const std::unique_ptr<LearningRateSchedule> fresh = make(options);
    for (int i = 0; i < 10; ++i) watched->observe(1.0);
    bool changed = false;
    for (int k : {0, 1, 5, 50}) changed |= watched->learning_rate(k) != fresh->learning_rate(k);
    EXPECT_EQ(changed, row.watches_loss) << row.name;
  }
}

// ---------------------------------------------------------------------------
// Reduce-on-plateau.

LearningRateScheduleOptions plateau_options() {
  LearningRateScheduleOptions options;
  options.type = ScheduleType::kReduceOnPlateau;
  options.initial_learning_rate = 1.0;
  options.patience = 2;
  options.factor = 0.5;
  options.threshold = 0.01;
  options.cooldown = 0;
  options.min_learning_rate = 0.0;
  return options;
}

TEST(LearningRateScheduleTest, ReduceOnPlateauReactsToAPlateau) {
  ReduceOnPlateau schedule(plateau_options());
  // Improving: no change.
  for (double loss : {10.0, 8.0, 6.0, 5.0}) {
    schedule.observe(loss);
    EXPECT_EQ(schedule.learning_rate(0), 1.0);
  }
  EXPECT_EQ(schedule.best(), 5.0);
  // Decreases smaller than 1% of the best do not count as improvement:
  // 4.96 > 5 - 0.01 * 5 = 4.95. Two such observations are within patience;
  // the third exceeds it and halves the rate.
  schedule.observe(4.96);
  EXPECT_EQ(schedule.num_bad_observations(), 1);
  schedule.observe(5.2);
  EXPECT_EQ(schedule.learning_rate(0), 1.0);
  schedule.observe(4.97);
  EXPECT_EQ(schedule.learning_rate(0), 0.5);
  EXPECT_EQ(schedule.num_reductions(), 1);
  EXPECT_EQ(schedule.num_bad_observations(), 0);
  EXPECT_EQ(schedule.best(), 5.0);
  // An improvement resets the count: 4.9 < 4.95.
  schedule.observe(5.5);
  schedule.observe(5.5);
  schedule.observe(4.9);
  EXPECT_EQ(schedule.num_bad_observations(), 0);
  EXPECT_EQ(schedule.best(), 4.9);
  schedule.observe(5.0);
  schedule.observe(5.0);
  EXPECT_EQ(schedule.learning_rate(0), 0.5);
  schedule.observe(5.0);
  EXPECT_EQ(schedule.learning_rate(0), 0.25);
  // k does not matter for this schedule.
  EXPECT_EQ(schedule.learning_rate(12345), 0.25);
  // reset() goes back to the start.
  schedule.reset();
  EXPECT_EQ(schedule.learning_rate(0), 1.0);
  EXPECT_EQ(schedule.num_reductions(), 0);
}

TEST(LearningRateScheduleTest, ReduceOnPlateauRespectsCooldown) {
  LearningRateScheduleOptions options = plateau_options();
  options.patience = 0;  // reduce on the first observation without improvement
  options.cooldown = 3;
  ReduceOnPlateau schedule(options);
  schedule.observe(1.0);
  schedule.observe(1.0);  // bad: reduce, then cool down for 3 observations
  EXPECT_EQ(schedule.learning_rate(0), 0.5);
  EXPECT_EQ(schedule.cooldown_remaining(), 3);
  for (int i = 0; i < 3; ++i) {
    schedule.observe(1.0);  // bad, but forgiven
    EXPECT_EQ(schedule.learning_rate(0), 0.5) << "cooldown observation " << i;
  }
  EXPECT_EQ(schedule.cooldown_remaining(), 0);
  schedule.observe(1.0);  // the first that counts
  EXPECT_EQ(schedule.learning_rate(0), 0.25);
  EXPECT_EQ(schedule.num_reductions(), 2);
}

TEST(LearningRateScheduleTest, ReduceOnPlateauStopsAtTheFloor) {
  LearningRateScheduleOptions options = plateau_options();
  options.patience = 0;
  options.factor = 0.1;
  options.min_learning_rate = 0.003;
  ReduceOnPlateau schedule(options);
  schedule.observe(1.0);
  const double expected[] = {0.1, 0.01, 0.003, 0.003, 0.003};
  for (double lr : expected) {
    schedule.observe(2.0);
    EXPECT_DOUBLE_EQ(schedule.learning_rate(0), lr);
  }
  EXPECT_EQ(schedule.num_reductions(), 3);  // clamping to the floor counts; staying there does not
}

TEST(LearningRateScheduleTest, ReduceOnPlateauNonFiniteLossNeverImproves) {
  LearningRateScheduleOptions options = plateau_options();
  options.patience = 1;
  ReduceOnPlateau schedule(options);
  schedule.observe(NAN);
  schedule.observe(INFINITY);
  EXPECT_EQ(schedule.learning_rate(0), 0.5);
  EXPECT_TRUE(std::isinf(schedule.best()));
  schedule.observe(3.0);  // the first finite loss improves on +inf
  EXPECT_EQ(schedule.best(), 3.0);
  // Negative losses: the threshold is relative to |best|.
  schedule.observe(-1.0);
  schedule.observe(-1.005);  // not below -1 - 0.01 = -1.01
  EXPECT_EQ(schedule.best(), -1.0);
  schedule.observe(-1.02);
  EXPECT_EQ(schedule.best(), -1.02);
}

TEST(LearningRateScheduleTest, ReduceOnPlateauThroughTheFactory) {
  auto schedule = make(plateau_options());
  for (int i = 0; i < 4; ++i) schedule->observe(1.0);  // 1 improvement, then 3 bad > patience 2
  EXPECT_EQ(schedule->learning_rate(0), 0.5);
}

// ---------------------------------------------------------------------------
// Options.

TEST(LearningRateScheduleTest, InvalidOptionsNameTheField) {
  const auto with = [](auto change) {
    return [change] {
      LearningRateScheduleOptions options;
      change(options);
      make_learning_rate_schedule(options);
    };
  };
  using O = LearningRateScheduleOptions;
  expect_error_naming(with([](O& o) { o.initial_learning_rate = -0.1; }), "initial_learning_rate");
  expect_error_naming(with([](O& o) { o.initial_learning_rate = 0.0; }), "initial_learning_rate");
  expect_error_naming(with([](O& o) { o.initial_learning_rate = NAN; }), "initial_learning_rate");
  expect_error_naming(with([](O& o) { o.offset = 0.5; }), "offset");
  expect_error_naming(with([](O& o) { o.step_size = 0; }), "step_size");
  expect_error_naming(with([](O& o) { o.step_factor = 1.5; }), "step_factor");
  expect_error_naming(with([](O& o) { o.decay_rate = 0.0; }), "decay_rate");
  expect_error_naming(with([](O& o) { o.warmup_steps = -1; }), "warmup_steps");
  expect_error_naming(with([](O& o) { o.total_steps = o.warmup_steps = 100; }), "total_steps");
  expect_error_naming(with([](O& o) { o.min_learning_rate = -1e-9; }), "min_learning_rate");
  expect_error_naming(with([](O& o) { o.min_learning_rate = 1.0; }), "min_learning_rate");  // above lr0
  expect_error_naming(with([](O& o) { o.patience = -1; }), "patience");
  expect_error_naming(with([](O& o) { o.factor = 1.0; }), "factor");
  expect_error_naming(with([](O& o) { o.threshold = -0.1; }), "threshold");
  expect_error_naming(with([](O& o) { o.cooldown = -2; }), "cooldown");
  expect_error_naming(with([](O& o) { o.initial_learning_rate = -2.0; }),
                      "LearningRateScheduleOptions::initial_learning_rate must be positive and finite, got -2");
  expect_error_naming([] { ReduceOnPlateau(LearningRateScheduleOptions{.factor = 0.0}); }, "factor");
}

}  // namespace
}  // namespace curvature
