// nist_models.h — the 27 NIST StRD model functions, written once, generic in
// the scalar type.
//
// Each model is a struct with
//   static constexpr const char* kName;     // the .dat file's base name
//   static constexpr int kNumParameters;    // b1..bk
//   template <typename T>
//   static T value(const T* b, double x, double x2);  // the model f(b; x)
//   static double response(double y);       // what f is fitted to: y, or log(y)
// so that the residual of one observation is response(y) - value(b, x, x2).
// Only Nelson has a second predictor x2 and a transformed response (log y);
// every other model ignores x2 and fits y itself. Comments quote the formula
// as the .dat file prints it (b1..bk there are b[0]..b[k-1] here).
//
// The same code instantiates with T = double, curvature::Jet and ceres::Jet:
// math functions are called unqualified after `using std::exp;` etc., so that
// argument-dependent lookup picks each Jet type's overloads, and every
// literal is a double because Ceres's mixed Jet/scalar operators do not
// accept an int.
//
// visit_nist_model() maps a run-time name to the model type, so each solver
// library can wrap NistResidual<Model> in its own autodiff cost function.
#pragma once

#include <cmath>
#include <numbers>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace curvature {
namespace nist {

// The default: the model is fitted to y itself.
struct IdentityResponse {
  static double response(double y) { return y; }
};

// Formulas shared by several problems. The problem structs below derive from
// these and add only their name.
namespace formula {

// y = b1*(1-exp[-b2*x])
struct SaturatingExponential : IdentityResponse {
  static constexpr int kNumParameters = 2;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::exp;
    return b[0] * (1.0 - exp(-b[1] * x));
  }
};

// y = exp[-b1*x]/(b2+b3*x)
struct Chwirut : IdentityResponse {
  static constexpr int kNumParameters = 3;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::exp;
    return exp(-b[0] * x) / (b[1] + b[2] * x);
  }
};

// y = b1*exp(-b2*x) + b3*exp(-b4*x) + b5*exp(-b6*x)
struct Lanczos : IdentityResponse {
  static constexpr int kNumParameters = 6;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::exp;
    return b[0] * exp(-b[1] * x) + b[2] * exp(-b[3] * x) + b[4] * exp(-b[5] * x);
  }
};

// y = b1*exp( -b2*x ) + b3*exp( -(x-b4)**2 / b5**2 )
//                     + b6*exp( -(x-b7)**2 / b8**2 )
struct Gauss : IdentityResponse {
  static constexpr int kNumParameters = 8;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::exp;
    const T d1 = x - b[3];
    const T d2 = x - b[6];
    return b[0] * exp(-b[1] * x) + b[2] * exp(-(d1 * d1) / (b[4] * b[4])) + b[5] * exp(-(d2 * d2) / (b[7] * b[7]));
  }
};

// y = (b1 + b2*x + b3*x**2 + b4*x**3) / (1 + b5*x + b6*x**2 + b7*x**3)
struct CubicOverCubic : IdentityResponse {
  static constexpr int kNumParameters = 7;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    const double xx = x * x;
    const double xxx = xx * x;
    return (b[0] + b[1] * x + b[2] * xx + b[3] * xxx) / (1.0 + b[4] * x + b[5] * xx + b[6] * xxx);
  }
};

}  // namespace formula

// ---- Lower level of difficulty -------------------------------------------

struct Misra1a : formula::SaturatingExponential {
  static constexpr const char* kName = "Misra1a";
};

struct Chwirut2 : formula::Chwirut {
  static constexpr const char* kName = "Chwirut2";
};

struct Chwirut1 : formula::Chwirut {
  static constexpr const char* kName = "Chwirut1";
};

struct Lanczos3 : formula::Lanczos {
  static constexpr const char* kName = "Lanczos3";
};

struct Gauss1 : formula::Gauss {
  static constexpr const char* kName = "Gauss1";
};

struct Gauss2 : formula::Gauss {
  static constexpr const char* kName = "Gauss2";
};

// y = b1*x**b2
struct DanWood : IdentityResponse {
  static constexpr const char* kName = "DanWood";
  static constexpr int kNumParameters = 2;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::pow;
    return b[0] * pow(x, b[1]);
  }
};

// y = b1 * (1-(1+b2*x/2)**(-2))
struct Misra1b : IdentityResponse {
  static constexpr const char* kName = "Misra1b";
  static constexpr int kNumParameters = 2;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    // u^(-2) as 1/(u*u): the same value without a general pow.
    const T u = 1.0 + b[1] * (0.5 * x);
    return b[0] * (1.0 - 1.0 / (u * u));
  }
};

