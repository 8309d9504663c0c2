// csv_dataset.h — numeric data sets from CSV files, for the neural-network
// problems (mlp.h).
//
// The format: one header row of column names, then one row per sample of
// comma-separated numbers, e.g. data/nn/friedman1_train.csv:
//
//   x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,y
//   0.004161039184,0.6152030717,...,9.692569718
//
// One column is the target (named, or the last column); all the others are
// inputs. Fields may carry spaces around the number; lines may end in "\r\n";
// empty lines are skipped. Every field must parse completely as a finite
// decimal number (std::from_chars, so the result does not depend on the
// locale).
//
//   CsvOptions options;
//   options.target_column = "y";
//   const std::string nn = find_data_dir("nn");  // data_dir.h
//   Dataset train = load_csv_dataset(nn + "/friedman1_train.csv", options);
//   Dataset test = load_csv_dataset(nn + "/friedman1_test.csv", options);
//   Standardization inputs = standardize_inputs(&train, &test);  // training statistics for both
//
// Errors (curvature::Error) name the file and, for a bad row, the line
// (1-based, the header is line 1) and the column (1-based, with its name):
//   load_csv_dataset: data.csv, line 7, column 3 ("x3"): "0.5x" is not a number
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace curvature {

// Samples as rows: inputs is N x d, targets N x k. For regression the targets
// are the values to fit; for classification (MlpCrossEntropyObjective) one
// column of class labels 0, 1, ..., K - 1 (stored as doubles) or K columns of
// class probabilities.
struct Dataset {
  Eigen::MatrixXd inputs;
  Eigen::MatrixXd targets;
  std::vector<std::string> input_names;   // d names, in file order
  std::vector<std::string> target_names;  // k names
  std::string source;                     // the file it was read from, or a description
  // The file line (1-based, the header is line 1) of each sample, for
  // messages about a sample; empty when the data were not read from a file.
  std::vector<int> lines;

  int num_samples() const { return static_cast<int>(inputs.rows()); }
  int num_inputs() const { return static_cast<int>(inputs.cols()); }
  int num_targets() const { return static_cast<int>(targets.cols()); }
  // The samples listed, in that order (indices may repeat). Throws
  // curvature::Error for an index out of range.
  Dataset rows(const std::vector<int>& indices) const;
};

struct CsvOptions {
  // The column that holds the target; empty: the last column.
  std::string target_column;
  // Every input is divided by this (> 0 and finite) as it is read, e.g. 16
  // for the 0..16 pixel intensities of digits.csv. Targets are not scaled.
  double input_divisor = 1.0;
  // With a target_column the file lacks: read every column as an input
  // (targets has no columns) instead of refusing the file, e.g. for data to
  // predict on that may or may not carry the target.
  bool target_optional = false;
};

// Reads a CSV file as described at the top. Throws curvature::Error when the
// file cannot be opened, is empty or has no data rows, when the header has
// fewer than two columns, an empty or duplicate name, or no column named
// options.target_column, when a row has the wrong number of fields or a field
// that is not a finite number or whose quotient by input_divisor is not
// (naming line and column), and when
// options.input_divisor is not positive and finite.
Dataset load_csv_dataset(const std::string& path, const CsvOptions& options = {});
// The same from an open stream; `source` stands for the file in messages and
// in Dataset::source (the fuzz targets parse memory this way).
Dataset read_csv_dataset(std::istream& in, const std::string& source, const CsvOptions& options = {});

// Per-column affine standardization x' = (x - mean) / scale, with the
// population standard deviation as scale (1 for a constant column, which is
// then only centred).
struct Standardization {
  Eigen::RowVectorXd mean;
  Eigen::RowVectorXd scale;

  // The statistics of the columns of `data` (N x d, N >= 1), computed
  // without overflow for values up to the largest double. Throws
  // curvature::Error naming a column whose statistics are not finite (a
  // column holding an infinity or NaN) rather than zeroing it.
  static Standardization fit(const Eigen::MatrixXd& data);
  // (data - mean) / scale and its inverse, row by row; apply() gives finite
  // values for finite data up to the largest double (x - mean itself may
  // overflow there). Throw curvature::Error when the column count differs
  // from the statistics'.
  Eigen::MatrixXd apply(const Eigen::MatrixXd& data) const;
  Eigen::MatrixXd invert(const Eigen::MatrixXd& data) const;
};

// Fits a Standardization to train->inputs, applies it to train->inputs and,
// when `test` is not null, to test->inputs (the test data are scaled with the
// training statistics, never their own), and returns it. Throws
// curvature::Error for a null or empty `train` or a test set with a
// different number of inputs.
Standardization standardize_inputs(Dataset* train, Dataset* test = nullptr);
// The same for the targets (regression; undo with Standardization::invert on
// predictions).
Standardization standardize_targets(Dataset* train, Dataset* test = nullptr);

// The first `first_count` samples and the rest, in file order. Throws
// curvature::Error unless 0 <= first_count <= num_samples().
std::pair<Dataset, Dataset> split_dataset(const Dataset& data, int first_count);

// A random split: the samples are permuted (Fisher-Yates driven by
// std::mt19937_64(seed) with a hand-written bounded draw, so the permutation
// is the same for every standard library), the first `first_count` of the
// permutation form the first set and the rest the second. Same errors as
// split_dataset().
std::pair<Dataset, Dataset> shuffle_split(const Dataset& data, int first_count, std::uint64_t seed);

// The permutation shuffle_split() uses: 0..n-1 shuffled by seed.
std::vector<int> seeded_permutation(int n, std::uint64_t seed);

// A data set split three ways: training, validation and test samples.
struct DatasetSplit {
  Dataset train, validation, test;
};

// The samples in the order of seeded_permutation(N, seed), then the first
// round(test_fraction N) of them form the test set, the next
// round(validation_fraction N) the validation set and the rest the training
// set, each in that shuffled order. With `stratify` the single target column
// holds class indices (or labels: any values that compare equal) and the
// split is made class by class in the same way (round(fraction n_c) of the
// n_c samples of each class), so that every set has the classes in about
// the proportions of the whole. Throws curvature::Error for fractions
// outside [0, 1) or summing to 1 or more, a requested set that comes out
// empty, an empty training set, or `stratify` with other than one target
// column.
DatasetSplit shuffled_split(const Dataset& data, double test_fraction, double validation_fraction, std::uint64_t seed,
                            bool stratify);

// data.inputs with its columns reordered to `names` (matched by name, e.g.
// a test file's columns to the training file's). Throws curvature::Error
// naming the first of `names` the data lack, or the first input column of
// the data not among `names`.
Eigen::MatrixXd inputs_by_name(const Dataset& data, const std::vector<std::string>& names);

}  // namespace curvature
