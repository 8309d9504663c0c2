// implicit_schur.h — the Schur complement of bundle adjustment's damped
// normal equations as an operator, never formed. Internal.
//
// With the columns of J split into eliminated e-blocks (E: points) and kept
// f-blocks (F: cameras) as schur_structure.h describes, and the damping
// split the same way (D_e, D_f),
//
//   S = F^T F + D_f^2 - F^T E M^-1 E^T F,   M = E^T E + D_e^2 (block diagonal),
//
// and the step equations reduce to S dz = b with
//
//   b  = -(F^T r - F^T E M^-1 E^T r),
//   dy = -M^-1 E^T (r + F dz)              (back-substitution).
//
// S x is computed as F^T P F x + D_f^2 x with P = I - E M^-1 E^T applied in
// residual space, one chunk (an e-block and its residual blocks) at a
// time: t = F x on the chunk's rows, u = E^T t, w = t - E M^-1 u, and while
// the chunk's part of J is still in cache, each of its f-cells' F_c^T w
// into a slot of its own. The slots are laid out f-block by f-block
// (FBlockIncidence order), so y_i = sum of f-block i's slots, in row
// order, reads contiguous memory. Each output (a chunk's slots, an f-block's
// part of y) is written by exactly one task, so the result is bit-identical
// for any number of threads. Memory: a residual-sized vector, one f-block
// sized slot per f-cell (9 doubles per BAL observation), and per e-block
// M^-1 and E^T r, so linear in the number of observations; the Jacobian is
// read in place through the structure's value offsets.
//
// BAL's shapes (2 residuals, 3 point and 9 camera coordinates) run through
// fixed-size kernels; any other shape through the same code with dynamic
// sizes.
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "curvature/problem.h"
#include "curvature/thread_pool.h"
#include "schur/schur_structure.h"

namespace curvature::internal {

// For each f-block, the f-cells (indices into SchurStructure::f_cells) of
// the residual blocks that read it, in row order, with each cell's residual
// block: the transpose of the structure's residual block -> f-cell lists.
struct FBlockIncidence {
  explicit FBlockIncidence(const SchurStructure& structure);

  std::vector<int> starts;          // f-block i owns cells[starts[i] .. starts[i + 1])
  std::vector<int> cells;           // indices into SchurStructure::f_cells
  std::vector<int> residual_block;  // per f-cell (indexed like f_cells): its residual block
  // Per f-cell (indexed like f_cells): where its f-block sized slot starts
  // when the slots are laid out in the order of `cells`.
  std::vector<long> slot;
  long slot_size = 0;  // all slots together
};

class ImplicitSchurComplement {
 public:
  // The structure and pool must outlive this object.
  ImplicitSchurComplement(const SchurStructure& structure, ThreadPool& pool);

  // J must have the structure's pattern (matches_pattern) and stay alive
  // and unchanged, with r, until the next call. Computes E^T E and E^T r per
  // e-block, and |J^T r|.
  void set_jacobian(const SparseRowMatrix& jacobian, const Eigen::VectorXd& residuals);
  // d over J's columns. Computes M^-1 per e-block. Returns an empty string,
  // or why an e-block's M is not positive definite (naming the block).
  std::string set_damping(const Eigen::VectorXd& d);

  // y = S x, x and y over the f-coordinates (SchurStructure::num_f_coordinates).
  void multiply(const Eigen::VectorXd& x, Eigen::VectorXd* y);
  // b of the reduced system.
  void right_hand_side(Eigen::VectorXd* b);
  // dy over the e-coordinates from the reduced solution dz.
  void back_substitute(const Eigen::VectorXd& dz, Eigen::VectorXd* dy);

  // |J^T r| at the Jacobian of set_jacobian().
  double gradient_norm() const { return gradient_norm_; }

  // What the Schur-Jacobi preconditioner reads.
  const SchurStructure& structure() const { return structure_; }
  const FBlockIncidence& incidence() const { return incidence_; }
  ThreadPool& pool() const { return pool_; }
  const double* jacobian_values() const { return values_; }
  // M^-1 of e-block e, column-major, size x size.
  const double* e_inverse(int e) const { return e_inverse_.data() + e_square_offset_[e]; }
  const Eigen::VectorXd& damping() const { return *damping_; }
  // Whether every chunk has BAL's shapes (2 rows, 3 e- and 9 f-coordinates).
  bool fixed_shapes() const { return fixed_shapes_; }
  // The e-blocks in the order their chunks are visited: by their first
  // row, so that passes over the chunks read J (nearly) sequentially
  // whatever the elimination order was.
  const std::vector<int>& chunk_order() const { return chunk_order_; }

 private:
  // Every f-cell's slot F_c^T w, w = P t (or t when !project) on its
  // residual block's rows, t = F x when x is given, else r.
  void fill_slots(const Eigen::VectorXd* x, bool project);
  // y_i = the sum of f-block i's slots (+ D_i^2 x_i when x is given).
  void sum_slots(const Eigen::VectorXd* x, Eigen::VectorXd* y);

  const SchurStructure& structure_;
  ThreadPool& pool_;
  FBlockIncidence incidence_;
  bool fixed_shapes_ = false;
  std::vector<int> chunk_order_;
  std::vector<long> e_square_offset_;  // per e-block: its M block's first entry (laid out in chunk order)

  const double* values_ = nullptr;
  const Eigen::VectorXd* residuals_ = nullptr;
  const Eigen::VectorXd* damping_ = nullptr;
  std::vector<double> ete_;        // E^T E per e-block
  std::vector<double> e_inverse_;  // M^-1 per e-block
  Eigen::VectorXd etr_;            // E^T r over the e-coordinates
  Eigen::VectorXd rows_;           // t and w, over J's rows
  std::vector<double> slots_;      // F_c^T w per f-cell (FBlockIncidence::slot)
  Eigen::VectorXd ftr_;            // F^T r over the f-coordinates
  double gradient_norm_ = 0.0;
};

}  // namespace curvature::internal
