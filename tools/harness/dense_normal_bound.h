// dense_normal_bound.h — what one Levenberg-Marquardt iteration on a dense
// m x n Jacobian cannot cost less than: forming J^T J and one Cholesky
// factorization, timed with the best kernels at hand in this process —
// the system BLAS/LAPACK (dsyrk + dpotrf, one call each, as installed:
// OpenBLAS on Debian) and curvature's own tiled kernels on `threads`
// threads. Medians of `repeats` runs on a random Jacobian, each run timing
// every kernel in turn (load from other processes then falls on all of
// them alike). Also the same
// tiled kernels in single precision, which the mixed-precision dense normal
// Cholesky solver runs (SolverOptions::mixed_precision) before refining each
// step in double: the bound is what all-double normal equations cost, the
// single-precision times what curvature's LM actually spends on them.
#pragma once

#include <string>
#include <vector>

namespace curvature::bench {

struct DenseNormalTimes {
  double normal_s = 0.0;    // J^T J (lower triangle)
  double cholesky_s = 0.0;  // one factorization of J^T J + I
  double total() const { return normal_s + cholesky_s; }
};

// One kernel the tiles can run on (dense_kernel.h), timed as `curvature` is.
struct DenseKernelTimes {
  std::string kernel;  // "blis:zen3", "eigen"
  DenseNormalTimes times;
  DenseNormalTimes single;  // the same in single precision
};

struct DenseNormalBound {
  DenseNormalTimes blas;                     // dsyrk + dpotrf
  DenseNormalTimes curvature;                // tiled_dense.h on `threads` threads, the kernel chosen for this process
  std::vector<DenseKernelTimes> candidates;  // the same with each kernel the choice weighed
  DenseNormalTimes single;                   // the same in single precision
  // The faster of the two, kernel by kernel.
  DenseNormalTimes best() const;
};

DenseNormalBound measure_dense_normal_bound(int rows, int cols, int threads, int repeats);

// What runs curvature's dense tiles in this process and why, e.g.
// "BLIS zen3 (calibrated; BLIS chose generic), 256-column tiles".
std::string dense_kernel_in_use();

// The name of that kernel, as DenseKernelTimes::kernel spells it ("blis:zen3").
std::string dense_kernel_name();

}  // namespace curvature::bench
