// curvature::problems from a consumer: NIST's Misra1a, its data found by
// find_data_dir() (CURVATURE_DATA_DIR, set by scripts/ci_consumer.sh to the
// installed share/curvature), solved from start 1 and scored against the
// certified values.
#include <cstdio>
#include <vector>

#include "curvature/error.h"
#include "curvature/solve.h"
#include "nist.h"
#include "nist_problem.h"

int main() {
  try {
    const curvature::NistProblem misra = curvature::load_nist_problem_by_name("Misra1a");
    std::vector<double> b = misra.start1;
    curvature::Problem problem;
    curvature::add_nist_residuals(misra, &problem, b.data());
    const curvature::Summary summary = curvature::solve(curvature::SolverOptions(), &problem);
    const double digits = curvature::min_log_relative_error(b, misra.certified);
    std::printf("Misra1a from %s: %.1f correct digits\n", curvature::nist_data_dir().c_str(), digits);
    return summary.converged() && digits >= 4.0 ? 0 : 1;
  } catch (const curvature::Error& error) {
    std::printf("error: %s\n", error.what());
    return 1;
  }
}
