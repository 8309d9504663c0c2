#include "gnuplot.h"

#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "curvature/error.h"

namespace curvature::tools {
namespace {

// A gnuplot single-quoted string: a quote is written twice.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Full precision, and NaN (which gnuplot reads as an undefined point) for
// anything not finite.
std::string number(double value) {
  if (!std::isfinite(value)) return "NaN";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", value);
  return buffer;
}

void write_series_data(std::ostream& out, const std::string& name, const PlotSeries& series) {
  out << name << " << EOD\n";
  for (const auto& [x, y] : series.points) out << number(x) << ' ' << number(y) << '\n';
  out << "EOD\n";
}

void write_grid_data(std::ostream& out, const std::string& name, const PlotContour& contour) {
  if (contour.x_steps < 2 || contour.y_steps < 2 ||
      contour.values.size() != static_cast<size_t>(contour.x_steps) * static_cast<size_t>(contour.y_steps)) {
    throw Error("gnuplot: a contour grid needs at least 2 x 2 points and one value per point");
  }
  out << name << " << EOD\n";
  for (int j = 0; j < contour.y_steps; ++j) {
    const double y = contour.y_min + (contour.y_max - contour.y_min) * j / (contour.y_steps - 1);
    for (int i = 0; i < contour.x_steps; ++i) {
      const double x = contour.x_min + (contour.x_max - contour.x_min) * i / (contour.x_steps - 1);
      out << number(x) << ' ' << number(y) << ' '
          << number(contour.values[static_cast<size_t>(j) * contour.x_steps + i]) << '\n';
    }
    out << '\n';
  }
  out << "EOD\n";
}

}  // namespace

const char* const kPlotPalette[12] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                      "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"};

std::string gnuplot_script(const PlotFigure& figure, const std::string& png_path) {
  std::ostringstream out;
  out << "# curv plot: " << figure.panels.size() << " panel(s)\n";
  // The data first, one datablock per series and per contour grid.
  int series_index = 0;
  for (size_t p = 0; p < figure.panels.size(); ++p) {
    const PlotPanel& panel = figure.panels[p];
    if (panel.has_contour) write_grid_data(out, "$grid" + std::to_string(p), panel.contour);
    for (const PlotSeries& series : panel.series) write_series_data(out, "$s" + std::to_string(series_index++), series);
  }
  // Contour lines are computed by gnuplot into tables before anything is drawn.
  for (size_t p = 0; p < figure.panels.size(); ++p) {
    const PlotPanel& panel = figure.panels[p];
    if (!panel.has_contour) continue;
    out << "set contour base\nunset surface\nset view map\nset cntrparam levels discrete ";
    for (size_t i = 0; i < panel.contour.levels.size(); ++i) {
      out << (i ? "," : "") << number(panel.contour.levels[i]);
    }
    out << "\nset table $contour" << p << "\nsplot $grid" << p << " using 1:2:3 with lines notitle\nunset table\n"
        << "unset contour\nset surface\n";
  }
  out << "set terminal pngcairo noenhanced size " << figure.width << "," << figure.height << " font 'sans,9'\n";
  out << "set output " << quoted(png_path) << "\n";
  out << "set multiplot layout 1," << figure.panels.size() << "\n";
  series_index = 0;
  for (size_t p = 0; p < figure.panels.size(); ++p) {
    const PlotPanel& panel = figure.panels[p];
    out << "set title " << quoted(panel.title) << "\n";
    out << "set xlabel " << quoted(panel.x_label) << "\nset ylabel " << quoted(panel.y_label) << "\n";
    out << (panel.log_x ? "set logscale x\n" : "unset logscale x\n");
    out << (panel.log_y ? "set logscale y\n" : "unset logscale y\n");
    out << (panel.key ? "set grid\nset key outside right top\n" : "set grid\nunset key\n");
    if (panel.has_contour) {
      out << "set xrange [" << number(panel.contour.x_min) << ":" << number(panel.contour.x_max) << "]\n";
      out << "set yrange [" << number(panel.contour.y_min) << ":" << number(panel.contour.y_max) << "]\n";
    } else if (panel.x_min > -1e300) {
      out << "set autoscale y\nset xrange [" << number(panel.x_min) << ":*]\n";
    } else {
      out << "set autoscale xy\n";
    }
    out << "plot ";
    bool first = true;
    if (panel.has_contour) {
      out << "$contour" << p << " with lines lc rgb '#b0b0b0' lw 0.8 notitle";
      first = false;
    }
    for (const PlotSeries& series : panel.series) {
      out << (first ? "" : ", \\\n     ") << "$s" << series_index++ << " using 1:2 with " << series.style << " dt "
          << series.dash << " lw 1.5";
      if (!series.color.empty()) out << " lc rgb " << quoted(series.color);
      out << " title " << quoted(series.title);
      first = false;
    }
    if (first) out << "NaN notitle";  // a panel without data still draws its axes
    out << "\n";
  }
  out << "unset multiplot\nset output\n";
  return out.str();
}

bool gnuplot_available() { return std::system("gnuplot --version > /dev/null 2>&1") == 0; }

void run_gnuplot(const std::string& script) {
  if (!gnuplot_available()) {
    throw Error("gnuplot: cannot run the gnuplot program (install Debian's gnuplot-nox, as scripts/setup.sh does)");
  }
  char path[] = "/tmp/curv-plot-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw Error("gnuplot: cannot create a temporary script file");
  close(fd);
  {
    std::ofstream file(path);
    file << script;
    if (!file.flush()) {
      std::remove(path);
      throw Error(std::string("gnuplot: cannot write the script to ") + path);
    }
  }
  const std::string command = std::string("gnuplot '") + path + "' 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::remove(path);
    throw Error("gnuplot: cannot start '" + command + "'");
  }
  std::string messages;
  std::array<char, 512> buffer;
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe)) messages += buffer.data();
  const int status = pclose(pipe);
  std::remove(path);
  if (status != 0) throw Error("gnuplot failed:\n" + messages);
}

std::pair<int, int> png_size(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error("cannot read '" + path + "'");
  unsigned char header[24] = {};
  file.read(reinterpret_cast<char*>(header), sizeof header);
  static constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  bool png = file.gcount() == sizeof header && std::equal(std::begin(kSignature), std::end(kSignature), header) &&
             std::string(reinterpret_cast<char*>(header + 12), 4) == "IHDR";
  if (!png) throw Error("'" + path + "' is not a PNG file");
  auto big_endian = [&](int at) {
    return (header[at] << 24) | (header[at + 1] << 16) | (header[at + 2] << 8) | header[at + 3];
  };
  return {big_endian(16), big_endian(20)};
}

}  // namespace curvature::tools
