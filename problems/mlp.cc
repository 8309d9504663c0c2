#include "mlp.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <random>
#include <string>

#include "curvature/error.h"
#include "curvature/thread_pool.h"

namespace curvature {
namespace {

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

Shape make_shape(const MlpOptions& options) {
  return Shape{options.layer_sizes, options.hidden_activation, options.output_activation};
}

ConstRowMajorMap weights_of(const Shape& shape, const double* block, int layer) {
  return ConstRowMajorMap(block, shape.sizes[layer], shape.sizes[layer - 1]);
}
ConstVectorMap biases_of(const Shape& shape, const double* block, int layer) {
  return ConstVectorMap(block + shape.weight_count(layer), shape.sizes[layer]);
}

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

// Replaces z (count values) by f(z) and, when `derivative` is not null,
// writes f'(z) there.
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
const double* previous(const double* input, double* const* a, int layer) { return layer == 1 ? input : a[layer - 1]; }

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
void output_jacobians(const Shape& shape, double const* const* blocks, const double* input, int samples,
                      double* const* a, double* const* d, double* back0, double* back1, double* const* jacobians,
                      const int* row_strides) {
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
    if (jacobians[l - 1]) {
      ConstMatrixMap activations(previous(input, a, l), n_previous, samples);
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
    }
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

// A uniform double in [0, 1) from the top 53 bits of one draw.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
// The same shifted into (0, 1), so its logarithm is finite.
double uniform_open(std::mt19937_64& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }

// Standard normals by Box-Muller, the second of each pair kept for the next
// call.
class NormalSource {
 public:
  explicit NormalSource(std::mt19937_64& rng) : rng_(rng) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(uniform_open(rng_)));
    const double angle = 2.0 * std::numbers::pi * uniform_open(rng_);
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  std::mt19937_64& rng_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

void check_layer(int layer, int layers, const char* where) {
  if (layer < 1 || layer > layers) {
    throw Error(std::string(where) + ": layer " + std::to_string(layer) + " is outside 1.." + std::to_string(layers));
  }
}

// The chunk [start, start + count) of the samples 0..n-1 in chunks of `chunk`.
template <typename Body>
void for_each_chunk(int n, int chunk, Body&& body) {
  for (int start = 0; start < n; start += chunk) body(start, std::min(chunk, n - start));
}

// Samples as columns: the layout the passes read.
Eigen::MatrixXd columns_of(const Eigen::MatrixXd& rows) { return rows.transpose(); }

// The L2 penalty residuals of one layer block: sqrt(weight) * x[0..m), with
// m = the weight count (weights only) or the block size.
class L2Residual final : public CostFunction {
 public:
  L2Residual(int block_size, int count, double sqrt_weight) : count_(count), sqrt_weight_(sqrt_weight) {
    set_num_residuals(count);
    set_parameter_block_sizes({block_size});
  }
  bool evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    VectorMap(residuals, count_) = sqrt_weight_ * ConstVectorMap(parameters[0], count_);
    if (jacobians && jacobians[0]) {
      const int size = parameter_block_sizes()[0];
      RowMajorMap jacobian(jacobians[0], count_, size);
      jacobian.setZero();
      jacobian.leftCols(count_).diagonal().setConstant(sqrt_weight_);
    }
    return true;
  }

 private:
  int count_;
  double sqrt_weight_;
};

}  // namespace

const char* to_string(Activation activation) {
  switch (activation) {
    case Activation::kTanh:
      return "tanh";
    case Activation::kRelu:
      return "relu";
    case Activation::kSigmoid:
      return "sigmoid";
    case Activation::kSoftplus:
      return "softplus";
    case Activation::kLinear:
      return "linear";
  }
  return "unknown";
}

const char* to_string(Initialization initialization) {
  switch (initialization) {
    case Initialization::kGlorotUniform:
      return "glorot_uniform";
    case Initialization::kGlorotNormal:
      return "glorot_normal";
    case Initialization::kHeUniform:
      return "he_uniform";
    case Initialization::kHeNormal:
      return "he_normal";
    case Initialization::kLecunNormal:
      return "lecun_normal";
  }
  return "unknown";
}

void validate(const MlpOptions& options) {
  const auto& sizes = options.layer_sizes;
  if (sizes.size() < 2) {
    throw Error("MlpOptions::layer_sizes needs at least two entries (inputs and outputs), got " +
                std::to_string(sizes.size()));
  }
  long long total = 0;
  for (size_t l = 0; l < sizes.size(); ++l) {
    if (sizes[l] <= 0) {
      throw Error("MlpOptions::layer_sizes[" + std::to_string(l) + "] must be positive, got " +
                  std::to_string(sizes[l]));
    }
    if (l > 0) total += static_cast<long long>(sizes[l]) * sizes[l - 1] + sizes[l];
  }
  if (total > std::numeric_limits<int>::max()) {
    throw Error("MlpOptions::layer_sizes: " + std::to_string(total) + " parameters do not fit an int");
  }
  if (options.chunk_size < 1) {
    throw Error("MlpOptions::chunk_size must be at least 1, got " + std::to_string(options.chunk_size));
  }
  if (static_cast<long long>(options.chunk_size) * sizes.back() > std::numeric_limits<int>::max()) {
    throw Error("MlpOptions::chunk_size: " + std::to_string(options.chunk_size) + " samples x " +
                std::to_string(sizes.back()) + " outputs residuals do not fit an int");
  }
  for (const Activation a : {options.hidden_activation, options.output_activation}) {
    if (std::string(to_string(a)) == "unknown") throw Error("MlpOptions: unknown activation");
  }
  if (std::string(to_string(options.initialization)) == "unknown") {
    throw Error("MlpOptions::initialization is not a known Initialization");
  }
}

// --- Mlp --------------------------------------------------------------------

Mlp::Mlp(const MlpOptions& options) : options_(options) {
  validate(options_);
  const Shape shape = make_shape(options_);
  offsets_.push_back(0);
  for (int l = 1; l <= shape.layers(); ++l) offsets_.push_back(offsets_.back() + shape.block_size(l));
  parameters_.assign(static_cast<size_t>(offsets_.back()), 0.0);
  initialize(options_.seed);
}

int Mlp::layer_offset(int layer) const {
  check_layer(layer, num_layers(), "Mlp::layer_offset");
  return offsets_[static_cast<size_t>(layer - 1)];
}

int Mlp::layer_size(int layer) const {
  check_layer(layer, num_layers(), "Mlp::layer_size");
  return offsets_[static_cast<size_t>(layer)] - offsets_[static_cast<size_t>(layer - 1)];
}

Eigen::VectorXd Mlp::parameter_vector() const { return ConstVectorMap(parameters_.data(), num_parameters()); }

void Mlp::set_parameters(const Eigen::VectorXd& x) {
  if (x.size() != num_parameters()) {
    throw Error("Mlp::set_parameters: got " + std::to_string(x.size()) + " values, the network has " +
                std::to_string(num_parameters()) + " parameters");
  }
  VectorMap(parameters_.data(), num_parameters()) = x;
}

Eigen::Map<const RowMajorMatrix> Mlp::weights(int layer) const {
  check_layer(layer, num_layers(), "Mlp::weights");
  return weights_of(make_shape(options_), layer_parameters(layer), layer);
}

Eigen::Map<const Eigen::VectorXd> Mlp::biases(int layer) const {
  check_layer(layer, num_layers(), "Mlp::biases");
  const int n = options_.layer_sizes[static_cast<size_t>(layer)];
  return ConstVectorMap(layer_parameters(layer) + layer_size(layer) - n, n);
}

void Mlp::initialize(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  NormalSource normal(rng);
  const auto& sizes = options_.layer_sizes;
  for (int l = 1; l <= num_layers(); ++l) {
    const double fan_in = sizes[static_cast<size_t>(l - 1)];
    const double fan_out = sizes[static_cast<size_t>(l)];
    const int count = sizes[static_cast<size_t>(l)] * sizes[static_cast<size_t>(l - 1)];
    double* w = layer_parameters(l);
    for (int i = 0; i < count; ++i) {
      switch (options_.initialization) {
        case Initialization::kGlorotUniform:
          w[i] = std::sqrt(6.0 / (fan_in + fan_out)) * (2.0 * uniform01(rng) - 1.0);
          break;
        case Initialization::kGlorotNormal:
          w[i] = std::sqrt(2.0 / (fan_in + fan_out)) * normal.next();
          break;
        case Initialization::kHeUniform:
          w[i] = std::sqrt(6.0 / fan_in) * (2.0 * uniform01(rng) - 1.0);
          break;
        case Initialization::kHeNormal:
          w[i] = std::sqrt(2.0 / fan_in) * normal.next();
          break;
        case Initialization::kLecunNormal:
          w[i] = std::sqrt(1.0 / fan_in) * normal.next();
          break;
      }
    }
    std::fill(w + count, w + layer_size(l), 0.0);
  }
}

// --- Regression residuals ---------------------------------------------------

MlpResidual::MlpResidual(const MlpOptions& options, const Eigen::MatrixXd& inputs, const Eigen::MatrixXd& targets)
    : layer_sizes_(options.layer_sizes), hidden_(options.hidden_activation), output_(options.output_activation) {
  validate(options);
  if (inputs.rows() < 1 || inputs.rows() != targets.rows()) {
    throw Error("MlpResidual: need at least one sample and as many target rows as input rows, got " +
                std::to_string(inputs.rows()) + " and " + std::to_string(targets.rows()));
  }
  if (inputs.cols() != layer_sizes_.front() || targets.cols() != layer_sizes_.back()) {
    throw Error("MlpResidual: the network has " + std::to_string(layer_sizes_.front()) + " inputs and " +
                std::to_string(layer_sizes_.back()) + " outputs, the data " + std::to_string(inputs.cols()) +
                " input and " + std::to_string(targets.cols()) + " target columns");
  }
  const long long residuals = static_cast<long long>(inputs.rows()) * targets.cols();
  if (residuals > std::numeric_limits<int>::max()) throw Error("MlpResidual: too many residuals for one block");
  inputs_ = columns_of(inputs);
  targets_ = columns_of(targets);
  set_num_residuals(static_cast<int>(residuals));
  const Shape shape{layer_sizes_, hidden_, output_};
  std::vector<int> blocks;
  for (int l = 1; l <= shape.layers(); ++l) blocks.push_back(shape.block_size(l));
  set_parameter_block_sizes(std::move(blocks));
}

bool MlpResidual::evaluate(double const* const* parameters, double* residuals, double** jacobians) const {
  // Thread-local rather than per-object scratch: the same block may be
  // shared by Problems evaluated on different threads, and a pool thread
  // reuses one buffer for every chunk it evaluates.
  thread_local Scratch scratch;
  thread_local Shape shape;
  shape.sizes = layer_sizes_;  // no allocation once the thread has seen this many layers
  shape.hidden = hidden_;
  shape.output = output_;
  const int samples = num_samples();
  scratch.prepare(shape, samples);
  const bool want_jacobians = jacobians != nullptr;
  forward(shape, parameters, inputs_.data(), samples, scratch.a(), want_jacobians ? scratch.d() : nullptr);
  MatrixMap(residuals, shape.outputs(), samples) =
      ConstMatrixMap(scratch.a()[shape.layers()], shape.outputs(), samples) - targets_;
  if (want_jacobians) {
    output_jacobians(shape, parameters, inputs_.data(), samples, scratch.a(), scratch.d(), scratch.back(0),
                     scratch.back(1), jacobians, parameter_block_sizes().data());
  }
  return true;
}

bool MlpResidual::evaluate_gradient(double const* const* parameters, double* residuals, double** gradients) const {
  thread_local Scratch scratch;
  thread_local Shape shape;
  shape.sizes = layer_sizes_;
  shape.hidden = hidden_;
  shape.output = output_;
  const int samples = num_samples();
  const int layers = shape.layers();
  const int k = shape.outputs();
  scratch.prepare(shape, samples);
  forward(shape, parameters, inputs_.data(), samples, scratch.a(), scratch.d());
  MatrixMap r(residuals, k, samples);
  r = ConstMatrixMap(scratch.a()[layers], k, samples) - targets_;

  // Delta_L = d(1/2 |r|^2) / d z_L = r .* f'(z_L), backpropagated once.
  MatrixMap(scratch.back(0), k, samples) = r.cwiseProduct(ConstMatrixMap(scratch.d()[layers], k, samples));
  // backward_gradient adds to every layer's gradient; unwanted layers get scratch.
  thread_local std::vector<double> unwanted;
  thread_local std::vector<double*> targets;
  targets.assign(gradients, gradients + layers);
  size_t largest = 0;
  for (int l = 1; l <= layers; ++l) largest = std::max(largest, static_cast<size_t>(shape.block_size(l)));
  if (unwanted.size() < largest) unwanted.resize(largest);
  for (int l = 1; l <= layers; ++l) {
    if (!targets[l - 1]) targets[l - 1] = unwanted.data();
    VectorMap(targets[l - 1], shape.block_size(l)).setZero();
  }
  backward_gradient(shape, parameters, inputs_.data(), samples, scratch.a(), scratch.d(), scratch.back(0),
                    scratch.back(1), targets.data());
  return true;
}

std::vector<int> add_mlp_regression_residuals(Mlp& mlp, const Dataset& data, Problem* problem) {
  const std::string where = "add_mlp_regression_residuals: ";
  if (problem == nullptr) throw Error(where + "the Problem is null");
  if (data.num_samples() < 1) throw Error(where + "the data set is empty");
  if (data.num_inputs() != mlp.num_inputs() || data.num_targets() != mlp.num_outputs() ||
      data.targets.rows() != data.inputs.rows()) {
    throw Error(where + "the network has " + std::to_string(mlp.num_inputs()) + " inputs and " +
                std::to_string(mlp.num_outputs()) + " outputs; the data set has " + std::to_string(data.num_inputs()) +
                " input and " + std::to_string(data.num_targets()) + " target columns, " +
                std::to_string(data.inputs.rows()) + " and " + std::to_string(data.targets.rows()) + " rows");
  }
  // Build every block before adding any, so that an error leaves the Problem untouched.
  std::vector<std::shared_ptr<const CostFunction>> costs;
  for_each_chunk(data.num_samples(), mlp.options().chunk_size, [&](int start, int count) {
    costs.push_back(std::make_shared<const MlpResidual>(mlp.options(), data.inputs.middleRows(start, count),
                                                        data.targets.middleRows(start, count)));
  });
  std::vector<double*> blocks;
  for (int l = 1; l <= mlp.num_layers(); ++l) blocks.push_back(mlp.layer_parameters(l));
  std::vector<int> indices;
  for (auto& cost : costs) indices.push_back(problem->add_residual_block(std::move(cost), nullptr, blocks));
  return indices;
}

std::vector<int> add_mlp_l2_regularization(Mlp& mlp, double weight, Problem* problem, RegularizationScope scope) {
  if (problem == nullptr) throw Error("add_mlp_l2_regularization: the Problem is null");
  if (!(weight > 0.0) || !std::isfinite(weight)) {
    throw Error("add_mlp_l2_regularization: the weight must be positive and finite, got " + std::to_string(weight));
  }
  const Shape shape = make_shape(mlp.options());
  std::vector<int> indices;
  for (int l = 1; l <= shape.layers(); ++l) {
    const int count = scope == RegularizationScope::kWeightsOnly ? shape.weight_count(l) : shape.block_size(l);
    indices.push_back(
        problem->add_residual_block(std::make_shared<const L2Residual>(shape.block_size(l), count, std::sqrt(weight)),
                                    nullptr, mlp.layer_parameters(l)));
  }
  return indices;
}

// --- Prediction and metrics -------------------------------------------------

Eigen::MatrixXd predict(const Mlp& mlp, const Eigen::MatrixXd& inputs) {
  if (inputs.cols() != mlp.num_inputs()) {
    throw Error("predict: the network has " + std::to_string(mlp.num_inputs()) + " inputs, the data " +
                std::to_string(inputs.cols()) + " columns");
  }
  const Shape shape = make_shape(mlp.options());
  std::vector<const double*> blocks;
  for (int l = 1; l <= shape.layers(); ++l) blocks.push_back(mlp.layer_parameters(l));
  const Eigen::MatrixXd columns = columns_of(inputs);
  Eigen::MatrixXd outputs(shape.outputs(), inputs.rows());
  thread_local Scratch scratch;
  for_each_chunk(static_cast<int>(inputs.rows()), mlp.options().chunk_size, [&](int start, int count) {
    scratch.prepare(shape, count);
    forward(shape, blocks.data(), columns.data() + static_cast<std::ptrdiff_t>(start) * shape.sizes[0], count,
            scratch.a(), nullptr);
    outputs.middleCols(start, count) = ConstMatrixMap(scratch.a()[shape.layers()], shape.outputs(), count);
  });
  return outputs.transpose();
}

double mean_squared_error(const Mlp& mlp, const Dataset& data) {
  if (data.targets.cols() != mlp.num_outputs() || data.targets.rows() != data.inputs.rows() ||
      data.num_samples() == 0) {
    throw Error("mean_squared_error: the data set must be non-empty with " + std::to_string(mlp.num_outputs()) +
                " target columns");
  }
  return (predict(mlp, data.inputs) - data.targets).squaredNorm() / static_cast<double>(data.targets.size());
}

std::vector<int> class_labels(const Dataset& data, int num_classes) {
  std::vector<int> labels(static_cast<size_t>(data.targets.rows()));
  if (data.targets.cols() == 1) {
    for (Eigen::Index s = 0; s < data.targets.rows(); ++s) {
      const double t = data.targets(s, 0);
      if (!(t >= 0.0 && t < num_classes) || t != std::floor(t)) {
        throw Error("class_labels: target " + std::to_string(s) + " is " + std::to_string(t) +
                    ", not a class label in 0.." + std::to_string(num_classes - 1));
      }
      labels[static_cast<size_t>(s)] = static_cast<int>(t);
    }
  } else if (data.targets.cols() == num_classes) {
    for (Eigen::Index s = 0; s < data.targets.rows(); ++s) {
      Eigen::Index best = 0;
      data.targets.row(s).maxCoeff(&best);
      labels[static_cast<size_t>(s)] = static_cast<int>(best);
    }
  } else {
    throw Error("class_labels: the targets have " + std::to_string(data.targets.cols()) +
                " columns; expected 1 (labels) or " + std::to_string(num_classes) + " (one per class)");
  }
  return labels;
}

double classification_accuracy(const Mlp& mlp, const Dataset& data) {
  if (data.num_samples() == 0) throw Error("classification_accuracy: the data set is empty");
  const std::vector<int> labels = class_labels(data, mlp.num_outputs());
  const Eigen::MatrixXd outputs = predict(mlp, data.inputs);
  int correct = 0;
  for (Eigen::Index s = 0; s < outputs.rows(); ++s) {
    Eigen::Index best = 0;
    outputs.row(s).maxCoeff(&best);
    if (best == labels[static_cast<size_t>(s)]) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(outputs.rows());
}

// --- Cross-entropy objective ------------------------------------------------

struct internal::MlpCrossEntropyState {
  Shape shape;
  MlpCrossEntropyOptions options;
  int chunk = 0;
  int samples = 0;
  std::vector<int> offsets;  // layer block offsets in x, offsets[l - 1]; back() = n
  Eigen::MatrixXd inputs;    // n_0 x N
  Eigen::MatrixXd targets;   // K x N, each column a distribution summing to 1

  int n() const { return offsets.back(); }
  std::vector<const double*> const_blocks(const double* x) const {
    std::vector<const double*> out;
    for (int l = 1; l <= shape.layers(); ++l) out.push_back(x + offsets[static_cast<size_t>(l - 1)]);
    return out;
  }
  std::vector<double*> blocks(double* x) const {
    std::vector<double*> out;
    for (int l = 1; l <= shape.layers(); ++l) out.push_back(x + offsets[static_cast<size_t>(l - 1)]);
    return out;
  }
  const double* input(int start) const { return inputs.data() + static_cast<std::ptrdiff_t>(start) * shape.sizes[0]; }
  void check(const Eigen::VectorXd& x, const char* where) const {
    if (x.size() != n()) {
      throw Error(std::string("MlpCrossEntropyObjective::") + where + ": x has " + std::to_string(x.size()) +
                  " entries, the network " + std::to_string(n()) + " parameters");
    }
  }
  // lambda / 2 |W|^2 and, when gradient is not null, lambda W added to it.
  double penalty(const Eigen::VectorXd& x, Eigen::VectorXd* gradient) const {
    const double lambda = options.l2_weight;
    if (lambda == 0.0) return 0.0;
    double sum = 0.0;
    for (int l = 1; l <= shape.layers(); ++l) {
      const auto w = x.segment(offsets[static_cast<size_t>(l - 1)], shape.weight_count(l));
      sum += w.squaredNorm();
      if (gradient) gradient->segment(offsets[static_cast<size_t>(l - 1)], shape.weight_count(l)) += lambda * w;
    }
    return 0.5 * lambda * sum;
  }
};

namespace {

// Softmax probabilities of each column of `logits` (K x B) into `p`, and the
// sum over columns of the cross-entropy logsumexp(z) - t^T z.
double softmax_cross_entropy(ConstMatrixMap logits, const Eigen::Ref<const Eigen::MatrixXd>& targets, MatrixMap p) {
  double loss = 0.0;
  for (Eigen::Index s = 0; s < logits.cols(); ++s) {
    const double top = logits.col(s).maxCoeff();
    p.col(s) = (logits.col(s).array() - top).exp();
    const double sum = p.col(s).sum();
    p.col(s) /= sum;
    loss += top + std::log(sum) - targets.col(s).dot(logits.col(s));
  }
  return loss;
}

}  // namespace

namespace {

// The generalized Gauss-Newton operator at one point: the activations,
// derivatives and softmax probabilities of every sample, stored at
// construction, and the parameters.
class GaussNewtonOperator final : public HessianOperator {
 public:
  using State = internal::MlpCrossEntropyState;

  GaussNewtonOperator(std::shared_ptr<const State> state, const Eigen::VectorXd& x) : state_(std::move(state)), x_(x) {
    const Shape& shape = state_->shape;
    const int layers = shape.layers();
    a_.resize(static_cast<size_t>(layers) + 1);
    d_.resize(static_cast<size_t>(layers) + 1);
    for (int l = 1; l <= layers; ++l) {
      a_[static_cast<size_t>(l)].resize(shape.sizes[l], state_->samples);
      d_[static_cast<size_t>(l)].resize(shape.sizes[l], state_->samples);
    }
    p_.resize(shape.outputs(), state_->samples);
    const std::vector<const double*> blocks = state_->const_blocks(x_.data());
    for_each_chunk(state_->samples, state_->chunk, [&](int start, int count) {
      const Pointers ptr = pointers(start);
      forward(shape, blocks.data(), state_->input(start), count, ptr.a.data(), ptr.d.data());
      softmax_cross_entropy(
          ConstMatrixMap(ptr.a[layers], shape.outputs(), count), state_->targets.middleCols(start, count),
          MatrixMap(p_.data() + static_cast<std::ptrdiff_t>(start) * shape.outputs(), shape.outputs(), count));
    });
  }

  int size() const override { return state_->n(); }

  void multiply(const Eigen::VectorXd& v, Eigen::VectorXd* y) const override {
    if (v.size() != size())
      throw Error("MlpCrossEntropyObjective: Gauss-Newton product with a vector of the wrong size");
    const Shape& shape = state_->shape;
    const int k = shape.outputs();
    const double inverse_n = 1.0 / state_->samples;
    y->setZero(size());
    const std::vector<const double*> blocks = state_->const_blocks(x_.data());
    const std::vector<const double*> directions = state_->const_blocks(v.data());
    const std::vector<double*> outputs = state_->blocks(y->data());
    const size_t per_buffer = static_cast<size_t>(shape.widest()) * static_cast<size_t>(state_->chunk);
    buffer_.resize(3 * per_buffer);
    double* b0 = buffer_.data();
    double* b1 = b0 + per_buffer;
    double* b2 = b1 + per_buffer;
    for_each_chunk(state_->samples, state_->chunk, [&](int start, int count) {
      const Pointers ptr = pointers(start);
      // J v: the logits' directional derivative, into b2.
      forward_directional(shape, blocks.data(), directions.data(), state_->input(start), count, ptr.a.data(),
                          ptr.d.data(), b0, b1, b2);
      // u = H (J v) / N with H = diag(p) - p p^T, column by column.
      MatrixMap u(b2, k, count);
      const ConstMatrixMap p(p_.data() + static_cast<std::ptrdiff_t>(start) * k, k, count);
      const Eigen::RowVectorXd projection = (p.array() * u.array()).colwise().sum();
      u = (p.array() * (u.array().rowwise() - projection.array())).matrix() * inverse_n;
      // J^T u by backpropagation.
      backward_gradient(shape, blocks.data(), state_->input(start), count, ptr.a.data(), ptr.d.data(), b2, b0,
                        outputs.data());
    });
    add_penalty(v, y);
  }

  bool dense(Eigen::MatrixXd* hessian) const override {
    const int n = size();
    if (n > state_->options.max_dense_parameters) return false;
    const Shape& shape = state_->shape;
    const int k = shape.outputs();
    const int layers = shape.layers();
    // Explicit logit Jacobians of sub-chunks small enough that one
    // (B K) x n matrix stays near 16 MB.
    const int sub = std::max(1, std::min(state_->chunk, (1 << 21) / std::max(1, k * n)));
    hessian->setZero(n, n);
    RowMajorMatrix jacobian;
    Eigen::MatrixXd q;
    std::vector<int> strides(static_cast<size_t>(layers), n);
    const std::vector<const double*> blocks = state_->const_blocks(x_.data());
    const double inverse_n = 1.0 / state_->samples;
    for_each_chunk(state_->samples, sub, [&](int start, int count) {
      const Pointers ptr = pointers(start);
      jacobian.resize(static_cast<Eigen::Index>(count) * k, n);
      std::vector<double*> columns;
      for (int l = 1; l <= layers; ++l)
        columns.push_back(jacobian.data() + state_->offsets[static_cast<size_t>(l - 1)]);
      const size_t per_buffer = static_cast<size_t>(shape.widest()) * static_cast<size_t>(count) * k;
      buffer_.resize(2 * per_buffer);
      // The output layer is linear, so d[L] = 1 and these are d z_L / d x.
      output_jacobians(shape, blocks.data(), state_->input(start), count, ptr.a.data(), ptr.d.data(), buffer_.data(),
                       buffer_.data() + per_buffer, columns.data(), strides.data());
      const ConstMatrixMap p(p_.data() + static_cast<std::ptrdiff_t>(start) * k, k, count);
      // J^T (diag p - p p^T) J = (diag(sqrt p) J)^T (diag(sqrt p) J) - (J^T p)(J^T p)^T, per sample.
      q.resize(count, n);
      for (int s = 0; s < count; ++s) {
        q.row(s).noalias() = p.col(s).transpose() * jacobian.middleRows(static_cast<Eigen::Index>(s) * k, k);
      }
      for (int s = 0; s < count; ++s) {
        for (int o = 0; o < k; ++o) jacobian.row(static_cast<Eigen::Index>(s) * k + o) *= std::sqrt(p(o, s));
      }
      hessian->selfadjointView<Eigen::Lower>().rankUpdate(jacobian.transpose(), inverse_n);
      hessian->selfadjointView<Eigen::Lower>().rankUpdate(q.transpose(), -inverse_n);
    });
    hessian->triangularView<Eigen::StrictlyUpper>() = hessian->transpose();
    const double lambda = state_->options.l2_weight;
    if (lambda != 0.0) {
      for (int l = 1; l <= layers; ++l) {
        const int offset = state_->offsets[static_cast<size_t>(l - 1)];
        hessian->diagonal().segment(offset, shape.weight_count(l)).array() += lambda;
      }
    }
    return true;
  }

 private:
  struct Pointers {
    std::vector<double*> a, d;  // index 1..L
  };
  // The chunk starting at sample `start` of the stored matrices.
  Pointers pointers(int start) const {
    Pointers out;
    out.a.push_back(nullptr);
    out.d.push_back(nullptr);
    for (int l = 1; l <= state_->shape.layers(); ++l) {
      const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(start) * state_->shape.sizes[l];
      out.a.push_back(const_cast<double*>(a_[static_cast<size_t>(l)].data()) + offset);
      out.d.push_back(const_cast<double*>(d_[static_cast<size_t>(l)].data()) + offset);
    }
    return out;
  }
  void add_penalty(const Eigen::VectorXd& v, Eigen::VectorXd* y) const {
    const double lambda = state_->options.l2_weight;
    if (lambda == 0.0) return;
    for (int l = 1; l <= state_->shape.layers(); ++l) {
      const int offset = state_->offsets[static_cast<size_t>(l - 1)];
      const int count = state_->shape.weight_count(l);
      y->segment(offset, count) += lambda * v.segment(offset, count);
    }
  }

  std::shared_ptr<const State> state_;
  Eigen::VectorXd x_;
  std::vector<Eigen::MatrixXd> a_, d_;  // n_l x N, index 1..L
  Eigen::MatrixXd p_;                   // K x N
  mutable std::vector<double> buffer_;  // products' scratch; one operator serves one thread
};

}  // namespace

MlpCrossEntropyObjective::MlpCrossEntropyObjective(const MlpOptions& network, const Dataset& data,
                                                   const MlpCrossEntropyOptions& options) {
  const std::string where = "MlpCrossEntropyObjective: ";
  validate(network);
  if (network.output_activation != Activation::kLinear) {
    throw Error(where + "the output activation must be linear (the outputs are the softmax logits), got " +
                to_string(network.output_activation));
  }
  const int k = network.layer_sizes.back();
  if (k < 2) throw Error(where + "a softmax needs at least two outputs, the network has " + std::to_string(k));
  if (data.num_samples() < 1 || data.targets.rows() != data.inputs.rows()) {
    throw Error(where + "the data set must be non-empty, with as many target rows as input rows");
  }
  if (data.num_inputs() != network.layer_sizes.front()) {
    throw Error(where + "the network has " + std::to_string(network.layer_sizes.front()) + " inputs, the data " +
                std::to_string(data.num_inputs()) + " input columns");
  }
  if (!(options.l2_weight >= 0.0) || !std::isfinite(options.l2_weight)) {
    throw Error(where + "MlpCrossEntropyOptions::l2_weight must be non-negative and finite, got " +
                std::to_string(options.l2_weight));
  }
  if (options.num_threads < 1) {
    throw Error(where + "MlpCrossEntropyOptions::num_threads must be >= 1, got " + std::to_string(options.num_threads));
  }
  auto state = std::make_shared<internal::MlpCrossEntropyState>();
  state->shape = make_shape(network);
  state->options = options;
  state->chunk = network.chunk_size;
  state->samples = data.num_samples();
  state->offsets.push_back(0);
  for (int l = 1; l <= state->shape.layers(); ++l) {
    state->offsets.push_back(state->offsets.back() + state->shape.block_size(l));
  }
  state->inputs = columns_of(data.inputs);
  state->targets.setZero(k, state->samples);
  if (data.targets.cols() == 1) {
    const std::vector<int> labels = class_labels(data, k);
    for (int s = 0; s < state->samples; ++s) state->targets(labels[static_cast<size_t>(s)], s) = 1.0;
  } else if (data.targets.cols() == k) {
    for (int s = 0; s < state->samples; ++s) {
      const auto row = data.targets.row(s);
      const double sum = row.sum();
      if (row.minCoeff() < 0.0 || !(std::abs(sum - 1.0) <= 1e-9)) {
        throw Error(where + "target row " + std::to_string(s) + " is not a distribution (entries >= 0 summing to 1)");
      }
      // Renormalized so that the loss's gradient p - t is exact.
      state->targets.col(s) = row.transpose() / sum;
    }
  } else {
    throw Error(where + "the targets have " + std::to_string(data.targets.cols()) +
                " columns; expected 1 (labels) or " + std::to_string(k));
  }
  state_ = std::move(state);
  if (options.num_threads > 1) pool_ = std::make_unique<ThreadPool>(options.num_threads);
}

MlpCrossEntropyObjective::~MlpCrossEntropyObjective() = default;

int MlpCrossEntropyObjective::num_parameters() const { return state_->n(); }

bool MlpCrossEntropyObjective::evaluate(const Eigen::VectorXd& x, double* value, Eigen::VectorXd* gradient) {
  const internal::MlpCrossEntropyState& state = *state_;
  state.check(x, "evaluate");
  const Shape& shape = state.shape;
  const int k = shape.outputs();
  const int layers = shape.layers();
  const int n = state.n();
  const std::vector<const double*> blocks = state.const_blocks(x.data());
  std::vector<std::pair<int, int>> chunks;  // (start, count)
  for_each_chunk(state.samples, state.chunk, [&](int start, int count) { chunks.emplace_back(start, count); });
  const int num_chunks = static_cast<int>(chunks.size());

  // Each chunk's loss and gradient on its own, summed below in chunk order:
  // the same numbers for any number of threads.
  chunk_losses_.assign(static_cast<size_t>(num_chunks), 0.0);
  if (gradient) chunk_gradients_.setZero(n, num_chunks);
  const double inverse_n = 1.0 / state.samples;
  auto run_chunk = [&](int c) {
    thread_local Scratch scratch;  // grown once per thread, not zero-filled on every call
    const auto [start, count] = chunks[static_cast<size_t>(c)];
    scratch.prepare(shape, count);
    forward(shape, blocks.data(), state.input(start), count, scratch.a(), gradient ? scratch.d() : nullptr);
    const auto targets = state.targets.middleCols(start, count);
    MatrixMap p(scratch.back(0), k, count);
    chunk_losses_[static_cast<size_t>(c)] =
        softmax_cross_entropy(ConstMatrixMap(scratch.a()[layers], k, count), targets, p);
    if (gradient) {
      p = (p - targets) * inverse_n;  // Delta_L = (P - T) / N
      const std::vector<double*> gradients = state.blocks(chunk_gradients_.col(c).data());
      backward_gradient(shape, blocks.data(), state.input(start), count, scratch.a(), scratch.d(), scratch.back(0),
                        scratch.back(1), gradients.data());
    }
  };
  if (pool_) {
    pool_->parallel_for(num_chunks, [&](int /*thread*/, int begin, int end) {
      for (int c = begin; c < end; ++c) run_chunk(c);
    });
  } else {
    for (int c = 0; c < num_chunks; ++c) run_chunk(c);
  }

  double loss = 0.0;
  for (double chunk_loss : chunk_losses_) loss += chunk_loss;
  if (gradient) {
    gradient->setZero(n);
    for (int c = 0; c < num_chunks; ++c) *gradient += chunk_gradients_.col(c);
  }
  *value = loss * inverse_n + state.penalty(x, gradient);
  return std::isfinite(*value);
}

std::unique_ptr<HessianOperator> MlpCrossEntropyObjective::hessian(const Eigen::VectorXd& x) {
  state_->check(x, "hessian");
  return std::make_unique<GaussNewtonOperator>(state_, x);
}

}  // namespace curvature
