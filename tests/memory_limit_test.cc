// solve() holds the matrices of its linear solver to
// SolverOptions::max_memory_bytes, estimated before any is allocated
// (src/memory_estimate.h): a solver chosen by name that would not fit is
// refused naming the bytes and the solvers that would; an automatic choice
// turns to one that fits.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/solve.h"
#include "memory_estimate.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::error_message;
using testing::expect_error_naming;

// One linear observation y = sum_j cos((j + 1) t) x_j over a block of
// kSize parameters: a dense row of the Jacobian across its block.
template <int kSize>
class CosineSumResidual final : public SizedCostFunction<1, kSize> {
 public:
  CosineSumResidual(double t, double y) : t_(t), y_(y) {}
  bool evaluate(double const* const* p, double* r, double** j) const override {
    r[0] = -y_;
    for (int k = 0; k < kSize; ++k) {
      const double c = std::cos((k + 1) * t_);
      r[0] += c * p[0][k];
      if (j && j[0]) j[0][k] = c;
    }
    return true;
  }

 private:
  double t_, y_;
};

// `blocks` parameter blocks of kSize, each observed `rows_per_block` times:
// J is block diagonal, blocks * rows_per_block x blocks * kSize.
template <int kSize>
struct BlockProblem {
  BlockProblem(int blocks, int rows_per_block) : x(static_cast<size_t>(blocks) * kSize, 0.0) {
    for (int b = 0; b < blocks; ++b) {
      for (int i = 0; i < rows_per_block; ++i) {
        const double t = 0.1 + 0.37 * i;
        problem.add_residual_block(std::make_shared<CosineSumResidual<kSize>>(t, std::sin(t) + 0.1 * b), nullptr,
                                   &x[static_cast<size_t>(b) * kSize]);
      }
    }
  }
  std::vector<double> x;
  Problem problem;
};

// 2000 x 100: dense needs 3.4 MB (two copies of J, J^T J and its factor),
// sparse normal Cholesky about 0.6 MB, CGNR (dense J at 100 columns) 3.2 MB.
constexpr double kSmallLimit = 1e6;

TEST(MemoryLimit, ANamedDenseSolverAboveTheLimitIsRefusedWithTheBytesAndWhatFits) {
  BlockProblem<10> p(10, 200);
  SolverOptions options;
  options.linear_solver = LinearSolverType::kDenseNormalCholesky;
  options.max_memory_bytes = kSmallLimit;
  const std::string message = error_message([&] { solve(options, &p.problem); });
  EXPECT_NE(message.find("the dense-normal-cholesky linear solver would need 3.36 MB"), std::string::npos) << message;
  EXPECT_NE(message.find("dense Jacobian 2000 x 100 and its saved copy: 3.2 MB"), std::string::npos) << message;
  EXPECT_NE(message.find("above SolverOptions::max_memory_bytes = 1 MB"), std::string::npos) << message;
  EXPECT_NE(message.find("within the limit: SolverOptions::linear_solver = sparse-normal-cholesky (about"),
            std::string::npos)
      << message;
  // Nothing was written into the user's parameters.
  for (double v : p.x) EXPECT_EQ(v, 0.0);
}

TEST(MemoryLimit, DenseQrIsRefusedTheSameWay) {
  BlockProblem<10> p(10, 200);
  SolverOptions options;
  options.linear_solver = LinearSolverType::kDenseQr;
  options.max_memory_bytes = kSmallLimit;
  expect_error_naming([&] { solve(options, &p.problem); }, "the dense-qr linear solver would need");
}

TEST(MemoryLimit, TheAutomaticChoiceTurnsToASparseSolverThatFits) {
  BlockProblem<10> p(10, 200);
  SolverOptions options;
  options.max_memory_bytes = kSmallLimit;
  const Summary summary = solve(options, &p.problem);
  EXPECT_EQ(summary.linear_solver, "sparse-normal-cholesky");
  EXPECT_LT(summary.final_cost, summary.initial_cost);
  // Without the limit the same problem is solved densely.
  BlockProblem<10> q(10, 200);
  EXPECT_EQ(solve(SolverOptions{}, &q.problem).linear_solver, "dense-normal-cholesky");
}

