// curv bench ba / curv solve ba: bundle adjustment of BAL files or generated
// BAL-like scenes (problems/bal.h, bal_generator.h) with curvature's
// Levenberg-Marquardt and the linear solvers it has, side by side with Ceres
// Solver's Schur-complement solvers when it is built in.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ba_run.h"
#include "bal.h"
#include "bal_generator.h"
#include "bal_observation_order.h"
#include "cli_checks.h"
#include "commands.h"
#include "curvature/solve.h"
#include "exit_status.h"
#include "iteration_lines.h"
#include "json_output.h"
#include "registry_names.h"
#ifdef CURVATURE_WITH_CERES
#include "ceres_ba.h"
#endif

namespace curvature::tools {
namespace {

using bench::BaRun;
using bench::BaRunOptions;

// A scene to solve and the name the tables give it.
struct NamedScene {
  std::string name;
  BalScene scene;
};

// The files, then the generated sizes, in the order given, each with its
// observations (and so its residual blocks) in `order`.
std::vector<NamedScene> load_scenes(const std::vector<std::string>& files, const std::vector<std::string>& sizes,
                                    std::uint64_t seed, const std::string& order) {
  for (const std::string& size : sizes) bal_generator_options(size);  // every name checked before any work
  const BalObservationOrder observation_order = parse_bal_observation_order(order, "--observation-order");
  std::vector<NamedScene> scenes;
  for (const std::string& file : files) scenes.push_back({file, read_bal(file)});
  for (const std::string& size : sizes) {
    BalGeneratorOptions options = bal_generator_options(size);
    options.seed = seed;
    scenes.push_back({"generated " + size, generate_bal_scene(options)});
  }
  for (NamedScene& named : scenes) {
    order_bal_observations(&named.scene, observation_order);
    if (observation_order != BalObservationOrder::kGiven)
      named.name += std::string(", by ") + to_string(observation_order);
  }
  return scenes;
}

void write_json(JsonOutput& out, const BaRun& run) {
  out.write(JsonLine()
                .text("suite", "ba")
                .text("problem", run.problem)
                .integer("cameras", run.cameras)
                .integer("points", run.points)
                .integer("observations", run.observations)
                .integer("threads", run.threads)
                .text("solver", run.solver)
                .text("linear_solver", run.linear_solver)
                .number("initial_cost", run.initial_cost)
                .number("final_cost", run.final_cost)
                .integer("iterations", run.iterations)
                .number("evaluation_time_s", run.evaluation_time_s)
                .number("linear_solver_time_s", run.linear_solver_time_s)
                .integer("linear_solver_iterations", run.linear_solver_iterations)
                .number("time_s", run.time_s)
                .number("cpu_s", run.cpu_s)
                .number("peak_memory_bytes", run.peak_memory_bytes)
                .text("status", run.status));
}

double per_iteration_ms(double seconds, int iterations) { return iterations > 0 ? 1e3 * seconds / iterations : 0.0; }

void print_row(std::FILE* out, const BaRun& run) {
  std::fprintf(out, "%7d  %-12s %-26s %13.6e %13.6e %5d %9.2f %9.2f %9.3f %9.3f %9.1f  %s\n", run.threads,
               run.solver.c_str(), run.linear_solver.c_str(), run.initial_cost, run.final_cost, run.iterations,
               per_iteration_ms(run.evaluation_time_s, run.iterations),
               per_iteration_ms(run.linear_solver_time_s, run.iterations), run.time_s, run.cpu_s,
               run.peak_memory_bytes < 0 ? -1.0 : run.peak_memory_bytes / (1024.0 * 1024.0), run.status.c_str());
}

struct BenchArgs {
  std::vector<std::string> files;
  std::vector<std::string> sizes;
  std::uint64_t seed = 1;
  std::vector<int> threads{1};
  std::vector<std::string> linear_solvers;  // empty: default_linear_solvers()
  std::vector<std::string> ceres_linear_solvers;
  std::string versus;
  std::string json_path;
  int max_iterations = 100;
  std::string loss = "none";
  double loss_scale = 1.0;
  std::string observation_order = "given";
};

// curvature's linear solvers run by default on a scene: the Schur solvers
// first (dense-schur only where Ceres runs DENSE_SCHUR too), then the
// general sparse ones for reference.
constexpr int kDenseSchurMaxCameras = 100;  // as for Ceres's DENSE_SCHUR (ceres_ba.h)

std::vector<std::string> default_linear_solvers(int num_cameras) {
  std::vector<std::string> names;
  if (num_cameras <= kDenseSchurMaxCameras) names.push_back("dense-schur");
  names.push_back("sparse-schur");
  names.push_back("iterative-schur");
  names.push_back("sparse-normal-cholesky");
  names.push_back("cgnr");
  return names;
}

BaRunOptions run_options(int max_iterations, const std::string& loss, double loss_scale) {
  BaRunOptions options;
  options.max_iterations = max_iterations;
  options.problem.loss = parse_bal_loss(loss, "--loss");
  options.problem.loss_scale = loss_scale;
  return options;
}

void bench_ba(const BenchArgs& args) {
  const bool with_ceres = args.versus == "ceres";
#ifndef CURVATURE_WITH_CERES
  if (with_ceres)
    throw Error("--vs ceres: this curv was built without Ceres Solver (install libceres-dev and rebuild)");
#endif
  if (!args.versus.empty() && !with_ceres) throw Error("--vs: unknown comparison '" + args.versus + "' (known: ceres)");
  if (!args.ceres_linear_solvers.empty() && !with_ceres) throw Error("--ceres-linear-solver: needs --vs ceres");
  for (const std::string& name : args.linear_solvers) {
    parse_option("--linear-solver", [&] { return parse_linear_solver(name); });
  }
  BaRunOptions options = run_options(args.max_iterations, args.loss, args.loss_scale);
  const std::vector<std::string> sizes =
      args.files.empty() && args.sizes.empty() ? std::vector<std::string>{"ladybug-49"} : args.sizes;
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();
  const std::vector<NamedScene> scenes = load_scenes(args.files, sizes, args.seed, args.observation_order);

  std::fprintf(out, "Bundle adjustment: Levenberg-Marquardt, at most %d iterations, function tolerance %g, loss %s.\n",
               options.max_iterations, options.function_tolerance, to_string(options.problem.loss));
  std::fprintf(out,
               "eval = residuals + Jacobians, linear = linear solver, both ms per iteration; total = the solve "
               "call (s), cpu = its CPU time (s, summed over threads);\npeak = the process's peak resident memory "
               "during the run (MiB, the scene included).\n");
  for (const NamedScene& named : scenes) {
    const BalScene& scene = named.scene;
    std::fprintf(out, "\n%s: %d cameras, %d points, %d observations, %d parameters; squared error cost %.6e\n",
                 named.name.c_str(), scene.num_cameras, scene.num_points, scene.num_observations(),
                 kBalCameraSize * scene.num_cameras + kBalPointSize * scene.num_points, bal_squared_error_cost(scene));
    std::fprintf(out, "%7s  %-12s %-26s %13s %13s %5s %9s %9s %9s %9s %9s  %s\n", "threads", "solver", "linear solver",
                 "initial cost", "final cost", "iters", "eval", "linear", "total", "cpu", "peak", "status");
    const std::vector<std::string> linear_solvers =
        args.linear_solvers.empty() ? default_linear_solvers(scene.num_cameras) : args.linear_solvers;
    for (int threads : args.threads) {
      options.threads = threads;
      auto report = [&](const BaRun& run) {
        print_row(out, run);
        write_json(json, run);
        std::fflush(out);
      };
      // Ceres's solvers still to run; each one that has a curvature
      // counterpart of the same name runs right after it, so the two rows
      // that are compared sit together.
      std::vector<std::string> ceres_solvers;
#ifdef CURVATURE_WITH_CERES
      if (with_ceres) {
        ceres_solvers = args.ceres_linear_solvers.empty() ? bench::ceres_ba_linear_solvers(scene.num_cameras)
                                                          : args.ceres_linear_solvers;
      }
#endif
      for (const std::string& linear_solver : linear_solvers) {
        report(bench::run_curvature_ba(scene, named.name, linear_solver, options));
#ifdef CURVATURE_WITH_CERES
        auto counterpart = std::find(ceres_solvers.begin(), ceres_solvers.end(), linear_solver);
        if (counterpart != ceres_solvers.end()) {
          report(bench::run_ceres_ba(scene, named.name, linear_solver, options));
          ceres_solvers.erase(counterpart);
        }
#endif
      }
#ifdef CURVATURE_WITH_CERES
      for (const std::string& linear_solver : ceres_solvers) {
        report(bench::run_ceres_ba(scene, named.name, linear_solver, options));
      }
#endif
    }
  }
}

struct SolveArgs {
  std::string file;
  std::string size;
  std::uint64_t seed = 1;
  std::string out_path;
  std::string linear_solver = "auto";  // a Schur solver on bundle adjustment scenes
  int threads = 1;
  int max_iterations = 100;
  std::string loss = "none";
  double loss_scale = 1.0;
  std::string observation_order = "given";
  std::string json_path;
  bool allow_unsolved = false;
  IterationLineOptions lines;
};

// curv solve ba: one scene, the full report, optionally the solved scene
// written as a BAL file. Succeeds when the solve converged.
int solve_ba(const SolveArgs& args) {
  if (args.file.empty() == args.size.empty()) throw Error("curv solve ba: give a BAL file or --generate SIZE (one)");
  const BaRunOptions run = run_options(args.max_iterations, args.loss, args.loss_scale);
  SolverOptions options;
  options.linear_solver = parse_option("--linear-solver", [&] { return parse_linear_solver(args.linear_solver); });
  options.num_threads = args.threads;
  options.max_iterations = run.max_iterations;
  options.function_tolerance = run.function_tolerance;
  options.gradient_tolerance = run.gradient_tolerance;
  options.parameter_tolerance = run.parameter_tolerance;
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();
  if (!args.out_path.empty()) {
    // Refuse a path that cannot be written before the solve, not after it,
    // and leave no empty file behind.
    const bool existed = std::filesystem::exists(args.out_path);
    std::FILE* probe = std::fopen(args.out_path.c_str(), "a");
    if (!probe) throw Error("--out: cannot write '" + args.out_path + "'");
    std::fclose(probe);
    if (!existed) std::filesystem::remove(args.out_path);
  }
  std::vector<NamedScene> scenes =
      load_scenes(args.file.empty() ? std::vector<std::string>{} : std::vector<std::string>{args.file},
                  args.size.empty() ? std::vector<std::string>{} : std::vector<std::string>{args.size}, args.seed,
                  args.observation_order);
  NamedScene& named = scenes.front();
  Problem problem;
  add_bal_residuals(&named.scene, &problem, run.problem);
  IterationPrinter printer(stderr, args.lines.every(false), true);
  options.callback = printer.callback();
  const Summary summary = solve(options, &problem);
  printer.finish(summary);
  std::fprintf(out, "%s: %d cameras, %d points, %d observations, loss %s\n", named.name.c_str(),
               named.scene.num_cameras, named.scene.num_points, named.scene.num_observations(),
               to_string(run.problem.loss));
  std::fprintf(out, "%s", summary.full_report().c_str());
  std::fprintf(out, "  %s\n", summary.converged() ? "converged" : "NOT converged");
  if (!args.out_path.empty()) {
    write_bal(named.scene, args.out_path);
    std::fprintf(out, "  solved scene written to %s\n", args.out_path.c_str());
  }
  json.write(JsonLine()
                 .text("suite", "ba")
                 .text("problem", named.name)
                 .integer("cameras", named.scene.num_cameras)
                 .integer("points", named.scene.num_points)
                 .integer("observations", named.scene.num_observations())
                 .integer("threads", args.threads)
                 .text("solver", "curvature-lm")
                 .text("linear_solver", summary.linear_solver)
                 .number("initial_cost", summary.initial_cost)
                 .number("final_cost", summary.final_cost)
                 .integer("iterations", summary.iterations)
                 .number("time_s", summary.total_time_s)
                 .text("status", to_string(summary.termination))
                 .boolean("converged", summary.converged()));
  return solve_exit_status(summary.converged(), args.allow_unsolved);
}

std::string size_help() {
  std::string text;
  for (const BalSceneSize& size : kBalSceneSizes) text += std::string("\n  ") + size.name + ": " + size.description;
  return text;
}

void add_common_options(CLI::App* command, int* max_iterations, std::string* loss, double* loss_scale,
                        std::uint64_t* seed, std::string* observation_order) {
  command->add_option("--max-iterations", *max_iterations, "Stop after this many iterations")
      ->check(whole_number(0, 1000000));
  command->add_option("--loss", *loss, "Robust loss: none, huber or cauchy")
      ->check(CLI::IsMember({"none", "huber", "cauchy"}));
  command->add_option("--loss-scale", *loss_scale, "The loss's scale in pixels")->check(positive());
  command->add_option("--seed", *seed, "Seed of the generated scenes");
  command
      ->add_option("--observation-order", *observation_order,
                   "Order of the observations, and so of the residual blocks: given (the file's, or the "
                   "generator's, grouped by point), point (sorted by point, then camera) or camera (sorted by "
                   "camera, then point: residuals added image by image); written so by --out")
      ->check(CLI::IsMember({"given", "point", "camera"}))
      ->capture_default_str();
}

}  // namespace

void register_ba_commands(CLI::App& bench, CLI::App& solve_command, int* exit_status) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* ba = bench.add_subcommand(
      "ba", "Bundle adjustment of BAL files or generated BAL-like scenes (default: --generate ladybug-49)");
  ba->add_option("files", args->files, "BAL files (text, as the BAL data sets)")->check(CLI::ExistingFile);
  ba->add_option("--generate", args->sizes, "Generated scenes of these sizes (repeatable):" + size_help())
      ->type_name("SIZE");
  ba->add_option("--threads", args->threads, "Thread counts to run with (repeatable, e.g. --threads 1 2)")
      ->check(whole_number(1, 1024))
      ->expected(1, -1);
  ba->add_option("--linear-solver", args->linear_solvers,
                 "curvature's linear solvers to run (repeatable; see curv list); default dense-schur (up to 100 "
                 "cameras), sparse-schur, sparse-normal-cholesky, cgnr")
      ->expected(1, -1);
#ifdef CURVATURE_WITH_CERES
  ba->add_option("--ceres-linear-solver", args->ceres_linear_solvers,
                 "Ceres's linear solvers with --vs ceres (repeatable): sparse-schur, iterative-schur (with "
                 "SCHUR_JACOBI), dense-schur, sparse-normal-cholesky; default all of them, dense-schur up to 100 "
                 "cameras")
      ->check(CLI::IsMember({"sparse-schur", "iterative-schur", "dense-schur", "sparse-normal-cholesky"}))
      ->expected(1, -1);
#endif
  ba->add_option("--vs", args->versus, "Compare with another library: ceres");
  ba->add_option("--json", args->json_path,
                 "Write one JSON line per (problem, threads, solver, linear solver) to FILE ('-': standard output, "
                 "and the table to standard error)")
      ->type_name("FILE");
  add_common_options(ba, &args->max_iterations, &args->loss, &args->loss_scale, &args->seed, &args->observation_order);
  ba->callback([args] { bench_ba(*args); });

