#include "mlp.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <random>

#include "curvature/error.h"
#include "curvature/gradient_checker.h"
#include "curvature/minimize.h"
#include "curvature/numeric_diff_cost_function.h"
#include "curvature/solve.h"

namespace curvature {
namespace {

constexpr Activation kActivations[] = {Activation::kTanh, Activation::kRelu, Activation::kSigmoid,
                                       Activation::kSoftplus, Activation::kLinear};

// Uniform entries in [lo, hi) from a fixed seed (Eigen's Random() depends on std::rand).
Eigen::MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed, double lo = -1.0,
                              double hi = 1.0) {
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
  }
  return m;
}

// A network with random, non-zero biases (initialization leaves them at 0,
// which would hide a wrong bias derivative only partly but a wrong layout fully).
Mlp random_network(MlpOptions options, std::uint64_t seed) {
  Mlp mlp(options);
  Eigen::VectorXd x = mlp.parameter_vector();
  const Eigen::VectorXd noise = random_matrix(x.size(), 1, seed, -0.5, 0.5);
  for (int l = 1; l <= mlp.num_layers(); ++l) {
    const int n = options.layer_sizes[static_cast<size_t>(l)];
    const int end = mlp.layer_offset(l) + mlp.layer_size(l);
    x.segment(end - n, n) = noise.segment(end - n, n);
  }
  mlp.set_parameters(x);
  return mlp;
}

std::vector<const double*> block_pointers(const Mlp& mlp) {
  std::vector<const double*> blocks;
  for (int l = 1; l <= mlp.num_layers(); ++l) blocks.push_back(mlp.layer_parameters(l));
  return blocks;
}

Dataset make_dataset(Eigen::MatrixXd inputs, Eigen::MatrixXd targets) {
  Dataset data;
  data.inputs = std::move(inputs);
  data.targets = std::move(targets);
  return data;
}

TEST(Mlp, ParameterCountsAndLayout) {
  MlpOptions options;
  options.layer_sizes = {10, 32, 32, 1};
  const Mlp regression(options);
  EXPECT_EQ(regression.num_parameters(), 1441);
  EXPECT_EQ(regression.num_layers(), 3);
  EXPECT_EQ(regression.layer_size(1), 352);
  EXPECT_EQ(regression.layer_offset(2), 352);
  EXPECT_EQ(regression.layer_size(2), 1056);
  EXPECT_EQ(regression.layer_offset(3), 1408);
  EXPECT_EQ(regression.layer_size(3), 33);
  options.layer_sizes = {64, 32, 10};
  const Mlp classifier(options);
  EXPECT_EQ(classifier.num_parameters(), 2410);
  // W_l row-major, then b_l.
  EXPECT_EQ(classifier.weights(2).rows(), 10);
  EXPECT_EQ(classifier.weights(2).cols(), 32);
  EXPECT_EQ(classifier.weights(2).data(), classifier.layer_parameters(2));
  EXPECT_EQ(classifier.weights(2)(3, 5), classifier.layer_parameters(2)[3 * 32 + 5]);
  EXPECT_EQ(classifier.biases(2).data(), classifier.layer_parameters(2) + 320);
  EXPECT_THROW(classifier.layer_offset(0), Error);
  EXPECT_THROW(classifier.layer_offset(3), Error);
}

