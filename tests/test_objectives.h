// Small scalar objectives with known minimizers, written as templated
// functors for AutoDiffObjective, shared by the minimizer tests.
#pragma once

#include <Eigen/Core>

namespace curvature::testing {

// f = 1/2 x^T A x - b^T x with A symmetric positive definite (condition
// number about 30); minimizer A^-1 b.
struct Quadratic {
  static Eigen::Matrix4d a() {
    Eigen::Matrix4d m;
    m << 10, 1, 0, 2,  //
        1, 5, 1, 0,    //
        0, 1, 3, 0.5,  //
        2, 0, 0.5, 1;
    return m;
  }
  static Eigen::Vector4d b() { return Eigen::Vector4d(1.0, -2.0, 3.0, 0.5); }
  template <typename T>
  bool operator()(const T* x, T* f) const {
    const Eigen::Matrix4d m = a();
    const Eigen::Vector4d v = b();
    T sum(0.0);
    for (int i = 0; i < 4; ++i) {
      sum -= v[i] * x[i];
      for (int j = 0; j < 4; ++j) sum += 0.5 * m(i, j) * x[i] * x[j];
    }
    *f = sum;
    return true;
  }
};

}  // namespace curvature::testing