// ---- Average level of difficulty -----------------------------------------

// y = (b1 + b2*x + b3*x**2) / (1 + b4*x + b5*x**2)
struct Kirby2 : IdentityResponse {
  static constexpr const char* kName = "Kirby2";
  static constexpr int kNumParameters = 5;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    const double xx = x * x;
    return (b[0] + b[1] * x + b[2] * xx) / (1.0 + b[3] * x + b[4] * xx);
  }
};

struct Hahn1 : formula::CubicOverCubic {
  static constexpr const char* kName = "Hahn1";
};

// log[y] = b1 - b2*x1 * exp[-b3*x2]
// The only model with two predictors (x1 = time, x2 = temperature) and the
// only one fitted to a transformed response.
struct Nelson {
  static constexpr const char* kName = "Nelson";
  static constexpr int kNumParameters = 3;
  static double response(double y) { return std::log(y); }
  template <typename T>
  static T value(const T* b, double x1, double x2) {
    using std::exp;
    return b[0] - b[1] * x1 * exp(-b[2] * x2);
  }
};

// y = b1 + b2*exp[-x*b4] + b3*exp[-x*b5]
struct MGH17 : IdentityResponse {
  static constexpr const char* kName = "MGH17";
  static constexpr int kNumParameters = 5;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::exp;
    return b[0] + b[1] * exp(-x * b[3]) + b[2] * exp(-x * b[4]);
  }
};

struct Lanczos1 : formula::Lanczos {
  static constexpr const char* kName = "Lanczos1";
};

struct Lanczos2 : formula::Lanczos {
  static constexpr const char* kName = "Lanczos2";
};

struct Gauss3 : formula::Gauss {
  static constexpr const char* kName = "Gauss3";
};

// y = b1 * (1-(1+2*b2*x)**(-.5))
struct Misra1c : IdentityResponse {
  static constexpr const char* kName = "Misra1c";
  static constexpr int kNumParameters = 2;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    // u^(-1/2) as 1/sqrt(u): the same value without a general pow.
    using std::sqrt;
    return b[0] * (1.0 - 1.0 / sqrt(1.0 + b[1] * (2.0 * x)));
  }
};

// y = b1*b2*x*((1+b2*x)**(-1))
struct Misra1d : IdentityResponse {
  static constexpr const char* kName = "Misra1d";
  static constexpr int kNumParameters = 2;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    const T b2x = b[1] * x;
    return b[0] * b2x / (1.0 + b2x);
  }
};

// pi = 3.141592653589793238462643383279E0
// y =  b1 - b2*x - arctan[b3/(x-b4)]/pi
struct Roszman1 : IdentityResponse {
  static constexpr const char* kName = "Roszman1";
  static constexpr int kNumParameters = 4;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    // x - b4 < 0 at every observation near the certified solution, and the
    // certified values hold only with the angle taken in (0, pi), i.e.
    // atan2(b3, x - b4). The principal arctan reaches the same sum of squares
    // with b1 shifted by exactly 1 (see data/nist/README.md).
    using std::atan2;
    return b[0] - b[1] * x - atan2(b[2], x - b[3]) / std::numbers::pi;
  }
};

// y = b1 + b2*cos( 2*pi*x/12 ) + b3*sin( 2*pi*x/12 )
//        + b5*cos( 2*pi*x/b4 ) + b6*sin( 2*pi*x/b4 )
//        + b8*cos( 2*pi*x/b7 ) + b9*sin( 2*pi*x/b7 )
struct ENSO : IdentityResponse {
  static constexpr const char* kName = "ENSO";
  static constexpr int kNumParameters = 9;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::cos;
    using std::sin;
    const double two_pi_x = 2.0 * std::numbers::pi * x;
    const double annual = two_pi_x / 12.0;
    const T period4 = two_pi_x / b[3];
    const T period7 = two_pi_x / b[6];
    return b[0] + b[1] * std::cos(annual) + b[2] * std::sin(annual) + b[4] * cos(period4) + b[5] * sin(period4) +
           b[7] * cos(period7) + b[8] * sin(period7);
  }
};

// ---- Higher level of difficulty ------------------------------------------

// y = b1*(x**2+x*b2) / (x**2+x*b3+b4)
struct MGH09 : IdentityResponse {
  static constexpr const char* kName = "MGH09";
  static constexpr int kNumParameters = 4;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    const double xx = x * x;
    return b[0] * (xx + x * b[1]) / (xx + x * b[2] + b[3]);
  }
};

struct Thurber : formula::CubicOverCubic {
  static constexpr const char* kName = "Thurber";
};

