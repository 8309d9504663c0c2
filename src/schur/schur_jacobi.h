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
// what S would hold on its diagonal, computed without forming S, chunk by
// chunk (one e-block and its residual blocks, read contiguously, M_j^-1
// loaded once) as the elimination itself goes. For a result independent of
// the number of threads, the chunks are split into a fixed number of
// groups (by the problem's size alone), each group sums its chunks in order
// into its own copy of the blocks, and the copies are added in group order.
// The copies cost at most the memory of the implicit product's slots, so
// memory stays linear in the observations. Applying the preconditioner
// costs two triangular solves per block. (Ceres Solver's SCHUR_JACOBI is the
// same preconditioner.)
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
  // Per task (the chunks, then the residual blocks without an e-block), its
  // f-cells ordered by (f-block, row): consecutive cells of one f-block
  // form one B_ij. Task t owns task_cells_[task_starts_[t] .. task_starts_[t + 1]).
  std::vector<int> task_starts_;
  std::vector<int> task_cells_;
  int num_groups_ = 1;
  std::vector<long> square_offset_;  // per f-block: its block's first entry
  long blocks_size_ = 0;             // all blocks together
  std::vector<double> partials_;     // num_groups_ copies of the blocks (without D^2)
  std::vector<double> blocks_;       // S_ii, column-major
  std::vector<double> factors_;      // their lower Cholesky factors, column-major
};

}  // namespace curvature::internal
