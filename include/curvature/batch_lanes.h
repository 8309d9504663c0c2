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
// exp, log and sqrt use vectorized kernels where AVX (or AVX-512) is enabled
// (Eigen's, and for exp on AVX-512 the one below; within about 1 ulp of
// <cmath>'s); the other functions go lane by lane.
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

// exp without a division: x = n ln 2 + r with |r| <= ln 2 / 2 (Cody &
// Waite's two-part ln 2, by fused multiply-adds), exp(r) = 1 + r P(r) with P
// the degree-12 Taylor polynomial of (exp(r) - 1) / r (truncation below
// 1e-17) by Estrin's scheme, then the scaling by 2^n: inf above 709.78, 0
// below -745.2, NaN for NaN. Within one ulp (relative 2^-52) of <cmath>'s exp
// in batch_solve_test. Eigen's pexp divides (a Padé approximant) and, for
// eight doubles, assembles 2^n from integer permutes: the hottest
// instructions of a Misra1a fit in a profile.
#if (defined(__AVX512F__) && defined(EIGEN_VECTORIZE_AVX512)) || (defined(__AVX2__) && defined(__FMA__))
namespace internal {
#if defined(__AVX512F__) && defined(EIGEN_VECTORIZE_AVX512)
using Packet = __m512d;
inline Packet splat(double v) { return _mm512_set1_pd(v); }
inline Packet fma(Packet u, Packet v, Packet w) { return _mm512_fmadd_pd(u, v, w); }
inline Packet fnma(Packet u, Packet v, Packet w) { return _mm512_fnmadd_pd(u, v, w); }
inline Packet mul(Packet u, Packet v) { return _mm512_mul_pd(u, v); }
inline Packet clamp(Packet x, double low, double high) {
  return _mm512_max_pd(_mm512_min_pd(x, splat(high)), splat(low));
}
inline Packet nearest(Packet x) { return _mm512_roundscale_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// e 2^n in one vscalefpd (exact but for the final rounding, overflow and
// underflow included).
inline Packet scale(Packet e, Packet n) { return _mm512_scalef_pd(e, n); }
inline Packet keep_nan(Packet result, Packet x) {
  return _mm512_mask_mov_pd(result, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x);
}
#else
using Packet = __m256d;
inline Packet splat(double v) { return _mm256_set1_pd(v); }
inline Packet fma(Packet u, Packet v, Packet w) { return _mm256_fmadd_pd(u, v, w); }
inline Packet fnma(Packet u, Packet v, Packet w) { return _mm256_fnmadd_pd(u, v, w); }
inline Packet mul(Packet u, Packet v) { return _mm256_mul_pd(u, v); }
inline Packet clamp(Packet x, double low, double high) {
  return _mm256_max_pd(_mm256_min_pd(x, splat(high)), splat(low));
}
inline Packet nearest(Packet x) { return _mm256_round_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// 2^k for a whole k in [-1022, 1023]: k + 1023 in the exponent field, read
// from the low mantissa bits of k + 1.5 2^52.
inline Packet power_of_two(Packet k) {
  const __m256i bits = _mm256_castpd_si256(_mm256_add_pd(k, splat(0x1.8p52)));
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(bits, _mm256_set1_epi64x(1023)), 52));
}
// e 2^n as e 2^h 2^(n - h) with h = floor(n / 2): both factors normal for
// n in [-1077, 1025], one rounding at the end (overflow and underflow
// included).
inline Packet scale(Packet e, Packet n) {
  const Packet half = _mm256_round_pd(mul(n, splat(0.5)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  return mul(mul(e, power_of_two(half)), power_of_two(_mm256_sub_pd(n, half)));
}
inline Packet keep_nan(Packet result, Packet x) {
  return _mm256_blendv_pd(result, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}
#endif
}  // namespace internal

inline Lanes exp(const Lanes& a) {
  using namespace internal;
  const Packet input = reinterpret_cast<Packet>(a.v);
  const Packet x = clamp(input, -746.0, 710.0);  // NaN becomes 710 here and is put back at the end
  const Packet n = nearest(mul(x, splat(0x1.71547652b82fep0)));
  const Packet r = fnma(n, splat(0x1.abc9e3b39803fp-56), fnma(n, splat(0x1.62e42fefa39efp-1), x));
  // P(r) = sum_k r^k / (k + 1)!, k = 0..12.
  const Packet r2 = mul(r, r);
  const Packet r4 = mul(r2, r2);
  const Packet r8 = mul(r4, r4);
  const Packet p01 = fma(r, splat(1.0 / 2), splat(1.0));
  const Packet p23 = fma(r, splat(1.0 / 24), splat(1.0 / 6));
  const Packet p45 = fma(r, splat(1.0 / 720), splat(1.0 / 120));
  const Packet p67 = fma(r, splat(1.0 / 40320), splat(1.0 / 5040));
  const Packet p89 = fma(r, splat(1.0 / 3628800), splat(1.0 / 362880));
  const Packet p1011 = fma(r, splat(1.0 / 479001600), splat(1.0 / 39916800));
  const Packet q0 = fma(p23, r2, p01);
  const Packet q1 = fma(p67, r2, p45);
  const Packet q2 = fma(p1011, r2, p89);
  const Packet s0 = fma(q1, r4, q0);
  const Packet s1 = fma(splat(1.0 / 6227020800), r4, q2);
  const Packet p = fma(s1, r8, s0);
  const Packet e = fma(r, p, splat(1.0));
  return Lanes(reinterpret_cast<Lanes::Vector>(keep_nan(scale(e, n), input)));
}
#else
inline Lanes exp(const Lanes& a) {
#ifdef CURVATURE_LANES_PACKET
  return Lanes(Eigen::internal::pexp<CURVATURE_LANES_PACKET>(a.v));
#else
  return each(a, [](double x) { return std::exp(x); });
#endif
}
#endif
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