TEST(Mlp, DeterministicInitialization) {
  MlpOptions options;
  options.layer_sizes = {3, 4, 2};
  options.seed = 7;
  // Reference values: std::mt19937_64 is specified exactly, and the uniform
  // and Box-Muller transforms are our own, so these hold for every standard
  // library (Box-Muller up to the last bit of std::log / sin / cos).
  const Mlp glorot(options);
  const auto p = glorot.parameters();
  EXPECT_DOUBLE_EQ(p[0], 0.47103005534293962);
  EXPECT_DOUBLE_EQ(p[1], 0.83194416897999046);
  EXPECT_DOUBLE_EQ(p[2], -0.7084110970083517);
  EXPECT_DOUBLE_EQ(p[11], 0.17810701323457817);
  EXPECT_DOUBLE_EQ(p[16], -0.20510909116853226);
  EXPECT_DOUBLE_EQ(p[19], -0.39198967114836569);
  EXPECT_EQ(p[12], 0.0);  // biases
  EXPECT_EQ(p[25], 0.0);
  options.initialization = Initialization::kHeNormal;
  const Mlp he(options);
  EXPECT_NEAR(he.parameters()[0], 0.58218642146867428, 1e-15);
  EXPECT_NEAR(he.parameters()[1], -0.19199394443538431, 1e-15);
  EXPECT_NEAR(he.parameters()[2], 1.3150137238870743, 1e-15);
  EXPECT_NEAR(he.parameters()[17], 0.89634746333742221, 1e-15);

  // Same seed, same network; initialize() redraws the same values.
  Mlp again(options);
  EXPECT_EQ(again.parameter_vector(), he.parameter_vector());
  again.initialize(8);
  EXPECT_NE(again.parameter_vector(), he.parameter_vector());
  again.initialize(7);
  EXPECT_EQ(again.parameter_vector(), he.parameter_vector());
}

TEST(Mlp, InitializationScales) {
  MlpOptions options;
  options.layer_sizes = {200, 300, 1};
  options.initialization = Initialization::kGlorotUniform;
  const Mlp uniform(options);
  const double limit = std::sqrt(6.0 / 500.0);
  EXPECT_LE(uniform.weights(1).cwiseAbs().maxCoeff(), limit);
  EXPECT_GT(uniform.weights(1).cwiseAbs().maxCoeff(), 0.99 * limit);
  EXPECT_NEAR(uniform.weights(1).array().square().mean(), limit * limit / 3.0, 0.01 * limit * limit);
  options.initialization = Initialization::kHeNormal;
  const Mlp normal(options);
  EXPECT_NEAR(normal.weights(1).mean(), 0.0, 0.002);
  EXPECT_NEAR(normal.weights(1).array().square().mean(), 2.0 / 200.0, 0.02 * 2.0 / 200.0);
}

TEST(Mlp, InvalidOptionsAreErrors) {
  MlpOptions options;
  options.layer_sizes = {3};
  EXPECT_THROW(Mlp{options}, Error);
  options.layer_sizes = {3, 0, 1};
  EXPECT_THROW(Mlp{options}, Error);
  options.layer_sizes = {3, 2, 1};
  options.chunk_size = 0;
  EXPECT_THROW(Mlp{options}, Error);
  options.chunk_size = 10;
  Mlp mlp(options);
  EXPECT_THROW(mlp.set_parameters(Eigen::VectorXd::Zero(3)), Error);
  EXPECT_THROW(predict(mlp, Eigen::MatrixXd::Zero(2, 4)), Error);
  Problem problem;
  const Dataset wrong = make_dataset(Eigen::MatrixXd::Zero(5, 3), Eigen::MatrixXd::Zero(5, 2));
  EXPECT_THROW(add_mlp_regression_residuals(mlp, wrong, &problem), Error);
  EXPECT_EQ(problem.num_residual_blocks(), 0);
  const Dataset right = make_dataset(Eigen::MatrixXd::Zero(5, 3), Eigen::MatrixXd::Zero(5, 1));
  EXPECT_THROW(add_mlp_regression_residuals(mlp, right, nullptr), Error);
  EXPECT_THROW(add_mlp_l2_regularization(mlp, -1.0, &problem), Error);
}

