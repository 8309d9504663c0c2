// The CHOLMOD backend of SparseCholeskyFactorization (CURVATURE_USE_SUITESPARSE=ON).
// CHOLMOD picks a simplicial LDL' or a supernodal LL' factor by the
// matrix's fill; the symbolic factorization is reused for every numeric one.
// With a thread pool, a simplicial factorization after the first runs its
// rows by the schedule of simplicial_row_schedule.h: cholmod_rowfac
// factors any range of rows whose descendants are done, so each thread
// calls it on its own subtrees (with its own cholmod_common for workspace),
// and the calling thread then factors the rows above them.
#include <cholmod.h>
#include <dlfcn.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "curvature/thread_pool.h"
#include "simplicial_row_schedule.h"
#include "sparse_cholesky_factorization.h"
#include "suitesparse_common.h"

namespace curvature::internal {
namespace {

std::string cholmod_status_text(int status) {
  switch (status) {
    case CHOLMOD_OK:
      return "ok";
    case CHOLMOD_NOT_POSDEF:
      return "matrix not positive definite";
    case CHOLMOD_DSMALL:
      return "diagonal entry of the factor tiny";
    case CHOLMOD_OUT_OF_MEMORY:
      return "out of memory";
    case CHOLMOD_TOO_LARGE:
      return "problem too large for int indices";
    case CHOLMOD_INVALID:
      return "invalid input";
    case CHOLMOD_NOT_INSTALLED:
      return "method not installed";
    default:
      return "status " + std::to_string(status);
  }
}

// Keeps CHOLMOD on the calling thread while it lives. Debian's CHOLMOD
// opens OpenMP teams of a fixed size (CHOLMOD_OMP_NUM_THREADS, 4) inside the
// supernodal factorization to clear and assemble large supernodes, whatever
// the caller's thread count: a solve asked to use one thread then wakes
// three more at every large supernode, and on a loaded or small machine the
// futex traffic costs more than the loops it splits (a tenth of a pose-graph
// solve). Those loops only copy values, so running them on one thread gives
// the same factor bit for bit. max-active-levels is a per-thread setting in
// OpenMP 5 runtimes (libgomp since GCC 11), so other threads of the process
// keep theirs; it is restored on exit. CHOLMOD brings the OpenMP runtime
// when it was built with one, so its entry points are looked up at run time
// and a CHOLMOD without OpenMP needs nothing.
class SerialOpenMpScope {
 public:
  SerialOpenMpScope() {
    static const Entries entries = lookup();
    if (entries.get == nullptr || entries.set == nullptr) return;
    set_ = entries.set;
    saved_ = entries.get();
    set_(0);
  }
  ~SerialOpenMpScope() {
    if (set_) set_(saved_);
  }
  SerialOpenMpScope(const SerialOpenMpScope&) = delete;
  SerialOpenMpScope& operator=(const SerialOpenMpScope&) = delete;

 private:
  struct Entries {
    int (*get)() = nullptr;
    void (*set)(int) = nullptr;
  };
  static Entries lookup() {
    Entries entries;
    entries.get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_max_active_levels"));
    entries.set = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "omp_set_max_active_levels"));
    return entries;
  }
  void (*set_)(int) = nullptr;
  int saved_ = 0;
};

// A CHOLMOD view (no copy) of the caller's upper triangle.
cholmod_sparse view_of(const SymmetricUpperView& a) {
  return cholmod_view(static_cast<size_t>(a.n), static_cast<size_t>(a.n), a.outer, a.inner, a.values, a.lower ? -1 : 1);
}

}  // namespace

struct SparseCholeskyFactorization::State {
  CholmodCommon common{CholmodCommon::IndexType::kInt};
  cholmod_factor* factor = nullptr;
  cholmod_dense* solution = nullptr;  // reused by cholmod_solve2
  cholmod_dense* solve_y = nullptr;
  cholmod_dense* solve_e = nullptr;
  bool supernodal = false;  // what the last ordering's analysis chose
  ThreadPool* pool = nullptr;
  // Workspace for the pool's threads other than the calling one.
  std::vector<std::unique_ptr<CholmodCommon>> thread_commons;
  // Planned from the first simplicial factor of each analysis.
  RowSchedule schedule;
  bool schedule_planned = false;

  void free_all() {
    schedule = {};
    schedule_planned = false;
    if (factor) cholmod_free_factor(&factor, common.get());
    if (solution) cholmod_free_dense(&solution, common.get());
    if (solve_y) cholmod_free_dense(&solve_y, common.get());
    if (solve_e) cholmod_free_dense(&solve_e, common.get());
  }
  ~State() { free_all(); }
};

SparseCholeskyFactorization::SparseCholeskyFactorization() : state_(std::make_unique<State>()) {}
SparseCholeskyFactorization::~SparseCholeskyFactorization() = default;

