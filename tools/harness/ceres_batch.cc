#include "ceres_batch.h"

#include <ceres/ceres.h>
#include <ceres/tiny_solver.h>
#include <ceres/tiny_solver_autodiff_function.h>
#include <glog/logging.h>

#include <chrono>
#include <functional>

#include "curvature/thread_pool.h"

namespace curvature::bench {
namespace {

// All residuals of one fit, model(p, x_i) - y_i, as Ceres's functors want them.
template <typename Model>
struct FitResiduals {
  const double* x;
  const double* y;
  template <typename T>
  bool operator()(const T* p, T* residuals) const {
    for (int i = 0; i < Model::kPoints; ++i) {
      T value;
      if (!Model{}(p, x + i * Model::kInputs, &value)) return false;
      residuals[i] = value - y[i];
    }
    return true;
  }
};

// Runs fit_range over [0, num_fits) on `threads` threads and times it.
double timed_over_fits(int num_fits, int threads, const std::function<void(int, int)>& fit_range) {
  const auto begin = std::chrono::steady_clock::now();
  if (threads == 1) {
    fit_range(0, num_fits);
  } else {
    ThreadPool pool(threads);
    pool.parallel_for(num_fits, [&](int, int b, int e) { fit_range(b, e); });
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

template <typename Model>
void tiny(const BatchCase& batch, int threads, BatchRun& run) {
  constexpr int kN = Model::kNumParameters;
  using Function = ceres::TinySolverAutoDiffFunction<FitResiduals<Model>, Model::kPoints, kN>;
  using Solver = ceres::TinySolver<Function>;
  run.seconds = timed_over_fits(batch.num_fits, threads, [&](int begin, int end) {
    Solver solver;  // reused over the range, as a caller looping over fits would
    for (int k = begin; k < end; ++k) {
      const FitResiduals<Model> residuals{batch.x.data(), batch.y.data() + std::size_t(k) * Model::kPoints};
      Function function(residuals);
      Eigen::Matrix<double, kN, 1> p = Eigen::Map<const Eigen::Matrix<double, kN, 1>>(&batch.starts[k * kN]);
      const typename Solver::Summary summary = solver.Solve(function, &p);
      Eigen::Map<Eigen::Matrix<double, kN, 1>>{&run.estimates[k * kN]} = p;
      run.converged[k] = summary.status != Solver::HIT_MAX_ITERATIONS ? 1 : 0;
      run.iterations[k] = summary.iterations;
    }
  });
}

template <typename Model>
void problem_per_fit(const BatchCase& batch, int threads, BatchRun& run) {
  constexpr int kN = Model::kNumParameters;
  using Cost = ceres::AutoDiffCostFunction<FitResiduals<Model>, Model::kPoints, kN>;
  ceres::Solver::Options options;
  options.minimizer_type = ceres::TRUST_REGION;
  options.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  options.linear_solver_type = ceres::DENSE_QR;
  options.max_num_iterations = 50;
  options.function_tolerance = 1e-6;
  options.gradient_tolerance = 1e-10;
  options.parameter_tolerance = 1e-8;
  options.num_threads = 1;
  options.logging_type = ceres::SILENT;
  run.seconds = timed_over_fits(batch.num_fits, threads, [&](int begin, int end) {
    for (int k = begin; k < end; ++k) {
      double* p = &run.estimates[k * kN];
      ceres::Problem problem;
      problem.AddResidualBlock(
          new Cost(new FitResiduals<Model>{batch.x.data(), batch.y.data() + std::size_t(k) * Model::kPoints}), nullptr,
          p);
      ceres::Solver::Summary summary;
      ceres::Solve(options, &problem, &summary);
      run.converged[k] = summary.termination_type == ceres::CONVERGENCE ? 1 : 0;
      run.iterations[k] = summary.num_successful_steps + summary.num_unsuccessful_steps;
    }
  });
}

BatchRun start_run(const BatchCase& batch, const char* solver) {
  BatchRun run;
  run.solver = solver;
  run.estimates = batch.starts;
  run.converged.assign(batch.num_fits, 0);
  run.iterations.assign(batch.num_fits, 0);
  return run;
}

}  // namespace

BatchRun run_ceres_tiny(const BatchCase& batch, int threads) {
  BatchRun run = start_run(batch, "ceres-tiny");
  visit_batch_model(batch.model, [&]<typename Model>() { tiny<Model>(batch, threads, run); });
  return run;
}

BatchRun run_ceres_problem(const BatchCase& batch, int threads) {
  // Ceres logs a warning for every non-finite trial point; the table reports outcomes instead.
  FLAGS_minloglevel = google::GLOG_ERROR;
  BatchRun run = start_run(batch, "ceres-problem");
  visit_batch_model(batch.model, [&]<typename Model>() { problem_per_fit<Model>(batch, threads, run); });
  return run;
}

}  // namespace curvature::bench
