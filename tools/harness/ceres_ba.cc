#include "ceres_ba.h"

#include <ceres/ceres.h>
#include <glog/logging.h>

#include <chrono>
#include <memory>

#include "bal_camera_model.h"
#include "curvature/error.h"
#include "peak_memory.h"
#include "process_cpu_time.h"

namespace curvature::bench {
namespace {

using CeresBalCost = ceres::AutoDiffCostFunction<BalReprojection, 2, kBalCameraSize, kBalPointSize>;

void set_linear_solver(const std::string& name, ceres::Solver::Options* options) {
  if (name == "sparse-schur") {
    options->linear_solver_type = ceres::SPARSE_SCHUR;
  } else if (name == "iterative-schur") {
    options->linear_solver_type = ceres::ITERATIVE_SCHUR;
    options->preconditioner_type = ceres::SCHUR_JACOBI;
  } else if (name == "dense-schur") {
    options->linear_solver_type = ceres::DENSE_SCHUR;
  } else if (name == "sparse-normal-cholesky") {
    options->linear_solver_type = ceres::SPARSE_NORMAL_CHOLESKY;
  } else {
    throw Error("unknown Ceres linear solver '" + name +
                "' (known: sparse-schur, iterative-schur, dense-schur, sparse-normal-cholesky)");
  }
}

ceres::LossFunction* make_loss(const BalProblemOptions& problem) {
  switch (problem.loss) {
    case BalLoss::kHuber:
      return new ceres::HuberLoss(problem.loss_scale);
    case BalLoss::kCauchy:
      return new ceres::CauchyLoss(problem.loss_scale);
    case BalLoss::kNone:
      break;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> ceres_ba_linear_solvers(int num_cameras) {
  std::vector<std::string> names{"sparse-schur", "iterative-schur"};
  if (num_cameras <= kCeresDenseSchurMaxCameras) names.push_back("dense-schur");
  names.push_back("sparse-normal-cholesky");
  return names;
}

BaRun run_ceres_ba(const BalScene& scene, const std::string& problem_name, const std::string& linear_solver,
                   const BaRunOptions& options) {
  FLAGS_minloglevel = google::GLOG_ERROR;
  ceres::Solver::Options solver;
  solver.minimizer_type = ceres::TRUST_REGION;
  solver.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  set_linear_solver(linear_solver, &solver);
  solver.num_threads = options.threads;
  solver.max_num_iterations = options.max_iterations;
  solver.function_tolerance = options.function_tolerance;
  solver.gradient_tolerance = options.gradient_tolerance;
  solver.parameter_tolerance = options.parameter_tolerance;
  solver.logging_type = ceres::SILENT;

  BalScene copy = scene;
  const PeakMemory memory;
  BaRun run = describe_ba_run(scene, problem_name, options.threads, "ceres-lm", linear_solver);
  ceres::Solver::Summary summary;
  {
    // One loss shared by every residual, as on the curvature side, owned here.
    ceres::Problem::Options problem_options;
    problem_options.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
    std::unique_ptr<ceres::LossFunction> loss(make_loss(options.problem));
    ceres::Problem problem(problem_options);
    for (const BalObservation& o : copy.observations) {
      problem.AddResidualBlock(new CeresBalCost(new BalReprojection{o.x, o.y}), loss.get(), copy.camera(o.camera),
                               copy.point(o.point));
    }
    auto ordering = std::make_shared<ceres::ParameterBlockOrdering>();
    for (int j = 0; j < copy.num_points; ++j) {
      if (problem.HasParameterBlock(copy.point(j))) ordering->AddElementToGroup(copy.point(j), 0);
    }
    for (int i = 0; i < copy.num_cameras; ++i) {
      if (problem.HasParameterBlock(copy.camera(i))) ordering->AddElementToGroup(copy.camera(i), 1);
    }
    solver.linear_solver_ordering = ordering;
    const auto begin = std::chrono::steady_clock::now();
    const double cpu_begin = process_cpu_seconds();
    ceres::Solve(solver, &problem, &summary);
    run.cpu_s = process_cpu_seconds() - cpu_begin;
    run.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }
  run.peak_memory_bytes = memory.bytes();
  run.initial_cost = summary.initial_cost;
  run.final_cost = summary.final_cost;
  run.iterations = static_cast<int>(summary.iterations.size()) - 1;  // iteration 0 is the start
  run.evaluation_time_s = summary.residual_evaluation_time_in_seconds + summary.jacobian_evaluation_time_in_seconds;
  run.linear_solver_time_s = summary.linear_solver_time_in_seconds;
  for (const ceres::IterationSummary& it : summary.iterations)
    run.linear_solver_iterations += it.linear_solver_iterations;
  run.status = ceres::TerminationTypeToString(summary.termination_type);
  return run;
}

}  // namespace curvature::bench
