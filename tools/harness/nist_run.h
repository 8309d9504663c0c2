// nist_run.h — one solve of one NIST StRD case, as the comparison reports it.
#pragma once

#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "nist.h"

namespace curvature::bench {

struct NistRun {
  std::string problem;
  int start = 1;
  std::string solver;  // "curvature-lm", "ceres-lm", ...
  double lre = 0.0;    // min over parameters of the log relative error
  int iterations = 0;
  double final_cost = 0.0;
  double time_s = 0.0;  // median over the repeats, the solve call alone
  // The same for the CPU time of the solving thread (thread_cpu_seconds()).
  double cpu_s = 0.0;
  std::string status;  // the solver's termination reason
  std::vector<double> solution;
};

// The standard deviations of one NIST StRD case's estimates, computed at a
// library's own solution from that start, scaled by s^2 = RSS / (n - p) as
// NIST's are, and scored against the certified standard deviations.
struct NistCovarianceRun {
  std::string solver;  // "curvature-dense-svd", "ceres-sparse-qr", ...
  bool computed = false;
  // min over parameters of the LRE of the standard deviations; NaN when not
  // computed (the library refused J as rank-deficient, or failed).
  double stddev_lre_min = 0.0;
  std::vector<double> std_devs;
  // (sigma_min / sigma_max)^2 of the column-equilibrated J, where the
  // library reports it (curvature's dense path); NaN otherwise.
  double reciprocal_condition_number = 0.0;
  std::string status;  // "ok", or why not computed
};

// A case counts as solved when every parameter has LRE >= 4.
inline bool solved(const NistRun& run) { return run.lre >= 4.0; }

// CPU seconds used by the calling thread. Unlike wall time it does not
// count the time other processes hold the core: on a loaded machine a solve
// longer than a scheduler time slice (a few ms) is preempted and its wall
// time multiplies, while a shorter one mostly runs whole, so wall-time
// ratios between libraries mean little there.
inline double thread_cpu_seconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace curvature::bench
