#include "schur/schur_complement.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "curvature/error.h"
#include "jacobian_products.h"

namespace curvature::internal {

// The per-shape loops; FixedKernels<kR, kF, kE> with the shape's sizes or
// Eigen::Dynamic. S's blocks are stored column major.
struct SchurComplementSolver::Kernels {
  virtual ~Kernels() = default;
  // L (M = L L^T) and L^-1 E^T r of chunks [begin, end), for a problem
  // without f-blocks (otherwise eliminate() computes them).
  virtual void factor_chunks(SchurComplementSolver& s, const Eigen::VectorXd& d, int begin, int end) const = 0;
  // The S blocks and right-hand-side blocks of f-block rows [begin, end):
  // D^2, the residual blocks without an e-block, then every chunk's
  // contributions in chunk order (and L, L^-1 E^T r of the chunks whose
  // smallest f-block is in range).
  virtual void eliminate(SchurComplementSolver& s, const Eigen::VectorXd& d, int begin, int end) const = 0;
  // dy of chunks [begin, end) into dx, and their residual blocks' rows of
  // J dx into jacobian_step_.
  virtual void back_substitute(SchurComplementSolver& s, Eigen::VectorXd* dx, int begin, int end) const = 0;
  // The rows of J dx of the residual blocks that read no e-block (F dz).
  virtual void f_only_jacobian_step(SchurComplementSolver& s) const = 0;
  // Entries per S block of block_tails_ (0: not used).
  virtual int tail_entries() const = 0;
};

template <int kR, int kF, int kE>
struct SchurComplementSolver::FixedKernels final : SchurComplementSolver::Kernels {
  using Stride = Eigen::OuterStride<>;
  template <int kCols>
  using RowsMap = Eigen::Map<const Eigen::Matrix<double, kR, kCols, Eigen::RowMajor>, 0, Stride>;
  template <int kRows, int kCols>
  using BlockMap = Eigen::Map<Eigen::Matrix<double, kRows, kCols, Eigen::RowMajor>>;
  template <int kRows, int kCols>
  using ConstBlockMap = Eigen::Map<const Eigen::Matrix<double, kRows, kCols, Eigen::RowMajor>>;
  template <int kRows, int kCols>
  using ColumnMajorMap = Eigen::Map<Eigen::Matrix<double, kRows, kCols>>;
  using EVector = Eigen::Matrix<double, kE, 1>;
  using FVector = Eigen::Matrix<double, kF, 1>;

  // Every size known at compile time: the hot loops are written out. An
  // f-block's kF rows split into a head of whole 4-double vectors and a
  // tail (9 = 8 + 1 for a BAL camera), so that column operations on an
  // f x f block run as whole-vector operations on the head.
  static constexpr bool kFixed = kR != Eigen::Dynamic && kF != Eigen::Dynamic && kE != Eigen::Dynamic;
  static constexpr int kHead = kFixed ? kF / 4 * 4 : 0;
  static constexpr int kTail = kFixed ? kF - kHead : 0;         // rows past the head
  static constexpr int kTailEntries = kFixed ? kTail * kF : 0;  // per S block in block_tails_
  int tail_entries() const override { return kTailEntries; }

  const int fe, ee, me;  // storage strides: max f x max e, max e x max e, max e

  explicit FixedKernels(const SchurStructure& st)
      : fe(st.max_f_block_size * st.max_e_block_size),
        ee(st.max_e_block_size * st.max_e_block_size),
        me(st.max_e_block_size) {}

  static RowsMap<kE> e_rows(const SchurComplementSolver& s, const SchurStructure::ResidualBlock& rb, int e_size) {
    return RowsMap<kE>(s.values_ + rb.e_value_offset, rb.num_rows, e_size, Stride(rb.row_stride));
  }
  static RowsMap<kF> f_rows(const SchurComplementSolver& s, const SchurStructure::ResidualBlock& rb,
                            const SchurStructure::Cell& cell, int f_size) {
    return RowsMap<kF>(s.values_ + cell.value_offset, rb.num_rows, f_size, Stride(rb.row_stride));
  }
  static Eigen::Map<const Eigen::Matrix<double, kR, 1>> r_rows(const SchurComplementSolver& s,
                                                               const SchurStructure::ResidualBlock& rb) {
    return Eigen::Map<const Eigen::Matrix<double, kR, 1>>(s.residuals_ + rb.row, rb.num_rows);
  }

  // S_ab += F_i^T F_j of one residual block's cells i and j (S_ab column
  // major at `out`).
  static void add_ftf(SchurComplementSolver& s, const SchurStructure::ResidualBlock& rb, int i, int j, double* out) {
    const SchurStructure& st = *s.structure_;
    if constexpr (kFixed) {
      // Column c of F_i^T F_j is sum_t F_j(t, c) F_i(t, :)^T.
      using FRow = Eigen::Map<const FVector>;
      ColumnMajorMap<kF, kF> block(out);
      const double* fi = s.values_ + st.f_cells[i].value_offset;
      const double* fj = s.values_ + st.f_cells[j].value_offset;
      for (int c = 0; c < kF; ++c) {
        FVector column = fj[c] * FRow(fi);
        for (int t = 1; t < kR; ++t) column += fj[t * rb.row_stride + c] * FRow(fi + t * rb.row_stride);
        block.col(c) += column;
      }
    } else {
      const int fa = st.f_blocks[st.f_cells[i].block].size, fb = st.f_blocks[st.f_cells[j].block].size;
      ColumnMajorMap<kF, kF>(out, fa, fb).noalias() +=
          f_rows(s, rb, st.f_cells[i], fa).transpose().lazyProduct(f_rows(s, rb, st.f_cells[j], fb));
    }
  }

