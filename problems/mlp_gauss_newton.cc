// The generalized Gauss-Newton operator of MlpCrossEntropyObjective (see
// mlp_cross_entropy.h): J^T H J applied by forward- and reverse-mode passes,
// or formed densely from explicit logit Jacobians.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <vector>

#include "mlp_cross_entropy_state.h"

namespace curvature::internal::mlp {
namespace {

// The generalized Gauss-Newton operator at one point: the activations,
// derivatives and softmax probabilities of every sample, stored at
// construction, and the parameters.
class GaussNewtonOperator final : public HessianOperator {
 public:
  using State = internal::MlpCrossEntropyState;

  GaussNewtonOperator(std::shared_ptr<const State> state, const Eigen::VectorXd& x) : state_(std::move(state)), x_(x) {
    const Shape& shape = state_->shape;
    const int layers = shape.layers();
    a_.resize(static_cast<size_t>(layers) + 1);
    d_.resize(static_cast<size_t>(layers) + 1);
    for (int l = 1; l <= layers; ++l) {
      a_[static_cast<size_t>(l)].resize(shape.sizes[l], state_->samples);
      d_[static_cast<size_t>(l)].resize(shape.sizes[l], state_->samples);
    }
    p_.resize(shape.outputs(), state_->samples);
    const std::vector<const double*> blocks = state_->const_blocks(x_.data());
    for_each_chunk(state_->samples, state_->chunk, [&](int start, int count) {
      const Pointers ptr = pointers(start);
      forward(shape, blocks.data(), state_->input(start), count, ptr.a.data(), ptr.d.data());
      softmax_cross_entropy(
          ConstMatrixMap(ptr.a[layers], shape.outputs(), count), state_->targets.middleCols(start, count),
          MatrixMap(p_.data() + static_cast<std::ptrdiff_t>(start) * shape.outputs(), shape.outputs(), count));
    });
  }

  int size() const override { return state_->n(); }

  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override {
    if (v.size() != size())
      throw Error("MlpCrossEntropyObjective: Gauss-Newton product with a vector of the wrong size");
    const Shape& shape = state_->shape;
    const int k = shape.outputs();
    const double inverse_n = 1.0 / state_->samples;
    y->setZero(size());
    const std::vector<const double*> blocks = state_->const_blocks(x_.data());
    const std::vector<const double*> directions = state_->const_blocks(v.data());
    const std::vector<double*> outputs = state_->blocks(y->data());
    const size_t per_buffer = static_cast<size_t>(shape.widest()) * static_cast<size_t>(state_->chunk);
    buffer_.resize(3 * per_buffer);
    double* b0 = buffer_.data();
    double* b1 = b0 + per_buffer;
    double* b2 = b1 + per_buffer;
    for_each_chunk(state_->samples, state_->chunk, [&](int start, int count) {
      const Pointers ptr = pointers(start);
      // J v: the logits' directional derivative, into b2.
      forward_directional(shape, blocks.data(), directions.data(), state_->input(start), count, ptr.a.data(),
                          ptr.d.data(), b0, b1, b2);
      // u = H (J v) / N with H = diag(p) - p p^T, column by column.
      MatrixMap u(b2, k, count);
      const ConstMatrixMap p(p_.data() + static_cast<std::ptrdiff_t>(start) * k, k, count);
      const Eigen::RowVectorXd projection = (p.array() * u.array()).colwise().sum();
      u = (p.array() * (u.array().rowwise() - projection.array())).matrix() * inverse_n;
      // J^T u by backpropagation.
      backward_gradient(shape, blocks.data(), state_->input(start), count, ptr.a.data(), ptr.d.data(), b2, b0,
                        outputs.data());
    });
    add_penalty(v, y);
  }

