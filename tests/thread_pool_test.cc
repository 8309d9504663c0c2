// The thread pool under exceptions: whatever thread a job throws on, the
// exception reaches the caller of parallel_for only after every thread has
// left the job, and the pool (and the Problem that evaluated through it)
// stays usable. Thread creation that fails, and thread counts out of range,
// are curvature::Errors.
#include "curvature/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "curvature/autodiff_cost_function.h"
#include "curvature/error.h"
#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/problem.h"
#include "curvature/solve.h"
#include "curvature/train.h"

namespace curvature {
namespace {

// Runs a job over [0, 1000) whose thread `thrower` throws once it has
// entered fn; the calling thread (thread 0) holds its first chunk until
// some worker has entered, so that workers surely take part. Returns how
// many threads were still inside fn when parallel_for rethrew.
int throw_from(ThreadPool& pool, int thrower) {
  std::atomic<int> inside{0};
  std::atomic<bool> worker_entered{false};
  const auto job = [&](int thread, int, int) {
    ++inside;
    if (thread != 0) worker_entered = true;
    if (thread == 0) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (!worker_entered && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    }
    if (thread == thrower || (thrower > 0 && thread != 0)) {
      --inside;
      throw std::runtime_error("job failed on thread " + std::to_string(thread));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    --inside;
  };
  try {
    pool.parallel_for(1000, job);
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("job failed on thread"), std::string::npos);
    return inside.load();
  }
  ADD_FAILURE() << "parallel_for did not rethrow";
  return -1;
}

// Sums [0, n) through the pool: the pool still works.
long long pool_sum(ThreadPool& pool, int n) {
  std::vector<long long> partial(pool.num_threads(), 0);
  pool.parallel_for(n, [&](int thread, int begin, int end) {
    for (int i = begin; i < end; ++i) partial[thread] += i;
  });
  long long sum = 0;
  for (long long p : partial) sum += p;
  return sum;
}

class ThreadPoolExceptions : public ::testing::TestWithParam<int> {};

TEST_P(ThreadPoolExceptions, AWorkerExceptionReachesTheCallerAfterEveryThreadLeft) {
  ThreadPool pool(GetParam());
  EXPECT_EQ(throw_from(pool, 1), 0);
  EXPECT_EQ(pool_sum(pool, 10000), 10000LL * 9999 / 2);
}

TEST_P(ThreadPoolExceptions, ACallingThreadExceptionWaitsForTheWorkers) {
  ThreadPool pool(GetParam());
  EXPECT_EQ(throw_from(pool, 0), 0);
  EXPECT_EQ(pool_sum(pool, 10000), 10000LL * 9999 / 2);
}

INSTANTIATE_TEST_SUITE_P(Threads, ThreadPoolExceptions, ::testing::Values(2, 4));

TEST(ThreadPool, FailedThreadCreationIsAnErrorAndJoinsTheStartedThreads) {
  int started = 0;
  const ThreadPool::ThreadStarter fail_third = [&](std::function<void()> body) {
    if (++started == 3) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    return std::thread(std::move(body));
  };
  try {
    ThreadPool pool(4, fail_third);
    FAIL() << "no Error for a thread that could not be created";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("could not create thread 3 of 4"), std::string::npos) << e.what();
  }
  EXPECT_EQ(started, 3);
}

TEST(ThreadPool, ThreadCountsOutOfRangeAreErrors) {
  for (int n : {0, -1, kMaxThreads + 1, 100000}) {
    try {
      ThreadPool pool(n);
      FAIL() << "no Error for num_threads = " << n;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("num_threads must be in [1, 1024], got " + std::to_string(n)),
                std::string::npos)
          << e.what();
    }
  }
}

