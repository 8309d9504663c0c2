#include "mlp_kernels.h"

#include <cmath>
#include <utility>

namespace curvature::internal::mlp {
namespace {

double sigmoid(double z) {
  // Two branches keep exp() from overflowing and keep relative accuracy in
  // both tails.
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

double softplus(double z) { return z > 0.0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

// tanh z = 1 - 2 / (e^{2z} + 1), eight values at a time: Eigen's tanh is
// scalar std::tanh for doubles, its exp is vectorized. Fixed blocks of eight
// (the tail padded) make every value go through the same vectorized exp
// whatever the buffer's alignment, so results never depend on which thread's
// scratch holds them. e^{2z} = inf gives 1, e^{2z} = 0 gives -1.
void tanh_in_place(double* z, Eigen::Index count) {
  using Block = Eigen::Array<double, 8, 1>;
  auto tanh_block = [](const Block& v) -> Block { return 1.0 - 2.0 / ((2.0 * v).exp() + 1.0); };
  Eigen::Index i = 0;
  for (; i + 8 <= count; i += 8) {
    Eigen::Map<Block> block(z + i);
    block = tanh_block(block);
  }
  if (i < count) {
    Block tail = Block::Zero();
    tail.head(count - i) = Eigen::Map<const Eigen::ArrayXd>(z + i, count - i);
    tail = tanh_block(tail);
    Eigen::Map<Eigen::ArrayXd>(z + i, count - i) = tail.head(count - i);
  }
}

}  // namespace

void activate(Activation f, double* z, double* derivative, Eigen::Index count) {
  Eigen::Map<Eigen::ArrayXd> a(z, count);
  switch (f) {
    case Activation::kTanh:
      tanh_in_place(z, count);
      if (derivative) Eigen::Map<Eigen::ArrayXd>(derivative, count) = 1.0 - a.square();
      return;
    case Activation::kRelu:
      if (derivative) Eigen::Map<Eigen::ArrayXd>(derivative, count) = (a > 0.0).cast<double>();
      a = a.max(0.0);
      return;
    case Activation::kSigmoid:
      a = a.unaryExpr([](double v) { return sigmoid(v); });
      if (derivative) Eigen::Map<Eigen::ArrayXd>(derivative, count) = a * (1.0 - a);
      return;
    case Activation::kSoftplus:
      if (derivative) Eigen::Map<Eigen::ArrayXd>(derivative, count) = a.unaryExpr([](double v) { return sigmoid(v); });
      a = a.unaryExpr([](double v) { return softplus(v); });
      return;
    case Activation::kLinear:
      if (derivative) Eigen::Map<Eigen::ArrayXd>(derivative, count).setOnes();
      return;
  }
}

// Forward pass over B samples: input is n_0 x B; writes a[l] and, when d is
// not null, d[l] = f'(z_l), for l = 1..L.
void forward(const Shape& shape, double const* const* blocks, const double* input, int samples, double* const* a,
             double* const* d) {
  for (int l = 1; l <= shape.layers(); ++l) {
    const int n = shape.sizes[l];
    MatrixMap z(a[l], n, samples);
    z.noalias() =
        weights_of(shape, blocks[l - 1], l) * ConstMatrixMap(previous(input, a, l), shape.sizes[l - 1], samples);
    z.colwise() += biases_of(shape, blocks[l - 1], l);
    activate(shape.activation(l), a[l], d ? d[l] : nullptr, z.size());
  }
}

// The Jacobians of the B * K outputs a_L(x_s)_o (rows s * K + o) with respect
// to the layer blocks whose jacobians[l - 1] is not null, row-major with
// row_strides[l - 1] doubles per row (the block size for a CostFunction, the
// total parameter count for a whole-network matrix). Needs a forward pass
// with derivatives. The sensitivities are kept with columns o * B + s, so
// that the columns of one output form a B-column block that multiplies
// f'(Z) elementwise without replication.
namespace {

// The backward sweep shared by both Jacobian layouts: calls
// write(l, delta, activations) for every layer block with jacobians[l - 1]
// set, delta being the n_l x (K * B) sensitivities (columns o * B + s) and
// activations the n_{l-1} x B inputs of layer l.
template <typename Write>
void sweep_output_sensitivities(const Shape& shape, double const* const* blocks, const double* input, int samples,
                                double* const* a, double* const* d, double* back0, double* back1,
                                double* const* jacobians, Write&& write) {
  const int layers = shape.layers();
  const int k = shape.outputs();
  const Eigen::Index columns = static_cast<Eigen::Index>(samples) * k;
  int lowest = 0;
  for (int l = layers; l >= 1; --l) {
    if (jacobians[l - 1]) lowest = l;
  }
  if (lowest == 0) return;

  // Delta_L: d a_L(x_s)_o / d z_L = f'(z_L)_{o,s} e_o.
  double* current = back0;
  double* spare = back1;
  {
    MatrixMap delta(current, k, columns);
    delta.setZero();
    ConstMatrixMap derivative(d[layers], k, samples);
    for (int o = 0; o < k; ++o)
      delta.row(o).segment(static_cast<Eigen::Index>(o) * samples, samples) = derivative.row(o);
  }
  for (int l = layers; l >= lowest; --l) {
    const int n = shape.sizes[l];
    const int n_previous = shape.sizes[l - 1];
    ConstMatrixMap delta(current, n, columns);
    if (jacobians[l - 1]) write(l, delta, ConstMatrixMap(previous(input, a, l), n_previous, samples));
    if (l > lowest) {
      MatrixMap next(spare, n_previous, columns);
      next.noalias() = weights_of(shape, blocks[l - 1], l).transpose() * delta;
      ConstMatrixMap derivative(d[l - 1], n_previous, samples);
      for (int o = 0; o < k; ++o)
        next.middleCols(static_cast<Eigen::Index>(o) * samples, samples).array() *= derivative.array();
      std::swap(current, spare);
    }
  }
}

}  // namespace

void output_jacobians(const Shape& shape, double const* const* blocks, const double* input, int samples,
                      double* const* a, double* const* d, double* back0, double* back1, double* const* jacobians,
                      const int* row_strides) {
  const int k = shape.outputs();
  sweep_output_sensitivities(shape, blocks, input, samples, a, d, back0, back1, jacobians,
                             [&](int l, const ConstMatrixMap& delta, const ConstMatrixMap& activations) {
                               const int n = shape.sizes[l];
                               const int n_previous = shape.sizes[l - 1];
                               const int stride = row_strides[l - 1];
                               const int weight_count = shape.weight_count(l);
                               for (int s = 0; s < samples; ++s) {
                                 for (int o = 0; o < k; ++o) {
                                   double* row = jacobians[l - 1] + static_cast<std::ptrdiff_t>(s * k + o) * stride;
                                   const auto column = delta.col(static_cast<Eigen::Index>(o) * samples + s);
                                   // d r / d W_l(j, i) = delta_j a_i: one rank-1 product per residual.
                                   RowMajorMap(row, n, n_previous).noalias() = column * activations.col(s).transpose();
                                   VectorMap(row + weight_count, n) = column;
                                 }
                               }
                             });
}

void output_jacobians_column_major(const Shape& shape, double const* const* blocks, const double* input, int samples,
                                   double* const* a, double* const* d, double* back0, double* back1,
                                   double* const* jacobians, long leading_dimension) {
  const int k = shape.outputs();
  const Eigen::Index rows = static_cast<Eigen::Index>(samples) * k;
  // The sensitivities and activations transposed to one contiguous column
  // per unit, rows s * K + o, so that each Jacobian column is one
  // elementwise product written in order.
  thread_local Eigen::MatrixXd unit_sensitivities, unit_activations;
  sweep_output_sensitivities(
      shape, blocks, input, samples, a, d, back0, back1, jacobians,
      [&](int l, const ConstMatrixMap& delta, const ConstMatrixMap& activations) {
        const int n = shape.sizes[l];
        const int n_previous = shape.sizes[l - 1];
        unit_sensitivities.resize(rows, n);
        unit_activations.resize(rows, n_previous);
        for (int o = 0; o < k; ++o) {
          for (int s = 0; s < samples; ++s) {
            unit_sensitivities.row(static_cast<Eigen::Index>(s) * k + o) =
                delta.col(static_cast<Eigen::Index>(o) * samples + s).transpose();
            unit_activations.row(static_cast<Eigen::Index>(s) * k + o) = activations.col(s).transpose();
          }
        }
        const int weight_count = shape.weight_count(l);
        double* block = jacobians[l - 1];
        for (int j = 0; j < n; ++j) {
          const auto sensitivity = unit_sensitivities.col(j);
          for (int i = 0; i < n_previous; ++i) {
            // d r / d W_l(j, i) = delta_j a_i, the same products as the row-major layout.
            VectorMap(block + static_cast<std::ptrdiff_t>(j * n_previous + i) * leading_dimension, rows) =
                sensitivity.cwiseProduct(unit_activations.col(i));
          }
          VectorMap(block + static_cast<std::ptrdiff_t>(weight_count + j) * leading_dimension, rows) = sensitivity;
        }
      });
}

// Backpropagates Delta_L (K x B, in `delta_buffer`, which is overwritten) and
// adds the gradient sum_s (d z_L / d x)^T delta_s to gradients[l - 1] (one
// pointer per layer block). `spare` has room for widest x B doubles.
void backward_gradient(const Shape& shape, double const* const* blocks, const double* input, int samples,
                       double* const* a, double* const* d, double* delta_buffer, double* spare,
                       double* const* gradients) {
  double* current = delta_buffer;
  for (int l = shape.layers(); l >= 1; --l) {
    const int n = shape.sizes[l];
    const int n_previous = shape.sizes[l - 1];
    ConstMatrixMap delta(current, n, samples);
    RowMajorMap(gradients[l - 1], n, n_previous).noalias() +=
        delta * ConstMatrixMap(previous(input, a, l), n_previous, samples).transpose();
    // Column by column: the same order of additions whatever the alignment.
    VectorMap bias_gradient(gradients[l - 1] + shape.weight_count(l), n);
    for (int s = 0; s < samples; ++s) bias_gradient += delta.col(s);
    if (l > 1) {
      MatrixMap next(spare, n_previous, samples);
      next.noalias() = weights_of(shape, blocks[l - 1], l).transpose() * delta;
      next.array() *= ConstMatrixMap(d[l - 1], n_previous, samples).array();
      std::swap(current, spare);
    }
  }
}

// Pearlmutter's R-operator: the directional derivative R z_L = (d z_L / d x) v
// of the output pre-activations over B samples, v given per layer block.
// Writes K x B values to `out`; `buffer0` and `buffer1` (widest x B doubles
// each, distinct from `out`) hold the hidden layers' R a_l in turn.
void forward_directional(const Shape& shape, double const* const* blocks, double const* const* directions,
                         const double* input, int samples, double* const* a, double* const* d, double* buffer0,
                         double* buffer1, double* out) {
  const int layers = shape.layers();
  double* previous_r = nullptr;  // R a_{l-1}; R a_0 = 0
  double* buffers[2] = {buffer0, buffer1};
  for (int l = 1; l <= layers; ++l) {
    const int n = shape.sizes[l];
    const int n_previous = shape.sizes[l - 1];
    double* target = l == layers ? out : buffers[l % 2];
    MatrixMap rz(target, n, samples);
    rz.noalias() =
        ConstRowMajorMap(directions[l - 1], n, n_previous) * ConstMatrixMap(previous(input, a, l), n_previous, samples);
    if (previous_r)
      rz.noalias() += weights_of(shape, blocks[l - 1], l) * ConstMatrixMap(previous_r, n_previous, samples);
    rz.colwise() += ConstVectorMap(directions[l - 1] + shape.weight_count(l), n);
    if (l < layers) rz.array() *= ConstMatrixMap(d[l], n, samples).array();
    previous_r = target;
  }
}

}  // namespace curvature::internal::mlp
