// Tests for the choice of the dense tile kernels: never BLIS's reference
// code on a CPU with AVX2, every candidate correct and bit-identical for any
// thread count, and a bad CURVATURE_DENSE_KERNEL named in the error.
#include "dense_kernel.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

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
  const DenseKernels calibrated = calibrated_dense_kernels(calibration_rows(2000));
  EXPECT_FALSE(is_reference_kernel(calibrated.double_precision)) << calibrated.double_precision.name;
  EXPECT_FALSE(is_reference_kernel(calibrated.single_precision)) << calibrated.single_precision.name;
  if (environment_chooses()) GTEST_SKIP() << "the environment chooses the kernel in use";
  EXPECT_FALSE(is_reference_kernel(dense_kernels().double_precision)) << dense_kernel_description();
  EXPECT_FALSE(is_reference_kernel(dense_kernels().single_precision)) << dense_kernel_description();
}

TEST(DenseKernelChoice, CandidatesIncludeEigenAndNoReferenceCodeOnACpuWithAvx2) {
  const auto candidates = dense_kernel_candidates();
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates.back().name, "eigen");
  if (!cpu_has_avx2_fma() || blis_own_configuration().empty()) return;
  for (const DenseKernel& candidate : candidates) EXPECT_FALSE(is_reference_kernel(candidate)) << candidate.name;
  EXPECT_GE(candidates.size(), 2u) << "no optimized BLIS sub-configuration for an AVX2 CPU";
}

std::string library(const DenseKernel& kernel) {
  return kernel.library == DenseKernelLibrary::kEigen ? "Eigen" : "BLIS " + kernel.name.substr(5);
}

// The description names the kernel of each precision (once when they are
// the same), the size class it was calibrated at, and the tiles.
TEST(DenseKernelChoice, DescriptionNamesTheKernelOfEachPrecisionAndTheTiles) {
  const DenseKernels& kernels = dense_kernels(2000);
  const std::string& description = kernels.description;
  EXPECT_EQ(description, dense_kernel_description(2000));
  if (kernels.double_precision.name == kernels.single_precision.name) {
    EXPECT_EQ(description.rfind(library(kernels.double_precision) + " (", 0), 0u) << description;
  } else {
    EXPECT_EQ(description.rfind(library(kernels.double_precision) + " in double, " + library(kernels.single_precision) +
                                    " in single precision (",
                                0),
              0u)
        << description;
  }
  if (!environment_chooses() && !blis_own_configuration().empty()) {
    EXPECT_NE(description.find("(calibrated at 976 rows, 1 thread; BLIS chose " + blis_own_configuration() + ")"),
              std::string::npos)
        << description;
  }
  EXPECT_NE(description.find(std::to_string(kDenseTileSize) + "-column tiles"), std::string::npos) << description;
}

// A size class keeps J's column stride modulo 4 KB (1024 floats, a multiple
// of 512 doubles) with 512 to 1535 rows; fewer rows are their own class.
TEST(DenseKernelChoice, CalibrationRowsKeepTheColumnStrideModulo4KB) {
  EXPECT_EQ(calibration_rows(1), 1);
  EXPECT_EQ(calibration_rows(300), 300);
  EXPECT_EQ(calibration_rows(511), 511);
  EXPECT_EQ(calibration_rows(512), 512);
  EXPECT_EQ(calibration_rows(1535), 1535);
  EXPECT_EQ(calibration_rows(1536), 512);
  EXPECT_EQ(calibration_rows(2000), 976);
  EXPECT_EQ(calibration_rows(2048), 1024);
  EXPECT_EQ(calibration_rows(1088), 1088);
  EXPECT_EQ(calibration_rows(100000), 672);   // 100000 = 97 * 1024 + 672
  EXPECT_EQ(calibration_rows(100400), 1072);  // 98 * 1024 + 48
  for (Eigen::Index rows = 512; rows < 5000; rows += 37) {
    const Eigen::Index calibration = calibration_rows(rows);
    EXPECT_GE(calibration, 512);
    EXPECT_LE(calibration, 1535);
    EXPECT_EQ(calibration % 1024, rows % 1024) << rows;
  }
}

// One calibration per size class: the same kernels object for two sizes of
// one class, whatever else was asked for in between.
TEST(DenseKernelChoice, EachSizeClassIsChosenOnceAndKept) {
  const DenseKernels& first = dense_kernels(2000);
  (void)dense_kernels(3000);
  EXPECT_EQ(&dense_kernels(2000), &first);
  EXPECT_EQ(&dense_kernels(976), &first);
  EXPECT_EQ(&dense_kernels(3024), &first);
  EXPECT_EQ(&dense_kernel(2000), &first.double_precision);
}

// A fake timing source for the calibration: seconds by kernel name and
// thread count, recording what each timing was asked to run on.
struct FakeTimings {
  std::map<std::pair<std::string, int>, double> seconds;
  std::vector<std::pair<Eigen::Index, Eigen::Index>> jacobian_sizes;

