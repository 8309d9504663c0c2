// The default tangent-space product of a Manifold: form plus_jacobian() once
// and multiply, for manifolds without a cheaper structure to exploit.
#include "curvature/manifold.h"

#include <Eigen/Core>
#include <array>
#include <vector>

namespace curvature {

bool Manifold::right_multiply_by_plus_jacobian(const double* x, int num_rows, const double* ambient_matrix,
                                               double* tangent_matrix) const {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int ambient = ambient_size(), tangent = tangent_size();
  // This runs once per block per evaluation: the Jacobians of the small
  // manifolds (up to 8 x 8, SE(3)'s 7 x 6 included) stay on the stack.
  constexpr int kOnStack = 64;
  std::array<double, kOnStack> small;
  std::vector<double> large;
  double* jacobian = small.data();
  if (ambient * tangent > kOnStack) {
    large.resize(static_cast<std::size_t>(ambient) * tangent);
    jacobian = large.data();
  }
  if (!plus_jacobian(x, jacobian)) return false;
  Eigen::Map<RowMajor>(tangent_matrix, num_rows, tangent).noalias() =
      Eigen::Map<const RowMajor>(ambient_matrix, num_rows, ambient) *
      Eigen::Map<const RowMajor>(jacobian, ambient, tangent);
  return true;
}

}  // namespace curvature
