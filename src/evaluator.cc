#include "evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "curvature/thread_pool.h"
#include "jacobian_products.h"
#include "problem_impl.h"
#include "residual_block_call.h"
#include "residual_block_order.h"
#include "robust_correction.h"

namespace curvature::internal {
namespace {

// A row of one block's Jacobian into the sparse J: a few numbers (a pose
// graph's 1 to 4), for which the call to memmove that a loop or std::copy
// becomes cost more than the copy itself.
inline void copy_row(const double* from, int count, double* to) {
  switch (count) {
    case 4:
      to[3] = from[3];
      [[fallthrough]];
    case 3:
      to[2] = from[2];
      [[fallthrough]];
    case 2:
      to[1] = from[1];
      [[fallthrough]];
    case 1:
      to[0] = from[0];
      [[fallthrough]];
    case 0:
      return;
    default:
      std::copy(from, from + count, to);
  }
}

}  // namespace

struct Evaluator::Parameter {
  const double* user_values;
  int size;
  int offset;           // in x; -1 when constant
  int position_in_row;  // sparse: where its first column sits within a row
  int tangent_offset;   // its first Jacobian column; -1 when constant
  int index;            // the parameter block's index in the Problem (its manifold: layout_)
};

// A residual block as the evaluation code reads it: expanded from its
// BlockRecord into the thread's Scratch just before it runs (expand()).
struct Evaluator::Block {
  int id = 0;  // residual block index in the Problem
  const CostFunction* cost = nullptr;
  const LossFunction* loss = nullptr;
  int row = 0;
  int num_residuals = 0;
  int row_nonzeros = 0;  // variable columns of this block: nonzeros per Jacobian row
  // Its cost function writes column-major Jacobians and it has neither a loss
  // nor a variable block on a manifold with a plus-Jacobian other than the
  // identity (ParameterLayout::jacobian_manifold): a dense J is filled in place, with
  // no row-major scratch to transpose (scattered writes, one cache line per
  // entry, that cost a wide J more than computing it).
  bool writes_into_dense = false;
  using Parameter = Evaluator::Parameter;
  std::span<const Parameter> parameters;
};

// What the evaluator keeps per residual block between evaluations: 28 bytes
// and 8 per parameter block it reads, where the expanded Block and its
// Parameters take 56 and 32 (a bundle adjustment has hundreds of thousands
// of residual blocks). Everything else is the Problem's (the cost function,
// the loss) or the layout's (sizes, offsets, the user's memory).
struct Evaluator::BlockRecord {
  int id = 0;
  int row = 0;
  int num_residuals = 0;
  int row_nonzeros = 0;
  int first_parameter = 0;  // its parameter blocks: parameter_records_[first .. first + num_parameters)
  int num_parameters = 0;
  bool has_loss = false;
  bool writes_into_dense = false;
};

struct Evaluator::ParameterRecord {
  int index;            // the parameter block's index in the Problem
  int position_in_row;  // sparse: where its first column sits within a row
};

struct Evaluator::Scratch : ResidualBlockScratch {
  std::vector<double> tangent_jacobian;  // a manifold block's J * plus-Jacobian
  Block block;                           // the block being evaluated, expanded
  std::vector<Parameter> parameters;     // its parameter blocks
  std::string error;                     // what went wrong in the block just evaluated
  // The thread's first failing block (index into records_) and its message:
  // one per thread rather than a string per residual block.
  int failed_block = std::numeric_limits<int>::max();
  std::string failure;
};

Evaluator::Evaluator(const Problem& problem, Options options)
    : options_(std::move(options)), problem_(&problem.impl()), layout_(problem.impl()) {
  const Problem::Impl& impl = problem.impl();
  ThreadPool::check_num_threads(options_.num_threads);
  const int num_problem_blocks = static_cast<int>(impl.residual_blocks.size());
  const bool all_blocks = options_.residual_blocks.empty();
  const int count = all_blocks ? num_problem_blocks : static_cast<int>(options_.residual_blocks.size());
  int max_blocks = 0;
  size_t max_jacobian = 0, max_tangent_jacobian = 0;
  size_t num_parameters = 0;
  for (int id : options_.residual_blocks) {
    if (id < 0 || id >= num_problem_blocks) {
      throw Error("residual block index " + std::to_string(id) + " is out of range [0, " +
                  std::to_string(num_problem_blocks) + ")");
    }
  }
  for (int i = 0; i < count; ++i) {
    const int id = all_blocks ? i : options_.residual_blocks[i];
    num_parameters += impl.residual_blocks[id].parameter_blocks.size();
  }
  // Each block's first row when a row order is given: the blocks' rows one
  // after another in that order.
  std::vector<int> first_row;
  if (!options_.row_order.empty()) {
    if (!all_blocks) throw Error("internal: an evaluator's row order needs every residual block evaluated");
    require_residual_block_order(options_.row_order, count, "internal: an evaluator's row order");
    first_row.resize(static_cast<size_t>(count));
    int row = 0;
    for (int id : options_.row_order) {
      first_row[static_cast<size_t>(id)] = row;
      row += impl.residual_blocks[static_cast<size_t>(id)].cost->num_residuals();
    }
    // Every block is evaluated, so record i is residual block i and the row
    // order lists the records by first row: sparse_column_sums() walks J in
    // that order. Otherwise it is not kept (a solve's evaluator lives as
    // long as the solve).
    if (options_.sparse) records_by_row_ = std::move(options_.row_order);
    std::vector<int>().swap(options_.row_order);
    rows_permuted_ = true;
  }
  parameter_records_.reserve(num_parameters);
  records_.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const int id = all_blocks ? i : options_.residual_blocks[i];
    const ResidualBlockInfo& info = impl.residual_blocks[id];
    BlockRecord block;
    block.id = id;
    block.has_loss = options_.apply_loss && info.loss != nullptr;
    has_losses_ = has_losses_ || block.has_loss;
    has_second_derivatives_ = has_second_derivatives_ && info.cost->has_second_derivatives();
    block.row = first_row.empty() ? num_residuals_ : first_row[static_cast<size_t>(id)];
    block.num_residuals = info.cost->num_residuals();
    block.first_parameter = static_cast<int>(parameter_records_.size());
    block.num_parameters = static_cast<int>(info.parameter_blocks.size());
    for (int p : info.parameter_blocks) {
      const ParameterBlockInfo& parameter = impl.parameter_blocks[p];
      // Sparse rows list columns in increasing order; a block's columns are
      // contiguous, so each parameter block's position within a row is the
      // sum of the tangent sizes of the variable blocks that come before it.
      int position_in_row = 0;
      if (layout_.offset(p) >= 0) {
        block.row_nonzeros += layout_.tangent_size(p);
        max_jacobian = std::max(max_jacobian, static_cast<size_t>(parameter.size * block.num_residuals));
        if (layout_.jacobian_manifold(p)) {
          max_tangent_jacobian =
              std::max(max_tangent_jacobian, static_cast<size_t>(layout_.tangent_size(p) * block.num_residuals));
        }
        for (int other : info.parameter_blocks) {
          if (layout_.offset(other) >= 0 && layout_.offset(other) < layout_.offset(p)) {
            position_in_row += layout_.tangent_size(other);
          }
        }
      }
      parameter_records_.push_back({p, position_in_row});
    }
    block.writes_into_dense = !block.has_loss && info.cost->writes_column_major_jacobians();
    for (int p : info.parameter_blocks) {
      if (layout_.offset(p) >= 0 && layout_.jacobian_manifold(p)) block.writes_into_dense = false;
    }
    max_blocks = std::max(max_blocks, block.num_parameters);
    num_residuals_ += block.num_residuals;
    nonzeros_ += static_cast<long>(block.num_residuals) * block.row_nonzeros;
    records_.push_back(block);
  }

