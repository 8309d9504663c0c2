#include "ceres_nn.h"

#include <ceres/ceres.h>
#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <vector>

#include "mlp.h"

namespace curvature::bench {
namespace {

// One chunk of samples: Ceres and curvature share the calling convention
// (row-major Jacobian blocks), so the residual is used as it is.
class CeresMlpChunk final : public ceres::CostFunction {
 public:
  explicit CeresMlpChunk(std::shared_ptr<const curvature::CostFunction> residual) : residual_(std::move(residual)) {
    set_num_residuals(residual_->num_residuals());
    for (int size : residual_->parameter_block_sizes()) mutable_parameter_block_sizes()->push_back(size);
  }
  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    return residual_->evaluate(parameters, residuals, jacobians);
  }

 private:
  std::shared_ptr<const curvature::CostFunction> residual_;
};

class Recorder final : public ceres::IterationCallback {
 public:
  Recorder(const tools::NnTask& task, Mlp* mlp, tools::NnTrainResult* result)
      : task_(task), mlp_(mlp), result_(result), copy_(task.network) {}

  ceres::CallbackReturnType operator()(const ceres::IterationSummary& summary) override {
    const auto begin = std::chrono::steady_clock::now();
    tools::NnTrainRecord row;
    row.iteration = summary.iteration;
    row.time_s = summary.cumulative_time_in_seconds - overhead_s_;
    row.iteration_time_s = summary.iteration_time_in_seconds;
    row.accepted = summary.step_is_successful;
    row.train_loss = 2.0 * summary.cost / (static_cast<double>(task_.train.num_samples()) * task_.train.num_targets());
    row.test_loss = std::numeric_limits<double>::quiet_NaN();
    row.test_accuracy = std::numeric_limits<double>::quiet_NaN();
    if (task_.test.num_samples() > 0) {
      // update_state_every_iteration: the network's memory holds the current point.
      copy_.set_parameters(mlp_->parameter_vector());
      row.test_loss = mean_squared_error(copy_, task_.test);
    }
    result_->trace.push_back(row);
    overhead_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    return ceres::SOLVER_CONTINUE;
  }

 private:
  const tools::NnTask& task_;
  Mlp* mlp_;
  tools::NnTrainResult* result_;
  Mlp copy_;
  double overhead_s_ = 0.0;
};

ceres::DenseLinearAlgebraLibraryType ceres_type(CeresDenseLibrary library) {
  return library == CeresDenseLibrary::kLapack ? ceres::LAPACK : ceres::EIGEN;
}

}  // namespace

const char* to_string(CeresDenseLibrary library) { return library == CeresDenseLibrary::kLapack ? "LAPACK" : "EIGEN"; }

bool ceres_dense_library_available(CeresDenseLibrary library) {
  return ceres::IsDenseLinearAlgebraLibraryTypeAvailable(ceres_type(library));
}

tools::NnTrainResult run_ceres_lm_nn(const tools::NnTask& task, double max_time_s, int threads,
                                     CeresDenseLibrary library) {
  FLAGS_minloglevel = google::GLOG_ERROR;
  tools::NnTrainResult result;
  Mlp mlp(task.network);
  ceres::Problem::Options problem_options;
  problem_options.cost_function_ownership = ceres::TAKE_OWNERSHIP;
  ceres::Problem problem(problem_options);
  std::vector<double*> blocks;
  for (int l = 1; l <= mlp.num_layers(); ++l) blocks.push_back(mlp.layer_parameters(l));
  // The chunks exactly as add_mlp_regression_residuals() makes them.
  const int samples = task.train.num_samples();
  const int chunk = task.network.chunk_size;
  for (int start = 0; start < samples; start += chunk) {
    const int count = std::min(chunk, samples - start);
    auto residual = std::make_shared<const MlpResidual>(task.network, task.train.inputs.middleRows(start, count),
                                                        task.train.targets.middleRows(start, count));
    problem.AddResidualBlock(new CeresMlpChunk(std::move(residual)), nullptr, blocks);
  }

  ceres::Solver::Options options;
  options.minimizer_type = ceres::TRUST_REGION;
  options.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  options.linear_solver_type = ceres::DENSE_NORMAL_CHOLESKY;
  options.dense_linear_algebra_library_type = ceres_type(library);
  options.num_threads = threads;
  options.max_solver_time_in_seconds = max_time_s;
  options.max_num_iterations = 1000000;
  options.function_tolerance = 1e-15;
  options.gradient_tolerance = 1e-15;
  options.parameter_tolerance = 1e-15;
  options.logging_type = ceres::SILENT;
  options.update_state_every_iteration = true;
  Recorder recorder(task, &mlp, &result);
  options.callbacks.push_back(&recorder);

  ceres::Solver::Summary summary;
  ceres::Solve(options, &problem, &summary);
  result.parameters = mlp.parameter_vector();
  result.summary.iterations = static_cast<int>(summary.iterations.size()) - 1;
  result.summary.total_time_s = summary.total_time_in_seconds;
  result.summary.initial_cost = summary.initial_cost;
  result.summary.final_cost = summary.final_cost;
  result.summary.message = summary.message;
  result.train_accuracy = std::numeric_limits<double>::quiet_NaN();
  return result;
}

}  // namespace curvature::bench
