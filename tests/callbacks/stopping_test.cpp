// The callbacks that stop a run (early_stop_at_min_loss, time_limit,
// gap_tolerance) stop at exactly the epoch their rule says, and store_best
// keeps a true copy of the best iterate.
#include <doctest/doctest.h>

#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "callback_test_support.hpp"
#include "lowp/callbacks/early_stop_at_min_loss.hpp"
#include "lowp/callbacks/gap_tolerance.hpp"
#include "lowp/callbacks/store_best.hpp"
#include "lowp/callbacks/time_limit.hpp"

namespace cb = lowp::callbacks;
using lowp_test::k_nan;

namespace {

std::vector<lowp::epoch_state> objectives(std::initializer_list<double> fs) {
  std::vector<lowp::epoch_state> v;
  for (double f : fs) v.push_back(lowp_test::state(v.size(), f));
  return v;
}

}  // namespace

TEST_CASE("early_stop_at_min_loss: stops after patience epochs without improvement") {
  cb::early_stop_at_min_loss stop(3);
  //                          0     1    2    3    4    5    6    7
  const auto s = objectives({10.0, 9.0, 8.0, 8.0, 8.5, 8.0, 7.0, 6.0});
  CHECK(lowp_test::drive(s, stop) == 5);  // 3, 4, 5 do not beat 8.0 (equal is no improvement)
  CHECK(stop.best_objective() == 8.0);
  CHECK(stop.best_epoch() == 2);
}

TEST_CASE("early_stop_at_min_loss: an improvement resets the count") {
  cb::early_stop_at_min_loss stop(2);
  const auto s = objectives({10.0, 10.0, 9.0, 9.5, 8.0, 8.0, 8.0, 1.0});
  CHECK(lowp_test::drive(s, stop) == 6);
  CHECK(stop.best_epoch() == 4);
}

TEST_CASE("early_stop_at_min_loss: improvements of at most min_delta do not count") {
  cb::early_stop_at_min_loss stop(2, 0.1);
  // 1.0 -> 0.95 -> 0.9 -> 0.85: each step 0.05, and 0.9 is exactly 0.1 below
  // the best 1.0, which is not *more* than min_delta.
  const auto s = objectives({1.0, 0.95, 0.9, 0.85, 0.5});
  CHECK(lowp_test::drive(s, stop) == 2);
  cb::early_stop_at_min_loss keep_going(2, 0.1);
  CHECK(lowp_test::drive(objectives({1.0, 0.8, 0.6, 0.4, 0.2}), keep_going) == 5);
}

TEST_CASE("early_stop_at_min_loss: a NaN objective stops at once") {
  cb::early_stop_at_min_loss stop(100);
  CHECK(lowp_test::drive(objectives({3.0, 2.0, k_nan, 1.0}), stop) == 2);
  cb::early_stop_at_min_loss first(100);
  CHECK(lowp_test::drive(objectives({k_nan, 1.0}), first) == 0);
}

TEST_CASE("time_limit: stops at the first epoch whose seconds reach the limit") {
  std::vector<lowp::epoch_state> s;
  for (double t : {0.0, 0.4, 0.8, 0.99, 1.2, 1.6}) s.push_back(lowp_test::state(s.size(), 1.0, t));
  cb::time_limit limit(1.0);
  CHECK(lowp_test::drive(s, limit) == 4);
  cb::time_limit exact(0.8);  // equal to the limit already stops
  CHECK(lowp_test::drive(s, exact) == 2);
  cb::time_limit zero(0.0);
  CHECK(lowp_test::drive(s, zero) == 0);
}

TEST_CASE("gap_tolerance: stops when gap is at most tol and ignores NaN gaps") {
  std::vector<lowp::epoch_state> s;
  for (double g : {1.0, k_nan, 1e-3, 1e-6, 1e-9}) {
    s.push_back(lowp_test::state(s.size(), 1.0));
    s.back().gap = g;
  }
  cb::gap_tolerance tol(1e-6);
  CHECK(lowp_test::drive(s, tol) == 3);  // 1e-6 <= 1e-6
  cb::gap_tolerance tight(1e-12);
  CHECK(lowp_test::drive(s, tight) == s.size());
  std::vector<lowp::epoch_state> unknown;
  for (std::size_t e = 0; e < 4; ++e) unknown.push_back(lowp_test::state(e, 0.0));  // gap stays NaN
  cb::gap_tolerance any(1e300);
  CHECK(lowp_test::drive(unknown, any) == unknown.size());
}

TEST_CASE("store_best: keeps a copy of the model with the lowest objective") {
  cb::store_best best;
  CHECK_FALSE(best.has_value());
  std::vector<double> w(5);
  const double fs[] = {4.0, 2.0, k_nan, 2.0, 3.0, 1.5, 1.75};
  for (std::size_t e = 0; e < std::size(fs); ++e) {
    for (std::size_t j = 0; j < w.size(); ++j) w[j] = double(e) * 10 + double(j);
    lowp::epoch_state s = lowp_test::state(e, fs[e]);
    s.model = w;
    CHECK_FALSE(best.on_epoch_end(s));
  }
  // The solver's buffer keeps changing after the epoch; the copy must not.
  for (double& x : w) x = -1;
  REQUIRE(best.has_value());
  CHECK(best.epoch() == 5);
  CHECK(best.objective() == 1.5);
  REQUIRE(best.model().size() == 5);
  for (std::size_t j = 0; j < 5; ++j) CHECK(best.model()[j] == 50.0 + double(j));
}

TEST_CASE("store_best: ties keep the earlier epoch and NaN is never best") {
  cb::store_best best;
  const std::vector<double> a{1, 2}, b{3, 4};
  lowp::epoch_state s = lowp_test::state(0, k_nan);
  s.model = a;
  best.on_epoch_end(s);
  CHECK_FALSE(best.has_value());
  s = lowp_test::state(1, 2.0);
  s.model = a;
  best.on_epoch_end(s);
  s = lowp_test::state(2, 2.0);
  s.model = b;
  best.on_epoch_end(s);
  CHECK(best.epoch() == 1);
  const std::vector<double> got = best.release();
  CHECK(got == a);
}
