// covariance.cc — compute_covariance(): checks the request, evaluates J
// through the evaluator (so a block's columns are its tangent coordinates),
// hands J to the dense or sparse algorithm and cuts the requested blocks out
// of the columns it returns.
#include "curvature/covariance.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <string>

#include "covariance_internal.h"
#include "curvature/error.h"
#include "curvature/thread_pool.h"
#include "evaluator.h"
#include "parameter_layout.h"
#include "problem_impl.h"

namespace curvature {
namespace {

constexpr const char* kOptions = "CovarianceOptions";

std::string describe(int index, const double* values) {
  std::ostringstream out;
  out << "parameter block " << index << " (at " << static_cast<const void*>(values) << ")";
  return out.str();
}

std::string describe(const double* values) {
  std::ostringstream out;
  out << "parameter block at " << static_cast<const void*>(values);
  return out.str();
}

// Where each variable block's tangent coordinates sit among J's columns.
struct BlockColumns {
  int offset = -1;
  int size = 0;
};

std::vector<BlockColumns> block_columns(const Problem::Impl& problem, const internal::ParameterLayout& layout) {
  const int count = static_cast<int>(problem.parameter_blocks.size());
  std::vector<BlockColumns> out(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const int offset = layout.tangent_offset(i);
    if (offset >= 0) out[static_cast<size_t>(i)] = {offset, layout.tangent_size(i)};
  }
  return out;
}

}  // namespace

void validate(const CovarianceOptions& options) {
  const bool known_algorithm =
      options.algorithm == CovarianceAlgorithm::kDenseSvd || options.algorithm == CovarianceAlgorithm::kSparseQr;
  require_option(known_algorithm, kOptions, "algorithm", "kDenseSvd or kSparseQr",
                 static_cast<double>(static_cast<int>(options.algorithm)));
  const double rcond = options.min_reciprocal_condition_number;
  require_option(rcond >= 0.0 && rcond < 1.0, kOptions, "min_reciprocal_condition_number", "in [0, 1)", rcond);
  require_option(options.null_space_dimension >= kAutomaticNullSpace, kOptions, "null_space_dimension",
                 "non-negative or kAutomaticNullSpace (-1)", options.null_space_dimension);
  if (options.null_space_dimension != 0 && options.algorithm != CovarianceAlgorithm::kDenseSvd) {
    throw Error(
        "CovarianceOptions::null_space_dimension must be 0 with CovarianceAlgorithm::kSparseQr (only the "
        "dense SVD drops a null space), got " +
        std::to_string(options.null_space_dimension));
  }
  require_option(options.num_threads >= 1 && options.num_threads <= kMaxThreads, kOptions, "num_threads",
                 "in [1, " + std::to_string(kMaxThreads) + "]", options.num_threads);
}

// Fills a CovarianceResult; the friend that may.
class CovarianceResultBuilder {
 public:
  static CovarianceResult compute(const Problem& problem, const std::vector<CovarianceBlockPair>& pairs,
                                  const CovarianceOptions& options);
};

CovarianceResult CovarianceResultBuilder::compute(const Problem& problem, const std::vector<CovarianceBlockPair>& pairs,
                                                  const CovarianceOptions& options) {
  validate(options);
  if (pairs.empty()) throw Error("compute_covariance: no pair of parameter blocks requested");
  const Problem::Impl& impl = problem.impl();
  const internal::ParameterLayout layout(impl);
  const std::vector<BlockColumns> columns_of = block_columns(impl, layout);

  // Each requested block: known and variable.
  auto variable_block = [&](const double* values) {
    const int index = impl.find_block(values, "compute_covariance");
    if (layout.offset(index) < 0) {
      throw Error("compute_covariance: " + describe(index, values) +
                  " is constant: it has no columns in J and no covariance (make it variable, or leave it out)");
    }
    return index;
  };
  std::vector<std::pair<int, int>> indices;
  for (const auto& [a, b] : pairs) indices.emplace_back(variable_block(a), variable_block(b));

  internal::Evaluator evaluator(problem, {.num_threads = options.num_threads,
                                          .apply_loss = options.apply_loss,
                                          .residual_blocks = {},
                                          .sparse = options.algorithm == CovarianceAlgorithm::kSparseQr,
                                          .row_order = {}});
  const int m = evaluator.num_residuals();
  const int n = evaluator.num_tangent_parameters();  // J's columns
  if (options.scale_by_residual_variance && m <= n) {
    throw Error(
        "CovarianceOptions::scale_by_residual_variance needs more residuals than parameters to estimate "
        "s^2 = 2 cost / (m - n), got m = " +
        std::to_string(m) + ", n = " + std::to_string(n));
  }
  if (options.null_space_dimension > n) {
    throw Error("CovarianceOptions::null_space_dimension must be at most the number of parameters " +
                std::to_string(n) + ", got " + std::to_string(options.null_space_dimension));
  }

  CovarianceResult result;
  result.num_parameters_ = n;
  result.num_residuals_ = m;

  // The columns of C the pairs need: those of each pair's second block.
  std::vector<int> columns;
  for (const auto& [a, b] : indices) {
    for (int c = 0; c < columns_of[b].size; ++c) columns.push_back(columns_of[b].offset + c);
  }
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());

