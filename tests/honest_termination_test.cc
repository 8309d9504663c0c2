// Terminations that say what happened: each case below once ended with a
// convergence reason at a point that was not a minimum (issue 14). A run
// claims convergence only where it stalled near a stationary point; a run
// whose iterates run off to infinity says so, quoting |x| and the cost; a
// run whose trial points cannot be evaluated fails, saying how many and why;
// the point returned is the lowest-cost one seen.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/problem.h"
#include "curvature/solve.h"
#include "mgh.h"
#include "nist.h"
#include "nist_problem.h"

namespace curvature {
namespace {

struct MghSolve {
  Summary summary;
  std::vector<double> x;
};

MghSolve solve_mgh(const std::string& name, double scale, Method method) {
  const MghProblem mgh = mgh_problem_by_name(name);
  MghSolve result;
  result.x = mgh_start(mgh, scale);
  Problem problem;
  add_mgh_residuals(mgh, &problem, result.x.data());
  SolverOptions options;
  options.method = method;
  options.max_iterations = 10000;
  result.summary = solve(options, &problem);
  return result;
}

double lowest_cost_in_trace(const Summary& summary) {
  double lowest = std::numeric_limits<double>::infinity();
  for (const IterationRecord& record : summary.trace) lowest = std::min(lowest, record.cost);
  return lowest;
}

// Gauss-Newton once took one line-search step from 10 x0 to |x| = 1.3e62 and
// reported the parameter tolerance there (cost 5.8e32; f* = 124.4).
TEST(HonestTerminationGaussNewton, JennrichSampsonFromTenTimesTheStartDivergesAndSaysSo) {
  const MghSolve run = solve_mgh("jennrich_sampson", 10.0, Method::kGaussNewton);
  EXPECT_EQ(run.summary.termination, TerminationType::kDiverged) << run.summary.full_report();
  EXPECT_FALSE(run.summary.converged());
  EXPECT_NE(run.summary.message.find("|x| = 1.337e+62"), std::string::npos) << run.summary.message;
  EXPECT_NE(run.summary.message.find("cost 5.775981e+32"), std::string::npos) << run.summary.message;
  EXPECT_EQ(run.summary.final_cost, lowest_cost_in_trace(run.summary));
}

// The same from 10 and 100 x0 on Bard (|x| = 5.8e92 and 3.0e115 before).
TEST(HonestTerminationGaussNewton, BardFromFarStartsClaimsNoConvergence) {
  for (double scale : {10.0, 100.0}) {
    const MghSolve run = solve_mgh("bard", scale, Method::kGaussNewton);
    EXPECT_FALSE(run.summary.converged()) << "scale " << scale << "\n" << run.summary.full_report();
    EXPECT_EQ(run.summary.termination, TerminationType::kDiverged) << "scale " << scale;
    EXPECT_EQ(run.summary.final_cost, lowest_cost_in_trace(run.summary)) << "scale " << scale;
  }
}

// Gulf R&D from x0: the cubic interpolant of the backtracking overflowed to
// NaN, and every later trial point was NaN.
TEST(HonestTerminationGaussNewton, TheBacktrackingStepLengthIsNeverNan) {
  const MghSolve run = solve_mgh("gulf_research_development", 1.0, Method::kGaussNewton);
  for (const IterationRecord& record : run.summary.trace) {
    EXPECT_FALSE(std::isnan(record.step_length)) << "iteration " << record.iteration;
  }
}

// r = x - 5, defined only for x <= limit (the cost function declines
// elsewhere).
class BoundedDomainResidual final : public SizedCostFunction<1, 1> {
 public:
  explicit BoundedDomainResidual(double limit) : limit_(limit) {}
  bool evaluate(double const* const* p, double* r, double** j) const override {
    if (p[0][0] > limit_) return false;
    r[0] = p[0][0] - 5.0;
    if (j && j[0]) j[0][0] = 1.0;
    return true;
  }

