// curvature/autodiff_cost_function.h — a CostFunction from a templated functor,
// differentiated exactly by forward-mode automatic differentiation.
//
// The functor has Ceres Solver's signature, one pointer per parameter block:
//
//   struct MyResidual {
//     template <typename T>
//     bool operator()(const T* x0, const T* x1, T* residuals) const {
//       residuals[0] = x0[0] * x1[0] - 1.0;  // ... kNumResiduals entries
//       return true;                         // false: cannot evaluate here
//     }
//   };
//   AutoDiffCostFunction<MyResidual, 1, 2, 1> cost(MyResidual{});
//
// Rules:
//   * Without Jacobians (jacobians == nullptr) the functor runs with
//     T = double: no jets, no overhead.
//   * With Jacobians it runs once with T = Jet<double, S>, S the sum of the
//     block sizes (a compile-time constant), every parameter of every block
//     seeded as an independent variable. Only the non-null jacobians[i] are
//     written (row-major, num_residuals x block size i).
//   * evaluate_second_derivative_product() (Newton methods with
//     HessianModel::kExact) runs it once with T = Jet<Jet<double, S>, 1>:
//     exact second derivatives along one direction, about twice the work of
//     a Jacobian.
//   * Fixed sizes allocate nothing per evaluation: the jets live in
//     std::arrays on the stack (S * (S + 1) doubles per parameter, so very
//     large blocks want DynamicAutoDiffCostFunction instead). With
//     kNumResiduals == kDynamic the residual count is given to the
//     constructor and the residual jets are allocated per evaluation.
//   * evaluate() returns what the functor returns; when it returns false the
//     outputs are unspecified.
//   * The functor must be const-callable and generic in T: call math
//     functions unqualified (after `using std::exp;` etc.) so that
//     curvature's jet overloads are found by argument-dependent lookup.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/error.h"
#include "curvature/jet.h"

namespace curvature {

namespace internal {

// Fixed residual counts derive from SizedCostFunction (compile-time checks);
// kDynamic derives from CostFunction and sets its sizes at construction.
template <int kNumResiduals, int... kBlockSizes>
using AutoDiffBase =
    std::conditional_t<kNumResiduals == kDynamic, CostFunction, SizedCostFunction<kNumResiduals, kBlockSizes...>>;

// Start of each block in the concatenated parameter vector.
template <int... kBlockSizes>
constexpr std::array<int, sizeof...(kBlockSizes)> block_offsets() {
  std::array<int, sizeof...(kBlockSizes)> offsets{};
  const std::array<int, sizeof...(kBlockSizes)> sizes{kBlockSizes...};
  int offset = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    offsets[i] = offset;
    offset += sizes[i];
  }
  return offsets;
}

}  // namespace internal

// The cost function of a templated Functor (see the top of this file): kNumResiduals residuals
// (kDynamic: a count given to the constructor) over parameter blocks of the sizes kBlockSizes,
// with Jacobians by forward-mode automatic differentiation.
template <typename Functor, int kNumResiduals, int... kBlockSizes>
class AutoDiffCostFunction : public internal::AutoDiffBase<kNumResiduals, kBlockSizes...> {
 public:
  static_assert(kNumResiduals > 0 || kNumResiduals == kDynamic,
                "AutoDiffCostFunction: kNumResiduals must be positive or kDynamic");
  static_assert(sizeof...(kBlockSizes) > 0, "AutoDiffCostFunction: at least one parameter block is needed");
  static_assert(((kBlockSizes > 0) && ...), "AutoDiffCostFunction: block sizes must be positive (no kDynamic)");

  static constexpr int kNumParameters = (kBlockSizes + ...);  // S, the sum of the block sizes
  using JetType = Jet<double, kNumParameters>;                // what the functor sees when Jacobians are wanted

