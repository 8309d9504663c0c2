// compute_covariance(): the closed form of linear regression, NIST's
// certified standard deviations on both paths, rank deficiency reported (and
// the pseudo-inverse when a null space is allowed), cross-covariance
// symmetry, and misuse as Errors naming the item.
#include "curvature/covariance.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "curvature/loss_function.h"
#include "curvature/solve.h"
#include "nist.h"
#include "nist_problem.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::expect_error_naming;
using testing::LineResidual;

constexpr CovarianceAlgorithm kBothAlgorithms[] = {CovarianceAlgorithm::kDenseSvd, CovarianceAlgorithm::kSparseQr};

// y = 1 + 2 t plus a deterministic wiggle, at t = 0, ..., 19 times `unit`:
// a straight-line fit over the blocks {a} and {b}, left at its least-squares
// solution (computed here by Eigen's QR, not by a solver).
struct LineFit {
  explicit LineFit(double unit = 1.0) {
    const int m = 20;
    x.resize(m, 2);
    y.resize(m);
    for (int i = 0; i < m; ++i) {
      const double t = unit * i;
      y[i] = 1.0 + 2.0 * i + 0.3 * std::sin(1.7 * i);
      x(i, 0) = 1.0;
      x(i, 1) = t;
      problem.add_residual_block(std::make_shared<LineResidual>(t, y[i]), nullptr, &a, &b);
    }
    const Eigen::Vector2d solution = x.colPivHouseholderQr().solve(y);
    a = solution[0];
    b = solution[1];
    const double rss = (y - x * solution).squaredNorm();
    closed_form = (x.transpose() * x).inverse() * rss / (m - 2);
  }
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  double a = 0.0, b = 0.0;
  Problem problem;
  Eigen::Matrix2d closed_form;  // (X^T X)^-1 s^2
};

CovarianceOptions scaled(CovarianceAlgorithm algorithm) {
  CovarianceOptions options;
  options.algorithm = algorithm;
  options.scale_by_residual_variance = true;
  return options;
}

TEST(CovarianceLinearRegression, MatchesTheClosedFormOnBothPaths) {
  for (CovarianceAlgorithm algorithm : kBothAlgorithms) {
    LineFit fit;
    const CovarianceResult result =
        compute_covariance(fit.problem, {{&fit.a, &fit.a}, {&fit.a, &fit.b}, {&fit.b, &fit.b}}, scaled(algorithm));
    ASSERT_TRUE(result.ok()) << result.message();
    EXPECT_FALSE(result.rank_deficient());
    EXPECT_EQ(result.rank(), 2);
    EXPECT_EQ(result.num_residuals(), 20);
    EXPECT_NEAR(result.block(&fit.a, &fit.a)(0, 0), fit.closed_form(0, 0), 1e-12 * fit.closed_form(0, 0));
    EXPECT_NEAR(result.block(&fit.b, &fit.b)(0, 0), fit.closed_form(1, 1), 1e-12 * fit.closed_form(1, 1));
    EXPECT_NEAR(result.block(&fit.a, &fit.b)(0, 0), fit.closed_form(0, 1), 1e-12 * std::abs(fit.closed_form(0, 1)));
    EXPECT_NEAR(result.standard_errors(&fit.b)[0], std::sqrt(fit.closed_form(1, 1)),
                1e-12 * std::sqrt(fit.closed_form(1, 1)));
  }
}

TEST(CovarianceLinearRegression, UnscaledIsTheInverseNormalMatrix) {
  LineFit fit;
  const CovarianceResult result = compute_covariance(fit.problem, {{&fit.b, &fit.b}});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.scale(), 1.0);
  const double expected = (fit.x.transpose() * fit.x).inverse()(1, 1);
  EXPECT_NEAR(result.block(&fit.b, &fit.b)(0, 0), expected, 1e-12 * expected);
}