// Backpropagation against central differences, for every hidden activation
// and three output activations, on one chunk of 7 samples and 2 outputs.
TEST(MlpResidual, JacobiansMatchNumericDifferentiation) {
  for (const Activation hidden : kActivations) {
    for (const Activation output : {Activation::kLinear, Activation::kSigmoid, Activation::kTanh}) {
      MlpOptions options;
      options.layer_sizes = {3, 5, 4, 2};
      options.hidden_activation = hidden;
      options.output_activation = output;
      options.seed = 3;
      const Mlp mlp = random_network(options, 11);
      const Eigen::MatrixXd inputs = random_matrix(7, 3, 5, -2.0, 2.0);
      const Eigen::MatrixXd targets = random_matrix(7, 2, 6);
      const MlpResidual cost(options, inputs, targets);
      ASSERT_EQ(cost.num_residuals(), 14);
      ASSERT_EQ(cost.parameter_block_sizes(), (std::vector<int>{20, 24, 10}));
      const std::vector<const double*> blocks = block_pointers(mlp);
      const GradientCheckResult result = check_gradients(cost, blocks.data());
      EXPECT_TRUE(result.ok) << to_string(hidden) << " / " << to_string(output) << ": " << result.message;
      for (double e : result.worst_relative_error)
        EXPECT_LT(e, 1e-7) << to_string(hidden) << " / " << to_string(output);

      // Residuals: prediction minus target, sample-major.
      const Eigen::MatrixXd predicted = predict(mlp, inputs);
      for (int s = 0; s < 7; ++s) {
        for (int o = 0; o < 2; ++o) {
          EXPECT_NEAR(result.residuals[static_cast<size_t>(s * 2 + o)], predicted(s, o) - targets(s, o), 1e-15);
        }
      }
    }
  }
}

TEST(MlpResidual, PartialJacobiansMatchFullOnes) {
  MlpOptions options;
  options.layer_sizes = {3, 5, 4, 2};
  const Mlp mlp = random_network(options, 2);
  const MlpResidual cost(options, random_matrix(6, 3, 1), random_matrix(6, 2, 2));
  const std::vector<const double*> blocks = block_pointers(mlp);
  std::vector<double> residuals(12), full0(12 * 20), full1(12 * 24), full2(12 * 10);
  double* all[] = {full0.data(), full1.data(), full2.data()};
  ASSERT_TRUE(cost.evaluate(blocks.data(), residuals.data(), all));
  std::vector<double> only1(12 * 24, -1.0);
  double* some[] = {nullptr, only1.data(), nullptr};
  std::vector<double> residuals2(12);
  ASSERT_TRUE(cost.evaluate(blocks.data(), residuals2.data(), some));
  EXPECT_EQ(only1, full1);
  EXPECT_EQ(residuals2, residuals);
  ASSERT_TRUE(cost.evaluate(blocks.data(), residuals2.data(), nullptr));
  EXPECT_EQ(residuals2, residuals);
}

// Column-major Jacobians (leading dimension above m, one block left out)
// hold the very bits of the row-major ones.
TEST(MlpResidual, ColumnMajorJacobiansMatchRowMajorOnes) {
  MlpOptions options;
  options.layer_sizes = {3, 5, 4, 2};
  const Mlp mlp = random_network(options, 4);
  const MlpResidual cost(options, random_matrix(6, 3, 7), random_matrix(6, 2, 8));
  ASSERT_TRUE(cost.writes_column_major_jacobians());
  const std::vector<const double*> blocks = block_pointers(mlp);
  const std::vector<int> sizes{20, 24, 10};
  std::vector<double> residuals(12), row0(12 * 20), row1(12 * 24), row2(12 * 10);
  double* row_major[] = {row0.data(), row1.data(), row2.data()};
  ASSERT_TRUE(cost.evaluate(blocks.data(), residuals.data(), row_major));
  constexpr long kLeadingDimension = 15;
  std::vector<double> column0(kLeadingDimension * 20, -7.0), column2(kLeadingDimension * 10, -7.0);
  double* column_major[] = {column0.data(), nullptr, column2.data()};
  std::vector<double> residuals2(12);
  ASSERT_TRUE(cost.evaluate_column_major(blocks.data(), residuals2.data(), column_major, kLeadingDimension));
  EXPECT_EQ(residuals2, residuals);
  const std::vector<double>* rows[] = {&row0, nullptr, &row2};
  const std::vector<double>* columns[] = {&column0, nullptr, &column2};
  for (int k : {0, 2}) {
    for (int r = 0; r < 12; ++r) {
      for (int c = 0; c < sizes[k]; ++c) {
        EXPECT_EQ((*columns[k])[c * kLeadingDimension + r], (*rows[k])[r * sizes[k] + c]) << k << " " << r << " " << c;
      }
    }
    for (int c = 0; c < sizes[k]; ++c) {
      for (int pad = 12; pad < kLeadingDimension; ++pad) {
        EXPECT_EQ((*columns[k])[c * kLeadingDimension + pad], -7.0) << "rows below m are left alone";
      }
    }
  }
  EXPECT_THROW(cost.evaluate_column_major(blocks.data(), residuals2.data(), column_major, 11), Error);
}

