// suitesparse_common.h — RAII for CHOLMOD's cholmod_common, and CHOLMOD
// views of our matrices. Internal.
#pragma once

#include <cholmod.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

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

// A CHOLMOD view (no copy) of a caller's compressed-column matrix with
// sorted, packed columns: outer[0..cols] the column starts, inner the row
// indices. Index is int (cholmod_*) or std::int64_t (cholmod_l_*, SPQR);
// stype 1 reads the upper triangle of a symmetric matrix, 0 an unsymmetric
// one. CHOLMOD only reads the arrays, hence the casts.
template <typename Index>
cholmod_sparse cholmod_view(std::size_t rows, std::size_t cols, const Index* outer, const Index* inner,
                            const double* values, int stype) {
  static_assert(std::is_same_v<Index, int> || std::is_same_v<Index, std::int64_t>);
  cholmod_sparse view = {};
  view.nrow = rows;
  view.ncol = cols;
  view.nzmax = static_cast<std::size_t>(outer[cols]);
  view.p = const_cast<Index*>(outer);
  view.i = const_cast<Index*>(inner);
  view.x = const_cast<double*>(values);
  view.stype = stype;
  view.itype = std::is_same_v<Index, int> ? CHOLMOD_INT : CHOLMOD_LONG;
  view.xtype = CHOLMOD_REAL;
  view.dtype = CHOLMOD_DOUBLE;
  view.sorted = 1;
  view.packed = 1;
  return view;
}

// A CHOLMOD view (no copy) of one right-hand side of n values; CHOLMOD and
// SPQR only read it.
inline cholmod_dense cholmod_view(const double* values, std::size_t n) {
  cholmod_dense view = {};
  view.nrow = view.nzmax = view.d = n;
  view.ncol = 1;
  view.x = const_cast<double*>(values);
  view.xtype = CHOLMOD_REAL;
  view.dtype = CHOLMOD_DOUBLE;
  return view;
}

}  // namespace curvature::internal
