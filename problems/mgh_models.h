// mgh_models.h — the 35 residual functions of the Moré–Garbow–Hillstrom test
// set, written once, generic in the scalar type.
//
// Source: J. J. Moré, B. S. Garbow, K. E. Hillstrom, "Testing unconstrained
// optimization software", ACM Trans. Math. Softw. 7(1), 1981, pp. 17-41
// (doi:10.1145/355934.355936), section 3. The paper numbers its residuals
// f_1..f_m and its variables x_1..x_n from 1; here they are r[0..m-1] and
// x[0..n-1], and each comment quotes the paper's formula in its own indexing.
//
// Every functor has the signature automatic differentiation expects,
//   template <typename T> bool operator()(const T* x, T* r) const;
// over one parameter block x of n values and m residuals. Three shapes:
//   * n and m fixed by the paper: static constexpr kN and kM;
//   * n fixed, m a parameter (m >= n): static constexpr kN and a member `m`;
//   * n (and for some m) a parameter: members `n` (and `m`).
// mgh.cc wraps them in AutoDiffCostFunction<F, kM, kN>,
// AutoDiffCostFunction<F, kDynamic, kN> and DynamicAutoDiffCostFunction
// respectively. The problem descriptions (sizes, starting points, minima)
// are in mgh.h.
//
// Math functions are called unqualified after `using std::exp;` etc., so that
// T = double picks <cmath> and T = curvature::Jet picks the jet overloads.
// Sums start from T(0.0): for dynamic jets that is a constant with an empty
// derivative vector, which the jet arithmetic treats as zero.
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>

namespace curvature::mgh {

// 1. Rosenbrock. n = 2, m = 2.
//   f1 = 10 (x2 - x1^2),  f2 = 1 - x1.
// Also the residual pair of every two variables of the extended Rosenbrock
// function (problem 21).
struct Rosenbrock {
  static constexpr int kN = 2;
  static constexpr int kM = 2;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    r[0] = 10.0 * (x[1] - x[0] * x[0]);
    r[1] = 1.0 - x[0];
    return true;
  }
};

// 2. Freudenstein and Roth. n = 2, m = 2.
//   f1 = -13 + x1 + ((5 - x2) x2 - 2) x2,  f2 = -29 + x1 + ((x2 + 1) x2 - 14) x2.
struct FreudensteinRoth {
  static constexpr int kN = 2;
  static constexpr int kM = 2;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    r[0] = -13.0 + x[0] + ((5.0 - x[1]) * x[1] - 2.0) * x[1];
    r[1] = -29.0 + x[0] + ((x[1] + 1.0) * x[1] - 14.0) * x[1];
    return true;
  }
};

// 3. Powell badly scaled. n = 2, m = 2.
//   f1 = 10^4 x1 x2 - 1,  f2 = exp(-x1) + exp(-x2) - 1.0001.
struct PowellBadlyScaled {
  static constexpr int kN = 2;
  static constexpr int kM = 2;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::exp;
    r[0] = 1e4 * x[0] * x[1] - 1.0;
    r[1] = exp(-x[0]) + exp(-x[1]) - 1.0001;
    return true;
  }
};

// 4. Brown badly scaled. n = 2, m = 3.
//   f1 = x1 - 10^6,  f2 = x2 - 2 10^-6,  f3 = x1 x2 - 2.
struct BrownBadlyScaled {
  static constexpr int kN = 2;
  static constexpr int kM = 3;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    r[0] = x[0] - 1e6;
    r[1] = x[1] - 2e-6;
    r[2] = x[0] * x[1] - 2.0;
    return true;
  }
};

// 5. Beale. n = 2, m = 3.
//   f_i = y_i - x1 (1 - x2^i),  y = (1.5, 2.25, 2.625).
struct Beale {
  static constexpr int kN = 2;
  static constexpr int kM = 3;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    static constexpr double kY[3] = {1.5, 2.25, 2.625};
    T power = x[1];
    for (int i = 0; i < 3; ++i) {
      r[i] = kY[i] - x[0] * (1.0 - power);
      power = power * x[1];
    }
    return true;
  }
};

// 6. Jennrich and Sampson. n = 2, m >= n (the paper tabulates m = 10).
//   f_i = 2 + 2i - (exp(i x1) + exp(i x2)).
struct JennrichSampson {
  static constexpr int kN = 2;
  int m = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::exp;
    for (int i = 1; i <= m; ++i) r[i - 1] = 2.0 + 2.0 * i - (exp(i * x[0]) + exp(i * x[1]));
    return true;
  }
};

