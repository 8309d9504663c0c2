#include "mlp_model_io.h"

#include <cmath>
#include <fstream>
#include <istream>
#include <ostream>
#include <set>
#include <sstream>

#include "curvature/error.h"
#include "curvature/version.h"
#include "json_string.h"
#include "json_value.h"
#include "mlp_metrics.h"

namespace curvature {
namespace {

using internal::JsonValue;

constexpr const char* kFormat = "curvature-mlp";
constexpr int kFormatVersion = 1;

std::string quoted(const std::string& text) { return internal::json_quoted(text); }

template <typename Range>
std::string number_array(const Range& values) {
  std::string out = "[";
  bool first = true;
  for (const double value : values) {
    if (!first) out += ", ";
    out += to_decimal(value);
    first = false;
  }
  return out + "]";
}

std::string scaling_json(const Standardization& s) {
  if (s.mean.size() == 0) return "null";
  return "{\"mean\": " + number_array(s.mean) + ", \"scale\": " + number_array(s.scale) + "}";
}

Activation activation_named(const std::string& name, const std::string& where) {
  for (Activation a :
       {Activation::kTanh, Activation::kRelu, Activation::kSigmoid, Activation::kSoftplus, Activation::kLinear}) {
    if (name == to_string(a)) return a;
  }
  throw Error(where + ": unknown activation \"" + name + "\"");
}

std::vector<double> numbers_of(const JsonValue& value, const std::string& where) {
  std::vector<double> out;
  const auto& items = value.array(where);
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) out.push_back(items[i].number(where + "[" + std::to_string(i) + "]"));
  return out;
}

Eigen::RowVectorXd row_of(const std::vector<double>& values) {
  return Eigen::Map<const Eigen::RowVectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
}

Standardization scaling_of(const JsonValue& value, const std::string& where) {
  Standardization s;
  if (value.is_null()) return s;
  s.mean = row_of(numbers_of(value.member("mean", where), where + ".mean"));
  s.scale = row_of(numbers_of(value.member("scale", where), where + ".scale"));
  return s;
}

void check_scaling(const Standardization& s, int size, const std::string& where) {
  if (s.mean.size() == 0 && s.scale.size() == 0) return;
  if (s.mean.size() != size || s.scale.size() != size) {
    throw Error(where + ": expected " + std::to_string(size) + " means and scales, found " +
                std::to_string(s.mean.size()) + " and " + std::to_string(s.scale.size()));
  }
  for (Eigen::Index i = 0; i < size; ++i) {
    if (!std::isfinite(s.mean(i))) throw Error(where + ".mean[" + std::to_string(i) + "] is not finite");
    if (!(s.scale(i) > 0.0) || !std::isfinite(s.scale(i))) {
      throw Error(where + ".scale[" + std::to_string(i) + "] must be positive and finite, got " +
                  to_decimal(s.scale(i)));
    }
  }
}

// An integer count read from a JSON number.
int count_of(const JsonValue& value, const std::string& where) {
  const double x = value.number(where);
  if (x != std::floor(x) || x < 1 || x > 1e9)
    throw Error(where + ": expected a positive whole number, got " + to_decimal(x));
  return static_cast<int>(x);
}

}  // namespace

void validate(const MlpModel& model) {
  const std::string where = "MlpModel";
  validate(model.network);  // layer sizes, and a parameter count that fits in an int
  const std::vector<int>& sizes = model.network.layer_sizes;
  // Counted, not read off an Mlp: building one would allocate the count a
  // corrupted file claims before it is checked against the weights given.
  long long count = 0;
  for (size_t l = 1; l < sizes.size(); ++l) {
    count += static_cast<long long>(sizes[l]) * sizes[l - 1] + sizes[l];
  }
  if (static_cast<long long>(model.parameters.size()) != count) {
    std::string shape;
    for (int n : sizes) shape += (shape.empty() ? "" : "-") + std::to_string(n);
    throw Error(where + "::parameters: the network of layers " + shape + " has " + std::to_string(count) +
                " parameters, the model " + std::to_string(model.parameters.size()));
  }
  for (size_t i = 0; i < model.parameters.size(); ++i) {
    if (!std::isfinite(model.parameters[i])) {
      throw Error(where + "::parameters[" + std::to_string(i) + "] is not finite");
    }
  }
  if (static_cast<int>(model.input_names.size()) != sizes.front()) {
    throw Error(where + "::input_names: the network has " + std::to_string(sizes.front()) +
                " inputs, the model names " + std::to_string(model.input_names.size()));
  }
  std::set<std::string> seen;
  for (const std::string& name : model.input_names) {
    if (!seen.insert(name).second) throw Error(where + "::input_names: \"" + name + "\" appears twice");
  }
  if (!(model.input_divisor > 0.0) || !std::isfinite(model.input_divisor)) {
    throw Error(where + "::input_divisor must be positive and finite, got " + to_decimal(model.input_divisor));
  }
  check_scaling(model.input_scaling, sizes.front(), where + "::input_scaling");
  check_scaling(model.target_scaling, sizes.back(), where + "::target_scaling");
  if (model.is_classifier()) {
    if (static_cast<int>(model.classes.size()) != sizes.back()) {
      throw Error(where + "::classes: the network has " + std::to_string(sizes.back()) + " outputs, the model " +
                  std::to_string(model.classes.size()) + " classes");
    }
    if (sizes.back() < 2) throw Error(where + "::classes: a classifier needs at least two classes");
    for (size_t k = 0; k < model.classes.size(); ++k) {
      if (!std::isfinite(model.classes[k]) || (k > 0 && !(model.classes[k] > model.classes[k - 1]))) {
        throw Error(where + "::classes must be finite and increasing (classes[" + std::to_string(k) +
                    "] = " + to_decimal(model.classes[k]) + ")");
      }
    }
    if (model.network.output_activation != Activation::kLinear) {
      throw Error(where + ": a classifier's output activation must be linear (its outputs are logits)");
    }
    if (model.target_scaling.mean.size() != 0) throw Error(where + ": a classifier has no target scaling");
  }
}