  pool_ = std::make_unique<ThreadPool>(options_.num_threads);
  scratch_.resize(options_.num_threads);
  for (Scratch& scratch : scratch_) {
    scratch.parameter_pointers.resize(max_blocks);
    scratch.jacobian_pointers.resize(max_blocks);
    scratch.jacobians.assign(max_blocks, std::vector<double>(max_jacobian));
    scratch.tangent_jacobian.resize(max_tangent_jacobian);
    scratch.parameters.resize(max_blocks);
  }
  block_costs_.resize(records_.size());

  if (options_.sparse) {
    // Shares of about equal nonzeros: a bundle adjustment's few camera
    // columns hold most of J's entries.
    const int n = layout_.num_tangent_parameters();
    std::vector<long> column_nonzeros(static_cast<size_t>(n), 0);
    for (const BlockRecord& record : records_) {
      for (int k = 0; k < record.num_parameters; ++k) {
        const int p = parameter_records_[static_cast<size_t>(record.first_parameter + k)].index;
        if (layout_.offset(p) < 0) continue;
        for (int c = 0; c < layout_.tangent_size(p); ++c) {
          column_nonzeros[static_cast<size_t>(layout_.tangent_offset(p) + c)] += record.num_residuals;
        }
      }
    }
    const int shares = options_.num_threads;
    column_share_bounds_.assign(static_cast<size_t>(shares) + 1, n);
    column_share_bounds_[0] = 0;
    long seen = 0;
    int share = 1;
    for (int c = 0; c < n && share < shares; ++c) {
      seen += column_nonzeros[static_cast<size_t>(c)];
      while (share < shares && seen * shares >= nonzeros_ * share)
        column_share_bounds_[static_cast<size_t>(share++)] = c + 1;
    }
  }
}

