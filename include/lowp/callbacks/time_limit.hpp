// time_limit: stop once the run has used its wall-time budget. Checked at
// epoch ends (the solver's own clock, epoch_state::seconds), so a run may
// overshoot by up to one epoch.
#ifndef LOWP_CALLBACKS_TIME_LIMIT_HPP
#define LOWP_CALLBACKS_TIME_LIMIT_HPP

#include <stdexcept>

#include "lowp/callbacks/callbacks.hpp"

namespace lowp::callbacks {

class time_limit {
 public:
  explicit time_limit(double seconds) : limit_(seconds) {
    if (!(seconds >= 0.0)) throw std::invalid_argument("time_limit: seconds must be >= 0");
  }

  bool on_epoch_end(const epoch_state& s) const noexcept { return s.seconds >= limit_; }

  double seconds() const noexcept { return limit_; }

 private:
  double limit_;
};

static_assert(callback<time_limit>);

}  // namespace lowp::callbacks
#endif
