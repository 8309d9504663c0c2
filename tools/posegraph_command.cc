// curv bench posegraph / curv solve posegraph: the 2-D and 3-D pose graphs of
// data/posegraph (or any g2o files) solved with Levenberg-Marquardt on the
// sparse normal equations, side by side with Ceres Solver when it is built in.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "curvature/error.h"
#include "curvature/solve.h"
#include "exit_status.h"
#include "g2o.h"
#include "iteration_lines.h"
#include "json_output.h"
#include "nist_run.h"  // median
#include "pose_graph.h"
#include "posegraph_run.h"
#ifdef CURVATURE_WITH_CERES
#include "ceres_posegraph.h"
#endif

namespace curvature::tools {
namespace {

using bench::PoseGraphRun;
using bench::PoseGraphSettings;

std::string problem_name(const std::string& path) { return std::filesystem::path(path).stem().string(); }

SolverOptions solver_options(const PoseGraphSettings& settings) {
  SolverOptions options;
  options.method = Method::kLevenbergMarquardt;
  options.linear_solver = LinearSolverType::kSparseNormalCholesky;
  options.function_tolerance = settings.function_tolerance;
  options.gradient_tolerance = settings.gradient_tolerance;
  options.parameter_tolerance = settings.parameter_tolerance;
  options.max_iterations = settings.max_iterations;
  options.num_threads = settings.num_threads;
  return options;
}

// Solves `graph` in place with curvature.
PoseGraphRun run_curvature(PoseGraph& graph, const PoseGraphSettings& settings) {
  PoseGraphRun run;
  run.solver = "curvature-lm";
  run.threads = settings.num_threads;
  run.poses = graph.num_poses();
  run.edges = graph.num_edges();
  run.initial_cost = pose_graph_cost(graph);
  Problem problem;
  add_pose_graph(&graph, &problem);
  const SolverOptions options = solver_options(settings);
  const bench::SolveClock clock;
  const Summary summary = solve(options, &problem);
  clock.stop(&run);
  run.iterations = summary.iterations;
  run.final_cost = pose_graph_cost(graph);
  run.status = to_string(summary.termination);
  return run;
}

// Runs `solve` on the graph read from `path` in a child process, so that the
// child's peak resident set (wait4's ru_maxrss) is this solve's alone: the
// reading, the problem, the solver's matrices, on top of what the parent
// held when it forked (a few MB, the same for every run). The result comes
// back through a pipe as text; an exception in the child is rethrown here as
// an Error with its message.
PoseGraphRun run_in_child(const std::string& path, const std::function<PoseGraphRun(PoseGraph&)>& solve) {
  int fds[2];
  if (pipe(fds) != 0) throw Error("curv bench posegraph: cannot create a pipe");
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = fork();
  if (pid < 0) throw Error("curv bench posegraph: cannot fork");
  if (pid == 0) {
    close(fds[0]);
    std::ostringstream out;
    out.precision(17);
    try {
      PoseGraph graph = read_g2o_file(path);
      const PoseGraphRun run = solve(graph);
      out << "ok\n"
          << run.solver << '\n'
          << run.status << '\n'
          << run.threads << ' ' << run.poses << ' ' << run.edges << ' ' << run.initial_cost << ' ' << run.final_cost
          << ' ' << run.iterations << ' ' << run.time_s << ' ' << run.cpu_s << '\n';
    } catch (const std::exception& e) {
      out << "error\n" << e.what();
    }
    const std::string text = out.str();
    size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = write(fds[1], text.data() + written, text.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  std::istringstream in(text);
  std::string kind;
  std::getline(in, kind);
  if (kind == "error") throw Error(text.substr(6));
  if (kind != "ok")
    throw Error("curv bench posegraph: the solve of '" + path + "' ended abnormally (status " + std::to_string(status) +
                ")");
  PoseGraphRun run;
  run.problem = problem_name(path);
  std::getline(in, run.solver);
  std::getline(in, run.status);
  in >> run.threads >> run.poses >> run.edges >> run.initial_cost >> run.final_cost >> run.iterations >> run.time_s >>
      run.cpu_s;
  run.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
  return run;
}

// One library's runs of one (problem, threads): the median wall-clock and
// CPU time over the repeats, the largest peak resident set, and the rest
// (costs, iterations, status: the same in every repeat, since each solves
// the same file from the same start) from the last run.
PoseGraphRun summarize(const std::vector<PoseGraphRun>& runs) {
  PoseGraphRun summary = runs.back();
  std::vector<double> times, cpu_times;
  for (const PoseGraphRun& run : runs) {
    times.push_back(run.time_s);
    cpu_times.push_back(run.cpu_s);
    summary.peak_rss_mb = std::max(summary.peak_rss_mb, run.peak_rss_mb);
  }
  summary.time_s = bench::median(times);
  summary.cpu_s = bench::median(cpu_times);
  return summary;
}

void write_json(JsonOutput& out, const PoseGraphRun& run, int repeats) {
  out.write(JsonLine()
                .text("suite", "posegraph")
                .text("problem", run.problem)
                .text("solver", run.solver)
                .integer("threads", run.threads)
                .integer("poses", run.poses)
                .integer("edges", run.edges)
                .number("initial_cost", run.initial_cost)
                .number("final_cost", run.final_cost)
                .integer("iterations", run.iterations)
                .number("time_s", run.time_s)
                .number("cpu_s", run.cpu_s)
                .text("status", run.status)
                .number("peak_rss_mb", run.peak_rss_mb)
                .integer("repeats", repeats));
}

struct BenchArgs {
  std::vector<std::string> files;
  std::string versus;
  std::vector<int> threads{1};
  int repeats = 1;
  std::string json_path;
};

void print_row(std::FILE* out, const PoseGraphRun& run) {
  std::fprintf(out, "%-20s %7d %-13s %14.8g %16.10g %6d %9.3f %9.3f %8.1f  %s\n", run.problem.c_str(), run.threads,
               run.solver.c_str(), run.initial_cost, run.final_cost, run.iterations, run.time_s, run.cpu_s,
               run.peak_rss_mb, run.status.c_str());
}

void bench_posegraph(const BenchArgs& args) {
  const bool with_ceres = args.versus == "ceres";
#ifndef CURVATURE_WITH_CERES
  if (with_ceres)
    throw Error("--vs ceres: this curv was built without Ceres Solver (install libceres-dev and rebuild)");
#endif
  if (!args.versus.empty() && !with_ceres) throw Error("--vs: unknown comparison '" + args.versus + "' (known: ceres)");
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();
  const std::vector<std::string> files = args.files.empty() ? pose_graph_data_files() : args.files;

  std::fprintf(out,
               "Pose graphs: Levenberg-Marquardt, sparse normal Cholesky; function/gradient/parameter tolerances "
               "1e-6/1e-10/1e-8, at most 100 iterations.\n"
               "cost = 1/2 sum e^T Omega e; time, cpu = wall clock and CPU time (all threads) of the solve call alone, "
               "median of %d repeat(s); peak MB = the largest peak resident set of a child "
               "process that reads the file, builds the problem and solves it.\n\n",
               args.repeats);
  std::fprintf(out, "%-20s %7s %-13s %14s %16s %6s %9s %9s %8s  %s\n", "problem", "threads", "solver", "initial cost",
               "final cost", "iters", "time s", "cpu s", "peak MB", "status");
  struct Pair {
    PoseGraphRun ours, theirs;
  };
  std::vector<Pair> pairs;
  for (const std::string& path : files) {
    for (int threads : args.threads) {
      PoseGraphSettings settings;
      settings.num_threads = threads;
      // The libraries take turns, one child process each per repeat, so
      // that a change in the machine's load falls on both alike.
      std::vector<PoseGraphRun> ours, theirs;
      for (int repeat = 0; repeat < args.repeats; ++repeat) {
        ours.push_back(run_in_child(path, [&](PoseGraph& graph) { return run_curvature(graph, settings); }));
#ifdef CURVATURE_WITH_CERES
        if (with_ceres)
          theirs.push_back(
              run_in_child(path, [&](PoseGraph& graph) { return bench::run_ceres_pose_graph(graph, settings); }));
#endif
      }
      Pair pair;
      pair.ours = summarize(ours);
      print_row(out, pair.ours);
      write_json(json, pair.ours, args.repeats);
      if (!theirs.empty()) {
        pair.theirs = summarize(theirs);
        print_row(out, pair.theirs);
        write_json(json, pair.theirs, args.repeats);
        pairs.push_back(pair);
      }
      std::fflush(out);
    }
  }
  if (pairs.empty()) return;
  std::fprintf(out, "\n%-20s %7s %12s %12s %22s %12s\n", "problem", "threads", "time c/ceres", "cpu c/ceres",
               "cost (c-ceres)/ceres", "MB c/ceres");
  for (const Pair& pair : pairs) {
    std::fprintf(out, "%-20s %7d %12.2f %12.2f %22.2e %12.2f\n", pair.ours.problem.c_str(), pair.ours.threads,
                 pair.ours.time_s / pair.theirs.time_s, pair.ours.cpu_s / pair.theirs.cpu_s,
                 (pair.ours.final_cost - pair.theirs.final_cost) / pair.theirs.final_cost,
                 pair.ours.peak_rss_mb / pair.theirs.peak_rss_mb);
  }
}

struct SolveArgs {
  std::string file;
  std::string out_path;
  int threads = 1;
  int max_iterations = 100;
  std::string json_path;
  bool allow_unsolved = false;
  IterationLineOptions lines;
};

// curv solve posegraph: one g2o file, the full report, and the optimised
// graph written in g2o format when --out asks. Succeeds when the solve
// converged.
int solve_posegraph(const SolveArgs& args) {
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();
  PoseGraph graph = read_g2o_file(args.file);
  PoseGraphSettings settings;
  settings.num_threads = args.threads;
  settings.max_iterations = args.max_iterations;
  SolverOptions options = solver_options(settings);
  const double initial_cost = pose_graph_cost(graph);
  Problem problem;
  add_pose_graph(&graph, &problem);
  IterationPrinter printer(stderr, args.lines.every(false), true);
  options.callback = printer.callback();
  const Summary summary = solve(options, &problem);
  printer.finish(summary);
  const double final_cost = pose_graph_cost(graph);
  std::fprintf(out, "%s", summary.full_report().c_str());
  std::fprintf(out, "\n  %d-D pose graph '%s': %d poses, %d edges\n", graph.dimension, args.file.c_str(),
               graph.num_poses(), graph.num_edges());
  std::fprintf(out, "  cost 1/2 sum e^T Omega e: %.10g -> %.10g\n", initial_cost, final_cost);
  if (!args.out_path.empty()) {
    write_g2o_file(graph, args.out_path);
    std::fprintf(out, "  optimised graph written to %s\n", args.out_path.c_str());
  }
  std::fprintf(out, "  %s\n", summary.converged() ? "converged" : "NOT converged");
  json.write(JsonLine()
                 .text("suite", "posegraph")
                 .text("problem", problem_name(args.file))
                 .text("solver", "curvature-lm")
                 .integer("threads", args.threads)
                 .integer("poses", graph.num_poses())
                 .integer("edges", graph.num_edges())
                 .number("initial_cost", initial_cost)
                 .number("final_cost", final_cost)
                 .integer("iterations", summary.iterations)
                 .number("time_s", summary.total_time_s)
                 .text("status", to_string(summary.termination))
                 .boolean("converged", summary.converged()));
  return solve_exit_status(summary.converged(), args.allow_unsolved);
}

}  // namespace

void register_posegraph_commands(CLI::App& bench, CLI::App& solve_command, int* exit_status) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* posegraph = bench.add_subcommand(
      "posegraph", "Pose graphs in g2o format (default: the four of data/posegraph), LM + sparse Cholesky");
  posegraph
      ->add_option("files", args->files,
                   "g2o files (default: manhattanOlson3500, input_MITb, parking-garage, "
                   "sphere2500 from the data folder)")
      ->check(CLI::ExistingFile);
  posegraph->add_option("--vs", args->versus, "Compare with another library: ceres");
  posegraph->add_option("--threads", args->threads, "Threads for each library (several values: one run per value)")
      ->expected(1, -1)
      ->check(whole_number(1, 1024));
  posegraph
      ->add_option("--repeats", args->repeats,
                   "Solves per library, problem and thread count, each in its own child process; the median time "
                   "and CPU time and the largest peak memory are reported")
      ->check(whole_number(1, 1000));
  posegraph
      ->add_option("--json", args->json_path,
                   "Write one JSON line per (problem, threads, solver) to FILE ('-': standard output, and the table "
                   "to standard error)")
      ->type_name("FILE");
  posegraph->callback([args] { bench_posegraph(*args); });

  auto solve_args = std::make_shared<SolveArgs>();
  CLI::App* solve_posegraph_command =
      solve_command.add_subcommand("posegraph", "Solve one pose graph in g2o format and optionally write the result");
  solve_posegraph_command->add_option("file", solve_args->file, "The g2o file")->required()->check(CLI::ExistingFile);
  solve_posegraph_command->add_option("--out", solve_args->out_path, "Write the optimised graph to FILE (g2o format)")
      ->type_name("FILE");
  solve_posegraph_command->add_option("--threads", solve_args->threads, "Threads evaluating the residuals")
      ->check(whole_number(1, 1024));
  solve_posegraph_command->add_option("--max-iterations", solve_args->max_iterations, "Stop after this many iterations")
      ->check(whole_number(0, 1000000000));
  solve_posegraph_command
      ->add_option("--json", solve_args->json_path,
                   "Write the result as one JSON line to FILE ('-': standard output, and the report to standard "
                   "error)")
      ->type_name("FILE");
  solve_posegraph_command->add_flag("--allow-unsolved", solve_args->allow_unsolved,
                                    "Exit with status 0 even when the solve did not converge");
  add_iteration_line_options(solve_posegraph_command, &solve_args->lines, false);
  solve_posegraph_command->callback([solve_args, exit_status] { *exit_status = solve_posegraph(*solve_args); });
}

}  // namespace curvature::tools
