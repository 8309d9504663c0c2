#include "csv_dataset.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <istream>
#include <limits>
#include <random>
#include <set>
#include <string_view>
#include <utility>

#include "curvature/error.h"

namespace curvature {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The comma-separated fields of one line, trimmed. Views into `line`.
void split_fields(std::string_view line, std::vector<std::string_view>* fields) {
  fields->clear();
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields->push_back(trim(line.substr(start)));
      return;
    }
    fields->push_back(trim(line.substr(start, comma - start)));
    start = comma + 1;
  }
}

// A uniform integer in [0, bound) by rejection: the draws at or above the
// largest multiple of bound below 2^64 are discarded, so every value is
// equally likely. std::uniform_int_distribution would do the same job but
// its algorithm differs between standard libraries.
std::uint64_t bounded_draw(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
  while (true) {
    const std::uint64_t value = rng();
    if (value < limit) return value % bound;
  }
}

void check_count(const Dataset& data, int first_count, const char* where) {
  if (first_count < 0 || first_count > data.num_samples()) {
    throw Error(std::string(where) + ": first_count must be in [0, " + std::to_string(data.num_samples()) + "], got " +
                std::to_string(first_count));
  }
}

std::vector<int> iota_range(int begin, int end) {
  std::vector<int> indices;
  indices.reserve(static_cast<size_t>(std::max(0, end - begin)));
  for (int i = begin; i < end; ++i) indices.push_back(i);
  return indices;
}

}  // namespace

Dataset Dataset::rows(const std::vector<int>& indices) const {
  Dataset out;
  out.inputs.resize(static_cast<Eigen::Index>(indices.size()), inputs.cols());
  out.targets.resize(static_cast<Eigen::Index>(indices.size()), targets.cols());
  for (size_t k = 0; k < indices.size(); ++k) {
    const int i = indices[k];
    if (i < 0 || i >= num_samples()) {
      throw Error("Dataset::rows: index " + std::to_string(i) + " is outside [0, " + std::to_string(num_samples()) +
                  ")");
    }
    out.inputs.row(static_cast<Eigen::Index>(k)) = inputs.row(i);
    out.targets.row(static_cast<Eigen::Index>(k)) = targets.row(i);
  }
  if (!lines.empty()) {
    out.lines.reserve(indices.size());
    for (const int i : indices) out.lines.push_back(lines[static_cast<size_t>(i)]);
  }
  out.input_names = input_names;
  out.target_names = target_names;
  out.source = source;
  return out;
}

Dataset load_csv_dataset(const std::string& path, const CsvOptions& options) {
  std::ifstream in(path);
  if (!in) throw Error("load_csv_dataset: " + path + ": cannot open the file");
  return read_csv_dataset(in, path, options);
}