const Evaluator::Block& Evaluator::expand(const BlockRecord& record, Scratch& scratch) const {
  const ResidualBlockInfo& info = problem_->residual_blocks[static_cast<size_t>(record.id)];
  Block& block = scratch.block;
  block.id = record.id;
  block.cost = info.cost.get();
  block.loss = record.has_loss ? info.loss.get() : nullptr;
  block.row = record.row;
  block.num_residuals = record.num_residuals;
  block.row_nonzeros = record.row_nonzeros;
  block.writes_into_dense = record.writes_into_dense;
  if (scratch.parameters.size() < static_cast<size_t>(record.num_parameters)) {
    scratch.parameters.resize(static_cast<size_t>(record.num_parameters));
  }
  for (int k = 0; k < record.num_parameters; ++k) {
    const ParameterRecord& parameter = parameter_records_[static_cast<size_t>(record.first_parameter + k)];
    const int p = parameter.index;
    scratch.parameters[static_cast<size_t>(k)] = {
        layout_.values(p), layout_.size(p), layout_.offset(p), parameter.position_in_row, layout_.tangent_offset(p), p};
  }
  block.parameters = std::span<const Parameter>(scratch.parameters.data(), static_cast<size_t>(record.num_parameters));
  return block;
}

Evaluator::~Evaluator() = default;

int Evaluator::num_residual_blocks() const { return static_cast<int>(records_.size()); }

bool Evaluator::second_derivative_product(const Eigen::VectorXd& x, const Eigen::VectorXd& weights,
                                          const Eigen::VectorXd& direction, Eigen::VectorXd* product) const {
  if (!has_second_derivatives_) {
    throw Error("Evaluator::second_derivative_product: a cost function of this problem has no second derivatives");
  }
  if (layout_.has_manifolds()) {
    throw Error("Evaluator::second_derivative_product: exact second derivatives are not available on manifolds");
  }
  product->setZero(num_parameters());
  std::vector<const double*> parameters, directions;
  std::vector<double*> products;
  std::vector<std::vector<double>> buffers;
  Scratch scratch;
  // One block after another, in order: the sum is the same for any thread count.
  for (const BlockRecord& record : records_) {
    const Block& block = expand(record, scratch);
    const size_t count = block.parameters.size();
    parameters.assign(count, nullptr);
    directions.assign(count, nullptr);
    products.assign(count, nullptr);
    if (buffers.size() < count) buffers.resize(count);
    bool any_variable = false;
    for (size_t k = 0; k < count; ++k) {
      const auto& parameter = block.parameters[k];
      if (parameter.offset < 0) {
        parameters[k] = parameter.user_values;
        continue;
      }
      any_variable = true;
      parameters[k] = x.data() + parameter.offset;
      directions[k] = direction.data() + parameter.offset;
      buffers[k].resize(static_cast<size_t>(parameter.size));
      products[k] = buffers[k].data();
    }
    if (!any_variable) continue;
    if (!block.cost->evaluate_second_derivative_product(parameters.data(), weights.data() + block.row,
                                                        directions.data(), products.data())) {
      return false;
    }
    for (size_t k = 0; k < count; ++k) {
      if (!products[k]) continue;
      const auto& parameter = block.parameters[k];
      product->segment(parameter.offset, parameter.size) +=
          Eigen::Map<const Eigen::VectorXd>(products[k], parameter.size);
    }
  }
  return product->allFinite();
}

