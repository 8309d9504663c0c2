// test_manifolds.h — small manifolds and a pose problem for the engine's
// tests, written against the Manifold interface alone (manifold.h) so that
// the tests of the evaluator and the solvers do not depend on the library's
// own manifolds.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "curvature/autodiff_cost_function.h"
#include "curvature/manifold.h"
#include "curvature/problem.h"

namespace curvature::testing {

// Hamilton quaternions, w first: a * b.
template <typename T>
std::array<T, 4> quaternion_product(const T* a, const T* b) {
  return {a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3], a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
          a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1], a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0]};
}

// q p q^* for a point p: the rotation of p when |q| = 1, and |q|^2 times it
// otherwise (which is how a quaternion that drifts off the sphere shows).
template <typename T>
std::array<T, 3> rotate(const T* q, const T* p) {
  const T point[4] = {T(0.0), p[0], p[1], p[2]};
  const T conjugate[4] = {q[0], -q[1], -q[2], -q[3]};
  const std::array<T, 4> qp = quaternion_product(q, point);
  const std::array<T, 4> result = quaternion_product(qp.data(), conjugate);
  return {result[1], result[2], result[3]};
}

// Unit quaternions (w first) with plus(q, d) = exp(d) * q, renormalised.
class TestQuaternionManifold final : public Manifold {
 public:
  int ambient_size() const override { return 4; }
  int tangent_size() const override { return 3; }
  bool plus(const double* x, const double* delta, double* out) const override {
    const double angle = std::sqrt(delta[0] * delta[0] + delta[1] * delta[1] + delta[2] * delta[2]);
    double exp[4] = {1.0, 0.0, 0.0, 0.0};
    if (angle > 0.0) {
      const double s = std::sin(0.5 * angle) / angle;
      exp[0] = std::cos(0.5 * angle);
      for (int k = 0; k < 3; ++k) exp[k + 1] = s * delta[k];
    }
    const std::array<double, 4> product = quaternion_product(exp, x);
    const double norm = std::sqrt(product[0] * product[0] + product[1] * product[1] + product[2] * product[2] +
                                  product[3] * product[3]);
    for (int k = 0; k < 4; ++k) out[k] = product[k] / norm;
    return true;
  }
  // d (exp(d) q) / d d at 0 = 1/2 (0, e_k) * q, column k.
  bool plus_jacobian(const double* x, double* jacobian) const override {
    for (int k = 0; k < 3; ++k) {
      double e[4] = {0.0, 0.0, 0.0, 0.0};
      e[k + 1] = 0.5;
      const std::array<double, 4> column = quaternion_product(e, x);
      for (int r = 0; r < 4; ++r) jacobian[r * 3 + k] = column[r];
    }
    return true;
  }
  bool minus(const double* y, const double* x, double* out) const override {
    const double conjugate[4] = {x[0], -x[1], -x[2], -x[3]};
    std::array<double, 4> d = quaternion_product(y, conjugate);
    if (d[0] < 0.0) {
      for (double& v : d) v = -v;
    }
    const double s = std::sqrt(d[1] * d[1] + d[2] * d[2] + d[3] * d[3]);
    const double factor = s > 0.0 ? 2.0 * std::atan2(s, d[0]) / s : 2.0;
    for (int k = 0; k < 3; ++k) out[k] = factor * d[k + 1];
    return true;
  }
  // 4 P^T: P's columns are orthogonal with norm 1/2 at a unit q.
  bool minus_jacobian(const double* x, double* jacobian) const override {
    double plus[12];
    plus_jacobian(x, plus);
    for (int k = 0; k < 3; ++k) {
      for (int r = 0; r < 4; ++r) jacobian[k * 4 + r] = 4.0 * plus[r * 3 + k];
    }
    return true;
  }
};

