// Tests for the damped linear least-squares solvers: every solver against a
// long-double reference, the reuse of the sparse factorizations' symbolic
// analyses (CHOLMOD and SPQR, or Eigen's without SuiteSparse: the same
// counts for both), the rank-deficient fallbacks, CGNR's iteration
// reporting, and the kAuto rule.
#include "linear_solver.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cgnr.h"
#include "curvature/cost_function.h"
#include "curvature/error.h"
#include "curvature/problem.h"
#include "dense_normal_cholesky.h"
#include "dense_qr.h"
#include "jacobian_products.h"
#include "sparse_normal_cholesky.h"
#include "sparse_qr.h"
#include "test_util.h"

namespace curvature::internal {
namespace {

using LongMatrix = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;
using LongVector = Eigen::Matrix<long double, Eigen::Dynamic, 1>;

// (J^T J + D^2) dx = -J^T r in long double: for the well-conditioned
// problems below its error is far under the 1e-10 the solvers are held to.
Eigen::VectorXd reference_solution(const Eigen::MatrixXd& j, const Eigen::VectorXd& r, const Eigen::VectorXd& d) {
  const LongMatrix jl = j.cast<long double>();
  LongMatrix a = jl.transpose() * jl;
  a.diagonal() += d.cast<long double>().cwiseAbs2();
  const LongVector b = -(jl.transpose() * r.cast<long double>());
  Eigen::LLT<LongMatrix> llt(a);
  EXPECT_EQ(llt.info(), Eigen::Success);
  return llt.solve(b).cast<double>();
}

// Uniform entries with column scales spread over two decades, so the Jacobi
// scaling inside the solvers has something to do.
Eigen::MatrixXd random_dense_jacobian(int m, int n, std::mt19937* rng) {
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::uniform_real_distribution<double> exponent(-1.0, 1.0);
  Eigen::MatrixXd j(m, n);
  for (int c = 0; c < n; ++c) {
    const double scale = std::pow(10.0, exponent(*rng));
    for (int r = 0; r < m; ++r) j(r, c) = scale * uniform(*rng);
  }
  return j;
}

// A diagonally dominant block on top (full column rank) and random rows with
// three entries each below it.
SparseRowMatrix random_sparse_jacobian(int m, int n, std::mt19937* rng) {
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::uniform_int_distribution<int> column(0, n - 1);
  std::vector<Eigen::Triplet<double>> triplets;
  for (int i = 0; i < n; ++i) triplets.emplace_back(i, i, 3.0 + uniform(*rng));
  for (int row = n; row < m; ++row) {
    for (int k = 0; k < 3; ++k) triplets.emplace_back(row, column(*rng), uniform(*rng));
  }
  SparseRowMatrix j(m, n);
  j.setFromTriplets(triplets.begin(), triplets.end());
  j.makeCompressed();
  return j;
}

Eigen::VectorXd random_vector(Eigen::Index n, std::mt19937* rng) {
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = uniform(*rng);
  return v;
}

// Zero (Gauss-Newton), tiny, Marquardt's sqrt(lambda diag(J^T J)) and random.
std::vector<Eigen::VectorXd> damping_vectors(const Eigen::MatrixXd& j, std::mt19937* rng) {
  const Eigen::Index n = j.cols();
  std::vector<Eigen::VectorXd> ds;
  ds.push_back(Eigen::VectorXd::Zero(n));
  ds.push_back(Eigen::VectorXd::Constant(n, 1e-4));
  ds.push_back((1e-1 * j.colwise().squaredNorm().transpose()).cwiseSqrt());
  ds.push_back(2.0 * random_vector(n, rng).cwiseAbs());
  return ds;
}

LinearSolverOptions options_for(LinearSolverType type) {
  LinearSolverOptions options;
  options.type = type;
  // Tight enough that the CG error, ~cond(A) times this, stays below 1e-10.
  options.cg_relative_tolerance = 1e-14;
  options.max_cg_iterations = 2000;
  return options;
}

double relative_error(const Eigen::VectorXd& x, const Eigen::VectorXd& reference) {
  return (x - reference).norm() / std::max(reference.norm(), 1e-300);
}

class LinearSolverEverySolver : public ::testing::TestWithParam<LinearSolverType> {};

TEST_P(LinearSolverEverySolver, MatchesReferenceOnDenseJacobians) {
  std::mt19937 rng(7);
  for (const auto& [m, n] : std::vector<std::pair<int, int>>{{2, 2}, {8, 2}, {30, 7}, {60, 25}}) {
    const Eigen::MatrixXd j = random_dense_jacobian(m, n, &rng);
    const Eigen::VectorXd r = random_vector(m, &rng);
    auto solver = make_linear_solver(options_for(GetParam()));
    const LinearSolverResult prepared = solver->prepare(JacobianRef{.dense = &j}, r);
    ASSERT_TRUE(prepared.success) << prepared.message;
    for (const Eigen::VectorXd& d : damping_vectors(j, &rng)) {
      Eigen::VectorXd dx;
      const LinearSolverResult result = solver->solve(d, &dx);
      ASSERT_TRUE(result.success) << result.message;
      EXPECT_LT(relative_error(dx, reference_solution(j, r, d)), 1e-10)
          << solver->name() << " m=" << m << " n=" << n << " |d|=" << d.norm();
    }
  }
}

TEST_P(LinearSolverEverySolver, MatchesReferenceOnSparseJacobians) {
  std::mt19937 rng(11);
  for (const auto& [m, n] : std::vector<std::pair<int, int>>{{5, 3}, {90, 30}, {300, 100}}) {
    const SparseRowMatrix j = random_sparse_jacobian(m, n, &rng);
    const Eigen::MatrixXd dense = j;
    const Eigen::VectorXd r = random_vector(m, &rng);
    auto solver = make_linear_solver(options_for(GetParam()));
    ASSERT_TRUE(solver->prepare(JacobianRef{.sparse = &j}, r).success);
    for (const Eigen::VectorXd& d : damping_vectors(dense, &rng)) {
      Eigen::VectorXd dx;
      const LinearSolverResult result = solver->solve(d, &dx);
      ASSERT_TRUE(result.success) << result.message;
      EXPECT_LT(relative_error(dx, reference_solution(dense, r, d)), 1e-10)
          << solver->name() << " m=" << m << " n=" << n << " |d|=" << d.norm();
    }
  }
}

TEST_P(LinearSolverEverySolver, UnderdeterminedWithDamping) {
  // m < n is solvable once every d_i > 0; dense QR pads R for this case.
  std::mt19937 rng(13);
  const Eigen::MatrixXd j = random_dense_jacobian(4, 9, &rng);
  const SparseRowMatrix sparse = j.sparseView();
  const Eigen::VectorXd r = random_vector(4, &rng);
  const Eigen::VectorXd d = Eigen::VectorXd::Constant(9, 0.3);
  for (const JacobianRef& ref : {JacobianRef{.dense = &j}, JacobianRef{.sparse = &sparse}}) {
    auto solver = make_linear_solver(options_for(GetParam()));
    ASSERT_TRUE(solver->prepare(ref, r).success);
    Eigen::VectorXd dx;
    const LinearSolverResult result = solver->solve(d, &dx);
    ASSERT_TRUE(result.success) << result.message;
    EXPECT_LT(relative_error(dx, reference_solution(j, r, d)), 1e-10) << solver->name();
  }
}

TEST_P(LinearSolverEverySolver, RepeatedPrepareWithNewValues) {
  std::mt19937 rng(17);
  const SparseRowMatrix pattern = random_sparse_jacobian(120, 40, &rng);
  auto solver = make_linear_solver(options_for(GetParam()));
  for (int iteration = 0; iteration < 4; ++iteration) {
    SparseRowMatrix j = pattern;
    for (Eigen::Index k = 0; k < j.nonZeros(); ++k) j.valuePtr()[k] *= 1.0 + 0.5 * random_vector(1, &rng)[0];
    const Eigen::VectorXd r = random_vector(120, &rng);
    ASSERT_TRUE(solver->prepare(JacobianRef{.sparse = &j}, r).success);
    const Eigen::MatrixXd dense = j;
    for (const Eigen::VectorXd& d : damping_vectors(dense, &rng)) {
      Eigen::VectorXd dx;
      ASSERT_TRUE(solver->solve(d, &dx).success);
      EXPECT_LT(relative_error(dx, reference_solution(dense, r, d)), 1e-10) << solver->name();
    }
  }
}

TEST_P(LinearSolverEverySolver, ZeroResidualGivesZeroStep) {
  std::mt19937 rng(19);
  const Eigen::MatrixXd j = random_dense_jacobian(10, 4, &rng);
  const Eigen::VectorXd r = Eigen::VectorXd::Zero(10);
  auto solver = make_linear_solver(options_for(GetParam()));
  ASSERT_TRUE(solver->prepare(JacobianRef{.dense = &j}, r).success);
  Eigen::VectorXd dx;
  ASSERT_TRUE(solver->solve(Eigen::VectorXd::Zero(4), &dx).success);
  EXPECT_EQ(dx.size(), 4);
  EXPECT_EQ(dx.norm(), 0.0);
}

TEST_P(LinearSolverEverySolver, MisuseThrows) {
  std::mt19937 rng(23);
  const Eigen::MatrixXd j = random_dense_jacobian(10, 4, &rng);
  const Eigen::VectorXd r = random_vector(10, &rng);
  auto solver = make_linear_solver(options_for(GetParam()));
  Eigen::VectorXd dx;
  EXPECT_THROW(solver->solve(Eigen::VectorXd::Zero(4), &dx), Error);
  EXPECT_THROW(solver->prepare(JacobianRef{.dense = &j}, Eigen::VectorXd::Zero(9)), Error);
  EXPECT_THROW(solver->prepare(JacobianRef{}, r), Error);
  ASSERT_TRUE(solver->prepare(JacobianRef{.dense = &j}, r).success);
  EXPECT_THROW(solver->solve(Eigen::VectorXd::Zero(3), &dx), Error);
  EXPECT_THROW(solver->solve(Eigen::VectorXd::Zero(4), nullptr), Error);
}

INSTANTIATE_TEST_SUITE_P(LinearSolver, LinearSolverEverySolver,
                         ::testing::ValuesIn(testing::every_bare_jacobian_linear_solver()),
                         [](const ::testing::TestParamInfo<LinearSolverType>& info) {
                           std::string name = to_string(info.param);
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

// Rank-deficient J with d = 0: the direct solvers must still return a finite
// least-squares solution, i.e. one satisfying J^T J dx = -J^T r.
class LinearSolverRankDeficient : public ::testing::TestWithParam<LinearSolverType> {};

double normal_equation_residual(const Eigen::MatrixXd& j, const Eigen::VectorXd& r, const Eigen::VectorXd& dx) {
  const Eigen::VectorXd jtr = j.transpose() * r;
  const Eigen::VectorXd residual = j.transpose() * (j * dx) + jtr;
  // |J^T J| through a sparse product: the dense one costs m n^2, which the
  // 3000 x 1000 case makes slow under the sanitizers.
  const Eigen::SparseMatrix<double> sparse = j.sparseView();
  const double jtj_norm = Eigen::SparseMatrix<double>(sparse.transpose() * sparse).norm();
  return residual.norm() / (jtj_norm * dx.norm() + jtr.norm());
}

std::vector<Eigen::MatrixXd> rank_deficient_jacobians(std::mt19937* rng) {
  std::vector<Eigen::MatrixXd> js;
  // Low rank product: rank 5 of 12 columns.
  js.push_back(random_dense_jacobian(40, 5, rng) * random_dense_jacobian(5, 12, rng));
  // A duplicated column.
  Eigen::MatrixXd duplicate = random_dense_jacobian(20, 6, rng);
  duplicate.col(4) = duplicate.col(1);
  js.push_back(duplicate);
  // A zero column (a parameter nothing depends on).
  Eigen::MatrixXd zero_column = random_dense_jacobian(15, 4, rng);
  zero_column.col(2).setZero();
  js.push_back(zero_column);
  // Fewer rows than columns and no damping.
  js.push_back(random_dense_jacobian(3, 6, rng));
  return js;
}

TEST_P(LinearSolverRankDeficient, GaussNewtonStepSatisfiesNormalEquations) {
  std::mt19937 rng(29);
  for (const Eigen::MatrixXd& j : rank_deficient_jacobians(&rng)) {
    const SparseRowMatrix sparse = j.sparseView();
    const Eigen::VectorXd r = random_vector(j.rows(), &rng);
    for (const JacobianRef& ref : {JacobianRef{.dense = &j}, JacobianRef{.sparse = &sparse}}) {
      auto solver = make_linear_solver(options_for(GetParam()));
      ASSERT_TRUE(solver->prepare(ref, r).success);
      Eigen::VectorXd dx;
      const LinearSolverResult result = solver->solve(Eigen::VectorXd::Zero(j.cols()), &dx);
      ASSERT_TRUE(result.success) << solver->name() << ": " << result.message;
      ASSERT_TRUE(dx.allFinite());
      EXPECT_FALSE(result.message.empty()) << solver->name() << " should say it handled rank deficiency";
      EXPECT_LT(normal_equation_residual(j, r, dx), 1e-8)
          << solver->name() << " " << j.rows() << "x" << j.cols() << ": " << result.message;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(LinearSolver, LinearSolverRankDeficient, ::testing::ValuesIn([] {
                           std::vector<LinearSolverType> bare;
                           for (LinearSolverType type : testing::every_direct_linear_solver()) {
                             if (!curvature::info(type).needs_block_structure) bare.push_back(type);
                           }
                           return bare;
                         }()),
                         [](const ::testing::TestParamInfo<LinearSolverType>& info) {
                           std::string name = to_string(info.param);
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(LinearSolverDenseNormalCholesky, FallsBackOnlyWhenNeeded) {
  std::mt19937 rng(31);
  const Eigen::MatrixXd good = random_dense_jacobian(20, 5, &rng);
  Eigen::MatrixXd bad = good;
  bad.col(3) = 2.0 * bad.col(0);
  const Eigen::VectorXd r = random_vector(20, &rng);
  DenseNormalCholeskySolver solver;
  Eigen::VectorXd dx;
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &good}, r).success);
  LinearSolverResult result = solver.solve(Eigen::VectorXd::Zero(5), &dx);
  EXPECT_TRUE(result.success);
  EXPECT_TRUE(result.message.empty()) << result.message;
  EXPECT_EQ(solver.num_fallbacks(), 0);

  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &bad}, r).success);
  result = solver.solve(Eigen::VectorXd::Zero(5), &dx);
  EXPECT_TRUE(result.success);
  EXPECT_NE(result.message.find("orthogonal"), std::string::npos) << result.message;
  EXPECT_EQ(solver.num_fallbacks(), 1);
  // With damping the same J is positive definite again: no fallback.
  result = solver.solve(Eigen::VectorXd::Constant(5, 0.1), &dx);
  EXPECT_TRUE(result.success);
  EXPECT_TRUE(result.message.empty()) << result.message;
  EXPECT_EQ(solver.num_fallbacks(), 1);
}

TEST(LinearSolverSparseNormalCholesky, SymbolicAnalysisRunsOncePerPattern) {
  std::mt19937 rng(37);
  const SparseRowMatrix pattern = random_sparse_jacobian(300, 100, &rng);
  SparseNormalCholeskySolver solver;
  EXPECT_EQ(solver.num_symbolic_analyses(), 0);
  for (int iteration = 0; iteration < 5; ++iteration) {
    SparseRowMatrix j = pattern;
    for (Eigen::Index k = 0; k < j.nonZeros(); ++k) j.valuePtr()[k] += 0.1 * random_vector(1, &rng)[0];
    const Eigen::VectorXd r = random_vector(300, &rng);
    ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &j}, r).success);
    Eigen::VectorXd dx;
    const Eigen::VectorXd d = Eigen::VectorXd::Constant(100, 0.01 * (iteration + 1));
    ASSERT_TRUE(solver.solve(d, &dx).success);
    EXPECT_LT(relative_error(dx, reference_solution(Eigen::MatrixXd(j), r, d)), 1e-10);
  }
  EXPECT_EQ(solver.num_symbolic_analyses(), 1);

