// Tests for the tiled dense kernels: J^T J and Cholesky against Eigen's
// untiled ones for sizes that are and are not multiples of the tile, the
// same bits for 1, 2 and 3 threads (down to a whole Levenberg-Marquardt fit
// of a network), and the failure on an indefinite matrix.
#include "tiled_dense.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <random>

#include "curvature/solve.h"
#include "curvature/thread_pool.h"
#include "dense_normal_cholesky.h"
#include "mlp_regression.h"
#include "test_util.h"

namespace curvature::internal {
namespace {

using testing::lower;
using testing::random_matrix;

struct TiledCase {
  Eigen::Index rows;
  Eigen::Index cols;
  Eigen::Index tile;
};

class TiledDenseTest : public ::testing::TestWithParam<TiledCase> {};

TEST_P(TiledDenseTest, NormalMatrixMatchesEigen) {
  const TiledCase c = GetParam();
  const Eigen::MatrixXd j = random_matrix(c.rows, c.cols, 1);
  Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(c.cols, c.cols);
  expected.selfadjointView<Eigen::Lower>().rankUpdate(j.transpose());

  ThreadPool pool(2);
  Eigen::MatrixXd normal;
  lower_normal_matrix(j, &normal, &pool, c.tile);
  ASSERT_EQ(normal.rows(), c.cols);
  EXPECT_LE((lower(normal) - lower(expected)).norm(), 1e-13 * expected.norm());
}

TEST_P(TiledDenseTest, CholeskyMatchesEigen) {
  const TiledCase c = GetParam();
  const Eigen::MatrixXd j = random_matrix(c.rows, c.cols, 2);
  Eigen::MatrixXd a = j.transpose() * j;
  a.diagonal().array() += 1.0;  // positive definite even when rows < cols
  const Eigen::LLT<Eigen::MatrixXd> expected(a);

  ThreadPool pool(2);
  Eigen::MatrixXd factor = a;
  factor.triangularView<Eigen::StrictlyUpper>().setConstant(7.0);  // must stay untouched
  ASSERT_TRUE(cholesky_lower_in_place(factor, &pool, c.tile));
  const Eigen::MatrixXd l = lower(factor);
  EXPECT_LE((l - Eigen::MatrixXd(expected.matrixL())).norm(), 1e-12 * l.norm());
  EXPECT_LE((l * l.transpose() - a).norm(), 1e-13 * a.norm());
  const Eigen::MatrixXd upper = factor.triangularView<Eigen::StrictlyUpper>();
  const Eigen::MatrixXd sevens = Eigen::MatrixXd::Constant(c.cols, c.cols, 7.0).triangularView<Eigen::StrictlyUpper>();
  EXPECT_EQ(upper, sevens);
}

TEST_P(TiledDenseTest, SameBitsForAnyThreadCount) {
  const TiledCase c = GetParam();
  const Eigen::MatrixXd j = random_matrix(c.rows, c.cols, 3);
  Eigen::MatrixXd normal_one;
  lower_normal_matrix(j, &normal_one, nullptr, c.tile);
  Eigen::MatrixXd factor_one = lower(normal_one);
  factor_one.diagonal().array() += 1.0;
  ASSERT_TRUE(cholesky_lower_in_place(factor_one, nullptr, c.tile));

  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    Eigen::MatrixXd normal;
    lower_normal_matrix(j, &normal, &pool, c.tile);
    EXPECT_EQ(lower(normal), lower(normal_one)) << threads << " threads";
    Eigen::MatrixXd factor = lower(normal);
    factor.diagonal().array() += 1.0;
    ASSERT_TRUE(cholesky_lower_in_place(factor, &pool, c.tile));
    EXPECT_EQ(lower(factor), lower(factor_one)) << threads << " threads";
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, TiledDenseTest,
                         ::testing::Values(TiledCase{40, 7, 8},       // one tile
                                           TiledCase{50, 32, 8},      // exact multiple
                                           TiledCase{90, 61, 16},     // ragged last tile
                                           TiledCase{30, 45, 7},      // more columns than rows
                                           TiledCase{300, 300, 64}),  // square, 5 tiles
                         [](const auto& info) {
                           return std::to_string(info.param.rows) + "x" + std::to_string(info.param.cols) + "_tile" +
                                  std::to_string(info.param.tile);
                         });

TEST(TiledDenseCholesky, ReportsIndefiniteMatrixInALaterTile) {
  // Positive definite leading block, a negative pivot in the third tile.
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(20, 20);
  a(17, 17) = -1.0;
  ThreadPool pool(2);
  EXPECT_FALSE(cholesky_lower_in_place(a, &pool, 8));
}

TEST(TiledDenseDenseNormalCholeskyThreads, SameStepForOneAndTwoThreads) {
  const Eigen::MatrixXd j = random_matrix(700, 530, 4);  // three tiles of 256
  const Eigen::VectorXd r = random_matrix(700, 1, 5);
  const Eigen::VectorXd d = Eigen::VectorXd::Constant(530, 1e-3);
  Eigen::VectorXd dx_one, dx_two;
  DenseNormalCholeskySolver one(1), two(2);
  ASSERT_TRUE(one.prepare({.dense = &j}, r).success);
  ASSERT_TRUE(two.prepare({.dense = &j}, r).success);
  ASSERT_TRUE(one.solve(d, &dx_one).success);
  ASSERT_TRUE(two.solve(d, &dx_two).success);
  EXPECT_EQ(dx_one, dx_two);

  // And it is the damped least-squares step.
  Eigen::MatrixXd a = j.transpose() * j;
  a.diagonal() += d.cwiseAbs2();
  const Eigen::VectorXd expected = a.llt().solve(-j.transpose() * r);
  EXPECT_LE((dx_one - expected).norm(), 1e-9 * expected.norm());
}

TEST(TiledDenseDenseNormalCholeskyThreads, MixedPrecisionSameStepForOneAndTwoThreads) {
  const Eigen::MatrixXd j = random_matrix(700, 530, 6);
  const Eigen::VectorXd r = random_matrix(700, 1, 7);
  const Eigen::VectorXd d = Eigen::VectorXd::Constant(530, 1e-3);
  Eigen::VectorXd dx_one, dx_two;
  DenseNormalCholeskySolver one(1, true), two(2, true);
  ASSERT_TRUE(one.prepare({.dense = &j}, r).success);
  ASSERT_TRUE(two.prepare({.dense = &j}, r).success);
  ASSERT_TRUE(one.solve(d, &dx_one).success);
  ASSERT_TRUE(two.solve(d, &dx_two).success);
  EXPECT_EQ(one.num_mixed_precision_solves(), 1);
  EXPECT_EQ(dx_one, dx_two);
}

// R1's path end to end on a smaller network: 681 weights (three tiles, the
// mixed-precision solver, the network evaluated in chunks), fitted by LM
// for a few iterations with one and with two threads: the same iterates to
// the bit, with the kernel chosen for this CPU.
TEST(TiledDenseNetworkFit, LevenbergMarquardtSameBitsForOneAndTwoThreads) {
  MlpOptions network;
  network.layer_sizes = {10, 24, 16, 1};
  network.chunk_size = 100;
  network.seed = 3;
  Dataset data;
  data.inputs = random_matrix(800, 10, 12);
  data.targets = (data.inputs.col(0).array() * data.inputs.col(1).array()).sin().matrix();
  auto fit = [&](int threads, std::vector<double>* costs) {
    Mlp mlp(network);
    Problem problem;
    add_mlp_regression_residuals(mlp, data, &problem);
    SolverOptions options;
    options.linear_solver = LinearSolverType::kDenseNormalCholesky;
    options.num_threads = threads;
    options.max_iterations = 8;
    options.callback = [&](const IterationRecord& record) {
      costs->push_back(record.cost);
      return CallbackReturn::kContinue;
    };
    const Summary summary = solve(options, &problem);
    EXPECT_GE(summary.iterations, 8) << summary.message;
    EXPECT_LT(summary.final_cost, summary.initial_cost);
    return mlp.parameter_vector();
  };
  std::vector<double> costs_one, costs_two;
  const Eigen::VectorXd one = fit(1, &costs_one);
  ASSERT_GE(one.size(), 2 * kDenseTileSize + 1);
  EXPECT_EQ(fit(2, &costs_two), one);
  EXPECT_EQ(costs_two, costs_one);
}

TEST(TiledDenseSingle, KernelsMatchDoubleToSinglePrecision) {
  const Eigen::MatrixXd j = random_matrix(300, 200, 8);
  const Eigen::MatrixXf j_single = j.cast<float>();
  ThreadPool pool(2);
  Eigen::MatrixXd normal;
  Eigen::MatrixXf normal_single;
  lower_normal_matrix(j, &normal, &pool, 64);
  lower_normal_matrix(j_single, &normal_single, &pool, 64);
  EXPECT_LE((lower(normal) - lower(normal_single.cast<double>())).norm(), 1e-5 * normal.norm());

  normal.diagonal().array() += 1.0;
  normal_single.diagonal().array() += 1.0f;
  ASSERT_TRUE(cholesky_lower_in_place(normal, &pool, 64));
  ASSERT_TRUE(cholesky_lower_in_place(normal_single, &pool, 64));
  EXPECT_LE((lower(normal) - lower(normal_single.cast<double>())).norm(), 1e-5 * lower(normal).norm());
}

TEST(TiledDenseNormalMatrixProduct, MatchesExplicitProductWithSameBitsForAnyThreadCount) {
  const Eigen::MatrixXd j = random_matrix(1000, 90, 9);  // rows not a multiple of the chunk
  const Eigen::VectorXd v = random_matrix(90, 1, 10);
  Eigen::VectorXd one;
  normal_matrix_product(j, v, &one, nullptr);
  const Eigen::VectorXd expected = j.transpose() * (j * v);
  EXPECT_LE((one - expected).norm(), 1e-13 * expected.norm());
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    Eigen::VectorXd out;
    normal_matrix_product(j, v, &out, &pool);
    EXPECT_EQ(out, one) << threads << " threads";
  }
}

}  // namespace
}  // namespace curvature::internal
