// curv bench nn: the two neural-network benchmarks of nn_setup.h (R1
// regression, C1 classification), every method from several seeds, reported
// as medians over the seeds: time to reach train-loss targets and the best
// train loss (with the test loss / accuracy there) at fixed times. Also the
// Levenberg-Marquardt time per iteration on R1 next to a lower bound: forming
// J^T J for the 2000 x 1441 Jacobian plus one Cholesky factorization.
#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "dense_normal_bound.h"
#ifdef CURVATURE_WITH_CERES
#include "ceres_nn.h"
#endif
#include "curvature/error.h"
#include "nist_run.h"  // median
#include "nn_setup.h"

namespace curvature::tools {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// R1's Jacobian is kR1Rows x 1441 (the dense normal-equation bound's size).
constexpr int kR1Rows = 2000;

struct NnBenchArgs {
  std::string seeds = "0-4";
  double max_time = 120.0;
  std::vector<std::string> methods{"lm", "gn", "lbfgs", "lbfgs-lm", "adam-lm", "newton-cg"};
  int threads = 2;
  int max_cg_iterations = 50;
  double learning_rate = 0.0;                        // first-order methods; 0: the rule's default
  int warmup_steps = NnTrainOptions{}.warmup_steps;  // adam-lm
  std::vector<std::string> tasks{"r1", "c1"};
  std::string vs;  // "ceres": add Ceres's LM on R1
};

// "0-4", "3", "0,2,5" or "0-2,7".
std::vector<std::uint64_t> parse_seeds(const std::string& text) {
  std::vector<std::uint64_t> seeds;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string field = text.substr(start, comma - start);
    const std::size_t dash = field.find('-');
    try {
      std::size_t used = 0;
      const unsigned long long first = std::stoull(field.substr(0, dash), &used);
      if (used != field.substr(0, dash).size()) throw std::invalid_argument(field);
      unsigned long long last = first;
      if (dash != std::string::npos) {
        last = std::stoull(field.substr(dash + 1), &used);
        if (used != field.size() - dash - 1) throw std::invalid_argument(field);
      }
      if (last < first || last - first > 1000) throw std::invalid_argument(field);
      for (unsigned long long s = first; s <= last; ++s) seeds.push_back(s);
    } catch (const std::exception&) {
      throw Error("--seeds: '" + text + "' is not a list of seeds or ranges such as 0-4 or 0,2,5");
    }
    start = comma + 1;
  }
  return seeds;
}

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

