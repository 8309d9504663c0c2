#include "schur/schur_jacobi.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <utility>

#include "schur/implicit_schur_maps.h"

namespace curvature::internal {
namespace {

constexpr int kDyn = Eigen::Dynamic;
// At most this many groups: enough to keep a few threads busy.
constexpr int kMaxGroups = 16;

// Adds task t's contributions F_c^T F_c - B^T M^-1 B to the blocks in
// `partial` (one group's copy). The products are small: Eigen's general
// product (lazyProduct avoids it) would spend more on packing than on
// arithmetic.
template <int R, int E, int F>
void add_task(const ImplicitSchurComplement& schur, const std::vector<int>& task_cells, int cell_begin, int cell_end,
              int e, const std::vector<long>& square_offset, double* partial) {
  const SchurStructure& s = schur.structure();
  const FBlockIncidence& incidence = schur.incidence();
  const double* values = schur.jacobian_values();
  const int e_size = e >= 0 ? s.e_blocks[e].size : 0;
  Eigen::Matrix<double, E, F> b;
  int current_f = -1;
  auto flush = [&]() {
    if (e < 0 || current_f < 0) return;
    const int f_size = s.f_blocks[current_f].size;
    const Eigen::Matrix<double, E, F> inverse_b = ConstSquareMap<E>(schur.e_inverse(e), e_size, e_size) * b;
    SquareMap<F>(partial + square_offset[current_f], f_size, f_size).noalias() -= b.transpose().lazyProduct(inverse_b);
  };
  for (int k = cell_begin; k < cell_end; ++k) {
    const int c = task_cells[k];
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[incidence.residual_block[c]];
    const int f = s.f_cells[c].block;
    const int f_size = s.f_blocks[f].size;
    const auto fc = jacobian_cell<R, F>(values, s.f_cells[c].value_offset, rb, f_size);
    SquareMap<F>(partial + square_offset[f], f_size, f_size).noalias() += fc.transpose().lazyProduct(fc);
    if (e < 0) continue;
    if (f != current_f) {
      flush();
      current_f = f;
      b.setZero(e_size, f_size);
    }
    b.noalias() += jacobian_cell<R, E>(values, rb.e_value_offset, rb, e_size).transpose().lazyProduct(fc);
  }
  flush();
}

}  // namespace

SchurJacobiPreconditioner::SchurJacobiPreconditioner(const ImplicitSchurComplement& schur) : schur_(schur) {
  const SchurStructure& s = schur.structure();
  const FBlockIncidence& incidence = schur.incidence();
  const int num_e = static_cast<int>(s.e_blocks.size());
  const int num_tasks = num_e + static_cast<int>(s.f_only_residual_blocks.size());
  task_starts_.reserve(num_tasks + 1);
  task_starts_.push_back(0);
  task_cells_.reserve(s.f_cells.size());
  auto add_cells = [&](int b) {
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[b];
    for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) task_cells_.push_back(c);
  };
  auto by_f_block_then_row = [&](int x, int y) {
    return std::make_pair(s.f_cells[x].block, incidence.residual_block[x]) <
           std::make_pair(s.f_cells[y].block, incidence.residual_block[y]);
  };
  for (int t = 0; t < num_tasks; ++t) {
    if (t < num_e) {
      const int e = schur.chunk_order()[t];
      for (int k = s.chunk_starts[e]; k < s.chunk_starts[e + 1]; ++k) add_cells(s.chunk_residual_blocks[k]);
    } else {
      add_cells(s.f_only_residual_blocks[t - num_e]);
    }
    std::sort(task_cells_.begin() + task_starts_.back(), task_cells_.end(), by_f_block_then_row);
    task_starts_.push_back(static_cast<int>(task_cells_.size()));
  }

  square_offset_.resize(s.f_blocks.size());
  for (size_t i = 0; i < s.f_blocks.size(); ++i) {
    square_offset_[i] = blocks_size_;
    blocks_size_ += static_cast<long>(s.f_blocks[i].size) * s.f_blocks[i].size;
  }
  // As many groups as the observations pay for: the copies together take
  // no more than the implicit product's slots (one f-block vector per cell).
  const long by_memory = blocks_size_ > 0 ? incidence.slot_size / blocks_size_ : 1;
  num_groups_ = static_cast<int>(std::clamp<long>(std::min<long>(by_memory, num_tasks), 1, kMaxGroups));
  partials_.resize(static_cast<size_t>(num_groups_) * blocks_size_);
  blocks_.resize(blocks_size_);
  factors_.resize(blocks_size_);
}

