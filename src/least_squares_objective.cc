// A least-squares Problem as an Objective: the evaluator supplies cost,
// residuals, gradient and Jacobian at a point of the effective parameters;
// the Hessian operators work on a Jacobian they share with the objective.
#include "curvature/least_squares_objective.h"

#include <cmath>
#include <limits>
#include <string>

#include "curvature/error.h"
#include "evaluator.h"
#include "jacobian_products.h"
#include "linear_solver.h"
#include "minibatch_evaluator.h"

namespace curvature {

struct LeastSquaresObjective::Jacobian {
  Eigen::VectorXd x, residuals, gradient;
  Eigen::MatrixXd dense;
  SparseRowMatrix sparse;
  bool sparse_storage = false;
  bool valid = false;

  internal::JacobianRef ref() const {
    internal::JacobianRef ref;
    if (sparse_storage) {
      ref.sparse = &sparse;
    } else {
      ref.dense = &dense;
    }
    return ref;
  }
};

namespace {

// J^T J, dense.
Eigen::MatrixXd gauss_newton_matrix(const internal::JacobianRef& jacobian) {
  const Eigen::Index n = jacobian.cols();
  if (jacobian.dense) {
    Eigen::MatrixXd h = Eigen::MatrixXd::Zero(n, n);
    h.selfadjointView<Eigen::Lower>().rankUpdate(jacobian.dense->transpose());
    return h.selfadjointView<Eigen::Lower>();
  }
  const Eigen::SparseMatrix<double> product = jacobian.sparse->transpose() * (*jacobian.sparse);
  return Eigen::MatrixXd(product);
}

// y = J^T (J v).
void gauss_newton_product(const internal::JacobianRef& jacobian, const Eigen::VectorXd& v, Eigen::VectorXd* y) {
  Eigen::VectorXd jv;
  internal::multiply_jacobian(jacobian, v, &jv);
  internal::multiply_jacobian_transpose(jacobian, jv, y);
}

}  // namespace

class LeastSquaresObjective::GaussNewtonOperator : public HessianOperator {
 public:
  GaussNewtonOperator(std::shared_ptr<const Jacobian> jacobian, int max_dense)
      : jacobian_(std::move(jacobian)), max_dense_(max_dense) {}

  // The tangent size: the gradient's, not the point's.
  int size() const override { return static_cast<int>(jacobian_->gradient.size()); }
  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override {
    check_size(v);
    gauss_newton_product(jacobian_->ref(), v, y);
  }
  bool dense(Eigen::MatrixXd* hessian) const override {
    if (size() > max_dense_) return false;
    *hessian = gauss_newton_matrix(jacobian_->ref());
    return true;
  }
  // The squared column norms of J, at any size.
  bool diagonal(Eigen::VectorXd* diagonal) const override {
    const internal::JacobianRef jacobian = jacobian_->ref();
    if (jacobian.dense) {
      *diagonal = jacobian.dense->colwise().squaredNorm().transpose();
    } else {
      *diagonal = Eigen::VectorXd::Zero(size());
      const SparseRowMatrix& sparse = *jacobian.sparse;
      for (Eigen::Index row = 0; row < sparse.outerSize(); ++row) {
        for (SparseRowMatrix::InnerIterator it(sparse, row); it; ++it) (*diagonal)[it.col()] += it.value() * it.value();
      }
    }
    return true;
  }

 protected:
  void check_size(const Eigen::VectorXd& v) const {
    if (v.size() != size()) {
      throw Error("HessianOperator::multiply: v has " + std::to_string(v.size()) + " entries, the operator " +
                  std::to_string(size()));
    }
  }