  bool dense(Eigen::MatrixXd* hessian) const override {
    const int n = size();
    if (n > state_->options.max_dense_parameters) return false;
    const Shape& shape = state_->shape;
    const int k = shape.outputs();
    const int layers = shape.layers();
    // Explicit logit Jacobians of sub-chunks small enough that one
    // (B K) x n matrix stays near 16 MB.
    const int sub = std::max(1, std::min(state_->chunk, (1 << 21) / std::max(1, k * n)));
    hessian->setZero(n, n);
    RowMajorMatrix jacobian;
    Eigen::MatrixXd q;
    std::vector<int> strides(static_cast<size_t>(layers), n);
    const std::vector<const double*> blocks = state_->const_blocks(x_.data());
    const double inverse_n = 1.0 / state_->samples;
    for_each_chunk(state_->samples, sub, [&](int start, int count) {
      const Pointers ptr = pointers(start);
      jacobian.resize(static_cast<Eigen::Index>(count) * k, n);
      std::vector<double*> columns;
      for (int l = 1; l <= layers; ++l)
        columns.push_back(jacobian.data() + state_->offsets[static_cast<size_t>(l - 1)]);
      const size_t per_buffer = static_cast<size_t>(shape.widest()) * static_cast<size_t>(count) * k;
      buffer_.resize(2 * per_buffer);
      // The output layer is linear, so d[L] = 1 and these are d z_L / d x.
      output_jacobians(shape, blocks.data(), state_->input(start), count, ptr.a.data(), ptr.d.data(), buffer_.data(),
                       buffer_.data() + per_buffer, columns.data(), strides.data());
      const ConstMatrixMap p(p_.data() + static_cast<std::ptrdiff_t>(start) * k, k, count);
      // J^T (diag p - p p^T) J = (diag(sqrt p) J)^T (diag(sqrt p) J) - (J^T p)(J^T p)^T, per sample.
      q.resize(count, n);
      for (int s = 0; s < count; ++s) {
        q.row(s).noalias() = p.col(s).transpose() * jacobian.middleRows(static_cast<Eigen::Index>(s) * k, k);
      }
      for (int s = 0; s < count; ++s) {
        for (int o = 0; o < k; ++o) jacobian.row(static_cast<Eigen::Index>(s) * k + o) *= std::sqrt(p(o, s));
      }
      hessian->selfadjointView<Eigen::Lower>().rankUpdate(jacobian.transpose(), inverse_n);
      hessian->selfadjointView<Eigen::Lower>().rankUpdate(q.transpose(), -inverse_n);
    });
    hessian->triangularView<Eigen::StrictlyUpper>() = hessian->transpose();
    const double lambda = state_->options.l2_weight;
    if (lambda != 0.0) {
      for (int l = 1; l <= layers; ++l) {
        const int offset = state_->offsets[static_cast<size_t>(l - 1)];
        hessian->diagonal().segment(offset, shape.weight_count(l)).array() += lambda;
      }
    }
    return true;
  }

 private:
  struct Pointers {
    std::vector<double*> a, d;  // index 1..L
  };
  // The chunk starting at sample `start` of the stored matrices.
  Pointers pointers(int start) const {
    Pointers out;
    out.a.push_back(nullptr);
    out.d.push_back(nullptr);
    for (int l = 1; l <= state_->shape.layers(); ++l) {
      const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(start) * state_->shape.sizes[l];
      out.a.push_back(const_cast<double*>(a_[static_cast<size_t>(l)].data()) + offset);
      out.d.push_back(const_cast<double*>(d_[static_cast<size_t>(l)].data()) + offset);
    }
    return out;
  }
  void add_penalty(const Eigen::VectorXd& v, Eigen::VectorXd* y) const {
    const double lambda = state_->options.l2_weight;
    if (lambda == 0.0) return;
    for (int l = 1; l <= state_->shape.layers(); ++l) {
      const int offset = state_->offsets[static_cast<size_t>(l - 1)];
      const int count = state_->shape.weight_count(l);
      y->segment(offset, count) += lambda * v.segment(offset, count);
    }
  }

  std::shared_ptr<const State> state_;
  Eigen::VectorXd x_;
  std::vector<Eigen::MatrixXd> a_, d_;  // n_l x N, index 1..L
  Eigen::MatrixXd p_;                   // K x N
  mutable std::vector<double> buffer_;  // products' scratch; one operator serves one thread
};

}  // namespace

std::unique_ptr<HessianOperator> make_gauss_newton_operator(std::shared_ptr<const MlpCrossEntropyState> state,
                                                            const Eigen::VectorXd& x) {
  return std::make_unique<GaussNewtonOperator>(std::move(state), x);
}

}  // namespace curvature::internal::mlp
