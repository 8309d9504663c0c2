// The trust-region loop (trust_region_loop.h) on a scripted problem side:
// which calls the strategy receives, what counts as an iteration, when the
// function-tolerance and radius tests run and what the trace records, for
// both settings of each side policy.
#include "trust_region_loop.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace curvature::internal {
namespace {

// Records the calls it receives; each call sets the radius to next_radius.
class RecordingStrategy final : public TrustRegionStrategy {
 public:
  void step_accepted(double ratio) override { called("accepted(" + std::to_string(ratio) + ")"); }
  void step_rejected(double ratio) override { called("rejected(" + std::to_string(ratio) + ")"); }
  void step_invalid() override { called("invalid"); }
  double radius() const override { return radius_; }
  double damping() const override { return 1.0 / radius_; }
  const char* linear_solver_name() const override { return "none"; }
  std::string calls;
  double next_radius = 1.0;

 private:
  void called(const std::string& call) {
    calls += call + " ";
    radius_ = next_radius;
  }
  double radius_ = 1.0;
};

// One scripted iteration.
struct Scripted {
  StepStatus status = StepStatus::kStep;
  ShortStep short_step = ShortStep::kGoOn;
  bool evaluated = true;
  double actual = 1.0, predicted = 1.0;
  std::optional<double> noise_ratio;  // accept_below_noise's answer
  double radius_after = 1.0;          // the strategy's radius once told the outcome
};

template <bool kAfterRecord, bool kBeforeStep>
class ScriptedSide {
 public:
  static constexpr bool kStopTestsAfterRecord = kAfterRecord;
  static constexpr bool kRadiusBeforeStep = kBeforeStep;

  explicit ScriptedSide(std::vector<Scripted> script) : script_(std::move(script)) {}

  TrustRegionStrategy& strategy() { return strategy_; }
  Summary& summary() { return summary_; }
  bool terminated() const { return terminated_; }
  bool gradient_tolerance_reached() { return false; }
  bool iteration_or_time_limit_reached() {
    if (next_ < script_.size()) return false;
    terminate(TerminationType::kMaxIterations);
    return true;
  }
  StepStatus compute_step(IterationRecord* record) {
    current_ = script_[next_++];
    strategy_.next_radius = current_.radius_after;
    record->step_norm = 0.5;
    if (current_.status == StepStatus::kStopped) terminate(TerminationType::kLinearSolverFailure);
    return current_.status;
  }
  ShortStep short_step(double) {
    if (current_.short_step == ShortStep::kEnded) terminate(TerminationType::kUserStop);
    return current_.short_step;
  }
  void parameter_tolerance_reached(double) { terminate(TerminationType::kParameterTolerance); }
  std::string trial_failure() const { return "the cost is inf"; }
  void terminate(TerminationType type, std::string message) {
    terminate(type);
    summary_.message = std::move(message);
  }
  double predicted_reduction() const { return current_.predicted; }
  double min_relative_decrease() const { return 1e-3; }
  bool evaluate_trial(double* actual) {
    if (current_.evaluated) *actual = current_.actual;
    return current_.evaluated;
  }
  bool move_to_trial() {
    cost_ -= current_.actual;
    return true;
  }
  std::optional<double> accept_below_noise(double) { return current_.noise_ratio; }
  bool function_tolerance_reached(double actual) {
    if (actual > function_tolerance) return false;
    terminate(TerminationType::kFunctionTolerance);
    return true;
  }
  bool radius_too_small() {
    if (strategy_.radius() >= 1e-10) return false;
    terminate(TerminationType::kTrustRegionTooSmall);
    return true;
  }
  double cost() const { return cost_; }
  double projected_gradient_norm() const { return 1.0; }
  double iteration_started() const { return 0.0; }
  void record(IterationRecord record, double /*started*/) {
    summary_.trace.push_back(record);
    terminated_when_recorded.push_back(terminated_);
  }

  double function_tolerance = 0.0;
  std::vector<bool> terminated_when_recorded;
  RecordingStrategy strategy_;