// 7. Helical valley. n = 3, m = 3.
//   f1 = 10 (x3 - 10 theta(x1, x2)),  f2 = 10 (sqrt(x1^2 + x2^2) - 1),  f3 = x3,
//   theta = arctan(x2 / x1) / (2 pi)         if x1 > 0,
//           arctan(x2 / x1) / (2 pi) + 0.5   if x1 < 0.
// theta is the paper's branch, in (-1/4, 3/4), not atan2's (-1/2, 1/2]: the
// two differ by 1 where x1 < 0 and x2 < 0, and the valley floor x3 = 10 theta
// is where it is only with the paper's. At x1 = 0, where the paper leaves theta
// undefined, we take its limit from x1 > 0, 0.25 sign(x2) (as MINPACK's test
// driver does); the residual is discontinuous there for x2 < 0.
struct HelicalValley {
  static constexpr int kN = 3;
  static constexpr int kM = 3;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::atan;
    using std::sqrt;
    constexpr double kTwoPi = 2.0 * std::numbers::pi;
    T theta;
    if (x[0] > 0.0) {
      theta = atan(x[1] / x[0]) / kTwoPi;
    } else if (x[0] < 0.0) {
      theta = atan(x[1] / x[0]) / kTwoPi + 0.5;
    } else if (x[1] != 0.0) {
      // The value 0.25 sign(x2), with the one-sided derivatives, which agree:
      // d theta / d x1 = -1 / (2 pi x2) and d theta / d x2 = 0 at x1 = 0.
      theta = (x[1] > 0.0 ? 0.25 : -0.25) - x[0] / (kTwoPi * x[1]);
    } else {
      theta = T(0.25);  // the origin, where theta has no limit
    }
    r[0] = 10.0 * (x[2] - 10.0 * theta);
    r[1] = 10.0 * (sqrt(x[0] * x[0] + x[1] * x[1]) - 1.0);
    r[2] = x[2];
    return true;
  }
};

// 8. Bard. n = 3, m = 15.
//   f_i = y_i - (x1 + u_i / (v_i x2 + w_i x3)),  u_i = i, v_i = 16 - i, w_i = min(u_i, v_i).
struct Bard {
  static constexpr int kN = 3;
  static constexpr int kM = 15;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    static constexpr double kY[15] = {0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39,
                                      0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39};
    for (int i = 1; i <= 15; ++i) {
      const double u = i;
      const double v = 16 - i;
      const double w = std::min(u, v);
      r[i - 1] = kY[i - 1] - (x[0] + u / (v * x[1] + w * x[2]));
    }
    return true;
  }
};

// 9. Gaussian. n = 3, m = 15.
//   f_i = x1 exp(-x2 (t_i - x3)^2 / 2) - y_i,  t_i = (8 - i) / 2.
struct Gaussian {
  static constexpr int kN = 3;
  static constexpr int kM = 15;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::exp;
    static constexpr double kY[15] = {0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
                                      0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009};
    for (int i = 1; i <= 15; ++i) {
      const double t = (8.0 - i) / 2.0;
      const T d = t - x[2];
      r[i - 1] = x[0] * exp(-0.5 * x[1] * d * d) - kY[i - 1];
    }
    return true;
  }
};

// 10. Meyer. n = 3, m = 16.
//   f_i = x1 exp(x2 / (t_i + x3)) - y_i,  t_i = 45 + 5i.
struct Meyer {
  static constexpr int kN = 3;
  static constexpr int kM = 16;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::exp;
    static constexpr double kY[16] = {34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744,
                                      8261,  7030,  6005,  5147,  4427,  3820,  3307,  2872};
    for (int i = 1; i <= 16; ++i) {
      const double t = 45.0 + 5.0 * i;
      r[i - 1] = x[0] * exp(x[1] / (t + x[2])) - kY[i - 1];
    }
    return true;
  }
};

