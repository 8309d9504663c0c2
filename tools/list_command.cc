// curv list: every method of every role, read from the library's
// registries (registry.h), then the problems. A new registry row shows up
// here without an edit.
#include <cstdio>
#include <string>

#include "commands.h"
#include "curvature/first_order.h"
#include "curvature/learning_rate_schedule.h"
#include "curvature/minimize.h"
#include "curvature/solver_options.h"
#include "nist.h"
#include "nn_setup.h"

namespace curvature::tools {
namespace {

// "levenberg-marquardt (lm)" when the CLI's short name differs.
template <typename Row>
std::string with_short_name(const Row& row) {
  std::string name = row.short_name;
  if (name != row.name) name += std::string(" (") + row.name + ")";
  return name;
}

void list_methods() {
  std::printf("Least-squares methods, solve() (--method):\n");
  for (const MethodInfo& row : kMethods) {
    std::printf("  %-36s %s\n", with_short_name(row).c_str(), row.description);
  }
  std::printf("\nLinear solvers of solve() (SolverOptions::linear_solver):\n");
  for (const LinearSolverInfo& row : kLinearSolvers) {
    std::string storage;
    switch (row.storage) {
      case JacobianStorage::kDense:
        storage = "dense J";
        break;
      case JacobianStorage::kSparse:
        storage = "sparse J";
        break;
      case JacobianStorage::kSparseWhenLarge:
        storage = "sparse J above " + std::to_string(kSparseWhenLargeParameters) + " parameters";
        break;
      case JacobianStorage::kChosen:
        break;
    }
    std::string description = row.description;
    if (*linear_solver_backend(row.value) != '\0')
      description += std::string(" (") + linear_solver_backend(row.value) + ")";
    std::printf("  %-36s %-32s %s\n", row.name, storage.c_str(), description.c_str());
  }
  std::printf("\nGeneral minimizers, minimize() (--method):\n");
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    std::string traits = row.uses_hessian ? "Hessian" : "gradient";
    if (row.honours_bounds) traits += ", bounds";
    std::printf("  %-36s %-18s %s\n", with_short_name(row).c_str(), traits.c_str(), row.description);
  }
  std::printf("\nLine searches of minimize() (MinimizeOptions::line_search):\n");
  for (const LineSearchInfo& row : kLineSearches) {
    std::printf("  %-36s %-18s %s\n", row.name, row.projected_paths ? "bounds" : "", row.description);
  }
  std::printf("\nFirst-order update rules, train() (UpdateRuleOptions::type; default learning rate):\n");
  for (const UpdateRuleInfo& row : kUpdateRules) {
    std::printf("  %-36s %-18g %s\n", row.name, row.default_learning_rate, row.description);
  }
  std::printf("\nLearning-rate schedules (LearningRateScheduleOptions::type):\n");
  for (const ScheduleInfo& row : kSchedules) {
    std::printf("  %-36s %-18s %s\n", row.name, row.watches_loss ? "watches the loss" : "", row.description);
  }
  std::printf("\nNetwork losses of curv fit and curv bench nn (--loss):\n");
  for (const NnLossInfo& row : kNnLosses) {
    std::printf("  %-36s %-18s %s\n", row.name, row.classification ? "classification" : "regression", row.description);
  }
}

}  // namespace

void register_list_command(CLI::App& app) {
  CLI::App* list = app.add_subcommand("list", "List the methods of every role and the problems");
  list->callback([] {
    list_methods();
    std::printf("\nNIST StRD nonlinear regression (suite 'nist', starts 1 and 2):\n");
    for (const std::string& name : nist_problem_names()) {
      NistProblem problem = load_nist_problem_by_name(name);
      std::printf("  %-10s %-8s %d parameters, %d observations\n", name.c_str(), problem.difficulty.c_str(),
                  problem.num_parameters, problem.num_observations);
    }
  });
}

}  // namespace curvature::tools