  const Eigen::VectorXd x = evaluator.gather_parameters();
  double cost = 0.0;
  Eigen::VectorXd residuals;
  Eigen::MatrixXd dense;
  SparseRowMatrix sparse;
  internal::EvaluationRequest request{.residuals = &residuals};
  if (options.algorithm == CovarianceAlgorithm::kSparseQr) {
    sparse = evaluator.make_sparse_jacobian();
    request.sparse_jacobian = &sparse;
  } else {
    request.dense_jacobian = &dense;
  }
  const internal::EvaluationStatus status = evaluator.evaluate(x, &cost, request);
  if (!status.ok) {
    result.message_ = "J cannot be evaluated at the current point: " + status.message;
    return result;
  }

  const internal::CovarianceColumns found = options.algorithm == CovarianceAlgorithm::kSparseQr
                                                ? internal::sparse_qr_covariance(sparse, columns, options)
                                                : internal::dense_svd_covariance(dense, columns, options);
  result.rank_ = found.rank;
  result.reciprocal_condition_number_ = found.reciprocal_condition_number;
  result.message_ = found.message;
  // The blocks holding the null space's columns, in the problem's order.
  std::vector<int> null_blocks;
  for (int column : found.null_space_columns) {
    for (int i = 0; i < static_cast<int>(columns_of.size()); ++i) {
      const BlockColumns& block = columns_of[static_cast<size_t>(i)];
      if (block.offset >= 0 && column >= block.offset && column < block.offset + block.size &&
          (null_blocks.empty() || null_blocks.back() != i)) {
        null_blocks.push_back(i);
      }
    }
  }
  if (!null_blocks.empty()) {
    result.message_ += "; the null space involves";
    for (size_t k = 0; k < null_blocks.size(); ++k) {
      const int i = null_blocks[k];
      result.null_space_blocks_.push_back(impl.parameter_blocks[static_cast<size_t>(i)].values);
      result.message_ += (k ? ", " : " ") + describe(i, impl.parameter_blocks[static_cast<size_t>(i)].values);
    }
  }
  if (!found.ok) return result;

  result.scale_ = options.scale_by_residual_variance ? 2.0 * cost / (m - n) : 1.0;
  // C is symmetric, and so is what the result hands out: C(b, a) is C(a, b)
  // transposed bit for bit (computed from different columns, the two would
  // differ by rounding), and a block's own covariance is symmetrized.
  for (size_t p = 0; p < pairs.size(); ++p) {
    const auto [a, b] = pairs[p];
    if (result.blocks_.count(pairs[p])) continue;
    if (auto mirror = result.blocks_.find({b, a}); mirror != result.blocks_.end()) {
      result.blocks_[pairs[p]] = mirror->second.transpose();
      continue;
    }
    const BlockColumns& rows = columns_of[static_cast<size_t>(indices[p].first)];
    const BlockColumns& cols = columns_of[static_cast<size_t>(indices[p].second)];
    const auto first_column = std::lower_bound(columns.begin(), columns.end(), cols.offset) - columns.begin();
    Eigen::MatrixXd block = result.scale_ * found.values.block(rows.offset, first_column, rows.size, cols.size);
    if (a == b) block = 0.5 * (block + block.transpose()).eval();
    result.blocks_[pairs[p]] = std::move(block);
  }
  result.ok_ = true;
  return result;
}

CovarianceResult compute_covariance(const Problem& problem, const std::vector<CovarianceBlockPair>& pairs,
                                    const CovarianceOptions& options) {
  return CovarianceResultBuilder::compute(problem, pairs, options);
}

CovarianceResult compute_covariance(const Problem& problem, const double* block, const CovarianceOptions& options) {
  return CovarianceResultBuilder::compute(problem, {{block, block}}, options);
}

Eigen::MatrixXd CovarianceResult::block(const double* a, const double* b) const {
  if (!ok_) throw Error("CovarianceResult::block: no covariance was computed: " + message_);
  if (auto it = blocks_.find({a, b}); it != blocks_.end()) return it->second;
  if (auto it = blocks_.find({b, a}); it != blocks_.end()) return it->second.transpose();
  throw Error("CovarianceResult::block: the pair (" + describe(a) + ", " + describe(b) +
              ") was not requested from compute_covariance");
}

Eigen::VectorXd CovarianceResult::standard_errors(const double* a) const { return block(a, a).diagonal().cwiseSqrt(); }

}  // namespace curvature
