// Levenberg-Marquardt's geodesic acceleration (SolverOptions::
// geodesic_acceleration): fewer iterations along a curved valley, the same
// certified answer, and no effect where the option says it has none (bounds,
// more than 16 columns).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "curvature/autodiff_cost_function.h"
#include "curvature/solve.h"
#include "nist.h"
#include "nist_problem.h"

namespace curvature {
namespace {

struct NistSolve {
  Summary summary;
  double lre = 0.0;
};

NistSolve solve_nist(const std::string& name, int start, bool acceleration) {
  const NistProblem nist = load_nist_problem_by_name(name);
  std::vector<double> b = start == 1 ? nist.start1 : nist.start2;
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  SolverOptions options;
  options.max_iterations = 10000;
  options.geodesic_acceleration = acceleration;
  NistSolve result;
  result.summary = solve(options, &problem);
  result.lre = min_log_relative_error(b, nist.certified);
  return result;
}

TEST(GeodesicAcceleration, FollowsMgh10sValleyInFewerIterations) {
  // y = b1 exp(b2 / (x + b3)): from NIST's second start the iterates follow
  // the valley b1 = A exp(-b2 / (x + b3)); 153 iterations without the
  // correction, 43 with it.
  const NistSolve plain = solve_nist("MGH10", 2, false);
  const NistSolve accelerated = solve_nist("MGH10", 2, true);
  EXPECT_TRUE(plain.summary.converged()) << plain.summary.full_report();
  EXPECT_TRUE(accelerated.summary.converged()) << accelerated.summary.full_report();
  EXPECT_GE(plain.lre, 9.0);
  EXPECT_GE(accelerated.lre, 9.0);
  EXPECT_LT(2 * accelerated.summary.iterations, plain.summary.iterations)
      << accelerated.summary.iterations << " vs " << plain.summary.iterations;
}

TEST(GeodesicAcceleration, Bennett5InFewerIterations) {
  // 275 iterations without the correction, about 40 with it.
  const NistSolve plain = solve_nist("Bennett5", 2, false);
  const NistSolve accelerated = solve_nist("Bennett5", 2, true);
  EXPECT_GE(plain.lre, 9.0);
  EXPECT_GE(accelerated.lre, 9.0);
  EXPECT_LT(3 * accelerated.summary.iterations, plain.summary.iterations)
      << accelerated.summary.iterations << " vs " << plain.summary.iterations;
}

// r_i = y_i - a exp(-k t_i) on `blocks` copies of (a, k), each fitted to its
// own data: a curved problem with 2 * blocks columns.
struct Decay {
  double t, y;
  template <typename T>
  bool operator()(const T* p, T* r) const {
    using std::exp;
    r[0] = y - p[0] * exp(-p[1] * t);
    return true;
  }
};

Summary solve_decays(int blocks, bool bounded, bool acceleration, std::vector<double>* parameters) {
  parameters->assign(2 * static_cast<size_t>(blocks), 0.0);
  Problem problem;
  for (int b = 0; b < blocks; ++b) {
    double* p = parameters->data() + 2 * b;
    p[0] = 1.0;
    p[1] = 0.1;
    for (int i = 0; i < 20; ++i) {
      const double t = 0.25 * i;
      problem.add_residual_block(
          std::make_shared<AutoDiffCostFunction<Decay, 1, 2>>(Decay{t, (2.0 + b) * std::exp(-0.5 * t)}), nullptr, p);
    }
    if (bounded) problem.set_upper_bound(p, 1, 10.0);
  }
  SolverOptions options;
  options.geodesic_acceleration = acceleration;
  return solve(options, &problem);
}

TEST(GeodesicAcceleration, NoEffectWithBounds) {
  std::vector<double> on, off;
  const Summary with = solve_decays(2, true, true, &on);
  const Summary without = solve_decays(2, true, false, &off);
  EXPECT_EQ(with.iterations, without.iterations);
  EXPECT_EQ(on, off);  // bit for bit
  EXPECT_NEAR(on[0], 2.0, 1e-8);
  EXPECT_NEAR(on[3], 0.5, 1e-8);
}

TEST(GeodesicAcceleration, NoEffectBeyondSixteenColumns) {
  std::vector<double> on, off;
  const Summary with = solve_decays(9, false, true, &on);  // 18 columns
  const Summary without = solve_decays(9, false, false, &off);
  EXPECT_EQ(with.iterations, without.iterations);
  EXPECT_EQ(on, off);
  EXPECT_NEAR(on[16], 10.0, 1e-8);
}

TEST(GeodesicAcceleration, SameSolutionOnASmallProblem) {
  std::vector<double> on, off;
  EXPECT_TRUE(solve_decays(2, false, true, &on).converged());
  EXPECT_TRUE(solve_decays(2, false, false, &off).converged());
  for (size_t i = 0; i < on.size(); ++i) EXPECT_NEAR(on[i], off[i], 1e-10) << i;
  EXPECT_NEAR(on[2], 3.0, 1e-10);
  EXPECT_NEAR(on[3], 0.5, 1e-10);
}

}  // namespace
}  // namespace curvature
