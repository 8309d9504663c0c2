#include "g2o.h"

#include <Eigen/Cholesky>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <ostream>
#include <sstream>
#include <utility>

#include "curvature/error.h"
#include "pose_graph_residuals.h"

namespace curvature {
namespace {

constexpr const char* kVertex2d = "VERTEX_SE2";
constexpr const char* kEdge2d = "EDGE_SE2";
constexpr const char* kVertex3d = "VERTEX_SE3:QUAT";
constexpr const char* kEdge3d = "EDGE_SE3:QUAT";

// The names of the upper triangle's entries of an n x n information matrix,
// row by row: I11 I12 ... I1n I22 ... Inn (n <= 9).
std::vector<std::string> information_field_names(int n) {
  std::vector<std::string> names;
  for (int i = 1; i <= n; ++i)
    for (int j = i; j <= n; ++j) names.push_back({'I', static_cast<char>('0' + i), static_cast<char>('0' + j)});
  return names;
}

std::vector<std::string> with_information(std::vector<std::string> names, int n) {
  for (std::string& name : information_field_names(n)) names.push_back(std::move(name));
  return names;
}

// The fields after the record type, by name, as the messages name them.
const std::vector<std::string>& field_names(const std::string& type) {
  static const std::vector<std::string> vertex2d = {"id", "x", "y", "theta"};
  static const std::vector<std::string> edge2d = with_information({"a", "b", "dx", "dy", "dtheta"}, 3);
  static const std::vector<std::string> vertex3d = {"id", "x", "y", "z", "qx", "qy", "qz", "qw"};
  static const std::vector<std::string> edge3d =
      with_information({"a", "b", "dx", "dy", "dz", "dqx", "dqy", "dqz", "dqw"}, 6);
  if (type == kVertex2d) return vertex2d;
  if (type == kEdge2d) return edge2d;
  if (type == kVertex3d) return vertex3d;
  return edge3d;
}

// One record: its tokens, and where it came from for the messages.
class Record {
 public:
  Record(const std::string& file, int line, std::vector<std::string> tokens)
      : file_(file), line_(line), tokens_(std::move(tokens)), names_(field_names(tokens_[0])) {
    if (tokens_.size() - 1 < names_.size()) {
      fail("missing field '" + names_[tokens_.size() - 1] + "' (" + std::to_string(names_.size()) +
           " fields expected after the record type, " + std::to_string(tokens_.size() - 1) + " found)");
    }
    if (tokens_.size() - 1 > names_.size()) {
      fail("unexpected field '" + tokens_[names_.size() + 1] + "' after '" + names_.back() + "' (" +
           std::to_string(names_.size()) + " fields expected after the record type)");
    }
  }

  int line() const { return line_; }
  const std::string& type() const { return tokens_[0]; }

  // Field i (0: the first after the record type) as a finite number.
  double number(int i) const {
    const std::string& text = tokens_[i + 1];
    errno = 0;
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !std::isfinite(value)) {
      fail_field(i, "is not a finite number ('" + text + "')");
    }
    return value;
  }

  // Field i as a vertex id: a whole number in int's range.
  int id(int i) const {
    const std::string& text = tokens_[i + 1];
    errno = 0;
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != '\0' || errno == ERANGE || value < INT_MIN || value > INT_MAX) {
      fail_field(i, "is not a whole number ('" + text + "')");
    }
    return static_cast<int>(value);
  }

  [[noreturn]] void fail_field(int i, const std::string& what) const { fail("field '" + names_[i] + "' " + what); }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(file_ + ":" + std::to_string(line_) + ": " + type() + ": " + what);
  }

 private:
  const std::string& file_;
  int line_;
  std::vector<std::string> tokens_;
  const std::vector<std::string>& names_;
};

// Fields first, first + 1, ... as the upper triangle of a symmetric n x n
// matrix, row by row; not positive definite is an Error naming the fields.
template <int n>
Eigen::Matrix<double, n, n> read_information(const Record& record, int first) {
  Eigen::Matrix<double, n, n> information;
  int field = first;
  for (int i = 0; i < n; ++i) {
    for (int j = i; j < n; ++j) {
      information(i, j) = information(j, i) = record.number(field++);
    }
  }
  if (information.llt().info() != Eigen::Success) {
    record.fail("the information matrix (fields I11 to I" + std::to_string(n) + std::to_string(n) +
                ") is not positive definite");
  }
  return information;
}

