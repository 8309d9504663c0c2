// Problem construction, misuse errors, and evaluation (dense, sparse, subsets,
// losses, threads).
#include "curvature/problem.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "test_util.h"

namespace curvature {
namespace {

using testing::error_message;
using testing::expect_error_naming;

using testing::ExponentialResidual;
using testing::LineResidual;
using testing::OffsetResidual;
using testing::RosenbrockResidual;

TEST(ProblemTest, CountsParametersAndResiduals) {
  double a = 1, b = 2;
  Problem problem;
  for (int i = 0; i < 5; ++i) problem.add_residual_block(std::make_shared<LineResidual>(i, 2.0 * i), nullptr, &a, &b);
  EXPECT_EQ(problem.num_parameter_blocks(), 2);
  EXPECT_EQ(problem.num_parameters(), 2);
  EXPECT_EQ(problem.num_residual_blocks(), 5);
  EXPECT_EQ(problem.num_residuals(), 5);
  problem.set_parameter_block_constant(&a);
  EXPECT_EQ(problem.num_effective_parameters(), 1);
  EXPECT_TRUE(problem.is_parameter_block_constant(&a));
}

TEST(ProblemTest, MisuseThrowsErrorsNamingTheItem) {
  double x[2] = {0, 0};
  double y[3] = {0, 0, 0};
  Problem problem;
  EXPECT_NE(error_message([&] { problem.add_residual_block(nullptr, nullptr, x); }).find("cost function is null"),
            std::string::npos);
  EXPECT_NE(error_message([&] { problem.add_parameter_block(nullptr, 2); }).find("null"), std::string::npos);
  EXPECT_NE(error_message([&] { problem.add_parameter_block(x, 0); }).find("non-positive size"), std::string::npos);
  problem.add_parameter_block(x, 2);
  EXPECT_NE(error_message([&] { problem.add_parameter_block(x, 3); }).find("was added with size 2"), std::string::npos);
  EXPECT_NE(error_message([&] { problem.add_parameter_block(x + 1, 2); }).find("overlaps"), std::string::npos);
  double z[6];
  problem.add_parameter_block(z + 3, 2);
  EXPECT_NE(error_message([&] { problem.add_parameter_block(z, 4); }).find("overlaps"), std::string::npos)
      << "a new block that runs into the next one";
  problem.add_parameter_block(z, 3);  // adjacent, not overlapping
  auto rosenbrock = std::make_shared<RosenbrockResidual>();
  EXPECT_NE(error_message([&] {
              problem.add_residual_block(rosenbrock, nullptr, std::vector<double*>{x, y});
            }).find("expects 1 parameter blocks, got 2"),
            std::string::npos);
  problem.add_parameter_block(y, 3);
  EXPECT_NE(error_message([&] { problem.add_residual_block(rosenbrock, nullptr, y); }).find("was added with size 3"),
            std::string::npos)
      << "the cost function wants y with size 2";
  EXPECT_NE(error_message([&] { problem.set_parameter_block_constant(y + 2); }).find("not part of this problem"),
            std::string::npos);
  problem.set_lower_bound(x, 0, 1.0);
  EXPECT_NE(error_message([&] { problem.set_upper_bound(x, 0, 0.5); }).find("below lower bound"), std::string::npos);
  EXPECT_NE(error_message([&] { problem.set_upper_bound(x, 5, 0.5); }).find("index 5 is outside"), std::string::npos);
  EXPECT_NE(error_message([&] { problem.set_lower_bound(x, 1, std::nan("")); }).find("NaN"), std::string::npos);
  auto line = std::make_shared<LineResidual>(1.0, 1.0);
  EXPECT_NE(error_message([&] { problem.add_residual_block(line, nullptr, x, x); }).find("are the same block"),
            std::string::npos);
}

TEST(ProblemTest, EvaluatesCostGradientAndJacobian) {
  double x[2] = {-1.2, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  double cost;
  Eigen::VectorXd r, g;
  Eigen::MatrixXd J;
  ASSERT_TRUE(problem.evaluate({}, &cost, &r, &g, &J, nullptr));
  const double r0 = 10 * (1.0 - 1.44), r1 = 2.2;
  EXPECT_DOUBLE_EQ(cost, 0.5 * (r0 * r0 + r1 * r1));
  EXPECT_DOUBLE_EQ(J(0, 0), 24.0);
  EXPECT_DOUBLE_EQ(J(1, 0), -1.0);
  EXPECT_DOUBLE_EQ(g[0], 24.0 * r0 - r1);
  EXPECT_DOUBLE_EQ(g[1], 10.0 * r0);
}

// A problem with several blocks, some constant, for layout tests.
struct LayoutFixture {
  double a = 0.5, b = -1.0, k[2] = {2.0, 0.3}, c[3] = {1, 2, 3};
  Problem problem;
  LayoutFixture() {
    for (int i = 0; i < 6; ++i) {
      problem.add_residual_block(std::make_shared<LineResidual>(0.1 * i, std::sin(i)), nullptr, &a, &b);
      problem.add_residual_block(std::make_shared<ExponentialResidual>(0.2 * i, std::cos(i)),
                                 std::make_shared<CauchyLoss>(0.5), k);
    }
    problem.add_residual_block(std::make_shared<OffsetResidual>(std::vector<double>{1, 1, 1}), nullptr, c);
    problem.set_parameter_block_constant(&b);
  }
};

TEST(ProblemTest, SparseJacobianMatchesDenseAndSkipsConstantBlocks) {
  LayoutFixture f;
  Eigen::MatrixXd dense;
  SparseRowMatrix sparse;
  Eigen::VectorXd g_dense, g_sparse;
  double cost_dense, cost_sparse;
  ASSERT_TRUE(f.problem.evaluate({}, &cost_dense, nullptr, &g_dense, &dense, nullptr));
  ASSERT_TRUE(f.problem.evaluate({}, &cost_sparse, nullptr, &g_sparse, nullptr, &sparse));
  EXPECT_EQ(dense.cols(), 1 + 2 + 3);  // b is constant
  EXPECT_EQ(dense.rows(), 15);
  EXPECT_EQ(sparse.nonZeros(), 6 * 1 + 6 * 2 + 3 * 3);
  EXPECT_EQ((Eigen::MatrixXd(sparse) - dense).norm(), 0.0);
  EXPECT_EQ(cost_dense, cost_sparse);
  EXPECT_EQ((g_dense - g_sparse).norm(), 0.0);
}

// Every entry of a dense Jacobian is written on every evaluation, also the
// rows of a block whose parameters are all constant, whatever the matrix held.
TEST(ProblemTest, DenseJacobianOverwritesEveryEntry) {
  double a = 0.5, b = 2.0, c[3] = {1.0, 2.0, 3.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<LineResidual>(0.3, 1.0), nullptr, &a, &b);
  problem.add_residual_block(std::make_shared<OffsetResidual>(std::vector<double>{1, 1, 1}), nullptr, c);
  problem.set_parameter_block_constant(c);
  Eigen::MatrixXd dense = Eigen::MatrixXd::Constant(4, 2, std::numeric_limits<double>::quiet_NaN());
  ASSERT_TRUE(problem.evaluate({}, nullptr, nullptr, nullptr, &dense, nullptr));
  ASSERT_EQ(dense.rows(), 4);
  ASSERT_EQ(dense.cols(), 2);
  EXPECT_TRUE(dense.allFinite()) << dense;
  EXPECT_EQ(dense.bottomRows(3).norm(), 0.0);  // the constant block's rows
  EXPECT_NE(dense.topRows(1).norm(), 0.0);
}

TEST(ProblemTest, GradientMatchesCentralDifferencesOfTheCostWithLosses) {
  LayoutFixture f;
  Eigen::VectorXd g;
  double cost;
  ASSERT_TRUE(f.problem.evaluate({}, &cost, nullptr, &g, nullptr, nullptr));
  std::vector<double*> coordinates = {&f.a, &f.k[0], &f.k[1], &f.c[0], &f.c[1], &f.c[2]};
  for (size_t i = 0; i < coordinates.size(); ++i) {
    const double saved = *coordinates[i], h = 1e-6;
    double plus, minus;
    *coordinates[i] = saved + h;
    f.problem.evaluate({}, &plus, nullptr, nullptr, nullptr, nullptr);
    *coordinates[i] = saved - h;
    f.problem.evaluate({}, &minus, nullptr, nullptr, nullptr, nullptr);
    *coordinates[i] = saved;
    EXPECT_NEAR(g[i], (plus - minus) / (2 * h), 1e-7) << "coordinate " << i;
  }
}

TEST(ProblemTest, SubsetEvaluationUsesTheListedBlocksInOrder) {
  LayoutFixture f;
  Eigen::VectorXd all, subset;
  ASSERT_TRUE(f.problem.evaluate({}, nullptr, &all, nullptr, nullptr, nullptr));
  Problem::EvaluateOptions options;
  options.residual_blocks = {12, 2, 0};
  double cost;
  ASSERT_TRUE(f.problem.evaluate(options, &cost, &subset, nullptr, nullptr, nullptr));
  ASSERT_EQ(subset.size(), 5);
  EXPECT_EQ(subset.segment(0, 3), all.segment(12, 3));
  EXPECT_EQ(subset[3], all[2]);
  EXPECT_EQ(subset[4], all[0]);
  options.residual_blocks = {13};
  EXPECT_NE(error_message([&] {
              f.problem.evaluate(options, nullptr, &subset, nullptr, nullptr, nullptr);
            }).find("residual block index 13 is out of range"),
            std::string::npos);
}

TEST(ProblemTest, ResultsAreBitIdenticalForAnyThreadCount) {
  // Enough blocks that every thread gets several chunks.
  std::vector<double> x(400);
  Problem problem;
  for (int i = 0; i < 200; ++i) {
    x[2 * i] = 1.0 + 0.01 * i;
    x[2 * i + 1] = 0.1;
    for (int t = 0; t < 5; ++t) {
      problem.add_residual_block(std::make_shared<ExponentialResidual>(t, std::exp(-0.2 * t) + 0.01 * i),
                                 std::make_shared<HuberLoss>(0.1), &x[2 * i]);
    }
  }
  auto run = [&](int threads, double* cost, Eigen::VectorXd* r, Eigen::VectorXd* g, SparseRowMatrix* J) {
    Problem::EvaluateOptions options;
    options.num_threads = threads;
    ASSERT_TRUE(problem.evaluate(options, cost, r, g, nullptr, J));
  };
  double c1, c2, c4;
  Eigen::VectorXd r1, r2, r4, g1, g2, g4;
  SparseRowMatrix J1, J2, J4;
  run(1, &c1, &r1, &g1, &J1);
  run(2, &c2, &r2, &g2, &J2);
  run(4, &c4, &r4, &g4, &J4);
  EXPECT_EQ(c1, c2);
  EXPECT_EQ(c1, c4);
  EXPECT_EQ(r1, r2);
  EXPECT_EQ(r1, r4);
  EXPECT_EQ(g1, g2);
  EXPECT_EQ(g1, g4);
  EXPECT_EQ(Eigen::MatrixXd(J1), Eigen::MatrixXd(J2));
  EXPECT_EQ(Eigen::MatrixXd(J1), Eigen::MatrixXd(J4));
}

// A dense Jacobian this wide (400 columns) has its gradient summed column by
// column on the threads: J^T r, with the same bits for any thread count.
TEST(ProblemTest, WideDenseGradientIsJTransposeRForAnyThreadCount) {
  std::vector<double> x(400);
  Problem problem;
  for (int i = 0; i < 200; ++i) {
    x[2 * i] = 1.0 + 0.01 * i;
    x[2 * i + 1] = 0.1;
    for (int t = 0; t < 5; ++t) {
      problem.add_residual_block(std::make_shared<ExponentialResidual>(t, std::exp(-0.2 * t) + 0.01 * i), nullptr,
                                 &x[2 * i]);
    }
  }
  Eigen::VectorXd g1;
  for (int threads : {1, 2, 4}) {
    Problem::EvaluateOptions options;
    options.num_threads = threads;
    Eigen::VectorXd r, g;
    Eigen::MatrixXd J;
    ASSERT_TRUE(problem.evaluate(options, nullptr, &r, &g, &J, nullptr));
    ASSERT_EQ(J.cols(), 400);
    const Eigen::VectorXd expected = J.transpose() * r;
    EXPECT_LE((g - expected).norm(), 1e-14 * expected.norm()) << threads << " threads";
    if (threads == 1) g1 = g;
    EXPECT_EQ(g, g1) << threads << " threads";
  }
}

class FailingResidual final : public SizedCostFunction<1, 1> {
 public:
  explicit FailingResidual(int mode) : mode_(mode) {}
  bool evaluate(double const* const* p, double* r, double** j) const override {
    r[0] = mode_ == 1 ? std::numeric_limits<double>::quiet_NaN() : p[0][0];
    if (j && j[0]) j[0][0] = mode_ == 2 ? std::numeric_limits<double>::infinity() : 1.0;
    return mode_ != 3;
  }

 private:
  int mode_;
};

TEST(ProblemTest, NonFiniteOutputNamesTheResidualBlock) {
  for (int mode = 1; mode <= 3; ++mode) {
    double x = 1.0, y = 2.0;
    Problem problem;
    problem.add_residual_block(std::make_shared<FailingResidual>(0), nullptr, &y);
    problem.add_residual_block(std::make_shared<FailingResidual>(mode), nullptr, &x);
    std::string error;
    Eigen::MatrixXd J;
    double cost;
    EXPECT_FALSE(problem.evaluate({}, &cost, nullptr, nullptr, &J, nullptr, &error));
    EXPECT_NE(error.find("residual block 1"), std::string::npos) << error;
    EXPECT_EQ(x, 1.0) << "evaluation never writes the user's parameters";
  }
}

// Residuals alone (no Jacobian, no gradient) take a shorter path for
// blocks without a loss: its failures name the block and what failed, as the
// full path's do, and it gives the same residuals and cost, for any thread count.
TEST(ProblemTest, ResidualsAloneNameTheFailingBlockAndMatchTheFullPath) {
  const std::pair<int, const char*> failures[] = {{1, "residual 0 is not finite"},
                                                  {3, "the cost function returned false"}};
  for (const auto& [mode, what] : failures) {
    for (const bool loss : {false, true}) {
      double x = 1.0, y = 2.0;
      Problem problem;
      problem.add_residual_block(std::make_shared<FailingResidual>(0), nullptr, &y);
      problem.add_residual_block(std::make_shared<FailingResidual>(mode),
                                 loss ? std::make_shared<HuberLoss>(1.0) : nullptr, &x);
      std::string error;
      double cost;
      Eigen::VectorXd r;
      EXPECT_FALSE(problem.evaluate({}, &cost, &r, nullptr, nullptr, nullptr, &error));
      EXPECT_NE(error.find(std::string("residual block 1: ") + what), std::string::npos) << error;
    }
  }
  for (const int threads : {1, 3}) {
    double a = 0.5, b = -1.0, k[2] = {2.0, 0.3};
    Problem problem;
    for (int i = 0; i < 7; ++i) {
      problem.add_residual_block(std::make_shared<LineResidual>(0.1 * i, std::sin(i)), nullptr, &a, &b);
      problem.add_residual_block(std::make_shared<ExponentialResidual>(0.2 * i, std::cos(i)),
                                 i % 3 ? nullptr : std::make_shared<CauchyLoss>(0.5), k);
    }
    problem.set_parameter_block_constant(&b);
    Problem::EvaluateOptions options;
    options.num_threads = threads;
    double cost_alone, cost_full;
    Eigen::VectorXd r_alone, r_full;
    Eigen::MatrixXd J;
    ASSERT_TRUE(problem.evaluate(options, &cost_alone, &r_alone, nullptr, nullptr, nullptr));
    ASSERT_TRUE(problem.evaluate(options, &cost_full, &r_full, nullptr, &J, nullptr));
    EXPECT_EQ(cost_alone, cost_full) << threads << " threads";
    EXPECT_EQ(r_alone, r_full) << threads << " threads";
  }
}

// Any cost function, offered to the evaluator as one that writes its
// Jacobians column-major (through the base class's copying default).
class ColumnMajorWrapper final : public CostFunction {
 public:
  explicit ColumnMajorWrapper(std::shared_ptr<const CostFunction> inner) : inner_(std::move(inner)) {
    set_num_residuals(inner_->num_residuals());
    set_parameter_block_sizes(inner_->parameter_block_sizes());
  }
  bool evaluate(double const* const* p, double* r, double** j) const override { return inner_->evaluate(p, r, j); }
  bool writes_column_major_jacobians() const override { return true; }

 private:
  std::shared_ptr<const CostFunction> inner_;
};

// Blocks that fill a dense J in place (with constant blocks, next to blocks
// with losses that take the row-major path) give the bits of the row-major
// path, for one and three threads.
TEST(ProblemTest, ColumnMajorJacobiansFillTheDenseJacobianInPlace) {
  for (const int threads : {1, 3}) {
    double a = 0.5, b = -1.0, k[2] = {2.0, 0.3}, c[3] = {1, 2, 3};
    Problem plain, wrapped;
    for (int i = 0; i < 6; ++i) {
      auto line = std::make_shared<LineResidual>(0.1 * i, std::sin(i));
      auto exponential = std::make_shared<ExponentialResidual>(0.2 * i, std::cos(i));
      plain.add_residual_block(line, nullptr, &a, &b);
      wrapped.add_residual_block(std::make_shared<ColumnMajorWrapper>(line), nullptr, &a, &b);
      plain.add_residual_block(exponential, i % 2 ? std::make_shared<CauchyLoss>(0.5) : nullptr, k);
      wrapped.add_residual_block(std::make_shared<ColumnMajorWrapper>(exponential),
                                 i % 2 ? std::make_shared<CauchyLoss>(0.5) : nullptr, k);
    }
    auto offset = std::make_shared<OffsetResidual>(std::vector<double>{1, 1, 1});
    plain.add_residual_block(offset, nullptr, c);
    wrapped.add_residual_block(std::make_shared<ColumnMajorWrapper>(offset), nullptr, c);
    plain.set_parameter_block_constant(&b);
    wrapped.set_parameter_block_constant(&b);
    Problem::EvaluateOptions options;
    options.num_threads = threads;
    double cost_plain, cost_wrapped;
    Eigen::VectorXd r_plain, r_wrapped, g_plain, g_wrapped;
    Eigen::MatrixXd j_plain, j_wrapped = Eigen::MatrixXd::Constant(15, 6, std::numeric_limits<double>::quiet_NaN());
    ASSERT_TRUE(plain.evaluate(options, &cost_plain, &r_plain, &g_plain, &j_plain, nullptr));
    ASSERT_TRUE(wrapped.evaluate(options, &cost_wrapped, &r_wrapped, &g_wrapped, &j_wrapped, nullptr));
    ASSERT_EQ(j_wrapped.cols(), 6);
    EXPECT_EQ(cost_wrapped, cost_plain);
    EXPECT_EQ(r_wrapped, r_plain);
    EXPECT_EQ(g_wrapped, g_plain);
    EXPECT_EQ(j_wrapped, j_plain) << j_wrapped;
  }
}

TEST(ProblemTest, ColumnMajorNonFiniteJacobianNamesTheBlockAndTheEntry) {
  double x = 1.0, y = 2.0;
  Problem problem;
  problem.add_residual_block(std::make_shared<ColumnMajorWrapper>(std::make_shared<FailingResidual>(0)), nullptr, &y);
  problem.add_residual_block(std::make_shared<ColumnMajorWrapper>(std::make_shared<FailingResidual>(2)), nullptr, &x);
  std::string error;
  Eigen::MatrixXd J;
  double cost;
  EXPECT_FALSE(problem.evaluate({}, &cost, nullptr, nullptr, &J, nullptr, &error));
  EXPECT_NE(error.find("residual block 1"), std::string::npos) << error;
  EXPECT_NE(error.find("row 0, column 0"), std::string::npos) << error;
}

// One residual over a block of kWide parameters, written column-major:
// r = x_0, dr/dx_c = `entry` for c = `column`, 1 elsewhere.
class WideColumnMajorResidual final : public CostFunction {
 public:
  static constexpr int kWide = 300;  // above the evaluator's wide-J threshold
  WideColumnMajorResidual(int column, double entry) : column_(column), entry_(entry) {
    set_num_residuals(1);
    set_parameter_block_sizes({kWide});
  }
  bool evaluate(double const* const* p, double* r, double** j) const override {
    r[0] = p[0][0];
    if (j && j[0]) {
      for (int c = 0; c < kWide; ++c) j[0][c] = c == column_ ? entry_ : 1.0;
    }
    return true;
  }
  bool writes_column_major_jacobians() const override { return true; }

 private:
  int column_;
  double entry_;
};

// A wide J checks its entries in the pass that forms the gradient and the
// column norms: a non-finite entry still names its block and entry, for any
// thread count, and finite entries whose squares overflow a column norm
// are no failure.
TEST(ProblemTest, WideColumnMajorJacobianChecksEveryEntry) {
  for (const int threads : {1, 2}) {
    std::vector<double> x(WideColumnMajorResidual::kWide, 1.0);
    Problem problem;
    problem.add_residual_block(std::make_shared<WideColumnMajorResidual>(0, 1.0), nullptr, x.data());
    problem.add_residual_block(std::make_shared<WideColumnMajorResidual>(7, std::nan("")), nullptr, x.data());
    Problem::EvaluateOptions options;
    options.num_threads = threads;
    std::string error;
    Eigen::MatrixXd J;
    Eigen::VectorXd g;
    double cost;
    EXPECT_FALSE(problem.evaluate(options, &cost, nullptr, &g, &J, nullptr, &error));
    EXPECT_NE(error.find("residual block 1"), std::string::npos) << error;
    EXPECT_NE(error.find("row 0, column 7"), std::string::npos) << error;

    Problem huge;
    huge.add_residual_block(std::make_shared<WideColumnMajorResidual>(5, 1e200), nullptr, x.data());
    huge.add_residual_block(std::make_shared<WideColumnMajorResidual>(5, 1e200), nullptr, x.data());
    ASSERT_TRUE(huge.evaluate(options, &cost, nullptr, &g, &J, nullptr, &error)) << error;
    EXPECT_EQ(J(1, 5), 1e200);
    EXPECT_EQ(cost, 1.0);
  }
}

}  // namespace
}  // namespace curvature

namespace curvature {
namespace {

// r = x: finite residuals whose squares overflow.
class HugeResidual final : public SizedCostFunction<1, 1> {
 public:
  bool evaluate(double const* const* p, double* r, double** j) const override {
    r[0] = p[0][0];
    if (j && j[0]) j[0][0] = 1.0;
    return true;
  }
};

TEST(ProblemTest, OverflowingCostIsAnEvaluationFailure) {
  double x = 1e200;
  Problem problem;
  problem.add_residual_block(std::make_shared<HugeResidual>(), nullptr, &x);
  std::string error;
  double cost;
  EXPECT_FALSE(problem.evaluate({}, &cost, nullptr, nullptr, nullptr, nullptr, &error));
  EXPECT_NE(error.find("residual block 0: its cost overflows"), std::string::npos) << error;
}

TEST(ProblemTest, InfiniteBoundsThatLeaveNoFeasibleValueAreErrors) {
  double x[2] = {0.5, 0.5};
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_NE(error_message([&] { problem.set_lower_bound(x, 0, inf); }).find("lower bound of +inf at index 0"),
            std::string::npos);
  EXPECT_NE(error_message([&] { problem.set_upper_bound(x, 1, -inf); }).find("upper bound of -inf at index 1"),
            std::string::npos);
  // The infinities that mean "no bound" are accepted, and a solve leaves
  // the caller's values finite.
  problem.set_lower_bound(x, 0, -inf);
  problem.set_upper_bound(x, 0, inf);
  EXPECT_EQ(problem.lower_bound(x, 0), -inf);
  EXPECT_EQ(problem.upper_bound(x, 0), inf);
  EXPECT_TRUE(std::isfinite(x[0]) && std::isfinite(x[1]));
}

TEST(ProblemTest, AMovedFromProblemIsAnErrorToUseAndCanBeAssignedAgain) {
  double x[2] = {-1.2, 1.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x);
  Problem taken = std::move(problem);
  EXPECT_EQ(taken.num_residual_blocks(), 1);
  for (const std::string& message :
       {error_message([&] { (void)problem.num_residual_blocks(); }),
        error_message([&] { problem.add_residual_block(std::make_shared<RosenbrockResidual>(), nullptr, x); }),
        error_message([&] {
          double cost = 0.0;
          (void)problem.evaluate(Problem::EvaluateOptions(), &cost, nullptr, nullptr, nullptr, nullptr);
        })}) {
    EXPECT_NE(message.find("has been moved from"), std::string::npos) << message;
  }
  problem = Problem();
  EXPECT_EQ(problem.num_residual_blocks(), 0);
}

}  // namespace
}  // namespace curvature