// The backpropagated gradient J^T r against the product of the Jacobians, for
// every activation and with some blocks not asked for; and the base class's
// default (Jacobians, then the product) on the same function.
TEST(MlpResidual, GradientIsJacobianTransposeResiduals) {
  for (const Activation hidden : kActivations) {
    for (const Activation output : {Activation::kLinear, Activation::kSigmoid}) {
      MlpOptions options;
      options.layer_sizes = {3, 5, 4, 2};
      options.hidden_activation = hidden;
      options.output_activation = output;
      const Mlp mlp = random_network(options, 4);
      const MlpResidual cost(options, random_matrix(9, 3, 7, -2.0, 2.0), random_matrix(9, 2, 8));
      const std::vector<const double*> blocks = block_pointers(mlp);
      const std::vector<int> sizes{20, 24, 10};
      std::vector<std::vector<double>> jacobians;
      std::vector<double*> jacobian_pointers;
      for (int size : sizes) jacobians.emplace_back(static_cast<size_t>(18 * size));
      for (auto& j : jacobians) jacobian_pointers.push_back(j.data());
      std::vector<double> residuals(18);
      ASSERT_TRUE(cost.evaluate(blocks.data(), residuals.data(), jacobian_pointers.data()));
      const Eigen::Map<const Eigen::VectorXd> r(residuals.data(), 18);

      std::vector<double> gradient_residuals(18), g0(20, 5.0), g2(10, 5.0);
      double* gradients[] = {g0.data(), nullptr, g2.data()};
      ASSERT_TRUE(cost.evaluate_gradient(blocks.data(), gradient_residuals.data(), gradients));
      EXPECT_EQ(gradient_residuals, residuals);
      for (int k : {0, 2}) {
        using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        const Eigen::VectorXd expected =
            Eigen::Map<const RowMajor>(jacobians[static_cast<size_t>(k)].data(), 18, sizes[static_cast<size_t>(k)])
                .transpose() *
            r;
        const Eigen::Map<const Eigen::VectorXd> got(gradients[k], sizes[static_cast<size_t>(k)]);
        EXPECT_LE((got - expected).norm(), 1e-13 * (1.0 + expected.norm())) << to_string(hidden) << " block " << k;
        // The base class's default forms the Jacobians: the same numbers.
        std::vector<double> by_default(static_cast<size_t>(sizes[static_cast<size_t>(k)]));
        std::vector<double*> only(3, nullptr);
        only[static_cast<size_t>(k)] = by_default.data();
        ASSERT_TRUE(cost.CostFunction::evaluate_gradient(blocks.data(), gradient_residuals.data(), only.data()));
        EXPECT_LE(
            (Eigen::Map<const Eigen::VectorXd>(by_default.data(), sizes[static_cast<size_t>(k)]) - expected).norm(),
            1e-14 * (1.0 + expected.norm()));
      }
    }
  }
}

