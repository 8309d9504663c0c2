#include "mlp_layers.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "mlp_kernels.h"
#include "mlp_metrics.h"

namespace curvature {
namespace {

using internal::mlp::activate;
using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// SplitMix64's finalizer: a well-mixed 64-bit hash of a counter.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Whether dropout keeps unit `unit` of layer `layer` for sample `sample` in
// call `call`: a function of these numbers and the seed alone, so the masks
// do not depend on the order or the thread in which samples are evaluated.
bool keep(std::uint64_t seed, std::uint64_t call, int sample, int layer, int unit, double p) {
  const std::uint64_t h = mix(mix(mix(mix(seed) ^ call) ^ static_cast<std::uint64_t>(sample)) ^
                              (static_cast<std::uint64_t>(layer) << 32 | static_cast<std::uint32_t>(unit)));
  return static_cast<double>(h >> 11) * 0x1.0p-53 >= p;
}

}  // namespace

// One forward pass over a batch (columns), what backward() needs.
struct MlpLayerObjective::Pass {
  std::vector<Eigen::MatrixXd> a;       // a[l], n_l x B (a[0] unused: the inputs)
  std::vector<Eigen::MatrixXd> fprime;  // f'(y_l)
  std::vector<Eigen::MatrixXd> zhat;    // batch norm: the normalized z_l
  std::vector<Eigen::MatrixXd> mask;    // dropout: m_l / (1 - p); empty without
  std::vector<Eigen::VectorXd> mean, inverse_sigma;
  std::vector<Eigen::VectorXd> variance;  // batch statistics only
  bool batch_statistics = true;           // false: mean and inverse_sigma were given
  std::vector<int> samples;               // the samples' indices (dropout masks)
};

MlpLayerObjective::MlpLayerObjective(const MlpOptions& network, const MlpLayerOptions& layers, MlpLoss loss,
                                     const Dataset& data, int num_training)
    : network_(network), layers_(layers), loss_(loss) {
  const std::string where = "MlpLayerObjective: ";
  validate(network);
  if (network.output_activation != Activation::kLinear) {
    throw Error(where + "the output activation must be linear, got " + to_string(network.output_activation));
  }
  if (!(layers.dropout >= 0.0 && layers.dropout < 1.0)) {
    throw Error(where + "MlpLayerOptions::dropout must be in [0, 1), got " + std::to_string(layers.dropout));
  }
  if (!(layers.epsilon > 0.0) || !std::isfinite(layers.epsilon)) {
    throw Error(where + "MlpLayerOptions::epsilon must be positive and finite, got " + std::to_string(layers.epsilon));
  }
  const int k = network.layer_sizes.back();
  if (data.num_samples() < 1 || data.num_inputs() != network.layer_sizes.front() ||
      data.targets.rows() != data.inputs.rows()) {
    throw Error(where + "the data must be non-empty with " + std::to_string(network.layer_sizes.front()) +
                " input columns and one target row per input row");
  }
  num_training_ = num_training > 0 ? num_training : data.num_samples();
  if (num_training_ > data.num_samples()) {
    throw Error(where + "num_training " + std::to_string(num_training) + " exceeds the " +
                std::to_string(data.num_samples()) + " samples");
  }
  inputs_ = data.inputs.transpose();
  if (loss == MlpLoss::kCrossEntropy) {
    if (k < 2) throw Error(where + "a softmax needs at least two outputs");
    const std::vector<int> labels = class_labels(data, k);
    targets_.setZero(k, data.num_samples());
    for (int s = 0; s < data.num_samples(); ++s) targets_(labels[static_cast<size_t>(s)], s) = 1.0;
  } else {
    if (data.num_targets() != k) {
      throw Error(where + "the network has " + std::to_string(k) + " outputs, the data " +
                  std::to_string(data.num_targets()) + " target columns");
    }
    targets_ = data.targets.transpose();
  }
  const Mlp mlp(network);
  for (int l = 1; l <= mlp.num_layers(); ++l) offsets_.push_back(mlp.layer_offset(l));
  num_parameters_ = mlp.num_parameters();
  for (int l = 1; l < mlp.num_layers(); ++l) {
    bn_offsets_.push_back(layers.batch_norm ? num_parameters_ : -1);
    if (layers.batch_norm) num_parameters_ += 2 * network.layer_sizes[static_cast<size_t>(l)];
  }
}

Eigen::VectorXd MlpLayerObjective::initial_parameters() const {
  const Mlp mlp(network_);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(num_parameters_);
  x.head(mlp.num_parameters()) = mlp.parameter_vector();
  for (size_t i = 0; i < bn_offsets_.size(); ++i) {
    if (bn_offsets_[i] >= 0) x.segment(bn_offsets_[i], network_.layer_sizes[i + 1]).setOnes();  // gamma
  }
  return x;
}

void MlpLayerObjective::check(const Eigen::VectorXd& x) const {
  if (x.size() != num_parameters_) {
    throw Error("MlpLayerObjective: x has " + std::to_string(x.size()) + " entries, the network " +
                std::to_string(num_parameters_) + " parameters");
  }
}

void MlpLayerObjective::forward(const Eigen::VectorXd& x, const Eigen::MatrixXd& inputs, const Pass* statistics,
                                bool dropout, Pass* pass) const {
  // The masks of this call: numbered by the dropout calls so far.
  const std::uint64_t call = dropout_calls_;
  const std::vector<int>& sizes = network_.layer_sizes;
  const int layers = static_cast<int>(sizes.size()) - 1;
  const Eigen::Index b = inputs.cols();
  pass->a.resize(static_cast<size_t>(layers) + 1);
  pass->fprime.resize(static_cast<size_t>(layers) + 1);
  pass->zhat.resize(static_cast<size_t>(layers) + 1);
  pass->mask.assign(static_cast<size_t>(layers) + 1, Eigen::MatrixXd());
  pass->mean.resize(static_cast<size_t>(layers) + 1);
  pass->inverse_sigma.resize(static_cast<size_t>(layers) + 1);
  pass->variance.resize(static_cast<size_t>(layers) + 1);
  pass->batch_statistics = statistics == nullptr;
  for (int l = 1; l <= layers; ++l) {
    const size_t i = static_cast<size_t>(l);
    const int n = sizes[i], m = sizes[i - 1];
    const Eigen::Map<const RowMajor> w(x.data() + offsets_[i - 1], n, m);
    const auto bias = x.segment(offsets_[i - 1] + n * m, n);
    const Eigen::MatrixXd& previous = l == 1 ? inputs : pass->a[i - 1];
    Eigen::MatrixXd z = w * previous;
    z.colwise() += bias;
    if (l == layers) {
      pass->a[i] = std::move(z);
      continue;
    }
    if (bn_offsets_[i - 1] >= 0) {
      if (statistics) {
        pass->mean[i] = statistics->mean[i];
        pass->inverse_sigma[i] = statistics->inverse_sigma[i];
      } else {
        pass->mean[i] = z.rowwise().mean();
        pass->variance[i] = (z.colwise() - pass->mean[i]).array().square().rowwise().mean();
        pass->inverse_sigma[i] = (pass->variance[i].array() + layers_.epsilon).rsqrt();
      }
      pass->zhat[i] = ((z.colwise() - pass->mean[i]).array().colwise() * pass->inverse_sigma[i].array()).matrix();
      const auto gamma = x.segment(bn_offsets_[i - 1], n).array();
      const auto beta = x.segment(bn_offsets_[i - 1] + n, n).array();
      z = ((pass->zhat[i].array().colwise() * gamma).colwise() + beta).matrix();
    }
    pass->fprime[i].resize(n, b);
    activate(network_.hidden_activation, z.data(), pass->fprime[i].data(), z.size());
    if (dropout) {
      const double p = layers_.dropout;
      Eigen::MatrixXd& mask = pass->mask[i];
      mask.resize(n, b);
      for (Eigen::Index s = 0; s < b; ++s) {
        for (int u = 0; u < n; ++u) {
          mask(u, s) = keep(layers_.seed, call, pass->samples[static_cast<size_t>(s)], l, u, p) ? 1.0 / (1.0 - p) : 0.0;
        }
      }
      z.array() *= mask.array();
    }
    pass->a[i] = std::move(z);
  }
}

double MlpLayerObjective::output_sensitivity(const Pass& pass, const Eigen::MatrixXd& targets,
                                             Eigen::MatrixXd* delta) const {
  const int k = network_.layer_sizes.back();
  const Eigen::MatrixXd& outputs = pass.a.back();
  double loss = 0.0;
  if (loss_ == MlpLoss::kCrossEntropy) {
    delta->resize(k, outputs.cols());
    for (Eigen::Index s = 0; s < outputs.cols(); ++s) {
      const double largest = outputs.col(s).maxCoeff();
      delta->col(s) = (outputs.col(s).array() - largest).exp().matrix();
      const double sum = delta->col(s).sum();
      delta->col(s) /= sum;
      loss += largest + std::log(sum) - targets.col(s).dot(outputs.col(s));
    }
    *delta -= targets;
  } else {
    *delta = (outputs - targets) / k;
    loss = 0.5 * k * delta->squaredNorm();
  }
  return loss;
}

void MlpLayerObjective::backpropagate(const Eigen::VectorXd& x, const Eigen::MatrixXd& inputs, const Pass& pass,
                                      Eigen::MatrixXd delta, Eigen::VectorXd* gradient) const {
  const std::vector<int>& sizes = network_.layer_sizes;
  const int layers = static_cast<int>(sizes.size()) - 1;
  gradient->setZero(num_parameters_);
  for (int l = layers; l >= 1; --l) {
    const size_t i = static_cast<size_t>(l);
    const int n = sizes[i], m = sizes[i - 1];
    if (l < layers) {
      // delta holds dL/da_l: back through dropout, the activation and batch norm to dL/dz_l.
      if (pass.mask[i].size() > 0) delta.array() *= pass.mask[i].array();
      delta.array() *= pass.fprime[i].array();  // dL/dy_l
      if (bn_offsets_[i - 1] >= 0) {
        const Eigen::MatrixXd& zhat = pass.zhat[i];
        const auto gamma = x.segment(bn_offsets_[i - 1], n).array();
        gradient->segment(bn_offsets_[i - 1], n) = (delta.array() * zhat.array()).rowwise().sum().matrix();
        gradient->segment(bn_offsets_[i - 1] + n, n) = delta.rowwise().sum();
        Eigen::ArrayXXd g = delta.array().colwise() * gamma;  // dL/dzhat
        if (pass.batch_statistics) {
          // Through the batch's mean and variance: each sample's z moves them all.
          const Eigen::ArrayXd g_mean = g.rowwise().mean();
          const Eigen::ArrayXd gz_mean = (g * zhat.array()).rowwise().mean();
          g = (g.colwise() - g_mean) - (zhat.array().colwise() * gz_mean);
        }
        delta = (g.colwise() * pass.inverse_sigma[i].array()).matrix();
      }
    }
    const Eigen::MatrixXd& previous = l == 1 ? inputs : pass.a[i - 1];
    Eigen::Map<RowMajor> w_gradient(gradient->data() + offsets_[i - 1], n, m);
    w_gradient.noalias() = delta * previous.transpose();
    gradient->segment(offsets_[i - 1] + n * m, n) = delta.rowwise().sum();
    if (l > 1) {
      const Eigen::Map<const RowMajor> w(x.data() + offsets_[i - 1], n, m);
      delta = w.transpose() * delta;
    }
  }
}

double MlpLayerObjective::backward(const Eigen::VectorXd& x, const Eigen::MatrixXd& inputs,
                                   const Eigen::MatrixXd& targets, Pass& pass, double scale,
                                   Eigen::VectorXd* gradient) const {
  Eigen::MatrixXd delta;
  const double loss = output_sensitivity(pass, targets, &delta);
  if (gradient) backpropagate(x, inputs, pass, delta * scale, gradient);
  return loss;
}

Eigen::MatrixXd MlpLayerObjective::directional(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                               const Eigen::MatrixXd& inputs, const Pass& pass) const {
  const std::vector<int>& sizes = network_.layer_sizes;
  const int layers = static_cast<int>(sizes.size()) - 1;
  Eigen::MatrixXd r_a;  // R a_{l-1}; zero for the inputs
  for (int l = 1; l <= layers; ++l) {
    const size_t i = static_cast<size_t>(l);
    const int n = sizes[i], m = sizes[i - 1];
    const Eigen::Map<const RowMajor> w(x.data() + offsets_[i - 1], n, m);
    const Eigen::Map<const RowMajor> w_direction(v.data() + offsets_[i - 1], n, m);
    const Eigen::MatrixXd& previous = l == 1 ? inputs : pass.a[i - 1];
    Eigen::MatrixXd r_z = w_direction * previous;
    if (l > 1) r_z.noalias() += w * r_a;
    r_z.colwise() += v.segment(offsets_[i - 1] + n * m, n);
    if (l == layers) return r_z;
    if (bn_offsets_[i - 1] >= 0) {
      const Eigen::ArrayXXd& zhat = pass.zhat[i].array();
      const Eigen::ArrayXd inverse = pass.inverse_sigma[i].array();
      Eigen::ArrayXXd r_zhat;
      if (pass.batch_statistics) {
        // R mu = mean(R z); R var = mean(2 (z - mu) (R z - R mu)), z - mu = zhat / inv;
        // R zhat = inv (R z - R mu) - zhat inv^2 R var / 2.
        const Eigen::ArrayXXd centred = r_z.array().colwise() - r_z.array().rowwise().mean();
        const Eigen::ArrayXd r_variance = 2.0 * (zhat * centred).rowwise().mean() / inverse;
        r_zhat = (centred.colwise() * inverse) - (zhat.colwise() * (0.5 * inverse.square() * r_variance));
      } else {
        r_zhat = r_z.array().colwise() * inverse;
      }
      const auto gamma = x.segment(bn_offsets_[i - 1], n).array();
      const auto r_gamma = v.segment(bn_offsets_[i - 1], n).array();
      const auto r_beta = v.segment(bn_offsets_[i - 1] + n, n).array();
      r_z = ((zhat.colwise() * r_gamma + r_zhat.colwise() * gamma).colwise() + r_beta).matrix();
    }
    r_a = (pass.fprime[i].array() * r_z.array()).matrix();
  }
  return r_a;
}

void MlpLayerObjective::training_statistics(const Eigen::VectorXd& x, Pass* pass) const {
  pass->samples.clear();
  forward(x, inputs_.leftCols(num_training_), nullptr, false, pass);
}

bool MlpLayerObjective::evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) {
  check(x);
  if (layers_.dropout > 0.0) {
    throw Error(
        "MlpLayerObjective: dropout draws a new mask at every training step, so the full-batch objective is not one "
        "function of x; train it in minibatches by train() (first-order methods), or set dropout to 0");
  }
  Pass pass;
  training_statistics(x, &pass);
  const double sum = backward(x, inputs_.leftCols(num_training_), targets_.leftCols(num_training_), pass,
                              1.0 / num_training_, gradient);
  *value = sum / num_training_;
  return std::isfinite(*value) && (!gradient || gradient->allFinite());
}