Dataset read_csv_dataset(std::istream& in, const std::string& path, const CsvOptions& options) {
  const std::string where = "load_csv_dataset: " + path;
  if (!(options.input_divisor > 0.0) || !std::isfinite(options.input_divisor)) {
    throw Error("load_csv_dataset: CsvOptions::input_divisor must be positive and finite, got " +
                std::to_string(options.input_divisor));
  }

  std::string line;
  int line_number = 0;
  std::vector<std::string_view> fields;
  // The header: the first non-empty line.
  std::vector<std::string> names;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    split_fields(line, &fields);
    std::set<std::string> seen;
    for (size_t c = 0; c < fields.size(); ++c) {
      const std::string name(fields[c]);
      if (name.empty()) {
        throw Error(where + ", line " + std::to_string(line_number) + ", column " + std::to_string(c + 1) +
                    ": empty column name in the header");
      }
      if (!seen.insert(name).second) {
        throw Error(where + ", line " + std::to_string(line_number) + ", column " + std::to_string(c + 1) +
                    ": duplicate column name \"" + name + "\"");
      }
      names.push_back(name);
    }
    break;
  }
  if (names.empty()) throw Error(where + ": the file is empty (no header row)");
  if (names.size() < 2 && !options.target_optional) {
    throw Error(where + ": the header names " + std::to_string(names.size()) +
                " column; at least one input and one target are needed");
  }
  const int num_columns = static_cast<int>(names.size());
  int target = num_columns - 1;
  if (!options.target_column.empty()) {
    target = -1;
    for (int c = 0; c < num_columns; ++c) {
      if (names[static_cast<size_t>(c)] == options.target_column) target = c;
    }
    if (target < 0 && !options.target_optional) {
      std::string list;
      for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
      throw Error(where + ": no column named \"" + options.target_column + "\" in the header (columns: " + list + ")");
    }
  }

  // Rows go into a flat row-major buffer first: the row count is not known
  // until the end.
  std::vector<double> values;
  std::vector<int> lines;
  int num_rows = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    split_fields(line, &fields);
    if (static_cast<int>(fields.size()) != num_columns) {
      throw Error(where + ", line " + std::to_string(line_number) + ": expected " + std::to_string(num_columns) +
                  " fields as in the header, found " + std::to_string(fields.size()));
    }
    for (int c = 0; c < num_columns; ++c) {
      const std::string_view field = fields[static_cast<size_t>(c)];
      double value = 0.0;
      const char* begin = field.data();
      const char* end = field.data() + field.size();
      // from_chars rejects a leading '+', which some writers emit.
      if (begin != end && *begin == '+') ++begin;
      const auto [ptr, ec] = std::from_chars(begin, end, value);
      const std::string location = where + ", line " + std::to_string(line_number) + ", column " +
                                   std::to_string(c + 1) + " (\"" + names[static_cast<size_t>(c)] + "\"): ";
      if (field.empty()) throw Error(location + "empty field");
      if (ec == std::errc::result_out_of_range)
        throw Error(location + "\"" + std::string(field) + "\" is out of range");
      if (ec != std::errc() || ptr != end) throw Error(location + "\"" + std::string(field) + "\" is not a number");
      if (!std::isfinite(value)) throw Error(location + "\"" + std::string(field) + "\" is not finite");
      if (c != target) {
        // A division, not a multiplication by the reciprocal: the quotient is
        // correctly rounded (x / 16 is exact, x * (1 / 3) is not x / 3). A
        // small divisor can push a large value past the largest double.
        value /= options.input_divisor;
        if (!std::isfinite(value)) {
          throw Error(location + "\"" + std::string(field) + "\" divided by CsvOptions::input_divisor (" +
                      to_decimal(options.input_divisor) + ") is not finite");
        }
      }
      values.push_back(value);
    }
    lines.push_back(line_number);
    ++num_rows;
  }
  if (num_rows == 0) throw Error(where + ": the file has a header but no data rows");

  Dataset data;
  data.source = path;
  data.lines = std::move(lines);
  const int num_targets = target < 0 ? 0 : 1;
  data.inputs.resize(num_rows, num_columns - num_targets);
  data.targets.resize(num_rows, num_targets);
  for (int c = 0; c < num_columns; ++c) {
    if (c == target) {
      data.target_names.push_back(names[static_cast<size_t>(c)]);
    } else {
      data.input_names.push_back(names[static_cast<size_t>(c)]);
    }
  }
  for (int r = 0; r < num_rows; ++r) {
    const double* row = values.data() + static_cast<size_t>(r) * num_columns;
    int input = 0;
    for (int c = 0; c < num_columns; ++c) {
      if (c == target) {
        data.targets(r, 0) = row[c];
      } else {
        data.inputs(r, input++) = row[c];  // already divided by options.input_divisor
      }
    }
  }
  return data;
}

namespace {

// The mean and (population) standard deviation of a column. Values above
// about 1e154 square to infinity (and a sum of values near the largest
// double overflows): then the column is scaled by its largest magnitude
// first, so that no intermediate exceeds it. Columns that need no scaling
// keep the plain computation, and with it their exact results.
void column_statistics(const Eigen::VectorXd& x, double* mean, double* deviation) {
  *mean = x.mean();
  const double variance = (x.array() - *mean).square().mean();
  if (std::isfinite(*mean) && std::isfinite(variance)) {
    *deviation = std::sqrt(variance);
    return;
  }
  const double largest = x.cwiseAbs().maxCoeff();
  const Eigen::ArrayXd scaled = x.array() / largest;
  const double scaled_mean = scaled.mean();
  *mean = largest * scaled_mean;
  *deviation = largest * std::sqrt((scaled - scaled_mean).square().mean());
}

}  // namespace

