#include "dense_kernel.h"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <string_view>
#include <utility>

#include "curvature/error.h"
#include "tiled_dense.h"

#ifdef CURVATURE_USE_BLIS
#include <blis.h>
#endif

namespace curvature::internal {
namespace {

constexpr const char* kOverrideVariable = "CURVATURE_DENSE_KERNEL";

// Calibration (dense_kernel.h): what an LM iteration on a dense Jacobian
// asks of the tiles in one precision: J^T J of a calibration_rows(m) x
// (2 tiles) Jacobian, then the Cholesky factorization of the result (a
// diagonal tile, a panel solve, a trailing rank update). With two threads
// two of the three tile products of J^T J run side by side, sharing the
// L3 cache and the memory bandwidth as the solve's tiles do.
// kCalibrationRounds rounds take the candidates in turns, each round in
// another order, so that a burst of load from other processes or a drift
// of the clock hits every candidate alike; a candidate's time is the median
// of its rounds. A candidate whose best time is more than
// kCalibrationCutoff behind the fastest median after the second or a later
// round is not run again; an earlier candidate within kCalibrationMargin of
// the fastest is kept.
constexpr Eigen::Index kCalibrationColumns = 2 * kDenseTileSize;
constexpr Eigen::Index kCalibrationMinRows = 512;  // two of BLIS's k-blocks (256)
constexpr Eigen::Index kStrideModulus = 1024;      // floats in 4 KB (512 doubles divide it)
constexpr int kCalibrationRounds = 3;
constexpr double kCalibrationCutoff = 1.15;
// Near the calibration's own spread (medians of three rounds of CPU time):
// at 5%, BLIS's 'zen3' was kept in single precision on a Zen 4 core while
// 'haswell' ran R1's 2000 x 1441 J^T J 4-12% faster.
constexpr double kCalibrationMargin = 1.02;

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? value : nullptr;
}

DenseKernel eigen_kernel() { return {DenseKernelLibrary::kEigen, "eigen", nullptr}; }

#ifdef CURVATURE_USE_BLIS
// What each BLIS sub-configuration needs from the CPU, by name, so that a
// BLIS newer than these sources is handled by its names alone (an unknown
// name is never run).
bool cpu_runs(std::string_view configuration) {
  __builtin_cpu_init();
  const bool avx = __builtin_cpu_supports("avx");
  const bool avx2_fma = cpu_has_avx2_fma();
  const bool avx512 = avx2_fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  if (configuration == "generic") return true;
  if (configuration == "skx" || configuration == "zen4" || configuration == "zen5") return avx512;
  if (configuration == "haswell" || configuration == "zen" || configuration == "zen2" || configuration == "zen3") {
    return avx2_fma;
  }
  if (configuration == "sandybridge") return avx;
  return false;  // penryn, knl, the bulldozer family: not worth running where the above are not
}

// The sub-configuration's context, or null when this BLIS does not hold it.
cntx_t* blis_context(std::string_view configuration) {
  bli_init();
  for (int id = 0; id < BLIS_NUM_ARCHS; ++id) {
    const auto arch = static_cast<arch_t>(id);
    if (configuration != bli_arch_string(arch)) continue;
    if (bli_gks_lookup_id(arch) == nullptr) return nullptr;
    return bli_gks_lookup_nat_cntx(arch);
  }
  return nullptr;
}
#endif

double cpu_seconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// One J^T J and one Cholesky factorization of it by `kernel`, in the
// precision of `jacobian`, on `pool`: in this thread's CPU seconds with one
// thread, in the process's with a pool (its workers' time counts, and a
// thread stalled on the cache or memory the others share pays in CPU time
// too).
template <typename Matrix>
double seconds_for_normal_equations(const DenseKernel& kernel, const Matrix& jacobian, ThreadPool* pool) {
  Matrix normal;
  const clockid_t clock =
      pool != nullptr && pool->num_threads() > 1 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID;
  const double begin = cpu_seconds(clock);
  lower_normal_matrix(jacobian, &normal, pool, kDenseTileSize, &kernel);
  // Positive definite whatever the Jacobian's rank: |J_col|^2 ~ rows / 3.
  normal.diagonal().array() += static_cast<typename Matrix::Scalar>(jacobian.rows());
  cholesky_lower_in_place(normal, pool, kDenseTileSize, &kernel);
  return cpu_seconds(clock) - begin;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::string library_and_configuration(const DenseKernel& kernel) {
  if (kernel.library == DenseKernelLibrary::kEigen) return "Eigen";
  return "BLIS " + kernel.name.substr(kernel.name.find(':') + 1);
}

// "BLIS zen3" when both precisions run the same kernel, else "BLIS zen3 in
// double, BLIS haswell in single precision".
std::string both_precisions(const DenseKernels& kernels) {
  const std::string double_kernel = library_and_configuration(kernels.double_precision);
  const std::string single_kernel = library_and_configuration(kernels.single_precision);
  if (kernels.double_precision.name == kernels.single_precision.name) return double_kernel;
  return double_kernel + " in double, " + single_kernel + " in single precision";
}

const std::string& tiles_suffix() {
  static const std::string tiles = ", " + std::to_string(kDenseTileSize) + "-column tiles";
  return tiles;
}

// The choice when the environment or the build makes it (steps 1 and 2 of
// dense_kernel.h), for every size class alike; false when calibration decides.
bool fixed_choice(DenseKernels* kernels) {
  const std::string own = blis_own_configuration();
  if (own.empty()) {
    *kernels = {eigen_kernel(), eigen_kernel(), "Eigen (built without BLIS)" + tiles_suffix()};
    return true;
  }
  if (const char* spec = environment(kOverrideVariable); spec != nullptr && std::string_view(spec) != "auto") {
    const DenseKernel kernel = dense_kernel_named(spec, kOverrideVariable);
    *kernels = {kernel, kernel, library_and_configuration(kernel) + " (" + kOverrideVariable + ")" + tiles_suffix()};
    return true;
  }
  if (const char* blis_arch_type = environment("BLIS_ARCH_TYPE"); blis_arch_type != nullptr) {
    // BLIS 0.9 reads a number (its arch_t), and a name as 0: say what it took.
    const DenseKernel kernel{DenseKernelLibrary::kBlis, "blis:" + own, nullptr};
    *kernels = {kernel, kernel, "BLIS " + own + " (BLIS_ARCH_TYPE=" + blis_arch_type + ")" + tiles_suffix()};
    return true;
  }
  return false;
}

// The size classes calibrated so far in this process, in order, keyed by
// their calibration rows. Entries are never removed, so references stay valid.
struct Classes {
  std::mutex mutex;
  std::vector<std::pair<Eigen::Index, std::unique_ptr<DenseKernels>>> calibrated;
  std::unique_ptr<DenseKernels> later;  // size classes beyond kMaxCalibratedClasses
};

Classes& classes() {
  static Classes* all = new Classes;  // never destroyed: references outlive static destruction order
  return *all;
}

}  // namespace

bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

std::string blis_own_configuration() {
#ifdef CURVATURE_USE_BLIS
  bli_init();
  return bli_arch_string(bli_arch_query_id());
#else
  return "";
#endif
}

bool is_reference_kernel(const DenseKernel& kernel) {
  if (kernel.library != DenseKernelLibrary::kBlis) return false;
  return kernel.name == "blis:generic";
}

DenseKernel dense_kernel_named(const std::string& spec, const std::string& source) {
  if (spec == "eigen") return eigen_kernel();
  const std::string prefix = "blis:";
  if (spec.rfind(prefix, 0) != 0) {
    throw Error(source + " must be \"blis:<sub-configuration>\", \"eigen\" or \"auto\", got \"" + spec + "\"");
  }
  const std::string configuration = spec.substr(prefix.size());
#ifdef CURVATURE_USE_BLIS
  cntx_t* context = blis_context(configuration);
  if (context == nullptr) {
    throw Error(source + " = \"" + spec + "\": this BLIS holds no sub-configuration \"" + configuration + "\"");
  }
  if (!cpu_runs(configuration)) {
    throw Error(source + " = \"" + spec + "\": this CPU lacks the instructions of BLIS's \"" + configuration + "\"");
  }
  return {DenseKernelLibrary::kBlis, spec, context};
#else
  throw Error(source + " = \"" + spec + "\": curvature was built without BLIS (CURVATURE_USE_BLIS=OFF)");
#endif
}

std::vector<DenseKernel> dense_kernel_candidates() {
  std::vector<DenseKernel> candidates;
#ifdef CURVATURE_USE_BLIS
  auto add = [&](const std::string& configuration) {
    const std::string name = "blis:" + configuration;
    for (const DenseKernel& c : candidates) {
      if (c.name == name) return;
    }
    cntx_t* context = blis_context(configuration);
    if (context != nullptr && cpu_runs(configuration)) candidates.push_back({DenseKernelLibrary::kBlis, name, context});
  };
  const std::string own = blis_own_configuration();
  if (own != "generic") add(own);
  // The newest of each instruction set: one AVX-512, two AVX2/FMA (AMD's
  // and Intel's blocking); AVX alone only where there is no AVX2.
  for (const char* configuration : {"zen5", "zen4", "skx", "zen3", "haswell"}) add(configuration);
  if (candidates.empty()) add("sandybridge");
  // BLIS's reference code only where nothing else runs (Eigen competes).
  if (candidates.empty()) add("generic");
#endif
  candidates.push_back(eigen_kernel());
  return candidates;
}

Eigen::Index calibration_rows(Eigen::Index rows) {
  if (rows < kCalibrationMinRows) return std::max<Eigen::Index>(rows, 1);
  const Eigen::Index residue = rows % kStrideModulus;
  return residue < kCalibrationMinRows ? residue + kStrideModulus : residue;
}

size_t fastest_candidate(size_t count, const std::function<double(size_t)>& seconds) {
  if (count <= 1) return 0;
  std::vector<std::vector<double>> samples(count);
  std::vector<double> medians(count, std::numeric_limits<double>::infinity());
  std::vector<bool> running(count, true);
  for (int round = 0; round < kCalibrationRounds; ++round) {
    // Round r starts at candidate r (mod count): no candidate always runs
    // first, right after the set-up, or last.
    for (size_t k = 0; k < count; ++k) {
      const size_t i = (k + static_cast<size_t>(round)) % count;
      if (!running[i]) continue;
      samples[i].push_back(seconds(i));
      medians[i] = median(samples[i]);
    }
    // Dropping needs two timings: a single one may be a lucky one that
    // would put the rest out. And even the best timing of a dropped
    // candidate is behind: load only slows a timing down.
    if (round == 0) continue;
    const double fastest = *std::min_element(medians.begin(), medians.end());
    for (size_t i = 0; i < count; ++i) {
      if (*std::min_element(samples[i].begin(), samples[i].end()) > kCalibrationCutoff * fastest) running[i] = false;
    }
  }
  const double fastest = *std::min_element(medians.begin(), medians.end());
  for (size_t i = 0; i < count; ++i) {
    if (medians[i] <= kCalibrationMargin * fastest) return i;
  }
  return count - 1;  // not reached unless every time is NaN
}

DenseKernels calibrated_dense_kernels(Eigen::Index rows, ThreadPool* pool, const CalibrationTimer& timer) {
  const auto begin = std::chrono::steady_clock::now();
  const std::vector<DenseKernel> candidates = dense_kernel_candidates();
  DenseKernels kernels;
  kernels.calibration_threads = pool != nullptr ? pool->num_threads() : 1;
  if (candidates.size() == 1) {
    kernels.double_precision = kernels.single_precision = candidates.front();
    return kernels;
  }
  // Its own generator: Eigen's Random() would draw from the program's std::rand.
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  const Eigen::MatrixXd jacobian =
      Eigen::MatrixXd::NullaryExpr(rows, kCalibrationColumns, [&] { return uniform(rng); });
  const Eigen::MatrixXf single_jacobian = jacobian.cast<float>();
  const size_t chosen_double = fastest_candidate(candidates.size(), [&](size_t i) {
    return timer.double_precision ? timer.double_precision(candidates[i], jacobian, pool)
                                  : seconds_for_normal_equations(candidates[i], jacobian, pool);
  });
  const size_t chosen_single = fastest_candidate(candidates.size(), [&](size_t i) {
    return timer.single_precision ? timer.single_precision(candidates[i], single_jacobian, pool)
                                  : seconds_for_normal_equations(candidates[i], single_jacobian, pool);
  });
  kernels.double_precision = candidates[chosen_double];
  kernels.single_precision = candidates[chosen_single];
  kernels.calibration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  return kernels;
}

namespace {

// dense_kernels() on `pool`, or, when that is null, on a pool of `threads`
// threads made for the calibration only if one runs.
const DenseKernels& kernels_of_class(Eigen::Index rows, ThreadPool* pool, int threads) {
  static const DenseKernels* const fixed = [] {
    auto* kernels = new DenseKernels;
    if (fixed_choice(kernels)) return static_cast<const DenseKernels*>(kernels);
    delete kernels;
    return static_cast<const DenseKernels*>(nullptr);
  }();
  if (fixed != nullptr) return *fixed;
  const Eigen::Index key = calibration_rows(rows);
  Classes& all = classes();
  std::lock_guard<std::mutex> lock(all.mutex);
  for (const auto& [calibrated_rows, kernels] : all.calibrated) {
    if (calibrated_rows == key) return *kernels;
  }
  if (static_cast<int>(all.calibrated.size()) >= kMaxCalibratedClasses) {
    // Enough calibration for one process: the first class's kernels serve
    // every later one.
    if (!all.later) {
      const auto& [first_rows, first] = all.calibrated.front();
      all.later = std::make_unique<DenseKernels>(*first);
      all.later->description = both_precisions(*first) + " (calibrated at " + std::to_string(first_rows) +
                               " rows, kept for later sizes; BLIS chose " + blis_own_configuration() + ")" +
                               tiles_suffix();
    }
    return *all.later;
  }
  std::unique_ptr<ThreadPool> own_pool;
  if (pool == nullptr && threads > 1) {
    own_pool = std::make_unique<ThreadPool>(threads);
    pool = own_pool.get();
  }
  auto kernels = std::make_unique<DenseKernels>(calibrated_dense_kernels(key, pool));
  const int timed_on = kernels->calibration_threads;
  kernels->description = both_precisions(*kernels) + " (calibrated at " + std::to_string(key) + " rows, " +
                         std::to_string(timed_on) + (timed_on == 1 ? " thread" : " threads") + "; BLIS chose " +
                         blis_own_configuration() + ")" + tiles_suffix();
  all.calibrated.emplace_back(key, std::move(kernels));
  return *all.calibrated.back().second;
}

}  // namespace

const DenseKernels& dense_kernels(Eigen::Index rows, ThreadPool* pool) {
  return kernels_of_class(rows, pool, pool != nullptr ? pool->num_threads() : 1);
}

const DenseKernels& dense_kernels_for_threads(Eigen::Index rows, int threads) {
  return kernels_of_class(rows, nullptr, threads);
}

const DenseKernel& dense_kernel(Eigen::Index rows) { return dense_kernels(rows).double_precision; }

const std::string& dense_kernel_description(Eigen::Index rows) { return dense_kernels(rows).description; }

}  // namespace curvature::internal
