// mgh.cc — the Moré–Garbow–Hillstrom catalog, one row per problem (kCatalog:
// name, sizes and their rule, x0, f* and other known minima, notes, the
// residual factory), and the functions of mgh.h that read it.
#include "mgh.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "curvature/autodiff_cost_function.h"
#include "curvature/dynamic_autodiff_cost_function.h"
#include "curvature/error.h"
#include "mgh_models.h"

namespace curvature {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

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

std::vector<double> repeated(int n, std::vector<double> pattern) {
  std::vector<double> x(static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) x[j] = pattern[j % pattern.size()];
  return x;
}

std::vector<double> filled(int n, double value) { return std::vector<double>(static_cast<size_t>(n), value); }

// What is known about a problem's minima. f* values with f_star_numerical
// were refined by curvature's Levenberg-Marquardt with tight tolerances (see
// tests/mgh_test.cc, which checks that each rounds to the paper's printed
// digits).
constexpr const char* kExact = "f* is exact; a zero-residual problem, so f at a computed solution is pure rounding.";
constexpr const char* kRefined =
    "The paper prints 6 significant digits; f_star holds ~12 digits refined here by Levenberg-Marquardt.";
constexpr const char* kNotRecorded = "local minimum where many solvers stop, from curv bench mgh (point not recorded)";

void numerical(MghProblem* p, double printed, double refined) {
  p->f_star_printed = printed;
  p->f_star = refined;
  p->f_star_numerical = true;
  p->tolerance_note = kRefined;
}

void zero(MghProblem* p, std::vector<double> x_star) {
  p->f_star = 0.0;
  p->f_star_printed = 0.0;
  p->x_star = std::move(x_star);
  p->tolerance_note = kExact;
}

// The residual blocks of a problem over the caller's x, in one of two
// layouts (see make_mgh_residual_blocks in mgh.h).

// One parameter block (x itself) and one residual block with every residual.
template <typename F>
std::shared_ptr<const CostFunction> fixed_cost() {
  return std::make_shared<AutoDiffCostFunction<F, F::kM, F::kN>>(F{});
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

// n and m fixed by the paper: AutoDiffCostFunction<F, kM, kN>.
template <typename F>
std::vector<MghResidualBlock> fixed_sizes(int /*n*/, int /*m*/, double* x) {
  return {{fixed_cost<F>(), {x}}};
}

// n fixed, m a parameter: AutoDiffCostFunction<F, kDynamic, kN>.
template <typename F>
std::vector<MghResidualBlock> fixed_n(int /*n*/, int m, double* x) {
  F functor;
  functor.m = m;
  return {{std::make_shared<AutoDiffCostFunction<F, kDynamic, F::kN>>(functor, m), {x}}};
}

// n a parameter (m follows from it): DynamicAutoDiffCostFunction.
template <typename F>
std::vector<MghResidualBlock> variable_n(int n, int m, double* x) {
  F functor;
  functor.n = n;
  return {{dynamic_cost(functor, n, m), {x}}};
}

// n and m parameters: DynamicAutoDiffCostFunction.
template <typename F>
std::vector<MghResidualBlock> variable_n_m(int n, int m, double* x) {
  F functor;
  functor.n = n;
  functor.m = m;
  return {{dynamic_cost(functor, n, m), {x}}};
}

// Groups of kGroup consecutive variables with their own residuals: each group
// is a parameter block of its own, so the Jacobian is stored block-diagonally
// (a shared n-wide block would store m x n mostly-zero entries). One cost
// function serves every group.
template <typename F, int kGroup>
std::vector<MghResidualBlock> grouped(int n, int /*m*/, double* x) {
  const std::shared_ptr<const CostFunction> cost = fixed_cost<F>();
  std::vector<MghResidualBlock> blocks;
  blocks.reserve(static_cast<size_t>(n / kGroup));
  for (int k = 0; k < n; k += kGroup) blocks.push_back({cost, {x + k}});
  return blocks;
}

// Shared by problems whose starts and minima follow one formula.
std::vector<double> boundary_value_start(int n) {
  std::vector<double> x(static_cast<size_t>(n));
  const double h = 1.0 / (n + 1);
  for (int j = 0; j < n; ++j) x[j] = (j + 1) * h * ((j + 1) * h - 1.0);
  return x;
}

void zero_known_numerically(MghProblem* p) {
  zero(p, {});
  p->tolerance_note += " The zero is known only numerically, so x_star is empty.";
}

// One problem of the paper: everything the catalog knows about it.
struct Entry {
  int number;         // 1..35, the paper's numbering
  const char* name;   // MghProblem::name
  const char* title;  // MghProblem::title
  SizeRule sizes;
  // The paper's x0 for n parameters.
  std::vector<double> (*x0)(int n);
  // What is known for these sizes: f* (NaN unless set), a minimizer, other
  // minima, the tolerance note, further starts.
  void (*known)(int n, int m, MghProblem* p);
  // The residual blocks over the caller's x (sizes already checked).
  std::vector<MghResidualBlock> (*residuals)(int n, int m, double* x);
};

using V = std::vector<double>;
constexpr int kAny = std::numeric_limits<int>::max();

// The catalog, one row per problem in the paper's order: number, name,
// title, sizes ({standard n, standard m, min n, max n, n step, m rule,
// min m, max m}); x0; what is known; the residual factory. Rows read as a
// table, so clang-format leaves them alone.
// clang-format off
constexpr Entry kCatalog[] = {
    {1, "rosenbrock", "Rosenbrock", {2, 2, 2, 2, 1, MRule::kFixed},
     [](int) { return V{-1.2, 1.0}; },
     [](int, int, MghProblem* p) { zero(p, {1.0, 1.0}); },
     fixed_sizes<mgh::Rosenbrock>},
    {2, "freudenstein_roth", "Freudenstein and Roth", {2, 2, 2, 2, 1, MRule::kFixed},
     [](int) { return V{0.5, -2.0}; },
     [](int, int, MghProblem* p) {
       zero(p, {5.0, 4.0});
       p->other_minima.push_back({48.98425367924,
                                  {11.4127789874, -0.896805253249},
                                  "local minimum; the paper prints f = 48.9842... at (11.41..., -0.8968...)"});
       p->tolerance_note += " Solvers from x0 often stop at the local minimum 48.9842.";
     },
     fixed_sizes<mgh::FreudensteinRoth>},
    {3, "powell_badly_scaled", "Powell badly scaled", {2, 2, 2, 2, 1, MRule::kFixed},
     [](int) { return V{0.0, 1.0}; },
     [](int, int, MghProblem* p) {
       zero(p, {});
       p->tolerance_note +=
           " The minimizer (1.098...e-5, 9.106...) is known only numerically (x1 x2 = 1e-4, "
           "exp(-x1) + exp(-x2) = 1.0001), so x_star is empty.";
       // Along x1 x2 = 1e-4 with x2 -> inf, f2 -> -1e-4 - 1e-4 / x2 from below, so
       // f decreases towards 1e-8 at infinity.
       p->other_minima.push_back(
           {1e-8, {0.0, kInfinity}, "infimum approached as x2 -> inf along x1 x2 = 1e-4; not from the paper"});
     },
     fixed_sizes<mgh::PowellBadlyScaled>},
    {4, "brown_badly_scaled", "Brown badly scaled", {2, 3, 2, 2, 1, MRule::kFixed},
     [](int) { return V{1.0, 1.0}; },
     [](int, int, MghProblem* p) {
       zero(p, {1e6, 2e-6});
       p->tolerance_note += " Parameters differ by 12 orders of magnitude.";
     },
     fixed_sizes<mgh::BrownBadlyScaled>},
    {5, "beale", "Beale", {2, 3, 2, 2, 1, MRule::kFixed},
     [](int) { return V{1.0, 1.0}; },
     [](int, int, MghProblem* p) {
       zero(p, {3.0, 0.5});
       // Not from the paper: two further starts common in the literature.
       p->extra_starts = {{2.0, -2.0}, {-3.0, 3.0}};
       // With x2 -> 1 and x1 (1 - x2) -> c the residuals tend to y_i - i c,
       // least squares in c: f -> sum y^2 - (sum i y_i)^2 / 14 = 14.203125 - 13.875^2 / 14.
       p->other_minima.push_back({14.203125 - 13.875 * 13.875 / 14.0,
                                  {-kInfinity, 1.0},
                                  "infimum approached at infinity (x1 -> +-inf, x2 -> 1); not from the paper"});
     },
     fixed_sizes<mgh::Beale>},
    {6, "jennrich_sampson", "Jennrich and Sampson", {2, 10, 2, 2, 1, MRule::kAtLeastN},
     [](int) { return V{0.3, 0.4}; },
     [](int, int m, MghProblem* p) {
       if (m == 10) numerical(p, 124.362, 124.362182356);
       p->tolerance_note += " Minimizer x1 = x2 = 0.2578... for m = 10 (paper); f* tabulated only for m = 10.";
     },
     fixed_n<mgh::JennrichSampson>},
    {7, "helical_valley", "Helical valley", {3, 3, 3, 3, 1, MRule::kFixed},
     [](int) { return V{-1.0, 0.0, 0.0}; },
     [](int, int, MghProblem* p) { zero(p, {1.0, 0.0, 0.0}); },
     fixed_sizes<mgh::HelicalValley>},
    {8, "bard", "Bard", {3, 15, 3, 3, 1, MRule::kFixed},
     [](int) { return V{1.0, 1.0, 1.0}; },
     [](int, int, MghProblem* p) {
       numerical(p, 8.21487e-3, 8.21487730658e-3);
       // As x2, x3 -> -inf the model tends to the constant x1, so the limit is
       // the variance sum of the data: x1 = mean(y) = 12.61 / 15.
       p->other_minima.push_back({17.4286933333333,
                                  {12.61 / 15.0, -kInfinity, -kInfinity},
                                  "the paper: f = 17.4286... at (0.8406..., -inf, -inf), approached at infinity"});
     },
     fixed_sizes<mgh::Bard>},
    {9, "gaussian", "Gaussian", {3, 15, 3, 3, 1, MRule::kFixed},
     [](int) { return V{0.4, 1.0, 0.0}; },
     [](int, int, MghProblem* p) { numerical(p, 1.12793e-8, 1.12793276962e-8); },
     fixed_sizes<mgh::Gaussian>},
    {10, "meyer", "Meyer", {3, 16, 3, 3, 1, MRule::kFixed},
     [](int) { return V{0.02, 4000.0, 250.0}; },
     [](int, int, MghProblem* p) {
       numerical(p, 87.9458, 87.9458551707);
       p->tolerance_note += " Badly scaled: x* ~ (0.0056, 6181, 345); f* is large, so the test is relative.";
     },
     fixed_sizes<mgh::Meyer>},
    {11, "gulf_research_development", "Gulf research and development", {3, 99, 3, 3, 1, MRule::kAtLeastNUpTo, 3, 100},
     [](int) { return V{5.0, 2.5, 0.15}; },
     [](int, int, MghProblem* p) {
       zero(p, {50.0, 25.0, 1.5});
       p->tolerance_note +=
           " The paper's '|y_i m i x_2|' is read as |y_i - x_2| (the printed form contradicts the stated "
           "minimum); f* = 0 for every m.";
     },
     fixed_n<mgh::GulfResearchDevelopment>},
    {12, "box_3d", "Box three-dimensional", {3, 10, 3, 3, 1, MRule::kAtLeastN},
     [](int) { return V{0.0, 10.0, 20.0}; },
     [](int, int m, MghProblem* p) {
       zero(p, {1.0, 10.0, 1.0});
       p->other_minima.push_back({0.0, {10.0, 1.0, -1.0}, "another global minimizer (paper)"});
       p->other_minima.push_back({0.0, {}, "every x with x1 = x2 and x3 = 0 (paper)"});
       if (m == 10) p->other_minima.push_back({0.075588740755, {}, kNotRecorded});
     },
     fixed_n<mgh::Box3d>},
    {13, "powell_singular", "Powell singular", {4, 4, 4, 4, 1, MRule::kFixed},
     [](int) { return V{3.0, -1.0, 0.0, 1.0}; },
     [](int, int, MghProblem* p) {
       zero(p, {0.0, 0.0, 0.0, 0.0});
       p->tolerance_note += " The Jacobian is singular at x*, so convergence is only linear.";
     },
     fixed_sizes<mgh::PowellSingular>},
    {14, "wood", "Wood", {4, 6, 4, 4, 1, MRule::kFixed},
     [](int) { return V{-3.0, -1.0, -3.0, -1.0}; },
     [](int, int, MghProblem* p) { zero(p, {1.0, 1.0, 1.0, 1.0}); },
     fixed_sizes<mgh::Wood>},
    {15, "kowalik_osborne", "Kowalik and Osborne", {4, 11, 4, 4, 1, MRule::kFixed},
     [](int) { return V{0.25, 0.39, 0.415, 0.39}; },
     [](int, int, MghProblem* p) {
       numerical(p, 3.07505e-4, 3.07505603849e-4);
       p->other_minima.push_back(
           {1.02734e-3,
            {kInfinity, -14.07, -kInfinity, -kInfinity},
            "the paper: f = 1.02734... at (+inf, -14.07..., -inf, -inf), approached at infinity"});
     },
     fixed_sizes<mgh::KowalikOsborne>},
    {16, "brown_dennis", "Brown and Dennis", {4, 20, 4, 4, 1, MRule::kAtLeastN},
     [](int) { return V{25.0, 5.0, -5.0, -1.0}; },
     [](int, int m, MghProblem* p) {
       if (m == 20) numerical(p, 85822.2, 85822.2016264);
       p->tolerance_note += " f* tabulated only for m = 20.";
     },
     fixed_n<mgh::BrownDennis>},
    {17, "osborne_1", "Osborne 1", {5, 33, 5, 5, 1, MRule::kFixed},
     [](int) { return V{0.5, 1.5, -1.0, 0.01, 0.02}; },
     [](int, int, MghProblem* p) { numerical(p, 5.46489e-5, 5.46489469748e-5); },
     fixed_sizes<mgh::Osborne1>},
    {18, "biggs_exp6", "Biggs EXP6", {6, 13, 6, 6, 1, MRule::kAtLeastN},
     [](int) { return V{1.0, 2.0, 1.0, 1.0, 1.0, 1.0}; },
     [](int, int m, MghProblem* p) {
       zero(p, {1.0, 10.0, 1.0, 5.0, 4.0, 3.0});
       p->other_minima.push_back({0.0, {4.0, 10.0, 3.0, 5.0, 1.0, 1.0}, "the same model with terms 1 and 3 swapped"});
       if (m == 13) {
         p->other_minima.push_back(
             {5.65564992550e-3, {}, "local minimum for m = 13: the paper's 5.65565...e-3, refined here"});
         p->tolerance_note +=
             " The paper also reports the local minimum 5.65565e-3 (m = 13), where solvers from x0 "
             "often stop.";
       }
     },
     fixed_n<mgh::BiggsExp6>},
    {19, "osborne_2", "Osborne 2", {11, 65, 11, 11, 1, MRule::kFixed},
     [](int) { return V{1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5}; },
     [](int, int, MghProblem* p) {
       numerical(p, 4.01377e-2, 4.01377362935e-2);
       p->other_minima.push_back({1.78981358688, {}, kNotRecorded});
     },
     fixed_sizes<mgh::Osborne2>},
    {20, "watson", "Watson", {9, 31, 2, 31, 1, MRule::kFixed},
     [](int n) { return filled(n, 0.0); },
     [](int n, int, MghProblem* p) {
       if (n == 6) numerical(p, 2.28767e-3, 2.28767005355e-3);
       if (n == 9) numerical(p, 1.39976e-6, 1.39976013810e-6);
       if (n == 12) numerical(p, 4.72238e-10, 4.72238110651e-10);
       p->tolerance_note += " f* tabulated for n = 6, 9, 12 only. x0 = 0, so the three protocol starts coincide.";
     },
     variable_n<mgh::Watson>},
    {21, "extended_rosenbrock", "Extended Rosenbrock", {10, 10, 2, kAny, 2, MRule::kEqualsN},
     [](int n) { return repeated(n, {-1.2, 1.0}); },
     [](int n, int, MghProblem* p) { zero(p, filled(n, 1.0)); },
     grouped<mgh::Rosenbrock, 2>},
    {22, "extended_powell_singular", "Extended Powell singular", {12, 12, 4, kAny, 4, MRule::kEqualsN},
     [](int n) { return repeated(n, {3.0, -1.0, 0.0, 1.0}); },
     [](int n, int, MghProblem* p) {
       zero(p, filled(n, 0.0));
       p->tolerance_note += " The Jacobian is singular at x*, so convergence is only linear.";
     },
     grouped<mgh::PowellSingular, 4>},
    {23, "penalty_1", "Penalty I", {10, 11, 1, kAny, 1, MRule::kNPlus1},
     [](int n) {
       V x(static_cast<size_t>(n));
       for (int j = 0; j < n; ++j) x[j] = j + 1.0;
       return x;
     },
     [](int n, int, MghProblem* p) {
       if (n == 4) numerical(p, 2.24997e-5, 2.24997750090e-5);
       if (n == 10) numerical(p, 7.08765e-5, 7.08765146709e-5);
       p->tolerance_note += " f* tabulated for n = 4 and 10 only.";
     },
     variable_n<mgh::PenaltyI>},
    {24, "penalty_2", "Penalty II", {10, 20, 1, kAny, 1, MRule::kTwiceN},
     [](int n) { return filled(n, 0.5); },
     [](int n, int, MghProblem* p) {
       if (n == 4) numerical(p, 9.37629e-6, 9.37629300736e-6);
       if (n == 10) numerical(p, 2.93660e-4, 2.93660537457e-4);
       p->tolerance_note += " f* tabulated for n = 4 and 10 only.";
     },
     variable_n<mgh::PenaltyII>},
    {25, "variably_dimensioned", "Variably dimensioned", {10, 12, 1, kAny, 1, MRule::kNPlus2},
     [](int n) {
       V x(static_cast<size_t>(n));
       for (int j = 0; j < n; ++j) x[j] = 1.0 - (j + 1.0) / n;
       return x;
     },
     [](int n, int, MghProblem* p) { zero(p, filled(n, 1.0)); },
     variable_n<mgh::VariablyDimensioned>},
    {26, "trigonometric", "Trigonometric", {10, 10, 1, kAny, 1, MRule::kEqualsN},
     [](int n) { return filled(n, 1.0 / n); },
     [](int n, int, MghProblem* p) {
       zero(p, filled(n, 0.0));
       p->tolerance_note += " Many local minima; solvers from x0 often stop at one with small positive f.";
       if (n == 10) {
         p->other_minima.push_back({2.79505612188e-5,
                                    {0.0551509039807, 0.0568406167948, 0.0587640017627, 0.0609906086568,
                                     0.0636262136959, 0.0668431794528, 0.20816151857, 0.164363095886,
                                     0.0850068956886, 0.0914314507148},
                                    "local minimum reached from x0 (n = 10), found numerically here"});
         p->other_minima.push_back({4.21863388792e-5, {}, kNotRecorded});
       }
     },
     variable_n<mgh::Trigonometric>},
    {27, "brown_almost_linear", "Brown almost-linear", {10, 10, 1, kAny, 1, MRule::kEqualsN},
     [](int n) { return filled(n, 0.5); },
     [](int n, int, MghProblem* p) {
       zero(p, filled(n, 1.0));
       p->other_minima.push_back(
           {0.0, {}, "(a, ..., a, a^(1-n)) for every root a of n a^n - (n + 1) a^(n-1) + 1 = 0"});
       V x = filled(n, 0.0);
       x.back() = n + 1.0;
       p->other_minima.push_back({1.0, std::move(x), "the paper: f = 1 at (0, ..., 0, n + 1)"});
     },
     variable_n<mgh::BrownAlmostLinear>},
    {28, "discrete_boundary_value", "Discrete boundary value", {10, 10, 1, kAny, 1, MRule::kEqualsN},
     boundary_value_start,
     [](int, int, MghProblem* p) { zero_known_numerically(p); },
     variable_n<mgh::DiscreteBoundaryValue>},
    {29, "discrete_integral_equation", "Discrete integral equation", {10, 10, 1, kAny, 1, MRule::kEqualsN},
     boundary_value_start,
     [](int, int, MghProblem* p) { zero_known_numerically(p); },
     variable_n<mgh::DiscreteIntegralEquation>},
    {30, "broyden_tridiagonal", "Broyden tridiagonal", {10, 10, 1, kAny, 1, MRule::kEqualsN},
     [](int n) { return filled(n, -1.0); },
     [](int, int, MghProblem* p) { zero_known_numerically(p); },
     variable_n<mgh::BroydenTridiagonal>},
    {31, "broyden_banded", "Broyden banded", {10, 10, 1, kAny, 1, MRule::kEqualsN},
     [](int n) { return filled(n, -1.0); },
     [](int n, int, MghProblem* p) {
       zero_known_numerically(p);
       if (n == 10) p->other_minima.push_back({3.05727843243, {}, kNotRecorded});
     },
     variable_n<mgh::BroydenBanded>},
    {32, "linear_full_rank", "Linear function - full rank", {10, 20, 1, kAny, 1, MRule::kAtLeastN},
     [](int n) { return filled(n, 1.0); },
     [](int n, int m, MghProblem* p) {
       p->f_star = p->f_star_printed = m - n;
       p->x_star = filled(n, -1.0);
       p->tolerance_note = "f* = m - n exactly, at x = (-1, ..., -1).";
     },
     variable_n_m<mgh::LinearFullRank>},
    {33, "linear_rank_1", "Linear function - rank 1", {10, 20, 1, kAny, 1, MRule::kAtLeastN},
     [](int n) { return filled(n, 1.0); },
     [](int n, int m, MghProblem* p) {
       p->f_star = p->f_star_printed = m * (m - 1.0) / (2.0 * (2.0 * m + 1.0));
       p->x_star = filled(n, 0.0);
       p->x_star[0] = 3.0 / (2.0 * m + 1.0);
       p->tolerance_note =
           "f* = m (m - 1) / (2 (2m + 1)) exactly, at every x with sum_j j x_j = 3 / (2m + 1) (a hyperplane of "
           "minimizers; J has rank 1).";
     },
     variable_n_m<mgh::LinearRank1>},
    // Rank 1 with zero rows and columns: x_2..x_{n-1} must exist, and f* has
    // 2m - 3 in a denominator.
    {34, "linear_rank_1_zero_columns_rows", "Linear function - rank 1 with zero columns and rows",
     {10, 20, 3, kAny, 1, MRule::kAtLeastN, 3},
     [](int n) { return filled(n, 1.0); },
     [](int n, int m, MghProblem* p) {
       p->f_star = p->f_star_printed = (m * m + 3.0 * m - 6.0) / (2.0 * (2.0 * m - 3.0));
       p->x_star = filled(n, 0.0);
       p->x_star[1] = 3.0 / (2.0 * (2.0 * m - 3.0));
       p->tolerance_note =
           "f* = (m^2 + 3m - 6) / (2 (2m - 3)) exactly, at every x with sum_{j=2}^{n-1} j x_j = 3 / (2m - 3) "
           "(J has rank 1 and zero columns 1 and n).";
     },
     variable_n_m<mgh::LinearRank1ZeroColumnsRows>},
    {35, "chebyquad", "Chebyquad", {10, 10, 1, kAny, 1, MRule::kAtLeastN},
     [](int n) {
       V x(static_cast<size_t>(n));
       for (int j = 0; j < n; ++j) x[j] = (j + 1.0) / (n + 1);
       return x;
     },
     [](int n, int m, MghProblem* p) {
       if (m == n && (n <= 7 || n == 9)) {
         zero(p, {});
         p->tolerance_note += " The zero (Chebyshev quadrature nodes) is known only numerically.";
       }
       if (m == n && n == 8) numerical(p, 3.51687e-3, 3.51687372568e-3);
       if (m == n && n == 10) {
         numerical(p, 6.50395e-3, 6.50395480088e-3);
         p->other_minima.push_back({4.40906940392, {}, kNotRecorded});
       }
       if (m != n || n > 10) p->tolerance_note = "f* tabulated only for m = n <= 10.";
     },
     variable_n_m<mgh::Chebyquad>},
};
// clang-format on

constexpr int kNumProblems = static_cast<int>(std::size(kCatalog));

constexpr bool numbered_in_order() {
  for (int i = 0; i < kNumProblems; ++i) {
    if (kCatalog[i].number != i + 1) return false;
  }
  return true;
}
static_assert(kNumProblems == 35 && numbered_in_order(), "the catalog lists problems 1..35 in order");

const Entry& entry(int number) {
  if (number < 1 || number > kNumProblems) {
    throw Error("mgh_problem: there is no problem number " + std::to_string(number) + "; the numbers are 1..35");
  }
  return kCatalog[number - 1];
}

void check_sizes(int number, int n, int m) {
  const SizeRule rule = entry(number).sizes;
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

// The description of a catalog entry at sizes already checked.
MghProblem describe(const Entry& entry, int n, int m) {
  MghProblem p;
  p.number = entry.number;
  p.name = entry.name;
  p.title = entry.title;
  p.n = n;
  p.m = m;
  p.x0 = entry.x0(n);
  p.f_star = kNaN;
  p.f_star_printed = kNaN;
  entry.known(n, m, &p);
  return p;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

MghProblem mgh_problem(int number, int n, int m) {
  check_sizes(number, n, m);
  return describe(entry(number), n, m);
}

MghProblem mgh_problem(int number) {
  const Entry& row = entry(number);
  return describe(row, row.sizes.standard_n, row.sizes.standard_m);
}

std::vector<MghProblem> mgh_problems() {
  std::vector<MghProblem> problems;
  problems.reserve(kNumProblems);
  for (const Entry& row : kCatalog) problems.push_back(describe(row, row.sizes.standard_n, row.sizes.standard_m));
  return problems;
}

MghProblem mgh_problem_by_name(std::string_view name) {
  const std::string wanted = lowercase(name);
  std::string known;
  for (const Entry& row : kCatalog) {
    if (row.name == wanted) return mgh_problem(row.number);
    known += (known.empty() ? "" : ", ") + std::string(row.name);
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
  return entry(problem.number).residuals(problem.n, problem.m, x);
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
