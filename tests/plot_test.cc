// Tests of the figures behind `curv plot` (tools/harness/gnuplot.h,
// optimizer_paths.h): the script holds one datablock per series, and gnuplot
// renders it to a PNG of the requested size. Without gnuplot these tests
// fail, unless the build opted out (-DCURVATURE_PLOT_TESTS_OPTIONAL=ON),
// where they are skipped with a message.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "curvature/error.h"
#include "gnuplot.h"
#include "optimizer_paths.h"

namespace curvature::tools {
namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Skips (opted-out builds) or fails when gnuplot cannot run.
#define REQUIRE_GNUPLOT()                                                                                  \
  do {                                                                                                     \
    if (!gnuplot_available()) {                                                                            \
      if (CURVATURE_PLOT_TESTS_OPTIONAL) GTEST_SKIP() << "gnuplot is not installed; this build opted out"; \
      FAIL() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox; "                        \
                "-DCURVATURE_PLOT_TESTS_OPTIONAL=ON skips these tests)";                                   \
    }                                                                                                      \
  } while (false)

std::string temporary(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("curv_plot_test_" + name)).string();
}

TEST(Plot, TwoPanelsOfLossCurvesMakeAPngOfTheRequestedSize) {
  REQUIRE_GNUPLOT();
  PlotFigure figure;
  figure.width = 640;
  figure.height = 300;
  for (const char* title : {"by iteration", "by time"}) {
    PlotPanel panel;
    panel.title = title;
    panel.log_y = true;
    for (int run = 0; run < 3; ++run) {
      PlotSeries series;
      series.title = "run's " + std::to_string(run);  // a quote in a title is escaped
      for (int i = 0; i <= 50; ++i) series.points.emplace_back(i, std::exp(-0.1 * i * (run + 1)));
      series.points.emplace_back(51, std::nan(""));  // breaks the line, no error
      panel.series.push_back(series);
    }
    figure.panels.push_back(panel);
  }
  const std::string png = temporary("loss.png");
  const std::string script = gnuplot_script(figure, png);
  EXPECT_EQ(count(script, "<< EOD"), 6);
  EXPECT_EQ(count(script, "title 'run''s 2'"), 2);
  EXPECT_NE(script.find("set multiplot layout 1,2"), std::string::npos);
  EXPECT_NE(script.find("set logscale y"), std::string::npos);
  run_gnuplot(script);
  EXPECT_EQ(png_size(png), std::make_pair(640, 300));
  std::filesystem::remove(png);
}

TEST(Plot, PathsOfEightMethodsOnBealeContours) {
  const PathProblem beale = path_problem("beale");
  const std::vector<OptimizerPath> paths = optimizer_paths(beale, 3000);
  ASSERT_EQ(paths.size(), 8u);
  const char* names[] = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton", "bfgs"};
  for (size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(paths[i].method, names[i]);
    EXPECT_EQ(paths[i].points.front(), beale.start);
    // Every path ends near (3, 0.5); Newton and BFGS converge.
    EXPECT_LT((paths[i].points.back() - beale.minimizer).norm(), i >= 6 ? 1e-5 : 0.1) << names[i];
  }
  EXPECT_EQ(paths[0].points.size(), 3001u);
  EXPECT_LT(paths[6].points.size(), 50u);  // Newton's iterations, not line-search trials

  REQUIRE_GNUPLOT();
  PlotPanel panel;
  panel.has_contour = true;
  panel.contour = {beale.x_min, beale.x_max, beale.y_min, beale.y_max, 21, 11, {}, {0.1, 1.0, 10.0}};
  for (int j = 0; j < 11; ++j) {
    for (int i = 0; i < 21; ++i) {
      panel.contour.values.push_back(beale.value({beale.x_min + (beale.x_max - beale.x_min) * i / 20.0,
                                                  beale.y_min + (beale.y_max - beale.y_min) * j / 10.0}));
    }
  }
  for (const OptimizerPath& path : paths) {
    PlotSeries series;
    series.title = path.method;
    for (const Eigen::Vector2d& x : path.points) series.points.emplace_back(x[0], x[1]);
    panel.series.push_back(series);
  }
  PlotFigure figure;
  figure.width = 500;
  figure.height = 400;
  figure.panels = {panel};
  const std::string png = temporary("paths.png");
  const std::string script = gnuplot_script(figure, png);
  EXPECT_EQ(count(script, "$grid0 << EOD"), 1);
  EXPECT_EQ(count(script, "<< EOD"), 9);  // the grid and eight paths
  run_gnuplot(script);
  EXPECT_EQ(png_size(png), std::make_pair(500, 400));
  std::filesystem::remove(png);
}

TEST(Plot, ErrorsNameTheProblemAndTheFile) {
  try {
    path_problem("himmelblau");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("unknown problem 'himmelblau' (known: beale, rosenbrock)"),
              std::string::npos);
  }
  const std::string text = temporary("not.png");
  { std::ofstream(text) << "just text, long enough to fill a PNG header"; }
  EXPECT_THROW(png_size(text), Error);
  EXPECT_THROW(png_size(temporary("missing.png")), Error);
  std::filesystem::remove(text);
}

}  // namespace
}  // namespace curvature::tools
