// batch_solve(): many small fixed-size fits at once — known minima, NIST's
// Misra1a to its certified values and standard deviations, results
// independent of the thread count, bounds, errors naming the item, and
// statuses that say honestly when a fit did not converge.
#include "curvature/batch_solve.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "test_util.h"

namespace curvature {
namespace {

using testing::expect_error_naming;

// y = a exp(-k t)
struct Exponential {
  template <typename T>
  bool operator()(const T* p, const double* x, T* value) const {
    using std::exp;
    *value = p[0] * exp(-p[1] * x[0]);
    return true;
  }
};

// The same, declared fit for evaluating four fits at once.
struct VectorizableExponential : Exponential {
  static constexpr bool kVectorizable = true;
};

// NIST StRD Misra1a: y = b1 (1 - exp(-b2 x)).
struct Misra1a {
  template <typename T>
  bool operator()(const T* b, const double* x, T* value) const {
    using std::exp;
    *value = b[0] * (1.0 - exp(-b[1] * x[0]));
    return true;
  }
};

// A model that cannot be evaluated anywhere.
struct Failing {
  template <typename T>
  bool operator()(const T*, const double*, T*) const {
    return false;
  }
};

// A model that can be evaluated only at (500, 1e-4).
struct OnlyAtStart {
  template <typename T>
  bool operator()(const T* b, const double* x, T* value) const {
    *value = b[0] * x[0] + b[1];
    return b[0] == 500.0 && b[1] == 1e-4;
  }
};

const std::vector<double> kMisra1aY = {10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02,
                                       44.82, 50.76, 55.05, 61.01, 66.40, 75.47, 81.78};
const std::vector<double> kMisra1aX = {77.6,  114.9, 141.1, 190.8, 239.9, 289.0, 332.8,
                                       378.4, 434.8, 477.3, 536.8, 593.1, 689.1, 760.0};

// num_fits exponentials a_k exp(-k_k t) on one grid of `points` times, with
// Gaussian noise of standard deviation `noise` (seeded).
struct ExponentialBatch {
  std::vector<double> t, y, truth;
  // The observations as batch_solve() reads them (views into this batch).
  BatchData data() const {
    BatchData data;
    data.y = y;
    data.x = t;
    data.points_per_fit = static_cast<int>(t.size());
    return data;
  }
};
ExponentialBatch make_exponentials(int num_fits, int points, double noise, std::uint64_t seed) {
  ExponentialBatch batch;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> amplitude(1.0, 5.0), rate(0.2, 2.0);
  std::normal_distribution<double> error(0.0, noise);
  for (int i = 0; i < points; ++i) batch.t.push_back(0.1 * i);
  for (int k = 0; k < num_fits; ++k) {
    const double a = amplitude(rng), r = rate(rng);
    batch.truth.insert(batch.truth.end(), {a, r});
    for (const double t : batch.t) batch.y.push_back(a * std::exp(-r * t) + (noise > 0 ? error(rng) : 0.0));
  }
  return batch;
}

TEST(BatchSolve, RecoversExactExponentialsToTenDigits) {
  const ExponentialBatch batch = make_exponentials(50, 30, 0.0, 1);
  BatchData data = batch.data();
  std::vector<double> p(2 * 50);
  for (int k = 0; k < 50; ++k) p[2 * k] = 1.0, p[2 * k + 1] = 0.5;
  const BatchResult result = batch_solve<2>(Exponential{}, data, p);
  ASSERT_EQ(result.num_fits(), 50);
  EXPECT_EQ(result.num_converged(), 50);
  for (int k = 0; k < 50; ++k) {
    EXPECT_NEAR(p[2 * k], batch.truth[2 * k], 1e-10 * batch.truth[2 * k]) << "fit " << k;
    EXPECT_NEAR(p[2 * k + 1], batch.truth[2 * k + 1], 1e-10 * batch.truth[2 * k + 1]) << "fit " << k;
    EXPECT_LT(result.cost[k], 1e-20) << "fit " << k;
    EXPECT_GT(result.iterations[k], 0);
  }
}

TEST(BatchSolve, FitsOfDifferentSizesWithTheirOwnCoordinates) {
  // Three fits of 5, 12 and 40 points, each with its own times.
  const std::vector<std::size_t> starts = {0, 5, 17, 57};
  const double truth[3][2] = {{2.0, 0.5}, {3.0, 1.5}, {0.7, 0.1}};
  std::vector<double> t, y;
  for (int k = 0; k < 3; ++k) {
    for (std::size_t i = starts[k]; i < starts[k + 1]; ++i) {
      const double time = 0.05 * double(i - starts[k]) * (k + 1);
      t.push_back(time);
      y.push_back(truth[k][0] * std::exp(-truth[k][1] * time));
    }
  }
  BatchData data;
  data.y = y;
  data.x = t;
  data.fit_starts = starts;
  std::vector<double> p = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
  const BatchResult result = batch_solve<2>(Exponential{}, data, p);
  EXPECT_EQ(result.num_converged(), 3);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(p[2 * k], truth[k][0], 1e-9) << "fit " << k;
    EXPECT_NEAR(p[2 * k + 1], truth[k][1], 1e-9) << "fit " << k;
  }
}

TEST(BatchSolve, Misra1aReachesTheCertifiedValuesFromBothStarts) {
  // Two fits on the same data: NIST's start 1 and start 2.
  std::vector<double> y = kMisra1aY;
  y.insert(y.end(), kMisra1aY.begin(), kMisra1aY.end());
  BatchData data;
  data.y = y;
  data.x = kMisra1aX;
  data.points_per_fit = 14;
  std::vector<double> p = {500.0, 1e-4, 250.0, 5e-4};
  BatchOptions options;
  options.function_tolerance = 1e-15;
  options.parameter_tolerance = 1e-15;
  options.max_iterations = 500;
  options.standard_errors = true;
  const BatchResult result = batch_solve<2>(Misra1a{}, data, p, options);
  for (int k = 0; k < 2; ++k) {
    SCOPED_TRACE("start " + std::to_string(k + 1));
    EXPECT_TRUE(converged(result.status[k])) << to_string(result.status[k]);
    EXPECT_NEAR(p[2 * k], 2.3894212918E+02, 1e-8 * 2.3894212918E+02);
    EXPECT_NEAR(p[2 * k + 1], 5.5015643181E-04, 1e-8 * 5.5015643181E-04);
    EXPECT_NEAR(2.0 * result.cost[k], 1.2455138894E-01, 1e-9);
    // The certified standard deviations are sqrt(diag((J^T J)^-1) RSS / (m - n)).
    EXPECT_NEAR(result.standard_errors[2 * k], 2.7070075241E+00, 1e-6 * 2.7070075241E+00);
    EXPECT_NEAR(result.standard_errors[2 * k + 1], 7.2668688436E-06, 1e-6 * 7.2668688436E-06);
  }
}

TEST(BatchSolve, WeightsScaleTheResiduals) {
  // Weights 2 everywhere: the same minimizer, four times the cost.
  std::vector<double> p1 = {250.0, 5e-4}, p2 = p1;
  const std::vector<double> weights(14, 2.0);
  BatchData data;
  data.y = kMisra1aY;
  data.x = kMisra1aX;
  data.points_per_fit = 14;
  const BatchResult plain = batch_solve<2>(Misra1a{}, data, p1);
  data.weights = weights;
  const BatchResult weighted = batch_solve<2>(Misra1a{}, data, p2);
  EXPECT_NEAR(p2[0], p1[0], 1e-6 * p1[0]);
  EXPECT_NEAR(weighted.cost[0], 4.0 * plain.cost[0], 1e-6 * plain.cost[0]);
}

// Solves `data` (fits of two parameters, all starting at 1) with 1, 2 and 4
// threads and expects bit-identical estimates, costs, iterations, statuses
// and standard errors; returns the three runs.
struct ThreadRuns {
  std::vector<std::vector<double>> estimates;
  std::vector<BatchResult> results;
};

template <typename Model>
ThreadRuns expect_identical_for_one_two_and_four_threads(const Model& model, const BatchData& data, int fits,
                                                         BatchOptions options) {
  ThreadRuns runs;
  for (const int threads : {1, 2, 4}) {
    std::vector<double> p(2 * fits, 1.0);
    options.num_threads = threads;
    runs.results.push_back(batch_solve<2>(model, data, p, options));
    runs.estimates.push_back(p);
  }
  for (int run = 1; run < 3; ++run) {
    EXPECT_EQ(runs.estimates[run], runs.estimates[0]) << "run " << run;
    EXPECT_EQ(runs.results[run].cost, runs.results[0].cost);
    EXPECT_EQ(runs.results[run].iterations, runs.results[0].iterations);
    EXPECT_EQ(runs.results[run].status, runs.results[0].status);
    EXPECT_EQ(runs.results[run].standard_errors, runs.results[0].standard_errors);
  }
  return runs;
}

TEST(BatchSolve, ResultsAreBitIdenticalForOneTwoAndFourThreads) {
  const ExponentialBatch batch = make_exponentials(301, 20, 0.05, 7);
  BatchData data = batch.data();
  BatchOptions options;
  options.standard_errors = true;
  const ThreadRuns runs = expect_identical_for_one_two_and_four_threads(Exponential{}, data, 301, options);
  EXPECT_GT(runs.results[0].num_converged(), 290);
}

TEST(BatchSolve, BoundsAreRespectedAndActiveBoundsConverge) {
  // The rate's unconstrained optimum is 0.5; an upper bound of 0.3 holds it
  // there, and a start outside the box is projected into it.
  const ExponentialBatch batch = make_exponentials(1, 30, 0.0, 3);
  BatchData data = batch.data();
  const double rate = batch.truth[1];
  BatchOptions options;
  options.lower_bounds = {0.0, 0.0};
  options.upper_bounds = {10.0, 0.5 * rate};
  std::vector<double> p = {20.0, 2.0 * rate};
  const BatchResult result = batch_solve<2>(Exponential{}, data, p, options);
  EXPECT_TRUE(converged(result.status[0])) << to_string(result.status[0]);
  EXPECT_EQ(p[1], 0.5 * rate);
  EXPECT_GE(p[0], 0.0);
  EXPECT_LE(p[0], 10.0);
}

TEST(BatchSolve, BadInputIsRefusedByName) {
  const std::vector<double> y = {1.0, 2.0, 3.0, 4.0};
  const std::vector<double> x = {0.0, 1.0, 2.0, 3.0};
  std::vector<double> p = {1.0, 1.0, 1.0, 1.0};
  const auto solve = [&](BatchData data, BatchOptions options = {}) {
    batch_solve<2>(Exponential{}, data, p, options);
  };
  BatchData good;
  good.y = y;
  good.x = x;
  good.points_per_fit = 2;

  BatchData empty = good;
  empty.y = {};
  expect_error_naming([&] { solve(empty); }, "BatchData::y is empty");
  BatchData short_x = good;
  short_x.x = std::span<const double>(x).first(3);
  expect_error_naming([&] { solve(short_x); }, "BatchData::x holds 3 numbers");
  BatchData odd = good;
  odd.points_per_fit = 3;
  expect_error_naming([&] { solve(odd); }, "not a multiple of points_per_fit = 3");
  BatchData bad_weights = good;
  const std::vector<double> w = {1.0};
  bad_weights.weights = w;
  expect_error_naming([&] { solve(bad_weights); }, "BatchData::weights holds 1 numbers");
  BatchData empty_fit = good;
  empty_fit.points_per_fit = 0;
  const std::vector<std::size_t> starts = {0, 2, 2, 4};
  empty_fit.fit_starts = starts;
  expect_error_naming([&] { solve(empty_fit); }, "fit 1 has no points");

  p = {1.0, 1.0, 1.0};
  expect_error_naming([&] { solve(good); }, "parameters holds 3 numbers, expected 4");
  p = {1.0, 1.0, 1.0, std::nan("")};
  expect_error_naming([&] { solve(good); }, "the start of fit 1, parameter 1 is nan");
  p = {1.0, 1.0, 1.0, 1.0};

  BatchOptions options;
  options.max_iterations = 0;
  expect_error_naming([&] { solve(good, options); }, "BatchOptions::max_iterations must be at least 1, got 0");
  options = {};
  options.num_threads = 0;
  expect_error_naming([&] { solve(good, options); }, "BatchOptions::num_threads");
  options = {};
  options.initial_damping = 0.0;
  expect_error_naming([&] { solve(good, options); }, "BatchOptions::initial_damping");
  options = {};
  options.lower_bounds = {0.0};
  expect_error_naming([&] { solve(good, options); }, "BatchOptions::lower_bounds must be empty or hold 2 entries");
  options = {};
  options.lower_bounds = {0.0, 2.0};
  options.upper_bounds = {1.0, 1.0};
  expect_error_naming([&] { solve(good, options); }, "lower_bounds[1] = 2 is above upper_bounds[1] = 1");
}

TEST(BatchSolve, NonConvergenceIsReportedHonestly) {
  BatchData data;
  data.y = kMisra1aY;
  data.x = kMisra1aX;
  data.points_per_fit = 14;

  // Too few iterations from NIST's far start.
  std::vector<double> p = {500.0, 1e-4};
  BatchOptions options;
  options.max_iterations = 2;
  BatchResult result = batch_solve<2>(Misra1a{}, data, p, options);
  EXPECT_EQ(result.status[0], BatchStatus::kMaxIterations);
  EXPECT_EQ(result.iterations[0], 2);
  EXPECT_EQ(result.num_converged(), 0);
  EXPECT_STREQ(to_string(result.status[0]), "max-iterations");

  // A model that cannot be evaluated at the start.
  p = {500.0, 1e-4};
  result = batch_solve<2>(Failing{}, data, p);
  EXPECT_EQ(result.status[0], BatchStatus::kInvalidStart);
  EXPECT_TRUE(std::isnan(result.cost[0]));
  EXPECT_EQ(p[0], 500.0);

  // A model that is finite only at the start: every step is rejected until
  // the damping gives up.
  p = {500.0, 1e-4};
  options = {};
  options.max_iterations = 1000;
  result = batch_solve<2>(OnlyAtStart{}, data, p, options);
  EXPECT_EQ(result.status[0], BatchStatus::kDampingLimit);
  EXPECT_FALSE(converged(result.status[0]));
  EXPECT_EQ(p[0], 500.0);
}

TEST(BatchSolve, FourFitsAtOnceRecoverExactExponentials) {
  // 50 fits: twelve groups of four and one of two.
  const ExponentialBatch batch = make_exponentials(50, 30, 0.0, 1);
  BatchData data = batch.data();
  std::vector<double> p(2 * 50);
  for (int k = 0; k < 50; ++k) p[2 * k] = 1.0, p[2 * k + 1] = 0.5;
  const BatchResult result = batch_solve<2>(VectorizableExponential{}, data, p);
  EXPECT_EQ(result.num_converged(), 50);
  for (int k = 0; k < 50; ++k) {
    EXPECT_NEAR(p[2 * k], batch.truth[2 * k], 1e-10 * batch.truth[2 * k]) << "fit " << k;
    EXPECT_NEAR(p[2 * k + 1], batch.truth[2 * k + 1], 1e-10 * batch.truth[2 * k + 1]) << "fit " << k;
  }
}

TEST(BatchSolve, FourFitsAtOnceMatchOneByOneAndAnyThreadCount) {
  const ExponentialBatch batch = make_exponentials(301, 20, 0.05, 7);
  const std::vector<double> weights(batch.y.size(), 2.0);
  BatchData data = batch.data();
  data.weights = weights;
  const ThreadRuns runs = expect_identical_for_one_two_and_four_threads(VectorizableExponential{}, data, 301, {});
  std::vector<double> one_by_one(2 * 301, 1.0);
  BatchOptions options;
  options.across_fits = false;
  const BatchResult scalar = batch_solve<2>(VectorizableExponential{}, data, one_by_one, options);
  EXPECT_EQ(scalar.num_converged(), runs.results[0].num_converged());
  for (std::size_t i = 0; i < one_by_one.size(); ++i) {
    EXPECT_NEAR(runs.estimates[0][i], one_by_one[i], 1e-9 * std::abs(one_by_one[i])) << "entry " << i;
  }
}

// y = a: a constant rate, whose Poisson maximum-likelihood estimate is the
// mean count and whose Fisher information is m / a.
struct ConstantRate {
  static constexpr bool kVectorizable = true;
  template <typename T>
  bool operator()(const T* p, const double*, T* value) const {
    *value = p[0];
    return true;
  }
};

// num_fits x points Poisson counts of rate a exp(-k t) (Knuth's product of
// uniforms, so the counts are the same on every standard library).
ExponentialBatch make_counts(int num_fits, int points, std::uint64_t seed) {
  ExponentialBatch batch;
  std::mt19937_64 rng(seed);
  const auto uniform = [&] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };
  for (int i = 0; i < points; ++i) batch.t.push_back(0.1 * i);
  for (int k = 0; k < num_fits; ++k) {
    const double a = 5.0 + 20.0 * uniform(), r = 0.2 + uniform();
    batch.truth.insert(batch.truth.end(), {a, r});
    for (const double t : batch.t) {
      const double limit = std::exp(-a * std::exp(-r * t));
      double product = uniform();
      int count = 0;
      while (product > limit) product *= uniform(), ++count;
      batch.y.push_back(count);
    }
  }
  return batch;
}

