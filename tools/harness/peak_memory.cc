#include "peak_memory.h"

#include <malloc.h>

#include <fstream>
#include <string>

namespace curvature::bench {

PeakMemory::PeakMemory() {
  malloc_trim(0);
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";  // 5: reset the peak resident set size to the current one
  clear.flush();
  reset_ = static_cast<bool>(clear);
}

double PeakMemory::bytes() const {
  if (!reset_) return -1.0;
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0.0;
      status >> kib;
      return kib * 1024.0;
    }
    std::getline(status, key);
  }
  return -1.0;
}

}  // namespace curvature::bench
