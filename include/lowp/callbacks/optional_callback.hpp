// A callback that may be absent: it forwards each hook its type has to the
// object held by a std::optional, and does nothing while the optional is
// empty. A program that builds its callbacks from flags (a run log only with
// --out, a trace only with --trace) passes them all to the solver this way,
// instead of writing its own fan-out object:
//
//   std::optional<runs::run_log_writer> log;  if (!out.empty()) log.emplace(out, rec);
//   std::optional<callbacks::trace_to_csv> csv;  if (!trace.empty()) csv.emplace(trace);
//   solver.optimize(f, w, callbacks::if_present(log), callbacks::if_present(csv));
//
// Only the hooks the wrapped type defines are present on the wrapper, so the
// solver calls exactly what it would call on the object itself.
#ifndef LOWP_CALLBACKS_OPTIONAL_CALLBACK_HPP
#define LOWP_CALLBACKS_OPTIONAL_CALLBACK_HPP

#include <optional>

#include "lowp/callbacks/callbacks.hpp"

namespace lowp {
namespace callbacks {

template <callback C>
class optional_callback {
 public:
  explicit optional_callback(std::optional<C>& c) noexcept : c_(&c) {}

  void on_begin(const run_info& i)
    requires has_on_begin<C>
  {
    if (*c_) (*c_)->on_begin(i);
  }
  bool on_epoch_end(const epoch_state& s)
    requires has_on_epoch_end<C>
  {
    return *c_ ? (*c_)->on_epoch_end(s) : false;
  }
  void on_end(const epoch_state& s, const report& r)
    requires has_on_end<C>
  {
    if (*c_) (*c_)->on_end(s, r);
  }

 private:
  std::optional<C>* c_;
};

template <callback C>
optional_callback<C> if_present(std::optional<C>& c) noexcept {
  return optional_callback<C>(c);
}

}  // namespace callbacks
}  // namespace lowp
#endif
