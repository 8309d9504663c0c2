#include "ceres_nist.h"

#include <ceres/ceres.h>
#include <glog/logging.h>

#include <chrono>

#include "nist_models.h"

namespace curvature::bench {

NistRun run_ceres_nist(const NistProblem& problem, int start, int repeats) {
  // Ceres logs a warning for every non-finite trial point (BoxBOD's first
  // steps overflow); the table reports the outcome instead.
  FLAGS_minloglevel = google::GLOG_ERROR;
  std::vector<double> b(problem.num_parameters);
  ceres::Problem ceres_problem;
  visit_nist_model(problem.name, [&]<typename Model>() {
    using Cost = ceres::AutoDiffCostFunction<NistResidual<Model>, 1, Model::kNumParameters>;
    for (int i = 0; i < problem.num_observations; ++i) {
      auto* residual = new NistResidual<Model>{problem.x[i], problem.x2.empty() ? 0.0 : problem.x2[i], problem.y[i]};
      ceres_problem.AddResidualBlock(new Cost(residual), nullptr, b.data());
    }
  });
  ceres::Solver::Options options;
  options.minimizer_type = ceres::TRUST_REGION;
  options.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  options.linear_solver_type = ceres::DENSE_QR;
  options.function_tolerance = 1e-15;
  options.gradient_tolerance = 1e-15;
  options.parameter_tolerance = 1e-15;
  options.max_num_iterations = 10000;
  options.num_threads = 1;
  options.logging_type = ceres::SILENT;

  NistRun run;
  run.problem = problem.name;
  run.start = start;
  run.solver = "ceres-lm";
  std::vector<double> times;
  ceres::Solver::Summary summary;
  for (int r = 0; r < repeats; ++r) {
    b = start == 1 ? problem.start1 : problem.start2;
    const auto begin = std::chrono::steady_clock::now();
    ceres::Solve(options, &ceres_problem, &summary);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  run.time_s = median(times);
  run.iterations = static_cast<int>(summary.iterations.size()) - 1;
  run.final_cost = summary.final_cost;
  run.status = ceres::TerminationTypeToString(summary.termination_type);
  run.solution = b;
  run.lre = min_log_relative_error(b, problem.certified);
  return run;
}

}  // namespace curvature::bench
