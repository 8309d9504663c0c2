// Tests of the image-denoising problem: its construction, its hand-written
// Jacobians, agreement of every linear solver on its unique minimizer, the
// denoising it achieves, and its input validation.

#include "image_denoising.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "curvature/gradient_checker.h"
#include "curvature/loss_function.h"
#include "curvature/numeric_diff_cost_function.h"
#include "curvature/problem.h"
#include "curvature/solve.h"
#include "test_util.h"

namespace curvature {
namespace {

// Tight enough that the solve ends on the gradient or step test near the
// minimizer, far below the 1e-10 agreement asserted between solvers.
SolverOptions tight_options(LinearSolverType linear_solver) {
  SolverOptions options;
  options.method = Method::kLevenbergMarquardt;
  options.linear_solver = linear_solver;
  options.function_tolerance = 0.0;
  options.gradient_tolerance = 1e-13;
  options.parameter_tolerance = 1e-14;
  options.max_iterations = 500;
  options.cg_relative_tolerance = 1e-14;
  options.max_cg_iterations = 1000;
  return options;
}

TEST(ImageDenoisingTest, SyntheticImageIsDeterministicAndHasTheStatedNoise) {
  const ImageDenoisingProblem a = make_synthetic_denoising_problem(64, 48);
  const ImageDenoisingProblem b = make_synthetic_denoising_problem(64, 48);
  ASSERT_EQ(a.noisy.size(), 64u * 48u);
  ASSERT_EQ(a.clean.size(), 64u * 48u);
  EXPECT_TRUE(a.solution.empty());
  EXPECT_EQ(a.noisy, b.noisy);
  // mt19937_64 is specified exactly and Box-Muller is written out, so these
  // hold on every standard library (to the last-bit accuracy of libm).
  EXPECT_NEAR(a.noisy[0], 0.15187823001981551, 1e-14);
  EXPECT_NEAR(a.noisy[1], 0.14254631261016942, 1e-14);
  EXPECT_NEAR(a.noisy[2], 0.24945838562352135, 1e-14);
  EXPECT_NEAR(a.noisy[3071], 0.010544366527850652, 1e-14);

  // The same picture at any size: all four intensities appear.
  for (double level : {0.2, 0.5, 0.8, 0.95}) {
    EXPECT_NE(std::find(a.clean.begin(), a.clean.end(), level), a.clean.end()) << level;
  }
  // Noise of mean ~0 and standard deviation ~0.1 (3072 samples: the mean's
  // standard error is 0.0018, the deviation's about 0.0013).
  double sum = 0.0, sum_squares = 0.0;
  for (size_t i = 0; i < a.noisy.size(); ++i) {
    const double noise = a.noisy[i] - a.clean[i];
    sum += noise;
    sum_squares += noise * noise;
  }
  const double n = static_cast<double>(a.noisy.size());
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(sum_squares / n), 0.1, 0.006);

