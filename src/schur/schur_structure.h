// schur_structure.h — the block structure the Schur-complement solvers work
// on. Internal.
//
// Bundle adjustment's normal equations, with the parameter blocks split into
// eliminated e-blocks (points, 3 coordinates) and kept f-blocks (cameras, 9),
//
//   [ E^T E + D_e^2   E^T F         ] [dy]   [ -E^T r ]
//   [ F^T E           F^T F + D_f^2 ] [dz] = [ -F^T r ]
//
// have a block-diagonal E^T E when no residual block reads two e-blocks;
// eliminating dy leaves the reduced system in dz alone,
//
//   S = F^T F + D_f^2 - F^T E (E^T E + D_e^2)^-1 E^T F.
//
// This file only describes where things are: which parameter blocks are e
// and which f, where their columns sit in the Jacobian (the problem's tangent
// layout, parameter_layout.h) and in the reduced system, which rows each
// residual block owns, and where each (residual block, parameter block)
// slice of the Jacobian lives in the CRS value array of a SparseRowMatrix
// with the evaluator's pattern (rows per residual block in the order the
// evaluator was given, see schur_row_order(); columns sorted within a row).
// Every row of a residual block has the same columns, so a slice is found
// from one offset and a row stride:
//
//   J(row0 + i, column0 + c) = values[value_offset + i * row_stride + c]
//
// The residual blocks are also grouped by the e-block they read ("chunks"),
// the unit of work of the elimination: one point and its observations.
#pragma once

#include <span>
#include <vector>

#include "curvature/problem.h"
#include "parameter_layout.h"
#include "problem_impl.h"

namespace curvature::internal {

struct SchurStructure {
  // A variable parameter block on one side of the split.
  struct Block {
    int parameter_block = 0;  // its index in Problem::Impl::parameter_blocks
    int size = 0;             // its tangent size: the number of its Jacobian columns
    int column = 0;           // its first Jacobian column (ParameterLayout::tangent_offset)
    // e-blocks: its first coordinate within the eliminated vector dy (the
    // e-blocks one after another in the order of e_blocks). f-blocks: its
    // first row/column within the reduced system S and the vector dz.
    int reduced_offset = 0;
  };

  // A (residual block, parameter block) slice of the Jacobian.
  // Offsets into the value array are int, as the SparseRowMatrix's own
  // indices are: 8 bytes a cell and 28 a residual block, not 16 and 32 (a
  // bundle adjustment has one f-cell and one residual block per observation).
  struct Cell {
    int block = 0;         // index into e_blocks or f_blocks (whichever side the cell is on)
    int value_offset = 0;  // in the CRS value array: the slice's first row, first column
  };

  struct ResidualBlock {
    int row = 0;         // its first Jacobian row (and residual)
    int num_rows = 0;    // its residuals
    int row_stride = 0;  // nonzeros per Jacobian row: the distance between its rows in the value array
    // The e-block it reads (index into e_blocks), -1 when none.
    int e_block = -1;
    int e_value_offset = 0;  // the e-cell's value_offset (meaningless when e_block < 0)
    // Its f-cells: f_cells[f_cell_begin .. f_cell_end), in increasing column order.
    int f_cell_begin = 0;
    int f_cell_end = 0;
  };

  // Eliminated, in the order of the first residual block reading each (the
  // Jacobian's row order; blocks no residual reads last, in the order given).
  std::vector<Block> e_blocks;
  std::vector<Block> f_blocks;  // kept, in increasing Jacobian column order
  int num_e_coordinates = 0;    // size of dy: sum of the e-blocks' sizes
  int num_f_coordinates = 0;    // size of dz and of S: sum of the f-blocks' sizes
  int max_f_block_size = 0;     // the largest f-block (9 for BAL cameras)
  int max_e_block_size = 0;     // the largest e-block (3 for BAL points)

  // One per residual block of the problem, in the Jacobian's row order (the
  // row order build_schur_structure() was given; the problem's by default):
  // the chunks and f_only_residual_blocks below index this vector.
  std::vector<ResidualBlock> residual_blocks;
  std::vector<Cell> f_cells;  // every residual block's f-cells, see ResidualBlock