// A lambda goes through the template overload (inline with one thread, by
// reference otherwise), a std::function through the other: each index of
// [0, n) is handed out exactly once either way, and thread ids stay in range.
TEST(ThreadPool, LambdasAndStdFunctionsCoverEveryIndexOnce) {
  for (int threads : {1, 3}) {
    ThreadPool pool(threads);
    constexpr int n = 1000;
    std::vector<std::atomic<int>> hits(n);
    std::atomic<bool> thread_in_range{true};
    // More captures than std::function's small buffer holds.
    const int offset = 0, stride = 1;
    const double unused_a = 1.0, unused_b = 2.0;
    auto body = [&, offset, stride, unused_a, unused_b](int thread, int begin, int end) {
      if (thread < 0 || thread >= pool.num_threads()) thread_in_range = false;
      for (int i = begin; i < end; ++i) hits[offset + stride * i] += unused_a < unused_b ? 1 : 0;
    };
    pool.parallel_for(n, body);
    const std::function<void(int, int, int)> as_function = body;
    pool.parallel_for(n, as_function);
    pool.parallel_for(0, body);  // nothing to do
    for (int i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 2) << "index " << i << ", " << threads << " threads";
    EXPECT_TRUE(thread_in_range.load());
  }
}

// y = exp(a t) sampled at t = 0.1 i; the residual of sample `fail_at`
// throws while `armed` is set.
struct ThrowingExponential {
  double t, y;
  const std::atomic<bool>* armed;
  bool fails;
  template <typename T>
  bool operator()(const T* a, T* r) const {
    if (fails && armed->load()) throw std::runtime_error("residual failed");
    using std::exp;
    r[0] = exp(a[0] * t) - y;
    return true;
  }
};

struct ThrowingProblem {
  std::atomic<bool> armed{true};
  double a[1] = {0.0};
  Problem problem;
  explicit ThrowingProblem(int fail_at) {
    for (int i = 0; i < 64; ++i) {
      const double t = 0.1 * i;
      problem.add_residual_block(std::make_shared<AutoDiffCostFunction<ThrowingExponential, 1, 1>>(
                                     ThrowingExponential{t, std::exp(0.3 * t), &armed, i == fail_at}),
                                 nullptr, a);
    }
  }
};

class ThreadPoolEntryPoints : public ::testing::TestWithParam<int> {};

TEST_P(ThreadPoolEntryPoints, ProblemEvaluateRethrowsAndStaysUsable) {
  for (int fail_at : {0, 63}) {  // the first block runs on the calling thread, the last on a worker
    ThrowingProblem p(fail_at);
    Problem::EvaluateOptions options;
    options.num_threads = GetParam();
    double cost = 0.0;
    EXPECT_THROW(p.problem.evaluate(options, &cost, nullptr, nullptr, nullptr, nullptr), std::runtime_error);
    p.armed = false;
    ASSERT_TRUE(p.problem.evaluate(options, &cost, nullptr, nullptr, nullptr, nullptr));
    double expected = 0.0;
    for (int i = 0; i < 64; ++i) expected += 0.5 * std::pow(1.0 - std::exp(0.3 * 0.1 * i), 2);
    EXPECT_NEAR(cost, expected, 1e-12 * expected);
  }
}

TEST_P(ThreadPoolEntryPoints, SolveRethrowsTheCostFunctionsException) {
  ThrowingProblem p(40);
  SolverOptions options;
  options.num_threads = GetParam();
  EXPECT_THROW(solve(options, &p.problem), std::runtime_error);
  p.armed = false;
  const Summary summary = solve(options, &p.problem);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  EXPECT_NEAR(p.a[0], 0.3, 1e-8);
}

// y = exp(a t) again, but sample 40's residual throws on its `throw_at`-th
// call: after a few accepted steps, not at the start.
struct LateThrowingExponential {
  double t, y;
  std::atomic<int>* calls;
  int throw_at;
  template <typename T>
  bool operator()(const T* a, T* r) const {
    if (throw_at > 0 && calls->fetch_add(1) + 1 == throw_at) throw std::runtime_error("residual failed late");
    using std::exp;
    r[0] = exp(a[0] * t) - y;
    return true;
  }
};