  // rhs_a -= F_k^T r of one residual block's cell k (f-block a).
  static void subtract_ftr(SchurComplementSolver& s, const SchurStructure::ResidualBlock& rb, int k) {
    const SchurStructure& st = *s.structure_;
    const SchurStructure::Block& block = st.f_blocks[st.f_cells[k].block];
    Eigen::Map<FVector>(s.rhs_.data() + block.reduced_offset, block.size).noalias() -=
        f_rows(s, rb, st.f_cells[k], block.size).transpose().lazyProduct(r_rows(s, rb));
  }

  // L L^T = M + shift I, M given by its off-diagonal entries in `m` (n x n,
  // row major) and its diagonal apart: L's strict lower triangle into `l`
  // (row major), the inverse of L's diagonal on l's diagonal. False when
  // M + shift I is not positive definite (a pivot <= 0), as Eigen's LLT.
  static bool factor_small(const double* m, const double* m_diagonal, double shift, int n, double* l) {
    const int size = kE == Eigen::Dynamic ? n : kE;
    for (int j = 0; j < size; ++j) {
      double pivot = m_diagonal[j] + shift;
      for (int k = 0; k < j; ++k) pivot -= l[j * size + k] * l[j * size + k];
      if (pivot <= 0.0) return false;
      const double inverse = 1.0 / std::sqrt(pivot);
      l[j * size + j] = inverse;
      for (int i = j + 1; i < size; ++i) {
        double sum = m[i * size + j];
        for (int k = 0; k < j; ++k) sum -= l[i * size + k] * l[j * size + k];
        l[i * size + j] = sum * inverse;
      }
    }
    return true;
  }

  // v <- L^-1 v and v <- L^-T v with factor_small's L.
  static void forward_substitute(const double* l, int n, double* v) {
    const int size = kE == Eigen::Dynamic ? n : kE;
    for (int x = 0; x < size; ++x) {
      double sum = v[x];
      for (int z = 0; z < x; ++z) sum -= l[x * size + z] * v[z];
      v[x] = sum * l[x * size + x];
    }
  }
  static void backward_substitute(const double* l, int n, double* v) {
    const int size = kE == Eigen::Dynamic ? n : kE;
    for (int x = size - 1; x >= 0; --x) {
      double sum = v[x];
      for (int z = x + 1; z < size; ++z) sum -= l[z * size + x] * v[z];
      v[x] = sum * l[x * size + x];
    }
  }

  // M = E^T E + D^2 of chunk c from the Jacobian's rows, factored: L into
  // `l`, L^-1 E^T r into `y` (factor_small's layout). Returns whether M had
  // to be regularized.
  static bool factor_chunk(const SchurComplementSolver& s, const Eigen::VectorXd& d, int c, double* l, double* y) {
    const SchurStructure& st = *s.structure_;
    const SchurStructure::Block& block = st.e_blocks[c];
    const int e_size = block.size;
    Eigen::Matrix<double, kE, kE, Eigen::RowMajor> m(e_size, e_size);
    Eigen::Map<EVector> etr(y, e_size);
    if constexpr (kFixed) {
      double a[kE * kE] = {}, b[kE] = {};
      for (int i = st.chunk_starts[c]; i < st.chunk_starts[c + 1]; ++i) {
        const SchurStructure::ResidualBlock& rb = st.residual_blocks[st.chunk_residual_blocks[i]];
        for (int t = 0; t < kR; ++t) {
          const double* e = s.values_ + rb.e_value_offset + static_cast<long>(t) * rb.row_stride;
          const double r = s.residuals_[rb.row + t];
          for (int x = 0; x < kE; ++x) {
            b[x] += e[x] * r;
            for (int z = 0; z < kE; ++z) a[x * kE + z] += e[x] * e[z];
          }
        }
      }
      std::copy_n(a, kE * kE, m.data());
      std::copy_n(b, kE, y);
    } else {
      m.setZero();
      etr.setZero();
      for (int i = st.chunk_starts[c]; i < st.chunk_starts[c + 1]; ++i) {
        const SchurStructure::ResidualBlock& rb = st.residual_blocks[st.chunk_residual_blocks[i]];
        const auto e = e_rows(s, rb, e_size);
        m.noalias() += e.transpose().lazyProduct(e);
        etr.noalias() += e.transpose().lazyProduct(r_rows(s, rb));
      }
    }
    EVector m_diagonal(e_size);
    const double* dd = d.data() + block.column;
    for (int x = 0; x < e_size; ++x) m_diagonal[x] = m(x, x) + dd[x] * dd[x];
    bool regularized = false;
    if (!factor_small(m.data(), m_diagonal.data(), 0.0, e_size, l)) {
      regularized = true;
      double largest = 1.0;
      for (int x = 0; x < e_size; ++x) largest = std::max(largest, m_diagonal[x]);
      if (!factor_small(m.data(), m_diagonal.data(), kRegularization * largest, e_size, l)) {
        std::fill_n(l, e_size * e_size, std::numeric_limits<double>::quiet_NaN());  // the step: not finite
      }
    }
    forward_substitute(l, e_size, y);
    return regularized;
  }