Eigen::VectorXd Evaluator::gather_parameters() const {
  Eigen::VectorXd x;
  layout_.gather(&x);
  return x;
}

void Evaluator::scatter_parameters(const Eigen::VectorXd& x) const { layout_.scatter(x); }

// The pattern is rebuilt from the blocks at each call rather than kept: it
// is as large as the Jacobian's own column indices, and only a few
// Jacobians are ever made.
SparseRowMatrix Evaluator::make_sparse_jacobian() const {
  SparseRowMatrix jacobian;
  make_sparse_jacobian(&jacobian);
  return jacobian;
}

void Evaluator::make_sparse_jacobian(SparseRowMatrix* jacobian) const {
  if (!options_.sparse) throw Error("internal: the evaluator was built without a sparse pattern");
  jacobian->resize(num_residuals_, layout_.num_tangent_parameters());
  jacobian->resizeNonZeros(static_cast<Eigen::Index>(nonzeros_));
  int* starts = jacobian->outerIndexPtr();
  int* columns = jacobian->innerIndexPtr();
  // Row starts from each block's row length, then the columns: the blocks'
  // rows need not come in record order (Options::row_order).
  starts[0] = 0;
  for (const BlockRecord& record : records_) {
    for (int r = 0; r < record.num_residuals; ++r) starts[record.row + r + 1] = record.row_nonzeros;
  }
  for (int row = 0; row < num_residuals_; ++row) starts[row + 1] += starts[row];
  std::vector<std::pair<int, int>> spans;  // (offset, size) of variable blocks, sorted
  Scratch scratch;
  for (const BlockRecord& record : records_) {
    const Block& block = expand(record, scratch);
    spans.clear();
    for (const auto& parameter : block.parameters) {
      if (parameter.offset >= 0) spans.emplace_back(parameter.tangent_offset, layout_.tangent_size(parameter.index));
    }
    std::sort(spans.begin(), spans.end());
    for (int r = 0; r < block.num_residuals; ++r) {
      int entry = starts[block.row + r];
      for (auto [offset, size] : spans) {
        for (int c = 0; c < size; ++c) columns[entry++] = offset + c;
      }
    }
  }
  std::fill(jacobian->valuePtr(), jacobian->valuePtr() + nonzeros_, 0.0);
}

bool Evaluator::dense_block_entries_finite(const Block& block, const Eigen::MatrixXd& dense, std::string* error) const {
  const int m = block.num_residuals;
  for (size_t k = 0; k < block.parameters.size(); ++k) {
    const auto& parameter = block.parameters[k];
    if (parameter.offset < 0) continue;
    for (int c = 0; c < parameter.size; ++c) {
      for (int r = 0; r < m; ++r) {
        if (!std::isfinite(dense(block.row + r, parameter.tangent_offset + c))) {
          *error = "residual block " + std::to_string(block.id) + ": Jacobian of parameter block " + std::to_string(k) +
                   " has a non-finite entry at row " + std::to_string(r) + ", column " + std::to_string(c);
          return false;
        }
      }
    }
  }
  return true;
}

