// process_cpu_time.h — the CPU time this process has used so far, user and
// system, summed over its threads. Around one solve call or one kernel run,
// the steadier figure on a machine shared with other work (a preempted
// thread's wait does not count); the wall clock is what a user waits.
#pragma once

#include <ctime>

namespace curvature::bench {

inline double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

}  // namespace curvature::bench
