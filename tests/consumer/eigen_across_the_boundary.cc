// Eigen objects allocated on one side of the library boundary and freed on
// the other: this program is compiled without the library's -march flags,
// so it only runs when both sides agree on Eigen's alignment (the library's
// public compile definitions). With a mismatch, freeing the vector that
// gather() allocated inside the library aborts ("double free or corruption").
#include <curvature/autodiff_cost_function.h>
#include <curvature/jet.h>
#include <curvature/least_squares_objective.h>
#include <curvature/minimize.h>
#include <curvature/problem.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <memory>

namespace {

struct Rosenbrock {
  template <typename T>
  bool operator()(const T* x, T* r) const {
    r[0] = T(10.0) * (x[1] - x[0] * x[0]);
    r[1] = T(1.0) - x[0];
    return true;
  }
};

}  // namespace

int main() {
  double x[2] = {-1.2, 1.0};
  curvature::Problem problem;
  problem.add_residual_block(std::make_shared<curvature::AutoDiffCostFunction<Rosenbrock, 2, 2>>(Rosenbrock{}), nullptr,
                             x);
  curvature::LeastSquaresObjective objective(problem);
  int freed = 0;
  for (int i = 0; i < 100; ++i, ++freed) {
    Eigen::VectorXd gathered = objective.gather();  // allocated inside the library, freed here
    if (gathered.size() != 2) return 1;
  }
  Eigen::VectorXd start = objective.gather();
  curvature::MinimizeOptions options;
  options.method = curvature::MinimizerMethod::kBfgs;
  curvature::Summary summary = curvature::minimize(options, objective, &start);
  std::printf("freed %d vectors from the library; BFGS: x = (%.6f, %.6f), %s\n", freed, start[0], start[1],
              summary.converged() ? "converged" : "not converged");
  return summary.converged() && std::abs(start[0] - 1.0) < 1e-6 && std::abs(start[1] - 1.0) < 1e-6 ? 0 : 1;
}
