// parallel_region.h — one parallel loop of the library (a call site), run
// on the thread pool or on the calling thread alone, whichever this site has
// measured to be faster. Internal; used where a loop's work can be as small
// as the pool's own cost: the evaluator, J^T J and the block sparse Cholesky
// of small sparse problems.
//
// A parallel_for pays a worker's wake-up (tens of microseconds where an idle
// virtual CPU halts and has to be rescheduled) and the cache lines that move
// between cores. On a 2-D pose graph of 808 poses, J^T J takes ~45 us on one
// thread and ~80 us split over two. Where that break-even lies depends on
// the machine and on its load, so no constant decides it: each site times
// its runs. While its parallel runs take no more than kCandidateWakeUps
// wake-ups (ThreadPool::wake_cost_seconds(), measured in the process), it
// also times runs on the caller alone and keeps the faster, re-checking the
// other way at intervals that double while the choice stands (so that a
// change of load is noticed, for a bounded share of the runs). A site whose
// parallel runs are longer than that never runs inline.
//
// Either way fn covers the same [0, n) — inline as the one call fn(0, 0, n)
// — and the loops run here write per-index outputs computed the same way
// whichever thread runs them, so the choice never changes a result.
#pragma once

#include <chrono>

#include "curvature/thread_pool.h"

namespace curvature::internal {

// The choice and the timings behind it, apart from any clock (tested alone).
class RegionChoice {
 public:
  // Parallel runs longer than this many wake-ups never run inline.
  static constexpr double kCandidateWakeUps = 8.0;
  // Runs between checks of the way not chosen: first, and at most.
  static constexpr long kFirstCheckInterval = 8;
  static constexpr long kMaxCheckInterval = 1024;

  // Whether the next run goes on the caller alone, given what a wake-up
  // costs now (seconds; 0: not known yet, run in parallel).
  bool next_inline(double wake_seconds);
  // The time of the run next_inline() was asked about.
  void record(bool ran_inline, double seconds);

  bool prefers_inline() const { return prefers_inline_; }

 private:
  // Mean run time per way (parallel, inline): a moving average for the way
  // in use, the latest check for the other; negative: not measured.
  double mean_[2] = {-1.0, -1.0};
  bool prefers_inline_ = false;
  bool checking_ = false;  // the next run is a check of the other way
  long runs_since_check_ = 0;
  long check_interval_ = kFirstCheckInterval;
};

class ParallelRegion {
 public:
  // fn(thread, begin, end) over [0, n), as ThreadPool::parallel_for (pool
  // may be null: inline).
  template <ParallelForBody Fn>
  void run(ThreadPool* pool, int n, Fn&& fn) {
    if (n <= 0) return;
    if (pool == nullptr || pool->num_threads() == 1 || n == 1) {
      fn(0, 0, n);
      return;
    }
    const bool on_caller = choice_.next_inline(pool->wake_cost_seconds());
    const auto start = std::chrono::steady_clock::now();
    if (on_caller) {
      fn(0, 0, n);
    } else {
      pool->parallel_for(n, fn);
    }
    choice_.record(on_caller, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  const RegionChoice& choice() const { return choice_; }

 private:
  RegionChoice choice_;
};

}  // namespace curvature::internal
