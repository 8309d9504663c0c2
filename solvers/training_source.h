// training_source.h — what train()'s loop draws its minibatches from: the
// residual blocks of a least-squares Problem, or the terms of a SumObjective.
// The loop (train.cc) sees only items, each counting for `weight` units of
// the loss, and a sum over any list of them; the two adapters below say what
// an item and a unit are.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <span>
#include <string>

#include "curvature/problem.h"
#include "curvature/sum_objective.h"

namespace curvature::internal {

class MinibatchEvaluator;

class TrainingSource {
 public:
  struct Result {
    double sum = 0.0;  // the items' loss summed (Problem: sum 1/2 rho(|r_b|^2); terms: sum f_t)
    int count = 0;     // the units it averages over (Problem: residuals; terms: terms)
    bool ok = true;
    std::string message;  // names the failing item when !ok
  };

  virtual ~TrainingSource() = default;
  virtual int num_parameters() const = 0;
  virtual int num_items() const = 0;
  virtual int units(int item) const = 0;  // what one item adds to Result::count
  // "residual block" or "term", and the TrainValidation field listing them.
  virtual const char* item_name() const = 0;
  virtual const char* validation_field() const = 0;

  virtual void gather_parameters(Eigen::VectorXd* x) const = 0;
  virtual void scatter_parameters(const Eigen::VectorXd& x) = 0;
  virtual Eigen::VectorXd lower_bounds() const = 0;
  virtual Eigen::VectorXd upper_bounds() const = 0;

  // Sum over `items` at x and, when gradient is not null, the sum of their
  // gradients (gradient already has num_parameters() entries). Bit-identical
  // for any thread count.
  virtual Result evaluate(const Eigen::VectorXd& x, std::span<const int> items, Eigen::VectorXd* gradient) = 0;
};

// A Problem's residual blocks, evaluated by MinibatchEvaluator.
std::unique_ptr<TrainingSource> make_training_source(const Problem& problem, int num_threads);
// A SumObjective's terms; the parameters live in *x.
std::unique_ptr<TrainingSource> make_training_source(SumObjective& objective, Eigen::VectorXd* x);

}  // namespace curvature::internal
