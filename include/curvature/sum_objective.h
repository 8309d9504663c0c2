// curvature/sum_objective.h — a scalar objective that is a sum of terms,
// f(x) = sum_t f_t(x), evaluated over any subset of its terms: what
// stochastic training (train.h) draws its minibatches from when the loss is
// not a sum of squares (a softmax cross-entropy, say: one term per sample).
//
//   class MyLoss : public curvature::SumObjective { ... };
//   MyLoss loss(...);
//   Eigen::VectorXd x = ...;  // the start, overwritten with the trained parameters
//   curvature::Summary summary = curvature::train(options, &loss, &x);  // options.batch_size counts terms
//
// A least-squares Problem is trained over its residual blocks instead
// (train(options, Problem*, ...)); a SumObjective is the form for everything
// else. problems/mlp_cross_entropy.h implements it for the network's softmax
// cross-entropy, next to the full-batch Objective (objective.h) it also is.
#pragma once

#include <Eigen/Core>
#include <span>

namespace curvature {

// f(x) = sum_{t = 0}^{T - 1} f_t(x) over R^n (see the top of this file).
class SumObjective {
 public:
  virtual ~SumObjective() = default;

  virtual int num_parameters() const = 0;  // n
  virtual int num_terms() const = 0;       // T >= 1

  // sum_{t in terms} f_t(x) into *value and, when `gradient` is not null,
  // the sum of their gradients (resized to n). `terms` lists indices in
  // [0, num_terms()), each at most once, in any order; the result must not
  // depend on that order beyond rounding, and must be the same for the same
  // list. Returns false when the terms cannot be evaluated at x; train() then
  // treats x as infinitely bad. A non-finite value or gradient is treated the
  // same way. Invalid indices are the caller's error (train() checks its own
  // lists once).
  virtual bool evaluate(std::span<const int> terms, const Eigen::VectorXd& x, double* value,
                        Eigen::VectorXd* gradient) = 0;

  // A short name for reports.
  virtual const char* name() const { return "sum objective"; }
};

}  // namespace curvature
