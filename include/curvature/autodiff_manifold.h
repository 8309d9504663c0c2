// curvature/autodiff_manifold.h — a Manifold from templated plus and minus
// functions, its Jacobians by forward-mode automatic differentiation.
//
// The functor writes plus and minus once, generic in the scalar T:
//
//   struct UnitCircle {  // points (cos a, sin a), steps da
//     template <typename T>
//     bool plus(const T* x, const T* delta, T* x_plus_delta) const {
//       using std::cos; using std::sin;
//       x_plus_delta[0] = cos(delta[0]) * x[0] - sin(delta[0]) * x[1];
//       x_plus_delta[1] = sin(delta[0]) * x[0] + cos(delta[0]) * x[1];
//       return true;
//     }
//     template <typename T>
//     bool minus(const T* y, const T* x, T* y_minus_x) const {
//       using std::atan2;
//       y_minus_x[0] = atan2(x[0] * y[1] - x[1] * y[0], x[0] * y[0] + x[1] * y[1]);
//       return true;
//     }
//   };
//   auto circle = std::make_shared<curvature::AutoDiffManifold<UnitCircle, 2, 1>>();
//
// Rules:
//   * plus() and minus() call the functor with T = double.
//   * plus_jacobian(x) calls functor.plus with T = Jet<double, kTangent> at
//     delta = 0, each delta[j] seeded as the j-th variable; minus_jacobian(x)
//     calls functor.minus with T = Jet<double, kAmbient> at y = x, each y[i]
//     seeded. The Jacobians are therefore exact to rounding, provided the
//     functor's derivative is right at delta = 0 and y = x (write small-angle
//     branches whose derivatives are exact there: rotation.h's functions are).
//   * Every function returns what the functor returns (false: the point
//     cannot be evaluated); the outputs are then unspecified.
//   * Call math functions unqualified after `using std::...`, so that jets
//     find curvature's overloads (jet.h).
//   * right_multiply_by_plus_jacobian is Manifold's default (plus_jacobian,
//     then a product).
#pragma once

#include <array>
#include <utility>

#include "curvature/jet.h"
#include "curvature/manifold.h"

namespace curvature {

// A Manifold with kAmbient numbers per point and kTangent per step, whose
// plus and minus are Functor's templated members (see the top of this file).
template <typename Functor, int kAmbient, int kTangent>
class AutoDiffManifold final : public Manifold {
 public:
  static_assert(kTangent >= 1, "AutoDiffManifold: the tangent size must be at least 1");
  static_assert(kTangent <= kAmbient, "AutoDiffManifold: the tangent size cannot exceed the ambient size");

  // A default-constructed functor, or the one given.
  AutoDiffManifold() = default;
  explicit AutoDiffManifold(Functor functor) : functor_(std::move(functor)) {}

  // kAmbient and kTangent.
  int ambient_size() const override { return kAmbient; }
  int tangent_size() const override { return kTangent; }

  // functor.plus with T = double.
  bool plus(const double* x, const double* delta, double* x_plus_delta) const override {
    return functor_.plus(x, delta, x_plus_delta);
  }

  // d functor.plus(x, delta) / d delta at delta = 0, by Jet<double, kTangent>.
  bool plus_jacobian(const double* x, double* jacobian) const override {
    using TangentJet = Jet<double, kTangent>;
    std::array<TangentJet, kAmbient> x_jets;
    std::array<TangentJet, kTangent> delta_jets;
    std::array<TangentJet, kAmbient> result;
    for (int i = 0; i < kAmbient; ++i) x_jets[i] = TangentJet(x[i]);
    for (int j = 0; j < kTangent; ++j) delta_jets[j] = TangentJet(0.0, j);
    if (!functor_.plus(x_jets.data(), delta_jets.data(), result.data())) return false;
    for (int i = 0; i < kAmbient; ++i) {
      for (int j = 0; j < kTangent; ++j) jacobian[i * kTangent + j] = result[i].v[j];
    }
    return true;
  }

  // functor.minus with T = double.
  bool minus(const double* y, const double* x, double* y_minus_x) const override {
    return functor_.minus(y, x, y_minus_x);
  }

  // d functor.minus(y, x) / d y at y = x, by Jet<double, kAmbient>.
  bool minus_jacobian(const double* x, double* jacobian) const override {
    using AmbientJet = Jet<double, kAmbient>;
    std::array<AmbientJet, kAmbient> y_jets;
    std::array<AmbientJet, kAmbient> x_jets;
    std::array<AmbientJet, kTangent> result;
    for (int i = 0; i < kAmbient; ++i) {
      y_jets[i] = AmbientJet(x[i], i);
      x_jets[i] = AmbientJet(x[i]);
    }
    if (!functor_.minus(y_jets.data(), x_jets.data(), result.data())) return false;
    for (int j = 0; j < kTangent; ++j) {
      for (int i = 0; i < kAmbient; ++i) jacobian[j * kAmbient + i] = result[j].v[i];
    }
    return true;
  }

  // The functor this manifold calls.
  const Functor& functor() const { return functor_; }

 private:
  Functor functor_;
};

}  // namespace curvature
