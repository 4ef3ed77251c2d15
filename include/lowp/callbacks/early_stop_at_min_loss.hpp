// early_stop_at_min_loss: stop when the objective has stopped going down.
// "Improved" means below the best so far by more than min_delta, so noise of
// that size does not keep a stalled run alive. A NaN objective stops at once:
// nothing after it can be an improvement. (A solver also reports divergence
// on its own; this makes the stop independent of its thresholds.)
#ifndef LOWP_CALLBACKS_EARLY_STOP_AT_MIN_LOSS_HPP
#define LOWP_CALLBACKS_EARLY_STOP_AT_MIN_LOSS_HPP

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>

#include "lowp/callbacks/callbacks.hpp"

namespace lowp::callbacks {

class early_stop_at_min_loss {
 public:
  explicit early_stop_at_min_loss(std::size_t patience = 3, double min_delta = 0.0)
      : patience_(patience), min_delta_(min_delta) {
    if (patience == 0) throw std::invalid_argument("early_stop_at_min_loss: patience must be >= 1");
    if (!(min_delta >= 0.0)) throw std::invalid_argument("early_stop_at_min_loss: min_delta must be >= 0");
  }

  bool on_epoch_end(const epoch_state& s) {
    if (std::isnan(s.objective)) return true;
    if (s.objective < best_ - min_delta_) {
      best_ = s.objective;
      best_epoch_ = s.epoch;
      stale_ = 0;
      return false;
    }
    return ++stale_ >= patience_;
  }

  double best_objective() const noexcept { return best_; }    // +inf before any finite objective
  std::size_t best_epoch() const noexcept { return best_epoch_; }
  std::size_t epochs_without_improvement() const noexcept { return stale_; }

 private:
  std::size_t patience_;
  double min_delta_;
  double best_ = std::numeric_limits<double>::infinity();
  std::size_t best_epoch_ = 0;
  std::size_t stale_ = 0;
};

static_assert(callback<early_stop_at_min_loss>);

}  // namespace lowp::callbacks
#endif