// 11. Gulf research and development. n = 3, 3 <= m <= 100.
//   f_i = exp(-|y_i - x2|^x3 / x1) - t_i,  t_i = i / 100,  y_i = 25 + (-50 ln t_i)^(2/3).
// The paper prints the argument as "|y_i m i x_2|"; read literally (a product
// y_i * m * i * x2) the stated minimum f = 0 at (50, 25, 1.5) does not hold.
// With "mi" read as a minus sign it holds exactly, which is the reading used
// here (as in Jamil and Yang 2013, and the R package funconstrain).
struct GulfResearchDevelopment {
  static constexpr int kN = 3;
  int m = 99;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::abs;
    using std::exp;
    using std::pow;
    for (int i = 1; i <= m; ++i) {
      const double t = i / 100.0;
      const double y = 25.0 + std::pow(-50.0 * std::log(t), 2.0 / 3.0);
      r[i - 1] = exp(-pow(abs(y - x[1]), x[2]) / x[0]) - t;
    }
    return true;
  }
};

// 12. Box three-dimensional. n = 3, m >= n (the paper tabulates m = 10).
//   f_i = exp(-t_i x1) - exp(-t_i x2) - x3 (exp(-t_i) - exp(-10 t_i)),  t_i = 0.1 i.
struct Box3d {
  static constexpr int kN = 3;
  int m = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::exp;
    for (int i = 1; i <= m; ++i) {
      const double t = 0.1 * i;
      r[i - 1] = exp(-t * x[0]) - exp(-t * x[1]) - x[2] * (std::exp(-t) - std::exp(-10.0 * t));
    }
    return true;
  }
};

// 13. Powell singular. n = 4, m = 4.
//   f1 = x1 + 10 x2,  f2 = 5^(1/2) (x3 - x4),  f3 = (x2 - 2 x3)^2,  f4 = 10^(1/2) (x1 - x4)^2.
// Also the residual quartet of every four variables of the extended Powell
// singular function (problem 22).
struct PowellSingular {
  static constexpr int kN = 4;
  static constexpr int kM = 4;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    const T a = x[1] - 2.0 * x[2];
    const T b = x[0] - x[3];
    r[0] = x[0] + 10.0 * x[1];
    r[1] = std::sqrt(5.0) * (x[2] - x[3]);
    r[2] = a * a;
    r[3] = std::sqrt(10.0) * (b * b);
    return true;
  }
};

// 14. Wood. n = 4, m = 6.
//   f1 = 10 (x2 - x1^2),  f2 = 1 - x1,  f3 = 90^(1/2) (x4 - x3^2),  f4 = 1 - x3,
//   f5 = 10^(1/2) (x2 + x4 - 2),  f6 = 10^(-1/2) (x2 - x4).
struct Wood {
  static constexpr int kN = 4;
  static constexpr int kM = 6;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    r[0] = 10.0 * (x[1] - x[0] * x[0]);
    r[1] = 1.0 - x[0];
    r[2] = std::sqrt(90.0) * (x[3] - x[2] * x[2]);
    r[3] = 1.0 - x[2];
    r[4] = std::sqrt(10.0) * (x[1] + x[3] - 2.0);
    r[5] = (x[1] - x[3]) / std::sqrt(10.0);
    return true;
  }
};

// 15. Kowalik and Osborne. n = 4, m = 11.
//   f_i = y_i - x1 (u_i^2 + u_i x2) / (u_i^2 + u_i x3 + x4).
struct KowalikOsborne {
  static constexpr int kN = 4;
  static constexpr int kM = 11;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    static constexpr double kY[11] = {0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627,
                                      0.0456, 0.0342, 0.0323, 0.0235, 0.0246};
    static constexpr double kU[11] = {4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625};
    for (int i = 0; i < 11; ++i) {
      const double u = kU[i];
      r[i] = kY[i] - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3]);
    }
    return true;
  }
};

// 16. Brown and Dennis. n = 4, m >= n (the paper tabulates m = 20).
//   f_i = (x1 + t_i x2 - exp(t_i))^2 + (x3 + x4 sin(t_i) - cos(t_i))^2,  t_i = i / 5.
struct BrownDennis {
  static constexpr int kN = 4;
  int m = 20;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= m; ++i) {
      const double t = i / 5.0;
      const T a = x[0] + t * x[1] - std::exp(t);
      const T b = x[2] + std::sin(t) * x[3] - std::cos(t);
      r[i - 1] = a * a + b * b;
    }
    return true;
  }
};

// 17. Osborne 1. n = 5, m = 33.
//   f_i = y_i - (x1 + x2 exp(-t_i x4) + x3 exp(-t_i x5)),  t_i = 10 (i - 1).
struct Osborne1 {
  static constexpr int kN = 5;
  static constexpr int kM = 33;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::exp;
    static constexpr double kY[33] = {0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,
                                      0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,
                                      0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406};
    for (int i = 1; i <= 33; ++i) {
      const double t = 10.0 * (i - 1);
      r[i - 1] = kY[i - 1] - (x[0] + x[1] * exp(-t * x[3]) + x[2] * exp(-t * x[4]));
    }
    return true;
  }
};