// t in units of 1e-9: the slope's column is 1e-9 times the intercept's, so
// the unscaled J^T J has a reciprocal condition number near 1e-17, below the
// default 1e-14, yet both parameters are well determined. The equilibrated
// test accepts it, and the result keeps its accuracy.
TEST(CovarianceLinearRegression, BadlyScaledButFullRankIsComputed) {
  for (CovarianceAlgorithm algorithm : kBothAlgorithms) {
    LineFit fit(1e-9);
    const Eigen::VectorXd singular = fit.x.jacobiSvd().singularValues();
    ASSERT_LT(std::pow(singular[1] / singular[0], 2), 1e-14);
    const CovarianceResult result =
        compute_covariance(fit.problem, {{&fit.a, &fit.a}, {&fit.b, &fit.b}}, scaled(algorithm));
    ASSERT_TRUE(result.ok()) << result.message();
    EXPECT_NEAR(result.block(&fit.b, &fit.b)(0, 0), fit.closed_form(1, 1), 1e-10 * fit.closed_form(1, 1));
    EXPECT_NEAR(result.block(&fit.a, &fit.a)(0, 0), fit.closed_form(0, 0), 1e-10 * fit.closed_form(0, 0));
  }
}

// With a robust loss the covariance follows the loss-corrected Jacobian
// (what the solver saw); apply_loss = false gives the plain fit's.
TEST(CovarianceLinearRegression, ApplyLossChoosesTheJacobian) {
  LineFit plain;
  double a = plain.a, b = plain.b;
  Problem robust;
  for (Eigen::Index i = 0; i < plain.x.rows(); ++i) {
    robust.add_residual_block(std::make_shared<LineResidual>(plain.x(i, 1), plain.y[i]),
                              std::make_shared<CauchyLoss>(0.1), &a, &b);
  }
  CovarianceOptions options;
  const Eigen::MatrixXd expected = compute_covariance(plain.problem, &plain.b, options).block(&plain.b, &plain.b);
  EXPECT_NE(compute_covariance(robust, &b, options).block(&b, &b), expected);
  options.apply_loss = false;
  EXPECT_EQ(compute_covariance(robust, &b, options).block(&b, &b), expected);
}

TEST(CovarianceCrossCovariance, PairsInEitherOrderAreTransposes) {
  for (CovarianceAlgorithm algorithm : kBothAlgorithms) {
    LineFit fit;
    const CovarianceResult both = compute_covariance(
        fit.problem, {{&fit.a, &fit.b}, {&fit.b, &fit.a}, {&fit.a, &fit.a}, {&fit.b, &fit.b}}, scaled(algorithm));
    ASSERT_TRUE(both.ok());
    EXPECT_EQ(both.block(&fit.a, &fit.b), both.block(&fit.b, &fit.a).transpose());
    // The whole 2 x 2 covariance assembled from the blocks is symmetric
    // positive definite.
    Eigen::Matrix2d full;
    full << both.block(&fit.a, &fit.a), both.block(&fit.a, &fit.b), both.block(&fit.b, &fit.a),
        both.block(&fit.b, &fit.b);
    EXPECT_EQ(full, full.transpose());
    EXPECT_GT(full.determinant(), 0.0);
    // One order requested, the other read as its transpose.
    const CovarianceResult one = compute_covariance(fit.problem, {{&fit.a, &fit.b}}, scaled(algorithm));
    EXPECT_EQ(one.block(&fit.b, &fit.a), one.block(&fit.a, &fit.b).transpose());
    EXPECT_NEAR(one.block(&fit.b, &fit.a)(0, 0), fit.closed_form(0, 1), 1e-12 * std::abs(fit.closed_form(0, 1)));
  }
}

// A chain of 2-D points: a prior holds the first, and each link measures
// x_{i+1} - x_i with weights that vary along the chain. The sparse path,
// which forms only the requested blocks' columns, agrees with the dense one.
class PointResidual final : public SizedCostFunction<2, 2> {
 public:
  explicit PointResidual(double weight) : weight_(weight) {}
  bool evaluate(double const* const* p, double* r, double** j) const override {
    r[0] = weight_ * (p[0][0] - 1.0);
    r[1] = weight_ * (p[0][1] + 1.0);
    if (j && j[0]) {
      j[0][0] = weight_, j[0][1] = 0.0;
      j[0][2] = 0.0, j[0][3] = weight_;
    }
    return true;
  }

 private:
  double weight_;
};

class LinkResidual final : public SizedCostFunction<2, 2, 2> {
 public:
  explicit LinkResidual(double weight) : weight_(weight) {}
  bool evaluate(double const* const* p, double* r, double** j) const override {
    // A little nonlinear coupling so that J is not block-diagonal per axis.
    r[0] = weight_ * (p[1][0] - p[0][0] - 0.1 * p[0][1]);
    r[1] = weight_ * (p[1][1] - p[0][1]);
    if (j) {
      if (j[0]) j[0][0] = -weight_, j[0][1] = -0.1 * weight_, j[0][2] = 0.0, j[0][3] = -weight_;
      if (j[1]) j[1][0] = weight_, j[1][1] = 0.0, j[1][2] = 0.0, j[1][3] = weight_;
    }
    return true;
  }

