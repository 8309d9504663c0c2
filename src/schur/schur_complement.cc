#include "schur/schur_complement.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>

#include "curvature/error.h"
#include "jacobian_products.h"

namespace curvature::internal {

// The per-shape loops; FixedKernels<kR, kF, kE> with the shape's sizes or
// Eigen::Dynamic.
struct SchurComplementSolver::Kernels {
  virtual ~Kernels() = default;
  // E^T E, E^T r and W = F^T E of chunks [begin, end).
  virtual void prepare_chunks(SchurComplementSolver& s, int begin, int end) const = 0;
  // F^T F of S blocks [begin, end), from one sweep through the Jacobian.
  virtual void ftf_blocks(SchurComplementSolver& s, int begin, int end) const = 0;
  // F^T r of f-blocks [begin, end), each from its cells in increasing order,
  // from one sweep through the Jacobian.
  virtual void ftr_blocks(SchurComplementSolver& s, int begin, int end) const = 0;
  // M^-1 and M^-1 E^T r of chunks [begin, end).
  virtual void solve_chunks(SchurComplementSolver& s, const Eigen::VectorXd& d, int begin, int end) const = 0;
  // S blocks [begin, end) and right-hand-side blocks of f-blocks in the same range.
  virtual void s_blocks(SchurComplementSolver& s, const Eigen::VectorXd& d, int begin, int end) const = 0;
  virtual void rhs_blocks(SchurComplementSolver& s, int begin, int end) const = 0;
  // dy of chunks [begin, end) into dx.
  virtual void back_substitute(SchurComplementSolver& s, Eigen::VectorXd* dx, int begin, int end) const = 0;
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
  using EVector = Eigen::Matrix<double, kE, 1>;

  // Every size known at compile time: the hot loops are written out. An
  // f-block's kF rows split into a head of whole 4-double vectors and a
  // tail (9 = 8 + 1 for a BAL camera).
  static constexpr bool kFixed = kR != Eigen::Dynamic && kF != Eigen::Dynamic && kE != Eigen::Dynamic;
  static constexpr int kHead = kFixed ? kF / 4 * 4 : 0;
  static constexpr int kTail = kFixed ? kF - kHead : 0;

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

  void prepare_chunks(SchurComplementSolver& s, int begin, int end) const override {
    const SchurStructure& st = *s.structure_;
    for (int c = begin; c < end; ++c) {
      const int e_size = st.e_blocks[c].size;
      BlockMap<kE, kE> ete(s.ete_.data() + static_cast<size_t>(c) * ee, e_size, e_size);
      Eigen::Map<EVector> etr(s.etr_.data() + static_cast<size_t>(c) * me, e_size);
      if constexpr (kFixed) {
        double a[kE * kE] = {}, b[kE] = {};
        for (int i = st.chunk_starts[c]; i < st.chunk_starts[c + 1]; ++i) {
          const SchurStructure::ResidualBlock& rb = st.residual_blocks[st.chunk_residual_blocks[i]];
          for (int t = 0; t < kR; ++t) {
            const double* e = s.values_ + rb.e_value_offset + static_cast<long>(t) * rb.row_stride;
            const double r = s.residuals_[rb.row + t];
            for (int x = 0; x < kE; ++x) {
              b[x] += e[x] * r;
              for (int y = 0; y < kE; ++y) a[x * kE + y] += e[x] * e[y];
            }
          }
        }
        std::copy_n(a, kE * kE, ete.data());
        std::copy_n(b, kE, etr.data());
      } else {
        ete.setZero();
        etr.setZero();
        for (int i = st.chunk_starts[c]; i < st.chunk_starts[c + 1]; ++i) {
          const SchurStructure::ResidualBlock& rb = st.residual_blocks[st.chunk_residual_blocks[i]];
          const auto e = e_rows(s, rb, e_size);
          ete.noalias() += e.transpose().lazyProduct(e);
          etr.noalias() += e.transpose().lazyProduct(r_rows(s, rb));
        }
      }
    }
  }

