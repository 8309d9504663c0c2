// Fuzzes the g2o pose-graph reader (problems/g2o.h).
//
// For every input: either a curvature::Error, or a graph of one dimension
// whose edges join vertices it has, whose numbers are finite, whose
// quaternions are unit and angles wrapped, and whose information matrices
// are symmetric positive definite. Anything else (another exception, a
// sanitizer report, a broken invariant) is a finding.
#include <Eigen/Cholesky>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "curvature/error.h"
#include "fuzz_invariant.h"
#include "g2o.h"

namespace {

using curvature::fuzz::require;

template <typename Matrix>
void check_information(const Matrix& information) {
  require(information.allFinite(), "an accepted information matrix is finite");
  require((information - information.transpose()).cwiseAbs().maxCoeff() == 0.0,
          "an accepted information matrix is symmetric");
  require(information.llt().info() == Eigen::Success, "an accepted information matrix is positive definite");
}

bool wrapped(double angle) { return std::isfinite(angle) && angle >= -M_PI - 1e-12 && angle <= M_PI + 1e-12; }

void check_graph(const curvature::PoseGraph& g) {
  require(g.dimension == 0 || g.dimension == 2 || g.dimension == 3, "the dimension is 0, 2 or 3");
  require(g.dimension != 2 || (g.poses3d.empty() && g.edges3d.empty()), "a 2-D graph has no 3-D records");
  require(g.dimension != 3 || (g.poses2d.empty() && g.edges2d.empty()), "a 3-D graph has no 2-D records");
  for (const auto& [id, pose] : g.poses2d) {
    require(std::isfinite(pose.position[0]) && std::isfinite(pose.position[1]), "2-D positions are finite");
    require(wrapped(pose.angle[0]), "2-D angles are wrapped");
  }
  for (const auto& [id, pose] : g.poses3d) {
    const double* q = pose.orientation;
    require(std::abs(std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]) - 1.0) < 1e-12,
            "3-D orientations are unit quaternions");
  }
  for (const auto& edge : g.edges2d) {
    require(g.poses2d.count(edge.from) == 1 && g.poses2d.count(edge.to) == 1, "2-D edges join known vertices");
    require(wrapped(edge.measurement.angle[0]), "2-D edge angles are wrapped");
    check_information(edge.information);
  }
  for (const auto& edge : g.edges3d) {
    require(g.poses3d.count(edge.from) == 1 && g.poses3d.count(edge.to) == 1, "3-D edges join known vertices");
    check_information(edge.information);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(bytes), size));
  curvature::PoseGraph graph;
  try {
    graph = curvature::read_g2o(in, "fuzz.g2o");
  } catch (const curvature::Error&) {
    return 0;
  }
  check_graph(graph);
  return 0;
}
