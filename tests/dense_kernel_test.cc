// Tests for the choice of the dense tile kernels: never BLIS's reference
// code on a CPU with AVX2, every candidate correct and bit-identical for any
// thread count, and a bad CURVATURE_DENSE_KERNEL named in the error.
#include "dense_kernel.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cstdlib>
#include <random>
#include <string>

#include "curvature/error.h"
#include "curvature/thread_pool.h"
#include "test_util.h"
#include "tiled_dense.h"

namespace curvature::internal {
namespace {

using testing::lower;
using testing::random_matrix;

bool environment_chooses() {
  return std::getenv("CURVATURE_DENSE_KERNEL") != nullptr || std::getenv("BLIS_ARCH_TYPE") != nullptr;
}

TEST(DenseKernelChoice, NotReferenceCodeOnACpuWithAvx2) {
  if (!cpu_has_avx2_fma()) GTEST_SKIP() << "this CPU has no AVX2/FMA";
  EXPECT_FALSE(is_reference_kernel(calibrated_dense_kernel())) << calibrated_dense_kernel().name;
  if (environment_chooses()) GTEST_SKIP() << "the environment chooses the kernel in use";
  EXPECT_FALSE(is_reference_kernel(dense_kernel())) << dense_kernel_description();
}

TEST(DenseKernelChoice, CandidatesIncludeEigenAndNoReferenceCodeOnACpuWithAvx2) {
  const auto candidates = dense_kernel_candidates();
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates.back().name, "eigen");
  if (!cpu_has_avx2_fma() || blis_own_configuration().empty()) return;
  for (const DenseKernel& candidate : candidates) EXPECT_FALSE(is_reference_kernel(candidate)) << candidate.name;
  EXPECT_GE(candidates.size(), 2u) << "no optimized BLIS sub-configuration for an AVX2 CPU";
}

TEST(DenseKernelChoice, DescriptionNamesTheKernelAndTheTiles) {
  const std::string& description = dense_kernel_description();
  const DenseKernel& kernel = dense_kernel();
  const std::string library = kernel.library == DenseKernelLibrary::kEigen ? "Eigen" : "BLIS " + kernel.name.substr(5);
  EXPECT_EQ(description.rfind(library, 0), 0u) << description;
  EXPECT_NE(description.find(std::to_string(kDenseTileSize) + "-column tiles"), std::string::npos) << description;
}

TEST(DenseKernelChoice, ReferenceKernelIsRecognised) {
  if (blis_own_configuration().empty()) GTEST_SKIP() << "built without BLIS";
  const DenseKernel generic = dense_kernel_named("blis:generic", "test");
  EXPECT_TRUE(is_reference_kernel(generic));
  EXPECT_NE(generic.blis_context, nullptr);
  EXPECT_FALSE(is_reference_kernel(dense_kernel_named("eigen", "test")));
}

TEST(DenseKernelChoice, BadSpecIsAnErrorNamingTheVariable) {
  try {
    dense_kernel_named("openblas", "CURVATURE_DENSE_KERNEL");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "CURVATURE_DENSE_KERNEL must be \"blis:<sub-configuration>\", \"eigen\" or \"auto\", got \"openblas\"");
  }
  try {
    dense_kernel_named("blis:nosuchcpu", "CURVATURE_DENSE_KERNEL");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("CURVATURE_DENSE_KERNEL = \"blis:nosuchcpu\": ", 0), 0u) << e.what();
  }
}

// Every candidate the calibration may choose: the right J^T J and Cholesky,
// with the same bits for 1, 2 and 3 threads.
TEST(DenseKernelCandidates, CorrectAndSameBitsForAnyThreadCount) {
  const Eigen::MatrixXd j = random_matrix(150, 130, 9);
  Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(130, 130);
  expected.selfadjointView<Eigen::Lower>().rankUpdate(j.transpose());
  constexpr Eigen::Index kTile = 32;
  for (const DenseKernel& kernel : dense_kernel_candidates()) {
    SCOPED_TRACE(kernel.name);
    Eigen::MatrixXd normal_one;
    lower_normal_matrix(j, &normal_one, nullptr, kTile, &kernel);
    EXPECT_LE((lower(normal_one) - lower(expected)).norm(), 1e-13 * expected.norm());
    Eigen::MatrixXd factor_one = lower(normal_one);
    factor_one.diagonal().array() += 1.0;
    ASSERT_TRUE(cholesky_lower_in_place(factor_one, nullptr, kTile, &kernel));
    const Eigen::MatrixXd l = lower(factor_one);
    Eigen::MatrixXd a = lower(expected).selfadjointView<Eigen::Lower>();
    a.diagonal().array() += 1.0;
    EXPECT_LE((l * l.transpose() - a).norm(), 1e-13 * a.norm());
    for (int threads : {2, 3}) {
      ThreadPool pool(threads);
      Eigen::MatrixXd normal;
      lower_normal_matrix(j, &normal, &pool, kTile, &kernel);
      EXPECT_EQ(lower(normal), lower(normal_one)) << threads << " threads";
      Eigen::MatrixXd factor = lower(normal);
      factor.diagonal().array() += 1.0;
      ASSERT_TRUE(cholesky_lower_in_place(factor, &pool, kTile, &kernel));
      EXPECT_EQ(lower(factor), lower(factor_one)) << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace curvature::internal