 private:
  double weight_;
};

TEST(CovarianceSparse, MatchesDenseOnAChain) {
  const int n = 150;
  std::vector<std::array<double, 2>> points(n);
  Problem problem;
  for (int i = 0; i < n; ++i) points[i] = {0.1 * i, std::sin(i)};
  problem.add_residual_block(std::make_shared<PointResidual>(10.0), nullptr, points[0].data());
  for (int i = 0; i + 1 < n; ++i) {
    problem.add_residual_block(std::make_shared<LinkResidual>(1.0 + 0.5 * std::cos(i)), nullptr, points[i].data(),
                               points[i + 1].data());
  }
  const double* first = points[0].data();
  const double* middle = points[n / 2].data();
  const double* last = points[n - 1].data();
  const std::vector<CovarianceBlockPair> pairs{{first, first}, {middle, middle}, {last, last}, {first, last}};
  CovarianceOptions dense_options, sparse_options;
  sparse_options.algorithm = CovarianceAlgorithm::kSparseQr;
  const CovarianceResult dense = compute_covariance(problem, pairs, dense_options);
  const CovarianceResult sparse = compute_covariance(problem, pairs, sparse_options);
  ASSERT_TRUE(dense.ok()) << dense.message();
  ASSERT_TRUE(sparse.ok()) << sparse.message();
  EXPECT_EQ(sparse.rank(), 2 * n);
  for (const auto& [a, b] : pairs) {
    const Eigen::MatrixXd expected = dense.block(a, b);
    EXPECT_LE((sparse.block(a, b) - expected).norm(), 1e-10 * expected.norm());
  }
  // Uncertainty grows along the chain away from the anchored point.
  EXPECT_GT(dense.block(last, last).trace(), dense.block(middle, middle).trace());
  EXPECT_GT(dense.block(middle, middle).trace(), dense.block(first, first).trace());
}

// The NIST problems Ceres 2.1's DENSE_SVD refuses as rank-deficient, and two
// more, at NIST's certified values: the standard deviations agree with the
// certified ones to 9 digits or more on both paths.
class CovarianceNist : public ::testing::TestWithParam<std::string> {};

TEST_P(CovarianceNist, CertifiedStandardDeviationsToNineDigits) {
  const NistProblem nist = load_nist_problem_by_name(GetParam());
  std::vector<double> b = nist.certified;
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  const double dense_rcond = compute_covariance(problem, b.data()).reciprocal_condition_number();
  for (CovarianceAlgorithm algorithm : kBothAlgorithms) {
    const CovarianceResult result = compute_covariance(problem, b.data(), scaled(algorithm));
    ASSERT_TRUE(result.ok()) << result.message();
    // The sparse path's estimate of the equilibrated rcond is close to the
    // dense path's exact value.
    EXPECT_NEAR(result.reciprocal_condition_number(), dense_rcond, 0.05 * dense_rcond);
    const Eigen::VectorXd errors = result.standard_errors(b.data());
    const double lre = min_log_relative_error(std::vector<double>(errors.data(), errors.data() + errors.size()),
                                              nist.certified_std_dev);
    EXPECT_GE(lre, 9.0) << (algorithm == CovarianceAlgorithm::kDenseSvd ? "dense" : "sparse");
  }
}

INSTANTIATE_TEST_SUITE_P(CertifiedValues, CovarianceNist,
                         ::testing::Values("Misra1a", "Misra1b", "Kirby2", "Hahn1", "Nelson", "MGH10", "Bennett5",
                                           "Thurber"));