  // A new pattern is analyzed again, once.
  const SparseRowMatrix other = random_sparse_jacobian(300, 100, &rng);
  const Eigen::VectorXd r = random_vector(300, &rng);
  for (int iteration = 0; iteration < 2; ++iteration) {
    ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &other}, r).success);
    Eigen::VectorXd dx;
    ASSERT_TRUE(solver.solve(Eigen::VectorXd::Zero(100), &dx).success);
    EXPECT_LT(relative_error(dx, reference_solution(Eigen::MatrixXd(other), r, Eigen::VectorXd::Zero(100))), 1e-10);
  }
  EXPECT_EQ(solver.num_symbolic_analyses(), 2);
}

TEST(LinearSolverSparseQr, SymbolicAnalysisRunsOncePerPatternOfTheDampedMatrix) {
  std::mt19937 rng(43);
  const SparseRowMatrix pattern = random_sparse_jacobian(300, 100, &rng);
  SparseQrSolver solver;
  const Eigen::VectorXd undamped = Eigen::VectorXd::Zero(100);
  Eigen::VectorXd partly_damped = Eigen::VectorXd::Constant(100, 0.05);
  partly_damped.head(10).setZero();
  int expected_analyses = 0;
  for (int iteration = 0; iteration < 4; ++iteration) {
    SparseRowMatrix j = pattern;
    for (Eigen::Index k = 0; k < j.nonZeros(); ++k) j.valuePtr()[k] += 0.1 * random_vector(1, &rng)[0];
    const Eigen::VectorXd r = random_vector(300, &rng);
    ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &j}, r).success);
    // New values, the same damped pattern: no new analysis after the first.
    for (double lambda : {1e-3, 1e-1}) {
      const Eigen::VectorXd d = Eigen::VectorXd::Constant(100, lambda * (iteration + 1));
      Eigen::VectorXd dx;
      ASSERT_TRUE(solver.solve(d, &dx).success);
      EXPECT_LT(relative_error(dx, reference_solution(Eigen::MatrixXd(j), r, d)), 1e-10);
    }
    if (iteration == 0) ++expected_analyses;
    EXPECT_EQ(solver.num_symbolic_analyses(), expected_analyses);
    // Damping rows for only some columns, or none: other patterns, each
    // analyzed when it appears, and the full pattern again after them.
    if (iteration == 2) {
      for (const Eigen::VectorXd* d : std::vector<const Eigen::VectorXd*>{&undamped, &partly_damped}) {
        Eigen::VectorXd dx;
        ASSERT_TRUE(solver.solve(*d, &dx).success);
        EXPECT_LT(relative_error(dx, reference_solution(Eigen::MatrixXd(j), r, *d)), 1e-10);
        EXPECT_EQ(solver.num_symbolic_analyses(), ++expected_analyses);
      }
      ++expected_analyses;  // the fully damped pattern of the next iteration
    }
  }
  EXPECT_EQ(solver.num_symbolic_analyses(), 4);
}

