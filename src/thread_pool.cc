#include "curvature/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <system_error>
#include <utility>

#include "curvature/error.h"

namespace curvature {

void ThreadPool::check_num_threads(int num_threads) {
  if (num_threads < 1 || num_threads > kMaxThreads) {
    throw Error("num_threads must be in [1, " + std::to_string(kMaxThreads) + "], got " + std::to_string(num_threads));
  }
}

ThreadPool::ThreadPool(int num_threads, const ThreadStarter& start_thread) {
  check_num_threads(num_threads);
  workers_.reserve(static_cast<size_t>(num_threads - 1));
  for (int t = 1; t < num_threads; ++t) {
    try {
      std::function<void()> body = [this, t] { worker_loop(t); };
      workers_.push_back(start_thread ? start_thread(std::move(body)) : std::thread(std::move(body)));
    } catch (const std::exception& e) {
      // Joinable threads must not be destroyed: stop and join the ones that
      // started before reporting.
      stop_workers();
      throw Error("ThreadPool: could not create thread " + std::to_string(t) + " of " + std::to_string(num_threads) +
                  " (" + e.what() + ")");
    }
  }
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

void ThreadPool::run_chunks(int thread) {
  for (;;) {
    int begin, end;
    const std::function<void(int, int, int)>* job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (job_ == nullptr || next_chunk_ >= job_size_) return;
      begin = next_chunk_;
      end = std::min(begin + chunk_size_, job_size_);
      next_chunk_ = end;
      job = job_;
    }
    try {
      (*job)(thread, begin, end);
    } catch (...) {
      // Keep the first exception and hand out no more chunks; parallel_for
      // rethrows it once every thread has left the job.
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      next_chunk_ = job_size_;
      return;
    }
  }
}

void ThreadPool::worker_loop(int thread) {
  long seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      const bool slept = !stopping_ && generation_ == seen;
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      if (slept) {
        // The cost of a wake-up, as an average over the last few jobs.
        const auto ticks = (std::chrono::steady_clock::now() - published_).count();
        const auto average = wake_ticks_.load(std::memory_order_relaxed);
        wake_ticks_.store(average == 0 ? ticks : average + (ticks - average) / 8, std::memory_order_relaxed);
      }
      seen = generation_;
      ++busy_workers_;
    }
    run_chunks(thread);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_workers_;
    }
    done_.notify_all();
  }
}

void ThreadPool::parallel_for(int n, const std::function<void(int, int, int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    fn(0, 0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    job_size_ = n;
    // A few chunks per thread balance uneven blocks without much locking.
    chunk_size_ = std::max(1, n / (4 * num_threads()));
    next_chunk_ = 0;
    error_ = nullptr;
    ++generation_;
    published_ = std::chrono::steady_clock::now();
  }
  wake_.notify_all();
  run_chunks(0);
  // Sleeping on done_ until the last worker finishes would cost the caller
  // a wake-up of its own, as long as a whole short job: watch the workers
  // for up to one wake-up's time first, then sleep.
  const auto watch = std::chrono::steady_clock::duration(wake_ticks_.load(std::memory_order_relaxed));
  if (watch.count() > 0) {
    const auto start = std::chrono::steady_clock::now();
    while (busy_workers_.load(std::memory_order_acquire) != 0 && std::chrono::steady_clock::now() - start < watch) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    // Workers that woke late find no chunks left and leave at once; wait for
    // every worker that took part in this generation, so that none still
    // runs fn (or reads the caller's data) once this function has returned
    // or thrown.
    done_.wait(lock, [&] { return busy_workers_ == 0 && next_chunk_ >= job_size_; });
    job_ = nullptr;
    error = std::exchange(error_, nullptr);
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace curvature
