// curvature/numeric_diff_cost_function.h — Jacobians by finite differences.
//
// For residual functions that cannot be templated (calls into other
// libraries, table look-ups) NumericDiffCostFunction wraps a double-only
// functor with Ceres Solver's signature,
//
//   struct MyResidual {
//     bool operator()(const double* x0, const double* x1, double* residuals) const;
//   };
//   NumericDiffCostFunction<MyResidual, NumericDiffMethod::kCentral, 2, 3, 1> cost(MyResidual{});
//
// and numeric_jacobians() differentiates any CostFunction (this is what the
// gradient checker compares analytic Jacobians with).
//
// Each column j of block i is a difference quotient along coordinate x = x_i[j]
// with a step h relative to |x| (h = relative * |x|, or h = relative when
// x == 0). The difference actually taken is the representable one,
// (x + h) - x, which removes the rounding error of the step itself.
//   kForward  (r(x + h) - r(x)) / h. One evaluation per column. Error O(h) +
//             O(eps / h): about sqrt(eps) ~ 1e-8 relative at best.
//   kCentral  (r(x + h) - r(x - h)) / 2h. Two evaluations per column. Error
//             O(h^2) + O(eps / h): about eps^(2/3) ~ 4e-11 relative at best.
//   kRidders  central differences at steps h0, h0/s, h0/s^2, ... extrapolated
//             to h -> 0 by Neville's polynomial tableau (Ridders 1982;
//             Numerical Recipes' dfridr). Stops when the estimated error falls
//             below ridders_epsilon * |derivative| or when a higher order
//             gets worse (rounding has taken over). Typically 1e-12 or better,
//             at 2 to 2 * max_num_ridders_extrapolations evaluations per column.
// Error estimates and tolerances are taken in the max norm over residuals.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/error.h"
#include "curvature/jet.h"  // kDynamic