// 18. Biggs EXP6. n = 6, m >= n (the paper tabulates m = 13).
//   f_i = x3 exp(-t_i x1) - x4 exp(-t_i x2) + x6 exp(-t_i x5) - y_i,
//   t_i = 0.1 i,  y_i = exp(-t_i) - 5 exp(-10 t_i) + 3 exp(-4 t_i).
struct BiggsExp6 {
  static constexpr int kN = 6;
  int m = 13;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::exp;
    for (int i = 1; i <= m; ++i) {
      const double t = 0.1 * i;
      const double y = std::exp(-t) - 5.0 * std::exp(-10.0 * t) + 3.0 * std::exp(-4.0 * t);
      r[i - 1] = x[2] * exp(-t * x[0]) - x[3] * exp(-t * x[1]) + x[5] * exp(-t * x[4]) - y;
    }
    return true;
  }
};

// 19. Osborne 2. n = 11, m = 65.
//   f_i = y_i - (x1 exp(-t_i x5) + x2 exp(-(t_i - x9)^2 x6)
//                + x3 exp(-(t_i - x10)^2 x7) + x4 exp(-(t_i - x11)^2 x8)),  t_i = (i - 1) / 10.
struct Osborne2 {
  static constexpr int kN = 11;
  static constexpr int kM = 65;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::exp;
    static constexpr double kY[65] = {1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746,
                                      0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649,
                                      0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395,
                                      0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653,
                                      0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739,
                                      0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054};
    for (int i = 1; i <= 65; ++i) {
      const double t = (i - 1) / 10.0;
      const T d9 = t - x[8];
      const T d10 = t - x[9];
      const T d11 = t - x[10];
      r[i - 1] = kY[i - 1] - (x[0] * exp(-t * x[4]) + x[1] * exp(-(d9 * d9) * x[5]) + x[2] * exp(-(d10 * d10) * x[6]) +
                              x[3] * exp(-(d11 * d11) * x[7]));
    }
    return true;
  }
};

// 20. Watson. 2 <= n <= 31, m = 31.
//   f_i = sum_{j=2}^n (j - 1) x_j t_i^(j-2) - (sum_{j=1}^n x_j t_i^(j-1))^2 - 1,  t_i = i / 29,  1 <= i <= 29,
//   f30 = x1,  f31 = x2 - x1^2 - 1.
struct Watson {
  int n = 9;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= 29; ++i) {
      const double t = i / 29.0;
      T derivative(0.0);   // sum_{j>=2} (j - 1) x_j t^(j-2)
      T value = x[0];      // sum_{j>=1} x_j t^(j-1)
      double power = 1.0;  // t^(j-2)
      for (int j = 2; j <= n; ++j) {
        derivative = derivative + (j - 1) * power * x[j - 1];
        value = value + (power * t) * x[j - 1];
        power *= t;
      }
      r[i - 1] = derivative - value * value - 1.0;
    }
    r[29] = x[0];
    r[30] = x[1] - x[0] * x[0] - 1.0;
    return true;
  }
};

// 23. Penalty I. n variable, m = n + 1.
//   f_i = a^(1/2) (x_i - 1), 1 <= i <= n,  f_{n+1} = sum_j x_j^2 - 1/4,  a = 10^-5.
struct PenaltyI {
  int n = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    const double root_a = std::sqrt(1e-5);
    T sum(0.0);
    for (int j = 0; j < n; ++j) {
      r[j] = root_a * (x[j] - 1.0);
      sum = sum + x[j] * x[j];
    }
    r[n] = sum - 0.25;
    return true;
  }
};

