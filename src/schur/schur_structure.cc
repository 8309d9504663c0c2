#include "schur/schur_structure.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "curvature/error.h"
#include "residual_block_order.h"

namespace curvature::internal {

std::vector<int> schur_row_order(const Problem::Impl& problem, std::span<const int> eliminated) {
  const int num_parameter_blocks = static_cast<int>(problem.parameter_blocks.size());
  const int num_residual_blocks = static_cast<int>(problem.residual_blocks.size());
  std::vector<char> is_eliminated(static_cast<size_t>(num_parameter_blocks), 0);
  for (int p : eliminated) {
    if (p >= 0 && p < num_parameter_blocks) is_eliminated[static_cast<size_t>(p)] = 1;
  }
  // Each residual block's group: the first residual block (in the user's
  // order) that reads its eliminated block, which is also the order of the
  // groups (build_schur_structure() orders the e-blocks so);
  // num_residual_blocks for a block that reads none.
  std::vector<int> first_reader(static_cast<size_t>(num_parameter_blocks), -1);
  std::vector<int> group(static_cast<size_t>(num_residual_blocks), num_residual_blocks);
  bool grouped = true;
  int last_group = -1;
  for (int b = 0; b < num_residual_blocks; ++b) {
    for (int p : problem.residual_blocks[static_cast<size_t>(b)].parameter_blocks) {
      if (!is_eliminated[static_cast<size_t>(p)]) continue;
      int& first = first_reader[static_cast<size_t>(p)];
      if (first < 0) first = b;
      group[static_cast<size_t>(b)] = first;
      break;
    }
    const int g = group[static_cast<size_t>(b)];
    if (g == num_residual_blocks) continue;  // reads no eliminated block: does not break a grouping
    grouped = grouped && g >= last_group;
    last_group = g;
  }
  if (grouped) return {};
  // A stable counting sort by group.
  std::vector<int> starts(static_cast<size_t>(num_residual_blocks) + 2, 0);
  for (int g : group) ++starts[static_cast<size_t>(g) + 1];
  for (size_t g = 1; g < starts.size(); ++g) starts[g] += starts[g - 1];
  std::vector<int> order(static_cast<size_t>(num_residual_blocks));
  for (int b = 0; b < num_residual_blocks; ++b)
    order[static_cast<size_t>(starts[static_cast<size_t>(group[static_cast<size_t>(b)])]++)] = b;
  return order;
}

SchurStructure build_schur_structure(const Problem::Impl& problem, const ParameterLayout& layout,
                                     std::span<const int> eliminated, std::span<const int> row_order) {
  SchurStructure s;
  const int num_parameter_blocks = static_cast<int>(problem.parameter_blocks.size());
  s.e_block_of_parameter.assign(num_parameter_blocks, -1);
  s.f_block_of_parameter.assign(num_parameter_blocks, -1);

  for (int p : eliminated) {
    if (p < 0 || p >= num_parameter_blocks) {
      throw Error("Schur elimination: parameter block index " + std::to_string(p) + " is out of range [0, " +
                  std::to_string(num_parameter_blocks) + ")");
    }
  }
  // The e-blocks go in the order of the first residual block reading each
  // (blocks no residual reads last), not in the order given: the
  // elimination visits the chunks in e-block order, and in this order it
  // walks the Jacobian's rows forward (laid out in schur_row_order(), which
  // groups them in this same order) and, where the residuals come grouped by
  // point along a camera path (BAL files, the generated scenes), S's blocks
  // too. The automatic ordering lists the points by degree, which
  // scattered the chunks over the whole Jacobian: trafalgar-257's
  // elimination then waited on memory for a third of its time.
  std::vector<int> first_residual(num_parameter_blocks, std::numeric_limits<int>::max());
  for (int b = static_cast<int>(problem.residual_blocks.size()) - 1; b >= 0; --b) {
    for (int p : problem.residual_blocks[b].parameter_blocks) first_residual[p] = b;
  }
  std::vector<int> order(eliminated.begin(), eliminated.end());
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return first_residual[a] < first_residual[b]; });
  for (int p : order) {
    if (layout.tangent_offset(p) < 0) {
      throw Error("Schur elimination: parameter block " + std::to_string(p) + " is constant and cannot be eliminated");
    }
    if (s.e_block_of_parameter[p] >= 0) {
      throw Error("Schur elimination: parameter block " + std::to_string(p) + " is listed twice");
    }
    SchurStructure::Block block;
    block.parameter_block = p;
    block.size = layout.tangent_size(p);
    block.column = layout.tangent_offset(p);
    block.reduced_offset = s.num_e_coordinates;
    s.num_e_coordinates += block.size;
    s.max_e_block_size = std::max(s.max_e_block_size, block.size);
    s.e_block_of_parameter[p] = static_cast<int>(s.e_blocks.size());
    s.e_blocks.push_back(block);
  }
  // The kept blocks in Jacobian column order; the layout places variable
  // blocks in the order they were added, so that is index order.
  std::vector<std::pair<int, int>> kept;  // (column, parameter block)
  for (int p = 0; p < num_parameter_blocks; ++p) {
    if (layout.tangent_offset(p) >= 0 && s.e_block_of_parameter[p] < 0) kept.emplace_back(layout.tangent_offset(p), p);
  }
  std::sort(kept.begin(), kept.end());
  for (auto [column, p] : kept) {
    SchurStructure::Block block;
    block.parameter_block = p;
    block.size = layout.tangent_size(p);
    block.column = column;
    block.reduced_offset = s.num_f_coordinates;
    s.num_f_coordinates += block.size;
    s.max_f_block_size = std::max(s.max_f_block_size, block.size);
    s.f_block_of_parameter[p] = static_cast<int>(s.f_blocks.size());
    s.f_blocks.push_back(block);
  }

  // Rows and value offsets as the evaluator lays out its sparse pattern: the
  // residual blocks' rows one after another in row_order, each row listing
  // the block's variable parameter blocks' columns in increasing order.
  const int num_residual_blocks = static_cast<int>(problem.residual_blocks.size());
  if (!row_order.empty())
    require_residual_block_order(row_order, num_residual_blocks, "Schur elimination: the row order");
  s.residual_blocks.resize(num_residual_blocks);
  size_t num_f_cells = 0;  // counted first so that f_cells is allocated once, to size
  for (const ResidualBlockInfo& info : problem.residual_blocks) {
    for (int p : info.parameter_blocks) num_f_cells += s.f_block_of_parameter[p] >= 0 ? 1 : 0;
  }
  s.f_cells.reserve(num_f_cells);
  std::vector<int> chunk_sizes(s.e_blocks.size(), 0);
  std::vector<std::pair<int, int>> spans;  // (column, parameter block) of one residual block
  long row = 0, value = 0;
  for (int slot = 0; slot < num_residual_blocks; ++slot) {
    const int b = row_order.empty() ? slot : row_order[static_cast<size_t>(slot)];  // named in errors
    const ResidualBlockInfo& info = problem.residual_blocks[b];
    SchurStructure::ResidualBlock& rb = s.residual_blocks[slot];
    rb.row = static_cast<int>(row);
    rb.num_rows = info.cost->num_residuals();
    spans.clear();
    for (int p : info.parameter_blocks) {
      if (layout.tangent_offset(p) >= 0) spans.emplace_back(layout.tangent_offset(p), p);
    }
    std::sort(spans.begin(), spans.end());
    rb.f_cell_begin = static_cast<int>(s.f_cells.size());
    int position = 0;
    for (auto [column, p] : spans) {
      const int offset = static_cast<int>(value + position);  // checked below
      if (s.e_block_of_parameter[p] >= 0) {
        if (rb.e_block >= 0) {
          throw Error("Schur elimination: residual block " + std::to_string(b) + " reads two eliminated parameter " +
                      "blocks (" + std::to_string(s.e_blocks[rb.e_block].parameter_block) + " and " +
                      std::to_string(p) + "); eliminated blocks must share no residual block");
        }
        rb.e_block = s.e_block_of_parameter[p];
        rb.e_value_offset = offset;
      } else {
        s.f_cells.push_back({s.f_block_of_parameter[p], offset});
      }
      position += layout.tangent_size(p);
    }
    rb.f_cell_end = static_cast<int>(s.f_cells.size());
    rb.row_stride = position;
    if (value + static_cast<long>(rb.num_rows) * position > std::numeric_limits<int>::max()) {
      throw Error("Schur elimination: the Jacobian has more than " + std::to_string(std::numeric_limits<int>::max()) +
                  " entries (from residual block " + std::to_string(b) + " on)");
    }
    if (rb.e_block >= 0) ++chunk_sizes[rb.e_block];
    row += rb.num_rows;
    value += static_cast<long>(rb.num_rows) * position;
  }
  s.num_jacobian_rows = row;
  s.num_jacobian_columns = layout.num_tangent_parameters();
  s.num_jacobian_nonzeros = value;

  s.chunk_starts.assign(s.e_blocks.size() + 1, 0);
  for (size_t e = 0; e < s.e_blocks.size(); ++e) s.chunk_starts[e + 1] = s.chunk_starts[e] + chunk_sizes[e];
  s.chunk_residual_blocks.resize(s.chunk_starts.back());
  std::vector<int> fill(s.chunk_starts.begin(), s.chunk_starts.end() - 1);
  for (int b = 0; b < num_residual_blocks; ++b) {
    const int e = s.residual_blocks[b].e_block;
    if (e >= 0) {
      s.chunk_residual_blocks[fill[e]++] = b;
    } else {
      s.f_only_residual_blocks.push_back(b);
    }
  }
  return s;
}

bool matches_pattern(const SchurStructure& structure, const SparseRowMatrix& jacobian) {
  if (jacobian.rows() != structure.num_jacobian_rows || jacobian.cols() != structure.num_jacobian_columns ||
      jacobian.nonZeros() != structure.num_jacobian_nonzeros || !jacobian.isCompressed()) {
    return false;
  }
  const int* starts = jacobian.outerIndexPtr();
  const int* columns = jacobian.innerIndexPtr();
  for (const SchurStructure::ResidualBlock& rb : structure.residual_blocks) {
    if (rb.num_rows == 0) continue;
    const long first = starts[rb.row];
    if (starts[rb.row + 1] - first != rb.row_stride) return false;
    if (rb.e_block >= 0 && columns[rb.e_value_offset] != structure.e_blocks[rb.e_block].column) return false;
    for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) {
      const SchurStructure::Cell& cell = structure.f_cells[c];
      if (columns[cell.value_offset] != structure.f_blocks[cell.block].column) return false;
    }
  }
  return true;
}

}  // namespace curvature::internal
