// solve(): validates the options and the problem, builds the evaluator and
// the strategy for the chosen method, runs the loop, and writes the best point
// back into the user's parameter blocks.
#include "curvature/solve.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>

#include "curvature/gradient_checker.h"
#include "curvature/thread_pool.h"
#include "dense_kernel.h"
#include "memory_estimate.h"
#include "minimizers.h"
#include "problem_impl.h"
#include "schur/elimination_ordering.h"
#include "schur/schur_structure.h"
#include "solve_cache.h"
#include "string_format.h"
#include "tiled_dense.h"

namespace curvature {
namespace {

// The one wording of an option error (error.h), for this struct.
void require(bool condition, const char* field, const std::string& requirement, double value) {
  require_option(condition, "SolverOptions", field, requirement, value);
}

// Runs the gradient checker on every residual block at the starting point.
// Returns an empty string when all agree, else the first disagreement.
std::string check_problem_gradients(const Problem& problem, double precision) {
  const Problem::Impl& impl = problem.impl();
  GradientCheckOptions check_options;
  check_options.relative_precision = precision;
  std::vector<const double*> parameters;
  std::vector<const Manifold*> manifolds;  // blocks on a manifold are checked in their tangent space
  for (size_t b = 0; b < impl.residual_blocks.size(); ++b) {
    const ResidualBlockInfo& block = impl.residual_blocks[b];
    parameters.clear();
    manifolds.clear();
    bool any_manifold = false;
    for (int p : block.parameter_blocks) {
      parameters.push_back(impl.parameter_blocks[p].values);
      manifolds.push_back(impl.parameter_blocks[p].stepping_manifold());
      any_manifold = any_manifold || manifolds.back() != nullptr;
    }
    GradientCheckResult result = any_manifold
                                     ? check_gradients(*block.cost, parameters.data(), manifolds, check_options)
                                     : check_gradients(*block.cost, parameters.data(), check_options);
    if (!result.ok) return "residual block " + std::to_string(b) + ": " + result.message;
  }
  return {};
}

// Marquardt's scaling damps each parameter by its own Jacobian column. When a
// column starts out small only because another parameter is far off (BoxBOD
// from NIST's first start: the rate constant's column is proportional to the
// amplitude, 200 times too small), the scaled steps send that parameter off
// towards infinity, where its column vanishes and the solve converges to an
// asymptote. Such an end is recognizable (a column that has vanished), and
// Levenberg's damping, which does not trust the columns' sizes, is then tried
// once from the starting point; the lower cost wins. The restart starts from
// a damping kRestartDamping * max diag(J^T J), Madsen, Nielsen and Tingleff's
// tau for a start believed far from the solution: the first run has just
// shown that bold early steps lead astray from this start. With tau = 1e-4
// (the default initial_damping) the restart follows Bard from 10 x0 and
// Beale from 10 x0 and 100 x0 off to infinity again; any tau from 1e-3 to 1
// reaches their minima.
constexpr double kRestartDamping = 1e-2;

// Trace records reserved before the solve: one allocation instead of a
// doubling chain of copies. Growing it record by record, MGH10 from NIST's
// first start (1016 records) also paid ~95 page faults per solve, the heap
// trimmed after each solve and grown again in the next; finish() hands
// back what a shorter solve did not use.
constexpr int kTraceReserve = 4096;

// The trust-region strategy of a least-squares method.
std::unique_ptr<internal::LeastSquaresTrustRegionStrategy> make_trust_region_strategy(
    const SolverOptions& options, std::unique_ptr<internal::LinearSolver> solver) {
  if (options.method == Method::kDogleg) return internal::make_dogleg_strategy(options, std::move(solver));
  return internal::make_levenberg_marquardt_strategy(options, std::move(solver));
}

// Dogleg's region is scaled by the same columns (|D h| <= radius,
// D = sqrt(diag(J^T J))) and fails the same way: from NIST's first start it
// ended BoxBOD at the asymptote (cost 4885.75, certified 584.0) on the
// gradient tolerance. Its restart uses the unscaled sphere |h| <= radius.
void restart_after_evaporation(const SolverOptions& options, const internal::LinearSolverOptions& linear_options,
                               const Eigen::VectorXd& start_point, internal::MinimizerContext& context) {
  Summary& summary = context.summary();
  if (options.damping != Damping::kMarquardt || !options.restart_on_evaporation) return;
  if (options.method != Method::kLevenbergMarquardt && options.method != Method::kDogleg) return;
  if (summary.termination == TerminationType::kUserStop || summary.termination == TerminationType::kMaxTime ||
      summary.termination == TerminationType::kEvaluationFailure ||
      summary.termination == TerminationType::kEarlyStopping) {
    return;
  }
  const std::vector<int> evaporated = context.evaporated_coordinates();
  if (evaporated.empty()) return;

  std::string which;
  for (int i : evaporated) which += (which.empty() ? "" : ", ") + std::to_string(i);
  const Eigen::VectorXd first_x = context.x;
  const double first_cost = context.cost;
  const TerminationType first_termination = summary.termination;
  const std::string first_message = summary.message;

  context.restart(start_point);
  std::string error;
  if (!context.evaluate_at_x(&error)) return;  // evaluated fine before: cannot happen
  SolverOptions levenberg = options;
  levenberg.damping = Damping::kLevenberg;
  levenberg.initial_damping = std::max(options.initial_damping, kRestartDamping);
  auto strategy = make_trust_region_strategy(levenberg, internal::make_linear_solver(linear_options));
  internal::minimize_trust_region(context, *strategy);

  const std::string note =
      std::string(options.method == Method::kDogleg ? "Steps in the scaled region" : "Marquardt-scaled steps") +
      " ended where parameter(s) " + which + " no longer influence the residuals (cost " +
      internal::string_printf("%.6e", first_cost) + "); restarted from the initial point with " +
      (options.method == Method::kDogleg ? "an unscaled region" : "Levenberg damping");
  if (context.cost < first_cost) {
    summary.message = note + ", which reached a lower cost. " + summary.message;
    return;
  }
  context.x = first_x;
  if (!context.evaluate_at_x(&error)) return;
  summary.termination = first_termination;
  summary.message = note + ", which did not reach a lower cost. " + first_message;
}

}  // namespace

void validate(const SolverOptions& o) {
  require(static_cast<size_t>(o.method) < std::size(kMethods), "method", "a Method with a row in kMethods",
          static_cast<int>(o.method));
  require(static_cast<size_t>(o.linear_solver) < std::size(kLinearSolvers), "linear_solver",
          "a LinearSolverType with a row in kLinearSolvers", static_cast<int>(o.linear_solver));
  require(o.damping == Damping::kMarquardt || o.damping == Damping::kLevenberg, "damping",
          "Damping::kMarquardt or Damping::kLevenberg", static_cast<int>(o.damping));
  require(o.max_iterations >= 0, "max_iterations", "non-negative", o.max_iterations);
  require(o.max_time_seconds > 0.0, "max_time_seconds", "positive", o.max_time_seconds);
  require(o.function_tolerance >= 0.0, "function_tolerance", "non-negative", o.function_tolerance);
  require(o.gradient_tolerance >= 0.0, "gradient_tolerance", "non-negative", o.gradient_tolerance);
  require(o.parameter_tolerance >= 0.0, "parameter_tolerance", "non-negative", o.parameter_tolerance);
  require(o.initial_damping > 0.0 && std::isfinite(o.initial_damping), "initial_damping", "positive and finite",
          o.initial_damping);
  require(o.initial_trust_region_radius > 0.0, "initial_trust_region_radius", "positive",
          o.initial_trust_region_radius);
  require(o.max_trust_region_radius >= o.initial_trust_region_radius, "max_trust_region_radius",
          "at least initial_trust_region_radius", o.max_trust_region_radius);
  require(o.min_trust_region_radius >= 0.0 && o.min_trust_region_radius < o.initial_trust_region_radius,
          "min_trust_region_radius", "non-negative and below initial_trust_region_radius", o.min_trust_region_radius);
  require(o.min_relative_decrease >= 0.0 && o.min_relative_decrease < 1.0, "min_relative_decrease", "in [0, 1)",
          o.min_relative_decrease);
  require(o.line_search_sufficient_decrease > 0.0 && o.line_search_sufficient_decrease < 0.5,
          "line_search_sufficient_decrease", "in (0, 0.5)", o.line_search_sufficient_decrease);
  require(o.max_line_search_steps >= 1, "max_line_search_steps", "at least 1", o.max_line_search_steps);
  require(o.max_cg_iterations >= 1, "max_cg_iterations", "at least 1", o.max_cg_iterations);
  require(o.cg_relative_tolerance > 0.0 && o.cg_relative_tolerance < 1.0, "cg_relative_tolerance", "in (0, 1)",
          o.cg_relative_tolerance);
  require(o.eta > 0.0 && o.eta < 1.0, "eta", "in (0, 1)", o.eta);
  require(o.max_memory_bytes >= 0.0, "max_memory_bytes", "non-negative (0: half the physical memory)",
          o.max_memory_bytes);
  require(o.num_threads >= 1 && o.num_threads <= kMaxThreads, "num_threads",
          "in [1, " + std::to_string(kMaxThreads) + "]", o.num_threads);
  require(o.gradient_check_relative_precision > 0.0, "gradient_check_relative_precision", "positive",
          o.gradient_check_relative_precision);
  require(o.early_stopping.patience >= 0, "early_stopping.patience", ">= 0 (0: off)", o.early_stopping.patience);
  if (o.early_stopping.patience > 0 && !o.early_stopping.validation_loss) {
    throw Error("SolverOptions::early_stopping.validation_loss is empty, but early_stopping.patience is " +
                std::to_string(o.early_stopping.patience) + ": early stopping needs a validation loss");
  }
}

Summary solve(const SolverOptions& options, Problem* problem) {
  if (problem == nullptr) throw Error("solve: the problem is null");
  validate(options);
  if (problem->num_residual_blocks() == 0) throw Error("solve: the problem has no residual blocks");
  if (problem->num_effective_parameters() == 0) {
    throw Error("solve: the problem has no variable parameters (every parameter block is constant)");
  }

  internal::Stopwatch total_clock;
  Summary summary;
  summary.trace.reserve(static_cast<size_t>(std::min(options.max_iterations, kTraceReserve)) + 1);
  summary.method = to_string(options.method);
  summary.num_threads = options.num_threads;

  internal::Evaluator::Options evaluator_options;
  evaluator_options.num_threads = options.num_threads;
  // Decide storage before building the evaluator: the sparse solvers need the
  // sparse pattern. And before anything large is allocated, whether it fits.
  // The user's elimination ordering is checked up front, and makes an
  // automatic choice a Schur solver.
  const std::vector<int> user_elimination =
      internal::validate_elimination_ordering(problem->impl(), options.elimination_ordering);
  const LinearSolverType requested = options.linear_solver == LinearSolverType::kAuto && !user_elimination.empty()
                                         ? internal::choose_schur_solver(*problem, user_elimination)
                                         : options.linear_solver;
  const internal::LinearSolverChoice choice = internal::choose_linear_solver_within(
      *problem, requested, options.mixed_precision, internal::memory_limit_bytes(options.max_memory_bytes));
  const LinearSolverType type = choice.type;
  const bool sparse = choice.sparse_jacobian;
  evaluator_options.sparse = sparse;
  // The Schur solvers read J point by point: its rows are laid out grouped
  // by eliminated block whatever order the residual blocks were added in
  // (schur_row_order(); empty, the problem's own order, when already so).
  std::vector<int> eliminated;
  if (info(type).needs_block_structure) {
    eliminated = user_elimination.empty() ? internal::find_elimination_ordering(problem->impl()) : user_elimination;
    evaluator_options.row_order = internal::schur_row_order(problem->impl(), eliminated);
  }
  internal::Evaluator evaluator(*problem, evaluator_options);
  summary.num_parameters = evaluator.num_parameters();
  summary.num_residuals = evaluator.num_residuals();
  summary.num_residual_blocks = evaluator.num_residual_blocks();

  internal::MinimizerContext context(options, &evaluator, &summary, sparse);
  context.set_scaled_single_jacobian(type == LinearSolverType::kDenseNormalCholesky && options.mixed_precision);
  context.x = evaluator.gather_parameters();
  context.project(&context.x);
  context.set_start_size();

  auto finish = [&]() {
    context.restore_best_validated();
    evaluator.scatter_parameters(context.x);
    summary.final_cost = context.cost;
    summary.linear_solver_time_s = context.linear_solver_seconds;
    if (summary.trace.capacity() > 2 * summary.trace.size()) summary.trace.shrink_to_fit();
    summary.total_time_s = total_clock.seconds();
    return summary;
  };

  if (options.check_gradients) {
    evaluator.scatter_parameters(context.x);
    std::string disagreement = check_problem_gradients(*problem, options.gradient_check_relative_precision);
    if (!disagreement.empty()) {
      context.terminate(TerminationType::kGradientCheckFailed, "Gradient check failed: " + disagreement);
      summary.initial_cost = summary.final_cost = std::nan("");
      return finish();
    }
  }

  std::string error;
  if (!context.evaluate_at_x(&error)) {
    context.terminate(TerminationType::kInvalidStartingPoint, "The starting point cannot be evaluated: " + error);
    summary.initial_cost = context.cost;
    return finish();
  }
  summary.initial_cost = context.cost;

  internal::LinearSolverOptions linear_options;
  linear_options.type = type;
  linear_options.max_cg_iterations = options.max_cg_iterations;
  linear_options.cg_relative_tolerance = options.cg_relative_tolerance;
  linear_options.num_threads = options.num_threads;
  linear_options.mixed_precision = options.mixed_precision;
  if (info(type).needs_block_structure) {
    linear_options.schur_structure = std::make_shared<const internal::SchurStructure>(
        internal::build_schur_structure(problem->impl(), evaluator.layout(), eliminated, evaluator_options.row_order));
    std::vector<int>().swap(evaluator_options.row_order);
  }
  // The sparse direct solvers come from, and go back to, the problem's cache
  // (solve_cache.h): a value-only change between solves keeps their
  // symbolic analysis.
  std::unique_ptr<internal::LinearSolver> linear_solver = internal::take_linear_solver(problem->impl(), linear_options);
  summary.linear_solver = linear_solver->name();
  if (linear_solver->type() == LinearSolverType::kDenseNormalCholesky &&
      summary.num_parameters > internal::kDenseTileSize) {
    // Chosen on as many threads as the solve's linear solver runs its tiles
    // on (dense_kernel.h), here rather than in its first iteration.
    summary.dense_kernel = internal::dense_kernels_for_threads(summary.num_residuals, options.num_threads).description;
  }

  // Recorded once everything is set up: the first iteration's time-limit
  // test takes this record's reading of the clock as its own.
  IterationRecord start;
  start.cost = context.cost;
  start.gradient_max_norm = context.projected_gradient_norm();
  start.accepted = true;
  context.record(start);

  // An exception from user code (a cost function, a loss, a callback) passes
  // through to the caller, but only after the user's parameters hold the
  // point accepted last, the best one so far: the work done before the throw
  // is not lost, and the problem can be solved again from there.
  try {
    switch (options.method) {
      case Method::kLevenbergMarquardt:
      case Method::kDogleg: {
        const Eigen::VectorXd start_point = context.x;
        auto strategy =
            make_trust_region_strategy(options, std::make_unique<internal::BorrowedLinearSolver>(*linear_solver));
        internal::minimize_trust_region(context, *strategy);
        restart_after_evaporation(options, linear_options, start_point, context);
        break;
      }
      case Method::kGaussNewton:
        internal::minimize_gauss_newton_line_search(context, *linear_solver);
        break;
      case Method::kCount:  // refused by validate()
        break;
    }
  } catch (...) {
    evaluator.scatter_parameters(context.x);
    throw;
  }
  internal::keep_linear_solver(problem->impl(), linear_options, std::move(linear_solver));
  return finish();
}

}  // namespace curvature
