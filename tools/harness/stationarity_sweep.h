// stationarity_sweep.h — does a run that reports convergence end where it
// stopped near a stationary point? One solve per (case, start, method) over
// the NIST StRD problems (both starts) and the Moré-Garbow-Hillstrom cases
// (x0, 10 x0, 100 x0), every method of kMghMethods; for each run that
// reports a convergence reason, the scaled gradient at the returned point,
//   max_i |J_i^T r| / (|J_i| |r|),
// the largest cosine between a Jacobian column and the residual vector
// (invariant to the scaling of the parameters and of the residuals), must be
// at most kStationaryScaledGradient, unless the cost is at the case's known
// minimum. tests/stationarity_sweep_test.cc runs it; curv check runs it and
// prints each offending run.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "curvature/problem.h"
#include "mgh.h"
#include "mgh_run.h"
#include "nist.h"
#include "nist_problem.h"

namespace curvature::bench {

inline constexpr double kStationaryScaledGradient = 1e-4;
// A NIST run is at the known minimum when its residual sum of squares is
// within this relative distance of the certified one (or its parameters
// have NIST's 4 correct digits).
inline constexpr double kNistCertifiedCostTolerance = 1e-6;

// max_i |J_i^T r| / (|J_i| |r|) at the problem's current parameter values:
// 0 when r = 0, a column J_i = 0 contributes 0, infinity when the point
// cannot be evaluated or the result is not finite.
inline double scaled_gradient(const Problem& problem) {
  double cost = 0.0;
  Eigen::VectorXd residuals, gradient;
  Eigen::MatrixXd jacobian;
  if (!problem.evaluate(Problem::EvaluateOptions(), &cost, &residuals, &gradient, &jacobian, nullptr)) {
    return std::numeric_limits<double>::infinity();
  }
  const double residual_norm = residuals.norm();
  if (!std::isfinite(residual_norm)) return std::numeric_limits<double>::infinity();
  if (residual_norm == 0.0) return 0.0;
  double largest = 0.0;
  for (Eigen::Index i = 0; i < jacobian.cols(); ++i) {
    const double column_norm = jacobian.col(i).norm();
    const double correlation = jacobian.col(i).dot(residuals);
    if (!std::isfinite(column_norm) || !std::isfinite(correlation)) return std::numeric_limits<double>::infinity();
    if (column_norm == 0.0) continue;
    largest = std::max(largest, std::abs(correlation) / (column_norm * residual_norm));
  }
  return largest;
}

struct StationarityRun {
  std::string suite;  // "nist" or "mgh"
  std::string label;  // "BoxBOD start 1", "meyer 100x0"
  std::string method;
  Summary summary;
  double scaled_gradient = 0.0;
  bool at_known_minimum = false;
  // A convergence reason at a point that is neither stationary nor the known
  // minimum: what the sweep counts as a false claim.
  bool false_convergence() const {
    return summary.converged() && !at_known_minimum && !(scaled_gradient <= kStationaryScaledGradient);
  }
};

struct StationarityCounts {
  int runs = 0;
  int converged = 0;
  int converged_not_stationary = 0;
};

inline StationarityCounts count(const std::vector<StationarityRun>& runs) {
  StationarityCounts counts;
  for (const StationarityRun& run : runs) {
    ++counts.runs;
    if (run.summary.converged()) ++counts.converged;
    if (run.false_convergence()) ++counts.converged_not_stationary;
  }
  return counts;
}

// Every NIST problem from both starts and every MGH case from its three
// scaled starts, with every method of `methods`; `on_run` (if set) sees each
// run as it ends.
inline std::vector<StationarityRun> stationarity_sweep(const std::vector<MghMethod>& methods, bool nist, bool mgh,
                                                       const std::function<void(const StationarityRun&)>& on_run = {}) {
  std::vector<StationarityRun> runs;
  auto finish = [&](StationarityRun run) {
    if (on_run) on_run(run);
    runs.push_back(std::move(run));
  };
  if (nist) {
    for (const std::string& name : nist_problem_names()) {
      const NistProblem problem_data = load_nist_problem_by_name(name);
      for (int start = 1; start <= 2; ++start) {
        for (const MghMethod& method : methods) {
          std::vector<double> b = start == 1 ? problem_data.start1 : problem_data.start2;
          Problem problem;
          add_nist_residuals(problem_data, &problem, b.data());
          StationarityRun run;
          run.suite = "nist";
          run.label = name + " start " + std::to_string(start);
          run.method = method.name;
          run.summary = solve_mgh_with(method, &problem);
          run.scaled_gradient = scaled_gradient(problem);
          // At the certified minimum: the cost, or the parameters (NIST's
          // "solved", every LRE >= 4: on Lanczos1 the residuals are rounding
          // noise, and neither their sum of squares nor their angle with
          // the Jacobian's columns can be resolved).
          const double rss = 2.0 * run.summary.final_cost, certified = problem_data.certified_residual_sum_of_squares;
          run.at_known_minimum = std::abs(rss - certified) <= kNistCertifiedCostTolerance * certified ||
                                 min_log_relative_error(b, problem_data.certified) >= 4.0;
          finish(std::move(run));
        }
      }
    }
  }
  if (mgh) {
    for (const MghProblem& problem_data : mgh_problems()) {
      for (const MghCase& mgh_case : mgh_cases(problem_data)) {
        for (double scale : kMghStartScales) {
          for (const MghMethod& method : methods) {
            std::vector<double> x = mgh_case.start(scale);
            Problem problem;
            add_mgh_residuals(problem_data, &problem, x.data());
            StationarityRun run;
            run.suite = "mgh";
            char scale_label[32];
            std::snprintf(scale_label, sizeof scale_label, " %gx0", scale);
            run.label = mgh_case.label() + scale_label;
            run.method = method.name;
            run.summary = solve_mgh_with(method, &problem);
            run.scaled_gradient = scaled_gradient(problem);
            run.at_known_minimum = mgh_reached_minimum(problem_data, mgh_f(problem_data, x.data()));
            finish(std::move(run));
          }
        }
      }
    }
  }
  return runs;
}

}  // namespace curvature::bench
