// curv bench mgh / curv solve mgh: the Moré–Garbow–Hillstrom test set with
// every method of curvature — the least-squares solvers of solve() and the
// general minimizers of minimize() on the least-squares objective — side by
// side with Ceres Solver's Levenberg-Marquardt, L-BFGS and BFGS when it is
// built in. The protocol is the paper's: each problem from x0, 10 x0 and
// 100 x0 (Beale also from (2,-2) and (-3,3)), solved when
// f - f* <= 1e-8 max(1, f*), f = r^T r at the returned point.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "curvature/error.h"
#include "json_line.h"
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

void write_json(std::ofstream& out, const MghRun& run) {
  out << JsonLine()
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
             .text("status", run.status)
             .str();
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

void print_failures(const std::string& solver, const std::vector<MghRun>& runs) {
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
  std::printf("  %-24s %3d: %s\n", solver.c_str(), count, count ? list.c_str() : "-");
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
  for (double scale : args.scales) {
    if (!(scale > 0.0)) throw Error("--scale: the start scale must be positive, not " + to_decimal(scale));
  }
  std::ofstream json;
  if (!args.json_path.empty()) {
    json.open(args.json_path);
    if (!json) throw Error("--json: cannot write '" + args.json_path + "'");
  }
  const std::vector<MghCase> cases = selected_cases(args.problems);

  std::vector<std::string> solvers;
  for (const MghMethod* method : methods) solvers.push_back(std::string("curvature-") + method->name);
#ifdef CURVATURE_WITH_CERES
  if (with_ceres) {
    for (const bench::CeresMghMethod& method : bench::kCeresMghMethods) {
      solvers.push_back(std::string("ceres-") + method.name());
    }
  }
#endif

  std::printf("More-Garbow-Hillstrom: %zu problem-starts x %zu start scales; solved when f - f* <= 1e-8 max(1, f*),\n",
              cases.size(), args.scales.size());
  std::printf("f = r^T r (the paper's convention) at the returned point. Per solver: ok (yes / no / loc: at another\n");
  std::printf("known minimum), iterations, evaluations (passes over the residuals, counted in the cost functions,\n");
  std::printf(
      "with or without derivatives), ms (median of %d solve%s, the call alone, one thread). At most %d iterations.\n\n",
      args.repeats, args.repeats == 1 ? "" : "s", bench::kMghMaxIterations);
  std::printf("%-24s %3s %3s %5s", "problem", "n", "m", "scale");
  for (const std::string& solver : solvers) std::printf(" | %-28s", solver.c_str());
  std::printf("\n%-24s %3s %3s %5s", "", "", "", "");
  for (size_t s = 0; s < solvers.size(); ++s) std::printf(" | %-3s %6s %7s %10s", "ok", "iters", "evals", "ms");
  std::printf("\n");

  std::map<std::string, std::vector<MghRun>> runs;
  for (const MghCase& mgh_case : cases) {
    for (double scale : args.scales) {
      std::printf("%-24s %3d %3d %5g", mgh_case.label().c_str(), mgh_case.problem.n, mgh_case.problem.m, scale);
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
        std::printf(" | %-3s %6d %7d %10.3f", verdict, run.iterations, run.evaluations, run.time_s * 1e3);
        runs[run.solver].push_back(run);
        if (json.is_open()) write_json(json, run);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }

  std::printf("\nSolved, out of %zu problem-starts per start scale:\n", cases.size());
  std::printf("%-24s", "solver");
  for (double scale : args.scales) {
    char label[32];
    std::snprintf(label, sizeof label, scale == 1.0 ? "x0" : "%gx0", scale);
    std::printf(" %7s", label);
  }
  std::printf(" %9s %6s %9s %12s\n", "total", "loc", "with FR", "time s");
  for (const std::string& solver : solvers) {
    const std::vector<MghRun>& list = runs[solver];
    std::printf("%-24s", solver.c_str());
    for (double scale : args.scales) {
      int count = 0;
      for (const MghRun& run : list) count += run.scale == scale && run.solved;
      std::printf(" %7d", count);
    }
    int solved = 0, local = 0, solved_or_freudenstein_roth_local = 0;
    double time = 0.0;
    for (const MghRun& run : list) {
      solved += run.solved;
      local += run.other_minimum >= 0;
      solved_or_freudenstein_roth_local += run.solved || (run.problem == "freudenstein_roth" && run.other_minimum >= 0);
      time += run.time_s;
    }
    std::printf(" %5d/%-3zu %6d %5d/%-3zu %12.3f\n", solved, list.size(), local, solved_or_freudenstein_roth_local,
                list.size(), time);
  }
  std::printf(
      "loc: stopped at another known minimum; with FR: solved, or stopped at Freudenstein-Roth's local\n"
      "minimum f = 48.98 (it traps every solver here, so a stop there is accepted as that minimum).\n");
  std::printf("\nNot solved (problem@scale; * = at another known minimum of mgh.h):\n");
  for (const std::string& solver : solvers) print_failures(solver, runs[solver]);
}

void solve_mgh(const std::string& name, double scale, int start, const std::string& method_name, bool verbose) {
  const MghMethod& method = bench::find_mgh_method(method_name);
  const MghProblem mgh = mgh_problem_by_name(name);
  const std::vector<MghCase> cases = bench::mgh_cases(mgh);
  if (start < 0 || start >= static_cast<int>(cases.size())) {
    throw Error("--start: " + mgh.name + " has " + std::to_string(cases.size()) + " start(s): 0 (x0)" +
                (cases.size() > 1 ? " to " + std::to_string(cases.size() - 1) : ""));
  }
  if (!(scale > 0.0)) throw Error("--scale: the start scale must be positive");
  const MghCase& mgh_case = cases[start];
  const bench::MghSolve solved = bench::solve_mgh_case(mgh_case, scale, method, verbose);
  const std::vector<double>& x = solved.x;
  std::printf("%s", solved.summary.full_report().c_str());
  std::printf("\n  problem %d, %s (%s): n = %d, m = %d, start %g * %s\n", mgh.number, mgh.title.c_str(),
              mgh.name.c_str(), mgh.n, mgh.m, scale, mgh_case.start_label.c_str());
  const double f = mgh_f(mgh, x.data());
  std::printf("  f  = r^T r = %.16e   (paper convention; the cost above is f / 2)\n", f);
  std::printf("  f* =         %.16e   f - f* = %.3e   %s\n", mgh.f_star, f - mgh.f_star,
              mgh_reached_minimum(mgh, f) ? "solved (f - f* <= 1e-8 max(1, f*))" : "NOT solved");
  for (const MghMinimum& other : mgh.other_minima) {
    std::printf("  other known minimum f = %.10e  (%s)\n", other.f, other.note.c_str());
  }
  std::printf("\n  %-4s %24s %24s\n", "", "x", mgh.x_star.empty() ? "" : "x* (a known minimizer)");
  for (int i = 0; i < mgh.n; ++i) {
    if (mgh.x_star.empty()) {
      std::printf("  x%-3d %24.15e\n", i + 1, x[i]);
    } else {
      std::printf("  x%-3d %24.15e %24.15e\n", i + 1, x[i], mgh.x_star[i]);
    }
  }
  if (!mgh.tolerance_note.empty()) std::printf("\n  %s\n", mgh.tolerance_note.c_str());
}

}  // namespace

void register_mgh_commands(CLI::App& bench, CLI::App& solve_command) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* mgh = bench.add_subcommand(
      "mgh", "The 35 More-Garbow-Hillstrom problems (and Beale from 2 more starts) from x0, 10 x0, 100 x0");
  mgh->add_option("--method", args->methods, "Methods to run (repeatable; default all): " + bench::mgh_method_names())
      ->expected(1, -1);
  mgh->add_option("--scale", args->scales, "Start scales (repeatable; default 1 10 100)")->expected(1, -1);
  mgh->add_option("--vs", args->versus, "Compare with another library: ceres (its lm, lbfgs and bfgs)");
  mgh->add_option("--json", args->json_path,
                  "Write one JSON object per (problem, start, scale, solver) to this file; f and f_star are r^T r, "
                  "final_cost is the solver's 1/2 r^T r");
  mgh->add_option("--problem", args->problems, "Only these problems, by name (repeatable; see curv solve mgh)");
  mgh->add_option("--repeats", args->repeats, "Solves per case; the median time is reported")->check(in_range(1, 1000));
  mgh->footer(method_table());
  mgh->callback([args] { bench_mgh(*args); });

  auto name = std::make_shared<std::string>();
  auto method = std::make_shared<std::string>("lm");
  auto scale = std::make_shared<double>(1.0);
  auto start = std::make_shared<int>(0);
  auto verbose = std::make_shared<bool>(false);
  CLI::App* solve_mgh_command = solve_command.add_subcommand("mgh", "Solve one More-Garbow-Hillstrom problem");
  solve_mgh_command->add_option("problem", *name, "Problem name (rosenbrock, box_3d, ...)")->required();
  solve_mgh_command->add_option("--method", *method, "One of " + bench::mgh_method_names());
  solve_mgh_command->add_option("--scale", *scale, "Start from scale * x0 (the paper uses 1, 10, 100)");
  solve_mgh_command->add_option("--start", *start, "0: the paper's x0; k: the k-th extra start (Beale has 2)");
  solve_mgh_command->add_flag("--verbose", *verbose, "One line per iteration on stderr");
  solve_mgh_command->footer(method_table());
  solve_mgh_command->callback([=] { solve_mgh(*name, *scale, *start, *method, *verbose); });
}

}  // namespace curvature::tools
