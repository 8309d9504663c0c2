// mlp_test_data.h — small synthetic data sets shared by the network tests:
// the same values for the same seed on every platform (std::mt19937_64 and
// 53-bit fractions, no library distribution).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <random>

#include "csv_dataset.h"

namespace curvature::testing {

// A rows x cols matrix of values uniform in [-1, 1), column by column.
inline Eigen::MatrixXd uniform(int rows, int cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = -1.0 + 2.0 * static_cast<double>(rng() >> 11) * 0x1.0p-53;
  }
  return m;
}

// Three classes split by two lines in the plane, labels as one column.
inline Dataset three_classes(int samples, std::uint64_t seed) {
  Dataset data;
  data.inputs = uniform(samples, 2, seed);
  data.targets.resize(samples, 1);
  for (int s = 0; s < samples; ++s) {
    const double a = data.inputs(s, 0), b = data.inputs(s, 1);
    data.targets(s, 0) = a + b < -0.3 ? 0.0 : (a - b > 0.2 ? 1.0 : 2.0);
  }
  return data;
}

}  // namespace curvature::testing
