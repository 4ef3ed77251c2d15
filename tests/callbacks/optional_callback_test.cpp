// callbacks::if_present: forwards exactly the hooks of the wrapped type, and
// only while the optional holds an object.
#include <doctest/doctest.h>

#include <optional>

#include "lowp/callbacks/optional_callback.hpp"

using namespace lowp;

namespace {
struct counts {
  int begin = 0, epoch = 0, end = 0;
};
struct full {
  counts* n;
  bool stop = false;
  void on_begin(const run_info&) { ++n->begin; }
  bool on_epoch_end(const epoch_state&) { return ++n->epoch, stop; }
  void on_end(const epoch_state&, const report&) { ++n->end; }
};
struct epoch_only {
  counts* n;
  bool on_epoch_end(const epoch_state&) { return ++n->epoch, false; }
};
using opt_full = callbacks::optional_callback<full>;
using opt_epoch = callbacks::optional_callback<epoch_only>;
static_assert(callback<opt_full> && has_on_begin<opt_full> && has_on_epoch_end<opt_full> && has_on_end<opt_full>);
static_assert(callback<opt_epoch> && !has_on_begin<opt_epoch> && has_on_epoch_end<opt_epoch> && !has_on_end<opt_epoch>);
}  // namespace

TEST_CASE("if_present forwards every hook while engaged and nothing while empty") {
  counts n;
  std::optional<full> f;
  auto cb = callbacks::if_present(f);
  const run_info info{};
  const epoch_state s{};
  const report r{};
  cb.on_begin(info);
  CHECK_FALSE(cb.on_epoch_end(s));
  cb.on_end(s, r);
  CHECK(n.begin + n.epoch + n.end == 0);
  f.emplace(full{&n, true});
  cb.on_begin(info);
  CHECK(cb.on_epoch_end(s));  // the wrapped object's stop request comes through
  cb.on_end(s, r);
  CHECK(n.begin == 1);
  CHECK(n.epoch == 1);
  CHECK(n.end == 1);
  std::optional<epoch_only> e{epoch_only{&n}};
  auto ce = callbacks::if_present(e);
  CHECK_FALSE(ce.on_epoch_end(s));
  CHECK(n.epoch == 2);
}