bool MlpLayerObjective::evaluate(std::span<const int> terms, const Eigen::VectorXd& x, double* value,
                                 Eigen::VectorXd* gradient) {
  check(x);
  Eigen::MatrixXd inputs(inputs_.rows(), static_cast<Eigen::Index>(terms.size()));
  Eigen::MatrixXd targets(targets_.rows(), static_cast<Eigen::Index>(terms.size()));
  Pass pass;
  for (size_t j = 0; j < terms.size(); ++j) {
    const int s = terms[j];
    if (s < 0 || s >= num_terms()) {
      throw Error("MlpLayerObjective::evaluate: term " + std::to_string(s) + " is out of range [0, " +
                  std::to_string(num_terms()) + ")");
    }
    inputs.col(static_cast<Eigen::Index>(j)) = inputs_.col(s);
    targets.col(static_cast<Eigen::Index>(j)) = targets_.col(s);
    pass.samples.push_back(s);
  }
  if (gradient) {
    // A training step: the minibatch's own statistics, dropout on with the
    // next masks.
    const bool dropout = layers_.dropout > 0.0;
    if (dropout) ++dropout_calls_;
    forward(x, inputs, nullptr, dropout, &pass);
  } else {
    // Validation or a reported loss: inference.
    Pass statistics;
    training_statistics(x, &statistics);
    forward(x, inputs, &statistics, false, &pass);
  }
  *value = backward(x, inputs, targets, pass, 1.0, gradient);
  return std::isfinite(*value) && (!gradient || gradient->allFinite());
}

