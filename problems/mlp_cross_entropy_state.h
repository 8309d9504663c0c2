// mlp_cross_entropy_state.h — what MlpCrossEntropyObjective and its
// generalized Gauss-Newton operator share: the network's shape, the data as
// columns, the targets as distributions, and the softmax. Internal to
// problems/.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "curvature/objective.h"
#include "mlp_cross_entropy.h"
#include "mlp_kernels.h"

namespace curvature::internal {

struct MlpCrossEntropyState {
  mlp::Shape shape;
  MlpCrossEntropyOptions options;
  int chunk = 0;
  int samples = 0;
  std::vector<int> offsets;  // layer block offsets in x, offsets[l - 1]; back() = n
  Eigen::MatrixXd inputs;    // n_0 x N
  Eigen::MatrixXd targets;   // K x N, each column a distribution summing to 1

  int n() const { return offsets.back(); }
  std::vector<const double*> const_blocks(const double* x) const {
    std::vector<const double*> out;
    for (int l = 1; l <= shape.layers(); ++l) out.push_back(x + offsets[static_cast<size_t>(l - 1)]);
    return out;
  }
  std::vector<double*> blocks(double* x) const {
    std::vector<double*> out;
    for (int l = 1; l <= shape.layers(); ++l) out.push_back(x + offsets[static_cast<size_t>(l - 1)]);
    return out;
  }
  const double* input(int start) const { return inputs.data() + static_cast<std::ptrdiff_t>(start) * shape.sizes[0]; }
  void check(const Eigen::VectorXd& x, const char* where) const {
    if (x.size() != n()) {
      throw Error(std::string("MlpCrossEntropyObjective::") + where + ": x has " + std::to_string(x.size()) +
                  " entries, the network " + std::to_string(n()) + " parameters");
    }
  }
  // lambda / 2 |W|^2 and, when gradient is not null, lambda W added to it.
  double penalty(const Eigen::VectorXd& x, Eigen::VectorXd* gradient) const {
    const double lambda = options.l2_weight;
    if (lambda == 0.0) return 0.0;
    double sum = 0.0;
    for (int l = 1; l <= shape.layers(); ++l) {
      const auto w = x.segment(offsets[static_cast<size_t>(l - 1)], shape.weight_count(l));
      sum += w.squaredNorm();
      if (gradient) gradient->segment(offsets[static_cast<size_t>(l - 1)], shape.weight_count(l)) += lambda * w;
    }
    return 0.5 * lambda * sum;
  }
};

namespace mlp {

// Softmax probabilities of each column of `logits` (K x B) into `p`, and the
// sum over columns of the cross-entropy logsumexp(z) - t^T z.
double softmax_cross_entropy(ConstMatrixMap logits, const Eigen::Ref<const Eigen::MatrixXd>& targets, MatrixMap p);

// The generalized Gauss-Newton operator of the objective at x
// (mlp_gauss_newton.cc): one forward pass over all samples, stored.
std::unique_ptr<HessianOperator> make_gauss_newton_operator(std::shared_ptr<const MlpCrossEntropyState> state,
                                                            const Eigen::VectorXd& x);

}  // namespace mlp
}  // namespace curvature::internal
