#include "image_denoising.h"

#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <random>
#include <string>

#include "curvature/error.h"
#include "curvature/loss_function.h"

namespace curvature {
namespace {

// Width * height as an int, or an Error naming the caller. The pixel count
// indexes std::vector<double> and the Problem's int-sized layout, so it must
// fit an int.
int checked_pixel_count(int width, int height, const std::string& where) {
  if (width <= 0 || height <= 0) {
    throw Error(where + "the image size must be positive, got width " + std::to_string(width) + " and height " +
                std::to_string(height));
  }
  const long long count = static_cast<long long>(width) * height;
  if (count > std::numeric_limits<int>::max()) {
    throw Error(where + "a " + std::to_string(width) + " x " + std::to_string(height) + " image has too many pixels");
  }
  return static_cast<int>(count);
}

void check_weight(double value, const char* name, const std::string& where) {
  if (!(value > 0.0) || !std::isfinite(value)) {
    throw Error(where + name + " must be positive and finite, got " + to_decimal(value));
  }
}

// A uniform double in the open interval (0, 1) from the top 53 bits of one
// draw; never 0, so its logarithm is finite.
double uniform_open(std::mt19937_64& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }

// The clean test picture at the centre (x, y) of a pixel, both in (0, 1).
// Later shapes are painted over earlier ones.
double clean_intensity(double x, double y) {
  double value = 0.2;
  if (x >= 0.1 && x <= 0.45 && y >= 0.15 && y <= 0.55) value = 0.8;
  const double dx = x - 0.68, dy = y - 0.35;
  if (dx * dx + dy * dy <= 0.2 * 0.2) value = 0.5;
  // The triangle (0.2, 0.9), (0.5, 0.62), (0.8, 0.9): below its apex and
  // inside both slanted edges.
  if (y <= 0.9 && y >= 0.62 + (0.9 - 0.62) * std::abs(x - 0.5) / 0.3) value = 0.95;
  return value;
}

}  // namespace

bool PixelDataCost::evaluate(double const* const* parameters, double* residuals, double** jacobians) const {
  residuals[0] = parameters[0][0] - observed_;
  if (jacobians != nullptr && jacobians[0] != nullptr) jacobians[0][0] = 1.0;
  return true;
}

bool PixelSmoothnessCost::evaluate(double const* const* parameters, double* residuals, double** jacobians) const {
  residuals[0] = sqrt_weight_ * (parameters[0][0] - parameters[1][0]);
  if (jacobians != nullptr) {
    if (jacobians[0] != nullptr) jacobians[0][0] = sqrt_weight_;
    if (jacobians[1] != nullptr) jacobians[1][0] = -sqrt_weight_;
  }
  return true;
}

ImageDenoisingProblem make_synthetic_denoising_problem(int width, int height, const SyntheticImageOptions& options) {
  const std::string where = "make_synthetic_denoising_problem: ";
  const int n = checked_pixel_count(width, height, where);
  if (!(options.noise_sigma >= 0.0) || !std::isfinite(options.noise_sigma)) {
    throw Error(where + "noise_sigma must be non-negative and finite, got " + std::to_string(options.noise_sigma));
  }
  ImageDenoisingProblem image;
  image.width = width;
  image.height = height;
  image.clean.resize(static_cast<size_t>(n));
  image.noisy.resize(static_cast<size_t>(n));
  for (int row = 0; row < height; ++row) {
    for (int col = 0; col < width; ++col) {
      image.clean[image.index(row, col)] = clean_intensity((col + 0.5) / width, (row + 0.5) / height);
    }
  }
  // Box-Muller: two uniforms give two independent standard normals.
  std::mt19937_64 rng(options.seed);
  for (int i = 0; i < n; i += 2) {
    const double radius = std::sqrt(-2.0 * std::log(uniform_open(rng)));
    const double angle = 2.0 * std::numbers::pi * uniform_open(rng);
    image.noisy[i] = image.clean[i] + options.noise_sigma * radius * std::cos(angle);
    if (i + 1 < n) image.noisy[i + 1] = image.clean[i + 1] + options.noise_sigma * radius * std::sin(angle);
  }
  return image;
}

void build_denoising_problem(ImageDenoisingProblem& image, Problem* out) {
  const std::string where = "build_denoising_problem: ";
  if (out == nullptr) throw Error(where + "the Problem is null");
  const int n = checked_pixel_count(image.width, image.height, where);
  const std::string expected =
      std::to_string(n) + " values (" + std::to_string(image.width) + " x " + std::to_string(image.height) + ")";
  if (image.noisy.size() != static_cast<size_t>(n)) {
    throw Error(where + "the noisy image has " + std::to_string(image.noisy.size()) + " values, expected " + expected);
  }
  if (!image.clean.empty() && image.clean.size() != static_cast<size_t>(n)) {
    throw Error(where + "the clean image has " + std::to_string(image.clean.size()) + " values, expected " + expected);
  }
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(image.noisy[i])) {
      throw Error(where + "noisy value " + std::to_string(i) + " is not finite (" + std::to_string(image.noisy[i]) +
                  ")");
    }
  }
  check_weight(image.smoothness_weight, "smoothness_weight", where);
  check_weight(image.edge_scale, "edge_scale", where);
  const double sqrt_weight = std::sqrt(image.smoothness_weight);
  check_weight(sqrt_weight * image.edge_scale, "sqrt(smoothness_weight) * edge_scale", where);

  image.solution = image.noisy;
  double* u = image.solution.data();
  const int w = image.width;
  // One cost and one loss shared by every pair: they hold no per-pair data,
  // and sharing saves two heap objects per residual block.
  const auto smoothness = std::make_shared<const PixelSmoothnessCost>(sqrt_weight);
  const auto loss = std::make_shared<const SoftLOneLoss>(sqrt_weight * image.edge_scale);
  for (int i = 0; i < n; ++i) {
    out->add_residual_block(std::make_shared<const PixelDataCost>(image.noisy[i]), nullptr, u + i);
  }
  for (int row = 0; row < image.height; ++row) {
    for (int col = 0; col + 1 < w; ++col) {
      const int p = image.index(row, col);
      out->add_residual_block(smoothness, loss, u + p, u + p + 1);
    }
  }
  for (int row = 0; row + 1 < image.height; ++row) {
    for (int col = 0; col < w; ++col) {
      const int p = image.index(row, col);
      out->add_residual_block(smoothness, loss, u + p, u + p + w);
    }
  }
}

double rms_difference(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.empty()) {
    throw Error("rms_difference: the images must have the same, non-zero size, got " + std::to_string(a.size()) +
                " and " + std::to_string(b.size()) + " values");
  }
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(sum / static_cast<double>(a.size()));
}

double rms_error(const ImageDenoisingProblem& problem, const std::vector<double>& image) {
  if (problem.clean.empty()) throw Error("rms_error: the problem has no clean image to compare with");
  if (image.size() != static_cast<size_t>(problem.num_pixels())) {
    throw Error("rms_error: the image has " + std::to_string(image.size()) + " values, expected " +
                std::to_string(problem.num_pixels()));
  }
  return rms_difference(image, problem.clean);
}

}  // namespace curvature
