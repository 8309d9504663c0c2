// dense_kernel.h — which implementation runs the tiles of tiled_dense.h
// (J^T J and the Cholesky factorization), one for double and one for
// single precision: one of the BLIS sub-configurations compiled into the
// linked BLIS, or Eigen. Internal.
//
// BLIS picks its sub-configuration from the CPU's identity, not from its
// features: a CPU newer than the BLIS build (an AMD Zen 4 under Debian's
// BLIS 0.9, for one) can get the portable 'generic' kernels, 5x slower than
// the AVX2 ones the same core runs. So the choice is made here (thread-safe):
//   1. CURVATURE_DENSE_KERNEL in the environment ("blis:<sub-configuration>",
//      "eigen", or "auto"), when set to other than "auto": both precisions;
//   2. BLIS_ARCH_TYPE in the environment: BLIS's own choice, as the user asked;
//   3. otherwise a calibration, once per size class of the Jacobian (its
//      number of rows, below) on the first solve of that class, each
//      precision on its own, on the threads that solve runs the tiles on
//      (its pool): J^T J of a calibration_rows(m) x 512 Jacobian and its
//      Cholesky factorization by each candidate the CPU can run (BLIS's own
//      choice unless it is 'generic', the best AVX-512 and AVX2/FMA
//      sub-configurations, and Eigen). Three rounds, each taking the
//      candidates in a different order so that drift and bursts of load
//      from other processes hit them alike; a candidate's time is the
//      median of its rounds, in CPU time (of this thread, or of the process
//      with a pool), which a preemption does not inflate; a candidate
//      whose best round is more than 15% behind the fastest after two
//      rounds runs no more; the first candidate, in the order above, within
//      2% of the fastest is kept.
//      130-170 ms of wall time for both precisions at R1's 2000 rows (976
//      calibration rows) on one or two threads of a loaded 2-core Zen 4
//      machine: about two R1 iterations, once per process and size class.
//
// Why on the solve's threads: a kernel's blocking can scale differently
// from one thread to two (two threads share the L3 cache and the memory
// bandwidth), so the kernel fastest on one thread need not be fastest on
// two. Why once per size class for every thread count: results are
// bit-identical across thread counts given the kernel, and the tests and
// users that compare a one-thread and a two-thread solve in one process
// rely on it; so the first solve of a class chooses at its thread count
// and every later solve of the class, at any thread count, keeps that
// choice. (Two processes with different thread counts may choose
// differently, as two calibrations may on a noisy machine.)
//
// Why per precision: a sub-configuration can be fast in one and slow in
// the other (BLIS 0.9's 'skx' packs and solves single-precision triangles
// with reference code; its 'zen3' and 'haswell' share their double
// blocking but not their single one). Why the size: the product tiles of
// J^T J run over all m rows of J, and how fast a blocking runs depends on
// J's column stride: on a Zen 4 core, 'zen3' forms single-precision J^T J
// as fast as 'haswell' at 2000 rows but 25-30% slower at 1024 or 2048 rows
// (a column stride that is a multiple of 4 KB), 13% slower at 1088. So the
// calibration Jacobian has J's column stride modulo 4 KB and at least 512
// rows (two of BLIS's k-blocks) but at most 1535, to stay short.
//
// CPU time and rounds in turn keep other processes' load out of the choice;
// the preference order keeps it stable when candidates tie; a kernel gives
// the same bits for any thread count. At most kMaxCalibratedClasses size
// classes are calibrated per process; later ones reuse the first class's
// choice (and say so).
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "curvature/thread_pool.h"

namespace curvature::internal {

enum class DenseKernelLibrary { kBlis, kEigen };

struct DenseKernel {
  DenseKernelLibrary library = DenseKernelLibrary::kEigen;
  std::string name;              // "blis:zen3", "eigen"
  void* blis_context = nullptr;  // BLIS's cntx_t of that sub-configuration; null: BLIS's own
};

// The kernels of one size class.
struct DenseKernels {
  DenseKernel double_precision;
  DenseKernel single_precision;
  // One line saying what runs the tiles and why, e.g. "BLIS zen3 in double,
  // BLIS haswell in single precision (calibrated at 976 rows, 1 thread;
  // BLIS chose zen3), 256-column tiles".
  std::string description;
  // How the calibration ran (0 and 0.0 when the environment or the build
  // chose): the threads it timed the candidates on, and its wall time.
  int calibration_threads = 0;
  double calibration_seconds = 0.0;