void SparseCholeskyFactorization::set_thread_pool(ThreadPool* pool) {
  state_->pool = pool;
  state_->thread_commons.clear();
  state_->schedule = {};
  state_->schedule_planned = false;
  const int threads = pool ? pool->num_threads() : 1;
  for (int t = 1; t < threads; ++t) {
    state_->thread_commons.push_back(std::make_unique<CholmodCommon>(CholmodCommon::IndexType::kInt));
  }
}

const char* SparseCholeskyFactorization::backend() { return "CHOLMOD"; }
bool SparseCholeskyFactorization::supernodal() { return true; }

// The fill-reducing ordering. AMD is quick to compute and good for most
// patterns. On large mesh-like patterns (3-D pose graphs, grids) nested
// dissection by METIS leaves markedly fewer flops per factorization (the
// sphere2500 pose graph: 0.68e9 against AMD's 1.13e9), and a solve factors
// the same pattern at every iteration, so its longer analysis pays. Hence AMD
// first and, when AMD's factorization would take more than this many flops,
// METIS too, keeping the ordering with fewer flops. (CHOLMOD's own default
// tries METIS only when AMD's fill is extreme; a CHOLMOD built without METIS
// keeps AMD.)
constexpr double kNestedDissectionTrialFlops = 1e8;

std::string SparseCholeskyFactorization::fill_reducing_ordering(const SymmetricUpperView& a,
                                                                std::vector<int>* permutation) {
  state_->free_all();
  cholmod_sparse view = view_of(a);
  view.xtype = CHOLMOD_PATTERN;
  view.x = nullptr;
  cholmod_common* c = state_->common.get();
  c->nmethods = 1;
  c->method[0].ordering = CHOLMOD_AMD;
  c->postorder = 1;
  cholmod_factor* factor = cholmod_analyze(&view, c);
  if (factor == nullptr || c->status < CHOLMOD_OK) {
    return "cholmod_analyze failed: " + cholmod_status_text(c->status);
  }
  if (c->fl > kNestedDissectionTrialFlops) {
    const double amd_flops = c->fl;
    c->method[0].ordering = CHOLMOD_METIS;
    cholmod_factor* nested = cholmod_analyze(&view, c);
    if (nested != nullptr && c->status == CHOLMOD_OK && c->fl < amd_flops) {
      cholmod_free_factor(&factor, c);
      factor = nested;
    } else if (nested != nullptr) {
      cholmod_free_factor(&nested, c);
    }
    c->status = CHOLMOD_OK;  // a METIS that failed (or is missing) leaves the AMD analysis standing
  }
  // The ordering includes the elimination tree's postordering, which keeps
  // the supernodes' columns together.
  const auto* perm = static_cast<const int*>(factor->Perm);
  permutation->assign(perm, perm + a.n);
  state_->supernodal = factor->is_super;
  cholmod_free_factor(&factor, c);
  return {};
}

// The supernodal factorization of a permuted matrix given in its final
// order reads the lower triangle as it is; the upper one it would transpose
// at every factorization. The simplicial one reads the upper triangle.
bool SparseCholeskyFactorization::prefers_lower_triangle() const { return state_->supernodal; }

// The matrix arrives permuted, so CHOLMOD keeps its order (no postordering
// either: the ordering above has it) and factors the caller's arrays as
// they are, without the permuted transpose it would otherwise build at
// every factorization.
std::string SparseCholeskyFactorization::analyze(const SymmetricUpperView& a) {
  state_->free_all();
  cholmod_sparse view = view_of(a);
  cholmod_common* c = state_->common.get();
  c->nmethods = 1;
  c->method[0].ordering = CHOLMOD_NATURAL;
  c->postorder = 0;
  state_->factor = cholmod_analyze(&view, c);
  if (state_->factor == nullptr || c->status < CHOLMOD_OK) {
    return "cholmod_analyze failed: " + cholmod_status_text(c->status);
  }
  const auto* perm = static_cast<const int*>(state_->factor->Perm);
  for (int k = 0; k < a.n; ++k) {
    if (perm[k] != k) return "cholmod_analyze reordered a matrix given in its final order";
  }
  return {};
}

