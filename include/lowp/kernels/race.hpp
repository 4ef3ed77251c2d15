// Race policies: how lock-free solvers (Hogwild!, Buckwild!) read and write
// a model that other threads update at the same time.
//
//   race::atomic_relaxed  every element access goes through
//                         std::atomic_ref<T>(x).load/store(memory_order_relaxed).
//                         Defined behaviour, no `lock` prefix on x86 (a plain
//                         mov), ThreadSanitizer-clean; but the compiler will
//                         not vectorise the loops (DESIGN.md, E4). The default.
//   race::racy_simd       plain loads and stores, and the solvers may call the
//                         SIMD kernels on the shared model. Concurrent
//                         read-modify-writes of the same element from two
//                         threads are a data race in the C++ memory model,
//                         i.e. undefined behaviour; it is what Hogwild! and
//                         Buckwild! do as measured in their papers. On x86
//                         naturally aligned 1/2/4-byte accesses are
//                         single-copy atomic, so an element is never torn;
//                         updates can be lost, which the algorithm tolerates.
//                         Use it for speed, never under -fsanitize=thread (the
//                         threaded TSan tests use atomic_relaxed only).
//
// Both give the same results on one thread, bit for bit (tested).
#ifndef LOWP_KERNELS_RACE_HPP
#define LOWP_KERNELS_RACE_HPP

#include <atomic>
#include <concepts>

namespace lowp {
namespace race {

struct atomic_relaxed {
  static constexpr const char* name = "atomic_relaxed";
  static constexpr bool vectorised = false;
  template <class T>
  static T load(const T* p) noexcept {
    // atomic_ref needs a non-const referent; a relaxed load does not write.
    return std::atomic_ref<T>(*const_cast<T*>(p)).load(std::memory_order_relaxed);
  }
  template <class T>
  static void store(T* p, T v) noexcept {
    std::atomic_ref<T>(*p).store(v, std::memory_order_relaxed);
  }
};

struct racy_simd {
  static constexpr const char* name = "racy_simd";
  static constexpr bool vectorised = true;
  template <class T>
  static T load(const T* p) noexcept {
    return *p;
  }
  template <class T>
  static void store(T* p, T v) noexcept {
    *p = v;
  }
};

template <class R>
concept race_policy = requires(int* p, int v) {
  { R::vectorised } -> std::convertible_to<bool>;
  { R::template load<int>(p) } -> std::same_as<int>;
  R::template store<int>(p, v);
};

}  // namespace race
}  // namespace lowp
#endif
