// curvature/jet.h — forward-mode automatic differentiation with dual numbers.
//
// A Jet<T, N> is a value `a` together with its derivatives `v` with respect
// to N independent variables: it stands for the truncated Taylor expansion
//   f(x + dx) ~= a + v^T dx.
// Arithmetic on jets applies the chain rule, so a function written generically
// in its scalar type T returns, when fed jets, both its value and its gradient,
// exact to rounding (no step size, no truncation error).
//
//   N > 0        the number of derivatives is fixed at compile time; the jet
//                lives on the stack and costs no allocation.
//   kDynamic     the number of derivatives is chosen at run time. A dynamic
//                jet may carry an EMPTY v, which means "all derivatives are
//                zero" (a constant): every operation treats an empty v as a
//                zero vector of the other operand's size. Two non-empty v of
//                different sizes are a curvature::Error.
//
// T may itself be a Jet: Jet<Jet<double, N>, M> carries second derivatives
// (the v of the outer jet's inner jets are Hessian entries). Nothing here
// relies on std::numeric_limits<T> — limits come from Eigen::NumTraits, which
// this header specializes for jets recursively — so nested jets work.
//
// Math functions live in namespace curvature, next to Jet, so an unqualified
// call in a templated functor,
//     template <typename T> bool operator()(const T* x, T* r) const {
//       using std::exp;          // T = double picks <cmath>'s exp,
//       r[0] = exp(x[0]) - 1.0;  // T = Jet picks curvature::exp by ADL.
//       return true;
//     }
// works for doubles and jets alike. Each function states its derivative rule.
// Mixed jet/scalar operators accept any arithmetic scalar (double, int, ...)
// or the jet's own scalar type T.
//
// Comparisons (==, <, ...) compare values only; derivatives are ignored. Code
// that branches on a comparison is therefore differentiated along the branch
// taken, which is the usual, documented behaviour of forward-mode AD at kinks.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numbers>
#include <ostream>
#include <string>
#include <type_traits>

#include "curvature/error.h"

namespace curvature {

// A size chosen at run time (for jets, cost-function residual counts, ...).
inline constexpr int kDynamic = Eigen::Dynamic;

// A value with its first derivatives (see the top of this file).
template <typename T, int N>
struct Jet;

namespace internal {

// S may be mixed with a Jet<T, N> when S is arithmetic, is T, or is (recursively)
// a scalar of T: for Jet<Jet<double, 3>, 2> that admits double, int and Jet<double, 3>.
template <typename S, typename T>
struct IsScalarOf : std::bool_constant<(std::is_arithmetic_v<S> && !std::is_same_v<S, bool>) || std::is_same_v<S, T>> {
};
template <typename S, typename U, int M>
struct IsScalarOf<S, Jet<U, M>> : std::bool_constant<(std::is_arithmetic_v<S> && !std::is_same_v<S, bool>) ||
                                                     std::is_same_v<S, Jet<U, M>> || IsScalarOf<S, U>::value> {};

template <typename S, typename T>
concept ScalarOf = IsScalarOf<std::remove_cvref_t<S>, T>::value;

template <typename T, int N>
void check_same_size(const Eigen::Matrix<T, N, 1>& x, const Eigen::Matrix<T, N, 1>& y) {
  if (x.size() != y.size()) {
    throw Error("Jet: dynamic jets with " + std::to_string(x.size()) + " and " + std::to_string(y.size()) +
                " derivatives cannot be combined");
  }
}

// alpha * x + beta * y. For dynamic jets an empty vector is zero, so only the
// non-empty terms are formed; fixed-size callers use the Eigen expression.
template <typename T, int N>
Eigen::Matrix<T, N, 1> combine(const T& alpha, const Eigen::Matrix<T, N, 1>& x, const T& beta,
                               const Eigen::Matrix<T, N, 1>& y) {
  if constexpr (N == Eigen::Dynamic) {
    if (x.size() == 0) return beta * y;
    if (y.size() == 0) return alpha * x;
    check_same_size(x, y);
  }
  return alpha * x + beta * y;
}

// alpha * x + beta * y and (x - alpha * y) * beta for fixed-size jets of
// floating-point numbers, written out with the rounding of the Eigen
// expressions they replace (each entry a product, a product, a sum): GCC
// kept Eigen's assignment of these expressions out of line, a call per Jet
// product (a BAL reprojection residual makes over a hundred).
template <typename T, int N>
[[gnu::always_inline]] inline Eigen::Matrix<T, N, 1> fixed_sum_of_products(const T& alpha,
                                                                           const Eigen::Matrix<T, N, 1>& x,
                                                                           const T& beta,
                                                                           const Eigen::Matrix<T, N, 1>& y) {
  Eigen::Matrix<T, N, 1> out;
  for (int i = 0; i < N; ++i) out[i] = alpha * x[i] + beta * y[i];
  return out;
}
template <typename T, int N>
[[gnu::always_inline]] inline Eigen::Matrix<T, N, 1> fixed_scaled_difference(const Eigen::Matrix<T, N, 1>& x,
                                                                             const T& alpha,
                                                                             const Eigen::Matrix<T, N, 1>& y,
                                                                             const T& beta) {
  Eigen::Matrix<T, N, 1> out;
  for (int i = 0; i < N; ++i) out[i] = (x[i] - alpha * y[i]) * beta;
  return out;
}

}  // namespace internal

// A value `a` with its derivatives `v` with respect to N independent variables (N = kDynamic:
// chosen at run time); see the top of this file.
template <typename T, int N>
struct Jet {
  static_assert(N > 0 || N == kDynamic, "Jet: N must be positive or kDynamic");
  using Scalar = T;                       // the type of the value and of each derivative
  using Vector = Eigen::Matrix<T, N, 1>;  // the derivatives' type

