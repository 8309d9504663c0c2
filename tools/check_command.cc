// curv check stationarity: the sweep of stationarity_sweep.h — every NIST
// start and every MGH run with every method — printing each run that reports
// convergence at a point that is neither stationary nor the known minimum,
// then the counts. Exits with kExitUnsolved (exit_status.h) when there is
// any such run.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "curvature/error.h"
#include "exit_status.h"
#include "stationarity_sweep.h"

namespace curvature::tools {
namespace {

struct CheckArgs {
  std::vector<std::string> methods;  // empty: all
  std::vector<std::string> suites;   // empty: nist and mgh
  bool verbose = false;
};

int check_stationarity(const CheckArgs& args) {
  std::vector<bench::MghMethod> methods;
  if (args.methods.empty()) {
    methods = bench::kMghMethods;
  } else {
    for (const std::string& name : args.methods) methods.push_back(bench::find_mgh_method(name));
  }
  bool nist = args.suites.empty(), mgh = args.suites.empty();
  for (const std::string& suite : args.suites) {
    if (suite == "nist") {
      nist = true;
    } else if (suite == "mgh") {
      mgh = true;
    } else {
      throw Error("--suite: unknown suite '" + suite + "' (known: nist, mgh)");
    }
  }
  const std::vector<bench::StationarityRun> runs =
      bench::stationarity_sweep(methods, nist, mgh, [&](const bench::StationarityRun& run) {
        if (!run.false_convergence() && !args.verbose) return;
        std::printf(
            "%-4s %-34s %-14s %-20s cost %-12.6e scaled gradient %.3e%s\n", run.suite.c_str(), run.label.c_str(),
            run.method.c_str(), to_string(run.summary.termination), run.summary.final_cost, run.scaled_gradient,
            run.false_convergence() ? "  NOT STATIONARY" : (run.at_known_minimum ? "  at the known minimum" : ""));
        std::fflush(stdout);
      });
  const bench::StationarityCounts counts = bench::count(runs);
  std::printf("runs %d, converged %d, converged but not stationary %d\n", counts.runs, counts.converged,
              counts.converged_not_stationary);
  return counts.converged_not_stationary == 0 ? 0 : 1;
}

}  // namespace

void register_check_command(CLI::App& app, int* exit_status) {
  CLI::App* check = app.add_subcommand("check", "Check properties of curvature's runs over the problem suites");
  check->require_subcommand(1);
  auto args = std::make_shared<CheckArgs>();
  CLI::App* stationarity = check->add_subcommand(
      "stationarity",
      "Every run that reports convergence ends where max_i |J_i^T r| / (|J_i| |r|) <= 1e-4 or at the known minimum");
  stationarity->add_option("--method", args->methods, "Only these methods (repeatable; default: all)");
  stationarity->add_option("--suite", args->suites, "Only these suites: nist, mgh (repeatable; default: both)");
  stationarity->add_flag("--verbose", args->verbose, "One line per run, not only the offending ones");
  stationarity->callback(
      [args, exit_status] { *exit_status = check_stationarity(*args) == 0 ? kExitSucceeded : kExitUnsolved; });
}

}  // namespace curvature::tools
