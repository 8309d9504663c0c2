// curvature/solver_options.h — how to solve a least-squares Problem.
//
// Options are a plain struct with documented defaults; solve() validates them
// once and throws curvature::Error naming the first field out of range.
//
// Methods and linear solvers each have a registry (registry.h): kMethods and
// kLinearSolvers hold, one row per enumerator, the name printed in the
// Summary and accepted by parse_method() / parse_linear_solver(), and what
// the rest of the library needs to know about the row.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "curvature/registry.h"

namespace curvature {

// The least-squares methods of solve(); kMethods holds their names and traits.
enum class Method {
  kLevenbergMarquardt,  // trust region, damped Gauss-Newton steps
  kDogleg,              // Powell's dogleg trust region
  kGaussNewton,         // Gauss-Newton direction with a backtracking line search
  kCount,               // not a method: the number of methods
};

// A row of kMethods, the methods' registry (registry.h).
struct MethodInfo {
  Method value;             // the row's enumerator
  const char* name;         // Summary::method, to_string(), parse_method()
  const char* short_name;   // the curv program's --method name; parse_method() accepts it too
  const char* description;  // one line for lists and help texts
  bool trust_region;        // false: a line search along the Gauss-Newton direction
};

// clang-format off
inline constexpr MethodInfo kMethods[] = {
    {Method::kLevenbergMarquardt, "levenberg-marquardt", "lm",
     "Levenberg-Marquardt trust region (Marquardt scaling, Nielsen's damping update)", true},
    {Method::kDogleg, "dogleg", "dogleg", "Powell's dogleg trust region", true},
    {Method::kGaussNewton, "gauss-newton", "gn", "Gauss-Newton with an Armijo backtracking line search", false},
};
// clang-format on
static_assert(registry_is_complete<Method>(kMethods));

// The row of `method`, and its name.
inline const MethodInfo& info(Method method) { return registry_row<MethodInfo>(kMethods, method, "Method"); }
inline const char* to_string(Method method) { return info(method).name; }
// By name or short name; throws curvature::Error listing the names.
inline Method parse_method(std::string_view name) {
  return registry_find<MethodInfo>(kMethods, name, "least-squares method").value;
}

// The linear solvers of the step equations; kLinearSolvers holds their names and traits.
//
// Dense kernels. kDenseNormalCholesky forms and factors J^T J in tiles of 256
// columns. What runs a tile is chosen for the CPU, separately for double and
// single precision: one of the sub-configurations compiled into the linked
// BLIS or Eigen's product, by a calibration at the first dense solve with
// more than 256 parameters of each size class of the Jacobian (its rows, and
// its column stride modulo 4 KB, which the speed of a blocking depends on):
// J^T J and Cholesky of a 512- to 1535-row, 512-column Jacobian, timed on
// the threads of the first solve of that class and kept for every later
// solve whatever its num_threads, 130-170 ms on a Zen 4 machine, at most
// four classes per process (BLIS's own choice is kept unless another is
// more than 2% faster; its portable 'generic' code only where nothing else
// runs).
// Summary::dense_kernel and `curv --version` name the choice. The
// environment overrides it, for both precisions:
//   CURVATURE_DENSE_KERNEL=blis:<sub-configuration>   e.g. blis:zen3, blis:skx, blis:haswell
//   CURVATURE_DENSE_KERNEL=eigen                     Eigen's product and triangular solve
//   CURVATURE_DENSE_KERNEL=auto (or unset)           the calibration above
// and a BLIS_ARCH_TYPE set by the user is obeyed as BLIS obeys it. A value the
// build or the CPU cannot run makes that solve throw curvature::Error naming
// CURVATURE_DENSE_KERNEL. Results are bit-identical for any num_threads with
// a given kernel; two kernels may differ in the last bits.
//
// Schur-complement solvers (bundle adjustment and any problem of its shape).
// The variable parameter blocks are split into eliminated e-blocks that share
// no residual block with each other (points) and kept f-blocks (cameras);
// each e-block with the residual blocks that read it is eliminated exactly,
// leaving the reduced system S dz = g over the f-blocks, S = F^T F + D_f^2 -
// F^T E (E^T E + D_e^2)^-1 E^T F, then the e-blocks are back-substituted.
// kDenseSchur factors S dense (fine up to a few hundred f-blocks),
// kSparseSchur sparse (CHOLMOD, or Eigen's without SuiteSparse; the symbolic
// analysis is kept between solves). Which blocks are eliminated:
// SolverOptions::elimination_ordering, or when that is empty an independent
// set found automatically (least-read blocks first: the points). kAuto picks
// a Schur solver when that set leaves at most a tenth of the variable
// coordinates kept (dense-schur up to 1,000 kept coordinates, sparse-schur
// beyond); a problem without such a structure keeps normal Cholesky.
enum class LinearSolverType {
  kAuto,                  // chosen by size and sparsity (see below)
  kDenseNormalCholesky,   // Cholesky of J^T J + D^2 (Eigen LLT; LDLT fallback)
  kDenseQr,               // Householder QR of [J; D] (column-pivoted for rank deficiency)
  kSparseNormalCholesky,  // sparse Cholesky of J^T J + D^2, symbolic analysis done once
  kSparseQr,              // sparse QR of [J; D]
  kCgnr,                  // matrix-free conjugate gradients on the normal equations
  kDenseSchur,            // Schur complement: eliminate e.g. points, dense Cholesky of the reduced system
  kSparseSchur,           // Schur complement: eliminate e.g. points, sparse Cholesky of the reduced system
  kIterativeSchur,        // PCG on the implicit Schur complement, Schur-Jacobi preconditioner
  kCount,                 // not a solver: the number of linear-solver types
};

// How the Jacobian is stored for a linear solver.
enum class JacobianStorage {
  kDense,
  kSparse,
  kSparseWhenLarge,  // sparse above kSparseWhenLargeParameters variable parameters, dense up to it
  kChosen,           // kAuto: the storage of the solver it resolves to
};

// JacobianStorage::kSparseWhenLarge (CGNR): its products with J and J^T
// cost m n dense against nnz(J) sparse, and beyond this many parameters the
// dense Jacobian's memory starts to matter.
inline constexpr int kSparseWhenLargeParameters = 1000;

// A row of kLinearSolvers, the linear solvers' registry (registry.h).
struct LinearSolverInfo {
  LinearSolverType value;   // the row's enumerator
  const char* name;         // to_string(), parse_linear_solver()
  const char* description;  // one line for lists and help texts
  JacobianStorage storage;  // how the Jacobian is stored for it
  // Solves to a tolerance within an iteration budget, rather than exactly
  // (and so, unlike the direct solvers, does not diagnose rank deficiency).
  bool iterative;
  // Works on the problem's block structure (which parameter blocks each
  // residual block reads), which solve() derives from the Problem, not on a
  // bare Jacobian: the Schur-complement solvers.
  bool needs_block_structure;
};

// clang-format off
inline constexpr LinearSolverInfo kLinearSolvers[] = {
    {LinearSolverType::kAuto, "auto",
     "dense or sparse normal Cholesky by the Jacobian's size and density, or a Schur solver for problems with its "
     "structure", JacobianStorage::kChosen, false, false},
    {LinearSolverType::kDenseNormalCholesky, "dense-normal-cholesky", "Cholesky of J^T J + D^2",
     JacobianStorage::kDense, false, false},
    {LinearSolverType::kDenseQr, "dense-qr", "Householder QR of [J; D]", JacobianStorage::kDense, false, false},
    {LinearSolverType::kSparseNormalCholesky, "sparse-normal-cholesky", "sparse Cholesky of J^T J + D^2",
     JacobianStorage::kSparse, false, false},
    {LinearSolverType::kSparseQr, "sparse-qr", "sparse QR of [J; D]", JacobianStorage::kSparse, false, false},
    {LinearSolverType::kCgnr, "cgnr", "matrix-free conjugate gradients on the normal equations",
     JacobianStorage::kSparseWhenLarge, true, false},
    {LinearSolverType::kDenseSchur, "dense-schur",
     "Schur complement (eliminated blocks, e.g. points), dense Cholesky of the reduced system",
     JacobianStorage::kSparse, false, true},
    {LinearSolverType::kSparseSchur, "sparse-schur",
     "Schur complement (eliminated blocks, e.g. points), sparse Cholesky of the reduced system",
     JacobianStorage::kSparse, false, true},
    {LinearSolverType::kIterativeSchur, "iterative-schur",
     "conjugate gradients on the implicit Schur complement (eliminated blocks, e.g. points), Schur-Jacobi preconditioner",
     JacobianStorage::kSparse, true, true},
};
// clang-format on
static_assert(registry_is_complete<LinearSolverType>(kLinearSolvers));

// The row of `type`, and its name.
inline const LinearSolverInfo& info(LinearSolverType type) {
  return registry_row<LinearSolverInfo>(kLinearSolvers, type, "LinearSolverType");
}
inline const char* to_string(LinearSolverType type) { return info(type).name; }
// The library that factors the matrix for `type` in this build: "CHOLMOD" or
// "SPQR" when curvature was built with SuiteSparse (CMake's
// CURVATURE_USE_SUITESPARSE, ON by default), "Eigen SimplicialLDLT" or
// "Eigen SparseQR" without it. Both backends take the same names and options
// and report the same way; the README compares their speed. One difference:
// Eigen's SparseQR needs memory growing with the square of the columns, so
// without SuiteSparse solve() refuses sparse-qr beyond 10,000 variable
// parameters with a curvature::Error. Empty for the solvers that have a
// single implementation (and for kAuto).
const char* linear_solver_backend(LinearSolverType type);
// Throws curvature::Error listing the names.
inline LinearSolverType parse_linear_solver(std::string_view name) {
  return registry_find<LinearSolverInfo>(kLinearSolvers, name, "linear solver").value;
}

// Levenberg-Marquardt's damping term D^2; for dogleg, the shape of the trust
// region (kMarquardt: |D h| <= radius, D = sqrt(diag(J^T J)); kLevenberg:
// |h| <= radius).
enum class Damping {
  kMarquardt,  // lambda * diag(J^T J): invariant to the scaling of the parameters
  kLevenberg,  // lambda * I
};

struct IterationRecord;

// What a callback returns after each iteration.
enum class CallbackReturn { kContinue, kStop };

// Early stopping on a validation loss, for solve() (SolverOptions) and
// minimize() (MinimizeOptions); train() has its own form (train.h), on
// held-out residual blocks. With patience p > 0 the loss is evaluated at the
// starting point and after every iteration, accepted or not (a rejected
// step's point is the one already validated, so it is not evaluated again);
// after p consecutive iterations without a strictly lower loss than the best
// so far the run ends with TerminationType::kEarlyStopping. Whenever it ends
// (by early stopping or for any other reason) the parameters returned are
// those of the iteration with the lowest validation loss, and the Summary
// reports that iteration and loss (Summary::best_iteration,
// best_validation_loss); final_cost is the cost there. A run that met a
// convergence test at a later iterate but returns an earlier, better
// validated point ends with kEarlyStopping too, never with a convergence
// reason for a point the test did not see. The trace carries
// each iteration's loss in IterationRecord::validation_cost. The loss's time
// counts in the solve's time.
//
// Errors: solve() and minimize() throw curvature::Error for a negative
// patience or a positive patience without a validation_loss, naming the
// field ("SolverOptions::early_stopping.patience must be >= 0 ...").
struct EarlyStoppingOptions {
  // The validation loss at the given parameters: for minimize() the
  // Objective's x, for solve() the effective parameters (the non-constant
  // parameter blocks, in the order they were added to the Problem), which
  // the parameter blocks also hold during the call. A non-finite value is
  // never the best.
  std::function<double(const Eigen::VectorXd&)> validation_loss;
  // Iterations without improvement that end the run; 0: off.
  int patience = 0;
};

// How solve() runs; validated once by solve() (validate()).
struct SolverOptions {
  Method method = Method::kLevenbergMarquardt;               // kMethods
  LinearSolverType linear_solver = LinearSolverType::kAuto;  // kLinearSolvers
  Damping damping = Damping::kMarquardt;                     // Levenberg-Marquardt; dogleg: the region's shape
  // The Schur solvers' eliminated parameter blocks (each a pointer to the
  // block's values, as given to Problem), like Ceres's ParameterBlockOrdering
  // with these blocks in group 0 and all others in group 1: they are
  // eliminated and every other variable block is kept in the reduced system.
  // They must be variable blocks of the problem, each listed once, and no
  // two of them may share a residual block; otherwise solve() throws
  // curvature::Error naming the entry (and the residual block). Empty: found
  // automatically (see kDenseSchur above). Read only by the Schur solvers; a
  // non-empty list also makes kAuto pick one. Neither the list's order nor
  // the order the residual blocks were added in matters: the blocks are
  // eliminated in the order of the first residual block reading each, and
  // the solve lays the Jacobian's rows out grouped by eliminated block.
  std::vector<double*> elimination_ordering;
  // With Marquardt damping: when the solve ends where some parameter's
  // Jacobian column has vanished (it ran off to where it no longer affects
  // the residuals), solve once more from the starting point with Levenberg
  // damping, starting from lambda = max(initial_damping, 1e-2) max diag(J^T J)
  // (dogleg: in the unscaled region |h| <= radius), and keep the lower cost.
  // The Summary's message says so.
  bool restart_on_evaporation = true;

