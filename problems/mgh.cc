#include "mgh.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

#include "curvature/autodiff_cost_function.h"
#include "curvature/dynamic_autodiff_cost_function.h"
#include "curvature/error.h"
#include "mgh_models.h"

namespace curvature {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr int kNumProblems = 35;

// What the paper allows for each problem's sizes, and the sizes used by
// default. n_step > 1: n must be a multiple of it. m_rule says how m follows.
enum class MRule {
  kFixed,         // m == standard_m
  kEqualsN,       // m == n
  kNPlus1,        // m == n + 1
  kNPlus2,        // m == n + 2
  kTwiceN,        // m == 2 n
  kAtLeastN,      // m >= n (and >= min_m)
  kAtLeastNUpTo,  // n <= m <= max_m
};

struct SizeRule {
  int standard_n;
  int standard_m;
  int min_n;  // == max_n when n is fixed
  int max_n;
  int n_step;
  MRule m_rule;
  int min_m = 0;
  int max_m = std::numeric_limits<int>::max();
};

SizeRule size_rule(int number) {
  constexpr int kAny = std::numeric_limits<int>::max();
  // One row per problem reads as a table.
  // clang-format off
  switch (number) {
    case 1: return {2, 2, 2, 2, 1, MRule::kFixed};
    case 2: return {2, 2, 2, 2, 1, MRule::kFixed};
    case 3: return {2, 2, 2, 2, 1, MRule::kFixed};
    case 4: return {2, 3, 2, 2, 1, MRule::kFixed};
    case 5: return {2, 3, 2, 2, 1, MRule::kFixed};
    case 6: return {2, 10, 2, 2, 1, MRule::kAtLeastN};
    case 7: return {3, 3, 3, 3, 1, MRule::kFixed};
    case 8: return {3, 15, 3, 3, 1, MRule::kFixed};
    case 9: return {3, 15, 3, 3, 1, MRule::kFixed};
    case 10: return {3, 16, 3, 3, 1, MRule::kFixed};
    case 11: return {3, 99, 3, 3, 1, MRule::kAtLeastNUpTo, 3, 100};
    case 12: return {3, 10, 3, 3, 1, MRule::kAtLeastN};
    case 13: return {4, 4, 4, 4, 1, MRule::kFixed};
    case 14: return {4, 6, 4, 4, 1, MRule::kFixed};
    case 15: return {4, 11, 4, 4, 1, MRule::kFixed};
    case 16: return {4, 20, 4, 4, 1, MRule::kAtLeastN};
    case 17: return {5, 33, 5, 5, 1, MRule::kFixed};
    case 18: return {6, 13, 6, 6, 1, MRule::kAtLeastN};
    case 19: return {11, 65, 11, 11, 1, MRule::kFixed};
    case 20: return {9, 31, 2, 31, 1, MRule::kFixed};
    case 21: return {10, 10, 2, kAny, 2, MRule::kEqualsN};
    case 22: return {12, 12, 4, kAny, 4, MRule::kEqualsN};
    case 23: return {10, 11, 1, kAny, 1, MRule::kNPlus1};
    case 24: return {10, 20, 1, kAny, 1, MRule::kTwiceN};
    case 25: return {10, 12, 1, kAny, 1, MRule::kNPlus2};
    case 26: return {10, 10, 1, kAny, 1, MRule::kEqualsN};
    case 27: return {10, 10, 1, kAny, 1, MRule::kEqualsN};
    case 28: return {10, 10, 1, kAny, 1, MRule::kEqualsN};
    case 29: return {10, 10, 1, kAny, 1, MRule::kEqualsN};
    case 30: return {10, 10, 1, kAny, 1, MRule::kEqualsN};
    case 31: return {10, 10, 1, kAny, 1, MRule::kEqualsN};
    case 32: return {10, 20, 1, kAny, 1, MRule::kAtLeastN};
    case 33: return {10, 20, 1, kAny, 1, MRule::kAtLeastN};
    // Rank 1 with zero rows and columns: x_2..x_{n-1} must exist, and f* has
    // 2m - 3 in a denominator.
    case 34: return {10, 20, 3, kAny, 1, MRule::kAtLeastN, 3};
    case 35: return {10, 10, 1, kAny, 1, MRule::kAtLeastN};
    default:
      throw Error("mgh_problem: there is no problem number " + std::to_string(number) + "; the numbers are 1..35");
  }
  // clang-format on
}

void check_sizes(int number, int n, int m) {
  const SizeRule rule = size_rule(number);
  const std::string where =
      "mgh_problem(" + std::to_string(number) + ", n = " + std::to_string(n) + ", m = " + std::to_string(m) + "): ";
  if (n < rule.min_n || n > rule.max_n) {
    if (rule.min_n == rule.max_n) throw Error(where + "n must be " + std::to_string(rule.min_n));
    throw Error(where + "n must be at least " + std::to_string(rule.min_n) +
                (rule.max_n == std::numeric_limits<int>::max() ? "" : " and at most " + std::to_string(rule.max_n)));
  }
  if (n % rule.n_step != 0) throw Error(where + "n must be a multiple of " + std::to_string(rule.n_step));
  switch (rule.m_rule) {
    case MRule::kFixed:
      if (m != rule.standard_m) throw Error(where + "m must be " + std::to_string(rule.standard_m));
      return;
    case MRule::kEqualsN:
      if (m != n) throw Error(where + "m must equal n");
      return;
    case MRule::kNPlus1:
      if (m != n + 1) throw Error(where + "m must be n + 1");
      return;
    case MRule::kNPlus2:
      if (m != n + 2) throw Error(where + "m must be n + 2");
      return;
    case MRule::kTwiceN:
      if (m != 2 * n) throw Error(where + "m must be 2 n");
      return;
    case MRule::kAtLeastN:
      if (m < n || m < rule.min_m) {
        throw Error(where + "m must be at least n" + (rule.min_m > 0 ? " and " + std::to_string(rule.min_m) : ""));
      }
      return;
    case MRule::kAtLeastNUpTo:
      if (m < n || m > rule.max_m) throw Error(where + "m must be between n and " + std::to_string(rule.max_m));
      return;
  }
}

std::vector<double> repeated(int n, std::vector<double> pattern) {
  std::vector<double> x(static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) x[j] = pattern[j % pattern.size()];
  return x;
}

// The description of problem `number` at sizes already checked. f* values
// with f_star_numerical were refined by curvature's Levenberg-Marquardt with
// tight tolerances (see tests/mgh_test.cc, which checks that each rounds to
// the paper's printed digits).
MghProblem describe(int number, int n, int m) {
  MghProblem p;
  p.number = number;
  p.n = n;
  p.m = m;
  p.f_star = kNaN;
  p.f_star_printed = kNaN;
  const std::string kExact = "f* is exact; a zero-residual problem, so f at a computed solution is pure rounding.";
  const std::string kRefined =
      "The paper prints 6 significant digits; f_star holds ~12 digits refined here by Levenberg-Marquardt.";
  auto numerical = [&](double printed, double refined) {
    p.f_star_printed = printed;
    p.f_star = refined;
    p.f_star_numerical = true;
    p.tolerance_note = kRefined;
  };
  auto zero = [&](std::vector<double> x_star) {
    p.f_star = 0.0;
    p.f_star_printed = 0.0;
    p.x_star = std::move(x_star);
    p.tolerance_note = kExact;
  };

  switch (number) {
    case 1:
      p.name = "rosenbrock";
      p.title = "Rosenbrock";
      p.x0 = {-1.2, 1.0};
      zero({1.0, 1.0});
      break;
    case 2:
      p.name = "freudenstein_roth";
      p.title = "Freudenstein and Roth";
      p.x0 = {0.5, -2.0};
      zero({5.0, 4.0});
      p.other_minima.push_back({48.98425367924,
                                {11.4127789874, -0.896805253249},
                                "local minimum; the paper prints f = 48.9842... at (11.41..., -0.8968...)"});
      p.tolerance_note += " Solvers from x0 often stop at the local minimum 48.9842.";
      break;
    case 3:
      p.name = "powell_badly_scaled";
      p.title = "Powell badly scaled";
      p.x0 = {0.0, 1.0};
      zero({});
      p.tolerance_note +=
          " The minimizer (1.098...e-5, 9.106...) is known only numerically (x1 x2 = 1e-4, "
          "exp(-x1) + exp(-x2) = 1.0001), so x_star is empty.";
      // Along x1 x2 = 1e-4 with x2 -> inf, f2 -> -1e-4 - 1e-4 / x2 from below, so
      // f decreases towards 1e-8 at infinity.
      p.other_minima.push_back(
          {1e-8, {0.0, kInfinity}, "infimum approached as x2 -> inf along x1 x2 = 1e-4; not from the paper"});
      break;
    case 4:
      p.name = "brown_badly_scaled";
      p.title = "Brown badly scaled";
      p.x0 = {1.0, 1.0};
      zero({1e6, 2e-6});
      p.tolerance_note += " Parameters differ by 12 orders of magnitude.";
      break;
    case 5:
      p.name = "beale";
      p.title = "Beale";
      p.x0 = {1.0, 1.0};
      zero({3.0, 0.5});
      // Not from the paper: two further starts common in the literature.
      p.extra_starts = {{2.0, -2.0}, {-3.0, 3.0}};
      // With x2 -> 1 and x1 (1 - x2) -> c the residuals tend to y_i - i c,
      // least squares in c: f -> sum y^2 - (sum i y_i)^2 / 14 = 14.203125 - 13.875^2 / 14.
      p.other_minima.push_back({14.203125 - 13.875 * 13.875 / 14.0,
                                {-kInfinity, 1.0},
                                "infimum approached at infinity (x1 -> +-inf, x2 -> 1); not from the paper"});
      break;
    case 6:
      p.name = "jennrich_sampson";
      p.title = "Jennrich and Sampson";
      p.x0 = {0.3, 0.4};
      if (m == 10) numerical(124.362, 124.362182356);
      p.tolerance_note += " Minimizer x1 = x2 = 0.2578... for m = 10 (paper); f* tabulated only for m = 10.";
      break;
    case 7:
      p.name = "helical_valley";
      p.title = "Helical valley";
      p.x0 = {-1.0, 0.0, 0.0};
      zero({1.0, 0.0, 0.0});
      break;
    case 8:
      p.name = "bard";
      p.title = "Bard";
      p.x0 = {1.0, 1.0, 1.0};
      numerical(8.21487e-3, 8.21487730658e-3);
      // As x2, x3 -> -inf the model tends to the constant x1, so the limit is
      // the variance sum of the data: x1 = mean(y) = 12.61 / 15.
      p.other_minima.push_back({17.4286933333333,
                                {12.61 / 15.0, -kInfinity, -kInfinity},
                                "the paper: f = 17.4286... at (0.8406..., -inf, -inf), approached at infinity"});
      break;
    case 9:
      p.name = "gaussian";
      p.title = "Gaussian";
      p.x0 = {0.4, 1.0, 0.0};
      numerical(1.12793e-8, 1.12793276962e-8);
      break;
    case 10:
      p.name = "meyer";
      p.title = "Meyer";
      p.x0 = {0.02, 4000.0, 250.0};
      numerical(87.9458, 87.9458551707);
      p.tolerance_note += " Badly scaled: x* ~ (0.0056, 6181, 345); f* is large, so the test is relative.";
      break;
    case 11:
      p.name = "gulf_research_development";
      p.title = "Gulf research and development";
      p.x0 = {5.0, 2.5, 0.15};
      zero({50.0, 25.0, 1.5});
      p.tolerance_note +=
          " The paper's '|y_i m i x_2|' is read as |y_i - x_2| (the printed form contradicts the stated "
          "minimum); f* = 0 for every m.";
      break;
    case 12:
      p.name = "box_3d";
      p.title = "Box three-dimensional";
      p.x0 = {0.0, 10.0, 20.0};
      zero({1.0, 10.0, 1.0});
      p.other_minima.push_back({0.0, {10.0, 1.0, -1.0}, "another global minimizer (paper)"});
      p.other_minima.push_back({0.0, {}, "every x with x1 = x2 and x3 = 0 (paper)"});
      if (m == 10) p.other_minima.push_back({0.075588740755, {}, "local minimum where many solvers stop, from curv bench mgh (point not recorded)"});
      break;
    case 13:
      p.name = "powell_singular";
      p.title = "Powell singular";
      p.x0 = {3.0, -1.0, 0.0, 1.0};
      zero({0.0, 0.0, 0.0, 0.0});
      p.tolerance_note += " The Jacobian is singular at x*, so convergence is only linear.";
      break;
    case 14:
      p.name = "wood";
      p.title = "Wood";
      p.x0 = {-3.0, -1.0, -3.0, -1.0};
      zero({1.0, 1.0, 1.0, 1.0});
      break;
    case 15:
      p.name = "kowalik_osborne";
      p.title = "Kowalik and Osborne";
      p.x0 = {0.25, 0.39, 0.415, 0.39};
      numerical(3.07505e-4, 3.07505603849e-4);
      p.other_minima.push_back({1.02734e-3,
                                {kInfinity, -14.07, -kInfinity, -kInfinity},
                                "the paper: f = 1.02734... at (+inf, -14.07..., -inf, -inf), approached at infinity"});
      break;
    case 16:
      p.name = "brown_dennis";
      p.title = "Brown and Dennis";
      p.x0 = {25.0, 5.0, -5.0, -1.0};
      if (m == 20) numerical(85822.2, 85822.2016264);
      p.tolerance_note += " f* tabulated only for m = 20.";
      break;
    case 17:
      p.name = "osborne_1";
      p.title = "Osborne 1";
      p.x0 = {0.5, 1.5, -1.0, 0.01, 0.02};
      numerical(5.46489e-5, 5.46489469748e-5);
      break;
    case 18:
      p.name = "biggs_exp6";
      p.title = "Biggs EXP6";
      p.x0 = {1.0, 2.0, 1.0, 1.0, 1.0, 1.0};
      zero({1.0, 10.0, 1.0, 5.0, 4.0, 3.0});
      p.other_minima.push_back({0.0, {4.0, 10.0, 3.0, 5.0, 1.0, 1.0}, "the same model with terms 1 and 3 swapped"});
      if (m == 13) {
        p.other_minima.push_back(
            {5.65564992550e-3, {}, "local minimum for m = 13: the paper's 5.65565...e-3, refined here"});
        p.tolerance_note +=
            " The paper also reports the local minimum 5.65565e-3 (m = 13), where solvers from x0 "
            "often stop.";
      }
      break;
    case 19:
      p.name = "osborne_2";
      p.title = "Osborne 2";
      p.x0 = {1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5};
      numerical(4.01377e-2, 4.01377362935e-2);
      p.other_minima.push_back({1.78981358688, {}, "local minimum where many solvers stop, from curv bench mgh (point not recorded)"});
      break;
    case 20:
      p.name = "watson";
      p.title = "Watson";
      p.x0.assign(static_cast<size_t>(n), 0.0);
      if (n == 6) numerical(2.28767e-3, 2.28767005355e-3);
      if (n == 9) numerical(1.39976e-6, 1.39976013810e-6);
      if (n == 12) numerical(4.72238e-10, 4.72238110651e-10);
      p.tolerance_note += " f* tabulated for n = 6, 9, 12 only. x0 = 0, so the three protocol starts coincide.";
      break;
    case 21:
      p.name = "extended_rosenbrock";
      p.title = "Extended Rosenbrock";
      p.x0 = repeated(n, {-1.2, 1.0});
      zero(std::vector<double>(static_cast<size_t>(n), 1.0));
      break;
    case 22:
      p.name = "extended_powell_singular";
      p.title = "Extended Powell singular";
      p.x0 = repeated(n, {3.0, -1.0, 0.0, 1.0});
      zero(std::vector<double>(static_cast<size_t>(n), 0.0));
      p.tolerance_note += " The Jacobian is singular at x*, so convergence is only linear.";
      break;
    case 23:
      p.name = "penalty_1";
      p.title = "Penalty I";
      p.x0.resize(static_cast<size_t>(n));
      for (int j = 0; j < n; ++j) p.x0[j] = j + 1.0;
      if (n == 4) numerical(2.24997e-5, 2.24997750090e-5);
      if (n == 10) numerical(7.08765e-5, 7.08765146709e-5);
      p.tolerance_note += " f* tabulated for n = 4 and 10 only.";
      break;
    case 24:
      p.name = "penalty_2";
      p.title = "Penalty II";
      p.x0.assign(static_cast<size_t>(n), 0.5);
      if (n == 4) numerical(9.37629e-6, 9.37629300736e-6);
      if (n == 10) numerical(2.93660e-4, 2.93660537457e-4);
      p.tolerance_note += " f* tabulated for n = 4 and 10 only.";
      break;
    case 25:
      p.name = "variably_dimensioned";
      p.title = "Variably dimensioned";
      p.x0.resize(static_cast<size_t>(n));
      for (int j = 0; j < n; ++j) p.x0[j] = 1.0 - (j + 1.0) / n;
      zero(std::vector<double>(static_cast<size_t>(n), 1.0));
      break;
    case 26:
      p.name = "trigonometric";
      p.title = "Trigonometric";
      p.x0.assign(static_cast<size_t>(n), 1.0 / n);
      zero(std::vector<double>(static_cast<size_t>(n), 0.0));
      p.tolerance_note += " Many local minima; solvers from x0 often stop at one with small positive f.";
      if (n == 10) {
        p.other_minima.push_back({2.79505612188e-5,
                                  {0.0551509039807, 0.0568406167948, 0.0587640017627, 0.0609906086568, 0.0636262136959,
                                   0.0668431794528, 0.20816151857, 0.164363095886, 0.0850068956886, 0.0914314507148},
                                  "local minimum reached from x0 (n = 10), found numerically here"});
        p.other_minima.push_back({4.21863388792e-5, {}, "local minimum where many solvers stop, from curv bench mgh (point not recorded)"});
      }
      break;
    case 27:
      p.name = "brown_almost_linear";
      p.title = "Brown almost-linear";
      p.x0.assign(static_cast<size_t>(n), 0.5);
      zero(std::vector<double>(static_cast<size_t>(n), 1.0));
      p.other_minima.push_back({0.0, {}, "(a, ..., a, a^(1-n)) for every root a of n a^n - (n + 1) a^(n-1) + 1 = 0"});
      {
        std::vector<double> x(static_cast<size_t>(n), 0.0);
        x.back() = n + 1.0;
        p.other_minima.push_back({1.0, std::move(x), "the paper: f = 1 at (0, ..., 0, n + 1)"});
      }
      break;
    case 28:
    case 29: {
      p.name = number == 28 ? "discrete_boundary_value" : "discrete_integral_equation";
      p.title = number == 28 ? "Discrete boundary value" : "Discrete integral equation";
      p.x0.resize(static_cast<size_t>(n));
      const double h = 1.0 / (n + 1);
      for (int j = 0; j < n; ++j) p.x0[j] = (j + 1) * h * ((j + 1) * h - 1.0);
      zero({});
      p.tolerance_note += " The zero is known only numerically, so x_star is empty.";
      break;
    }
    case 30:
    case 31:
      p.name = number == 30 ? "broyden_tridiagonal" : "broyden_banded";
      p.title = number == 30 ? "Broyden tridiagonal" : "Broyden banded";
      p.x0.assign(static_cast<size_t>(n), -1.0);
      zero({});
      p.tolerance_note += " The zero is known only numerically, so x_star is empty.";
      if (number == 31 && n == 10) p.other_minima.push_back({3.05727843243, {}, "local minimum where many solvers stop, from curv bench mgh (point not recorded)"});
      break;
    case 32:
      p.name = "linear_full_rank";
      p.title = "Linear function - full rank";
      p.x0.assign(static_cast<size_t>(n), 1.0);
      p.f_star = p.f_star_printed = m - n;
      p.x_star.assign(static_cast<size_t>(n), -1.0);
      p.tolerance_note = "f* = m - n exactly, at x = (-1, ..., -1).";
      break;
    case 33:
      p.name = "linear_rank_1";
      p.title = "Linear function - rank 1";
      p.x0.assign(static_cast<size_t>(n), 1.0);
      p.f_star = p.f_star_printed = m * (m - 1.0) / (2.0 * (2.0 * m + 1.0));
      p.x_star.assign(static_cast<size_t>(n), 0.0);
      p.x_star[0] = 3.0 / (2.0 * m + 1.0);
      p.tolerance_note =
          "f* = m (m - 1) / (2 (2m + 1)) exactly, at every x with sum_j j x_j = 3 / (2m + 1) (a hyperplane of "
          "minimizers; J has rank 1).";
      break;
    case 34:
      p.name = "linear_rank_1_zero_columns_rows";
      p.title = "Linear function - rank 1 with zero columns and rows";
      p.x0.assign(static_cast<size_t>(n), 1.0);
      p.f_star = p.f_star_printed = (m * m + 3.0 * m - 6.0) / (2.0 * (2.0 * m - 3.0));
      p.x_star.assign(static_cast<size_t>(n), 0.0);
      p.x_star[1] = 3.0 / (2.0 * (2.0 * m - 3.0));
      p.tolerance_note =
          "f* = (m^2 + 3m - 6) / (2 (2m - 3)) exactly, at every x with sum_{j=2}^{n-1} j x_j = 3 / (2m - 3) "
          "(J has rank 1 and zero columns 1 and n).";
      break;
    case 35:
      p.name = "chebyquad";
      p.title = "Chebyquad";
      p.x0.resize(static_cast<size_t>(n));
      for (int j = 0; j < n; ++j) p.x0[j] = (j + 1.0) / (n + 1);
      if (m == n && (n <= 7 || n == 9)) {
        zero({});
        p.tolerance_note += " The zero (Chebyshev quadrature nodes) is known only numerically.";
      }
      if (m == n && n == 8) numerical(3.51687e-3, 3.51687372568e-3);
      if (m == n && n == 10) {
        numerical(6.50395e-3, 6.50395480088e-3);
        p.other_minima.push_back({4.40906940392, {}, "local minimum where many solvers stop, from curv bench mgh (point not recorded)"});
      }
      if (m != n || n > 10) p.tolerance_note = "f* tabulated only for m = n <= 10.";
      break;
    default:
      break;  // size_rule() has rejected the number already
  }
  return p;
}

// One parameter block (x itself) and one residual block with every residual.
template <typename F>
std::shared_ptr<const CostFunction> fixed_cost() {
  return std::make_shared<AutoDiffCostFunction<F, F::kM, F::kN>>(F{});
}

template <typename F>
std::shared_ptr<const CostFunction> fixed_n_cost(int m) {
  F functor;
  functor.m = m;
  return std::make_shared<AutoDiffCostFunction<F, kDynamic, F::kN>>(functor, m);
}

// DynamicAutoDiffCostFunction hands the functor an array of blocks; the MGH
// functors take the one block directly.
template <typename F>
struct SingleBlock {
  F functor;
  template <typename T>
  bool operator()(T const* const* parameters, T* residuals) const {
    return functor(parameters[0], residuals);
  }
};

template <typename F>
std::shared_ptr<const CostFunction> dynamic_cost(F functor, int n, int m) {
  auto cost = std::make_shared<DynamicAutoDiffCostFunction<SingleBlock<F>>>(SingleBlock<F>{functor});
  cost->add_parameter_block(n);
  cost->set_num_residuals(m);
  return cost;
}

template <typename F>
F with_n(int n) {
  F functor;
  functor.n = n;
  return functor;
}

template <typename F>
F with_n_m(int n, int m) {
  F functor;
  functor.n = n;
  functor.m = m;
  return functor;
}

std::shared_ptr<const CostFunction> whole_problem_cost(int number, int n, int m) {
  switch (number) {
    case 1:
      return fixed_cost<mgh::Rosenbrock>();
    case 2:
      return fixed_cost<mgh::FreudensteinRoth>();
    case 3:
      return fixed_cost<mgh::PowellBadlyScaled>();
    case 4:
      return fixed_cost<mgh::BrownBadlyScaled>();
    case 5:
      return fixed_cost<mgh::Beale>();
    case 6:
      return fixed_n_cost<mgh::JennrichSampson>(m);
    case 7:
      return fixed_cost<mgh::HelicalValley>();
    case 8:
      return fixed_cost<mgh::Bard>();
    case 9:
      return fixed_cost<mgh::Gaussian>();
    case 10:
      return fixed_cost<mgh::Meyer>();
    case 11:
      return fixed_n_cost<mgh::GulfResearchDevelopment>(m);
    case 12:
      return fixed_n_cost<mgh::Box3d>(m);
    case 13:
      return fixed_cost<mgh::PowellSingular>();
    case 14:
      return fixed_cost<mgh::Wood>();
    case 15:
      return fixed_cost<mgh::KowalikOsborne>();
    case 16:
      return fixed_n_cost<mgh::BrownDennis>(m);
    case 17:
      return fixed_cost<mgh::Osborne1>();
    case 18:
      return fixed_n_cost<mgh::BiggsExp6>(m);
    case 19:
      return fixed_cost<mgh::Osborne2>();
    case 20:
      return dynamic_cost(with_n<mgh::Watson>(n), n, m);
    case 23:
      return dynamic_cost(with_n<mgh::PenaltyI>(n), n, m);
    case 24:
      return dynamic_cost(with_n<mgh::PenaltyII>(n), n, m);
    case 25:
      return dynamic_cost(with_n<mgh::VariablyDimensioned>(n), n, m);
    case 26:
      return dynamic_cost(with_n<mgh::Trigonometric>(n), n, m);
    case 27:
      return dynamic_cost(with_n<mgh::BrownAlmostLinear>(n), n, m);
    case 28:
      return dynamic_cost(with_n<mgh::DiscreteBoundaryValue>(n), n, m);
    case 29:
      return dynamic_cost(with_n<mgh::DiscreteIntegralEquation>(n), n, m);
    case 30:
      return dynamic_cost(with_n<mgh::BroydenTridiagonal>(n), n, m);
    case 31:
      return dynamic_cost(with_n<mgh::BroydenBanded>(n), n, m);
    case 32:
      return dynamic_cost(with_n_m<mgh::LinearFullRank>(n, m), n, m);
    case 33:
      return dynamic_cost(with_n_m<mgh::LinearRank1>(n, m), n, m);
    case 34:
      return dynamic_cost(with_n_m<mgh::LinearRank1ZeroColumnsRows>(n, m), n, m);
    case 35:
      return dynamic_cost(with_n_m<mgh::Chebyquad>(n, m), n, m);
    default:
      return nullptr;  // 21 and 22 are built per group
  }
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

MghProblem mgh_problem(int number, int n, int m) {
  check_sizes(number, n, m);
  return describe(number, n, m);
}

MghProblem mgh_problem(int number) {
  const SizeRule rule = size_rule(number);
  return describe(number, rule.standard_n, rule.standard_m);
}

std::vector<MghProblem> mgh_problems() {
  std::vector<MghProblem> problems;
  problems.reserve(kNumProblems);
  for (int number = 1; number <= kNumProblems; ++number) problems.push_back(mgh_problem(number));
  return problems;
}

MghProblem mgh_problem_by_name(std::string_view name) {
  const std::string wanted = lowercase(name);
  std::string known;
  for (int number = 1; number <= kNumProblems; ++number) {
    MghProblem problem = mgh_problem(number);
    if (problem.name == wanted) return problem;
    known += (number == 1 ? "" : ", ") + problem.name;
  }
  throw Error("mgh_problem_by_name: no problem is named '" + std::string(name) + "'; the names are " + known);
}

MghProblem make_extended_rosenbrock(int n) { return mgh_problem(21, n, n); }

std::vector<double> mgh_start(const MghProblem& problem, double scale) {
  std::vector<double> x = problem.x0;
  for (double& value : x) value *= scale;
  return x;
}

bool mgh_reached_minimum(const MghProblem& problem, double f, double relative_tolerance) {
  if (!std::isfinite(f) || std::isnan(problem.f_star)) return false;
  return f - problem.f_star <= relative_tolerance * std::max(1.0, problem.f_star);
}

std::vector<MghResidualBlock> make_mgh_residual_blocks(const MghProblem& problem, double* x) {
  if (x == nullptr) throw Error("make_mgh_residual_blocks(" + problem.name + "): x is null");
  check_sizes(problem.number, problem.n, problem.m);
  std::vector<MghResidualBlock> blocks;
  // Groups of consecutive variables with their own residuals: each group is a
  // parameter block of its own, so the Jacobian is stored block-diagonally
  // (a shared n-wide block would store m x n mostly-zero entries).
  auto grouped = [&](std::shared_ptr<const CostFunction> cost, int group) {
    blocks.reserve(static_cast<size_t>(problem.n / group));
    for (int k = 0; k < problem.n; k += group) blocks.push_back({cost, {x + k}});
  };
  if (problem.number == 21) {
    grouped(fixed_cost<mgh::Rosenbrock>(), 2);
  } else if (problem.number == 22) {
    grouped(fixed_cost<mgh::PowellSingular>(), 4);
  } else {
    blocks.push_back({whole_problem_cost(problem.number, problem.n, problem.m), {x}});
  }
  return blocks;
}

void add_mgh_residuals(const MghProblem& problem, Problem* out, double* x) {
  if (out == nullptr) throw Error("add_mgh_residuals(" + problem.name + "): the Problem is null");
  for (MghResidualBlock& block : make_mgh_residual_blocks(problem, x)) {
    out->add_residual_block(std::move(block.cost), nullptr, block.parameter_blocks);
  }
}

double mgh_f(const MghProblem& problem, const double* x) {
  if (x == nullptr) throw Error("mgh_f(" + problem.name + "): x is null");
  // The cost functions read through the blocks' pointers; a private copy keeps
  // the caller's x const.
  std::vector<double> copy(x, x + problem.n);
  double f = 0.0;
  std::vector<double> residuals;
  for (const MghResidualBlock& block : make_mgh_residual_blocks(problem, copy.data())) {
    residuals.resize(static_cast<size_t>(block.cost->num_residuals()));
    std::vector<const double*> parameters(block.parameter_blocks.begin(), block.parameter_blocks.end());
    if (!block.cost->evaluate(parameters.data(), residuals.data(), nullptr)) return kNaN;
    for (double r : residuals) f += r * r;
  }
  return f;
}

}  // namespace curvature
