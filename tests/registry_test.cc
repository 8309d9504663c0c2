// The registries (registry.h): every row's name parses back to its
// enumerator, every enumerator has exactly one row, unknown names are errors
// that list the known ones, and each trait a row states is what the library
// does.
#include <gtest/gtest.h>

#include <set>
#include <span>
#include <string>

#include "curvature/autodiff_objective.h"
#include "curvature/error.h"
#include "curvature/first_order.h"
#include "curvature/learning_rate_schedule.h"
#include "curvature/minimize.h"
#include "curvature/solve.h"
#include "line_search.h"
#include "line_search_direction.h"
#include "linear_solver.h"

namespace curvature {
namespace {

// Rows in enumerator order, one per enumerator up to kCount, with distinct
// names; parse(name) and parse(short name) give the row's enumerator back;
// info() refuses kCount; an unknown name throws listing every name.
template <typename Enum, typename Row, typename Parse>
void expect_registry_round_trips(std::span<const Row> rows, Parse parse) {
  ASSERT_EQ(rows.size(), static_cast<size_t>(Enum::kCount));
  std::set<std::string> names;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    SCOPED_TRACE(row.name);
    EXPECT_EQ(static_cast<size_t>(row.value), i);
    EXPECT_EQ(&info(row.value), &row);
    EXPECT_STREQ(to_string(row.value), row.name);
    EXPECT_EQ(parse(row.name), row.value);
    EXPECT_TRUE(names.insert(row.name).second) << "two rows named " << row.name;
    if constexpr (internal::HasShortName<Row>) {
      EXPECT_EQ(parse(row.short_name), row.value);
      if (std::string(row.short_name) != row.name) {
        EXPECT_TRUE(names.insert(row.short_name).second) << "two rows named " << row.short_name;
      }
    }
  }
  EXPECT_THROW(info(Enum::kCount), Error);
  try {
    parse("no-such-name");
    ADD_FAILURE() << "an unknown name was accepted";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'no-such-name'"), std::string::npos) << message;
    for (const Row& row : rows) EXPECT_NE(message.find(row.name), std::string::npos) << message;
  }
}

TEST(RegistryTest, LeastSquaresMethodsRoundTrip) {
  expect_registry_round_trips<Method, MethodInfo>(kMethods, parse_method);
  EXPECT_EQ(parse_method("lm"), Method::kLevenbergMarquardt);
  EXPECT_EQ(parse_method("gn"), Method::kGaussNewton);
}

TEST(RegistryTest, LinearSolversRoundTrip) {
  expect_registry_round_trips<LinearSolverType, LinearSolverInfo>(kLinearSolvers, parse_linear_solver);
}

TEST(RegistryTest, MinimizerMethodsRoundTrip) {
  expect_registry_round_trips<MinimizerMethod, MinimizerMethodInfo>(kMinimizerMethods, parse_minimizer_method);
  EXPECT_EQ(parse_minimizer_method("newton-cg"), MinimizerMethod::kNewtonTrustRegionCg);
  EXPECT_EQ(parse_minimizer_method("lm-cg"), MinimizerMethod::kLevenbergMarquardtCg);
}

TEST(RegistryTest, LineSearchesRoundTrip) {
  expect_registry_round_trips<LineSearchType, LineSearchInfo>(kLineSearches, parse_line_search);
}

// Each line search's factory builds the search its row names.
TEST(RegistryTest, LineSearchFactoryBuildsTheNamedSearch) {
  for (const LineSearchInfo& row : kLineSearches) {
    EXPECT_STREQ(internal::make_line_search(row.value, internal::LineSearchOptions())->name(), row.name);
  }
}

// The directions' registry holds exactly the methods whose rows run the
// line-search loop, once each, and each entry builds a direction.
TEST(RegistryTest, EveryLineSearchMethodHasOneDirection) {
  for (const MinimizerMethodInfo& row : kMinimizerMethods) {
    SCOPED_TRACE(row.name);
    int entries = 0;
    for (const internal::LineSearchDirectionEntry& entry : internal::line_search_directions()) {
      entries += entry.method == row.value;
    }
    EXPECT_EQ(entries, row.loop == MinimizerLoop::kLineSearch ? 1 : 0);
    if (row.loop != MinimizerLoop::kLineSearch) {
      EXPECT_THROW(internal::line_search_direction(row.value), Error);
      continue;
    }
    MinimizeOptions options;
    options.method = row.value;
    struct Bowl : Objective {
      int num_parameters() const override { return 2; }
      bool evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) override {
        *value = 0.5 * x.squaredNorm();
        if (gradient != nullptr) *gradient = x;
        return true;
      }
      bool has_hessian() const override { return true; }
      std::unique_ptr<HessianOperator> hessian(const Eigen::VectorXd&) override {
        return std::make_unique<DenseHessianOperator>(Eigen::MatrixXd::Identity(2, 2));
      }
      const char* name() const override { return "bowl"; }
    } bowl;
    std::unique_ptr<internal::LineSearchDirection> direction =
        internal::line_search_direction(row.value).make(options, bowl);
    ASSERT_NE(direction, nullptr);
    // At the first iterate every direction descends on the bowl.
    internal::Iterate start;
    start.x = Eigen::Vector2d(1.0, -2.0);
    start.gradient = start.x;
    Eigen::VectorXd d;
    std::string error;
    ASSERT_TRUE(direction->next_direction(nullptr, start, &d, &error)) << error;
    EXPECT_LT(d.dot(start.gradient), 0.0);
  }
}

