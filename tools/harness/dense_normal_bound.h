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
  // Process CPU seconds of the same runs (all threads), J^T J + Cholesky:
  // what other processes' load does not inflate, unlike the wall times.
  double cpu_s = 0.0;
  double single_cpu_s = 0.0;
};

struct DenseNormalBound {
  DenseNormalTimes blas;                     // dsyrk + dpotrf
  DenseNormalTimes curvature;                // tiled_dense.h on `threads` threads, the double kernel in use
  std::vector<DenseKernelTimes> candidates;  // the same with each kernel the choice weighed
  DenseNormalTimes single;                   // the single-precision kernel in use, in single precision
  // The faster of the two, kernel by kernel.
  DenseNormalTimes best() const;
};

// `rows` also picks the size class whose kernels are "in use" (dense_kernel.h).
DenseNormalBound measure_dense_normal_bound(int rows, int cols, int threads, int repeats);

// What runs curvature's dense tiles for a Jacobian of `rows` rows and why,
// e.g. "BLIS zen3 in double, BLIS haswell in single precision (calibrated
// at 976 rows, 1 thread; BLIS chose zen3), 256-column tiles".
std::string dense_kernel_in_use(int rows = 2000);

// The wall time the calibration behind those kernels took (0 when the
// environment or the build chose them).
double dense_kernel_calibration_seconds(int rows = 2000);

// The names of those kernels in double and in single precision, as
// DenseKernelTimes::kernel spells them ("blis:zen3").
std::string dense_kernel_name(int rows = 2000);
std::string single_precision_kernel_name(int rows = 2000);

}  // namespace curvature::bench
