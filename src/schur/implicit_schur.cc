#include "schur/implicit_schur.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <limits>
#include <string>

#include "schur/implicit_schur_maps.h"

namespace curvature::internal {
namespace {

constexpr int kDyn = Eigen::Dynamic;

// *t = F x on residual block rb's rows (the sum over its f-cells), or its
// rows of r when x is null.
template <int R, int F>
void f_product_or_residual(const SchurStructure& s, const double* values, const Eigen::VectorXd* x,
                           const Eigen::VectorXd& r, const SchurStructure::ResidualBlock& rb, VectorMap<R>* t) {
  if (x == nullptr) {
    *t = ConstVectorMap<R>(r.data() + rb.row, rb.num_rows);
    return;
  }
  t->setZero();
  for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) {
    const SchurStructure::Cell& cell = s.f_cells[c];
    const SchurStructure::Block& f = s.f_blocks[cell.block];
    t->noalias() += jacobian_cell<R, F>(values, cell.value_offset, rb, f.size) *
                    ConstVectorMap<F>(x->data() + f.reduced_offset, f.size);
  }
}

// t = F x (x given) or r on the rows of chunk e; when `project`,
// w = t - E M^-1 E^T t; then each f-cell's slot F_c^T w (t when not
// projected), while the chunk's part of J is in cache.
template <int R, int E, int F>
void chunk_slots(const SchurStructure& s, const FBlockIncidence& incidence, const double* values,
                 const Eigen::VectorXd* x, const Eigen::VectorXd& r, const double* e_inverse, int e, bool project,
                 double* rows, double* slots) {
  const int e_size = s.e_blocks[e].size;
  Eigen::Matrix<double, E, 1> u = Eigen::Matrix<double, E, 1>::Zero(e_size);
  const int begin = s.chunk_starts[e];
  const int end = s.chunk_starts[e + 1];
  for (int k = begin; k < end; ++k) {
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[s.chunk_residual_blocks[k]];
    VectorMap<R> t(rows + rb.row, rb.num_rows);
    f_product_or_residual<R, F>(s, values, x, r, rb, &t);
    if (project) u.noalias() += jacobian_cell<R, E>(values, rb.e_value_offset, rb, e_size).transpose() * t;
  }
  Eigen::Matrix<double, E, 1> v;
  if (project) v.noalias() = ConstSquareMap<E>(e_inverse, e_size, e_size) * u;
  for (int k = begin; k < end; ++k) {
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[s.chunk_residual_blocks[k]];
    VectorMap<R> w(rows + rb.row, rb.num_rows);
    if (project) w.noalias() -= jacobian_cell<R, E>(values, rb.e_value_offset, rb, e_size) * v;
    for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) {
      const SchurStructure::Cell& cell = s.f_cells[c];
      const int f_size = s.f_blocks[cell.block].size;
      VectorMap<F>(slots + incidence.slot[c], f_size).noalias() =
          jacobian_cell<R, F>(values, cell.value_offset, rb, f_size).transpose() * w;
    }
  }
}

// The slots F_c^T t of a residual block that reads no e-block, t = F x or r.
template <int R, int F>
void f_only_slots(const SchurStructure& s, const FBlockIncidence& incidence, const double* values,
                  const Eigen::VectorXd* x, const Eigen::VectorXd& r, int b, double* rows, double* slots) {
  const SchurStructure::ResidualBlock& rb = s.residual_blocks[b];
  VectorMap<R> t(rows + rb.row, rb.num_rows);
  f_product_or_residual<R, F>(s, values, x, r, rb, &t);
  for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) {
    const SchurStructure::Cell& cell = s.f_cells[c];
    const int f_size = s.f_blocks[cell.block].size;
    VectorMap<F>(slots + incidence.slot[c], f_size).noalias() =
        jacobian_cell<R, F>(values, cell.value_offset, rb, f_size).transpose() * t;
  }
}

