// BAL files, the BAL camera model and generated scenes: reader errors that
// name the line and field, a bit-exact write/read round trip, the
// reprojection Jacobian against numeric differences (also at zero
// rotation), and a generated scene solved by Levenberg-Marquardt down to its
// noise level.
#include "bal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "bal_generator.h"
#include "bal_observation_order.h"
#include "curvature/gradient_checker.h"
#include "curvature/solve.h"
#include "test_util.h"

namespace curvature {
namespace {

using testing::expect_error_naming;

// Two cameras, three points, four observations.
const char* const kSmallBal =
    "2 3 4\n"
    "0 0 -10.5 3.25\n"
    "1 0 12 -4\n"
    "0 1 1e1 2\n"
    "1 2 0.5 0.25\n"
    "0.01\n0.02\n-0.03\n0.1\n0.2\n-0.3\n500\n-0.05\n0.01\n"
    "-0.02\n0.01\n0.03\n0.5\n0.1\n0.2\n480\n-0.04\n0.02\n"
    "1 2 -10\n"
    "0.5 -1 -9\n"
    "2 0 -12\n";

BalScene parse(const std::string& text) {
  std::istringstream in(text);
  return read_bal(in, "scene.txt");
}

// kSmallBal with line `line` (1-based) replaced by `replacement`.
std::string with_line(int line, const std::string& replacement) {
  std::istringstream in(kSmallBal);
  std::string text, current;
  for (int number = 1; std::getline(in, current); ++number) text += (number == line ? replacement : current) + "\n";
  return text;
}

TEST(BalReader, ReadsCountsObservationsCamerasAndPoints) {
  const BalScene scene = parse(kSmallBal);
  EXPECT_EQ(scene.num_cameras, 2);
  EXPECT_EQ(scene.num_points, 3);
  ASSERT_EQ(scene.num_observations(), 4);
  EXPECT_EQ(scene.observations[1].camera, 1);
  EXPECT_EQ(scene.observations[1].point, 0);
  EXPECT_EQ(scene.observations[1].x, 12.0);
  EXPECT_EQ(scene.observations[1].y, -4.0);
  EXPECT_EQ(scene.observations[2].x, 10.0);
  EXPECT_EQ(scene.camera(1)[6], 480.0);
  EXPECT_EQ(scene.camera(1)[8], 0.02);
  EXPECT_EQ(scene.point(2)[2], -12.0);
}

TEST(BalReader, ErrorsNameTheLineAndTheField) {
  expect_error_naming([] { parse(with_line(3, "1 0 12x -4")); }, "scene.txt, line 3: observation 1 of 4, x: \"12x\"");
  expect_error_naming([] { parse(with_line(4, "0 1 1e1 abc")); }, "line 4: observation 2 of 4, y: \"abc\" is not a");
  expect_error_naming([] { parse(with_line(5, "2 2 0.5 0.25")); },
                      "line 5: observation 3 of 4, camera: 2 is out of range (the header declares 2 cameras");
  expect_error_naming([] { parse(with_line(5, "1 3 0.5 0.25")); }, "line 5: observation 3 of 4, point: 3 is out of");
  expect_error_naming([] { parse(with_line(2, "-1 0 -10.5 3.25")); }, "line 2: observation 0 of 4, camera: -1");
  expect_error_naming([] { parse(with_line(12, "500.5.5")); }, "line 12: camera 0 of 2, f: \"500.5.5\"");
  expect_error_naming([] { parse(with_line(26, "2 nan -12")); }, "line 26: point 2 of 3, coordinate y: nan is not");
  expect_error_naming([] { parse(with_line(1, "2 three 4")); }, "line 1: header, number of points: \"three\"");
  expect_error_naming([] { parse(with_line(1, "0 3 4")); }, "line 1: header, number of cameras: 0 is out of range");
}

TEST(BalReader, MissingLinesAreNamed) {
  // The last point line gone: the file ends where its first coordinate was due.
  std::string text = kSmallBal;
  text.erase(text.rfind("2 0 -12"));
  expect_error_naming([&] { parse(text); }, "the file ends where point 2 of 3, coordinate x was expected");
  // An observation line gone: everything after shifts, and an index lands
  // out of range or the numbers run out.
  expect_error_naming([] { parse(with_line(5, "")); }, "scene.txt, line");
  // The header declares more observations than there are.
  expect_error_naming([] { parse(with_line(1, "2 3 40")); }, "observation 4 of 40, camera");
  // A number after the last point.
  expect_error_naming([] { parse(std::string(kSmallBal) + "7\n"); }, "line 27: \"7\" follows the last point");
}

TEST(BalReader, AMissingFileIsNamed) {
  expect_error_naming([] { read_bal("/nonexistent/scene.txt"); }, "cannot open '/nonexistent/scene.txt'");
}

TEST(BalWriter, WriteThenReadGivesTheSameScene) {
  BalGeneratorOptions options = bal_generator_options("tiny");
  options.seed = 7;
  const BalScene scene = generate_bal_scene(options);
  std::stringstream file;
  write_bal(scene, file);
  const BalScene read = read_bal(file, "round trip");
  EXPECT_EQ(read.num_cameras, scene.num_cameras);
  EXPECT_EQ(read.num_points, scene.num_points);
  ASSERT_EQ(read.num_observations(), scene.num_observations());
  for (int k = 0; k < scene.num_observations(); ++k) {
    EXPECT_EQ(read.observations[k].camera, scene.observations[k].camera);
    EXPECT_EQ(read.observations[k].point, scene.observations[k].point);
    EXPECT_EQ(read.observations[k].x, scene.observations[k].x);  // bit for bit
    EXPECT_EQ(read.observations[k].y, scene.observations[k].y);
  }
  EXPECT_EQ(read.cameras, scene.cameras);
  EXPECT_EQ(read.points, scene.points);
}

TEST(BalWriter, RefusesArraysThatDisagreeWithTheCounts) {
  BalScene scene = parse(kSmallBal);
  scene.points.pop_back();
  std::stringstream file;
  expect_error_naming([&] { write_bal(scene, file); }, "write_bal: points holds 8 numbers, expected 3 x 3");
}

TEST(BalReprojection, ProjectsByTheBalCameraModel) {
  // No rotation: P = X + t = (1, 2, -4), p = (0.25, 0.5), |p|^2 = 0.3125.
  const double camera[9] = {0, 0, 0, 0, 1, -2, 400, -0.1, 0.02};
  const double point[3] = {1, 1, -2};
  double r[2];
  BalReprojection{3.0, -1.0}(camera, point, r);
  const double scale = 400 * (1 - 0.1 * 0.3125 + 0.02 * 0.3125 * 0.3125);
  EXPECT_NEAR(r[0], scale * 0.25 - 3.0, 1e-12);
  EXPECT_NEAR(r[1], scale * 0.5 + 1.0, 1e-12);
}

TEST(BalReprojection, JacobianMatchesNumericDifferences) {
  const auto cost = make_bal_reprojection_cost(12.0, -30.0);
  const double point[3] = {1.5, -0.7, -9.0};
  GradientCheckOptions options;
  options.method = NumericDiffMethod::kRidders;
  options.relative_precision = 1e-8;
  // |angle-axis|^2 = 0.45 angle_scale^2: the closed form (0.3, 0.015), the
  // Taylor series just below its switch at 1e-4 (0.0148) and further in
  // (1e-3), and exactly zero rotation, where the closed form would divide 0
  // by 0. (Much smaller non-zero angles defeat the numeric side, whose steps
  // are relative to the parameter.)
  for (const double angle_scale : {0.3, 0.015, 0.0148, 1e-3, 0.0}) {
    const double camera[9] = {
        0.2 * angle_scale, -0.5 * angle_scale, 0.4 * angle_scale, 0.3, -0.2, 0.5, 520.0, -0.06, 0.012};
    const double* blocks[2] = {camera, point};
    const GradientCheckResult result = check_gradients(*cost, blocks, options);
    EXPECT_TRUE(result.ok) << "angle scale " << angle_scale << ": " << result.message;
  }
}

TEST(BalGenerator, SameSeedSameSceneAndEveryPointSeenTwice) {
  BalGeneratorOptions options = bal_generator_options("tiny");
  const BalScene a = generate_bal_scene(options);
  const BalScene b = generate_bal_scene(options);
  EXPECT_EQ(a.cameras, b.cameras);
  EXPECT_EQ(a.points, b.points);
  ASSERT_EQ(a.num_observations(), b.num_observations());
  options.seed = 2;
  EXPECT_NE(generate_bal_scene(options).points, a.points);
  std::vector<int> views(a.num_points, 0);
  for (const BalObservation& o : a.observations) ++views[o.point];
  for (int j = 0; j < a.num_points; ++j) {
    EXPECT_GE(views[j], 2) << "point " << j;
    EXPECT_LE(views[j], a.num_cameras) << "point " << j;
  }
}

TEST(BalGenerator, ObservationsAreTheTruthsProjectionsPlusNoise) {
  BalGeneratorOptions options = bal_generator_options("tiny");
  BalScene truth;
  const BalScene scene = generate_bal_scene(options, &truth);
  double sum_squares = 0.0;
  for (int k = 0; k < scene.num_observations(); ++k) {
    const double dx = scene.observations[k].x - truth.observations[k].x;
    const double dy = scene.observations[k].y - truth.observations[k].y;
    sum_squares += dx * dx + dy * dy;
    // Within the image: at most 0.9 f (1 + |k1| + |k2|) from the centre.
    EXPECT_LT(std::hypot(truth.observations[k].x, truth.observations[k].y), 600.0);
  }
  // Unit pixel noise: the mean square per coordinate is near 1.
  EXPECT_NEAR(sum_squares / (2.0 * scene.num_observations()), 1.0, 0.25);
  // The exact observations fit the truth exactly, and the start is far off.
  EXPECT_LT(bal_squared_error_cost(truth), 1e-15);
  EXPECT_GT(bal_squared_error_cost(scene), 10.0 * scene.num_observations());
}

TEST(BalGenerator, UnknownSizeListsTheNames) {
  expect_error_naming([] { bal_generator_options("huge"); }, "unknown scene size 'huge' (known: tiny, ladybug-49");
  BalGeneratorOptions options;
  options.num_cameras = 1;
  expect_error_naming([&] { generate_bal_scene(options); }, "BalGeneratorOptions::num_cameras must be at least 2");
}

// The cost a least-squares fit of m residuals with n effective parameters
// ends at under Gaussian noise of unit variance: 1/2 (m - n) on average.
double noise_level_cost(const BalScene& scene) {
  return 0.5 * (2.0 * scene.num_observations() - kBalCameraSize * scene.num_cameras - kBalPointSize * scene.num_points);
}

TEST(BalProblem, LevenbergMarquardtReachesTheNoiseLevel) {
  BalGeneratorOptions options = bal_generator_options("tiny");
  options.num_points = 150;
  BalScene scene = generate_bal_scene(options);
  Problem problem;
  add_bal_residuals(&scene, &problem);
  SolverOptions solver;
  solver.linear_solver = LinearSolverType::kSparseNormalCholesky;
  solver.max_iterations = 50;
  const Summary summary = solve(solver, &problem);
  const double noise = noise_level_cost(scene);
  EXPECT_GT(summary.initial_cost, 100.0 * noise);
  // Within a few standard deviations (sqrt(m - n / 2)) of the expected cost.
  EXPECT_LT(summary.final_cost, noise + 4.0 * std::sqrt(2.0 * noise));
  EXPECT_GT(summary.final_cost, noise - 4.0 * std::sqrt(2.0 * noise));
  EXPECT_EQ(summary.final_cost, bal_squared_error_cost(scene));  // the solution is in the scene
}

TEST(BalProblem, RobustLossesLowerTheCostOfOutliers) {
  BalGeneratorOptions options = bal_generator_options("tiny");
  BalScene scene = generate_bal_scene(options);
  for (int k = 0; k < scene.num_observations(); k += 10) scene.observations[k].x += 200.0;  // outliers
  for (BalLoss loss : {BalLoss::kHuber, BalLoss::kCauchy}) {
    BalScene copy = scene;
    Problem problem;
    add_bal_residuals(&copy, &problem, {loss, 2.0});
    SolverOptions solver;
    solver.max_iterations = 30;
    const Summary summary = solve(solver, &problem);
    EXPECT_LT(summary.final_cost, summary.initial_cost) << to_string(loss);
    EXPECT_LT(summary.final_cost, bal_squared_error_cost(copy)) << to_string(loss);
  }
  Problem problem;
  expect_error_naming(
      [&] {
        add_bal_residuals(&scene, &problem, {BalLoss::kHuber, -1.0});
      },
      "BalProblemOptions::loss_scale must be positive and finite, got -1");
  expect_error_naming([] { parse_bal_loss("l1", "--loss"); }, "--loss: unknown loss 'l1' (known: none, huber");
}

TEST(BalObservationOrder, SortsByCameraOrPointStablyAndNamesUnknownOrders) {
  BalScene scene;
  scene.num_cameras = 2;
  scene.num_points = 2;
  scene.observations = {{1, 0, 1.0, 0.0}, {0, 1, 2.0, 0.0}, {0, 0, 3.0, 0.0}, {1, 0, 4.0, 0.0}, {1, 1, 5.0, 0.0}};
  auto xs = [&] {
    std::string text;
    for (const BalObservation& o : scene.observations) text += std::to_string(static_cast<int>(o.x));
    return text;
  };
  order_bal_observations(&scene, BalObservationOrder::kGiven);
  EXPECT_EQ(xs(), "12345");
  order_bal_observations(&scene, BalObservationOrder::kCamera);
  EXPECT_EQ(xs(), "32145");  // (0,0) (0,1) (1,0) (1,0) (1,1): the two (1,0) keep their order
  order_bal_observations(&scene, BalObservationOrder::kPoint);
  EXPECT_EQ(xs(), "31425");
  // The generator lists its observations by point, then camera.
  const BalScene generated = generate_bal_scene(bal_generator_options("tiny"));
  BalScene sorted = generated;
  order_bal_observations(&sorted, BalObservationOrder::kPoint);
  for (size_t k = 0; k < generated.observations.size(); ++k) {
    EXPECT_EQ(sorted.observations[k].x, generated.observations[k].x);
  }
  EXPECT_EQ(parse_bal_observation_order("camera", "--observation-order"), BalObservationOrder::kCamera);
  EXPECT_STREQ(to_string(BalObservationOrder::kPoint), "point");
  expect_error_naming([] { parse_bal_observation_order("image", "--observation-order"); },
                      "--observation-order: unknown observation order 'image' (known: given, point, camera)");
}

}  // namespace
}  // namespace curvature
