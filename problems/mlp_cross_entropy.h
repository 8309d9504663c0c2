// mlp_cross_entropy.h — the network as a smooth Objective for
// classification: softmax cross-entropy over its logits, with an exact
// gradient and a generalized Gauss-Newton operator.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <span>
#include <vector>

#include "csv_dataset.h"
#include "curvature/objective.h"
#include "curvature/sum_objective.h"
#include "mlp_network.h"

namespace curvature {

class ThreadPool;

namespace internal {
struct MlpCrossEntropyState;
}

struct MlpCrossEntropyOptions {
  // Weight lambda >= 0 of an L2 penalty lambda / 2 |W|^2 on the weights
  // (biases free) added to the mean cross-entropy; its Hessian lambda I on
  // the weight coordinates is added to the Gauss-Newton matrix, which makes
  // it positive definite.
  double l2_weight = 0.0;
  // HessianOperator::dense() forms the n x n matrix only for n up to this.
  // Forming it costs about n^2 N (K + 1) flops (rank updates with the
  // explicit logit Jacobians): some 90 GFLOP, about 12 s on one core, for
  // the 64-32-10 digits network (n = 2410) on 1500 samples. Products
  // (multiply()) cost two passes over the data, about 2 ms there.
  int max_dense_parameters = 4000;
  // Threads evaluating chunks of samples in evaluate(); the result is the
  // same for any number.
  int num_threads = 1;
};

// Softmax cross-entropy over a network with linear output (logits z_L):
//
//   f(x) = 1/N sum_s [ logsumexp(z_L(x_s)) - t_s^T z_L(x_s) ] + lambda / 2 |W|^2
//
// where t_s is the one-hot vector of the label (one target column) or the
// target distribution (K target columns, each row non-negative summing to
// 1 within 1e-9). x is the network's parameter vector (Mlp layout). The
// gradient is exact (backpropagation with Delta_L = (P - T) / N, matrix
// products per chunk). hessian(x) returns the generalized Gauss-Newton
// matrix (Schraudolph 2002; Martens 2010)
//
//   G = 1/N sum_s J_s^T (diag(p_s) - p_s p_s^T) J_s  (+ lambda on the W diagonal)
//
// with J_s = d z_L(x_s) / d x, the Hessian of the cross-entropy in the
// logits in the middle: positive semidefinite, equal to the Hessian up to the
// terms that carry the curvature of the network itself. multiply() never
// forms J: J v is a forward-mode directional derivative (Pearlmutter's
// R-operator: R z_l = W_l R a_{l-1} + V_l a_{l-1} + v_b, R a_l = f'(z_l) .*
// R z_l), and J^T u a backpropagation, both chunk by chunk with matrix
// products, on the activations hessian() stored at x (one forward pass per
// hessian() call, about two passes per product). dense() forms explicit
// chunk Jacobians of the logits and accumulates them by symmetric rank
// updates; it returns false when n > max_dense_parameters.
//
// It is also a SumObjective (sum_objective.h) with one term per sample,
// for minibatch training by train():
//
//   f_s(x) = logsumexp(z_L(x_s)) - t_s^T z_L(x_s) + lambda / 2 |W|^2,
//
// (each term carries the whole penalty) so that the terms sum to N f(x) and
// the mean over any minibatch is an unbiased estimate of f(x). evaluate(terms, ...) gathers the listed
// samples into chunks in the order listed and sums the chunks in order: the
// same numbers for any number of threads.
//
// Throws curvature::Error at construction for an output activation other
// than kLinear, fewer than two outputs, an empty data set, targets that are
// neither labels in 0..K-1 nor K columns of distributions, or invalid
// options; evaluate() and hessian() throw for an x of the wrong size.
class MlpCrossEntropyObjective final : public Objective, public SumObjective {
 public:
  MlpCrossEntropyObjective(const MlpOptions& network, const Dataset& data, const MlpCrossEntropyOptions& options = {});
  ~MlpCrossEntropyObjective() override;

  int num_parameters() const override;
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override;
  bool has_hessian() const override { return true; }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd& x) override;
  const char* name() const override { return "mlp cross-entropy"; }

  // The SumObjective: one term per sample (see above). Sample indices out of
  // range throw curvature::Error.
  int num_terms() const override;
  bool evaluate(std::span<const int> terms, const Eigen::VectorXd& x, double* value,
                Eigen::VectorXd* gradient) override;

 private:
  // The loss summed over `samples` (all of them, in order, when null) and
  // its gradient, both times `scale`, plus `penalty_share` times the L2
  // penalty.
  bool evaluate_samples(const std::vector<int>* samples, double scale, double penalty_share, const Eigen::VectorXd& x,
                        double* value, Eigen::VectorXd* gradient);

  std::vector<int> selected_;  // evaluate(terms, ...)'s samples

  std::shared_ptr<const internal::MlpCrossEntropyState> state_;
  std::vector<double> chunk_losses_;  // evaluate()'s per-chunk sums
  Eigen::MatrixXd chunk_gradients_;   // n x chunks
  std::unique_ptr<ThreadPool> pool_;  // null with one thread
};

}  // namespace curvature
