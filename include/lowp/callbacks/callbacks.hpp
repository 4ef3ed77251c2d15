// The callback contract (ensmallen's idea, one argument instead of many):
// a callback is any object with at least one of
//   void on_begin(const run_info&);
//   bool on_epoch_end(const epoch_state&);   // true = stop the run
//   void on_end(const epoch_state&, const report&);
// Solvers call hooks on the coordinating thread only, never on workers.
// An object with none of them (or a misspelt one) is rejected at compile time
// by the `callback` concept, instead of being silently ignored.
#ifndef LOWP_CALLBACKS_CALLBACKS_HPP
#define LOWP_CALLBACKS_CALLBACKS_HPP

#include <concepts>

#include "lowp/solvers/report.hpp"
#include "lowp/solvers/state.hpp"

namespace lowp {

template <class C>
concept has_on_begin = requires(C& c, const run_info& i) { c.on_begin(i); };
template <class C>
concept has_on_epoch_end = requires(C& c, const epoch_state& s) {
  { c.on_epoch_end(s) } -> std::same_as<bool>;
};
template <class C>
concept has_on_end = requires(C& c, const epoch_state& s, const report& r) { c.on_end(s, r); };

template <class C>
concept callback = has_on_begin<C> || has_on_epoch_end<C> || has_on_end<C>;

namespace detail {

template <callback... Cs>
void callbacks_begin(const run_info& info, Cs&... cs) {
  [[maybe_unused]] auto one = [&](auto& c) {
    if constexpr (has_on_begin<std::remove_cvref_t<decltype(c)>>) c.on_begin(info);
  };
  (one(cs), ...);
}

// Every callback sees every epoch (no short-circuit), so a trace is complete
// even on the epoch an early-stop fires.
template <callback... Cs>
bool callbacks_epoch_end(const epoch_state& s, Cs&... cs) {
  bool stop = false;
  [[maybe_unused]] auto one = [&](auto& c) {
    if constexpr (has_on_epoch_end<std::remove_cvref_t<decltype(c)>>) stop = c.on_epoch_end(s) || stop;
  };
  (one(cs), ...);
  return stop;
}

template <callback... Cs>
void callbacks_end(const epoch_state& s, const report& r, Cs&... cs) {
  [[maybe_unused]] auto one = [&](auto& c) {
    if constexpr (has_on_end<std::remove_cvref_t<decltype(c)>>) c.on_end(s, r);
  };
  (one(cs), ...);
}

}  // namespace detail
}  // namespace lowp
#endif
