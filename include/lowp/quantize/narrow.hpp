// The named operations that lose information: narrow (fixed -> fixed) and
// quantize (real -> fixed). Both take a rounding policy object and apply the
// target format's overflow policy, counting clipped values (and NaNs) when a
// saturation_counter is given. There is deliberately no implicit path.
#ifndef LOWP_QUANTIZE_NARROW_HPP
#define LOWP_QUANTIZE_NARROW_HPP

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "lowp/types/fixed.hpp"

namespace lowp {
namespace detail {

template <class To>
To apply_overflow(std::int64_t v, saturation_counter* c) noexcept {
  if (c != nullptr && (v < To::raw_lowest || v > To::raw_highest)) c->add();
  return To::from_raw(
      To::overflow_policy::apply(v, To::raw_lowest, To::raw_highest, To::bits, To::is_signed));
}

template <class To, class Rounding>
To quantize_scaled(double scaled, Rounding& r, saturation_counter* c) noexcept {
  if (std::isnan(scaled)) {  // no meaningful value: zero, and counted
    if (c != nullptr) c->add();
    return To::from_raw(0);
  }
  // Beyond +-2^62 every format saturates (or wraps meaninglessly); clamp first
  // so the integer conversion below is defined.
  const double lim = 4611686018427387904.0;
  if (scaled > lim || scaled < -lim) {
    if (c != nullptr) c->add();
    const std::int64_t v = scaled > 0 ? INT64_MAX : INT64_MIN;
    return To::from_raw(To::overflow_policy::apply(v, To::raw_lowest, To::raw_highest, To::bits, To::is_signed));
  }
  return apply_overflow<To>(r.real(scaled), c);
}

}  // namespace detail

// fixed -> fixed. Static scales: the fraction difference is rounded away with
// `r`; a finer target is an exact shift. Dynamic scales: both sides share the
// run-time step, only the width changes.
template <class To, int B, class S, class O, bool G, class Rounding>
To narrow(fixed<B, S, O, G> x, Rounding&& r, saturation_counter* c = nullptr) noexcept {
  static_assert(detail::is_fixed<To>::value, "lowp::narrow<To>: To must be a lowp::fixed");
  static_assert(To::has_static_scale == S::is_static,
                "lowp::narrow: cannot convert between a static scale and a dynamic_scale; go through "
                "to_double(step) and quantize");
  constexpr int d = fixed<B, S, O, G>::frac_bits - To::frac_bits;
  static_assert(d >= 0 || B - d <= 63, "lowp::narrow: the left shift would not fit in 64 bits");
  const std::int64_t v = std::int64_t(x.raw());
  if (d > 0) return detail::apply_overflow<To>(r.shift(v, d > 0 ? d : 1), c);
  return detail::apply_overflow<To>(v * (std::int64_t(1) << (d < 0 ? -d : 0)), c);
}

// real -> static-scale fixed.
template <class To, class Rounding>
To quantize(double x, Rounding&& r, saturation_counter* c = nullptr) noexcept {
  static_assert(detail::is_fixed<To>::value, "lowp::quantize<To>: To must be a lowp::fixed");
  static_assert(To::has_static_scale,
                "lowp::quantize: a dynamic_scale format needs its step: quantize<To>(x, step, rounding)");
  return detail::quantize_scaled<To>(std::ldexp(x, To::frac_bits), r, c);
}

// real -> dynamic-scale fixed with run-time step.
template <class To, class Rounding>
To quantize(double x, dynamic_scale::value step, Rounding&& r, saturation_counter* c = nullptr) noexcept {
  static_assert(detail::is_fixed<To>::value, "lowp::quantize<To>: To must be a lowp::fixed");
  static_assert(!To::has_static_scale, "lowp::quantize: a static-scale format takes no run-time step");
  return detail::quantize_scaled<To>(x / step.step, r, c);
}

}  // namespace lowp
#endif