bool Evaluator::evaluate_block_into_dense(const Block& block, const double* x, double* residuals,
                                          Eigen::MatrixXd* dense, bool check_jacobian, Scratch& scratch, double* cost,
                                          std::string* error) const {
  const int m = block.num_residuals;
  const long leading_dimension = dense->rows();
  // The block's own rows, zeroed before the cost function writes its
  // columns (see evaluate_block).
  if (block.row_nonzeros < layout_.num_tangent_parameters()) dense->middleRows(block.row, m).setZero();
  const size_t count = block.parameters.size();
  const bool any_variable = point_at_parameters(block, x, scratch, [&](size_t, const auto& parameter) {
    return dense->data() + parameter.tangent_offset * leading_dimension + block.row;
  });
  double** jacobians = any_variable ? scratch.jacobian_pointers.data() : nullptr;
  if (!block.cost->evaluate_column_major(scratch.parameter_pointers.data(), residuals, jacobians, leading_dimension)) {
    *error = "residual block " + std::to_string(block.id) + ": the cost function returned false";
    return false;
  }
  // The one-pass finiteness check of call_residual_block (0 * x summed: 0
  // when every entry is finite, NaN otherwise), over the columns just
  // written, by Eigen's vectorized sum: one running scalar sum is a chain of
  // dependent additions that on R1's 2000 x 1441 J took longer than a third
  // of the network's own Jacobian pass.
  double probe;
  const double squared_norm = squared_norm_and_probe(residuals, m, &probe);
  for (size_t k = 0; check_jacobian && jacobians && k < count; ++k) {
    if (!jacobians[k]) continue;
    const Eigen::Map<const Eigen::MatrixXd, 0, Eigen::OuterStride<>> columns(jacobians[k], m, block.parameters[k].size,
                                                                             Eigen::OuterStride<>(leading_dimension));
    probe += (columns.array() * 0.0).sum();
  }
  *cost = 0.5 * squared_norm;
  if (probe == 0.0) return true;
  *error = "residual block " + std::to_string(block.id) + ": ";
  for (int r = 0; r < m; ++r) {
    if (!std::isfinite(residuals[r])) {
      *error += "residual " + std::to_string(r) + " is not finite (" + std::to_string(residuals[r]) + ")";
      return false;
    }
  }
  if (jacobians && !dense_block_entries_finite(block, *dense, error)) return false;
  *error += "non-finite output";
  return false;
}

bool Evaluator::evaluate_block(const Block& block, const double* x, double* residuals, bool want_jacobian,
                               Eigen::MatrixXd* dense, SparseRowMatrix* sparse, Scratch& scratch, double* cost,
                               std::string* error) const {
  if (dense && want_jacobian && block.writes_into_dense) {
    return evaluate_block_into_dense(block, x, residuals, dense, !defer_dense_check_, scratch, cost, error);
  }
  double** jacobians;
  double squared_norm;
  if (!call_residual_block(block, x, residuals, want_jacobian, scratch, &jacobians, &squared_norm, error)) {
    *error = "residual block " + std::to_string(block.id) + ": " + *error;
    return false;
  }
  const size_t count = block.parameters.size();
  const int m = block.num_residuals;

  if (block.loss) {
    const RobustCorrection correction(*block.loss, squared_norm);
    *cost = 0.5 * correction.rho;
    if (jacobians) {
      for (size_t k = 0; k < count; ++k) {
        if (jacobians[k]) correction.correct_jacobian(m, block.parameters[k].size, residuals, jacobians[k]);
      }
    }
    correction.correct_residuals(m, residuals);
  } else {
    *cost = 0.5 * squared_norm;
  }

  // The block's own rows of a dense Jacobian, zeroed here rather than the
  // whole matrix up front: the blocks' rows partition J, so this zeroes
  // every entry once, in parallel, just before the block's columns land
  // (all of a block over constant parameters only stays zero). A block
  // whose columns span all of x overwrites its rows anyway.
  if (dense && block.row_nonzeros < layout_.num_tangent_parameters()) dense->middleRows(block.row, m).setZero();
  if (!jacobians) return true;
  using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const bool manifolds = layout_.has_manifolds();
  for (size_t k = 0; k < count; ++k) {
    if (!jacobians[k]) continue;
    const auto& parameter = block.parameters[k];
    const double* source = jacobians[k];
    int columns = parameter.size;
    if (manifolds && layout_.jacobian_manifold(parameter.index)) {
      columns = layout_.tangent_size(parameter.index);
      source = to_tangent(parameter.index, parameter.size, m, source, scratch.tangent_jacobian.data());
    }
    if (dense) {
      dense->block(block.row, parameter.tangent_offset, m, columns) =
          Eigen::Map<const RowMajorMatrix>(source, m, columns);
    } else {
      double* values = sparse->valuePtr();
      const int* starts = sparse->outerIndexPtr();
      for (int r = 0; r < m; ++r) {
        copy_row(source + r * columns, columns, values + starts[block.row + r] + parameter.position_in_row);
      }
    }
  }
  return true;
}

