#include "csv_dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "curvature/error.h"

namespace curvature {
namespace {

const std::string kDataDir = CURVATURE_DATA_DIR "/nn/";

// Writes `text` to a file unique to this process and test, removed on destruction.
class TempCsv {
 public:
  explicit TempCsv(const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path() /
             ("curvature_csv_" + std::to_string(::getpid()) + "_" + info->name() + ".csv"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempCsv() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The message of the curvature::Error that loading `text` throws ("" if none).
std::string load_error(const std::string& text, const CsvOptions& options = {}) {
  TempCsv file(text);
  try {
    load_csv_dataset(file.path(), options);
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(file.path()), std::string::npos) << message;
    return message;
  }
  return "";
}

TEST(CsvDataset, LoadsFriedman1) {
  CsvOptions options;
  options.target_column = "y";
  const Dataset train = load_csv_dataset(kDataDir + "friedman1_train.csv", options);
  const Dataset test = load_csv_dataset(kDataDir + "friedman1_test.csv", options);
  EXPECT_EQ(train.inputs.rows(), 2000);
  EXPECT_EQ(train.inputs.cols(), 10);
  EXPECT_EQ(train.targets.rows(), 2000);
  EXPECT_EQ(train.targets.cols(), 1);
  EXPECT_EQ(test.inputs.rows(), 500);
  EXPECT_EQ(test.inputs.cols(), 10);
  ASSERT_EQ(train.input_names.size(), 10u);
  EXPECT_EQ(train.input_names.front(), "x1");
  EXPECT_EQ(train.input_names.back(), "x10");
  EXPECT_EQ(train.target_names, std::vector<std::string>{"y"});
  // The first data row of the file, exactly as from_chars reads it.
  EXPECT_EQ(train.inputs(0, 0), 0.004161039184);
  EXPECT_EQ(train.inputs(0, 9), 0.8577525958);
  EXPECT_EQ(train.targets(0, 0), 9.692569718);
  EXPECT_EQ(test.targets(0, 0), 14.84765364);
  // Friedman #1 inputs are uniform on [0, 1].
  EXPECT_GE(train.inputs.minCoeff(), 0.0);
  EXPECT_LE(train.inputs.maxCoeff(), 1.0);
}

TEST(CsvDataset, LoadsDigitsWithTheLastColumnAsTarget) {
  CsvOptions options;
  options.input_divisor = 16.0;
  const Dataset digits = load_csv_dataset(kDataDir + "digits.csv", options);
  EXPECT_EQ(digits.inputs.rows(), 1797);
  EXPECT_EQ(digits.inputs.cols(), 64);
  EXPECT_EQ(digits.targets.cols(), 1);
  EXPECT_EQ(digits.target_names, std::vector<std::string>{"label"});
  EXPECT_EQ(digits.inputs.minCoeff(), 0.0);
  EXPECT_EQ(digits.inputs.maxCoeff(), 1.0);  // 16 / 16
  EXPECT_EQ(digits.inputs(0, 2), 5.0 / 16.0);
  EXPECT_EQ(digits.targets.minCoeff(), 0.0);
  EXPECT_EQ(digits.targets.maxCoeff(), 9.0);
  EXPECT_EQ(digits.targets(1, 0), 1.0);
  for (Eigen::Index s = 0; s < digits.targets.rows(); ++s) {
    ASSERT_EQ(digits.targets(s, 0), std::floor(digits.targets(s, 0)));
  }
}

TEST(CsvDataset, NamedTargetInTheMiddleAndLenientFormatting) {
  TempCsv file(" a , b ,c\r\n1, 2 ,3\r\n\r\n+4,-5.5e1 ,6\r\n\n");
  CsvOptions options;
  options.target_column = "b";
  const Dataset data = load_csv_dataset(file.path(), options);
  ASSERT_EQ(data.inputs.rows(), 2);
  EXPECT_EQ(data.input_names, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(data.target_names, std::vector<std::string>{"b"});
  EXPECT_EQ(data.inputs(1, 0), 4.0);
  EXPECT_EQ(data.inputs(1, 1), 6.0);
  EXPECT_EQ(data.targets(0, 0), 2.0);
  EXPECT_EQ(data.targets(1, 0), -55.0);
}

TEST(CsvDataset, StandardizationUsesTrainingStatistics) {
  CsvOptions options;
  options.target_column = "y";
  Dataset train = load_csv_dataset(kDataDir + "friedman1_train.csv", options);
  Dataset test = load_csv_dataset(kDataDir + "friedman1_test.csv", options);
  const Dataset raw_train = train;
  const Dataset raw_test = test;
  const Standardization s = standardize_inputs(&train, &test);

  for (Eigen::Index c = 0; c < 10; ++c) {
    EXPECT_NEAR(train.inputs.col(c).mean(), 0.0, 1e-13);
    EXPECT_NEAR(std::sqrt(train.inputs.col(c).array().square().mean()), 1.0, 1e-13);
    const double mean = raw_train.inputs.col(c).mean();
    EXPECT_DOUBLE_EQ(s.mean(c), mean);
    EXPECT_DOUBLE_EQ(s.scale(c), std::sqrt((raw_train.inputs.col(c).array() - mean).square().mean()));
  }
  // Test data: the training mean and scale, not their own.
  EXPECT_EQ(test.inputs, s.apply(raw_test.inputs));
  EXPECT_DOUBLE_EQ(test.inputs(0, 3), (raw_test.inputs(0, 3) - s.mean(3)) / s.scale(3));
  EXPECT_GT(std::abs(test.inputs.col(0).mean()), 1e-6);  // not exactly centred: other statistics
  EXPECT_TRUE(s.invert(test.inputs).isApprox(raw_test.inputs, 1e-14));
  // Targets untouched by standardize_inputs.
  EXPECT_EQ(train.targets, raw_train.targets);

  const Standardization t = standardize_targets(&train, &test);
  EXPECT_NEAR(train.targets.mean(), 0.0, 1e-12);
  EXPECT_TRUE(t.invert(test.targets).isApprox(raw_test.targets, 1e-14));
}

TEST(CsvDataset, ConstantColumnIsOnlyCentred) {
  Eigen::MatrixXd data(3, 2);
  data << 1, 5, 2, 5, 3, 5;
  const Standardization s = Standardization::fit(data);
  EXPECT_EQ(s.scale(1), 1.0);
  EXPECT_EQ(s.apply(data).col(1), Eigen::Vector3d::Zero());
  EXPECT_THROW(s.apply(Eigen::MatrixXd::Zero(2, 3)), Error);
}

TEST(CsvDataset, Splits) {
  CsvOptions options;
  options.input_divisor = 16.0;
  const Dataset digits = load_csv_dataset(kDataDir + "digits.csv", options);
  const auto [first, rest] = split_dataset(digits, 1500);
  EXPECT_EQ(first.num_samples(), 1500);
  EXPECT_EQ(rest.num_samples(), 297);
  EXPECT_EQ(rest.inputs.row(0), digits.inputs.row(1500));
  EXPECT_EQ(rest.targets(296, 0), digits.targets(1796, 0));
  EXPECT_EQ(first.input_names, digits.input_names);

  const auto [a, b] = shuffle_split(digits, 1200, 7);
  EXPECT_EQ(a.num_samples(), 1200);
  EXPECT_EQ(b.num_samples(), 597);
  const std::vector<int> permutation = seeded_permutation(1797, 7);
  EXPECT_EQ(a.inputs.row(0), digits.inputs.row(permutation[0]));
  EXPECT_EQ(b.targets(0, 0), digits.targets(permutation[1200], 0));
  std::vector<int> sorted = permutation;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1797; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
  // Deterministic for a seed, different for another.
  EXPECT_EQ(seeded_permutation(1797, 7), permutation);
  EXPECT_NE(seeded_permutation(1797, 8), permutation);
  // Fixed reference: the same on every standard library.
  EXPECT_EQ(seeded_permutation(8, 1), (std::vector<int>{4, 6, 3, 5, 1, 7, 2, 0}));

  EXPECT_THROW(split_dataset(digits, -1), Error);
  EXPECT_THROW(split_dataset(digits, 1798), Error);
  EXPECT_THROW(shuffle_split(digits, 1798, 1), Error);
  EXPECT_EQ(split_dataset(digits, 0).first.num_samples(), 0);
}

TEST(CsvDataset, NonNumericFieldNamesLineAndColumn) {
  const std::string message = load_error("a,b,c\n1,2,3\n4,x5,6\n");
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("column 2 (\"b\")"), std::string::npos) << message;
  EXPECT_NE(message.find("\"x5\" is not a number"), std::string::npos) << message;

  const std::string trailing = load_error("a,b\n1,2\n3,4.5abc\n");
  EXPECT_NE(trailing.find("line 3, column 2"), std::string::npos) << trailing;
  const std::string empty_field = load_error("a,b\n1,\n");
  EXPECT_NE(empty_field.find("line 2, column 2"), std::string::npos) << empty_field;
  EXPECT_NE(empty_field.find("empty field"), std::string::npos) << empty_field;
  const std::string nan = load_error("a,b\nnan,1\n");
  EXPECT_NE(nan.find("line 2, column 1"), std::string::npos) << nan;
  EXPECT_NE(nan.find("not finite"), std::string::npos) << nan;
}

TEST(CsvDataset, WrongFieldCountNamesTheLine) {
  const std::string message = load_error("a,b,c\n1,2,3\n\n4,5\n");
  EXPECT_NE(message.find("line 4"), std::string::npos) << message;
  EXPECT_NE(message.find("expected 3 fields"), std::string::npos) << message;
  EXPECT_NE(message.find("found 2"), std::string::npos) << message;
  const std::string extra = load_error("a,b\n1,2,3\n");
  EXPECT_NE(extra.find("line 2"), std::string::npos) << extra;
}

TEST(CsvDataset, HeaderProblems) {
  CsvOptions options;
  options.target_column = "label";
  const std::string missing = load_error("a,b\n1,2\n", options);
  EXPECT_NE(missing.find("no column named \"label\""), std::string::npos) << missing;
  EXPECT_NE(missing.find("columns: a, b"), std::string::npos) << missing;

  const std::string duplicate = load_error("a,b,a\n1,2,3\n");
  EXPECT_NE(duplicate.find("line 1, column 3"), std::string::npos) << duplicate;
  EXPECT_NE(duplicate.find("duplicate"), std::string::npos) << duplicate;
  EXPECT_NE(load_error("a,,c\n1,2,3\n").find("column 2"), std::string::npos);
  EXPECT_NE(load_error("").find("empty"), std::string::npos);
  EXPECT_NE(load_error("a,b\n").find("no data rows"), std::string::npos);
  EXPECT_NE(load_error("a\n1\n").find("at least one input"), std::string::npos);

  try {
    load_csv_dataset("/nonexistent/curvature.csv");
    ADD_FAILURE() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/curvature.csv"), std::string::npos);
  }
  CsvOptions bad;
  bad.input_divisor = 0.0;
  EXPECT_THROW(load_csv_dataset(kDataDir + "digits.csv", bad), Error);
}

TEST(CsvDataset, RowsChecksIndices) {
  TempCsv file("a,b\n1,2\n3,4\n");
  const Dataset data = load_csv_dataset(file.path());
  EXPECT_EQ(data.rows({1, 1, 0}).inputs, (Eigen::Vector3d(3, 3, 1)));
  EXPECT_THROW(data.rows({2}), Error);
  EXPECT_THROW(standardize_inputs(nullptr), Error);
}

TEST(CsvDataset, StandardizationOfHugeValuesDoesNotOverflow) {
  // 1e200 squares to infinity; the column must still be standardized, not
  // zeroed (as a deviation of inf would do).
  Eigen::MatrixXd data(4, 2);
  data << 1e200, 1.0,  //
      -1e200, 2.0,     //
      3e200, 3.0,      //
      -3e200, 4.0;
  const Standardization s = Standardization::fit(data);
  EXPECT_DOUBLE_EQ(s.mean(0), 0.0);
  EXPECT_NEAR(s.scale(0) / (std::sqrt(5.0) * 1e200), 1.0, 1e-15);  // population deviation
  const Eigen::MatrixXd standardized = s.apply(data);
  EXPECT_TRUE(standardized.allFinite());
  EXPECT_NEAR(standardized.col(0).squaredNorm() / 4.0, 1.0, 1e-14);
  EXPECT_NEAR(standardized(0, 0), 1.0 / std::sqrt(5.0), 1e-15);
  // The ordinary column is untouched by the other's scaling.
  EXPECT_EQ(s.mean(1), 2.5);
}

TEST(CsvDataset, StandardizationNearTheLargestDoubleGivesFiniteValues) {
  // Found by the fuzzer (tests/fuzz/corpus/csv_dataset_fuzzer/found_standardized_overflow.csv):
  // with values of both signs near the largest double, mean and deviation are
  // finite but x - mean overflowed to infinity in apply().
  Eigen::MatrixXd data(3, 1);
  data << -1.7e308, -1.7e308, 1.7e308;
  const Standardization s = Standardization::fit(data);
  const Eigen::MatrixXd standardized = s.apply(data);
  ASSERT_TRUE(standardized.allFinite()) << standardized.transpose();
  EXPECT_NEAR(standardized(0, 0), -1.0 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(standardized(2, 0), std::sqrt(2.0), 1e-15);
}

TEST(CsvDataset, TooSmallAnInputDivisorIsAnErrorNamingTheCell) {
  // Found by the fuzzer: 1e10 / 1e-300 overflowed to an accepted infinity.
  CsvOptions options;
  options.input_divisor = 1e-300;
  const std::string message = load_error("x,y\n1,2\n1e10,4\n", options);
  EXPECT_NE(
      message.find("line 3, column 1 (\"x\"): \"1e10\" divided by CsvOptions::input_divisor (1e-300) is not finite"),
      std::string::npos)
      << message;
}

TEST(CsvDataset, StandardizationNamesAColumnThatCannotBeStandardized) {
  Eigen::MatrixXd data(2, 2);
  data << 1.0, std::numeric_limits<double>::infinity(),  //
      2.0, 1.0;
  try {
    Standardization::fit(data);
    FAIL() << "no Error for an infinite column";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("column 1 cannot be standardized"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace curvature
