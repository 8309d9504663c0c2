// Parameter blocks on manifolds in the engine: the Problem's API and its
// errors, the tangent-space evaluation, and every solver family (solve(),
// minimize(), train()) keeping quaternions on the unit sphere while reaching
// the known minimum of a small pose problem.
#include <gtest/gtest.h>

#include <Eigen/LU>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "curvature/covariance.h"
#include "curvature/gradient_checker.h"
#include "curvature/least_squares_objective.h"
#include "curvature/minimize.h"
#include "curvature/problem.h"
#include "curvature/solve.h"
#include "curvature/train.h"
#include "test_manifolds.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::expect_error_naming;
using testing::PoseProblem;
using testing::TestEuclideanManifold;
using testing::TestQuaternionManifold;
using testing::TestSubsetManifold;

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// An observation that disagrees with the others: the minimum is no longer 0
// and, without a manifold, no longer at |q| = 1.
void add_inconsistent_observation(PoseProblem* pose, Problem* problem) {
  problem->add_residual_block(std::make_shared<AutoDiffCostFunction<testing::ObservedPoint, 3, 4, 3>>(
                                  testing::ObservedPoint{{0.5, 0.5, 0.5}, {0.05, -0.02, 0.01}}),
                              nullptr, pose->q[0].data(), pose->t.data());
}

// The pose problem's cost at its current values.
double cost_of(const Problem& problem) {
  double cost = 0.0;
  EXPECT_TRUE(problem.evaluate(Problem::EvaluateOptions(), &cost, nullptr, nullptr, nullptr, nullptr));
  return cost;
}

TEST(ManifoldProblemTest, SizesAndLookups) {
  PoseProblem pose;
  Problem problem;
  pose.build(&problem);
  EXPECT_EQ(problem.num_effective_parameters(), 4 * PoseProblem::kBodies + 3);
  EXPECT_EQ(problem.num_effective_tangent_parameters(), 3 * PoseProblem::kBodies + 3);
  EXPECT_EQ(problem.parameter_block_tangent_size(pose.q[0].data()), 3);
  EXPECT_EQ(problem.parameter_block_tangent_size(pose.t.data()), 3);
  EXPECT_NE(problem.manifold(pose.q[0].data()), nullptr);
  EXPECT_EQ(problem.manifold(pose.t.data()), nullptr);
  problem.set_manifold(pose.q[0].data(), nullptr);  // removed
  EXPECT_EQ(problem.manifold(pose.q[0].data()), nullptr);
  EXPECT_EQ(problem.parameter_block_tangent_size(pose.q[0].data()), 4);
  problem.set_parameter_block_constant(pose.q[1].data());
  EXPECT_EQ(problem.num_effective_tangent_parameters(), 4 + 3 * (PoseProblem::kBodies - 2) + 3);

  double extra[4] = {1.0, 0.0, 0.0, 0.0};
  problem.add_parameter_block(extra, 4, std::make_shared<TestQuaternionManifold>());
  EXPECT_EQ(problem.parameter_block_tangent_size(extra), 3);
}

TEST(ManifoldProblemTest, AManifoldOfTheWrongSizeIsAnErrorNamingBothSizes) {
  double x[3] = {0.0, 0.0, 1.0};
  Problem problem;
  problem.add_parameter_block(x, 3);
  try {
    problem.set_manifold(x, std::make_shared<TestQuaternionManifold>());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("ambient size 4"), std::string::npos) << message;
    EXPECT_NE(message.find("size 3"), std::string::npos) << message;
    EXPECT_NE(message.find("parameter block at"), std::string::npos) << message;
  }
  expect_error_naming(
      [&] { problem.add_parameter_block(x, 3, std::make_shared<TestSubsetManifold>(2, std::vector<int>{0})); },
      "ambient size 2");
  double unknown[4];
  expect_error_naming([&] { problem.set_manifold(unknown, std::make_shared<TestQuaternionManifold>()); },
                      "not part of this problem");
}