// G v = 1/N J^T H J v at one point, on the forward pass stored at
// construction (full-batch statistics).
class MlpLayerObjective::GaussNewton final : public HessianOperator {
 public:
  GaussNewton(const MlpLayerObjective& objective, const Eigen::VectorXd& x) : objective_(objective), x_(x) {
    objective_.training_statistics(x_, &pass_);
    inputs_ = objective_.inputs_.leftCols(objective_.num_training_);
    if (objective_.loss_ == MlpLoss::kCrossEntropy) {
      Eigen::MatrixXd delta;
      objective_.output_sensitivity(pass_, objective_.targets_.leftCols(objective_.num_training_), &delta);
      probabilities_ = delta + objective_.targets_.leftCols(objective_.num_training_);  // p = (p - t) + t
    }
  }
  int size() const override { return objective_.num_parameters_; }
  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override {
    if (v.size() != size()) throw Error("MlpLayerObjective: Gauss-Newton product with a vector of the wrong size");
    Eigen::MatrixXd u = objective_.directional(x_, v, inputs_, pass_);
    if (objective_.loss_ == MlpLoss::kCrossEntropy) {
      // (diag(p) - p p^T) per sample.
      const Eigen::RowVectorXd pu = (probabilities_.array() * u.array()).colwise().sum();
      u = (probabilities_.array() * (u.rowwise() - pu).array()).matrix();
    } else {
      u /= static_cast<double>(objective_.network_.layer_sizes.back());
    }
    u /= static_cast<double>(objective_.num_training_);
    objective_.backpropagate(x_, inputs_, pass_, std::move(u), y);
  }