// Fields first .. first + 3 as a quaternion (x, y, z, w), normalised; a
// zero one is an Error.
void read_quaternion(const Record& record, int first, double* q) {
  double norm_squared = 0.0;
  for (int k = 0; k < 4; ++k) {
    q[k] = record.number(first + k);
    norm_squared += q[k] * q[k];
  }
  const double norm = std::sqrt(norm_squared);
  if (!(norm > 0.0) || !std::isfinite(norm)) {
    record.fail_field(first + 3, "ends a quaternion that cannot be normalised (norm " + to_decimal(norm) + ")");
  }
  for (int k = 0; k < 4; ++k) q[k] /= norm;
}

// The graph being read, with where each vertex and edge came from.
class Reader {
 public:
  explicit Reader(const std::string& name) : name_(name) {}

  void read(std::istream& in) {
    std::string text;
    int line = 0;
    while (std::getline(in, text)) {
      ++line;
      std::istringstream words(text);
      std::vector<std::string> tokens;
      for (std::string word; words >> word;) tokens.push_back(std::move(word));
      if (tokens.empty() || tokens[0][0] == '#') continue;
      const std::string& type = tokens[0];
      if (type != kVertex2d && type != kEdge2d && type != kVertex3d && type != kEdge3d) {
        throw Error(name_ + ":" + std::to_string(line) + ": unknown record type '" + type + "' (known: " + kVertex2d +
                    ", " + kEdge2d + ", " + kVertex3d + ", " + kEdge3d + ")");
      }
      const Record record(name_, line, std::move(tokens));
      set_dimension(record, record.type() == kVertex2d || record.type() == kEdge2d ? 2 : 3);
      if (record.type() == kVertex2d) read_vertex2d(record);
      if (record.type() == kEdge2d) read_edge2d(record);
      if (record.type() == kVertex3d) read_vertex3d(record);
      if (record.type() == kEdge3d) read_edge3d(record);
    }
    if (in.bad()) throw Error(name_ + ": read error after line " + std::to_string(line));
    check_edge_ends();
  }

  PoseGraph take() { return std::move(graph_); }

 private:
  void set_dimension(const Record& record, int dimension) {
    if (graph_.dimension == 0) {
      graph_.dimension = dimension;
      first_record_line_ = record.line();
    } else if (graph_.dimension != dimension) {
      record.fail("a " + std::to_string(dimension) + "-D record in a file whose line " +
                  std::to_string(first_record_line_) + " started a " + std::to_string(graph_.dimension) + "-D graph");
    }
  }

  // Remembers where vertex `id` is defined; a second definition is an Error.
  void define_vertex(const Record& record, int id) {
    const auto [it, inserted] = vertex_lines_.emplace(id, record.line());
    if (!inserted) {
      record.fail_field(
          0, "repeats vertex " + std::to_string(id) + ", already defined on line " + std::to_string(it->second));
    }
  }

  // Field `index` as an angle, wrapped to [-pi, pi). Beyond 1e9 rad the
  // wrapped value keeps fewer than 7 significant digits of the heading (and
  // beyond 2^53 none), so such an angle is refused rather than turned into
  // an arbitrary one.
  double angle(const Record& record, int index) const {
    const double theta = record.number(index);
    if (!(std::abs(theta) <= 1e9)) {
      record.fail_field(index, "is an angle of " + std::to_string(theta) +
                                   " rad, beyond 1e9 rad: wrapping it to [-pi, pi) would lose the heading");
    }
    return wrap_angle(theta);
  }

  void read_vertex2d(const Record& record) {
    const int id = record.id(0);
    define_vertex(record, id);
    Pose2d& pose = graph_.poses2d[id];
    pose.position[0] = record.number(1);
    pose.position[1] = record.number(2);
    pose.angle[0] = angle(record, 3);
  }

