// The number policy of the HLS kernels (types_hls.md 2.8): kernels name their
// types through lowp::hls::number<Bits, Frac, Overflow, Signed> and touch them
// only through the handful of operations below (exact * and +, raw access,
// narrowing with a named rounding), so one kernel source serves
//  - lowp::fixed (the default, and the golden model: plain g++ C simulation,
//    and what a vendor tool synthesizes: a struct over one integer);
//  - a vendor type (ap_fixed / ac_fixed) by providing number, raw, make and
//    narrow_to for it; LOWP_HLS_AP is reserved for that (see below).
// Rounding is a kernel-level choice (enum rnd), not part of the type: the
// stochastic mode needs a dither input, which no vendor type has. It is done
// as the hardware does it: add R = min(d, 16) random bits just below the cut,
// then floor (*_TRN), then the target's overflow mode; this equals the
// library's round::stochastic (quantize/stochastic.hpp) bit for bit.
// C++14, no exceptions, no allocation; nothing depends on __SYNTHESIS__.
#ifndef LOWP_HLS_NUMBER_HPP
#define LOWP_HLS_NUMBER_HPP

#include <cstdint>

#include "lowp/quantize/directed.hpp"
#include "lowp/quantize/narrow.hpp"
#include "lowp/quantize/nearest.hpp"
#include "lowp/types/fixed.hpp"

namespace lowp {
namespace hls {

// Rounding of a narrowing (values are also the RTL parameter RND).
enum class rnd : int { floor = 0, toward_zero = 1, nearest_even = 2, stochastic = 3 };
// Overflow of a narrowing (values are also the RTL parameter OVF).
enum class ovf : int { saturate = 0, wrap = 1 };

constexpr const char* name_of(rnd r) noexcept {
  return r == rnd::floor ? "floor"
                         : (r == rnd::toward_zero ? "toward_zero" : (r == rnd::nearest_even ? "nearest" : "stochastic"));
}
constexpr const char* name_of(ovf o) noexcept { return o == ovf::saturate ? "saturate" : "wrap"; }

}  // namespace hls
}  // namespace lowp

#if defined(LOWP_HLS_AP)
// Reserved for an ap_fixed number policy. ap_fixed.h / ac_fixed.h are in no
// Debian package and may not be fetched into this repository, so such a
// policy could not be compiled or tested here; rather than ship untested
// code, the build stops. The emitted README (lowp hls emit) lists the
// ap_fixed / ac_fixed types equivalent to a configuration.
#error "LOWP_HLS_AP: the ap_fixed number policy is not implemented; the kernels use lowp::fixed (raw integers at the top interface)"
#else

namespace lowp {
namespace hls {
namespace detail {
template <ovf O>
struct overflow_of {
  using type = overflow::saturate;
};
template <>
struct overflow_of<ovf::wrap> {
  using type = overflow::wrap;
};
}  // namespace detail

// value = raw * 2^-Frac, Bits wide.
template <int Bits, int Frac, ovf O = ovf::saturate, bool Signed = true>
using number = fixed<Bits, exp2<-Frac>, typename detail::overflow_of<O>::type, Signed>;

template <class T>
constexpr std::int64_t raw(T x) noexcept {
  return std::int64_t(x.raw());
}
template <class T>
constexpr T make(std::int64_t r) noexcept {
  return T::from_raw(r);
}

namespace detail {
// The random bits added below the cut: R = min(d, 16) bits whose LSB sits at
// 2^-(frac(To) + R), i.e. d - R bits above the source LSB.
template <int Frac, int R>
using dither_t = fixed<R, exp2<-(Frac + R)>, overflow::wrap, false>;

template <rnd R>
struct det_policy {
  using type = round::floor;
};
template <>
struct det_policy<rnd::toward_zero> {
  using type = round::toward_zero;
};
template <>
struct det_policy<rnd::nearest_even> {
  using type = round::nearest_even;
};

template <class To, rnd R, bool Drop>
struct narrower {  // d <= 0: exact (only the overflow mode applies)
  template <class From>
  static To run(From x, std::uint32_t, saturation_counter* c) noexcept {
    return lowp::narrow<To>(x, round::floor{}, c);
  }
};
template <class To, rnd R>
struct narrower<To, R, true> {
  template <class From>
  static To run(From x, std::uint32_t, saturation_counter* c) noexcept {
    return lowp::narrow<To>(x, typename det_policy<R>::type{}, c);
  }
};
template <class To>
struct narrower<To, rnd::stochastic, true> {
  template <class From>
  static To run(From x, std::uint32_t dither16, saturation_counter* c) noexcept {
    constexpr int d = From::frac_bits - To::frac_bits;
    constexpr int r_bits = d < 16 ? d : 16;
    const auto r = dither_t<To::frac_bits, r_bits>::from_raw(std::int64_t(dither16 & 0xffffU) >> (16 - r_bits));
    return lowp::narrow<To>(x + r, round::floor{}, c);  // exact add, then *_TRN and the overflow mode
  }
};
}  // namespace detail

// x narrowed to To with rounding R (dither16: the 16-bit dither, used only by
// rnd::stochastic) and To's overflow mode; *clip is set when it overflowed.
template <class To, rnd R, class From>
To narrow_to(From x, std::uint32_t dither16, bool* clip) noexcept {
  saturation_counter c;
  const To y = detail::narrower<To, R, (From::frac_bits > To::frac_bits)>::run(x, dither16, &c);
  *clip = c.events != 0;
  return y;
}

}  // namespace hls
}  // namespace lowp
#endif  // LOWP_HLS_AP
#endif