// y_i = the sum of f-block i's slots, in row order (+ D_i^2 x_i).
template <int F>
void sum_f_block_slots(const SchurStructure& s, const FBlockIncidence& incidence, const double* slots,
                       const Eigen::VectorXd* x, const Eigen::VectorXd* damping, int i, Eigen::VectorXd* y) {
  const SchurStructure::Block& f = s.f_blocks[i];
  VectorMap<F> yi(y->data() + f.reduced_offset, f.size);
  yi.setZero();
  for (int k = incidence.starts[i]; k < incidence.starts[i + 1]; ++k) {
    yi += ConstVectorMap<F>(slots + incidence.slot[incidence.cells[k]], f.size);
  }
  if (x != nullptr) {
    yi.array() += ConstVectorMap<F>(damping->data() + f.column, f.size).array().square() *
                  ConstVectorMap<F>(x->data() + f.reduced_offset, f.size).array();
  }
}

// E^T E and E^T r of chunk e.
template <int R, int E>
void chunk_products(const SchurStructure& s, const double* values, const Eigen::VectorXd& r, int e, double* ete,
                    double* etr) {
  const int e_size = s.e_blocks[e].size;
  SquareMap<E> m(ete, e_size, e_size);
  VectorMap<E> g(etr, e_size);
  m.setZero();
  g.setZero();
  for (int k = s.chunk_starts[e]; k < s.chunk_starts[e + 1]; ++k) {
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[s.chunk_residual_blocks[k]];
    const auto block = jacobian_cell<R, E>(values, rb.e_value_offset, rb, e_size);
    m.noalias() += block.transpose() * block;
    g.noalias() += block.transpose() * ConstVectorMap<R>(r.data() + rb.row, rb.num_rows);
  }
}

// dy_e = -M^-1 E^T (r + F dz) over chunk e.
template <int R, int E, int F>
void back_substitute_chunk(const SchurStructure& s, const double* values, const Eigen::VectorXd& r,
                           const double* e_inverse, const Eigen::VectorXd& dz, int e, Eigen::VectorXd* dy) {
  const SchurStructure::Block& eb = s.e_blocks[e];
  Eigen::Matrix<double, E, 1> u = Eigen::Matrix<double, E, 1>::Zero(eb.size);
  Eigen::Matrix<double, R, 1> t;
  for (int k = s.chunk_starts[e]; k < s.chunk_starts[e + 1]; ++k) {
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[s.chunk_residual_blocks[k]];
    t = ConstVectorMap<R>(r.data() + rb.row, rb.num_rows);
    for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) {
      const SchurStructure::Cell& cell = s.f_cells[c];
      const SchurStructure::Block& f = s.f_blocks[cell.block];
      t.noalias() += jacobian_cell<R, F>(values, cell.value_offset, rb, f.size) *
                     ConstVectorMap<F>(dz.data() + f.reduced_offset, f.size);
    }
    u.noalias() += jacobian_cell<R, E>(values, rb.e_value_offset, rb, eb.size).transpose() * t;
  }
  VectorMap<E>(dy->data() + eb.reduced_offset, eb.size).noalias() =
      -(ConstSquareMap<E>(e_inverse, eb.size, eb.size) * u);
}

}  // namespace

FBlockIncidence::FBlockIncidence(const SchurStructure& structure) {
  const int num_f = static_cast<int>(structure.f_blocks.size());
  starts.assign(num_f + 1, 0);
  residual_block.assign(structure.f_cells.size(), -1);
  for (size_t b = 0; b < structure.residual_blocks.size(); ++b) {
    const SchurStructure::ResidualBlock& rb = structure.residual_blocks[b];
    for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) {
      ++starts[structure.f_cells[c].block + 1];
      residual_block[c] = static_cast<int>(b);
    }
  }
  for (int i = 0; i < num_f; ++i) starts[i + 1] += starts[i];
  cells.resize(structure.f_cells.size());
  std::vector<int> next(starts.begin(), starts.end() - 1);
  // Residual blocks in row order, so each f-block's cells come in row order.
  for (const SchurStructure::ResidualBlock& rb : structure.residual_blocks) {
    for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) cells[next[structure.f_cells[c].block]++] = c;
  }
  slot.assign(structure.f_cells.size(), 0);
  for (int c : cells) {
    slot[c] = slot_size;
    slot_size += structure.f_blocks[structure.f_cells[c].block].size;
  }
}