TEST(LinearSolverSparseQr, DenseJacobianWhoseZerosMoveIsAnalyzedAgain) {
  // A dense J enters SPQR without its zeros, so new zeros are a new pattern.
  std::mt19937 rng(47);
  Eigen::MatrixXd j = random_dense_jacobian(12, 4, &rng);
  const Eigen::VectorXd r = random_vector(12, &rng);
  const Eigen::VectorXd d = Eigen::VectorXd::Constant(4, 0.1);
  SparseQrSolver solver;
  Eigen::VectorXd dx;
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &j}, r).success);
  ASSERT_TRUE(solver.solve(d, &dx).success);
  EXPECT_LT(relative_error(dx, reference_solution(j, r, d)), 1e-10);
  j(3, 1) = 0.0;
  j(7, 2) = 0.0;
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &j}, r).success);
  ASSERT_TRUE(solver.solve(d, &dx).success);
  EXPECT_LT(relative_error(dx, reference_solution(j, r, d)), 1e-10);
  EXPECT_EQ(solver.num_symbolic_analyses(), 2);
}

TEST(LinearSolverSparseNormalCholesky, DenseJacobianKeepsItsPatternWhenValuesHitZero) {
  std::mt19937 rng(41);
  Eigen::MatrixXd j = random_dense_jacobian(12, 4, &rng);
  const Eigen::VectorXd r = random_vector(12, &rng);
  SparseNormalCholeskySolver solver;
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &j}, r).success);
  j(3, 1) = 0.0;
  j(7, 2) = 0.0;
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &j}, r).success);
  Eigen::VectorXd dx;
  ASSERT_TRUE(solver.solve(Eigen::VectorXd::Zero(4), &dx).success);
  EXPECT_LT(relative_error(dx, reference_solution(j, r, Eigen::VectorXd::Zero(4))), 1e-10);
  EXPECT_EQ(solver.num_symbolic_analyses(), 1);
}

