// dense_kernel.h — which implementation runs the tiles of tiled_dense.h
// (J^T J and the Cholesky factorization): one of the BLIS
// sub-configurations compiled into the linked BLIS, or Eigen. Internal.
//
// BLIS picks its sub-configuration from the CPU's identity, not from its
// features: a CPU newer than the BLIS build (an AMD Zen 4 under Debian's
// BLIS 0.9, for one) can get the portable 'generic' kernels, 5x slower than
// the AVX2 ones the same core runs. So the choice is made here, once per
// process, on first use (thread-safe):
//   1. CURVATURE_DENSE_KERNEL in the environment ("blis:<sub-configuration>",
//      "eigen", or "auto"), when set to other than "auto";
//   2. BLIS_ARCH_TYPE in the environment: BLIS's own choice, as the user asked;
//   3. otherwise a calibration of ~65 ms (a Zen 4 core): J^T J of a 256 x 512
//      Jacobian and its Cholesky factorization, in double and in single
//      precision, by each candidate the CPU can run (BLIS's own choice
//      unless it is 'generic', the best AVX-512 and AVX2/FMA
//      sub-configurations, and Eigen), the fastest of three rounds in CPU
//      time, keeping the first candidate, in that order, within 10% of the
//      fastest. Both precisions and the factorization count because a
//      sub-configuration can be fast at one and slow at another (BLIS 0.9's
//      'skx' packs and solves single-precision triangles with reference
//      code). CPU time and rounds in turn keep other processes' load out of
//      the choice; the order keeps it stable when candidates tie; the same
//      choice gives the same bits for any thread count.
#pragma once

#include <string>
#include <vector>

namespace curvature::internal {

enum class DenseKernelLibrary { kBlis, kEigen };

struct DenseKernel {
  DenseKernelLibrary library = DenseKernelLibrary::kEigen;
  std::string name;              // "blis:zen3", "eigen"
  void* blis_context = nullptr;  // BLIS's cntx_t of that sub-configuration; null: BLIS's own
};

// The kernel the tiles use in this process (chosen on the first call).
// Throws curvature::Error naming CURVATURE_DENSE_KERNEL when its value is
// not a kernel this build and CPU can run.
const DenseKernel& dense_kernel();

// One line saying what runs the tiles and why, e.g.
// "BLIS zen3 (calibrated; BLIS chose generic), 256-column tiles".
const std::string& dense_kernel_description();

// The kernels calibration chooses among on this CPU, in order of preference.
std::vector<DenseKernel> dense_kernel_candidates();

// The automatic choice (step 3 above), whatever the environment says.
DenseKernel calibrated_dense_kernel();

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
