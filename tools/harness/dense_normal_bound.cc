#include "dense_normal_bound.h"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <vector>

#include "curvature/error.h"
#include "curvature/thread_pool.h"
#include "dense_kernel.h"
#include "process_cpu_time.h"
#include "tiled_dense.h"

// Fortran BLAS/LAPACK, with the hidden string lengths gfortran passes.
extern "C" {
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha, const double* a,
            const int* lda, const double* beta, double* c, const int* ldc, std::size_t uplo_len, std::size_t trans_len);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t uplo_len);
}

namespace curvature::bench {
namespace {

double seconds_since(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// One kernel's samples, double and single precision.
struct KernelSamples {
  const internal::DenseKernel* kernel;
  std::vector<double> normal_s, cholesky_s, single_normal_s, single_cholesky_s, cpu_s, single_cpu_s;
};

}  // namespace

DenseNormalTimes DenseNormalBound::best() const {
  return {std::min(blas.normal_s, curvature.normal_s), std::min(blas.cholesky_s, curvature.cholesky_s)};
}

DenseNormalBound measure_dense_normal_bound(int rows, int cols, int threads, int repeats) {
  const Eigen::MatrixXd jacobian = Eigen::MatrixXd::Random(rows, cols);
  Eigen::MatrixXd normal(cols, cols);
  internal::ThreadPool pool(threads);
  const Eigen::MatrixXf single_jacobian = jacobian.cast<float>();
  Eigen::MatrixXf single_normal(cols, cols);
  // Every candidate the choice weighed, and the kernels in use after them
  // when the environment named one that is not among them.
  const internal::DenseKernels& in_use = internal::dense_kernels(rows, &pool);
  const std::vector<internal::DenseKernel> candidates = internal::dense_kernel_candidates();
  std::vector<KernelSamples> samples;
  for (const internal::DenseKernel& candidate : candidates) samples.push_back({&candidate, {}, {}, {}, {}, {}, {}});
  auto index_of = [&](const internal::DenseKernel& kernel) {
    for (size_t i = 0; i < samples.size(); ++i) {
      if (samples[i].kernel->name == kernel.name && samples[i].kernel->blis_context == kernel.blis_context) return i;
    }
    samples.push_back({&kernel, {}, {}, {}, {}, {}, {}});
    return samples.size() - 1;
  };
  const size_t double_index = index_of(in_use.double_precision);
  const size_t single_index = index_of(in_use.single_precision);
  std::vector<double> blas_normal, blas_cholesky;
  const double one = 1.0, zero = 0.0;
  // Each repeat times every kernel in turn, so that a burst of load from
  // other processes falls on all of them alike rather than on one.
  for (int r = 0; r < repeats; ++r) {
    auto begin = std::chrono::steady_clock::now();
    dsyrk_("L", "T", &cols, &rows, &one, jacobian.data(), &rows, &zero, normal.data(), &cols, 1, 1);
    blas_normal.push_back(seconds_since(begin));
    normal.diagonal().array() += 1.0;  // positive definite whatever the random Jacobian's rank
    int info = 0;
    begin = std::chrono::steady_clock::now();
    dpotrf_("L", &cols, normal.data(), &cols, &info, 1);
    blas_cholesky.push_back(seconds_since(begin));
    if (info != 0) throw Error("dense normal bound: dpotrf failed with info " + std::to_string(info));

    for (KernelSamples& k : samples) {
      const internal::DenseKernel& kernel = *k.kernel;
      double cpu_begin = process_cpu_seconds();
      begin = std::chrono::steady_clock::now();
      internal::lower_normal_matrix(jacobian, &normal, &pool, internal::kDenseTileSize, &kernel);
      k.normal_s.push_back(seconds_since(begin));
      normal.diagonal().array() += 1.0;
      begin = std::chrono::steady_clock::now();
      const bool factored = internal::cholesky_lower_in_place(normal, &pool, internal::kDenseTileSize, &kernel);
      k.cholesky_s.push_back(seconds_since(begin));
      k.cpu_s.push_back(process_cpu_seconds() - cpu_begin);
      if (!factored) throw Error("dense normal bound: the tiled Cholesky failed with " + kernel.name);

      cpu_begin = process_cpu_seconds();
      begin = std::chrono::steady_clock::now();
      internal::lower_normal_matrix(single_jacobian, &single_normal, &pool, internal::kDenseTileSize, &kernel);
      k.single_normal_s.push_back(seconds_since(begin));
      single_normal.diagonal().array() += static_cast<float>(rows);  // well conditioned, as LM's damped matrices
      begin = std::chrono::steady_clock::now();
      const bool single_factored =
          internal::cholesky_lower_in_place(single_normal, &pool, internal::kDenseTileSize, &kernel);
      k.single_cholesky_s.push_back(seconds_since(begin));
      k.single_cpu_s.push_back(process_cpu_seconds() - cpu_begin);
      if (!single_factored) {
        throw Error("dense normal bound: the single-precision tiled Cholesky failed with " + kernel.name);
      }
    }
  }
  DenseNormalBound bound;
  bound.blas = {median(blas_normal), median(blas_cholesky)};
  const KernelSamples& used = samples[double_index];
  bound.curvature = {median(used.normal_s), median(used.cholesky_s)};
  const KernelSamples& used_single = samples[single_index];
  bound.single = {median(used_single.single_normal_s), median(used_single.single_cholesky_s)};
  for (size_t i = 0; i < candidates.size(); ++i) {
    const KernelSamples& k = samples[i];
    bound.candidates.push_back({k.kernel->name,
                                {median(k.normal_s), median(k.cholesky_s)},
                                {median(k.single_normal_s), median(k.single_cholesky_s)},
                                median(k.cpu_s),
                                median(k.single_cpu_s)});
  }
  return bound;
}

std::string dense_kernel_in_use(int rows) { return internal::dense_kernel_description(rows); }

double dense_kernel_calibration_seconds(int rows) { return internal::dense_kernels(rows).calibration_seconds; }

std::string dense_kernel_name(int rows) { return internal::dense_kernels(rows).double_precision.name; }

std::string single_precision_kernel_name(int rows) { return internal::dense_kernels(rows).single_precision.name; }

}  // namespace curvature::bench
