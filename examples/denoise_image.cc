// denoise_image — edge-preserving denoising of a synthetic N x N image: a
// large sparse problem (N^2 parameters, about 3 N^2 residuals) solved by
// Levenberg-Marquardt on sparse normal Cholesky (CHOLMOD, or Eigen's
// SimplicialLDLT in a build without SuiteSparse).
//
//   denoise_image [--size N] [--threads T]
//
// Prints the problem's size, the solver's brief report, the times to build
// and to solve, the RMS error against the clean image before and after, and
// the process's peak resident memory.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "curvature/error.h"
#include "curvature/solve.h"
#include "image_denoising.h"

namespace {

constexpr int kDefaultSize = 320;

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: denoise_image [--size N] [--threads T]\n"
               "  --size N     denoise an N x N synthetic image (default %d, N >= 2)\n"
               "  --threads T  threads evaluating residual blocks (default 1)\n",
               kDefaultSize);
}

// A whole-string positive integer, or 0 when `text` is not one.
int parse_positive(const std::string& text) {
  try {
    size_t used = 0;
    const long value = std::stol(text, &used);
    if (used != text.size() || value <= 0 || value > 100000) return 0;
    return static_cast<int>(value);
  } catch (const std::exception&) {
    return 0;
  }
}

// Peak resident set size of this process so far, in MiB (Linux reports
// ru_maxrss in KiB).
double peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int size = kDefaultSize;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage(stdout);
      return 0;
    }
    if ((arg == "--size" || arg == "--threads") && i + 1 < argc) {
      const int value = parse_positive(argv[++i]);
      if (value == 0 || (arg == "--size" && value < 2)) {
        std::fprintf(stderr, "denoise_image: invalid value '%s' for %s\n", argv[i], arg.c_str());
        return 2;
      }
      (arg == "--size" ? size : threads) = value;
      continue;
    }
    std::fprintf(stderr, "denoise_image: unexpected argument '%s'\n", arg.c_str());
    print_usage(stderr);
    return 2;
  }

  try {
    curvature::ImageDenoisingProblem image = curvature::make_synthetic_denoising_problem(size, size);
    const auto build_start = std::chrono::steady_clock::now();
    curvature::Problem problem;
    curvature::build_denoising_problem(image, &problem);
    const double build_seconds = seconds_since(build_start);

    std::printf("image              %d x %d, noise sigma %.3g, lambda %.3g, edge scale %.3g\n", size, size,
                curvature::SyntheticImageOptions{}.noise_sigma, image.smoothness_weight, image.edge_scale);
    std::printf("parameters         %d\n", problem.num_effective_parameters());
    std::printf("residuals          %d\n", problem.num_residuals());
    std::printf("jacobian nonzeros  %lld\n", image.num_jacobian_nonzeros());
    std::printf("build time         %.3f s (peak memory so far %.1f MiB)\n", build_seconds, peak_resident_mib());

    curvature::SolverOptions options;
    options.method = curvature::Method::kLevenbergMarquardt;
    options.linear_solver = curvature::LinearSolverType::kSparseNormalCholesky;
    options.num_threads = threads;
    // Intensities are known to ~1e-3 at best; a relative cost change of
    // 1e-10 is far below anything visible in the image.
    options.function_tolerance = 1e-10;
    options.gradient_tolerance = 1e-10;
    options.parameter_tolerance = 1e-10;
    const double rms_before = curvature::rms_error(image, image.noisy);
    const curvature::Summary summary = curvature::solve(options, &problem);
    const double rms_after = curvature::rms_error(image, image.solution);

    std::printf("%s\n", summary.brief_report().c_str());
    std::printf("linear solver      %s (%s)\n", summary.linear_solver.c_str(),
                curvature::linear_solver_backend(options.linear_solver));
    std::printf("iterations         %d (%d accepted)\n", summary.iterations, summary.accepted_steps);
    std::printf("solve time         %.3f s (evaluation %.3f s, linear solver %.3f s)\n", summary.total_time_s,
                summary.evaluation_time_s, summary.linear_solver_time_s);
    std::printf("rms error          %.5f before, %.5f after\n", rms_before, rms_after);
    std::printf("peak memory        %.1f MiB\n", peak_resident_mib());
    return summary.converged() ? 0 : 1;
  } catch (const curvature::Error& error) {
    std::fprintf(stderr, "denoise_image: %s\n", error.what());
    return 2;
  }
}
