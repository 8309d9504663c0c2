// mgh_run.h — one solve of one Moré–Garbow–Hillstrom case, as the comparison
// reports it, and what both sides of the comparison share: the cases (the 35
// problems from the paper's x0, plus Beale from its two extra starts), the
// residual blocks wrapped so that every library's evaluations are counted the
// same way, and the verdict (mgh_reached_minimum on f at the returned point).
//
// Conventions: f and f_star are in the paper's convention, f = r^T r;
// final_cost is what the solver reports, 1/2 r^T r (curvature and Ceres
// alike).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/problem.h"
#include "mgh.h"

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
  long residual_calls = 0;  // without Jacobians
  long jacobian_calls = 0;  // with Jacobians (residuals included)
  int num_blocks = 1;
  int evaluations() const { return static_cast<int>((residual_calls + jacobian_calls) / num_blocks); }
  int jacobian_evaluations() const { return static_cast<int>(jacobian_calls / num_blocks); }
  void reset() { residual_calls = jacobian_calls = 0; }
};

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
  int evaluations = 0;           // passes over the residuals, with or without Jacobian
  int jacobian_evaluations = 0;  // of which with the Jacobian
  double time_s = 0.0;           // median over the repeats, the solve call alone
  std::string status;            // the solver's termination reason
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

}  // namespace curvature::bench
