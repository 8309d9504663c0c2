// mgh_run.h — one solve of one Moré–Garbow–Hillstrom case, as the comparison
// reports it, and what both sides of the comparison share: the cases (the 35
// problems from the paper's x0, plus Beale from its two extra starts), the
// residual blocks wrapped so that every library's evaluations are counted the
// same way, and the verdict (mgh_reached_minimum on f at the returned point).
// Also curvature's side: its methods, and the one solve that curv solve mgh
// runs on bare residual blocks and curv bench mgh on counted ones.
//
// Conventions: f and f_star are in the paper's convention, f = r^T r;
// final_cost is what the solver reports, 1/2 r^T r (curvature and Ceres
// alike).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/error.h"
#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/problem.h"
#include "curvature/solve.h"
#include "curvature/summary.h"
#include "mgh.h"
#include "nist_run.h"  // median

namespace curvature::bench {

// A problem from one starting point, before scaling: the paper's x0
// (start_index 0) or problem.extra_starts[start_index - 1].
struct MghCase {
  MghProblem problem;
  int start_index = 0;
  std::string start_label;  // "x0", "(2,-2)"
  std::vector<double> base_start;

  // base_start * scale, the paper's protocol (scale 1, 10, 100).
  std::vector<double> start(double scale) const {
    std::vector<double> x = base_start;
    for (double& value : x) value *= scale;
    return x;
  }
  // "beale" for x0, "beale(2,-2)" for an extra start.
  std::string label() const { return start_index == 0 ? problem.name : problem.name + start_label; }
};

inline std::string mgh_start_label(const std::vector<double>& x) {
  std::string label = "(";
  for (size_t i = 0; i < x.size(); ++i) {
    char number[32];
    std::snprintf(number, sizeof number, "%s%g", i ? "," : "", x[i]);
    label += number;
  }
  return label + ")";
}

// The paper's x0, then the extra starts (only Beale has any).
inline std::vector<MghCase> mgh_cases(const MghProblem& problem) {
  std::vector<MghCase> cases;
  cases.push_back({problem, 0, "x0", problem.x0});
  for (size_t k = 0; k < problem.extra_starts.size(); ++k) {
    cases.push_back(
        {problem, static_cast<int>(k) + 1, mgh_start_label(problem.extra_starts[k]), problem.extra_starts[k]});
  }
  return cases;
}

// Calls into a problem's residual blocks, counted inside the cost functions
// themselves so that curvature and Ceres are counted alike. An evaluation is
// one pass over all residual blocks: calls / number of blocks.
struct MghEvaluationCounts {
  long residual_calls = 0;           // evaluate() without Jacobians
  long jacobian_calls = 0;           // evaluate() with Jacobians (residuals included)
  long gradient_calls = 0;           // evaluate_gradient(): residuals and J^T r, no Jacobian
  long second_derivative_calls = 0;  // evaluate_second_derivative_product(): exact Hessian-vector products
  int num_blocks = 1;
  // Passes over the residuals of any kind.
  int evaluations() const {
    return static_cast<int>((residual_calls + jacobian_calls + gradient_calls + second_derivative_calls) / num_blocks);
  }
  // Passes with first derivatives: a Jacobian, or J^T r alone.
  int jacobian_evaluations() const { return static_cast<int>((jacobian_calls + gradient_calls) / num_blocks); }
  int second_derivative_evaluations() const { return static_cast<int>(second_derivative_calls / num_blocks); }
  void reset() { residual_calls = jacobian_calls = gradient_calls = second_derivative_calls = 0; }
};

// A cost function that counts its calls and otherwise is the wrapped one:
// it overrides every virtual function of CostFunction and forwards each, so
// a solver sees the same capabilities (exact second derivatives, J^T r
// without the Jacobian) and computes the same bits as on the bare cost
// function — the benchmark runs the algorithm users get. Counting stays
// here rather than in curvature's evaluator because Ceres calls these same
// objects, and both sides must be counted by one rule. A capability added
// to CostFunction must be forwarded here too; tests/mgh_bench_test.cc
// checks each one and that bench and solve agree bit for bit.
class CountingCostFunction : public CostFunction {
 public:
  CountingCostFunction(std::shared_ptr<const CostFunction> cost, std::shared_ptr<MghEvaluationCounts> counts)
      : cost_(std::move(cost)), counts_(std::move(counts)) {
    set_num_residuals(cost_->num_residuals());
    set_parameter_block_sizes(cost_->parameter_block_sizes());
  }
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    ++(jacobians ? counts_->jacobian_calls : counts_->residual_calls);
    return cost_->evaluate(parameters, residuals, jacobians);
  }
  bool evaluate_gradient(double const* const* parameters, double* residuals, double** gradients) const override {
    ++counts_->gradient_calls;
    return cost_->evaluate_gradient(parameters, residuals, gradients);
  }
  bool writes_column_major_jacobians() const override { return cost_->writes_column_major_jacobians(); }
  bool evaluate_column_major(double const* const* parameters, double* residuals, double** jacobians,
                             long leading_dimension) const override {
    ++(jacobians ? counts_->jacobian_calls : counts_->residual_calls);
    return cost_->evaluate_column_major(parameters, residuals, jacobians, leading_dimension);
  }
  bool has_second_derivatives() const override { return cost_->has_second_derivatives(); }
  bool evaluate_second_derivative_product(double const* const* parameters, const double* weights,
                                          double const* const* directions, double** products) const override {
    ++counts_->second_derivative_calls;
    return cost_->evaluate_second_derivative_product(parameters, weights, directions, products);
  }

