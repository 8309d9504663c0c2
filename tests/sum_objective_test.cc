// Tests of the SumObjective form (sum_objective.h): train() over terms, and
// the network's softmax cross-entropy as one term per sample.
#include "curvature/sum_objective.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "curvature/train.h"
#include "mlp.h"
#include "mlp_test_data.h"

namespace curvature {
namespace {

// f_t(x) = 1/2 |x - a_t|^2: the mean loss is minimized at the mean of the a_t.
class CentroidObjective final : public SumObjective {
 public:
  explicit CentroidObjective(Eigen::MatrixXd points) : points_(std::move(points)) {}
  int num_parameters() const override { return static_cast<int>(points_.rows()); }
  int num_terms() const override { return static_cast<int>(points_.cols()); }
  bool evaluate(std::span<const int> terms, const Eigen::VectorXd& x, double* value,
                Eigen::VectorXd* gradient) override {
    *value = 0.0;
    if (gradient) gradient->setZero(x.size());
    for (int t : terms) {
      const Eigen::VectorXd d = x - points_.col(t);
      *value += 0.5 * d.squaredNorm();
      if (gradient) *gradient += d;
    }
    return true;
  }
  const char* name() const override { return "centroid"; }

 private:
  Eigen::MatrixXd points_;
};

using testing::three_classes;
using testing::uniform;

MlpOptions small_network() {
  MlpOptions options;
  options.layer_sizes = {2, 8, 3};
  options.chunk_size = 7;  // minibatches span several chunks, the last one short
  options.seed = 5;
  return options;
}

std::vector<int> all_terms(int n) {
  std::vector<int> terms(static_cast<size_t>(n));
  std::iota(terms.begin(), terms.end(), 0);
  return terms;
}

TEST(SumObjective, CrossEntropyTermsSumToTheMeanTimesN) {
  const MlpOptions options = small_network();
  const Dataset data = three_classes(40, 1);
  MlpCrossEntropyOptions ce;
  ce.l2_weight = 0.01;
  MlpCrossEntropyObjective objective(options, data, ce);
  ASSERT_EQ(objective.num_terms(), 40);
  const Eigen::VectorXd x = Mlp(options).parameter_vector();
  double mean = 0.0, sum = 0.0;
  Eigen::VectorXd mean_gradient, sum_gradient;
  ASSERT_TRUE(objective.evaluate(x, &mean, &mean_gradient));
  ASSERT_TRUE(objective.evaluate(all_terms(40), x, &sum, &sum_gradient));
  EXPECT_NEAR(sum, 40.0 * mean, 1e-12 * sum);
  EXPECT_LT((sum_gradient - 40.0 * mean_gradient).cwiseAbs().maxCoeff(), 1e-12);

  // A subset in any order: the same sum up to rounding, and the sum of its
  // single-term values (each carrying the whole penalty).
  const std::vector<int> subset = {17, 3, 39, 0, 22, 8, 11, 30, 5};
  std::vector<int> sorted = subset;
  std::sort(sorted.begin(), sorted.end());
  double a = 0.0, b = 0.0, singles = 0.0;
  Eigen::VectorXd ga, gb;
  ASSERT_TRUE(objective.evaluate(subset, x, &a, &ga));
  ASSERT_TRUE(objective.evaluate(sorted, x, &b, &gb));
  for (int t : subset) {
    double single = 0.0;
    ASSERT_TRUE(objective.evaluate(std::vector<int>{t}, x, &single, nullptr));
    singles += single;
  }
  EXPECT_NEAR(a, b, 1e-13);
  EXPECT_NEAR(a, singles, 1e-13);
  EXPECT_LT((ga - gb).cwiseAbs().maxCoeff(), 1e-13);

  double unused = 0.0;
  try {
    objective.evaluate(std::vector<int>{40}, x, &unused, nullptr);
    FAIL() << "no error for term 40";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("term 40 is out of range [0, 40)"), std::string::npos) << error.what();
  }
}

TEST(SumObjective, SgdOnTermsFindsTheCentroid) {
  const Eigen::MatrixXd points = uniform(3, 20, 2);
  CentroidObjective objective(points);
  TrainOptions options;
  options.rule.type = UpdateRuleType::kSgd;
  options.schedule.initial_learning_rate = 0.1;
  options.epochs = 300;
  options.batch_size = 4;  // terms
  Eigen::VectorXd x = Eigen::VectorXd::Constant(3, 5.0);
  const Summary summary = train(options, &objective, &x);
  EXPECT_EQ(summary.termination, TerminationType::kMaxIterations) << summary.message;
  EXPECT_NE(summary.message.find("steps of up to 4 terms"), std::string::npos) << summary.message;
  EXPECT_NE(summary.message.find("per term"), std::string::npos) << summary.message;
  // SGD with a constant rate hovers around the minimizer within the noise of
  // its minibatches.
  EXPECT_LT((x - points.rowwise().mean()).norm(), 0.05);
  // Mean loss at the start: 1/2 the mean squared distance from (5, 5, 5).
  const double start = 0.5 * (points.colwise() - Eigen::Vector3d::Constant(5.0)).colwise().squaredNorm().mean();
  EXPECT_NEAR(summary.initial_cost, start, 1e-12);
}

TEST(SumObjective, AdamClassifiesWithValidationTermsAndAnyThreadCount) {
  const MlpOptions options = small_network();
  const Dataset data = three_classes(150, 3);
  TrainOptions train_options;
  train_options.rule.type = UpdateRuleType::kAdam;
  train_options.schedule.initial_learning_rate = 0.02;
  train_options.epochs = 150;
  train_options.batch_size = 16;
  train_options.seed = 9;
  train_options.early_stopping_patience = 1000;  // never stops; the best epoch is returned
  TrainValidation validation;
  for (int s = 120; s < 150; ++s) validation.terms.push_back(s);

  Eigen::VectorXd results[2];
  Summary summaries[2];
  for (int threads : {1, 2}) {
    MlpCrossEntropyOptions ce;
    ce.num_threads = threads;
    MlpCrossEntropyObjective objective(options, data, ce);
    Eigen::VectorXd x = Mlp(options).parameter_vector();
    summaries[threads - 1] = train(train_options, static_cast<SumObjective*>(&objective), &x, validation);
    results[threads - 1] = x;
  }
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(summaries[0].final_cost, summaries[1].final_cost);
  EXPECT_GE(summaries[0].best_iteration, 1);
  Mlp trained(options);
  trained.set_parameters(results[0]);
  // Measured: 1.00 on the training rows, 0.97 on the validation rows.
  EXPECT_GE(classification_accuracy(trained, data.rows(all_terms(120))), 0.95);
  std::vector<int> held_out(validation.terms);
  EXPECT_GE(classification_accuracy(trained, data.rows(held_out)), 0.9);
  EXPECT_LT(summaries[0].final_cost, 0.2 * summaries[0].initial_cost) << summaries[0].full_report();
}

TEST(SumObjective, TrainErrorsNameTheTermsField) {
  CentroidObjective objective(uniform(2, 5, 4));
  Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  auto expect_error = [&](const TrainValidation& validation, Eigen::VectorXd* point, const std::string& text) {
    try {
      train(TrainOptions(), &objective, point, validation);
      FAIL() << "no error for " << text;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(text), std::string::npos) << error.what();
    }
  };
  TrainValidation validation;
  validation.terms = {5};
  expect_error(validation, &x, "TrainValidation::terms: index 5 is out of range [0, 5)");
  validation.terms = {1, 1};
  expect_error(validation, &x, "TrainValidation::terms: index 1 is listed twice");
  validation.terms = {0, 1, 2, 3, 4};
  expect_error(validation, &x, "no term left for training");
  validation.terms.clear();
  validation.residual_blocks = {0};
  expect_error(validation, &x, "TrainValidation::residual_blocks is for a Problem");
  Eigen::VectorXd wrong = Eigen::VectorXd::Zero(3);
  expect_error({}, &wrong, "x has 3 entries, the objective 2 parameters");
  expect_error({}, nullptr, "train: x is null");
}

}  // namespace
}  // namespace curvature
