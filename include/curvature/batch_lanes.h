// curvature/batch_lanes.h — several fits' numbers in one SIMD register, the
// scalar type behind batch_solve()'s evaluation across fits: a model
// evaluated with T = Jet<Lanes, N> computes kLanes fits' residuals and
// derivatives in one pass, each lane exactly as if alone (every operation
// is lane by lane, so a fit's result never depends on its neighbours).
//
// kLanes is 8 where the compiler targets AVX-512 (one 512-bit register),
// 4 otherwise (one 256-bit AVX register, or two SSE registers): wider
// vectors carry more independent fits through the long dependent chains of
// exp and division in flight at once.
//
// What a model may use on Lanes (and so on Jet<Lanes, N>): + - * / with
// jets, doubles and ints, and exp, log, sqrt, pow, sin, cos, tan, atan,
// tanh, abs. It may not branch on a comparison (which would have to hold in
// all lanes at once): such a model does not compile with Lanes and must not
// declare itself vectorizable (see batch_solve.h).
//
// exp, log and sqrt use Eigen's vectorized kernels where AVX (or AVX-512) is
// enabled (about 1 ulp from <cmath>'s); the other functions go lane by lane.
#pragma once

#include <Eigen/Core>
#include <cmath>
#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace curvature::lanes {

#if defined(__AVX512F__) && defined(EIGEN_VECTORIZE_AVX512)
inline constexpr int kLanes = 8;
#else
inline constexpr int kLanes = 4;
#endif

// kLanes doubles in one vector register (GCC/Clang vector extension).
struct Lanes {
  using Vector = double __attribute__((vector_size(8 * kLanes)));
  Vector v;

  Lanes() : v{} {}
  Lanes(double s) : v(Vector{} + s) {}  // NOLINT: implicit, as a constant in every lane
  explicit Lanes(Vector x) : v(x) {}

  double operator[](int lane) const { return v[lane]; }

  Lanes& operator+=(const Lanes& o) { return v += o.v, *this; }
  Lanes& operator-=(const Lanes& o) { return v -= o.v, *this; }
  Lanes& operator*=(const Lanes& o) { return v *= o.v, *this; }
  Lanes& operator/=(const Lanes& o) { return v /= o.v, *this; }
};

// A lane-by-lane truth value, as a comparison of two Lanes::Vector gives it:
// all bits set (true) or none (false) in each 64-bit lane.
using Mask = decltype(Lanes::Vector{} < Lanes::Vector{});

// Bit l set when lane l of m is true: one instruction instead of kLanes
// extractions, for the per-lane decisions taken outside the vectors.
inline unsigned bits(Mask m) {
#if defined(__AVX512F__) && defined(EIGEN_VECTORIZE_AVX512)
  const __m512i x = reinterpret_cast<__m512i>(m);
  return _mm512_test_epi64_mask(x, x);
#elif defined(__AVX__)
  return static_cast<unsigned>(_mm256_movemask_pd(reinterpret_cast<__m256d>(m)));
#else
  unsigned b = 0;
  for (int l = 0; l < kLanes; ++l) b |= (m[l] != 0 ? 1u : 0u) << l;
  return b;
#endif
}

inline Lanes operator+(const Lanes& a, const Lanes& b) { return Lanes(a.v + b.v); }
inline Lanes operator-(const Lanes& a, const Lanes& b) { return Lanes(a.v - b.v); }
inline Lanes operator*(const Lanes& a, const Lanes& b) { return Lanes(a.v * b.v); }
inline Lanes operator/(const Lanes& a, const Lanes& b) { return Lanes(a.v / b.v); }
inline Lanes operator-(const Lanes& a) { return Lanes(-a.v); }

// Lane by lane through a scalar function.
template <typename F>
Lanes each(const Lanes& a, F f) {
  Lanes r;
  for (int l = 0; l < kLanes; ++l) r.v[l] = f(a.v[l]);
  return r;
}

// Eigen's packet of kLanes doubles, where Eigen vectorizes with it.
#if defined(__AVX512F__) && defined(EIGEN_VECTORIZE_AVX512)
#define CURVATURE_LANES_PACKET Eigen::internal::Packet8d
#elif defined(EIGEN_VECTORIZE_AVX)
#define CURVATURE_LANES_PACKET Eigen::internal::Packet4d
#endif

inline Lanes exp(const Lanes& a) {
#ifdef CURVATURE_LANES_PACKET
  return Lanes(Eigen::internal::pexp<CURVATURE_LANES_PACKET>(a.v));
#else
  return each(a, [](double x) { return std::exp(x); });
#endif
}
inline Lanes log(const Lanes& a) {
#ifdef CURVATURE_LANES_PACKET
  return Lanes(Eigen::internal::plog<CURVATURE_LANES_PACKET>(a.v));
#else
  return each(a, [](double x) { return std::log(x); });
#endif
}
inline Lanes sqrt(const Lanes& a) {
#ifdef CURVATURE_LANES_PACKET
  return Lanes(Eigen::internal::psqrt<CURVATURE_LANES_PACKET>(a.v));
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
  Lanes r;
  for (int l = 0; l < kLanes; ++l) r.v[l] = std::pow(a.v[l], b.v[l]);
  return r;
}
inline bool isfinite(const Lanes& a) {
  for (int l = 0; l < kLanes; ++l) {
    if (!std::isfinite(a.v[l])) return false;
  }
  return true;
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
