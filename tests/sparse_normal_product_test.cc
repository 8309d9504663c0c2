// J^T J formed group by group over a precomputed map, in any column order
// and either triangle, against the dense product.
#include "sparse_normal_product.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "curvature/thread_pool.h"

namespace curvature::internal {
namespace {

// A Jacobian shaped like a pose graph's: residual blocks of `rows` rows,
// each reading two parameter blocks of `size` columns (some edges twice
// the same pair, some blocks read by one edge only), values random.
SparseRowMatrix block_jacobian(int num_blocks, int size, int rows, int num_edges, std::mt19937* rng) {
  std::uniform_int_distribution<int> pick(0, num_blocks - 1);
  std::normal_distribution<double> value;
  std::vector<Eigen::Triplet<double>> entries;
  int row = 0;
  for (int e = 0; e < num_edges; ++e) {
    const int a = pick(*rng);
    int b = pick(*rng);
    if (b == a) b = (a + 1) % num_blocks;
    for (int r = 0; r < rows; ++r, ++row) {
      for (int block : {a, b}) {
        for (int c = 0; c < size; ++c) entries.emplace_back(row, block * size + c, value(*rng));
      }
    }
  }
  // One row over a single column: a group of its own with a run of one.
  entries.emplace_back(row++, 1, value(*rng));
  SparseRowMatrix j(row, num_blocks * size);
  j.setFromTriplets(entries.begin(), entries.end());
  j.makeCompressed();
  return j;
}

// The dense (permuted) J^T J read back from the product's pattern, with the
// entries the pattern does not hold left at zero.
Eigen::MatrixXd from_pattern(const SparseNormalProduct& product, const std::vector<double>& values) {
  const int n = product.cols();
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
  for (int k = 0; k < n; ++k) {
    for (int p = product.outer()[k]; p < product.outer()[k + 1]; ++p) {
      const int other = product.inner()[p];
      EXPECT_TRUE(product.lower() ? other >= k : other <= k) << "entry (" << k << ", " << other << ")";
      a(k, other) = a(other, k) = values[static_cast<size_t>(p)];
    }
  }
  return a;
}

void expect_matches_dense(const SparseRowMatrix& j, const std::vector<int>& permutation, bool lower) {
  SparseNormalProduct product;
  product.analyze(j);
  ASSERT_TRUE(product.same_pattern(j));
  product.set_ordering(permutation, lower);
  std::vector<double> values(product.nonzeros());
  product.compute(j, values.data());

  const Eigen::MatrixXd dense = Eigen::MatrixXd(j);
  const Eigen::MatrixXd normal = dense.transpose() * dense;
  const int n = product.cols();
  Eigen::MatrixXd expected(n, n);
  for (int x = 0; x < n; ++x) {
    EXPECT_EQ(product.column(x), permutation[x]);
    for (int y = 0; y < n; ++y) expected(x, y) = normal(permutation[x], permutation[y]);
  }
  const Eigen::MatrixXd formed = from_pattern(product, values);
  EXPECT_LT((formed - expected).cwiseAbs().maxCoeff(), 1e-12 * normal.cwiseAbs().maxCoeff());
  for (int k = 0; k < n; ++k) {
    EXPECT_EQ(product.inner()[static_cast<size_t>(product.diagonal_position(k))], k);
    EXPECT_EQ(values[static_cast<size_t>(product.diagonal_position(k))], formed(k, k));
  }
}

TEST(SparseNormalProduct, MatchesTheDenseProductInJsOwnOrder) {
  std::mt19937 rng(5);
  const SparseRowMatrix j = block_jacobian(12, 3, 4, 30, &rng);
  std::vector<int> identity(static_cast<size_t>(j.cols()));
  std::iota(identity.begin(), identity.end(), 0);
  expect_matches_dense(j, identity, false);
  expect_matches_dense(j, identity, true);
}

TEST(SparseNormalProduct, MatchesTheDenseProductInAnyOrderAndEitherTriangle) {
  std::mt19937 rng(7);
  const SparseRowMatrix j = block_jacobian(15, 4, 3, 40, &rng);
  const int n = static_cast<int>(j.cols());
  // Whole blocks moved (runs stay runs), then columns scattered one by one.
  std::vector<int> blocks(15);
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  std::vector<int> by_block;
  for (int block : blocks) {
    for (int c = 0; c < 4; ++c) by_block.push_back(block * 4 + c);
  }
  std::vector<int> scattered(static_cast<size_t>(n));
  std::iota(scattered.begin(), scattered.end(), 0);
  std::shuffle(scattered.begin(), scattered.end(), rng);
  for (const auto& permutation : {by_block, scattered}) {
    expect_matches_dense(j, permutation, false);
    expect_matches_dense(j, permutation, true);
  }
}

TEST(SparseNormalProduct, SameBitsOnOneTwoAndThreeThreads) {
  std::mt19937 rng(13);
  // Groups of more than kRowsPerChunk rows too, summed chunk by chunk.
  for (int rows : {3, 40}) {
    const SparseRowMatrix j = block_jacobian(30, 3, rows, 90, &rng);
    std::vector<int> scattered(static_cast<size_t>(j.cols()));
    std::iota(scattered.begin(), scattered.end(), 0);
    std::shuffle(scattered.begin(), scattered.end(), rng);
    for (bool lower : {false, true}) {
      SparseNormalProduct product;
      product.analyze(j);
      product.set_ordering(scattered, lower);
      std::vector<double> serial(product.nonzeros()), parallel(product.nonzeros(), -1.0);
      product.compute(j, serial.data());
      for (int threads : {2, 3}) {
        ThreadPool pool(threads);
        product.compute(j, parallel.data(), &pool);
        EXPECT_EQ(std::memcmp(serial.data(), parallel.data(), serial.size() * sizeof(double)), 0)
            << threads << " threads, " << rows << " rows per group, lower " << lower;
      }
    }
  }
}

TEST(SparseNormalProduct, ScalesTheSameBitsWithItsRowsCompressed) {
  std::mt19937 rng(17);
  const SparseRowMatrix j = block_jacobian(15, 4, 3, 40, &rng);
  const int n = static_cast<int>(j.cols());
  std::vector<int> scattered(static_cast<size_t>(n));
  std::iota(scattered.begin(), scattered.end(), 0);
  std::shuffle(scattered.begin(), scattered.end(), rng);
  std::vector<double> scale(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) scale[static_cast<size_t>(k)] = 0.5 + 0.1 * k;
  for (bool lower : {false, true}) {
    SparseNormalProduct product;
    product.analyze(j);
    product.set_ordering(scattered, lower);
    const size_t nonzeros = product.nonzeros();
    std::vector<double> values(nonzeros);
    product.compute(j, values.data());
    // S A S entry by entry, from the full pattern.
    std::vector<double> expected = values;
    for (int k = 0; k < n; ++k) {
      for (int p = product.outer()[k]; p < product.outer()[k + 1]; ++p) {
        expected[static_cast<size_t>(p)] *= scale[static_cast<size_t>(k)] * scale[product.inner()[p]];
      }
    }
    std::vector<double> full = values;
    product.scale(scale.data(), full.data());
    EXPECT_EQ(std::memcmp(full.data(), expected.data(), nonzeros * sizeof(double)), 0) << "lower " << lower;

    product.compress_rows();
    EXPECT_TRUE(product.inner().empty());
    EXPECT_EQ(product.nonzeros(), nonzeros);
    EXPECT_TRUE(product.same_pattern(j));
    std::vector<double> compressed(nonzeros);
    product.compute(j, compressed.data());
    product.scale(scale.data(), compressed.data());
    EXPECT_EQ(std::memcmp(compressed.data(), expected.data(), nonzeros * sizeof(double)), 0) << "lower " << lower;

    product.analyze(j);
    EXPECT_EQ(product.inner().size(), product.nonzeros());
  }
}

TEST(SparseNormalProduct, RecognisesOnlyItsOwnPattern) {
  std::mt19937 rng(11);
  const SparseRowMatrix j = block_jacobian(10, 2, 3, 20, &rng);
  SparseNormalProduct product;
  product.analyze(j);
  SparseRowMatrix same = j;
  for (Eigen::Index k = 0; k < same.nonZeros(); ++k) same.valuePtr()[k] *= 2.0;
  EXPECT_TRUE(product.same_pattern(same));
  EXPECT_FALSE(product.same_pattern(block_jacobian(10, 2, 3, 20, &rng)));
  SparseRowMatrix shorter = j.topRows(j.rows() - 1);
  shorter.makeCompressed();
  EXPECT_FALSE(product.same_pattern(shorter));
}

}  // namespace
}  // namespace curvature::internal
