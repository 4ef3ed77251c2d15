// run_log_writer: a callback that keeps a run log (lowp/runs/run_log.hpp) up
// to date while a solver runs. Link lowp::io.
//
//   auto base = lowp::runs::make_run_record("halp", seed);
//   base.isa = "avx2";
//   base.params = {{"b", std::int64_t{8}}, {"step", 0.1}};
//   lowp::runs::run_log_writer log("runs/halp.h5", std::move(base));
//   solver.optimize(f, w, log);
//
// The file is rewritten whole (temp + rename) at the start and after every
// epoch with status "running", so a killed run leaves its last complete log;
// on_end records the final status, message and model. Rewriting is O(epochs)
// per epoch, which is negligible next to an epoch of training; the model is
// only written at the end (and whatever model the base record carried).
// A failed write throws io_error out of the solver: a run whose log cannot
// be kept is better stopped early than found unrecorded hours later.
#ifndef LOWP_RUNS_RUN_LOG_CALLBACK_HPP
#define LOWP_RUNS_RUN_LOG_CALLBACK_HPP

#include <string>
#include <utility>

#include "lowp/callbacks/callbacks.hpp"
#include "lowp/runs/run_log.hpp"
#include "lowp/solvers/report.hpp"
#include "lowp/solvers/state.hpp"

namespace lowp {
namespace runs {

inline trace_row to_trace_row(const epoch_state& s) {
  trace_row r;
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

class run_log_writer {
 public:
  // base supplies everything but the trace rows still to come: metadata,
  // params, and (when resuming) the trace so far.
  run_log_writer(std::string path, run_record base) : path_(std::move(path)), record_(std::move(base)) {}

  void on_begin(const run_info&) {
    record_.status = "running";
    write_run_log(path_, record_);
  }

  bool on_epoch_end(const epoch_state& s) {
    record_.trace.push_back(to_trace_row(s));
    record_.status = "running";
    write_run_log(path_, record_);
    return false;
  }

  void on_end(const epoch_state& s, const report& r) {
    record_.status = to_string(r.why);
    record_.message = r.message;
    record_.model.assign(s.model.begin(), s.model.end());
    write_run_log(path_, record_);
  }

  const std::string& path() const noexcept { return path_; }
  const run_record& record() const noexcept { return record_; }

 private:
  std::string path_;
  run_record record_;
};

static_assert(callback<run_log_writer>);

}  // namespace runs
}  // namespace lowp

#endif
