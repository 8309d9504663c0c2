// curvature/learning_rate_schedule.h — learning-rate schedules for the
// first-order update rules (first_order.h).
//
//   curvature::LearningRateScheduleOptions options;
//   options.type = curvature::ScheduleType::kCosineWithWarmup;
//   options.initial_learning_rate = 1e-3;
//   options.warmup_steps = 100;
//   options.total_steps = 10000;
//   auto schedule = curvature::make_learning_rate_schedule(options);
//   for (int k = 0; k < 10000; ++k) rule.step(x, g, schedule->learning_rate(k));
//
// Units. learning_rate(k) takes k = 0, 1, 2, ..., the number of schedule
// units completed before the step it is for: k = 0 gives the rate of the
// first step. Whether a unit is one update (a minibatch) or one epoch is the
// caller's choice, and every length in the options (step_size,
// warmup_steps, total_steps, the offset and decay_rate's per-unit factor)
// is counted in that same unit. A loop that steps the schedule per epoch
// passes the epoch index and holds the rate fixed within the epoch.
//
// Reduce-on-plateau is the one schedule with state: it ignores k and changes
// its rate only through observe(loss), which the loop calls once per
// evaluation of the monitored loss (typically once per epoch, on a
// validation set); patience and cooldown count those calls. The other
// schedules are pure functions of k, and observe() does nothing for them.
//
// With lr0 = initial_learning_rate and lr_min = min_learning_rate:
//
//   kConstant           lr0
//   kInverseTime        lr0 t0 / (k + t0)                 Robbins-Monro c / j with c = lr0 t0 and
//                                                         j = k + t0 >= 1 [RM]
//   kInverseSqrt        lr0 sqrt(t0 / (k + t0))           c / sqrt(j)
//   kStepDecay          lr0 factor^floor(k / step_size)
//   kExponential        lr0 decay_rate^k
//   kCosineWithWarmup   k < W:       lr0 (k + 1) / W      linear warm-up [GDG]
//                       W <= k < T:  lr_min + (lr0 - lr_min) (1 + cos(pi (k - W) / (T - W))) / 2   [LH]
//                       k >= T:      lr_min
//   kReduceOnPlateau    lr0, times factor (not below lr_min) after more than `patience`
//                       observations without improvement                        [PyTorch]
//
// The offset t0 >= 1 (`offset`) makes the Robbins-Monro index j start at
// t0, so the first rate is lr0 rather than a division by zero; a larger t0
// keeps the rate near lr0 for about t0 steps before the 1/j decay sets in
// (Bottou's lr0 / (1 + lr0 lambda k) is t0 = 1 / (lr0 lambda)). c / j meets
// the Robbins-Monro conditions sum lr = inf, sum lr^2 < inf; c / sqrt(j)
// does not (sum lr^2 diverges) and is meant for use with iterate averaging
// [PJ].
//
// Every rate is non-negative and finite for every k >= 0; learning_rate()
// throws curvature::Error for k < 0. make_learning_rate_schedule() validates
// the options and throws curvature::Error naming the first field out of range.
//
// References:
//   [RM]  Robbins and Monro, A stochastic approximation method, Ann. Math.
//         Statist. 22(3), 1951.
//   [PJ]  Polyak and Juditsky, Acceleration of stochastic approximation by
//         averaging, SIAM J. Control Optim. 30(4), 1992.
//   [GDG] Goyal, Dollar, Girshick et al., Accurate, large minibatch SGD:
//         training ImageNet in 1 hour, arXiv:1706.02677, 2017 (warm-up).
//   [LH]  Loshchilov and Hutter, SGDR: stochastic gradient descent with warm
//         restarts, ICLR 2017 (cosine annealing; no restarts here).
//   [GBC] Goodfellow, Bengio and Courville, Deep Learning, Section 8.3.1.
//   [PyTorch] torch.optim.lr_scheduler.ReduceLROnPlateau, whose rules
//         (relative threshold, patience, cooldown, min_lr) this follows.
#pragma once

#include <memory>
#include <string_view>

#include "curvature/registry.h"