Mlp network_of(const MlpModel& model) {
  MlpOptions options;
  options.layer_sizes = model.network.layer_sizes;
  options.hidden_activation = model.network.hidden_activation;
  options.output_activation = model.network.output_activation;
  Mlp mlp(options);
  mlp.set_parameters(
      Eigen::Map<const Eigen::VectorXd>(model.parameters.data(), static_cast<Eigen::Index>(model.parameters.size())));
  return mlp;
}

void write_mlp_model(const MlpModel& model, std::ostream& out) {
  validate(model);
  std::string names;
  for (const std::string& name : model.input_names) names += (names.empty() ? "" : ", ") + quoted(name);
  std::string sizes;
  for (int n : model.network.layer_sizes) sizes += (sizes.empty() ? "" : ", ") + std::to_string(n);
  out << "{\n"
      << "  \"format\": " << quoted(kFormat) << ",\n"
      << "  \"format_version\": " << kFormatVersion << ",\n"
      << "  \"curvature_version\": " << quoted(kVersionString) << ",\n"
      << "  \"task\": " << quoted(model.is_classifier() ? "classification" : "regression") << ",\n"
      << "  \"layer_sizes\": [" << sizes << "],\n"
      << "  \"hidden_activation\": " << quoted(to_string(model.network.hidden_activation)) << ",\n"
      << "  \"output_activation\": " << quoted(to_string(model.network.output_activation)) << ",\n"
      << "  \"inputs\": [" << names << "],\n"
      << "  \"target\": " << quoted(model.target_name) << ",\n"
      << "  \"input_divisor\": " << to_decimal(model.input_divisor) << ",\n"
      << "  \"input_scaling\": " << scaling_json(model.input_scaling) << ",\n"
      << "  \"target_scaling\": " << scaling_json(model.target_scaling) << ",\n"
      << "  \"classes\": " << number_array(model.classes) << ",\n"
      << "  \"parameters\": " << number_array(model.parameters) << "\n"
      << "}\n";
}

void save_mlp_model(const MlpModel& model, const std::string& path) {
  validate(model);
  std::ofstream out(path);
  if (!out) throw Error("save_mlp_model: cannot write '" + path + "'");
  write_mlp_model(model, out);
  out.flush();
  if (!out) throw Error("save_mlp_model: cannot write '" + path + "'");
}