// The product by plain loops: the matrices are a few entries each (a pose
// graph's 3 x 1 times 1 x 1, 6 x 4 times 4 x 3), too small for a general
// matrix product's set-up to pay, and this runs once per residual block and
// manifold block at every Jacobian evaluation.
const double* Evaluator::to_tangent(int parameter_block, int size, int num_rows, const double* ambient,
                                    double* tangent) const {
  const int columns = layout_.tangent_size(parameter_block);
  const double* plus_jacobian = plus_jacobians_.data() + layout_.plus_jacobian_offset(parameter_block);
  for (int r = 0; r < num_rows; ++r) {
    const double* row = ambient + static_cast<ptrdiff_t>(r) * size;
    double* out = tangent + static_cast<ptrdiff_t>(r) * columns;
    for (int c = 0; c < columns; ++c) out[c] = 0.0;
    for (int a = 0; a < size; ++a) {
      const double x = row[a];
      const double* p = plus_jacobian + static_cast<ptrdiff_t>(a) * columns;
      for (int c = 0; c < columns; ++c) out[c] += x * p[c];
    }
  }
  return tangent;
}

void Evaluator::sparse_column_sums(const SparseRowMatrix& jacobian, const Eigen::VectorXd& residuals,
                                   Eigen::VectorXd* gradient, Eigen::VectorXd* norms) {
  const int n = layout_.num_tangent_parameters();
  if (gradient) gradient->resize(n);
  if (norms) norms->resize(n);
  const double* values = jacobian.valuePtr();
  const int* starts = jacobian.outerIndexPtr();
  if (column_share_bounds_.empty()) throw Error("internal: the evaluator was built without a sparse pattern");
  const int shares = static_cast<int>(column_share_bounds_.size()) - 1;
  column_sums_region_.run(pool_.get(), shares, [&](int /*thread*/, int begin, int end) {
    const int first = column_share_bounds_[static_cast<size_t>(begin)];
    const int last = column_share_bounds_[static_cast<size_t>(end)];
    if (gradient) gradient->segment(first, last - first).setZero();
    if (norms) norms->segment(first, last - first).setZero();
    double* g = gradient ? gradient->data() : nullptr;
    double* squares = norms ? norms->data() : nullptr;
    const int num_records = static_cast<int>(records_.size());
    for (int i = 0; i < num_records; ++i) {
      const BlockRecord& record =
          records_[static_cast<size_t>(rows_permuted_ ? records_by_row_[static_cast<size_t>(i)] : i)];
      for (int k = 0; k < record.num_parameters; ++k) {
        const ParameterRecord& parameter = parameter_records_[static_cast<size_t>(record.first_parameter + k)];
        if (layout_.offset(parameter.index) < 0) continue;
        const int offset = layout_.tangent_offset(parameter.index);
        const int begin_column = std::max(offset, first);
        const int end_column = std::min(offset + layout_.tangent_size(parameter.index), last);
        if (begin_column >= end_column) continue;
        for (int r = 0; r < record.num_residuals; ++r) {
          const int row = record.row + r;
          const double* entries = values + starts[row] + parameter.position_in_row + (begin_column - offset);
          const double residual = residuals[row];
          const int count = end_column - begin_column;
          if (g && squares) {
            for (int c = 0; c < count; ++c) {
              g[begin_column + c] += entries[c] * residual;
              squares[begin_column + c] += entries[c] * entries[c];
            }
          } else if (g) {
            for (int c = 0; c < count; ++c) g[begin_column + c] += entries[c] * residual;
          } else {
            for (int c = 0; c < count; ++c) squares[begin_column + c] += entries[c] * entries[c];
          }
        }
      }
    }
  });
}

