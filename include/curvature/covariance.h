// curvature/covariance.h — the covariance of estimated parameters.
//
// At a solution x* of a least-squares problem with Jacobian J (m residuals,
// n effective parameters), the covariance of the estimate is
//
//   C = (J^T J)^-1,           or, when asked,   C = s^2 (J^T J)^-1,
//   s^2 = 2 cost / (m - n)    (the residual variance, as NIST, GSL and
//                              scipy's curve_fit with absolute_sigma=False
//                              report it).
//
// compute_covariance() evaluates J at the values currently stored in the
// parameter blocks (normally right after a solve) and returns the requested
// blocks of C: the covariance of a block with itself, or the
// cross-covariance of a pair. Each block's rows and columns are its tangent
// coordinates: as many as the block's size for an ordinary block, the
// tangent size when the block lives on a manifold.
//
// Algorithms:
//   - kDenseSvd: the singular value decomposition of the dense J (Eigen's
//     one-sided JacobiSVD up to 64 columns, its divide-and-conquer BDCSVD
//     beyond). O(m n^2) time, O(m n) memory: for up to a few thousand
//     parameters (2,000 take about 7 s). Computes all of C, hands back the
//     requested blocks.
//   - kSparseQr: the sparse QR factorization J E = Q R (SuiteSparseQR, or
//     Eigen's SparseQR in a build without SuiteSparse), then, column by
//     column, C e_j = E R^-1 R^-T E^T e_j (on the equilibrated J, below) for
//     the columns of the requested blocks only: C's other entries are never
//     formed. For large sparse problems (pose graphs, bundle adjustment):
//     ten 2 x 2 blocks of a 200,000-parameter chain take under a second.
//
// The rank test, and why it is scaled. A parameter whose column of J is
// small because of its units (a rate of 1e-4 next to an amplitude of 1e3)
// makes J^T J look nearly singular although the fit determines every
// parameter well; testing the unscaled J^T J refuses many such problems
// (Ceres 2.1's DENSE_SVD refuses 9 of the 27 NIST StRD problems: Misra1b,
// Kirby2, Hahn1, Nelson, Misra1c, Misra1d, Roszman1, MGH10, Bennett5).
// curvature therefore tests the equilibrated Jacobian J D^-1, with D the
// diagonal of J's column norms: rescaling a parameter's units rescales its
// column, which D undoes, so the test sees only how close the columns are
// to being linearly dependent, which no change of units can fix. The
// reciprocal condition number is
//   rcond = (sigma_min / sigma_max)^2   of J D^-1   (that is, of the
//           equilibrated J^T J),
// and the problem counts as rank-deficient when rcond <
// min_reciprocal_condition_number. A duplicated column gives rcond ~ 1e-32;
// the worst of the 27 NIST StRD problems, Bennett5, 3e-10 (its unscaled
// J^T J: 1e-17), followed by the Lanczos problems near 1e-8. The
// covariance itself is computed from the same scaled factorization,
// C = D^-1 ((J D^-1)^T (J D^-1))^-1 D^-1, which keeps its accuracy on such
// problems.
//
// On the sparse path the QR factorization of J D^-1 first drops, with
// SuiteSparseQR's (or Eigen's) column tolerance set to
// sqrt(min_reciprocal_condition_number), any column whose distance from the
// span of the columns before it is below that tolerance; the rank it finds
// is reported. When it finds full rank, rcond is estimated by 30 steps of
// power iteration on J^T J and on its inverse (through the factorization)
// and tested against the same minimum. The estimate approaches sigma_min
// from above, so when the smallest singular values cluster it may
// overestimate rcond by a modest factor; the rank is then reported as
// "at most n - 1".
//
// Rank-deficient problems. Without a null space (null_space_dimension = 0,
// the default), a rank-deficient J gives a result with ok() false, the
// detected rank, the blocks whose coordinates the null space involves, and
// no numbers: block() throws rather than return NaNs or huge values. A
// problem with a known gauge freedom (a pose graph with no pose held
// constant: a rigid motion of the whole graph leaves the cost unchanged)
// sets null_space_dimension to the freedom's dimension (or to
// kAutomaticNullSpace); the result is then the Moore-Penrose
// pseudo-inverse of J^T J, computed from the SVD of the unscaled J with
// that many smallest singular values dropped (unlike the full-rank
// covariance, the pseudo-inverse depends on the parameters' units; it is
// the usual choice for gauge freedoms). Only the dense path has a null
// space.
//
// Misuse throws curvature::Error naming the item (options out of range, a
// block that is not part of the problem or is constant). A Jacobian that
// cannot be evaluated at the current point is not misuse: the result has
// ok() false and a message naming the residual block.
#pragma once

#include <Eigen/Core>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "curvature/problem.h"

