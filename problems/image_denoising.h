// image_denoising.h — edge-preserving denoising of a grey image as a large,
// sparse nonlinear least-squares problem.
//
// Given a noisy W x H image f (intensities roughly in [0, 1]), find u that
// minimizes
//
//   F(u) = 1/2 sum_p (u_p - f_p)^2
//        + 1/2 sum_{p ~ q} rho(lambda (u_p - u_q)^2)
//
// where p ~ q runs over horizontally and vertically adjacent pixel pairs and
// rho is SoftLOneLoss with scale a = sqrt(lambda) * t:
//
//   rho(lambda d^2) = 2 lambda t^2 (sqrt(1 + d^2 / t^2) - 1)
//                  ~ lambda d^2        for |d| << t  (quadratic smoothing)
//                  ~ 2 lambda t |d|    for |d| >> t  (total variation)
//
// With t well below the noise level this is total-variation denoising (F
// gains lambda t sum |u_p - u_q|) whose kink at d = 0 is rounded off over |d| ~ t (a smooth
// Huber-TV): edges are penalized only in proportion to their height, so they
// survive, while the rounding keeps F twice differentiable for the
// Gauss-Newton model. The loss is convex, so F is strictly convex (the data
// term alone is) and has one minimizer: every linear solver must find the
// same point.
//
// Why one parameter block per pixel, not per row: the library stores the
// Jacobian of a residual block with respect to a parameter block as a dense
// num_residuals x block_size patch. A smoothness residual reads two pixels;
// with row blocks of size W each such residual would carry W or 2W stored
// entries instead of 2, the Jacobian would have O(W^2 H) instead of O(W H)
// nonzeros, and J^T J would consist of dense W x W blocks (O(W^2 H) entries
// before any fill) instead of the five-point stencil, whose Cholesky factor
// a fill-reducing ordering keeps at O(N log N) entries. Each robust loss
// must also act on a single difference (a loss applies to |r|^2 of a whole
// residual block), so the residual blocks are per pixel pair anyway.
// Per-pixel blocks make the Jacobian exactly the 1- and 2-entry rows of the
// finite-difference operators.
//
// Sizes for W x H: N = W H parameters, N + H (W - 1) + W (H - 1) residuals
// (about 3N), N + 2 (H (W - 1) + W (H - 1)) Jacobian nonzeros (about 5N).
#pragma once

#include <cstdint>
#include <vector>

#include "curvature/cost_function.h"
#include "curvature/problem.h"

namespace curvature {

// The data term of one pixel, r = u - f, with dr/du = 1.
class PixelDataCost final : public SizedCostFunction<1, 1> {
 public:
  explicit PixelDataCost(double observed) : observed_(observed) {}
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override;
  double observed() const { return observed_; }

 private:
  double observed_;
};

// The smoothness term of two adjacent pixels, r = s (u_a - u_b) with
// s = sqrt(lambda): dr/du_a = s, dr/du_b = -s. Linear; the robust loss that
// build_denoising_problem() attaches makes the problem nonlinear.
class PixelSmoothnessCost final : public SizedCostFunction<1, 1, 1> {
 public:
  explicit PixelSmoothnessCost(double sqrt_weight) : sqrt_weight_(sqrt_weight) {}
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override;
  double sqrt_weight() const { return sqrt_weight_; }