  std::shared_ptr<const Jacobian> jacobian_;
  int max_dense_;
};

// H v = J^T J v + S v, S = sum_i r_i Hess(r_i): exactly from the cost
// functions' second derivatives when they all have them and there are no
// losses; otherwise by a forward difference of J(.)^T r(x) (or of the whole
// gradient when losses are present: the loss-corrected Jacobian is not the
// derivative of the corrected residuals, so only the gradient itself may be
// differenced).
class LeastSquaresObjective::ExactOperator : public GaussNewtonOperator {
 public:
  ExactOperator(LeastSquaresObjective* objective, std::shared_ptr<const Jacobian> jacobian, int max_dense,
                bool has_losses, bool second_derivatives)
      : GaussNewtonOperator(std::move(jacobian), max_dense),
        objective_(objective),
        has_losses_(has_losses),
        second_derivatives_(second_derivatives) {}

  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override {
    check_size(v);
    const Jacobian& at_x = *jacobian_;
    gauss_newton_product(at_x.ref(), v, y);
    if (second_derivatives_) {
      // x was evaluated already, so this fails only on a non-finite product;
      // the Gauss-Newton term alone is then the answer, as below.
      Eigen::VectorXd second;
      if (objective_->evaluator_->second_derivative_product(at_x.x, at_x.residuals, v, &second)) *y += second;
      return;
    }
    const double h = exact_hessian_step(at_x.x, v);
    if (h == 0.0) return;
    // Forward difference; backward when x + h v is outside the domain. When
    // neither can be evaluated the product keeps the Gauss-Newton term alone
    // (documented in the header): a usable, positive semidefinite answer
    // rather than a NaN that would stall the minimizer.
    Eigen::VectorXd shifted;
    double signed_h = h;
    if (!objective_->difference_gradient(at_x.x + h * v, at_x.residuals, &shifted)) {
      signed_h = -h;
      if (!objective_->difference_gradient(at_x.x - h * v, at_x.residuals, &shifted)) return;
    }
    if (has_losses_) {
      *y = (shifted - at_x.gradient) / signed_h;
    } else {
      *y += (shifted - at_x.gradient) / signed_h;
    }
  }

  bool dense(Eigen::MatrixXd* hessian) const override {
    const int n = size();
    if (n > max_dense_) return false;
    hessian->resize(n, n);
    Eigen::VectorXd e = Eigen::VectorXd::Zero(n), column;
    for (int j = 0; j < n; ++j) {
      e[j] = 1.0;
      multiply(e, &column);
      hessian->col(j) = column;
      e[j] = 0.0;
    }
    // Differenced columns are symmetric only up to the truncation error,
    // exact ones up to rounding.
    *hessian = 0.5 * (*hessian + hessian->transpose()).eval();
    return true;
  }
  // From the dense matrix (n products): the second-order term's diagonal has
  // no cheaper form here.
  bool diagonal(Eigen::VectorXd* diagonal) const override { return HessianOperator::diagonal(diagonal); }

 private:
  LeastSquaresObjective* objective_;
  bool has_losses_;
  bool second_derivatives_;
};

LeastSquaresObjective::LeastSquaresObjective(const Problem& problem, const LeastSquaresObjectiveOptions& options)
    : options_(options) {
  if (problem.num_residual_blocks() == 0) throw Error("LeastSquaresObjective: the problem has no residual blocks");
  if (problem.num_effective_parameters() == 0) {
    throw Error("LeastSquaresObjective: the problem has no variable parameters (every parameter block is constant)");
  }
  if (options.hessian_model != HessianModel::kGaussNewton && options.hessian_model != HessianModel::kExact) {
    throw Error("LeastSquaresObjectiveOptions::hessian_model must be HessianModel::kGaussNewton or kExact, got " +
                std::to_string(static_cast<int>(options.hessian_model)));
  }
  if (options.max_dense_parameters < 0) {
    throw Error("LeastSquaresObjectiveOptions::max_dense_parameters must be non-negative, got " +
                std::to_string(options.max_dense_parameters));
  }
  internal::Evaluator::Options evaluator_options;
  evaluator_options.num_threads = options.num_threads;
  // Storage as solve() chooses it for LinearSolverType::kAuto.
  sparse_ = internal::choose_linear_solver(problem, LinearSolverType::kAuto).sparse_jacobian;
  evaluator_options.sparse = sparse_;
  evaluator_ = std::make_unique<internal::Evaluator>(problem, evaluator_options);
  if (options.gradient_without_jacobian) {
    gradient_evaluator_ = std::make_unique<internal::MinibatchEvaluator>(problem, options.num_threads);
    all_blocks_.resize(static_cast<size_t>(gradient_evaluator_->num_residual_blocks()));
    for (size_t b = 0; b < all_blocks_.size(); ++b) all_blocks_[b] = static_cast<int>(b);
  }
  if (evaluator_->has_manifolds() && options.hessian_model == HessianModel::kExact) {
    throw Error(
        "LeastSquaresObjective: HessianModel::kExact is not available on a problem with manifolds (its second-order "
        "term would need the manifolds' second derivatives); use HessianModel::kGaussNewton");
  }
  has_bounds_ = evaluator_->has_bounds();
  lower_ = evaluator_->lower_bounds();
  upper_ = evaluator_->upper_bounds();
}

LeastSquaresObjective::~LeastSquaresObjective() = default;

int LeastSquaresObjective::num_parameters() const { return evaluator_->num_parameters(); }
int LeastSquaresObjective::tangent_size() const { return evaluator_->num_tangent_parameters(); }
bool LeastSquaresObjective::is_euclidean() const { return !evaluator_->has_manifolds(); }

bool LeastSquaresObjective::plus(const Eigen::VectorXd& x, const Eigen::VectorXd& delta,
                                 Eigen::VectorXd* x_plus_delta) const {
  if (x.size() != num_parameters() || delta.size() != tangent_size()) {
    throw Error("LeastSquaresObjective::plus: the point has " + std::to_string(x.size()) + " entries and the step " +
                std::to_string(delta.size()) + ", the problem " + std::to_string(num_parameters()) + " and " +
                std::to_string(tangent_size()));
  }
  return evaluator_->plus(x, delta, x_plus_delta);
}
int LeastSquaresObjective::num_residuals() const { return evaluator_->num_residuals(); }
const Eigen::VectorXd* LeastSquaresObjective::lower_bounds() const { return has_bounds_ ? &lower_ : nullptr; }
const Eigen::VectorXd* LeastSquaresObjective::upper_bounds() const { return has_bounds_ ? &upper_ : nullptr; }
Eigen::VectorXd LeastSquaresObjective::gather() const { return evaluator_->gather_parameters(); }

void LeastSquaresObjective::scatter(const Eigen::VectorXd& x) const {
  if (x.size() != num_parameters()) {
    throw Error("LeastSquaresObjective::scatter: the point has " + std::to_string(x.size()) + " entries, the problem " +
                std::to_string(num_parameters()) + " effective parameters");
  }
  evaluator_->scatter_parameters(x);
}

double LeastSquaresObjective::exact_hessian_step(const Eigen::VectorXd& x, const Eigen::VectorXd& v) {
  const double v_norm = v.norm();
  if (v_norm == 0.0) return 0.0;
  return std::sqrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, x.norm()) / v_norm;
}

