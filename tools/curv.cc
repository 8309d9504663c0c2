// curv — curvature's command-line program: lists the problems and methods,
// solves one problem with a full report, fits a network to a data set, and
// benchmarks the suites against Ceres Solver. The exit statuses are
// exit_status.h's.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "commands.h"
#include "curvature/error.h"
#include "curvature/version.h"
#include "dense_normal_bound.h"
#include "exit_status.h"

#ifndef CURV_BUILD_CONFIGURATION
#define CURV_BUILD_CONFIGURATION "unknown"
#endif

int main(int argc, char** argv) {
  using namespace curvature::tools;
  CLI::App app{"curv: nonlinear least squares with curvature"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  // The dense kernels are chosen at run time for this CPU, so they are
  // looked up (a calibration of ~100 ms, for R1's 2000-row class) only when
  // --version asks.
  app.set_version_flag(
      "--version",
      [] {
        return std::string("curv ") + curvature::kVersionString + "\n" + CURV_BUILD_CONFIGURATION +
               "\ndense kernels: " + curvature::bench::dense_kernel_in_use();
      },
      "Print the version, the build's configuration and the dense kernels chosen for this CPU");
  app.footer(kExitStatusHelp);
  // Every command finds its data through find_data_dir() (problems/data_dir.h),
  // which reads CURVATURE_DATA_DIR: the option sets it for this process. CLI11
  // runs the main program's option callbacks before any command's callback.
  app.add_option_function<std::string>(
         "--data-dir", [](const std::string& dir) { setenv("CURVATURE_DATA_DIR", dir.c_str(), 1); },
         "Folder holding the data files (nist/, nn/, posegraph/); given before the command. Default: "
         "$CURVATURE_DATA_DIR, "
         "then share/curvature of curv's installation prefix, then the source tree's data/")
      ->type_name("DIR")
      ->check(CLI::Validator(CLI::ExistingDirectory).description(""));  // "DIR", not "DIR:DIR", in --help
  int exit_status = kExitSucceeded;
  register_list_command(app);
  CLI::App* bench = app.add_subcommand("bench", "Benchmark a problem suite (optionally against Ceres)");
  bench->require_subcommand(1);
  CLI::App* solve = app.add_subcommand("solve", "Solve one problem and print the full report");
  solve->require_subcommand(1);
  register_nist_commands(*bench, *solve, &exit_status);
  register_mgh_commands(*bench, *solve, &exit_status);
  register_ba_commands(*bench, *solve, &exit_status);
  register_nn_bench_command(*bench);
  register_batch_bench_command(*bench);
  register_posegraph_commands(*bench, *solve, &exit_status);
  register_fit_command(app, &exit_status);
  register_predict_command(app, &exit_status);
  register_check_command(app, &exit_status);
  register_plot_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too, with status 0; every other parse
    // error is a usage error, whatever CLI11's own number for it.
    return app.exit(e) == 0 ? kExitSucceeded : kExitUsageError;
  } catch (const std::exception& e) {
    // curvature::Error (bad input: an unknown problem, unreadable data, a
    // --json path that cannot be written) and anything else that stopped
    // the command before it could finish.
    std::cerr << "curv: " << e.what() << "\n";
    return kExitUsageError;
  }
  return exit_status;
}
