#include "class_labels.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "curvature/error.h"

namespace curvature {
namespace {

// "digits.csv, line 12": where sample `row` of `data` came from.
std::string location(const Dataset& data, int row) {
  const std::string source = data.source.empty() ? std::string("the data") : data.source;
  if (static_cast<size_t>(row) < data.lines.size()) {
    return source + ", line " + std::to_string(data.lines[static_cast<size_t>(row)]);
  }
  return source + ", sample " + std::to_string(row + 1);
}

std::string target_name(const Dataset& data) {
  return data.target_names.empty() ? std::string("target") : "\"" + data.target_names.front() + "\"";
}

void require_one_column(const Dataset& data, const char* where) {
  if (data.num_targets() != 1) {
    throw Error(std::string(where) + ": " + (data.source.empty() ? std::string("the data") : data.source) + " has " +
                std::to_string(data.num_targets()) + " target columns; class labels are one column");
  }
}

}  // namespace

std::vector<double> find_classes(const Dataset& train) {
  require_one_column(train, "find_classes");
  std::set<double> distinct;
  for (int r = 0; r < train.num_samples(); ++r) {
    const double label = train.targets(r, 0);
    if (label != std::floor(label) || std::abs(label) > 1e15) {
      throw Error(location(train, r) + ": the class label (column " + target_name(train) + ") " + to_decimal(label) +
                  " is not a whole number; class labels are integers (for a numeric target, use --loss mse)");
    }
    distinct.insert(label == 0.0 ? 0.0 : label);  // -0 and 0 are one class
  }
  const int count = static_cast<int>(distinct.size());
  const std::string source = train.source.empty() ? std::string("the data") : train.source;
  if (count < 2) {
    throw Error(source + ": the class labels (column " + target_name(train) + ") take " + std::to_string(count) +
                " value; a classification needs at least two classes");
  }
  if (count > kMaxClasses || count * kMinSamplesPerClass > train.num_samples()) {
    throw Error(source + ": the target column " + target_name(train) + " has " + std::to_string(count) +
                " distinct values in " + std::to_string(train.num_samples()) +
                " rows: it looks like a regression target, not class labels (at most " + std::to_string(kMaxClasses) +
                " classes with at least " + std::to_string(kMinSamplesPerClass) +
                " rows each on average); use --loss mse to fit it as a number");
  }
  return {distinct.begin(), distinct.end()};
}

bool classes_are_indices(const std::vector<double>& classes) {
  for (size_t k = 0; k < classes.size(); ++k) {
    if (classes[k] != static_cast<double>(k)) return false;
  }
  return true;
}

void encode_classes(Dataset* data, const std::vector<double>& classes) {
  if (data == nullptr) throw Error("encode_classes: the data set is null");
  require_one_column(*data, "encode_classes");
  // Into a copy first: on an error the data are left as they were.
  Eigen::MatrixXd indices = data->targets;
  for (int r = 0; r < data->num_samples(); ++r) {
    const double label = data->targets(r, 0);
    const auto it = std::lower_bound(classes.begin(), classes.end(), label);
    if (it == classes.end() || *it != label) {
      std::string known;
      for (size_t k = 0; k < classes.size() && k < 12; ++k) known += (k ? ", " : "") + to_decimal(classes[k]);
      if (classes.size() > 12) known += ", ...";
      throw Error(location(*data, r) + ": the class label (column " + target_name(*data) + ") " + to_decimal(label) +
                  (label != std::floor(label) ? " is not a whole number" : " is not a class of the training data") +
                  " (classes: " + known + ")");
    }
    indices(r, 0) = static_cast<double>(it - classes.begin());
  }
  data->targets = std::move(indices);
}

}  // namespace curvature