// The whole path a user takes: solve from NIST's first start, then the
// standard errors at the solution.
TEST(CovarianceNistSolved, MGH10FromStartOne) {
  const NistProblem nist = load_nist_problem_by_name("MGH10");
  std::vector<double> b = nist.start1;
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  SolverOptions options;
  options.max_iterations = 10000;
  ASSERT_TRUE(solve(options, &problem).converged());
  const CovarianceResult result = compute_covariance(problem, b.data(), scaled(CovarianceAlgorithm::kDenseSvd));
  ASSERT_TRUE(result.ok()) << result.message();
  // Ill-conditioned: far below Ceres's unscaled threshold, well above the
  // equilibrated one.
  EXPECT_LT(result.reciprocal_condition_number(), 1e-6);
  EXPECT_GT(result.reciprocal_condition_number(), 1e-14);
  const Eigen::VectorXd errors = result.standard_errors(b.data());
  EXPECT_GE(min_log_relative_error(std::vector<double>(errors.data(), errors.data() + 3), nist.certified_std_dev), 9.0);
}

// r = y - (a + b) - c t: the columns of a and b are the same, so J has rank
// 2 of 3, whatever the data.
class SumResidual final : public SizedCostFunction<1, 1, 1, 1> {
 public:
  SumResidual(double t, double y) : t_(t), y_(y) {}
  bool evaluate(double const* const* p, double* r, double** j) const override {
    r[0] = y_ - (p[0][0] + p[1][0]) - p[2][0] * t_;
    if (j) {
      if (j[0]) j[0][0] = -1.0;
      if (j[1]) j[1][0] = -1.0;
      if (j[2]) j[2][0] = -t_;
    }
    return true;
  }

 private:
  double t_, y_;
};

struct DuplicatedColumn {
  DuplicatedColumn() {
    jacobian.resize(10, 3);
    for (int i = 0; i < 10; ++i) {
      const double t = 0.5 * i;
      problem.add_residual_block(std::make_shared<SumResidual>(t, 3.0 + t + 0.1 * std::cos(i)), nullptr, &a, &b, &c);
      jacobian.row(i) << -1.0, -1.0, -t;
    }
  }
  double a = 1.0, b = 2.0, c = 0.5;
  Problem problem;
  Eigen::MatrixXd jacobian;
  std::vector<CovarianceBlockPair> all_pairs() { return {{&a, &a}, {&a, &b}, {&a, &c}, {&b, &b}, {&b, &c}, {&c, &c}}; }
};

TEST(CovarianceRankDeficient, DuplicatedColumnIsReportedWithoutNumbers) {
  for (CovarianceAlgorithm algorithm : kBothAlgorithms) {
    DuplicatedColumn d;
    CovarianceOptions options;
    options.algorithm = algorithm;
    const CovarianceResult result = compute_covariance(d.problem, d.all_pairs(), options);
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(result.rank_deficient());
    EXPECT_EQ(result.rank(), 2);
    EXPECT_NE(result.message().find("rank-deficient"), std::string::npos) << result.message();
    expect_error_naming([&] { result.block(&d.a, &d.a); }, "rank-deficient");
    if (algorithm == CovarianceAlgorithm::kDenseSvd) {
      // The null vector (1, -1, 0) involves a and b, not c.
      EXPECT_EQ(result.null_space_blocks(), (std::vector<const double*>{&d.a, &d.b}));
      EXPECT_LT(result.reciprocal_condition_number(), 1e-28);
    }
  }
}

// MGH10's equilibrated rcond is about 1.2e-7: a minimum above it makes both
// paths refuse, saying why.
TEST(CovarianceRankDeficient, ThresholdAboveTheConditioningRefuses) {
  const NistProblem nist = load_nist_problem_by_name("MGH10");
  std::vector<double> b = nist.certified;
  Problem problem;
  add_nist_residuals(nist, &problem, b.data());
  for (CovarianceAlgorithm algorithm : kBothAlgorithms) {
    CovarianceOptions options;
    options.algorithm = algorithm;
    options.min_reciprocal_condition_number = 1e-6;
    const CovarianceResult refused = compute_covariance(problem, b.data(), options);
    EXPECT_FALSE(refused.ok());
    EXPECT_LT(refused.rank(), 3);
    EXPECT_NE(refused.message().find("rank-deficient"), std::string::npos) << refused.message();
    EXPECT_FALSE(refused.null_space_blocks().empty());
    options.min_reciprocal_condition_number = 1e-8;
    EXPECT_TRUE(compute_covariance(problem, b.data(), options).ok());
  }
}