  void factor_chunks(SchurComplementSolver& s, const Eigen::VectorXd& d, int begin, int end) const override {
    for (int c = begin; c < end; ++c) {
      s.chunk_regularized_[c] = factor_chunk(s, d, c, s.chunk_l_.data() + static_cast<size_t>(c) * ee,
                                             s.l_inverse_etr_.data() + static_cast<size_t>(c) * me);
    }
  }

  // fn(cell, residual block) for chunk c's f-cells in row order.
  template <typename Fn>
  static void for_each_cell(const SchurStructure& st, int c, Fn&& fn) {
    for (int i = st.chunk_starts[c]; i < st.chunk_starts[c + 1]; ++i) {
      const SchurStructure::ResidualBlock& rb = st.residual_blocks[st.chunk_residual_blocks[i]];
      for (int k = rb.f_cell_begin; k < rb.f_cell_end; ++k) fn(k, rb);
    }
  }

  // G = L^-1 E^T F of one f-cell (e x f, row major) into `g`, from the
  // Jacobian's rows, so that W M^-1 W^T = G^T G.
  static void form_g(const SchurComplementSolver& s, const SchurStructure::ResidualBlock& rb,
                     const SchurStructure::Cell& cell, const double* l, int e_size, int f_size, double* g) {
    if constexpr (kFixed) {
      // G's rows are the columns of G^T = F^T E L^-T, each a combination of
      // the Jacobian's f-rows.
      using FRow = Eigen::Map<const FVector>;
      ColumnMajorMap<kF, kE> g_t(g);
      const double* e = s.values_ + rb.e_value_offset;
      const double* f = s.values_ + cell.value_offset;
      for (int x = 0; x < kE; ++x) {
        FVector column = e[x] * FRow(f);
        for (int t = 1; t < kR; ++t) column += e[t * rb.row_stride + x] * FRow(f + t * rb.row_stride);
        for (int y = 0; y < x; ++y) column -= l[x * kE + y] * g_t.col(y);
        g_t.col(x) = column * l[x * kE + x];
      }
    } else {
      BlockMap<kE, kF> out(g, e_size, f_size);
      out.noalias() = e_rows(s, rb, e_size).transpose().lazyProduct(f_rows(s, rb, cell, f_size));
      for (int x = 0; x < e_size; ++x) {
        for (int y = 0; y < x; ++y) out.row(x) -= l[x * e_size + y] * out.row(y);
        out.row(x) *= l[x * e_size + x];
      }
    }
  }

  // S_ab -= G_i^T G_j, S_ab column major; with fixed sizes the rows past
  // the head go to the block's running sums in block_tails_ (`tail`).
  static void subtract_product(const double* gi, const double* gj, int e_size, int fa, int fb, double* out,
                               double* tail) {
    if constexpr (kFixed) {
      const Eigen::Map<const Eigen::Matrix<double, kF, kE>> gi_t(gi);  // G_i's storage read column major
      const ConstBlockMap<kE, kF> gj_map(gj);
      ColumnMajorMap<kF, kF> block(out);
      block.template topRows<kHead>().noalias() -= gi_t.template topRows<kHead>().lazyProduct(gj_map);
      // A tail row is one contiguous combination of G_j's rows (whole
      // vectors), not kF dot products of kE.
      for (int r = kHead; r < kF; ++r) {
        Eigen::Map<Eigen::Matrix<double, 1, kF>> sums(tail + (r - kHead) * kF);
        for (int k = 0; k < kE; ++k) sums -= gi[k * kF + r] * gj_map.row(k);
      }
    } else {
      ColumnMajorMap<kF, kF>(out, fa, fb).noalias() -=
          ConstBlockMap<kE, kF>(gi, e_size, fa).transpose().lazyProduct(ConstBlockMap<kE, kF>(gj, e_size, fb));
    }
  }