TEST(ManifoldProblemTest, BoundsOnANonEuclideanManifoldBlockAreAnErrorInEitherOrder) {
  double q[4] = {1.0, 0.0, 0.0, 0.0};
  double r[4] = {1.0, 0.0, 0.0, 0.0};
  Problem problem;
  problem.add_parameter_block(q, 4, std::make_shared<TestQuaternionManifold>());
  // Manifold, then bounds.
  expect_error_naming([&] { problem.set_lower_bound(q, 1, -0.5); }, "bounds are allowed only on blocks whose manifold");
  expect_error_naming([&] { problem.set_upper_bound(q, 2, 0.5); }, "tangent size 3");
  problem.set_upper_bound(q, 2, std::numeric_limits<double>::infinity());  // "no bound" stays allowed
  // Bounds, then manifold.
  problem.add_parameter_block(r, 4);
  problem.set_lower_bound(r, 0, -1.0);
  expect_error_naming([&] { problem.set_manifold(r, std::make_shared<TestQuaternionManifold>()); }, "has bounds");
  EXPECT_EQ(problem.manifold(r), nullptr);
  // A Euclidean manifold takes bounds.
  problem.set_manifold(r, std::make_shared<TestEuclideanManifold>(4));
  problem.set_upper_bound(r, 0, 2.0);
  EXPECT_EQ(problem.upper_bound(r, 0), 2.0);
}

// Problem::evaluate's gradient and Jacobian are the tangent ones:
// J_tangent = J_ambient P and g = J_tangent^T r.
TEST(ManifoldProblemTest, EvaluateGivesTheTangentJacobianAndGradient) {
  PoseProblem pose;
  Problem plain, on_manifold;
  pose.build(&plain, false);
  pose.build(&on_manifold, true);
  Eigen::VectorXd ambient_residuals, residuals, gradient;
  Eigen::MatrixXd ambient, tangent;
  SparseRowMatrix sparse;
  double ambient_cost = 0.0, cost = 0.0;
  ASSERT_TRUE(plain.evaluate({}, &ambient_cost, &ambient_residuals, nullptr, &ambient, nullptr));
  ASSERT_TRUE(on_manifold.evaluate({}, &cost, &residuals, &gradient, &tangent, &sparse));
  EXPECT_EQ(cost, ambient_cost);
  EXPECT_EQ(residuals, ambient_residuals);
  ASSERT_EQ(tangent.cols(), on_manifold.num_effective_tangent_parameters());
  ASSERT_EQ(gradient.size(), tangent.cols());
  // Blocks in the order first added: q0, t, q1, q2, ...
  Eigen::MatrixXd expected(ambient.rows(), tangent.cols());
  TestQuaternionManifold quaternion;
  for (int b = 0; b < PoseProblem::kBodies; ++b) {
    RowMajorMatrix plus(4, 3);
    quaternion.plus_jacobian(pose.q[b].data(), plus.data());
    const int ambient_column = b == 0 ? 0 : 7 + 4 * (b - 1), tangent_column = b == 0 ? 0 : 6 + 3 * (b - 1);
    expected.middleCols(tangent_column, 3) = ambient.middleCols(ambient_column, 4) * plus;
  }
  expected.middleCols(3, 3) = ambient.middleCols(4, 3);
  EXPECT_LT((tangent - expected).lpNorm<Eigen::Infinity>(), 1e-14);
  EXPECT_LT((Eigen::MatrixXd(sparse) - tangent).lpNorm<Eigen::Infinity>(), 1e-15);
  EXPECT_LT((gradient - tangent.transpose() * residuals).lpNorm<Eigen::Infinity>(), 1e-13);
}

// A subset manifold's constant coordinate keeps its exact value through a solve.
TEST(ManifoldProblemTest, SubsetManifoldHoldsItsConstantCoordinate) {
  double p[2] = {0.3, 7.25};  // Rosenbrock with x1 held: the minimum along x0 only
  Problem problem;
  problem.add_residual_block(std::make_shared<testing::RosenbrockResidual>(), nullptr, p);
  problem.set_manifold(p, std::make_shared<TestSubsetManifold>(2, std::vector<int>{1}));
  const Summary summary = solve(SolverOptions(), &problem);
  EXPECT_TRUE(summary.converged()) << summary.message;
  EXPECT_EQ(p[1], 7.25);
  // min over x0 of 100 (7.25 - x0^2)^2 + (1 - x0)^2 lies near sqrt(7.25).
  EXPECT_NEAR(p[0], std::sqrt(7.25), 1e-2);
}