ImplicitSchurComplement::ImplicitSchurComplement(const SchurStructure& structure, ThreadPool& pool)
    : structure_(structure), pool_(pool), incidence_(structure) {
  fixed_shapes_ = true;
  for (const SchurStructure::ResidualBlock& rb : structure.residual_blocks) fixed_shapes_ &= rb.num_rows == 2;
  for (const SchurStructure::Block& e : structure.e_blocks) fixed_shapes_ &= e.size == 3;
  for (const SchurStructure::Block& f : structure.f_blocks) fixed_shapes_ &= f.size == 9;
  const int num_e = static_cast<int>(structure.e_blocks.size());
  chunk_order_.resize(num_e);
  std::vector<int> first_row(num_e, std::numeric_limits<int>::max());
  for (int e = 0; e < num_e; ++e) {
    chunk_order_[e] = e;
    if (structure.chunk_starts[e] < structure.chunk_starts[e + 1]) {
      first_row[e] = structure.residual_blocks[structure.chunk_residual_blocks[structure.chunk_starts[e]]].row;
    }
  }
  std::stable_sort(chunk_order_.begin(), chunk_order_.end(), [&](int a, int b) { return first_row[a] < first_row[b]; });
  e_square_offset_.resize(num_e);
  long offset = 0;
  for (int e : chunk_order_) {
    e_square_offset_[e] = offset;
    offset += static_cast<long>(structure.e_blocks[e].size) * structure.e_blocks[e].size;
  }
  ete_.resize(offset);
  e_inverse_.resize(offset);
  etr_.resize(structure.num_e_coordinates);
  ftr_.resize(structure.num_f_coordinates);
  rows_.resize(structure.num_jacobian_rows);
  slots_.resize(incidence_.slot_size);
}

void ImplicitSchurComplement::set_jacobian(const SparseRowMatrix& jacobian, const Eigen::VectorXd& residuals) {
  values_ = jacobian.valuePtr();
  residuals_ = &residuals;
  const int num_e = static_cast<int>(structure_.e_blocks.size());
  pool_.parallel_for(num_e, [&](int, int begin, int end) {
    for (int k = begin; k < end; ++k) {
      const int e = chunk_order_[k];
      double* ete = ete_.data() + e_square_offset_[e];
      double* etr = etr_.data() + structure_.e_blocks[e].reduced_offset;
      if (fixed_shapes_) {
        chunk_products<2, 3>(structure_, values_, residuals, e, ete, etr);
      } else {
        chunk_products<kDyn, kDyn>(structure_, values_, residuals, e, ete, etr);
      }
    }
  });
  fill_slots(nullptr, false);
  sum_slots(nullptr, &ftr_);
  gradient_norm_ = std::sqrt(etr_.squaredNorm() + ftr_.squaredNorm());
}

std::string ImplicitSchurComplement::set_damping(const Eigen::VectorXd& d) {
  damping_ = &d;
  const int num_e = static_cast<int>(structure_.e_blocks.size());
  std::vector<char> failed(num_e, 0);
  pool_.parallel_for(num_e, [&](int, int begin, int end) {
    for (int k = begin; k < end; ++k) {
      const int e = chunk_order_[k];
      const SchurStructure::Block& eb = structure_.e_blocks[e];
      const double* ete = ete_.data() + e_square_offset_[e];
      double* inverse = e_inverse_.data() + e_square_offset_[e];
      if (fixed_shapes_) {
        Eigen::Matrix3d m = Eigen::Map<const Eigen::Matrix3d>(ete);
        m.diagonal().array() += d.segment<3>(eb.column).array().square();
        Eigen::LLT<Eigen::Matrix3d> llt(m);
        failed[e] = llt.info() != Eigen::Success;
        Eigen::Map<Eigen::Matrix3d> inverse_block(inverse);
        inverse_block = llt.solve(Eigen::Matrix3d::Identity());
      } else {
        Eigen::MatrixXd m = Eigen::Map<const Eigen::MatrixXd>(ete, eb.size, eb.size);
        m.diagonal().array() += d.segment(eb.column, eb.size).array().square();
        Eigen::LLT<Eigen::MatrixXd> llt(m);
        failed[e] = llt.info() != Eigen::Success;
        Eigen::Map<Eigen::MatrixXd>(inverse, eb.size, eb.size) = llt.solve(Eigen::MatrixXd::Identity(eb.size, eb.size));
      }
    }
  });
  for (int e = 0; e < num_e; ++e) {
    if (failed[e]) {
      return "E^T E + D^2 of eliminated parameter block " + std::to_string(structure_.e_blocks[e].parameter_block) +
             " is not positive definite (a point seen by too few residuals, and no damping)";
    }
  }
  return {};
}