  T a;       // the value
  Vector v;  // the derivatives; for a dynamic jet, empty means all zero

  // Zero, with zero derivatives (an empty v for dynamic jets).
  Jet() : a(0) {
    if constexpr (N != kDynamic) v.setZero();
  }

  // A constant: derivatives zero (empty for dynamic jets).
  template <internal::ScalarOf<T> S>
  explicit Jet(const S& value) : a(value) {
    if constexpr (N != kDynamic) v.setZero();
  }

  // The k-th independent variable of a fixed-size jet: v = e_k. Throws
  // curvature::Error unless 0 <= k < N.
  template <internal::ScalarOf<T> S>
  requires(N != kDynamic) Jet(const S& value, int k) : a(value) {
    if (k < 0 || k >= N) {
      throw Error("Jet: derivative index " + std::to_string(k) + " is outside [0, " + std::to_string(N) + ")");
    }
    v.setZero();
    v[k] = T(1);
  }

  // The k-th of `size` independent variables of a dynamic jet: v = e_k.
  // Throws curvature::Error unless size >= 0 and 0 <= k < size.
  template <internal::ScalarOf<T> S>
  requires(N == kDynamic) Jet(const S& value, int size, int k) : a(value) {
    if (size < 0 || k < 0 || k >= size) {
      throw Error("Jet: derivative index " + std::to_string(k) + " is outside [0, " + std::to_string(size) + ")");
    }
    v = Vector::Zero(size);
    v[k] = T(1);
  }

  // Value and derivatives given explicitly (any Eigen expression).
  template <typename Derived>
  Jet(const T& value, const Eigen::MatrixBase<Derived>& derivatives) : a(value), v(derivatives) {}