// A hundred iterations of Levenberg-Marquardt that cannot converge (zero
// tolerances, a problem with noise in it) keep |q| = 1 to 1e-15 at every
// iteration.
TEST(ManifoldProblemTest, QuaternionStaysOnTheSphereThroughAHundredIterations) {
  PoseProblem pose;
  Problem problem;
  pose.build(&problem);
  add_inconsistent_observation(&pose, &problem);
  SolverOptions options;
  options.max_iterations = 100;
  options.function_tolerance = options.gradient_tolerance = options.parameter_tolerance = 0.0;
  options.min_trust_region_radius = 0.0;
  double worst = 0.0;
  options.callback = [&](const IterationRecord&) {
    worst = std::max(worst, pose.worst_norm_error());
    return CallbackReturn::kContinue;
  };
  const Summary summary = solve(options, &problem);
  // The run ends early only when LM's step has become exactly zero (the
  // point no longer moves: with zero tolerances that is the one test that
  // can hold), which happens on some builds (the sanitizer build's floating
  // point) after about 60 iterations.
  if (summary.iterations < 100) {
    EXPECT_GE(summary.iterations, 50) << summary.message;
    EXPECT_NE(summary.message.find("step norm 0.000000e+00"), std::string::npos) << summary.message;
  }
  EXPECT_LE(worst, 1e-15);
  EXPECT_LE(pose.worst_norm_error(), 1e-15);
}

// Without the manifold the same noisy problem lets the quaternions leave the
// sphere (the residual sees |q|^2 R p, and a longer q fits the disagreeing
// observations better): the reason manifolds exist.
TEST(ManifoldProblemTest, WithoutTheManifoldTheQuaternionsDrift) {
  PoseProblem pose;
  Problem problem;
  pose.build(&problem, false);
  add_inconsistent_observation(&pose, &problem);
  solve(SolverOptions(), &problem);
  EXPECT_GT(pose.worst_norm_error(), 1e-4);
}

enum class Family { kSolve, kMinimize, kTrain };
struct MethodCase {
  const char* name;
  Family family;
  Method method = Method::kLevenbergMarquardt;
  MinimizerMethod minimizer = MinimizerMethod::kLbfgs;
  LinearSolverType linear_solver = LinearSolverType::kAuto;
  double tolerance = 1e-7;  // on the orientations and the translation
  Damping damping = Damping::kMarquardt;
};

class ManifoldProblemMethods : public ::testing::TestWithParam<MethodCase> {};

TEST_P(ManifoldProblemMethods, KeepsEveryQuaternionOnTheSphereAndReachesTheMinimum) {
  const MethodCase& c = GetParam();
  PoseProblem pose;
  Problem problem;
  pose.build(&problem);
  const double start_cost = cost_of(problem);
  Summary summary;
  switch (c.family) {
    case Family::kSolve: {
      SolverOptions options;
      options.method = c.method;
      options.linear_solver = c.linear_solver;
      options.damping = c.damping;
      options.function_tolerance = options.parameter_tolerance = 1e-14;
      options.gradient_tolerance = 1e-14;
      summary = solve(options, &problem);
      break;
    }
    case Family::kMinimize: {
      MinimizeOptions options;
      options.method = c.minimizer;
      options.max_iterations = 5000;
      options.function_tolerance = options.parameter_tolerance = 1e-14;
      options.gradient_tolerance = 1e-12;
      summary = minimize(options, &problem);
      break;
    }
    case Family::kTrain: {
      TrainOptions options;
      options.rule.type = UpdateRuleType::kAdam;
      options.schedule.initial_learning_rate = 0.02;
      options.epochs = 3000;
      summary = train(options, &problem);
      break;
    }
  }
  EXPECT_LE(pose.worst_norm_error(), 4e-16 * 4) << summary.message;
  EXPECT_LT(cost_of(problem), 1e-6 * start_cost) << summary.message;
  EXPECT_LT(pose.worst_orientation_error(), c.tolerance) << summary.message;
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(pose.t[k], pose.true_t[k], c.tolerance) << summary.message;
}

