#include "schur/implicit_schur_solver.h"

#include <algorithm>
#include <string>
#include <utility>

#include "curvature/error.h"
#include "jacobian_products.h"

namespace curvature::internal {
namespace {

constexpr const char* kName = "ImplicitSchurSolver";

const ImplicitSchurSolverOptions& checked(const ImplicitSchurSolverOptions& options) {
  ThreadPool::check_num_threads(options.num_threads);
  if (options.max_iterations < 1) {
    throw Error(std::string(kName) + ": max_cg_iterations must be >= 1, got " + std::to_string(options.max_iterations));
  }
  if (!(options.eta_max > 0.0 && options.eta_max < 1.0)) {
    throw Error(std::string(kName) + ": the forcing term's ceiling must be in (0, 1), got " +
                to_decimal(options.eta_max));
  }
  if (!(options.eta_min > 0.0)) {
    throw Error(std::string(kName) + ": cg_relative_tolerance must be > 0, got " + to_decimal(options.eta_min));
  }
  return options;
}

std::shared_ptr<const SchurStructure> checked(std::shared_ptr<const SchurStructure> structure) {
  if (!structure) throw Error(std::string(kName) + ": needs the problem's Schur structure (null)");
  return structure;
}

}  // namespace

ImplicitSchurSolver::ImplicitSchurSolver(std::shared_ptr<const SchurStructure> structure,
                                         const ImplicitSchurSolverOptions& options)
    : structure_(checked(std::move(structure))),
      options_(checked(options)),
      pool_(options.num_threads),
      schur_(*structure_, pool_),
      preconditioner_(schur_),
      forcing_(options.eta_max, options.eta_min),
      eta_(options.eta_max) {}

LinearSolverResult ImplicitSchurSolver::prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  check_jacobian(kName, jacobian, residuals);
  if (jacobian.sparse == nullptr) throw Error(std::string(kName) + ": needs the Jacobian in sparse storage");
  if (!pattern_check_.matches(*structure_, *jacobian.sparse)) {
    throw Error(std::string(kName) + ": the Jacobian's pattern is not the one of its Schur structure");
  }
  schur_.set_jacobian(*jacobian.sparse, residuals);
  eta_ = forcing_.next(schur_.gradient_norm());
  prepared_ = true;
  return {.success = true, .iterations = 1, .message = {}};
}

void ImplicitSchurSolver::set_forcing_term(double eta) {
  if (!(eta > 0.0 && eta < 1.0)) {
    throw Error(std::string(kName) + ": the forcing term eta must be in (0, 1), got " + to_decimal(eta));
  }
  strategy_eta_ = eta;
}

LinearSolverResult ImplicitSchurSolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  const SchurStructure& s = *structure_;
  check_damping(kName, prepared_, s.num_jacobian_columns, d, dx);
  std::string failure = schur_.set_damping(d);
  if (failure.empty()) failure = preconditioner_.compute();
  if (!failure.empty()) return {.success = false, .iterations = 0, .message = std::string(kName) + ": " + failure};

  schur_.right_hand_side(&rhs_);
  PcgOptions stop{.max_iterations = options_.max_iterations,
                  .relative_tolerance = eta_,
                  .model_tolerance = options_.model_test ? eta_ : 0.0};
  if (strategy_eta_ > 0.0) {
    stop.relative_tolerance = 0.0;
    stop.model_tolerance = std::min(strategy_eta_, eta_);
  }
  const PcgResult cg = cg_.solve([this](const Eigen::VectorXd& x, Eigen::VectorXd* y) { schur_.multiply(x, y); },
                                 [this](const Eigen::VectorXd& x, Eigen::VectorXd* y) { preconditioner_.apply(x, y); },
                                 rhs_, stop, &dz_);
  if (!cg.success) {
    return {.success = false, .iterations = cg.iterations, .message = std::string(kName) + ": " + cg.message};
  }
  schur_.back_substitute(dz_, &dy_);

  dx->resize(s.num_jacobian_columns);
  for (const SchurStructure::Block& f : s.f_blocks) {
    dx->segment(f.column, f.size) = dz_.segment(f.reduced_offset, f.size);
  }
  for (const SchurStructure::Block& e : s.e_blocks) {
    dx->segment(e.column, e.size) = dy_.segment(e.reduced_offset, e.size);
  }
  if (!dx->allFinite()) {
    return {.success = false, .iterations = cg.iterations, .message = std::string(kName) + ": non-finite step"};
  }
  return {.success = true,
          .iterations = cg.iterations,
          .message = cg.converged ? std::string() : std::string(kName) + ": " + cg.message};
}

}  // namespace curvature::internal
