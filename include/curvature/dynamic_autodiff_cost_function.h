// curvature/dynamic_autodiff_cost_function.h — automatic differentiation when
// the number and sizes of the parameter blocks, or the residual count, are
// known only at run time.
//
// The functor receives an array of block pointers:
//
//   struct Spline {
//     template <typename T>
//     bool operator()(T const* const* parameters, T* residuals) const;
//   };
//   DynamicAutoDiffCostFunction<Spline> cost(Spline{...});
//   cost.add_parameter_block(4);     // sizes, in order,
//   cost.add_parameter_block(10);
//   cost.set_num_residuals(7);       // before evaluate() or adding to a Problem
//
// Rules:
//   * Without Jacobians the functor runs with T = double.
//   * With Jacobians it runs once with T = Jet<double, kDynamic>. Only the
//     parameters of blocks whose jacobians[i] is non-null are seeded as
//     variables (the derivative size is their total count); the other blocks
//     enter as constants with an empty derivative vector, so a constant block
//     costs nothing. Only non-null jacobians[i] are written (row-major).
//   * Each evaluation with Jacobians allocates: one derivative vector per
//     parameter and residual. Prefer AutoDiffCostFunction when sizes are
//     known at compile time.
//   * evaluate_second_derivative_product() (Newton methods with
//     HessianModel::kExact) runs it once with T = Jet<Jet<double, kDynamic>, 1>.
//   * evaluate() throws curvature::Error when no residual count or no block
//     was set, and returns what the functor returns otherwise.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/error.h"
#include "curvature/jet.h"

namespace curvature {

// The cost function of a templated Functor over an array of block pointers, with sizes set at run
// time (add_parameter_block(), set_num_residuals()) and Jacobians by dynamic-size jets (see the top
// of this file).
template <typename Functor>
class DynamicAutoDiffCostFunction : public DynamicCostFunction {
 public:
  using JetType = Jet<double, kDynamic>;  // what the functor sees when Jacobians are wanted

  // The functor by value, or as a unique_ptr (null is a curvature::Error); owned by the cost function.
  explicit DynamicAutoDiffCostFunction(Functor functor) : functor_(std::make_unique<Functor>(std::move(functor))) {}
  explicit DynamicAutoDiffCostFunction(std::unique_ptr<Functor> functor) : functor_(std::move(functor)) {
    if (!functor_) throw Error("DynamicAutoDiffCostFunction: the functor pointer is null");
  }

  const Functor& functor() const { return *functor_; }  // the functor the cost function owns

  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const std::vector<int>& sizes = parameter_block_sizes();
    const int num_residuals = this->num_residuals();
    check_sizes(num_residuals, sizes);
    if (jacobians == nullptr) return (*functor_)(parameters, residuals);

    const std::size_t num_blocks = sizes.size();
    std::vector<int> offsets;
    const int num_variables = number_variables(jacobians, sizes, &offsets);

    std::vector<std::vector<JetType>> blocks(num_blocks);
    std::vector<const JetType*> block_pointers(num_blocks);
    for (std::size_t i = 0; i < num_blocks; ++i) {
      blocks[i].reserve(static_cast<std::size_t>(sizes[i]));
      for (int j = 0; j < sizes[i]; ++j) {
        if (offsets[i] >= 0) {
          blocks[i].emplace_back(parameters[i][j], num_variables, offsets[i] + j);
        } else {
          blocks[i].emplace_back(parameters[i][j]);  // a constant: empty derivatives
        }
      }
      block_pointers[i] = blocks[i].data();
    }

    std::vector<JetType> r(static_cast<std::size_t>(num_residuals));
    if (!(*functor_)(block_pointers.data(), r.data())) return false;

    for (int k = 0; k < num_residuals; ++k) {
      residuals[k] = r[k].a;
      // A residual that does not depend on the variables may come back with
      // empty derivatives (a constant); any other size is a functor bug.
      if (r[k].v.size() != 0 && r[k].v.size() != num_variables) {
        throw Error("DynamicAutoDiffCostFunction: residual " + std::to_string(k) + " has " +
                    std::to_string(r[k].v.size()) + " derivatives, expected " + std::to_string(num_variables));
      }
    }
    for (std::size_t i = 0; i < num_blocks; ++i) {
      if (jacobians[i] == nullptr) continue;
      for (int k = 0; k < num_residuals; ++k) {
        for (int j = 0; j < sizes[i]; ++j) {
          jacobians[i][k * sizes[i] + j] = r[k].v.size() == 0 ? 0.0 : r[k].v[offsets[i] + j];
        }
      }
    }
    return true;
  }

  // Exact second derivatives by nested forward mode, as in
  // AutoDiffCostFunction: one call with T = Jet<Jet<double, kDynamic>, 1>,
  // the parameters of the blocks whose product is wanted seeded as the
  // inner variables, the direction as the outer derivative.
  bool has_second_derivatives() const override { return true; }

  bool evaluate_second_derivative_product(double const* const* parameters, const double* weights,
                                          double const* const* directions, double** products) const override {
    using SecondOrderJet = Jet<JetType, 1>;
    const std::vector<int>& sizes = parameter_block_sizes();
    const int num_residuals = this->num_residuals();
    check_sizes(num_residuals, sizes);
    const std::size_t num_blocks = sizes.size();
    std::vector<int> offsets;
    const int num_variables = number_variables(products, sizes, &offsets);
    std::vector<std::vector<SecondOrderJet>> blocks(num_blocks);
    std::vector<const SecondOrderJet*> block_pointers(num_blocks);
    for (std::size_t i = 0; i < num_blocks; ++i) {
      blocks[i].resize(static_cast<std::size_t>(sizes[i]));
      for (int j = 0; j < sizes[i]; ++j) {
        SecondOrderJet& p = blocks[i][j];
        p.a = offsets[i] >= 0 ? JetType(parameters[i][j], num_variables, offsets[i] + j) : JetType(parameters[i][j]);
        if (directions[i] != nullptr) p.v[0] = JetType(directions[i][j]);
      }
      block_pointers[i] = blocks[i].data();
    }
    std::vector<SecondOrderJet> r(static_cast<std::size_t>(num_residuals));
    if (!(*functor_)(block_pointers.data(), r.data())) return false;
    for (std::size_t i = 0; i < num_blocks; ++i) {
      if (products[i] == nullptr) continue;
      for (int j = 0; j < sizes[i]; ++j) {
        double sum = 0.0;
        for (int k = 0; k < num_residuals; ++k) {
          // An empty derivative vector is zero (a residual that does not
          // depend on the variables along this direction).
          const auto& second = r[k].v[0].v;
          if (second.size() != 0) sum += weights[k] * second[offsets[i] + j];
        }
        products[i][j] = sum;
      }
    }
    return true;
  }

 private:
  // Variable numbering: the parameters of the blocks whose output is wanted
  // (outputs[i] not null), in order; (*offsets)[i] is block i's first
  // variable, or -1 for a block entering as a constant. Returns the count.
  static int number_variables(double* const* outputs, const std::vector<int>& sizes, std::vector<int>* offsets) {
    offsets->assign(sizes.size(), -1);
    int num_variables = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (outputs[i] != nullptr) {
        (*offsets)[i] = num_variables;
        num_variables += sizes[i];
      }
    }
    return num_variables;
  }

  static void check_sizes(int num_residuals, const std::vector<int>& sizes) {
    if (num_residuals <= 0 || sizes.empty()) {
      throw Error("DynamicAutoDiffCostFunction: call set_num_residuals() and add_parameter_block() before evaluate()");
    }
  }

  std::unique_ptr<Functor> functor_;
};

}  // namespace curvature
