// The search directions driven by hand on a strictly convex quadratic
// f = 1/2 x^T A x - b^T x with the exact step along each direction,
// alpha = -g^T d / d^T A d: the classical finite-termination results of
// conjugate directions (Nocedal and Wright, chapters 5 and 6) hold there,
// so they check the formulas to rounding.
#include "line_search_direction.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "curvature/error.h"

namespace curvature::internal {
namespace {

constexpr int kN = 6;

struct Quadratic {
  Eigen::MatrixXd a;
  Eigen::VectorXd b;
  Eigen::VectorXd gradient(const Eigen::VectorXd& x) const { return a * x - b; }
  Eigen::VectorXd minimizer() const { return a.ldlt().solve(b); }
};

// A fixed, moderately ill-conditioned SPD matrix (condition number ~ 100).
Quadratic make_quadratic(int n = kN) {
  std::mt19937 engine(42);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  Eigen::MatrixXd m(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) m(i, j) = uniform(engine);
  }
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(m);
  const Eigen::MatrixXd q = qr.householderQ();
  Eigen::VectorXd eigenvalues = Eigen::VectorXd::LinSpaced(n, 1.0, 100.0);
  Quadratic quadratic;
  quadratic.a = q * eigenvalues.asDiagonal() * q.transpose();
  quadratic.a = 0.5 * (quadratic.a + quadratic.a.transpose());
  quadratic.b.resize(n);
  for (int i = 0; i < n; ++i) quadratic.b[i] = uniform(engine);
  return quadratic;
}

Eigen::VectorXd start_point(int n = kN) { return Eigen::VectorXd::LinSpaced(n, -2.0, 3.0); }

// Runs `iterations` steps of `rule` with exact line searches; returns the
// iterates x_0 .. x_iterations. The direction is asked for once more at the
// last point, so that quasi-Newton memory holds every pair.
std::vector<Eigen::VectorXd> run_exact(LineSearchDirection& rule, const Quadratic& q, int iterations) {
  std::vector<Eigen::VectorXd> iterates;
  Iterate previous, current;
  current.x = start_point(q.b.size());
  current.gradient = q.gradient(current.x);
  iterates.push_back(current.x);
  Eigen::VectorXd d;
  std::string error;
  for (int k = 0; k <= iterations; ++k) {
    EXPECT_TRUE(rule.next_direction(k == 0 ? nullptr : &previous, current, &d, &error)) << error;
    if (k == iterations || current.gradient.norm() < 1e-300) break;
    EXPECT_LT(current.gradient.dot(d), 0.0) << "iteration " << k;
    const double alpha = -current.gradient.dot(d) / d.dot(q.a * d);
    previous = current;
    previous.direction = d;
    previous.step_length = alpha;
    current.x = previous.x + alpha * d;
    current.gradient = q.gradient(current.x);
    iterates.push_back(current.x);
  }
  return iterates;
}

TEST(LineSearchDirectionBfgs, RecoversTheInverseHessianAfterNExactSteps) {
  const Quadratic q = make_quadratic();
  BfgsDirection bfgs;
  std::vector<Eigen::VectorXd> iterates = run_exact(bfgs, q, kN);
  const Eigen::MatrixXd inverse = q.a.inverse();
  EXPECT_LT((bfgs.inverse_hessian() - inverse).norm(), 1e-8 * inverse.norm());
  EXPECT_LT((iterates.back() - q.minimizer()).norm(), 1e-10);
  EXPECT_EQ(bfgs.skipped_updates(), 0);
  EXPECT_TRUE(bfgs.unit_step_natural());
  bfgs.reset();
  EXPECT_FALSE(bfgs.unit_step_natural());
}

TEST(LineSearchDirectionBfgs, SkipsUpdatesThatViolateTheCurvatureCondition) {
  BfgsDirection bfgs;
  Iterate previous, current;
  previous.x = Eigen::Vector2d(0.0, 0.0);
  previous.gradient = Eigen::Vector2d(1.0, 0.0);
  current.x = Eigen::Vector2d(1.0, 0.0);
  current.gradient = Eigen::Vector2d(0.5, 0.0);  // y^T s = -0.5 < 0: negative curvature
  Eigen::VectorXd d;
  std::string error;
  ASSERT_TRUE(bfgs.next_direction(nullptr, previous, &d, &error));
  ASSERT_TRUE(bfgs.next_direction(&previous, current, &d, &error));
  EXPECT_EQ(bfgs.skipped_updates(), 1);
  EXPECT_TRUE(bfgs.inverse_hessian().isIdentity());
  EXPECT_TRUE(d.isApprox(-current.gradient));
}

TEST(LineSearchDirectionLbfgs, MatchesBfgsIteratesOnAQuadratic) {
  const Quadratic q = make_quadratic();
  BfgsDirection bfgs;
  LbfgsDirection lbfgs(kN);
  const std::vector<Eigen::VectorXd> expected = run_exact(bfgs, q, kN);
  const std::vector<Eigen::VectorXd> actual = run_exact(lbfgs, q, kN);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t k = 0; k < actual.size(); ++k) {
    EXPECT_LT((actual[k] - expected[k]).norm(), 1e-10 * (1.0 + expected[k].norm())) << "iterate " << k;
  }
  EXPECT_EQ(lbfgs.pairs(), kN);
}

