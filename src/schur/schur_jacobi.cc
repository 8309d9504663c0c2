#include "schur/schur_jacobi.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <tuple>

#include "schur/implicit_schur_maps.h"

namespace curvature::internal {
namespace {

constexpr int kDyn = Eigen::Dynamic;

// S_ii of f-block i into `block` (column-major).
template <int R, int E, int F>
void compute_block(const ImplicitSchurComplement& schur, const std::vector<int>& cells_by_e_block, int i,
                   double* block) {
  const SchurStructure& s = schur.structure();
  const FBlockIncidence& incidence = schur.incidence();
  const double* values = schur.jacobian_values();
  const SchurStructure::Block& f = s.f_blocks[i];
  SquareMap<F> a(block, f.size, f.size);
  a.setZero();
  a.diagonal() = ConstVectorMap<F>(schur.damping().data() + f.column, f.size).array().square().matrix();
  Eigen::Matrix<double, E, F> b;
  int current_e = -1;
  auto flush = [&]() {
    if (current_e < 0) return;
    const int e_size = s.e_blocks[current_e].size;
    a.noalias() -= b.transpose() * (ConstSquareMap<E>(schur.e_inverse(current_e), e_size, e_size) * b);
  };
  for (int k = incidence.starts[i]; k < incidence.starts[i + 1]; ++k) {
    const int c = cells_by_e_block[k];
    const SchurStructure::ResidualBlock& rb = s.residual_blocks[incidence.residual_block[c]];
    const auto fc = jacobian_cell<R, F>(values, s.f_cells[c].value_offset, rb, f.size);
    a.noalias() += fc.transpose() * fc;
    if (rb.e_block < 0) continue;
    if (rb.e_block != current_e) {
      flush();
      current_e = rb.e_block;
      b.setZero(s.e_blocks[current_e].size, f.size);
    }
    b.noalias() += jacobian_cell<R, E>(values, rb.e_value_offset, rb, s.e_blocks[current_e].size).transpose() * fc;
  }
  flush();
}

}  // namespace

SchurJacobiPreconditioner::SchurJacobiPreconditioner(const ImplicitSchurComplement& schur) : schur_(schur) {
  const SchurStructure& s = schur.structure();
  const FBlockIncidence& incidence = schur.incidence();
  cells_by_e_block_ = incidence.cells;
  for (size_t i = 0; i < s.f_blocks.size(); ++i) {
    auto key = [&](int c) {
      const int b = incidence.residual_block[c];
      return std::make_tuple(s.residual_blocks[b].e_block, s.residual_blocks[b].row);
    };
    std::sort(cells_by_e_block_.begin() + incidence.starts[i], cells_by_e_block_.begin() + incidence.starts[i + 1],
              [&](int x, int y) { return key(x) < key(y); });
  }
  square_offset_.resize(s.f_blocks.size());
  long offset = 0;
  for (size_t i = 0; i < s.f_blocks.size(); ++i) {
    square_offset_[i] = offset;
    offset += static_cast<long>(s.f_blocks[i].size) * s.f_blocks[i].size;
  }
  blocks_.resize(offset);
  factors_.resize(offset);
}

std::string SchurJacobiPreconditioner::compute() {
  const SchurStructure& s = schur_.structure();
  const int num_f = static_cast<int>(s.f_blocks.size());
  std::vector<char> failed(num_f, 0);
  schur_.pool().parallel_for(num_f, [&](int, int begin, int end) {
    for (int i = begin; i < end; ++i) {
      double* block = blocks_.data() + square_offset_[i];
      double* factor = factors_.data() + square_offset_[i];
      const int n = s.f_blocks[i].size;
      if (schur_.fixed_shapes()) {
        compute_block<2, 3, 9>(schur_, cells_by_e_block_, i, block);
        const Eigen::LLT<Eigen::Matrix<double, 9, 9>> llt{ConstSquareMap<9>(block)};
        failed[i] = llt.info() != Eigen::Success;
        SquareMap<9> factor_block(factor);
        factor_block = llt.matrixL();
      } else {
        compute_block<kDyn, kDyn, kDyn>(schur_, cells_by_e_block_, i, block);
        const Eigen::LLT<Eigen::MatrixXd> llt{ConstSquareMap<kDyn>(block, n, n)};
        failed[i] = llt.info() != Eigen::Success;
        SquareMap<kDyn> factor_block(factor, n, n);
        factor_block = llt.matrixL();
      }
    }
  });
  for (int i = 0; i < num_f; ++i) {
    if (failed[i]) {
      return "the Schur complement's diagonal block of parameter block " + std::to_string(s.f_blocks[i].parameter_block) +
             " is not positive definite";
    }
  }
  return {};
}

void SchurJacobiPreconditioner::apply(const Eigen::VectorXd& x, Eigen::VectorXd* y) const {
  const SchurStructure& s = schur_.structure();
  y->resize(x.size());
  const int num_f = static_cast<int>(s.f_blocks.size());
  // Cheap next to a product with S, and per block: one thread.
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
