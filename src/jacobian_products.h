// jacobian_products.h — the few operations on a JacobianRef that several
// linear solvers share, written once for both storage forms. Internal.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cmath>
#include <string>

#include "curvature/error.h"
#include "linear_solver.h"

namespace curvature::internal {

// y = J x. y must not alias x; y is resized (a no-op when already sized, so a
// caller that keeps y across calls does not allocate).
inline void multiply_jacobian(const JacobianRef& jacobian, const Eigen::VectorXd& x, Eigen::VectorXd* y) {
  y->resize(jacobian.rows());
  if (jacobian.dense) {
    y->noalias() = *jacobian.dense * x;
  } else {
    y->noalias() = *jacobian.sparse * x;
  }
}

// y = J^T x, same rules as above.
inline void multiply_jacobian_transpose(const JacobianRef& jacobian, const Eigen::VectorXd& x, Eigen::VectorXd* y) {
  y->resize(jacobian.cols());
  if (jacobian.dense) {
    y->noalias() = jacobian.dense->transpose() * x;
  } else {
    y->noalias() = jacobian.sparse->transpose() * x;
  }
}

// |J_col|^2 for every column, i.e. diag(J^T J).
inline Eigen::VectorXd jacobian_column_squared_norms(const JacobianRef& jacobian) {
  if (jacobian.dense) return jacobian.dense->colwise().squaredNorm().transpose();
  Eigen::VectorXd norms = Eigen::VectorXd::Zero(jacobian.cols());
  const SparseRowMatrix& j = *jacobian.sparse;
  for (Eigen::Index row = 0; row < j.outerSize(); ++row) {
    for (SparseRowMatrix::InnerIterator it(j, row); it; ++it) norms[it.col()] += it.value() * it.value();
  }
  return norms;
}

// Jacobi column scaling 1/|J_col| from diag(J^T J). A zero column keeps scale
// 1: it has nothing to normalize, and its variable is then fixed by the
// damping alone (or left at zero by the rank-deficient paths).
inline double jacobi_scale(double squared_norm) { return squared_norm > 0.0 ? 1.0 / std::sqrt(squared_norm) : 1.0; }

inline Eigen::VectorXd jacobi_scaling_from_squared_norms(const Eigen::VectorXd& squared_norms) {
  Eigen::VectorXd scale(squared_norms.size());
  for (Eigen::Index i = 0; i < scale.size(); ++i) scale[i] = jacobi_scale(squared_norms[i]);
  return scale;
}

// Misuse of the LinearSolver interface throws, as everywhere in curvature.
inline void check_jacobian(const char* solver, const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  if ((jacobian.dense == nullptr) == (jacobian.sparse == nullptr)) {
    throw Error(std::string(solver) + ": exactly one of JacobianRef::dense and ::sparse must be set");
  }
  if (residuals.size() != jacobian.rows()) {
    throw Error(std::string(solver) + ": " + std::to_string(residuals.size()) + " residuals for a Jacobian with " +
                std::to_string(jacobian.rows()) + " rows");
  }
}

inline void check_damping(const char* solver, bool prepared, Eigen::Index cols, const Eigen::VectorXd& d,
                          const Eigen::VectorXd* dx) {
  if (!prepared) throw Error(std::string(solver) + ": solve() called before prepare()");
  if (dx == nullptr) throw Error(std::string(solver) + ": dx is null");
  if (d.size() != cols) {
    throw Error(std::string(solver) + ": damping vector has " + std::to_string(d.size()) + " entries, expected " +
                std::to_string(cols));
  }
}

}  // namespace curvature::internal