  // Chunks: chunk e (one per e-block, same index) holds the residual blocks
  // chunk_residual_blocks[chunk_starts[e] .. chunk_starts[e + 1]), in
  // increasing row order. chunk_starts has e_blocks.size() + 1 entries.
  std::vector<int> chunk_starts;
  std::vector<int> chunk_residual_blocks;
  // Residual blocks that read no e-block (only f-blocks, or nothing
  // variable), in increasing row order: they go to S as F^T F alone.
  std::vector<int> f_only_residual_blocks;

  // Per parameter block of the problem: its index in e_blocks, -1 when not
  // eliminated (kept, or constant).
  std::vector<int> e_block_of_parameter;
  // Per parameter block of the problem: its index in f_blocks, -1 when not
  // kept (eliminated, or constant).
  std::vector<int> f_block_of_parameter;

  long num_jacobian_rows = 0;
  long num_jacobian_columns = 0;
  long num_jacobian_nonzeros = 0;
};

// The order of the Jacobian's rows the Schur solvers want: the residual
// blocks (indices into Problem::Impl::residual_blocks) grouped by the
// eliminated block they read, the groups in the order of each eliminated
// block's first residual block, the user's order kept within a group, and
// the blocks that read no eliminated block last, in the user's order.
// The elimination, the back-substitution and the implicit-Schur products
// walk the rows point by point; with the residual blocks added camera by
// camera (image by image, as many users do), that walk jumps across J and
// the solvers wait on memory. Laid out in this order by the evaluator
// (Evaluator::Options::row_order), J's rows are read forward.
//
// Empty when the problem's own order already groups them (every eliminated
// block's residual blocks contiguous among those reading an eliminated
// block, as in BAL files and the generated scenes): the identity, so those
// problems keep their rows, and their bits, exactly. Indices in `eliminated`
// out of range are ignored here (build_schur_structure() names them).
std::vector<int> schur_row_order(const Problem::Impl& problem, std::span<const int> eliminated);

// The structure of `problem` with the variable parameter blocks `eliminated`
// (indices into Problem::Impl::parameter_blocks, in any order) as
// e-blocks and every other variable block as an f-block, with the
// Jacobian's rows laid out residual block after residual block in
// `row_order` (a permutation of the problem's residual blocks, as
// schur_row_order() gives; empty: the problem's order). `layout` must be
// the problem's. Throws curvature::Error naming the item when an eliminated
// block is out of range, constant, listed twice, or when a residual block
// reads two eliminated blocks, when row_order is not a permutation, or when
// the Jacobian has more entries than an int counts. Residual blocks are
// named by their index in the problem whatever the row order.
SchurStructure build_schur_structure(const Problem::Impl& problem, const ParameterLayout& layout,
                                     std::span<const int> eliminated, std::span<const int> row_order = {});

// Whether `jacobian` has the pattern the structure describes (dimensions,
// nonzeros, and each cell's first column where the structure expects it);
// a cheap check done by the solvers in prepare().
bool matches_pattern(const SchurStructure& structure, const SparseRowMatrix& jacobian);

// matches_pattern() for a solver's prepare(), run in full only when the
// matrix's index arrays or sizes differ from those of the last one that
// matched. A solve hands the same Jacobian, its pattern fixed, at every
// iteration, and the full check reads every residual block's columns (2.5%
// of a BAL LM iteration).
class PatternCheck {
 public:
  bool matches(const SchurStructure& structure, const SparseRowMatrix& jacobian) {
    if (jacobian.outerIndexPtr() == starts_ && jacobian.innerIndexPtr() == columns_ &&
        jacobian.nonZeros() == nonzeros_ && jacobian.rows() == rows_ && jacobian.cols() == cols_) {
      return true;
    }
    if (!matches_pattern(structure, jacobian)) return false;
    starts_ = jacobian.outerIndexPtr();
    columns_ = jacobian.innerIndexPtr();
    nonzeros_ = jacobian.nonZeros();
    rows_ = jacobian.rows();
    cols_ = jacobian.cols();
    return true;
  }

 private:
  const int* starts_ = nullptr;
  const int* columns_ = nullptr;
  Eigen::Index nonzeros_ = -1, rows_ = -1, cols_ = -1;
};

}  // namespace curvature::internal
