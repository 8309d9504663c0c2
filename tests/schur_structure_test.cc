// The Schur block structure: on a BAL scene with the points eliminated, the
// e- and f-blocks, the chunks, and every cell's value offset read the same
// numbers as the dense Jacobian; bad eliminations are Errors naming the item.
#include "schur/schur_structure.h"

#include <gtest/gtest.h>

#include <vector>

#include "bal.h"
#include "bal_generator.h"
#include "bal_test_util.h"
#include "parameter_layout.h"
#include "test_util.h"

namespace curvature {
namespace {

using internal::SchurStructure;
using testing::expect_error_naming;

struct TinyBal {
  BalScene scene = generate_bal_scene(bal_generator_options("tiny"));
  Problem problem;
  TinyBal() { add_bal_residuals(&scene, &problem); }
  // The problem's index of every point block: added after the cameras.
  std::vector<int> points() const { return testing::point_blocks(scene, problem); }
};

TEST(SchurStructure, PointsEliminatedGiveCameraFBlocksAndOneChunkPerPoint) {
  TinyBal bal;
  const internal::ParameterLayout layout(bal.problem.impl());
  const std::vector<int> points = bal.points();
  const SchurStructure s = internal::build_schur_structure(bal.problem.impl(), layout, points);
  ASSERT_EQ(s.e_blocks.size(), static_cast<size_t>(bal.scene.num_points));
  ASSERT_EQ(s.f_blocks.size(), static_cast<size_t>(bal.scene.num_cameras));
  EXPECT_EQ(s.num_e_coordinates, 3 * bal.scene.num_points);
  EXPECT_EQ(s.num_f_coordinates, 9 * bal.scene.num_cameras);
  EXPECT_EQ(s.max_e_block_size, 3);
  EXPECT_EQ(s.max_f_block_size, 9);
  EXPECT_TRUE(s.f_only_residual_blocks.empty());
  ASSERT_EQ(s.chunk_starts.back(), bal.scene.num_observations());
  for (size_t e = 0; e < s.e_blocks.size(); ++e) {
    for (int i = s.chunk_starts[e]; i < s.chunk_starts[e + 1]; ++i) {
      const int b = s.chunk_residual_blocks[i];
      EXPECT_EQ(bal.scene.observations[b].point, static_cast<int>(e));
      EXPECT_EQ(s.residual_blocks[b].e_block, static_cast<int>(e));
      ASSERT_EQ(s.residual_blocks[b].f_cell_end - s.residual_blocks[b].f_cell_begin, 1);
      const int f = s.f_cells[s.residual_blocks[b].f_cell_begin].block;
      EXPECT_EQ(s.f_blocks[f].parameter_block,
                bal.problem.impl().block_index.at(bal.scene.camera(bal.scene.observations[b].camera)));
    }
  }
}

TEST(SchurStructure, CellOffsetsReadTheJacobiansEntries) {
  TinyBal bal;
  const internal::ParameterLayout layout(bal.problem.impl());
  const SchurStructure s = internal::build_schur_structure(bal.problem.impl(), layout, bal.points());
  Eigen::MatrixXd dense;
  SparseRowMatrix sparse;
  double cost = 0.0;
  ASSERT_TRUE(bal.problem.evaluate({}, &cost, nullptr, nullptr, &dense, &sparse));
  ASSERT_TRUE(internal::matches_pattern(s, sparse));
  const double* values = sparse.valuePtr();
  auto expect_cell = [&](const SchurStructure::ResidualBlock& rb, const SchurStructure::Block& block, long offset) {
    for (int i = 0; i < rb.num_rows; ++i) {
      for (int c = 0; c < block.size; ++c) {
        EXPECT_EQ(values[offset + static_cast<long>(i) * rb.row_stride + c], dense(rb.row + i, block.column + c));
      }
    }
  };
  for (const SchurStructure::ResidualBlock& rb : s.residual_blocks) {
    ASSERT_GE(rb.e_block, 0);
    expect_cell(rb, s.e_blocks[rb.e_block], rb.e_value_offset);
    for (int c = rb.f_cell_begin; c < rb.f_cell_end; ++c) {
      expect_cell(rb, s.f_blocks[s.f_cells[c].block], s.f_cells[c].value_offset);
    }
  }
}

TEST(SchurStructure, ConstantBlocksHaveNoColumnsAndResidualsOnConstantPointsAreFOnly) {
  TinyBal bal;
  bal.problem.set_parameter_block_constant(bal.scene.point(0));
  bal.problem.set_parameter_block_constant(bal.scene.camera(1));
  const internal::ParameterLayout layout(bal.problem.impl());
  std::vector<int> points = bal.points();
  points.erase(points.begin());
  const SchurStructure s = internal::build_schur_structure(bal.problem.impl(), layout, points);
  EXPECT_EQ(s.f_blocks.size(), static_cast<size_t>(bal.scene.num_cameras - 1));
  int on_point_zero = 0;
  for (const BalObservation& o : bal.scene.observations) on_point_zero += o.point == 0;
  EXPECT_EQ(s.f_only_residual_blocks.size(), static_cast<size_t>(on_point_zero));
  Eigen::MatrixXd dense;
  SparseRowMatrix sparse;
  double cost = 0.0;
  ASSERT_TRUE(bal.problem.evaluate({}, &cost, nullptr, nullptr, &dense, &sparse));
  EXPECT_TRUE(internal::matches_pattern(s, sparse));
}

TEST(SchurStructure, BadEliminationsAreErrorsNamingTheBlock) {
  TinyBal bal;
  const internal::ParameterLayout layout(bal.problem.impl());
  const BalObservation& seen = bal.scene.observations[0];
  const int camera = bal.problem.impl().block_index.at(bal.scene.camera(seen.camera));
  const int point = bal.problem.impl().block_index.at(bal.scene.point(seen.point));
  const std::vector<int> two_in_one_residual{camera, point};
  expect_error_naming([&] { internal::build_schur_structure(bal.problem.impl(), layout, two_in_one_residual); },
                      "reads two eliminated parameter blocks");
  const std::vector<int> twice{point, point};
  expect_error_naming([&] { internal::build_schur_structure(bal.problem.impl(), layout, twice); }, "listed twice");
  const std::vector<int> out_of_range{100000};
  expect_error_naming([&] { internal::build_schur_structure(bal.problem.impl(), layout, out_of_range); },
                      "out of range");
}

}  // namespace
}  // namespace curvature