// The 64 samples of y = exp(0.3 t) from a = 0; sample 40 throws on its
// `throw_at`-th call (counted in `calls`, which a test may reset).
struct LateThrowingProblem {
  std::atomic<int> calls{0};
  double a[1] = {0.0};
  Problem problem;
  explicit LateThrowingProblem(int throw_at) {
    for (int i = 0; i < 64; ++i) {
      const double t = 0.1 * i;
      problem.add_residual_block(std::make_shared<AutoDiffCostFunction<LateThrowingExponential, 1, 1>>(
                                     LateThrowingExponential{t, std::exp(0.3 * t), &calls, i == 40 ? throw_at : 0}),
                                 nullptr, a);
    }
  }
};

TEST_P(ThreadPoolEntryPoints, SolveLeavesTheLastAcceptedPointWhenACostFunctionThrowsMidSolve) {
  // LM evaluates the start, then rejects five steps (each a geodesic
  // acceleration probe and a trial point) before accepting steps: the 18th
  // call falls after two accepted ones.
  LateThrowingProblem p(18);
  SolverOptions options;
  options.num_threads = GetParam();
  EXPECT_THROW(solve(options, &p.problem), std::runtime_error);
  // Moved from the start 0 towards the minimum 0.3 by the steps accepted
  // before the throw, and never past what was accepted: a lower cost than
  // the start's.
  EXPECT_GT(p.a[0], 0.0);
  EXPECT_LT(std::abs(p.a[0] - 0.3), 0.3);
  // And the problem solves on from there.
  const Summary summary = solve(options, &p.problem);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  EXPECT_NEAR(p.a[0], 0.3, 1e-8);
}

TEST_P(ThreadPoolEntryPoints, MinimizeLeavesTheLastAcceptedPointWhenACostFunctionThrowsMidRun) {
  for (MinimizerMethod method : {MinimizerMethod::kBfgs, MinimizerMethod::kNewtonTrustRegionCg}) {
    LateThrowingProblem p(8);
    MinimizeOptions options;
    options.method = method;
    // Through an objective evaluated on GetParam() threads: x moves.
    LeastSquaresObjectiveOptions objective_options;
    objective_options.num_threads = GetParam();
    LeastSquaresObjective objective(p.problem, objective_options);
    Eigen::VectorXd x = objective.gather();
    EXPECT_THROW(minimize(options, objective, &x), std::runtime_error) << to_string(method);
    EXPECT_GT(x[0], 0.0) << to_string(method);
    EXPECT_LT(std::abs(x[0] - 0.3), 0.3) << to_string(method);
    // Through the Problem: its parameter blocks move.
    p.calls = 0;
    EXPECT_THROW(minimize(options, &p.problem), std::runtime_error) << to_string(method);
    EXPECT_GT(p.a[0], 0.0) << to_string(method);
    EXPECT_LT(std::abs(p.a[0] - 0.3), 0.3) << to_string(method);
  }
}

TEST_P(ThreadPoolEntryPoints, TrainLeavesTheLastCompletedEpochWhenACostFunctionThrowsMidRun) {
  // Sample 40 is evaluated once per epoch (and once at the start): the
  // 10th call falls in epoch 9.
  LateThrowingProblem p(10);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kAdam;
  options.schedule.initial_learning_rate = 0.01;  // at most 0.01 per step: 0 < a <= 0.4 after 36 steps
  options.batch_size = 16;
  options.epochs = 100;
  options.num_threads = GetParam();
  EXPECT_THROW(train(options, &p.problem), std::runtime_error);
  EXPECT_GT(p.a[0], 0.0);
  EXPECT_LE(p.a[0], 0.4);
}

TEST(ThreadPoolEntryPoints, ThreadCountsAboveTheCapAreRefused) {
  ThrowingProblem p(-1);
  Problem::EvaluateOptions options;
  options.num_threads = 100000;
  double cost = 0.0;
  try {
    p.problem.evaluate(options, &cost, nullptr, nullptr, nullptr, nullptr);
    FAIL() << "no Error for 100000 threads";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("num_threads must be in [1, 1024], got 100000"), std::string::npos)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, ThreadPoolEntryPoints, ::testing::Values(1, 2, 4));

}  // namespace
}  // namespace curvature
