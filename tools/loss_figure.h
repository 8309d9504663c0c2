// loss_figure.h — the figure of training curves that `curv plot TRACE.csv`
// and `curv fit --plot` draw: every loss column of every run against
// iterations (log scale, iteration 0 left out) and against time, log loss,
// a colour per run and a dash type per column, one legend beside the second
// panel.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gnuplot.h"

namespace curvature::tools {

// One run's trace as columns: rows in order, every column as long as
// `iteration`; a non-positive or non-finite loss is left out of the line.
struct LossCurves {
  std::string run;  // the legend's name of the run
  std::vector<double> iteration, time_s;
  std::vector<std::pair<std::string, std::vector<double>>> losses;  // (column name, values)
};

// "WIDTHxHEIGHT", each in [100, 10000]; throws curvature::Error naming
// `option` otherwise.
std::pair<int, int> parse_plot_size(const std::string& text, const std::string& option);

// The two panels. A loss column without one positive finite value (a test
// loss without a test set) draws no series.
PlotFigure loss_figure(const std::vector<LossCurves>& runs, int width, int height);

// Renders `figure` to `png_path` by gnuplot (and writes its script to
// `script_path` unless empty); returns what was drawn, read back from the
// file: "PATH: WxH PNG, P panel(s), S series". Throws curvature::Error as
// run_gnuplot() and png_size() do.
std::string draw_figure(const PlotFigure& figure, const std::string& png_path, const std::string& script_path = "");

}  // namespace curvature::tools
