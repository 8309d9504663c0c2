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

  // Manifolds (a Problem's blocks may have them; a SumObjective's never do):
  // gradients and steps then have num_tangent_parameters() entries, and x
  // moves by plus(). Without manifolds the two sizes agree and plus() is
  // x + step.
  virtual bool has_manifolds() const { return false; }
  virtual int num_tangent_parameters() const { return num_parameters(); }
  // *moved = x "+" step; false (with the reason in *failure) when a
  // manifold's plus() fails.
  virtual bool plus(const Eigen::VectorXd& x, const Eigen::VectorXd& step, Eigen::VectorXd* moved,
                    std::string* failure) const {
    (void)failure;
    *moved = x + step;
    return true;
  }

  // Sum over `items` at x and, when gradient is not null, the sum of their
  // gradients (gradient already has num_tangent_parameters() entries). Bit-identical
  // for any thread count.
  virtual Result evaluate(const Eigen::VectorXd& x, std::span<const int> items, Eigen::VectorXd* gradient) = 0;
};

// A Problem's residual blocks, evaluated by MinibatchEvaluator.
std::unique_ptr<TrainingSource> make_training_source(const Problem& problem, int num_threads);
// A SumObjective's terms; the parameters live in *x.
std::unique_ptr<TrainingSource> make_training_source(SumObjective& objective, Eigen::VectorXd* x);

}  // namespace curvature::internal
