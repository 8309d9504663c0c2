// curv bench mgh runs what curv solve mgh runs (tools/harness/mgh_run.h):
// the counting wrapper around each cost function forwards every capability
// of CostFunction, and for every method the CLI accepts, the counted run of
// the benchmark and the bare solve of the solve command end with the same
// bits. Links the harness, so it is built only where the tools are.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "curvature/cost_function.h"
#include "mgh.h"
#include "mgh_run.h"

namespace curvature::bench {

// Names the method in a failure message (gtest would print its bytes). In
// the method's own namespace, where gtest looks for it.
void PrintTo(const MghMethod& method, std::ostream* out) { *out << method.name; }

namespace {

std::uint64_t bits(double value) { return std::bit_cast<std::uint64_t>(value); }

// A cost function with first derivatives only: r = x^2 - 1.
class SquareMinusOne : public SizedCostFunction<1, 1> {
 public:
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const double x = parameters[0][0];
    residuals[0] = x * x - 1.0;
    if (jacobians && jacobians[0]) jacobians[0][0] = 2.0 * x;
    return true;
  }
};

TEST(MghBenchTest, TheCountingWrapperForwardsEveryCapabilityAndCountsEachKind) {
  double x[3] = {-1.0, 2.0, 0.5};  // Box 3-D, one block over all of x
  const MghProblem box = mgh_problem_by_name("box_3d");
  const std::shared_ptr<const CostFunction> bare = make_mgh_residual_blocks(box, x).front().cost;
  auto counts = std::make_shared<MghEvaluationCounts>();
  const CountingCostFunction counted(bare, counts);
  ASSERT_TRUE(bare->has_second_derivatives());
  EXPECT_TRUE(counted.has_second_derivatives());
  EXPECT_EQ(counted.num_residuals(), box.m);
  EXPECT_EQ(counted.parameter_block_sizes(), bare->parameter_block_sizes());

  const double* parameters[1] = {x};
  const size_t m = static_cast<size_t>(box.m);
  std::vector<double> r_bare(m), r_counted(m), j_bare(m * 3), j_counted(m * 3);
  double* jacobian_bare[1] = {j_bare.data()};
  double* jacobian_counted[1] = {j_counted.data()};
  ASSERT_TRUE(bare->evaluate(parameters, r_bare.data(), jacobian_bare));
  ASSERT_TRUE(counted.evaluate(parameters, r_counted.data(), jacobian_counted));
  EXPECT_EQ(r_counted, r_bare);
  EXPECT_EQ(j_counted, j_bare);
  ASSERT_TRUE(counted.evaluate(parameters, r_counted.data(), nullptr));
  EXPECT_EQ(r_counted, r_bare);

  // J^T r straight from the autodiff cost function's own override: the
  // base class's default would form J through evaluate() and be counted
  // there instead.
  std::vector<double> g_bare(3), g_counted(3);
  double* gradient_bare[1] = {g_bare.data()};
  double* gradient_counted[1] = {g_counted.data()};
  ASSERT_TRUE(bare->evaluate_gradient(parameters, r_bare.data(), gradient_bare));
  ASSERT_TRUE(counted.evaluate_gradient(parameters, r_counted.data(), gradient_counted));
  EXPECT_EQ(g_counted, g_bare);

  const std::vector<double> weights(m, 0.25);
  const double direction[3] = {1.0, -2.0, 3.0};
  const double* directions[1] = {direction};
  std::vector<double> h_bare(3), h_counted(3);
  double* product_bare[1] = {h_bare.data()};
  double* product_counted[1] = {h_counted.data()};
  ASSERT_TRUE(bare->evaluate_second_derivative_product(parameters, weights.data(), directions, product_bare));
  ASSERT_TRUE(counted.evaluate_second_derivative_product(parameters, weights.data(), directions, product_counted));
  EXPECT_EQ(h_counted, h_bare);

  EXPECT_EQ(counts->jacobian_calls, 1);
  EXPECT_EQ(counts->residual_calls, 1);
  EXPECT_EQ(counts->gradient_calls, 1);
  EXPECT_EQ(counts->second_derivative_calls, 1);
  EXPECT_EQ(counts->evaluations(), 4);
  EXPECT_EQ(counts->jacobian_evaluations(), 2);
  EXPECT_EQ(counts->second_derivative_evaluations(), 1);

  // Without second derivatives the wrapper says so, as the bare one does.
  const CountingCostFunction first_order(std::make_shared<SquareMinusOne>(), counts);
  EXPECT_FALSE(first_order.has_second_derivatives());
}

// A problem from one of its starts, times a scale.
struct Case {
  const char* problem;
  int start_index;
  double scale;
};

// Small and fast, yet they cover one block and several (extended
// Rosenbrock), an extra start (Beale), and runs that end away from f*:
// brown_almost_linear from 100 x0 with newton-dogleg stopped at f = 0.9179 in
// solve while the benchmark, on finite-difference Hessians, reached 7.6e-29.
const Case kCases[] = {
    {"rosenbrock", 0, 1.0},
    {"beale", 1, 1.0},
    {"box_3d", 0, 10.0},
    {"extended_rosenbrock", 0, 10.0},
    {"brown_almost_linear", 0, 100.0},
    {"meyer", 0, 1.0},
};

class MghBenchMethodTest : public ::testing::TestWithParam<MghMethod> {};

TEST_P(MghBenchMethodTest, BenchAndSolveEndWithTheSameBits) {
  const MghMethod& method = GetParam();
  for (const Case& c : kCases) {
    const MghCase mgh_case = mgh_cases(mgh_problem_by_name(c.problem)).at(c.start_index);
    SCOPED_TRACE(mgh_case.label() + " @" + std::to_string(c.scale));
    const MghSolve solved = solve_mgh_case(mgh_case, c.scale, method);
    // Two repeats: the benchmark reuses its Problem, and reports the last.
    const MghRun run = run_curvature_mgh(mgh_case, c.scale, method, 2);
    EXPECT_EQ(bits(run.final_cost), bits(solved.summary.final_cost))
        << run.final_cost << " vs " << solved.summary.final_cost;
    EXPECT_EQ(run.iterations, solved.summary.iterations);
    EXPECT_EQ(run.status, to_string(solved.summary.termination));
    ASSERT_EQ(run.solution.size(), solved.x.size());
    for (size_t i = 0; i < solved.x.size(); ++i) EXPECT_EQ(bits(run.solution[i]), bits(solved.x[i])) << "x" << i;
    // Exact Hessians: products by second-order jets, never differenced
    // Jacobians; the other methods never ask for second derivatives.
    const bool exact = !method.least_squares && method.hessian_model == HessianModel::kExact;
    if (exact) {
      EXPECT_GT(run.second_derivative_evaluations, 0);
    } else {
      EXPECT_EQ(run.second_derivative_evaluations, 0);
    }
  }
}

// The table is every registry row by its short name, plus the CLI's
// aliases: each name once, the long names accepted too.
TEST(MghBenchTest, TheMethodsAreTheRegistriesRowsByTheirShortNames) {
  std::set<std::string> names;
  for (const MghMethod& method : kMghMethods) EXPECT_TRUE(names.insert(method.name).second) << method.name;
  EXPECT_EQ(kMghMethods.size(), std::size(kMethods) + std::size(kMinimizerMethods) + std::size(kMghAliases));
  for (const MethodInfo& row : kMethods) {
    EXPECT_TRUE(find_mgh_method(row.short_name).least_squares);
    EXPECT_EQ(find_mgh_method(row.name).method, row.value);
  }
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    EXPECT_FALSE(find_mgh_method(row.short_name).least_squares);
    EXPECT_EQ(find_mgh_method(row.name).minimizer, row.value);
  }
  EXPECT_EQ(find_mgh_method("newton").hessian_model, HessianModel::kExact);
  EXPECT_EQ(find_mgh_method("newton-cg").hessian_model, HessianModel::kExact);
  EXPECT_EQ(find_mgh_method("newton-dogleg").hessian_model, HessianModel::kExact);
  EXPECT_EQ(find_mgh_method("lm-cg").hessian_model, HessianModel::kGaussNewton);
  EXPECT_EQ(find_mgh_method("gn-cg").hessian_model, HessianModel::kGaussNewton);
  EXPECT_EQ(find_mgh_method("gn-cg").minimizer, MinimizerMethod::kNewtonTrustRegionCg);
  EXPECT_THROW(find_mgh_method("lbgfs"), Error);
}

INSTANTIATE_TEST_SUITE_P(EveryCliMethod, MghBenchMethodTest, ::testing::ValuesIn(kMghMethods),
                         [](const ::testing::TestParamInfo<MghMethod>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace curvature::bench
