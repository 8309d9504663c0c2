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
#include "mlp_batch_norm.h"
#include "mlp_metrics.h"

namespace curvature {
namespace {

using internal::JsonValue;

constexpr const char* kFormat = "curvature-mlp";
// 2: "batch_norm" added. Version 1 files (no batch norm) are read too.
constexpr int kFormatVersion = 2;
constexpr int kOldestFormatVersion = 1;

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

std::string batch_norm_json(const MlpModel& model) {
  if (model.batch_norm.empty()) return "null";
  std::string out = "{\"epsilon\": " + to_decimal(model.batch_norm_epsilon) + ", \"layers\": [";
  for (size_t i = 0; i < model.batch_norm.size(); ++i) {
    const MlpBatchNormLayer& layer = model.batch_norm[i];
    out += std::string(i ? ",\n    " : "\n    ") + "{\"scale\": " + number_array(layer.scale) +
           ", \"shift\": " + number_array(layer.shift) + ", \"mean\": " + number_array(layer.mean) +
           ", \"variance\": " + number_array(layer.variance) + "}";
  }
  return out + "]}";
}

void check_batch_norm(const MlpModel& model, const std::string& where) {
  if (model.batch_norm.empty()) return;
  const std::vector<int>& sizes = model.network.layer_sizes;
  const size_t hidden = sizes.size() - 2;
  if (model.batch_norm.size() != hidden) {
    throw Error(where + ": the network has " + std::to_string(hidden) + " hidden layers, the model " +
                std::to_string(model.batch_norm.size()) + " batch-norm layers");
  }
  if (!(model.batch_norm_epsilon > 0.0) || !std::isfinite(model.batch_norm_epsilon)) {
    throw Error(where + ".epsilon must be positive and finite, got " + to_decimal(model.batch_norm_epsilon));
  }
  for (size_t i = 0; i < hidden; ++i) {
    const MlpBatchNormLayer& layer = model.batch_norm[i];
    const size_t n = static_cast<size_t>(sizes[i + 1]);
    const std::string at = where + ".layers[" + std::to_string(i) + "]";
    const std::pair<const char*, const std::vector<double>*> fields[] = {
        {"scale", &layer.scale}, {"shift", &layer.shift}, {"mean", &layer.mean}, {"variance", &layer.variance}};
    for (const auto& [name, values] : fields) {
      if (values->size() != n) {
        throw Error(at + "." + name + ": the layer has " + std::to_string(n) + " units, the model " +
                    std::to_string(values->size()) + " values");
      }
      for (size_t u = 0; u < n; ++u) {
        if (!std::isfinite((*values)[u])) {
          throw Error(at + "." + name + "[" + std::to_string(u) + "] is not finite");
        }
      }
    }
    for (size_t u = 0; u < n; ++u) {
      if (layer.variance[u] < 0.0) {
        throw Error(at + ".variance[" + std::to_string(u) + "] is negative: " + to_decimal(layer.variance[u]));
      }
    }
  }
}

BatchNormStatistics statistics_of(const MlpModel& model) {
  BatchNormStatistics statistics;
  for (const MlpBatchNormLayer& layer : model.batch_norm) {
    statistics.mean.push_back(Eigen::Map<const Eigen::VectorXd>(layer.mean.data(), std::ssize(layer.mean)));
    statistics.variance.push_back(Eigen::Map<const Eigen::VectorXd>(layer.variance.data(), std::ssize(layer.variance)));
  }
  return statistics;
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
    for (int n : sizes) {
      if (!shape.empty()) shape += '-';
      shape += std::to_string(n);
    }
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
  check_batch_norm(model, where + "::batch_norm");
}

std::vector<double> layer_parameters(const MlpModel& model) {
  std::vector<double> x = model.parameters;
  for (const MlpBatchNormLayer& layer : model.batch_norm) {
    x.insert(x.end(), layer.scale.begin(), layer.scale.end());
    x.insert(x.end(), layer.shift.begin(), layer.shift.end());
  }
  return x;
}

Mlp network_of(const MlpModel& model) {
  if (!model.batch_norm.empty()) {
    throw Error(
        "network_of: the model normalizes its hidden layers (batch norm), which an Mlp cannot hold; use predict()");
  }
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
      << "  \"parameters\": " << number_array(model.parameters) << ",\n"
      << "  \"batch_norm\": " << batch_norm_json(model) << "\n"
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
  if (version != std::floor(version) || version < kOldestFormatVersion || version > kFormatVersion) {
    throw Error(where + ": format_version " + to_decimal(version) + " is not known to this curvature (" +
                kVersionString + " reads " + std::to_string(kOldestFormatVersion) + " to " +
                std::to_string(kFormatVersion) + ")");
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
  if (version >= 2 && !field("batch_norm").is_null()) {
    const JsonValue& batch_norm = field("batch_norm");
    const std::string at = named("batch_norm");
    model.batch_norm_epsilon = batch_norm.member("epsilon", at).number(at + ".epsilon");
    const auto& layers = batch_norm.member("layers", at).array(at + ".layers");
    for (size_t i = 0; i < layers.size(); ++i) {
      const std::string layer_at = at + ".layers[" + std::to_string(i) + "]";
      MlpBatchNormLayer layer;
      layer.scale = numbers_of(layers[i].member("scale", layer_at), layer_at + ".scale");
      layer.shift = numbers_of(layers[i].member("shift", layer_at), layer_at + ".shift");
      layer.mean = numbers_of(layers[i].member("mean", layer_at), layer_at + ".mean");
      layer.variance = numbers_of(layers[i].member("variance", layer_at), layer_at + ".variance");
      model.batch_norm.push_back(std::move(layer));
    }
    if (model.batch_norm.empty()) throw Error(at + ".layers is empty (write null for no batch norm)");
  }
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
  Eigen::MatrixXd outputs;
  if (model.batch_norm.empty()) {
    outputs = predict(network_of(model), inputs);
  } else {
    const std::vector<double> x = layer_parameters(model);
    outputs = batch_norm_inference(model.network, Eigen::Map<const Eigen::VectorXd>(x.data(), std::ssize(x)),
                                   statistics_of(model), model.batch_norm_epsilon, inputs);
  }
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
