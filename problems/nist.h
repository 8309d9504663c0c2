// nist.h — the NIST StRD nonlinear regression problems: loading and scoring.
//
// The 27 reference problems of the NIST Statistical Reference Datasets
// (https://www.itl.nist.gov/div898/strd/nls/nls_main.shtml) live in
// data/nist/<Name>.dat. Each file holds the data, two starting points
// ("start 1" far from the solution, "start 2" near it), the certified
// parameters with their standard deviations, and the certified residual sum
// of squares. The model formulas are only prose in the files; they are
// written out as code in nist_models.h, and add_nist_residuals()
// (nist_problem.h) turns a loaded problem into a curvature::Problem.
//
// Accuracy is scored the way NIST and the literature do it: the log relative
// error (LRE, roughly "number of correct significant digits") of each
// parameter against its certified value; a problem counts as solved from a
// start when the smallest LRE over its parameters is at least 4.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace curvature {

// One NIST StRD problem as read from its .dat file. All vectors are in file
// order; parameter vectors have num_parameters entries, x/y have
// num_observations entries.
struct NistProblem {
  std::string name;        // "Misra1a", ...: the file's base name
  std::string difficulty;  // "lower", "average" or "higher", as NIST states it
  int num_observations = 0;
  int num_parameters = 0;
  std::vector<double> x;
  std::vector<double> x2;  // the second predictor; only Nelson has one, empty otherwise
  // The response as printed in the file. Nelson's model fits log(y), not y;
  // the log is taken by its model (nist::Nelson::response), not here.
  std::vector<double> y;
  std::vector<double> start1;  // far from the solution
  std::vector<double> start2;  // nearer the solution
  std::vector<double> certified;
  std::vector<double> certified_std_dev;
  double certified_residual_sum_of_squares = 0.0;
};

// Reads a NIST StRD nonlinear-regression .dat file (CRLF or LF line endings).
// Picks out, wherever they are in the header: the "<n> Observations" and
// "<k> Parameters" statements, the "... Level of Difficulty" line, the
// parameter lines "bi = start1 start2 certified std_dev", and the
// "Residual Sum of Squares:" line; then reads one observation per line after
// the data header ("Data:   y   x", or "y x1 x2" for two predictors).
//
// Throws curvature::Error with a message "<path>:<line>: ..." when the file
// cannot be opened, a number is malformed, a row or parameter line has the
// wrong number of columns, parameters are not numbered b1, b2, ... in order,
// or the counts stated in the header disagree with what the file contains.
NistProblem load_nist_problem(const std::string& path);
// The same from an open stream; `path` names it in messages and gives the
// problem its name (the fuzz targets parse memory this way).
NistProblem read_nist_problem(std::istream& in, const std::string& path);

// The 27 problem names in NIST's order of difficulty: the 8 "lower", then the
// 11 "average", then the 8 "higher" problems.
std::vector<std::string> nist_problem_names();

// The directory holding the .dat files: find_data_dir("nist") (data_dir.h),
// which throws curvature::Error listing where it looked when there is none.
std::string nist_data_dir();

// load_nist_problem(nist_data_dir() + "/" + name + ".dat"). An unknown name
// is a curvature::Error listing the known ones.
NistProblem load_nist_problem_by_name(const std::string& name);

// The largest LRE that log_relative_error() reports. NIST certifies values to
// 11 significant digits, so agreement beyond 11 digits cannot be measured.
inline constexpr double kMaxLogRelativeError = 11.0;

// The log relative error of one estimate,
//   LRE = -log10(|estimate - certified| / |certified|),
// or -log10|estimate| when certified == 0; roughly the number of leading
// significant digits the two share. Clamped to [0, kMaxLogRelativeError]:
// an exact match gives 11, an estimate off by 100% or more (or a NaN or
// infinite one) gives 0.
double log_relative_error(double estimate, double certified);

// The smallest log_relative_error() over the entries of two vectors of the
// same size (the usual per-problem score). A size mismatch is a
// curvature::Error; two empty vectors give kMaxLogRelativeError.
double min_log_relative_error(const std::vector<double>& estimate, const std::vector<double>& certified);

}  // namespace curvature
