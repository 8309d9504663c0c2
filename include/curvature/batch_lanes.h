// curvature/batch_lanes.h — four fits' numbers in one SIMD register, the
// scalar type behind batch_solve()'s evaluation across fits: a model
// evaluated with T = Jet<Lanes, N> computes four fits' residuals and
// derivatives in one pass, each lane exactly as if alone (every operation
// is lane by lane, so a fit's result never depends on its neighbours).
//
// What a model may use on Lanes (and so on Jet<Lanes, N>): + - * / with
// jets, doubles and ints, and exp, log, sqrt, pow, sin, cos, tan, atan,
// tanh, abs. It may not branch on a comparison (which would have to hold in
// all four lanes at once): such a model does not compile with Lanes and
// must not declare itself vectorizable (see batch_solve.h).
//
// exp, log and sqrt use Eigen's vectorized kernels where AVX is enabled
// (about 1 ulp from <cmath>'s); the other functions go lane by lane.
#pragma once

#include <Eigen/Core>
#include <cmath>

namespace curvature::lanes {

inline constexpr int kLanes = 4;

// Four doubles in one vector register (GCC/Clang vector extension).
struct Lanes {
  using Vector = double __attribute__((vector_size(32)));
  Vector v;

  Lanes() : v{0.0, 0.0, 0.0, 0.0} {}
  Lanes(double s) : v{s, s, s, s} {}  // NOLINT: implicit, as a constant in every lane
  explicit Lanes(Vector x) : v(x) {}
  Lanes(double a, double b, double c, double d) : v{a, b, c, d} {}

  double operator[](int lane) const { return v[lane]; }

  Lanes& operator+=(const Lanes& o) { return v += o.v, *this; }
  Lanes& operator-=(const Lanes& o) { return v -= o.v, *this; }
  Lanes& operator*=(const Lanes& o) { return v *= o.v, *this; }
  Lanes& operator/=(const Lanes& o) { return v /= o.v, *this; }
};

// A lane-by-lane truth value, as a comparison of two Lanes::Vector gives it:
// all bits set (true) or none (false) in each 64-bit lane.
using Mask = decltype(Lanes::Vector{} < Lanes::Vector{});

inline Lanes operator+(const Lanes& a, const Lanes& b) { return Lanes(a.v + b.v); }
inline Lanes operator-(const Lanes& a, const Lanes& b) { return Lanes(a.v - b.v); }
inline Lanes operator*(const Lanes& a, const Lanes& b) { return Lanes(a.v * b.v); }
inline Lanes operator/(const Lanes& a, const Lanes& b) { return Lanes(a.v / b.v); }
inline Lanes operator-(const Lanes& a) { return Lanes(-a.v); }

// Lane by lane through a scalar function.
template <typename F>
Lanes each(const Lanes& a, F f) {
  return Lanes(f(a.v[0]), f(a.v[1]), f(a.v[2]), f(a.v[3]));
}

inline Lanes exp(const Lanes& a) {
#ifdef EIGEN_VECTORIZE_AVX
  return Lanes(Eigen::internal::pexp<Eigen::internal::Packet4d>(a.v));
#else
  return each(a, [](double x) { return std::exp(x); });
#endif
}
inline Lanes log(const Lanes& a) {
#ifdef EIGEN_VECTORIZE_AVX
  return Lanes(Eigen::internal::plog<Eigen::internal::Packet4d>(a.v));
#else
  return each(a, [](double x) { return std::log(x); });
#endif
}
inline Lanes sqrt(const Lanes& a) {
#ifdef EIGEN_VECTORIZE_AVX
  return Lanes(Eigen::internal::psqrt<Eigen::internal::Packet4d>(a.v));
#else
  return each(a, [](double x) { return std::sqrt(x); });
#endif
}
inline Lanes abs(const Lanes& a) {
  return each(a, [](double x) { return std::abs(x); });
}
inline Lanes sin(const Lanes& a) {
  return each(a, [](double x) { return std::sin(x); });
}
inline Lanes cos(const Lanes& a) {
  return each(a, [](double x) { return std::cos(x); });
}
inline Lanes tan(const Lanes& a) {
  return each(a, [](double x) { return std::tan(x); });
}
inline Lanes atan(const Lanes& a) {
  return each(a, [](double x) { return std::atan(x); });
}
inline Lanes tanh(const Lanes& a) {
  return each(a, [](double x) { return std::tanh(x); });
}
inline Lanes pow(const Lanes& a, const Lanes& b) {
  return Lanes(std::pow(a.v[0], b.v[0]), std::pow(a.v[1], b.v[1]), std::pow(a.v[2], b.v[2]), std::pow(a.v[3], b.v[3]));
}
inline bool isfinite(const Lanes& a) {
  return std::isfinite(a.v[0]) && std::isfinite(a.v[1]) && std::isfinite(a.v[2]) && std::isfinite(a.v[3]);
}

}  // namespace curvature::lanes

namespace Eigen {

// Lanes as an Eigen scalar (no packets of its own: Eigen's loops run over
// Lanes values, each already a vector).
template <>
struct NumTraits<curvature::lanes::Lanes> {
  using Real = curvature::lanes::Lanes;
  using NonInteger = curvature::lanes::Lanes;
  using Nested = curvature::lanes::Lanes;
  using Literal = curvature::lanes::Lanes;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    IsSigned = 1,
    RequireInitialization = 1,
    ReadCost = 1,
    AddCost = 1,
    MulCost = 1,
  };
  static Real epsilon() { return Real(NumTraits<double>::epsilon()); }
  static Real dummy_precision() { return Real(NumTraits<double>::dummy_precision()); }
  static Real highest() { return Real(NumTraits<double>::highest()); }
  static Real lowest() { return Real(NumTraits<double>::lowest()); }
  static Real infinity() { return Real(NumTraits<double>::infinity()); }
  static Real quiet_NaN() { return Real(NumTraits<double>::quiet_NaN()); }
  static int digits10() { return NumTraits<double>::digits10(); }
};

}  // namespace Eigen
