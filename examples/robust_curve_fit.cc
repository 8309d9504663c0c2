// Fits y = a exp(-k t) + c to noisy data with outliers: automatic
// differentiation, a robust loss, a bound, and the solver's report.
//
//   ./robust_curve_fit
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "curvature/autodiff_cost_function.h"
#include "curvature/solve.h"

namespace {

struct DecayResidual {
  double t, y;
  template <typename T>
  bool operator()(const T* p, T* residual) const {
    using std::exp;
    residual[0] = y - (p[0] * exp(-p[1] * t) + p[2]);
    return true;
  }
};

}  // namespace

int main() {
  // Data from a = 5, k = 0.7, c = 1 with Gaussian noise and a few gross outliers.
  std::mt19937 generator(42);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<double> t, y;
  for (int i = 0; i < 60; ++i) {
    t.push_back(0.1 * i);
    y.push_back(5.0 * std::exp(-0.7 * t.back()) + 1.0 + noise(generator));
  }
  y[7] += 3.0;
  y[31] -= 2.5;
  y[50] += 4.0;

  double p[3] = {1.0, 0.1, 0.0};  // a, k, c
  curvature::Problem problem;
  auto loss = std::make_shared<curvature::CauchyLoss>(0.1);
  for (size_t i = 0; i < t.size(); ++i) {
    using Cost = curvature::AutoDiffCostFunction<DecayResidual, 1, 3>;
    problem.add_residual_block(std::make_shared<Cost>(DecayResidual{t[i], y[i]}), loss, p);
  }
  problem.set_lower_bound(p, 1, 0.0);  // a decay rate is non-negative

  curvature::SolverOptions options;
  options.verbose = true;
  const curvature::Summary summary = curvature::solve(options, &problem);
  std::printf("%s\n", summary.full_report().c_str());
  std::printf("a = %.6f (true 5), k = %.6f (true 0.7), c = %.6f (true 1)\n", p[0], p[1], p[2]);
  return summary.converged() ? 0 : 1;
}