  template <typename Scalar>
  const DenseKernel& for_scalar() const {
    if constexpr (sizeof(Scalar) == sizeof(float)) {
      return single_precision;
    } else {
      return double_precision;
    }
  }
};

// Jacobians of R1's 2000 rows: the class --version and callers without a
// Jacobian at hand describe.
inline constexpr Eigen::Index kTypicalJacobianRows = 2000;
inline constexpr int kMaxCalibratedClasses = 4;

// The kernels for a dense Jacobian of `rows` rows, chosen on the first call
// for its size class with `pool`, the threads the caller runs the tiles on
// (null: one thread); later calls keep that choice whatever their pool.
// Throws curvature::Error naming CURVATURE_DENSE_KERNEL when its value is
// not a kernel this build and CPU can run.
const DenseKernels& dense_kernels(Eigen::Index rows = kTypicalJacobianRows, ThreadPool* pool = nullptr);

// The same for a caller that has no pool at hand yet (the solve's set-up,
// before its linear solver made one): a calibration runs on a pool of
// `threads` threads made for it.
const DenseKernels& dense_kernels_for_threads(Eigen::Index rows, int threads);

// Shorthands: dense_kernels(rows).double_precision, and its description.
const DenseKernel& dense_kernel(Eigen::Index rows = kTypicalJacobianRows);
const std::string& dense_kernel_description(Eigen::Index rows = kTypicalJacobianRows);

// The rows of the calibration Jacobian for a Jacobian of `rows` rows (its
// size class): `rows` itself below 512, otherwise the number in [512, 1535]
// equal to `rows` modulo 1024 (so the same column stride modulo 4 KB in
// both precisions).
Eigen::Index calibration_rows(Eigen::Index rows);

// The kernels calibration chooses among on this CPU, in order of preference.
std::vector<DenseKernel> dense_kernel_candidates();

// What a calibration measures: the seconds one J^T J and Cholesky
// factorization of `jacobian` (in the given precision) take with `kernel` on
// `pool` (null: one thread). Replaceable so that a test can give timings.
struct CalibrationTimer {
  std::function<double(const DenseKernel& kernel, const Eigen::MatrixXd& jacobian, ThreadPool* pool)> double_precision;
  std::function<double(const DenseKernel& kernel, const Eigen::MatrixXf& jacobian, ThreadPool* pool)> single_precision;
};

// The automatic choice (step 3 above) for a Jacobian of `calibration_rows`
// rows, timed on `pool`, whatever the environment says (not cached). An
// empty `timer` measures CPU time; the description is left empty.
DenseKernels calibrated_dense_kernels(Eigen::Index calibration_rows, ThreadPool* pool = nullptr,
                                      const CalibrationTimer& timer = {});

// The choice among `count` candidates (in order of preference) that
// `seconds(i)`, one timing of candidate i, makes by the rounds of step 3.
std::size_t fastest_candidate(std::size_t count, const std::function<double(std::size_t)>& seconds);

// The kernel `spec` names ("blis:<sub-configuration>" or "eigen"); throws
// Error, naming `source` (where the spec came from), when this build or
// this CPU cannot run it.
DenseKernel dense_kernel_named(const std::string& spec, const std::string& source);

// The sub-configuration BLIS selects for itself ("zen3", "generic");
// empty in a build without BLIS.
std::string blis_own_configuration();

// Whether the kernel is BLIS's portable reference code.
bool is_reference_kernel(const DenseKernel& kernel);

// Whether the CPU (and the operating system) support AVX2 and FMA.
bool cpu_has_avx2_fma();

}  // namespace curvature::internal
