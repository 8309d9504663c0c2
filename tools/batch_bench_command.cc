// curv bench batch: many small fits of one model (batch_models.h) with
// batch_solve(), side by side with Ceres's TinySolver looped over the fits and
// with one ceres::Problem per fit, on the same data, starts and thread count.
// Reports fits per second (median over --repeats runs), the fraction that
// converged, and the accuracy against the generating values.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "batch_models.h"
#include "cli_checks.h"
#include "commands.h"
#include "curvature/batch_lanes.h"
#include "curvature/error.h"
#include "json_output.h"
#include "nist_run.h"  // median
#ifdef CURVATURE_WITH_CERES
#include "ceres_batch.h"
#endif

namespace curvature::tools {
namespace {

using bench::BatchCase;
using bench::BatchRun;

struct BatchBenchArgs {
  std::vector<std::string> models{"gauss2d", "gauss2d-5x5", "biexp", "misra1a"};
  int fits = 10000;
  std::vector<int> threads{1};
  int repeats = 3;
  unsigned long long seed = 0;
  std::string vs;
  std::string json_path;
  bool poisson = false;          // also the Poisson likelihood (curvature-poisson)
  bool standard_errors = false;  // curvature's runs compute standard errors
};

// Per parameter, the median over converged fits of |estimate - truth|
// (robust to the odd fit that wandered off; those count against the
// converged fraction instead).
std::vector<double> median_errors(const BatchCase& batch, const BatchRun& run) {
  std::vector<double> medians;
  for (int j = 0; j < batch.num_parameters; ++j) {
    std::vector<double> errors;
    for (int k = 0; k < batch.num_fits; ++k) {
      if (!run.converged[k]) continue;
      const std::size_t i = std::size_t(k) * batch.num_parameters + j;
      errors.push_back(std::abs(run.estimates[i] - batch.truth[i]));
    }
    medians.push_back(errors.empty() ? NAN : bench::median(errors));
  }
  return medians;
}

// Per parameter, the fraction of converged fits whose estimate lies within
// one standard error of the generating value (about 68% when the errors are
// right); empty without standard errors.
std::vector<double> within_one_standard_error(const BatchCase& batch, const BatchRun& run) {
  std::vector<double> fractions;
  if (run.standard_errors.empty()) return fractions;
  for (int j = 0; j < batch.num_parameters; ++j) {
    int inside = 0, counted = 0;
    for (int k = 0; k < batch.num_fits; ++k) {
      if (!run.converged[k]) continue;
      const std::size_t i = std::size_t(k) * batch.num_parameters + j;
      ++counted;
      inside += std::abs(run.estimates[i] - batch.truth[i]) <= run.standard_errors[i] ? 1 : 0;
    }
    fractions.push_back(counted == 0 ? NAN : double(inside) / counted);
  }
  return fractions;
}

double converged_fraction(const BatchRun& run) {
  const long count = std::count(run.converged.begin(), run.converged.end(), 1);
  return run.converged.empty() ? 0.0 : double(count) / double(run.converged.size());
}

// Steps tried per fit (accepted or not), the mean over all fits.
double mean_steps(const BatchRun& run) {
  double sum = 0.0;
  for (const int steps : run.iterations) sum += steps;
  return run.iterations.empty() ? 0.0 : sum / double(run.iterations.size());
}

// The solver's run `repeats` times: the last run's results, the median time.
template <typename Solve>
BatchRun repeated(int repeats, Solve&& solve) {
  std::vector<double> times;
  BatchRun run;
  for (int r = 0; r < repeats; ++r) {
    run = solve();
    times.push_back(run.seconds);
  }
  run.seconds = bench::median(times);
  return run;
}

void bench_batch(const BatchBenchArgs& args) {
  const bool with_ceres = args.vs == "ceres";
#ifndef CURVATURE_WITH_CERES
  if (with_ceres)
    throw Error("--vs ceres: this curv was built without Ceres Solver (install libceres-dev and rebuild)");
#endif
  for (const std::string& model : args.models) {
    const auto& names = bench::batch_model_names();
    if (std::find(names.begin(), names.end(), model) == names.end()) {
      throw Error("--models: unknown model '" + model + "' (known: gauss2d, gauss2d-5x5, biexp, misra1a)");
    }
  }
  JsonOutput json(args.json_path);
  std::FILE* out = json.report();
  std::fprintf(out, "Batched fits: %d fits per model, seed %llu; fits/s from the median of %d runs; error = median\n",
               args.fits, args.seed, args.repeats);
  std::fprintf(out, "over converged fits of |estimate - generating value|, per parameter.\n");
  for (const std::string& model : args.models) {
    const BatchCase batch = bench::make_batch_case(model, args.fits, args.seed);
    std::fprintf(out, "\n%s: %d parameters, %d points per fit\n", model.c_str(), batch.num_parameters,
                 batch.points_per_fit);
    // What batch_solve() reads and writes per fit, and what it allocates.
    const int n = batch.num_parameters, m = batch.points_per_fit;
    std::fprintf(out,
                 "memory per fit: %d bytes of observations and %d of parameters (the caller's), %d of results%s; "
                 "%d bytes per thread\n",
                 8 * m, 8 * n, 16 + (args.standard_errors ? 8 * n : 0),
                 args.standard_errors ? " with standard errors" : "", 8 * lanes::kLanes * m);
    std::fprintf(out, "%-15s %7s %12s %9s %9s %6s   error:", "solver", "threads", "fits/s", "converged", "vs tiny",
                 "steps");
    for (const std::string& name : batch.parameter_names) std::fprintf(out, " %10s", name.c_str());
    std::fprintf(out, "\n");
    for (const int threads : args.threads) {
      std::vector<BatchRun> runs;
      runs.push_back(repeated(args.repeats,
                              [&] { return bench::run_curvature_batch(batch, threads, false, args.standard_errors); }));
      if (args.poisson) {
        runs.push_back(repeated(
            args.repeats, [&] { return bench::run_curvature_batch(batch, threads, true, args.standard_errors); }));
      }
#ifdef CURVATURE_WITH_CERES
      if (with_ceres) {
        runs.push_back(repeated(args.repeats, [&] { return bench::run_ceres_tiny(batch, threads); }));
        runs.push_back(repeated(args.repeats, [&] { return bench::run_ceres_problem(batch, threads); }));
      }
#endif
      double tiny_seconds = NAN;
      for (const BatchRun& run : runs) {
        if (run.solver == "ceres-tiny") tiny_seconds = run.seconds;
      }
      for (const BatchRun& run : runs) {
        const double fits_per_second = args.fits / run.seconds;
        const double fraction = converged_fraction(run);
        const std::vector<double> errors = median_errors(batch, run);
        std::fprintf(out, "%-15s %7d %12.0f %8.1f%% ", run.solver.c_str(), threads, fits_per_second, 100.0 * fraction);
        if (std::isfinite(tiny_seconds)) {
          std::fprintf(out, "%8.2fx", tiny_seconds / run.seconds);
        } else {
          std::fprintf(out, "%9s", "-");
        }
        std::fprintf(out, " %6.2f         ", mean_steps(run));
        for (const double e : errors) std::fprintf(out, " %10.3g", e);
        std::fprintf(out, "\n");
        const std::vector<double> coverage = within_one_standard_error(batch, run);
        if (!coverage.empty()) {
          std::fprintf(out, "%-15s %7s %12s %9s %9s %6s  within 1 s.e.:", "", "", "", "", "", "");
          for (const double c : coverage) std::fprintf(out, " %9.1f%%", 100.0 * c);
          std::fprintf(out, "\n");
        }
        std::fflush(out);
        json.write(JsonLine()
                       .text("suite", "batch")
                       .text("model", model)
                       .integer("fits", args.fits)
                       .text("solver", run.solver)
                       .integer("threads", threads)
                       .number("fits_per_second", fits_per_second)
                       .number("converged_fraction", fraction)
                       .number("mean_steps", mean_steps(run))
                       .number("seconds", run.seconds)
                       .integer("repeats", args.repeats)
                       .numbers("median_abs_error", errors)
                       .numbers("within_one_standard_error", coverage));
      }
    }
  }
}

}  // namespace

void register_batch_bench_command(CLI::App& bench) {
  auto args = std::make_shared<BatchBenchArgs>();
  CLI::App* batch = bench.add_subcommand(
      "batch",
      "Many small fits at once: 2-D Gaussian spots (11x11, 5x5), bi-exponential decays, Misra1a (optionally vs "
      "Ceres)");
  batch->add_option("--models", args->models, "Comma-separated models: gauss2d, gauss2d-5x5, biexp, misra1a")
      ->delimiter(',');
  batch->add_option("--fits", args->fits, "Fits per model")->check(whole_number(1, 100000000));
  batch->add_option("--threads", args->threads, "Comma-separated thread counts, each run in turn (e.g. 1,2)")
      ->delimiter(',')
      ->check(whole_number(1, 1024));
  batch->add_option("--repeats", args->repeats, "Runs per solver; the median time is reported")
      ->check(whole_number(1, 1000));
  batch->add_option("--seed", args->seed, "Seed of the synthetic data")->check(whole_number(0, 1000000000000000000));
  batch->add_option("--vs", args->vs, "Compare with another library: ceres (TinySolver and one Problem per fit)")
      ->check(CLI::IsMember({"ceres"}));
  batch->add_flag("--poisson", args->poisson,
                  "Also fit by the Poisson likelihood (curvature-poisson), the estimator for photon counts");
  batch->add_flag("--standard-errors", args->standard_errors,
                  "curvature's runs also compute standard errors; print the fraction of fits within one of the "
                  "generating value");
  batch
      ->add_option("--json", args->json_path,
                   "Write one JSON line per (model, solver, threads) to FILE ('-': standard output, and the table "
                   "to standard error)")
      ->type_name("FILE");
  batch->callback([args] { bench_batch(*args); });
}

}  // namespace curvature::tools
