// bal_generator.cc — synthetic BAL-like scenes (see bal_generator.h).
#include "bal_generator.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "curvature/error.h"
#include "mlp_random.h"

namespace curvature {
namespace {

using internal::mlp::NormalSource;
using internal::mlp::uniform01;
using internal::mlp::uniform_open;

constexpr double kCameraSpacing = 0.5;
constexpr double kMinDepth = 8.0;
constexpr double kDepthRange = 7.0;
// A point counts as seen when |p| (the projection before the focal length)
// is below this, and it lies at least kMinVisibleDepth in front.
constexpr double kMaxImageRadius = 0.9;
constexpr double kMinVisibleDepth = 1.0;

void check(const BalGeneratorOptions& o) {
  const char* kName = "BalGeneratorOptions";
  require_option(o.num_cameras >= 2, kName, "num_cameras", "at least 2", o.num_cameras);
  require_option(o.num_points >= 1, kName, "num_points", "at least 1", o.num_points);
  require_option(o.max_views_per_point >= 2, kName, "max_views_per_point", "at least 2", o.max_views_per_point);
  require_option(std::isfinite(o.mean_views_per_point) && o.mean_views_per_point >= 2.0, kName, "mean_views_per_point",
                 "finite and at least 2", o.mean_views_per_point);
  const auto non_negative = [&](double value, const char* field) {
    require_option(std::isfinite(value) && value >= 0.0, kName, field, "non-negative and finite", value);
  };
  non_negative(o.pixel_noise, "pixel_noise");
  non_negative(o.rotation_perturbation, "rotation_perturbation");
  non_negative(o.translation_perturbation, "translation_perturbation");
  non_negative(o.focal_perturbation, "focal_perturbation");
  non_negative(o.point_perturbation, "point_perturbation");
}

// p = -P / P_z of `point` in `camera` (no focal length, no distortion), and
// whether the point is in front of the camera and inside the image.
bool visible(const double* camera, const double* point) {
  double p[3];
  angle_axis_rotate_point(camera, point, p);
  for (int c = 0; c < 3; ++c) p[c] += camera[3 + c];
  if (p[2] > -kMinVisibleDepth) return false;
  const double x = p[0] / p[2], y = p[1] / p[2];
  return x * x + y * y < kMaxImageRadius * kMaxImageRadius;
}

}  // namespace

std::vector<std::string> bal_scene_size_names() {
  std::vector<std::string> names;
  for (const BalSceneSize& size : kBalSceneSizes) names.push_back(size.name);
  return names;
}

BalGeneratorOptions bal_generator_options(const std::string& size_name) {
  for (const BalSceneSize& size : kBalSceneSizes) {
    if (size_name != size.name) continue;
    BalGeneratorOptions options;
    options.num_cameras = size.cameras;
    options.num_points = size.points;
    options.mean_views_per_point = size.mean_views_per_point;
    return options;
  }
  std::string known;
  for (const std::string& name : bal_scene_size_names()) known += (known.empty() ? "" : ", ") + name;
  throw Error("unknown scene size '" + size_name + "' (known: " + known + ")");
}

BalScene generate_bal_scene(const BalGeneratorOptions& options, BalScene* truth) {
  check(options);
  std::mt19937_64 rng(options.seed);
  NormalSource normal(rng);
  BalScene scene;
  scene.num_cameras = options.num_cameras;
  scene.num_points = options.num_points;
  scene.cameras.resize(static_cast<size_t>(scene.num_cameras) * kBalCameraSize);
  scene.points.resize(static_cast<size_t>(scene.num_points) * kBalPointSize);

  // Cameras along a winding path, turning slowly, each with its own focal
  // length and distortion. P = R (X - c), so t = -R c.
  for (int i = 0; i < scene.num_cameras; ++i) {
    double* camera = scene.camera(i);
    camera[0] = 0.02 * std::sin(0.07 * i) + 0.005 * normal.next();
    camera[1] = 0.05 * std::sin(0.043 * i) + 0.005 * normal.next();
    camera[2] = 0.01 * normal.next();
    const double centre[3] = {kCameraSpacing * i, 0.4 * std::sin(0.05 * i), 0.3 * std::sin(0.031 * i)};
    double rotated[3];
    angle_axis_rotate_point(camera, centre, rotated);
    for (int c = 0; c < 3; ++c) camera[3 + c] = -rotated[c];
    camera[6] = 500.0 + 10.0 * normal.next();
    camera[7] = -0.05 + 0.01 * normal.next();
    camera[8] = 0.01 + 0.002 * normal.next();
  }

  // Points, each placed in front of a run of consecutive cameras that all see
  // it; a placement some camera of the run would not see is drawn again.
  const int most_views = std::min(options.max_views_per_point, scene.num_cameras);
  for (int j = 0; j < scene.num_points; ++j) {
    const double extra = -std::log(uniform_open(rng)) * (options.mean_views_per_point - 2.0);
    const int views = static_cast<int>(std::min<double>(most_views, 2.0 + std::floor(extra + 0.5)));
    double* point = scene.point(j);
    for (int attempt = 0;; ++attempt) {
      if (attempt == 1000) throw Error("generate_bal_scene: cannot place point " + std::to_string(j));
      const int first = static_cast<int>(uniform01(rng) * (scene.num_cameras - views + 1));
      point[0] = kCameraSpacing * (first + 0.5 * (views - 1)) + 0.3 * normal.next();
      point[1] = 6.0 * uniform01(rng) - 3.0;
      point[2] = -(kMinDepth + kDepthRange * uniform01(rng));
      bool seen = true;
      for (int i = first; i < first + views && seen; ++i) seen = visible(scene.camera(i), point);
      if (!seen) continue;
      for (int i = first; i < first + views; ++i) scene.observations.push_back({i, j, 0.0, 0.0});
      break;
    }
  }

  // The exact projections, then the noisy observations.
  for (BalObservation& o : scene.observations) {
    const BalReprojection projection{0.0, 0.0};
    double p[2];
    projection(scene.camera(o.camera), scene.point(o.point), p);
    o.x = p[0];
    o.y = p[1];
  }
  if (truth) *truth = scene;
  for (BalObservation& o : scene.observations) {
    o.x += options.pixel_noise * normal.next();
    o.y += options.pixel_noise * normal.next();
  }

  // The start: every camera and point moved off the truth. A camera turns
  // about its own centre and the centre moves (t = -R c is recomputed): a
  // perturbation of the angle-axis alone would turn the camera about the
  // world origin and throw cameras far from it (x = 500 in large-1000) out
  // by units, some points behind them.
  for (int i = 0; i < scene.num_cameras; ++i) {
    double* camera = scene.camera(i);
    const double inverse[3] = {-camera[0], -camera[1], -camera[2]};
    const double minus_t[3] = {-camera[3], -camera[4], -camera[5]};
    double centre[3];
    angle_axis_rotate_point(inverse, minus_t, centre);  // c = -R^T t
    for (int c = 0; c < 3; ++c) camera[c] += options.rotation_perturbation * normal.next();
    for (int c = 0; c < 3; ++c) centre[c] += options.translation_perturbation * normal.next();
    double rotated[3];
    angle_axis_rotate_point(camera, centre, rotated);
    for (int c = 0; c < 3; ++c) camera[3 + c] = -rotated[c];
    camera[6] *= 1.0 + options.focal_perturbation * normal.next();
  }
  for (double& coordinate : scene.points) coordinate += options.point_perturbation * normal.next();
  return scene;
}

}  // namespace curvature