Standardization Standardization::fit(const Eigen::MatrixXd& data) {
  if (data.rows() < 1 || data.cols() < 1) throw Error("Standardization::fit: the data are empty");
  Standardization s;
  s.mean.resize(data.cols());
  s.scale.resize(data.cols());
  for (Eigen::Index c = 0; c < data.cols(); ++c) {
    double deviation = 0.0;
    column_statistics(data.col(c), &s.mean(c), &deviation);
    if (!std::isfinite(s.mean(c)) || !std::isfinite(deviation)) {
      throw Error("Standardization::fit: column " + std::to_string(c) +
                  " cannot be standardized (its mean or standard deviation is not finite)");
    }
    // A constant column (deviation 0, or rounding noise around it) would be
    // blown up to arbitrary values: centre it only.
    s.scale(c) = deviation > 1e-12 * std::max(1.0, std::abs(s.mean(c))) ? deviation : 1.0;
  }
  return s;
}

Eigen::MatrixXd Standardization::apply(const Eigen::MatrixXd& data) const {
  if (data.cols() != mean.size()) {
    throw Error("Standardization::apply: the data have " + std::to_string(data.cols()) + " columns, the statistics " +
                std::to_string(mean.size()));
  }
  Eigen::MatrixXd standardized = (data.rowwise() - mean).array().rowwise() / scale.array();
  // Values of both signs near the largest double: x - mean overflows although
  // (x - mean) / scale is of the order of the row count's square root at most.
  // Such a column is divided first (at the cost of a rounding the plain form
  // does not make, which is why it is not used everywhere).
  for (Eigen::Index c = 0; c < standardized.cols(); ++c) {
    if (!standardized.col(c).allFinite() && data.col(c).allFinite()) {
      standardized.col(c) = data.col(c).array() / scale(c) - mean(c) / scale(c);
    }
  }
  return standardized;
}

Eigen::MatrixXd Standardization::invert(const Eigen::MatrixXd& data) const {
  if (data.cols() != mean.size()) {
    throw Error("Standardization::invert: the data have " + std::to_string(data.cols()) + " columns, the statistics " +
                std::to_string(mean.size()));
  }
  return (data.array().rowwise() * scale.array()).matrix().rowwise() + mean;
}

namespace {

Standardization standardize(Dataset* train, Dataset* test, bool inputs, const char* where) {
  if (train == nullptr) throw Error(std::string(where) + ": the training set is null");
  Eigen::MatrixXd& train_data = inputs ? train->inputs : train->targets;
  if (train_data.rows() == 0) throw Error(std::string(where) + ": the training set is empty");
  if (test != nullptr) {
    const Eigen::MatrixXd& test_data = inputs ? test->inputs : test->targets;
    if (test_data.cols() != train_data.cols()) {
      throw Error(std::string(where) + ": the test set has " + std::to_string(test_data.cols()) +
                  " columns, the training set " + std::to_string(train_data.cols()));
    }
  }
  Standardization s = Standardization::fit(train_data);
  train_data = s.apply(train_data);
  if (test != nullptr) {
    Eigen::MatrixXd& test_data = inputs ? test->inputs : test->targets;
    test_data = s.apply(test_data);
  }
  return s;
}

}  // namespace

Standardization standardize_inputs(Dataset* train, Dataset* test) {
  return standardize(train, test, true, "standardize_inputs");
}

Standardization standardize_targets(Dataset* train, Dataset* test) {
  return standardize(train, test, false, "standardize_targets");
}

std::pair<Dataset, Dataset> split_dataset(const Dataset& data, int first_count) {
  check_count(data, first_count, "split_dataset");
  return {data.rows(iota_range(0, first_count)), data.rows(iota_range(first_count, data.num_samples()))};
}

std::vector<int> seeded_permutation(int n, std::uint64_t seed) {
  if (n < 0) throw Error("seeded_permutation: n must be non-negative, got " + std::to_string(n));
  std::vector<int> permutation = iota_range(0, n);
  std::mt19937_64 rng(seed);
  // Fisher-Yates: position i takes a uniformly chosen element of [0, i].
  for (int i = n - 1; i > 0; --i) {
    const auto j = static_cast<int>(bounded_draw(rng, static_cast<std::uint64_t>(i) + 1));
    std::swap(permutation[static_cast<size_t>(i)], permutation[static_cast<size_t>(j)]);
  }
  return permutation;
}

