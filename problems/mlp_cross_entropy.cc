#include "mlp_cross_entropy.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "curvature/error.h"
#include "curvature/thread_pool.h"
#include "mlp_cross_entropy_state.h"
#include "mlp_metrics.h"

namespace curvature {

namespace internal::mlp {

// Softmax probabilities of each column of `logits` (K x B) into `p`, and the
// sum over columns of the cross-entropy logsumexp(z) - t^T z.
double softmax_cross_entropy(ConstMatrixMap logits, const Eigen::Ref<const Eigen::MatrixXd>& targets, MatrixMap p) {
  double loss = 0.0;
  for (Eigen::Index s = 0; s < logits.cols(); ++s) {
    const double top = logits.col(s).maxCoeff();
    p.col(s) = (logits.col(s).array() - top).exp();
    const double sum = p.col(s).sum();
    p.col(s) /= sum;
    loss += top + std::log(sum) - targets.col(s).dot(logits.col(s));
  }
  return loss;
}

}  // namespace internal::mlp

namespace {

using internal::mlp::backward_gradient;
using internal::mlp::columns_of;
using internal::mlp::ConstMatrixMap;
using internal::mlp::for_each_chunk;
using internal::mlp::forward;
using internal::mlp::make_shape;
using internal::mlp::MatrixMap;
using internal::mlp::Scratch;
using internal::mlp::Shape;
using internal::mlp::softmax_cross_entropy;

}  // namespace

MlpCrossEntropyObjective::MlpCrossEntropyObjective(const MlpOptions& network, const Dataset& data,
                                                   const MlpCrossEntropyOptions& options) {
  const std::string where = "MlpCrossEntropyObjective: ";
  validate(network);
  if (network.output_activation != Activation::kLinear) {
    throw Error(where + "the output activation must be linear (the outputs are the softmax logits), got " +
                to_string(network.output_activation));
  }
  const int k = network.layer_sizes.back();
  if (k < 2) throw Error(where + "a softmax needs at least two outputs, the network has " + std::to_string(k));
  if (data.num_samples() < 1 || data.targets.rows() != data.inputs.rows()) {
    throw Error(where + "the data set must be non-empty, with as many target rows as input rows");
  }
  if (data.num_inputs() != network.layer_sizes.front()) {
    throw Error(where + "the network has " + std::to_string(network.layer_sizes.front()) + " inputs, the data " +
                std::to_string(data.num_inputs()) + " input columns");
  }
  if (!(options.l2_weight >= 0.0) || !std::isfinite(options.l2_weight)) {
    throw Error(where + "MlpCrossEntropyOptions::l2_weight must be non-negative and finite, got " +
                std::to_string(options.l2_weight));
  }
  if (options.num_threads < 1) {
    throw Error(where + "MlpCrossEntropyOptions::num_threads must be >= 1, got " + std::to_string(options.num_threads));
  }
  auto state = std::make_shared<internal::MlpCrossEntropyState>();
  state->shape = make_shape(network);
  state->options = options;
  state->chunk = network.chunk_size;
  state->samples = data.num_samples();
  state->offsets.push_back(0);
  for (int l = 1; l <= state->shape.layers(); ++l) {
    state->offsets.push_back(state->offsets.back() + state->shape.block_size(l));
  }
  state->inputs = columns_of(data.inputs);
  state->targets.setZero(k, state->samples);
  if (data.targets.cols() == 1) {
    const std::vector<int> labels = class_labels(data, k);
    for (int s = 0; s < state->samples; ++s) state->targets(labels[static_cast<size_t>(s)], s) = 1.0;
  } else if (data.targets.cols() == k) {
    for (int s = 0; s < state->samples; ++s) {
      const auto row = data.targets.row(s);
      const double sum = row.sum();
      if (row.minCoeff() < 0.0 || !(std::abs(sum - 1.0) <= 1e-9)) {
        throw Error(where + "target row " + std::to_string(s) + " is not a distribution (entries >= 0 summing to 1)");
      }
      // Renormalized so that the loss's gradient p - t is exact.
      state->targets.col(s) = row.transpose() / sum;
    }
  } else {
    throw Error(where + "the targets have " + std::to_string(data.targets.cols()) +
                " columns; expected 1 (labels) or " + std::to_string(k));
  }
  state_ = std::move(state);
  if (options.num_threads > 1) pool_ = std::make_unique<ThreadPool>(options.num_threads);
}

MlpCrossEntropyObjective::~MlpCrossEntropyObjective() = default;

int MlpCrossEntropyObjective::num_parameters() const { return state_->n(); }

bool MlpCrossEntropyObjective::evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) {
  state_->check(x, "evaluate");
  return evaluate_samples(nullptr, 1.0 / state_->samples, 1.0, x, value, gradient);
}