TEST(LineSearchDirectionLbfgs, RingBufferKeepsTheNewestPairs) {
  // Memory 2 on a 6-dimensional quadratic: the ring wraps around; the
  // directions stay descent directions and the method still converges.
  const Quadratic q = make_quadratic();
  LbfgsDirection lbfgs(2);
  const std::vector<Eigen::VectorXd> iterates = run_exact(lbfgs, q, 200);
  EXPECT_EQ(lbfgs.pairs(), 2);
  EXPECT_LT((iterates.back() - q.minimizer()).norm(), 1e-8);
}

class LineSearchDirectionNonlinearCgVariants : public ::testing::TestWithParam<NonlinearCgVariant> {};

TEST_P(LineSearchDirectionNonlinearCgVariants, MinimizesAQuadraticInNIterations) {
  const Quadratic q = make_quadratic();
  NonlinearCgDirection cg(GetParam(), 0);
  const std::vector<Eigen::VectorXd> iterates = run_exact(cg, q, kN);
  ASSERT_EQ(static_cast<int>(iterates.size()), kN + 1);
  const Eigen::VectorXd g0 = q.gradient(iterates.front());
  EXPECT_LT(q.gradient(iterates.back()).norm(), 1e-9 * g0.norm()) << cg.name();
  EXPECT_LT((iterates.back() - q.minimizer()).norm(), 1e-9);
}

TEST_P(LineSearchDirectionNonlinearCgVariants, RestartsEveryInterval) {
  const Quadratic q = make_quadratic();
  NonlinearCgDirection cg(GetParam(), 2);
  Iterate previous, current;
  current.x = start_point();
  current.gradient = q.gradient(current.x);
  Eigen::VectorXd d;
  std::string error;
  for (int k = 0; k < 5; ++k) {
    ASSERT_TRUE(cg.next_direction(k == 0 ? nullptr : &previous, current, &d, &error));
    EXPECT_EQ(cg.restarted(), k % 2 == 0) << "iteration " << k;
    const double alpha = -current.gradient.dot(d) / d.dot(q.a * d);
    previous = current;
    previous.direction = d;
    current.x += alpha * d;
    current.gradient = q.gradient(current.x);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, LineSearchDirectionNonlinearCgVariants,
                         ::testing::Values(NonlinearCgVariant::kFletcherReeves, NonlinearCgVariant::kPolakRibierePlus,
                                           NonlinearCgVariant::kHestenesStiefel, NonlinearCgVariant::kDaiYuan));

TEST(LineSearchDirectionNonlinearCg, PowellRestartWhenGradientsAreFarFromOrthogonal) {
  NonlinearCgDirection cg(NonlinearCgVariant::kFletcherReeves, 100);
  Iterate previous, current;
  previous.x = Eigen::Vector2d(0.0, 0.0);
  previous.gradient = Eigen::Vector2d(1.0, 0.0);
  previous.direction = Eigen::Vector2d(-1.0, 0.0);
  current.x = Eigen::Vector2d(0.5, 0.0);
  current.gradient = Eigen::Vector2d(0.5, 0.1);  // g^T g_prev = 0.5 >= 0.2 |g|^2
  Eigen::VectorXd d;
  std::string error;
  ASSERT_TRUE(cg.next_direction(nullptr, previous, &d, &error));
  ASSERT_TRUE(cg.next_direction(&previous, current, &d, &error));
  EXPECT_TRUE(cg.restarted());
  EXPECT_TRUE(d.isApprox(-current.gradient));
}

// The quadratic as an Objective with its dense Hessian, for Newton.
class QuadraticObjective : public Objective {
 public:
  explicit QuadraticObjective(Quadratic q) : q_(std::move(q)) {}
  int num_parameters() const override { return q_.b.size(); }
  bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override {
    *value = 0.5 * x.dot(q_.a * x) - q_.b.dot(x);
    if (gradient) *gradient = q_.gradient(x);
    return true;
  }
  bool has_hessian() const override { return true; }
  std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd&) override {
    struct Dense : HessianOperator {
      Eigen::MatrixXd h;
      int size() const override { return h.rows(); }
      void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override { *y = h * v; }
      bool dense(Eigen::MatrixXd* out) const override {
        *out = h;
        return true;
      }
    };
    auto op = std::make_unique<Dense>();
    op->h = q_.a;
    return op;
  }

 private:
  Quadratic q_;
};