  // Termination. The solve stops at the first test that holds:
  //   gradient:  max_i |x_i - P(x_i - g_i)| <= gradient_tolerance, P the projection onto the bounds
  //   function:  |cost change| <= function_tolerance * cost on an accepted step
  //   parameter: |dx| <= parameter_tolerance * (|x| + parameter_tolerance)
  // The defaults ask for all the accuracy double precision allows. Without
  // robust losses the cost change of a step is summed from residual
  // differences, so relative changes far below machine epsilon are still
  // measured (hence a function tolerance of 1e-20); and once a step's
  // predicted reduction is below the rounding noise of the cost itself, the
  // step is accepted when it reduces the scaled gradient |D^-1 J^T r|
  // instead. Parameters near an ill-conditioned minimum then keep converging
  // after the cost has stopped changing, and the parameter tolerance ends the
  // solve. Loosen the tolerances to trade accuracy for iterations.
  int max_iterations = 200;
  double max_time_seconds = 1e6;
  double function_tolerance = 1e-20;
  double gradient_tolerance = 1e-14;
  double parameter_tolerance = 1e-14;

  // Trust region. Levenberg-Marquardt starts from lambda = initial_damping
  // (Marquardt: the damping is lambda diag(J^T J)) or from
  // lambda = initial_damping * max diag(J^T J) (Levenberg; Madsen, Nielsen and
  // Tingleff's tau). Dogleg measures steps in the scaled norm |D h|,
  // D = sqrt(diag(J^T J)), and starts from the radius
  // initial_trust_region_radius * |D x0| (MINPACK's factor; the value itself
  // when x0 = 0), so the first region does not depend on the parameters' units.
  double initial_damping = 1e-4;
  double initial_trust_region_radius = 100.0;
  double max_trust_region_radius = 1e16;
  double min_trust_region_radius = 1e-32;
  // A step is accepted when actual / predicted reduction exceeds this.
  double min_relative_decrease = 1e-3;
  // Levenberg-Marquardt: geodesic acceleration (Transtrum and Sethna,
  // "Improvements to the Levenberg-Marquardt algorithm for nonlinear
  // least-squares minimization", 2012). To the step v it adds a/2, where
  // (J^T J + D^2) a = -J^T r_vv and r_vv, the residuals' second derivative
  // along v, is taken by finite differences from one extra evaluation of the
  // residuals at x + 0.1 v; the correction is used when 2 |D a| <= 0.5 |D v|,
  // and the step is judged by the reduction the model predicts for v.
  // The step then follows a curved valley instead of its tangent (NIST's
  // MGH10, Bennett5, Lanczos: 2 to 8 times fewer iterations). It applies to
  // problems without bounds whose Jacobian is dense with at most 16
  // columns, where the extra normal-equations solve is cheap; elsewhere the
  // option has no effect.
  bool geodesic_acceleration = true;