  // Fixed residual count. The functor is taken by value (or as a non-null
  // unique_ptr, for functors that cannot be moved) and owned by the cost
  // function, never copied during evaluate(). A functor taken by value
  // lives inside the cost function, so a problem of many small residual
  // blocks keeps one heap chunk per block, not two.
  explicit AutoDiffCostFunction(Functor functor) requires(kNumResiduals != kDynamic)
      : functor_(std::in_place_index<0>, std::move(functor)) {}
  explicit AutoDiffCostFunction(std::unique_ptr<Functor> functor) requires(kNumResiduals != kDynamic)
      : functor_(std::in_place_index<1>, checked(std::move(functor))) {}

  // kNumResiduals == kDynamic: the residual count is given here; a
  // non-positive count is a curvature::Error.
  AutoDiffCostFunction(Functor functor, int num_residuals) requires(kNumResiduals == kDynamic)
      : functor_(std::in_place_index<0>, std::move(functor)) {
    set_sizes(num_residuals);
  }
  AutoDiffCostFunction(std::unique_ptr<Functor> functor, int num_residuals) requires(kNumResiduals == kDynamic)
      : functor_(std::in_place_index<1>, checked(std::move(functor))) {
    set_sizes(num_residuals);
  }

  // The functor the cost function owns.
  const Functor& functor() const {
    if (const Functor* inline_functor = std::get_if<0>(&functor_)) return *inline_functor;
    return **std::get_if<1>(&functor_);
  }