// 24. Penalty II. n variable, m = 2n.
//   f1 = x1 - 0.2,
//   f_i = a^(1/2) (exp(x_i / 10) + exp(x_{i-1} / 10) - y_i),  2 <= i <= n,
//   f_i = a^(1/2) (exp(x_{i-n+1} / 10) - exp(-1/10)),         n < i < 2n,
//   f_2n = sum_j (n - j + 1) x_j^2 - 1,
//   a = 10^-5,  y_i = exp(i / 10) + exp((i - 1) / 10).
struct PenaltyII {
  int n = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::exp;
    const double root_a = std::sqrt(1e-5);
    r[0] = x[0] - 0.2;
    for (int i = 2; i <= n; ++i) {
      const double y = std::exp(i / 10.0) + std::exp((i - 1) / 10.0);
      r[i - 1] = root_a * (exp(x[i - 1] / 10.0) + exp(x[i - 2] / 10.0) - y);
    }
    for (int i = n + 1; i < 2 * n; ++i) r[i - 1] = root_a * (exp(x[i - n] / 10.0) - std::exp(-0.1));
    T sum(0.0);
    for (int j = 1; j <= n; ++j) sum = sum + (n - j + 1) * (x[j - 1] * x[j - 1]);
    r[2 * n - 1] = sum - 1.0;
    return true;
  }
};

// 25. Variably dimensioned. n variable, m = n + 2.
//   f_i = x_i - 1, 1 <= i <= n,  f_{n+1} = sum_j j (x_j - 1),  f_{n+2} = (sum_j j (x_j - 1))^2.
struct VariablyDimensioned {
  int n = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    T sum(0.0);
    for (int j = 1; j <= n; ++j) {
      r[j - 1] = x[j - 1] - 1.0;
      sum = sum + j * (x[j - 1] - 1.0);
    }
    r[n] = sum;
    r[n + 1] = sum * sum;
    return true;
  }
};

// 26. Trigonometric. n variable, m = n.
//   f_i = n - sum_j cos(x_j) + i (1 - cos(x_i)) - sin(x_i).
struct Trigonometric {
  int n = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    using std::cos;
    using std::sin;
    T cos_sum(0.0);
    for (int j = 0; j < n; ++j) cos_sum = cos_sum + cos(x[j]);
    for (int i = 1; i <= n; ++i) r[i - 1] = (n - cos_sum) + i * (1.0 - cos(x[i - 1])) - sin(x[i - 1]);
    return true;
  }
};

// 27. Brown almost-linear. n variable, m = n.
//   f_i = x_i + sum_j x_j - (n + 1), 1 <= i < n,  f_n = prod_j x_j - 1.
struct BrownAlmostLinear {
  int n = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    T sum(0.0);
    T product(1.0);
    for (int j = 0; j < n; ++j) {
      sum = sum + x[j];
      product = product * x[j];
    }
    for (int i = 0; i + 1 < n; ++i) r[i] = x[i] + sum - (n + 1.0);
    r[n - 1] = product - 1.0;
    return true;
  }
};

// 28. Discrete boundary value. n variable, m = n.
//   f_i = 2 x_i - x_{i-1} - x_{i+1} + h^2 (x_i + t_i + 1)^3 / 2,
//   h = 1 / (n + 1),  t_i = i h,  x_0 = x_{n+1} = 0.
struct DiscreteBoundaryValue {
  int n = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    const double h = 1.0 / (n + 1);
    for (int i = 1; i <= n; ++i) {
      const T u = x[i - 1] + (i * h + 1.0);
      T ri = 2.0 * x[i - 1] + (0.5 * h * h) * (u * u * u);
      if (i > 1) ri = ri - x[i - 2];
      if (i < n) ri = ri - x[i];
      r[i - 1] = ri;
    }
    return true;
  }
};

// 29. Discrete integral equation. n variable, m = n.
//   f_i = x_i + h [(1 - t_i) sum_{j<=i} t_j (x_j + t_j + 1)^3 + t_i sum_{j>i} (1 - t_j) (x_j + t_j + 1)^3] / 2,
//   h = 1 / (n + 1),  t_i = i h.
struct DiscreteIntegralEquation {
  int n = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    const double h = 1.0 / (n + 1);
    for (int i = 1; i <= n; ++i) {
      const double ti = i * h;
      T lower(0.0);
      T upper(0.0);
      for (int j = 1; j <= n; ++j) {
        const double tj = j * h;
        const T u = x[j - 1] + (tj + 1.0);
        const T cube = u * u * u;
        if (j <= i) {
          lower = lower + tj * cube;
        } else {
          upper = upper + (1.0 - tj) * cube;
        }
      }
      r[i - 1] = x[i - 1] + (0.5 * h) * ((1.0 - ti) * lower + ti * upper);
    }
    return true;
  }
};