  void ftf_blocks(SchurComplementSolver& s, int begin, int end) const override {
    const SchurStructure& st = *s.structure_;
    for (int k = begin; k < end; ++k) {
      if (s.ftf_offsets_[k] >= 0) {
        const long size = s.block_offsets_[k + 1] - s.block_offsets_[k];
        std::fill_n(s.ftf_.data() + s.ftf_offsets_[k], size, 0.0);
      }
    }
    // One sweep through the Jacobian in row order, each block taking the
    // pairs it owns: sequential reads, and every block sums its pairs in
    // row order whichever thread owns it.
    for (const FtfPair& pair : s.ftf_sweep_) {
      if (pair.block < begin || pair.block >= end) continue;
      const SchurStructure::ResidualBlock& rb = st.residual_blocks[s.cell_residual_block_[pair.i]];
      double* out = s.ftf_.data() + s.ftf_offsets_[pair.block];
      if constexpr (kFixed) {
        // The block's storage read column major is its transpose, whose
        // column r is sum_t F_i(t, r) F_j(t, :): whole-vector operations.
        using FRow = Eigen::Map<const Eigen::Matrix<double, kF, 1>>;
        Eigen::Map<Eigen::Matrix<double, kF, kF>> block_t(out);
        const double* fi = s.values_ + st.f_cells[pair.i].value_offset;
        const double* fj = s.values_ + st.f_cells[pair.j].value_offset;
        for (int r = 0; r < kF; ++r) {
          Eigen::Matrix<double, kF, 1> column = fi[r] * FRow(fj);
          for (int t = 1; t < kR; ++t) column += fi[t * rb.row_stride + r] * FRow(fj + t * rb.row_stride);
          block_t.col(r) += column;
        }
      } else {
        const int fa = st.f_blocks[s.block_row_[pair.block]].size, fb = st.f_blocks[s.block_col_[pair.block]].size;
        BlockMap<kF, kF>(out, fa, fb).noalias() +=
            f_rows(s, rb, st.f_cells[pair.i], fa).transpose().lazyProduct(f_rows(s, rb, st.f_cells[pair.j], fb));
      }
    }
  }

  void ftr_blocks(SchurComplementSolver& s, int begin, int end) const override {
    const SchurStructure& st = *s.structure_;
    for (int a = begin; a < end; ++a) s.ftr_.segment(st.f_blocks[a].reduced_offset, st.f_blocks[a].size).setZero();
    // One sweep through the Jacobian in row order (as for F^T F): each
    // f-block sums its cells in increasing order whichever thread owns it.
    for (int k = 0; k < static_cast<int>(st.f_cells.size()); ++k) {
      const int a = st.f_cells[k].block;
      if (a < begin || a >= end) continue;
      const SchurStructure::Block& block = st.f_blocks[a];
      const SchurStructure::ResidualBlock& rb = st.residual_blocks[s.cell_residual_block_[k]];
      Eigen::Map<Eigen::Matrix<double, kF, 1>>(s.ftr_.data() + block.reduced_offset, block.size).noalias() +=
          f_rows(s, rb, st.f_cells[k], block.size).transpose().lazyProduct(r_rows(s, rb));
    }
  }

  // G = L^-1 E^T F of one f-cell (e x f, row major) into `g`, from the
  // Jacobian's rows: the product, then forward substitution with L, whose
  // diagonal is given inverted.
  static void form_g(const SchurComplementSolver& s, const SchurStructure::ResidualBlock& rb,
                     const SchurStructure::Cell& cell, const double* l, const double* l_inverse_diagonal, int e_size,
                     int f_size, double* g) {
    if constexpr (kFixed) {
      // G's rows are the columns of G^T = F^T E L^-T, each a combination of
      // the Jacobian's f-rows: whole-vector operations on kF doubles.
      using FVector = Eigen::Matrix<double, kF, 1>;
      using FRow = Eigen::Map<const FVector>;
      Eigen::Map<Eigen::Matrix<double, kF, kE>> g_t(g);
      const double* e = s.values_ + rb.e_value_offset;
      const double* f = s.values_ + cell.value_offset;
      for (int x = 0; x < kE; ++x) {
        FVector column = e[x] * FRow(f);
        for (int t = 1; t < kR; ++t) column += e[t * rb.row_stride + x] * FRow(f + t * rb.row_stride);
        for (int y = 0; y < x; ++y) column -= l[x * kE + y] * g_t.col(y);
        g_t.col(x) = column * l_inverse_diagonal[x];
      }
    } else {
      BlockMap<kE, kF> out(g, e_size, f_size);
      out.noalias() = e_rows(s, rb, e_size).transpose().lazyProduct(f_rows(s, rb, cell, f_size));
      for (int x = 0; x < e_size; ++x) {
        for (int y = 0; y < x; ++y) out.row(x) -= l[x * e_size + y] * out.row(y);
        out.row(x) *= l_inverse_diagonal[x];
      }
    }
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
      const double diagonal = std::sqrt(pivot);
      const double inverse = 1.0 / diagonal;
      l[j * size + j] = inverse;
      for (int i = j + 1; i < size; ++i) {
        double sum = m[i * size + j];
        for (int k = 0; k < j; ++k) sum -= l[i * size + k] * l[j * size + k];
        l[i * size + j] = sum * inverse;
      }
    }
    return true;
  }

