// Tests of the NIST StRD loader, the 27 model functions and the LRE score.

#include "nist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "curvature/problem.h"
#include "nist_models.h"
#include "nist_problem.h"

namespace curvature {
namespace {

struct ExpectedShape {
  const char* name;
  const char* difficulty;
  int num_parameters;
  int num_observations;
};

// Copied by hand from the header of each .dat file ("<n> Observations",
// "<k> Parameters", "... Level of Difficulty"), in nist_problem_names() order.
constexpr ExpectedShape kExpectedShapes[] = {
    {"Misra1a", "lower", 2, 14},    {"Chwirut2", "lower", 3, 54},   {"Chwirut1", "lower", 3, 214},
    {"Lanczos3", "lower", 6, 24},   {"Gauss1", "lower", 8, 250},    {"Gauss2", "lower", 8, 250},
    {"DanWood", "lower", 2, 6},     {"Misra1b", "lower", 2, 14},    {"Kirby2", "average", 5, 151},
    {"Hahn1", "average", 7, 236},   {"Nelson", "average", 3, 128},  {"MGH17", "average", 5, 33},
    {"Lanczos1", "average", 6, 24}, {"Lanczos2", "average", 6, 24}, {"Gauss3", "average", 8, 250},
    {"Misra1c", "average", 2, 14},  {"Misra1d", "average", 2, 14},  {"Roszman1", "average", 4, 25},
    {"ENSO", "average", 9, 168},    {"MGH09", "higher", 4, 11},     {"Thurber", "higher", 7, 37},
    {"BoxBOD", "higher", 2, 6},     {"Rat42", "higher", 3, 9},      {"MGH10", "higher", 3, 16},
    {"Eckerle4", "higher", 3, 35},  {"Rat43", "higher", 4, 15},     {"Bennett5", "higher", 3, 154},
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string write_temp_file(const std::string& name, const std::string& contents) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::ofstream out(path, std::ios::binary);
  out << contents;
  return path;
}

// Replaces the first occurrence of `from`, which must be there.
std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The message of the Error that load_nist_problem(path) throws, or "" if it
// does not throw.
std::string load_error(const std::string& path) {
  try {
    load_nist_problem(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

template <typename Model>
double residual_sum_of_squares(const NistProblem& problem, const double* b) {
  double sum = 0.0;
  for (int i = 0; i < problem.num_observations; ++i) {
    const NistResidual<Model> residual{problem.x[i], problem.x2.empty() ? 0.0 : problem.x2[i], problem.y[i]};
    double r = 0.0;
    EXPECT_TRUE(residual(b, &r));
    sum += r * r;
  }
  return sum;
}

TEST(NistTest, NamesAreTheTwentySevenProblemsInDifficultyOrder) {
  const std::vector<std::string> names = nist_problem_names();
  ASSERT_EQ(names.size(), std::size(kExpectedShapes));
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], kExpectedShapes[i].name);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
}

TEST(NistTest, AllFilesLoadWithTheStatedShape) {
  for (const ExpectedShape& expected : kExpectedShapes) {
    SCOPED_TRACE(expected.name);
    const NistProblem problem = load_nist_problem_by_name(expected.name);
    EXPECT_EQ(problem.name, expected.name);
    EXPECT_EQ(problem.difficulty, expected.difficulty);
    EXPECT_EQ(problem.num_parameters, expected.num_parameters);
    EXPECT_EQ(problem.num_observations, expected.num_observations);
    EXPECT_EQ(problem.x.size(), static_cast<size_t>(expected.num_observations));
    EXPECT_EQ(problem.y.size(), static_cast<size_t>(expected.num_observations));
    EXPECT_EQ(problem.x2.size(), problem.name == "Nelson" ? static_cast<size_t>(expected.num_observations) : 0u);
    for (const std::vector<double>* v :
         {&problem.start1, &problem.start2, &problem.certified, &problem.certified_std_dev}) {
      EXPECT_EQ(v->size(), static_cast<size_t>(expected.num_parameters));
    }
    EXPECT_GT(problem.certified_residual_sum_of_squares, 0.0);
    // The model's compile-time size agrees with the file.
    int model_parameters = 0;
    EXPECT_TRUE(visit_nist_model(problem.name, [&]<typename Model>() { model_parameters = Model::kNumParameters; }));
    EXPECT_EQ(model_parameters, expected.num_parameters);
  }
}

TEST(NistTest, ValuesAreReadExactly) {
  const NistProblem misra = load_nist_problem_by_name("Misra1a");
  EXPECT_EQ(misra.y.front(), 10.07);
  EXPECT_EQ(misra.x.front(), 77.6);
  EXPECT_EQ(misra.y.back(), 81.78);
  EXPECT_EQ(misra.x.back(), 760.0);
  EXPECT_EQ(misra.start1, (std::vector<double>{500, 0.0001}));
  EXPECT_EQ(misra.start2, (std::vector<double>{250, 0.0005}));
  EXPECT_EQ(misra.certified, (std::vector<double>{2.3894212918E+02, 5.5015643181E-04}));
  EXPECT_EQ(misra.certified_std_dev, (std::vector<double>{2.7070075241E+00, 7.2668688436E-06}));
  EXPECT_EQ(misra.certified_residual_sum_of_squares, 1.2455138894E-01);

  // Three columns; the response stays as printed (the model takes the log).
  const NistProblem nelson = load_nist_problem_by_name("Nelson");
  EXPECT_EQ(nelson.y.front(), 15.0);
  EXPECT_EQ(nelson.x.front(), 1.0);
  EXPECT_EQ(nelson.x2.front(), 180.0);
  EXPECT_EQ(nelson.certified[1], 5.6177717026E-09);

  // Roszman1 writes its certified b1 to 12 digits with an "E-0" exponent.
  const NistProblem roszman = load_nist_problem_by_name("Roszman1");
  EXPECT_EQ(roszman.certified[0], 1.20196866396);
  EXPECT_EQ(roszman.x.front(), -4868.68);
}

// The strongest check that each formula was transcribed correctly: the
// residual sum of squares at the certified parameters, evaluated in double
// precision, reproduces the certified one. All problems but one agree to a
// relative 1e-10 or better (Lanczos2, whose RSS is 2.2e-11, is the worst at
// 1.0e-10); 1e-9 leaves a margin for other compilers and math libraries.
//
// The exception is Lanczos1. Its data were generated from the model, so the
// certified RSS (1.4e-25) is pure round-off; at the certified parameters,
// which are rounded to 11 digits, the residuals are of order 1e-11 and the RSS
// about 4e-21. No transcription can do better with those parameters, so the
// check there is absolute: below 1e-19, still ten orders of magnitude below
// Lanczos2's RSS for the same model on 6-digit data, and far below what a
// wrong formula would give.
TEST(NistTest, ResidualSumOfSquaresAtCertifiedParametersMatches) {
  int checked = 0;
  for_each_nist_model([&]<typename Model>() {
    SCOPED_TRACE(Model::kName);
    const NistProblem problem = load_nist_problem_by_name(Model::kName);
    ASSERT_EQ(problem.num_parameters, Model::kNumParameters);
    const double rss = residual_sum_of_squares<Model>(problem, problem.certified.data());
    const double certified = problem.certified_residual_sum_of_squares;
    if (problem.name == "Lanczos1") {
      EXPECT_LT(rss, 1e-19);
    } else {
      EXPECT_NEAR(rss / certified, 1.0, 1e-9) << "rss " << rss << " certified " << certified;
    }
    ++checked;
  });
  EXPECT_EQ(checked, 27);
}

// Start 1 is far from the solution: the RSS there must be clearly larger, a
// guard against a residual that ignores its parameters.
TEST(NistTest, StartingPointsAreWorseThanTheCertifiedOnes) {
  for_each_nist_model([&]<typename Model>() {
    SCOPED_TRACE(Model::kName);
    const NistProblem problem = load_nist_problem_by_name(Model::kName);
    const double at_start = residual_sum_of_squares<Model>(problem, problem.start1.data());
    // NaN (a start outside the domain) also fails this comparison, so test !(<=).
    EXPECT_FALSE(at_start <= 1.01 * problem.certified_residual_sum_of_squares) << at_start;
  });
}

TEST(NistTest, RoszmanNeedsTheAngleInZeroToPi) {
  // The principal arctan is atan2 - pi here (x - b4 < 0, b3 > 0), so with it
  // b1 - 1 would fit exactly as well as b1; with atan2 it must not.
  const NistProblem problem = load_nist_problem_by_name("Roszman1");
  std::vector<double> shifted = problem.certified;
  shifted[0] -= 1.0;
  EXPECT_GT(residual_sum_of_squares<nist::Roszman1>(problem, shifted.data()), 1.0);
}

TEST(NistTest, VisitFindsEachModelAndRejectsUnknownNames) {
  for (const std::string& name : nist_problem_names()) {
    std::string visited;
    EXPECT_TRUE(visit_nist_model(name, [&]<typename Model>() { visited = Model::kName; }));
    EXPECT_EQ(visited, name);
  }
  int calls = 0;
  EXPECT_FALSE(visit_nist_model("misra1a", [&]<typename>() { ++calls; }));  // case-sensitive
  EXPECT_FALSE(visit_nist_model("", [&]<typename>() { ++calls; }));
  EXPECT_EQ(calls, 0);
}

TEST(NistTest, LogRelativeError) {
  EXPECT_EQ(log_relative_error(1.0, 1.0), kMaxLogRelativeError);
  EXPECT_EQ(log_relative_error(0.0, 0.0), kMaxLogRelativeError);
  EXPECT_NEAR(log_relative_error(1.001, 1.0), 3.0, 1e-9);
  EXPECT_NEAR(log_relative_error(-0.999, -1.0), 3.0, 1e-9);
  EXPECT_NEAR(log_relative_error(2.3894212918E+02 * (1 + 1e-6), 2.3894212918E+02), 6.0, 1e-6);
  // Certified value 0: the absolute error.
  EXPECT_NEAR(log_relative_error(1e-5, 0.0), 5.0, 1e-9);
  // Clamped: more than 11 digits cannot be measured; a 100% error or worse is 0.
  EXPECT_EQ(log_relative_error(1.0 + 1e-14, 1.0), kMaxLogRelativeError);
  EXPECT_EQ(log_relative_error(3.0, 1.0), 0.0);
  EXPECT_EQ(log_relative_error(-1.0, 1.0), 0.0);
  EXPECT_EQ(log_relative_error(5.0, 0.0), 0.0);
  EXPECT_EQ(log_relative_error(std::nan(""), 1.0), 0.0);
  EXPECT_EQ(log_relative_error(INFINITY, 1.0), 0.0);

  EXPECT_NEAR(min_log_relative_error({1.001, 2.0, 3.00003}, {1.0, 2.0, 3.0}), 3.0, 1e-9);
  EXPECT_EQ(min_log_relative_error({}, {}), kMaxLogRelativeError);
  EXPECT_THROW(min_log_relative_error({1.0}, {1.0, 2.0}), Error);
}

TEST(NistTest, DataDirectoryHoldsTheFiles) {
  EXPECT_TRUE(std::filesystem::exists(nist_data_dir() + "/Misra1a.dat")) << nist_data_dir();
}

TEST(NistTest, MissingFileIsAnErrorNamingIt) {
  const std::string message = load_error("/nonexistent/Nope.dat");
  EXPECT_NE(message.find("/nonexistent/Nope.dat"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot open"), std::string::npos) << message;

  try {
    load_nist_problem_by_name("Misra9z");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown NIST problem 'Misra9z'"), std::string::npos) << e.what();
  }
}

// Each malformed copy of Misra1a.dat must be rejected with its own message,
// naming the file and the line.
TEST(NistTest, MalformedFilesAreErrorsNamingFileAndLine) {
  const std::string original = read_text(nist_data_dir() + "/Misra1a.dat");
  ASSERT_FALSE(original.empty());
  // Unchanged (CRLF) copy loads.
  EXPECT_EQ(load_error(write_temp_file("Misra1a.dat", original)), "");

  struct Case {
    const char* what;
    std::string contents;
    const char* line;  // ":<n>:" expected in the message
    const char* message;
  };
  const Case cases[] = {
      {"malformed number in a data row", replace_once(original, "23.93E0", "23.9.3E0"),
       ":64:", "malformed number '23.9.3E0'"},
      {"malformed number in a parameter line", replace_once(original, "5.5015643181E-04", "5.5015643181F-04"),
       ":42:", "malformed number '5.5015643181F-04'"},
      {"wrong column count in a data row", replace_once(original, "17.94E0", "17.94E0  1.0"),
       ":63:", "observation row has 3 columns"},
      {"parameter line with three numbers", replace_once(original, "2.7070075241E+00", ""),
       ":41:", "has 3 numbers; expected 4"},
      {"parameter count mismatch", replace_once(original, "2 Parameters", "3 Parameters"),
       ":32:", "states 3 parameters but the file lists 2"},
      {"observation count mismatch", replace_once(original, "14 Observations", "15 Observations"),
       ":27:", "states 15 observations but the data has 14 rows"},
      {"missing row", replace_once(original, "      81.78E0     760.0E0\r\n", ""),
       ":27:", "states 14 observations but the data has 13 rows"},
      {"parameters out of order", replace_once(original, "  b2 =", "  b3 ="), ":42:", "parameter b3 out of order"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string path = write_temp_file("Misra1a_malformed.dat", c.contents);
    const std::string message = load_error(path);
    EXPECT_NE(message.find(path + c.line), std::string::npos) << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
  }

  // Missing sections name the file.
  const std::string no_rss = replace_once(original, "Residual Sum of Squares:", "Residual Something:");
  const std::string message = load_error(write_temp_file("Misra1a_no_rss.dat", no_rss));
  EXPECT_NE(message.find("Misra1a_no_rss.dat"), std::string::npos) << message;
  EXPECT_NE(message.find("Residual Sum of Squares"), std::string::npos) << message;
}

TEST(NistTest, LoadsFilesWithUnixLineEndings) {
  std::string text = read_text(nist_data_dir() + "/Nelson.dat");
  std::erase(text, '\r');
  const NistProblem problem = load_nist_problem(write_temp_file("Nelson.dat", text));
  EXPECT_EQ(problem.name, "Nelson");
  EXPECT_EQ(problem.num_observations, 128);
  EXPECT_EQ(problem.x2.size(), 128u);
}

TEST(NistTest, BuildsAProblemWithOneResidualPerObservation) {
  const NistProblem nelson = load_nist_problem_by_name("Nelson");
  std::vector<double> b = nelson.certified;
  Problem problem;
  add_nist_residuals(nelson, &problem, b.data());
  EXPECT_EQ(problem.num_parameter_blocks(), 1);
  EXPECT_EQ(problem.num_parameters(), 3);
  EXPECT_EQ(problem.num_residual_blocks(), 128);
  EXPECT_EQ(problem.num_residuals(), 128);
  EXPECT_EQ(problem.parameter_block_size(b.data()), 3);

  // At the certified point the cost is half the certified RSS.
  double cost = 0.0;
  std::string error;
  ASSERT_TRUE(problem.evaluate({}, &cost, nullptr, nullptr, nullptr, nullptr, &error)) << error;
  EXPECT_NEAR(cost / (0.5 * nelson.certified_residual_sum_of_squares), 1.0, 1e-9);
}

TEST(NistTest, AddResidualsRejectsMisuse) {
  NistProblem misra = load_nist_problem_by_name("Misra1a");
  std::vector<double> b = misra.start1;
  Problem problem;
  EXPECT_THROW(add_nist_residuals(misra, nullptr, b.data()), Error);
  EXPECT_THROW(add_nist_residuals(misra, &problem, nullptr), Error);
  NistProblem renamed = misra;
  renamed.name = "Misra1z";
  EXPECT_THROW(add_nist_residuals(renamed, &problem, b.data()), Error);
  NistProblem wrong_size = misra;
  wrong_size.name = "Misra1b";
  wrong_size.num_parameters = 3;
  EXPECT_THROW(add_nist_residuals(wrong_size, &problem, b.data()), Error);
  NistProblem short_data = misra;
  short_data.y.pop_back();
  EXPECT_THROW(add_nist_residuals(short_data, &problem, b.data()), Error);
  EXPECT_EQ(problem.num_residual_blocks(), 0);
}

// The autodiff Jacobian of every model (curvature::Jet through
// AutoDiffCostFunction and Problem::evaluate) against central differences of
// the double-precision residuals, at both starting points and the certified
// point. Errors are measured against the size of each row's terms
// |dr/db_k * b_k|, so that derivatives that underflow towards zero in one
// term (a Gaussian peak far from x) do not count as large relative errors.
TEST(NistTest, AutodiffJacobiansMatchCentralDifferences) {
  for_each_nist_model([&]<typename Model>() {
    SCOPED_TRACE(Model::kName);
    const NistProblem nist = load_nist_problem_by_name(Model::kName);
    for (const std::vector<double>* point : {&nist.start1, &nist.start2, &nist.certified}) {
      std::vector<double> b = *point;
      Problem problem;
      add_nist_residuals(nist, &problem, b.data());
      Problem::EvaluateOptions options;
      options.apply_loss = false;
      Eigen::VectorXd residuals;
      Eigen::MatrixXd jacobian;
      std::string error;
      // Every start is inside its model's domain, so evaluation must succeed.
      ASSERT_TRUE(problem.evaluate(options, nullptr, &residuals, nullptr, &jacobian, nullptr, &error)) << error;
      ASSERT_EQ(jacobian.rows(), nist.num_observations);
      ASSERT_EQ(jacobian.cols(), nist.num_parameters);
      double worst = 0.0;
      for (int i = 0; i < nist.num_observations; ++i) {
        const NistResidual<Model> residual{nist.x[i], nist.x2.empty() ? 0.0 : nist.x2[i], nist.y[i]};
        double scale = std::abs(residuals[i]);
        for (int k = 0; k < nist.num_parameters; ++k) scale = std::max(scale, std::abs(jacobian(i, k) * b[k]));
        for (int k = 0; k < nist.num_parameters; ++k) {
          const double h = 1e-6 * std::max(std::abs(b[k]), 1e-8);
          std::vector<double> plus = b, minus = b;
          plus[k] += h;
          minus[k] -= h;
          double r_plus = 0.0, r_minus = 0.0;
          residual(plus.data(), &r_plus);
          residual(minus.data(), &r_minus);
          const double central = (r_plus - r_minus) / (2.0 * h);
          if (scale > 0.0) worst = std::max(worst, std::abs((central - jacobian(i, k)) * b[k]) / scale);
        }
      }
      EXPECT_LT(worst, 1e-6);
    }
  });
}

}  // namespace
}  // namespace curvature
