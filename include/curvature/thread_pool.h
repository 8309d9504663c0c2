// curvature/thread_pool.h — a small fixed pool for data-parallel loops, the
// one curvature's evaluators and dense kernels run on; problem code that
// evaluates its own terms (the network objectives of problems/) uses it too.
//
// parallel_for splits [0, n) into contiguous chunks handed out dynamically;
// callers write only to per-index outputs, so results never depend on the
// number of threads or on scheduling.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace curvature {

class ThreadPool {
 public:
  // num_threads counts the calling thread: 1 means no worker threads at all.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(thread, begin, end) over disjoint ranges covering [0, n), where
  // thread in [0, num_threads()) identifies per-thread scratch. Returns when
  // all calls have returned. Not re-entrant.
  void parallel_for(int n, const std::function<void(int thread, int begin, int end)>& fn);

 private:
  void worker_loop(int thread);
  void run_chunks(int thread);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int, int, int)>* job_ = nullptr;
  int job_size_ = 0;
  int chunk_size_ = 1;
  int next_chunk_ = 0;
  int busy_workers_ = 0;
  long generation_ = 0;
  bool stopping_ = false;
};

}  // namespace curvature

namespace curvature::internal {
using curvature::ThreadPool;
}  // namespace curvature::internal