namespace curvature {

enum class CovarianceAlgorithm {
  kDenseSvd,  // SVD of the dense Jacobian; the null-space option; exact rcond
  kSparseQr,  // sparse QR; only the requested blocks' columns are computed
};

// null_space_dimension's value for "drop every singular value that fails
// the rank test".
inline constexpr int kAutomaticNullSpace = -1;

struct CovarianceOptions {
  CovarianceAlgorithm algorithm = CovarianceAlgorithm::kDenseSvd;
  // Rank test on the equilibrated J^T J (see the top of this file): the
  // problem is rank-deficient when rcond = (sigma_min / sigma_max)^2 of
  // J D^-1 is below this. In [0, 1). At a given rcond the covariance's
  // largest entries carry a relative rounding error of about
  // 2 eps / sqrt(rcond); the default 1e-14 keeps that near 4e-9 and accepts
  // conditioning 4 orders of magnitude worse than any NIST StRD problem's,
  // while a truly dependent column (rcond near 1e-32) is caught. Long
  // chains of blocks held at one end (odometry, pose graphs with few loop
  // closures) are ill-conditioned without being rank-deficient: the anchored
  // chain of k two-dimensional points of tests/covariance_test.cc has rcond
  // 1.7e-10 (1000 / k)^4 (measured at k = 1000 and 100,000),
  // so with tens of thousands of poses lower this (1e-20 still leaves
  // about 4e-6).
  double min_reciprocal_condition_number = 1e-14;
  // How many of the smallest singular values of J to treat as a null space
  // and drop, giving the pseudo-inverse: 0 (default) none, a rank-deficient
  // problem is then reported as such; k > 0 exactly k (the remaining ones
  // must still pass the rank test); kAutomaticNullSpace every one that
  // fails the rank test. Only with kDenseSvd.
  int null_space_dimension = 0;
  // Multiply C by s^2 = 2 cost / (m - n) (m residuals, n effective tangent
  // parameters), as statisticians report standard errors. Requires m > n.
  bool scale_by_residual_variance = false;
  // Threads that evaluate the residual blocks, in [1, kMaxThreads]. The
  // result is bit-identical for any value.
  int num_threads = 1;
  // With robust losses: J is the loss-corrected Jacobian (the curvature the
  // solver saw); false uses the plain residuals' Jacobian.
  bool apply_loss = true;
};

// Validates `options`, throwing curvature::Error naming the field.
void validate(const CovarianceOptions& options);

// A pair of parameter blocks whose (cross-)covariance is wanted: (a, a) for
// a block's own covariance.
using CovarianceBlockPair = std::pair<const double*, const double*>;

// What compute_covariance() found. Copyable; holds only the requested blocks.
class CovarianceResult {
 public:
  // Whether the requested blocks were computed. False when J is
  // rank-deficient (and no null space was allowed) or could not be
  // evaluated; message() says which.
  bool ok() const { return ok_; }
  // Whether the rank test found J rank-deficient (with a null space
  // allowed, ok() may still be true: the blocks then hold the
  // pseudo-inverse).
  bool rank_deficient() const { return rank_ < num_parameters_; }
  // Why ok() is false, or a note on a pseudo-inverse; empty otherwise.
  const std::string& message() const { return message_; }
  // The numerical rank of J (the detected one; after a null space has been
  // dropped, n minus its dimension).
  int rank() const { return rank_; }
  int num_parameters() const { return num_parameters_; }  // n: effective tangent parameters
  int num_residuals() const { return num_residuals_; }    // m
  // (sigma_min / sigma_max)^2 of the equilibrated J: exact on the dense
  // path, estimated on the sparse one (NaN when the factorization already
  // found J rank-deficient).
  double reciprocal_condition_number() const { return reciprocal_condition_number_; }
  // The factor C was multiplied by: s^2 when scale_by_residual_variance, 1
  // otherwise.
  double scale() const { return scale_; }
  // The blocks whose coordinates the dropped or detected null space
  // involves (components above 1e-8 in a unit null vector), in the
  // problem's order. On the sparse path, the blocks of the near-null
  // direction the rcond estimate found; empty when the factorization itself
  // found J rank-deficient (use kDenseSvd to name the blocks then).
  const std::vector<const double*>& null_space_blocks() const { return null_space_blocks_; }

  // The covariance of block a's tangent coordinates with block b's: a
  // tangent_size(a) x tangent_size(b) matrix. (b, a) is available when
  // (a, b) was requested, as its transpose. Throws curvature::Error when the
  // pair was not requested or when !ok() (quoting message()).
  Eigen::MatrixXd block(const double* a, const double* b) const;
  // sqrt of the diagonal of block(a, a): the standard errors of a's
  // tangent coordinates.
  Eigen::VectorXd standard_errors(const double* a) const;

 private:
  friend class CovarianceResultBuilder;
  bool ok_ = false;
  std::string message_;
  int rank_ = 0;
  int num_parameters_ = 0;
  int num_residuals_ = 0;
  double reciprocal_condition_number_ = 0.0;
  double scale_ = 1.0;
  std::vector<const double*> null_space_blocks_;
  std::map<CovarianceBlockPair, Eigen::MatrixXd> blocks_;
};

// The covariance blocks of `pairs` at the point stored in the problem's
// parameter blocks (see the top of this file). Throws curvature::Error for
// invalid options, an empty pair list, a block that is not in the problem or
// is constant, scale_by_residual_variance with m <= n, and
// null_space_dimension != 0 with kSparseQr or above n.
CovarianceResult compute_covariance(const Problem& problem, const std::vector<CovarianceBlockPair>& pairs,
                                    const CovarianceOptions& options = {});

// The same for one block with itself; then result.standard_errors(block).
CovarianceResult compute_covariance(const Problem& problem, const double* block, const CovarianceOptions& options = {});

}  // namespace curvature