TEST(CovarianceRankDeficient, NullSpaceGivesThePseudoInverse) {
  DuplicatedColumn d;
  const Eigen::MatrixXd normal = d.jacobian.transpose() * d.jacobian;
  const Eigen::MatrixXd pseudo_inverse = normal.completeOrthogonalDecomposition().pseudoInverse();
  for (int dimension : {1, kAutomaticNullSpace}) {
    CovarianceOptions options;
    options.null_space_dimension = dimension;
    const CovarianceResult result = compute_covariance(d.problem, d.all_pairs(), options);
    ASSERT_TRUE(result.ok()) << result.message();
    EXPECT_TRUE(result.rank_deficient());
    EXPECT_EQ(result.rank(), 2);
    EXPECT_NE(result.message().find("pseudo-inverse"), std::string::npos) << result.message();
    EXPECT_EQ(result.null_space_blocks(), (std::vector<const double*>{&d.a, &d.b}));
    const double* blocks[] = {&d.a, &d.b, &d.c};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        EXPECT_NEAR(result.block(blocks[i], blocks[j])(0, 0), pseudo_inverse(i, j), 1e-12 * pseudo_inverse.norm())
            << i << ", " << j;
      }
    }
  }
}

TEST(CovarianceRankDeficient, FewerResidualsThanParameters) {
  for (CovarianceAlgorithm algorithm : kBothAlgorithms) {
    double a = 1.0, b = 2.0;
    Problem problem;
    problem.add_residual_block(std::make_shared<LineResidual>(0.5, 1.0), nullptr, &a, &b);
    CovarianceOptions options;
    options.algorithm = algorithm;
    const CovarianceResult result = compute_covariance(problem, {{&a, &b}}, options);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.rank(), 1);
    EXPECT_NE(result.message().find("rank-deficient"), std::string::npos) << result.message();
  }
}

// Relative measurements only, r = w (x_{i+1} - x_i - d): shifting every
// point alike leaves the cost unchanged, a gauge freedom of dimension 1 (as
// a pose graph with no pose held constant has 3 or 6).
class DifferenceResidual final : public SizedCostFunction<1, 1, 1> {
 public:
  DifferenceResidual(double weight, double difference) : weight_(weight), difference_(difference) {}
  bool evaluate(double const* const* p, double* r, double** j) const override {
    r[0] = weight_ * (p[1][0] - p[0][0] - difference_);
    if (j) {
      if (j[0]) j[0][0] = -weight_;
      if (j[1]) j[1][0] = weight_;
    }
    return true;
  }

 private:
  double weight_, difference_;
};

TEST(CovarianceRankDeficient, GaugeFreedomIsNamedAndItsNullSpaceDropped) {
  const int n = 8;
  std::vector<double> x(n);
  Problem problem;
  Eigen::MatrixXd jacobian = Eigen::MatrixXd::Zero(n + 2, n);
  int row = 0;
  auto link = [&](int i, int k, double weight) {
    problem.add_residual_block(std::make_shared<DifferenceResidual>(weight, 0.5), nullptr, &x[i], &x[k]);
    jacobian(row, i) = -weight;
    jacobian(row++, k) = weight;
  };
  for (int i = 0; i + 1 < n; ++i) link(i, i + 1, 1.0 + 0.1 * i);
  link(0, n - 1, 2.0);  // two loop closures
  link(2, 5, 0.7);
  link(1, 6, 1.3);
  std::vector<CovarianceBlockPair> pairs;
  for (int i = 0; i < n; ++i) {
    for (int k = i; k < n; ++k) pairs.push_back({&x[i], &x[k]});
  }

  const CovarianceResult refused = compute_covariance(problem, pairs);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.rank(), n - 1);
  EXPECT_EQ(refused.null_space_blocks().size(), static_cast<size_t>(n));  // the shift moves every point

  CovarianceOptions options;
  options.null_space_dimension = 1;
  const CovarianceResult gauge_free = compute_covariance(problem, pairs, options);
  ASSERT_TRUE(gauge_free.ok()) << gauge_free.message();
  const Eigen::MatrixXd expected = (jacobian.transpose() * jacobian).completeOrthogonalDecomposition().pseudoInverse();
  Eigen::MatrixXd covariance(n, n);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < n; ++k) covariance(i, k) = gauge_free.block(&x[i], &x[k])(0, 0);
  }
  EXPECT_LE((covariance - expected).norm(), 1e-12 * expected.norm());
  // The pseudo-inverse has no component along the gauge direction.
  EXPECT_LE((covariance * Eigen::VectorXd::Ones(n)).norm(), 1e-12 * expected.norm());
}

