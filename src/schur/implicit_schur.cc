#include "schur/implicit_schur.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <limits>
#include <string>

#include "schur/implicit_schur_maps.h"

namespace curvature::internal {
namespace {

constexpr int kDyn = Eigen::Dynamic;
// At most this many copies of y (implicit_schur.h): enough to keep a few
// threads busy.
constexpr int kMaxGroups = 16;

// t = F x on residual block rb's rows (the sum over its f-cells), or its
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

// y += F_c^T w over residual block rb's f-cells.
template <int R, int F>
void add_f_transpose(const SchurStructure& s, const double* values, const SchurStructure::ResidualBlock& rb,
                     const VectorMap<R>& w, double* y) {
  for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) {
    const SchurStructure::Cell& cell = s.f_cells[c];
    const SchurStructure::Block& f = s.f_blocks[cell.block];
    VectorMap<F>(y + f.reduced_offset, f.size).noalias() +=
        jacobian_cell<R, F>(values, cell.value_offset, rb, f.size).transpose() * w;
  }
}

// y += F^T P t over chunk e, any shapes: t = F x (x given) or r on its rows,
// P t = t - E M^-1 E^T t when `project`, else t. `scratch` holds t.
template <int R, int E, int F>
void add_chunk(const SchurStructure& s, const double* values, const Eigen::VectorXd* x, const Eigen::VectorXd& r,
               const double* e_inverse, int e, bool project, double* y, double* scratch) {
  const int e_size = s.e_blocks[e].size;
  Eigen::Matrix<double, E, 1> u = Eigen::Matrix<double, E, 1>::Zero(e_size);
  const int begin = s.chunk_starts[e];
  const int end = s.chunk_starts[e + 1];
  double* t_rows = scratch;
  for (int k = begin; k < end; ++k) {
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[s.chunk_residual_blocks[k]];
    VectorMap<R> t(t_rows, rb.num_rows);
    f_product_or_residual<R, F>(s, values, x, r, rb, &t);
    if (project) u.noalias() += jacobian_cell<R, E>(values, rb.e_value_offset, rb, e_size).transpose() * t;
    t_rows += rb.num_rows;
  }
  Eigen::Matrix<double, E, 1> v;
  if (project) v.noalias() = ConstSquareMap<E>(e_inverse, e_size, e_size) * u;
  t_rows = scratch;
  for (int k = begin; k < end; ++k) {
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[s.chunk_residual_blocks[k]];
    VectorMap<R> w(t_rows, rb.num_rows);
    if (project) w.noalias() -= jacobian_cell<R, E>(values, rb.e_value_offset, rb, e_size) * v;
    add_f_transpose<R, F>(s, values, rb, w, y);
    t_rows += rb.num_rows;
  }
}

// The same for BAL's shapes through the packed index: every residual block
// 2 rows of kPackedStride values, one 2x3 e-cell and one 2x9 f-cell. A 9-long
// camera row is handled as two 4-wide vectors and a scalar (GCC/Clang vector
// extensions, which compile to AVX on x86-64 with it and to pairs of SSE2 or
// NEON registers without): the compiler vectorizes neither Eigen's strided
// maps nor plain loops over 9 beyond 2-wide.
constexpr int kPackedStride = 12;

using Double4 = double __attribute__((vector_size(32), aligned(8)));

inline Double4 load4(const double* p) {
  Double4 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

inline void store4(double* p, Double4 v) { __builtin_memcpy(p, &v, sizeof v); }

inline double sum4(Double4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

template <typename Cell>
void add_packed_chunk(const Cell* cells, int n, const double* values, const Eigen::VectorXd* x,
                      const Eigen::VectorXd& r, const double* e_inverse, bool project, double* y, double* scratch) {
  double u0 = 0.0, u1 = 0.0, u2 = 0.0;
  for (int k = 0; k < n; ++k) {
    const Cell& cell = cells[k];
    double t0, t1;
    if (x != nullptr) {
      const double* f0 = values + cell.f_value;
      const double* f1 = f0 + kPackedStride;
      const double* xc = x->data() + cell.f_reduced;
      const Double4 xa = load4(xc);
      const Double4 xb = load4(xc + 4);
      t0 = sum4(load4(f0) * xa + load4(f0 + 4) * xb) + f0[8] * xc[8];
      t1 = sum4(load4(f1) * xa + load4(f1 + 4) * xb) + f1[8] * xc[8];
    } else {
      t0 = r[cell.row];
      t1 = r[cell.row + 1];
    }
    scratch[2 * k] = t0;
    scratch[2 * k + 1] = t1;
    if (project) {
      const double* e0 = values + cell.e_value;
      const double* e1 = e0 + kPackedStride;
      u0 += e0[0] * t0 + e1[0] * t1;
      u1 += e0[1] * t0 + e1[1] * t1;
      u2 += e0[2] * t0 + e1[2] * t1;
    }
  }
  double v0 = 0.0, v1 = 0.0, v2 = 0.0;
  if (project) {
    const double* m = e_inverse;  // column-major 3x3
    v0 = m[0] * u0 + m[3] * u1 + m[6] * u2;
    v1 = m[1] * u0 + m[4] * u1 + m[7] * u2;
    v2 = m[2] * u0 + m[5] * u1 + m[8] * u2;
  }
  for (int k = 0; k < n; ++k) {
    const Cell& cell = cells[k];
    double w0 = scratch[2 * k];
    double w1 = scratch[2 * k + 1];
    if (project) {
      const double* e0 = values + cell.e_value;
      const double* e1 = e0 + kPackedStride;
      w0 -= e0[0] * v0 + e0[1] * v1 + e0[2] * v2;
      w1 -= e1[0] * v0 + e1[1] * v1 + e1[2] * v2;
    }
    const double* f0 = values + cell.f_value;
    const double* f1 = f0 + kPackedStride;
    double* yc = y + cell.f_reduced;
    store4(yc, load4(yc) + load4(f0) * w0 + load4(f1) * w1);
    store4(yc + 4, load4(yc + 4) + load4(f0 + 4) * w0 + load4(f1 + 4) * w1);
    yc[8] += f0[8] * w0 + f1[8] * w1;
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
  residual_block.assign(structure.f_cells.size(), -1);
  for (size_t b = 0; b < structure.residual_blocks.size(); ++b) {
    const SchurStructure::ResidualBlock& rb = structure.residual_blocks[b];
    for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) {
      residual_block[c] = static_cast<int>(b);
      slot_size += structure.f_blocks[structure.f_cells[c].block].size;
    }
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
  e_inverse_.resize(offset);
  etr_.resize(structure.num_e_coordinates);
  ftr_.resize(structure.num_f_coordinates);

  // The packed index when every chunk has BAL's shapes and layout (and
  // its offsets fit an int).
  bool packed = fixed_shapes_ && structure.num_jacobian_nonzeros < std::numeric_limits<int>::max();
  for (const SchurStructure::ResidualBlock& rb : structure.residual_blocks) {
    packed &= rb.e_block < 0 || (rb.row_stride == 12 && rb.f_cell_end - rb.f_cell_begin == 1);
  }
  packed_starts_.assign(1, 0);
  for (int e : chunk_order_) {
    int rows = 0;
    for (int k = structure.chunk_starts[e]; k < structure.chunk_starts[e + 1]; ++k) {
      const SchurStructure::ResidualBlock& rb = structure.residual_blocks[structure.chunk_residual_blocks[k]];
      rows += rb.num_rows;
      if (!packed) continue;
      const SchurStructure::Cell& f = structure.f_cells[rb.f_cell_begin];
      packed_.push_back({.e_value = static_cast<int>(rb.e_value_offset),
                         .f_value = static_cast<int>(f.value_offset),
                         .f_reduced = structure.f_blocks[f.block].reduced_offset,
                         .row = rb.row});
    }
    if (packed) packed_starts_.push_back(static_cast<int>(packed_.size()));
    max_chunk_rows_ = std::max(max_chunk_rows_, rows);
  }
  if (!packed) packed_starts_.clear();
  for (const SchurStructure::ResidualBlock& rb : structure.residual_blocks) {
    max_chunk_rows_ = std::max(max_chunk_rows_, rb.num_rows);
  }

  // Groups: as many as the observations pay for (the copies of y together
  // take no more memory than one f-block vector per observation), at most
  // kMaxGroups, with about equal numbers of f-cells.
  const int num_tasks = num_e + static_cast<int>(structure.f_only_residual_blocks.size());
  auto task_cells = [&](int t) {
    const auto cells = [&](int b) {
      return structure.residual_blocks[b].f_cell_end - structure.residual_blocks[b].f_cell_begin;
    };
    if (t >= num_e) return cells(structure.f_only_residual_blocks[t - num_e]);
    int n = 0;
    const int e = chunk_order_[t];
    for (int k = structure.chunk_starts[e]; k < structure.chunk_starts[e + 1]; ++k) {
      n += cells(structure.chunk_residual_blocks[k]);
    }
    return n;
  };
  const long by_memory = structure.num_f_coordinates > 0 ? incidence_.slot_size / structure.num_f_coordinates : 1;
  const int num_groups = static_cast<int>(std::clamp<long>(std::min<long>(by_memory, num_tasks), 1, kMaxGroups));
  const long total_cells = static_cast<long>(structure.f_cells.size());
  group_starts_.assign(1, 0);
  long cells_so_far = 0;
  for (int t = 0; t < num_tasks; ++t) {
    cells_so_far += task_cells(t);
    const int group = static_cast<int>(group_starts_.size()) - 1;
    if (group + 1 < num_groups && cells_so_far * num_groups >= total_cells * (group + 1)) {
      group_starts_.push_back(t + 1);
    }
  }
  while (static_cast<int>(group_starts_.size()) <= num_groups) group_starts_.push_back(num_tasks);
  partials_.resize(static_cast<size_t>(num_groups) * structure.num_f_coordinates);
  scratches_.assign(pool.num_threads(), std::vector<double>(max_chunk_rows_));
  e_products_.assign(pool.num_threads(),
                     std::vector<double>(structure.max_e_block_size * (structure.max_e_block_size + 1)));
}

void ImplicitSchurComplement::set_jacobian(const SparseRowMatrix& jacobian, const Eigen::VectorXd& residuals) {
  values_ = jacobian.valuePtr();
  residuals_ = &residuals;
  const int num_e = static_cast<int>(structure_.e_blocks.size());
  pool_.parallel_for(num_e, [&](int thread, int begin, int end) {
    for (int k = begin; k < end; ++k) {
      const int e = chunk_order_[k];
      double* ete = e_products_[thread].data();  // wanted again only with the damping
      double* etr = etr_.data() + structure_.e_blocks[e].reduced_offset;
      if (fixed_shapes_) {
        chunk_products<2, 3>(structure_, values_, residuals, e, ete, etr);
      } else {
        chunk_products<kDyn, kDyn>(structure_, values_, residuals, e, ete, etr);
      }
    }
  });
  accumulate(nullptr, false, &ftr_);
  gradient_norm_ = std::sqrt(etr_.squaredNorm() + ftr_.squaredNorm());
}

std::string ImplicitSchurComplement::set_damping(const Eigen::VectorXd& d) {
  damping_ = &d;
  const int num_e = static_cast<int>(structure_.e_blocks.size());
  std::vector<char> failed(num_e, 0);
  const Eigen::VectorXd& r = *residuals_;
  pool_.parallel_for(num_e, [&](int thread, int begin, int end) {
    for (int k = begin; k < end; ++k) {
      const int e = chunk_order_[k];
      const SchurStructure::Block& eb = structure_.e_blocks[e];
      // E^T E again from J rather than kept from set_jacobian(): a pass
      // over the e-cells per solve is cheap next to the CG iterations, and
      // it saves e_size^2 doubles per e-block.
      double* ete = e_products_[thread].data();
      double* etr = ete + eb.size * eb.size;  // not needed here
      if (fixed_shapes_) {
        chunk_products<2, 3>(structure_, values_, r, e, ete, etr);
      } else {
        chunk_products<kDyn, kDyn>(structure_, values_, r, e, ete, etr);
      }
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

void ImplicitSchurComplement::add_task(int task, const Eigen::VectorXd* x, bool project, double* y_group,
                                       double* scratch) const {
  const int num_e = static_cast<int>(structure_.e_blocks.size());
  const Eigen::VectorXd& r = *residuals_;
  if (task >= num_e) {
    const SchurStructure::ResidualBlock& rb =
        structure_.residual_blocks[structure_.f_only_residual_blocks[task - num_e]];
    VectorMap<kDyn> t(scratch, rb.num_rows);
    f_product_or_residual<kDyn, kDyn>(structure_, values_, x, r, rb, &t);
    add_f_transpose<kDyn, kDyn>(structure_, values_, rb, t, y_group);
    return;
  }
  const int e = chunk_order_[task];
  if (!packed_starts_.empty()) {
    const int begin = packed_starts_[task];
    add_packed_chunk(packed_.data() + begin, packed_starts_[task + 1] - begin, values_, x, r, e_inverse(e), project,
                     y_group, scratch);
  } else {
    add_chunk<kDyn, kDyn, kDyn>(structure_, values_, x, r, e_inverse(e), e, project, y_group, scratch);
  }
}

void ImplicitSchurComplement::accumulate(const Eigen::VectorXd* x, bool project, Eigen::VectorXd* y) {
  const long n = structure_.num_f_coordinates;
  const int num_groups = static_cast<int>(group_starts_.size()) - 1;
  pool_.parallel_for(num_groups, [&](int thread, int begin, int end) {
    for (int g = begin; g < end; ++g) {
      double* partial = partials_.data() + g * n;
      std::fill(partial, partial + n, 0.0);
      for (int task = group_starts_[g]; task < group_starts_[g + 1]; ++task) {
        add_task(task, x, project, partial, scratches_[thread].data());
      }
    }
  });
  y->resize(n);
  *y = Eigen::Map<const Eigen::VectorXd>(partials_.data(), n);
  for (int g = 1; g < num_groups; ++g) *y += Eigen::Map<const Eigen::VectorXd>(partials_.data() + g * n, n);
  if (x != nullptr) {
    for (const SchurStructure::Block& f : structure_.f_blocks) {
      y->segment(f.reduced_offset, f.size).array() +=
          damping_->segment(f.column, f.size).array().square() * x->segment(f.reduced_offset, f.size).array();
    }
  }
}

void ImplicitSchurComplement::multiply(const Eigen::VectorXd& x, Eigen::VectorXd* y) { accumulate(&x, true, y); }

void ImplicitSchurComplement::right_hand_side(Eigen::VectorXd* b) {
  accumulate(nullptr, true, b);
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
