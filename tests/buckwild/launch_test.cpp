// Buckwild! worker launchers: OpenMP (default), std::thread and oneTBB (when
// TBB is found; LOWP_TEST_TBB). Every launcher must run each worker index
// exactly once, give the same bits on one thread, and converge alike on two.
// Not in the ThreadSanitizer stage: libgomp and libtbb are not instrumented
// (buckwild_solver_test covers std::thread under TSan).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "buckwild/fixtures.hpp"
#include "lowp/datasets/synthetic.hpp"
#include "lowp/solvers/buckwild/buckwild.hpp"
#ifdef LOWP_TEST_TBB
#include "lowp/solvers/buckwild/onetbb.hpp"
#endif

using namespace lowp;
namespace syn = lowp::datasets::synthetic;

namespace {

const auto& data() { return buckwild_fixture::logistic_data(); }

buckwild_options options(int threads) {
  buckwild_options o;
  o.step_size = 0.005;
  o.step_decay = 0.9;
  o.epochs = 8;
  o.l2 = 1e-3;
  o.seed = 42;
  o.threads = threads;
  return o;
}

template <class Launch>
void each_index_once() {
  for (int T : {1, 2, 3, 8}) {
    std::vector<std::atomic<int>> hits(static_cast<std::size_t>(T));
    for (auto& h : hits) h = 0;
    Launch::launch(T, [&](int t) {
      REQUIRE(t >= 0);
      REQUIRE(t < T);
      hits[static_cast<std::size_t>(t)].fetch_add(1);
    });
    for (int t = 0; t < T; ++t) CHECK(hits[static_cast<std::size_t>(t)].load() == 1);
  }
}

template <class Launch, class D, class M>
report run(const buckwild_problem<D>& p, int threads, std::vector<double>& w) {
  w.assign(p.d, 0.0);
  return buckwild<D, M, float, race::atomic_relaxed, dither::independent, Launch>(options(threads)).optimize(p, w);
}

// f - f_opt after 8 epochs on two threads. The same bounds as the std::thread
// test in solver_test.cpp (derivation there): M8's rounding-noise floor
// d s_M^2 / (16 alpha) = 0.11, float < 0.01; a run that lost a worker's share or
// stalled sits at f(0) = log 2, an excess of 0.26.
template <class Launch>
void converges_on_two_threads() {
  const auto& lp = data();
  const auto p8 = make_buckwild_problem<std::int8_t>(lp.data, linear_loss::logistic);
  const auto pf = make_buckwild_problem<float>(lp.data, linear_loss::logistic);
  std::vector<double> w;
  const report r8 = run<Launch, std::int8_t, std::int8_t>(p8, 2, w);
  const report rf = run<Launch, float, float>(pf, 2, w);
  CAPTURE(Launch::name);
  CAPTURE(r8.objective);
  CAPTURE(rf.objective);
  CHECK(r8.why == status::max_epochs);
  CHECK(r8.objective - lp.f_opt < 0.11);
  CHECK(rf.objective - lp.f_opt < 0.01);
  // Every example of an epoch is processed once, whichever thread runs it.
  buckwild<std::int8_t, std::int8_t, float, race::atomic_relaxed, dither::independent, Launch> s(options(2));
  auto m = s.make_model(p8, std::vector<double>(p8.d, 0.0), 1.0);
  const auto c = s.run_epoch(p8, m, 0, 0.005, 2);
  CHECK(c.updates == p8.n);
  CHECK(c.numbers == p8.n * p8.d);
}

}  // namespace

TEST_CASE("buckwild launchers run every worker index exactly once") {
  each_index_once<threads::openmp>();
  each_index_once<threads::std_threads>();
#ifdef LOWP_TEST_TBB
  each_index_once<threads::onetbb>();
#endif
}

TEST_CASE("buckwild launchers give the same bits on one thread") {
  const auto p8 = make_buckwild_problem<std::int8_t>(data().data, linear_loss::logistic);
  std::vector<double> a, b;
  const report ra = run<threads::openmp, std::int8_t, std::int8_t>(p8, 1, a);
  const report rb = run<threads::std_threads, std::int8_t, std::int8_t>(p8, 1, b);
  CHECK(a == b);
  CHECK(ra.objective == rb.objective);
#ifdef LOWP_TEST_TBB
  std::vector<double> c;
  run<threads::onetbb, std::int8_t, std::int8_t>(p8, 1, c);
  CHECK(a == c);
#endif
}

TEST_CASE("buckwild OpenMP launcher converges on two threads") { converges_on_two_threads<threads::openmp>(); }
TEST_CASE("buckwild std-thread launcher converges on two threads") { converges_on_two_threads<threads::std_threads>(); }
#ifdef LOWP_TEST_TBB
TEST_CASE("buckwild oneTBB launcher converges on two threads") { converges_on_two_threads<threads::onetbb>(); }
#endif