INSTANTIATE_TEST_SUITE_P(
    EverySolverFamily, ManifoldProblemMethods,
    ::testing::Values(
        MethodCase{"LevenbergMarquardtDense", Family::kSolve, Method::kLevenbergMarquardt, MinimizerMethod::kLbfgs,
                   LinearSolverType::kDenseNormalCholesky},
        MethodCase{"LevenbergMarquardtSparse", Family::kSolve, Method::kLevenbergMarquardt, MinimizerMethod::kLbfgs,
                   LinearSolverType::kSparseNormalCholesky},
        MethodCase{"LevenbergMarquardtCgnr", Family::kSolve, Method::kLevenbergMarquardt, MinimizerMethod::kLbfgs,
                   LinearSolverType::kCgnr},
        MethodCase{"Dogleg", Family::kSolve, Method::kDogleg},
        MethodCase{"DoglegUnscaledRegion", Family::kSolve, Method::kDogleg, MinimizerMethod::kLbfgs,
                   LinearSolverType::kAuto, 1e-7, Damping::kLevenberg},
        MethodCase{"LevenbergDamping", Family::kSolve, Method::kLevenbergMarquardt, MinimizerMethod::kLbfgs,
                   LinearSolverType::kAuto, 1e-7, Damping::kLevenberg},
        MethodCase{"GaussNewton", Family::kSolve, Method::kGaussNewton},
        MethodCase{"Lbfgs", Family::kMinimize, Method::kLevenbergMarquardt, MinimizerMethod::kLbfgs},
        MethodCase{"Bfgs", Family::kMinimize, Method::kLevenbergMarquardt, MinimizerMethod::kBfgs},
        MethodCase{"NewtonLineSearch", Family::kMinimize, Method::kLevenbergMarquardt, MinimizerMethod::kNewton},
        MethodCase{"NewtonTrustRegionCg", Family::kMinimize, Method::kLevenbergMarquardt,
                   MinimizerMethod::kNewtonTrustRegionCg},
        MethodCase{"NewtonDogleg", Family::kMinimize, Method::kLevenbergMarquardt, MinimizerMethod::kNewtonDogleg},
        MethodCase{"LevenbergMarquardtCg", Family::kMinimize, Method::kLevenbergMarquardt,
                   MinimizerMethod::kLevenbergMarquardtCg},
        MethodCase{"SteepestDescent", Family::kMinimize, Method::kLevenbergMarquardt, MinimizerMethod::kSteepestDescent,
                   LinearSolverType::kAuto, 1e-4},
        MethodCase{"NonlinearCg", Family::kMinimize, Method::kLevenbergMarquardt,
                   MinimizerMethod::kNonlinearConjugateGradient, LinearSolverType::kAuto, 1e-5},
        MethodCase{"Nesterov", Family::kMinimize, Method::kLevenbergMarquardt, MinimizerMethod::kNesterov,
                   LinearSolverType::kAuto, 1e-5},
        MethodCase{"Adam", Family::kTrain, Method::kLevenbergMarquardt, MinimizerMethod::kLbfgs,
                   LinearSolverType::kAuto, 1e-3}),
    [](const ::testing::TestParamInfo<MethodCase>& info) { return std::string(info.param.name); });

// The same solve on one and on two threads ends on the same bits.
TEST(ManifoldProblemTest, OneAndTwoThreadsAreBitIdentical) {
  for (const LinearSolverType linear_solver :
       {LinearSolverType::kDenseNormalCholesky, LinearSolverType::kSparseNormalCholesky}) {
    PoseProblem one, two;
    Problem first, second;
    one.build(&first);
    two.build(&second);
    SolverOptions options;
    options.linear_solver = linear_solver;
    options.num_threads = 1;
    const Summary a = solve(options, &first);
    options.num_threads = 2;
    const Summary b = solve(options, &second);
    EXPECT_EQ(a.iterations, b.iterations);
    EXPECT_EQ(std::memcmp(&a.final_cost, &b.final_cost, sizeof(double)), 0);
    for (int k = 0; k < PoseProblem::kBodies; ++k) {
      EXPECT_EQ(std::memcmp(one.q[k].data(), two.q[k].data(), 4 * sizeof(double)), 0);
    }
    EXPECT_EQ(std::memcmp(one.t.data(), two.t.data(), 3 * sizeof(double)), 0);
  }
  PoseProblem one, two;
  Problem first, second;
  one.build(&first);
  two.build(&second);
  TrainOptions options;
  options.epochs = 20;
  options.batch_size = 4;
  options.num_threads = 1;
  train(options, &first);
  options.num_threads = 2;
  train(options, &second);
  for (int k = 0; k < PoseProblem::kBodies; ++k) {
    EXPECT_EQ(std::memcmp(one.q[k].data(), two.q[k].data(), 4 * sizeof(double)), 0);
  }
}

// solve()'s gradient check runs in the tangent space of manifold blocks.
TEST(ManifoldProblemTest, SolveGradientCheckOptionChecksManifoldBlocks) {
  PoseProblem pose;
  Problem problem;
  pose.build(&problem);
  SolverOptions options;
  options.check_gradients = true;
  const Summary summary = solve(options, &problem);
  EXPECT_TRUE(summary.converged()) << summary.message;
}