TEST(MlpRegression, ChunksResidualsAndMse) {
  MlpOptions options;
  options.layer_sizes = {3, 6, 2};
  options.chunk_size = 10;
  Mlp mlp = random_network(options, 4);
  const Dataset data = make_dataset(random_matrix(23, 3, 8), random_matrix(23, 2, 9));
  Problem problem;
  const std::vector<int> blocks = add_mlp_regression_residuals(mlp, data, &problem);
  EXPECT_EQ(blocks, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(problem.num_residual_blocks(), 3);
  EXPECT_EQ(problem.num_residuals(), 46);
  EXPECT_EQ(problem.num_parameters(), mlp.num_parameters());
  EXPECT_EQ(problem.parameter_blocks()[1], mlp.layer_parameters(2));

  double cost = 0.0;
  Eigen::VectorXd residuals;
  ASSERT_TRUE(problem.evaluate({}, &cost, &residuals, nullptr, nullptr, nullptr));
  const Eigen::MatrixXd predicted = predict(mlp, data.inputs);
  for (int s = 0; s < 23; ++s) {
    for (int o = 0; o < 2; ++o) EXPECT_NEAR(residuals(2 * s + o), predicted(s, o) - data.targets(s, o), 1e-15);
  }
  EXPECT_NEAR(mean_squared_error(mlp, data), 2.0 * cost / (23 * 2), 1e-15);
}

TEST(MlpRegression, L2RegularizationResiduals) {
  MlpOptions options;
  options.layer_sizes = {3, 4, 1};
  Mlp mlp = random_network(options, 5);
  for (const RegularizationScope scope : {RegularizationScope::kWeightsOnly, RegularizationScope::kWeightsAndBiases}) {
    Problem problem;
    const std::vector<int> blocks = add_mlp_l2_regularization(mlp, 0.25, &problem, scope);
    EXPECT_EQ(blocks.size(), 2u);
    double cost = 0.0;
    Eigen::VectorXd gradient;
    ASSERT_TRUE(problem.evaluate({}, &cost, nullptr, &gradient, nullptr, nullptr));
    double expected = mlp.weights(1).squaredNorm() + mlp.weights(2).squaredNorm();
    Eigen::VectorXd expected_gradient = 0.25 * mlp.parameter_vector();
    if (scope == RegularizationScope::kWeightsAndBiases) {
      expected += mlp.biases(1).squaredNorm() + mlp.biases(2).squaredNorm();
    } else {
      expected_gradient.segment(12, 4).setZero();
      expected_gradient.segment(20, 1).setZero();
    }
    EXPECT_NEAR(cost, 0.5 * 0.25 * expected, 1e-15);
    EXPECT_TRUE(gradient.isApprox(expected_gradient, 1e-15));
  }
}

// Results must not depend on the evaluation thread count (the thread-local
// scratch of MlpResidual is exercised from two threads at once here).
TEST(MlpRegression, SameResultsForOneAndTwoThreads) {
  MlpOptions options;
  options.layer_sizes = {10, 32, 32, 2};
  options.chunk_size = 64;
  Mlp mlp = random_network(options, 6);
  const Dataset data = make_dataset(random_matrix(600, 10, 10), random_matrix(600, 2, 11));
  Problem problem;
  add_mlp_regression_residuals(mlp, data, &problem);
  ASSERT_EQ(problem.num_residual_blocks(), 10);
  Eigen::VectorXd r1, r2, g1, g2;
  Eigen::MatrixXd j1, j2;
  double c1 = 0.0, c2 = 0.0;
  Problem::EvaluateOptions one;
  Problem::EvaluateOptions two;
  two.num_threads = 2;
  for (int repeat = 0; repeat < 3; ++repeat) {
    ASSERT_TRUE(problem.evaluate(one, &c1, &r1, &g1, &j1, nullptr));
    ASSERT_TRUE(problem.evaluate(two, &c2, &r2, &g2, &j2, nullptr));
    EXPECT_EQ(c1, c2);
    EXPECT_EQ(r1, r2);
    EXPECT_EQ(g1, g2);
    EXPECT_EQ(j1, j2);
  }
  // Spot check against a block evaluated alone.
  const MlpResidual last(options, data.inputs.bottomRows(24), data.targets.bottomRows(24));
  std::vector<double> residuals(48);
  const std::vector<const double*> blocks = block_pointers(mlp);
  ASSERT_TRUE(last.evaluate(blocks.data(), residuals.data(), nullptr));
  for (int i = 0; i < 48; ++i) EXPECT_EQ(residuals[static_cast<size_t>(i)], r1(1200 - 48 + i));
}

// A 1-8-1 tanh network fitted to 40 samples of sin on [-3, 3] by
// Levenberg-Marquardt (dense normal equations on 25 parameters).
TEST(MlpRegression, LevenbergMarquardtFitsSine) {
  MlpOptions options;
  options.layer_sizes = {1, 8, 1};
  options.seed = 1;
  options.chunk_size = 16;
  Mlp mlp(options);
  Eigen::MatrixXd x(40, 1), y(40, 1);
  for (int i = 0; i < 40; ++i) {
    x(i, 0) = -3.0 + 6.0 * i / 39.0;
    y(i, 0) = std::sin(x(i, 0));
  }
  const Dataset data = make_dataset(x, y);
  Problem problem;
  add_mlp_regression_residuals(mlp, data, &problem);
  const double initial = mean_squared_error(mlp, data);
  SolverOptions solver;
  solver.max_iterations = 500;
  const Summary summary = solve(solver, &problem);
  const double final_mse = mean_squared_error(mlp, data);
  EXPECT_NEAR(final_mse, 2.0 * summary.final_cost / 40.0, 1e-14);
  EXPECT_GT(initial, 0.1);
  // Measured: MSE 3.7e-8 after the 500 iterations (still decreasing); the
  // bound leaves a factor of 27.
  EXPECT_LT(final_mse, 1e-6) << summary.full_report();
}

// --- Cross-entropy ------------------------------------------------------------

Dataset classification_data(int samples, int inputs, int classes, std::uint64_t seed) {
  Eigen::MatrixXd x = random_matrix(samples, inputs, seed, -2.0, 2.0);
  Eigen::MatrixXd labels(samples, 1);
  for (int s = 0; s < samples; ++s) labels(s, 0) = s % classes;
  return make_dataset(x, labels);
}

// Central differences of f along each coordinate.
Eigen::VectorXd numeric_gradient(Objective& objective, const Eigen::VectorXd& x) {
  Eigen::VectorXd g(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double h = 1e-6 * std::max(1.0, std::abs(x(i)));
    Eigen::VectorXd plus = x, minus = x;
    plus(i) += h;
    minus(i) -= h;
    double fp = 0.0, fm = 0.0;
    EXPECT_TRUE(objective.evaluate(plus, &fp, nullptr));
    EXPECT_TRUE(objective.evaluate(minus, &fm, nullptr));
    g(i) = (fp - fm) / (plus(i) - minus(i));
  }
  return g;
}

TEST(MlpCrossEntropy, SameValueAndGradientForAnyThreadCount) {
  MlpOptions options;
  options.layer_sizes = {3, 6, 4};
  options.chunk_size = 5;  // seven chunks, the last one short
  const Mlp mlp = random_network(options, 21);
  const Dataset data = classification_data(33, 3, 4, 22);
  const Eigen::VectorXd x = mlp.parameter_vector();
  double one_value = 0.0;
  Eigen::VectorXd one_gradient;
  MlpCrossEntropyObjective one(options, data);
  ASSERT_TRUE(one.evaluate(x, &one_value, &one_gradient));
  for (int threads : {2, 3}) {
    MlpCrossEntropyOptions ce;
    ce.num_threads = threads;
    MlpCrossEntropyObjective many(options, data, ce);
    double value = 0.0;
    Eigen::VectorXd gradient;
    ASSERT_TRUE(many.evaluate(x, &value, &gradient));
    EXPECT_EQ(value, one_value) << threads << " threads";
    EXPECT_EQ(gradient, one_gradient) << threads << " threads";
  }
  MlpCrossEntropyOptions bad;
  bad.num_threads = 0;
  EXPECT_THROW(MlpCrossEntropyObjective(options, data, bad), Error);
}

TEST(MlpCrossEntropy, GradientMatchesCentralDifferences) {
  for (const Activation hidden : kActivations) {
    MlpOptions options;
    options.layer_sizes = {3, 5, 4, 3};
    options.hidden_activation = hidden;
    options.chunk_size = 4;  // several chunks, the last one short
    const Mlp mlp = random_network(options, 12);
    const Dataset data = classification_data(11, 3, 3, 13);
    MlpCrossEntropyOptions ce;
    ce.l2_weight = 0.01;
    MlpCrossEntropyObjective objective(options, data, ce);
    const Eigen::VectorXd x = mlp.parameter_vector();
    double value = 0.0;
    Eigen::VectorXd gradient;
    ASSERT_TRUE(objective.evaluate(x, &value, &gradient));
    const Eigen::VectorXd numeric = numeric_gradient(objective, x);
    EXPECT_LT((gradient - numeric).cwiseAbs().maxCoeff(), 1e-8) << to_string(hidden);

    // The value: mean cross-entropy of the softmax of predict()'s logits plus the penalty.
    const Eigen::MatrixXd logits = predict(mlp, data.inputs);
    double expected = 0.0;
    for (int s = 0; s < 11; ++s) {
      const double lse = std::log(logits.row(s).array().exp().sum());
      expected += lse - logits(s, static_cast<int>(data.targets(s, 0)));
    }
    const double penalty =
        0.005 * (mlp.weights(1).squaredNorm() + mlp.weights(2).squaredNorm() + mlp.weights(3).squaredNorm());
    EXPECT_NEAR(value, expected / 11.0 + penalty, 1e-14);
  }
}

TEST(MlpCrossEntropy, SoftTargetsEqualOneHotLabels) {
  MlpOptions options;
  options.layer_sizes = {2, 4, 3};
  const Mlp mlp = random_network(options, 1);
  const Dataset labels = classification_data(9, 2, 3, 2);
  Dataset one_hot = labels;
  one_hot.targets = Eigen::MatrixXd::Zero(9, 3);
  for (int s = 0; s < 9; ++s) one_hot.targets(s, static_cast<int>(labels.targets(s, 0))) = 1.0;
  MlpCrossEntropyObjective a(options, labels), b(options, one_hot);
  double fa = 0.0, fb = 0.0;
  Eigen::VectorXd ga, gb;
  ASSERT_TRUE(a.evaluate(mlp.parameter_vector(), &fa, &ga));
  ASSERT_TRUE(b.evaluate(mlp.parameter_vector(), &fb, &gb));
  EXPECT_EQ(fa, fb);
  EXPECT_EQ(ga, gb);
  EXPECT_EQ(classification_accuracy(mlp, labels), classification_accuracy(mlp, one_hot));

  Dataset bad = labels;
  bad.targets(3, 0) = 3.0;
  EXPECT_THROW(MlpCrossEntropyObjective(options, bad), Error);
  bad.targets(3, 0) = 0.5;
  EXPECT_THROW(MlpCrossEntropyObjective(options, bad), Error);
  bad = one_hot;
  bad.targets(0, 0) = 0.5;
  EXPECT_THROW(MlpCrossEntropyObjective(options, bad), Error);
  MlpOptions sigmoid_output = options;
  sigmoid_output.output_activation = Activation::kSigmoid;
  EXPECT_THROW(MlpCrossEntropyObjective(sigmoid_output, labels), Error);
  EXPECT_THROW(a.evaluate(Eigen::VectorXd::Zero(3), &fa, nullptr), Error);
}

// The generalized Gauss-Newton matrix against J^T H J formed from numeric
// Jacobians of the logits (an MlpResidual with zero targets and a linear
// output has the logits as residuals).
TEST(MlpCrossEntropy, GaussNewtonMatchesNumericJacobians) {
  for (const Activation hidden : {Activation::kTanh, Activation::kSoftplus}) {
    MlpOptions options;
    options.layer_sizes = {2, 4, 3};
    options.hidden_activation = hidden;
    options.chunk_size = 4;
    const Mlp mlp = random_network(options, 21);
    const int samples = 6, k = 3, n = mlp.num_parameters();
    const Dataset data = classification_data(samples, 2, k, 22);
    MlpCrossEntropyOptions ce;
    ce.l2_weight = 0.1;
    MlpCrossEntropyObjective objective(options, data, ce);

    const MlpResidual logits(options, data.inputs, Eigen::MatrixXd::Zero(samples, k));
    const std::vector<const double*> blocks = block_pointers(mlp);
    const std::vector<JacobianMatrix> parts = numeric_jacobians(logits, blocks.data(), NumericDiffMethod::kRidders);
    Eigen::MatrixXd jacobian(samples * k, n);
    jacobian << parts[0], parts[1];
    std::vector<double> z(static_cast<size_t>(samples * k));
    ASSERT_TRUE(logits.evaluate(blocks.data(), z.data(), nullptr));
    Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(n, n);
    for (int s = 0; s < samples; ++s) {
      Eigen::VectorXd p = Eigen::Map<Eigen::VectorXd>(z.data() + s * k, k).array().exp();
      p /= p.sum();
      const Eigen::MatrixXd h = Eigen::MatrixXd(p.asDiagonal()) - p * p.transpose();
      const auto js = jacobian.middleRows(s * k, k);
      expected += js.transpose() * h * js / samples;
    }
    for (int l = 1; l <= 2; ++l) {
      for (int i = 0; i < mlp.weights(l).size(); ++i) expected(mlp.layer_offset(l) + i, mlp.layer_offset(l) + i) += 0.1;
    }

    const std::unique_ptr<HessianOperator> gn = objective.hessian(mlp.parameter_vector());
    ASSERT_TRUE(gn);
    ASSERT_EQ(gn->size(), n);
    Eigen::MatrixXd dense;
    ASSERT_TRUE(gn->dense(&dense));
    EXPECT_LT((dense - expected).cwiseAbs().maxCoeff(), 1e-9 * expected.cwiseAbs().maxCoeff()) << to_string(hidden);
    EXPECT_EQ(dense, dense.transpose());
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      const Eigen::VectorXd v = random_matrix(n, 1, 100 + seed);
      Eigen::VectorXd product;
      gn->multiply(v, &product);
      EXPECT_LT((product - expected * v).cwiseAbs().maxCoeff(), 1e-9 * (expected * v).cwiseAbs().maxCoeff());
      EXPECT_LT((product - dense * v).cwiseAbs().maxCoeff(), 1e-13 * (dense * v).cwiseAbs().maxCoeff());
    }
    // Positive semidefinite (definite with the penalty on the weights).
    EXPECT_GT(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(dense).eigenvalues().minCoeff(), -1e-12);
  }
}