std::string SchurJacobiPreconditioner::compute() {
  const SchurStructure& s = schur_.structure();
  const int num_e = static_cast<int>(s.e_blocks.size());
  const int num_tasks = static_cast<int>(task_starts_.size()) - 1;
  schur_.pool().parallel_for(num_groups_, [&](int, int begin, int end) {
    for (int g = begin; g < end; ++g) {
      double* partial = partials_.data() + static_cast<size_t>(g) * blocks_size_;
      std::fill(partial, partial + blocks_size_, 0.0);
      const int first = static_cast<int>(static_cast<long>(num_tasks) * g / num_groups_);
      const int last = static_cast<int>(static_cast<long>(num_tasks) * (g + 1) / num_groups_);
      for (int t = first; t < last; ++t) {
        const int e = t < num_e ? schur_.chunk_order()[t] : -1;
        if (schur_.fixed_shapes()) {
          add_task<2, 3, 9>(schur_, task_cells_, task_starts_[t], task_starts_[t + 1], e, square_offset_, partial);
        } else {
          add_task<kDyn, kDyn, kDyn>(schur_, task_cells_, task_starts_[t], task_starts_[t + 1], e, square_offset_,
                                     partial);
        }
      }
    }
  });

  const int num_f = static_cast<int>(s.f_blocks.size());
  std::vector<char> failed(num_f, 0);
  schur_.pool().parallel_for(num_f, [&](int, int begin, int end) {
    for (int i = begin; i < end; ++i) {
      const SchurStructure::Block& f = s.f_blocks[i];
      const long offset = square_offset_[i];
      SquareMap<kDyn> block(blocks_.data() + offset, f.size, f.size);
      block.setZero();
      block.diagonal() = ConstVectorMap<kDyn>(schur_.damping().data() + f.column, f.size).array().square().matrix();
      for (int g = 0; g < num_groups_; ++g) {
        block +=
            ConstSquareMap<kDyn>(partials_.data() + static_cast<size_t>(g) * blocks_size_ + offset, f.size, f.size);
      }
      double* factor = factors_.data() + offset;
      if (schur_.fixed_shapes()) {
        const Eigen::LLT<Eigen::Matrix<double, 9, 9>> llt{ConstSquareMap<9>(blocks_.data() + offset)};
        failed[i] = llt.info() != Eigen::Success;
        SquareMap<9> factor_block(factor);
        factor_block = llt.matrixL();
      } else {
        const Eigen::LLT<Eigen::MatrixXd> llt{block};
        failed[i] = llt.info() != Eigen::Success;
        SquareMap<kDyn> factor_block(factor, f.size, f.size);
        factor_block = llt.matrixL();
      }
    }
  });
  for (int i = 0; i < num_f; ++i) {
    if (failed[i]) {
      return "the Schur complement's diagonal block of parameter block " +
             std::to_string(s.f_blocks[i].parameter_block) + " is not positive definite";
    }
  }
  return {};
}

void SchurJacobiPreconditioner::apply(const Eigen::VectorXd& x, Eigen::VectorXd* y) const {
  const SchurStructure& s = schur_.structure();
  y->resize(x.size());
  const int num_f = static_cast<int>(s.f_blocks.size());
  // Cheap next to a product with S (two 9x9 triangular solves per camera
  // against a pass over every observation): one thread.
  for (int i = 0; i < num_f; ++i) {
    const SchurStructure::Block& f = s.f_blocks[i];
    const double* factor = factors_.data() + square_offset_[i];
    if (schur_.fixed_shapes()) {
      Eigen::Matrix<double, 9, 1> v = ConstVectorMap<9>(x.data() + f.reduced_offset);
      const auto l = ConstSquareMap<9>(factor).triangularView<Eigen::Lower>();
      l.solveInPlace(v);
      l.transpose().solveInPlace(v);
      VectorMap<9>(y->data() + f.reduced_offset) = v;
    } else {
      Eigen::VectorXd v = ConstVectorMap<kDyn>(x.data() + f.reduced_offset, f.size);
      const auto l = ConstSquareMap<kDyn>(factor, f.size, f.size).triangularView<Eigen::Lower>();
      l.solveInPlace(v);
      l.transpose().solveInPlace(v);
      VectorMap<kDyn>(y->data() + f.reduced_offset, f.size) = v;
    }
  }
}

Eigen::MatrixXd SchurJacobiPreconditioner::block(int i) const {
  const int n = schur_.structure().f_blocks[i].size;
  return ConstSquareMap<kDyn>(blocks_.data() + square_offset_[i], n, n);
}

}  // namespace curvature::internal