struct BoxBOD : formula::SaturatingExponential {
  static constexpr const char* kName = "BoxBOD";
};

// y = b1 / (1+exp[b2-b3*x])
struct Rat42 : IdentityResponse {
  static constexpr const char* kName = "Rat42";
  static constexpr int kNumParameters = 3;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::exp;
    return b[0] / (1.0 + exp(b[1] - b[2] * x));
  }
};

// y = b1 * exp[b2/(x+b3)]
struct MGH10 : IdentityResponse {
  static constexpr const char* kName = "MGH10";
  static constexpr int kNumParameters = 3;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::exp;
    return b[0] * exp(b[1] / (x + b[2]));
  }
};

// y = (b1/b2) * exp[-0.5*((x-b3)/b2)**2]
struct Eckerle4 : IdentityResponse {
  static constexpr const char* kName = "Eckerle4";
  static constexpr int kNumParameters = 3;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::exp;
    const T u = (x - b[2]) / b[1];
    return (b[0] / b[1]) * exp(-0.5 * (u * u));
  }
};

// y = b1 / ((1+exp[b2-b3*x])**(1/b4))
struct Rat43 : IdentityResponse {
  static constexpr const char* kName = "Rat43";
  static constexpr int kNumParameters = 4;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::exp;
    using std::pow;
    return b[0] / pow(1.0 + exp(b[1] - b[2] * x), 1.0 / b[3]);
  }
};

// y = b1 * (b2+x)**(-1/b3)
struct Bennett5 : IdentityResponse {
  static constexpr const char* kName = "Bennett5";
  static constexpr int kNumParameters = 3;
  template <typename T>
  static T value(const T* b, double x, double /*x2*/) {
    using std::pow;
    return b[0] * pow(b[1] + x, -1.0 / b[2]);
  }
};

// All 27, in NIST's order: the 8 lower-, 11 average- and 8 higher-difficulty
// problems, each group in the order of NIST's table.
using AllModels =
    std::tuple<Misra1a, Chwirut2, Chwirut1, Lanczos3, Gauss1, Gauss2, DanWood, Misra1b,                     //
               Kirby2, Hahn1, Nelson, MGH17, Lanczos1, Lanczos2, Gauss3, Misra1c, Misra1d, Roszman1, ENSO,  //
               MGH09, Thurber, BoxBOD, Rat42, MGH10, Eckerle4, Rat43, Bennett5>;

}  // namespace nist

// Calls visitor.template operator()<Model>() for every model, in the order of
// nist::AllModels. A C++20 template lambda does:
//   for_each_nist_model([&]<typename Model>() { names.push_back(Model::kName); });
template <typename Visitor>
void for_each_nist_model(Visitor&& visitor) {
  [&]<typename... Models>(std::type_identity<std::tuple<Models...>>) {
    (visitor.template operator()<Models>(), ...);
  }(std::type_identity<nist::AllModels>{});
}

// Calls visitor.template operator()<Model>() for the model whose kName equals
// `name` (case-sensitive, e.g. "Misra1a") and returns true; returns false,
// without calling the visitor, for an unknown name. The visitor's return value
// is ignored; capture what it produces. This is how code that only knows a
// NistProblem's name instantiates its own cost function:
//   visit_nist_model(problem.name, [&]<typename Model>() {
//     ... AutoDiffCostFunction<NistResidual<Model>, 1, Model::kNumParameters> ...
//   });
template <typename Visitor>
bool visit_nist_model(std::string_view name, Visitor&& visitor) {
  return [&]<typename... Models>(std::type_identity<std::tuple<Models...>>) {
    return ((name == Models::kName ? (static_cast<void>(visitor.template operator()<Models>()), true) : false) || ...);
  }(std::type_identity<nist::AllModels>{});
}

// The residual of one observation, response(y) - f(b; x, x2), as an autodiff
// functor with Ceres's signature: one residual, one parameter block of
// Model::kNumParameters values. x and y are the values as printed in the file
// (x2 is Nelson's second predictor, ignored by every other model); Nelson's
// log(y) is taken here, through Model::response. Always returns true: a point
// outside a model's domain (a negative base under a fractional power, say)
// shows up as a NaN residual, which the solvers treat as a failed evaluation.
template <typename Model>
struct NistResidual {
  double x = 0.0;
  double x2 = 0.0;
  double y = 0.0;

  template <typename T>
  bool operator()(const T* b, T* residual) const {
    residual[0] = Model::response(y) - Model::value(b, x, x2);
    return true;
  }
};

}  // namespace curvature
