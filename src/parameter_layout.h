// parameter_layout.h — where each variable parameter block of a Problem sits
// in the effective vector x the solvers work on, and that vector's bounds.
// Internal; shared by the full and the minibatch evaluators.
//
// The variable blocks are laid out one after another in the order they were
// added; constant blocks have no coordinates (offset -1). The layout is taken
// when it is built: the Problem must not gain blocks or change which are
// constant while it is in use.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "problem_impl.h"

namespace curvature::internal {

class ParameterLayout {
 public:
  explicit ParameterLayout(const Problem::Impl& problem);

  int num_parameters() const { return num_parameters_; }
  // Offset in x of parameter block `block`; -1 when it is constant.
  int offset(int block) const { return offsets_[static_cast<size_t>(block)]; }

  // The user's parameter blocks as one effective vector, and back.
  void gather(Eigen::VectorXd* x) const;
  void scatter(const Eigen::VectorXd& x) const;

  // Bounds per effective coordinate (+-infinity where unset).
  const Eigen::VectorXd& lower_bounds() const { return lower_; }
  const Eigen::VectorXd& upper_bounds() const { return upper_; }
  bool has_bounds() const { return has_bounds_; }

 private:
  std::vector<double*> values_;  // per parameter block: the user's memory
  std::vector<int> sizes_;       // per parameter block
  std::vector<int> offsets_;     // per parameter block; -1 when constant
  int num_parameters_ = 0;
  Eigen::VectorXd lower_, upper_;
  bool has_bounds_ = false;
};

}  // namespace curvature::internal
