#include "optimizer_paths.h"

#include <cmath>
#include <span>

#include "curvature/autodiff_objective.h"
#include "curvature/error.h"
#include "curvature/first_order.h"
#include "curvature/minimize.h"
#include "mgh_models.h"
#include "nn_recorder.h"

namespace curvature::tools {
namespace {

// f = sum_i r_i^2 of an MGH residual functor with two parameters.
template <typename Residuals>
struct SumOfSquares {
  template <typename T>
  bool operator()(const T* x, T* f) const {
    T r[Residuals::kM];
    if (!Residuals()(x, r)) return false;
    *f = r[0] * r[0];
    for (int i = 1; i < Residuals::kM; ++i) *f += r[i] * r[i];
    return true;
  }
};

std::unique_ptr<Objective> make_objective(const std::string& name) {
  if (name == "beale")
    return std::make_unique<AutoDiffObjective<SumOfSquares<mgh::Beale>, 2>>(SumOfSquares<mgh::Beale>{}, "beale");
  return std::make_unique<AutoDiffObjective<SumOfSquares<mgh::Rosenbrock>, 2>>(SumOfSquares<mgh::Rosenbrock>{},
                                                                               "rosenbrock");
}

struct RuleRow {
  const char* method;
  UpdateRuleType rule;
  double beale_rate, rosenbrock_rate;
};

// Learning rates per rule and problem, picked by hand while drawing the
// pictures so that each path is stable and gets near the minimum, rather
// than one shared rate that suits none. Where the 3000 steps end (distance
// to the minimizer): on Beale every path within 0.009 (RMSProp) and the
// others within 5e-5; on Rosenbrock Adam, Newton and BFGS reach (1, 1),
// RMSProp ends 0.06 away, AdaGrad 0.11, momentum and Nesterov 0.08, SGD 0.33
// (its rate is capped by the valley's curvature, about 1000 across it).
constexpr RuleRow kRules[] = {
    {"sgd", UpdateRuleType::kSgd, 0.01, 0.001},
    {"momentum", UpdateRuleType::kMomentum, 0.002, 0.0002},
    {"nesterov", UpdateRuleType::kNesterov, 0.002, 0.0002},
    {"adagrad", UpdateRuleType::kAdaGrad, 0.5, 0.5},
    {"rmsprop", UpdateRuleType::kRmsProp, 0.01, 0.01},
    {"adam", UpdateRuleType::kAdam, 0.05, 0.05},
};

OptimizerPath first_order_path(Objective& objective, const PathProblem& problem, const RuleRow& row, int steps) {
  OptimizerPath path;
  path.method = row.method;
  path.learning_rate = problem.name == "beale" ? row.beale_rate : row.rosenbrock_rate;
  UpdateRuleOptions options;
  options.type = row.rule;
  AnyUpdateRule rule = make_update_rule(options);
  Eigen::VectorXd x = problem.start;
  Eigen::VectorXd gradient(2);
  path.points.push_back(problem.start);
  for (int k = 0; k < steps; ++k) {
    double value = 0.0;
    if (!objective.evaluate(x, &value, &gradient) || !std::isfinite(value)) break;
    rule.step(std::span<double>(x.data(), 2), std::span<const double>(gradient.data(), 2), path.learning_rate);
    path.points.emplace_back(x[0], x[1]);
  }
  return path;
}

OptimizerPath minimizer_path(Objective& objective, const PathProblem& problem, MinimizerMethod method, const char* name,
                             int steps) {
  OptimizerPath path;
  path.method = name;
  RecentPointsObjective recent(objective);
  MinimizeOptions options;
  options.method = method;
  options.max_iterations = steps;
  Eigen::VectorXd x = problem.start;
  path.points.push_back(problem.start);
  options.callback = [&](const IterationRecord& record) {
    if (record.iteration == 0) return CallbackReturn::kContinue;
    if (const Eigen::VectorXd* point = recent.find(record.cost)) path.points.emplace_back((*point)[0], (*point)[1]);
    return CallbackReturn::kContinue;
  };
  minimize(options, recent, &x);
  if ((path.points.back() - Eigen::Vector2d(x[0], x[1])).norm() > 0.0) path.points.emplace_back(x[0], x[1]);
  return path;
}

}  // namespace

double PathProblem::value(const Eigen::Vector2d& x) const {
  double f = 0.0;
  if (name == "beale") {
    SumOfSquares<mgh::Beale>()(x.data(), &f);
  } else {
    SumOfSquares<mgh::Rosenbrock>()(x.data(), &f);
  }
  return f;
}

PathProblem path_problem(const std::string& name) {
  if (name == "beale") return {"beale", {1.0, 1.5}, {3.0, 0.5}, -0.5, 4.0, -1.0, 2.0};
  if (name == "rosenbrock") return {"rosenbrock", {-1.2, 1.0}, {1.0, 1.0}, -2.0, 2.0, -1.0, 3.0};
  throw Error("--problem: unknown problem '" + name + "' (known: beale, rosenbrock)");
}

std::vector<OptimizerPath> optimizer_paths(const PathProblem& problem, int steps) {
  if (steps < 1) throw Error("--steps must be at least 1, got " + std::to_string(steps));
  std::unique_ptr<Objective> objective = make_objective(problem.name);
  std::vector<OptimizerPath> paths;
  for (const RuleRow& row : kRules) paths.push_back(first_order_path(*objective, problem, row, steps));
  paths.push_back(minimizer_path(*objective, problem, MinimizerMethod::kNewton, "newton", steps));
  paths.push_back(minimizer_path(*objective, problem, MinimizerMethod::kBfgs, "bfgs", steps));
  return paths;
}

}  // namespace curvature::tools