EvaluationStatus Evaluator::evaluate(const Eigen::VectorXd& x, double* cost, const EvaluationRequest& request) {
  if (x.size() != layout_.num_parameters()) {
    throw Error("evaluate: the parameter vector has " + std::to_string(x.size()) + " entries, the problem " +
                std::to_string(layout_.num_parameters()));
  }
  Eigen::VectorXd* residuals = request.residuals ? request.residuals : &residual_buffer_;
  residuals->resize(num_residuals_);

  Eigen::MatrixXd* dense = request.dense_jacobian;
  SparseRowMatrix* sparse = request.sparse_jacobian;
  if (request.gradient && !dense && !sparse) {
    if (options_.sparse) {
      if (sparse_buffer_.nonZeros() != nonzeros_) make_sparse_jacobian(&sparse_buffer_);
      sparse = &sparse_buffer_;
    } else {
      dense = &dense_buffer_;
    }
  }
  // Zeroed block by block in evaluate_block().
  if (dense) dense->resize(num_residuals_, layout_.num_tangent_parameters());
  if (sparse && sparse->nonZeros() != nonzeros_) {
    throw Error("evaluate: the sparse Jacobian does not have this problem's pattern");
  }
  const bool want_jacobian = dense || sparse;
  if (dense && sparse) sparse = nullptr;  // the dense one is filled; the sparse one below
  if (want_jacobian && layout_.has_manifolds()) {
    EvaluationStatus status;
    if (!layout_.plus_jacobians(x, &plus_jacobians_, &status.message)) {
      status.ok = false;
      if (cost) *cost = std::numeric_limits<double>::infinity();
      return status;
    }
  }

  // A wide dense J is read column by column after the blocks anyway (the
  // gradient and the column norms below); a non-finite entry makes its
  // column's squared norm non-finite, so the blocks that write straight into
  // J skip their own pass over their entries, which cost ~2 ms on R1's
  // 2000 x 1441 J (a fresh read of J from memory), and the entries are
  // searched only when a norm is not finite.
  defer_dense_check_ = dense && dense->cols() >= kWideJacobian;
  for (Scratch& scratch : scratch_) scratch.failed_block = std::numeric_limits<int>::max();
  // Residuals alone of a block without a loss (trial points, probes, line
  // searches) need only its parameters' pointers: they are set straight
  // from the records, without expanding the Block (a 3-parameter curve fit's
  // LM iteration spent a third of its time on the evaluator's per-block
  // work). The same call and the same sums as call_residual_block(); a
  // failing block is expanded for its message.
  auto residuals_without_loss = [&](const BlockRecord& record, Scratch& scratch, double* block_residuals,
                                    double* cost) {
    for (int k = 0; k < record.num_parameters; ++k) {
      const int p = parameter_records_[static_cast<size_t>(record.first_parameter + k)].index;
      const int offset = layout_.offset(p);
      scratch.parameter_pointers[static_cast<size_t>(k)] = offset >= 0 ? x.data() + offset : layout_.values(p);
    }
    const CostFunction& cost_function = *problem_->residual_blocks[static_cast<size_t>(record.id)].cost;
    if (!cost_function.evaluate(scratch.parameter_pointers.data(), block_residuals, nullptr)) {
      scratch.error = "residual block " + std::to_string(record.id) + ": the cost function returned false";
      return false;
    }
    double probe;
    *cost = 0.5 * squared_norm_and_probe(block_residuals, record.num_residuals, &probe);
    if (probe == 0.0) return true;
    scratch.error = "residual block " + std::to_string(record.id) + ": " +
                    describe_non_finite(expand(record, scratch), block_residuals, nullptr);
    return false;
  };
  // With permuted rows (Options::row_order) consecutive blocks write far
  // apart in a sparse J: the lines of a block a few ahead are fetched while
  // this one runs, instead of each store waiting for its line.
  constexpr int kPrefetchAhead = 4;
  const bool prefetch_rows = rows_permuted_ && sparse != nullptr;
  blocks_region_[want_jacobian ? 1 : 0].run(pool_.get(), num_residual_blocks(), [&](int thread, int begin, int end) {
    Scratch& scratch = scratch_[thread];
    for (int b = begin; b < end; ++b) {
      const BlockRecord& record = records_[b];
      if (prefetch_rows && b + kPrefetchAhead < end) {
        const BlockRecord& ahead = records_[b + kPrefetchAhead];
        const char* first = reinterpret_cast<const char*>(sparse->valuePtr() + sparse->outerIndexPtr()[ahead.row]);
        const long bytes = static_cast<long>(sizeof(double)) * ahead.num_residuals * ahead.row_nonzeros;
        for (long offset = 0; offset < bytes; offset += 64) __builtin_prefetch(first + offset, 1);
      }
      double* block_residuals = residuals->data() + record.row;
      const bool ok = !want_jacobian && !record.has_loss
                          ? residuals_without_loss(record, scratch, block_residuals, &block_costs_[b])
                          : evaluate_block(expand(record, scratch), x.data(), block_residuals, want_jacobian, dense,
                                           sparse, scratch, &block_costs_[b], &scratch.error);
      if (!ok && b < scratch.failed_block) {
        scratch.failed_block = b;
        scratch.failure = scratch.error;
      }
    }
  });

  EvaluationStatus status;
  // The first failing block over all threads: the same for any thread count.
  const Scratch* first_failure = nullptr;
  for (const Scratch& scratch : scratch_) {
    if (scratch.failed_block < (first_failure ? first_failure->failed_block : std::numeric_limits<int>::max())) {
      first_failure = &scratch;
    }
  }
  if (first_failure) {
    status.ok = false;
    status.failed_block = records_[first_failure->failed_block].id;
    status.message = first_failure->failure;
    if (cost) *cost = std::numeric_limits<double>::infinity();
    return status;
  }
  double total = 0.0;
  for (double c : block_costs_) total += c;
  if (cost) *cost = total;
  if (!std::isfinite(total)) {
    // Finite residuals whose squares overflow: as unusable as a NaN.
    status.ok = false;
    for (int b = 0; b < num_residual_blocks(); ++b) {
      if (!std::isfinite(block_costs_[b])) {
        status.failed_block = records_[b].id;
        status.message = "residual block " + std::to_string(records_[b].id) + ": its cost overflows (" +
                         std::to_string(block_costs_[b]) + ")";
        return status;
      }
    }
    status.message = "the total cost overflows (every block's cost is finite, their sum is not)";
    return status;
  }
  if (request.dense_jacobian && request.sparse_jacobian) {
    const Eigen::MatrixXd& source = *request.dense_jacobian;
    SparseRowMatrix& target = *request.sparse_jacobian;
    for (int r = 0; r < num_residuals_; ++r) {
      for (SparseRowMatrix::InnerIterator it(target, r); it; ++it) it.valueRef() = source(r, it.col());
    }
  }
  if (request.column_squared_norms && !dense && !sparse) {
    throw Error("evaluate: column_squared_norms needs a Jacobian in the same request");
  }
  if (dense && dense->cols() >= kWideJacobian) {
    // One pass over J, column by column on the pool, for the gradient and
    // the column norms: serial passes over a wide J take a tenth of an LM
    // iteration. Each column's sums run on one thread in one order.
    const Eigen::Index n = dense->cols();
    if (request.gradient) request.gradient->resize(n);
    Eigen::VectorXd& norms = request.column_squared_norms ? *request.column_squared_norms : column_norm_buffer_;
    norms.resize(n);
    Eigen::MatrixXf* single = request.scaled_single_jacobian;
    if (single) single->resize(dense->rows(), n);
    pool_->parallel_for(static_cast<int>(n), [&](int /*thread*/, int begin, int end) {
      for (int c = begin; c < end; ++c) {
        if (request.gradient) (*request.gradient)[c] = dense->col(c).dot(*residuals);
        norms[c] = dense->col(c).squaredNorm();
        if (single) single->col(c) = (jacobi_scale(norms[c]) * dense->col(c)).cast<float>();
      }
    });
    // The check the blocks left to this pass (defer_dense_check_): a norm
    // can also overflow from finite entries, so the entries decide.
    if (defer_dense_check_ && !norms.allFinite()) {
      for (const BlockRecord& record : records_) {
        if (!record.writes_into_dense) continue;
        const Block& block = expand(record, scratch_[0]);
        if (!block.writes_into_dense || dense_block_entries_finite(block, *dense, &status.message)) continue;
        status.ok = false;
        status.failed_block = block.id;
        if (cost) *cost = std::numeric_limits<double>::infinity();
        return status;
      }
    }
  } else {
    if (request.scaled_single_jacobian) request.scaled_single_jacobian->resize(0, 0);
    if (dense) {
      if (request.gradient) request.gradient->noalias() = dense->transpose() * (*residuals);
      if (request.column_squared_norms) *request.column_squared_norms = dense->colwise().squaredNorm().transpose();
    } else if (request.gradient || request.column_squared_norms) {
      sparse_column_sums(*sparse, *residuals, request.gradient, request.column_squared_norms);
    }
  }
  if (request.gradient) {
    if (!request.gradient->allFinite()) {
      status.ok = false;
      status.message = "the gradient J^T r overflows although every residual and Jacobian entry is finite";
      if (cost) *cost = std::numeric_limits<double>::infinity();
    }
  }
  return status;
}

}  // namespace curvature::internal