TEST(BatchSolve, PoissonLikelihoodOfAConstantRateIsTheMeanCount) {
  // Counts with zeros among them; the estimate is the mean to rounding and
  // its standard error sqrt(mean / m), one by one and across fits alike.
  const std::vector<double> y = {0, 3, 1, 0, 2, 5, 1, 0, 7, 12, 9, 10, 8, 11, 6, 13};
  const std::vector<double> x(4, 0.0);
  BatchData data;
  data.y = y;
  data.x = x;
  data.points_per_fit = 4;
  for (const bool across_fits : {false, true}) {
    BatchOptions options;
    options.estimator = BatchEstimator::kPoissonLikelihood;
    options.standard_errors = true;
    options.across_fits = across_fits;
    options.function_tolerance = 0.0;  // on to steps of 1e-12 (the cost cannot resolve much less)
    options.parameter_tolerance = 1e-12;
    std::vector<double> p(4, 1.0);
    const BatchResult result = batch_solve<1>(ConstantRate{}, data, p, options);
    EXPECT_EQ(result.num_converged(), 4) << "across_fits " << across_fits;
    for (int k = 0; k < 4; ++k) {
      const double mean = (y[4 * k] + y[4 * k + 1] + y[4 * k + 2] + y[4 * k + 3]) / 4.0;
      // Steps are accepted by comparing costs, which resolve the minimum
      // only to about sqrt(machine epsilon) relative.
      EXPECT_NEAR(p[k], mean, 1e-7 * mean) << "fit " << k << ", across_fits " << across_fits;
      EXPECT_NEAR(result.standard_errors[k], std::sqrt(mean / 4.0), 1e-6 * std::sqrt(mean / 4.0)) << "fit " << k;
      double half_deviance = 0.0;
      for (int i = 4 * k; i < 4 * k + 4; ++i)
        half_deviance += mean - y[i] - (y[i] > 0 ? y[i] * std::log(mean / y[i]) : 0.0);
      EXPECT_NEAR(result.cost[k], half_deviance, 1e-9 * (1.0 + half_deviance)) << "fit " << k;
    }
  }
}

