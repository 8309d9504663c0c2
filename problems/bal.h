// bal.h — bundle adjustment scenes in the BAL text format ("Bundle
// Adjustment in the Large", Agarwal, Snavely, Seitz & Szeliski, ECCV 2010,
// grail.cs.washington.edu/projects/bal), and the curvature::Problem of one.
//
// The format, whitespace-separated numbers (line breaks are not significant
// to the values, only to error messages):
//
//   <num_cameras> <num_points> <num_observations>
//   <camera> <point> <x> <y>          num_observations lines
//   <camera parameter>                9 per camera (bal_camera_model.h)
//   <point coordinate>                3 per point
//
// Camera and point indices are 0-based; x and y are in pixels from the image
// centre. Errors (curvature::Error) name the file, the line (1-based) and the
// field, e.g.
//   read_bal: scene.txt, line 7: observation 5, x: "0.5x" is not a number
//   read_bal: scene.txt, line 9: observation 7, camera: 49 is out of range
//     (the header declares 49 cameras)
//   read_bal: scene.txt: ends after 120 of 441 camera parameters (line 130)
// Counts must be positive, indices in range, every number finite, and no
// number may follow the last point.
//
// A scene's parameters live in the BalScene (cameras, points); the problem
// built by add_bal_residuals() refers to that memory, which receives the
// solution.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "bal_camera_model.h"
#include "curvature/cost_function.h"
#include "curvature/loss_function.h"
#include "curvature/problem.h"

namespace curvature {

struct BalObservation {
  int camera = 0;
  int point = 0;
  double x = 0.0;  // pixels, from the image centre
  double y = 0.0;
};

struct BalScene {
  int num_cameras = 0;
  int num_points = 0;
  std::vector<BalObservation> observations;
  std::vector<double> cameras;  // kBalCameraSize per camera: angle-axis, translation, f, k1, k2
  std::vector<double> points;   // kBalPointSize per point

  double* camera(int i) { return cameras.data() + static_cast<size_t>(i) * kBalCameraSize; }
  double* point(int j) { return points.data() + static_cast<size_t>(j) * kBalPointSize; }
  const double* camera(int i) const { return cameras.data() + static_cast<size_t>(i) * kBalCameraSize; }
  const double* point(int j) const { return points.data() + static_cast<size_t>(j) * kBalPointSize; }
  int num_observations() const { return static_cast<int>(observations.size()); }
};

// Reads a BAL file. Throws curvature::Error naming the file (and the line and
// field where there is one) when it cannot be opened or is malformed.
BalScene read_bal(const std::string& path);
// The same from a stream; `source` names it in errors.
BalScene read_bal(std::istream& in, const std::string& source);

// Writes `scene` in the BAL format, numbers with 17 significant digits so that
// read_bal() gives the same doubles back. Throws curvature::Error naming the
// path when it cannot be written, or when the scene's arrays disagree with its
// counts.
void write_bal(const BalScene& scene, const std::string& path);
void write_bal(const BalScene& scene, std::ostream& out);

// The reprojection residual of one observation (bal_camera_model.h):
// AutoDiffCostFunction<BalReprojection, 2, 9, 3>, parameter blocks (camera,
// point).
std::shared_ptr<const CostFunction> make_bal_reprojection_cost(double observed_x, double observed_y);

// How add_bal_residuals() treats outliers.
enum class BalLoss { kNone, kHuber, kCauchy };

struct BalProblemOptions {
  BalLoss loss = BalLoss::kNone;
  // The loss's scale a in pixels (> 0): residuals below ~a count as squares.
  double loss_scale = 1.0;
};

// "none", "huber", "cauchy"; anything else is an Error naming `option` and
// listing the names.
BalLoss parse_bal_loss(const std::string& name, const std::string& option);
const char* to_string(BalLoss loss);

// Adds one residual block per observation to `problem`, over the parameter
// blocks scene->camera(i) (size 9) and scene->point(j) (size 3), all sharing
// one loss (none by default). `scene` must outlive `problem`, and its arrays
// must not be resized meanwhile. Throws curvature::Error for null arguments,
// arrays that disagree with the counts, an index out of range, or a bad
// loss scale.
void add_bal_residuals(BalScene* scene, Problem* problem, const BalProblemOptions& options = {});

// 1/2 sum |p' - observation|^2 over the observations, without a loss: the
// cost a solve starts from or ends at, in pixels squared.
double bal_squared_error_cost(const BalScene& scene);

}  // namespace curvature