std::pair<Dataset, Dataset> shuffle_split(const Dataset& data, int first_count, std::uint64_t seed) {
  check_count(data, first_count, "shuffle_split");
  const std::vector<int> permutation = seeded_permutation(data.num_samples(), seed);
  const auto middle = permutation.begin() + first_count;
  return {data.rows(std::vector<int>(permutation.begin(), middle)),
          data.rows(std::vector<int>(middle, permutation.end()))};
}

DatasetSplit shuffled_split(const Dataset& data, double test_fraction, double validation_fraction, std::uint64_t seed,
                            bool stratify) {
  const std::string where = "shuffled_split: " + (data.source.empty() ? std::string("the data") : data.source);
  auto check_fraction = [&](double fraction, const char* name) {
    if (!(fraction >= 0.0 && fraction < 1.0)) {
      throw Error(where + ": the " + name + " fraction must be in [0, 1), got " + to_decimal(fraction));
    }
  };
  check_fraction(test_fraction, "test");
  check_fraction(validation_fraction, "validation");
  if (test_fraction + validation_fraction >= 1.0) {
    throw Error(where + ": the test and validation fractions (" + to_decimal(test_fraction) + " and " +
                to_decimal(validation_fraction) + ") leave no training samples");
  }
  if (stratify && data.num_targets() != 1) {
    throw Error(where + ": a stratified split needs one target column of class labels, found " +
                std::to_string(data.num_targets()));
  }
  const std::vector<int> permutation = seeded_permutation(data.num_samples(), seed);
  // Each sample's set: 0 training, 1 validation, 2 test. A group is the
  // whole data set, or one class under stratification; its first samples
  // in permutation order go to the test set, the next to validation.
  std::vector<int> set_of(static_cast<size_t>(data.num_samples()), 0);
  std::vector<std::vector<int>> groups;
  if (stratify) {
    std::vector<double> labels;
    for (const int i : permutation) {
      const double label = data.targets(i, 0);
      size_t g = 0;
      while (g < labels.size() && labels[g] != label) ++g;
      if (g == labels.size()) {
        labels.push_back(label);
        groups.emplace_back();
      }
      groups[g].push_back(i);
    }
  } else {
    groups.push_back(permutation);
  }
  for (const std::vector<int>& group : groups) {
    const auto n = static_cast<double>(group.size());
    const auto tests = static_cast<size_t>(std::lround(test_fraction * n));
    const auto validations = static_cast<size_t>(std::lround(validation_fraction * n));
    for (size_t k = 0; k < group.size(); ++k) {
      set_of[static_cast<size_t>(group[k])] = k < tests ? 2 : k < tests + validations ? 1 : 0;
    }
  }
  std::vector<int> members[3];
  for (const int i : permutation) members[set_of[static_cast<size_t>(i)]].push_back(i);
  auto require_samples = [&](int set, double fraction, const char* name) {
    if (fraction > 0.0 && members[set].empty()) {
      throw Error(where + ": a " + name + " fraction of " + to_decimal(fraction) + " of " +
                  std::to_string(data.num_samples()) + " samples selects none");
    }
  };
  require_samples(2, test_fraction, "test");
  require_samples(1, validation_fraction, "validation");
  if (members[0].empty()) throw Error(where + ": no training samples are left");
  DatasetSplit split;
  split.train = data.rows(members[0]);
  split.validation = data.rows(members[1]);
  split.test = data.rows(members[2]);
  return split;
}

Eigen::MatrixXd inputs_by_name(const Dataset& data, const std::vector<std::string>& names) {
  const std::string where = data.source.empty() ? std::string("the data") : data.source;
  Eigen::MatrixXd out(data.num_samples(), static_cast<Eigen::Index>(names.size()));
  for (size_t i = 0; i < names.size(); ++i) {
    const auto it = std::find(data.input_names.begin(), data.input_names.end(), names[i]);
    if (it == data.input_names.end()) throw Error(where + ": no column \"" + names[i] + "\"");
    out.col(static_cast<Eigen::Index>(i)) = data.inputs.col(it - data.input_names.begin());
  }
  for (const std::string& name : data.input_names) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw Error(where + ": column \"" + name + "\" is not one of the expected inputs");
    }
  }
  return out;
}

}  // namespace curvature
