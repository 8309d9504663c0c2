// small_cholesky.h — Cholesky factorization and triangular solves of a few
// columns by plain loops. Internal.
//
// For the 2-16 parameter steps of curve fits (NIST StRD, Moré-Garbow-
// Hillstrom) the general routines' dispatch, blocking and vector set-up cost
// more than their arithmetic: an LM iteration of NIST's MGH10 (3 parameters,
// a step solve and a geodesic-acceleration solve) spent ~0.6 us of its
// ~2.4 us in Eigen's LLT and triangular solvers. These loops do the same
// operations (each pivot is its diagonal entry minus the sum of the squares
// before it; each entry below it is divided by the pivot, not multiplied by
// its inverse), in a fixed order, on column-major storage with any leading
// dimension.
#pragma once

#include <Eigen/Core>
#include <cmath>

namespace curvature::internal {

// Up to this many columns the solvers use these loops instead of Eigen's.
inline constexpr Eigen::Index kSmallCholeskyColumns = 16;

// Factors the lower triangle of the n x n matrix at `a` (column-major,
// leading dimension `lda`) in place, A = L L^T; the strict upper triangle is
// neither read nor written. False when a pivot is not positive or not a
// number (the factor is then only partly written).
inline bool small_cholesky_lower_in_place(double* a, Eigen::Index lda, Eigen::Index n) {
  for (Eigen::Index j = 0; j < n; ++j) {
    const double* row_j = a + j;  // L(j, k) at row_j[k * lda]
    double sum = 0.0;
    for (Eigen::Index k = 0; k < j; ++k) sum += row_j[k * lda] * row_j[k * lda];
    const double pivot_squared = a[j * lda + j] - sum;
    if (!(pivot_squared > 0.0)) return false;
    const double pivot = std::sqrt(pivot_squared);
    double* column_j = a + j * lda;
    column_j[j] = pivot;
    for (Eigen::Index i = j + 1; i < n; ++i) {
      double dot = 0.0;
      for (Eigen::Index k = 0; k < j; ++k) dot += a[k * lda + i] * row_j[k * lda];
      column_j[i] = (column_j[i] - dot) / pivot;
    }
  }
  return true;
}

// x <- L^-1 x, L the lower triangle at `l` (leading dimension `lda`).
inline void small_solve_lower_in_place(const double* l, Eigen::Index lda, Eigen::Index n, double* x) {
  for (Eigen::Index i = 0; i < n; ++i) {
    double dot = 0.0;
    for (Eigen::Index k = 0; k < i; ++k) dot += l[k * lda + i] * x[k];
    x[i] = (x[i] - dot) / l[i * lda + i];
  }
}

// x <- L^-T x.
inline void small_solve_lower_transposed_in_place(const double* l, Eigen::Index lda, Eigen::Index n, double* x) {
  for (Eigen::Index i = n - 1; i >= 0; --i) {
    const double* column_i = l + i * lda;
    double dot = 0.0;
    for (Eigen::Index k = i + 1; k < n; ++k) dot += column_i[k] * x[k];
    x[i] = (x[i] - dot) / column_i[i];
  }
}

// x <- (L L^T)^-1 x.
inline void small_cholesky_solve_in_place(const double* l, Eigen::Index lda, Eigen::Index n, double* x) {
  small_solve_lower_in_place(l, lda, n, x);
  small_solve_lower_transposed_in_place(l, lda, n, x);
}

}  // namespace curvature::internal