void ImplicitSchurComplement::fill_slots(const Eigen::VectorXd* x, bool project) {
  const int num_e = static_cast<int>(structure_.e_blocks.size());
  const int num_tasks = num_e + static_cast<int>(structure_.f_only_residual_blocks.size());
  const Eigen::VectorXd& r = *residuals_;
  double* rows = rows_.data();
  double* slots = slots_.data();
  pool_.parallel_for(num_tasks, [&](int, int begin, int end) {
    for (int task = begin; task < end; ++task) {
      if (task < num_e) {
        const int e = chunk_order_[task];
        const double* inverse = e_inverse(e);
        if (fixed_shapes_) {
          chunk_slots<2, 3, 9>(structure_, incidence_, values_, x, r, inverse, e, project, rows, slots);
        } else {
          chunk_slots<kDyn, kDyn, kDyn>(structure_, incidence_, values_, x, r, inverse, e, project, rows, slots);
        }
      } else {
        const int b = structure_.f_only_residual_blocks[task - num_e];
        if (fixed_shapes_) {
          f_only_slots<2, 9>(structure_, incidence_, values_, x, r, b, rows, slots);
        } else {
          f_only_slots<kDyn, kDyn>(structure_, incidence_, values_, x, r, b, rows, slots);
        }
      }
    }
  });
}

void ImplicitSchurComplement::sum_slots(const Eigen::VectorXd* x, Eigen::VectorXd* y) {
  y->resize(structure_.num_f_coordinates);
  const int num_f = static_cast<int>(structure_.f_blocks.size());
  pool_.parallel_for(num_f, [&](int, int begin, int end) {
    for (int i = begin; i < end; ++i) {
      if (fixed_shapes_) {
        sum_f_block_slots<9>(structure_, incidence_, slots_.data(), x, damping_, i, y);
      } else {
        sum_f_block_slots<kDyn>(structure_, incidence_, slots_.data(), x, damping_, i, y);
      }
    }
  });
}

void ImplicitSchurComplement::multiply(const Eigen::VectorXd& x, Eigen::VectorXd* y) {
  fill_slots(&x, true);
  sum_slots(&x, y);
}

void ImplicitSchurComplement::right_hand_side(Eigen::VectorXd* b) {
  fill_slots(nullptr, true);
  sum_slots(nullptr, b);
  *b = -*b;
}

void ImplicitSchurComplement::back_substitute(const Eigen::VectorXd& dz, Eigen::VectorXd* dy) {
  dy->resize(structure_.num_e_coordinates);
  const int num_e = static_cast<int>(structure_.e_blocks.size());
  const Eigen::VectorXd& r = *residuals_;
  pool_.parallel_for(num_e, [&](int, int begin, int end) {
    for (int k = begin; k < end; ++k) {
      const int e = chunk_order_[k];
      if (fixed_shapes_) {
        back_substitute_chunk<2, 3, 9>(structure_, values_, r, e_inverse(e), dz, e, dy);
      } else {
        back_substitute_chunk<kDyn, kDyn, kDyn>(structure_, values_, r, e_inverse(e), dz, e, dy);
      }
    }
  });
}

}  // namespace curvature::internal