  void eliminate(SchurComplementSolver& s, const Eigen::VectorXd& d, int begin, int end) const override {
    const SchurStructure& st = *s.structure_;
    if (begin >= end) return;
    const int num_f = static_cast<int>(st.f_blocks.size());
    // The rows' blocks start from D^2, their right-hand sides from zero.
    for (long k = s.row_block_starts_[begin]; k < s.row_block_starts_[end]; ++k) {
      double* out = s.s_blocks_.data() + s.block_offsets_[k];
      std::fill_n(out, s.block_offsets_[k + 1] - s.block_offsets_[k], 0.0);
      if (s.block_row_[k] == s.block_col_[k]) {
        const SchurStructure::Block& block = st.f_blocks[s.block_row_[k]];
        const double* dd = d.data() + block.column;
        for (int x = 0; x < block.size; ++x) out[x * block.size + x] = dd[x] * dd[x];
      }
      if constexpr (kTail > 0)
        std::fill_n(s.block_tails_.data() + static_cast<size_t>(k) * kTailEntries, kTailEntries, 0.0);
    }
    const int first = st.f_blocks[begin].reduced_offset;
    const int last = end < num_f ? st.f_blocks[end].reduced_offset : st.num_f_coordinates;
    s.rhs_.segment(first, last - first).setZero();
    // Residual blocks without an e-block: F^T F and -F^T r alone.
    for (int b : st.f_only_residual_blocks) {
      const SchurStructure::ResidualBlock& rb = st.residual_blocks[b];
      for (int i = rb.f_cell_begin; i < rb.f_cell_end; ++i) {
        const int a = st.f_cells[i].block;
        if (a < begin || a >= end) continue;
        subtract_ftr(s, rb, i);
        for (int j = rb.f_cell_begin; j < rb.f_cell_end; ++j) {
          if (a <= st.f_cells[j].block) {
            add_ftf(s, rb, i, j, s.s_blocks_.data() + s.block_offsets_[s.find_block(a, st.f_cells[j].block)]);
          }
        }
      }
    }
    // Each chunk whose cells read these rows: M's factor, G of its cells
    // that some pair of these rows reads (those of f-blocks >= begin), then
    // the pairs whose row block is in range. Its owner (the range holding
    // its smallest f-block) keeps L and L^-1 E^T r for back-substitution.
    // A chunk's cells in row order: the cell, its f-block and its residual block.
    struct ChunkCell {
      int cell;
      int block;
      const SchurStructure::ResidualBlock* residual_block;
    };
    std::vector<ChunkCell> cells;
    std::vector<double> g, l(ee), y(me);
    const int num_chunks = static_cast<int>(st.e_blocks.size());
    for (int c = 0; c < num_chunks; ++c) {
      const int owner = std::min(s.chunk_min_block_[c], num_f - 1);
      const bool owned = owner >= begin && owner < end;
      if (!owned && (s.chunk_min_block_[c] >= end || s.chunk_max_block_[c] < begin)) continue;
      const int num_cells = s.chunk_num_cells_[c];
      const int e_size = st.e_blocks[c].size;
      if (g.size() < static_cast<size_t>(num_cells) * fe) g.resize(static_cast<size_t>(num_cells) * fe);
      const bool regularized = factor_chunk(s, d, c, l.data(), y.data());
      if (owned) {
        std::copy_n(l.data(), e_size * e_size, s.chunk_l_.data() + static_cast<size_t>(c) * ee);
        std::copy_n(y.data(), e_size, s.l_inverse_etr_.data() + static_cast<size_t>(c) * me);
        s.chunk_regularized_[c] = regularized;
      }
      cells.clear();
      for_each_cell(st, c, [&](int k, const SchurStructure::ResidualBlock& rb) {
        const SchurStructure::Cell& cell = st.f_cells[k];
        double* gx = g.data() + cells.size() * fe;
        cells.push_back({k, cell.block, &rb});
        if (cell.block < begin) return;
        const int f_size = st.f_blocks[cell.block].size;
        form_g(s, rb, cell, l.data(), e_size, f_size, gx);
        if (cell.block < end) {
          // The right-hand side is -(F^T r - W M^-1 E^T r) = -F^T r + G^T L^-1 E^T r.
          subtract_ftr(s, rb, k);
          const SchurStructure::Block& block = st.f_blocks[cell.block];
          s.rhs_.segment(block.reduced_offset, f_size).noalias() +=
              ConstBlockMap<kE, kF>(gx, e_size, f_size)
                  .transpose()
                  .lazyProduct(Eigen::Map<const EVector>(y.data(), e_size));
        }
      });
      // The pairs (x, y) with block(x) <= block(y), in the order
      // chunk_pair_blocks_ lists them, by plain loops over the cells (nested
      // per-cell callbacks kept every counter in memory: on a BAL scene the
      // bookkeeping took as long as the products).
      const int* pair_blocks = s.chunk_pair_blocks_.data() + s.chunk_pair_starts_[c];
      const int n = static_cast<int>(cells.size());
      for (int x = 0; x < n; ++x) {
        const int a = cells[x].block;
        if (a < begin || a >= end) {
          for (int z = 0; z < n; ++z) pair_blocks += a <= cells[z].block ? 1 : 0;
          continue;
        }
        const double* gx = g.data() + static_cast<size_t>(x) * fe;
        for (int z = 0; z < n; ++z) {
          const int b = cells[z].block;
          if (a > b) continue;
          const int k = *pair_blocks++;
          double* out = s.s_blocks_.data() + s.block_offsets_[k];
          if (cells[x].residual_block == cells[z].residual_block) {
            add_ftf(s, *cells[x].residual_block, cells[x].cell, cells[z].cell, out);  // F^T F: one residual block
          }
          subtract_product(gx, g.data() + static_cast<size_t>(z) * fe, e_size, st.f_blocks[a].size, st.f_blocks[b].size,
                           out, s.block_tails_.data() + static_cast<size_t>(k) * kTailEntries);
        }
      }
    }
    if constexpr (kTail > 0) {
      for (long k = s.row_block_starts_[begin]; k < s.row_block_starts_[end]; ++k) {
        double* out = s.s_blocks_.data() + s.block_offsets_[k];
        const double* tail = s.block_tails_.data() + static_cast<size_t>(k) * kTailEntries;
        for (int r = kHead; r < kF; ++r) {
          for (int c = 0; c < kF; ++c) out[c * kF + r] += tail[(r - kHead) * kF + c];
        }
      }
    }
  }

  // F dz of one residual block's rows into `v` (its rows of J h).
  static void f_times_dz(const SchurComplementSolver& s, const SchurStructure::ResidualBlock& rb, double* v) {
    const SchurStructure& st = *s.structure_;
    Eigen::Map<Eigen::Matrix<double, kR, 1>> out(v, rb.num_rows);
    out.setZero();
    for (int k = rb.f_cell_begin; k < rb.f_cell_end; ++k) {
      const SchurStructure::Block& f = st.f_blocks[st.f_cells[k].block];
      if constexpr (kFixed) {
        const Eigen::Map<const FVector> z(s.dz_.data() + f.reduced_offset);
        const double* rows = s.values_ + st.f_cells[k].value_offset;
        for (int t = 0; t < kR; ++t) out[t] += Eigen::Map<const FVector>(rows + t * rb.row_stride).dot(z);
      } else {
        out.noalias() += f_rows(s, rb, st.f_cells[k], f.size).lazyProduct(s.dz_.segment(f.reduced_offset, f.size));
      }
    }
  }