namespace {

// A Jacobian slot that may be written: a fresh one while an operator still
// holds the old, so handed-out operators never see their matrix change.
template <typename J>
J& writable(std::shared_ptr<J>& slot, bool sparse, const internal::Evaluator& evaluator) {
  if (!slot || slot.use_count() > 1) {
    slot = std::make_shared<J>();
    slot->sparse_storage = sparse;
    if (sparse) slot->sparse = evaluator.make_sparse_jacobian();
  }
  slot->valid = false;
  return *slot;
}

}  // namespace

bool LeastSquaresObjective::evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) {
  if (x.size() != num_parameters()) {
    throw Error("LeastSquaresObjective::evaluate: the point has " + std::to_string(x.size()) +
                " entries, the problem " + std::to_string(num_parameters()) + " effective parameters");
  }
  if (gradient_evaluator_) {
    // Value and gradient from the same sums, so a line search never mixes two
    // roundings of the cost.
    if (gradient) gradient->resize(tangent_size());
    const internal::MinibatchEvaluator::Result result = gradient_evaluator_->evaluate(x, all_blocks_, gradient);
    *value = result.ok ? result.cost : std::numeric_limits<double>::infinity();
    return result.ok && std::isfinite(result.cost);
  }
  if (gradient != nullptr) return evaluate_with_jacobian(x, value, gradient);
  double cost = 0.0;
  const internal::EvaluationStatus status = evaluator_->evaluate(x, &cost, internal::EvaluationRequest{});
  *value = status.ok ? cost : std::numeric_limits<double>::infinity();
  return status.ok && std::isfinite(cost);
}

bool LeastSquaresObjective::evaluate_into(const Eigen::VectorXd& x, Jacobian* jacobian, double* cost) {
  internal::EvaluationRequest request;
  request.residuals = &jacobian->residuals;
  request.gradient = &jacobian->gradient;
  if (sparse_) {
    request.sparse_jacobian = &jacobian->sparse;
  } else {
    request.dense_jacobian = &jacobian->dense;
  }
  return evaluator_->evaluate(x, cost, request).ok;
}