double seconds_since(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

// The first time the train loss is <= target; +infinity if never.
double time_to_reach(const std::vector<NnTrainRecord>& trace, double target) {
  for (const NnTrainRecord& row : trace) {
    if (row.train_loss <= target) return row.time_s;
  }
  return kInfinity;
}

// The row with the lowest train loss among those recorded by time t.
const NnTrainRecord& best_by(const std::vector<NnTrainRecord>& trace, double t) {
  const NnTrainRecord* best = &trace.front();
  for (const NnTrainRecord& row : trace) {
    if (row.time_s <= t && row.train_loss < best->train_loss) best = &row;
  }
  return *best;
}

std::string format_time(double median_s, int reached, int runs) {
  if (!std::isfinite(median_s))
    return reached == 0 ? "-" : "- (" + std::to_string(reached) + "/" + std::to_string(runs) + ")";
  char text[48];
  // Three significant digits below a second: C1's times are tens of ms.
  std::snprintf(text, sizeof text, median_s < 1.0 ? "%.3g" : "%.2f", median_s);
  std::string s = text;
  if (reached < runs) s += " (" + std::to_string(reached) + "/" + std::to_string(runs) + ")";
  return s;
}

// Median with +infinity for "never": the median is finite when more than
// half of the runs got there.
double median_with_never(std::vector<double> values) { return bench::median(std::move(values)); }

struct MethodRuns {
  std::string method;
  std::vector<NnTrainResult> results;
  std::string unavailable;  // why the method cannot run this task
};

void print_task_table(const NnTask& task, const std::vector<MethodRuns>& all, const std::vector<double>& targets,
                      const std::vector<double>& checkpoints, int num_seeds) {
  const bool classification = info(task.loss).classification;
  const char* loss = classification ? "train loss" : "train MSE";
  std::printf("\n%s: %d train / %d test, %d seeds; medians over seeds; times in s (solver time without the recorder)\n",
              task.name.c_str(), task.train.num_samples(), task.test.num_samples(), num_seeds);
  std::printf("%-15s %6s %9s", "method", "iters", "s/iter");
  for (double target : targets) {
    char head[40];
    std::snprintf(head, sizeof head, "t(%s<=%g)", classification ? "loss" : "mse", target);
    std::printf(" %13s", head);
  }
  for (double t : checkpoints) {
    char head[64];
    std::snprintf(head, sizeof head, "@%gs %s / test%s", t, loss, classification ? " / acc" : "");
    std::printf(" | %-*s", classification ? 30 : 24, head);
  }
  std::printf("\n");
  for (const MethodRuns& runs : all) {
    std::printf("%-15s", runs.method.c_str());
    if (!runs.unavailable.empty()) {
      std::printf(" n/a: %s\n", runs.unavailable.c_str());
      continue;
    }
    std::vector<double> iterations, per_iteration;
    for (const NnTrainResult& r : runs.results) {
      iterations.push_back(r.summary.iterations);
      per_iteration.push_back(r.summary.iterations > 0 ? r.trace.back().time_s / r.summary.iterations : kNaN);
    }
    std::printf(" %6.0f %9.4f", bench::median(iterations), bench::median(per_iteration));
    for (double target : targets) {
      std::vector<double> times;
      int reached = 0;
      for (const NnTrainResult& r : runs.results) {
        times.push_back(time_to_reach(r.trace, target));
        reached += std::isfinite(times.back());
      }
      std::printf(" %13s", format_time(median_with_never(times), reached, num_seeds).c_str());
    }
    for (double t : checkpoints) {
      std::vector<double> train, test, accuracy;
      for (const NnTrainResult& r : runs.results) {
        const NnTrainRecord& row = best_by(r.trace, t);
        train.push_back(row.train_loss);
        test.push_back(row.test_loss);
        accuracy.push_back(row.test_accuracy);
      }
      char cell[96];
      if (classification) {
        std::snprintf(cell, sizeof cell, "%.3e / %.3e / %.4f", bench::median(train), bench::median(test),
                      bench::median(accuracy));
      } else {
        std::snprintf(cell, sizeof cell, "%.3e / %.3e", bench::median(train), bench::median(test));
      }
      std::printf(" | %-*s", classification ? 30 : 24, cell);
    }
    std::printf("\n");
  }
}

void bench_nn(const NnBenchArgs& args) {
  const std::vector<std::uint64_t> seeds = parse_seeds(args.seeds);
  for (const std::string& method : args.methods) find_nn_method(method);
  for (const std::string& task : args.tasks) {
    if (task != "r1" && task != "c1") throw Error("--tasks: unknown task '" + task + "' (known: r1, c1)");
  }
  std::vector<double> checkpoints;
  for (double t : {10.0, 30.0, 120.0}) {
    if (t <= args.max_time) checkpoints.push_back(t);
  }
  if (checkpoints.empty() || checkpoints.back() < args.max_time) checkpoints.push_back(args.max_time);

  std::printf("curv bench nn: seeds %s, max time %g s per run, %d thread(s) for residual evaluation, methods",
              args.seeds.c_str(), args.max_time, args.threads);
  for (const std::string& m : args.methods) std::printf(" %s", m.c_str());
  std::printf("\n");

  // LM iterations that start at a new point (Jacobian, J^T J, Cholesky) and
  // those that follow a rejected step (only a new Cholesky).
  std::vector<double> lm_r1_new_point, lm_r1_refactor;
  // Ceres's iteration times on R1, by method (ceres-lm, ceres-lm-lapack).
  std::map<std::string, std::vector<double>> ceres_r1_iteration_s;
  double lm_r1_total_s = 0.0;
  // Process CPU seconds and iterations of each R1 method, all seeds: unlike
  // wall time, what a run costs whatever else the machine is running.
  std::map<std::string, std::pair<double, int>> r1_cpu;
  double lm_r1_iterations = 0.0;
  for (const std::string& task_name : args.tasks) {
    const bool r1 = task_name == "r1";
    const NnTask task = r1 ? make_r1_task(0) : make_c1_task(0);
    const std::vector<double> targets = r1 ? std::vector<double>{0.05, 0.02, 0.005} : std::vector<double>{0.05, 0.005};
    std::vector<MethodRuns> all;
    std::vector<std::string> methods = args.methods;
    if (args.vs == "ceres") {
      // Ceres's dense normal Cholesky with each of its dense libraries.
      methods.push_back("ceres-lm");
      methods.push_back("ceres-lm-lapack");
    }
    for (const std::string& method : methods) {
      MethodRuns runs;
      runs.method = method;
      if (method == "ceres-lm" || method == "ceres-lm-lapack") {
#ifdef CURVATURE_WITH_CERES
        const bench::CeresDenseLibrary library =
            method == "ceres-lm" ? bench::CeresDenseLibrary::kEigen : bench::CeresDenseLibrary::kLapack;
        if (!r1) {
          runs.unavailable = "Ceres minimizes sums of squares only";
        } else if (!bench::ceres_dense_library_available(library)) {
          runs.unavailable = std::string("this Ceres was built without ") + bench::to_string(library);
        } else {
          for (std::uint64_t seed : seeds) {
            NnTask seeded = task;
            seeded.network.seed = seed;
            const double cpu_begin = process_cpu_seconds();
            NnTrainResult result = bench::run_ceres_lm_nn(seeded, args.max_time, args.threads, library);
            r1_cpu[method].first += process_cpu_seconds() - cpu_begin;
            r1_cpu[method].second += result.summary.iterations;
            const NnTrainRecord& last = result.trace.back();
            std::fprintf(stderr, "  R1 %-15s seed %llu: %6d iterations, %7.2f s, train %.4e, test %.4e\n",
                         method.c_str(), static_cast<unsigned long long>(seed), result.summary.iterations, last.time_s,
                         last.train_loss, last.test_loss);
            for (const NnTrainRecord& row : result.trace) {
              if (row.iteration > 0) ceres_r1_iteration_s[method].push_back(row.iteration_time_s);
            }
            runs.results.push_back(std::move(result));
          }
        }
#else
        runs.unavailable = "this build has no Ceres";
#endif
        all.push_back(std::move(runs));
        continue;
      }
      if (find_nn_method(method).needs_least_squares && task.loss != NnLoss::kMeanSquaredError) {
        runs.unavailable = "needs the least-squares form (cross-entropy is not a sum of squares)";
        all.push_back(std::move(runs));
        continue;
      }
      for (std::uint64_t seed : seeds) {
        NnTask seeded = task;
        seeded.network.seed = seed;
        NnTrainOptions options;
        options.method = method;
        options.max_time_seconds = args.max_time;
        options.num_threads = args.threads;
        options.max_cg_iterations = args.max_cg_iterations;
        options.learning_rate = args.learning_rate;
        options.warmup_steps = args.warmup_steps;
        const double cpu_begin = process_cpu_seconds();
        NnTrainResult result = train_network(seeded, options);
        if (r1 && method == "lm") {
          r1_cpu[method].first += process_cpu_seconds() - cpu_begin;
          r1_cpu[method].second += result.summary.iterations;
        }
        const NnTrainRecord& last = result.trace.back();
        std::fprintf(stderr, "  %s %-9s seed %llu: %6d iterations, %7.2f s, train %.4e, test %.4e, %s\n",
                     r1 ? "R1" : "C1", method.c_str(), static_cast<unsigned long long>(seed), result.summary.iterations,
                     last.time_s, last.train_loss, last.test_loss, to_string(result.summary.termination));
        if (r1 && method == "lm") {
          bool after_acceptance = true;  // iteration 1 forms the first Jacobian
          for (const NnTrainRecord& row : result.trace) {
            if (row.iteration == 0) continue;
            (after_acceptance ? lm_r1_new_point : lm_r1_refactor).push_back(row.iteration_time_s);
            after_acceptance = row.accepted;
            lm_r1_total_s += row.iteration_time_s;
            lm_r1_iterations += 1.0;
          }
        }
        runs.results.push_back(std::move(result));
      }
      all.push_back(std::move(runs));
    }
    print_task_table(task, all, targets, checkpoints, static_cast<int>(seeds.size()));
    std::fflush(stdout);
  }

  if (!lm_r1_new_point.empty() || !lm_r1_refactor.empty()) {
    // An iteration at a new point evaluates the Jacobian there, forms J^T J
    // and factors; one after a rejected step only refactors with more damping.
    const bench::DenseNormalBound bound = bench::measure_dense_normal_bound(kR1Rows, 1441, args.threads, 7);
    const bench::DenseNormalTimes best = bound.best();
    const double floor = best.total();
    std::printf("\nR1 Levenberg-Marquardt time per iteration vs the dense normal-equation bound (2000 x 1441)\n");
    std::printf("  system BLAS, one call each: dsyrk %.1f ms + dpotrf %.1f ms = %.1f ms\n", bound.blas.normal_s * 1e3,
                bound.blas.cholesky_s * 1e3, bound.blas.total() * 1e3);
    std::printf("  curvature tiled kernels, %d threads: J^T J %.1f ms + Cholesky %.1f ms = %.1f ms; %s\n", args.threads,
                bound.curvature.normal_s * 1e3, bound.curvature.cholesky_s * 1e3, bound.curvature.total() * 1e3,
                bench::dense_kernel_in_use(kR1Rows).c_str());
    for (const bench::DenseKernelTimes& candidate : bound.candidates) {
      std::printf(
          "    candidate %-16s J^T J %.1f ms + Cholesky %.1f ms = %.1f ms; single precision %.1f ms + %.1f ms = "
          "%.1f ms; process CPU %.1f / %.1f ms\n",
          candidate.kernel.c_str(), candidate.times.normal_s * 1e3, candidate.times.cholesky_s * 1e3,
          candidate.times.total() * 1e3, candidate.single.normal_s * 1e3, candidate.single.cholesky_s * 1e3,
          candidate.single.total() * 1e3, candidate.cpu_s * 1e3, candidate.single_cpu_s * 1e3);
    }
    if (!bound.candidates.empty()) {
      // The kernels in use against the fastest candidate, in each precision:
      // by wall time, as everything above, and by process CPU time, which
      // other processes' load does not inflate.
      const std::string double_name = bench::dense_kernel_name(kR1Rows);
      const std::string single_name = bench::single_precision_kernel_name(kR1Rows);
      double fastest_double = kInfinity, fastest_single = kInfinity, chosen_double = kNaN, chosen_single = kNaN;
      double fastest_double_cpu = kInfinity, fastest_single_cpu = kInfinity, chosen_double_cpu = kNaN,
             chosen_single_cpu = kNaN;
      for (const bench::DenseKernelTimes& candidate : bound.candidates) {
        fastest_double = std::min(fastest_double, candidate.times.total());
        fastest_single = std::min(fastest_single, candidate.single.total());
        fastest_double_cpu = std::min(fastest_double_cpu, candidate.cpu_s);
        fastest_single_cpu = std::min(fastest_single_cpu, candidate.single_cpu_s);
        if (candidate.kernel == double_name) {
          chosen_double = candidate.times.total();
          chosen_double_cpu = candidate.cpu_s;
        }
        if (candidate.kernel == single_name) {
          chosen_single = candidate.single.total();
          chosen_single_cpu = candidate.single_cpu_s;
        }
      }
      std::printf(
          "    in use, %s in double, %s in single precision: %.2fx the fastest candidate in double, %.2fx in single "
          "precision (wall time); %.2fx, %.2fx (process CPU time)\n",
          double_name.c_str(), single_name.c_str(), chosen_double / fastest_double, chosen_single / fastest_single,
          chosen_double_cpu / fastest_double_cpu, chosen_single_cpu / fastest_single_cpu);
      if (const double calibration = bench::dense_kernel_calibration_seconds(kR1Rows); calibration > 0.0) {
        std::printf("    the choice's calibration (both precisions, once per process): %.1f ms wall time\n",
                    calibration * 1e3);
      }
    }
    std::printf("  bound (the faster of each, medians of 7): %.1f ms + %.1f ms = %.1f ms\n", best.normal_s * 1e3,
                best.cholesky_s * 1e3, floor * 1e3);
    std::printf(
        "  the tiled kernels in single precision, as LM runs them (SolverOptions::mixed_precision; each step "
        "then refined in double): %.1f ms + %.1f ms = %.1f ms\n",
        bound.single.normal_s * 1e3, bound.single.cholesky_s * 1e3, bound.single.total() * 1e3);
    const double new_point = bench::median(lm_r1_new_point), refactor = bench::median(lm_r1_refactor);
    if (!lm_r1_new_point.empty()) {
      std::printf(
          "  iterations at a new point: median %.1f ms over %zu (Jacobian + J^T J + Cholesky + trial); "
          "ratio to bound %.2f\n",
          new_point * 1e3, lm_r1_new_point.size(), new_point / floor);
    }
    if (!lm_r1_refactor.empty()) {
      std::printf(
          "  iterations after a rejection: median %.1f ms over %zu (Cholesky + trial); ratio to the Cholesky "
          "alone %.2f\n",
          refactor * 1e3, lm_r1_refactor.size(), refactor / best.cholesky_s);
    }
    std::printf("  all iterations: mean %.1f ms (%zu at a new point, %zu after a rejection); ratio to bound %.2f\n",
                lm_r1_total_s / lm_r1_iterations * 1e3, lm_r1_new_point.size(), lm_r1_refactor.size(),
                lm_r1_total_s / lm_r1_iterations / floor);
    const double curvature_mean = lm_r1_total_s / lm_r1_iterations;
    double fastest_ceres = kInfinity;
    for (const auto& [method, iteration_s] : ceres_r1_iteration_s) {
      const double ceres = bench::median(iteration_s);
      fastest_ceres = std::min(fastest_ceres, ceres);
      std::printf(
          "  %s (DENSE_NORMAL_CHOLESKY, %s, %d threads): median %.1f ms per iteration over %zu; "
          "ceres / curvature (all iterations, mean) %.2f\n",
          method.c_str(), method == "ceres-lm" ? "EIGEN" : "LAPACK", args.threads, ceres * 1e3, iteration_s.size(),
          ceres / curvature_mean);
    }
    if (ceres_r1_iteration_s.size() > 1) {
      std::printf("  the faster Ceres / curvature (all iterations, mean): %.2f\n", fastest_ceres / curvature_mean);
    }
    if (r1_cpu.size() > 1 && r1_cpu["lm"].second > 0) {
      // Includes each run's set-up (and, for lm, the dense kernels' calibration).
      const double lm_cpu = r1_cpu["lm"].first / r1_cpu["lm"].second;
      std::printf("  process CPU time per iteration (set-up included; with %d threads, summed over them): lm %.1f ms",
                  args.threads, lm_cpu * 1e3);
      for (const auto& [method, cpu] : r1_cpu) {
        if (method == "lm" || cpu.second == 0) continue;
        const double per_iteration = cpu.first / cpu.second;
        std::printf(", %s %.1f ms (%.2fx)", method.c_str(), per_iteration * 1e3, per_iteration / lm_cpu);
      }
      std::printf("\n");
    }
  }
}

}  // namespace

