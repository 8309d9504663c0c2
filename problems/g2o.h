// g2o.h — pose graphs in the g2o text format: reading, writing, and the
// graph they describe.
//
// A g2o file holds one record a line (blank lines and lines starting with
// '#' are skipped):
//
//   VERTEX_SE2 id x y theta
//   EDGE_SE2 a b dx dy dtheta I11 I12 I13 I22 I23 I33
//   VERTEX_SE3:QUAT id x y z qx qy qz qw
//   EDGE_SE3:QUAT a b dx dy dz dqx dqy dqz dqw I11 I12 ... I16 I22 ... I66
//
// An edge is the measured pose of vertex b in the frame of vertex a, with
// the upper triangle of its information matrix (the inverse covariance of
// the measurement) row by row; in 3-D the translation comes first, then the
// rotation. On reading, quaternions are normalised and angles wrapped to
// [-pi, pi).
//
// A malformed file is a curvature::Error whose message starts with
// "<file>:<line>: <record type>:" and names the field: a missing or extra
// field, a field that is not a finite number (or, for ids, not a whole
// number), an unknown record type, a vertex id defined twice, an edge to a
// vertex the file does not define, a zero quaternion, an information matrix
// that is not positive definite, and 2-D records mixed with 3-D ones.
#pragma once

#include <Eigen/Core>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace curvature {

// A planar pose. Each member is one parameter block of the pose-graph
// problem (pose_graph.h), so each is an array.
struct Pose2d {
  double position[2] = {0.0, 0.0};  // x, y
  double angle[1] = {0.0};          // heading in radians, in [-pi, pi)
};

// A rigid pose in space: position, then a unit quaternion in Eigen's memory
// order (x, y, z, w), the order g2o writes.
struct Pose3d {
  double position[3] = {0.0, 0.0, 0.0};
  double orientation[4] = {0.0, 0.0, 0.0, 1.0};
};

// The measured pose of vertex `to` in the frame of vertex `from`.
struct PoseEdge2d {
  int from = 0;
  int to = 0;
  Pose2d measurement;
  Eigen::Matrix3d information = Eigen::Matrix3d::Identity();  // symmetric positive definite
};

struct PoseEdge3d {
  int from = 0;
  int to = 0;
  Pose3d measurement;
  Eigen::Matrix<double, 6, 6> information = Eigen::Matrix<double, 6, 6>::Identity();  // (translation, rotation)
};

// A 2-D or a 3-D pose graph: the poses by vertex id (a std::map, so a pose's
// address never changes and the problem built on it may refer to it) and
// the edges in file order. Only one dimension's members are filled.
struct PoseGraph {
  int dimension = 0;  // 2 or 3; 0 for a graph without records
  std::map<int, Pose2d> poses2d;
  std::vector<PoseEdge2d> edges2d;
  std::map<int, Pose3d> poses3d;
  std::vector<PoseEdge3d> edges3d;

  int num_poses() const { return static_cast<int>(dimension == 3 ? poses3d.size() : poses2d.size()); }
  int num_edges() const { return static_cast<int>(dimension == 3 ? edges3d.size() : edges2d.size()); }
};

// Reads a graph from `in`; `name` (a file name) starts every error message.
PoseGraph read_g2o(std::istream& in, const std::string& name);
// Reads the file at `path`; one that cannot be opened is an Error naming it.
PoseGraph read_g2o_file(const std::string& path);

// Writes the poses in id order, then the edges, every number with 17
// significant digits, so that read_g2o() gives the graph back.
void write_g2o(const PoseGraph& graph, std::ostream& out);
// Writes to the file at `path`; one that cannot be written is an Error naming it.
void write_g2o_file(const PoseGraph& graph, const std::string& path);

}  // namespace curvature