TEST(RegistryTest, UpdateRulesRoundTrip) {
  expect_registry_round_trips<UpdateRuleType, UpdateRuleInfo>(kUpdateRules, parse_update_rule);
  EXPECT_EQ(default_learning_rate(UpdateRuleType::kAdam), 0.001);
  EXPECT_EQ(default_learning_rate(UpdateRuleType::kAdaDelta), 1.0);
  UpdateRuleOptions options;
  options.type = UpdateRuleType::kCount;
  EXPECT_THROW(make_update_rule(options), Error);
}

TEST(RegistryTest, SchedulesRoundTrip) {
  expect_registry_round_trips<ScheduleType, ScheduleInfo>(kSchedules, parse_schedule);
  LearningRateScheduleOptions options;
  options.type = ScheduleType::kCount;
  EXPECT_THROW(make_learning_rate_schedule(options), Error);
}

// The storage each row states is the storage the engine chooses; kAuto is
// the only row that defers to the size rule.
TEST(RegistryTest, LinearSolverStorageFollowsTheRow) {
  for (const LinearSolverInfo& row : kLinearSolvers) {
    SCOPED_TRACE(row.name);
    switch (row.storage) {
      case JacobianStorage::kDense:
        EXPECT_FALSE(internal::wants_sparse_jacobian(row.value, 10));
        EXPECT_FALSE(internal::wants_sparse_jacobian(row.value, 100000));
        break;
      case JacobianStorage::kSparse:
        EXPECT_TRUE(internal::wants_sparse_jacobian(row.value, 10));
        EXPECT_TRUE(internal::wants_sparse_jacobian(row.value, 100000));
        break;
      case JacobianStorage::kSparseWhenLarge:
        EXPECT_FALSE(internal::wants_sparse_jacobian(row.value, kSparseWhenLargeParameters));
        EXPECT_TRUE(internal::wants_sparse_jacobian(row.value, kSparseWhenLargeParameters + 1));
        break;
      case JacobianStorage::kChosen:
        EXPECT_EQ(row.value, LinearSolverType::kAuto);
        EXPECT_THROW(internal::wants_sparse_jacobian(row.value, 10), Error);
        break;
    }
  }
}

// The sparse direct solvers name the library behind them, one of the two a
// build can have (CURVATURE_USE_SUITESPARSE); the others have one
// implementation and name none.
TEST(RegistryTest, SparseDirectSolversNameTheirBackend) {
  const std::string cholesky = linear_solver_backend(LinearSolverType::kSparseNormalCholesky);
  const std::string qr = linear_solver_backend(LinearSolverType::kSparseQr);
  EXPECT_TRUE((cholesky == "CHOLMOD" && qr == "SPQR") || (cholesky == "Eigen SimplicialLDLT" && qr == "Eigen SparseQR"))
      << cholesky << ", " << qr;
  for (LinearSolverType type : {LinearSolverType::kAuto, LinearSolverType::kDenseNormalCholesky,
                                LinearSolverType::kDenseQr, LinearSolverType::kCgnr}) {
    EXPECT_STREQ(linear_solver_backend(type), "") << to_string(type);
  }
}

class LineCost : public SizedCostFunction<1, 2> {
 public:
  explicit LineCost(double t) : t_(t) {}
  bool evaluate(const double* const* p, double* r, double** j) const override {
    r[0] = p[0][0] + p[0][1] * t_ - 1.0;
    if (j != nullptr && j[0] != nullptr) {
      j[0][0] = 1.0;
      j[0][1] = t_;
    }
    return true;
  }

 private:
  double t_;
};

// kAuto resolves, on a small dense problem, to dense normal Cholesky with a
// dense Jacobian; every other type is kept, with the storage its row names.
TEST(RegistryTest, ChoiceResolvesAutoAndKeepsTheRest) {
  double p[2] = {0.0, 0.0};
  Problem problem;
  for (int i = 0; i < 5; ++i) problem.add_residual_block(std::make_shared<LineCost>(i), nullptr, p);
  const internal::LinearSolverChoice automatic = internal::choose_linear_solver(problem, LinearSolverType::kAuto);
  EXPECT_EQ(automatic.type, LinearSolverType::kDenseNormalCholesky);
  EXPECT_FALSE(automatic.sparse_jacobian);
  for (const LinearSolverInfo& row : kLinearSolvers) {
    if (row.value == LinearSolverType::kAuto) continue;
    const internal::LinearSolverChoice choice = internal::choose_linear_solver(problem, row.value);
    EXPECT_EQ(choice.type, row.value) << row.name;
    EXPECT_EQ(choice.sparse_jacobian, row.storage == JacobianStorage::kSparse) << row.name;
  }
}

// An enumerator without a row (here the sentinel, as a cast from an integer
// would give) is refused by name before anything runs.
TEST(RegistryTest, SolveRefusesAMethodWithoutARow) {
  double p[2] = {0.0, 0.0};
  Problem problem;
  problem.add_residual_block(std::make_shared<LineCost>(1.0), nullptr, p);
  SolverOptions options;
  options.method = Method::kCount;
  EXPECT_THROW(
      {
        try {
          solve(options, &problem);
        } catch (const Error& error) {
          EXPECT_NE(std::string(error.what()).find("SolverOptions::method"), std::string::npos) << error.what();
          throw;
        }
      },
      Error);
  options = SolverOptions();
  options.linear_solver = LinearSolverType::kCount;
  EXPECT_THROW(solve(options, &problem), Error);
}

}  // namespace
}  // namespace curvature
