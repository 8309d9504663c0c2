#include "nist_problem.h"

#include <memory>
#include <string>

#include "curvature/autodiff_cost_function.h"
#include "curvature/error.h"
#include "nist_models.h"

namespace curvature {

void add_nist_residuals(const NistProblem& problem, Problem* out, double* b) {
  const std::string where = "add_nist_residuals(" + problem.name + "): ";
  if (out == nullptr) throw Error(where + "the Problem is null");
  if (b == nullptr) throw Error(where + "the parameter block is null");
  const auto n = static_cast<size_t>(problem.num_observations);
  if (problem.x.size() != n || problem.y.size() != n || (!problem.x2.empty() && problem.x2.size() != n)) {
    throw Error(where + "x, x2 or y does not have num_observations = " + std::to_string(n) + " entries");
  }
  const bool found = visit_nist_model(problem.name, [&]<typename Model>() {
    if (problem.num_parameters != Model::kNumParameters) {
      throw Error(where + "the problem has " + std::to_string(problem.num_parameters) +
                  " parameters but the model has " + std::to_string(Model::kNumParameters));
    }
    using Cost = AutoDiffCostFunction<NistResidual<Model>, 1, Model::kNumParameters>;
    for (size_t i = 0; i < n; ++i) {
      const NistResidual<Model> residual{problem.x[i], problem.x2.empty() ? 0.0 : problem.x2[i], problem.y[i]};
      out->add_residual_block(std::make_shared<Cost>(residual), nullptr, b);
    }
  });
  if (!found) throw Error(where + "no NIST model is named '" + problem.name + "'");
}

}  // namespace curvature
