// curv plot: pictures of fits and of optimizers, drawn by gnuplot
// (gnuplot.h).
//
//   curv plot TRACE.csv [TRACE.csv ...] -o fit.png
//     the loss columns of `curv fit --trace` files (train_loss, test_loss,
//     any *_loss) against iterations and against time, log scales, one line
//     per run and column (a colour per run), each run named by its file's
//     stem;
//   curv plot paths --problem beale|rosenbrock -o paths.png
//     the paths of SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam, Newton and
//     BFGS on the function's contours (optimizer_paths.h).
//
// Both print what they drew: the file, its size and the number of series.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "curvature/error.h"
#include "gnuplot.h"
#include "loss_figure.h"
#include "optimizer_paths.h"

namespace curvature::tools {
namespace {

struct PlotArgs {
  std::vector<std::string> traces;
  std::string output;
  std::string size = "1200x500";
  std::vector<std::string> columns;  // empty: every *_loss column
  std::string script_path;           // also write the gnuplot script here
};

struct PathsArgs {
  std::string problem = "beale";
  std::string output;
  std::string size = "900x700";
  int steps = 3000;
  std::string script_path;
};

std::pair<int, int> parse_size(const std::string& text) { return parse_plot_size(text, "--size"); }

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, separator)) fields.push_back(field);
  return fields;
}

// A trace file: its header and its rows, as numbers (NaN for "nan" or empty).
struct Trace {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  int column(const std::string& name) const {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
    return -1;
  }
};

Trace read_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("curv plot: cannot read '" + path + "'");
  Trace trace;
  std::string line;
  if (!std::getline(in, line)) throw Error("curv plot: '" + path + "' is empty");
  trace.header = split(line, ',');
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    const std::vector<std::string> fields = split(line, ',');
    if (fields.size() != trace.header.size()) {
      throw Error("curv plot: " + path + ":" + std::to_string(line_number) + " has " + std::to_string(fields.size()) +
                  " fields, the header " + std::to_string(trace.header.size()));
    }
    std::vector<double> row;
    for (const std::string& field : fields) {
      char* end = nullptr;
      const double value = std::strtod(field.c_str(), &end);
      if (end == field.c_str() || *end != '\0') {
        throw Error("curv plot: " + path + ":" + std::to_string(line_number) + ": '" + field + "' is not a number");
      }
      row.push_back(value);
    }
    trace.rows.push_back(std::move(row));
  }
  for (const char* needed : {"iteration", "time_s"}) {
    if (trace.column(needed) < 0) {
      throw Error("curv plot: '" + path + "' has no " + needed + " column (expected a curv fit --trace file)");
    }
  }
  return trace;
}

void finish(const PlotFigure& figure, const std::string& output, const std::string& script_path) {
  std::printf("wrote %s\n", draw_figure(figure, output, script_path).c_str());
}

void plot_traces(const PlotArgs& args) {
  if (args.traces.empty()) throw Error("curv plot: give at least one trace file (or the paths subcommand)");
  if (args.output.empty()) throw Error("curv plot: -o FILE.png is required");
  const auto [width, height] = parse_size(args.size);
  std::vector<LossCurves> runs;
  for (const std::string& path : args.traces) {
    const Trace trace = read_trace(path);
    LossCurves run;
    run.run = std::filesystem::path(path).stem().string();
    std::vector<std::string> columns = args.columns;
    if (columns.empty()) {
      for (const std::string& name : trace.header) {
        if (name.size() > 5 && name.compare(name.size() - 5, 5, "_loss") == 0) columns.push_back(name);
      }
    }
    const int iteration = trace.column("iteration"), time = trace.column("time_s");
    for (const std::vector<double>& row : trace.rows) {
      run.iteration.push_back(row[static_cast<size_t>(iteration)]);
      run.time_s.push_back(row[static_cast<size_t>(time)]);
    }
    for (const std::string& name : columns) {
      const int column = trace.column(name);
      if (column < 0) throw Error("--columns: '" + path + "' has no column " + name);
      std::vector<double> values;
      for (const std::vector<double>& row : trace.rows) values.push_back(row[static_cast<size_t>(column)]);
      run.losses.emplace_back(name, std::move(values));
    }
    runs.push_back(std::move(run));
  }
  finish(loss_figure(runs, width, height), args.output, args.script_path);
}

