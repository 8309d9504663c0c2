// optimizer_paths.h — the paths of the classic optimizers on a
// two-dimensional test function, for `curv plot paths`: SGD, momentum,
// Nesterov, AdaGrad, RMSProp and Adam (the update rules of first_order.h,
// stepped on the exact gradient) and Newton and BFGS (minimize()), from one
// start, each recorded iterate by iterate.
//
// The functions are the Moré-Garbow-Hillstrom sums of squares
// f = sum_i r_i(x)^2 (problems/mgh_models.h):
//   rosenbrock  100 (y - x^2)^2 + (1 - x)^2, start (-1.2, 1), minimum 0 at (1, 1)
//   beale       sum_i (y_i - x (1 - y^i))^2, y = (1.5, 2.25, 2.625),
//               start (1, 1.5), minimum 0 at (3, 0.5)
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

namespace curvature::tools {

struct OptimizerPath {
  std::string method;                   // "sgd", "momentum", ..., "newton", "bfgs"
  double learning_rate = 0.0;           // first-order rules; 0 for newton and bfgs
  std::vector<Eigen::Vector2d> points;  // the start, then every iterate
};

struct PathProblem {
  std::string name;
  Eigen::Vector2d start, minimizer;
  double x_min, x_max, y_min, y_max;  // the window the picture shows
  double value(const Eigen::Vector2d& x) const;
};

// "beale" or "rosenbrock"; anything else is a curvature::Error listing them.
PathProblem path_problem(const std::string& name);

// The eight paths, in the order above: `steps` steps of each first-order
// rule (a learning rate per rule and problem, chosen so that each path is
// stable and gets near the minimum; the table, and where the paths end, are
// in optimizer_paths.cc), and Newton and BFGS until they converge (at most
// `steps` iterations).
std::vector<OptimizerPath> optimizer_paths(const PathProblem& problem, int steps);

}  // namespace curvature::tools
