// curv bench nist / curv solve nist: the NIST StRD suite with curvature's
// least-squares methods, side by side with Ceres Solver when it is built in.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "curvature/covariance.h"
#include "curvature/solve.h"
#include "exit_status.h"
#include "iteration_lines.h"
#include "json_output.h"
#include "nist.h"
#include "nist_problem.h"
#include "nist_run.h"
#include "registry_names.h"
#ifdef CURVATURE_WITH_CERES
#include "ceres_nist.h"
#endif

namespace curvature::tools {
namespace {

using bench::NistCovarianceRun;
using bench::NistRun;

// A least-squares method by its name or short name (kMethods); an unknown
// one is an Error listing the names.
Method method_by_name(const std::string& name) {
  return parse_option("--method", [&] { return parse_method(name); });
}

const std::map<std::string, Damping> kDampings = {{"marquardt", Damping::kMarquardt},
                                                  {"levenberg", Damping::kLevenberg}};

SolverOptions nist_options(Method method, const std::string& damping) {
  if (!kDampings.count(damping))
    throw Error("--damping: unknown damping '" + damping + "' (known: marquardt, levenberg)");
  SolverOptions options;
  options.method = method;
  options.damping = kDampings.at(damping);
  options.max_iterations = 10000;  // as the Ceres side
  return options;
}

NistRun run_curvature(const NistProblem& nist, int start, const std::string& method_name, const std::string& damping,
                      int repeats) {
  std::vector<double> b(nist.num_parameters);
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  const Method method = method_by_name(method_name);
  const SolverOptions options = nist_options(method, damping);
  NistRun run;
  run.problem = nist.name;
  run.start = start;
  run.solver = std::string("curvature-") + info(method).short_name;
  std::vector<double> times, cpu_times;
  Summary summary;
  for (int r = 0; r < repeats; ++r) {
    b = start == 1 ? nist.start1 : nist.start2;
    const double cpu_begin = bench::thread_cpu_seconds();
    const auto begin = std::chrono::steady_clock::now();
    summary = solve(options, &problem);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
    cpu_times.push_back(bench::thread_cpu_seconds() - cpu_begin);
  }
  run.time_s = bench::median(times);
  run.cpu_s = bench::median(cpu_times);
  run.iterations = summary.iterations;
  run.final_cost = summary.final_cost;
  run.status = to_string(summary.termination);
  run.solution = b;
  run.lre = min_log_relative_error(b, nist.certified);
  return run;
}

void write_json(JsonOutput& out, const NistRun& run) {
  out.write(JsonLine()
                .text("suite", "nist")
                .text("problem", run.problem)
                .integer("start", run.start)
                .text("solver", run.solver)
                .number("lre", run.lre)
                .integer("iterations", run.iterations)
                .number("final_cost", run.final_cost)
                .number("time_s", run.time_s)
                .number("cpu_s", run.cpu_s)
                .text("status", run.status)
                .boolean("solved", bench::solved(run)));
}

// The covariance of `b` (the problem's one parameter block) at the point it
// holds, scaled by s^2 = RSS / (n - p) as NIST's certified one is: from the
// computed RSS, or, when `certified_rss` is given (the certified point),
// unscaled, for the caller to scale by NIST's certified RSS.
CovarianceResult nist_covariance(const Problem& problem, const double* b, CovarianceAlgorithm algorithm,
                                 bool certified_rss) {
  CovarianceOptions options;
  options.algorithm = algorithm;
  options.scale_by_residual_variance = !certified_rss;
  return compute_covariance(problem, b, options);
}

// curvature's covariance, dense and sparse, at the solution `method` reaches
// from `start`, or at NIST's certified values for start 0.
std::vector<NistCovarianceRun> run_curvature_covariance(const NistProblem& nist, int start, Method method,
                                                        const std::string& damping) {
  std::vector<double> b = start == 0 ? nist.certified : start == 1 ? nist.start1 : nist.start2;
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  if (start != 0) solve(nist_options(method, damping), &problem);
  std::vector<NistCovarianceRun> runs;
  for (const auto& [algorithm, name] : {std::pair{CovarianceAlgorithm::kDenseSvd, "curvature-dense-svd"},
                                        std::pair{CovarianceAlgorithm::kSparseQr, "curvature-sparse-qr"}}) {
    const CovarianceResult covariance = nist_covariance(problem, b.data(), algorithm, start == 0);
    NistCovarianceRun run;
    run.solver = name;
    run.computed = covariance.ok();
    run.reciprocal_condition_number = covariance.reciprocal_condition_number();
    if (run.computed) {
      Eigen::VectorXd std_devs = covariance.standard_errors(b.data());
      // At the certified values the consistent scale is NIST's certified
      // residual variance: the printed certified parameters reproduce the
      // certified RSS only to the digits they are printed with (Lanczos1:
      // 3.98e-21 against 1.4e-25), and s^2 from that would score the
      // rounding of the printed parameters rather than the covariance.
      if (start == 0) {
        std_devs *= std::sqrt(nist.certified_residual_sum_of_squares / (nist.num_observations - nist.num_parameters));
      }
      run.std_devs.assign(std_devs.data(), std_devs.data() + std_devs.size());
      run.stddev_lre_min = min_log_relative_error(run.std_devs, nist.certified_std_dev);
      run.status = "ok";
    } else {
      run.stddev_lre_min = std::numeric_limits<double>::quiet_NaN();
      run.status = covariance.message();
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

// curv bench nist --covariance: the standard deviations against NIST's
// certified ones, for every problem, dense and sparse, next to Ceres's
// Covariance when asked. Each library at its own solution from each start,
// or (at_certified) both at NIST's certified values, which scores the
// covariance computation alone.
//
// Lanczos1 stays near 2 to 4 digits at a computed solution, whatever
// computes it: its certified RSS is 1.4e-25, residuals of 8e-14 on
// responses near 1, which double precision resolves to only a few digits,
// and s^2 scales every standard deviation alike (all six parameters show the
// same LRE). With the certified RSS in place of the computed one the same
// covariance reaches 9.2 and 10.3 digits from the two starts. At the
// certified values both libraries scale by NIST's certified RSS, the
// residual variance NIST's certified standard deviations were computed with.
void bench_nist_covariance(const std::vector<std::string>& names, Method method, const std::string& damping,
                           bool with_ceres, bool at_certified, JsonOutput& json) {
  std::FILE* out = json.report();
  const std::string at_solution =
      std::string("at each library's own solution from each start (curvature: ") + info(method).short_name + ")";
  std::fprintf(out, "NIST StRD standard deviations %s, scaled by\n",
               at_certified ? "at NIST's certified parameter values" : at_solution.c_str());
  std::fprintf(out,
               "s^2 = RSS / (n - p) (at the certified values: NIST's certified RSS): LRE = correct significant\n"
               "digits against the certified values (min over parameters, max 11); '-' = refused as\n"
               "rank-deficient.\n\n");
  std::fprintf(out, "%-10s %9s", "problem", "point");
  std::vector<std::string> solvers{"curvature-dense-svd", "curvature-sparse-qr"};
  if (with_ceres) {
    solvers.push_back("ceres-dense-svd");
    solvers.push_back("ceres-sparse-qr");
  }
  for (const std::string& solver : solvers) std::fprintf(out, " %20s", solver.c_str());
  std::fprintf(out, "\n");
  std::map<std::string, std::vector<double>> lres;
  std::map<std::string, int> refused;
  const std::vector<int> starts = at_certified ? std::vector<int>{0} : std::vector<int>{1, 2};
  for (const std::string& name : names) {
    const NistProblem nist = load_nist_problem_by_name(name);
    for (int start : starts) {
      const std::string point = start == 0 ? "certified" : "start " + std::to_string(start);
      std::vector<NistCovarianceRun> row = run_curvature_covariance(nist, start, method, damping);
#ifdef CURVATURE_WITH_CERES
      if (with_ceres) {
        for (NistCovarianceRun& run : bench::run_ceres_nist_covariance(nist, start)) row.push_back(std::move(run));
      }
#endif
      std::fprintf(out, "%-10s %9s", name.c_str(), point.c_str());
      for (const NistCovarianceRun& run : row) {
        if (run.computed) {
          std::fprintf(out, " %20.2f", run.stddev_lre_min);
          lres[run.solver].push_back(run.stddev_lre_min);
        } else {
          std::fprintf(out, " %20s", "-");
          ++refused[run.solver];
        }
        json.write(JsonLine()
                       .text("suite", "nist-covariance")
                       .text("problem", name)
                       .integer("start", start)
                       .text("point", point)
                       .text("solver", run.solver)
                       .boolean("computed", run.computed)
                       .number("stddev_lre_min", run.stddev_lre_min)
                       .number("reciprocal_condition_number", run.reciprocal_condition_number)
                       .numbers("std_devs", run.std_devs)
                       .numbers("certified_std_devs", nist.certified_std_dev)
                       .text("status", run.status));
      }
      std::fprintf(out, "\n");
      std::fflush(out);
    }
  }
  const size_t cases = starts.size() * names.size();
  std::fprintf(out, "\n%-20s %9s %8s %11s %8s\n", "solver", "LRE >= 9", "refused", "median LRE", "min LRE");
  for (const std::string& solver : solvers) {
    const std::vector<double>& list = lres[solver];
    const long good = std::count_if(list.begin(), list.end(), [](double lre) { return lre >= 9.0; });
    const double lowest = list.empty() ? std::nan("") : *std::min_element(list.begin(), list.end());
    std::fprintf(out, "%-20s %5ld/%-3zu %8d %11.2f %8.2f\n", solver.c_str(), good, cases, refused[solver],
                 bench::median(list), lowest);
  }
}

struct BenchArgs {
  std::vector<std::string> methods{"lm"};
  bool covariance = false;
  bool at_certified = false;
  std::string versus;
  std::string json_path;
  std::vector<std::string> problems;
  std::string damping = "marquardt";
  int repeats = 5;
};

void bench_nist(const BenchArgs& args) {
  const bool with_ceres = args.versus == "ceres";
#ifndef CURVATURE_WITH_CERES
  if (with_ceres)
    throw Error("--vs ceres: this curv was built without Ceres Solver (install libceres-dev and rebuild)");
#endif
  if (!args.versus.empty() && !with_ceres) throw Error("--vs: unknown comparison '" + args.versus + "' (known: ceres)");
  for (const std::string& method : args.methods) method_by_name(method);
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();
  const std::vector<std::string> names = args.problems.empty() ? nist_problem_names() : args.problems;
  if (args.covariance) {
    if (args.methods.size() != 1) throw Error("--covariance: give one --method (the solves the covariance follows)");
    bench_nist_covariance(names, method_by_name(args.methods.front()), args.damping, with_ceres, args.at_certified,
                          json);
    return;
  }

  std::vector<std::string> solvers;
  for (const std::string& method : args.methods) {
    solvers.push_back(std::string("curvature-") + info(method_by_name(method)).short_name);
  }
  if (with_ceres) solvers.push_back("ceres-lm");

  std::fprintf(out,
               "NIST StRD nonlinear regression: LRE = correct significant digits (min over parameters, max 11);\n");
  std::fprintf(out, "time = median of %d solves, the solve call alone, one thread (wall; CPU time in the totals).\n\n",
               args.repeats);
  std::fprintf(out, "%-10s %5s", "problem", "start");
  for (const std::string& solver : solvers)
    std::fprintf(out, " | %-16s %5s %6s %9s", solver.c_str(), "LRE", "iters", "ms");
  if (with_ceres) std::fprintf(out, " | %7s", "ceres/c");
  std::fprintf(out, "\n");

  std::map<std::string, std::vector<NistRun>> runs;
  for (const std::string& name : names) {
    const NistProblem nist = load_nist_problem_by_name(name);
    for (int start : {1, 2}) {
      std::fprintf(out, "%-10s %5d", name.c_str(), start);
      std::vector<NistRun> row;
      for (const std::string& method : args.methods)
        row.push_back(run_curvature(nist, start, method, args.damping, args.repeats));
#ifdef CURVATURE_WITH_CERES
      if (with_ceres) row.push_back(bench::run_ceres_nist(nist, start, args.repeats));
#endif
      for (const NistRun& run : row) {
        std::fprintf(out, " | %-16s %5.1f %6d %9.3f", bench::solved(run) ? "" : "  (not solved)", run.lre,
                     run.iterations, run.time_s * 1e3);
        runs[run.solver].push_back(run);
        write_json(json, run);
      }
      if (with_ceres) std::fprintf(out, " | %7.2f", row.back().time_s / row.front().time_s);
      std::fprintf(out, "\n");
      std::fflush(out);
    }
  }

  std::fprintf(out, "\n%-16s %8s %11s %14s %14s\n", "solver", "solved", "median LRE", "total ms", "total CPU ms");
  std::map<std::string, double> totals, cpu_totals;
  for (const std::string& solver : solvers) {
    const std::vector<NistRun>& list = runs[solver];
    int count = 0;
    double total = 0.0, cpu_total = 0.0;
    std::vector<double> lres;
    for (const NistRun& run : list) {
      count += bench::solved(run);
      total += run.time_s;
      cpu_total += run.cpu_s;
      lres.push_back(run.lre);
    }
    totals[solver] = total;
    cpu_totals[solver] = cpu_total;
    std::fprintf(out, "%-16s %4d/%-3zu %11.2f %14.3f %14.3f\n", solver.c_str(), count, list.size(), bench::median(lres),
                 total * 1e3, cpu_total * 1e3);
  }
  if (with_ceres) {
    std::fprintf(out, "\ntotal time ratio ceres-lm / %s: %.2f\n", solvers.front().c_str(),
                 totals["ceres-lm"] / totals[solvers.front()]);
    // The solving thread's CPU time (medians over the repeats, summed): what
    // to compare on a loaded machine (bench::thread_cpu_seconds()).
    std::fprintf(out, "total CPU-time ratio ceres-lm / %s: %.2f\n", solvers.front().c_str(),
                 cpu_totals["ceres-lm"] / cpu_totals[solvers.front()]);
  }
}

struct SolveArgs {
  std::string name;
  std::string method = "lm";
  int start = 1;
  std::string damping = "marquardt";
  int max_iterations = 10000;
  std::string json_path;
  bool allow_unsolved = false;
  IterationLineOptions lines;
};

// curv solve nist: one problem from one start, the full report with the
// estimates and their standard errors next to the certified values, and the
// same as one JSON line.
// Succeeds when the solve converged.
int solve_nist(const SolveArgs& args) {
  const Method method = method_by_name(args.method);
  SolverOptions options = nist_options(method, args.damping);
  options.max_iterations = args.max_iterations;
  const NistProblem nist = load_nist_problem_by_name(args.name);
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();
  std::vector<double> b = args.start == 1 ? nist.start1 : nist.start2;
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  IterationPrinter printer(stderr, args.lines.every(false), true);
  options.callback = printer.callback();
  const Summary summary = solve(options, &problem);
  printer.finish(summary);
  const double certified_cost = 0.5 * nist.certified_residual_sum_of_squares;
  const double lre = min_log_relative_error(b, nist.certified);
  std::fprintf(out, "%s", summary.full_report().c_str());
  std::fprintf(out, "\n  %-4s %24s %24s %6s\n", "", "estimate", "certified", "LRE");
  for (int i = 0; i < nist.num_parameters; ++i) {
    std::fprintf(out, "  b%-3d %24.15e %24.15e %6.2f\n", i + 1, b[i], nist.certified[i],
                 log_relative_error(b[i], nist.certified[i]));
  }
  // Standard errors as NIST certifies them: from the covariance at the
  // solution, scaled by s^2 = RSS / (n - p).
  const CovarianceResult covariance = nist_covariance(problem, b.data(), CovarianceAlgorithm::kDenseSvd, false);
  std::vector<double> standard_errors;
  double stddev_lre = std::numeric_limits<double>::quiet_NaN();
  if (covariance.ok()) {
    const Eigen::VectorXd errors = covariance.standard_errors(b.data());
    standard_errors.assign(errors.data(), errors.data() + errors.size());
    stddev_lre = min_log_relative_error(standard_errors, nist.certified_std_dev);
    std::fprintf(out, "\n  %-4s %24s %24s %6s\n", "", "standard error", "certified", "LRE");
    for (int i = 0; i < nist.num_parameters; ++i) {
      std::fprintf(out, "  b%-3d %24.15e %24.15e %6.2f\n", i + 1, standard_errors[i], nist.certified_std_dev[i],
                   log_relative_error(standard_errors[i], nist.certified_std_dev[i]));
    }
  } else {
    std::fprintf(out, "\n  standard errors not computed: %s\n", covariance.message().c_str());
  }
  std::fprintf(out, "  certified cost %.16e\n", certified_cost);
  std::fprintf(out, "  %s\n", summary.converged() ? "converged" : "NOT converged");
  json.write(JsonLine()
                 .text("suite", "nist")
                 .text("problem", nist.name)
                 .integer("start", args.start)
                 .text("method", summary.method)
                 .text("linear_solver", summary.linear_solver)
                 .text("termination", to_string(summary.termination))
                 .text("message", summary.message)
                 .boolean("converged", summary.converged())
                 .integer("iterations", summary.iterations)
                 .number("initial_cost", summary.initial_cost)
                 .number("final_cost", summary.final_cost)
                 .number("certified_cost", certified_cost)
                 .numbers("parameters", b)
                 .numbers("certified_parameters", nist.certified)
                 .number("lre", lre)
                 .boolean("solved", lre >= 4.0)  // as curv bench nist: 4 correct digits
                 .numbers("standard_errors", standard_errors)
                 .numbers("certified_standard_errors", nist.certified_std_dev)
                 .number("stddev_lre_min", stddev_lre)
                 .text("covariance", covariance.ok() ? "ok" : covariance.message())
                 .number("time_s", summary.total_time_s));
  return solve_exit_status(summary.converged(), args.allow_unsolved);
}

}  // namespace

void register_nist_commands(CLI::App& bench, CLI::App& solve_command, int* exit_status) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* nist = bench.add_subcommand("nist", "The 27 NIST StRD problems from both starting points");
  nist->add_option("--method", args->methods, "Methods to run: " + cli_names<MethodInfo>(kMethods) + " (repeatable)")
      ->expected(1, -1);
  nist->add_option("--vs", args->versus, "Compare with another library: ceres");
  nist->add_flag("--covariance", args->covariance,
                 "Score the standard deviations (dense SVD and sparse QR covariance) at the solution of the one "
                 "--method against NIST's certified ones instead of the estimates");
  nist->add_flag("--at-certified", args->at_certified,
                 "With --covariance: at NIST's certified parameter values (both libraries at the same point) "
                 "instead of at each library's solution from each start");
  nist->add_option("--json", args->json_path,
                   "Write one JSON line per (problem, start, solver) to FILE ('-': standard output, and the table "
                   "to standard error)")
      ->type_name("FILE");
  nist->add_option("--problem", args->problems, "Only these problems (repeatable; default all)")->default_str("");
  nist->add_option("--damping", args->damping, "Levenberg-Marquardt damping: marquardt or levenberg")
      ->check(CLI::IsMember({"marquardt", "levenberg"}));
  nist->add_option("--repeats", args->repeats, "Solves per case; the median time is reported")
      ->check(whole_number(1, 1000));
  nist->callback([args] { bench_nist(*args); });

  auto solve_args = std::make_shared<SolveArgs>();
  CLI::App* solve_nist_command = solve_command.add_subcommand("nist", "Solve one NIST StRD problem");
  solve_nist_command->add_option("problem", solve_args->name, "Problem name (see curv list)")->required();
  solve_nist_command->add_option("--method", solve_args->method, "One of " + cli_names<MethodInfo>(kMethods));
  solve_nist_command->add_option("--start", solve_args->start, "NIST starting point, 1 or 2")
      ->check(whole_number(1, 2));
  solve_nist_command
      ->add_option("--damping", solve_args->damping, "Levenberg-Marquardt damping: marquardt or levenberg")
      ->check(CLI::IsMember({"marquardt", "levenberg"}));
  solve_nist_command->add_option("--max-iterations", solve_args->max_iterations, "Stop after this many iterations")
      ->check(whole_number(0, 1000000000));
  solve_nist_command
      ->add_option("--json", solve_args->json_path,
                   "Write the result as one JSON line to FILE ('-': standard output, and the report to standard "
                   "error)")
      ->type_name("FILE");
  solve_nist_command->add_flag("--allow-unsolved", solve_args->allow_unsolved,
                               "Exit with status 0 even when the solve did not converge");
  add_iteration_line_options(solve_nist_command, &solve_args->lines, false);
  solve_nist_command->callback([solve_args, exit_status] { *exit_status = solve_nist(*solve_args); });
}

}  // namespace curvature::tools