  void back_substitute(SchurComplementSolver& s, Eigen::VectorXd* dx, int begin, int end) const override {
    const SchurStructure& st = *s.structure_;
    EVector u(st.max_e_block_size);
    double* jh = s.jacobian_step_.data();
    for (int c = begin; c < end; ++c) {
      const SchurStructure::Block& block = st.e_blocks[c];
      // The sizes as constants where the shape fixes them: the loops below
      // then unroll (with run-time bounds they took 30 ns per observation).
      const int e_size = kE == Eigen::Dynamic ? block.size : kE;
      // dy = -M^-1 (E^T r + E^T F dz) = -L^-T (L^-1 E^T r + L^-1 E^T (F dz)),
      // F dz formed per residual block from the Jacobian's rows, into its
      // rows of J h.
      for (int x = 0; x < e_size; ++x) u[x] = 0.0;
      for (int i = st.chunk_starts[c]; i < st.chunk_starts[c + 1]; ++i) {
        const SchurStructure::ResidualBlock& rb = st.residual_blocks[st.chunk_residual_blocks[i]];
        double* v = jh + rb.row;
        f_times_dz(s, rb, v);
        const double* e = s.values_ + rb.e_value_offset;
        const int rows = kR == Eigen::Dynamic ? rb.num_rows : kR;
        for (int t = 0; t < rows; ++t) {
          for (int x = 0; x < e_size; ++x) u[x] += e[t * rb.row_stride + x] * v[t];
        }
      }
      const double* l = s.chunk_l_.data() + static_cast<size_t>(c) * ee;
      forward_substitute(l, e_size, u.data());
      const double* y = s.l_inverse_etr_.data() + static_cast<size_t>(c) * me;
      for (int x = 0; x < e_size; ++x) u[x] += y[x];
      backward_substitute(l, e_size, u.data());
      for (int x = 0; x < e_size; ++x) u[x] = -u[x];
      for (int x = 0; x < e_size; ++x) (*dx)[block.column + x] = u[x];
      // J h = F dz + E dy, the chunk's rows still in cache.
      for (int i = st.chunk_starts[c]; i < st.chunk_starts[c + 1]; ++i) {
        const SchurStructure::ResidualBlock& rb = st.residual_blocks[st.chunk_residual_blocks[i]];
        const double* e = s.values_ + rb.e_value_offset;
        const int rows = kR == Eigen::Dynamic ? rb.num_rows : kR;
        for (int t = 0; t < rows; ++t) {
          double sum = 0.0;
          for (int x = 0; x < e_size; ++x) sum += e[t * rb.row_stride + x] * u[x];
          jh[rb.row + t] += sum;
        }
      }
    }
  }

