#include "tiled_dense.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "dense_kernel.h"

#ifdef CURVATURE_USE_BLIS
#include <blis.h>
#endif

namespace curvature::internal {
namespace {

using Eigen::Index;

// Up to this many columns J^T J is formed entry by entry.
constexpr Index kSmallColumns = 16;

// The tiles along one dimension of size `size`: all `tile` wide but the last.
struct TileGrid {
  Index size;
  Index tile;
  Index count() const { return (size + tile - 1) / tile; }
  Index begin(Index i) const { return i * tile; }
  Index extent(Index i) const { return std::min(tile, size - i * tile); }
};

void run_tasks(ThreadPool* pool, int count, const std::function<void(int)>& task) {
  if (pool == nullptr || pool->num_threads() == 1 || count <= 1) {
    for (int t = 0; t < count; ++t) task(t);
    return;
  }
  pool->parallel_for(count, [&](int /*thread*/, int begin, int end) {
    for (int t = begin; t < end; ++t) task(t);
  });
}

// The (row, column) tile pairs of the lower triangle with first <= column <= row.
std::vector<std::pair<Index, Index>> lower_tiles(Index first, Index count) {
  std::vector<std::pair<Index, Index>> tiles;
  for (Index row = first; row < count; ++row) {
    for (Index col = first; col <= row; ++col) tiles.emplace_back(row, col);
  }
  return tiles;
}

// The three tile operations of J^T J and the Cholesky factorization, by the
// kernel dense_kernel.h chose. With BLIS each is one call to its typed API
// with the chosen sub-configuration's context: on R1's
// 2000 x 1441 Jacobian its kernels form J^T J in single precision ~20% faster
// than Eigen's and factor it ~25% faster. BLIS may be called from several
// threads at once (OpenBLAS's single-threaded build may not), and each call
// runs on the calling thread: the tiles are the parallelism.
template <typename Scalar>
using Tile = Eigen::Ref<Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>, 0, Eigen::OuterStride<>>;
template <typename Scalar>
using ConstTile = Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>, 0, Eigen::OuterStride<>>;

// The two updates the tiles need: kGram writes out = a^T b (a tile of J^T J
// from two column blocks of J), kDowndate does out -= a b^T (the trailing
// update of the Cholesky factorization).
enum class Product { kGram, kDowndate };

#ifdef CURVATURE_USE_BLIS
// BLIS's typed API takes non-const pointers for its read-only operands.
template <typename Scalar>
Scalar* blis_input(const ConstTile<Scalar>& tile) {
  return const_cast<Scalar*>(tile.data());
}

// The chosen BLIS sub-configuration's context (null: BLIS's own).
cntx_t* blis_context(const DenseKernel& kernel) { return static_cast<cntx_t*>(kernel.blis_context); }
#endif

template <typename Scalar>
void tile_product([[maybe_unused]] const DenseKernel& kernel, Product kind, ConstTile<Scalar> a, ConstTile<Scalar> b,
                  Tile<Scalar> out) {
#ifdef CURVATURE_USE_BLIS
  if (kernel.library == DenseKernelLibrary::kBlis) {
    const bool gram = kind == Product::kGram;
    Scalar alpha = gram ? 1 : -1, beta = gram ? 0 : 1;
    const trans_t transa = gram ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE;
    const trans_t transb = gram ? BLIS_NO_TRANSPOSE : BLIS_TRANSPOSE;
    const dim_t k = gram ? a.rows() : a.cols();
    if constexpr (std::is_same_v<Scalar, float>) {
      bli_sgemm_ex(transa, transb, out.rows(), out.cols(), k, &alpha, blis_input(a), 1, a.outerStride(), blis_input(b),
                   1, b.outerStride(), &beta, out.data(), 1, out.outerStride(), blis_context(kernel), nullptr);
    } else {
      bli_dgemm_ex(transa, transb, out.rows(), out.cols(), k, &alpha, blis_input(a), 1, a.outerStride(), blis_input(b),
                   1, b.outerStride(), &beta, out.data(), 1, out.outerStride(), blis_context(kernel), nullptr);
    }
    return;
  }
#endif
  if (kind == Product::kGram) {
    out.noalias() = a.transpose() * b;
  } else {
    out.noalias() -= a * b.transpose();
  }
}

// The lower triangle of out = a^T a (kGram) or of out -= a a^T (kDowndate).
template <typename Scalar>
void tile_rank_update([[maybe_unused]] const DenseKernel& kernel, Product kind, ConstTile<Scalar> a, Tile<Scalar> out) {
#ifdef CURVATURE_USE_BLIS
  if (kernel.library == DenseKernelLibrary::kBlis) {
    const bool gram = kind == Product::kGram;
    Scalar alpha = gram ? 1 : -1, beta = gram ? 0 : 1;
    const trans_t trans = gram ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE;
    const dim_t k = gram ? a.rows() : a.cols();
    if constexpr (std::is_same_v<Scalar, float>) {
      bli_ssyrk_ex(BLIS_LOWER, trans, out.rows(), k, &alpha, blis_input(a), 1, a.outerStride(), &beta, out.data(), 1,
                   out.outerStride(), blis_context(kernel), nullptr);
    } else {
      bli_dsyrk_ex(BLIS_LOWER, trans, out.rows(), k, &alpha, blis_input(a), 1, a.outerStride(), &beta, out.data(), 1,
                   out.outerStride(), blis_context(kernel), nullptr);
    }
    return;
  }
#endif
  if (kind == Product::kGram) {
    out.template triangularView<Eigen::Lower>().setZero();
    out.template selfadjointView<Eigen::Lower>().rankUpdate(a.transpose());
  } else {
    out.template selfadjointView<Eigen::Lower>().rankUpdate(a, -1);
  }
}

// panel = panel l^-T, l lower triangular.
template <typename Scalar>
void tile_solve_transposed_factor([[maybe_unused]] const DenseKernel& kernel, ConstTile<Scalar> l, Tile<Scalar> panel) {
#ifdef CURVATURE_USE_BLIS
  if (kernel.library == DenseKernelLibrary::kBlis) {
    Scalar one = 1;
    if constexpr (std::is_same_v<Scalar, float>) {
      bli_strsm_ex(BLIS_RIGHT, BLIS_LOWER, BLIS_TRANSPOSE, BLIS_NONUNIT_DIAG, panel.rows(), panel.cols(), &one,
                   blis_input(l), 1, l.outerStride(), panel.data(), 1, panel.outerStride(), blis_context(kernel),
                   nullptr);
    } else {
      bli_dtrsm_ex(BLIS_RIGHT, BLIS_LOWER, BLIS_TRANSPOSE, BLIS_NONUNIT_DIAG, panel.rows(), panel.cols(), &one,
                   blis_input(l), 1, l.outerStride(), panel.data(), 1, panel.outerStride(), blis_context(kernel),
                   nullptr);
    }
    return;
  }
#endif
  l.transpose().template triangularView<Eigen::Upper>().template solveInPlace<Eigen::OnTheRight>(panel);
}

template <typename Matrix>
void lower_normal_matrix_tiled(const Matrix& jacobian, Matrix* normal, ThreadPool* pool, Index tile_size,
                               const DenseKernel* chosen) {
  using Scalar = typename Matrix::Scalar;
  const TileGrid grid{jacobian.cols(), tile_size};
  normal->resize(grid.size, grid.size);
  if (grid.size <= kSmallColumns) {
    // A few columns (most curve fits): one dot product per entry beats the
    // packing of a blocked product, whose kernels are tuned for big blocks.
    for (Index j = 0; j < grid.size; ++j) {
      for (Index i = j; i < grid.size; ++i) (*normal)(i, j) = jacobian.col(i).dot(jacobian.col(j));
    }
    return;
  }
  if (grid.count() <= 1) {
    // One tile: Eigen directly, without the task list (small problems solve
    // thousands of times a second).
    normal->template triangularView<Eigen::Lower>().setZero();
    normal->template selfadjointView<Eigen::Lower>().rankUpdate(jacobian.transpose());
    return;
  }
  const DenseKernel& kernel =
      chosen != nullptr ? *chosen : dense_kernels(jacobian.rows(), pool).template for_scalar<Scalar>();
  const auto tiles = lower_tiles(0, grid.count());
  run_tasks(pool, static_cast<int>(tiles.size()), [&](int t) {
    const auto [row, col] = tiles[t];
    const auto rows_of_j = jacobian.middleCols(grid.begin(row), grid.extent(row));
    auto out = normal->block(grid.begin(row), grid.begin(col), grid.extent(row), grid.extent(col));
    if (row == col) {
      tile_rank_update<Scalar>(kernel, Product::kGram, rows_of_j, out);
    } else {
      tile_product<Scalar>(kernel, Product::kGram, rows_of_j, jacobian.middleCols(grid.begin(col), grid.extent(col)),
                           out);
    }
  });
}

template <typename Matrix>
bool cholesky_lower_in_place_tiled(Eigen::Ref<Matrix> a, ThreadPool* pool, Index tile_size, const DenseKernel* chosen) {
  using Scalar = typename Matrix::Scalar;
  const TileGrid grid{a.rows(), tile_size};
  if (grid.count() <= 1) {
    Eigen::LLT<Eigen::Ref<Matrix>, Eigen::Lower> llt(a);
    return llt.info() == Eigen::Success;
  }
  // Without a kernel from the caller: that of a Jacobian of as many rows as
  // the matrix has (the solvers pass the kernel of their Jacobian's class).
  const DenseKernel& kernel = chosen != nullptr ? *chosen : dense_kernels(a.rows(), pool).template for_scalar<Scalar>();
  auto tile = [&](Index row, Index col) {
    return a.block(grid.begin(row), grid.begin(col), grid.extent(row), grid.extent(col));
  };
  for (Index k = 0; k < grid.count(); ++k) {
    // The diagonal tile: on the critical path, one thread.
    Eigen::Ref<Matrix> diagonal = tile(k, k);
    Eigen::LLT<Eigen::Ref<Matrix>, Eigen::Lower> llt(diagonal);
    if (llt.info() != Eigen::Success) return false;

    // The panel below it: L_ik = A_ik L_kk^-T.
    const Index panel_first = k + 1;
    run_tasks(pool, static_cast<int>(grid.count() - panel_first),
              [&](int t) { tile_solve_transposed_factor<Scalar>(kernel, tile(k, k), tile(panel_first + t, k)); });

    // The trailing matrix: A_ij -= L_ik L_jk^T.
    const auto trailing = lower_tiles(panel_first, grid.count());
    run_tasks(pool, static_cast<int>(trailing.size()), [&](int t) {
      const auto [row, col] = trailing[t];
      if (row == col) {
        tile_rank_update<Scalar>(kernel, Product::kDowndate, tile(row, k), tile(row, col));
      } else {
        tile_product<Scalar>(kernel, Product::kDowndate, tile(row, k), tile(col, k), tile(row, col));
      }
    });
  }
  return true;
}

}  // namespace

void lower_normal_matrix(const Eigen::MatrixXd& jacobian, Eigen::MatrixXd* normal, ThreadPool* pool, Index tile_size,
                         const DenseKernel* kernel) {
  lower_normal_matrix_tiled(jacobian, normal, pool, tile_size, kernel);
}

void lower_normal_matrix(const Eigen::MatrixXf& jacobian, Eigen::MatrixXf* normal, ThreadPool* pool, Index tile_size,
                         const DenseKernel* kernel) {
  lower_normal_matrix_tiled(jacobian, normal, pool, tile_size, kernel);
}

bool cholesky_lower_in_place(Eigen::Ref<Eigen::MatrixXd> a, ThreadPool* pool, Index tile_size,
                             const DenseKernel* kernel) {
  return cholesky_lower_in_place_tiled<Eigen::MatrixXd>(a, pool, tile_size, kernel);
}

bool cholesky_lower_in_place(Eigen::Ref<Eigen::MatrixXf> a, ThreadPool* pool, Index tile_size,
                             const DenseKernel* kernel) {
  return cholesky_lower_in_place_tiled<Eigen::MatrixXf>(a, pool, tile_size, kernel);
}

void normal_matrix_product(const Eigen::MatrixXd& jacobian, const Eigen::VectorXd& v, Eigen::VectorXd* out,
                           ThreadPool* pool, Eigen::VectorXd* jacobian_product, Eigen::MatrixXd* partial_sums) {
  // Fixed row chunks, each J_c^T (J_c v) while J_c is in cache; the partial
  // sums are added in chunk order, so the threads never change the bits.
  const Index rows = jacobian.rows();
  const int chunks =
      static_cast<int>(std::max<Index>(1, (rows + kNormalProductRowsPerChunk - 1) / kNormalProductRowsPerChunk));
  Eigen::MatrixXd own_partial_sums;
  Eigen::VectorXd own_jacobian_product;
  Eigen::MatrixXd& partial = partial_sums ? *partial_sums : own_partial_sums;
  Eigen::VectorXd& jv = jacobian_product ? *jacobian_product : own_jacobian_product;
  partial.resize(jacobian.cols(), chunks);
  jv.resize(rows);
  run_tasks(pool, chunks, [&](int c) {
    const Index first = c * kNormalProductRowsPerChunk;
    const Index count = std::min(kNormalProductRowsPerChunk, rows - first);
    const auto rows_of_j = jacobian.middleRows(first, count);
    auto chunk_product = jv.segment(first, count);
    chunk_product.noalias() = rows_of_j * v;
    partial.col(c).noalias() = rows_of_j.transpose() * chunk_product;
  });
  *out = partial.col(0);
  for (int c = 1; c < chunks; ++c) *out += partial.col(c);
}

}  // namespace curvature::internal