namespace curvature {

// The difference schemes described at the top of this file.
enum class NumericDiffMethod { kForward, kCentral, kRidders };

// Step sizes of the difference schemes.
struct NumericDiffOptions {
  // Relative step of forward differences. 1e-6 (rather than the rounding
  // optimum sqrt(eps) ~ 1.5e-8) tolerates residuals that are themselves
  // slightly noisy, at the price of ~1e-6 relative truncation error.
  double forward_relative_step_size = 1e-6;
  // Relative step of central differences: cbrt(eps) ~ 6.06e-6 balances the
  // O(h^2) truncation error with the O(eps / h) rounding error.
  double central_relative_step_size = 6.0554544523933395e-06;
  // Ridders: the first (largest) relative step; later steps are divided by
  // ridders_step_shrink_factor (> 1) each time, at most
  // max_num_ridders_extrapolations steps in all (>= 1; 1 is a plain central
  // difference with the initial step). The extrapolation stops early once
  // the error estimate is <= ridders_epsilon * |derivative| (>= 0).
  double ridders_relative_initial_step_size = 1e-2;
  double ridders_step_shrink_factor = 2.0;
  int max_num_ridders_extrapolations = 10;
  double ridders_epsilon = 1e-12;
};

// Throws curvature::Error naming the first field of `options` out of range.
void validate(const NumericDiffOptions& options);

namespace internal {

// The doubles of scratch space differentiate_coordinate() needs for m residuals.
inline std::size_t numeric_diff_scratch_size(NumericDiffMethod method, int m, const NumericDiffOptions& options) {
  const std::size_t per_vector = static_cast<std::size_t>(m);
  std::size_t vectors = 2;  // r(x + h), r(x - h)
  if (method == NumericDiffMethod::kRidders) {
    vectors += 2 * static_cast<std::size_t>(options.max_num_ridders_extrapolations);  // two tableau rows
  }
  return vectors * per_vector;
}

inline double relative_step(double x, double relative) {
  const double h = relative * std::abs(x);
  return h > 0.0 ? h : relative;
}

inline double max_norm(const double* v, int m) {
  double norm = 0.0;
  for (int k = 0; k < m; ++k) norm = std::max(norm, std::abs(v[k]));
  return norm;
}

inline double max_norm_of_difference(const double* a, const double* b, int m) {
  double norm = 0.0;
  for (int k = 0; k < m; ++k) norm = std::max(norm, std::abs(a[k] - b[k]));
  return norm;
}

// Writes d r / d x into derivative[0..m), where x is one coordinate of the
// parameters that eval(double* residuals) -> bool reads. x is perturbed in
// place and restored before returning. r0 holds r at the unperturbed point
// (used by kForward). scratch has numeric_diff_scratch_size() doubles.
// Returns false when eval fails at a perturbed point.
template <typename Eval>
bool differentiate_coordinate(Eval& eval, double& x, int m, const double* r0, NumericDiffMethod method,
                              const NumericDiffOptions& options, double* scratch, double* derivative) {
  const double x0 = x;
  double* r_plus = scratch;
  double* r_minus = scratch + m;

  if (method == NumericDiffMethod::kForward) {
    x = x0 + relative_step(x0, options.forward_relative_step_size);
    const double h = x - x0;
    const bool ok = eval(r_plus);
    x = x0;
    if (!ok) return false;
    for (int k = 0; k < m; ++k) derivative[k] = (r_plus[k] - r0[k]) / h;
    return true;
  }

  auto central = [&](double h, double* out) {
    x = x0 + h;
    const double plus = x;
    bool ok = eval(r_plus);
    x = x0 - h;
    const double minus = x;
    ok = ok && eval(r_minus);
    x = x0;
    if (!ok) return false;
    const double inverse_width = 1.0 / (plus - minus);
    for (int k = 0; k < m; ++k) out[k] = (r_plus[k] - r_minus[k]) * inverse_width;
    return true;
  };

  if (method == NumericDiffMethod::kCentral) {
    return central(relative_step(x0, options.central_relative_step_size), derivative);
  }

  // Ridders. Row i of the tableau holds estimates of order 0..i from the
  // steps h_0..h_i; entry k of row i extrapolates entries k-1 of rows i and
  // i-1, cancelling the h^(2k) error term (central differences have an
  // even error expansion, hence the factor s^2 per order).
  const int rows = options.max_num_ridders_extrapolations;
  const double s = options.ridders_step_shrink_factor;
  double* previous = scratch + 2 * m;
  double* current = previous + static_cast<std::ptrdiff_t>(rows) * m;
  double h = relative_step(x0, options.ridders_relative_initial_step_size);
  double best_error = std::numeric_limits<double>::infinity();
  for (int i = 0; i < rows; ++i, h /= s) {
    if (!central(h, current)) return false;
    if (i == 0) std::copy(current, current + m, derivative);
    double factor = s * s;
    for (int k = 1; k <= i; ++k, factor *= s * s) {
      double* estimate = current + k * m;
      const double* lower = current + (k - 1) * m;
      const double* lower_previous = previous + (k - 1) * m;
      for (int c = 0; c < m; ++c) estimate[c] = (factor * lower[c] - lower_previous[c]) / (factor - 1.0);
      // Distance to both estimates it came from: a conservative error bound.
      const double error =
          std::max(max_norm_of_difference(estimate, lower, m), max_norm_of_difference(estimate, lower_previous, m));
      if (error <= best_error) {
        best_error = error;
        std::copy(estimate, estimate + m, derivative);
      }
    }
    // The highest order moved more than twice the best error: rounding error
    // dominates from here on, smaller steps would only make it worse.
    if (i > 0 && max_norm_of_difference(current + i * m, previous + (i - 1) * m, m) >= 2.0 * best_error) break;
    if (best_error <= options.ridders_epsilon * max_norm(derivative, m)) break;
    std::swap(previous, current);
  }
  return true;
}

// Fills every non-null jacobians[i] (row-major m x block_sizes[i]) by
// differentiating along each coordinate of the writable parameter copies
// params[i]. On failure returns false and, when `failed` is non-null, stores
// {block, coordinate} of the perturbation that could not be evaluated.
template <typename Eval>
bool numeric_jacobian_blocks(Eval& eval, double* const* params, const int* block_sizes, int num_blocks, int m,
                             const double* r0, NumericDiffMethod method, const NumericDiffOptions& options,
                             double* scratch, double* derivative, double** jacobians,
                             std::pair<int, int>* failed = nullptr) {
  for (int i = 0; i < num_blocks; ++i) {
    if (jacobians[i] == nullptr) continue;
    const int size = block_sizes[i];
    for (int j = 0; j < size; ++j) {
      if (!differentiate_coordinate(eval, params[i][j], m, r0, method, options, scratch, derivative)) {
        if (failed != nullptr) *failed = {i, j};
        return false;
      }
      for (int k = 0; k < m; ++k) jacobians[i][k * size + j] = derivative[k];
    }
  }
  return true;
}

template <int kNumResiduals, int... kBlockSizes>
using NumericDiffBase =
    std::conditional_t<kNumResiduals == kDynamic, CostFunction, SizedCostFunction<kNumResiduals, kBlockSizes...>>;

}  // namespace internal

// A dense row-major matrix: the layout of a CostFunction Jacobian block.
using JacobianMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The Jacobian blocks of f at `parameters` by finite differences: one
// num_residuals x size_i matrix per block. f's own Jacobians are not used.
// Throws curvature::Error when `parameters` or one of its blocks is null,
// when the options are invalid, and when f fails to evaluate at the point or
// at a perturbed point (the message names the block and coordinate).
inline std::vector<JacobianMatrix> numeric_jacobians(const CostFunction& f, double const* const* parameters,
                                                     NumericDiffMethod method, const NumericDiffOptions& options = {}) {
  validate(options);
  const std::vector<int>& sizes = f.parameter_block_sizes();
  const int m = f.num_residuals();
  const int num_blocks = static_cast<int>(sizes.size());
  if (parameters == nullptr) throw Error("numeric_jacobians: the parameter array is null");
  std::vector<std::vector<double>> copies(sizes.size());
  std::vector<double*> params(sizes.size());
  for (int i = 0; i < num_blocks; ++i) {
    if (parameters[i] == nullptr) throw Error("numeric_jacobians: parameter block " + std::to_string(i) + " is null");
    copies[i].assign(parameters[i], parameters[i] + sizes[i]);
    params[i] = copies[i].data();
  }

  std::vector<double> r0(static_cast<std::size_t>(m));
  std::vector<double> scratch(internal::numeric_diff_scratch_size(method, m, options));
  std::vector<double> derivative(static_cast<std::size_t>(m));
  std::vector<JacobianMatrix> result;
  std::vector<double*> jacobians;
  for (int i = 0; i < num_blocks; ++i) {
    result.emplace_back(m, sizes[i]);
    jacobians.push_back(result.back().data());
  }
  auto eval = [&](double* residuals) { return f.evaluate(params.data(), residuals, nullptr); };
  if (!eval(r0.data())) throw Error("numeric_jacobians: the cost function failed to evaluate at the given point");
  std::pair<int, int> failed;
  if (!internal::numeric_jacobian_blocks(eval, params.data(), sizes.data(), num_blocks, m, r0.data(), method, options,
                                         scratch.data(), derivative.data(), jacobians.data(), &failed)) {
    throw Error("numeric_jacobians: the cost function failed to evaluate after perturbing parameter block " +
                std::to_string(failed.first) + ", coordinate " + std::to_string(failed.second));
  }
  return result;
}

// A CostFunction whose Jacobians are finite differences of a double functor
// (see the top of this file). kNumResiduals may be kDynamic, in which case
// the residual count is a constructor argument. Options are validated at
// construction (curvature::Error). evaluate() returns false when the functor
// fails at the point or at any perturbed point. Forward and central
// differences with a fixed residual count allocate nothing per evaluation;
// Ridders allocates its tableau.
// The cost function of a double-only Functor with Ceres Solver's signature, differentiated by kMethod
// (see the top of this file): kNumResiduals residuals (kDynamic: a count given to the constructor)
// over parameter blocks of the sizes kBlockSizes.
template <typename Functor, NumericDiffMethod kMethod, int kNumResiduals, int... kBlockSizes>
class NumericDiffCostFunction : public internal::NumericDiffBase<kNumResiduals, kBlockSizes...> {
 public:
  static_assert(kNumResiduals > 0 || kNumResiduals == kDynamic,
                "NumericDiffCostFunction: kNumResiduals must be positive or kDynamic");
  static_assert(sizeof...(kBlockSizes) > 0, "NumericDiffCostFunction: at least one parameter block is needed");
  static_assert(((kBlockSizes > 0) && ...), "NumericDiffCostFunction: block sizes must be positive");