TEST(LinearSolverSparseNormalCholesky, SingularMatrixIsRegularizedAndSaysSo) {
  std::mt19937 rng(43);
  Eigen::MatrixXd j = random_dense_jacobian(30, 6, &rng);
  j.col(5) = j.col(2);
  const SparseRowMatrix sparse = j.sparseView();
  const Eigen::VectorXd r = random_vector(30, &rng);
  SparseNormalCholeskySolver solver;
  ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &sparse}, r).success);
  Eigen::VectorXd dx;
  const LinearSolverResult result = solver.solve(Eigen::VectorXd::Zero(6), &dx);
  ASSERT_TRUE(result.success) << result.message;
  EXPECT_NE(result.message.find("regularization"), std::string::npos) << result.message;
  EXPECT_LT(normal_equation_residual(j, r, dx), 1e-8);
}

// Large enough for CHOLMOD to pick a supernodal factor, whose pivots are read
// differently from a simplicial one. Eigen's factor (a build without
// SuiteSparse) is always simplicial; the outcomes asserted hold for both.
TEST(LinearSolverSparseNormalCholesky, LargeSingularAndPinnedCoordinates) {
  std::mt19937 rng(59);
  const int n = 1000;
  Eigen::MatrixXd dense = Eigen::MatrixXd(random_sparse_jacobian(3 * n, n, &rng));
  const Eigen::VectorXd r = random_vector(3 * n, &rng);
  const auto damped_residual = [&](const Eigen::VectorXd& d, const Eigen::VectorXd& dx) {
    const Eigen::VectorXd jtr = dense.transpose() * r;
    const Eigen::VectorXd residual = dense.transpose() * (dense * dx) + d.cwiseAbs2().cwiseProduct(dx) + jtr;
    return residual.norm() / jtr.norm();
  };
  {
    // One coordinate pinned by a huge damping entry, as the minimizers do for
    // coordinates held at a bound: not singular, no regularization.
    const SparseRowMatrix j = dense.sparseView();
    SparseNormalCholeskySolver solver;
    ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &j}, r).success);
    Eigen::VectorXd d = Eigen::VectorXd::Constant(n, 1e-3);
    d[17] = 1e8 * dense.col(17).norm();
    Eigen::VectorXd dx;
    const LinearSolverResult result = solver.solve(d, &dx);
    ASSERT_TRUE(result.success) << result.message;
    EXPECT_TRUE(result.message.empty()) << result.message;
    EXPECT_LT(damped_residual(d, dx), 1e-10);
  }
  {
    dense.col(n - 1) = dense.col(3);
    const SparseRowMatrix j = dense.sparseView();
    SparseNormalCholeskySolver solver;
    ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &j}, r).success);
    Eigen::VectorXd dx;
    const LinearSolverResult result = solver.solve(Eigen::VectorXd::Zero(n), &dx);
    ASSERT_TRUE(result.success) << result.message;
    EXPECT_NE(result.message.find("regularization"), std::string::npos) << result.message;
    EXPECT_LT(normal_equation_residual(dense, r, dx), 1e-8);
  }
}

