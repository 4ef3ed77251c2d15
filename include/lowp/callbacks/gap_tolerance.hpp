// gap_tolerance: stop when f - f* <= tol, for problems whose optimum is known
// (synthetic problems, or f* from a long full-precision run). A NaN gap means
// the problem does not know f*; then this callback never stops the run.
#ifndef LOWP_CALLBACKS_GAP_TOLERANCE_HPP
#define LOWP_CALLBACKS_GAP_TOLERANCE_HPP

#include <cmath>
#include <stdexcept>

#include "lowp/callbacks/callbacks.hpp"

namespace lowp::callbacks {

class gap_tolerance {
 public:
  explicit gap_tolerance(double tol) : tol_(tol) {
    if (std::isnan(tol)) throw std::invalid_argument("gap_tolerance: tol is NaN");
  }

  bool on_epoch_end(const epoch_state& s) const noexcept { return !std::isnan(s.gap) && s.gap <= tol_; }

  double tolerance() const noexcept { return tol_; }

 private:
  double tol_;
};

static_assert(callback<gap_tolerance>);

}  // namespace lowp::callbacks
#endif
