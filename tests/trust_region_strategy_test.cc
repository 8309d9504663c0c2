// The rule both trust-region loops share (trust_region_strategy.h): the
// reduction ratio, how a tried step is judged, and which strategy call each
// outcome makes.
#include "trust_region_strategy.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace curvature::internal {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Records the calls it receives.
class RecordingStrategy final : public TrustRegionStrategy {
 public:
  void step_accepted(double ratio) override { calls += "accepted(" + std::to_string(ratio) + ") "; }
  void step_rejected(double ratio) override { calls += "rejected(" + std::to_string(ratio) + ") "; }
  void step_invalid() override { calls += "invalid "; }
  double radius() const override { return 1.0; }
  const char* linear_solver_name() const override { return "none"; }
  std::string calls;
};

TEST(TrustRegionStrategy, ReductionRatio) {
  EXPECT_EQ(reduction_ratio(true, 3.0, 4.0), 0.75);
  EXPECT_EQ(reduction_ratio(true, -1.0, 4.0), -0.25);
  // Not evaluated, or no decrease predicted: -infinity, whatever the rest.
  EXPECT_EQ(reduction_ratio(false, 3.0, 4.0), -kInfinity);
  EXPECT_EQ(reduction_ratio(true, 3.0, 0.0), -kInfinity);
  EXPECT_EQ(reduction_ratio(true, 3.0, -1e-300), -kInfinity);
}

TEST(TrustRegionStrategy, JudgeStep) {
  EXPECT_EQ(judge_step(true, 0.5, 1e-3), StepOutcome::kAccepted);
  EXPECT_EQ(judge_step(true, 1e-3, 1e-3), StepOutcome::kRejected);  // strictly above
  EXPECT_EQ(judge_step(true, -kInfinity, 0.0), StepOutcome::kRejected);
  EXPECT_EQ(judge_step(false, 0.5, 1e-3), StepOutcome::kInvalid);
}

TEST(TrustRegionStrategy, ReportStepMakesTheMatchingCall) {
  RecordingStrategy strategy;
  report_step(strategy, StepOutcome::kAccepted, 0.5);
  report_step(strategy, StepOutcome::kRejected, 0.125);
  report_step(strategy, StepOutcome::kInvalid, 0.5);
  EXPECT_EQ(strategy.calls, "accepted(0.500000) rejected(0.125000) invalid ");
}

}  // namespace
}  // namespace curvature::internal
