// ProductManifold: the factors' points and steps laid one after another; every
// function runs the factors on their slices, and the Jacobians are
// block-diagonal.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "curvature/error.h"
#include "curvature/manifolds.h"

namespace curvature {

ProductManifold::ProductManifold(std::vector<std::shared_ptr<const Manifold>> factors) : factors_(std::move(factors)) {
  if (factors_.empty()) throw Error("ProductManifold: needs at least one factor");
  for (std::size_t k = 0; k < factors_.size(); ++k) {
    if (!factors_[k]) throw Error("ProductManifold: factor " + std::to_string(k) + " is null");
    ambient_size_ += factors_[k]->ambient_size();
    tangent_size_ += factors_[k]->tangent_size();
  }
}

bool ProductManifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  for (const auto& factor : factors_) {
    if (!factor->plus(x, delta, x_plus_delta)) return false;
    x += factor->ambient_size();
    x_plus_delta += factor->ambient_size();
    delta += factor->tangent_size();
  }
  return true;
}

bool ProductManifold::minus(const double* y, const double* x, double* y_minus_x) const {
  for (const auto& factor : factors_) {
    if (!factor->minus(y, x, y_minus_x)) return false;
    y += factor->ambient_size();
    x += factor->ambient_size();
    y_minus_x += factor->tangent_size();
  }
  return true;
}

namespace {

// Copies the row-major rows x cols `block` into `matrix` (row stride
// `stride`) at (row, col).
void place_block(const std::vector<double>& block, int rows, int cols, double* matrix, int stride, int row, int col) {
  for (int r = 0; r < rows; ++r) {
    std::copy(block.begin() + r * cols, block.begin() + (r + 1) * cols, matrix + (row + r) * stride + col);
  }
}

}  // namespace

bool ProductManifold::plus_jacobian(const double* x, double* jacobian) const {
  std::fill(jacobian, jacobian + ambient_size_ * tangent_size_, 0.0);
  int row = 0, col = 0;
  std::vector<double> block;
  for (const auto& factor : factors_) {
    const int ambient = factor->ambient_size(), tangent = factor->tangent_size();
    block.resize(static_cast<std::size_t>(ambient) * tangent);
    if (!factor->plus_jacobian(x + row, block.data())) return false;
    place_block(block, ambient, tangent, jacobian, tangent_size_, row, col);
    row += ambient;
    col += tangent;
  }
  return true;
}

bool ProductManifold::minus_jacobian(const double* x, double* jacobian) const {
  std::fill(jacobian, jacobian + tangent_size_ * ambient_size_, 0.0);
  int row = 0, col = 0;  // row: tangent offset, col: ambient offset
  std::vector<double> block;
  for (const auto& factor : factors_) {
    const int ambient = factor->ambient_size(), tangent = factor->tangent_size();
    block.resize(static_cast<std::size_t>(tangent) * ambient);
    if (!factor->minus_jacobian(x + col, block.data())) return false;
    place_block(block, tangent, ambient, jacobian, ambient_size_, row, col);
    row += tangent;
    col += ambient;
  }
  return true;
}

// Each factor multiplies its own columns, so a Euclidean or subset factor
// keeps its cheap product; the columns are gathered into a contiguous block
// for the factor and its result scattered back.
bool ProductManifold::right_multiply_by_plus_jacobian(const double* x, int num_rows, const double* ambient_matrix,
                                                      double* tangent_matrix) const {
  int ambient_offset = 0, tangent_offset = 0;
  std::vector<double> ambient_block, tangent_block;
  for (const auto& factor : factors_) {
    const int ambient = factor->ambient_size(), tangent = factor->tangent_size();
    ambient_block.resize(static_cast<std::size_t>(num_rows) * ambient);
    tangent_block.resize(static_cast<std::size_t>(num_rows) * tangent);
    for (int r = 0; r < num_rows; ++r) {
      const double* source = ambient_matrix + r * ambient_size_ + ambient_offset;
      std::copy(source, source + ambient, ambient_block.begin() + r * ambient);
    }
    if (!factor->right_multiply_by_plus_jacobian(x + ambient_offset, num_rows, ambient_block.data(),
                                                 tangent_block.data())) {
      return false;
    }
    place_block(tangent_block, num_rows, tangent, tangent_matrix, tangent_size_, 0, tangent_offset);
    ambient_offset += ambient;
    tangent_offset += tangent;
  }
  return true;
}

bool ProductManifold::is_euclidean() const {
  return std::all_of(factors_.begin(), factors_.end(), [](const auto& factor) { return factor->is_euclidean(); });
}

bool ProductManifold::has_identity_plus_jacobian() const {
  return std::all_of(factors_.begin(), factors_.end(),
                     [](const auto& factor) { return factor->has_identity_plus_jacobian(); });
}

}  // namespace curvature