TEST(BatchSolve, PoissonLikelihoodSolvesTheScoreEquationsOfAnExponential) {
  // At the maximum-likelihood estimate of a exp(-k t) the score vanishes:
  // sum f = sum y and sum t f = sum t y (a log-linear model). Least squares
  // gives another answer on the same counts.
  const ExponentialBatch batch = make_counts(37, 40, 3);
  BatchData data = batch.data();
  for (const bool across_fits : {false, true}) {
    BatchOptions options;
    options.estimator = BatchEstimator::kPoissonLikelihood;
    options.across_fits = across_fits;
    options.function_tolerance = 0.0;  // on to steps of 1e-12 (the cost cannot resolve much less)
    options.parameter_tolerance = 1e-12;
    options.max_iterations = 100;
    std::vector<double> p = batch.truth, least_squares = batch.truth;
    const BatchResult result = batch_solve<2>(VectorizableExponential{}, data, p, options);
    batch_solve<2>(VectorizableExponential{}, data, least_squares);
    EXPECT_EQ(result.num_converged(), 37);
    double largest_difference = 0.0;
    for (int k = 0; k < 37; ++k) {
      double f = 0.0, y = 0.0, tf = 0.0, ty = 0.0;
      for (int i = 0; i < 40; ++i) {
        const double t = batch.t[i], value = p[2 * k] * std::exp(-p[2 * k + 1] * t);
        f += value, y += batch.y[40 * k + i], tf += t * value, ty += t * batch.y[40 * k + i];
      }
      EXPECT_NEAR(f, y, 1e-7 * y) << "fit " << k << ", across_fits " << across_fits;
      EXPECT_NEAR(tf, ty, 1e-7 * ty) << "fit " << k << ", across_fits " << across_fits;
      largest_difference = std::max(largest_difference, std::abs(p[2 * k] - least_squares[2 * k]) / p[2 * k]);
    }
    EXPECT_GT(largest_difference, 1e-3);
  }
}

