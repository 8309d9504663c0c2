// implicit_schur_maps.h — views of the Jacobian's cells and of vector
// segments with compile-time sizes where they are known (Eigen::Dynamic
// otherwise), for the implicit Schur complement and its preconditioner.
// Internal.
#pragma once

#include <Eigen/Core>

#include "schur/schur_structure.h"

namespace curvature::internal {

template <int R, int C>
using ConstCellMap = Eigen::Map<const Eigen::Matrix<double, R, C, Eigen::RowMajor>, 0, Eigen::OuterStride<>>;
template <int N>
using VectorMap = Eigen::Map<Eigen::Matrix<double, N, 1>>;
template <int N>
using ConstVectorMap = Eigen::Map<const Eigen::Matrix<double, N, 1>>;
template <int N>
using SquareMap = Eigen::Map<Eigen::Matrix<double, N, N>>;
template <int N>
using ConstSquareMap = Eigen::Map<const Eigen::Matrix<double, N, N>>;

// The rb.num_rows x cols slice of the CRS values starting at value_offset:
// one row every rb.row_stride values (schur_structure.h).
template <int R, int C>
inline ConstCellMap<R, C> jacobian_cell(const double* values, long value_offset,
                                        const SchurStructure::ResidualBlock& rb, int cols) {
  return ConstCellMap<R, C>(values + value_offset, rb.num_rows, cols, Eigen::OuterStride<>(rb.row_stride));
}

}  // namespace curvature::internal