TEST(LinearSolverDenseNormalCholesky, PinnedCoordinateIsNotAFallback) {
  std::mt19937 rng(61);
  const Eigen::MatrixXd j = random_dense_jacobian(30, 6, &rng);
  const Eigen::VectorXd r = random_vector(30, &rng);
  Eigen::VectorXd d = Eigen::VectorXd::Constant(6, 1e-3);
  d[2] = 1e8 * j.col(2).norm();
  DenseNormalCholeskySolver solver;
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &j}, r).success);
  Eigen::VectorXd dx;
  const LinearSolverResult result = solver.solve(d, &dx);
  ASSERT_TRUE(result.success);
  EXPECT_TRUE(result.message.empty()) << result.message;
  EXPECT_LT(relative_error(dx, reference_solution(j, r, d)), 1e-10);
}

// Mixed precision: the step is the double-precision one (the long-double
// reference to 1e-9), though J^T J was formed and factored in float.
TEST(LinearSolverDenseNormalCholeskyMixedPrecision, StepMatchesDoubleReference) {
  std::mt19937 rng(67);
  const Eigen::Index m = 500, n = 300;  // above kMixedPrecisionMinColumns: two tiles
  const Eigen::MatrixXd j = random_dense_jacobian(m, n, &rng);
  const Eigen::VectorXd r = random_vector(m, &rng);
  DenseNormalCholeskySolver solver(1, /*mixed_precision=*/true);
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &j}, r).success);
  for (const double damping : {0.0, 1e-3, 10.0}) {
    const Eigen::VectorXd d = Eigen::VectorXd::Constant(n, damping);
    Eigen::VectorXd dx;
    const LinearSolverResult result = solver.solve(d, &dx);
    ASSERT_TRUE(result.success) << result.message;
    EXPECT_GE(result.iterations, 0);
    EXPECT_LT(relative_error(dx, reference_solution(j, r, d)), 1e-9) << "damping " << damping;
  }
  EXPECT_EQ(solver.num_mixed_precision_solves(), 3);
  EXPECT_EQ(solver.num_fallbacks(), 0);
}

// J^T r, the column norms and J S in float handed over with J (as the
// minimizer context does from the evaluator's pass) give the bits of the
// solver's own conversion, for one and two threads.
TEST(LinearSolverDenseNormalCholeskyMixedPrecision, GivenScaledSingleJacobianGivesTheSameSteps) {
  std::mt19937 rng(73);
  const Eigen::Index m = 500, n = 300;
  const Eigen::MatrixXd j = random_dense_jacobian(m, n, &rng);
  const Eigen::VectorXd r = random_vector(m, &rng);
  Eigen::VectorXd gradient(n), norms(n);
  Eigen::MatrixXf single(m, n);
  for (Eigen::Index c = 0; c < n; ++c) {
    gradient[c] = j.col(c).dot(r);
    norms[c] = j.col(c).squaredNorm();
    single.col(c) = (jacobi_scale(norms[c]) * j.col(c)).cast<float>();
  }
  for (const int threads : {1, 2}) {
    DenseNormalCholeskySolver own(threads, true), given(threads, true);
    ASSERT_TRUE(own.prepare(JacobianRef{.dense = &j}, r).success);
    ASSERT_TRUE(
        given
            .prepare(
                JacobianRef{
                    .dense = &j, .gradient = &gradient, .column_squared_norms = &norms, .scaled_single = &single},
                r)
            .success);
    for (const double damping : {1e-3, 10.0}) {
      const Eigen::VectorXd d = Eigen::VectorXd::Constant(n, damping);
      Eigen::VectorXd dx_own, dx_given;
      ASSERT_TRUE(own.solve(d, &dx_own).success);
      ASSERT_TRUE(given.solve(d, &dx_given).success);
      EXPECT_EQ(dx_given, dx_own) << threads << " threads, damping " << damping;
    }
    EXPECT_EQ(given.num_mixed_precision_solves(), 2);
  }
}

