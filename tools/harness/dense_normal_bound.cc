#include "dense_normal_bound.h"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <vector>

#include "curvature/error.h"
#include "curvature/thread_pool.h"
#include "dense_kernel.h"
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
  std::vector<double> blas_normal, blas_cholesky, own_normal, own_cholesky, single_normal_s, single_cholesky_s;
  const double one = 1.0, zero = 0.0;
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

    begin = std::chrono::steady_clock::now();
    internal::lower_normal_matrix(jacobian, &normal, &pool);
    own_normal.push_back(seconds_since(begin));
    normal.diagonal().array() += 1.0;
    begin = std::chrono::steady_clock::now();
    const bool factored = internal::cholesky_lower_in_place(normal, &pool);
    own_cholesky.push_back(seconds_since(begin));
    if (!factored) throw Error("dense normal bound: the tiled Cholesky failed");

    begin = std::chrono::steady_clock::now();
    internal::lower_normal_matrix(single_jacobian, &single_normal, &pool);
    single_normal_s.push_back(seconds_since(begin));
    single_normal.diagonal().array() += static_cast<float>(rows);  // well conditioned, as LM's damped matrices
    begin = std::chrono::steady_clock::now();
    const bool single_factored = internal::cholesky_lower_in_place(single_normal, &pool);
    single_cholesky_s.push_back(seconds_since(begin));
    if (!single_factored) throw Error("dense normal bound: the single-precision tiled Cholesky failed");
  }
  DenseNormalBound bound;
  for (const internal::DenseKernel& kernel : internal::dense_kernel_candidates()) {
    std::vector<double> normal_s, cholesky_s, single_normal_s, single_cholesky_s;
    for (int r = 0; r < repeats; ++r) {
      auto begin = std::chrono::steady_clock::now();
      internal::lower_normal_matrix(jacobian, &normal, &pool, internal::kDenseTileSize, &kernel);
      normal_s.push_back(seconds_since(begin));
      normal.diagonal().array() += 1.0;
      begin = std::chrono::steady_clock::now();
      const bool factored = internal::cholesky_lower_in_place(normal, &pool, internal::kDenseTileSize, &kernel);
      cholesky_s.push_back(seconds_since(begin));
      if (!factored) throw Error("dense normal bound: the tiled Cholesky failed with " + kernel.name);

      begin = std::chrono::steady_clock::now();
      internal::lower_normal_matrix(single_jacobian, &single_normal, &pool, internal::kDenseTileSize, &kernel);
      single_normal_s.push_back(seconds_since(begin));
      single_normal.diagonal().array() += static_cast<float>(rows);
      begin = std::chrono::steady_clock::now();
      const bool single_factored =
          internal::cholesky_lower_in_place(single_normal, &pool, internal::kDenseTileSize, &kernel);
      single_cholesky_s.push_back(seconds_since(begin));
      if (!single_factored) {
        throw Error("dense normal bound: the single-precision tiled Cholesky failed with " + kernel.name);
      }
    }
    bound.candidates.push_back(
        {kernel.name, {median(normal_s), median(cholesky_s)}, {median(single_normal_s), median(single_cholesky_s)}});
  }
  bound.blas = {median(blas_normal), median(blas_cholesky)};
  bound.curvature = {median(own_normal), median(own_cholesky)};
  bound.single = {median(single_normal_s), median(single_cholesky_s)};
  return bound;
}

std::string dense_kernel_in_use() { return internal::dense_kernel_description(); }

std::string dense_kernel_name() { return internal::dense_kernel().name; }

}  // namespace curvature::bench
