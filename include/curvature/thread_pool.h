// curvature/thread_pool.h — a small fixed pool for data-parallel loops, the
// one curvature's evaluators and dense kernels run on; problem code that
// evaluates its own terms (the network objectives of problems/) uses it too.
//
// parallel_for splits [0, n) into contiguous chunks handed out dynamically;
// callers write only to per-index outputs, so results never depend on the
// number of threads or on scheduling.
//
// Exceptions: an exception thrown by fn on any thread — a worker or the
// calling one — stops the job (no further chunks are handed out), waits
// until every thread has left fn, and is rethrown by parallel_for on the
// calling thread; the pool stays usable. When several threads throw, the
// first one caught is rethrown and the others are dropped. A thread that
// cannot be created makes the constructor throw curvature::Error after
// joining the threads it did create.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace curvature {

// The most threads any options struct accepts (num_threads counts the
// calling thread); more than this is refused with an Error naming the field
// rather than spending minutes creating threads.
inline constexpr int kMaxThreads = 1024;

// What ThreadPool::parallel_for takes by reference: a callable fn(thread,
// begin, end) other than a std::function (which it takes as it is).
template <typename Fn>
concept ParallelForBody = std::is_invocable_v<Fn&, int, int, int> &&
    !std::is_same_v<std::remove_cvref_t<Fn>, std::function<void(int, int, int)>>;

// A fixed set of threads running parallel_for jobs (see the top of this file).
class ThreadPool {
 public:
  // Starts a thread running the given function; the default is
  // std::thread's constructor. Replaceable so that a test can make thread
  // creation fail.
  using ThreadStarter = std::function<std::thread(std::function<void()>)>;

  // num_threads counts the calling thread: 1 means no worker threads at all.
  // Throws curvature::Error for num_threads outside [1, kMaxThreads] and
  // when a thread cannot be created.
  explicit ThreadPool(int num_threads, const ThreadStarter& start_thread = {});
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }  // the workers and the caller

  // Throws curvature::Error ("num_threads must be in [1, 1024], got N")
  // unless num_threads is in [1, kMaxThreads]: the one check of every thread
  // count, which the evaluators make before setting up their work.
  static void check_num_threads(int num_threads);

  // Calls fn(thread, begin, end) over disjoint ranges covering [0, n), where
  // thread in [0, num_threads()) identifies per-thread scratch. Returns when
  // all calls have returned; rethrows the first exception any call threw
  // (see above). Not re-entrant.
  void parallel_for(int n, const std::function<void(int thread, int begin, int end)>& fn);
  // The same for any other callable, taken by reference: with one thread
  // (or one index) fn runs inline, and otherwise the std::function above
  // only refers to it. Converting a lambda whose captures exceed
  // std::function's small buffer (the evaluator's) would cost an
  // allocation and a free at every call.
  template <ParallelForBody Fn>
  void parallel_for(int n, Fn&& fn) {
    if (n <= 0) return;
    if (workers_.empty() || n == 1) {
      fn(0, 0, n);
      return;
    }
    parallel_for(n, std::function<void(int, int, int)>(std::ref(fn)));
  }

  // How long a worker asleep between jobs took to start on a job, averaged
  // over the recent jobs, in seconds; 0 before any worker has slept. What a
  // parallel_for pays at least for its parallelism on this machine.
  double wake_cost_seconds() const {
    return std::chrono::duration<double>(
               std::chrono::steady_clock::duration(wake_ticks_.load(std::memory_order_relaxed)))
        .count();
  }

 private:
  void worker_loop(int thread);
  void run_chunks(int thread);
  void stop_workers();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int, int, int)>* job_ = nullptr;
  int job_size_ = 0;
  int chunk_size_ = 1;
  int next_chunk_ = 0;
  // Written under mutex_; atomic so that the caller can watch it without
  // the lock while the workers finish (see parallel_for).
  std::atomic<int> busy_workers_ = 0;
  long generation_ = 0;
  // When the current job was handed out, and how long a worker asleep on
  // wake_ took to start on a job, averaged over the recent jobs: what
  // sleeping on a condition variable costs here.
  std::chrono::steady_clock::time_point published_;
  std::atomic<std::chrono::steady_clock::rep> wake_ticks_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;  // the first exception of the current job
};

}  // namespace curvature

namespace curvature::internal {
using curvature::ThreadPool;
}  // namespace curvature::internal
