// Fuzzes the CSV data-set parser (problems/csv_dataset.h) and the
// standardization that follows it in every network fit.
//
// For every input: either a curvature::Error, or a data set whose sizes agree
// (rows of inputs and targets, columns and names) and whose values are all
// finite; standardizing it either throws a curvature::Error or gives finite
// statistics and finite standardized values. Anything else (another
// exception, a sanitizer report, a broken invariant) is a finding.
//
// The first byte of the input picks the options (target column by name or
// the last one, input divisor), the rest is the file.
#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>

#include "csv_dataset.h"
#include "curvature/error.h"
#include "fuzz_invariant.h"

namespace {

using curvature::fuzz::require;

void check_dataset(const curvature::Dataset& data) {
  require(data.num_samples() > 0, "an accepted data set has at least one row");
  require(data.targets.rows() == data.inputs.rows(), "inputs and targets have the same rows");
  require(data.num_inputs() >= 1, "an accepted data set has at least one input");
  require(data.num_targets() == 1, "the CSV loader reads one target column");
  require(data.input_names.size() == static_cast<size_t>(data.num_inputs()), "one name per input column");
  require(data.target_names.size() == static_cast<size_t>(data.num_targets()), "one name per target column");
  std::set<std::string> names(data.input_names.begin(), data.input_names.end());
  names.insert(data.target_names.begin(), data.target_names.end());
  require(names.size() == data.input_names.size() + data.target_names.size(), "column names are distinct");
  require(names.count("") == 0, "column names are not empty");
  require(data.inputs.allFinite(), "accepted inputs are finite");
  require(data.targets.allFinite(), "accepted targets are finite");
}

void check_standardization(const Eigen::MatrixXd& data) {
  try {
    const curvature::Standardization s = curvature::Standardization::fit(data);
    require(s.mean.size() == data.cols() && s.scale.size() == data.cols(), "one statistic per column");
    require(s.mean.allFinite() && s.scale.allFinite(), "statistics are finite");
    require((s.scale.array() > 0.0).all(), "scales are positive");
    require(s.apply(data).allFinite(), "standardized values are finite");
  } catch (const curvature::Error&) {
    // A column that cannot be standardized is refused by name: allowed.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  curvature::CsvOptions options;
  const std::uint8_t choice = bytes[0];
  if (choice & 1) options.target_column = "y";
  if (choice & 2) options.input_divisor = 16.0;
  if (choice & 4) options.input_divisor = 1e-300;  // large inputs overflow to inf unless refused
  std::istringstream in(std::string(reinterpret_cast<const char*>(bytes) + 1, size - 1));
  curvature::Dataset data;
  try {
    data = curvature::read_csv_dataset(in, "fuzz.csv", options);
  } catch (const curvature::Error&) {
    return 0;
  }
  check_dataset(data);
  check_standardization(data.inputs);
  check_standardization(data.targets);
  return 0;
}
