// Checkpoints a run after every epoch, so it can be continued bit for bit:
//
//   runs::checkpoint_writer ck("run.ckpt.h5", "halp", seed, params);
//   solver.optimize(f, w, ck);                       // killed or stopped at epoch k
//   ...
//   auto c = runs::read_checkpoint("run.ckpt.h5");
//   w = c.model;
//   solver.resume(f, w, runs::resume_point_from(c), runs::checkpoint_writer("run.ckpt.h5", c));
//
// Every epoch of every solver draws from streams keyed by (seed, epoch), so
// a resumed run replays exactly what the uninterrupted one would have done.
// The checkpoint keeps the anchor of the last completed epoch, the counters
// the trace continues from and the trace itself. Link lowp::io.
#ifndef LOWP_RUNS_CHECKPOINT_CALLBACK_HPP
#define LOWP_RUNS_CHECKPOINT_CALLBACK_HPP

#include <string>
#include <utility>

#include "lowp/callbacks/callbacks.hpp"
#include "lowp/runs/run_log.hpp"
#include "lowp/runs/run_log_callback.hpp"
#include "lowp/solvers/options.hpp"

namespace lowp {
namespace runs {

class checkpoint_writer {
 public:
  checkpoint_writer(std::string path, std::string algorithm, std::uint64_t seed, param_list params)
      : path_(std::move(path)) {
    ck_.algorithm = std::move(algorithm);
    ck_.seed = seed;
    ck_.params = std::move(params);
  }
  // Continue the checkpoint a resumed run started from.
  checkpoint_writer(std::string path, checkpoint from) : path_(std::move(path)), ck_(std::move(from)) {}

  bool on_epoch_end(const epoch_state& s) {
    if (s.rejected) return false;  // keep the last good checkpoint
    ck_.trace.push_back(to_trace_row(s));
    ck_.next_epoch = s.epoch;
    ck_.model.assign(s.model.begin(), s.model.end());
    const double initial = ck_.trace.front().grad_norm;
    ck_.vectors = {{"gradient_norms", {s.full_gradient_norm, initial}}, {"seconds", {s.seconds}}};
    ck_.counters = {{"work", s.work}, {"total_saturations", s.total_saturations}};
    write_checkpoint(path_, ck_);
    return false;
  }
  const checkpoint& state() const noexcept { return ck_; }

 private:
  std::string path_;
  checkpoint ck_;
};
static_assert(callback<checkpoint_writer>);

namespace detail {
template <class V>
const auto& named(const V& list, const char* name, const checkpoint& c) {
  for (const auto& [k, v] : list)
    if (k == name) return v;
  throw std::invalid_argument("checkpoint of '" + c.algorithm + "' has no entry '" + name +
                              "' (not written by runs::checkpoint_writer?)");
}
}  // namespace detail

inline resume_point resume_point_from(const checkpoint& c) {
  const auto& norms = detail::named(c.vectors, "gradient_norms", c);
  const auto& secs = detail::named(c.vectors, "seconds", c);
  if (norms.size() != 2 || secs.size() != 1)
    throw std::invalid_argument("checkpoint of '" + c.algorithm + "': malformed solver state vectors");
  resume_point rp;
  rp.first_epoch = c.next_epoch;
  rp.work = detail::named(c.counters, "work", c);
  rp.total_saturations = detail::named(c.counters, "total_saturations", c);
  rp.seconds = secs[0];
  rp.previous_gradient_norm = norms[0];
  rp.initial_gradient_norm = norms[1];
  return rp;
}

}  // namespace runs
}  // namespace lowp
#endif
