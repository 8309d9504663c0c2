// mgh.h — the Moré–Garbow–Hillstrom unconstrained test set as least-squares
// problems: descriptions, starting points, known minima, and builders.
//
// Source: J. J. Moré, B. S. Garbow, K. E. Hillstrom, "Testing unconstrained
// optimization software", ACM Transactions on Mathematical Software 7(1),
// 1981, pp. 17-41 (doi:10.1145/355934.355936). Its 35 problems are all sums
// of squares f(x) = sum_{i=1}^m f_i(x)^2; the residual functions f_i are
// written out as templated functors in mgh_models.h, differentiated by
// curvature's jets.
//
// Conventions, read these first:
//   * f, and every minimum value in this file (f_star, MghMinimum::f), is in
//     the PAPER's convention: the plain sum of squares r^T r. curvature's cost
//     (Problem::evaluate, Summary::final_cost) is HALF of that, 1/2 |r|^2.
//     Convert with mgh_f_from_cost() / mgh_cost_from_f().
//   * Problems are numbered 1..35 as in the paper; `name` is a snake_case
//     identifier ("rosenbrock", "box_3d", ...) for command lines and test
//     names, `title` the paper's heading.
//   * Sizes: where the paper lets n or m vary, mgh_problems() uses the sizes
//     the paper (or, where it gives none, the common literature) tabulates,
//     listed below; mgh_problem(number, n, m) gives other sizes. The minimum
//     value is filled in only for sizes where it is known (closed form, or
//     one of the tabulated sizes); otherwise f_star is NaN.
//
// Standard sizes chosen (n, m):
//    6 Jennrich-Sampson (2, 10)         as the paper tabulates f*
//   11 Gulf R&D         (3, 99)         the paper allows 3 <= m <= 100; 99 as in
//                                        Jamil & Yang (2013): with m = 100 the last
//                                        term has y_100 = 25 = x2*, which puts the
//                                        minimizer on the kink of |y_100 - x2|
//   12 Box 3-D          (3, 10)         as the paper tabulates
//   16 Brown-Dennis     (4, 20)         as the paper tabulates f*
//   18 Biggs EXP6       (6, 13)         as the paper tabulates f*
//   20 Watson           (9, 31)         the paper tabulates n = 6, 9 and 12 (all three
//                                        f* are known here); 9 is the middle one
//   21 ext. Rosenbrock  (10, 10)        n even
//   22 ext. Powell      (12, 12)        n a multiple of 4
//   23-31               (10, ...)       n = 10 (penalty I/II f* tabulated for n = 4, 10)
//   32-34 linear        (10, 20)        m >= n; f* in closed form for any (n, m)
//   35 Chebyquad        (10, 10)        f* tabulated for m = n <= 10
//
// The protocol of the paper (section 4): solve from x0, 10 x0 and 100 x0
// (mgh_start(problem, scale) with kMghStartScales). Counted as solved here:
// f - f* <= 1e-8 max(1, f*), see mgh_reached_minimum().
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/problem.h"

namespace curvature {

// The paper's f = r^T r and curvature's cost = 1/2 r^T r.
constexpr double mgh_cost_from_f(double f) { return 0.5 * f; }
constexpr double mgh_f_from_cost(double cost) { return 2.0 * cost; }

// The starting-point scales of the paper's protocol: x0, 10 x0, 100 x0.
inline constexpr std::array<double, 3> kMghStartScales = {1.0, 10.0, 100.0};

// A (local or global) minimum other than the one in MghProblem::f_star.
struct MghMinimum {
  double f = 0.0;         // paper convention (sum of squares)
  std::vector<double> x;  // a point where it is attained, when known; entries
                          // may be +-infinity for minima approached at infinity;
                          // empty when no point is given
  std::string note;       // where it comes from, or what is known about x
};

struct MghProblem {
  int number = 0;          // 1..35, the paper's numbering
  std::string name;        // snake_case identifier, unique
  std::string title;       // the paper's name for it
  int n = 0;               // parameters (one parameter block of n doubles)
  int m = 0;               // residuals
  std::vector<double> x0;  // the paper's standard starting point