  SyntheticImageOptions other_seed;
  other_seed.seed = 7;
  EXPECT_NE(make_synthetic_denoising_problem(64, 48, other_seed).noisy, a.noisy);
  SyntheticImageOptions no_noise;
  no_noise.noise_sigma = 0.0;
  const ImageDenoisingProblem noiseless = make_synthetic_denoising_problem(64, 48, no_noise);
  EXPECT_EQ(noiseless.noisy, noiseless.clean);
  EXPECT_EQ(rms_error(noiseless, noiseless.noisy), 0.0);
}

TEST(ImageDenoisingTest, ProblemHasTheDocumentedSizeAndCost) {
  ImageDenoisingProblem image = make_synthetic_denoising_problem(7, 5);
  Problem problem;
  build_denoising_problem(image, &problem);
  EXPECT_EQ(image.solution, image.noisy);
  EXPECT_EQ(problem.num_parameter_blocks(), 35);
  EXPECT_EQ(problem.num_effective_parameters(), 35);
  EXPECT_EQ(image.num_pairs(), 5 * 6 + 7 * 4);
  EXPECT_EQ(problem.num_residual_blocks(), image.num_residuals());
  EXPECT_EQ(problem.num_residuals(), image.num_residuals());

  // The Problem reads image.solution: move it away from the noisy image so
  // that the data terms are not all zero.
  for (int i = 0; i < image.num_pixels(); ++i) image.solution[i] += 0.01 * (i % 3);
  SparseRowMatrix jacobian;
  double cost = 0.0;
  ASSERT_TRUE(problem.evaluate({}, &cost, nullptr, nullptr, nullptr, &jacobian));
  EXPECT_EQ(jacobian.nonZeros(), image.num_jacobian_nonzeros());

  // F(u) written out directly from the header's formula.
  const double lambda = image.smoothness_weight;
  const double t = image.edge_scale;
  auto pair_cost = [&](int p, int q) {
    const double d = image.solution[p] - image.solution[q];
    return lambda * t * t * (std::sqrt(1.0 + d * d / (t * t)) - 1.0);
  };
  double expected = 0.0;
  for (int i = 0; i < image.num_pixels(); ++i) {
    expected += 0.5 * (image.solution[i] - image.noisy[i]) * (image.solution[i] - image.noisy[i]);
  }
  for (int row = 0; row < image.height; ++row) {
    for (int col = 0; col < image.width; ++col) {
      if (col + 1 < image.width) expected += pair_cost(image.index(row, col), image.index(row, col + 1));
      if (row + 1 < image.height) expected += pair_cost(image.index(row, col), image.index(row + 1, col));
    }
  }
  EXPECT_NEAR(cost, expected, 1e-14 * expected);
}

TEST(ImageDenoisingTest, HandWrittenJacobiansAgreeWithNumericDifferentiation) {
  const PixelDataCost data(0.37);
  const PixelSmoothnessCost smoothness(std::sqrt(4.0));
  for (double u : {-0.3, 0.0, 0.37, 0.91, 2.5}) {
    for (double v : {-1.0, 0.0, 0.5, 0.94}) {
      const double x0[1] = {u};
      const double x1[1] = {v};
      const double* data_parameters[] = {x0};
      const double* pair_parameters[] = {x0, x1};

      const GradientCheckResult data_check = check_gradients(data, data_parameters);
      EXPECT_TRUE(data_check.ok) << data_check.message;
      EXPECT_DOUBLE_EQ(data_check.residuals[0], u - 0.37);
      const GradientCheckResult pair_check = check_gradients(smoothness, pair_parameters);
      EXPECT_TRUE(pair_check.ok) << pair_check.message;
      EXPECT_DOUBLE_EQ(pair_check.residuals[0], 2.0 * (u - v));

      // Ridders' extrapolation is exact to rounding for these linear
      // residuals; the analytic values are exact constants.
      const std::vector<JacobianMatrix> numeric =
          numeric_jacobians(smoothness, pair_parameters, NumericDiffMethod::kRidders);
      ASSERT_EQ(numeric.size(), 2u);
      EXPECT_NEAR(numeric[0](0, 0), 2.0, 1e-9);
      EXPECT_NEAR(numeric[1](0, 0), -2.0, 1e-9);
      EXPECT_EQ(pair_check.analytic[0](0, 0), 2.0);
      EXPECT_EQ(pair_check.analytic[1](0, 0), -2.0);
      EXPECT_EQ(data_check.analytic[0](0, 0), 1.0);
    }
  }
}

TEST(ImageDenoisingTest, OnlyRequestedJacobianBlocksAreWritten) {
  const PixelSmoothnessCost smoothness(3.0);
  const double x0[1] = {1.0};
  const double x1[1] = {0.25};
  const double* parameters[] = {x0, x1};
  double residual = 0.0;
  double j1 = 42.0;
  double* jacobians[] = {nullptr, &j1};
  ASSERT_TRUE(smoothness.evaluate(parameters, &residual, jacobians));
  EXPECT_EQ(residual, 2.25);
  EXPECT_EQ(j1, -3.0);
  ASSERT_TRUE(smoothness.evaluate(parameters, &residual, nullptr));
}

TEST(ImageDenoisingTest, EveryLinearSolverFindsTheSameMinimizer) {
  const ImageDenoisingProblem original = make_synthetic_denoising_problem(12, 10);
  const std::vector<LinearSolverType> solvers = testing::every_linear_solver();
  std::vector<std::vector<double>> solutions;
  for (LinearSolverType solver : solvers) {
    ImageDenoisingProblem image = original;
    Problem problem;
    build_denoising_problem(image, &problem);
    const Summary summary = solve(tight_options(solver), &problem);
    EXPECT_TRUE(summary.converged()) << to_string(solver) << ": " << summary.full_report();
    EXPECT_LT(summary.final_cost, summary.initial_cost);

    // The gradient at the solution is zero to rounding.
    Eigen::VectorXd gradient;
    ASSERT_TRUE(problem.evaluate({}, nullptr, nullptr, &gradient, nullptr, nullptr));
    EXPECT_LT(gradient.lpNorm<Eigen::Infinity>(), 1e-10) << to_string(solver);
    solutions.push_back(image.solution);
  }
  for (size_t s = 1; s < solutions.size(); ++s) {
    double max_difference = 0.0;
    for (size_t i = 0; i < solutions[0].size(); ++i) {
      max_difference = std::max(max_difference, std::abs(solutions[s][i] - solutions[0][i]));
    }
    EXPECT_LE(max_difference, 1e-10) << to_string(solvers[s]) << " vs " << to_string(solvers[0]);
  }
}

// Solves `image` with Levenberg-Marquardt and sparse normal Cholesky (either
// backend); returns the RMS error of the solution against the clean image.
double denoised_rms_error(ImageDenoisingProblem& image) {
  Problem problem;
  build_denoising_problem(image, &problem);
  SolverOptions options;
  options.linear_solver = LinearSolverType::kSparseNormalCholesky;
  options.function_tolerance = 1e-10;
  const Summary summary = solve(options, &problem);
  EXPECT_TRUE(summary.converged()) << summary.full_report();
  return rms_error(image, image.solution);
}

TEST(ImageDenoisingTest, DenoisingCutsTheRmsErrorAlmostThreefold) {
  ImageDenoisingProblem image = make_synthetic_denoising_problem(48, 48);
  // Measured (Release, x86-64): 0.0993 before, 0.0359 after.
  const double before = rms_error(image, image.noisy);
  const double after = denoised_rms_error(image);
  EXPECT_NEAR(before, 0.1, 0.005);
  EXPECT_LT(after, 0.042);
  EXPECT_LT(after, 0.45 * before);
}

TEST(ImageDenoisingTest, EdgesSurviveBetterThanWithQuadraticSmoothing) {
  // Without the loss's linear tail (a huge edge scale keeps every difference
  // in the quadratic regime) smoothing blurs the edges: whatever its weight,
  // quadratic smoothing ends farther from the clean image than the default
  // robust problem. Measured on 32 x 32: 0.0381 robust; 0.0716 for the best
  // quadratic weight tried (0.25), 0.146 for the default weight 4.
  const ImageDenoisingProblem original = make_synthetic_denoising_problem(32, 32);
  ImageDenoisingProblem robust = original;
  const double robust_error = denoised_rms_error(robust);
  double best_quadratic_error = 1.0;
  for (double weight : {0.0625, 0.125, 0.25, 0.5, 1.0, 4.0}) {
    ImageDenoisingProblem quadratic = original;
    quadratic.edge_scale = 1e3;
    quadratic.smoothness_weight = weight;
    best_quadratic_error = std::min(best_quadratic_error, denoised_rms_error(quadratic));
  }
  EXPECT_LT(robust_error, 0.7 * best_quadratic_error) << robust_error << " vs " << best_quadratic_error;
}

TEST(ImageDenoisingTest, BadInputThrowsErrorsThatNameTheProblem) {
  testing::expect_error_naming([] { make_synthetic_denoising_problem(0, 10); }, "width 0 and height 10");
  testing::expect_error_naming([] { make_synthetic_denoising_problem(10, -1); }, "width 10 and height -1");
  testing::expect_error_naming([] { make_synthetic_denoising_problem(100000, 100000); }, "too many pixels");
  SyntheticImageOptions negative_noise;
  negative_noise.noise_sigma = -0.1;
  testing::expect_error_naming([&] { make_synthetic_denoising_problem(4, 4, negative_noise); }, "noise_sigma");

  const ImageDenoisingProblem valid = make_synthetic_denoising_problem(4, 3);
  Problem problem;
  auto build = [&](auto edit, const std::string& fragment) {
    ImageDenoisingProblem image = valid;
    edit(image);
    testing::expect_error_naming([&] { build_denoising_problem(image, &problem); }, fragment);
    EXPECT_TRUE(image.solution.empty()) << fragment;
  };
  build([](ImageDenoisingProblem& image) { image.width = 0; }, "image size must be positive, got width 0");
  build([](ImageDenoisingProblem& image) { image.height = 0; }, "got width 4 and height 0");
  build([](ImageDenoisingProblem& image) { image.noisy.pop_back(); },
        "the noisy image has 11 values, expected 12 values (4 x 3)");
  build([](ImageDenoisingProblem& image) { image.width = 3; }, "the noisy image has 12 values, expected 9");
  build([](ImageDenoisingProblem& image) { image.clean.push_back(0.0); }, "the clean image has 13 values");
  build([](ImageDenoisingProblem& image) { image.noisy[5] = std::nan(""); }, "noisy value 5 is not finite");
  build([](ImageDenoisingProblem& image) { image.smoothness_weight = 0.0; }, "smoothness_weight must be positive");
  build([](ImageDenoisingProblem& image) { image.edge_scale = -1.0; }, "edge_scale must be positive");
  EXPECT_EQ(problem.num_residual_blocks(), 0);
  EXPECT_EQ(problem.num_parameter_blocks(), 0);

  ImageDenoisingProblem image = valid;
  testing::expect_error_naming([&] { build_denoising_problem(image, nullptr); }, "the Problem is null");
  testing::expect_error_naming([&] { rms_error(image, std::vector<double>(5)); },
                               "the image has 5 values, expected 12");
  image.clean.clear();
  testing::expect_error_naming([&] { rms_error(image, image.noisy); }, "no clean image");
  testing::expect_error_naming([] { rms_difference({}, {}); }, "same, non-zero size");
}

}  // namespace
}  // namespace curvature