// Nearly collinear columns: J^T J's condition number (~1e14 after scaling)
// is far beyond single precision, so the factor is not used and the step
// comes from the all-double path, identical to a solver without the option.
TEST(LinearSolverDenseNormalCholeskyMixedPrecision, IllConditionedFallsBackToDouble) {
  std::mt19937 rng(71);
  const Eigen::Index m = 400, n = 260;
  Eigen::MatrixXd j = random_dense_jacobian(m, n, &rng);
  j.col(7) = j.col(3) + 1e-7 * random_vector(m, &rng);
  const Eigen::VectorXd r = random_vector(m, &rng);
  const Eigen::VectorXd d = Eigen::VectorXd::Constant(n, 1e-9);
  DenseNormalCholeskySolver mixed(1, true), plain(1, false);
  Eigen::VectorXd dx_mixed, dx_plain;
  ASSERT_TRUE(mixed.prepare(JacobianRef{.dense = &j}, r).success);
  ASSERT_TRUE(plain.prepare(JacobianRef{.dense = &j}, r).success);
  ASSERT_TRUE(mixed.solve(d, &dx_mixed).success);
  ASSERT_TRUE(plain.solve(d, &dx_plain).success);
  EXPECT_EQ(mixed.num_mixed_precision_solves(), 0);
  EXPECT_EQ(dx_mixed, dx_plain);
}

// A coordinate pinned at a bound gets damping ~1e8 |J_col|: the float
// factor still preconditions, and the step is the double one.
TEST(LinearSolverDenseNormalCholeskyMixedPrecision, PinnedCoordinate) {
  std::mt19937 rng(79);
  const Eigen::Index m = 400, n = 280;
  const Eigen::MatrixXd j = random_dense_jacobian(m, n, &rng);
  const Eigen::VectorXd r = random_vector(m, &rng);
  Eigen::VectorXd d = Eigen::VectorXd::Constant(n, 1e-3);
  d[5] = 1e8 * j.col(5).norm();
  DenseNormalCholeskySolver solver(2, true);
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &j}, r).success);
  Eigen::VectorXd dx;
  ASSERT_TRUE(solver.solve(d, &dx).success);
  EXPECT_EQ(solver.num_mixed_precision_solves(), 1);
  EXPECT_LT(relative_error(dx, reference_solution(j, r, d)), 1e-9);
  EXPECT_LT(std::abs(dx[5]), 1e-12);
}

// Moderately ill-conditioned (J^T J ~1e8 after scaling, beyond what the
// float factor resolves on its own): CG through J still brings the step to
// the double one.
TEST(LinearSolverDenseNormalCholeskyMixedPrecision, CgRecoversWhatTheFloatFactorLoses) {
  std::mt19937 rng(83);
  const Eigen::Index m = 400, n = 260;
  Eigen::MatrixXd j = random_dense_jacobian(m, n, &rng);
  j.col(7) = j.col(3) + 1e-4 * j.col(3).norm() / std::sqrt(static_cast<double>(m)) * random_vector(m, &rng);
  const Eigen::VectorXd r = random_vector(m, &rng);
  const Eigen::VectorXd d = Eigen::VectorXd::Constant(n, 1e-9);
  DenseNormalCholeskySolver solver(1, true);
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &j}, r).success);
  Eigen::VectorXd dx;
  const LinearSolverResult result = solver.solve(d, &dx);
  ASSERT_TRUE(result.success);
  EXPECT_EQ(solver.num_mixed_precision_solves(), 1);
  EXPECT_GE(result.iterations, 3);
  const Eigen::VectorXd scale = j.colwise().norm().cwiseInverse().transpose();
  const Eigen::VectorXd scaled_rhs = -scale.cwiseProduct(j.transpose() * r);
  const Eigen::VectorXd scaled_product = scale.cwiseProduct(j.transpose() * (j * dx) + d.cwiseAbs2().cwiseProduct(dx));
  EXPECT_LT((scaled_product - scaled_rhs).norm(),
            DenseNormalCholeskySolver::kMixedPrecisionTolerance * scaled_rhs.norm());
  // cond ~1e8 leaves ~8 correct digits to any double-precision method: the
  // all-double path's error here is 3.4e-8.
  EXPECT_LT(relative_error(dx, reference_solution(j, r, d)), 1e-7);
}

