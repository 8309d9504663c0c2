// The search directions of the line-search loop. Formulas and references are
// in line_search_direction.h; this file comments the choices made around
// them.
#include "line_search_direction.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "curvature/error.h"

namespace curvature::internal {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();

// Powell's restart test for nonlinear CG: consecutive gradients of a CG
// method on a quadratic are orthogonal; when they are far from it, the
// accumulated direction has stopped meaning anything.
constexpr double kPowellRestartRatio = 0.2;

// Shifts tried by the modified Cholesky before giving up: tau grows tenfold
// each time, so this covers any Hessian whose entries are finite.
constexpr int kMaxShiftAttempts = 80;

// y^T s large enough for a positive definite update: y^T s > eps |s| |y|.
bool curvature_condition_holds(const Eigen::VectorXd& s, const Eigen::VectorXd& y, double* sy) {
  *sy = s.dot(y);
  return *sy > kEpsilon * s.norm() * y.norm() && std::isfinite(*sy);
}

}  // namespace

bool SteepestDescentDirection::next_direction(const Iterate*, const Iterate& current, Eigen::VectorXd* direction,
                                              std::string*) {
  *direction = -current.gradient;
  return true;
}

const char* NonlinearCgDirection::name() const {
  switch (variant_) {
    case NonlinearCgVariant::kFletcherReeves:
      return "nonlinear-cg-fletcher-reeves";
    case NonlinearCgVariant::kPolakRibierePlus:
      return "nonlinear-cg-polak-ribiere+";
    case NonlinearCgVariant::kHestenesStiefel:
      return "nonlinear-cg-hestenes-stiefel";
    case NonlinearCgVariant::kDaiYuan:
      return "nonlinear-cg-dai-yuan";
  }
  return "nonlinear-cg";
}

bool NonlinearCgDirection::next_direction(const Iterate* previous, const Iterate& current, Eigen::VectorXd* direction,
                                          std::string*) {
  const Eigen::VectorXd& g = current.gradient;
  const int interval = restart_interval_ > 0 ? restart_interval_ : static_cast<int>(g.size());
  auto steepest_descent = [&]() {
    *direction = -g;
    since_restart_ = 1;
    restarted_ = true;
    return true;
  };
  if (previous == nullptr || since_restart_ == 0 || since_restart_ >= interval) return steepest_descent();
  const Eigen::VectorXd& previous_gradient = previous->gradient;
  const double g_norm2 = g.squaredNorm();
  if (std::abs(g.dot(previous_gradient)) >= kPowellRestartRatio * g_norm2) return steepest_descent();

  const Eigen::VectorXd y = g - previous_gradient;
  const Eigen::VectorXd& previous_direction = previous->direction;
  double beta = 0.0;
  switch (variant_) {
    case NonlinearCgVariant::kFletcherReeves:
      beta = g_norm2 / previous_gradient.squaredNorm();
      break;
    case NonlinearCgVariant::kPolakRibierePlus:
      // The "+" keeps beta >= 0: a negative beta can cycle without progress
      // (Powell's example), and zero restarts instead.
      beta = std::max(0.0, g.dot(y) / previous_gradient.squaredNorm());
      break;
    case NonlinearCgVariant::kHestenesStiefel:
      beta = g.dot(y) / previous_direction.dot(y);
      break;
    case NonlinearCgVariant::kDaiYuan:
      beta = g_norm2 / previous_direction.dot(y);
      break;
  }
  if (!std::isfinite(beta)) return steepest_descent();
  *direction = -g + beta * previous_direction;
  // Only Fletcher-Reeves under a strong Wolfe search with c2 < 1/2, and
  // Dai-Yuan under a Wolfe search, are guaranteed descent directions; the
  // others are checked.
  if (!(g.dot(*direction) < 0.0)) return steepest_descent();
  ++since_restart_;
  restarted_ = false;
  return true;
}

void BfgsDirection::reset() {
  inverse_hessian_.resize(0, 0);
  updated_ = false;
}