  // Gauss-Newton line search (Armijo backtracking with interpolation).
  double line_search_sufficient_decrease = 1e-4;
  int max_line_search_steps = 30;  // per line search

  // Linear algebra.
  int max_cg_iterations = 500;           // CGNR iterations per step
  double cg_relative_tolerance = 1e-10;  // CGNR's relative residual
  // iterative-schur with Levenberg-Marquardt: each step's conjugate
  // gradients stop once an iteration lowers the step's quadratic model by
  // less than eta / k of what all k iterations did (Nash and Sofer's test;
  // Ceres Solver's Solver::Options::eta, with the same default). Smaller:
  // more accurate steps at more CG iterations each. In (0, 1).
  double eta = 0.1;
  // Dense normal Cholesky with a dense Jacobian of 256 or more columns:
  // form and factor J^T J in single precision (about twice as fast as in
  // double; the two dominate a large dense iteration) and solve each step in
  // double precision by conjugate gradients through J, preconditioned by that
  // factor, to a relative residual of 1e-10. When the single-precision
  // factorization breaks down but the damping keeps J^T J + D^2 well-posed,
  // a factor with a small diagonal shift preconditions instead. When neither
  // can serve (J^T J + D^2 too ill-conditioned for single precision), the
  // step is solved all in double as without this option, and so are the
  // next ten Jacobians. false: always all in double.
  bool mixed_precision = true;
  // Bytes the solve's matrices may take: the Jacobian (and the copy the loop
  // keeps near a minimum), J^T J and its factor, or the QR factors. They are
  // estimated from the problem's structure before any is allocated (for the
  // sparse direct solvers, whose fill-in is known only later, a lower
  // bound). 0: half of this machine's physical memory, read when solve()
  // starts; infinity: no limit. Above the limit, an automatic linear_solver
  // turns to sparse normal Cholesky or else CGNR (matrix-free) if one fits;
  // a linear solver chosen by name, or a problem nothing fits, is a
  // curvature::Error saying how many bytes the solver would need, for what,
  // and which solvers fit.
  double max_memory_bytes = 0.0;

  // Threads used to evaluate residual blocks, in [1, kMaxThreads = 1024]
  // (thread_pool.h); results do not depend on it. A cost function's
  // exception on any thread is rethrown on the calling thread.
  int num_threads = 1;

  // Compare the Jacobians with numeric differentiation at the starting point
  // and refuse to solve when some block's relative error exceeds the precision.
  bool check_gradients = false;
  double gradient_check_relative_precision = 1e-6;  // GradientCheckOptions::relative_precision

  // One line per iteration on stderr.
  bool verbose = false;

  // Called after every iteration (accepted or not); kStop ends the solve with
  // TerminationType::kUserStop. The parameter blocks hold the best point so far.
  std::function<CallbackReturn(const IterationRecord&)> callback;

  // Stop when a validation loss stops improving and return its best point
  // (see EarlyStoppingOptions above). Off by default. It is checked after
  // the callback. With Marquardt damping, a run that ends by early stopping
  // is not restarted (restart_on_evaporation).
  EarlyStoppingOptions early_stopping;
};

}  // namespace curvature
