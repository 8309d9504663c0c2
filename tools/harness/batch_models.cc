// The synthetic data of curv bench batch and curvature's side of it.
// batch_solve() is instantiated here, once per model.
#include "batch_models.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <random>
#include <span>
#include <utility>

#include "curvature/batch_solve.h"
#include "curvature/error.h"

namespace curvature::bench {
namespace {

// Random numbers that a seed fixes on every standard library (the
// std::*_distribution algorithms are implementation-defined).
class Random {
 public:
  explicit Random(std::uint64_t seed) : rng_(seed) {}
  // Uniform in (0, 1).
  double uniform() { return (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Standard normal (Box-Muller; the second of the pair is dropped for simplicity).
  double normal() { return std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * std::numbers::pi * uniform()); }
  // Poisson with mean `mean`: Knuth's product of uniforms below 30, the
  // rounded normal approximation above (photon counts of hundreds).
  double poisson(double mean) {
    if (mean < 30.0) {
      const double limit = std::exp(-mean);
      double product = uniform();
      int count = 0;
      while (product > limit) {
        product *= uniform();
        ++count;
      }
      return count;
    }
    return std::max(0.0, std::round(mean + std::sqrt(mean) * normal()));
  }

 private:
  std::mt19937_64 rng_;
};

template <int kSide>
void make_gaussians(BatchCase& batch, Random& random) {
  batch.parameter_names = {"amplitude", "x0", "y0", "sigma", "background"};
  constexpr int side = kSide;
  const double shift = side > 5 ? 1.0 : 0.5;
  const double sigma_low = side > 5 ? 1.0 : 0.8, sigma_high = side > 5 ? 1.8 : 1.2;
  for (int row = 0; row < side; ++row) {
    for (int column = 0; column < side; ++column) batch.x.insert(batch.x.end(), {double(column), double(row)});
  }
  const double centre = 0.5 * (side - 1);
  for (int k = 0; k < batch.num_fits; ++k) {
    const double truth[5] = {random.uniform(100.0, 1000.0), centre + random.uniform(-shift, shift),
                             centre + random.uniform(-shift, shift), random.uniform(sigma_low, sigma_high),
                             random.uniform(5.0, 20.0)};
    batch.truth.insert(batch.truth.end(), truth, truth + 5);
    double low = INFINITY, high = -INFINITY;
    for (int i = 0; i < side * side; ++i) {
      double value = 0.0;
      Gaussian2dModel<kSide>{}(truth, &batch.x[2 * i], &value);
      const double counts = random.poisson(value);
      batch.y.push_back(counts);
      low = std::min(low, counts);
      high = std::max(high, counts);
    }
    batch.starts.insert(batch.starts.end(), {high - low, centre, centre, 1.5, low});
  }
}

void make_biexponentials(BatchCase& batch, Random& random) {
  batch.parameter_names = {"a1", "k1", "a2", "k2"};
  for (int i = 0; i < BiExponentialModel::kPoints; ++i) batch.x.push_back(0.2 * i);
  for (int k = 0; k < batch.num_fits; ++k) {
    const double truth[4] = {random.uniform(500.0, 1000.0), random.uniform(0.5, 1.0), random.uniform(200.0, 500.0),
                             random.uniform(0.05, 0.15)};
    batch.truth.insert(batch.truth.end(), truth, truth + 4);
    for (const double t : batch.x) {
      double value = 0.0;
      BiExponentialModel{}(truth, &t, &value);
      batch.y.push_back(random.poisson(value));
    }
    for (const double v : truth) batch.starts.push_back(v * random.uniform(0.8, 1.2));
  }
}

void make_misra1a(BatchCase& batch, Random& random) {
  batch.parameter_names = {"b1", "b2"};
  batch.x = {77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8, 378.4, 434.8, 477.3, 536.8, 593.1, 689.1, 760.0};
  const double truth[2] = {2.3894212918E+02, 5.5015643181E-04};  // certified values
  const double sigma = 1.0187876330E-01;                         // certified residual standard deviation
  for (int k = 0; k < batch.num_fits; ++k) {
    batch.truth.insert(batch.truth.end(), truth, truth + 2);
    for (const double x : batch.x) {
      double value = 0.0;
      Misra1aModel{}(truth, &x, &value);
      batch.y.push_back(value + sigma * random.normal());
    }
    batch.starts.insert(batch.starts.end(), {500.0, 1e-4});  // NIST's start 1
  }
}

}  // namespace

BatchCase make_batch_case(const std::string& model, int num_fits, std::uint64_t seed) {
  BatchCase batch;
  batch.model = model;
  batch.num_fits = num_fits;
  Random random(seed);
  const bool known = visit_batch_model(model, [&]<typename Model>() {
    batch.num_parameters = Model::kNumParameters;
    batch.num_inputs = Model::kInputs;
    batch.points_per_fit = Model::kPoints;
  });
  if (!known) throw Error("batch model '" + model + "' is unknown (gauss2d, gauss2d-5x5, biexp, misra1a)");
  batch.x.reserve(std::size_t(batch.points_per_fit) * batch.num_inputs);
  batch.y.reserve(std::size_t(num_fits) * batch.points_per_fit);
  if (model == "gauss2d") make_gaussians<11>(batch, random);
  if (model == "gauss2d-5x5") make_gaussians<5>(batch, random);
  if (model == "biexp") make_biexponentials(batch, random);
  if (model == "misra1a") make_misra1a(batch, random);
  return batch;
}

BatchRun run_curvature_batch(const BatchCase& batch, int threads, bool poisson, bool standard_errors) {
  BatchRun run;
  run.solver = poisson ? "curvature-poisson" : "curvature-batch";
  run.estimates = batch.starts;
  BatchData data;
  data.y = batch.y;
  data.x = batch.x;
  data.points_per_fit = batch.points_per_fit;
  BatchOptions options;
  options.num_threads = threads;
  options.estimator = poisson ? BatchEstimator::kPoissonLikelihood : BatchEstimator::kLeastSquares;
  options.standard_errors = standard_errors;
  BatchResult result;
  const auto begin = std::chrono::steady_clock::now();
  visit_batch_model(batch.model, [&]<typename Model>() {
    result = batch_solve<Model::kNumParameters, Model::kInputs>(Model{}, data, run.estimates, options);
  });
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  run.converged.resize(batch.num_fits);
  for (int k = 0; k < batch.num_fits; ++k) run.converged[k] = converged(result.status[k]) ? 1 : 0;
  run.iterations = result.iterations;
  run.standard_errors = std::move(result.standard_errors);
  return run;
}

}  // namespace curvature::bench