 private:
  std::shared_ptr<const CostFunction> cost_;
  std::shared_ptr<MghEvaluationCounts> counts_;
};

// make_mgh_residual_blocks(problem, x) with every block's cost function
// counting into *counts.
inline std::vector<MghResidualBlock> counted_mgh_residual_blocks(const MghProblem& problem, double* x,
                                                                 const std::shared_ptr<MghEvaluationCounts>& counts) {
  std::vector<MghResidualBlock> blocks = make_mgh_residual_blocks(problem, x);
  for (MghResidualBlock& block : blocks) block.cost = std::make_shared<CountingCostFunction>(block.cost, counts);
  counts->num_blocks = static_cast<int>(blocks.size());
  return blocks;
}

// The limits both sides share. The least-squares methods (curvature's lm,
// dogleg, gn and Ceres LM) keep their NIST settings (tolerances 1e-15 for
// Ceres, curvature's defaults); the general minimizers (curvature's
// minimize() and Ceres's GradientProblemSolver) use these tolerances.
inline constexpr int kMghMaxIterations = 10000;
inline constexpr double kMghFunctionTolerance = 1e-16;
inline constexpr double kMghGradientTolerance = 1e-12;
inline constexpr double kMghParameterTolerance = 1e-16;

struct MghRun {
  std::string problem;      // MghProblem::name
  std::string start_label;  // "x0" or the extra start, "(2,-2)"
  std::string label;        // MghCase::label()
  int n = 0;
  int m = 0;
  double scale = 1.0;       // the start is scale * base start
  std::string solver;       // "curvature-lm", "ceres-lm", "ceres-lbfgs", ...
  double final_cost = 0.0;  // as the solver reports it: 1/2 r^T r
  double f = 0.0;           // paper convention, r^T r at the returned point
  double f_star = 0.0;      // paper convention
  bool solved = false;      // mgh_reached_minimum(problem, f)
  // When not solved: the index in problem.other_minima of a known local
  // minimum (or infimum at infinity) f is close to, else -1.
  int other_minimum = -1;
  int iterations = 0;
  int evaluations = 0;                    // passes over the residuals, of any kind
  int jacobian_evaluations = 0;           // of which with first derivatives (a Jacobian, or J^T r)
  int second_derivative_evaluations = 0;  // of which exact Hessian-vector products
  double time_s = 0.0;                    // median over the repeats, the solve call alone
  std::string status;                     // the solver's termination reason
  std::vector<double> solution;
};