  void solve_chunks(SchurComplementSolver& s, const Eigen::VectorXd& d, int begin, int end) const override {
    const SchurStructure& st = *s.structure_;
    for (int c = begin; c < end; ++c) {
      const SchurStructure::Block& block = st.e_blocks[c];
      const int e_size = block.size;
      // M = L L^T: L (row major, e x e, its diagonal stored inverted, which
      // is all the substitutions need) and L^-1 E^T r.
      double* l = s.chunk_l_.data() + static_cast<size_t>(c) * ee;
      const double* ete = s.ete_.data() + static_cast<size_t>(c) * ee;
      const double* dd = d.data() + block.column;
      EVector m_diagonal(e_size);
      for (int x = 0; x < e_size; ++x) m_diagonal[x] = ete[x * e_size + x] + dd[x] * dd[x];
      s.chunk_regularized_[c] = 0;
      if (!factor_small(ete, m_diagonal.data(), 0.0, e_size, l)) {
        s.chunk_regularized_[c] = 1;
        if (!factor_small(ete, m_diagonal.data(), kRegularization * std::max(m_diagonal.maxCoeff(), 1.0), e_size, l)) {
          std::fill_n(l, e_size * e_size, std::numeric_limits<double>::quiet_NaN());  // the step: not finite
        }
      }
      EVector inverse_diagonal(e_size);
      for (int x = 0; x < e_size; ++x) inverse_diagonal[x] = l[x * e_size + x];
      double* y = s.l_inverse_etr_.data() + static_cast<size_t>(c) * me;
      const double* etr = s.etr_.data() + static_cast<size_t>(c) * me;
      for (int x = 0; x < e_size; ++x) {
        double sum = etr[x];
        for (int z = 0; z < x; ++z) sum -= l[x * e_size + z] * y[z];
        y[x] = sum * inverse_diagonal[x];
      }
      for (int i = s.chunk_cell_starts_[c]; i < s.chunk_cell_starts_[c + 1]; ++i) {
        const int k = s.chunk_cells_[i];
        const SchurStructure::Cell& cell = st.f_cells[k];
        form_g(s, st.residual_blocks[s.cell_residual_block_[k]], cell, l, inverse_diagonal.data(), e_size,
               st.f_blocks[cell.block].size, s.g_.data() + static_cast<size_t>(s.cell_slot_[k]) * fe);
      }
    }
  }