// R^n with some coordinates held constant.
class TestSubsetManifold final : public Manifold {
 public:
  TestSubsetManifold(int size, std::vector<int> constant) : size_(size) {
    for (int i = 0; i < size; ++i) {
      if (std::find(constant.begin(), constant.end(), i) == constant.end()) free_.push_back(i);
    }
  }
  int ambient_size() const override { return size_; }
  int tangent_size() const override { return static_cast<int>(free_.size()); }
  bool plus(const double* x, const double* delta, double* out) const override {
    std::copy(x, x + size_, out);
    for (size_t k = 0; k < free_.size(); ++k) out[free_[k]] += delta[k];
    return true;
  }
  bool plus_jacobian(const double*, double* jacobian) const override {
    std::fill(jacobian, jacobian + size_ * tangent_size(), 0.0);
    for (size_t k = 0; k < free_.size(); ++k) jacobian[free_[k] * tangent_size() + static_cast<int>(k)] = 1.0;
    return true;
  }
  bool minus(const double* y, const double* x, double* out) const override {
    for (size_t k = 0; k < free_.size(); ++k) out[k] = y[free_[k]] - x[free_[k]];
    return true;
  }
  bool minus_jacobian(const double*, double* jacobian) const override {
    std::fill(jacobian, jacobian + size_ * tangent_size(), 0.0);
    for (size_t k = 0; k < free_.size(); ++k) jacobian[k * size_ + free_[k]] = 1.0;
    return true;
  }

 private:
  int size_;
  std::vector<int> free_;
};

// R^n as a manifold that says so: the engine must treat it as plain
// coordinates (and allow bounds on it).
class TestEuclideanManifold final : public Manifold {
 public:
  explicit TestEuclideanManifold(int size) : size_(size) {}
  int ambient_size() const override { return size_; }
  int tangent_size() const override { return size_; }
  bool plus(const double* x, const double* delta, double* out) const override {
    for (int i = 0; i < size_; ++i) out[i] = x[i] + delta[i];
    return true;
  }
  bool plus_jacobian(const double*, double* jacobian) const override {
    Eigen::Map<Eigen::MatrixXd>(jacobian, size_, size_).setIdentity();
    return true;
  }
  bool minus(const double* y, const double* x, double* out) const override {
    for (int i = 0; i < size_; ++i) out[i] = y[i] - x[i];
    return true;
  }
  bool minus_jacobian(const double*, double* jacobian) const override {
    Eigen::Map<Eigen::MatrixXd>(jacobian, size_, size_).setIdentity();
    return true;
  }
  bool is_euclidean() const override { return true; }

 private:
  int size_;
};

// R(q) p + t - y: a point p of a body seen at y in the world, the body
// oriented by q and placed at t.
struct ObservedPoint {
  double p[3], y[3];
  template <typename T>
  bool operator()(const T* q, const T* t, T* r) const {
    const T point[3] = {T(p[0]), T(p[1]), T(p[2])};
    const std::array<T, 3> rotated = rotate(q, point);
    for (int k = 0; k < 3; ++k) r[k] = rotated[k] + t[k] - T(y[k]);
    return true;
  }
};

// R(q_a)^T R(q_b) u - v: the relative orientation of two bodies, seen as
// the direction u of b's frame at v in a's.
struct RelativeDirection {
  double u[3], v[3];
  template <typename T>
  bool operator()(const T* a, const T* b, T* r) const {
    const T direction[3] = {T(u[0]), T(u[1]), T(u[2])};
    const std::array<T, 3> in_world = rotate(b, direction);
    const T inverse[4] = {a[0], -a[1], -a[2], -a[3]};
    const std::array<T, 3> in_a = rotate(inverse, in_world.data());
    for (int k = 0; k < 3; ++k) r[k] = in_a[k] - T(v[k]);
    return true;
  }
};

