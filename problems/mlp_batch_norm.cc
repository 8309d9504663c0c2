#include "mlp_batch_norm.h"

#include <string>
#include <utility>

#include "curvature/error.h"
#include "mlp_kernels.h"

namespace curvature {
namespace {

using internal::mlp::activate;
using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace

Eigen::MatrixXd batch_norm_inference(const MlpOptions& network, const Eigen::VectorXd& x,
                                     const BatchNormStatistics& statistics, double epsilon,
                                     const Eigen::MatrixXd& inputs) {
  const std::string where = "batch_norm_inference: ";
  validate(network);
  const std::vector<int>& sizes = network.layer_sizes;
  const int layers = static_cast<int>(sizes.size()) - 1;
  const Mlp mlp(network);
  int count = mlp.num_parameters();
  for (int l = 1; l < layers; ++l) count += 2 * sizes[static_cast<size_t>(l)];
  if (x.size() != count) {
    throw Error(where + "x has " + std::to_string(x.size()) + " entries, the network with batch norm " +
                std::to_string(count) + " parameters");
  }
  if (inputs.cols() != sizes.front()) {
    throw Error(where + "the inputs have " + std::to_string(inputs.cols()) + " columns, the network " +
                std::to_string(sizes.front()) + " inputs");
  }
  if (statistics.mean.size() != static_cast<size_t>(layers - 1) ||
      statistics.variance.size() != static_cast<size_t>(layers - 1)) {
    throw Error(where + "expected statistics for " + std::to_string(layers - 1) + " hidden layers");
  }
  // The same expressions, in the same order, as MlpLayerObjective::forward()
  // with given statistics: the same bits.
  Eigen::MatrixXd a = inputs.transpose();
  int bn_offset = mlp.num_parameters();
  for (int l = 1; l <= layers; ++l) {
    const size_t i = static_cast<size_t>(l);
    const int n = sizes[i], m = sizes[i - 1];
    const int offset = mlp.layer_offset(l);
    const Eigen::Map<const RowMajor> w(x.data() + offset, n, m);
    const auto bias = x.segment(offset + n * m, n);
    Eigen::MatrixXd z = w * a;
    z.colwise() += bias;
    if (l == layers) return z.transpose();
    const Eigen::VectorXd& mean = statistics.mean[i - 1];
    const Eigen::VectorXd& variance = statistics.variance[i - 1];
    if (mean.size() != n || variance.size() != n) {
      throw Error(where + "hidden layer " + std::to_string(l) + " has " + std::to_string(n) +
                  " units, its statistics " + std::to_string(mean.size()) + " means and " +
                  std::to_string(variance.size()) + " variances");
    }
    const Eigen::VectorXd inverse_sigma = (variance.array() + epsilon).rsqrt();
    const Eigen::MatrixXd zhat = ((z.colwise() - mean).array().colwise() * inverse_sigma.array()).matrix();
    const auto gamma = x.segment(bn_offset, n).array();
    const auto beta = x.segment(bn_offset + n, n).array();
    bn_offset += 2 * n;
    z = ((zhat.array().colwise() * gamma).colwise() + beta).matrix();
    Eigen::MatrixXd fprime(n, z.cols());
    activate(network.hidden_activation, z.data(), fprime.data(), z.size());
    a = std::move(z);
  }
  return a.transpose();  // not reached: the output layer returns above
}

}  // namespace curvature
