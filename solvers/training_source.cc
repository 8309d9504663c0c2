// training_source.cc — the two things train() trains: a Problem's residual
// blocks and a SumObjective's terms (training_source.h).
#include "training_source.h"

#include <cmath>
#include <limits>
#include <utility>

#include "curvature/error.h"
#include "minibatch_evaluator.h"

namespace curvature::internal {
namespace {

class ProblemSource final : public TrainingSource {
 public:
  ProblemSource(const Problem& problem, int num_threads) : evaluator_(problem, num_threads) {}

  int num_parameters() const override { return evaluator_.num_parameters(); }
  int num_items() const override { return evaluator_.num_residual_blocks(); }
  int units(int item) const override { return evaluator_.num_residuals(item); }
  const char* item_name() const override { return "residual block"; }
  const char* validation_field() const override { return "TrainValidation::residual_blocks"; }
  void gather_parameters(Eigen::VectorXd* x) const override { evaluator_.gather_parameters(x); }
  void scatter_parameters(const Eigen::VectorXd& x) override { evaluator_.scatter_parameters(x); }
  Eigen::VectorXd lower_bounds() const override { return evaluator_.lower_bounds(); }
  Eigen::VectorXd upper_bounds() const override { return evaluator_.upper_bounds(); }
  bool has_manifolds() const override { return evaluator_.layout().has_manifolds(); }
  int num_tangent_parameters() const override { return evaluator_.num_tangent_parameters(); }
  bool plus(const Eigen::VectorXd& x, const Eigen::VectorXd& step, Eigen::VectorXd* moved,
            std::string* failure) const override {
    return evaluator_.layout().plus(x, step, moved, failure);
  }

  Result evaluate(const Eigen::VectorXd& x, std::span<const int> items, Eigen::VectorXd* gradient) override {
    MinibatchEvaluator::Result inner = evaluator_.evaluate(x, items, gradient);
    return {inner.cost, inner.num_residuals, inner.ok, std::move(inner.message)};
  }

 private:
  MinibatchEvaluator evaluator_;
};

class SumObjectiveSource final : public TrainingSource {
 public:
  SumObjectiveSource(SumObjective& objective, Eigen::VectorXd* x) : objective_(objective), x_(x) {
    if (x_->size() != objective_.num_parameters()) {
      throw Error("train: x has " + std::to_string(x_->size()) + " entries, the objective " +
                  std::to_string(objective_.num_parameters()) + " parameters");
    }
    if (objective_.num_terms() < 1) throw Error("train: the objective has no terms");
  }

  int num_parameters() const override { return objective_.num_parameters(); }
  int num_items() const override { return objective_.num_terms(); }
  int units(int /*item*/) const override { return 1; }
  const char* item_name() const override { return "term"; }
  const char* validation_field() const override { return "TrainValidation::terms"; }
  void gather_parameters(Eigen::VectorXd* x) const override { *x = *x_; }
  void scatter_parameters(const Eigen::VectorXd& x) override { *x_ = x; }
  Eigen::VectorXd lower_bounds() const override {
    return Eigen::VectorXd::Constant(num_parameters(), -std::numeric_limits<double>::infinity());
  }
  Eigen::VectorXd upper_bounds() const override {
    return Eigen::VectorXd::Constant(num_parameters(), std::numeric_limits<double>::infinity());
  }

  Result evaluate(const Eigen::VectorXd& x, std::span<const int> items, Eigen::VectorXd* gradient) override {
    Result result;
    result.count = static_cast<int>(items.size());
    if (!objective_.evaluate(items, x, &result.sum, gradient)) {
      result.ok = false;
      result.message = std::string(objective_.name()) + " cannot be evaluated on the minibatch";
    } else if (!std::isfinite(result.sum) || (gradient && !gradient->allFinite())) {
      result.ok = false;
      result.message = std::string(objective_.name()) + " is not finite on the minibatch";
    }
    return result;
  }

 private:
  SumObjective& objective_;
  Eigen::VectorXd* x_;
};

}  // namespace

std::unique_ptr<TrainingSource> make_training_source(const Problem& problem, int num_threads) {
  return std::make_unique<ProblemSource>(problem, num_threads);
}

std::unique_ptr<TrainingSource> make_training_source(SumObjective& objective, Eigen::VectorXd* x) {
  return std::make_unique<SumObjectiveSource>(objective, x);
}

}  // namespace curvature::internal
