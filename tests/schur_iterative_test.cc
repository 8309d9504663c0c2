// The iterative Schur solver: preconditioned CG on a random SPD system; the
// forcing sequence; the implicit Schur complement's product, right-hand
// side and Schur-Jacobi blocks against the explicitly formed S; the whole
// step against the dense normal equations (BAL scenes with and without
// damping and with Huber, a random problem of other block sizes); 1 and 2
// threads bit-identical.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "bal.h"
#include "bal_generator.h"
#include "bal_test_util.h"
#include "curvature/cost_function.h"
#include "curvature/solve.h"
#include "parameter_layout.h"
#include "schur/forcing_sequence.h"
#include "schur/implicit_schur_solver.h"
#include "schur/preconditioned_cg.h"
#include "schur/schur_structure.h"
#include "test_util.h"

namespace curvature {
namespace {

using internal::ImplicitSchurSolver;
using internal::ImplicitSchurSolverOptions;
using internal::SchurStructure;

double relative_difference(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

// A problem, its Jacobian and residuals at the start, and its structure with
// the given blocks eliminated.
struct Linearization {
  Eigen::MatrixXd dense;
  SparseRowMatrix sparse;
  Eigen::VectorXd residuals;
  std::shared_ptr<const SchurStructure> structure;

  // with_dense: also the dense Jacobian, for the reference solutions.
  Linearization(const Problem& problem, const std::vector<int>& eliminated, bool with_dense = true) {
    double cost = 0.0;
    EXPECT_TRUE(problem.evaluate({}, &cost, &residuals, nullptr, with_dense ? &dense : nullptr, &sparse));
    const internal::ParameterLayout layout(problem.impl());
    structure =
        std::make_shared<const SchurStructure>(internal::build_schur_structure(problem.impl(), layout, eliminated));
    EXPECT_TRUE(internal::matches_pattern(*structure, sparse));
  }

  // Marquardt-style damping sqrt(lambda diag(J^T J)); zero for lambda = 0.
  Eigen::VectorXd damping(double lambda) const {
    Eigen::VectorXd squared_norms = Eigen::VectorXd::Zero(sparse.cols());
    for (Eigen::Index row = 0; row < sparse.outerSize(); ++row) {
      for (SparseRowMatrix::InnerIterator it(sparse, row); it; ++it) squared_norms[it.col()] += it.value() * it.value();
    }
    return (lambda * squared_norms).cwiseSqrt();
  }

  // The step from the dense normal equations (J^T J + D^2) dx = -J^T r.
  Eigen::VectorXd dense_step(const Eigen::VectorXd& d) const {
    Eigen::MatrixXd a = dense.transpose() * dense;
    a.diagonal() += d.cwiseAbs2();
    const Eigen::VectorXd b = -(dense.transpose() * residuals);
    return a.ldlt().solve(b);
  }

  // S, formed densely over the f-coordinates in the structure's order.
  Eigen::MatrixXd explicit_schur(const Eigen::VectorXd& d) const {
    Eigen::MatrixXd a = dense.transpose() * dense;
    a.diagonal() += d.cwiseAbs2();
    std::vector<int> f_columns, e_columns;
    for (const SchurStructure::Block& f : structure->f_blocks) {
      for (int c = 0; c < f.size; ++c) f_columns.push_back(f.column + c);
    }
    for (const SchurStructure::Block& e : structure->e_blocks) {
      for (int c = 0; c < e.size; ++c) e_columns.push_back(e.column + c);
    }
    auto part = [&](const std::vector<int>& rows, const std::vector<int>& cols) {
      Eigen::MatrixXd m(rows.size(), cols.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        for (size_t j = 0; j < cols.size(); ++j) m(i, j) = a(rows[i], cols[j]);
      }
      return m;
    };
    const Eigen::MatrixXd ff = part(f_columns, f_columns);
    const Eigen::MatrixXd fe = part(f_columns, e_columns);
    const Eigen::MatrixXd ee = part(e_columns, e_columns);
    return ff - fe * ee.ldlt().solve(fe.transpose());
  }
};

struct BalCase {
  BalScene scene;
  Problem problem;
  BalCase(const BalGeneratorOptions& options, const BalProblemOptions& problem_options = {}, int constant_cameras = 0)
      : scene(generate_bal_scene(options)) {
    add_bal_residuals(&scene, &problem, problem_options);
    // Two fixed cameras remove the similarity gauge freedom, so that the
    // undamped normal equations are positive definite.
    for (int i = 0; i < constant_cameras; ++i) problem.set_parameter_block_constant(scene.camera(i));
  }
  std::vector<int> points() const { return testing::point_blocks(scene, problem); }
};

BalGeneratorOptions small_scene(int cameras, int points, std::uint64_t seed) {
  BalGeneratorOptions options;
  options.num_cameras = cameras;
  options.num_points = points;
  options.mean_views_per_point = 3.5;
  options.max_views_per_point = 6;
  options.seed = seed;
  return options;
}

ImplicitSchurSolverOptions tight(int threads = 1) {
  return {.num_threads = threads, .max_iterations = 2000, .eta_max = 1e-13, .eta_min = 1e-13, .model_test = false};
}

Eigen::VectorXd iterative_step(const Linearization& lin, const Eigen::VectorXd& d,
                               const ImplicitSchurSolverOptions& options, int* iterations = nullptr) {
  ImplicitSchurSolver solver(lin.structure, options);
  EXPECT_TRUE(solver.prepare({.sparse = &lin.sparse}, lin.residuals).success);
  Eigen::VectorXd dx;
  const internal::LinearSolverResult result = solver.solve(d, &dx);
  EXPECT_TRUE(result.success) << result.message;
  if (iterations != nullptr) *iterations = result.iterations;
  return dx;
}

// ---------------------------------------------------------------------------
// PCG and the forcing sequence.

TEST(SchurIterativePcg, TightToleranceSolvesARandomSpdSystem) {
  const Eigen::MatrixXd g = testing::random_matrix(40, 30, 7);
  Eigen::MatrixXd a = g.transpose() * g;
  a.diagonal().array() += 0.1;
  const Eigen::VectorXd b = testing::random_matrix(30, 1, 8).col(0);
  const Eigen::VectorXd jacobi = a.diagonal().cwiseInverse();
  internal::PreconditionedCg cg;
  Eigen::VectorXd x;
  const internal::PcgResult result =
      cg.solve([&](const Eigen::VectorXd& v, Eigen::VectorXd* y) { *y = a * v; },
               [&](const Eigen::VectorXd& v, Eigen::VectorXd* y) { *y = jacobi.cwiseProduct(v); }, b,
               {.max_iterations = 200, .relative_tolerance = 1e-13}, &x);
  ASSERT_TRUE(result.success);
  EXPECT_TRUE(result.converged);
  EXPECT_LE(result.relative_residual, 1e-13);
  EXPECT_LT(relative_difference(x, a.llt().solve(b)), 1e-10);
}

TEST(SchurIterativePcg, StopsAtTheForcingTermOnResidualOrModelAndReportsTheIterationLimit) {
  const Eigen::MatrixXd g = testing::random_matrix(80, 60, 9);
  Eigen::MatrixXd a = g.transpose() * g;
  a.diagonal().array() += 1e-3;
  const Eigen::VectorXd b = testing::random_matrix(60, 1, 10).col(0);
  auto apply = [&](const Eigen::VectorXd& v, Eigen::VectorXd* y) { *y = a * v; };
  auto identity = [](const Eigen::VectorXd& v, Eigen::VectorXd* y) { *y = v; };
  internal::PreconditionedCg cg;
  Eigen::VectorXd x;
  const internal::PcgResult loose =
      cg.solve(apply, identity, b, {.max_iterations = 500, .relative_tolerance = 0.1}, &x);
  ASSERT_TRUE(loose.converged);
  EXPECT_LE(loose.relative_residual, 0.1);
  EXPECT_NEAR((b - a * x).norm() / b.norm(), loose.relative_residual, 1e-8);
  const internal::PcgResult tighter =
      cg.solve(apply, identity, b, {.max_iterations = 500, .relative_tolerance = 1e-3}, &x);
  EXPECT_GT(tighter.iterations, loose.iterations);
  const internal::PcgResult limited =
      cg.solve(apply, identity, b, {.max_iterations = 3, .relative_tolerance = 1e-12}, &x);
  EXPECT_TRUE(limited.success);
  EXPECT_FALSE(limited.converged);
  EXPECT_EQ(limited.iterations, 3);
  EXPECT_NE(limited.message.find("iteration limit 3"), std::string::npos) << limited.message;
  // Nash and Sofer's model test stops once an iteration adds little to the
  // model's decrease, long before the residual test at 1e-12 would.
  const internal::PcgResult on_model =
      cg.solve(apply, identity, b, {.max_iterations = 500, .relative_tolerance = 1e-12, .model_tolerance = 0.1}, &x);
  const internal::PcgResult on_residual =
      cg.solve(apply, identity, b, {.max_iterations = 500, .relative_tolerance = 1e-12}, &x);
  EXPECT_TRUE(on_model.converged);
  EXPECT_GT(on_model.relative_residual, 1e-12);
  EXPECT_LT(on_model.iterations, on_residual.iterations);
  cg.solve(apply, identity, b, {.max_iterations = 3, .relative_tolerance = 1e-12}, &x);
  // An iterate stopped early still lowers the model 1/2 x^T A x - b^T x below 0.
  EXPECT_LT(0.5 * x.dot(a * x) - b.dot(x), 0.0);
}

TEST(SchurIterativePcg, ZeroRightHandSideGivesZeroAndSingularSystemFails) {
  internal::PreconditionedCg cg;
  auto identity = [](const Eigen::VectorXd& v, Eigen::VectorXd* y) { *y = v; };
  Eigen::VectorXd x;
  EXPECT_TRUE(cg.solve(identity, identity, Eigen::VectorXd::Zero(4), {}, &x).success);
  EXPECT_EQ(x, Eigen::VectorXd::Zero(4));
  auto zero = [](const Eigen::VectorXd& v, Eigen::VectorXd* y) { *y = Eigen::VectorXd::Zero(v.size()); };
  const internal::PcgResult singular = cg.solve(zero, identity, Eigen::VectorXd::Ones(4), {}, &x);
  EXPECT_FALSE(singular.success);
  EXPECT_NE(singular.message.find("curvature"), std::string::npos) << singular.message;
}

TEST(SchurIterativeForcingSequence, StartsAtTheCeilingAndFallsWithTheSquareRootOfTheGradient) {
  internal::ForcingSequence eta(0.1, 1e-6);
  EXPECT_EQ(eta.next(1e4), 0.1);
  EXPECT_EQ(eta.next(1e3), 0.1);             // sqrt(0.1) = 0.32 is above the ceiling
  EXPECT_NEAR(eta.next(1e-2), 1e-3, 1e-18);  // sqrt(1e-6)
  EXPECT_EQ(eta.next(1e-12), 1e-6);          // the floor
  EXPECT_EQ(eta.next(1e5), 0.1);             // the gradient grew: back to the ceiling
}

// ---------------------------------------------------------------------------
// The implicit complement and its preconditioner against explicit S.

TEST(SchurIterativeComplement, ProductAndJacobiBlocksMatchTheExplicitComplement) {
  BalCase bal(bal_generator_options("tiny"));
  const Linearization lin(bal.problem, bal.points());
  const Eigen::VectorXd d = lin.damping(1e-2);
  ImplicitSchurSolver solver(lin.structure, tight());
  ASSERT_TRUE(solver.prepare({.sparse = &lin.sparse}, lin.residuals).success);
  Eigen::VectorXd dx;
  ASSERT_TRUE(solver.solve(d, &dx).success);  // sets the damping and the preconditioner

  const Eigen::MatrixXd s = lin.explicit_schur(d);
  const Eigen::VectorXd x = testing::random_matrix(s.rows(), 1, 3).col(0);
  Eigen::VectorXd y;
  solver.complement().multiply(x, &y);
  EXPECT_LT(relative_difference(y, s * x), 1e-12);

  for (size_t i = 0; i < lin.structure->f_blocks.size(); ++i) {
    const SchurStructure::Block& f = lin.structure->f_blocks[i];
    const Eigen::MatrixXd expected = s.block(f.reduced_offset, f.reduced_offset, f.size, f.size);
    EXPECT_LT((solver.preconditioner().block(static_cast<int>(i)) - expected).norm(), 1e-12 * expected.norm())
        << "f-block " << i;
  }
}

TEST(SchurIterativeComplement, GradientNormIsThatOfJTransposeR) {
  BalCase bal(bal_generator_options("tiny"));
  const Linearization lin(bal.problem, bal.points());
  ImplicitSchurSolver solver(lin.structure, tight());
  ASSERT_TRUE(solver.prepare({.sparse = &lin.sparse}, lin.residuals).success);
  const double expected = (lin.dense.transpose() * lin.residuals).norm();
  EXPECT_NEAR(solver.complement().gradient_norm(), expected, 1e-12 * expected);
  EXPECT_EQ(solver.eta(), 1e-13);
}

// ---------------------------------------------------------------------------
// The step against the dense normal equations.

TEST(SchurIterativeStep, TinySceneMatchesDenseNormalEquationsWithDamping) {
  BalCase bal(bal_generator_options("tiny"));
  const Linearization lin(bal.problem, bal.points());
  for (double lambda : {1e-4, 1e-1, 10.0}) {
    const Eigen::VectorXd d = lin.damping(lambda);
    EXPECT_LT(relative_difference(iterative_step(lin, d, tight()), lin.dense_step(d)), 1e-9) << "lambda " << lambda;
  }
}

TEST(SchurIterativeStep, RandomScenesMatchDenseNormalEquationsWithAndWithoutDamping) {
  for (std::uint64_t seed : {2u, 3u, 4u}) {
    BalCase bal(small_scene(5 + static_cast<int>(seed), 40 * static_cast<int>(seed), seed), {}, 2);
    const Linearization lin(bal.problem, bal.points());
    for (double lambda : {0.0, 1e-3}) {
      const Eigen::VectorXd d = lin.damping(lambda);
      EXPECT_LT(relative_difference(iterative_step(lin, d, tight()), lin.dense_step(d)), 1e-9)
          << "seed " << seed << ", lambda " << lambda;
    }
  }
}

TEST(SchurIterativeStep, HuberLossMatchesDenseNormalEquations) {
  BalProblemOptions huber;
  huber.loss = BalLoss::kHuber;
  huber.loss_scale = 0.5;  // below the noise, so many residuals are in the linear part
  BalCase bal(small_scene(6, 80, 11), huber, 2);
  const Linearization lin(bal.problem, bal.points());
  for (double lambda : {0.0, 1e-3}) {
    const Eigen::VectorXd d = lin.damping(lambda);
    EXPECT_LT(relative_difference(iterative_step(lin, d, tight()), lin.dense_step(d)), 1e-9) << "lambda " << lambda;
  }
}

// r = A [x_e; x_f...] + c over one e-block of size 2 and one or two f-blocks
// of size 4 (or f-blocks alone): shapes off BAL's fixed-size kernels.
class LinearCost final : public CostFunction {
 public:
  LinearCost(std::vector<int> sizes, unsigned seed) {
    set_num_residuals(3);
    int columns = 0;
    for (int s : sizes) columns += s;
    set_parameter_block_sizes(std::move(sizes));
    a_ = testing::random_matrix(3, columns, seed);
    c_ = testing::random_matrix(3, 1, seed + 1000).col(0);
  }
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    Eigen::Map<Eigen::Vector3d> r(residuals);
    r = c_;
    int column = 0;
    for (size_t b = 0; b < parameter_block_sizes().size(); ++b) {
      const int n = parameter_block_sizes()[b];
      r += a_.middleCols(column, n) * Eigen::Map<const Eigen::VectorXd>(parameters[b], n);
      if (jacobians != nullptr && jacobians[b] != nullptr) {
        Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(jacobians[b], 3, n) =
            a_.middleCols(column, n);
      }
      column += n;
    }
    return true;
  }

 private:
  Eigen::MatrixXd a_;
  Eigen::VectorXd c_;
};

TEST(SchurIterativeStep, OtherBlockSizesAndResidualsWithoutAnEBlockMatchDenseNormalEquations) {
  constexpr int kPoints = 12, kCameras = 4;
  std::vector<std::vector<double>> points(kPoints, std::vector<double>(2, 0.5));
  std::vector<std::vector<double>> cameras(kCameras, std::vector<double>(4, -0.25));
  Problem problem;
  std::mt19937 rng(5);
  unsigned seed = 100;
  for (int j = 0; j < kPoints; ++j) {
    for (int view = 0; view < 3; ++view) {
      const int first = static_cast<int>(rng() % kCameras);
      const int second = (first + 1) % kCameras;
      if (view == 2) {
        problem.add_residual_block(std::make_shared<LinearCost>(std::vector<int>{2, 4, 4}, seed++), nullptr,
                                   {points[j].data(), cameras[first].data(), cameras[second].data()});
      } else {
        problem.add_residual_block(std::make_shared<LinearCost>(std::vector<int>{2, 4}, seed++), nullptr,
                                   {points[j].data(), cameras[first].data()});
      }
    }
  }
  for (int i = 0; i < kCameras; ++i) {  // camera-only residuals
    problem.add_residual_block(std::make_shared<LinearCost>(std::vector<int>{4}, seed++), nullptr, {cameras[i].data()});
  }
  std::vector<int> eliminated;
  for (int j = 0; j < kPoints; ++j) eliminated.push_back(problem.impl().block_index.at(points[j].data()));
  const Linearization lin(problem, eliminated);
  ASSERT_EQ(lin.structure->f_only_residual_blocks.size(), static_cast<size_t>(kCameras));
  for (double lambda : {0.0, 1e-2}) {
    const Eigen::VectorXd d = lin.damping(lambda);
    EXPECT_LT(relative_difference(iterative_step(lin, d, tight()), lin.dense_step(d)), 1e-9) << "lambda " << lambda;
  }
}

// ---------------------------------------------------------------------------
// Threads and the forcing term.

TEST(SchurIterativeThreads, OneAndTwoThreadsGiveTheSameBits) {
  BalCase bal(small_scene(12, 3000, 21));
  const Linearization lin(bal.problem, bal.points(), false);
  const Eigen::VectorXd d = lin.damping(1e-3);
  for (double eta : {0.1, 1e-10}) {
    ImplicitSchurSolverOptions options{.num_threads = 1, .max_iterations = 500, .eta_max = eta, .eta_min = eta};
    int iterations_one = 0, iterations_two = 0;
    const Eigen::VectorXd one = iterative_step(lin, d, options, &iterations_one);
    options.num_threads = 2;
    const Eigen::VectorXd two = iterative_step(lin, d, options, &iterations_two);
    EXPECT_EQ(iterations_one, iterations_two);
    ASSERT_EQ(one.size(), two.size());
    EXPECT_TRUE(one == two) << "eta " << eta << ": largest difference " << (one - two).cwiseAbs().maxCoeff();
  }
}

TEST(SchurIterativeStep, LooseForcingTermStillReducesTheModel) {
  BalCase bal(small_scene(8, 400, 31));
  const Linearization lin(bal.problem, bal.points());
  const Eigen::VectorXd d = lin.damping(1e-3);
  int iterations = 0;
  const Eigen::VectorXd dx =
      iterative_step(lin, d, {.num_threads = 1, .max_iterations = 500, .eta_max = 0.1, .eta_min = 1e-10}, &iterations);
  int tight_iterations = 0;
  iterative_step(lin, d, tight(), &tight_iterations);
  EXPECT_LT(iterations, tight_iterations);
  // The damped model's change 1/2 |J dx + r|^2 + 1/2 |D dx|^2 - 1/2 |r|^2 is negative.
  const double model = 0.5 * (lin.dense * dx + lin.residuals).squaredNorm() + 0.5 * d.cwiseProduct(dx).squaredNorm() -
                       0.5 * lin.residuals.squaredNorm();
  EXPECT_LT(model, 0.0);
}

TEST(SchurIterativeStep, StrategyForcingTermStopsOnTheModelAndTighterEtaGetsCloser) {
  BalCase bal(small_scene(8, 400, 31));
  const Linearization lin(bal.problem, bal.points());
  const Eigen::VectorXd d = lin.damping(1e-3);
  const Eigen::VectorXd exact = iterative_step(lin, d, tight());
  auto step_with = [&](double eta, int* iterations) {
    ImplicitSchurSolver solver(lin.structure, {.num_threads = 1, .max_iterations = 500});
    solver.set_forcing_term(eta);
    EXPECT_TRUE(solver.prepare({.sparse = &lin.sparse}, lin.residuals).success);
    Eigen::VectorXd dx;
    const internal::LinearSolverResult result = solver.solve(d, &dx);
    EXPECT_TRUE(result.success) << result.message;
    *iterations = result.iterations;
    return dx;
  };
  int loose_iterations = 0, tight_iterations = 0;
  const Eigen::VectorXd loose = step_with(0.5, &loose_iterations);
  const Eigen::VectorXd tighter = step_with(1e-3, &tight_iterations);
  EXPECT_LT(loose_iterations, tight_iterations);
  // The damped model 1/2 |J dx + r|^2 + 1/2 |D dx|^2, which the model test
  // watches: the tighter step gets within 1e-3 of the exact step's
  // reduction, closer than the loose one.
  auto model = [&](const Eigen::VectorXd& dx) {
    return 0.5 * (lin.dense * dx + lin.residuals).squaredNorm() + 0.5 * d.cwiseProduct(dx).squaredNorm();
  };
  const double best = model(exact);
  const double reduction = 0.5 * lin.residuals.squaredNorm() - best;
  EXPECT_LT(model(tighter) - best, model(loose) - best);
  EXPECT_LT(model(tighter) - best, 1e-3 * reduction);
  EXPECT_LT(model(loose), 0.5 * lin.residuals.squaredNorm());

  ImplicitSchurSolver solver(lin.structure, {.num_threads = 1});
  for (double eta : {0.0, 1.0, std::nan("")}) {
    testing::expect_error_naming([&] { solver.set_forcing_term(eta); }, "forcing term eta");
  }
}

// ---------------------------------------------------------------------------
// Whole solves through solve().

Summary solve_tiny(LinearSolverType linear_solver, int threads, BalScene* solved = nullptr,
                   BalLoss loss = BalLoss::kNone) {
  BalProblemOptions problem_options;
  problem_options.loss = loss;
  BalCase bal(bal_generator_options("tiny"), problem_options);
  SolverOptions options;
  options.linear_solver = linear_solver;
  options.num_threads = threads;
  options.function_tolerance = 1e-10;
  const Summary summary = solve(options, &bal.problem);
  if (solved != nullptr) *solved = bal.scene;
  return summary;
}

TEST(SchurIterativeSolve, TinySceneReachesTheCostOfSparseNormalCholesky) {
  for (BalLoss loss : {BalLoss::kNone, BalLoss::kHuber}) {
    const Summary iterative = solve_tiny(LinearSolverType::kIterativeSchur, 1, nullptr, loss);
    const Summary direct = solve_tiny(LinearSolverType::kSparseNormalCholesky, 1, nullptr, loss);
    EXPECT_EQ(iterative.linear_solver, "iterative-schur");
    EXPECT_TRUE(iterative.converged()) << iterative.message;
    EXPECT_GT(iterative.linear_solver_iterations, iterative.iterations);
    EXPECT_NEAR(iterative.final_cost, direct.final_cost, 1e-6 * direct.final_cost) << to_string(loss);
    EXPECT_LT(iterative.final_cost, 0.1 * iterative.initial_cost);
  }
}

TEST(SchurIterativeThreads, WholeSolveIsBitIdenticalForOneAndTwoThreads) {
  BalScene one, two;
  const Summary summary_one = solve_tiny(LinearSolverType::kIterativeSchur, 1, &one);
  const Summary summary_two = solve_tiny(LinearSolverType::kIterativeSchur, 2, &two);
  EXPECT_EQ(summary_one.final_cost, summary_two.final_cost);
  EXPECT_EQ(summary_one.iterations, summary_two.iterations);
  EXPECT_EQ(summary_one.linear_solver_iterations, summary_two.linear_solver_iterations);
  EXPECT_EQ(one.cameras, two.cameras);
  EXPECT_EQ(one.points, two.points);
}

TEST(SchurIterativeSolve, EtaOptionReachesTheConjugateGradients) {
  auto solve_with_eta = [](double eta) {
    BalCase bal(bal_generator_options("tiny"));
    SolverOptions options;
    options.linear_solver = LinearSolverType::kIterativeSchur;
    options.function_tolerance = 1e-10;
    options.eta = eta;
    return solve(options, &bal.problem);
  };
  const Summary loose = solve_with_eta(0.1);
  const Summary tight = solve_with_eta(1e-4);
  EXPECT_TRUE(loose.converged()) << loose.message;
  EXPECT_TRUE(tight.converged()) << tight.message;
  // 65 LM and 610 CG iterations against 44 and 1410.
  EXPECT_GT(static_cast<double>(tight.linear_solver_iterations) / tight.iterations,
            1.5 * loose.linear_solver_iterations / loose.iterations);
  EXPECT_NEAR(tight.final_cost, loose.final_cost, 1e-6 * loose.final_cost);
  testing::expect_error_naming([&] { solve_with_eta(1.0); }, "eta");
}

TEST(SchurIterativeErrors, WrongPatternAndDenseJacobianAreErrors) {
  BalCase bal(bal_generator_options("tiny"));
  const Linearization lin(bal.problem, bal.points());
  ImplicitSchurSolver solver(lin.structure, tight());
  testing::expect_error_naming([&] { solver.prepare({.dense = &lin.dense}, lin.residuals); }, "sparse storage");
  Eigen::VectorXd dx;
  testing::expect_error_naming([&] { solver.solve(lin.damping(1.0), &dx); }, "before prepare");
  testing::expect_error_naming([&] { ImplicitSchurSolver(lin.structure, {.num_threads = 1, .max_iterations = 0}); },
                               "max_cg_iterations");
}

}  // namespace
}  // namespace curvature