  // The minimum value f* = min r^T r (paper convention) for these (n, m):
  // the global minimum where one is known, otherwise the smallest value the
  // paper reports. NaN when unknown for these sizes.
  double f_star = 0.0;
  // f* as the paper prints it (usually 6 significant digits, "87.9458...");
  // NaN when the paper prints no value for these sizes. f_star agrees with it
  // to the printed digits.
  double f_star_printed = 0.0;
  // True when f* is known only numerically (no closed form and no exact
  // minimizer): f_star was then refined here by curvature's own
  // Levenberg-Marquardt to about 12 significant digits and cross-checked
  // against the paper's printed digits.
  bool f_star_numerical = false;
  // A global minimizer, where it is known exactly (closed form, or stated by
  // the paper in finitely many digits that are exact); empty otherwise.
  // r^T r at it equals f_star up to rounding.
  std::vector<double> x_star;
  // Other minima: local minima the paper or the literature reports (some at
  // infinity), and other global minimizers where the minimizer is not unique.
  std::vector<MghMinimum> other_minima;
  // How precisely f_star is known and what to expect when solving.
  std::string tolerance_note;
  // Starting points beyond the paper's x0 that the literature also uses
  // (for Beale: (2, -2) and (-3, 3)); empty for most problems.
  std::vector<std::vector<double>> extra_starts;
};

// All 35 problems at their standard sizes, in the paper's order.
std::vector<MghProblem> mgh_problems();

// Problem `number` (1..35) at its standard size. An unknown number is a
// curvature::Error.
MghProblem mgh_problem(int number);

// Problem `number` with n parameters and m residuals. Where the paper fixes a
// size, it must be given as fixed (mgh_problem(1, 2, 2)); a size the problem
// does not allow (n odd for extended Rosenbrock, m < n, ...) is a
// curvature::Error naming the rule. x0 is the paper's formula for this n;
// f_star (and f_star_printed) are NaN where not known for these sizes.
MghProblem mgh_problem(int number, int n, int m);

// Lookup by `name` (case-insensitive: "Rosenbrock", "box_3d"), standard size.
// An unknown name is a curvature::Error listing the known ones.
MghProblem mgh_problem_by_name(std::string_view name);

// Extended Rosenbrock (problem 21) with n parameters (n even, >= 2); the same
// as mgh_problem(21, n, n). add_mgh_residuals() builds it with one 2 x 2
// block per pair, so it scales to n = 10^6 with a sparse Jacobian.
MghProblem make_extended_rosenbrock(int n);

// x0 * scale, the paper's protocol (scale 1, 10, 100).
std::vector<double> mgh_start(const MghProblem& problem, double scale = 1.0);

// True when f (paper convention) is within relative_tolerance * max(1, f*)
// above f*: f - f* <= relative_tolerance * max(1, f*). False when f_star is
// NaN or f is not finite.
bool mgh_reached_minimum(const MghProblem& problem, double f, double relative_tolerance = 1e-8);

// One residual block of a built problem: a cost function and the parameter
// blocks it reads (pointers into the caller's x).
struct MghResidualBlock {
  std::shared_ptr<const CostFunction> cost;
  std::vector<double*> parameter_blocks;
};

// The residual blocks of `problem` over the caller's array x of problem.n
// doubles, all residuals of the paper in order:
//   * problems 21 (extended Rosenbrock) and 22 (extended Powell singular):
//     one parameter block per group of 2 (resp. 4) consecutive variables,
//     x + 2k (resp. x + 4k), each with one fixed-size residual block
//     AutoDiffCostFunction<Rosenbrock, 2, 2> (resp. <PowellSingular, 4, 4>)
//     shared by all groups; the Jacobian is block diagonal;
//   * every other problem: one parameter block, x itself (n doubles), and one
//     residual block with all m residuals: AutoDiffCostFunction<F, m, n> when
//     the paper fixes both sizes, AutoDiffCostFunction<F, kDynamic, n> when it
//     fixes only n, DynamicAutoDiffCostFunction otherwise.
// Throws curvature::Error for a null x or a problem whose sizes are invalid.
std::vector<MghResidualBlock> make_mgh_residual_blocks(const MghProblem& problem, double* x);

// Adds make_mgh_residual_blocks(problem, x) to `out`, without losses. x must
// hold problem.n doubles (the starting point: copy mgh_start() into it) and
// outlive `out`; the solution is written back into it. The minimum cost is
// then mgh_cost_from_f(problem.f_star). Throws curvature::Error for a null
// `out` or x.
void add_mgh_residuals(const MghProblem& problem, Problem* out, double* x);

// f(x) = r^T r (paper convention) at the n values x, evaluated without
// derivatives. Throws curvature::Error for a null x.
double mgh_f(const MghProblem& problem, const double* x);

}  // namespace curvature
