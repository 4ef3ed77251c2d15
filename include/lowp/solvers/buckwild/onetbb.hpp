// threads::onetbb: the Buckwild!/Hogwild! worker launcher on oneTBB, for
// programs that already run a TBB scheduler (mixing OpenMP and TBB thread
// pools oversubscribes the cores). Include this header only when you use it:
// it is the one lowp header that includes <tbb/...>, and its users link
// TBB::tbb themselves (lowp::lowp does not require TBB).
//
//   lowp::buckwild<std::int8_t, std::int8_t, float, lowp::race::atomic_relaxed,
//                  lowp::dither::independent, lowp::threads::onetbb> solver(opts);
//
// launch(T, f) runs f(0) .. f(T-1) as T tasks in a task_arena of concurrency
// T (the calling thread joins in). TBB does not promise that the T tasks run
// at the same time; Buckwild!'s workers never wait for each other, so the
// result is a valid asynchronous run either way (on one thread, the same
// bits as the other launchers).
#ifndef LOWP_SOLVERS_BUCKWILD_ONETBB_HPP
#define LOWP_SOLVERS_BUCKWILD_ONETBB_HPP

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

namespace lowp {
namespace threads {
struct onetbb {
  static constexpr const char* name = "onetbb";
  template <class F>
  static void launch(int T, F&& f) {
    if (T <= 1) {
      f(0);
      return;
    }
    ::tbb::task_arena arena(T);
    arena.execute([&] {
      ::tbb::parallel_for(
          ::tbb::blocked_range<int>(0, T, 1),
          [&](const ::tbb::blocked_range<int>& r) {
            for (int t = r.begin(); t < r.end(); ++t) f(t);
          },
          ::tbb::simple_partitioner());
    });
  }
};
}  // namespace threads
}  // namespace lowp
#endif
