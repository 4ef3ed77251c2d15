// trace_to_csv: the CSV reads back to exactly the values fed in, lives under
// a .tmp name until on_end (or the destructor), and a bad path is an error
// that names it.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "callback_test_support.hpp"
#include "lowp/callbacks/early_stop_at_min_loss.hpp"
#include "lowp/callbacks/trace_to_csv.hpp"
#include "test_support.hpp"

namespace cb = lowp::callbacks;
namespace fs = std::filesystem;
using lowp_test::k_nan;

namespace {

std::vector<lowp::epoch_state> awkward_states(std::size_t n) {
  std::mt19937_64 rng(lowp_test::seed() ^ 0xc5f);
  std::vector<lowp::epoch_state> v;
  std::uint64_t total = 0, work = 0;
  for (std::size_t e = 0; e < n; ++e) {
    lowp::epoch_state s;
    s.epoch = e;
    // Values %.6g would round: thirds, subnormal-adjacent, huge, negative.
    s.objective = 1.0 / 3.0 + std::ldexp(double(rng() >> 11), -53 - int(e));
    s.gap = e % 3 == 0 ? k_nan : std::ldexp(1.0, -1000) * double(e);
    s.full_gradient_norm = e == 1 ? std::numeric_limits<double>::denorm_min() : 1e300 / double(e + 1);
    s.scale = -std::ldexp(1.0, -int(e) - 7);
    s.seconds = 0.1 * double(e);
    s.saturations = rng() >> 40;
    total += s.saturations;
    s.total_saturations = total;
    work += 32561;
    s.work = e == n - 1 ? std::numeric_limits<std::uint64_t>::max() : work;
    v.push_back(s);
  }
  return v;
}

// Bit-equal, with NaN equal to NaN.
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream l(line);
    for (std::string c; std::getline(l, c, ',');) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

void check_trace(const std::string& text, const std::vector<lowp::epoch_state>& states) {
  const auto rows = parse_csv(text);
  REQUIRE(rows.size() == states.size() + 1);
  CHECK(text.substr(0, text.find('\n') + 1) == cb::trace_to_csv::header);
  for (std::size_t i = 0; i < states.size(); ++i) {
    const auto& r = rows[i + 1];
    const auto& s = states[i];
    REQUIRE(r.size() == 9);
    CHECK(std::stoull(r[0]) == s.epoch);
    CHECK(same(std::strtod(r[1].c_str(), nullptr), s.objective));
    CHECK(same(std::strtod(r[2].c_str(), nullptr), s.gap));
    CHECK(same(std::strtod(r[3].c_str(), nullptr), s.full_gradient_norm));
    CHECK(same(std::strtod(r[4].c_str(), nullptr), s.scale));
    CHECK(same(std::strtod(r[5].c_str(), nullptr), s.seconds));
    CHECK(std::stoull(r[6]) == s.saturations);
    CHECK(std::stoull(r[7]) == s.total_saturations);
    CHECK(std::stoull(r[8]) == s.work);
  }
}

std::string tmp_name(const fs::path& p) { return p.string() + ".tmp." + std::to_string(::getpid()); }

}  // namespace

TEST_CASE("trace_to_csv: rows read back to exactly the values fed in") {
  lowp_test::scratch_dir dir;
  const fs::path out = dir / "trace.csv";
  const auto states = awkward_states(12);
  {
    cb::trace_to_csv t(out);
    CHECK(t.temp_path() == tmp_name(out));
    CHECK(lowp_test::drive(states, t) == states.size());
  }
  check_trace(lowp_test::slurp(out), states);
  CHECK(dir.entries() == std::vector<std::string>{"trace.csv"});
}

TEST_CASE("trace_to_csv: only the tmp file exists mid-run and it holds every finished epoch") {
  lowp_test::scratch_dir dir;
  const fs::path out = dir / "trace.csv";
  const auto states = awkward_states(5);
  cb::trace_to_csv t(out);
  for (std::size_t i = 0; i < 3; ++i) CHECK_FALSE(t.on_epoch_end(states[i]));
  CHECK_FALSE(fs::exists(out));
  REQUIRE(fs::exists(tmp_name(out)));
  // Flushed every epoch: a reader (or a crash) sees whole rows.
  check_trace(lowp_test::slurp(tmp_name(out)), {states.begin(), states.begin() + 3});
  t.on_epoch_end(states[3]);
  t.on_end(states[3], lowp::report{});
  CHECK(fs::exists(out));
  CHECK_FALSE(fs::exists(tmp_name(out)));
  check_trace(lowp_test::slurp(out), {states.begin(), states.begin() + 4});
  CHECK_THROWS_AS(t.on_epoch_end(states[4]), std::logic_error);
}

TEST_CASE("trace_to_csv: the destructor publishes a trace whose on_end never came") {
  lowp_test::scratch_dir dir;
  const fs::path out = dir / "stopped.csv";
  const auto states = awkward_states(4);
  try {
    cb::trace_to_csv t(out);
    for (const auto& s : states) t.on_epoch_end(s);
    throw std::runtime_error("the run failed");  // no on_end: unwinding instead
  } catch (const std::runtime_error&) {
  }
  CHECK(dir.entries() == std::vector<std::string>{"stopped.csv"});
  check_trace(lowp_test::slurp(out), states);
}

TEST_CASE("trace_to_csv: replaces an older trace only when the new one is done") {
  lowp_test::scratch_dir dir;
  const fs::path out = dir / "trace.csv";
  lowp_test::spit(out, "old\n");
  const auto states = awkward_states(3);
  cb::trace_to_csv t(out);
  t.on_epoch_end(states[0]);
  CHECK(lowp_test::slurp(out) == "old\n");
  t.on_end(states[0], lowp::report{});
  check_trace(lowp_test::slurp(out), {states.begin(), states.begin() + 1});
}

TEST_CASE("trace_to_csv: an unwritable path throws and names the path") {
  lowp_test::scratch_dir dir;
  const fs::path out = dir / "no" / "such" / "dir" / "trace.csv";
  try {
    cb::trace_to_csv t(out);
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(out.string()) != std::string::npos);
  }
  CHECK(dir.entries().empty());
}

TEST_CASE("trace_to_csv: the row of the epoch that stops the run is written") {
  lowp_test::scratch_dir dir;
  const fs::path out = dir / "trace.csv";
  std::vector<lowp::epoch_state> states;
  for (double f : {5.0, 4.0, 4.0, 4.0, 3.0}) states.push_back(lowp_test::state(states.size(), f));
  {
    // The trace comes after the stopper in the list and still sees epoch 3.
    cb::early_stop_at_min_loss stop(2);
    cb::trace_to_csv t(out);
    CHECK(lowp_test::drive(states, stop, t) == 3);
  }
  check_trace(lowp_test::slurp(out), {states.begin(), states.begin() + 4});
}