namespace curvature {

// The schedules of the table at the top of this file; kSchedules holds their names.
enum class ScheduleType {
  kConstant,
  kInverseTime,  // Robbins-Monro c / k
  kInverseSqrt,  // c / sqrt(k)
  kStepDecay,
  kExponential,
  kCosineWithWarmup,
  kReduceOnPlateau,
  kCount,  // not a schedule: the number of schedules
};

// The schedules' registry (registry.h): one row per ScheduleType.
// A row of kSchedules, the schedules' registry (registry.h).
struct ScheduleInfo {
  ScheduleType value;       // the row's enumerator
  const char* name;         // to_string(), parse_schedule()
  const char* description;  // the formula, for lists and help texts
  // The rate follows the losses passed to observe(); for the others it is a
  // function of k alone.
  bool watches_loss;
};

// clang-format off
inline constexpr ScheduleInfo kSchedules[] = {
    {ScheduleType::kConstant, "constant", "lr0", false},
    {ScheduleType::kInverseTime, "inverse-time", "lr0 t0 / (k + t0)", false},
    {ScheduleType::kInverseSqrt, "inverse-sqrt", "lr0 sqrt(t0 / (k + t0))", false},
    {ScheduleType::kStepDecay, "step-decay", "lr0 step_factor^floor(k / step_size)", false},
    {ScheduleType::kExponential, "exponential", "lr0 decay_rate^k", false},
    {ScheduleType::kCosineWithWarmup, "cosine-with-warmup", "linear warm-up, then a half cosine down to lr_min", false},
    {ScheduleType::kReduceOnPlateau, "reduce-on-plateau", "lr times factor when the loss stops improving", true},
};
// clang-format on
static_assert(registry_is_complete<ScheduleType>(kSchedules));

// The row of `type`, and its name.
inline const ScheduleInfo& info(ScheduleType type) {
  return registry_row<ScheduleInfo>(kSchedules, type, "ScheduleType");
}
inline const char* to_string(ScheduleType type) { return info(type).name; }
// Throws curvature::Error listing the names.
inline ScheduleType parse_schedule(std::string_view name) {
  return registry_find<ScheduleInfo>(kSchedules, name, "learning-rate schedule").value;
}

// All schedules' options; each schedule reads the fields listed for it.
struct LearningRateScheduleOptions {
  ScheduleType type = ScheduleType::kConstant;  // the schedule make_learning_rate_schedule() builds

  // lr0 > 0, the rate at k = 0 for every schedule (after the warm-up for
  // kCosineWithWarmup).
  double initial_learning_rate = 0.01;

  // kInverseTime, kInverseSqrt: t0 >= 1.
  double offset = 1.0;

  // kStepDecay: multiply by step_factor every step_size units.
  int step_size = 1000;      // >= 1
  double step_factor = 0.1;  // in (0, 1]

  // kExponential: multiply by decay_rate every unit.
  double decay_rate = 0.999;  // in (0, 1]

  // kCosineWithWarmup: W = warmup_steps >= 0 units of linear warm-up, then a
  // half cosine from lr0 down to min_learning_rate at T = total_steps > W.
  int warmup_steps = 0;
  int total_steps = 10000;

  // kCosineWithWarmup and kReduceOnPlateau: the floor lr_min, in [0, lr0].
  double min_learning_rate = 0.0;

  // kReduceOnPlateau. A loss improves on the best seen when
  //   loss < best - threshold |best|
  // (a relative threshold; |best| keeps it meaningful for negative losses).
  // After more than `patience` consecutive observations without improvement
  // the rate becomes max(factor lr, lr_min) and the count restarts; for the
  // next `cooldown` observations no reduction happens and non-improving
  // observations are not counted. A non-finite loss never improves.
  int patience = 10;        // >= 0
  double factor = 0.1;      // in (0, 1)
  double threshold = 1e-4;  // >= 0
  int cooldown = 0;         // >= 0
};

// Throws curvature::Error naming the first field out of range (fields the
// chosen type does not read are checked too, so a bad value is never kept
// around waiting for a change of type).
void validate(const LearningRateScheduleOptions& options);

// The rate as a function of the units completed (see the top of this file).
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  // The rate for the step after k completed units (see Units above).
  virtual double learning_rate(int k) const = 0;
  // The monitored loss, for stateful schedules; a no-op for the others.
  virtual void observe(double loss) { (void)loss; }
  // Back to the state after construction.
  virtual void reset() {}
};

// The schedule `options.type` names; throws curvature::Error naming the first field out of range.
std::unique_ptr<LearningRateSchedule> make_learning_rate_schedule(const LearningRateScheduleOptions& options);

// Reduce-on-plateau, exposed for loops and tests that want its counters.
class ReduceOnPlateau final : public LearningRateSchedule {
 public:
  explicit ReduceOnPlateau(const LearningRateScheduleOptions& options);  // validates the options
  double learning_rate(int k) const override;
  void observe(double loss) override;
  void reset() override;

  double best() const { return best_; }                         // +inf before the first finite loss
  int num_bad_observations() const { return num_bad_; }         // since the last improvement or reduction
  int cooldown_remaining() const { return cooldown_counter_; }  // observations left without reductions
  int num_reductions() const { return num_reductions_; }        // reductions so far

 private:
  LearningRateScheduleOptions options_;
  double learning_rate_;
  double best_;
  int num_bad_ = 0;
  int cooldown_counter_ = 0;
  int num_reductions_ = 0;
};

}  // namespace curvature
