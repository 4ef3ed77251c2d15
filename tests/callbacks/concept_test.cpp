// Every ready-made callback satisfies lowp::callback; objects that only look
// like callbacks do not (checked at compile time, so this file compiling is
// most of the test).
#include <doctest/doctest.h>

#include <cstdio>
#include <limits>
#include <stdexcept>

#include "lowp/callbacks.hpp"

namespace {

struct no_hooks {
  int x = 0;
};
struct int_epoch_end {
  int on_epoch_end(const lowp::epoch_state&) { return 1; }
};
struct misspelt {
  bool on_epoch_ends(const lowp::epoch_state&) { return true; }
};
struct wrong_argument {
  void on_begin(int) {}
};
struct only_on_end {
  void on_end(const lowp::epoch_state&, const lowp::report&) {}
};

namespace cb = lowp::callbacks;

static_assert(!lowp::callback<no_hooks>);
static_assert(!lowp::callback<int_epoch_end>);
static_assert(!lowp::callback<misspelt>);
static_assert(!lowp::callback<wrong_argument>);
static_assert(lowp::callback<only_on_end>);

static_assert(lowp::callback<cb::print_loss>);
static_assert(lowp::callback<cb::progress_bar>);
static_assert(lowp::callback<cb::trace_to_csv>);
static_assert(lowp::callback<cb::early_stop_at_min_loss>);
static_assert(lowp::callback<cb::time_limit>);
static_assert(lowp::callback<cb::store_best>);
static_assert(lowp::callback<cb::gap_tolerance>);

}  // namespace

TEST_CASE("callback concept: ready-made callbacks pass and look-alikes fail") {
  // The static_asserts above are the test; this keeps the file a test case.
  CHECK(lowp::callback<cb::store_best>);
  CHECK_FALSE(lowp::callback<int_epoch_end>);
}

TEST_CASE("callback arguments are validated") {
  CHECK_THROWS_AS(cb::print_loss(0), std::invalid_argument);
  CHECK_THROWS_AS(cb::early_stop_at_min_loss(0), std::invalid_argument);
  CHECK_THROWS_AS(cb::early_stop_at_min_loss(3, -1.0), std::invalid_argument);
  CHECK_THROWS_AS(cb::early_stop_at_min_loss(3, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  CHECK_THROWS_AS(cb::time_limit(-1.0), std::invalid_argument);
  CHECK_THROWS_AS(cb::gap_tolerance(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  CHECK_THROWS_AS(cb::progress_bar(stderr, cb::progress_bar::mode::plain, 0), std::invalid_argument);
  CHECK_THROWS_AS(cb::text_sink(static_cast<std::FILE*>(nullptr)), std::invalid_argument);
}