 private:
  const MlpLayerObjective& objective_;
  Eigen::VectorXd x_;
  Pass pass_;
  Eigen::MatrixXd inputs_;
  Eigen::MatrixXd probabilities_;  // cross-entropy: K x N
};

std::unique_ptr<HessianOperator> MlpLayerObjective::hessian(const Eigen::VectorXd& x) {
  check(x);
  if (layers_.dropout > 0.0) return nullptr;
  return std::make_unique<GaussNewton>(*this, x);
}

Eigen::MatrixXd MlpLayerObjective::training_outputs(const Eigen::VectorXd& x) const {
  check(x);
  Pass pass;
  training_statistics(x, &pass);
  return pass.a.back().transpose();
}

Eigen::MatrixXd MlpLayerObjective::predict(const Eigen::VectorXd& x, const Eigen::MatrixXd& inputs) const {
  check(x);
  if (inputs.cols() != inputs_.rows()) {
    throw Error("MlpLayerObjective::predict: the inputs have " + std::to_string(inputs.cols()) +
                " columns, the network " + std::to_string(inputs_.rows()) + " inputs");
  }
  if (!layers_.batch_norm) {
    Pass pass;
    forward(x, inputs.transpose(), nullptr, false, &pass);
    return pass.a.back().transpose();
  }
  return batch_norm_inference(network_, x, inference_statistics(x), layers_.epsilon, inputs);
}

