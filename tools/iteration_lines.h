// iteration_lines.h — the per-iteration lines of the curv commands: which
// iterations print a line (--quiet, --print-every N, --verbose) and, for
// the solves, the line itself, printed from the solver's callback.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <memory>

#include "cli_checks.h"
#include "curvature/solver_options.h"
#include "curvature/summary.h"

namespace curvature::tools {

struct IterationLineOptions {
  bool quiet = false;
  bool verbose = false;
  int print_every = 0;

  // Every how many iterations a line prints; 0: none.
  int every(bool on_by_default) const {
    if (quiet) return 0;
    if (print_every > 0) return print_every;
    return verbose || on_by_default ? 1 : 0;
  }
};

// Adds --quiet and --print-every N to `command`, and --verbose when the
// lines are off by default. --quiet excludes the others.
inline void add_iteration_line_options(CLI::App* command, IterationLineOptions* options, bool on_by_default) {
  CLI::Option* every = command
                           ->add_option("--print-every", options->print_every,
                                        "A line every N iterations (and the last)" +
                                            std::string(on_by_default ? " (default: every iteration)" : ""))
                           ->check(whole_number(1, 1000000000))
                           ->default_str("")
                           ->type_name("N");
  CLI::Option* quiet = command->add_flag("--quiet", options->quiet, "No per-iteration lines, only the final report");
  quiet->excludes(every);
  if (!on_by_default) {
    CLI::Option* verbose = command->add_flag("--verbose", options->verbose, "A line per iteration (on stderr)");
    quiet->excludes(verbose);
  }
}

// Prints one line per `every` iterations of a solve to `out`, in the columns
// of the library's verbose lines; finish() adds the last iteration when it
// did not fall on the stride.
class IterationPrinter {
 public:
  IterationPrinter(std::FILE* out, int every, bool least_squares)
      : out_(out), every_(every), least_squares_(least_squares) {}

  // For SolverOptions::callback and MinimizeOptions::callback; empty when no
  // line prints. The printer must outlive the solve.
  std::function<CallbackReturn(const IterationRecord&)> callback() {
    if (every_ == 0) return {};
    return [this](const IterationRecord& record) {
      if (record.iteration % every_ == 0) print(record);
      return CallbackReturn::kContinue;
    };
  }

  void finish(const Summary& summary) {
    if (every_ > 0 && !summary.trace.empty() && summary.trace.back().iteration != last_printed_) {
      print(summary.trace.back());
    }
  }

 private:
  void print(const IterationRecord& record) {
    if (last_printed_ < 0) {
      std::fprintf(out_, "%5s %15s %11s %10s %10s %10s %10s %4s %9s\n", "iter", least_squares_ ? "cost" : "f",
                   least_squares_ ? "cost_change" : "f_change", "|gradient|", "|step|",
                   least_squares_ ? "rho" : "alpha", "radius", "acc", "time_s");
    }
    std::fprintf(out_, "%5d %15.8e %11.3e %10.3e %10.3e %10.3e %10.3e %4s %9.3e\n", record.iteration, record.cost,
                 record.cost_change, record.gradient_max_norm, record.step_norm,
                 least_squares_ ? record.relative_decrease : record.step_length, record.trust_region_radius,
                 record.accepted ? "yes" : "no", record.cumulative_time_s);
    std::fflush(out_);
    last_printed_ = record.iteration;
  }

  std::FILE* out_;
  int every_;
  bool least_squares_;
  int last_printed_ = -1;
};

}  // namespace curvature::tools