  // Compound assignment, by the rules of the operators below; a scalar is a constant.
  Jet& operator+=(const Jet& g) { return *this = *this + g; }
  Jet& operator-=(const Jet& g) { return *this = *this - g; }
  Jet& operator*=(const Jet& g) { return *this = *this * g; }
  Jet& operator/=(const Jet& g) { return *this = *this / g; }
  template <internal::ScalarOf<T> S>
  Jet& operator+=(const S& s) {
    a += T(s);
    return *this;
  }
  template <internal::ScalarOf<T> S>
  Jet& operator-=(const S& s) {
    a -= T(s);
    return *this;
  }
  template <internal::ScalarOf<T> S>
  Jet& operator*=(const S& s) {
    return *this = *this * s;
  }
  template <internal::ScalarOf<T> S>
  Jet& operator/=(const S& s) {
    return *this = *this / s;
  }
};

}  // namespace curvature

namespace Eigen {

// Lets Eigen matrices hold jets (needed for Jet<Jet<...>> and for user code
// that maps T* onto Eigen types). Limits are taken from the innermost scalar
// through NumTraits<T>, never from std::numeric_limits<Jet>.
template <typename T, int N>
struct NumTraits<curvature::Jet<T, N>> {
  using Real = curvature::Jet<T, N>;
  using NonInteger = curvature::Jet<T, N>;
  using Nested = curvature::Jet<T, N>;
  using Literal = curvature::Jet<T, N>;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    IsSigned = 1,
    RequireInitialization = 1,
    ReadCost = 1,
    AddCost = 1,
    MulCost = 3,
  };
  static Real epsilon() { return Real(NumTraits<T>::epsilon()); }
  static Real dummy_precision() { return Real(NumTraits<T>::dummy_precision()); }
  static Real highest() { return Real(NumTraits<T>::highest()); }
  static Real lowest() { return Real(NumTraits<T>::lowest()); }
  static Real infinity() { return Real(NumTraits<T>::infinity()); }
  static Real quiet_NaN() { return Real(NumTraits<T>::quiet_NaN()); }
  static int digits10() { return NumTraits<T>::digits10(); }
};

// Jet op T and T op Jet give a Jet inside Eigen expressions.
template <typename BinaryOp, typename T, int N>
struct ScalarBinaryOpTraits<curvature::Jet<T, N>, T, BinaryOp> {
  using ReturnType = curvature::Jet<T, N>;
};
template <typename BinaryOp, typename T, int N>
struct ScalarBinaryOpTraits<T, curvature::Jet<T, N>, BinaryOp> {
  using ReturnType = curvature::Jet<T, N>;
};

}  // namespace Eigen

