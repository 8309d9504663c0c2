// schur_jacobi.h — the Schur-Jacobi preconditioner: the block diagonal of
// the Schur complement S (implicit_schur.h), one block per f-block,
// Cholesky-factored. Internal.
//
// For f-block i (a camera) its block is
//
//   S_ii = F_i^T F_i + D_i^2 - sum_j B_ij^T M_j^-1 B_ij,   B_ij = E_j^T F_i,
//
// the sums over the residual blocks reading block i, grouped by the e-block
// j they also read (B_ij sums the residual blocks that read both). It is
// what S would hold on its diagonal, computed without forming S: per
// f-block, over its own residual blocks, so each block is written by one
// task and the result is the same for any number of threads. Applying it
// costs two triangular solves per block. (Ceres Solver's SCHUR_JACOBI is
// the same preconditioner.)
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "schur/implicit_schur.h"

namespace curvature::internal {

class SchurJacobiPreconditioner {
 public:
  // Sized for the complement's structure; it must outlive this object.
  explicit SchurJacobiPreconditioner(const ImplicitSchurComplement& schur);

  // The blocks at the complement's present Jacobian and damping, and their
  // Cholesky factors. Returns an empty string, or why a block is not
  // positive definite (naming the parameter block).
  std::string compute();

  // y = (block diagonal of S)^-1 x over the f-coordinates.
  void apply(const Eigen::VectorXd& x, Eigen::VectorXd* y) const;

  // S_ii before factoring, for tests: size x size, column-major.
  Eigen::MatrixXd block(int i) const;

 private:
  const ImplicitSchurComplement& schur_;
  // Per f-block, its cells ordered by (e-block, row): consecutive cells with
  // the same e-block form one B_ij. Cells of residual blocks without an
  // e-block come first.
  std::vector<int> cells_by_e_block_;
  std::vector<long> square_offset_;  // per f-block: its block's first entry
  std::vector<double> blocks_;       // S_ii, column-major
  std::vector<double> factors_;      // their lower Cholesky factors, column-major
};

}  // namespace curvature::internal
