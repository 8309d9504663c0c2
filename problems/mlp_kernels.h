// mlp_kernels.h — the passes every part of the MLP problem runs: forward
// (activations and their derivatives), the output Jacobians, the gradient by
// backpropagation, Pearlmutter's directional derivative, and the scratch
// they run in. Internal to problems/: the residual blocks, the metrics, the
// cross-entropy objective and its Gauss-Newton operator all call these, so
// that the network is written down once.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <vector>

#include "mlp_network.h"

namespace curvature::internal::mlp {

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<Eigen::MatrixXd>;
using ConstMatrixMap = Eigen::Map<const Eigen::MatrixXd>;
using RowMajorMap = Eigen::Map<RowMajorMatrix>;
using ConstRowMajorMap = Eigen::Map<const RowMajorMatrix>;
using VectorMap = Eigen::Map<Eigen::VectorXd>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXd>;

// What the passes need to know about a network: its sizes and activations.
// Everything below works on raw pointers with these sizes, so that the same
// code runs on a thread-local scratch (residual blocks), on an objective's
// scratch and on the activations a Gauss-Newton operator stored for all
// samples (where a chunk is a pointer offset: matrices are n_l x N
// column-major, one column per sample, so a run of samples is contiguous).
struct Shape {
  std::vector<int> sizes;
  Activation hidden = Activation::kTanh;
  Activation output = Activation::kLinear;

  int layers() const { return static_cast<int>(sizes.size()) - 1; }
  int outputs() const { return sizes.back(); }
  int widest() const { return *std::max_element(sizes.begin() + 1, sizes.end()); }
  Activation activation(int layer) const { return layer == layers() ? output : hidden; }
  int weight_count(int layer) const { return sizes[layer] * sizes[layer - 1]; }
  int block_size(int layer) const { return weight_count(layer) + sizes[layer]; }
};

inline Shape make_shape(const MlpOptions& options) {
  return Shape{options.layer_sizes, options.hidden_activation, options.output_activation};
}

inline ConstRowMajorMap weights_of(const Shape& shape, const double* block, int layer) {
  return ConstRowMajorMap(block, shape.sizes[layer], shape.sizes[layer - 1]);
}
inline ConstVectorMap biases_of(const Shape& shape, const double* block, int layer) {
  return ConstVectorMap(block + shape.weight_count(layer), shape.sizes[layer]);
}

// Replaces z (count values) by f(z) and, when `derivative` is not null,
// writes f'(z) there. tanh is 1 - 2 / (e^{2z} + 1) with Eigen's vectorized
// exp (see mlp_network.h).
void activate(Activation f, double* z, double* derivative, Eigen::Index count);

// Scratch matrices for one chunk: a_l and f'(z_l) for l = 1..L (n_l x B),
// and two backward buffers of widest * B * K doubles each (the sensitivities
// of B * K residuals ping-pong between them). The buffer only grows, so a
// thread that evaluates chunks of one size allocates once.
class Scratch {
 public:
  void prepare(const Shape& shape, int samples) {
    const int layers = shape.layers();
    const size_t b = static_cast<size_t>(samples);
    size_t needed = 0;
    for (int l = 1; l <= layers; ++l) needed += 2 * padded(static_cast<size_t>(shape.sizes[l]) * b);
    const size_t back = padded(static_cast<size_t>(shape.widest()) * b * static_cast<size_t>(shape.outputs()));
    needed += 2 * back;
    if (buffer_.size() < needed) buffer_.resize(needed);
    a_.assign(static_cast<size_t>(layers) + 1, nullptr);
    d_.assign(static_cast<size_t>(layers) + 1, nullptr);
    double* p = buffer_.data();
    for (int l = 1; l <= layers; ++l) {
      const size_t size = padded(static_cast<size_t>(shape.sizes[l]) * b);
      a_[static_cast<size_t>(l)] = p;
      p += size;
      d_[static_cast<size_t>(l)] = p;
      p += size;
    }
    back_[0] = p;
    back_[1] = p + back;
  }
  double* const* a() { return a_.data(); }
  double* const* d() { return d_.data(); }
  double* back(int i) { return back_[i]; }

 private:
  // Every matrix starts on a 64-byte boundary, the same in every thread's
  // buffer: Eigen splits loops into aligned vector and unaligned scalar parts
  // by address, and sums taken in a different split round differently.
  static size_t padded(size_t doubles) { return (doubles + 7) / 8 * 8; }

  std::vector<double, Eigen::aligned_allocator<double>> buffer_;
  std::vector<double*> a_, d_;
  double* back_[2] = {nullptr, nullptr};
};

// The activations a_{l-1} feeding layer l: the input for l = 1.
inline const double* previous(const double* input, double* const* a, int layer) {
  return layer == 1 ? input : a[layer - 1];
}

// Forward pass over B samples: input is n_0 x B; writes a[l] and, when d is
// not null, d[l] = f'(z_l), for l = 1..L.
void forward(const Shape& shape, double const* const* blocks, const double* input, int samples, double* const* a,
             double* const* d);

// The Jacobians of the B * K outputs a_L(x_s)_o (rows s * K + o) with respect
// to the layer blocks whose jacobians[l - 1] is not null, row-major with
// row_strides[l - 1] doubles per row (the block size for a CostFunction, the
// total parameter count for a whole-network matrix). Needs a forward pass
// with derivatives. The sensitivities are kept with columns o * B + s, so
// that the columns of one output form a B-column block that multiplies
// f'(Z) elementwise without replication.
void output_jacobians(const Shape& shape, double const* const* blocks, const double* input, int samples,
                      double* const* a, double* const* d, double* back0, double* back1, double* const* jacobians,
                      const int* row_strides);

// The same Jacobians written column-major: entry (row, column) of block
// l - 1 at jacobians[l - 1][column * leading_dimension + row], each column
// contiguous (CostFunction::evaluate_column_major).
void output_jacobians_column_major(const Shape& shape, double const* const* blocks, const double* input, int samples,
                                   double* const* a, double* const* d, double* back0, double* back1,
                                   double* const* jacobians, long leading_dimension);

// Backpropagates Delta_L (K x B, in `delta_buffer`, which is overwritten) and
// adds the gradient sum_s (d z_L / d x)^T delta_s to gradients[l - 1] (one
// pointer per layer block). `spare` has room for widest x B doubles.
void backward_gradient(const Shape& shape, double const* const* blocks, const double* input, int samples,
                       double* const* a, double* const* d, double* delta_buffer, double* spare,
                       double* const* gradients);

// Pearlmutter's R-operator: the directional derivative R z_L = (d z_L / d x) v
// of the output pre-activations over B samples, v given per layer block.
// Writes K x B values to `out`; `buffer0` and `buffer1` (widest x B doubles
// each, distinct from `out`) hold the hidden layers' R a_l in turn.
void forward_directional(const Shape& shape, double const* const* blocks, double const* const* directions,
                         const double* input, int samples, double* const* a, double* const* d, double* buffer0,
                         double* buffer1, double* out);

// The chunk [start, start + count) of the samples 0..n-1 in chunks of `chunk`.
template <typename Body>
void for_each_chunk(int n, int chunk, Body&& body) {
  for (int start = 0; start < n; start += chunk) body(start, std::min(chunk, n - start));
}

// Samples as columns: the layout the passes read.
inline Eigen::MatrixXd columns_of(const Eigen::MatrixXd& rows) { return rows.transpose(); }

}  // namespace curvature::internal::mlp
