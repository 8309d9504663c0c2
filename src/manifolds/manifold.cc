// The default tangent-space product of a Manifold: form plus_jacobian() once
// and multiply, for manifolds without a cheaper structure to exploit.
#include "curvature/manifold.h"

#include <Eigen/Core>
#include <vector>

namespace curvature {

bool Manifold::right_multiply_by_plus_jacobian(const double* x, int num_rows, const double* ambient_matrix,
                                               double* tangent_matrix) const {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int ambient = ambient_size(), tangent = tangent_size();
  std::vector<double> jacobian(static_cast<std::size_t>(ambient) * tangent);
  if (!plus_jacobian(x, jacobian.data())) return false;
  Eigen::Map<RowMajor>(tangent_matrix, num_rows, tangent).noalias() =
      Eigen::Map<const RowMajor>(ambient_matrix, num_rows, ambient) *
      Eigen::Map<const RowMajor>(jacobian.data(), ambient, tangent);
  return true;
}

}  // namespace curvature