void plot_paths(const PathsArgs& args) {
  if (args.output.empty()) throw Error("curv plot paths: -o FILE.png is required");
  const PathProblem problem = path_problem(args.problem);
  PlotFigure figure;
  std::tie(figure.width, figure.height) = parse_size(args.size);
  PlotPanel panel;
  panel.title = "optimizer paths on the " + problem.name + " function, from (" + std::to_string(problem.start[0]) +
                ", " + std::to_string(problem.start[1]) + ")";
  // Shorter: drop the trailing zeros std::to_string leaves.
  char start[64];
  std::snprintf(start, sizeof start, "(%g, %g)", problem.start[0], problem.start[1]);
  panel.title = "optimizer paths on the " + problem.name + " function from " + start;
  panel.x_label = "x";
  panel.y_label = "y";
  panel.has_contour = true;
  PlotContour& contour = panel.contour;
  contour = {problem.x_min, problem.x_max, problem.y_min, problem.y_max, 161, 161, {}, {}};
  for (int j = 0; j < contour.y_steps; ++j) {
    for (int i = 0; i < contour.x_steps; ++i) {
      const Eigen::Vector2d x(contour.x_min + (contour.x_max - contour.x_min) * i / (contour.x_steps - 1),
                              contour.y_min + (contour.y_max - contour.y_min) * j / (contour.y_steps - 1));
      contour.values.push_back(problem.value(x));
    }
  }
  for (double level = 1e-3; level < 1e5; level *= 3.0) contour.levels.push_back(level);
  for (const OptimizerPath& path : optimizer_paths(problem, args.steps)) {
    PlotSeries series;
    char title[96];
    if (path.learning_rate > 0.0) {
      std::snprintf(title, sizeof title, "%s (lr %g, %zu steps)", path.method.c_str(), path.learning_rate,
                    path.points.size() - 1);
    } else {
      std::snprintf(title, sizeof title, "%s (%zu iterations)", path.method.c_str(), path.points.size() - 1);
    }
    series.title = title;
    series.style = path.points.size() < 100 ? "linespoints pointsize 0.7" : "lines";
    for (const Eigen::Vector2d& x : path.points) series.points.emplace_back(x[0], x[1]);
    panel.series.push_back(std::move(series));
  }
  PlotSeries minimum;
  minimum.title = "minimum";
  minimum.style = "points pointtype 3 pointsize 2";
  minimum.points.emplace_back(problem.minimizer[0], problem.minimizer[1]);
  panel.series.push_back(std::move(minimum));
  figure.panels = {panel};
  finish(figure, args.output, args.script_path);
}

}  // namespace

void register_plot_command(CLI::App& app) {
  auto args = std::make_shared<PlotArgs>();
  auto paths = std::make_shared<PathsArgs>();
  CLI::App* command =
      app.add_subcommand("plot", "Plot curv fit traces (loss against iterations and time) with gnuplot");
  command->add_option("traces", args->traces, "Trace CSV files of curv fit --trace")->type_name("TRACE.csv");
  command->add_option("-o,--output", args->output, "The PNG file to write")->type_name("FILE.png");
  command->add_option("--size", args->size, "Width x height in pixels")->capture_default_str();
  command->add_option("--columns", args->columns, "Loss columns to draw (default: every *_loss column)")
      ->delimiter(',');
  command->add_option("--script", args->script_path, "Also write the gnuplot script to this file")->type_name("FILE");
  command->callback([args, command] {
    if (command->get_subcommands().empty()) plot_traces(*args);
  });

  CLI::App* sub = command->add_subcommand(
      "paths", "The paths of SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam, Newton and BFGS on a test function");
  sub->add_option("--problem", paths->problem, "beale or rosenbrock")
      ->check(CLI::IsMember({"beale", "rosenbrock"}))
      ->capture_default_str();
  sub->add_option("-o,--output", paths->output, "The PNG file to write")->required()->type_name("FILE.png");
  sub->add_option("--size", paths->size, "Width x height in pixels")->capture_default_str();
  sub->add_option("--steps", paths->steps, "Steps of each first-order rule (and at most as many Newton, BFGS)")
      ->check(whole_number(1, 1000000))
      ->capture_default_str();
  sub->add_option("--script", paths->script_path, "Also write the gnuplot script to this file")->type_name("FILE");
  sub->callback([paths] { plot_paths(*paths); });
}

}  // namespace curvature::tools
