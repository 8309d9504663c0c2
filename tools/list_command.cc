#include <cstdio>

#include "commands.h"
#include "nist.h"

namespace curvature::tools {

void register_list_command(CLI::App& app) {
  CLI::App* list = app.add_subcommand("list", "List the problems and methods");
  list->callback([] {
    std::printf("Methods (--method):\n");
    std::printf("  lm       Levenberg-Marquardt trust region (Marquardt scaling, Nielsen's damping update)\n");
    std::printf("  dogleg   Powell's dogleg trust region\n");
    std::printf("  gn       Gauss-Newton with an Armijo backtracking line search\n");
    std::printf("\nNIST StRD nonlinear regression (suite 'nist', starts 1 and 2):\n");
    for (const std::string& name : nist_problem_names()) {
      NistProblem problem = load_nist_problem_by_name(name);
      std::printf("  %-10s %-8s %d parameters, %d observations\n", name.c_str(), problem.difficulty.c_str(),
                  problem.num_parameters, problem.num_observations);
    }
  });
}

}  // namespace curvature::tools