// A small pose problem with a known minimum: kBodies orientations (unit
// quaternions) and one shared translation, each body seeing kPoints points
// exactly, plus relative directions between neighbouring bodies; the
// minimum is 0 at the true orientations (up to sign) and translation. The
// start is each true orientation turned by about 0.3 rad, off by 0.5 in t.
struct PoseProblem {
  static constexpr int kBodies = 4, kPoints = 3;
  std::vector<std::array<double, 4>> truth, q;
  std::array<double, 3> true_t{0.3, -0.2, 0.5}, t{0.8, 0.3, 0.0};

  PoseProblem() {
    std::mt19937_64 generator(7);
    std::normal_distribution<double> normal;
    for (int b = 0; b < kBodies; ++b) {
      std::array<double, 4> unit;
      double norm = 0.0;
      for (double& v : unit) {
        v = normal(generator);
        norm += v * v;
      }
      for (double& v : unit) v /= std::sqrt(norm);
      truth.push_back(unit);
      const double turn[3] = {0.3 * normal(generator), 0.3 * normal(generator), 0.3 * normal(generator)};
      std::array<double, 4> start;
      TestQuaternionManifold().plus(unit.data(), turn, start.data());
      q.push_back(start);
    }
  }

  // Adds the residual blocks (and, when `manifolds`, the quaternion
  // manifold on every orientation) to a problem over this->q and this->t.
  void build(Problem* problem, bool manifolds = true) {
    std::mt19937_64 generator(11);
    std::uniform_real_distribution<double> uniform(-1.0, 1.0);
    for (int b = 0; b < kBodies; ++b) {
      for (int k = 0; k < kPoints; ++k) {
        ObservedPoint observed;
        for (double& v : observed.p) v = uniform(generator);
        const std::array<double, 3> rotated = rotate(truth[b].data(), observed.p);
        for (int i = 0; i < 3; ++i) observed.y[i] = rotated[i] + true_t[i];
        problem->add_residual_block(std::make_shared<AutoDiffCostFunction<ObservedPoint, 3, 4, 3>>(observed), nullptr,
                                    q[b].data(), t.data());
      }
    }
    for (int b = 0; b + 1 < kBodies; ++b) {
      RelativeDirection relative;
      for (double& v : relative.u) v = uniform(generator);
      const std::array<double, 3> in_world = rotate(truth[b + 1].data(), relative.u);
      const double inverse[4] = {truth[b][0], -truth[b][1], -truth[b][2], -truth[b][3]};
      const std::array<double, 3> in_a = rotate(inverse, in_world.data());
      for (int i = 0; i < 3; ++i) relative.v[i] = in_a[i];
      problem->add_residual_block(std::make_shared<AutoDiffCostFunction<RelativeDirection, 3, 4, 4>>(relative), nullptr,
                                  q[b].data(), q[b + 1].data());
    }
    if (manifolds) {
      const auto quaternion = std::make_shared<TestQuaternionManifold>();
      for (auto& orientation : q) problem->set_manifold(orientation.data(), quaternion);
    }
  }

  // The largest | |q| - 1 | over the orientations.
  double worst_norm_error() const {
    double worst = 0.0;
    for (const auto& orientation : q) {
      const double norm = std::sqrt(orientation[0] * orientation[0] + orientation[1] * orientation[1] +
                                    orientation[2] * orientation[2] + orientation[3] * orientation[3]);
      worst = std::max(worst, std::abs(norm - 1.0));
    }
    return worst;
  }

  // The largest distance of an orientation from the truth, up to sign.
  double worst_orientation_error() const {
    double worst = 0.0;
    for (int b = 0; b < kBodies; ++b) {
      double plus = 0.0, minus = 0.0;
      for (int k = 0; k < 4; ++k) {
        plus += (q[b][k] - truth[b][k]) * (q[b][k] - truth[b][k]);
        minus += (q[b][k] + truth[b][k]) * (q[b][k] + truth[b][k]);
      }
      worst = std::max(worst, std::sqrt(std::min(plus, minus)));
    }
    return worst;
  }
};

}  // namespace curvature::testing
