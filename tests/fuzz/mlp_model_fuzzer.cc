// Fuzzes the saved-network reader (problems/mlp_model_io.h and the JSON
// reader under it).
//
// For every input: either a curvature::Error, or a model that passes
// validate(), writes back to text that reads to the same model (every
// parameter bit for bit), and predicts an N x n_L matrix for a row of zeros
// (probabilities summing to 1 for a classifier whose logits are finite).
// Anything else (another exception, a sanitizer report, a broken invariant,
// an allocation the file's claimed sizes could force) is a finding.
#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>

#include "curvature/error.h"
#include "fuzz_invariant.h"
#include "mlp_model_io.h"

namespace {

using curvature::fuzz::require;

void check_model(const curvature::MlpModel& model) {
  curvature::validate(model);  // must not throw for a model the reader accepted
  std::stringstream text;
  curvature::write_mlp_model(model, text);
  const curvature::MlpModel again = curvature::read_mlp_model(text, "again.json");
  require(again.parameters.size() == model.parameters.size(), "the parameter count survives a round trip");
  require(std::memcmp(again.parameters.data(), model.parameters.data(), sizeof(double) * model.parameters.size()) == 0,
          "every parameter survives a round trip bit for bit");
  require(again.input_names == model.input_names && again.target_name == model.target_name,
          "the column names survive a round trip");
  require(again.classes == model.classes, "the classes survive a round trip");
  require(again.network.layer_sizes == model.network.layer_sizes, "the layer sizes survive a round trip");
  bool same_batch_norm = again.batch_norm.size() == model.batch_norm.size() &&
                         (model.batch_norm.empty() || again.batch_norm_epsilon == model.batch_norm_epsilon);
  for (size_t l = 0; same_batch_norm && l < model.batch_norm.size(); ++l) {
    const curvature::MlpBatchNormLayer &a = again.batch_norm[l], &b = model.batch_norm[l];
    same_batch_norm = a.scale == b.scale && a.shift == b.shift && a.mean == b.mean && a.variance == b.variance;
  }
  require(same_batch_norm, "the batch-norm layers survive a round trip");

  const Eigen::MatrixXd zeros = Eigen::MatrixXd::Zero(1, static_cast<Eigen::Index>(model.input_names.size()));
  const Eigen::MatrixXd out = curvature::predict(model, zeros);
  require(out.rows() == 1 && out.cols() == model.network.layer_sizes.back(), "one prediction per output");
  if (model.is_classifier() && out.allFinite()) {
    require(std::abs(out.sum() - 1.0) < 1e-9, "class probabilities sum to 1");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(bytes), size));
  curvature::MlpModel model;
  try {
    model = curvature::read_mlp_model(in, "fuzz.json");
  } catch (const curvature::Error&) {
    return 0;
  }
  check_model(model);
  return 0;
}
