#include "loss_figure.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "curvature/error.h"

namespace curvature::tools {

std::pair<int, int> parse_plot_size(const std::string& text, const std::string& option) {
  int width = 0, height = 0;
  char x = 0, extra = 0;
  std::istringstream in(text);
  if (!(in >> width >> x >> height) || x != 'x' || in >> extra || width < 100 || height < 100 || width > 10000 ||
      height > 10000) {
    throw Error(option + ": '" + text + "' is not WIDTHxHEIGHT in pixels, each in [100, 10000]");
  }
  return {width, height};
}

PlotFigure loss_figure(const std::vector<LossCurves>& runs, int width, int height) {
  PlotFigure figure;
  figure.width = width;
  figure.height = height;
  PlotPanel by_iteration, by_time;
  by_iteration.title = "loss against iterations";
  by_time.title = "loss against time";
  by_time.x_label = "time (s)";
  by_iteration.y_label = by_time.y_label = "loss";
  by_iteration.log_y = by_time.log_y = true;
  // Iterations on a log scale too: a Levenberg-Marquardt fit ends in tens of
  // iterations, a first-order one after thousands of epochs (iteration 0,
  // the start, is left out). One legend, beside the second panel.
  by_iteration.log_x = true;
  by_iteration.x_label = "iteration (epoch for first-order methods), log scale";
  by_iteration.key = false;
  by_time.x_min = 0.0;
  int run_index = 0;
  for (const LossCurves& run : runs) {
    // A colour per run, a dash type per column (and per round of the palette).
    const std::string color = kPlotPalette[run_index % 12];
    int dash = 1 + (run_index / 12) % 3;
    ++run_index;
    for (const auto& [name, values] : run.losses) {
      PlotSeries a, b;
      a.title = b.title = run.losses.size() == 1 ? run.run : run.run + " " + name;
      a.dash = b.dash = dash;
      dash += 3;
      a.color = b.color = color;
      bool any = false;
      for (size_t i = 0; i < values.size(); ++i) {
        const double y = values[i] > 0.0 ? values[i] : std::nan("");
        const double k = run.iteration[i];
        any = any || std::isfinite(y);
        a.points.emplace_back(k > 0.0 ? k : std::nan(""), y);
        b.points.emplace_back(run.time_s[i], y);
      }
      if (!any) continue;  // e.g. test_loss of a fit without a test set
      by_iteration.series.push_back(std::move(a));
      by_time.series.push_back(std::move(b));
    }
  }
  figure.panels = {by_iteration, by_time};
  return figure;
}

std::string draw_figure(const PlotFigure& figure, const std::string& png_path, const std::string& script_path) {
  const std::string script = gnuplot_script(figure, png_path);
  if (!script_path.empty()) {
    std::ofstream file(script_path);
    file << script;
    if (!file.flush()) throw Error("--script: cannot write '" + script_path + "'");
  }
  run_gnuplot(script);
  const auto [width, height] = png_size(png_path);
  int series = 0;
  for (const PlotPanel& panel : figure.panels) series += static_cast<int>(panel.series.size());
  char text[64];
  std::snprintf(text, sizeof text, ": %dx%d PNG, %zu panel(s), %d series", width, height, figure.panels.size(), series);
  return png_path + text;
}

}  // namespace curvature::tools
