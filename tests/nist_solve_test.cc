// The NIST StRD suite solved by curvature: every problem from both starts to
// LRE >= 4 with Levenberg-Marquardt, and the lower-difficulty problems to
// LRE >= 6 with every method.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "curvature/solve.h"
#include "nist.h"
#include "nist_problem.h"

namespace curvature {
namespace {

struct Case {
  std::string name;
  int start;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const std::string& name : nist_problem_names()) {
    for (int start : {1, 2}) cases.push_back({name, start});
  }
  return cases;
}

double solve_case(const Case& c, Method method, Summary* summary) {
  const NistProblem nist = load_nist_problem_by_name(c.name);
  std::vector<double> b = c.start == 1 ? nist.start1 : nist.start2;
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  SolverOptions options;
  options.method = method;
  options.max_iterations = 10000;
  *summary = solve(options, &problem);
  return min_log_relative_error(b, nist.certified);
}

class NistSolveLevenbergMarquardt : public ::testing::TestWithParam<Case> {};

TEST_P(NistSolveLevenbergMarquardt, ReachesTheCertifiedValues) {
  Summary summary;
  const double lre = solve_case(GetParam(), Method::kLevenbergMarquardt, &summary);
  EXPECT_GE(lre, 4.0) << summary.full_report();
  EXPECT_TRUE(summary.converged()) << summary.full_report();
}

INSTANTIATE_TEST_SUITE_P(AllProblems, NistSolveLevenbergMarquardt, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) {
                           return info.param.name + "_start" + std::to_string(info.param.start);
                         });

class NistSolveLowerDifficulty : public ::testing::TestWithParam<std::tuple<Case, Method>> {};

TEST_P(NistSolveLowerDifficulty, ReachesSixDigits) {
  Summary summary;
  const auto& [c, method] = GetParam();
  const double lre = solve_case(c, method, &summary);
  EXPECT_GE(lre, 6.0) << summary.full_report();
}

std::vector<Case> lower_difficulty_cases() {
  std::vector<Case> cases;
  for (const Case& c : all_cases()) {
    if (load_nist_problem_by_name(c.name).difficulty == "lower") cases.push_back(c);
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(LowerDifficulty, NistSolveLowerDifficulty,
                         ::testing::Combine(::testing::ValuesIn(lower_difficulty_cases()),
                                            ::testing::Values(Method::kLevenbergMarquardt, Method::kDogleg,
                                                              Method::kGaussNewton)),
                         [](const auto& info) {
                           const Case& c = std::get<0>(info.param);
                           return c.name + "_start" + std::to_string(c.start) + "_" +
                                  std::string(std::get<1>(info.param) == Method::kLevenbergMarquardt ? "lm"
                                              : std::get<1>(info.param) == Method::kDogleg           ? "dogleg"
                                                                                                     : "gn");
                         });

}  // namespace
}  // namespace curvature

namespace curvature {
namespace {

// From BoxBOD's first start Marquardt's scaling sends the rate constant to
// where it no longer matters; the solve notices and recovers with Levenberg
// damping.
TEST(NistSolveEvaporation, BoxBodRecoversFromParameterEvaporation) {
  Summary summary;
  const double lre = solve_case({"BoxBOD", 1}, Method::kLevenbergMarquardt, &summary);
  EXPECT_GE(lre, 9.0);
  EXPECT_NE(summary.message.find("restarted from the initial point with Levenberg damping"), std::string::npos)
      << summary.message;

  const NistProblem nist = load_nist_problem_by_name("BoxBOD");
  std::vector<double> b = nist.start1;
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  SolverOptions options;
  options.restart_on_evaporation = false;
  solve(options, &problem);
  EXPECT_LT(min_log_relative_error(b, nist.certified), 1.0) << "without the restart the asymptote wins";
}

// From MGH10's first start b1's column grows by tens of orders of magnitude
// along the valley b1 = A exp(-b2 / (x + b3)); with Marquardt's scaling
// capped against the start's columns the damping follows the valley back:
// 1018 iterations, 1610 with the uncapped running maximum.
TEST(NistSolveScalingCap, Mgh10FromTheFirstStartWithinElevenHundredIterations) {
  Summary summary;
  const double lre = solve_case({"MGH10", 1}, Method::kLevenbergMarquardt, &summary);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  EXPECT_GE(lre, 10.0);
  EXPECT_LE(summary.iterations, 1100);
}

// ENSO is a large-residual problem: J^T J underestimates the curvature
// along the last steps by ~1.6x, so Gauss-Newton overshoots and the error
// shrinks only by ~0.6 per step, long after the cost has stopped resolving
// the steps. Scaling the steps of that tail by the secant minimiser along
// the previous one ends the starts in 41 and 35 iterations (68 and 65 without),
// with the parameters as accurate as before.
TEST(NistSolveSecantTail, EnsoWithinFiftyIterationsFromBothStarts) {
  for (int start : {1, 2}) {
    Summary summary;
    const double lre = solve_case({"ENSO", start}, Method::kLevenbergMarquardt, &summary);
    EXPECT_TRUE(summary.converged()) << summary.full_report();
    EXPECT_GE(lre, 10.5) << "start " << start;
    EXPECT_LE(summary.iterations, 50) << "start " << start;
  }
}

}  // namespace
}  // namespace curvature
