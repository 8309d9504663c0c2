// tiled_dense.h — the dense kernels of a Levenberg-Marquardt iteration on
// a dense Jacobian, J^T J and the Cholesky factorization, split into square
// tiles that the threads of a pool work on at the same time. Internal.
//
// Each tile is one call to the kernel dense_kernel.h chose for this CPU and
// precision (a BLIS sub-configuration or Eigen's product; Eigen's LLT for
// the diagonal tiles) whose inputs do not depend on the number of threads or
// on the order the tiles are taken, so the result is bit-identical for any
// thread count given the kernel. `kernel` null means the kernel of the
// matrix's precision in dense_kernels(rows), rows those of J (of the matrix
// for the Cholesky factorization), looked up only when there is more than
// one tile. Matrices no larger than one tile go to Eigen in one call,
// exactly as without tiling.
#pragma once

#include <Eigen/Core>

#include "curvature/thread_pool.h"
#include "dense_kernel.h"

namespace curvature::internal {

// Large enough that each tile's product runs near Eigen's peak, small enough
// that a 1000-column problem still has tens of tiles to share.
inline constexpr Eigen::Index kDenseTileSize = 256;

// Writes the lower triangle of J^T J into *normal (resized to n x n); the
// strict upper triangle is left unspecified. pool may be null (one thread).
void lower_normal_matrix(const Eigen::MatrixXd& jacobian, Eigen::MatrixXd* normal, ThreadPool* pool,
                         Eigen::Index tile_size = kDenseTileSize, const DenseKernel* kernel = nullptr);
void lower_normal_matrix(const Eigen::MatrixXf& jacobian, Eigen::MatrixXf* normal, ThreadPool* pool,
                         Eigen::Index tile_size = kDenseTileSize, const DenseKernel* kernel = nullptr);

// Overwrites the lower triangle of the symmetric matrix *a (read from its
// lower triangle) with its Cholesky factor L, a = L L^T, by right-looking
// tiles. Returns false when a is not numerically positive definite; *a is
// then partly overwritten. The strict upper triangle is not touched.
bool cholesky_lower_in_place(Eigen::Ref<Eigen::MatrixXd> a, ThreadPool* pool, Eigen::Index tile_size = kDenseTileSize,
                             const DenseKernel* kernel = nullptr);
bool cholesky_lower_in_place(Eigen::Ref<Eigen::MatrixXf> a, ThreadPool* pool, Eigen::Index tile_size = kDenseTileSize,
                             const DenseKernel* kernel = nullptr);

// Rows of J per chunk of normal_matrix_product: J_c^T (J_c v) on 256 rows
// of R1's 2000 x 1441 J ran in half the time of 64-row chunks (longer
// columns for the matrix-vector kernels; the chunk is re-read from L3), and
// 2000 rows still make 8 chunks to share between threads.
inline constexpr Eigen::Index kNormalProductRowsPerChunk = 256;

// out = J^T (J v) without forming J^T J: one pass over J in row chunks,
// bit-identical for any thread count. J v itself, computed on the way, is
// kept in *jacobian_product when that is not null. `partial_sums` (resized
// to n x chunks) holds each chunk's J_c^T J_c v; a caller that passes the
// same matrix each time saves an allocation of that size per product
// (large enough to be mapped and unmapped by malloc each time).
void normal_matrix_product(const Eigen::MatrixXd& jacobian, const Eigen::VectorXd& v, Eigen::VectorXd* out,
                           ThreadPool* pool, Eigen::VectorXd* jacobian_product = nullptr,
                           Eigen::MatrixXd* partial_sums = nullptr);

}  // namespace curvature::internal
