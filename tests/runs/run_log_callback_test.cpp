// run_log_writer driven by a made-up sequence of epoch_states, the way a
// solver would: the file must hold a complete log after every epoch.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "lowp/callbacks/callbacks.hpp"
#include "lowp/runs/run_log_callback.hpp"
#include "runs_test_support.hpp"

namespace runs = lowp::runs;
using lowp_test::scratch;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

lowp::epoch_state state(std::size_t epoch, std::span<const double> model) {
  lowp::epoch_state s;
  s.epoch = epoch;
  s.objective = 1.0 + 1.0 / static_cast<double>(epoch + 1);
  s.gap = epoch == 2 ? nan : std::pow(0.5, static_cast<double>(epoch));
  s.full_gradient_norm = 0.1 / static_cast<double>(epoch + 1);
  s.scale = epoch == 0 ? nan : 1.0 / 64.0;
  s.seconds = 0.5 * static_cast<double>(epoch);
  s.saturations = epoch * 3;
  s.total_saturations = epoch * epoch * 3;  // not in the trace
  s.work = 100 * (epoch + 1);
  s.model = model;
  return s;
}

runs::trace_row expected_row(const lowp::epoch_state& s) {
  runs::trace_row r;
  r.epoch = s.epoch;
  r.objective = s.objective;
  r.gap = s.gap;
  r.grad_norm = s.full_gradient_norm;
  r.scale = s.scale;
  r.seconds = s.seconds;
  r.saturations = s.saturations;
  r.work = s.work;
  return r;
}

}  // namespace

TEST_CASE("run_log_writer keeps a complete log after every epoch") {
  scratch dir;
  const std::string path = dir / "halp.h5";
  runs::run_record base = runs::make_run_record("halp", 7);
  base.isa = "scalar";
  base.params = {{"b", std::int64_t{8}}, {"step", 0.01}};
  runs::run_log_writer log(path, base);

  lowp::run_info info;
  info.algorithm = "halp";
  info.max_epochs = 5;
  log.on_begin(info);
  {
    const runs::run_record r = runs::read_run_log(path);
    CHECK(r.status == "running");
    CHECK(r.trace.empty());
    CHECK(lowp_test::same_params(r.params, base.params));
  }

  std::vector<double> model = {0.0, 0.0, 0.0};
  std::vector<runs::trace_row> fed;
  for (std::size_t e = 0; e < 5; ++e) {
    model[e % 3] += 0.25;
    const lowp::epoch_state s = state(e, model);
    fed.push_back(expected_row(s));
    CHECK_FALSE(log.on_epoch_end(s));
    REQUIRE(std::filesystem::exists(path));
    const runs::run_record r = runs::read_run_log(path);
    CHECK(r.status == "running");
    CHECK(lowp_test::same_trace(r.trace, fed));
    CHECK(r.model.empty());  // written at the end only
    CHECK(dir.entries() == std::vector<std::string>{"halp.h5"});
  }

  lowp::report rep;
  rep.why = lowp::status::converged;
  rep.message = "gradient norm below tolerance";
  log.on_end(state(4, model), rep);

  const runs::run_record r = runs::read_run_log(path);
  CHECK(r.algorithm == "halp");
  CHECK(r.seed == 7);
  CHECK(r.isa == "scalar");
  CHECK(r.status == "converged");
  CHECK(r.message == rep.message);
  CHECK(lowp_test::same_trace(r.trace, fed));
  CHECK(lowp_test::same_doubles(r.model, model));
  CHECK(lowp_test::same_trace(log.record().trace, fed));
  CHECK(std::isnan(r.trace[2].gap));
}

TEST_CASE("run_log_writer works through the solver's callback dispatch") {
  scratch dir;
  runs::run_log_writer log(dir / "sgd.h5", runs::make_run_record("sgd", 1));
  const std::vector<double> model = {1.0, -2.0};
  lowp::run_info info;
  lowp::detail::callbacks_begin(info, log);
  bool stop = false;
  for (std::size_t e = 0; e < 3; ++e) stop = lowp::detail::callbacks_epoch_end(state(e, model), log) || stop;
  CHECK_FALSE(stop);
  lowp::report rep;
  rep.why = lowp::status::stopped_by_callback;
  lowp::detail::callbacks_end(state(2, model), rep, log);
  const runs::run_record r = runs::read_run_log(dir / "sgd.h5");
  CHECK(r.trace.size() == 3);
  CHECK(r.status == "stopped_by_callback");
  CHECK(lowp_test::same_doubles(r.model, model));
}

TEST_CASE("run_log_writer appends to the trace of a resumed run") {
  scratch dir;
  runs::run_record base = runs::make_run_record("svrg", 3);
  base.trace = lowp_test::sample_trace(3);
  std::vector<runs::trace_row> want = base.trace;
  runs::run_log_writer log(dir / "svrg.h5", base);
  const std::vector<double> model = {0.5};
  const lowp::epoch_state s = state(3, model);
  want.push_back(expected_row(s));
  log.on_epoch_end(s);
  CHECK(lowp_test::same_trace(runs::read_run_log(dir / "svrg.h5").trace, want));
}

TEST_CASE("run_log_writer reports a log it cannot write") {
  scratch dir;
  runs::run_log_writer log(dir / "gone/run.h5", runs::make_run_record("sgd", 1));
  const std::vector<double> model = {0.0};
  CHECK_THROWS_AS(log.on_epoch_end(state(0, model)), lowp::datasets::io_error);
}
