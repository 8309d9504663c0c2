// A parallel loop that runs on the pool or on the caller alone, whichever
// it has timed faster: the choice follows the timings it is given (never
// inline while the wake-up cost is unknown or the parallel runs are long,
// inline once it is faster, re-checked at doubling intervals, overturned by
// a check that disagrees), and whichever way a run goes, every index is
// covered exactly once.
#include "parallel_region.h"

#include <gtest/gtest.h>

#include <vector>

namespace curvature::internal {
namespace {

constexpr double kWake = 20e-6;

// Feeds `choice` runs that take `parallel` or `on_caller` seconds by the
// way chosen, and returns the ways taken (true: inline).
std::vector<bool> drive(RegionChoice* choice, int runs, double parallel, double on_caller, double wake = kWake) {
  std::vector<bool> ways;
  for (int r = 0; r < runs; ++r) {
    const bool on_caller_now = choice->next_inline(wake);
    choice->record(on_caller_now, on_caller_now ? on_caller : parallel);
    ways.push_back(on_caller_now);
  }
  return ways;
}

int count_inline(const std::vector<bool>& ways) {
  int count = 0;
  for (bool way : ways) count += way ? 1 : 0;
  return count;
}

TEST(ParallelRegionChoice, StaysParallelWhileTheWakeUpCostIsUnknown) {
  RegionChoice choice;
  EXPECT_EQ(count_inline(drive(&choice, 50, 100e-6, 10e-6, 0.0)), 0);
  EXPECT_FALSE(choice.prefers_inline());
}

TEST(ParallelRegionChoice, NeverTriesInlineWhenParallelRunsAreLongerThanItsWakeUpBound) {
  RegionChoice choice;
  const double parallel = RegionChoice::kCandidateWakeUps * kWake * 1.5;
  EXPECT_EQ(count_inline(drive(&choice, 200, parallel, parallel / 10.0)), 0);
}

TEST(ParallelRegionChoice, MovesInlineWhenFasterAndRechecksAtDoublingIntervals) {
  RegionChoice choice;
  const std::vector<bool> ways = drive(&choice, 1 + 1 + 8 + 16 + 32, 80e-6, 45e-6);
  // Run 0 parallel (the first timing), run 1 inline (its first timing),
  // then inline with parallel checks after 8, 16 and 32 more runs.
  EXPECT_FALSE(ways[0]);
  EXPECT_TRUE(ways[1]);
  std::vector<int> parallel_runs;
  for (int r = 2; r < static_cast<int>(ways.size()); ++r) {
    if (!ways[r]) parallel_runs.push_back(r);
  }
  EXPECT_EQ(parallel_runs, (std::vector<int>{1 + 8, 1 + 8 + 16, 1 + 8 + 16 + 32}));
  EXPECT_TRUE(choice.prefers_inline());
}

TEST(ParallelRegionChoice, KeepsParallelWhenItIsFasterAndChecksInlineRarely) {
  RegionChoice choice;
  const std::vector<bool> ways = drive(&choice, 1000, 60e-6, 100e-6);
  EXPECT_FALSE(choice.prefers_inline());
  // The first timing (run 1), which confirms parallel like a check and so
  // doubles the interval, then checks 16, 32, ..., 256 runs apart.
  std::vector<int> inline_runs;
  for (int r = 0; r < static_cast<int>(ways.size()); ++r) {
    if (ways[r]) inline_runs.push_back(r);
  }
  EXPECT_EQ(inline_runs, (std::vector<int>{1, 17, 49, 113, 241, 497}));
}

TEST(ParallelRegionChoice, ACheckThatDisagreesOverturnsTheChoice) {
  RegionChoice choice;
  drive(&choice, 40, 80e-6, 45e-6);
  ASSERT_TRUE(choice.prefers_inline());
  // The machine changes: the caller alone is now slower.
  drive(&choice, 200, 50e-6, 120e-6);
  EXPECT_FALSE(choice.prefers_inline());
}

TEST(ParallelRegion, CoversEveryIndexOnceWhicheverWayItRuns) {
  ThreadPool pool(2);
  ParallelRegion region;
  constexpr int kSize = 1000;
  for (int run = 0; run < 300; ++run) {
    std::vector<int> hits(kSize, 0);
    region.run(&pool, kSize, [&](int /*thread*/, int begin, int end) {
      for (int i = begin; i < end; ++i) ++hits[static_cast<size_t>(i)];
    });
    for (int i = 0; i < kSize; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)], 1) << "run " << run << " index " << i;
  }
  // Without a pool, or with one index, fn runs once on the caller.
  int calls = 0;
  region.run(nullptr, 5, [&](int thread, int begin, int end) {
    ++calls;
    EXPECT_EQ(thread, 0);
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 5);
  });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace curvature::internal
