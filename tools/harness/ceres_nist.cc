#include "ceres_nist.h"

#include <ceres/ceres.h>
#include <glog/logging.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "nist_models.h"

namespace curvature::bench {

namespace {

void add_ceres_residuals(const NistProblem& problem, double* b, ceres::Problem* ceres_problem) {
  visit_nist_model(problem.name, [&]<typename Model>() {
    using Cost = ceres::AutoDiffCostFunction<NistResidual<Model>, 1, Model::kNumParameters>;
    for (int i = 0; i < problem.num_observations; ++i) {
      auto* residual = new NistResidual<Model>{problem.x[i], problem.x2.empty() ? 0.0 : problem.x2[i], problem.y[i]};
      ceres_problem->AddResidualBlock(new Cost(residual), nullptr, b);
    }
  });
}

ceres::Solver::Options nist_solver_options() {
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
  return options;
}

}  // namespace

NistRun run_ceres_nist(const NistProblem& problem, int start, int repeats) {
  // Ceres logs a warning for every non-finite trial point (BoxBOD's first
  // steps overflow); the table reports the outcome instead.
  FLAGS_minloglevel = google::GLOG_ERROR;
  std::vector<double> b(problem.num_parameters);
  ceres::Problem ceres_problem;
  add_ceres_residuals(problem, b.data(), &ceres_problem);
  const ceres::Solver::Options options = nist_solver_options();

  NistRun run;
  run.problem = problem.name;
  run.start = start;
  run.solver = "ceres-lm";
  std::vector<double> times, cpu_times;
  ceres::Solver::Summary summary;
  for (int r = 0; r < repeats; ++r) {
    b = start == 1 ? problem.start1 : problem.start2;
    const double cpu_begin = thread_cpu_seconds();
    const auto begin = std::chrono::steady_clock::now();
    ceres::Solve(options, &ceres_problem, &summary);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
    cpu_times.push_back(thread_cpu_seconds() - cpu_begin);
  }
  run.time_s = median(times);
  run.cpu_s = median(cpu_times);
  run.iterations = static_cast<int>(summary.iterations.size()) - 1;
  run.final_cost = summary.final_cost;
  run.status = ceres::TerminationTypeToString(summary.termination_type);
  run.solution = b;
  run.lre = min_log_relative_error(b, problem.certified);
  return run;
}

std::vector<NistCovarianceRun> run_ceres_nist_covariance(const NistProblem& problem, int start) {
  // Ceres logs each refusal as an error; the table shows it as '-'.
  FLAGS_minloglevel = google::GLOG_FATAL;
  std::vector<double> b = start == 0 ? problem.certified : start == 1 ? problem.start1 : problem.start2;
  ceres::Problem ceres_problem;
  add_ceres_residuals(problem, b.data(), &ceres_problem);
  double cost = 0.0;
  if (start != 0) {
    ceres::Solver::Summary summary;
    ceres::Solve(nist_solver_options(), &ceres_problem, &summary);
  }
  ceres_problem.Evaluate(ceres::Problem::EvaluateOptions(), &cost, nullptr, nullptr, nullptr);
  const int p = problem.num_parameters;
  // At the certified values, NIST's certified residual sum of squares: the
  // one printed with the certified standard deviations (curv bench nist
  // --covariance does the same for curvature).
  const double rss = start == 0 ? problem.certified_residual_sum_of_squares : 2.0 * cost;
  const double s2 = rss / (problem.num_observations - p);

  std::vector<NistCovarianceRun> runs;
  for (const auto& [algorithm, name] :
       {std::pair{ceres::DENSE_SVD, "ceres-dense-svd"}, std::pair{ceres::SPARSE_QR, "ceres-sparse-qr"}}) {
    NistCovarianceRun run;
    run.solver = name;
    run.reciprocal_condition_number = std::numeric_limits<double>::quiet_NaN();
    ceres::Covariance::Options options;
    options.algorithm_type = algorithm;
    options.num_threads = 1;
    ceres::Covariance covariance(options);
    std::vector<double> block(static_cast<size_t>(p * p));
    const std::vector<std::pair<const double*, const double*>> pairs{{b.data(), b.data()}};
    run.computed =
        covariance.Compute(pairs, &ceres_problem) && covariance.GetCovarianceBlock(b.data(), b.data(), block.data());
    if (run.computed) {
      for (int i = 0; i < p; ++i) run.std_devs.push_back(std::sqrt(s2 * block[static_cast<size_t>(i * p + i)]));
      run.stddev_lre_min = min_log_relative_error(run.std_devs, problem.certified_std_dev);
      run.status = "ok";
    } else {
      run.stddev_lre_min = std::numeric_limits<double>::quiet_NaN();
      run.status = "refused (rank-deficient)";
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace curvature::bench
