// The parts of batch_solve() that do not depend on the model: the checks of
// the input, the sharing of fits among threads, the status names.
#include "curvature/batch_solve.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "curvature/error.h"
#include "curvature/thread_pool.h"

namespace curvature {

const char* to_string(BatchStatus status) {
  switch (status) {
    case BatchStatus::kGradientTolerance:
      return "gradient-tolerance";
    case BatchStatus::kParameterTolerance:
      return "parameter-tolerance";
    case BatchStatus::kFunctionTolerance:
      return "function-tolerance";
    case BatchStatus::kMaxIterations:
      return "max-iterations";
    case BatchStatus::kDampingLimit:
      return "damping-limit";
    case BatchStatus::kInvalidStart:
      return "invalid-start";
  }
  return "unknown";
}

int BatchResult::num_converged() const {
  int count = 0;
  for (const BatchStatus s : status) count += converged(s) ? 1 : 0;
  return count;
}

namespace internal {
namespace {

constexpr const char* kOptions = "BatchOptions";

void check_options(const BatchOptions& options, int num_parameters) {
  require_option(options.max_iterations >= 1, kOptions, "max_iterations", "at least 1", options.max_iterations);
  require_option(options.gradient_tolerance >= 0.0, kOptions, "gradient_tolerance", "non-negative",
                 options.gradient_tolerance);
  require_option(options.parameter_tolerance >= 0.0, kOptions, "parameter_tolerance", "non-negative",
                 options.parameter_tolerance);
  require_option(options.function_tolerance >= 0.0, kOptions, "function_tolerance", "non-negative",
                 options.function_tolerance);
  require_option(options.initial_damping > 0.0 && std::isfinite(options.initial_damping), kOptions, "initial_damping",
                 "positive and finite", options.initial_damping);
  require_option(
      options.estimator == BatchEstimator::kLeastSquares || options.estimator == BatchEstimator::kPoissonLikelihood,
      kOptions, "estimator", "kLeastSquares or kPoissonLikelihood", static_cast<int>(options.estimator));
  require_option(options.num_threads >= 1 && options.num_threads <= kMaxThreads, kOptions, "num_threads",
                 "in [1, " + std::to_string(kMaxThreads) + "]", options.num_threads);
  const auto check_bounds = [&](const std::vector<double>& bounds, const char* name) {
    if (!bounds.empty() && static_cast<int>(bounds.size()) != num_parameters) {
      throw Error(std::string("BatchOptions::") + name + " must be empty or hold " + std::to_string(num_parameters) +
                  " entries (one per parameter), got " + std::to_string(bounds.size()));
    }
    for (std::size_t j = 0; j < bounds.size(); ++j) {
      if (std::isnan(bounds[j])) {
        throw Error(std::string("BatchOptions::") + name + "[" + std::to_string(j) + "] is NaN");
      }
    }
  };
  check_bounds(options.lower_bounds, "lower_bounds");
  check_bounds(options.upper_bounds, "upper_bounds");
  if (!options.lower_bounds.empty() && !options.upper_bounds.empty()) {
    for (int j = 0; j < num_parameters; ++j) {
      if (options.lower_bounds[j] > options.upper_bounds[j]) {
        throw Error("BatchOptions: lower_bounds[" + std::to_string(j) + "] = " + to_decimal(options.lower_bounds[j]) +
                    " is above upper_bounds[" + std::to_string(j) + "] = " + to_decimal(options.upper_bounds[j]));
      }
    }
  }
}

BatchLayout check_layout(const BatchData& data, int num_inputs, const BatchOptions& options) {
  if (data.y.empty()) throw Error("batch_solve: BatchData::y is empty (no observations)");
  if (data.points_per_fit < 0) {
    throw Error("batch_solve: BatchData::points_per_fit must be non-negative, got " +
                std::to_string(data.points_per_fit));
  }
  BatchLayout layout;
  const std::size_t m = data.y.size();
  if (data.points_per_fit > 0) {
    if (!data.fit_starts.empty()) {
      throw Error("batch_solve: give BatchData::points_per_fit or BatchData::fit_starts, not both");
    }
    layout.points_per_fit = static_cast<std::size_t>(data.points_per_fit);
    if (m % layout.points_per_fit != 0) {
      throw Error("batch_solve: BatchData::y holds " + std::to_string(m) +
                  " observations, not a multiple of points_per_fit = " + std::to_string(data.points_per_fit));
    }
    layout.num_fits = static_cast<int>(m / layout.points_per_fit);
  } else {
    const std::span<const std::size_t> starts = data.fit_starts;
    if (starts.size() < 2) {
      throw Error("batch_solve: BatchData::fit_starts needs num_fits + 1 entries (or set points_per_fit), got " +
                  std::to_string(starts.size()));
    }
    if (starts.front() != 0 || starts.back() != m) {
      throw Error("batch_solve: BatchData::fit_starts must begin at 0 and end at y.size() = " + std::to_string(m) +
                  ", got " + std::to_string(starts.front()) + " ... " + std::to_string(starts.back()));
    }
    for (std::size_t k = 0; k + 1 < starts.size(); ++k) {
      if (starts[k + 1] <= starts[k]) {
        throw Error("batch_solve: fit " + std::to_string(k) + " has no points (BatchData::fit_starts[" +
                    std::to_string(k) + "] = " + std::to_string(starts[k]) + ", fit_starts[" + std::to_string(k + 1) +
                    "] = " + std::to_string(starts[k + 1]) + ")");
      }
    }
    layout.starts = starts;
    layout.num_fits = static_cast<int>(starts.size() - 1);
  }
  const std::size_t inputs = static_cast<std::size_t>(num_inputs);
  if (data.x.size() == inputs * m) {
    layout.shared_x = false;
  } else if (data.points_per_fit > 0 && data.x.size() == inputs * layout.points_per_fit) {
    layout.shared_x = true;
  } else {
    std::string expected = std::to_string(inputs * m) + " (" + std::to_string(num_inputs) + " per observation)";
    if (data.points_per_fit > 0) {
      expected += " or " + std::to_string(inputs * layout.points_per_fit) + " (one grid shared by every fit)";
    }
    throw Error("batch_solve: BatchData::x holds " + std::to_string(data.x.size()) + " numbers, expected " + expected);
  }
  if (options.estimator == BatchEstimator::kPoissonLikelihood) {
    if (!data.weights.empty()) {
      throw Error(
          "batch_solve: BatchData::weights are not used by the Poisson likelihood (the variance is the mean); "
          "leave them empty");
    }
    for (std::size_t i = 0; i < m; ++i) {
      if (!(data.y[i] >= 0.0) || !std::isfinite(data.y[i])) {
        throw Error("batch_solve: BatchData::y[" + std::to_string(i) + "] = " + to_decimal(data.y[i]) +
                    " is not a count (the Poisson likelihood needs finite y >= 0)");
      }
    }
  }
  if (!data.weights.empty() && data.weights.size() != m) {
    throw Error("batch_solve: BatchData::weights holds " + std::to_string(data.weights.size()) +
                " numbers, expected none or one per observation (" + std::to_string(m) + ")");
  }
  return layout;
}

}  // namespace

BatchLayout check_batch(const BatchData& data, std::span<const double> parameters, int num_parameters, int num_inputs,
                        const BatchOptions& options) {
  check_options(options, num_parameters);
  const BatchLayout layout = check_layout(data, num_inputs, options);
  const std::size_t expected = std::size_t(layout.num_fits) * std::size_t(num_parameters);
  if (parameters.size() != expected) {
    throw Error("batch_solve: parameters holds " + std::to_string(parameters.size()) + " numbers, expected " +
                std::to_string(expected) + " (" + std::to_string(layout.num_fits) + " fits x " +
                std::to_string(num_parameters) + " parameters)");
  }
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    if (!std::isfinite(parameters[i])) {
      throw Error("batch_solve: the start of fit " + std::to_string(i / num_parameters) + ", parameter " +
                  std::to_string(i % num_parameters) + " is " + to_decimal(parameters[i]) + " (not finite)");
    }
  }
  return layout;
}

void run_batch(int num_fits, int num_threads, const std::function<void(int begin, int end)>& fit_range) {
  if (num_threads == 1 || num_fits < 2) {
    fit_range(0, num_fits);
    return;
  }
  ThreadPool pool(std::min(num_threads, num_fits));
  pool.parallel_for(num_fits, [&](int /*thread*/, int begin, int end) { fit_range(begin, end); });
}

}  // namespace internal
}  // namespace curvature