  static constexpr int kNumBlocks = sizeof...(kBlockSizes);   // the number of parameter blocks
  static constexpr int kNumParameters = (kBlockSizes + ...);  // the sum of the block sizes

  // Fixed residual count: the functor by value or as a unique_ptr (null is a curvature::Error), owned
  // by the cost function; options out of range are a curvature::Error.
  explicit NumericDiffCostFunction(Functor functor,
                                   const NumericDiffOptions& options = {}) requires(kNumResiduals != kDynamic)
      : NumericDiffCostFunction(std::make_unique<Functor>(std::move(functor)), options) {}
  explicit NumericDiffCostFunction(std::unique_ptr<Functor> functor,
                                   const NumericDiffOptions& options = {}) requires(kNumResiduals != kDynamic)
      : functor_(std::move(functor)), options_(options) {
    check_construction();
  }
  // kNumResiduals == kDynamic: as above, with the residual count (positive).
  NumericDiffCostFunction(Functor functor, int num_residuals,
                          const NumericDiffOptions& options = {}) requires(kNumResiduals == kDynamic)
      : NumericDiffCostFunction(std::make_unique<Functor>(std::move(functor)), num_residuals, options) {}
  NumericDiffCostFunction(std::unique_ptr<Functor> functor, int num_residuals,
                          const NumericDiffOptions& options = {}) requires(kNumResiduals == kDynamic)
      : functor_(std::move(functor)), options_(options) {
    check_construction();
    this->set_num_residuals(num_residuals);
    this->share_parameter_block_sizes(internal::shared_parameter_block_sizes<kBlockSizes...>());
  }