  void read_edge2d(const Record& record) {
    PoseEdge2d edge;
    edge.from = record.id(0);
    edge.to = record.id(1);
    edge.measurement.position[0] = record.number(2);
    edge.measurement.position[1] = record.number(3);
    edge.measurement.angle[0] = angle(record, 4);
    edge.information = read_information<3>(record, 5);
    graph_.edges2d.push_back(edge);
    edge_lines_.push_back(record.line());
  }

  void read_vertex3d(const Record& record) {
    const int id = record.id(0);
    define_vertex(record, id);
    Pose3d& pose = graph_.poses3d[id];
    for (int k = 0; k < 3; ++k) pose.position[k] = record.number(1 + k);
    read_quaternion(record, 4, pose.orientation);
  }

  void read_edge3d(const Record& record) {
    PoseEdge3d edge;
    edge.from = record.id(0);
    edge.to = record.id(1);
    for (int k = 0; k < 3; ++k) edge.measurement.position[k] = record.number(2 + k);
    read_quaternion(record, 5, edge.measurement.orientation);
    edge.information = read_information<6>(record, 9);
    graph_.edges3d.push_back(edge);
    edge_lines_.push_back(record.line());
  }

  // Every edge's ends are vertices of the file (defined before or after it).
  void check_edge_ends() const {
    const bool three_d = graph_.dimension == 3;
    const char* type = three_d ? kEdge3d : kEdge2d;
    for (size_t e = 0; e < edge_lines_.size(); ++e) {
      const int ends[2] = {three_d ? graph_.edges3d[e].from : graph_.edges2d[e].from,
                           three_d ? graph_.edges3d[e].to : graph_.edges2d[e].to};
      for (int k = 0; k < 2; ++k) {
        if (!vertex_lines_.count(ends[k])) {
          throw Error(name_ + ":" + std::to_string(edge_lines_[e]) + ": " + type + ": field '" + (k ? "b" : "a") +
                      "' refers to vertex " + std::to_string(ends[k]) + ", which the file does not define");
        }
      }
    }
  }

  const std::string& name_;
  PoseGraph graph_;
  std::map<int, int> vertex_lines_;  // vertex id -> line of its definition
  std::vector<int> edge_lines_;      // per edge, its line
  int first_record_line_ = 0;
};

// Fixed with 17 significant digits: what strtod reads back bit for bit.
std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

template <int n>
void write_information(std::ostream& out, const Eigen::Matrix<double, n, n>& information) {
  for (int i = 0; i < n; ++i)
    for (int j = i; j < n; ++j) out << ' ' << number(information(i, j));
}

}  // namespace

PoseGraph read_g2o(std::istream& in, const std::string& name) {
  Reader reader(name);
  reader.read(in);
  return reader.take();
}

PoseGraph read_g2o_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open pose-graph file '" + path + "'");
  return read_g2o(in, path);
}

void write_g2o(const PoseGraph& graph, std::ostream& out) {
  for (const auto& [id, pose] : graph.poses2d) {
    out << kVertex2d << ' ' << id << ' ' << number(pose.position[0]) << ' ' << number(pose.position[1]) << ' '
        << number(pose.angle[0]) << '\n';
  }
  for (const PoseEdge2d& edge : graph.edges2d) {
    const Pose2d& m = edge.measurement;
    out << kEdge2d << ' ' << edge.from << ' ' << edge.to << ' ' << number(m.position[0]) << ' ' << number(m.position[1])
        << ' ' << number(m.angle[0]);
    write_information<3>(out, edge.information);
    out << '\n';
  }
  for (const auto& [id, pose] : graph.poses3d) {
    out << kVertex3d << ' ' << id;
    for (double p : pose.position) out << ' ' << number(p);
    for (double q : pose.orientation) out << ' ' << number(q);
    out << '\n';
  }
  for (const PoseEdge3d& edge : graph.edges3d) {
    out << kEdge3d << ' ' << edge.from << ' ' << edge.to;
    for (double p : edge.measurement.position) out << ' ' << number(p);
    for (double q : edge.measurement.orientation) out << ' ' << number(q);
    write_information<6>(out, edge.information);
    out << '\n';
  }
}

void write_g2o_file(const PoseGraph& graph, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw Error("cannot write pose-graph file '" + path + "'");
  write_g2o(graph, out);
  out.flush();
  if (!out) throw Error("cannot write pose-graph file '" + path + "'");
}

}  // namespace curvature