TEST(BatchSolve, PoissonLikelihoodRefusesNegativeCountsAndWeights) {
  const std::vector<double> y = {1.0, -2.0, 3.0, 4.0};
  const std::vector<double> x = {0.0, 1.0};
  const std::vector<double> w(4, 1.0);
  std::vector<double> p(4, 1.0);
  BatchData data;
  data.y = y;
  data.x = x;
  data.points_per_fit = 2;
  BatchOptions options;
  options.estimator = BatchEstimator::kPoissonLikelihood;
  expect_error_naming([&] { batch_solve<2>(Exponential{}, data, p, options); }, "BatchData::y[1] = -2 is not a count");
  data.weights = w;
  expect_error_naming([&] { batch_solve<2>(Exponential{}, data, p, options); },
                      "BatchData::weights are not used by the Poisson likelihood");
}

TEST(BatchSolve, LanesExpIsWithinOneUlpOfStdExp) {
  // The lanes' exp against <cmath>'s over the whole finite range (relative
  // difference at most 2^-52, one ulp) and at its edges: overflow to inf,
  // underflow to 0, NaN kept.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> wide(-740.0, 709.0), narrow(-2.0, 2.0);
  double worst = 0.0;
  for (int trial = 0; trial < 20000; ++trial) {
    lanes::Lanes x;
    for (int l = 0; l < lanes::kLanes; ++l) x.v[l] = trial % 2 ? wide(rng) : narrow(rng);
    const lanes::Lanes e = lanes::exp(x);
    for (int l = 0; l < lanes::kLanes; ++l) {
      const double expected = std::exp(x[l]);
      if (expected < 1e-300) continue;  // subnormal results carry fewer digits
      worst = std::max(worst, std::abs(e[l] - expected) / (expected * 0x1.0p-52));
    }
  }
  EXPECT_LE(worst, 1.0) << "relative error in units of 2^-52";
  lanes::Lanes edges;
  const double values[] = {710.0, 1e300, INFINITY, -746.0, -1e300, -INFINITY, NAN, 0.0};
  for (int l = 0; l < lanes::kLanes; ++l) edges.v[l] = values[l];
  const lanes::Lanes e = lanes::exp(edges);
  EXPECT_EQ(e[0], INFINITY);
  EXPECT_EQ(e[1], INFINITY);
  EXPECT_EQ(e[2], INFINITY);
  EXPECT_EQ(e[3], 0.0);
  EXPECT_EQ(e[lanes::kLanes - 1], lanes::kLanes == 8 ? 1.0 : 0.0);
  if (lanes::kLanes == 8) {
    EXPECT_EQ(e[4], 0.0);
    EXPECT_EQ(e[5], 0.0);
    EXPECT_TRUE(std::isnan(e[6]));
  }
}

}  // namespace
}  // namespace curvature