  const Functor& functor() const { return *functor_; }            // the functor the cost function owns
  const NumericDiffOptions& options() const { return options_; }  // as given to the constructor

  // CostFunction::evaluate(): the functor at `parameters`, then the difference quotients of kMethod
  // for the Jacobians asked for.
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    constexpr auto kBlocks = std::make_index_sequence<kNumBlocks>();
    if (!call(parameters, residuals, kBlocks)) return false;
    if (jacobians == nullptr) return true;

    static constexpr std::array<int, kNumBlocks> kSizes{kBlockSizes...};
    std::array<double, kNumParameters> x;
    std::array<double*, kNumBlocks> params;
    for (int i = 0, offset = 0; i < kNumBlocks; offset += kSizes[i], ++i) {
      std::copy(parameters[i], parameters[i] + kSizes[i], x.data() + offset);
      params[i] = x.data() + offset;
    }
    auto eval = [&](double* out) { return call(params.data(), out, kBlocks); };
    const int m = this->num_residuals();
    if constexpr (kNumResiduals != kDynamic && kMethod != NumericDiffMethod::kRidders) {
      std::array<double, 3 * kNumResiduals> scratch;  // r(x + h), r(x - h), derivative
      return internal::numeric_jacobian_blocks(eval, params.data(), kSizes.data(), kNumBlocks, m, residuals, kMethod,
                                               options_, scratch.data(), scratch.data() + 2 * m, jacobians);
    } else {
      std::vector<double> scratch(internal::numeric_diff_scratch_size(kMethod, m, options_) + m);
      return internal::numeric_jacobian_blocks(eval, params.data(), kSizes.data(), kNumBlocks, m, residuals, kMethod,
                                               options_, scratch.data() + m, scratch.data(), jacobians);
    }
  }

 private:
  void check_construction() {
    if (!functor_) throw Error("NumericDiffCostFunction: the functor pointer is null");
    validate(options_);
  }

  template <std::size_t... I>
  bool call(double const* const* parameters, double* residuals, std::index_sequence<I...>) const {
    return (*functor_)(parameters[I]..., residuals);
  }

  std::unique_ptr<Functor> functor_;
  NumericDiffOptions options_;
};

}  // namespace curvature