  void f_only_jacobian_step(SchurComplementSolver& s) const override {
    const SchurStructure& st = *s.structure_;
    for (int b : st.f_only_residual_blocks) {
      const SchurStructure::ResidualBlock& rb = st.residual_blocks[b];
      f_times_dz(s, rb, s.jacobian_step_.data() + rb.row);
    }
  }
};

namespace {

// Whether every block on one side has `size` coordinates.
bool all_of_size(const std::vector<SchurStructure::Block>& blocks, int size) {
  return std::all_of(blocks.begin(), blocks.end(), [&](const SchurStructure::Block& b) { return b.size == size; });
}

}  // namespace

SchurComplementSolver::SchurComplementSolver(LinearSolverType type, std::shared_ptr<const SchurStructure> structure,
                                             int num_threads)
    : type_(type), structure_(std::move(structure)), pool_(num_threads) {
  if (type_ != LinearSolverType::kDenseSchur && type_ != LinearSolverType::kSparseSchur) {
    throw Error(std::string("SchurComplementSolver: ") + to_string(type_) + " is not an explicit Schur solver");
  }
  if (!structure_) throw Error(std::string(to_string(type_)) + ": the problem's Schur structure is missing");
  const SchurStructure& st = *structure_;
  const bool two_rows = std::all_of(st.residual_blocks.begin(), st.residual_blocks.end(),
                                    [](const SchurStructure::ResidualBlock& rb) { return rb.num_rows == 2; });
  if (two_rows && all_of_size(st.f_blocks, 9) && all_of_size(st.e_blocks, 3)) {
    kernels_ = std::make_unique<FixedKernels<2, 9, 3>>(st);  // BAL: 2 residuals, camera 9, point 3
  } else {
    kernels_ = std::make_unique<FixedKernels<Eigen::Dynamic, Eigen::Dynamic, Eigen::Dynamic>>(st);
  }
  build_block_pattern();
  block_tails_.assign(block_row_.size() * static_cast<size_t>(kernels_->tail_entries()), 0.0);
  if (type_ == LinearSolverType::kSparseSchur) build_sparse_pattern();
}

SchurComplementSolver::~SchurComplementSolver() = default;

void SchurComplementSolver::build_block_pattern() {
  const SchurStructure& st = *structure_;
  const int num_chunks = static_cast<int>(st.e_blocks.size());
  const int num_f = static_cast<int>(st.f_blocks.size());
  std::vector<int> cells, cell_residual_blocks;
  chunk_min_block_.assign(num_chunks, num_f);
  chunk_max_block_.assign(num_chunks, -1);
  chunk_num_cells_.assign(num_chunks, 0);
  for (int c = 0; c < num_chunks; ++c) {
    chunk_cells(c, &cells, &cell_residual_blocks);
    chunk_num_cells_[c] = static_cast<int>(cells.size());
    for (int k : cells) {
      chunk_min_block_[c] = std::min(chunk_min_block_[c], st.f_cells[k].block);
      chunk_max_block_[c] = std::max(chunk_max_block_[c], st.f_cells[k].block);
    }
  }

  // Each chunk's ordered pairs of cells (x, y) with block(x) <= block(y), in
  // the order eliminate() visits them: they give the block (block(x),
  // block(y)) the contribution -G_x^T G_y. With F^T F's pairs (both cells
  // in one residual block) and the diagonal (D_f^2 lands there even when
  // nothing else does), they make S's blocks.
  auto for_each_chunk_pair = [&](int c, auto&& fn) {
    chunk_cells(c, &cells, &cell_residual_blocks);
    const int n = static_cast<int>(cells.size());
    for (int x = 0; x < n; ++x) {
      for (int y = 0; y < n; ++y) {
        const int a = st.f_cells[cells[x]].block, b = st.f_cells[cells[y]].block;
        if (a <= b) fn(a, b);
      }
    }
  };
  auto for_each_ftf_pair = [&](const SchurStructure::ResidualBlock& rb, auto&& fn) {
    for (int x = rb.f_cell_begin; x < rb.f_cell_end; ++x) {
      for (int y = rb.f_cell_begin; y < rb.f_cell_end; ++y) {
        const int a = st.f_cells[x].block, b = st.f_cells[y].block;
        if (a <= b) fn(x, y, a, b);
      }
    }
  };
  // Most pairs repeat (two cameras see many points together), so the list
  // is made unique whenever it has doubled: it never holds much more than
  // twice S's blocks.
  std::vector<std::pair<int, int>> blocks;
  size_t compact_at = 1 << 16;
  auto add_block = [&](int a, int b) {
    blocks.emplace_back(a, b);
    if (blocks.size() < compact_at) return;
    std::sort(blocks.begin(), blocks.end());
    blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
    compact_at = std::max(compact_at, 2 * blocks.size());
  };
  for (int c = 0; c < num_chunks; ++c) for_each_chunk_pair(c, add_block);
  for (const SchurStructure::ResidualBlock& rb : st.residual_blocks) {
    for_each_ftf_pair(rb, [&](int, int, int a, int b) { add_block(a, b); });
  }
  for (int a = 0; a < num_f; ++a) add_block(a, a);
  std::sort(blocks.begin(), blocks.end());
  blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
  blocks.shrink_to_fit();
  const long num_blocks = static_cast<long>(blocks.size());
  auto block_index = [&](int a, int b) {
    return static_cast<int>(std::lower_bound(blocks.begin(), blocks.end(), std::make_pair(a, b)) - blocks.begin());
  };
  block_row_.resize(num_blocks);
  block_col_.resize(num_blocks);
  block_offsets_.resize(num_blocks + 1);
  diagonal_block_.assign(num_f, -1);
  row_block_starts_.assign(num_f + 1, 0);
  long offset = 0;
  for (long k = 0; k < num_blocks; ++k) {
    block_row_[k] = blocks[k].first;
    block_col_[k] = blocks[k].second;
    block_offsets_[k] = offset;
    offset += static_cast<long>(st.f_blocks[blocks[k].first].size) * st.f_blocks[blocks[k].second].size;
    if (blocks[k].first == blocks[k].second) diagonal_block_[blocks[k].first] = k;
    row_block_starts_[blocks[k].first + 1] = k + 1;
  }
  block_offsets_[num_blocks] = offset;
  for (int a = 0; a < num_f; ++a) row_block_starts_[a + 1] = std::max(row_block_starts_[a + 1], row_block_starts_[a]);

  // Per chunk its pairs' blocks; per row of blocks the work of eliminating
  // into it (its pairs), for the split of the rows between threads.
  chunk_pair_starts_.assign(num_chunks + 1, 0);
  chunk_pair_blocks_.clear();
  row_work_.assign(num_f, 0);
  for (int c = 0; c < num_chunks; ++c) {
    for_each_chunk_pair(c, [&](int a, int b) {
      chunk_pair_blocks_.push_back(block_index(a, b));
      ++row_work_[a];
    });
    chunk_pair_starts_[c + 1] = static_cast<long>(chunk_pair_blocks_.size());
  }
  const size_t ee = static_cast<size_t>(st.max_e_block_size) * st.max_e_block_size;
  chunk_l_.assign(num_chunks * ee, 0.0);
  l_inverse_etr_.assign(static_cast<size_t>(num_chunks) * st.max_e_block_size, 0.0);
  chunk_regularized_.assign(num_chunks, 0);
  s_blocks_.assign(offset, 0.0);
  rhs_.setZero(st.num_f_coordinates);
  dz_.setZero(st.num_f_coordinates);
}

void SchurComplementSolver::chunk_cells(int c, std::vector<int>* cells, std::vector<int>* residual_blocks) const {
  const SchurStructure& st = *structure_;
  cells->clear();
  residual_blocks->clear();
  for (int i = st.chunk_starts[c]; i < st.chunk_starts[c + 1]; ++i) {
    const int b = st.chunk_residual_blocks[i];
    for (int k = st.residual_blocks[b].f_cell_begin; k < st.residual_blocks[b].f_cell_end; ++k) {
      cells->push_back(k);
      residual_blocks->push_back(b);
    }
  }
}

long SchurComplementSolver::find_block(int a, int b) const {
  if (a == b) return diagonal_block_[a];
  const auto first = block_col_.begin() + row_block_starts_[a], last = block_col_.begin() + row_block_starts_[a + 1];
  return std::lower_bound(first, last, b) - block_col_.begin();
}

void SchurComplementSolver::build_sparse_pattern() {
  const SchurStructure& st = *structure_;
  const int n = st.num_f_coordinates;
  factorization_ = std::make_unique<SparseCholeskyFactorization>();
  analyzed_ = false;
  // S's upper triangle entry by entry: (row, column, entry of s_blocks_).
  struct Entry {
    int row, column;
    long source;
  };
  std::vector<Entry> entries;
  size_t num_entries = 0;
  for (size_t k = 0; k < block_row_.size(); ++k) {
    const long fa = st.f_blocks[block_row_[k]].size, fb = st.f_blocks[block_col_[k]].size;
    num_entries += block_row_[k] == block_col_[k] ? fa * (fa + 1) / 2 : fa * fb;
  }
  entries.reserve(num_entries);
  for (size_t k = 0; k < block_row_.size(); ++k) {
    const SchurStructure::Block& row_block = st.f_blocks[block_row_[k]];
    const SchurStructure::Block& col_block = st.f_blocks[block_col_[k]];
    for (int c = 0; c < col_block.size; ++c) {
      const int rows = block_row_[k] == block_col_[k] ? c + 1 : row_block.size;  // upper triangle only
      for (int r = 0; r < rows; ++r) {
        entries.push_back({row_block.reduced_offset + r, col_block.reduced_offset + c,
                           block_offsets_[k] + static_cast<long>(c) * row_block.size + r});
      }
    }
  }
  // Column compressed, rows sorted, from (row, column) pairs, sorted in
  // place (no second copy of the entries).
  auto compress = [&](bool lower) {
    std::sort(entries.begin(), entries.end(), [&](const Entry& x, const Entry& y) {
      return lower ? std::make_pair(x.row, x.column) < std::make_pair(y.row, y.column)
                   : std::make_pair(x.column, x.row) < std::make_pair(y.column, y.row);
    });
    sparse_outer_.assign(n + 1, 0);
    sparse_inner_.resize(entries.size());
    for (size_t p = 0; p < entries.size(); ++p) {
      ++sparse_outer_[(lower ? entries[p].row : entries[p].column) + 1];
      sparse_inner_[p] = lower ? entries[p].column : entries[p].row;
    }
    std::partial_sum(sparse_outer_.begin(), sparse_outer_.end(), sparse_outer_.begin());
  };
  // The fill-reducing ordering of S's pattern; S is then built permuted,
  // P S P^T, in the triangle the factorization reads without transposing
  // it (entry (i, j) of S at (p^-1(i), p^-1(j))), so that each
  // factorization takes the values as they are.
  compress(false);
  permutation_.clear();
  const SymmetricUpperView pattern{n, sparse_outer_.data(), sparse_inner_.data(), nullptr};
  if (const std::string failure = factorization_->fill_reducing_ordering(pattern, &permutation_); !failure.empty()) {
    permutation_.clear();  // analyze() reports it
  }
  lower_ = !permutation_.empty() && factorization_->prefers_lower_triangle();
  if (permutation_.empty()) {
    permutation_.resize(n);
    std::iota(permutation_.begin(), permutation_.end(), 0);
  }
  std::vector<int> inverse(n);
  for (int k = 0; k < n; ++k) inverse[permutation_[k]] = k;
  for (Entry& e : entries) {
    const int i = inverse[e.row], j = inverse[e.column];
    e.row = std::min(i, j);  // upper: row <= column
    e.column = std::max(i, j);
  }
  compress(lower_);  // the lower triangle column by column is the upper one row by row
  sparse_position_.assign(s_blocks_.size(), -1);
  for (size_t p = 0; p < entries.size(); ++p) sparse_position_[entries[p].source] = static_cast<int>(p);
  sparse_values_.assign(entries.size(), 0.0);
  permuted_rhs_.setZero(n);
}

LinearSolverResult SchurComplementSolver::prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  check_jacobian(name(), jacobian, residuals);
  LinearSolverResult result;
  prepared_ = false;
  has_jacobian_step_ = false;
  if (!jacobian.sparse || !pattern_check_.matches(*structure_, *jacobian.sparse)) {
    throw Error(std::string(name()) +
                ": the Jacobian is not the problem's sparse Jacobian its Schur structure was built from");
  }
  values_ = jacobian.sparse->valuePtr();
  residuals_ = residuals.data();
  prepared_ = true;
  result.success = true;
  return result;
}

