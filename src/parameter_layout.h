// parameter_layout.h — where each variable parameter block of a Problem sits
// in the effective vectors the solvers work on, and those vectors' bounds.
// Internal; shared by the full and the minibatch evaluators.
//
// Two vectors: the point x holds every variable block's ambient numbers (the
// user's values), and steps, gradients and Jacobian columns hold each
// block's tangent coordinates (manifold.h). A block without a manifold, or
// with a Euclidean one, has the same coordinates in both; a block on a
// manifold moves through Manifold::plus(). Without manifolds the two
// layouts are the same and plus() is x + delta.
//
// The variable blocks are laid out one after another in the order they were
// added; constant blocks have no coordinates (offset -1). The layout is taken
// when it is built: the Problem must not gain blocks or change which are
// constant, or their manifolds, while it is in use.
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "problem_impl.h"

namespace curvature::internal {

class ParameterLayout {
 public:
  explicit ParameterLayout(const Problem::Impl& problem);

  int num_parameters() const { return num_parameters_; }                // ambient: the size of x
  int num_tangent_parameters() const { return num_tangent_; }           // the size of steps and gradients
  bool has_manifolds() const { return has_manifolds_; }                 // some variable block steps through one
  int num_blocks() const { return static_cast<int>(offsets_.size()); }  // parameter blocks, constant or not
  // The user's memory of parameter block `block`, and its (ambient) size.
  double* values(int block) const { return values_[static_cast<size_t>(block)]; }
  int size(int block) const { return sizes_[static_cast<size_t>(block)]; }
  // Offset in x of parameter block `block`; -1 when it is constant.
  int offset(int block) const { return offsets_[static_cast<size_t>(block)]; }
  // Offset of the block's tangent coordinates; -1 when it is constant.
  int tangent_offset(int block) const {
    return has_manifolds_ ? tangent_offsets_[static_cast<size_t>(block)] : offset(block);
  }
  int tangent_size(int block) const {
    return has_manifolds_ ? tangent_sizes_[static_cast<size_t>(block)] : size(block);
  }
  // The manifold the block steps through; null for plain coordinates.
  const Manifold* manifold(int block) const {
    return has_manifolds_ ? manifolds_[static_cast<size_t>(block)] : nullptr;
  }
  // The same, but null also for a manifold whose plus-Jacobian is the
  // identity (Manifold::has_identity_plus_jacobian): a block whose Jacobian
  // columns are taken as the cost function writes them.
  const Manifold* jacobian_manifold(int block) const {
    return has_manifolds_ ? jacobian_manifolds_[static_cast<size_t>(block)] : nullptr;
  }

  // The user's parameter blocks as one effective vector, and back.
  void gather(Eigen::VectorXd* x) const;
  void scatter(const Eigen::VectorXd& x) const;

  // *result = x "+" delta: plain addition for plain blocks, Manifold::plus()
  // for the others. False when a manifold's plus() fails; *error (if given)
  // then names the block. `result` must not alias x or delta.
  bool plus(const Eigen::VectorXd& x, const Eigen::VectorXd& delta, Eigen::VectorXd* result,
            std::string* error = nullptr) const;
  // x in tangent coordinates, for the tests that compare the point with a
  // gradient or scale it: plain coordinates as they are, and for every
  // tangent coordinate of a manifold block the block's Euclidean norm (its
  // magnitude; bounds never apply there). Without manifolds, x itself.
  void tangent_coordinates(const Eigen::VectorXd& x, Eigen::VectorXd* result) const;

  // Each jacobian_manifold() block's plus_jacobian() at x, row-major ambient
  // x tangent, into *storage at plus_jacobian_offset(block). False (the block named in
  // *error) when a manifold cannot compute it.
  bool plus_jacobians(const Eigen::VectorXd& x, std::vector<double>* storage, std::string* error) const;
  size_t plus_jacobian_offset(int block) const {
    return has_manifolds_ ? jacobian_offsets_[static_cast<size_t>(block)] : 0;
  }
  size_t plus_jacobian_storage() const { return jacobian_storage_; }
  // gradient_t = P^T gradient_a block by block, from an ambient gradient
  // (num_parameters()) and the plus-Jacobians of plus_jacobians().
  void tangent_gradient(const Eigen::VectorXd& ambient, const std::vector<double>& jacobians,
                        Eigen::VectorXd* tangent) const;

  // Bounds per coordinate of x (+-infinity where unset), and the same per
  // tangent coordinate (manifold blocks have none).
  const Eigen::VectorXd& lower_bounds() const { return lower_; }
  const Eigen::VectorXd& upper_bounds() const { return upper_; }
  const Eigen::VectorXd& tangent_lower_bounds() const { return has_manifolds_ ? tangent_lower_ : lower_; }
  const Eigen::VectorXd& tangent_upper_bounds() const { return has_manifolds_ ? tangent_upper_ : upper_; }
  bool has_bounds() const { return has_bounds_; }

 private:
  std::vector<double*> values_;  // per parameter block: the user's memory
  std::vector<int> sizes_;       // per parameter block
  std::vector<int> offsets_;     // per parameter block; -1 when constant
  // The next five only when has_manifolds_ (empty otherwise: the tangent
  // layout is then the ambient one).
  std::vector<int> tangent_offsets_;                 // per parameter block; -1 when constant
  std::vector<int> tangent_sizes_;                   // per parameter block
  std::vector<const Manifold*> manifolds_;           // per parameter block; null for plain coordinates
  std::vector<const Manifold*> jacobian_manifolds_;  // per parameter block; jacobian_manifold()
  std::vector<size_t> jacobian_offsets_;             // per parameter block, into plus_jacobians' storage
  size_t jacobian_storage_ = 0;
  std::vector<int> manifold_blocks_;  // the variable jacobian_manifold() blocks, in order
  int num_parameters_ = 0;
  int num_tangent_ = 0;
  bool has_manifolds_ = false;
  Eigen::VectorXd lower_, upper_, tangent_lower_, tangent_upper_;
  bool has_bounds_ = false;
};

}  // namespace curvature::internal