namespace curvature {

// ---------------------------------------------------------------------------
// Arithmetic. Rules, for jets f, g and a scalar s:
//   d(f +- g) = df +- dg         d(f * g) = g df + f dg
//   d(f / g)  = (df - (f/g) dg) / g          d(s / g) = -(s/g) dg / g

// Unary plus and minus.
template <typename T, int N>
Jet<T, N> operator+(const Jet<T, N>& f) {
  return f;
}
template <typename T, int N>
Jet<T, N> operator-(const Jet<T, N>& f) {
  return Jet<T, N>(-f.a, -f.v);
}

// Jet with jet, by the rules above.
template <typename T, int N>
Jet<T, N> operator+(const Jet<T, N>& f, const Jet<T, N>& g) {
  if constexpr (N == kDynamic) {
    return Jet<T, N>(f.a + g.a, internal::combine(T(1), f.v, T(1), g.v));
  } else {
    return Jet<T, N>(f.a + g.a, f.v + g.v);
  }
}
template <typename T, int N>
Jet<T, N> operator-(const Jet<T, N>& f, const Jet<T, N>& g) {
  if constexpr (N == kDynamic) {
    return Jet<T, N>(f.a - g.a, internal::combine(T(1), f.v, T(-1), g.v));
  } else {
    return Jet<T, N>(f.a - g.a, f.v - g.v);
  }
}
template <typename T, int N>
Jet<T, N> operator*(const Jet<T, N>& f, const Jet<T, N>& g) {
  if constexpr (N == kDynamic) {
    return Jet<T, N>(f.a * g.a, internal::combine(g.a, f.v, f.a, g.v));
  } else {
    if constexpr (std::is_floating_point_v<T>) {
      return Jet<T, N>(f.a * g.a, internal::fixed_sum_of_products(g.a, f.v, f.a, g.v));
    } else {
      return Jet<T, N>(f.a * g.a, g.a * f.v + f.a * g.v);
    }
  }
}
template <typename T, int N>
Jet<T, N> operator/(const Jet<T, N>& f, const Jet<T, N>& g) {
  const T inverse = T(1) / g.a;
  const T ratio = f.a / g.a;  // not f.a * inverse: the value must round like a double division
  if constexpr (N == kDynamic) {
    return Jet<T, N>(ratio, internal::combine(inverse, f.v, T(-ratio * inverse), g.v));
  } else {
    if constexpr (std::is_floating_point_v<T>) {
      return Jet<T, N>(ratio, internal::fixed_scaled_difference(f.v, ratio, g.v, inverse));
    } else {
      return Jet<T, N>(ratio, (f.v - ratio * g.v) * inverse);
    }
  }
}

// Jet with scalar, either way round: the scalar is a constant.
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> operator+(const Jet<T, N>& f, const S& s) {
  return Jet<T, N>(f.a + T(s), f.v);
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> operator+(const S& s, const Jet<T, N>& f) {
  return Jet<T, N>(T(s) + f.a, f.v);
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> operator-(const Jet<T, N>& f, const S& s) {
  return Jet<T, N>(f.a - T(s), f.v);
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> operator-(const S& s, const Jet<T, N>& f) {
  return Jet<T, N>(T(s) - f.a, -f.v);
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> operator*(const Jet<T, N>& f, const S& s) {
  const T t(s);
  return Jet<T, N>(f.a * t, f.v * t);
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> operator*(const S& s, const Jet<T, N>& f) {
  const T t(s);
  return Jet<T, N>(t * f.a, t * f.v);
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> operator/(const Jet<T, N>& f, const S& s) {
  const T t(s);
  return Jet<T, N>(f.a / t, f.v * T(T(1) / t));
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> operator/(const S& s, const Jet<T, N>& g) {
  const T inverse = T(1) / g.a;
  const T ratio = T(s) / g.a;
  return Jet<T, N>(ratio, g.v * T(-ratio * inverse));
}

// ---------------------------------------------------------------------------
// Comparisons: values only.

#define CURVATURE_JET_COMPARISON(op)                         \
  template <typename T, int N>                               \
  bool operator op(const Jet<T, N>& f, const Jet<T, N>& g) { \
    return f.a op g.a;                                       \
  }                                                          \
  template <typename T, int N, internal::ScalarOf<T> S>      \
  bool operator op(const Jet<T, N>& f, const S& s) {         \
    return f.a op s;                                         \
  }                                                          \
  template <typename T, int N, internal::ScalarOf<T> S>      \
  bool operator op(const S& s, const Jet<T, N>& f) {         \
    return s op f.a;                                         \
  }
CURVATURE_JET_COMPARISON(==)
CURVATURE_JET_COMPARISON(!=)
CURVATURE_JET_COMPARISON(<)
CURVATURE_JET_COMPARISON(<=)
CURVATURE_JET_COMPARISON(>)
CURVATURE_JET_COMPARISON(>=)
#undef CURVATURE_JET_COMPARISON

// ---------------------------------------------------------------------------
// Math functions. The <cmath> overloads are brought into this namespace so
// that the jet overloads below, and generic code calling curvature::f, can
// recurse on T = double and T = Jet alike.

using std::abs;
using std::acos;
using std::asin;
using std::atan;
using std::atan2;
using std::cbrt;
using std::ceil;
using std::cos;
using std::cosh;
using std::erf;
using std::erfc;
using std::exp;
using std::expm1;
using std::floor;
using std::fmax;
using std::fmin;
using std::fpclassify;
using std::hypot;
using std::isfinite;
using std::isinf;
using std::isnan;
using std::log;
using std::log10;
using std::log1p;
using std::log2;
using std::pow;
using std::sin;
using std::sinh;
using std::sqrt;
using std::tan;
using std::tanh;

namespace internal {
// A zero derivative vector shaped like v (empty stays empty).
template <typename T, int N>
Eigen::Matrix<T, N, 1> zero_like(const Eigen::Matrix<T, N, 1>& v) {
  return Eigen::Matrix<T, N, 1>::Zero(v.size());
}
}  // namespace internal

// d|f| = sign(f) df; at f == 0 the right derivative (+df) is used.
template <typename T, int N>
Jet<T, N> abs(const Jet<T, N>& f) {
  return f.a < T(0) ? -f : f;
}

// d sqrt(f) = df / (2 sqrt(f)); not finite at f == 0.
template <typename T, int N>
Jet<T, N> sqrt(const Jet<T, N>& f) {
  const T s = sqrt(f.a);
  return Jet<T, N>(s, f.v * (T(1) / (T(2) * s)));
}

// d cbrt(f) = df / (3 cbrt(f)^2); not finite at f == 0.
template <typename T, int N>
Jet<T, N> cbrt(const Jet<T, N>& f) {
  const T c = cbrt(f.a);
  return Jet<T, N>(c, f.v * (T(1) / (T(3) * c * c)));
}

// d exp(f) = exp(f) df
template <typename T, int N>
Jet<T, N> exp(const Jet<T, N>& f) {
  const T e = exp(f.a);
  return Jet<T, N>(e, f.v * e);
}

// d expm1(f) = exp(f) df
template <typename T, int N>
Jet<T, N> expm1(const Jet<T, N>& f) {
  return Jet<T, N>(expm1(f.a), f.v * exp(f.a));
}

// d log(f) = df / f
template <typename T, int N>
Jet<T, N> log(const Jet<T, N>& f) {
  return Jet<T, N>(log(f.a), f.v * (T(1) / f.a));
}

// d log1p(f) = df / (1 + f)
template <typename T, int N>
Jet<T, N> log1p(const Jet<T, N>& f) {
  return Jet<T, N>(log1p(f.a), f.v * (T(1) / (T(1) + f.a)));
}

// d log10(f) = df / (f ln 10)
template <typename T, int N>
Jet<T, N> log10(const Jet<T, N>& f) {
  return Jet<T, N>(log10(f.a), f.v * (T(1) / (f.a * std::numbers::ln10)));
}

// d log2(f) = df / (f ln 2)
template <typename T, int N>
Jet<T, N> log2(const Jet<T, N>& f) {
  return Jet<T, N>(log2(f.a), f.v * (T(1) / (f.a * std::numbers::ln2)));
}

// d sin(f) = cos(f) df
template <typename T, int N>
Jet<T, N> sin(const Jet<T, N>& f) {
  return Jet<T, N>(sin(f.a), f.v * cos(f.a));
}

// d cos(f) = -sin(f) df
template <typename T, int N>
Jet<T, N> cos(const Jet<T, N>& f) {
  return Jet<T, N>(cos(f.a), f.v * (-sin(f.a)));
}

// d tan(f) = (1 + tan(f)^2) df
template <typename T, int N>
Jet<T, N> tan(const Jet<T, N>& f) {
  const T t = tan(f.a);
  return Jet<T, N>(t, f.v * (T(1) + t * t));
}

// d asin(f) = df / sqrt(1 - f^2); not finite at |f| == 1.
template <typename T, int N>
Jet<T, N> asin(const Jet<T, N>& f) {
  return Jet<T, N>(asin(f.a), f.v * (T(1) / sqrt(T(1) - f.a * f.a)));
}

// d acos(f) = -df / sqrt(1 - f^2); not finite at |f| == 1.
template <typename T, int N>
Jet<T, N> acos(const Jet<T, N>& f) {
  return Jet<T, N>(acos(f.a), f.v * (T(-1) / sqrt(T(1) - f.a * f.a)));
}

// d atan(f) = df / (1 + f^2)
template <typename T, int N>
Jet<T, N> atan(const Jet<T, N>& f) {
  return Jet<T, N>(atan(f.a), f.v * (T(1) / (T(1) + f.a * f.a)));
}

// d atan2(y, x) = (x dy - y dx) / (x^2 + y^2); not finite at the origin.
template <typename T, int N>
Jet<T, N> atan2(const Jet<T, N>& y, const Jet<T, N>& x) {
  const T inverse = T(1) / (x.a * x.a + y.a * y.a);
  const T value = atan2(y.a, x.a);
  if constexpr (N == kDynamic) {
    return Jet<T, N>(value, internal::combine(T(x.a * inverse), y.v, T(-y.a * inverse), x.v));
  } else {
    return Jet<T, N>(value, (x.a * y.v - y.a * x.v) * inverse);
  }
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> atan2(const Jet<T, N>& y, const S& x) {
  return atan2(y, Jet<T, N>(x));
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> atan2(const S& y, const Jet<T, N>& x) {
  return atan2(Jet<T, N>(y), x);
}

// d sinh(f) = cosh(f) df
template <typename T, int N>
Jet<T, N> sinh(const Jet<T, N>& f) {
  return Jet<T, N>(sinh(f.a), f.v * cosh(f.a));
}

// d cosh(f) = sinh(f) df
template <typename T, int N>
Jet<T, N> cosh(const Jet<T, N>& f) {
  return Jet<T, N>(cosh(f.a), f.v * sinh(f.a));
}

// d tanh(f) = (1 - tanh(f)^2) df
template <typename T, int N>
Jet<T, N> tanh(const Jet<T, N>& f) {
  const T t = tanh(f.a);
  return Jet<T, N>(t, f.v * (T(1) - t * t));
}

// d hypot(x, y) = (x dx + y dy) / hypot(x, y); not finite at the origin.
template <typename T, int N>
Jet<T, N> hypot(const Jet<T, N>& x, const Jet<T, N>& y) {
  const T h = hypot(x.a, y.a);
  const T inverse = T(1) / h;
  if constexpr (N == kDynamic) {
    return Jet<T, N>(h, internal::combine(T(x.a * inverse), x.v, T(y.a * inverse), y.v));
  } else {
    return Jet<T, N>(h, (x.a * x.v + y.a * y.v) * inverse);
  }
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> hypot(const Jet<T, N>& x, const S& y) {
  return hypot(x, Jet<T, N>(y));
}
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> hypot(const S& x, const Jet<T, N>& y) {
  return hypot(Jet<T, N>(x), y);
}

// d erf(f) = (2 / sqrt(pi)) exp(-f^2) df
template <typename T, int N>
Jet<T, N> erf(const Jet<T, N>& f) {
  return Jet<T, N>(erf(f.a), f.v * (2.0 * std::numbers::inv_sqrtpi * exp(-f.a * f.a)));
}

// d erfc(f) = -(2 / sqrt(pi)) exp(-f^2) df
template <typename T, int N>
Jet<T, N> erfc(const Jet<T, N>& f) {
  return Jet<T, N>(erfc(f.a), f.v * (-2.0 * std::numbers::inv_sqrtpi * exp(-f.a * f.a)));
}

// d floor(f) = 0 (the jumps at integers are ignored)
template <typename T, int N>
Jet<T, N> floor(const Jet<T, N>& f) {
  return Jet<T, N>(floor(f.a), internal::zero_like(f.v));
}

// d ceil(f) = 0 (the jumps at integers are ignored)
template <typename T, int N>
Jet<T, N> ceil(const Jet<T, N>& f) {
  return Jet<T, N>(ceil(f.a), internal::zero_like(f.v));
}

// min/max: the derivative of the operand selected by value (f on ties).
template <typename T, int N>
Jet<T, N> min(const Jet<T, N>& f, const Jet<T, N>& g) {
  return g < f ? g : f;
}
template <typename T, int N>
Jet<T, N> max(const Jet<T, N>& f, const Jet<T, N>& g) {
  return f < g ? g : f;
}

// fmin/fmax: as min/max, but a NaN operand is ignored (the other one is
// returned), following <cmath>.
template <typename T, int N>
Jet<T, N> fmin(const Jet<T, N>& f, const Jet<T, N>& g) {
  if (g.a != g.a) return f;
  if (f.a != f.a) return g;
  return g < f ? g : f;
}
template <typename T, int N>
Jet<T, N> fmax(const Jet<T, N>& f, const Jet<T, N>& g) {
  if (g.a != g.a) return f;
  if (f.a != f.a) return g;
  return f < g ? g : f;
}

#define CURVATURE_JET_MIXED(name)                       \
  template <typename T, int N, internal::ScalarOf<T> S> \
  Jet<T, N> name(const Jet<T, N>& f, const S& s) {      \
    return name(f, Jet<T, N>(s));                       \
  }                                                     \
  template <typename T, int N, internal::ScalarOf<T> S> \
  Jet<T, N> name(const S& s, const Jet<T, N>& f) {      \
    return name(Jet<T, N>(s), f);                       \
  }
CURVATURE_JET_MIXED(min)
CURVATURE_JET_MIXED(max)
CURVATURE_JET_MIXED(fmin)
CURVATURE_JET_MIXED(fmax)
#undef CURVATURE_JET_MIXED

// ---------------------------------------------------------------------------
// pow. Away from the special points,
//   d f^g = g f^(g-1) df + f^g log(f) dg.
// At the special points the rules are (f, g the values; "not finite" means a
// NaN derivative along every direction that moves the offending operand):
//   f > 0                   the formula above.
//   f == 0, g > 0           value 0; the exponent has no first-order effect
//                           (0^(g+dg) = 0), and along df the derivative is
//                           0 for g > 1, 1 for g == 1, infinite for g < 1.
//   f == 0, g <= 0          value 1 (g == 0) or inf; not finite along df, dg.
//   f < 0, g an integer     value f^g; g f^(g-1) along df; not finite along dg,
//                           since any change of g leaves the real numbers.
//   f < 0, g not integer    NaN value and derivatives (complex result).
// A constant exponent p is exact: d f^p = p f^(p-1) df, and p == 0 gives the
// constant 1 (zero derivative) even at f == 0.

namespace internal {
// Sets result[i] to NaN wherever direction[i] != 0: the derivative along a
// moving operand does not exist there.
template <typename T, int N>
void mark_not_finite_where_moving(Eigen::Matrix<T, N, 1>& result, const Eigen::Matrix<T, N, 1>& direction) {
  for (Eigen::Index i = 0; i < direction.size(); ++i) {
    if (direction[i] != T(0)) result[i] = Eigen::NumTraits<T>::quiet_NaN();
  }
}
}  // namespace internal

// d f^p = p f^(p-1) df, with f^0 == 1 exactly.
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> pow(const Jet<T, N>& f, const S& exponent) {
  const T p(exponent);
  if (p == T(0)) return Jet<T, N>(T(1), internal::zero_like(f.v));
  return Jet<T, N>(pow(f.a, p), f.v * T(p * pow(f.a, T(p - T(1)))));
}

// d b^g = b^g log(b) dg, with the special cases for b <= 0 listed above.
template <typename T, int N, internal::ScalarOf<T> S>
Jet<T, N> pow(const S& base, const Jet<T, N>& g) {
  const T b(base);
  const T value = pow(b, g.a);
  if (b > T(0)) return Jet<T, N>(value, g.v * T(value * log(b)));
  Jet<T, N> result(value, internal::zero_like(g.v));
  if (b == T(0) && g.a > T(0)) return result;  // 0^(g + dg) == 0
  // b == 0 with g <= 0, or b < 0: a moving exponent has no finite derivative.
  // (For b < 0 and a non-integer g the value is already NaN.)
  internal::mark_not_finite_where_moving(result.v, g.v);
  return result;
}

// d f^g = g f^(g-1) df + f^g log(f) dg, with the special cases listed above.
template <typename T, int N>
Jet<T, N> pow(const Jet<T, N>& f, const Jet<T, N>& g) {
  if constexpr (N == kDynamic) {
    if (f.v.size() != 0 && g.v.size() != 0) internal::check_same_size(f.v, g.v);
  }
  const T value = pow(f.a, g.a);
  if (f.a > T(0)) {
    const T df_coefficient = g.a * pow(f.a, T(g.a - T(1)));
    const T dg_coefficient = value * log(f.a);
    if constexpr (N == kDynamic) {
      return Jet<T, N>(value, internal::combine(df_coefficient, f.v, dg_coefficient, g.v));
    } else {
      return Jet<T, N>(value, df_coefficient * f.v + dg_coefficient * g.v);
    }
  }
  if (f.a == T(0)) {
    if (g.a > T(0)) {
      // Only df matters; its coefficient g 0^(g-1) is 0, 1 or inf. Multiply
      // entry by entry so that a zero df stays zero instead of 0 * inf = NaN.
      Jet<T, N> result(value, internal::zero_like(f.v));
      const T df_coefficient = g.a == T(1) ? T(1) : (g.a > T(1) ? T(0) : Eigen::NumTraits<T>::infinity());
      for (Eigen::Index i = 0; i < f.v.size(); ++i) {
        if (f.v[i] != T(0)) result.v[i] = df_coefficient * f.v[i];
      }
      return result;
    }
    Jet<T, N> result(value, internal::zero_like(f.v.size() != 0 ? f.v : g.v));
    internal::mark_not_finite_where_moving(result.v, f.v);
    internal::mark_not_finite_where_moving(result.v, g.v);
    return result;
  }
  // f < 0 (or NaN): the base-side rule holds (for a non-integer g it yields
  // NaN through pow); the exponent side is not finite.
  Jet<T, N> result = f.v.size() != 0 ? Jet<T, N>(value, f.v * (g.a * pow(f.a, T(g.a - T(1)))))
                                     : Jet<T, N>(value, internal::zero_like(g.v));
  internal::mark_not_finite_where_moving(result.v, g.v);
  return result;
}

// ---------------------------------------------------------------------------
// Classification. A jet is finite when its value and every derivative are;
// it is NaN (infinite) when its value or some derivative is NaN (infinite).
// fpclassify looks at the value only.

// isfinite, isnan, isinf and fpclassify, as described above.
template <typename T, int N>
bool isfinite(const Jet<T, N>& f) {
  if (!isfinite(f.a)) return false;
  for (Eigen::Index i = 0; i < f.v.size(); ++i) {
    if (!isfinite(f.v[i])) return false;
  }
  return true;
}
template <typename T, int N>
bool isnan(const Jet<T, N>& f) {
  if (isnan(f.a)) return true;
  for (Eigen::Index i = 0; i < f.v.size(); ++i) {
    if (isnan(f.v[i])) return true;
  }
  return false;
}
template <typename T, int N>
bool isinf(const Jet<T, N>& f) {
  if (isinf(f.a)) return true;
  for (Eigen::Index i = 0; i < f.v.size(); ++i) {
    if (isinf(f.v[i])) return true;
  }
  return false;
}
template <typename T, int N>
int fpclassify(const Jet<T, N>& f) {
  return fpclassify(f.a);
}

// Prints "[a ; v0, v1, ...]".
template <typename T, int N>
std::ostream& operator<<(std::ostream& out, const Jet<T, N>& f) {
  out << "[" << f.a << " ;";
  for (Eigen::Index i = 0; i < f.v.size(); ++i) out << (i == 0 ? " " : ", ") << f.v[i];
  return out << "]";
}

}  // namespace curvature