LinearSolverResult SchurComplementSolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  check_damping(name(), prepared_, structure_->num_jacobian_columns, d, dx);
  has_jacobian_step_ = false;
  LinearSolverResult result;
  const SchurStructure& st = *structure_;
  const int num_chunks = static_cast<int>(st.e_blocks.size());
  if (st.f_blocks.empty()) {
    pool_.parallel_for(num_chunks, [&](int, int begin, int end) { kernels_->factor_chunks(*this, d, begin, end); });
  }
  // Each thread eliminates into a contiguous range of S's block rows, the
  // ranges of about equal work; every block sums its contributions in chunk
  // order whoever owns it.
  const int num_f_blocks = static_cast<int>(st.f_blocks.size());
  const int shares = pool_.num_threads();
  std::vector<int> row_starts(shares + 1, num_f_blocks);
  row_starts[0] = 0;
  const long total = std::accumulate(row_work_.begin(), row_work_.end(), 0L);
  long work = 0;
  for (int a = 0, share = 1; a < num_f_blocks && share < shares; ++a) {
    work += row_work_[a];
    while (share < shares && work * shares >= total * share) row_starts[share++] = a + 1;
  }
  pool_.parallel_for(shares, [&](int, int begin, int end) {
    for (int share = begin; share < end; ++share)
      kernels_->eliminate(*this, d, row_starts[share], row_starts[share + 1]);
  });
  result = factor_and_solve_reduced(&dz_);
  if (!result.success) return result;
  dx->resize(st.num_jacobian_columns);
  dx->setZero();
  for (const SchurStructure::Block& block : st.f_blocks) {
    dx->segment(block.column, block.size) = dz_.segment(block.reduced_offset, block.size);
  }
  jacobian_step_.resize(st.num_jacobian_rows);
  pool_.parallel_for(num_chunks, [&](int, int begin, int end) { kernels_->back_substitute(*this, dx, begin, end); });
  kernels_->f_only_jacobian_step(*this);
  const long regularized = std::count(chunk_regularized_.begin(), chunk_regularized_.end(), 1);
  if (regularized > 0) {
    if (!result.message.empty()) result.message += "; ";
    result.message += std::to_string(regularized) + " eliminated block(s) were singular and regularized by " +
                      to_decimal(kRegularization) + " times their largest diagonal entry";
  }
  if (!dx->allFinite()) {
    result.success = false;
    result.message = std::string(name()) + ": the step is not finite";
  }
  has_jacobian_step_ = result.success;
  return result;
}

