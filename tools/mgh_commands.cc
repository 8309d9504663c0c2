// curv bench mgh / curv solve mgh: the Moré–Garbow–Hillstrom test set with
// every method of curvature — the least-squares solvers of solve() and the
// general minimizers of minimize() on the least-squares objective — side by
// side with Ceres Solver's Levenberg-Marquardt, L-BFGS and BFGS when it is
// built in. The protocol is the paper's: each problem from x0, 10 x0 and
// 100 x0 (Beale also from (2,-2) and (-3,3)), solved when
// f - f* <= 1e-8 max(1, f*), f = r^T r at the returned point.
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "curvature/error.h"
#include "exit_status.h"
#include "iteration_lines.h"
#include "json_output.h"
#include "mgh.h"
#include "mgh_run.h"
#ifdef CURVATURE_WITH_CERES
#include "ceres_mgh.h"
#endif

namespace curvature::tools {
namespace {

using bench::kMghMethods;
using bench::MghCase;
using bench::MghMethod;
using bench::MghRun;

// One line per method, for the help text.
std::string method_table() {
  std::string table = "Methods (--method):\n";
  for (const MghMethod& method : kMghMethods) {
    char name[64];
    std::snprintf(name, sizeof name, "  %-14s ", method.name);
    table += name + method.description + "\n";
  }
  return table;
}

void write_json(JsonOutput& out, const MghRun& run) {
  out.write(JsonLine()
                .text("suite", "mgh")
                .text("problem", run.problem)
                .text("start", run.start_label)
                .integer("n", run.n)
                .integer("m", run.m)
                .number("start_scale", run.scale)
                .text("solver", run.solver)
                .number("final_cost", run.final_cost)
                .number("f", run.f)
                .number("f_star", run.f_star)
                .boolean("solved", run.solved)
                .boolean("other_minimum", run.other_minimum >= 0)
                .integer("iterations", run.iterations)
                .integer("evaluations", run.evaluations)
                .integer("jacobian_evaluations", run.jacobian_evaluations)
                .integer("second_derivative_evaluations", run.second_derivative_evaluations)
                .number("time_s", run.time_s)
                .text("status", run.status));
}

struct BenchArgs {
  std::vector<std::string> methods;  // empty: all
  std::vector<double> scales{1.0, 10.0, 100.0};
  std::string versus;
  std::string json_path;
  std::vector<std::string> problems;
  int repeats = 3;
};

// The cases to run: every problem (or those named), each from each of its starts.
std::vector<MghCase> selected_cases(const std::vector<std::string>& names) {
  std::vector<MghProblem> problems;
  if (names.empty()) {
    problems = mgh_problems();
  } else {
    for (const std::string& name : names) problems.push_back(mgh_problem_by_name(name));
  }
  std::vector<MghCase> cases;
  for (const MghProblem& problem : problems) {
    for (MghCase& mgh_case : bench::mgh_cases(problem)) cases.push_back(std::move(mgh_case));
  }
  return cases;
}

void print_failures(std::FILE* out, const std::string& solver, const std::vector<MghRun>& runs) {
  std::string list;
  int count = 0;
  for (const MghRun& run : runs) {
    if (run.solved) continue;
    ++count;
    char item[160];
    std::snprintf(item, sizeof item, "%s%s@%g%s", list.empty() ? "" : ", ", run.label.c_str(), run.scale,
                  run.other_minimum >= 0 ? "*" : "");
    list += item;
  }
  std::fprintf(out, "  %-24s %3d: %s\n", solver.c_str(), count, count ? list.c_str() : "-");
}

void bench_mgh(const BenchArgs& args) {
  const bool with_ceres = args.versus == "ceres";
#ifndef CURVATURE_WITH_CERES
  if (with_ceres) {
    throw Error("--vs ceres: this curv was built without Ceres Solver (install libceres-dev and rebuild)");
  }
#endif
  if (!args.versus.empty() && !with_ceres) throw Error("--vs: unknown comparison '" + args.versus + "' (known: ceres)");
  std::vector<const MghMethod*> methods;
  if (args.methods.empty()) {
    for (const MghMethod& method : kMghMethods) methods.push_back(&method);
  } else {
    for (const std::string& name : args.methods) methods.push_back(&bench::find_mgh_method(name));
  }
  const std::vector<MghCase> cases = selected_cases(args.problems);
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();

  std::vector<std::string> solvers;
  for (const MghMethod* method : methods) solvers.push_back(std::string("curvature-") + method->name);
#ifdef CURVATURE_WITH_CERES
  if (with_ceres) {
    for (const bench::CeresMghMethod& method : bench::kCeresMghMethods) {
      solvers.push_back(std::string("ceres-") + method.name());
    }
  }
#endif

  std::fprintf(out,
               "More-Garbow-Hillstrom: %zu problem-starts x %zu start scales; solved when f - f* <= 1e-8 max(1, f*),\n",
               cases.size(), args.scales.size());
  std::fprintf(
      out, "f = r^T r (the paper's convention) at the returned point. Per solver: ok (yes / no / loc: at another\n");
  std::fprintf(out,
               "known minimum), iterations, evaluations (passes over the residuals, counted in the cost functions,\n");
  std::fprintf(
      out,
      "with or without derivatives), ms (median of %d solve%s, the call alone, one thread). At most %d iterations.\n\n",
      args.repeats, args.repeats == 1 ? "" : "s", bench::kMghMaxIterations);
  std::fprintf(out, "%-24s %3s %3s %5s", "problem", "n", "m", "scale");
  for (const std::string& solver : solvers) std::fprintf(out, " | %-28s", solver.c_str());
  std::fprintf(out, "\n%-24s %3s %3s %5s", "", "", "", "");
  for (size_t s = 0; s < solvers.size(); ++s) std::fprintf(out, " | %-3s %6s %7s %10s", "ok", "iters", "evals", "ms");
  std::fprintf(out, "\n");

  std::map<std::string, std::vector<MghRun>> runs;
  for (const MghCase& mgh_case : cases) {
    for (double scale : args.scales) {
      std::fprintf(out, "%-24s %3d %3d %5g", mgh_case.label().c_str(), mgh_case.problem.n, mgh_case.problem.m, scale);
      std::vector<MghRun> row;
      for (const MghMethod* method : methods)
        row.push_back(bench::run_curvature_mgh(mgh_case, scale, *method, args.repeats));
#ifdef CURVATURE_WITH_CERES
      if (with_ceres) {
        for (const bench::CeresMghMethod& method : bench::kCeresMghMethods) {
          row.push_back(bench::run_ceres_mgh(mgh_case, scale, method, args.repeats));
        }
      }
#endif
      for (const MghRun& run : row) {
        const char* verdict = run.solved ? "yes" : run.other_minimum >= 0 ? "loc" : "no";
        std::fprintf(out, " | %-3s %6d %7d %10.3f", verdict, run.iterations, run.evaluations, run.time_s * 1e3);
        runs[run.solver].push_back(run);
        write_json(json, run);
      }
      std::fprintf(out, "\n");
      std::fflush(out);
    }
  }

  std::fprintf(out, "\nSolved, out of %zu problem-starts per start scale:\n", cases.size());
  std::fprintf(out, "%-24s", "solver");
  for (double scale : args.scales) {
    char label[32];
    std::snprintf(label, sizeof label, scale == 1.0 ? "x0" : "%gx0", scale);
    std::fprintf(out, " %7s", label);
  }
  std::fprintf(out, " %9s %6s %9s %12s\n", "total", "loc", "with FR", "time s");
  for (const std::string& solver : solvers) {
    const std::vector<MghRun>& list = runs[solver];
    std::fprintf(out, "%-24s", solver.c_str());
    for (double scale : args.scales) {
      int count = 0;
      for (const MghRun& run : list) count += run.scale == scale && run.solved;
      std::fprintf(out, " %7d", count);
    }
    int solved = 0, local = 0, solved_or_freudenstein_roth_local = 0;
    double time = 0.0;
    for (const MghRun& run : list) {
      solved += run.solved;
      local += run.other_minimum >= 0;
      solved_or_freudenstein_roth_local += run.solved || (run.problem == "freudenstein_roth" && run.other_minimum >= 0);
      time += run.time_s;
    }
    std::fprintf(out, " %5d/%-3zu %6d %5d/%-3zu %12.3f\n", solved, list.size(), local,
                 solved_or_freudenstein_roth_local, list.size(), time);
  }
  std::fprintf(out,
               "loc: stopped at another known minimum; with FR: solved, or stopped at Freudenstein-Roth's local\n"
               "minimum f = 48.98 (it traps every solver here, so a stop there is accepted as that minimum).\n");
  std::fprintf(out, "\nNot solved (problem@scale; * = at another known minimum of mgh.h):\n");
  for (const std::string& solver : solvers) print_failures(out, solver, runs[solver]);
}

struct SolveArgs {
  std::string name;
  std::string method = "lm";
  double scale = 1.0;
  int start = 0;
  std::string json_path;
  bool allow_unsolved = false;
  IterationLineOptions lines;
};

// curv solve mgh: one problem from one start and scale, the full report with
// f = r^T r next to the known minimum, and the same as one JSON line.
// Succeeds when the solve converged (at f* or at another stationary point:
// "solved" in the JSON says which).
int solve_mgh(const SolveArgs& args) {
  const MghMethod& method = bench::find_mgh_method(args.method);
  const MghProblem mgh = mgh_problem_by_name(args.name);
  const std::vector<MghCase> cases = bench::mgh_cases(mgh);
  if (args.start < 0 || args.start >= static_cast<int>(cases.size())) {
    throw Error("--start: " + mgh.name + " has " + std::to_string(cases.size()) + " start(s): 0 (x0)" +
                (cases.size() > 1 ? " to " + std::to_string(cases.size() - 1) : ""));
  }
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();
  const MghCase& mgh_case = cases[args.start];
  IterationPrinter printer(stderr, args.lines.every(false), method.least_squares);
  const bench::MghSolve solved = bench::solve_mgh_case(mgh_case, args.scale, method, printer.callback());
  const Summary& summary = solved.summary;
  printer.finish(summary);
  const std::vector<double>& x = solved.x;
  const double f = mgh_f(mgh, x.data());
  const bool at_minimum = mgh_reached_minimum(mgh, f);
  std::fprintf(out, "%s", summary.full_report().c_str());
  std::fprintf(out, "\n  problem %d, %s (%s): n = %d, m = %d, start %g * %s\n", mgh.number, mgh.title.c_str(),
               mgh.name.c_str(), mgh.n, mgh.m, args.scale, mgh_case.start_label.c_str());
  std::fprintf(out, "  f  = r^T r = %.16e   (paper convention; the cost above is f / 2)\n", f);
  std::fprintf(out, "  f* =         %.16e   f - f* = %.3e   %s\n", mgh.f_star, f - mgh.f_star,
               at_minimum ? "solved (f - f* <= 1e-8 max(1, f*))" : "NOT solved");
  for (const MghMinimum& other : mgh.other_minima) {
    std::fprintf(out, "  other known minimum f = %.10e  (%s)\n", other.f, other.note.c_str());
  }
  std::fprintf(out, "\n  %-4s %24s %24s\n", "", "x", mgh.x_star.empty() ? "" : "x* (a known minimizer)");
  for (int i = 0; i < mgh.n; ++i) {
    if (mgh.x_star.empty()) {
      std::fprintf(out, "  x%-3d %24.15e\n", i + 1, x[i]);
    } else {
      std::fprintf(out, "  x%-3d %24.15e %24.15e\n", i + 1, x[i], mgh.x_star[i]);
    }
  }
  if (!mgh.tolerance_note.empty()) std::fprintf(out, "\n  %s\n", mgh.tolerance_note.c_str());
  std::fprintf(out, "  %s\n", summary.converged() ? "converged" : "NOT converged");
  json.write(JsonLine()
                 .text("suite", "mgh")
                 .text("problem", mgh.name)
                 .text("start", mgh_case.start_label)
                 .number("start_scale", args.scale)
                 .integer("n", mgh.n)
                 .integer("m", mgh.m)
                 .text("method", method.name)
                 .text("termination", to_string(summary.termination))
                 .text("message", summary.message)
                 .boolean("converged", summary.converged())
                 .integer("iterations", summary.iterations)
                 .number("final_cost", summary.final_cost)
                 .number("f", f)
                 .number("f_star", mgh.f_star)
                 .boolean("solved", at_minimum)
                 .numbers("x", x)
                 .number("time_s", summary.total_time_s));
  return solve_exit_status(summary.converged(), args.allow_unsolved);
}

}  // namespace

void register_mgh_commands(CLI::App& bench, CLI::App& solve_command, int* exit_status) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* mgh = bench.add_subcommand(
      "mgh", "The 35 More-Garbow-Hillstrom problems (and Beale from 2 more starts) from x0, 10 x0, 100 x0");
  mgh->add_option("--method", args->methods, "Methods to run (repeatable; default all): " + bench::mgh_method_names())
      ->expected(1, -1)
      ->default_str("");
  mgh->add_option("--scale", args->scales, "Start scales (repeatable)")->expected(1, -1)->check(positive());
  mgh->add_option("--vs", args->versus, "Compare with another library: ceres (its lm, lbfgs and bfgs)");
  mgh->add_option("--json", args->json_path,
                  "Write one JSON line per (problem, start, scale, solver) to FILE ('-': standard output, and the "
                  "table to standard error); f and f_star are r^T r, final_cost is the solver's 1/2 r^T r")
      ->type_name("FILE");
  mgh->add_option("--problem", args->problems, "Only these problems, by name (repeatable; default all)")
      ->default_str("");
  mgh->add_option("--repeats", args->repeats, "Solves per case; the median time is reported")
      ->check(whole_number(1, 1000));
  mgh->footer(method_table() + "\n" + kExitStatusHelp);
  mgh->callback([args] { bench_mgh(*args); });