BatchNormStatistics MlpLayerObjective::inference_statistics(const Eigen::VectorXd& x) const {
  check(x);
  if (!layers_.batch_norm) throw Error("MlpLayerObjective::inference_statistics: the network has no batch norm");
  Pass pass;
  training_statistics(x, &pass);
  BatchNormStatistics statistics;
  for (size_t i = 1; i + 1 < network_.layer_sizes.size(); ++i) {
    statistics.mean.push_back(pass.mean[i]);
    statistics.variance.push_back(pass.variance[i]);
  }
  return statistics;
}

double MlpLayerObjective::loss(const Eigen::VectorXd& x, const Dataset& data) const {
  const Eigen::MatrixXd outputs = predict(x, data.inputs);
  if (loss_ == MlpLoss::kSquaredError)
    return (outputs - data.targets).squaredNorm() / static_cast<double>(outputs.size());
  const std::vector<int> labels = class_labels(data, static_cast<int>(outputs.cols()));
  double sum = 0.0;
  for (Eigen::Index s = 0; s < outputs.rows(); ++s) {
    const double largest = outputs.row(s).maxCoeff();
    sum += largest + std::log((outputs.row(s).array() - largest).exp().sum()) - outputs(s, labels[s]);
  }
  return sum / static_cast<double>(outputs.rows());
}

double MlpLayerObjective::accuracy(const Eigen::VectorXd& x, const Dataset& data) const {
  if (loss_ != MlpLoss::kCrossEntropy) return std::numeric_limits<double>::quiet_NaN();
  const Eigen::MatrixXd outputs = predict(x, data.inputs);
  const std::vector<int> labels = class_labels(data, static_cast<int>(outputs.cols()));
  int correct = 0;
  for (Eigen::Index s = 0; s < outputs.rows(); ++s) {
    Eigen::Index best = 0;
    outputs.row(s).maxCoeff(&best);
    correct += best == labels[static_cast<size_t>(s)];
  }
  return static_cast<double>(correct) / static_cast<double>(outputs.rows());
}

}  // namespace curvature