// Twenty columns duplicated exactly (S J^T J S singular) and damping
// (D S)^2 = 1e-8: A = S J^T J S + (D S)^2 is well-posed in double (cond
// ~1e8), but the float rounding of J^T J (~1e-6) breaks its factorization.
// The shifted factor preconditions instead, and CG solves the double system.
TEST(LinearSolverDenseNormalCholeskyMixedPrecision, ShiftedFactorWhenFloatRoundingBreaksTheFactorization) {
  std::mt19937 rng(89);
  const Eigen::Index m = 400, n = 260;
  Eigen::MatrixXd j = random_dense_jacobian(m, n, &rng);
  for (int c = 0; c < 20; ++c) j.col(c) = j.col(c + 100);
  const Eigen::VectorXd r = random_vector(m, &rng);
  const Eigen::VectorXd d = 1e-4 * j.colwise().norm().transpose();
  DenseNormalCholeskySolver solver(2, true);
  ASSERT_TRUE(solver.prepare(JacobianRef{.dense = &j}, r).success);
  Eigen::VectorXd dx;
  const LinearSolverResult result = solver.solve(d, &dx);
  ASSERT_TRUE(result.success) << result.message;
  EXPECT_EQ(solver.num_mixed_precision_solves(), 1);
  EXPECT_EQ(solver.num_shifted_preconditioner_solves(), 1);
  EXPECT_EQ(solver.num_fallbacks(), 0);
  // What CG guarantees is the residual of the Jacobi-scaled system; with
  // cond ~1e8 that bounds the error by ~1e-2 (it is 1.6e-5 here; the
  // all-double path's, 7e-9).
  const Eigen::VectorXd scale = j.colwise().norm().cwiseInverse().transpose();
  const Eigen::VectorXd scaled_rhs = -scale.cwiseProduct(j.transpose() * r);
  const Eigen::VectorXd scaled_product = scale.cwiseProduct(j.transpose() * (j * dx) + d.cwiseAbs2().cwiseProduct(dx));
  EXPECT_LT((scaled_product - scaled_rhs).norm(), 1e-9 * scaled_rhs.norm());
  EXPECT_LT(relative_error(dx, reference_solution(j, r, d)), 1e-4);
}

// After a step the mixed path could not solve, the next
// kDoublePrecisionSpell Jacobians go straight to double; then mixed again.
TEST(LinearSolverDenseNormalCholeskyMixedPrecision, DoublePrecisionSpellAfterAFailure) {
  std::mt19937 rng(71);  // the ill-conditioned Jacobian of IllConditionedFallsBackToDouble
  const Eigen::Index m = 400, n = 260;
  Eigen::MatrixXd bad = random_dense_jacobian(m, n, &rng);
  bad.col(7) = bad.col(3) + 1e-7 * random_vector(m, &rng);
  const Eigen::VectorXd r = random_vector(m, &rng);
  const Eigen::MatrixXd good = random_dense_jacobian(m, n, &rng);
  DenseNormalCholeskySolver mixed(1, true), plain(1, false);
  Eigen::VectorXd dx, dx_plain;
  ASSERT_TRUE(mixed.prepare(JacobianRef{.dense = &bad}, r).success);
  ASSERT_TRUE(mixed.solve(Eigen::VectorXd::Constant(n, 1e-9), &dx).success);
  ASSERT_EQ(mixed.num_mixed_precision_solves(), 0);
  const Eigen::VectorXd d = Eigen::VectorXd::Constant(n, 1e-2);
  ASSERT_TRUE(plain.prepare(JacobianRef{.dense = &good}, r).success);
  ASSERT_TRUE(plain.solve(d, &dx_plain).success);
  for (int k = 0; k < DenseNormalCholeskySolver::kDoublePrecisionSpell; ++k) {
    ASSERT_TRUE(mixed.prepare(JacobianRef{.dense = &good}, r).success);
    ASSERT_TRUE(mixed.solve(d, &dx).success);
    EXPECT_EQ(dx, dx_plain) << "Jacobian " << k << " of the spell";
  }
  EXPECT_EQ(mixed.num_mixed_precision_solves(), 0);
  ASSERT_TRUE(mixed.prepare(JacobianRef{.dense = &good}, r).success);
  ASSERT_TRUE(mixed.solve(d, &dx).success);
  EXPECT_EQ(mixed.num_mixed_precision_solves(), 1);
  EXPECT_LT(relative_error(dx, dx_plain), 1e-9);
}

TEST(LinearSolverDenseNormalCholeskyMixedPrecision, SmallProblemsStayInDouble) {
  std::mt19937 rng(73);
  const Eigen::MatrixXd j = random_dense_jacobian(40, 12, &rng);
  const Eigen::VectorXd r = random_vector(40, &rng);
  DenseNormalCholeskySolver mixed(1, true), plain(1, false);
  Eigen::VectorXd dx_mixed, dx_plain;
  const Eigen::VectorXd d = Eigen::VectorXd::Constant(12, 1e-2);
  ASSERT_TRUE(mixed.prepare(JacobianRef{.dense = &j}, r).success);
  ASSERT_TRUE(plain.prepare(JacobianRef{.dense = &j}, r).success);
  ASSERT_TRUE(mixed.solve(d, &dx_mixed).success);
  ASSERT_TRUE(plain.solve(d, &dx_plain).success);
  EXPECT_EQ(mixed.num_mixed_precision_solves(), 0);
  EXPECT_EQ(dx_mixed, dx_plain);
}

TEST(LinearSolverCgnr, ConvergesAndReportsIterations) {
  std::mt19937 rng(47);
  const SparseRowMatrix j = random_sparse_jacobian(3000, 1000, &rng);
  const Eigen::VectorXd r = random_vector(3000, &rng);
  const Eigen::VectorXd d = Eigen::VectorXd::Constant(1000, 0.1);
  CgnrSolver solver(/*max_iterations=*/500, /*relative_tolerance=*/1e-12);
  ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &j}, r).success);
  Eigen::VectorXd dx;
  const LinearSolverResult result = solver.solve(d, &dx);
  ASSERT_TRUE(result.success) << result.message;
  EXPECT_TRUE(result.message.empty()) << result.message;
  EXPECT_GT(result.iterations, 1);
  EXPECT_LT(result.iterations, 500);
  // The recursively updated residual must agree with the true one.
  const Eigen::VectorXd jtr = j.transpose() * r;
  const Eigen::VectorXd true_residual =
      Eigen::VectorXd(j.transpose() * (j * dx)) + d.cwiseAbs2().cwiseProduct(dx) + jtr;
  EXPECT_LT(true_residual.norm(), 1e-10 * jtr.norm());
}