bool BfgsDirection::next_direction(const Iterate* previous, const Iterate& current, Eigen::VectorXd* direction,
                                   std::string*) {
  const Eigen::Index n = current.gradient.size();
  if (inverse_hessian_.rows() != n) {
    inverse_hessian_ = Eigen::MatrixXd::Identity(n, n);
    updated_ = false;
  }
  if (previous != nullptr) {
    const Eigen::VectorXd s = current.step.size() ? current.step : Eigen::VectorXd(current.x - previous->x);
    const Eigen::VectorXd y = current.gradient - previous->gradient;
    double sy;
    if (curvature_condition_holds(s, y, &sy)) {
      // The identity knows nothing of the problem's scale; y^T s / y^T y is
      // the curvature along the last step, a Rayleigh quotient of H^-1.
      if (!updated_) inverse_hessian_ = Eigen::MatrixXd::Identity(n, n) * (sy / y.squaredNorm());
      const double rho = 1.0 / sy;
      const Eigen::VectorXd hy = inverse_hessian_ * y;
      // (I - rho s y^T) H (I - rho y s^T) + rho s s^T, expanded: rank-two.
      const double scale = rho * rho * y.dot(hy) + rho;
      inverse_hessian_.noalias() -= rho * (s * hy.transpose() + hy * s.transpose());
      inverse_hessian_.noalias() += scale * (s * s.transpose());
      updated_ = true;
    } else {
      ++skipped_updates_;
    }
  }
  direction->noalias() = -(inverse_hessian_ * current.gradient);
  return true;
}

bool LbfgsDirection::next_direction(const Iterate* previous, const Iterate& current, Eigen::VectorXd* direction,
                                    std::string*) {
  if (static_cast<int>(s_.size()) != memory_) {
    s_.resize(memory_);
    y_.resize(memory_);
    rho_.assign(memory_, 0.0);
    alpha_.assign(memory_, 0.0);
  }
  if (previous != nullptr) {
    // Formed in scratch and swapped into the ring, so that a skipped update
    // loses no pair and the steady state allocates nothing.
    if (current.step.size()) {
      scratch_s_ = current.step;
    } else {
      scratch_s_ = current.x - previous->x;
    }
    scratch_y_ = current.gradient - previous->gradient;
    double sy;
    if (curvature_condition_holds(scratch_s_, scratch_y_, &sy)) {
      const int slot = (newest_ + 1) % memory_;
      std::swap(s_[slot], scratch_s_);
      std::swap(y_[slot], scratch_y_);
      rho_[slot] = 1.0 / sy;
      newest_ = slot;
      count_ = std::min(count_ + 1, memory_);
    } else {
      ++skipped_updates_;
    }
  }
  // Two-loop recursion: direction = -H g.
  *direction = current.gradient;
  for (int k = 0; k < count_; ++k) {
    const int j = (newest_ - k + memory_) % memory_;
    alpha_[j] = rho_[j] * s_[j].dot(*direction);
    direction->noalias() -= alpha_[j] * y_[j];
  }
  // H0 = |s| / |y|. N&W's y^T s / y^T y (s^T A s / s^T A^2 s on a
  // quadratic) inverts a curvature weighted towards the stiffest
  // directions: on a badly scaled problem y is all stiff coordinates, and
  // every step along the soft ones shrinks by about the condition number,
  // more than the few stored pairs correct (Meyer's problem from 10 x0 crept
  // for 10000 iterations). s^T s / y^T s errs the other way; their geometric
  // mean lies between, and the Wolfe search shortens steps that come out
  // too long.
  if (count_ > 0) *direction *= s_[newest_].norm() / y_[newest_].norm();
  for (int k = count_ - 1; k >= 0; --k) {
    const int j = (newest_ - k + memory_) % memory_;
    const double beta = rho_[j] * y_[j].dot(*direction);
    direction->noalias() += (alpha_[j] - beta) * s_[j];
  }
  *direction = -*direction;
  return true;
}

bool NewtonDirection::next_direction(const Iterate*, const Iterate& current, Eigen::VectorXd* direction,
                                     std::string* error) {
  const Eigen::Index n = current.gradient.size();
  factorizations_ = 0;
  std::unique_ptr<HessianOperator> hessian = objective_.hessian(current.x);
  if (!hessian) {
    *error = std::string("the objective '") + objective_.name() + "' returned no Hessian at the current point";
    return false;
  }
  if (hessian->size() != n) {
    throw Error(std::string("Objective::hessian: the objective '") + objective_.name() +
                "' returned an operator of size " + std::to_string(hessian->size()) + ", expected " +
                std::to_string(n));
  }
  Eigen::MatrixXd matrix;
  if (!hessian->dense(&matrix)) {
    // Column by column from products: n products, no worse than the O(n^3)
    // factorization that follows.
    matrix.resize(n, n);
    Eigen::VectorXd unit = Eigen::VectorXd::Zero(n), column;
    for (Eigen::Index j = 0; j < n; ++j) {
      unit[j] = 1.0;
      hessian->multiply(unit, &column);
      unit[j] = 0.0;
      if (column.size() != n) {
        throw Error(std::string("HessianOperator::multiply: the objective '") + objective_.name() +
                    "' returned a product of size " + std::to_string(column.size()) + ", expected " +
                    std::to_string(n));
      }
      matrix.col(j) = column;
    }
  }
  if (matrix.rows() != n || matrix.cols() != n) {
    throw Error(std::string("HessianOperator::dense: the objective '") + objective_.name() + "' returned a " +
                std::to_string(matrix.rows()) + " x " + std::to_string(matrix.cols()) + " matrix, expected " +
                std::to_string(n) + " x " + std::to_string(n));
  }
  if (!matrix.allFinite()) {
    *error = "the Hessian has non-finite entries at the current point";
    return false;
  }
  // Round-off in a user's Hessian is rarely exactly symmetric; both
  // factorizations read one triangle, so average the two.
  const Eigen::MatrixXd symmetric = 0.5 * (matrix + matrix.transpose());
  if (!modified_newton_direction(symmetric, current.gradient, direction)) {
    *error = "no shift of the Hessian gave a positive definite matrix";
    return false;
  }
  return true;
}

