// suitesparse_common.h — RAII for CHOLMOD's cholmod_common. Internal.
#pragma once

#include <cholmod.h>

namespace curvature::internal {

// Owns a cholmod_common for one solver object. CHOLMOD has two integer
// flavours that must not be mixed: int (cholmod_*) for our own Cholesky, and
// SuiteSparse_long (cholmod_l_*), which SPQR requires.
class CholmodCommon {
 public:
  enum class IndexType { kInt, kLong };

  explicit CholmodCommon(IndexType type) : type_(type) {
    if (type_ == IndexType::kInt) {
      cholmod_start(&common_);
    } else {
      cholmod_l_start(&common_);
    }
    // Failures are reported through our results, not printed by CHOLMOD.
    common_.print = 0;
  }
  ~CholmodCommon() {
    if (type_ == IndexType::kInt) {
      cholmod_finish(&common_);
    } else {
      cholmod_l_finish(&common_);
    }
  }
  CholmodCommon(const CholmodCommon&) = delete;
  CholmodCommon& operator=(const CholmodCommon&) = delete;

  cholmod_common* get() { return &common_; }
  cholmod_common* operator->() { return &common_; }

 private:
  IndexType type_;
  cholmod_common common_;
};

}  // namespace curvature::internal
