// The explicit Schur-complement solvers (dense-schur, sparse-schur): their
// step equals the full normal equations' dense solution on BAL scenes and on
// random problems of mixed block sizes, with and without damping and robust
// losses, and the J dx they form on the way equals J times the step; the automatic ordering finds the points; a user's
// ordering is checked; one, two and three threads give the same bits; and a whole solve of a generated scene ends at
// sparse-normal-cholesky's cost.
#include "schur/schur_complement.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <random>
#include <vector>

#include "bal.h"
#include "bal_generator.h"
#include "bal_test_util.h"
#include "curvature/solve.h"
#include "parameter_layout.h"
#include "schur/elimination_ordering.h"
#include "test_util.h"

namespace curvature {
namespace {

using internal::SchurStructure;
using testing::expect_error_naming;

// r = sum_k A_k x_k - b with fixed random A_k and b: a linear residual over
// blocks of any sizes, so J is the A_k side by side.
class RandomLinearResidual final : public DynamicCostFunction {
 public:
  RandomLinearResidual(int rows, const std::vector<int>& sizes, std::mt19937* random) : rows_(rows), sizes_(sizes) {
    set_num_residuals(rows);
    std::normal_distribution<double> normal;
    for (int size : sizes) {
      add_parameter_block(size);
      Eigen::MatrixXd a(rows, size);
      for (double& v : a.reshaped()) v = normal(*random);
      a_.push_back(a);
    }
    b_.resize(rows);
    for (double& v : b_) v = normal(*random);
  }
  bool evaluate(double const* const* p, double* r, double** j) const override {
    Eigen::Map<Eigen::VectorXd> residual(r, rows_);
    residual = -b_;
    for (size_t k = 0; k < sizes_.size(); ++k) {
      residual += a_[k] * Eigen::Map<const Eigen::VectorXd>(p[k], sizes_[k]);
      if (j && j[k]) {
        Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(j[k], rows_, sizes_[k]) =
            a_[k];
      }
    }
    return true;
  }

 private:
  int rows_;
  std::vector<int> sizes_;
  std::vector<Eigen::MatrixXd> a_;
  Eigen::VectorXd b_;
};

// e-blocks of sizes 2 and 4, f-blocks of sizes 3 and 5; residual blocks read
// one e-block and one or two f-blocks, only f-blocks, or only an e-block.
struct RandomProblem {
  std::vector<std::vector<double>> e_values, f_values;
  Problem problem;
  std::vector<int> eliminated;  // the e-blocks' indices