namespace {

// What cholmod_factorize_p does for a simplicial factor in its final order
// (cholmod_rowfac over all rows, L->is_ll as final_ll asks), with the rows
// split by `schedule`: the tasks on the pool's threads, then the rows
// above them on the calling one. L must be numeric already, so that no call
// allocates it; every column then has room for its entries.
void factorize_by_schedule(cholmod_sparse* a, double beta[2], const RowSchedule& schedule, ThreadPool& pool,
                           cholmod_common* common, const std::vector<std::unique_ptr<CholmodCommon>>& thread_commons,
                           cholmod_factor* factor) {
  factor->is_ll = common->final_ll ? 1 : 0;
  // The restart cholmod_rowfac makes itself only when asked for all rows.
  auto* column_counts = static_cast<int*>(factor->nz);
  std::fill(column_counts, column_counts + factor->n, 1);
  factor->minor = factor->n;
  common->status = CHOLMOD_OK;
  std::vector<int> status(schedule.tasks.size(), CHOLMOD_OK);
  pool.parallel_for(static_cast<int>(schedule.tasks.size()), [&](int thread, int begin, int end) {
    cholmod_common* own = thread == 0 ? common : thread_commons[static_cast<size_t>(thread) - 1]->get();
    for (int t = begin; t < end; ++t) {
      for (const auto& [first, last] : schedule.tasks[static_cast<size_t>(t)]) {
        cholmod_rowfac(a, nullptr, beta, static_cast<size_t>(first), static_cast<size_t>(last), factor, own);
        status[static_cast<size_t>(t)] = own->status;
        if (own->status != CHOLMOD_OK) break;
      }
    }
  });
  for (int task_status : status) {
    if (task_status != CHOLMOD_OK) {
      common->status = task_status;
      return;
    }
  }
  for (const auto& [first, last] : schedule.after) {
    cholmod_rowfac(a, nullptr, beta, static_cast<size_t>(first), static_cast<size_t>(last), factor, common);
    if (common->status != CHOLMOD_OK) return;
  }
}

}  // namespace

std::string SparseCholeskyFactorization::factorize(const SymmetricUpperView& a, double shift) {
  cholmod_sparse view = view_of(a);
  cholmod_common* c = state_->common.get();
  cholmod_factor* factor = state_->factor;
  double beta[2] = {shift, 0.0};
  const SerialOpenMpScope serial;
  int ok = 1;
  if (!state_->schedule.empty() && factor->xtype != CHOLMOD_PATTERN && !factor->is_super && !a.lower) {
    factorize_by_schedule(&view, beta, state_->schedule, *state_->pool, c, state_->thread_commons, factor);
  } else {
    ok = cholmod_factorize_p(&view, beta, nullptr, 0, factor, c);
  }
  if (!(ok && c->status == CHOLMOD_OK && factor->minor == factor->n)) return cholmod_status_text(c->status);
  if (!state_->schedule_planned && !factor->is_super && state_->pool && state_->pool->num_threads() > 1) {
    state_->schedule_planned = true;
    state_->schedule = plan_row_schedule(static_cast<int>(factor->n), static_cast<const int*>(factor->p),
                                         static_cast<const int*>(factor->nz), static_cast<const int*>(factor->i),
                                         state_->pool->num_threads());
  }
  return {};
}

// Read where cholmod_rcond reads them: L_jj^2 for LL' (simplicial or
// supernodal), D_jj for a simplicial LDL'.
double SparseCholeskyFactorization::min_pivot() const {
  const cholmod_factor& factor = *state_->factor;
  const auto* x = static_cast<const double*>(factor.x);
  double smallest = std::numeric_limits<double>::infinity();
  if (factor.is_super) {
    const auto* super = static_cast<const int*>(factor.super);
    const auto* pi = static_cast<const int*>(factor.pi);
    const auto* px = static_cast<const int*>(factor.px);
    for (size_t s = 0; s < factor.nsuper; ++s) {
      const int columns = super[s + 1] - super[s];
      const int rows = pi[s + 1] - pi[s];
      for (int jj = 0; jj < columns; ++jj) {
        const double pivot = x[px[s] + jj * rows + jj];
        smallest = std::min(smallest, pivot * pivot);
      }
    }
  } else {
    const auto* p = static_cast<const int*>(factor.p);
    for (size_t j = 0; j < factor.n; ++j) {
      const double pivot = x[p[j]];
      smallest = std::min(smallest, factor.is_ll ? pivot * pivot : pivot);
    }
  }
  return smallest;
}

std::string SparseCholeskyFactorization::solve(const Eigen::VectorXd& b, Eigen::VectorXd* x) {
  cholmod_dense rhs = cholmod_view(b.data(), static_cast<size_t>(b.size()));
  cholmod_common* c = state_->common.get();
  if (!cholmod_solve2(CHOLMOD_A, state_->factor, &rhs, nullptr, &state_->solution, nullptr, &state_->solve_y,
                      &state_->solve_e, c)) {
    return "cholmod_solve2 failed: " + cholmod_status_text(c->status);
  }
  *x = Eigen::Map<const Eigen::VectorXd>(static_cast<const double*>(state_->solution->x), b.size());
  return {};
}

}  // namespace curvature::internal