  // CostFunction::evaluate(): the functor with T = double, or once with T = JetType when Jacobians are
  // wanted.
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    constexpr auto kBlocks = std::make_index_sequence<sizeof...(kBlockSizes)>();
    if (jacobians == nullptr) return call(parameters, residuals, kBlocks);
    constexpr std::array<int, sizeof...(kBlockSizes)> kOffsets = internal::block_offsets<kBlockSizes...>();
    constexpr std::array<int, sizeof...(kBlockSizes)> kSizes{kBlockSizes...};
    return evaluate_jets(seeded(parameters), [&](const JetType* r) {
      extract(r, this->num_residuals(), kOffsets, kSizes, residuals, jacobians);
    });
  }

  // J^T r summed straight from the residual jets: no Jacobian is stored and
  // nothing is allocated (the base class's default forms J in per-thread
  // buffers and multiplies).
  bool evaluate_gradient(double const* const* parameters, double* residuals, double** gradients) const override {
    constexpr std::array<int, sizeof...(kBlockSizes)> kOffsets = internal::block_offsets<kBlockSizes...>();
    constexpr std::array<int, sizeof...(kBlockSizes)> kSizes{kBlockSizes...};
    return evaluate_jets(seeded(parameters), [&](const JetType* r) {
      const int num_residuals = this->num_residuals();
      for (int k = 0; k < num_residuals; ++k) residuals[k] = r[k].a;
      for (std::size_t i = 0; i < kSizes.size(); ++i) {
        if (gradients[i] == nullptr) continue;
        for (int j = 0; j < kSizes[i]; ++j) {
          double sum = 0.0;
          for (int k = 0; k < num_residuals; ++k) sum += r[k].v[kOffsets[i] + j] * r[k].a;
          gradients[i][j] = sum;
        }
      }
    });
  }

  // Exact second derivatives by nested forward mode: one call with
  // T = Jet<Jet<double, S>, 1>, each parameter x_j = ((x_j, e_j), (d_j, 0)),
  // so residual r's outer derivative carries grad(r) . d, and its inner
  // derivatives the Hessian-vector product (d^2 r / dx dx) d.
  bool has_second_derivatives() const override { return true; }

  // CostFunction::evaluate_second_derivative_product(), by the nested jets described above.
  bool evaluate_second_derivative_product(double const* const* parameters, const double* weights,
                                          double const* const* directions, double** products) const override {
    using SecondOrderJet = Jet<JetType, 1>;
    constexpr std::array<int, sizeof...(kBlockSizes)> kOffsets = internal::block_offsets<kBlockSizes...>();
    constexpr std::array<int, sizeof...(kBlockSizes)> kSizes{kBlockSizes...};
    std::array<SecondOrderJet, kNumParameters> x;
    for (std::size_t i = 0; i < kSizes.size(); ++i) {
      for (int j = 0; j < kSizes[i]; ++j) {
        SecondOrderJet& p = x[kOffsets[i] + j];
        p.a.a = parameters[i][j];
        p.a.v[kOffsets[i] + j] = 1.0;
        p.v[0].a = directions[i] != nullptr ? directions[i][j] : 0.0;
      }
    }
    return evaluate_jets(x, [&](const SecondOrderJet* r) {
      const int num_residuals = this->num_residuals();
      for (std::size_t i = 0; i < kSizes.size(); ++i) {
        if (products[i] == nullptr) continue;
        for (int j = 0; j < kSizes[i]; ++j) {
          double sum = 0.0;
          for (int k = 0; k < num_residuals; ++k) sum += weights[k] * r[k].v[0].v[kOffsets[i] + j];
          products[i][j] = sum;
        }
      }
    });
  }

 private:
  static std::unique_ptr<Functor> checked(std::unique_ptr<Functor> functor) {
    if (!functor) throw Error("AutoDiffCostFunction: the functor pointer is null");
    return functor;
  }

  void set_sizes(int num_residuals) {
    this->set_num_residuals(num_residuals);
    this->share_parameter_block_sizes(internal::shared_parameter_block_sizes<kBlockSizes...>());
  }

  // The parameters as first-order jets: parameter j of block i is
  // independent variable number offset_i + j.
  static std::array<JetType, kNumParameters> seeded(double const* const* parameters) {
    constexpr std::array<int, sizeof...(kBlockSizes)> kOffsets = internal::block_offsets<kBlockSizes...>();
    constexpr std::array<int, sizeof...(kBlockSizes)> kSizes{kBlockSizes...};
    std::array<JetType, kNumParameters> x;
    for (std::size_t i = 0; i < kSizes.size(); ++i) {
      for (int j = 0; j < kSizes[i]; ++j) {
        JetType& p = x[kOffsets[i] + j];
        p.a = parameters[i][j];
        p.v[kOffsets[i] + j] = 1.0;  // v is already zero
      }
    }
    return x;
  }

  template <std::size_t... I>
  bool call(double const* const* parameters, double* residuals, std::index_sequence<I...>) const {
    return functor()(parameters[I]..., residuals);
  }

  // Runs the functor on first- or second-order jets (JetType, or
  // Jet<JetType, 1>) and hands the residual jets to `use`.
  template <typename T, typename Use>
  bool evaluate_jets(const std::array<T, kNumParameters>& x, Use&& use) const {
    constexpr auto kBlocks = std::make_index_sequence<sizeof...(kBlockSizes)>();
    if constexpr (kNumResiduals == kDynamic) {
      std::vector<T> r(static_cast<std::size_t>(this->num_residuals()));
      if (!call_jets(x, r.data(), kBlocks)) return false;
      use(r.data());
    } else {
      std::array<T, kNumResiduals> r;
      if (!call_jets(x, r.data(), kBlocks)) return false;
      use(r.data());
    }
    return true;
  }

  template <typename T, std::size_t... I>
  bool call_jets(const std::array<T, kNumParameters>& x, T* residuals, std::index_sequence<I...>) const {
    constexpr std::array<int, sizeof...(kBlockSizes)> kOffsets = internal::block_offsets<kBlockSizes...>();
    return functor()(x.data() + kOffsets[I]..., residuals);
  }

  static void extract(const JetType* r, int num_residuals, const std::array<int, sizeof...(kBlockSizes)>& offsets,
                      const std::array<int, sizeof...(kBlockSizes)>& sizes, double* residuals, double** jacobians) {
    for (int k = 0; k < num_residuals; ++k) residuals[k] = r[k].a;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (jacobians[i] == nullptr) continue;
      for (int k = 0; k < num_residuals; ++k) {
        for (int j = 0; j < sizes[i]; ++j) jacobians[i][k * sizes[i] + j] = r[k].v[offsets[i] + j];
      }
    }
  }

  // Held inline when taken by value, else behind the caller's pointer.
  std::variant<Functor, std::unique_ptr<Functor>> functor_;
};

}  // namespace curvature
