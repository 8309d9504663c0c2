#include "ceres_mgh.h"

#include <ceres/ceres.h>
#include <glog/logging.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "curvature/error.h"
#include "curvature/least_squares_objective.h"
#include "nist_run.h"  // median

namespace curvature::bench {
namespace {

// A curvature cost function seen by Ceres: the two share the layout of
// parameters, residuals and row-major Jacobians (cost_function.h).
class CeresCostAdapter : public ceres::CostFunction {
 public:
  explicit CeresCostAdapter(std::shared_ptr<const curvature::CostFunction> cost) : cost_(std::move(cost)) {
    set_num_residuals(cost_->num_residuals());
    for (int size : cost_->parameter_block_sizes()) mutable_parameter_block_sizes()->push_back(size);
  }
  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    return cost_->evaluate(parameters, residuals, jacobians);
  }

 private:
  std::shared_ptr<const curvature::CostFunction> cost_;
};

// f = 1/2 |r|^2 and g = J^T r through curvature's least-squares objective,
// the same evaluation curvature's minimize() uses.
class LeastSquaresFirstOrderFunction : public ceres::FirstOrderFunction {
 public:
  explicit LeastSquaresFirstOrderFunction(LeastSquaresObjective* objective)
      : objective_(objective), n_(objective->num_parameters()), x_(n_), gradient_(n_) {}
  bool Evaluate(const double* parameters, double* cost, double* gradient) const override {
    x_ = Eigen::Map<const Eigen::VectorXd>(parameters, n_);
    if (gradient == nullptr) return objective_->evaluate(x_, cost, nullptr);
    if (!objective_->evaluate(x_, cost, &gradient_)) return false;
    std::copy(gradient_.data(), gradient_.data() + n_, gradient);
    return true;
  }
  int NumParameters() const override { return n_; }

 private:
  LeastSquaresObjective* objective_;
  int n_;
  mutable Eigen::VectorXd x_;
  mutable Eigen::VectorXd gradient_;
};

template <typename SolveOnce>
void time_repeats(int repeats, SolveOnce solve_once, MghRun* run) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto begin = std::chrono::steady_clock::now();
    solve_once();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  run->time_s = median(times);
}

void run_levenberg_marquardt(const MghCase& mgh_case, double scale, int repeats, MghRun* run) {
  const MghProblem& problem = mgh_case.problem;
  std::vector<double> x(problem.n);
  auto counts = std::make_shared<MghEvaluationCounts>();
  ceres::Problem ceres_problem;
  for (MghResidualBlock& block : counted_mgh_residual_blocks(problem, x.data(), counts)) {
    ceres_problem.AddResidualBlock(new CeresCostAdapter(block.cost), nullptr, block.parameter_blocks);
  }
  ceres::Solver::Options options;
  options.minimizer_type = ceres::TRUST_REGION;
  options.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  options.linear_solver_type = ceres::DENSE_QR;
  options.function_tolerance = 1e-15;
  options.gradient_tolerance = 1e-15;
  options.parameter_tolerance = 1e-15;
  options.max_num_iterations = kMghMaxIterations;
  options.num_threads = 1;
  options.logging_type = ceres::SILENT;
  ceres::Solver::Summary summary;
  time_repeats(
      repeats,
      [&] {
        const std::vector<double> start = mgh_case.start(scale);
        std::copy(start.begin(), start.end(), x.begin());  // in place: the blocks point into x
        counts->reset();
        ceres::Solve(options, &ceres_problem, &summary);
      },
      run);
  run->iterations = std::max(static_cast<int>(summary.iterations.size()) - 1, 0);  // empty when the start fails
  run->final_cost = summary.final_cost;
  run->status = ceres::TerminationTypeToString(summary.termination_type);
  record_counts(*counts, run);
  run->solution = x;
}

void run_line_search(const MghCase& mgh_case, double scale, ceres::LineSearchDirectionType direction, int repeats,
                     MghRun* run) {
  const MghProblem& problem = mgh_case.problem;
  std::vector<double> x_blocks(problem.n);  // the Problem's blocks; the objective never writes them
  auto counts = std::make_shared<MghEvaluationCounts>();
  Problem curvature_problem;
  for (MghResidualBlock& block : counted_mgh_residual_blocks(problem, x_blocks.data(), counts)) {
    curvature_problem.add_residual_block(std::move(block.cost), nullptr, block.parameter_blocks);
  }
  LeastSquaresObjective objective(curvature_problem);
  ceres::GradientProblem gradient_problem(new LeastSquaresFirstOrderFunction(&objective));
  ceres::GradientProblemSolver::Options options;
  options.line_search_direction_type = direction;
  options.max_lbfgs_rank = 10;
  options.max_num_iterations = kMghMaxIterations;
  options.function_tolerance = kMghFunctionTolerance;
  options.gradient_tolerance = kMghGradientTolerance;
  options.parameter_tolerance = kMghParameterTolerance;
  options.logging_type = ceres::SILENT;
  ceres::GradientProblemSolver::Summary summary;
  std::vector<double> x;
  time_repeats(
      repeats,
      [&] {
        x = mgh_case.start(scale);
        counts->reset();
        ceres::Solve(options, gradient_problem, x.data(), &summary);
      },
      run);
  run->iterations = std::max(static_cast<int>(summary.iterations.size()) - 1, 0);  // empty when the start fails
  run->final_cost = summary.final_cost;
  run->status = ceres::TerminationTypeToString(summary.termination_type);
  record_counts(*counts, run);
  run->solution = x;
}

// The Ceres line-search direction of each curvature minimizer compared.
constexpr std::pair<MinimizerMethod, ceres::LineSearchDirectionType> kCeresDirections[] = {
    {MinimizerMethod::kLbfgs, ceres::LBFGS},
    {MinimizerMethod::kBfgs, ceres::BFGS},
};

ceres::LineSearchDirectionType ceres_direction(MinimizerMethod minimizer) {
  for (const auto& [method, direction] : kCeresDirections) {
    if (method == minimizer) return direction;
  }
  throw Error(std::string("run_ceres_mgh: no Ceres counterpart for ") + to_string(minimizer));
}

}  // namespace

MghRun run_ceres_mgh(const MghCase& mgh_case, double scale, const CeresMghMethod& method, int repeats) {
  // Ceres logs a warning for every non-finite trial point (the 100 x0 starts
  // overflow often); the table reports the outcome instead.
  FLAGS_minloglevel = google::GLOG_ERROR;
  MghRun run;
  run.problem = mgh_case.problem.name;
  run.start_label = mgh_case.start_label;
  run.label = mgh_case.label();
  run.n = mgh_case.problem.n;
  run.m = mgh_case.problem.m;
  run.scale = scale;
  run.solver = std::string("ceres-") + method.name();
  if (method.least_squares) {
    if (method.method != Method::kLevenbergMarquardt) {
      throw Error(std::string("run_ceres_mgh: no Ceres counterpart for ") + to_string(method.method));
    }
    run_levenberg_marquardt(mgh_case, scale, repeats, &run);
  } else {
    run_line_search(mgh_case, scale, ceres_direction(method.minimizer), repeats, &run);
  }
  judge(mgh_case.problem, &run);
  return run;
}

}  // namespace curvature::bench
