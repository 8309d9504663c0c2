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
// residual space, in one pass over the chunks (an e-block and its residual
// blocks): t = F x on the chunk's rows, u = E^T t, v = M^-1 u, w = t - E v,
// and, while the chunk's part of J is still in cache, each f-cell's
// F_c^T w added to its f-block's part of y. For a result independent of the
// number of threads, the chunks are split into a fixed number of groups
// (by the problem's size alone, balanced by observations), each group adds
// its chunks in order into its own copy of y, and the copies are added in
// group order: one parallel pass and a sum over a few camera-sized vectors
// per product. Memory: per observation a 4-int index of where its cells
// lie (BAL's shapes), per e-block M^-1 and E^T r, per group a copy of y,
// so linear in the number of observations; the Jacobian is read in place
// through the structure's value offsets.
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

// Per f-cell (indexed like SchurStructure::f_cells), the residual block it
// belongs to.
struct FBlockIncidence {
  explicit FBlockIncidence(const SchurStructure& structure);

  std::vector<int> residual_block;  // per f-cell: its residual block
  long slot_size = 0;               // the f-cells' sizes summed: one f-block vector per cell
};

class ImplicitSchurComplement {
 public:
  // The structure and pool must outlive this object.
  ImplicitSchurComplement(const SchurStructure& structure, ThreadPool& pool);

  // J must have the structure's pattern (matches_pattern) and stay alive
  // and unchanged, with r, until the next call. Computes E^T r per e-block
  // and |J^T r|.
  void set_jacobian(const SparseRowMatrix& jacobian, const Eigen::VectorXd& residuals);
  // d over J's columns. Computes M^-1 per e-block (E^T E from J again). Returns an empty string,
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
  // Where one observation's cells lie, for the fixed-shape pass (BAL: one
  // 2x3 e-cell and one 2x9 f-cell per residual block, 12 values a row).
  struct PackedCell {
    int e_value = 0;    // its e-cell's first value
    int f_value = 0;    // its f-cell's first value
    int f_reduced = 0;  // its f-block's reduced_offset
    int row = 0;        // its first row
  };

  // y = F^T P t summed over the chunks (t = F x when x is given, else r;
  // P = I when !project), + D_f^2 x when x is given.
  void accumulate(const Eigen::VectorXd* x, bool project, Eigen::VectorXd* y);
  // Task t's (a chunk, or a residual block without an e-block) contribution
  // added to y_group, with `scratch` at least max_chunk_rows_ long.
  void add_task(int task, const Eigen::VectorXd* x, bool project, double* y_group, double* scratch) const;

  const SchurStructure& structure_;
  ThreadPool& pool_;
  FBlockIncidence incidence_;
  bool fixed_shapes_ = false;
  std::vector<int> chunk_order_;
  std::vector<long> e_square_offset_;  // per e-block: its M block's first entry (laid out in chunk order)

  const double* values_ = nullptr;
  const Eigen::VectorXd* residuals_ = nullptr;
  const Eigen::VectorXd* damping_ = nullptr;
  std::vector<double> e_inverse_;  // M^-1 per e-block
  Eigen::VectorXd etr_;            // E^T r over the e-coordinates
  // The fixed-shape pass's index, chunk by chunk in chunk order
  // (chunk_order_[k]'s cells from packed_starts_[k]); empty when the
  // problem has other shapes.
  std::vector<PackedCell> packed_;
  std::vector<int> packed_starts_;
  int max_chunk_rows_ = 0;
  // Tasks: the chunks in chunk order, then the residual blocks without an
  // e-block. Group g owns tasks [group_starts_[g], group_starts_[g + 1]).
  std::vector<int> group_starts_;
  std::vector<double> partials_;                 // one copy of y per group
  std::vector<std::vector<double>> scratches_;   // per thread: t of one chunk
  std::vector<std::vector<double>> e_products_;  // per thread: one e-block's E^T E and E^T r
  Eigen::VectorXd ftr_;                          // F^T r over the f-coordinates
  double gradient_norm_ = 0.0;
};

}  // namespace curvature::internal
