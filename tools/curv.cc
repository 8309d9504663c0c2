// curv — curvature's command-line program: lists the problems and methods,
// solves one problem with a full report, and benchmarks the suites against
// Ceres Solver.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "commands.h"
#include "curvature/error.h"

int main(int argc, char** argv) {
  CLI::App app{"curv: nonlinear least squares with curvature"};
  app.require_subcommand(1);
  curvature::tools::register_list_command(app);
  CLI::App* bench = app.add_subcommand("bench", "Benchmark a problem suite (optionally against Ceres)");
  bench->require_subcommand(1);
  CLI::App* solve = app.add_subcommand("solve", "Solve one problem and print the full report");
  solve->require_subcommand(1);
  curvature::tools::register_nist_commands(*bench, *solve);
  curvature::tools::register_mgh_commands(*bench, *solve);
  curvature::tools::register_nn_bench_command(*bench);
  curvature::tools::register_fit_command(app);
  curvature::tools::register_check_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const curvature::Error& e) {
    std::cerr << "curv: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "curv: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
