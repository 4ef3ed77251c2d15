// SGD and SVRG: the full-precision references, their statuses and their
// input validation.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "problems.hpp"

using namespace lowp;
using lowp_test::ls_problem;
using lowp_test::recorder;
using q8 = fixed<8, dynamic_scale>;

TEST_CASE("SVRG converges to machine precision and reports converged on a tolerance") {
  ls_problem pr(20);
  auto w = pr.zeros();
  const report r = svrg<>({.epochs = 50, .tolerance = 1e-12, .seed = 1}).optimize(pr.f, w);
  CHECK(r.why == status::converged);
  CHECK(r.epochs < 50);
  CHECK(r.full_gradient_norm <= 1e-12);
  CHECK((r.objective - pr.f_star) / pr.f_star <= 1e-13);
}

TEST_CASE("SVRG option II also converges linearly") {
  ls_problem pr(20);
  auto w = pr.zeros();
  const report r = svrg<>({.epochs = 30, .seed = 1, .option_two = true}).optimize(pr.f, w);
  CHECK((r.objective - pr.f_star) / pr.f_star <= 1e-10);
}

TEST_CASE("constant-step SGD stalls at a noise floor and a decaying step goes below it") {
  ls_problem pr(20);
  recorder constant, decaying;
  auto w = pr.zeros();
  sgd<>({.epochs = 30, .seed = 3}).optimize(pr.f, w, constant);
  w = pr.zeros();
  sgd<>({.epochs = 30, .seed = 3, .step_decay = 1.0}).optimize(pr.f, w, decaying);
  const double g_const = constant.rel_gaps(pr.f_star).back(), g_decay = decaying.rel_gaps(pr.f_star).back();
  MESSAGE("SGD after 30 epochs: constant " << g_const << ", decaying " << g_decay);
  CHECK(g_const > 1e-3);  // spec 4: 6.3e-3 absolute, ~5e-2 relative
  CHECK(g_decay < g_const / 5);
}

TEST_CASE("a step size far above 2/L is reported as diverged with the last good model") {
  ls_problem pr(20);
  auto w = pr.zeros();
  const report r = sgd<>({.step_size = 10.0 / pr.f.smoothness() * 50, .epochs = 10, .seed = 1}).optimize(pr.f, w);
  CHECK(r.why == status::diverged);
  CHECK(!r.message.empty());
  for (double v : w) CHECK(std::isfinite(v));
}

TEST_CASE("a callback returning true stops the run and every callback saw the last epoch") {
  ls_problem pr(20);
  struct stop_at_3 {
    bool on_epoch_end(const epoch_state& s) { return s.epoch == 3; }
  } stop;
  recorder rec;
  struct ends {
    int begins = 0, finals = 0;
    status seen = status::converged;
    void on_begin(const run_info& i) { begins += i.dimension == 20; }
    void on_end(const epoch_state&, const report& r) { ++finals, seen = r.why; }
  } e;
  auto w = pr.zeros();
  const report r = svrg<>({.epochs = 10, .seed = 1}).optimize(pr.f, w, stop, rec, e);
  CHECK(r.why == status::stopped_by_callback);
  CHECK(r.epochs == 3);
  CHECK(rec.states.size() == 4);  // epochs 0..3
  CHECK(e.begins == 1);
  CHECK(e.finals == 1);
  CHECK(e.seen == status::stopped_by_callback);
}

TEST_CASE("bad parameters and mismatched models throw invalid_argument") {
  ls_problem pr(5);
  auto w = pr.zeros();
  CHECK_THROWS_AS(svrg<>({.step_size = -1}), std::invalid_argument);
  CHECK_THROWS_AS(svrg<>({.epochs = 0}), std::invalid_argument);
  std::vector<double> wrong(4, 0.0);
  CHECK_THROWS_WITH_AS(svrg<>().optimize(pr.f, wrong), doctest::Contains("needs 5"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(svrg<q8>().optimize(pr.f, w), doctest::Contains("delta"), std::invalid_argument);
  CHECK_THROWS_AS(sgd<q8>().optimize(pr.f, w), std::invalid_argument);
  std::vector<double> nan_start(5, 0.0);
  nan_start[2] = std::nan("");
  CHECK_THROWS_AS(halp<q8>().optimize(pr.f, nan_start), std::invalid_argument);
  // Logistic regression without l2 has no strong-convexity bound: HALP needs mu.
  auto lp = lowp::datasets::synthetic::logistic_regression({.n = 100, .d = 5, .seed = 4});
  objectives::logistic_regression<lowp::datasets::dense_dataset> f(lp.data, 0.0);
  CHECK_THROWS_WITH_AS(halp<q8>().optimize(f, w), doctest::Contains("mu"), std::invalid_argument);
}
