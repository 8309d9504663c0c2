// fit_data.h — the data of `curv fit`, made ready for training: files read,
// columns matched by name, class labels checked and encoded, the rows
// shuffled and split (stratified for classification), inputs and targets
// standardized with the training rows' statistics. Everything here runs
// before the command prints anything, so bad data end it with one message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "csv_dataset.h"
#include "mlp_model_io.h"

namespace curvature::tools {

struct FitDataOptions {
  std::string data_path;
  std::string test_path;  // empty: none (or a --test-fraction of data_path)
  std::string target;     // empty: the last column
  double input_divisor = 1.0;
  bool classification = false;
  double test_fraction = 0.0;        // without test_path
  double validation_fraction = 0.0;  // of all the rows
  // The validation fraction was asked for: a split that selects no rows is
  // an error. Otherwise (a default) such a split is dropped: a data set too
  // small for it trains on every row.
  bool validation_required = true;
  std::uint64_t seed = 0;  // of the shuffle
  bool standardize_inputs = true;
  // A model being fine-tuned: its columns, classes and scaling are used as
  // they are (its weights expect them); null: all from the training rows.
  const MlpModel* start = nullptr;
};

struct FitData {
  // Inputs scaled (input_scaling), targets standardized (regression) or
  // class indices 0..K-1 (classification).
  Dataset train, validation, test;
  std::vector<std::string> input_names;  // the network's inputs, in order
  std::string target_name;
  Standardization input_scaling;   // size 0: --no-standardize
  Standardization target_scaling;  // regression
  std::vector<double> classes;     // classification: the label of class k
};

// Throws curvature::Error naming the file, line and value of a bad label,
// the column a test file lacks or has in excess, or the option that cannot
// be met (see fit_data.cc).
FitData prepare_fit_data(const FitDataOptions& options);

}  // namespace curvature::tools