int MlpCrossEntropyObjective::num_terms() const { return state_->samples; }

bool MlpCrossEntropyObjective::evaluate(std::span<const int> terms, const Eigen::VectorXd& x, double* value,
                                        Eigen::VectorXd* gradient) {
  state_->check(x, "evaluate");
  selected_.assign(terms.begin(), terms.end());
  for (int s : selected_) {
    if (s < 0 || s >= state_->samples) {
      throw Error("MlpCrossEntropyObjective::evaluate: term " + std::to_string(s) + " is out of range [0, " +
                  std::to_string(state_->samples) + ")");
    }
  }
  // Every term carries the whole penalty: the mean over any minibatch is then
  // an unbiased estimate of f, penalty included.
  const double share = static_cast<double>(selected_.size());
  return evaluate_samples(&selected_, 1.0, share, x, value, gradient);
}

bool MlpCrossEntropyObjective::evaluate_samples(const std::vector<int>* samples, double scale, double penalty_share,
                                                const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) {
  const internal::MlpCrossEntropyState& state = *state_;
  const Shape& shape = state.shape;
  const int k = shape.outputs();
  const int layers = shape.layers();
  const int n = state.n();
  const int count_all = samples ? static_cast<int>(samples->size()) : state.samples;
  const std::vector<const double*> blocks = state.const_blocks(x.data());
  std::vector<std::pair<int, int>> chunks;  // (start, count) in the list of samples
  for_each_chunk(count_all, state.chunk, [&](int start, int count) { chunks.emplace_back(start, count); });
  const int num_chunks = static_cast<int>(chunks.size());

  // Each chunk's loss and gradient on its own, summed below in chunk order:
  // the same numbers for any number of threads.
  chunk_losses_.assign(static_cast<size_t>(num_chunks), 0.0);
  if (gradient) chunk_gradients_.setZero(n, num_chunks);
  auto run_chunk = [&](int c) {
    thread_local Scratch scratch;  // grown once per thread, not zero-filled on every call
    thread_local Eigen::MatrixXd gathered_inputs, gathered_targets;
    const auto [start, count] = chunks[static_cast<size_t>(c)];
    const double* input = state.input(start);
    if (samples) {
      // A minibatch in any order: its samples copied into contiguous columns.
      gathered_inputs.resize(shape.sizes[0], count);
      gathered_targets.resize(k, count);
      for (int j = 0; j < count; ++j) {
        const int s = (*samples)[static_cast<size_t>(start + j)];
        gathered_inputs.col(j) = state.inputs.col(s);
        gathered_targets.col(j) = state.targets.col(s);
      }
      input = gathered_inputs.data();
    }
    scratch.prepare(shape, count);
    forward(shape, blocks.data(), input, count, scratch.a(), gradient ? scratch.d() : nullptr);
    const Eigen::Ref<const Eigen::MatrixXd> targets =
        samples ? Eigen::Ref<const Eigen::MatrixXd>(gathered_targets)
                : Eigen::Ref<const Eigen::MatrixXd>(state.targets.middleCols(start, count));
    MatrixMap p(scratch.back(0), k, count);
    chunk_losses_[static_cast<size_t>(c)] =
        softmax_cross_entropy(ConstMatrixMap(scratch.a()[layers], k, count), targets, p);
    if (gradient) {
      p = (p - targets) * scale;  // Delta_L = (P - T) scale
      const std::vector<double*> gradients = state.blocks(chunk_gradients_.col(c).data());
      backward_gradient(shape, blocks.data(), input, count, scratch.a(), scratch.d(), scratch.back(0), scratch.back(1),
                        gradients.data());
    }
  };
  if (pool_) {
    pool_->parallel_for(num_chunks, [&](int /*thread*/, int begin, int end) {
      for (int c = begin; c < end; ++c) run_chunk(c);
    });
  } else {
    for (int c = 0; c < num_chunks; ++c) run_chunk(c);
  }

  double loss = 0.0;
  for (double chunk_loss : chunk_losses_) loss += chunk_loss;
  if (gradient) {
    gradient->setZero(n);
    for (int c = 0; c < num_chunks; ++c) *gradient += chunk_gradients_.col(c);
  }
  double penalty = 0.0;
  if (state.options.l2_weight > 0.0) {
    Eigen::VectorXd penalty_gradient = Eigen::VectorXd::Zero(n);
    penalty = state.penalty(x, &penalty_gradient) * penalty_share;
    if (gradient) *gradient += penalty_share * penalty_gradient;
  }
  *value = loss * scale + penalty;
  return std::isfinite(*value);
}

std::unique_ptr<HessianOperator> MlpCrossEntropyObjective::hessian(const Eigen::VectorXd& x) {
  state_->check(x, "hessian");
  return internal::mlp::make_gauss_newton_operator(state_, x);
}

}  // namespace curvature
