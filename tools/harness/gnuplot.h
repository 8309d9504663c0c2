// gnuplot.h — figures drawn by gnuplot (Debian's gnuplot-nox) for `curv
// plot`: a figure of one or more panels, each with line series (and
// optionally a contour map under them), written as one self-contained
// gnuplot script (the data inline, as datablocks) and rendered to a PNG of a
// given size by the pngcairo terminal.
//
// The script is the figure's exact description: one datablock per series
// (`$s<i> << EOD`), one per contour grid (`$grid<i>`), so a test counts the
// series in the script rather than in the pixels.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace curvature::tools {

struct PlotSeries {
  std::string title;
  std::vector<std::pair<double, double>> points;  // (x, y); non-finite points break the line
  // gnuplot's "with" clause: "lines", "linespoints pointsize 0.6", ...
  std::string style = "lines";
  // gnuplot dash type: 1 solid, 2 dashed, ...
  int dash = 1;
  // "#rrggbb", or empty for gnuplot's next colour (it cycles after eight).
  std::string color;
};

// f(x, y) on a regular grid, drawn as contour lines under the series.
struct PlotContour {
  double x_min = 0.0, x_max = 1.0, y_min = 0.0, y_max = 1.0;
  int x_steps = 0, y_steps = 0;  // grid points per axis (>= 2 each)
  std::vector<double> values;    // x_steps * y_steps, x fastest
  std::vector<double> levels;    // contour levels, increasing
};

struct PlotPanel {
  std::string title;
  std::string x_label, y_label;
  bool log_x = false, log_y = false;
  double x_min = -1e300;  // above -1e300: the x axis starts there
  bool key = true;        // the legend (panels showing the same series can share one)
  std::vector<PlotSeries> series;
  bool has_contour = false;
  PlotContour contour;
};

struct PlotFigure {
  int width = 1200, height = 500;  // pixels
  std::vector<PlotPanel> panels;   // side by side
};

// The script that draws `figure` to `png_path`.
std::string gnuplot_script(const PlotFigure& figure, const std::string& png_path);

// Runs gnuplot on `script` (through its standard input). Throws
// curvature::Error when gnuplot cannot be started (naming the Debian package)
// or fails (with its messages).
void run_gnuplot(const std::string& script);

// Whether a gnuplot program can be run.
bool gnuplot_available();

// Twelve colours that stay apart, for figures with many series.
extern const char* const kPlotPalette[12];

// The width and height of a PNG file, read from its IHDR chunk. Throws
// curvature::Error when the file cannot be read or is not a PNG.
std::pair<int, int> png_size(const std::string& path);

}  // namespace curvature::tools