 private:
  void terminate(TerminationType type) {
    terminated_ = true;
    summary_.termination = type;
  }
  std::vector<Scripted> script_;
  size_t next_ = 0;
  Scripted current_;
  Summary summary_;
  bool terminated_ = false;
  double cost_ = 10.0;
};

using AfterUpdateSide = ScriptedSide<false, false>;
using BeforeStepSide = ScriptedSide<true, true>;

Scripted accepted_step() { return Scripted{}; }
Scripted rejected_step() {
  Scripted step;
  step.actual = -1.0;
  return step;
}

TEST(TrustRegionLoop, OutcomesReachTheStrategyAndTheCounts) {
  Scripted unevaluated;
  unevaluated.evaluated = false;
  Scripted invalid;
  invalid.status = StepStatus::kInvalid;
  AfterUpdateSide side({accepted_step(), rejected_step(), unevaluated, invalid});
  run_trust_region_loop(side);
  EXPECT_EQ(side.strategy_.calls, "accepted(1.000000) rejected(-1.000000) invalid invalid ");
  EXPECT_EQ(side.summary().iterations, 4);
  EXPECT_EQ(side.summary().accepted_steps, 1);
  EXPECT_EQ(side.summary().rejected_steps, 3);
  ASSERT_EQ(side.summary().trace.size(), 4u);
  EXPECT_EQ(side.summary().trace[0].cost, 9.0);
  EXPECT_EQ(side.summary().trace[0].cost_change, 1.0);
  EXPECT_EQ(side.summary().trace[1].cost_change, 0.0);
  EXPECT_EQ(side.summary().trace[3].relative_decrease, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(side.summary().termination, TerminationType::kMaxIterations);
}

TEST(TrustRegionLoop, AStepBelowTheNoiseIsAcceptedWithTheSidesRatio) {
  Scripted noisy = rejected_step();
  noisy.noise_ratio = 0.5;
  AfterUpdateSide side({noisy});
  run_trust_region_loop(side);
  EXPECT_EQ(side.strategy_.calls, "accepted(0.500000) ");
  EXPECT_EQ(side.summary().accepted_steps, 1);
  EXPECT_EQ(side.summary().trace[0].cost, 10.0);  // the side moved, not move_to_trial()
}

TEST(TrustRegionLoop, ReshapesAndStopsAreNoIterations) {
  Scripted reshaped, ended, stopped;
  reshaped.short_step = ShortStep::kReshaped;
  ended.short_step = ShortStep::kEnded;
  AfterUpdateSide ends({accepted_step(), reshaped, accepted_step(), ended, accepted_step()});
  run_trust_region_loop(ends);
  EXPECT_EQ(ends.summary().iterations, 2);
  EXPECT_EQ(ends.summary().trace.size(), 2u);
  EXPECT_EQ(ends.strategy_.calls, "accepted(1.000000) accepted(1.000000) ");
  EXPECT_EQ(ends.summary().termination, TerminationType::kUserStop);

  stopped.status = StepStatus::kStopped;
  BeforeStepSide stops({accepted_step(), stopped, accepted_step()});
  run_trust_region_loop(stops);
  EXPECT_EQ(stops.summary().iterations, 1);
  EXPECT_EQ(stops.summary().termination, TerminationType::kLinearSolverFailure);
}

// The step test comes after the trial point was evaluated: a short step is
// tried (and taken when it is good) before the solve ends on it.
TEST(TrustRegionLoop, AShortStepEndsTheSolveOnceItsTrialWasEvaluated) {
  Scripted short_step = accepted_step();
  short_step.short_step = ShortStep::kShort;
  AfterUpdateSide side({accepted_step(), short_step, accepted_step()});
  run_trust_region_loop(side);
  EXPECT_EQ(side.summary().iterations, 2);
  EXPECT_EQ(side.strategy_.calls, "accepted(1.000000) accepted(1.000000) ");
  EXPECT_EQ(side.summary().trace.back().cost, 8.0);  // moved to the short step's trial point
  EXPECT_EQ(side.summary().termination, TerminationType::kParameterTolerance);
}

// A region that shrinks because no trial point can be evaluated ends in an
// evaluation failure after kMaxUnevaluableTrials of them, never in the
// parameter tolerance, however short the steps have become.
TEST(TrustRegionLoop, UnevaluableTrialsInARowEndTheSolveAsAFailure) {
  Scripted unevaluable_short;
  unevaluable_short.evaluated = false;
  unevaluable_short.short_step = ShortStep::kShort;
  std::vector<Scripted> script(kMaxUnevaluableTrials + 2, unevaluable_short);
  AfterUpdateSide side(script);
  run_trust_region_loop(side);
  EXPECT_EQ(side.summary().termination, TerminationType::kEvaluationFailure);
  EXPECT_EQ(side.summary().iterations, kMaxUnevaluableTrials);
  EXPECT_EQ(side.summary().accepted_steps, 0);
  EXPECT_NE(side.summary().message.find("The last 10 trial points in a row could not be evaluated (the cost is inf)"),
            std::string::npos)
      << side.summary().message;
}

TEST(TrustRegionLoop, AnEvaluatedTrialRestartsTheCountOfUnevaluableOnes) {
  Scripted unevaluable;
  unevaluable.evaluated = false;
  std::vector<Scripted> script(kMaxUnevaluableTrials - 1, unevaluable);
  script.push_back(rejected_step());
  script.insert(script.end(), kMaxUnevaluableTrials - 1, unevaluable);
  AfterUpdateSide side(script);
  run_trust_region_loop(side);
  EXPECT_EQ(side.summary().termination, TerminationType::kMaxIterations);
  EXPECT_EQ(side.summary().iterations, 2 * kMaxUnevaluableTrials - 1);
}

TEST(TrustRegionLoop, StopTestsRunBeforeOrAfterTheRecord) {
  AfterUpdateSide before({accepted_step(), accepted_step()});
  before.function_tolerance = 1.0;
  run_trust_region_loop(before);
  EXPECT_EQ(before.summary().termination, TerminationType::kFunctionTolerance);
  EXPECT_EQ(before.terminated_when_recorded, std::vector<bool>{true});

  BeforeStepSide after({accepted_step(), accepted_step()});
  after.function_tolerance = 1.0;
  run_trust_region_loop(after);
  EXPECT_EQ(after.summary().termination, TerminationType::kFunctionTolerance);
  EXPECT_EQ(after.terminated_when_recorded, std::vector<bool>{false});
}

TEST(TrustRegionLoop, TheRadiusIsTestedAfterStepsNotAccepted) {
  Scripted accepted_small = accepted_step(), rejected_small = rejected_step();
  accepted_small.radius_after = rejected_small.radius_after = 1e-12;
  AfterUpdateSide side({accepted_small, accepted_step(), rejected_small, accepted_step()});
  run_trust_region_loop(side);
  EXPECT_EQ(side.summary().iterations, 3);
  EXPECT_EQ(side.summary().termination, TerminationType::kTrustRegionTooSmall);
}

TEST(TrustRegionLoop, TheTraceCarriesTheRadiusBeforeTheStepOrAfterTheUpdate) {
  Scripted shrinks = rejected_step();
  shrinks.radius_after = 0.25;
  BeforeStepSide before({shrinks, accepted_step()});
  run_trust_region_loop(before);
  EXPECT_EQ(before.summary().trace[0].trust_region_radius, 1.0);
  EXPECT_EQ(before.summary().trace[1].trust_region_radius, 0.25);
  EXPECT_EQ(before.summary().trace[1].damping, 0.0);

  AfterUpdateSide after({shrinks, accepted_step()});
  run_trust_region_loop(after);
  EXPECT_EQ(after.summary().trace[0].trust_region_radius, 0.25);
  EXPECT_EQ(after.summary().trace[0].damping, 4.0);
  EXPECT_EQ(after.summary().trace[1].trust_region_radius, 1.0);
}

}  // namespace
}  // namespace curvature::internal
