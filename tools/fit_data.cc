#include "fit_data.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "class_labels.h"
#include "curvature/error.h"

namespace curvature::tools {
namespace {

// `data` with its input columns in the order of `names` (matched by name).
void order_inputs(Dataset* data, const std::vector<std::string>& names) {
  data->inputs = inputs_by_name(*data, names);
  data->input_names = names;
}

Dataset scaled(Dataset data, const Standardization& inputs, const Standardization& targets) {
  if (inputs.mean.size() != 0) data.inputs = inputs.apply(data.inputs);
  if (targets.mean.size() != 0 && data.num_samples() > 0) data.targets = targets.apply(data.targets);
  return data;
}

}  // namespace

FitData prepare_fit_data(const FitDataOptions& options) {
  if (!options.test_path.empty() && options.test_fraction > 0.0) {
    throw Error("--test and --test-fraction exclude each other");
  }
  CsvOptions csv;
  csv.target_column = options.target.empty() && options.start != nullptr ? options.start->target_name : options.target;
  csv.input_divisor = options.input_divisor;
  Dataset all = load_csv_dataset(options.data_path, csv);
  if (all.num_targets() != 1) throw Error("fit: expected one target column");
  Dataset test;
  if (!options.test_path.empty()) {
    csv.target_column = all.target_names.front();  // the test file's target is the training file's
    test = load_csv_dataset(options.test_path, csv);
  }

  FitData out;
  out.target_name = all.target_names.front();
  out.input_names = options.start != nullptr ? options.start->input_names : all.input_names;
  if (options.start != nullptr && out.target_name != options.start->target_name) {
    throw Error(options.data_path + ": the target column is \"" + out.target_name + "\", the model's \"" +
                options.start->target_name + "\"");
  }
  order_inputs(&all, out.input_names);
  if (test.num_samples() > 0) order_inputs(&test, out.input_names);

  if (options.classification) {
    if (options.start != nullptr) {
      if (!options.start->is_classifier()) throw Error("--loss xent: the model to start from is a regression model");
      out.classes = options.start->classes;
    } else {
      out.classes = find_classes(all);
    }
    encode_classes(&all, out.classes);
    if (test.num_samples() > 0) encode_classes(&test, out.classes);
  } else if (options.start != nullptr && options.start->is_classifier()) {
    throw Error("--loss mse: the model to start from is a classifier (use --loss xent)");
  }

  double validation_fraction = options.validation_fraction;
  if (!options.validation_required && validation_fraction > 0.0) {
    // The largest group the split draws from: the whole data set, or the
    // most frequent class under stratification.
    int largest = all.num_samples();
    if (options.classification) {
      std::map<double, int> counts;
      largest = 0;
      for (int r = 0; r < all.num_samples(); ++r) largest = std::max(largest, ++counts[all.targets(r, 0)]);
    }
    if (std::lround(validation_fraction * largest) < 1) validation_fraction = 0.0;
  }
  DatasetSplit split =
      shuffled_split(all, options.test_fraction, validation_fraction, options.seed, options.classification);
  if (test.num_samples() == 0) test = std::move(split.test);

  if (options.start != nullptr) {
    out.input_scaling = options.start->input_scaling;
    out.target_scaling = options.start->target_scaling;
  } else {
    if (options.standardize_inputs) out.input_scaling = Standardization::fit(split.train.inputs);
    if (!options.classification) out.target_scaling = Standardization::fit(split.train.targets);
  }
  out.train = scaled(std::move(split.train), out.input_scaling, out.target_scaling);
  out.validation = scaled(std::move(split.validation), out.input_scaling, out.target_scaling);
  out.test = scaled(std::move(test), out.input_scaling, out.target_scaling);
  return out;
}

}  // namespace curvature::tools