  auto solve_args = std::make_shared<SolveArgs>();
  CLI::App* solve_mgh_command = solve_command.add_subcommand("mgh", "Solve one More-Garbow-Hillstrom problem");
  solve_mgh_command->add_option("problem", solve_args->name, "Problem name (rosenbrock, box_3d, ...)")->required();
  solve_mgh_command->add_option("--method", solve_args->method, "One of " + bench::mgh_method_names());
  solve_mgh_command->add_option("--scale", solve_args->scale, "Start from scale * x0 (the paper uses 1, 10, 100)")
      ->check(positive());
  solve_mgh_command
      ->add_option("--start", solve_args->start, "0: the paper's x0; k: the k-th extra start (Beale has 2)")
      ->check(whole_number(0, 1000));
  solve_mgh_command
      ->add_option("--json", solve_args->json_path,
                   "Write the result as one JSON line to FILE ('-': standard output, and the report to standard "
                   "error)")
      ->type_name("FILE");
  solve_mgh_command->add_flag("--allow-unsolved", solve_args->allow_unsolved,
                              "Exit with status 0 even when the solve did not converge");
  add_iteration_line_options(solve_mgh_command, &solve_args->lines, false);
  solve_mgh_command->footer(method_table() + "\n" + kExitStatusHelp);
  solve_mgh_command->callback([solve_args, exit_status] { *exit_status = solve_mgh(*solve_args); });
}

}  // namespace curvature::tools
