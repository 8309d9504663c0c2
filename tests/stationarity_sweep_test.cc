// The sweep of tools/harness/stationarity_sweep.h as a test: over every NIST
// start and every MGH run with every method, a run that reports convergence
// ends where the scaled gradient max_i |J_i^T r| / (|J_i| |r|) is at most
// 1e-4, or at the case's known minimum. Built only with the tools (not in
// the sanitizer preset) and labelled "sweep" (ctest -LE sweep leaves it out).
#include "stationarity_sweep.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace curvature::bench {
namespace {

void expect_no_false_convergence(bool nist, bool mgh) {
  const std::vector<StationarityRun> runs = stationarity_sweep(kMghMethods, nist, mgh);
  for (const StationarityRun& run : runs) {
    EXPECT_FALSE(run.false_convergence())
        << run.label << " with " << run.method << ": " << to_string(run.summary.termination) << " at cost "
        << run.summary.final_cost << ", scaled gradient " << run.scaled_gradient << ": " << run.summary.message;
  }
  const StationarityCounts counts = count(runs);
  std::printf("runs %d, converged %d, converged but not stationary %d\n", counts.runs, counts.converged,
              counts.converged_not_stationary);
  EXPECT_EQ(counts.runs, static_cast<int>(runs.size()));
}

TEST(StationaritySweep, EveryConvergedNistRunEndsAtAStationaryPoint) { expect_no_false_convergence(true, false); }

TEST(StationaritySweep, EveryConvergedMghRunEndsAtAStationaryPoint) { expect_no_false_convergence(false, true); }

TEST(StationaritySweepScaledGradient, IsTheLargestCosineBetweenAColumnAndTheResiduals) {
  // r = (x0 - 1, 2 (x1 - 3)) at (2, 3): J = diag(1, 2), r = (1, 0): column 0
  // is parallel to r (cosine 1), column 1 orthogonal (0).
  struct Linear final : CostFunction {
    Linear() {
      set_num_residuals(2);
      set_parameter_block_sizes({2});
    }
    bool evaluate(double const* const* p, double* r, double** j) const override {
      r[0] = p[0][0] - 1.0;
      r[1] = 2.0 * (p[0][1] - 3.0);
      if (j && j[0]) {
        j[0][0] = 1.0, j[0][1] = 0.0, j[0][2] = 0.0, j[0][3] = 2.0;
      }
      return true;
    }
  };
  double x[2] = {2.0, 3.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<Linear>(), nullptr, x);
  EXPECT_DOUBLE_EQ(scaled_gradient(problem), 1.0);
  x[0] = 1.0;  // r = 0: the minimum
  EXPECT_DOUBLE_EQ(scaled_gradient(problem), 0.0);
  x[0] = 1.0 + 1e-3, x[1] = 3.0 + 1.0;  // r = (1e-3, 2): cosines 1e-3/|r| and 2*2/(2|r|) ~ 1
  EXPECT_NEAR(scaled_gradient(problem), 1.0, 1e-6);
}

}  // namespace
}  // namespace curvature::bench