// 30. Broyden tridiagonal. n variable, m = n.
//   f_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1,  x_0 = x_{n+1} = 0.
struct BroydenTridiagonal {
  int n = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= n; ++i) {
      T ri = (3.0 - 2.0 * x[i - 1]) * x[i - 1] + 1.0;
      if (i > 1) ri = ri - x[i - 2];
      if (i < n) ri = ri - 2.0 * x[i];
      r[i - 1] = ri;
    }
    return true;
  }
};

// 31. Broyden banded. n variable, m = n.
//   f_i = x_i (2 + 5 x_i^2) + 1 - sum_{j in J_i} x_j (1 + x_j),
//   J_i = {j != i : max(1, i - m_l) <= j <= min(n, i + m_u)},  m_l = 5,  m_u = 1.
struct BroydenBanded {
  int n = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    constexpr int kLower = 5;
    constexpr int kUpper = 1;
    for (int i = 1; i <= n; ++i) {
      T ri = x[i - 1] * (2.0 + 5.0 * x[i - 1] * x[i - 1]) + 1.0;
      for (int j = std::max(1, i - kLower); j <= std::min(n, i + kUpper); ++j) {
        if (j != i) ri = ri - x[j - 1] * (1.0 + x[j - 1]);
      }
      r[i - 1] = ri;
    }
    return true;
  }
};

// 32. Linear function, full rank. n variable, m >= n.
//   f_i = x_i - (2/m) sum_j x_j - 1, 1 <= i <= n,  f_i = -(2/m) sum_j x_j - 1, n < i <= m.
struct LinearFullRank {
  int n = 10;
  int m = 20;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    T sum(0.0);
    for (int j = 0; j < n; ++j) sum = sum + x[j];
    const T common = (-2.0 / m) * sum - 1.0;
    for (int i = 0; i < m; ++i) r[i] = i < n ? x[i] + common : common;
    return true;
  }
};

// 33. Linear function, rank 1. n variable, m >= n.
//   f_i = i (sum_j j x_j) - 1.
struct LinearRank1 {
  int n = 10;
  int m = 20;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    T sum(0.0);
    for (int j = 1; j <= n; ++j) sum = sum + j * x[j - 1];
    for (int i = 1; i <= m; ++i) r[i - 1] = i * sum - 1.0;
    return true;
  }
};

// 34. Linear function, rank 1 with zero columns and rows. n variable, m >= n.
//   f_1 = -1,  f_i = (i - 1) (sum_{j=2}^{n-1} j x_j) - 1, 2 <= i <= m - 1,  f_m = -1.
// x_1 and x_n do not enter: their Jacobian columns are zero, as are rows 1
// and m.
struct LinearRank1ZeroColumnsRows {
  int n = 10;
  int m = 20;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    T sum(0.0);
    for (int j = 2; j <= n - 1; ++j) sum = sum + j * x[j - 1];
    // Multiplying by zero keeps the derivative vector, so every residual of a
    // dynamic jet has the same derivative size.
    r[0] = 0.0 * sum - 1.0;
    for (int i = 2; i <= m - 1; ++i) r[i - 1] = (i - 1) * sum - 1.0;
    r[m - 1] = 0.0 * sum - 1.0;
    return true;
  }
};

// 35. Chebyquad. n variable, m >= n.
//   f_i = (1/n) sum_j T_i(x_j) - integral_0^1 T_i(x) dx,
// T_i the Chebyshev polynomial shifted to [0, 1] (T_0 = 1, T_1 = 2x - 1,
// T_{k+1} = 2 (2x - 1) T_k - T_{k-1}); the integral is 0 for odd i and
// -1 / (i^2 - 1) for even i.
struct Chebyquad {
  int n = 10;
  int m = 10;
  template <typename T>
  bool operator()(const T* x, T* r) const {
    for (int i = 0; i < m; ++i) r[i] = T(0.0);
    for (int j = 0; j < n; ++j) {
      const T y = 2.0 * x[j] - 1.0;
      T previous(1.0);  // T_0
      T current = y;    // T_1
      for (int i = 1; i <= m; ++i) {
        r[i - 1] = r[i - 1] + current;
        const T next = 2.0 * y * current - previous;
        previous = current;
        current = next;
      }
    }
    for (int i = 1; i <= m; ++i) {
      r[i - 1] = r[i - 1] / static_cast<double>(n);
      if (i % 2 == 0) r[i - 1] = r[i - 1] + 1.0 / (i * i - 1.0);
    }
    return true;
  }
};

}  // namespace curvature::mgh