  auto solve_args = std::make_shared<SolveArgs>();
  CLI::App* solve_ba_command = solve_command.add_subcommand("ba", "Solve one bundle adjustment scene");
  solve_ba_command->add_option("file", solve_args->file, "A BAL file")->check(CLI::ExistingFile);
  solve_ba_command->add_option("--generate", solve_args->size, "A generated scene of this size instead:" + size_help())
      ->type_name("SIZE");
  solve_ba_command->add_option("--out", solve_args->out_path, "Write the solved scene to FILE in the BAL format")
      ->type_name("FILE");
  solve_ba_command
      ->add_option("--linear-solver", solve_args->linear_solver,
                   "curvature's linear solver (see curv list); auto takes a Schur solver when eliminating the "
                   "points leaves at most a tenth of the coordinates (dense-schur up to 1,000 camera "
                   "coordinates, sparse-schur beyond), else a normal-equation one")
      ->capture_default_str();
  solve_ba_command->add_option("--threads", solve_args->threads, "Threads")->check(whole_number(1, 1024));
  solve_ba_command
      ->add_option("--json", solve_args->json_path,
                   "Write the result as one JSON line to FILE ('-': standard output, and the report to standard "
                   "error)")
      ->type_name("FILE");
  solve_ba_command->add_flag("--allow-unsolved", solve_args->allow_unsolved,
                             "Exit with status 0 even when the solve did not converge");
  add_common_options(solve_ba_command, &solve_args->max_iterations, &solve_args->loss, &solve_args->loss_scale,
                     &solve_args->seed, &solve_args->observation_order);
  add_iteration_line_options(solve_ba_command, &solve_args->lines, false);
  solve_ba_command->callback([solve_args, exit_status] { *exit_status = solve_ba(*solve_args); });
}

}  // namespace curvature::tools