LinearSolverResult SchurComplementSolver::factor_and_solve_reduced(Eigen::VectorXd* dz) {
  LinearSolverResult result;
  const SchurStructure& st = *structure_;
  const int n = st.num_f_coordinates;
  if (n == 0) {
    result.success = true;
    return result;
  }
  double max_diagonal = 0.0;
  for (int a = 0; a < static_cast<int>(st.f_blocks.size()); ++a) {
    const long k = diagonal_block_[a];
    const int f = st.f_blocks[a].size;
    for (int i = 0; i < f; ++i) max_diagonal = std::max(max_diagonal, s_blocks_[block_offsets_[k] + i * f + i]);
  }
  const double shift = kRegularization * std::max(max_diagonal, 1.0);
  if (type_ == LinearSolverType::kDenseSchur) {
    // S's blocks into the dense matrix, factored in place (no copy of it);
    // the matrix is zeroed first, since the factor fills in between blocks
    // and the factorization's vectorized kernels may read a NaN left
    // anywhere. A failed factorization has overwritten it: it is assembled
    // again for the regularized one.
    auto assemble = [&] {
      dense_s_.setZero(n, n);
      for (size_t k = 0; k < block_row_.size(); ++k) {
        const SchurStructure::Block& a = st.f_blocks[block_row_[k]];
        const SchurStructure::Block& b = st.f_blocks[block_col_[k]];
        dense_s_.block(a.reduced_offset, b.reduced_offset, a.size, b.size) =
            Eigen::Map<const Eigen::MatrixXd>(s_blocks_.data() + block_offsets_[k], a.size, b.size);
      }
    };
    assemble();
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>, Eigen::Upper> dense_llt(dense_s_);
    if (dense_llt.info() != Eigen::Success) {
      assemble();
      dense_s_.diagonal().array() += shift;
      dense_llt.compute(dense_s_);
      if (dense_llt.info() != Eigen::Success) {
        result.message = "dense-schur: the reduced camera system is not positive definite";
        return result;
      }
      result.message = "the reduced system was regularized by " + to_decimal(shift);
    }
    *dz = dense_llt.solve(rhs_);
    result.success = dz->allFinite();
    if (!result.success) result.message = "dense-schur: the reduced system's solution is not finite";
    return result;
  }

  for (size_t e = 0; e < sparse_position_.size(); ++e) {
    if (sparse_position_[e] >= 0) sparse_values_[sparse_position_[e]] = s_blocks_[e];
  }
  SymmetricUpperView view{n, sparse_outer_.data(), sparse_inner_.data(), sparse_values_.data()};
  view.lower = lower_;
  if (!analyzed_) {
    if (const std::string failure = factorization_->analyze(view); !failure.empty()) {
      result.message = "sparse-schur: " + failure;
      return result;
    }
    analyzed_ = true;
    ++num_symbolic_analyses_;
  }
  if (const std::string failure = factorization_->factorize(view, 0.0); !failure.empty()) {
    if (const std::string again = factorization_->factorize(view, shift); !again.empty()) {
      result.message = "sparse-schur: " + again;
      return result;
    }
    result.message = "the reduced system was regularized by " + to_decimal(shift);
  }
  for (int k = 0; k < n; ++k) permuted_rhs_[k] = rhs_[permutation_[k]];
  if (const std::string failure = factorization_->solve(permuted_rhs_, &permuted_solution_); !failure.empty()) {
    result.message = "sparse-schur: " + failure;
    return result;
  }
  dz->resize(n);
  for (int k = 0; k < n; ++k) (*dz)[permutation_[k]] = permuted_solution_[k];
  result.success = dz->allFinite();
  if (!result.success) result.message = "sparse-schur: the reduced system's solution is not finite";
  return result;
}

}  // namespace curvature::internal