  void s_blocks(SchurComplementSolver& s, const Eigen::VectorXd& d, int begin, int end) const override {
    const SchurStructure& st = *s.structure_;
    for (int k = begin; k < end; ++k) {
      const SchurStructure::Block& row_block = st.f_blocks[s.block_row_[k]];
      const SchurStructure::Block& col_block = st.f_blocks[s.block_col_[k]];
      const int fa = row_block.size, fb = col_block.size;
      double* out = s.s_blocks_.data() + s.block_offsets_[k];
      const double* ftf = s.ftf_offsets_[k] >= 0 ? s.ftf_.data() + s.ftf_offsets_[k] : nullptr;
      const long first = s.elimination_pair_starts_[k], last = s.elimination_pair_starts_[k + 1];
      if constexpr (kFixed) {
        // S_ab = F^T F - sum G_i^T G_j. G_i^T is G_i's storage read column
        // major; the block is kept column major in a head of whole vector
        // registers (rows 0 .. kHead) and a tail row or rows, so each update
        // is kE x kF vector multiply-subtracts plus a short scalar tail.
        Eigen::Matrix<double, kHead, kF> head;
        Eigen::Matrix<double, kTail, kF, kTail == 1 ? Eigen::RowMajor : Eigen::ColMajor> tail;
        if (ftf) {
          const ConstBlockMap<kF, kF> f(ftf);
          head = f.template topRows<kHead>();
          tail = f.template bottomRows<kTail>();
        } else {
          head.setZero();
          tail.setZero();
        }
        for (long p = first; p < last; ++p) {
          const auto [i, j] = s.elimination_pairs_[p];
          const Eigen::Map<const Eigen::Matrix<double, kF, kE>> gi_t(s.g_.data() + static_cast<size_t>(i) * fe);
          const ConstBlockMap<kE, kF> gj(s.g_.data() + static_cast<size_t>(j) * fe);
          head.noalias() -= gi_t.template topRows<kHead>().lazyProduct(gj);
          tail.noalias() -= gi_t.template bottomRows<kTail>().lazyProduct(gj);
        }
        BlockMap<kF, kF> block(out);
        block.template topRows<kHead>() = head;
        block.template bottomRows<kTail>() = tail;
      } else {
        BlockMap<kF, kF> block(out, fa, fb);
        if (ftf) {
          block = ConstBlockMap<kF, kF>(ftf, fa, fb);
        } else {
          block.setZero();
        }
        for (long p = first; p < last; ++p) {
          const auto [i, j] = s.elimination_pairs_[p];
          const int e_size = st.e_blocks[s.slot_chunk_[i]].size;
          block.noalias() -=
              ConstBlockMap<kE, kF>(s.g_.data() + static_cast<size_t>(i) * fe, e_size, fa)
                  .transpose()
                  .lazyProduct(ConstBlockMap<kE, kF>(s.g_.data() + static_cast<size_t>(j) * fe, e_size, fb));
        }
      }
      if (s.block_row_[k] == s.block_col_[k]) {
        const double* dd = d.data() + row_block.column;
        for (int x = 0; x < fa; ++x) out[x * fb + x] += dd[x] * dd[x];
      }
    }
  }

  void rhs_blocks(SchurComplementSolver& s, int begin, int end) const override {
    const SchurStructure& st = *s.structure_;
    for (int a = begin; a < end; ++a) {
      const SchurStructure::Block& block = st.f_blocks[a];
      // F^T r - sum W M^-1 E^T r = F^T r - sum G^T (L^-1 E^T r).
      Eigen::Matrix<double, kF, 1> g = s.ftr_.segment(block.reduced_offset, block.size);
      for (int i = s.f_block_cell_starts_[a]; i < s.f_block_cell_starts_[a + 1]; ++i) {
        const int k = s.f_block_cells_[i];
        const int c = s.cell_chunk_[k];
        if (c < 0) continue;
        const int e_size = st.e_blocks[c].size;
        g.noalias() -=
            ConstBlockMap<kE, kF>(s.g_.data() + static_cast<size_t>(i) * fe, e_size, block.size)
                .transpose()
                .lazyProduct(Eigen::Map<const EVector>(s.l_inverse_etr_.data() + static_cast<size_t>(c) * me, e_size));
      }
      s.rhs_.segment(block.reduced_offset, block.size) = -g;
    }
  }