  explicit RandomProblem(unsigned seed) {
    std::mt19937 random(seed);
    const int num_e = 12, num_f = 5;
    for (int i = 0; i < num_f; ++i) f_values.emplace_back(i % 2 ? 5 : 3, 0.1 * i);
    for (int i = 0; i < num_e; ++i) e_values.emplace_back(i % 3 ? 2 : 4, -0.2 * i);
    for (auto& f : f_values) problem.add_parameter_block(f.data(), static_cast<int>(f.size()));
    for (auto& e : e_values) {
      problem.add_parameter_block(e.data(), static_cast<int>(e.size()));
      eliminated.push_back(problem.impl().block_index.at(e.data()));
    }
    std::uniform_int_distribution<int> pick_f(0, num_f - 1);
    auto add = [&](std::vector<double*> blocks) {
      std::vector<int> sizes;
      for (double* b : blocks) sizes.push_back(problem.parameter_block_size(b));
      problem.add_residual_block(std::make_shared<RandomLinearResidual>(3, sizes, &random), nullptr, blocks);
    };
    for (int e = 0; e < num_e; ++e) {
      for (int k = 0; k < 3; ++k) {
        const int a = pick_f(random);
        if (k == 2) {
          const int b = (a + 1) % num_f;
          add({f_values[a].data(), e_values[e].data(), f_values[b].data()});
        } else {
          add({e_values[e].data(), f_values[a].data()});
        }
      }
    }
    add({f_values[0].data(), f_values[3].data()});
    add({e_values[0].data()});
  }
};

struct Step {
  Eigen::VectorXd dx;
  Eigen::VectorXd jacobian_step;  // the solver's J dx
  Eigen::VectorXd product;        // J dx from the Jacobian itself
  bool success = false;
};

// The Schur solver's step for J, r of `problem` at its values and damping d.
Step schur_step(const Problem& problem, const std::vector<int>& eliminated, LinearSolverType type,
                const Eigen::VectorXd& d, int num_threads = 1) {
  const internal::ParameterLayout layout(problem.impl());
  auto structure =
      std::make_shared<const SchurStructure>(internal::build_schur_structure(problem.impl(), layout, eliminated));
  Eigen::VectorXd r;
  SparseRowMatrix j;
  double cost = 0.0;
  EXPECT_TRUE(problem.evaluate({}, &cost, &r, nullptr, nullptr, &j));
  internal::SchurComplementSolver solver(type, structure, num_threads);
  Step step;
  internal::LinearSolverResult result = solver.prepare({nullptr, &j}, r);
  if (result.success) result = solver.solve(d, &step.dx);
  step.success = result.success;
  EXPECT_TRUE(result.success) << result.message;
  if (step.success) {
    const Eigen::VectorXd* jacobian_step = solver.jacobian_times_step();
    EXPECT_NE(jacobian_step, nullptr);
    if (jacobian_step) step.jacobian_step = *jacobian_step;
    step.product = j * step.dx;
  }
  return step;
}

// (J^T J + D^2)^-1 (-J^T r), dense.
Eigen::VectorXd normal_step(const Problem& problem, const Eigen::VectorXd& d) {
  Eigen::VectorXd r;
  Eigen::MatrixXd j;
  double cost = 0.0;
  EXPECT_TRUE(problem.evaluate({}, &cost, &r, nullptr, &j, nullptr));
  Eigen::MatrixXd a = j.transpose() * j;
  a.diagonal() += d.array().square().matrix();
  return a.llt().solve(-j.transpose() * r);
}

void expect_same_step(const Problem& problem, const std::vector<int>& eliminated, const Eigen::VectorXd& d) {
  const Eigen::VectorXd expected = normal_step(problem, d);
  for (LinearSolverType type : {LinearSolverType::kDenseSchur, LinearSolverType::kSparseSchur}) {
    SCOPED_TRACE(to_string(type));
    const Step step = schur_step(problem, eliminated, type, d);
    ASSERT_TRUE(step.success);
    EXPECT_LE((step.dx - expected).norm(), 1e-10 * expected.norm());
    // J dx, formed during back-substitution for the step's model.
    ASSERT_EQ(step.jacobian_step.size(), step.product.size());
    EXPECT_LE((step.jacobian_step - step.product).norm(), 1e-12 * step.product.norm());
  }
}

struct BalCase {
  BalScene scene;
  Problem problem;
  BalCase(std::uint64_t seed, BalLoss loss, bool fix_gauge) {
    BalGeneratorOptions options = bal_generator_options("tiny");
    options.seed = seed;
    scene = generate_bal_scene(options);
    BalProblemOptions problem_options;
    problem_options.loss = loss;
    add_bal_residuals(&scene, &problem, problem_options);
    if (fix_gauge) {  // two cameras fixed: no gauge freedom, J^T J is regular
      problem.set_parameter_block_constant(scene.camera(0));
      problem.set_parameter_block_constant(scene.camera(1));
    }
  }
  std::vector<int> points() const { return testing::point_blocks(scene, problem); }
};

Eigen::VectorXd random_damping(int n, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> uniform(0.1, 3.0);
  Eigen::VectorXd d(n);
  for (double& v : d) v = uniform(random);
  return d;
}

TEST(SchurComplement, BalStepEqualsNormalEquationsWithoutDamping) {
  for (std::uint64_t seed : {1, 2, 3}) {
    BalCase bal(seed, BalLoss::kNone, true);
    expect_same_step(bal.problem, bal.points(), Eigen::VectorXd::Zero(bal.problem.num_effective_tangent_parameters()));
  }
}

TEST(SchurComplement, BalStepEqualsNormalEquationsWithDamping) {
  for (std::uint64_t seed : {1, 4}) {
    BalCase bal(seed, BalLoss::kNone, false);
    expect_same_step(bal.problem, bal.points(),
                     random_damping(bal.problem.num_effective_tangent_parameters(), static_cast<unsigned>(seed)));
  }
}

TEST(SchurComplement, BalStepEqualsNormalEquationsWithRobustLosses) {
  for (BalLoss loss : {BalLoss::kHuber, BalLoss::kCauchy}) {
    SCOPED_TRACE(to_string(loss));
    BalCase bal(5, loss, true);
    expect_same_step(bal.problem, bal.points(), Eigen::VectorXd::Zero(bal.problem.num_effective_tangent_parameters()));
    expect_same_step(bal.problem, bal.points(), random_damping(bal.problem.num_effective_tangent_parameters(), 7));
  }
}

TEST(SchurComplement, MixedBlockSizesAndFOnlyResidualsEqualNormalEquations) {
  for (unsigned seed : {11u, 12u, 13u}) {
    RandomProblem random(seed);
    const int n = random.problem.num_effective_tangent_parameters();
    expect_same_step(random.problem, random.eliminated, Eigen::VectorXd::Zero(n));
    expect_same_step(random.problem, random.eliminated, random_damping(n, seed));
  }
}

TEST(SchurComplement, AutomaticOrderingEliminatesThePoints) {
  BalCase bal(1, BalLoss::kNone, false);
  std::vector<int> found = internal::find_elimination_ordering(bal.problem.impl());
  std::vector<int> points = bal.points();
  std::sort(found.begin(), found.end());
  std::sort(points.begin(), points.end());
  EXPECT_EQ(found, points);
  EXPECT_TRUE(internal::schur_structure_pays(bal.problem.impl(), found, 0.5));
}

TEST(SchurComplement, AutomaticChoiceIsSchurForBundleAdjustmentOnly) {
  // 6 cameras and 600 points: 3% of the coordinates kept.
  BalGeneratorOptions options = bal_generator_options("tiny");
  options.num_points = 600;
  BalScene scene = generate_bal_scene(options);
  Problem problem;
  add_bal_residuals(&scene, &problem);
  EXPECT_EQ(internal::choose_linear_solver(problem, LinearSolverType::kAuto).type, LinearSolverType::kDenseSchur);
  // The tiny scene keeps 23%: normal Cholesky stays the choice.
  BalCase tiny(1, BalLoss::kNone, false);
  EXPECT_EQ(internal::choose_linear_solver(tiny.problem, LinearSolverType::kAuto).type,
            LinearSolverType::kDenseNormalCholesky);
  double x[2] = {1.0, 2.0};
  Problem small;
  small.add_residual_block(std::make_shared<testing::RosenbrockResidual>(), nullptr, {x});
  EXPECT_EQ(internal::choose_linear_solver(small, LinearSolverType::kAuto).type,
            LinearSolverType::kDenseNormalCholesky);
}

TEST(SchurComplement, OneAndTwoThreadsGiveTheSameBits) {
  BalCase bal(2, BalLoss::kCauchy, false);
  const Eigen::VectorXd d = random_damping(bal.problem.num_effective_tangent_parameters(), 3);
  for (LinearSolverType type : {LinearSolverType::kDenseSchur, LinearSolverType::kSparseSchur}) {
    const Step one = schur_step(bal.problem, bal.points(), type, d, 1);
    const Step two = schur_step(bal.problem, bal.points(), type, d, 2);
    ASSERT_TRUE(one.success && two.success);
    EXPECT_EQ(one.dx, two.dx) << to_string(type);
    EXPECT_EQ(one.jacobian_step, two.jacobian_step) << to_string(type);
  }
}

// The dynamic-size kernels, residual blocks without an e-block, chunks whose
// cells fall in several threads' row ranges of S: still the same bits for
// any thread count.
TEST(SchurComplement, ThreadCountsGiveTheSameBitsWithMixedBlockSizes) {
  RandomProblem random(14);
  const Eigen::VectorXd d = random_damping(random.problem.num_effective_tangent_parameters(), 14);
  for (LinearSolverType type : {LinearSolverType::kDenseSchur, LinearSolverType::kSparseSchur}) {
    const Step one = schur_step(random.problem, random.eliminated, type, d, 1);
    for (int threads : {2, 3}) {
      const Step more = schur_step(random.problem, random.eliminated, type, d, threads);
      ASSERT_TRUE(one.success && more.success);
      EXPECT_EQ(one.dx, more.dx) << to_string(type) << ", " << threads << " threads";
      EXPECT_EQ(one.jacobian_step, more.jacobian_step) << to_string(type) << ", " << threads << " threads";
    }
  }
}

TEST(SchurComplement, UserOrderingErrorsNameTheEntry) {
  BalCase bal(1, BalLoss::kNone, false);
  SolverOptions options;
  options.linear_solver = LinearSolverType::kSparseSchur;
  double stray[3] = {0, 0, 0};
  options.elimination_ordering = {bal.scene.point(0), stray};
  expect_error_naming([&] { solve(options, &bal.problem); }, "elimination_ordering[1] is not a parameter block");
  options.elimination_ordering = {bal.scene.point(0), bal.scene.point(1), bal.scene.point(0)};
  expect_error_naming([&] { solve(options, &bal.problem); },
                      "elimination_ordering[2] is the same parameter block as elimination_ordering[0]");
  const BalObservation& seen = bal.scene.observations[0];
  options.elimination_ordering = {bal.scene.point(seen.point), bal.scene.camera(seen.camera)};
  expect_error_naming([&] { solve(options, &bal.problem); }, "elimination_ordering[0] and [1] share residual block");
  bal.problem.set_parameter_block_constant(bal.scene.point(2));
  options.elimination_ordering = {bal.scene.point(2)};
  expect_error_naming([&] { solve(options, &bal.problem); }, "elimination_ordering[0] is a constant parameter block");
}

TEST(SchurComplement, SolveReachesSparseNormalCholeskysCost) {
  double reference = 0.0;
  for (LinearSolverType type :
       {LinearSolverType::kSparseNormalCholesky, LinearSolverType::kDenseSchur, LinearSolverType::kSparseSchur}) {
    SCOPED_TRACE(to_string(type));
    BalCase bal(1, BalLoss::kHuber, false);
    SolverOptions options;
    options.linear_solver = type;
    options.max_iterations = 100;
    const Summary summary = solve(options, &bal.problem);
    EXPECT_EQ(summary.linear_solver, to_string(type));
    EXPECT_LT(summary.final_cost, 0.1 * summary.initial_cost);
    if (type == LinearSolverType::kSparseNormalCholesky) {
      reference = summary.final_cost;
    } else {
      EXPECT_NEAR(summary.final_cost, reference, 1e-8 * reference);
    }
  }
}

TEST(SchurComplement, UserOrderingOfCamerasAlsoSolves) {
  // Eliminating the cameras instead (they share no residual block either)
  // is slower on real scenes but must give the same step.
  BalCase bal(3, BalLoss::kNone, false);
  std::vector<int> cameras;
  for (int i = 0; i < bal.scene.num_cameras; ++i) {
    cameras.push_back(bal.problem.impl().block_index.at(bal.scene.camera(i)));
  }
  expect_same_step(bal.problem, cameras, random_damping(bal.problem.num_effective_tangent_parameters(), 9));
}

}  // namespace
}  // namespace curvature
