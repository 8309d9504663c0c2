// The plain-loop Cholesky and triangular solves of small_cholesky.h: known
// factors and solutions, failures on matrices that are not positive
// definite, and storage with a leading dimension beyond n.
#include "small_cholesky.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <limits>

namespace curvature::internal {
namespace {

// A = L L^T with L = [2 0 0; 1 3 0; -1 2 4] (integers: every step is exact).
Eigen::Matrix3d known_factor() {
  Eigen::Matrix3d l;
  l << 2, 0, 0, 1, 3, 0, -1, 2, 4;
  return l;
}

TEST(SmallCholesky, FactorsAKnownMatrixExactlyAndLeavesTheUpperTriangle) {
  const Eigen::Matrix3d l = known_factor();
  Eigen::Matrix3d a = l * l.transpose();
  a(0, 1) = a(0, 2) = a(1, 2) = 99.0;  // never read nor written
  ASSERT_TRUE(small_cholesky_lower_in_place(a.data(), 3, 3));
  for (int j = 0; j < 3; ++j) {
    for (int i = j; i < 3; ++i) EXPECT_EQ(a(i, j), l(i, j)) << i << ", " << j;
  }
  EXPECT_EQ(a(0, 1), 99.0);
  EXPECT_EQ(a(0, 2), 99.0);
  EXPECT_EQ(a(1, 2), 99.0);
}

TEST(SmallCholesky, SolvesWithTheFactorAndEachTriangle) {
  const Eigen::Matrix3d l = known_factor();
  const Eigen::Vector3d x(1.0, -2.0, 0.5);
  Eigen::Vector3d b = l * x;
  small_solve_lower_in_place(l.data(), 3, 3, b.data());
  EXPECT_EQ(b, x);
  b = l.transpose() * x;
  small_solve_lower_transposed_in_place(l.data(), 3, 3, b.data());
  EXPECT_EQ(b, x);
  b = l * (l.transpose() * x);
  small_cholesky_solve_in_place(l.data(), 3, 3, b.data());
  EXPECT_EQ(b, x);
}

TEST(SmallCholesky, ReadsAndWritesOnlyTheLeadingBlockOfALargerArray) {
  // The 3 x 3 matrix in the top-left corner of 5 x 4 storage (leading dimension 5).
  const Eigen::Matrix3d l = known_factor();
  Eigen::MatrixXd storage = Eigen::MatrixXd::Constant(5, 4, -7.0);
  storage.topLeftCorner(3, 3) = l * l.transpose();
  ASSERT_TRUE(small_cholesky_lower_in_place(storage.data(), 5, 3));
  for (int j = 0; j < 3; ++j) {
    for (int i = j; i < 3; ++i) EXPECT_EQ(storage(i, j), l(i, j)) << i << ", " << j;
  }
  EXPECT_TRUE((storage.bottomRows(2).array() == -7.0).all());
  EXPECT_TRUE((storage.col(3).array() == -7.0).all());
  Eigen::Vector3d b = l * (l.transpose() * Eigen::Vector3d(3.0, 0.25, -1.0));
  small_cholesky_solve_in_place(storage.data(), 5, 3, b.data());
  EXPECT_EQ(b, Eigen::Vector3d(3.0, 0.25, -1.0));
}

TEST(SmallCholesky, FailsOnAMatrixThatIsNotPositiveDefinite) {
  Eigen::Matrix2d singular;
  singular << 1, 1, 1, 1;
  EXPECT_FALSE(small_cholesky_lower_in_place(singular.data(), 2, 2));
  Eigen::Matrix2d indefinite;
  indefinite << 1, 2, 2, 1;
  EXPECT_FALSE(small_cholesky_lower_in_place(indefinite.data(), 2, 2));
  Eigen::Matrix2d not_a_number;
  not_a_number << 1, 0, 0, std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(small_cholesky_lower_in_place(not_a_number.data(), 2, 2));
}

// Up to kSmallCholeskyColumns, the same factor as Eigen's LLT to rounding.
TEST(SmallCholesky, AgreesWithEigenUpToSixteenColumns) {
  for (Eigen::Index n = 1; n <= kSmallCholeskyColumns; ++n) {
    const Eigen::MatrixXd j = Eigen::MatrixXd::Random(n + 3, n);
    Eigen::MatrixXd a = j.transpose() * j + Eigen::MatrixXd::Identity(n, n);
    const Eigen::MatrixXd expected = a.llt().matrixL();
    ASSERT_TRUE(small_cholesky_lower_in_place(a.data(), n, n)) << n;
    const Eigen::MatrixXd factor = a.triangularView<Eigen::Lower>();
    EXPECT_LE((factor - expected).norm(), 1e-13 * expected.norm()) << n;
  }
}

}  // namespace
}  // namespace curvature::internal