MlpModel read_mlp_model(std::istream& in, const std::string& source) {
  std::stringstream buffer;
  buffer << in.rdbuf();
  const JsonValue root = JsonValue::parse(buffer.str(), source);
  const std::string where = source;
  if (root.kind() != JsonValue::Kind::kObject) throw Error(where + ": not a JSON object");
  if (!root.has_member("format") || root.member("format", where).kind() != JsonValue::Kind::kString ||
      root.member("format", where).string(where) != kFormat) {
    throw Error(where + ": not a curvature network (\"format\" is not \"" + kFormat + "\")");
  }
  const double version = root.member("format_version", where).number(where + ": format_version");
  if (version != kFormatVersion) {
    throw Error(where + ": format_version " + to_decimal(version) + " is not known to this curvature (" +
                kVersionString + " reads " + std::to_string(kFormatVersion) + ")");
  }
  auto field = [&](const char* key) -> const JsonValue& { return root.member(key, where); };
  auto named = [&](const char* key) { return where + ": \"" + key + "\""; };

  MlpModel model;
  model.curvature_version = field("curvature_version").string(named("curvature_version"));
  const std::string task = field("task").string(named("task"));
  if (task != "regression" && task != "classification") {
    throw Error(named("task") + " must be \"regression\" or \"classification\", got \"" + task + "\"");
  }
  const auto& sizes = field("layer_sizes").array(named("layer_sizes"));
  for (size_t i = 0; i < sizes.size(); ++i) {
    model.network.layer_sizes.push_back(count_of(sizes[i], named("layer_sizes") + "[" + std::to_string(i) + "]"));
  }
  model.network.hidden_activation =
      activation_named(field("hidden_activation").string(named("hidden_activation")), named("hidden_activation"));
  model.network.output_activation =
      activation_named(field("output_activation").string(named("output_activation")), named("output_activation"));
  const auto& inputs = field("inputs").array(named("inputs"));
  for (size_t i = 0; i < inputs.size(); ++i) {
    model.input_names.push_back(inputs[i].string(named("inputs") + "[" + std::to_string(i) + "]"));
  }
  model.target_name = field("target").string(named("target"));
  model.input_divisor = field("input_divisor").number(named("input_divisor"));
  model.input_scaling = scaling_of(field("input_scaling"), named("input_scaling"));
  model.target_scaling = scaling_of(field("target_scaling"), named("target_scaling"));
  model.classes = numbers_of(field("classes"), named("classes"));
  model.parameters = numbers_of(field("parameters"), named("parameters"));
  if ((task == "classification") != model.is_classifier()) {
    throw Error(named("task") + " is \"" + task + "\" but \"classes\" " +
                (model.is_classifier() ? "lists classes" : "is empty"));
  }
  try {
    validate(model);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return model;
}

MlpModel load_mlp_model(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("load_mlp_model: " + path + ": cannot open the file");
  return read_mlp_model(in, path);
}

Eigen::MatrixXd model_inputs(const MlpModel& model, const Dataset& data) {
  return inputs_by_name(data, model.input_names);
}

Eigen::MatrixXd predict(const MlpModel& model, const Eigen::MatrixXd& raw_inputs) {
  if (raw_inputs.cols() != static_cast<Eigen::Index>(model.input_names.size())) {
    throw Error("predict: the model has " + std::to_string(model.input_names.size()) + " inputs, the data " +
                std::to_string(raw_inputs.cols()) + " columns");
  }
  // A division, as load_csv_dataset() divides: the same bits as in training.
  Eigen::MatrixXd inputs = model.input_divisor == 1.0 ? raw_inputs : Eigen::MatrixXd(raw_inputs / model.input_divisor);
  if (model.input_scaling.mean.size() != 0) inputs = model.input_scaling.apply(inputs);
  Eigen::MatrixXd outputs = predict(network_of(model), inputs);
  if (model.is_classifier()) {
    // Softmax row by row, shifted by the row's largest logit so that exp()
    // cannot overflow.
    for (Eigen::Index r = 0; r < outputs.rows(); ++r) {
      const double largest = outputs.row(r).maxCoeff();
      outputs.row(r) = (outputs.row(r).array() - largest).exp().matrix();
      outputs.row(r) /= outputs.row(r).sum();
    }
    return outputs;
  }
  if (model.target_scaling.mean.size() != 0) outputs = model.target_scaling.invert(outputs);
  return outputs;
}

std::vector<double> predicted_labels(const MlpModel& model, const Eigen::MatrixXd& probabilities) {
  if (!model.is_classifier()) throw Error("predicted_labels: the model is not a classifier");
  if (probabilities.cols() != static_cast<Eigen::Index>(model.classes.size())) {
    throw Error("predicted_labels: expected " + std::to_string(model.classes.size()) + " columns, got " +
                std::to_string(probabilities.cols()));
  }
  std::vector<double> labels;
  labels.reserve(static_cast<size_t>(probabilities.rows()));
  for (Eigen::Index r = 0; r < probabilities.rows(); ++r) {
    Eigen::Index best = 0;
    probabilities.row(r).maxCoeff(&best);  // the first largest
    labels.push_back(model.classes[static_cast<size_t>(best)]);
  }
  return labels;
}

void check_architecture(const MlpModel& model, const MlpOptions& options) {
  auto shape = [](const std::vector<int>& sizes) {
    std::string s;
    for (int n : sizes) s += (s.empty() ? "" : "-") + std::to_string(n);
    return s;
  };
  if (options.layer_sizes != model.network.layer_sizes) {
    throw Error("the model's network is " + shape(model.network.layer_sizes) + ", the one asked for " +
                shape(options.layer_sizes));
  }
  if (options.hidden_activation != model.network.hidden_activation) {
    throw Error(std::string("the model's hidden activation is ") + to_string(model.network.hidden_activation) +
                ", the one asked for " + to_string(options.hidden_activation));
  }
  if (options.output_activation != model.network.output_activation) {
    throw Error(std::string("the model's output activation is ") + to_string(model.network.output_activation) +
                ", the one asked for " + to_string(options.output_activation));
  }
}

}  // namespace curvature
