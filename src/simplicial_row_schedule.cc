#include "simplicial_row_schedule.h"

#include <algorithm>
#include <queue>

namespace curvature::internal {
namespace {

// Sorted ranges with touching ends joined: [a, b) [b, c) -> [a, c).
std::vector<std::pair<int, int>> merge_ranges(std::vector<std::pair<int, int>> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<int, int>> merged;
  for (const auto& range : ranges) {
    if (!merged.empty() && merged.back().second == range.first) {
      merged.back().second = range.second;
    } else {
      merged.push_back(range);
    }
  }
  return merged;
}

}  // namespace

RowSchedule plan_row_schedule(int n, const int* start, const int* count, const int* rows, int num_tasks,
                              double min_speedup) {
  RowSchedule schedule;
  if (num_tasks < 2 || n < 2) return schedule;

  // The elimination tree (parent = the first entry below the diagonal) and
  // each row's cost: entry L(r, j), the m-th below the diagonal of column j,
  // costs row r m - 1 updates plus its own bookkeeping.
  std::vector<int> parent(static_cast<size_t>(n), -1);
  std::vector<double> cost(static_cast<size_t>(n), 1.0);
  for (int j = 0; j < n; ++j) {
    const int* column = rows + start[j];
    if (count[j] > 1) parent[j] = column[1];
    if (parent[j] != -1 && (parent[j] <= j || parent[j] >= n)) return schedule;
    for (int m = 1; m < count[j]; ++m) cost[column[m]] += m + 2;
  }
  // Subtree sizes, first rows and costs; children come before their parent.
  std::vector<int> size(static_cast<size_t>(n), 1), first(static_cast<size_t>(n));
  std::vector<double> subtree = cost;
  for (int j = 0; j < n; ++j) first[j] = j;
  for (int j = 0; j < n; ++j) {
    const int p = parent[j];
    if (p < 0) continue;
    size[p] += size[j];
    first[p] = std::min(first[p], first[j]);
    subtree[p] += subtree[j];
  }
  // Postordered: every subtree is the range of rows just before its root.
  for (int j = 0; j < n; ++j) {
    if (first[j] != j - size[j] + 1) return schedule;
  }
  std::vector<int> child_start(static_cast<size_t>(n) + 1, 0), children(static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) {
    if (parent[j] >= 0) ++child_start[parent[j] + 1];
  }
  for (int j = 0; j < n; ++j) child_start[j + 1] += child_start[j];
  {
    std::vector<int> next(child_start.begin(), child_start.end() - 1);
    for (int j = 0; j < n; ++j) {
      if (parent[j] >= 0) children[next[parent[j]]++] = j;
    }
  }

  // Cut the heaviest subtree until the heaviest left is no more than an
  // equal share; the estimate of each cut is a lower bound (the cut rows
  // plus the larger of the heaviest subtree and an equal share), and the
  // best cut is dealt out below.
  auto lighter = [&](int a, int b) { return subtree[a] < subtree[b] || (subtree[a] == subtree[b] && a > b); };
  std::priority_queue<int, std::vector<int>, decltype(lighter)> heap(lighter);
  double parallel_cost = 0.0;
  for (int j = 0; j < n; ++j) {
    if (parent[j] < 0) {
      heap.push(j);
      parallel_cost += subtree[j];
    }
  }
  const double serial_cost = parallel_cost;
  double cut_cost = 0.0;
  std::vector<int> cut;
  double best_bound = serial_cost;
  size_t best_cuts = 0;
  while (!heap.empty()) {
    const int heaviest = heap.top();
    const double bound = cut_cost + std::max(subtree[heaviest], parallel_cost / num_tasks);
    if (bound < best_bound) {
      best_bound = bound;
      best_cuts = cut.size();
    }
    if (subtree[heaviest] <= parallel_cost / num_tasks) break;
    heap.pop();
    cut.push_back(heaviest);
    cut_cost += cost[heaviest];
    parallel_cost -= subtree[heaviest];
    for (int q = child_start[heaviest]; q < child_start[heaviest + 1]; ++q) {
      heap.push(children[q]);
      parallel_cost += subtree[children[q]];
    }
  }
  if (serial_cost / best_bound < min_speedup) return schedule;

  // The subtrees left by the best cut, dealt out heaviest first, each to
  // the least loaded task.
  cut.resize(best_cuts);
  std::vector<char> is_cut(static_cast<size_t>(n), 0);
  for (int j : cut) is_cut[j] = 1;
  std::vector<int> subtrees;
  for (int j = 0; j < n; ++j) {
    const bool below_cut = parent[j] < 0 || is_cut[parent[j]];
    if (!is_cut[j] && below_cut) subtrees.push_back(j);
  }
  std::sort(subtrees.begin(), subtrees.end(), [&](int a, int b) { return lighter(b, a); });
  std::vector<double> load(static_cast<size_t>(num_tasks), 0.0);
  std::vector<std::vector<std::pair<int, int>>> tasks(static_cast<size_t>(num_tasks));
  for (int root : subtrees) {
    const auto least = std::min_element(load.begin(), load.end()) - load.begin();
    load[least] += subtree[root];
    tasks[least].emplace_back(first[root], root + 1);
  }
  std::vector<std::pair<int, int>> after;
  for (int j : cut) after.emplace_back(j, j + 1);
  const double estimate = cut_cost + *std::max_element(load.begin(), load.end());
  if (serial_cost / estimate < min_speedup) return schedule;
  for (auto& task : tasks) {
    if (!task.empty()) schedule.tasks.push_back(merge_ranges(std::move(task)));
  }
  schedule.after = merge_ranges(std::move(after));
  schedule.estimated_speedup = serial_cost / estimate;
  return schedule;
}

}  // namespace curvature::internal