  void back_substitute(SchurComplementSolver& s, Eigen::VectorXd* dx, int begin, int end) const override {
    const SchurStructure& st = *s.structure_;
    for (int c = begin; c < end; ++c) {
      const SchurStructure::Block& block = st.e_blocks[c];
      const int e_size = block.size;
      // dy = -M^-1 (E^T r + W^T dz) = -L^-T (L^-1 E^T r + G dz).
      EVector t = Eigen::Map<const EVector>(s.l_inverse_etr_.data() + static_cast<size_t>(c) * me, e_size);
      Eigen::Matrix<double, kFixed ? kF : 1, kFixed ? kE : 1> products;
      products.setZero();
      for (int i = s.chunk_cell_starts_[c]; i < s.chunk_cell_starts_[c + 1]; ++i) {
        const int k = s.chunk_cells_[i];
        const SchurStructure::Block& f = st.f_blocks[st.f_cells[k].block];
        const double* g = s.g_.data() + static_cast<size_t>(s.cell_slot_[k]) * fe;
        const double* z = s.dz_.data() + f.reduced_offset;
        if constexpr (kFixed) {
          // Elementwise products summed over the cells, each column reduced once.
          const Eigen::Map<const Eigen::Matrix<double, kF, kE>> g_t(g);
          const Eigen::Map<const Eigen::Matrix<double, kF, 1>> zf(z);
          for (int x = 0; x < kE; ++x) products.col(x) += g_t.col(x).cwiseProduct(zf);
        } else {
          for (int x = 0; x < e_size; ++x) {
            double sum = 0.0;
            for (int y = 0; y < f.size; ++y) sum += g[x * f.size + y] * z[y];
            t[x] += sum;
          }
        }
      }
      if constexpr (kFixed) {
        for (int x = 0; x < kE; ++x) t[x] += products.col(x).sum();
      }
      // Back substitution with L^T (its diagonal stored inverted).
      const double* l = s.chunk_l_.data() + static_cast<size_t>(c) * ee;
      for (int x = e_size - 1; x >= 0; --x) {
        double sum = t[x];
        for (int z = x + 1; z < e_size; ++z) sum -= l[z * e_size + x] * t[z];
        t[x] = sum * l[x * e_size + x];
      }
      for (int x = 0; x < e_size; ++x) (*dx)[block.column + x] = -t[x];
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
  if (type_ == LinearSolverType::kSparseSchur) build_sparse_pattern();
}

SchurComplementSolver::~SchurComplementSolver() = default;

void SchurComplementSolver::build_block_pattern() {
  const SchurStructure& st = *structure_;
  const int num_cells = static_cast<int>(st.f_cells.size());
  const int num_chunks = static_cast<int>(st.e_blocks.size());
  const int num_f = static_cast<int>(st.f_blocks.size());
  cell_chunk_.assign(num_cells, -1);
  cell_residual_block_.assign(num_cells, -1);
  for (int b = 0; b < static_cast<int>(st.residual_blocks.size()); ++b) {
    const SchurStructure::ResidualBlock& rb = st.residual_blocks[b];
    for (int k = rb.f_cell_begin; k < rb.f_cell_end; ++k) {
      cell_residual_block_[k] = b;
      cell_chunk_[k] = rb.e_block;
    }
  }
  chunk_cell_starts_.assign(num_chunks + 1, 0);
  chunk_cells_.clear();
  for (int c = 0; c < num_chunks; ++c) {
    for (int i = st.chunk_starts[c]; i < st.chunk_starts[c + 1]; ++i) {
      const SchurStructure::ResidualBlock& rb = st.residual_blocks[st.chunk_residual_blocks[i]];
      for (int k = rb.f_cell_begin; k < rb.f_cell_end; ++k) chunk_cells_.push_back(k);
    }
    chunk_cell_starts_[c + 1] = static_cast<int>(chunk_cells_.size());
  }
  f_block_cell_starts_.assign(num_f + 1, 0);
  for (const SchurStructure::Cell& cell : st.f_cells) ++f_block_cell_starts_[cell.block + 1];
  std::partial_sum(f_block_cell_starts_.begin(), f_block_cell_starts_.end(), f_block_cell_starts_.begin());
  f_block_cells_.resize(num_cells);
  std::vector<int> fill(f_block_cell_starts_.begin(), f_block_cell_starts_.end() - 1);
  for (int k = 0; k < num_cells; ++k) f_block_cells_[fill[st.f_cells[k].block]++] = k;
  // W is stored in f-block order (slots), so that the blocks of S, each
  // summed over one or two f-blocks' cells, read it in two ascending streams.
  cell_slot_.resize(num_cells);
  slot_chunk_.resize(num_cells);
  for (int slot = 0; slot < num_cells; ++slot) {
    cell_slot_[f_block_cells_[slot]] = slot;
    slot_chunk_[slot] = cell_chunk_[f_block_cells_[slot]];
  }

  // Every contribution as (row block, column block, cell i, cell j), sorted
  // by block and then by the pair: the order each block sums them in.
  struct Contribution {
    int a, b, i, j;
    bool operator<(const Contribution& o) const { return std::tie(a, b, i, j) < std::tie(o.a, o.b, o.i, o.j); }
  };
  std::vector<Contribution> elimination, ftf;
  auto add_pairs = [&](const int* cells, int n, bool as_slots, std::vector<Contribution>* out) {
    for (int x = 0; x < n; ++x) {
      for (int y = 0; y < n; ++y) {
        const int a = st.f_cells[cells[x]].block, b = st.f_cells[cells[y]].block;
        if (a > b) continue;
        if (as_slots) {
          out->push_back({a, b, cell_slot_[cells[x]], cell_slot_[cells[y]]});
        } else {
          out->push_back({a, b, cells[x], cells[y]});
        }
      }
    }
  };
  for (int c = 0; c < num_chunks; ++c) {
    add_pairs(chunk_cells_.data() + chunk_cell_starts_[c], chunk_cell_starts_[c + 1] - chunk_cell_starts_[c], true,
              &elimination);
  }
  std::vector<int> cells;
  for (const SchurStructure::ResidualBlock& rb : st.residual_blocks) {
    cells.resize(rb.f_cell_end - rb.f_cell_begin);
    std::iota(cells.begin(), cells.end(), rb.f_cell_begin);
    add_pairs(cells.data(), static_cast<int>(cells.size()), false, &ftf);
  }
  std::sort(elimination.begin(), elimination.end());
  std::sort(ftf.begin(), ftf.end());

  // The blocks: every (a, b) with a contribution, and every diagonal block
  // (D_f^2 lands there even when nothing else does).
  std::vector<std::pair<int, int>> blocks;
  for (const Contribution& x : elimination) blocks.emplace_back(x.a, x.b);
  for (const Contribution& x : ftf) blocks.emplace_back(x.a, x.b);
  for (int a = 0; a < num_f; ++a) blocks.emplace_back(a, a);
  std::sort(blocks.begin(), blocks.end());
  blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
  const long num_blocks = static_cast<long>(blocks.size());
  block_row_.resize(num_blocks);
  block_col_.resize(num_blocks);
  block_offsets_.resize(num_blocks + 1);
  diagonal_block_.assign(num_f, -1);
  long offset = 0;
  for (long k = 0; k < num_blocks; ++k) {
    block_row_[k] = blocks[k].first;
    block_col_[k] = blocks[k].second;
    block_offsets_[k] = offset;
    offset += static_cast<long>(st.f_blocks[blocks[k].first].size) * st.f_blocks[blocks[k].second].size;
    if (blocks[k].first == blocks[k].second) diagonal_block_[blocks[k].first] = k;
  }
  block_offsets_[num_blocks] = offset;

  auto to_lists = [&](const std::vector<Contribution>& all, std::vector<long>* starts,
                      std::vector<std::pair<int, int>>* pairs) {
    starts->assign(num_blocks + 1, 0);
    pairs->resize(all.size());
    long k = 0;
    for (size_t p = 0; p < all.size(); ++p) {
      while (blocks[k] != std::make_pair(all[p].a, all[p].b)) (*starts)[++k] = static_cast<long>(p);
      (*pairs)[p] = {all[p].i, all[p].j};
    }
    while (k < num_blocks) (*starts)[++k] = static_cast<long>(all.size());
  };
  to_lists(elimination, &elimination_pair_starts_, &elimination_pairs_);
  to_lists(ftf, &ftf_pair_starts_, &ftf_pairs_);
  // The same F^T F pairs in Jacobian row order, each with its block.
  ftf_sweep_.clear();
  for (const SchurStructure::ResidualBlock& rb : st.residual_blocks) {
    for (int x = rb.f_cell_begin; x < rb.f_cell_end; ++x) {
      for (int y = rb.f_cell_begin; y < rb.f_cell_end; ++y) {
        const std::pair<int, int> ab{st.f_cells[x].block, st.f_cells[y].block};
        if (ab.first > ab.second) continue;
        const long k = std::lower_bound(blocks.begin(), blocks.end(), ab) - blocks.begin();
        ftf_sweep_.push_back({x, y, static_cast<int>(k)});
      }
    }
  }
  ftf_pairs_.clear();
  ftf_pairs_.shrink_to_fit();

  const size_t fe = static_cast<size_t>(st.max_f_block_size) * st.max_e_block_size;
  const size_t ee = static_cast<size_t>(st.max_e_block_size) * st.max_e_block_size;
  ete_.assign(num_chunks * ee, 0.0);
  etr_.assign(static_cast<size_t>(num_chunks) * st.max_e_block_size, 0.0);
  chunk_l_.assign(num_chunks * ee, 0.0);
  l_inverse_etr_.assign(static_cast<size_t>(num_chunks) * st.max_e_block_size, 0.0);
  g_.assign(num_cells * fe, 0.0);
  chunk_regularized_.assign(num_chunks, 0);
  // F^T F only for the blocks some residual block reads both sides of (on
  // bundle adjustment the diagonal ones alone).
  ftf_offsets_.assign(num_blocks, -1);
  long ftf_size = 0;
  for (long k = 0; k < num_blocks; ++k) {
    if (ftf_pair_starts_[k] == ftf_pair_starts_[k + 1]) continue;
    ftf_offsets_[k] = ftf_size;
    ftf_size += block_offsets_[k + 1] - block_offsets_[k];
  }
  ftf_.assign(ftf_size, 0.0);
  s_blocks_.assign(offset, 0.0);
  ftr_.setZero(st.num_f_coordinates);
  rhs_.setZero(st.num_f_coordinates);
  dz_.setZero(st.num_f_coordinates);
}

void SchurComplementSolver::build_sparse_pattern() {
  const SchurStructure& st = *structure_;
  const int n = st.num_f_coordinates;
  // Blocks by column block, then row block: the order of S's upper triangle
  // column by column.
  std::vector<long> by_column(block_row_.size());
  std::iota(by_column.begin(), by_column.end(), 0L);
  std::stable_sort(by_column.begin(), by_column.end(), [&](long x, long y) {
    return std::tie(block_col_[x], block_row_[x]) < std::tie(block_col_[y], block_row_[y]);
  });
  sparse_outer_.assign(n + 1, 0);
  sparse_inner_.clear();
  sparse_position_.assign(s_blocks_.size(), -1);
  sparse_diagonal_.assign(n, -1);
  size_t first = 0;
  for (int b = 0; b < static_cast<int>(st.f_blocks.size()); ++b) {
    const SchurStructure::Block& col_block = st.f_blocks[b];
    size_t last = first;
    while (last < by_column.size() && block_col_[by_column[last]] == b) ++last;
    for (int c = 0; c < col_block.size; ++c) {
      const int column = col_block.reduced_offset + c;
      for (size_t x = first; x < last; ++x) {
        const long k = by_column[x];
        const SchurStructure::Block& row_block = st.f_blocks[block_row_[k]];
        const int rows = block_row_[k] == b ? c + 1 : row_block.size;  // upper triangle only
        for (int r = 0; r < rows; ++r) {
          sparse_position_[block_offsets_[k] + static_cast<long>(r) * col_block.size + c] =
              static_cast<int>(sparse_inner_.size());
          if (row_block.reduced_offset + r == column) sparse_diagonal_[column] = static_cast<int>(sparse_inner_.size());
          sparse_inner_.push_back(row_block.reduced_offset + r);
        }
      }
      sparse_outer_[column + 1] = static_cast<int>(sparse_inner_.size());
    }
    first = last;
  }
  sparse_values_.assign(sparse_inner_.size(), 0.0);
  factorization_ = std::make_unique<SparseCholeskyFactorization>();
  analyzed_ = false;
}

LinearSolverResult SchurComplementSolver::prepare(const JacobianRef& jacobian, const Eigen::VectorXd& residuals) {
  check_jacobian(name(), jacobian, residuals);
  LinearSolverResult result;
  prepared_ = false;
  if (!jacobian.sparse || !matches_pattern(*structure_, *jacobian.sparse)) {
    throw Error(std::string(name()) +
                ": the Jacobian is not the problem's sparse Jacobian its Schur structure was built from");
  }
  values_ = jacobian.sparse->valuePtr();
  residuals_ = residuals.data();
  const SchurStructure& st = *structure_;
  const int num_chunks = static_cast<int>(st.e_blocks.size());
  pool_.parallel_for(num_chunks, [&](int, int begin, int end) { kernels_->prepare_chunks(*this, begin, end); });
  // Each thread sweeps the Jacobian for an equal share of the blocks.
  const int num_blocks = static_cast<int>(block_row_.size());
  const int shares = pool_.num_threads();
  pool_.parallel_for(shares, [&](int, int begin, int end) {
    for (int share = begin; share < end; ++share) {
      kernels_->ftf_blocks(*this, static_cast<int>(static_cast<long>(num_blocks) * share / shares),
                           static_cast<int>(static_cast<long>(num_blocks) * (share + 1) / shares));
    }
  });
  const int num_f_blocks = static_cast<int>(st.f_blocks.size());
  pool_.parallel_for(shares, [&](int, int begin, int end) {
    for (int share = begin; share < end; ++share) {
      kernels_->ftr_blocks(*this, static_cast<int>(static_cast<long>(num_f_blocks) * share / shares),
                           static_cast<int>(static_cast<long>(num_f_blocks) * (share + 1) / shares));
    }
  });
  prepared_ = true;
  result.success = true;
  return result;
}

LinearSolverResult SchurComplementSolver::solve(const Eigen::VectorXd& d, Eigen::VectorXd* dx) {
  check_damping(name(), prepared_, structure_->num_jacobian_columns, d, dx);
  LinearSolverResult result;
  const SchurStructure& st = *structure_;
  const int num_chunks = static_cast<int>(st.e_blocks.size());
  pool_.parallel_for(num_chunks, [&](int, int begin, int end) { kernels_->solve_chunks(*this, d, begin, end); });
  pool_.parallel_for(static_cast<int>(block_row_.size()),
                     [&](int, int begin, int end) { kernels_->s_blocks(*this, d, begin, end); });
  pool_.parallel_for(static_cast<int>(st.f_blocks.size()),
                     [&](int, int begin, int end) { kernels_->rhs_blocks(*this, begin, end); });
  result = factor_and_solve_reduced(&dz_);
  if (!result.success) return result;
  dx->resize(st.num_jacobian_columns);
  dx->setZero();
  for (const SchurStructure::Block& block : st.f_blocks) {
    dx->segment(block.column, block.size) = dz_.segment(block.reduced_offset, block.size);
  }
  pool_.parallel_for(num_chunks, [&](int, int begin, int end) { kernels_->back_substitute(*this, dx, begin, end); });
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
    // Only the blocks' upper triangle is written; the rest stays zero (the
    // factorization's vectorized kernels may read a NaN left in the lower).
    if (dense_s_.rows() != n) dense_s_.setZero(n, n);
    for (size_t k = 0; k < block_row_.size(); ++k) {
      const SchurStructure::Block& a = st.f_blocks[block_row_[k]];
      const SchurStructure::Block& b = st.f_blocks[block_col_[k]];
      dense_s_.block(a.reduced_offset, b.reduced_offset, a.size, b.size) =
          Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
              s_blocks_.data() + block_offsets_[k], a.size, b.size);
    }
    dense_llt_.compute(dense_s_);
    if (dense_llt_.info() != Eigen::Success) {
      dense_s_.diagonal().array() += shift;
      dense_llt_.compute(dense_s_);
      if (dense_llt_.info() != Eigen::Success) {
        result.message = "dense-schur: the reduced camera system is not positive definite";
        return result;
      }
      result.message = "the reduced system was regularized by " + to_decimal(shift);
    }
    *dz = dense_llt_.solve(rhs_);
    result.success = dz->allFinite();
    if (!result.success) result.message = "dense-schur: the reduced system's solution is not finite";
    return result;
  }

  for (size_t e = 0; e < sparse_position_.size(); ++e) {
    if (sparse_position_[e] >= 0) sparse_values_[sparse_position_[e]] = s_blocks_[e];
  }
  const SymmetricUpperView view{n, sparse_outer_.data(), sparse_inner_.data(), sparse_values_.data()};
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
  if (const std::string failure = factorization_->solve(rhs_, dz); !failure.empty()) {
    result.message = "sparse-schur: " + failure;
    return result;
  }
  result.success = dz->allFinite();
  if (!result.success) result.message = "sparse-schur: the reduced system's solution is not finite";
  return result;
}

}  // namespace curvature::internal