// Without hidden layers the logits are linear in the parameters and the
// Gauss-Newton matrix is the exact Hessian: compare with differences of the gradient.
TEST(MlpCrossEntropy, GaussNewtonIsTheHessianOfALinearModel) {
  MlpOptions options;
  options.layer_sizes = {3, 4};
  const Mlp mlp = random_network(options, 31);
  const Dataset data = classification_data(13, 3, 4, 32);
  MlpCrossEntropyObjective objective(options, data);
  const Eigen::VectorXd x = mlp.parameter_vector();
  Eigen::MatrixXd gn;
  ASSERT_TRUE(objective.hessian(x)->dense(&gn));
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double h = 1e-5;
    Eigen::VectorXd plus = x, minus = x, gp, gm;
    plus(i) += h;
    minus(i) -= h;
    double f = 0.0;
    ASSERT_TRUE(objective.evaluate(plus, &f, &gp));
    ASSERT_TRUE(objective.evaluate(minus, &f, &gm));
    EXPECT_LT(((gp - gm) / (2 * h) - gn.col(i)).cwiseAbs().maxCoeff(), 1e-9);
  }
}

// Newton-CG on the Gauss-Newton products learns three classes cut out of the
// square [-1, 1]^2 by two straight lines.
TEST(MlpCrossEntropy, NewtonCgClassifies) {
  MlpOptions options;
  options.layer_sizes = {2, 8, 3};
  options.chunk_size = 32;
  options.seed = 5;
  Mlp mlp(options);
  Dataset data = make_dataset(random_matrix(120, 2, 40, -1.0, 1.0), Eigen::MatrixXd(120, 1));
  for (int s = 0; s < 120; ++s) {
    const double a = data.inputs(s, 0), b = data.inputs(s, 1);
    data.targets(s, 0) = a + b < -0.3 ? 0.0 : (a - b > 0.2 ? 1.0 : 2.0);
  }
  MlpCrossEntropyOptions ce;
  ce.l2_weight = 1e-4;
  MlpCrossEntropyObjective objective(options, data, ce);
  Eigen::VectorXd x = mlp.parameter_vector();
  double initial = 0.0;
  ASSERT_TRUE(objective.evaluate(x, &initial, nullptr));
  MinimizeOptions minimize_options;
  minimize_options.method = MinimizerMethod::kNewtonTrustRegionCg;
  minimize_options.max_iterations = 100;
  const Summary summary = minimize(minimize_options, objective, &x);
  mlp.set_parameters(x);
  // Measured: loss 0.033 (from 1.26) and every sample classified correctly.
  EXPECT_LT(summary.final_cost, 0.1) << summary.full_report();
  EXPECT_GT(initial, 1.0);
  EXPECT_GE(classification_accuracy(mlp, data), 0.98);
}

}  // namespace
}  // namespace curvature