// Fills f, f_star, solved and other_minimum from run->solution.
inline void judge(const MghProblem& problem, MghRun* run) {
  run->f = mgh_f(problem, run->solution.data());
  run->f_star = problem.f_star;
  run->solved = mgh_reached_minimum(problem, run->f);
  run->other_minimum = -1;
  if (run->solved || !std::isfinite(run->f)) return;
  for (size_t k = 0; k < problem.other_minima.size(); ++k) {
    const double f_other = problem.other_minima[k].f;
    if (std::abs(run->f - f_other) <= 1e-6 * std::max(1.0, std::abs(f_other))) {
      run->other_minimum = static_cast<int>(k);
      return;
    }
  }
}

// The counts of one solve, as MghRun reports them.
inline void record_counts(const MghEvaluationCounts& counts, MghRun* run) {
  run->evaluations = counts.evaluations();
  run->jacobian_evaluations = counts.jacobian_evaluations();
  run->second_derivative_evaluations = counts.second_derivative_evaluations();
}

// A method of curvature, by its name on the command line: a least-squares
// solver run by solve(), or a general minimizer run by minimize() on the
// least-squares objective with a Hessian model. curv bench mgh and curv
// solve mgh both take their methods from kMghMethods and run them through
// solve_mgh_with(), so the two cannot drift apart.
struct MghMethod {
  const char* name;  // the registry's short name, or a CLI alias (gn-cg)
  std::string description;
  bool least_squares;
  Method method = Method::kLevenbergMarquardt;
  MinimizerMethod minimizer = MinimizerMethod::kLbfgs;
  HessianModel hessian_model = HessianModel::kGaussNewton;
  const char* registry_name = nullptr;  // the registry's long name, also accepted; none for an alias
};

// The minimizers that use a Hessian and are built on the Gauss-Newton
// matrix: they get that model. The other Hessian methods get the exact
// Hessian (second-order jets of the MGH residuals); the gradient methods
// never ask for one.
inline constexpr MinimizerMethod kGaussNewtonModelMinimizers[] = {MinimizerMethod::kLevenbergMarquardtCg};

inline HessianModel mgh_hessian_model(MinimizerMethod minimizer) {
  if (!uses_hessian(minimizer)) return HessianModel::kGaussNewton;
  for (MinimizerMethod gauss_newton : kGaussNewtonModelMinimizers) {
    if (minimizer == gauss_newton) return HessianModel::kGaussNewton;
  }
  return HessianModel::kExact;
}

// Methods that exist only on the command line: a registry method with a
// Hessian model other than mgh_hessian_model's, listed after that method.
struct MghAlias {
  const char* name;
  const char* description;
  MinimizerMethod minimizer;
  HessianModel hessian_model;
};
inline constexpr MghAlias kMghAliases[] = {
    {"gn-cg", "minimizer: trust-region Newton-CG with Gauss-Newton products", MinimizerMethod::kNewtonTrustRegionCg,
     HessianModel::kGaussNewton},
};

// Every row of kMethods, then every row of kMinimizerMethods (each followed
// by its aliases), by the registries' short names: a new registry row is a
// new method here.
inline std::vector<MghMethod> make_mgh_methods() {
  std::vector<MghMethod> methods;
  for (const MethodInfo& row : kMethods) {
    methods.push_back({row.short_name, std::string("least squares: ") + row.description, true, row.value,
                       MinimizerMethod::kLbfgs, HessianModel::kGaussNewton, row.name});
  }
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    const HessianModel model = mgh_hessian_model(row.value);
    std::string description = std::string("minimizer: ") + row.description;
    if (row.uses_hessian) description += model == HessianModel::kExact ? "; exact Hessian" : "; Gauss-Newton Hessian";
    methods.push_back({row.short_name, description, false, Method::kLevenbergMarquardt, row.value, model, row.name});
    for (const MghAlias& alias : kMghAliases) {
      if (alias.minimizer == row.value) {
        methods.push_back(
            {alias.name, alias.description, false, Method::kLevenbergMarquardt, alias.minimizer, alias.hessian_model});
      }
    }
  }
  return methods;
}