 private:
  double sqrt_weight_;
};

// An image and the denoising problem's weights. Images are row-major:
// pixel (row, col) is at index row * width + col.
struct ImageDenoisingProblem {
  int width = 0;
  int height = 0;
  std::vector<double> noisy;     // f, width * height intensities
  std::vector<double> clean;     // the noise-free image when known (synthetic images); may be empty
  std::vector<double> solution;  // u: the parameters. build_denoising_problem() sets it to `noisy`
                                 // and the Problem refers to its memory, so it must not be resized
                                 // (or the struct destroyed) while the Problem is in use.
  // lambda: weight of the smoothness terms relative to the data terms. Must
  // be positive.
  double smoothness_weight = 4.0;
  // t, in intensity units: neighbour differences well below t are smoothed
  // quadratically, differences well above it are penalized linearly (total
  // variation of weight lambda t). Must be positive. The defaults, lambda = 4
  // and t = 0.02 (TV weight 0.08), were picked on a grid for the default
  // synthetic image (noise sigma 0.1, whose pixel differences have a standard
  // deviation of 0.14): they cut the RMS error from 0.1 to 0.036 at 48 x 48,
  // 0.029 at 80 x 80 and 0.022 at 320 x 320.
  double edge_scale = 0.02;

  int num_pixels() const { return width * height; }
  int index(int row, int col) const { return row * width + col; }
  // Adjacent pixel pairs: one smoothness residual each.
  long long num_pairs() const {
    return static_cast<long long>(height) * (width - 1) + static_cast<long long>(width) * (height - 1);
  }
  // What build_denoising_problem() adds: residuals (one per pixel and per
  // pair) and nonzeros of the Jacobian (1 per pixel, 2 per pair).
  long long num_residuals() const { return num_pixels() + num_pairs(); }
  long long num_jacobian_nonzeros() const { return num_pixels() + 2 * num_pairs(); }
};

// How make_synthetic_denoising_problem() draws its image.
struct SyntheticImageOptions {
  // Standard deviation of the additive Gaussian noise, in intensity units (>= 0).
  double noise_sigma = 0.1;
  std::uint64_t seed = 42;
};

// A piecewise-constant test image (background 0.2, a rectangle at 0.8, a disc
// at 0.5 and a triangle at 0.95, placed in coordinates relative to the image
// size so every size shows the same picture) plus independent Gaussian noise
// N(0, noise_sigma^2) per pixel. The noise comes from std::mt19937_64 and a
// hand-written Box-Muller transform (std::normal_distribution is not
// specified exactly and differs between standard libraries), so for a given
// seed the image is the same everywhere up to the last-bit accuracy of
// std::log, std::sqrt, std::cos and std::sin. `noisy` and `clean` are filled,
// `solution` is left empty, the weights keep their defaults.
//
// Throws curvature::Error when width or height is not positive, their product
// overflows int, or noise_sigma is negative or not finite.
ImageDenoisingProblem make_synthetic_denoising_problem(int width, int height,
                                                       const SyntheticImageOptions& options = {});

// Sets image.solution = image.noisy (the starting point) and adds to `out`
// one PixelDataCost per pixel (no loss), then one PixelSmoothnessCost per
// horizontally adjacent pair and per vertically adjacent pair, each with a
// SoftLOneLoss of scale sqrt(smoothness_weight) * edge_scale (one shared
// loss and one shared smoothness cost for all pairs). Parameter blocks are
// the pixels of image.solution, one double each, added in pixel order.
// Residual blocks are added in the order: all data terms, then horizontal
// pairs row by row, then vertical pairs row by row.
//
// `out` may already hold other blocks, but none that overlap image.solution.
// Throws curvature::Error, before touching `out` or image.solution, when
// `out` is null, width or height is not positive, width * height overflows
// int, noisy (or a non-empty clean) does not hold width * height values, a
// noisy value is not finite, or a weight is not positive and finite.
void build_denoising_problem(ImageDenoisingProblem& image, Problem* out);

// The root-mean-square difference sqrt(1/n sum (a_i - b_i)^2). Throws
// curvature::Error when the sizes differ or are zero.
double rms_difference(const std::vector<double>& a, const std::vector<double>& b);

// The RMS error of `image` (width * height values, e.g. problem.noisy or
// problem.solution) against problem.clean. Throws curvature::Error when
// clean is empty or `image` has the wrong size.
double rms_error(const ImageDenoisingProblem& problem, const std::vector<double>& image);

}  // namespace curvature
