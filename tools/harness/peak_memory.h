// peak_memory.h — the largest resident memory of this process over one run:
// the kernel's high-water mark (VmHWM), reset before the run through
// /proc/self/clear_refs, after the allocator has handed its free memory back
// (malloc_trim), so that a run is not charged for what an earlier one left
// behind. It still counts whatever the process held when the run began (for
// curv bench ba: the scene), the same for every run.
#pragma once

namespace curvature::bench {

class PeakMemory {
 public:
  // Resets the high-water mark to the current resident size.
  PeakMemory();
  // The high-water mark since construction, in bytes; -1 where the kernel
  // offers no way to reset or read it.
  double bytes() const;

 private:
  bool reset_ = false;
};

}  // namespace curvature::bench
