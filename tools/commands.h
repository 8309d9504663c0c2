// commands.h — the subcommands of the curv program, each registered on the
// CLI11 app by its own function. Those that solve or fit set *exit_status
// (exit_status.h) when they have run.
#pragma once

#include <CLI/CLI.hpp>

namespace curvature::tools {

void register_list_command(CLI::App& app);
void register_nist_commands(CLI::App& bench, CLI::App& solve, int* exit_status);
void register_mgh_commands(CLI::App& bench, CLI::App& solve, int* exit_status);
void register_ba_commands(CLI::App& bench, CLI::App& solve, int* exit_status);
void register_fit_command(CLI::App& app, int* exit_status);
void register_predict_command(CLI::App& app, int* exit_status);
void register_nn_bench_command(CLI::App& bench);
void register_check_command(CLI::App& app, int* exit_status);
void register_batch_bench_command(CLI::App& bench);
void register_plot_command(CLI::App& app);
void register_posegraph_commands(CLI::App& bench, CLI::App& solve, int* exit_status);

}  // namespace curvature::tools
