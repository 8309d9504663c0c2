// curv predict: applies a model saved by `curv fit --save` to a CSV file,
// matching the file's columns to the model's inputs by name, and writes one
// row per sample: the predicted value (regression) or the class
// probabilities and the predicted label (classification). A column named
// as the model's target is read as the truth and scored.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "cli_checks.h"
#include "commands.h"
#include "csv_dataset.h"
#include "curvature/error.h"
#include "mlp_model_io.h"

namespace curvature::tools {
namespace {

struct PredictArgs {
  std::string model_path;
  std::string data_path;
  std::string out_path;
};

int predict_command(const PredictArgs& args) {
  const MlpModel model = load_mlp_model(args.model_path);
  // The output is opened before anything is computed: a path that cannot be
  // written ends the command at once.
  std::ofstream file;
  if (!args.out_path.empty()) {
    file.open(args.out_path);
    if (!file) throw Error("--out: cannot write '" + args.out_path + "'");
  }
  CsvOptions csv;
  csv.target_column = model.target_name;
  csv.target_optional = true;
  const Dataset data = load_csv_dataset(args.data_path, csv);
  const Eigen::MatrixXd outputs = predict(model, model_inputs(model, data));

  std::string text;
  char number[40];
  auto append = [&](double value) {
    std::snprintf(number, sizeof number, "%.17g", value);
    text += number;
  };
  if (model.is_classifier()) {
    for (double label : model.classes) text += "p_" + to_decimal(label) + ",";
    text += model.target_name + "\n";
    const std::vector<double> labels = predicted_labels(model, outputs);
    for (Eigen::Index r = 0; r < outputs.rows(); ++r) {
      for (Eigen::Index k = 0; k < outputs.cols(); ++k) {
        append(outputs(r, k));
        text += ',';
      }
      text += to_decimal(labels[static_cast<size_t>(r)]) + "\n";
    }
  } else {
    text += model.target_name + "\n";
    for (Eigen::Index r = 0; r < outputs.rows(); ++r) {
      append(outputs(r, 0));
      text += '\n';
    }
  }
  if (file.is_open()) {
    file << text;
    if (!file.flush()) throw Error("--out: cannot write '" + args.out_path + "'");
  } else {
    std::fputs(text.c_str(), stdout);
  }

  // The score, when the file carries the truth: on standard error when the
  // predictions went to standard output, so that they stay a clean CSV.
  std::FILE* report = file.is_open() ? stdout : stderr;
  if (file.is_open()) {
    std::fprintf(report, "predict %s: %d rows with %s -> %s\n", args.data_path.c_str(), data.num_samples(),
                 args.model_path.c_str(), args.out_path.c_str());
  }
  if (data.num_targets() == 1) {
    if (model.is_classifier()) {
      const std::vector<double> labels = predicted_labels(model, outputs);
      int correct = 0;
      for (int r = 0; r < data.num_samples(); ++r) correct += labels[static_cast<size_t>(r)] == data.targets(r, 0);
      std::fprintf(report, "accuracy %.4f (%d of %d)\n", static_cast<double>(correct) / data.num_samples(), correct,
                   data.num_samples());
    } else {
      const double mse = (outputs.col(0) - data.targets.col(0)).squaredNorm() / data.num_samples();
      std::fprintf(report, "MSE %.6e (target units)\n", mse);
    }
  }
  return 0;
}

}  // namespace

void register_predict_command(CLI::App& app, int* exit_status) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* command =
      app.add_subcommand("predict", "Apply a model saved by curv fit --save to a CSV file (columns matched by name)");
  command->add_option("--model", args->model_path, "Model file written by curv fit --save")
      ->required()
      ->type_name("FILE");
  command
      ->add_option("--data", args->data_path,
                   "CSV with the model's input columns (any order; a column named as the target is scored)")
      ->required()
      ->type_name("FILE");
  command
      ->add_option("--out", args->out_path,
                   "Write the predictions as CSV to FILE (default: standard output): the target's value, or one "
                   "probability per class (p_LABEL) and the predicted label")
      ->type_name("FILE");
  command->callback([args, exit_status] { *exit_status = predict_command(*args); });
}

}  // namespace curvature::tools
