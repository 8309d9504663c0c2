// minibatch_evaluator.h — cost and gradient of an arbitrary list of residual
// blocks, for stochastic training.
//
// Evaluator (evaluator.h) fixes its blocks when it is built and forms the
// whole Jacobian to get J^T r. A training loop wants a different subset at
// every step and only the gradient, so this evaluator is built once over all
// blocks and, per call, runs the listed blocks in parallel; each block
// writes its cost and its gradient contribution rho' J_b^T r_b (over its own
// variable columns only) into a buffer reserved for that block, and the
// contributions are then added into g sequentially in the order listed. The
// result is bit-identical for any thread count, and after construction a
// call allocates nothing.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "curvature/problem.h"
#include "curvature/thread_pool.h"
#include "parameter_layout.h"

namespace curvature::internal {

class MinibatchEvaluator {
 public:
  MinibatchEvaluator(const Problem& problem, int num_threads);
  ~MinibatchEvaluator();

  int num_parameters() const { return layout_.num_parameters(); }  // the size of x (ambient)
  // The size of the gradient: the tangent coordinates (parameter_layout.h).
  int num_tangent_parameters() const { return layout_.num_tangent_parameters(); }
  const ParameterLayout& layout() const { return layout_; }
  int num_residual_blocks() const;
  int num_residuals(int block) const;

  // The user's parameter blocks as one effective vector, and back.
  void gather_parameters(Eigen::VectorXd* x) const;
  void scatter_parameters(const Eigen::VectorXd& x) const;
  // Bounds per effective coordinate (+-infinity where unset).
  const Eigen::VectorXd& lower_bounds() const { return layout_.lower_bounds(); }
  const Eigen::VectorXd& upper_bounds() const { return layout_.upper_bounds(); }

  struct Result {
    double cost = 0.0;      // sum over the blocks of 1/2 rho(|r_b|^2)
    int num_residuals = 0;  // sum over the blocks
    bool ok = true;
    std::string message;  // names the residual block when !ok
  };

  // Cost of `blocks` at x and, when gradient is not null, sum rho' J_b^T r_b
  // (gradient must already have num_tangent_parameters() entries), in
  // tangent coordinates: on a problem with manifolds the ambient sum is
  // formed first and multiplied by each manifold block's plus-Jacobian
  // transposed once. Block indices must be valid (the caller checks them
  // once).
  Result evaluate(const Eigen::VectorXd& x, std::span<const int> blocks, Eigen::VectorXd* gradient);

 private:
  struct Block;
  struct Scratch;
  // Writes the block's cost and, when `contribution` is not null, its
  // rho' J_b^T r_b there (the block's variable columns in order).
  bool evaluate_block(const Block& block, const double* x, double* contribution, Scratch& scratch, double* cost,
                      std::string* error) const;

  ParameterLayout layout_;
  std::vector<Block> blocks_;
  std::vector<double> contributions_;      // per block, at Block::contribution_offset
  std::vector<double> block_costs_;        // per block
  std::vector<char> block_failed_;         // per block
  std::vector<std::string> block_errors_;  // per block
  std::vector<Scratch> scratch_;           // per thread
  Eigen::VectorXd ambient_gradient_;       // with manifolds: the sum before the tangent map
  std::vector<double> plus_jacobians_;     // with manifolds: at the point evaluated
  std::unique_ptr<ThreadPool> pool_;

  // The current call's arguments, read by the parallel job; the job itself is
  // built once so that a call does not allocate a std::function.
  const double* job_x_ = nullptr;
  const int* job_blocks_ = nullptr;
  bool job_gradient_ = false;
  std::function<void(int, int, int)> job_;
};

}  // namespace curvature::internal
