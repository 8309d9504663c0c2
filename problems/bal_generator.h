// bal_generator.h — seeded synthetic bundle adjustment scenes in the shape of
// the BAL data sets, for tests and benchmarks when the real files (large
// downloads) are not at hand.
//
// The scene: cameras along a gently winding path (0.5 apart along x, like a
// vehicle's camera), each looking sideways (down its -z axis) at a cloud of
// points 8 to 15 units away, with a focal length near 500 px and a mild
// radial distortion. Each point is seen by a run of consecutive cameras, 2
// to max_views_per_point of them (2 plus an exponential draw, so most points
// have few views and some many, as in the BAL sets, rounded to the nearest
// whole number), and only from cameras
// that image it within |p| < 0.9 (about 450 px from the image centre).
// Observations are the exact projections plus Gaussian pixel noise; the
// cameras and points returned are then perturbed (rotations, translations,
// focal lengths, points) so that Levenberg-Marquardt needs tens of
// iterations, and the solved cost is at the noise level, about
// pixel_noise^2 (num_observations - (9 num_cameras + 3 num_points) / 2).
//
// The same options and seed give the same scene, bit for bit, on every
// platform (the random numbers are drawn by hand from std::mt19937_64).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bal.h"

namespace curvature {

struct BalGeneratorOptions {
  int num_cameras = 49;
  int num_points = 7776;
  // Mean views per point before the clamp to [2, max_views_per_point]; >= 2.
  double mean_views_per_point = 4.1;
  int max_views_per_point = 20;  // >= 2
  double pixel_noise = 1.0;      // standard deviation of each observed coordinate, pixels
  // Standard deviations of the starting point's perturbation.
  double rotation_perturbation = 0.01;     // radians, each angle-axis component (about the camera's centre)
  double translation_perturbation = 0.05;  // units, each coordinate of the camera's centre
  double focal_perturbation = 0.01;        // relative
  double point_perturbation = 0.1;         // units, each coordinate
  std::uint64_t seed = 1;
};

// A named scene size, shaped like a BAL data set of that name (camera and
// point counts, views per point).
struct BalSceneSize {
  const char* name;
  int cameras;
  int points;
  double mean_views_per_point;
  const char* description;
};

inline constexpr BalSceneSize kBalSceneSizes[] = {
    {"tiny", 6, 60, 4.0, "6 cameras, 60 points, ~230 observations (tests)"},
    {"ladybug-49", 49, 7776, 4.1, "like BAL ladybug-49: 49 cameras, 7,776 points, ~31,800 observations"},
    {"trafalgar-257", 257, 65132, 3.5, "like BAL trafalgar-257: 257 cameras, 65,132 points, ~226,000 observations"},
    {"large-1000", 1000, 200000, 5.0, "1,000 cameras, 200,000 points, ~1,000,000 observations"},
};

// The options of a named size (kBalSceneSizes), other fields at their
// defaults; an unknown name is a curvature::Error listing the names.
BalGeneratorOptions bal_generator_options(const std::string& size_name);
std::vector<std::string> bal_scene_size_names();

// Generates a scene (see the top of this file). `truth`, when not null,
// receives the same scene at the exact cameras and points, before the noise
// was added to the observations (its observations are the exact
// projections). Throws curvature::Error naming the option when one is out of
// range.
BalScene generate_bal_scene(const BalGeneratorOptions& options, BalScene* truth = nullptr);

}  // namespace curvature
