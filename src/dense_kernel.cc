#include "dense_kernel.h"

#include <Eigen/Core>
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <random>
#include <string_view>

#include "curvature/error.h"
#include "tiled_dense.h"

#ifdef CURVATURE_USE_BLIS
#include <blis.h>
#endif

namespace curvature::internal {
namespace {

constexpr const char* kOverrideVariable = "CURVATURE_DENSE_KERNEL";

// Calibration: what an LM iteration on a dense Jacobian asks of the tiles,
// in both precisions (the mixed-precision solver runs single, the rest
// double): J^T J of a kCalibrationRows x (2 tiles) Jacobian, then the
// Cholesky factorization of the result (a diagonal tile, a panel solve, a
// trailing rank update). ~5 ms per candidate and round with AVX2 kernels. Each
// candidate's time is the fastest of kCalibrationRounds, taken in turns so
// that a burst of load from other processes hits every candidate alike, and
// timed in this thread's CPU time, which a preemption does not inflate. An
// earlier candidate within kCalibrationMargin of the fastest is kept.
constexpr int kCalibrationRows = 256;
constexpr int kCalibrationRounds = 3;
constexpr double kCalibrationMargin = 1.1;

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

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// One J^T J and one Cholesky factorization of it by `kernel`, in the
// precision of `jacobian`, in this thread's CPU seconds.
template <typename Matrix>
double seconds_for_normal_equations(const DenseKernel& kernel, const Matrix& jacobian, Matrix* normal) {
  const double begin = thread_cpu_seconds();
  lower_normal_matrix(jacobian, normal, nullptr, kDenseTileSize, &kernel);
  // Positive definite whatever the Jacobian's rank: |J_col|^2 ~ rows / 3.
  normal->diagonal().array() += static_cast<typename Matrix::Scalar>(kCalibrationRows);
  cholesky_lower_in_place(*normal, nullptr, kDenseTileSize, &kernel);
  return thread_cpu_seconds() - begin;
}

std::string library_and_configuration(const DenseKernel& kernel) {
  if (kernel.library == DenseKernelLibrary::kEigen) return "Eigen";
  return "BLIS " + kernel.name.substr(kernel.name.find(':') + 1);
}

struct Choice {
  DenseKernel kernel;
  std::string description;
};

Choice choose() {
  const std::string tiles = ", " + std::to_string(kDenseTileSize) + "-column tiles";
  const std::string own = blis_own_configuration();
  if (own.empty()) return {eigen_kernel(), "Eigen (built without BLIS)" + tiles};
  if (const char* spec = environment(kOverrideVariable); spec != nullptr && std::string_view(spec) != "auto") {
    DenseKernel kernel = dense_kernel_named(spec, kOverrideVariable);
    return {kernel, library_and_configuration(kernel) + " (" + kOverrideVariable + ")" + tiles};
  }
  if (const char* blis_arch_type = environment("BLIS_ARCH_TYPE"); blis_arch_type != nullptr) {
    // BLIS 0.9 reads a number (its arch_t), and a name as 0: say what it took.
    return {DenseKernel{DenseKernelLibrary::kBlis, "blis:" + own, nullptr},
            "BLIS " + own + " (BLIS_ARCH_TYPE=" + blis_arch_type + ")" + tiles};
  }
  DenseKernel kernel = calibrated_dense_kernel();
  return {kernel, library_and_configuration(kernel) + " (calibrated; BLIS chose " + own + ")" + tiles};
}

const Choice& the_choice() {
  static const Choice choice = choose();
  return choice;
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

DenseKernel calibrated_dense_kernel() {
  const std::vector<DenseKernel> candidates = dense_kernel_candidates();
  if (candidates.size() == 1) return candidates.front();
  // Its own generator: Eigen's Random() would draw from the program's std::rand.
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  const Eigen::MatrixXd jacobian =
      Eigen::MatrixXd::NullaryExpr(kCalibrationRows, 2 * kDenseTileSize, [&] { return uniform(rng); });
  const Eigen::MatrixXf single_jacobian = jacobian.cast<float>();
  Eigen::MatrixXd normal;
  Eigen::MatrixXf single_normal;
  std::vector<double> seconds(candidates.size(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < kCalibrationRounds; ++round) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      const double both = seconds_for_normal_equations(candidates[i], jacobian, &normal) +
                          seconds_for_normal_equations(candidates[i], single_jacobian, &single_normal);
      seconds[i] = std::min(seconds[i], both);
    }
  }
  const double fastest = *std::min_element(seconds.begin(), seconds.end());
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (seconds[i] <= kCalibrationMargin * fastest) return candidates[i];
  }
  return candidates.back();  // not reached: the fastest is within the margin of itself
}

const DenseKernel& dense_kernel() { return the_choice().kernel; }

const std::string& dense_kernel_description() { return the_choice().description; }

}  // namespace curvature::internal