TEST(CovarianceRankDeficient, EvaluationFailureIsAResultNamingTheBlock) {
  class Failing final : public SizedCostFunction<1, 1> {
   public:
    bool evaluate(double const* const*, double*, double**) const override { return false; }
  };
  double x = 1.0;
  Problem problem;
  problem.add_residual_block(std::make_shared<Failing>(), nullptr, &x);
  const CovarianceResult result = compute_covariance(problem, &x);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("residual block 0"), std::string::npos) << result.message();
}

TEST(CovarianceErrors, BadRequestsNameTheItem) {
  LineFit fit;
  double stranger = 0.0;
  expect_error_naming([&] { compute_covariance(fit.problem, &stranger); }, "is not part of this problem");
  expect_error_naming([&] { compute_covariance(fit.problem, std::vector<CovarianceBlockPair>{}); }, "no pair");
  fit.problem.set_parameter_block_constant(&fit.a);
  expect_error_naming([&] { compute_covariance(fit.problem, &fit.a); }, "is constant");
  fit.problem.set_parameter_block_variable(&fit.a);

  const CovarianceResult result = compute_covariance(fit.problem, &fit.a);
  expect_error_naming([&] { result.block(&fit.a, &fit.b); }, "was not requested");

  Problem moved = std::move(fit.problem);
  expect_error_naming([&] { compute_covariance(fit.problem, &fit.a); }, "has been moved from");
}

TEST(CovarianceErrors, ScalingNeedsMoreResidualsThanParameters) {
  double a = 0.0, b = 0.0;
  Problem problem;
  problem.add_residual_block(std::make_shared<LineResidual>(1.0, 2.0), nullptr, &a, &b);
  problem.add_residual_block(std::make_shared<LineResidual>(2.0, 3.0), nullptr, &a, &b);
  expect_error_naming([&] { compute_covariance(problem, &a, scaled(CovarianceAlgorithm::kDenseSvd)); },
                      "scale_by_residual_variance");
  // Unscaled, two residuals for two parameters is fine.
  EXPECT_TRUE(compute_covariance(problem, &a).ok());
}

TEST(CovarianceErrors, OptionsOutOfRangeNameTheField) {
  LineFit fit;
  auto with = [&](auto change) {
    CovarianceOptions options;
    change(options);
    return [&fit, options] { compute_covariance(fit.problem, &fit.a, options); };
  };
  expect_error_naming(with([](CovarianceOptions& o) { o.min_reciprocal_condition_number = -1.0; }),
                      "min_reciprocal_condition_number");
  expect_error_naming(with([](CovarianceOptions& o) { o.min_reciprocal_condition_number = 1.0; }),
                      "min_reciprocal_condition_number");
  expect_error_naming(with([](CovarianceOptions& o) { o.null_space_dimension = -2; }), "null_space_dimension");
  expect_error_naming(with([](CovarianceOptions& o) { o.null_space_dimension = 3; }), "null_space_dimension");
  expect_error_naming(with([](CovarianceOptions& o) {
                        o.algorithm = CovarianceAlgorithm::kSparseQr;
                        o.null_space_dimension = 1;
                      }),
                      "null_space_dimension");
  expect_error_naming(with([](CovarianceOptions& o) { o.num_threads = 0; }), "num_threads");
  expect_error_naming(with([](CovarianceOptions& o) { o.algorithm = static_cast<CovarianceAlgorithm>(7); }),
                      "CovarianceOptions::algorithm");
}

// Residual blocks evaluated on two threads give the same bits as on one.
TEST(CovarianceThreads, SameResultForOneAndTwoThreads) {
  for (CovarianceAlgorithm algorithm : kBothAlgorithms) {
    const NistProblem nist = load_nist_problem_by_name("Hahn1");
    std::vector<double> b = nist.certified;
    Problem problem;
    add_nist_residuals(nist, &problem, b.data());
    CovarianceOptions options = scaled(algorithm);
    const Eigen::MatrixXd one = compute_covariance(problem, b.data(), options).block(b.data(), b.data());
    options.num_threads = 2;
    const Eigen::MatrixXd two = compute_covariance(problem, b.data(), options).block(b.data(), b.data());
    EXPECT_EQ(one, two);
  }
}

}  // namespace
}  // namespace curvature