  template <typename Matrix>
  double time(const DenseKernel& kernel, const Matrix& jacobian, ThreadPool* pool) {
    jacobian_sizes.emplace_back(jacobian.rows(), jacobian.cols());
    const int threads = pool != nullptr ? pool->num_threads() : 1;
    const auto found = seconds.find({kernel.name, threads});
    return found != seconds.end() ? found->second : 1.0;
  }
  CalibrationTimer timer() {
    return {[this](const DenseKernel& k, const Eigen::MatrixXd& j, ThreadPool* p) { return time(k, j, p); },
            [this](const DenseKernel& k, const Eigen::MatrixXf& j, ThreadPool* p) { return time(k, j, p); }};
  }
};

// The calibration times the candidates on the pool it is given: a kernel
// that is fastest only on two threads is chosen for two threads and not for
// one.
TEST(DenseKernelChoice, CalibrationChoosesTheFastestAtThePoolsThreadCount) {
  const std::vector<DenseKernel> candidates = dense_kernel_candidates();
  if (candidates.size() < 2) GTEST_SKIP() << "one candidate only";
  const std::string first = candidates.front().name, last = candidates.back().name;
  FakeTimings fake;
  fake.seconds = {{{first, 1}, 1.0}, {{last, 1}, 0.5}, {{first, 2}, 0.5}, {{last, 2}, 1.0}};
  const DenseKernels one = calibrated_dense_kernels(976, nullptr, fake.timer());
  EXPECT_EQ(one.double_precision.name, last);
  EXPECT_EQ(one.single_precision.name, last);
  EXPECT_EQ(one.calibration_threads, 1);
  for (const auto& size : fake.jacobian_sizes) EXPECT_EQ(size, std::make_pair(Eigen::Index{976}, 2 * kDenseTileSize));

  fake.jacobian_sizes.clear();
  ThreadPool pool(2);
  const DenseKernels two = calibrated_dense_kernels(976, &pool, fake.timer());
  EXPECT_EQ(two.double_precision.name, first);
  EXPECT_EQ(two.single_precision.name, first);
  EXPECT_EQ(two.calibration_threads, 2);
  for (const auto& size : fake.jacobian_sizes) EXPECT_EQ(size, std::make_pair(Eigen::Index{976}, 2 * kDenseTileSize));
}

// The rounds: each starts at another candidate, a candidate's time is the
// median of its rounds (one unlucky or lucky timing does not decide), one
// whose best timing is more than 15% behind the fastest median after two
// rounds is dropped, and an earlier candidate within 2% of the fastest is
// preferred.
TEST(DenseKernelChoice, RoundsTakeMediansInTurnsAndPreferEarlierCandidates) {
  std::vector<size_t> calls;
  std::map<size_t, std::vector<double>> script = {
      {0, {1.0, 3.0, 1.0}},   // one slow round (a burst of load)
      {1, {0.9, 1.2, 1.2}},   // one lucky round
      {2, {2.0, 2.0}},        // far behind: dropped after two rounds
      {3, {1.04, 1.04, 0.9}}  // fastest by its best round only
  };
  std::map<size_t, size_t> next;
  const size_t chosen = fastest_candidate(4, [&](size_t i) {
    calls.push_back(i);
    return script[i].at(next[i]++);
  });
  EXPECT_EQ(chosen, 0u);
  EXPECT_EQ(calls, (std::vector<size_t>{0, 1, 2, 3, 1, 2, 3, 0, 3, 0, 1}));

  // Within 2%: the earlier candidate; beyond: the faster.
  EXPECT_EQ(fastest_candidate(2, [](size_t i) { return i == 0 ? 1.015 : 1.0; }), 0u);
  EXPECT_EQ(fastest_candidate(2, [](size_t i) { return i == 0 ? 1.03 : 1.0; }), 1u);
  EXPECT_EQ(fastest_candidate(1, [](size_t) { return 1.0; }), 0u);
}

// The first solve of a size class chooses on its threads; every later one,
// at any thread count, keeps that choice (bit-identical results across
// thread counts in one process).
TEST(DenseKernelChoice, FirstPoolOfASizeClassChoosesForEveryThreadCount) {
  if (environment_chooses() || blis_own_configuration().empty()) GTEST_SKIP() << "no calibration";
  ThreadPool pool(2);
  const DenseKernels& two = dense_kernels(1300, &pool);
  EXPECT_EQ(two.calibration_threads, 2);
  EXPECT_NE(two.description.find("(calibrated at 1300 rows, 2 threads; "), std::string::npos) << two.description;
  EXPECT_EQ(&dense_kernels(1300), &two);
  EXPECT_EQ(&dense_kernels(2324, nullptr), &two);  // 2324 = 1024 + 1300
  // And a caller without a pool yet gets its thread count all the same.
  EXPECT_EQ(dense_kernels_for_threads(1400, 2).calibration_threads, 2);
  EXPECT_EQ(&dense_kernels_for_threads(1300, 1), &two);
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