void register_nn_bench_command(CLI::App& bench) {
  auto args = std::make_shared<NnBenchArgs>();
  CLI::App* nn = bench.add_subcommand("nn", "Neural-network fits: R1 (friedman1 regression) and C1 (digits)");
  nn->add_option("--seeds", args->seeds, "Seeds: a list or ranges, e.g. 0-4 or 0,3");
  nn->add_option("--max-time", args->max_time, "Seconds per run")->check(positive());
  std::string method_names;
  for (const NnMethod& method : nn_methods())
    method_names += (method_names.empty() ? "" : ", ") + std::string(method.name);
  nn->add_option("--methods", args->methods, "Comma-separated methods: " + method_names)->delimiter(',');
  nn->add_option("--threads", args->threads, "Threads evaluating the network over the training samples")
      ->check(whole_number(1, 256));
  nn->add_option("--cg-iterations", args->max_cg_iterations,
                 "newton-cg: conjugate-gradient iterations per step (0: as many as there are weights)")
      ->check(whole_number(0, 100000000));
  nn->add_option("--tasks", args->tasks, "Comma-separated tasks: r1, c1")->delimiter(',');
  nn->add_option("--lr", args->learning_rate,
                 "Learning rate of the first-order methods (0: each rule's default; adam-lm's warm-up: 0.03)")
      ->check(non_negative());
  nn->add_option("--warmup-steps", args->warmup_steps,
                 "adam-lm: Adam epochs before lm takes over (full batch: one step each)")
      ->check(whole_number(1, 100000000));
  nn->add_option("--vs", args->vs, "Compare with another library: ceres (its LM on R1, same residuals and threads)")
      ->check(CLI::IsMember({"ceres"}));
  nn->callback([args] { bench_nn(*args); });
}

}  // namespace curvature::tools