bool NewtonDirection::modified_newton_direction(const Eigen::MatrixXd& hessian, const Eigen::VectorXd& gradient,
                                                Eigen::VectorXd* direction) {
  factorizations_ = 0;
  shift_ = 0.0;
  const double largest = hessian.cwiseAbs().maxCoeff();
  if (!(largest > 0.0)) {
    // No curvature at all: nothing to scale by, so steepest descent.
    *direction = -gradient;
    return true;
  }
  if (modification_ == NewtonModification::kEigenvalue) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(hessian);
    factorizations_ = 1;
    if (eigen.info() != Eigen::Success) return false;
    const Eigen::VectorXd& lambda = eigen.eigenvalues();
    const double floor = std::sqrt(kEpsilon) * lambda.cwiseAbs().maxCoeff();
    const Eigen::MatrixXd& q = eigen.eigenvectors();
    *direction = -(q * (q.transpose() * gradient).cwiseQuotient(lambda.cwiseMax(floor)));
    return direction->allFinite();
  }
  // Algorithm 3.3 with beta relative to the Hessian's largest entry, so that
  // the method does not depend on the units of f.
  const double beta = 1e-3 * largest;
  const double min_diagonal = hessian.diagonal().minCoeff();
  double tau = min_diagonal > 0.0 ? 0.0 : beta - min_diagonal;
  Eigen::MatrixXd shifted;
  for (int attempt = 0; attempt < kMaxShiftAttempts; ++attempt) {
    shifted = hessian;
    shifted.diagonal().array() += tau;
    Eigen::LLT<Eigen::MatrixXd> llt(shifted);
    ++factorizations_;
    if (llt.info() == Eigen::Success) {
      *direction = -llt.solve(gradient);
      if (direction->allFinite()) {
        shift_ = tau;
        return true;
      }
    }
    tau = std::max(10.0 * tau, beta);
  }
  return false;
}

namespace {

// clang-format off
constexpr LineSearchDirectionEntry kDirections[] = {
    {MinimizerMethod::kSteepestDescent,
     [](const MinimizeOptions&, Objective&) -> std::unique_ptr<LineSearchDirection> {
       return std::make_unique<SteepestDescentDirection>();
     },
     false, true},
    {MinimizerMethod::kNonlinearConjugateGradient,
     [](const MinimizeOptions& options, Objective&) -> std::unique_ptr<LineSearchDirection> {
       return std::make_unique<NonlinearCgDirection>(options.cg_variant, options.cg_restart_interval);
     },
     true, false},
    {MinimizerMethod::kBfgs,
     [](const MinimizeOptions&, Objective&) -> std::unique_ptr<LineSearchDirection> {
       return std::make_unique<BfgsDirection>();
     },
     false, false},
    {MinimizerMethod::kLbfgs,
     [](const MinimizeOptions& options, Objective&) -> std::unique_ptr<LineSearchDirection> {
       return std::make_unique<LbfgsDirection>(options.lbfgs_memory);
     },
     false, false},
    {MinimizerMethod::kNewton,
     [](const MinimizeOptions& options, Objective& objective) -> std::unique_ptr<LineSearchDirection> {
       return std::make_unique<NewtonDirection>(objective, options.newton_modification);
     },
     false, false},
};
// clang-format on

}  // namespace

std::span<const LineSearchDirectionEntry> line_search_directions() { return kDirections; }

const LineSearchDirectionEntry& line_search_direction(MinimizerMethod method) {
  for (const LineSearchDirectionEntry& entry : kDirections) {
    if (entry.method == method) return entry;
  }
  throw Error(std::string("line_search_direction: ") + to_string(method) + " is not a line-search method");
}

std::unique_ptr<LineSearchDirection> make_line_search_direction(const MinimizeOptions& options, Objective& objective) {
  return line_search_direction(options.method).make(options, objective);
}

}  // namespace curvature::internal