TEST(MemoryLimit, TheAutomaticChoiceTurnsToMatrixFreeCgnrWhenSparseCholeskyDoesNotFit) {
  // 1200 x 1200 in 12 dense 100 x 100 blocks: CGNR's sparse J takes 2.9 MB,
  // J^T J's lower triangle and its factor about 17 MB.
  BlockProblem<100> p(12, 100);
  const internal::JacobianShape shape = internal::jacobian_shape(p.problem);
  EXPECT_LT(internal::linear_solver_bytes(LinearSolverType::kCgnr, shape, true), 5e6);
  EXPECT_GT(internal::linear_solver_bytes(LinearSolverType::kSparseNormalCholesky, shape, true), 5e6);
  SolverOptions options;
  options.max_memory_bytes = 5e6;
  options.max_iterations = 3;
  const Summary summary = solve(options, &p.problem);
  EXPECT_EQ(summary.linear_solver, "cgnr");
  EXPECT_LT(summary.final_cost, summary.initial_cost);
}

TEST(MemoryLimit, WhenNothingFitsTheErrorSaysSo) {
  BlockProblem<10> p(10, 200);
  SolverOptions options;
  options.max_memory_bytes = 1e4;
  expect_error_naming([&] { solve(options, &p.problem); },
                      "above SolverOptions::max_memory_bytes = 10 kB; no linear solver fits");
}

TEST(MemoryLimit, TheLimitIsValidatedByName) {
  BlockProblem<10> p(1, 20);
  SolverOptions options;
  options.max_memory_bytes = -1.0;
  expect_error_naming([&] { solve(options, &p.problem); },
                      "SolverOptions::max_memory_bytes must be non-negative (0: half the physical memory), got -1");
  options.max_memory_bytes = std::numeric_limits<double>::quiet_NaN();
  expect_error_naming([&] { solve(options, &p.problem); }, "SolverOptions::max_memory_bytes must be non-negative");
  options.max_memory_bytes = std::numeric_limits<double>::infinity();  // no limit
  EXPECT_NO_THROW(solve(options, &p.problem));
}

TEST(MemoryLimit, TheDefaultIsHalfThePhysicalMemory) {
  const double physical = internal::physical_memory_bytes();
  ASSERT_GT(physical, 0.0);
  EXPECT_EQ(internal::memory_limit_bytes(0.0), 0.5 * physical);
  EXPECT_EQ(internal::memory_limit_bytes(123.0), 123.0);
}

TEST(MemoryLimit, EstimatesMatchTheMatricesTheSolversAllocate) {
  BlockProblem<10> p(10, 200);  // 2000 x 100, 20000 nonzeros
  const internal::JacobianShape shape = internal::jacobian_shape(p.problem);
  EXPECT_EQ(shape.rows, 2000);
  EXPECT_EQ(shape.cols, 100);
  EXPECT_EQ(shape.nonzeros, 20000.0);
  // Two dense copies of J (2 * 2000 * 100 * 8) and two 100 x 100 matrices;
  // below 256 columns mixed precision is not used.
  EXPECT_EQ(internal::linear_solver_bytes(LinearSolverType::kDenseNormalCholesky, shape, true),
            2 * 2000 * 100 * 8.0 + 2 * 100 * 100 * 8.0);
  // The Schur solvers: two sparse copies of J (12 bytes a nonzero, 4 a row
  // offset) and their index, 40 bytes a residual block (56 for the implicit
  // product); nothing per Jacobian cell.
  EXPECT_EQ(shape.residual_blocks, 2000.0);
  const double sparse_jacobian = 2 * (20000 * 12.0 + 2001 * 4.0);
  EXPECT_EQ(internal::linear_solver_bytes(LinearSolverType::kSparseSchur, shape, true), sparse_jacobian + 2000 * 40.0);
  EXPECT_EQ(internal::linear_solver_bytes(LinearSolverType::kIterativeSchur, shape, true),
            sparse_jacobian + 2000 * 64.0 + (2000 + 8 * 100) * 8.0);
  EXPECT_EQ(internal::format_bytes(3.36e6), "3.36 MB");
  EXPECT_EQ(internal::format_bytes(12), "12 bytes");
}

}  // namespace
}  // namespace curvature