 private:
  double limit_;
};

// Every trial point fails to evaluate: the rejections grew lambda until the
// step was below the parameter tolerance, and LM reported convergence with
// zero accepted steps. Now the step is tested only once a trial point was
// evaluated, and the run ends in a failure after 10 unevaluable trials.
TEST(HonestTerminationLevenbergMarquardt, TrialsThatCannotBeEvaluatedEndInAFailureSayingHowMany) {
  double x = 0.0;
  Problem problem;
  problem.add_residual_block(std::make_shared<BoundedDomainResidual>(0.0), nullptr, &x);
  SolverOptions options;
  const Summary summary = solve(options, &problem);
  EXPECT_EQ(summary.termination, TerminationType::kEvaluationFailure) << summary.full_report();
  EXPECT_EQ(summary.accepted_steps, 0);
  EXPECT_EQ(summary.iterations, 10);
  EXPECT_NE(summary.message.find("The last 10 trial points in a row could not be evaluated"), std::string::npos)
      << summary.message;
  EXPECT_EQ(x, 0.0);
}

// At the edge of the region where the residual can be evaluated, the
// gradient stays large (4 here; 3.6 in the case reported): the run stalls
// there, and must not call that convergence.
TEST(HonestTerminationLevenbergMarquardt, TheEdgeOfTheDomainIsNoConvergence) {
  double x = 0.0;
  Problem problem;
  problem.add_residual_block(std::make_shared<BoundedDomainResidual>(1.0), nullptr, &x);
  SolverOptions options;
  options.max_iterations = 1000;
  const Summary summary = solve(options, &problem);
  EXPECT_FALSE(summary.converged()) << summary.full_report();
  EXPECT_LE(x, 1.0);
  EXPECT_GT(x, 0.9);
  EXPECT_EQ(summary.final_cost, lowest_cost_in_trace(summary));
}

// Dogleg from NIST's first start of BoxBOD followed b2 off to infinity and
// reported the gradient tolerance at cost 4885.75 (certified 584.0); with
// LM's restart after parameter evaporation it reaches the certified minimum.
TEST(HonestTerminationDogleg, BoxBodFromStartOneReachesTheCertifiedMinimum) {
  const NistProblem nist = load_nist_problem_by_name("BoxBOD");
  std::vector<double> b = nist.start1;
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  SolverOptions options;
  options.method = Method::kDogleg;
  options.max_iterations = 10000;
  const Summary summary = solve(options, &problem);
  EXPECT_NEAR(summary.final_cost, 0.5 * nist.certified_residual_sum_of_squares,
              1e-8 * nist.certified_residual_sum_of_squares)
      << summary.full_report();
  EXPECT_GE(min_log_relative_error(b, nist.certified), 4.0);
  EXPECT_NE(summary.message.find("restarted from the initial point with an unscaled region"), std::string::npos)
      << summary.message;
}

// Nesterov's method reported the function tolerance on Meyer from 100 x0 at
// 1.5e7 times the minimum.
TEST(HonestTerminationNesterov, MeyerFromAHundredTimesTheStartClaimsNoConvergence) {
  const MghProblem meyer = mgh_problem_by_name("meyer");
  std::vector<double> x = mgh_start(meyer, 100.0);
  Problem problem;
  add_mgh_residuals(meyer, &problem, x.data());
  MinimizeOptions options;
  options.method = MinimizerMethod::kNesterov;
  options.max_iterations = 10000;
  options.function_tolerance = 1e-16;
  options.gradient_tolerance = 1e-12;
  options.parameter_tolerance = 1e-16;
  const Summary summary = minimize(options, &problem, HessianModel::kGaussNewton);
  ASSERT_FALSE(mgh_reached_minimum(meyer, mgh_f(meyer, x.data()))) << summary.full_report();
  EXPECT_FALSE(summary.converged()) << summary.full_report();
  EXPECT_NE(summary.termination, TerminationType::kFunctionTolerance);
}

}  // namespace
}  // namespace curvature