// Constancy and manifolds may change between solves.
TEST(ManifoldProblemTest, ConstancyAndManifoldsChangeBetweenSolves) {
  PoseProblem pose;
  Problem problem;
  pose.build(&problem, false);
  problem.set_parameter_block_constant(pose.t.data());
  const std::array<double, 3> t_before = pose.t;
  SolverOptions options;
  options.max_iterations = 3;
  solve(options, &problem);
  EXPECT_EQ(pose.t, t_before);
  problem.set_parameter_block_variable(pose.t.data());
  const auto quaternion = std::make_shared<TestQuaternionManifold>();
  for (auto& q : pose.q) {
    const double norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    for (double& v : q) v /= norm;
    problem.set_manifold(q.data(), quaternion);
  }
  options.max_iterations = 100;
  const Summary summary = solve(options, &problem);
  EXPECT_TRUE(summary.converged()) << summary.message;
  EXPECT_LE(pose.worst_norm_error(), 1e-15);
  EXPECT_LT(pose.worst_orientation_error(), 1e-7);
}

// What the engine refuses on manifolds, each with a message that says why.
TEST(ManifoldProblemTest, RefusedCombinationsAreErrors) {
  PoseProblem pose;
  Problem problem;
  pose.build(&problem);
  MinimizeOptions minimize_options;
  minimize_options.method = MinimizerMethod::kNewtonTrustRegionCg;
  expect_error_naming([&] { minimize(minimize_options, &problem, HessianModel::kExact); },
                      "kExact is not available on a problem with manifolds");
  problem.set_lower_bound(pose.t.data(), 0, -10.0);
  minimize_options.method = MinimizerMethod::kLbfgs;
  expect_error_naming([&] { minimize(minimize_options, &problem); }, "lives on a manifold");
  TrainOptions train_options;
  train_options.weight_decay = 0.1;
  expect_error_naming([&] { train(train_options, &problem); }, "TrainOptions::weight_decay");
  train_options.weight_decay = 0.0;
  train_options.rule.type = UpdateRuleType::kNesterovLookahead;
  expect_error_naming([&] { train(train_options, &problem); }, "nesterov-lookahead");
}

// Bounds on the plain block of a problem with manifolds are honoured by solve().
TEST(ManifoldProblemTest, SolveHonoursBoundsOnPlainBlocksBesideManifolds) {
  PoseProblem pose;
  Problem problem;
  pose.build(&problem);
  problem.set_upper_bound(pose.t.data(), 2, 0.25);  // the true t[2] is 0.5
  for (Method method : {Method::kLevenbergMarquardt, Method::kDogleg, Method::kGaussNewton}) {
    PoseProblem fresh;
    Problem bounded;
    fresh.build(&bounded);
    bounded.set_upper_bound(fresh.t.data(), 2, 0.25);
    SolverOptions options;
    options.method = method;
    const Summary summary = solve(options, &bounded);
    EXPECT_LE(fresh.t[2], 0.25) << summary.message;
    EXPECT_NEAR(fresh.t[2], 0.25, 1e-9) << summary.message;
    EXPECT_LE(fresh.worst_norm_error(), 1e-15);
  }
}

// compute_covariance() reads the evaluator's tangent columns: a quaternion
// block's covariance is 3 x 3, the inverse of J_t^T J_t's block, on both
// paths.
TEST(ManifoldProblemTest, CovarianceIsInTheTangentSpace) {
  PoseProblem pose;
  Problem problem;
  pose.build(&problem);
  add_inconsistent_observation(&pose, &problem);
  solve(SolverOptions(), &problem);
  Eigen::MatrixXd jacobian;
  ASSERT_TRUE(problem.evaluate({}, nullptr, nullptr, nullptr, &jacobian, nullptr));
  const Eigen::MatrixXd expected = Eigen::MatrixXd(jacobian.transpose() * jacobian).inverse();
  // Tangent columns: q0 at 0, t at 3, q1 at 6.
  for (const CovarianceAlgorithm algorithm : {CovarianceAlgorithm::kDenseSvd, CovarianceAlgorithm::kSparseQr}) {
    CovarianceOptions options;
    options.algorithm = algorithm;
    const CovarianceResult result =
        compute_covariance(problem, {{pose.q[1].data(), pose.q[1].data()}, {pose.t.data(), pose.q[1].data()}}, options);
    ASSERT_TRUE(result.ok());
    const Eigen::MatrixXd q1 = result.block(pose.q[1].data(), pose.q[1].data());
    ASSERT_EQ(q1.rows(), 3);
    ASSERT_EQ(q1.cols(), 3);
    EXPECT_LT((q1 - expected.block(6, 6, 3, 3)).norm(), 1e-8 * expected.block(6, 6, 3, 3).norm());
    const Eigen::MatrixXd cross = result.block(pose.t.data(), pose.q[1].data());
    EXPECT_LT((cross - expected.block(3, 6, 3, 3)).norm(), 1e-8 * expected.block(6, 6, 3, 3).norm());
  }
}

}  // namespace
}  // namespace curvature
