// The Manifold base class's default tangent-space product (manifold.h): form
// plus_jacobian() and multiply. The concrete manifolds live beside it.
#include "curvature/manifold.h"

#include <Eigen/Core>
#include <vector>

namespace curvature {

bool Manifold::right_multiply_by_plus_jacobian(const double* x, int num_rows, const double* ambient_matrix,
                                               double* tangent_matrix) const {
  using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int ambient = ambient_size(), tangent = tangent_size();
  std::vector<double> plus(static_cast<size_t>(ambient) * static_cast<size_t>(tangent));
  if (!plus_jacobian(x, plus.data())) return false;
  Eigen::Map<RowMajorMatrix>(tangent_matrix, num_rows, tangent).noalias() =
      Eigen::Map<const RowMajorMatrix>(ambient_matrix, num_rows, ambient) *
      Eigen::Map<const RowMajorMatrix>(plus.data(), ambient, tangent);
  return true;
}

}  // namespace curvature
