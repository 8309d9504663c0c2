// Fits y = a exp(-k t) to twenty exact observations of 2 exp(-0.5 t),
// starting from a = 1, k = 0.1.
#include <curvature/autodiff_cost_function.h>
#include <curvature/solve.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

struct ExponentialResidual {
  double t, y;
  template <typename T>
  bool operator()(const T* p, T* r) const {
    using std::exp;
    r[0] = y - p[0] * exp(-p[1] * t);
    return true;
  }
};

int main() {
  std::vector<std::pair<double, double>> data;  // (t, y)
  for (int i = 0; i < 20; ++i) data.emplace_back(0.25 * i, 2.0 * std::exp(-0.5 * 0.25 * i));

  double p[2] = {1.0, 0.1};  // a, k: the parameters live in the caller's memory
  curvature::Problem problem;
  for (auto [t, y] : data) {
    problem.add_residual_block(
        std::make_shared<curvature::AutoDiffCostFunction<ExponentialResidual, 1, 2>>(ExponentialResidual{t, y}),
        nullptr, p);
  }
  curvature::SolverOptions options;  // Levenberg-Marquardt, automatic linear solver
  curvature::Summary summary = curvature::solve(options, &problem);
  std::printf("%s\n", summary.brief_report().c_str());
  std::printf("a = %.6f, k = %.6f\n", p[0], p[1]);
  return summary.converged() ? 0 : 1;
}