bool LeastSquaresObjective::evaluate_with_jacobian(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) {
  Jacobian& jacobian = writable(cached_, sparse_, *evaluator_);
  double cost = 0.0;
  const bool ok = evaluate_into(x, &jacobian, &cost);
  if (value) *value = ok ? cost : std::numeric_limits<double>::infinity();
  if (!ok || !std::isfinite(cost) || !jacobian.gradient.allFinite()) return false;
  jacobian.x = x;
  jacobian.valid = true;
  if (gradient) *gradient = jacobian.gradient;
  return true;
}

double LeastSquaresObjective::scaled_gradient(const Eigen::VectorXd& x, const std::vector<char>& skip) {
  if (x.size() != num_parameters()) {
    throw Error("LeastSquaresObjective::scaled_gradient: the point has " + std::to_string(x.size()) +
                " entries, the problem " + std::to_string(num_parameters()) + " effective parameters");
  }
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  Jacobian& jacobian = writable(scratch_, sparse_, *evaluator_);
  double cost = 0.0;
  if (!evaluate_into(x, &jacobian, &cost) || !std::isfinite(cost)) return kInfinity;
  const double residual_norm = jacobian.residuals.norm();
  Eigen::VectorXd column_norms;
  if (jacobian.sparse_storage) {
    column_norms.setZero(tangent_size());
    for (Eigen::Index k = 0; k < jacobian.sparse.outerSize(); ++k) {
      for (SparseRowMatrix::InnerIterator it(jacobian.sparse, k); it; ++it) {
        column_norms[it.col()] += it.value() * it.value();
      }
    }
    column_norms = column_norms.cwiseSqrt();
  } else {
    column_norms = jacobian.dense.colwise().norm().transpose();
  }
  // A residual vector within the rounding of evaluating it counts as zero:
  // near a zero-residual minimum r ~ J (x - x*) keeps its angle with the
  // columns down to the last bit.
  constexpr double kResidualRounding = 64.0;
  Eigen::VectorXd magnitudes;  // |x| per tangent coordinate (ParameterLayout::tangent_coordinates)
  evaluator_->layout().tangent_coordinates(x, &magnitudes);
  const double rounding = kResidualRounding * std::numeric_limits<double>::epsilon() *
                          std::sqrt(static_cast<double>(jacobian.residuals.size())) *
                          column_norms.dot(magnitudes.cwiseAbs());
  if (residual_norm <= rounding) return 0.0;
  double largest = 0.0;
  for (Eigen::Index i = 0; i < column_norms.size(); ++i) {
    if ((static_cast<size_t>(i) < skip.size() && skip[i]) || column_norms[i] == 0.0) continue;
    const double cosine = std::abs(jacobian.gradient[i]) / (column_norms[i] * residual_norm);
    if (!(cosine <= largest)) largest = cosine;  // NaN propagates
  }
  return std::isnan(largest) ? kInfinity : largest;
}

bool LeastSquaresObjective::difference_gradient(const Eigen::VectorXd& y, const Eigen::VectorXd& residuals_at_x,
                                                Eigen::VectorXd* out) {
  Jacobian& jacobian = writable(scratch_, sparse_, *evaluator_);
  double cost = 0.0;
  const bool ok = evaluate_into(y, &jacobian, &cost);
  if (!ok || !std::isfinite(cost)) return false;
  if (evaluator_->has_losses()) {
    *out = jacobian.gradient;
  } else {
    internal::multiply_jacobian_transpose(jacobian.ref(), residuals_at_x, out);
  }
  return out->allFinite();
}

std::unique_ptr<HessianOperator> LeastSquaresObjective::hessian(const Eigen::VectorXd& x) {
  if (x.size() != num_parameters()) {
    throw Error("LeastSquaresObjective::hessian: the point has " + std::to_string(x.size()) + " entries, the problem " +
                std::to_string(num_parameters()) + " effective parameters");
  }
  const bool cached = cached_ && cached_->valid && cached_->x.size() == x.size() && cached_->x == x;
  if (!cached && !evaluate_with_jacobian(x, nullptr, nullptr)) return nullptr;
  if (options_.hessian_model == HessianModel::kExact) {
    const bool second_derivatives = !evaluator_->has_losses() && evaluator_->has_second_derivatives();
    return std::make_unique<ExactOperator>(this, cached_, options_.max_dense_parameters, evaluator_->has_losses(),
                                           second_derivatives);
  }
  return std::make_unique<GaussNewtonOperator>(cached_, options_.max_dense_parameters);
}

}  // namespace curvature
