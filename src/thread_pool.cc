#include "curvature/thread_pool.h"

#include <algorithm>

namespace curvature {

ThreadPool::ThreadPool(int num_threads) {
  for (int t = 1; t < num_threads; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
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
    (*job)(thread, begin, end);
  }
}

void ThreadPool::worker_loop(int thread) {
  long seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
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
    ++generation_;
  }
  wake_.notify_all();
  run_chunks(0);
  std::unique_lock<std::mutex> lock(mutex_);
  // Workers that woke late find no chunks left and leave at once; wait for
  // every worker that took part in this generation.
  done_.wait(lock, [&] { return busy_workers_ == 0 && next_chunk_ >= job_size_; });
  job_ = nullptr;
}

}  // namespace curvature
