// EuclideanManifold and SubsetManifold: coordinates that move by plain
// addition, all of them or all but some held constant.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "curvature/error.h"
#include "curvature/manifolds.h"

namespace curvature {

EuclideanManifold::EuclideanManifold(int size) : size_(size) {
  if (size < 1) throw Error("EuclideanManifold: size must be at least 1, got " + std::to_string(size));
}

bool EuclideanManifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  for (int i = 0; i < size_; ++i) x_plus_delta[i] = x[i] + delta[i];
  return true;
}

bool EuclideanManifold::plus_jacobian(const double*, double* jacobian) const {
  std::fill(jacobian, jacobian + size_ * size_, 0.0);
  for (int i = 0; i < size_; ++i) jacobian[i * size_ + i] = 1.0;
  return true;
}

bool EuclideanManifold::minus(const double* y, const double* x, double* y_minus_x) const {
  for (int i = 0; i < size_; ++i) y_minus_x[i] = y[i] - x[i];
  return true;
}

bool EuclideanManifold::minus_jacobian(const double* x, double* jacobian) const { return plus_jacobian(x, jacobian); }

bool EuclideanManifold::right_multiply_by_plus_jacobian(const double*, int num_rows, const double* ambient_matrix,
                                                        double* tangent_matrix) const {
  std::copy(ambient_matrix, ambient_matrix + num_rows * size_, tangent_matrix);
  return true;
}

namespace {

// The coordinates of 0..size-1 not in `constant`, ascending, after checking
// that every constant index is in range and named once.
std::vector<int> free_coordinates(int size, const std::vector<int>& constant) {
  if (size < 1) throw Error("SubsetManifold: size must be at least 1, got " + std::to_string(size));
  std::vector<bool> held(size, false);
  for (int index : constant) {
    if (index < 0 || index >= size) {
      throw Error("SubsetManifold: constant index " + std::to_string(index) + " is outside [0, " +
                  std::to_string(size) + ")");
    }
    if (held[index]) throw Error("SubsetManifold: constant index " + std::to_string(index) + " is given twice");
    held[index] = true;
  }
  std::vector<int> free;
  for (int i = 0; i < size; ++i) {
    if (!held[i]) free.push_back(i);
  }
  if (free.empty()) {
    throw Error("SubsetManifold: all " + std::to_string(size) +
                " coordinates are constant; make the parameter block constant instead");
  }
  return free;
}

}  // namespace

SubsetManifold::SubsetManifold(int size, std::vector<int> constant_indices)
    : size_(size), free_(free_coordinates(size, constant_indices)) {}

bool SubsetManifold::plus(const double* x, const double* delta, double* x_plus_delta) const {
  std::copy(x, x + size_, x_plus_delta);
  for (std::size_t j = 0; j < free_.size(); ++j) x_plus_delta[free_[j]] += delta[j];
  return true;
}

bool SubsetManifold::plus_jacobian(const double*, double* jacobian) const {
  const int tangent = tangent_size();
  std::fill(jacobian, jacobian + size_ * tangent, 0.0);
  for (int j = 0; j < tangent; ++j) jacobian[free_[j] * tangent + j] = 1.0;
  return true;
}

bool SubsetManifold::minus(const double* y, const double* x, double* y_minus_x) const {
  for (std::size_t j = 0; j < free_.size(); ++j) y_minus_x[j] = y[free_[j]] - x[free_[j]];
  return true;
}

bool SubsetManifold::minus_jacobian(const double*, double* jacobian) const {
  const int tangent = tangent_size();
  std::fill(jacobian, jacobian + tangent * size_, 0.0);
  for (int j = 0; j < tangent; ++j) jacobian[j * size_ + free_[j]] = 1.0;
  return true;
}

bool SubsetManifold::right_multiply_by_plus_jacobian(const double*, int num_rows, const double* ambient_matrix,
                                                     double* tangent_matrix) const {
  const int tangent = tangent_size();
  for (int r = 0; r < num_rows; ++r) {
    for (int j = 0; j < tangent; ++j) tangent_matrix[r * tangent + j] = ambient_matrix[r * size_ + free_[j]];
  }
  return true;
}

}  // namespace curvature