inline const std::vector<MghMethod> kMghMethods = make_mgh_methods();

inline std::string mgh_method_names() {
  std::string names;
  for (const MghMethod& method : kMghMethods) names += (names.empty() ? "" : ", ") + std::string(method.name);
  return names;
}

// By its name or its registry's long name ("levenberg-marquardt" for lm);
// an unknown name is a curvature::Error listing the known ones.
inline const MghMethod& find_mgh_method(const std::string& name) {
  for (const MghMethod& method : kMghMethods) {
    if (name == method.name || (method.registry_name && name == method.registry_name)) return method;
  }
  throw Error("--method: unknown method '" + name + "' (known: " + mgh_method_names() + ")");
}

// Called after each iteration of a solve (curv solve mgh prints from it).
using MghIterationCallback = std::function<CallbackReturn(const IterationRecord&)>;

// One solve from the Problem's current values, with the limits above.
inline Summary solve_mgh_with(const MghMethod& method, Problem* problem, const MghIterationCallback& callback = {}) {
  if (method.least_squares) {
    SolverOptions options;  // curvature's default tolerances, as in curv bench nist
    options.method = method.method;
    options.max_iterations = kMghMaxIterations;
    options.callback = callback;
    return solve(options, problem);
  }
  MinimizeOptions options;
  options.method = method.minimizer;
  options.max_iterations = kMghMaxIterations;
  options.function_tolerance = kMghFunctionTolerance;
  options.gradient_tolerance = kMghGradientTolerance;
  options.parameter_tolerance = kMghParameterTolerance;
  options.callback = callback;
  return minimize(options, problem, method.hessian_model);
}

// What curv solve mgh runs: the case from scale * its start, on the bare
// residual blocks of add_mgh_residuals(), as a user would build them.
struct MghSolve {
  Summary summary;
  std::vector<double> x;  // the returned point
};

inline MghSolve solve_mgh_case(const MghCase& mgh_case, double scale, const MghMethod& method,
                               const MghIterationCallback& callback = {}) {
  MghSolve result;
  result.x = mgh_case.start(scale);
  Problem problem;
  add_mgh_residuals(mgh_case.problem, &problem, result.x.data());
  result.summary = solve_mgh_with(method, &problem, callback);
  return result;
}

// What curv bench mgh runs for a curvature method: the same solve on
// counted residual blocks, `repeats` times on one Problem; time_s is the
// median, the rest comes from the last solve.
inline MghRun run_curvature_mgh(const MghCase& mgh_case, double scale, const MghMethod& method, int repeats) {
  const MghProblem& mgh = mgh_case.problem;
  std::vector<double> x(mgh.n);
  auto counts = std::make_shared<MghEvaluationCounts>();
  Problem problem;
  for (MghResidualBlock& block : counted_mgh_residual_blocks(mgh, x.data(), counts)) {
    problem.add_residual_block(std::move(block.cost), nullptr, block.parameter_blocks);
  }
  MghRun run;
  run.problem = mgh.name;
  run.start_label = mgh_case.start_label;
  run.label = mgh_case.label();
  run.n = mgh.n;
  run.m = mgh.m;
  run.scale = scale;
  run.solver = std::string("curvature-") + method.name;
  const std::vector<double> start = mgh_case.start(scale);
  std::vector<double> times;
  Summary summary;
  for (int r = 0; r < repeats; ++r) {
    std::copy(start.begin(), start.end(), x.begin());  // in place: the blocks point into x
    counts->reset();
    const auto begin = std::chrono::steady_clock::now();
    summary = solve_mgh_with(method, &problem);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  run.time_s = median(times);
  run.iterations = summary.iterations;
  run.final_cost = summary.final_cost;
  run.status = to_string(summary.termination);
  record_counts(*counts, &run);
  run.solution = x;
  judge(mgh, &run);
  return run;
}

}  // namespace curvature::bench