TEST(LineSearchDirectionNewton, SolvesAStrictlyConvexQuadraticInOneStep) {
  const Quadratic q = make_quadratic();
  QuadraticObjective objective(q);
  for (NewtonModification modification : {NewtonModification::kShiftedCholesky, NewtonModification::kEigenvalue}) {
    NewtonDirection newton(objective, modification);
    Iterate current;
    current.x = start_point();
    current.gradient = q.gradient(current.x);
    Eigen::VectorXd d;
    std::string error;
    ASSERT_TRUE(newton.next_direction(nullptr, current, &d, &error)) << error;
    EXPECT_LT((current.x + d - q.minimizer()).norm(), 1e-10);
    EXPECT_TRUE(newton.unit_step_natural());
    if (modification == NewtonModification::kShiftedCholesky) {
      EXPECT_EQ(newton.last_shift(), 0.0);
      EXPECT_EQ(newton.last_linear_solver_iterations(), 1);
    }
  }
}

TEST(LineSearchDirectionNewton, ModifiedHessianGivesDescentOnAnIndefiniteHessian) {
  QuadraticObjective objective(make_quadratic(3));
  Eigen::Matrix3d indefinite;
  indefinite << 2.0, 1.0, 0.0,  //
      1.0, -3.0, 0.5,           //
      0.0, 0.5, 1.0;
  const Eigen::Vector3d gradients[] = {{1.0, 1.0, 1.0}, {0.0, 1.0, 0.0}, {-2.0, 0.3, 0.7}};
  for (NewtonModification modification : {NewtonModification::kShiftedCholesky, NewtonModification::kEigenvalue}) {
    NewtonDirection newton(objective, modification);
    for (const Eigen::Vector3d& g : gradients) {
      // The pure Newton direction -H^-1 g is not always downhill here.
      Eigen::VectorXd d;
      ASSERT_TRUE(newton.modified_newton_direction(indefinite, g, &d));
      EXPECT_LT(g.dot(d), 0.0) << "g = " << g.transpose();
      if (modification == NewtonModification::kShiftedCholesky) {
        EXPECT_GT(newton.last_shift(), 3.0);  // past the negative eigenvalue (about -3.2)
        EXPECT_GT(newton.last_linear_solver_iterations(), 1);
      }
    }
  }
  const Eigen::Vector3d g(0.0, 1.0, 0.0);
  EXPECT_GT(g.dot(-indefinite.inverse() * g), 0.0);  // what the modification is for
}

TEST(LineSearchDirection, FactoryNamesAndRefusals) {
  QuadraticObjective objective(make_quadratic());
  MinimizeOptions options;
  options.method = MinimizerMethod::kLbfgs;
  EXPECT_STREQ(make_line_search_direction(options, objective)->name(), "lbfgs");
  options.method = MinimizerMethod::kNonlinearConjugateGradient;
  options.cg_variant = NonlinearCgVariant::kDaiYuan;
  EXPECT_STREQ(make_line_search_direction(options, objective)->name(), "nonlinear-cg-dai-yuan");
  options.method = MinimizerMethod::kNesterov;
  EXPECT_THROW(make_line_search_direction(options, objective), Error);
}

}  // namespace
}  // namespace curvature::internal
