// simplicial_row_schedule.h — splits the rows of an up-looking (row by row)
// sparse Cholesky factorization between threads. Internal; used by the
// CHOLMOD backend's simplicial factorization.
//
// Row k of L is computed from the columns of L that belong to k's
// descendants in the elimination tree, and it writes only into those
// columns. Two disjoint subtrees can therefore be factored at the same time,
// one thread each, and the rows above them (their ancestors) afterwards.
// Every row is computed by the same operations in the same order whichever
// thread runs it, so the factor is the same, bit for bit, for any schedule.
//
// With the tree postordered (as CHOLMOD's analysis leaves it), a subtree is
// a contiguous range of rows ending at its root. The plan cuts the tree at
// its heaviest nodes, whose rows then run after the parallel part, until its
// subtrees can be dealt out to the tasks with little imbalance, and keeps
// the cut with the smallest estimated time. Row costs are estimated from the
// pattern of a factor already computed: row k does, for every entry L(k, i),
// one update per entry of column i above it.
#pragma once

#include <utility>
#include <vector>

namespace curvature::internal {

struct RowSchedule {
  // Per task, the row ranges [first, second) it factors, in increasing
  // order; the tasks may run at the same time.
  std::vector<std::vector<std::pair<int, int>>> tasks;
  // The rows factored after every task has finished, in increasing ranges.
  std::vector<std::pair<int, int>> after;
  // Estimated serial time over estimated time with the tasks in parallel.
  double estimated_speedup = 1.0;

  bool empty() const { return tasks.empty(); }
};

// A schedule for `num_tasks` tasks from the pattern of a simplicial factor
// L of order n: column j's row indices are rows[start[j] .. start[j] +
// count[j]), sorted, the diagonal first. Empty (no tasks) when num_tasks < 2,
// when the elimination tree is not postordered, or when the estimated
// speedup is below min_speedup.
RowSchedule plan_row_schedule(int n, const int* start, const int* count, const int* rows, int num_tasks,
                              double min_speedup = 1.1);

}  // namespace curvature::internal
