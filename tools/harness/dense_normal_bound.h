// dense_normal_bound.h — what one Levenberg-Marquardt iteration on a dense
// m x n Jacobian cannot cost less than: forming J^T J and one Cholesky
// factorization, timed with the best kernels at hand in this process —
// the system BLAS/LAPACK (dsyrk + dpotrf, one call each, as installed:
// OpenBLAS on Debian) and curvature's own tiled kernels on `threads`
// threads. Medians of `repeats` runs on a random Jacobian. Also the same
// tiled kernels in single precision, which the mixed-precision dense normal
// Cholesky solver runs (SolverOptions::mixed_precision) before refining each
// step in double: the bound is what all-double normal equations cost, the
// single-precision times what curvature's LM actually spends on them.
#pragma once

namespace curvature::bench {

struct DenseNormalTimes {
  double normal_s = 0.0;    // J^T J (lower triangle)
  double cholesky_s = 0.0;  // one factorization of J^T J + I
  double total() const { return normal_s + cholesky_s; }
};

struct DenseNormalBound {
  DenseNormalTimes blas;       // dsyrk + dpotrf
  DenseNormalTimes curvature;  // tiled_dense.h on `threads` threads
  DenseNormalTimes single;     // the same in single precision
  // The faster of the two, kernel by kernel.
  DenseNormalTimes best() const;
};

DenseNormalBound measure_dense_normal_bound(int rows, int cols, int threads, int repeats);

}  // namespace curvature::bench
