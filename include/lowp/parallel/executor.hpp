// Executors for the data-parallel parts of a solver (full-gradient passes).
//
// Reductions are deterministic whatever the thread count: the rows are cut
// into blocks whose boundaries depend only on the problem size, each block
// is summed in row order into its own partial, and the partials are added in
// block order. So `serial` and `openmp{8}` give bit-identical full gradients,
// which is what lets a single-threaded run and a threaded one share a trace.
#ifndef LOWP_PARALLEL_EXECUTOR_HPP
#define LOWP_PARALLEL_EXECUTOR_HPP

#include <algorithm>
#include <concepts>
#include <cstddef>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace lowp {
namespace parallel {

struct serial {
  int threads() const noexcept { return 1; }
  template <class F>
  void for_each_block(std::size_t blocks, F&& f) const {
    for (std::size_t b = 0; b < blocks; ++b) f(b);
  }
};

// OpenMP when the build has it (lowp::lowp links OpenMP::OpenMP_CXX when
// found); otherwise the same code runs serially.
struct openmp {
  int n = 0;  // 0 = OpenMP's default (OMP_NUM_THREADS or the core count)
  int threads() const noexcept {
#ifdef _OPENMP
    return n > 0 ? n : omp_get_max_threads();
#else
    return 1;
#endif
  }
  template <class F>
  void for_each_block(std::size_t blocks, F&& f) const {
#ifdef _OPENMP
    const long nb = static_cast<long>(blocks);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads())
    for (long b = 0; b < nb; ++b) f(static_cast<std::size_t>(b));
#else
    for (std::size_t b = 0; b < blocks; ++b) f(b);
#endif
  }
};

template <class E>
concept executor = requires(const E& e, std::size_t n, void (*f)(std::size_t)) {
  { e.threads() } -> std::convertible_to<int>;
  e.for_each_block(n, f);
};

// Fixed row blocking: about 64 blocks (enough to balance 2..64 threads), at
// least 256 rows each so a block's partial is worth its memory.
struct row_blocks {
  std::size_t rows, size, count;
  explicit row_blocks(std::size_t n) noexcept
      : rows(n), size(std::max<std::size_t>(256, (n + 63) / 64)), count(n == 0 ? 0 : (n + size - 1) / size) {}
  std::size_t begin(std::size_t b) const noexcept { return b * size; }
  std::size_t end(std::size_t b) const noexcept { return std::min(rows, (b + 1) * size); }
};

}  // namespace parallel
}  // namespace lowp
#endif
