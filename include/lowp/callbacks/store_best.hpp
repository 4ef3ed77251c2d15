// store_best: keeps a copy of the iterate with the lowest objective seen and
// the epoch it came from, so a run that overshoots (or is stopped late by
// patience) can still hand back its best model. Ties keep the earlier epoch;
// NaN objectives are never "best". The copy reuses its buffer, so after the
// first improvement no epoch allocates.
#ifndef LOWP_CALLBACKS_STORE_BEST_HPP
#define LOWP_CALLBACKS_STORE_BEST_HPP

#include <cstddef>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "lowp/callbacks/callbacks.hpp"

namespace lowp::callbacks {

class store_best {
 public:
  bool on_epoch_end(const epoch_state& s) {
    if (!(s.objective < best_)) return false;  // also false for NaN
    best_ = s.objective;
    epoch_ = s.epoch;
    model_.assign(s.model.begin(), s.model.end());
    has_ = true;
    return false;
  }

  bool has_value() const noexcept { return has_; }
  // Meaningful only when has_value(): +inf and 0 before that.
  double objective() const noexcept { return best_; }
  std::size_t epoch() const noexcept { return epoch_; }
  std::span<const double> model() const noexcept { return model_; }
  // Take the copy out (leaves this callback empty of a model, not of its best).
  std::vector<double> release() noexcept { return std::move(model_); }

 private:
  double best_ = std::numeric_limits<double>::infinity();
  std::size_t epoch_ = 0;
  std::vector<double> model_;
  bool has_ = false;
};

static_assert(callback<store_best>);

}  // namespace lowp::callbacks
#endif