TEST(LinearSolverCgnr, IterationLimitIsReportedNotFatal) {
  std::mt19937 rng(53);
  const SparseRowMatrix j = random_sparse_jacobian(600, 200, &rng);
  const Eigen::VectorXd r = random_vector(600, &rng);
  CgnrSolver solver(/*max_iterations=*/3, /*relative_tolerance=*/1e-14);
  ASSERT_TRUE(solver.prepare(JacobianRef{.sparse = &j}, r).success);
  Eigen::VectorXd dx;
  const LinearSolverResult result = solver.solve(Eigen::VectorXd::Zero(200), &dx);
  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.iterations, 3);
  EXPECT_NE(result.message.find("max_cg_iterations"), std::string::npos) << result.message;
  // A truncated CG step still decreases the model |J dx + r|^2.
  EXPECT_LT((j * dx + r).squaredNorm(), r.squaredNorm());
}

TEST(LinearSolverCgnr, RejectsBadOptions) {
  EXPECT_THROW(CgnrSolver(0, 1e-10), Error);
  EXPECT_THROW(CgnrSolver(10, -1.0), Error);
}

TEST(LinearSolverChoose, DenseForSmallSparseForLargeSparse) {
  EXPECT_EQ(choose_linear_solver(200, 9, 1.0), LinearSolverType::kDenseNormalCholesky);
  EXPECT_EQ(choose_linear_solver(14, 2, 1.0), LinearSolverType::kDenseNormalCholesky);
  EXPECT_EQ(choose_linear_solver(2000, 200, 0.5), LinearSolverType::kDenseNormalCholesky);
  // Few columns: dense even when the Jacobian is sparse.
  EXPECT_EQ(choose_linear_solver(5000, 50, 0.02), LinearSolverType::kDenseNormalCholesky);
  EXPECT_EQ(choose_linear_solver(2000, 500, 0.002), LinearSolverType::kSparseNormalCholesky);
  // Between densities 0.005 and 0.05 up to 1000 columns, the pick depends on
  // the sparse backend: a supernodal one (CHOLMOD) stays fast when J^T J
  // fills in, Eigen's simplicial one falls behind dense normal Cholesky.
  EXPECT_EQ(choose_linear_solver(2000, 500, 0.01), SparseCholeskyFactorization::supernodal()
                                                       ? LinearSolverType::kSparseNormalCholesky
                                                       : LinearSolverType::kDenseNormalCholesky);
  // A network's Jacobian: 1441 columns, every entry nonzero.
  EXPECT_EQ(choose_linear_solver(2000, 1441, 1.0), LinearSolverType::kDenseNormalCholesky);
  EXPECT_EQ(choose_linear_solver(2000, 1441, 0.1), LinearSolverType::kSparseNormalCholesky);
  EXPECT_EQ(choose_linear_solver(100000, 100000, 3e-5), LinearSolverType::kSparseNormalCholesky);
  // Many columns, even dense ones.
  EXPECT_EQ(choose_linear_solver(8000, 6000, 1.0), LinearSolverType::kSparseNormalCholesky);
  // A dense Jacobian that would not fit comfortably.
  EXPECT_EQ(choose_linear_solver(100'000'000, 10, 1.0), LinearSolverType::kSparseNormalCholesky);
}

// r = x - 1 for one parameter.
class OffsetCost : public SizedCostFunction<1, 1> {
 public:
  bool evaluate(const double* const* p, double* r, double** j) const override {
    r[0] = p[0][0] - 1.0;
    if (j != nullptr && j[0] != nullptr) j[0][0] = 1.0;
    return true;
  }
};

TEST(LinearSolverChoose, SparseQrBeyondItsBackendsLimitIsAnErrorSayingHowToLiftIt) {
  const Eigen::Index limit = SparseQrFactorization::max_columns();
  if (limit == std::numeric_limits<Eigen::Index>::max()) {
    GTEST_SKIP() << SparseQrFactorization::backend() << " takes any number of columns; the limit belongs to "
                 << "Eigen's SparseQR, in a build without SuiteSparse";
  }
  std::vector<double> x(static_cast<size_t>(limit) + 1, 0.0);
  Problem problem;
  const auto cost = std::make_shared<OffsetCost>();
  for (Eigen::Index i = 0; i < limit; ++i) problem.add_residual_block(cost, nullptr, &x[static_cast<size_t>(i)]);
  EXPECT_EQ(choose_linear_solver(problem, LinearSolverType::kSparseQr).type, LinearSolverType::kSparseQr);
  problem.add_residual_block(cost, nullptr, &x.back());
  try {
    choose_linear_solver(problem, LinearSolverType::kSparseQr);
    ADD_FAILURE() << "sparse-qr with " << limit + 1 << " parameters was accepted";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("SolverOptions::linear_solver sparse-qr"), std::string::npos) << message;
    EXPECT_NE(message.find("-DCURVATURE_USE_SUITESPARSE=ON"), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(limit + 1)), std::string::npos) << message;
  }
  // The other solvers take the same problem.
  EXPECT_EQ(choose_linear_solver(problem, LinearSolverType::kSparseNormalCholesky).type,
            LinearSolverType::kSparseNormalCholesky);
}

TEST(LinearSolverMake, AutoMustBeResolvedFirst) {
  EXPECT_THROW(make_linear_solver(options_for(LinearSolverType::kAuto)), Error);
}

}  // namespace
}  // namespace curvature::internal
