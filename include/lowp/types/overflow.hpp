// Overflow policies: what happens when a value does not fit the target width.
// saturate (the default) clips to [lowest, highest]; wrap keeps the low bits
// (two's complement), as AP_WRAP / AC_WRAP. Either way an event is counted
// when a counter is supplied, so a solver can report how often it clipped.
#ifndef LOWP_TYPES_OVERFLOW_HPP
#define LOWP_TYPES_OVERFLOW_HPP

#include <cstdint>

namespace lowp {
namespace overflow {

struct saturate {
  template <class Wide>
  static constexpr Wide apply(Wide v, Wide lo, Wide hi, int /*bits*/, bool /*is_signed*/) noexcept {
    return v < lo ? lo : (v > hi ? hi : v);
  }
};

struct wrap {
  template <class Wide>
  static constexpr Wide apply(Wide v, Wide /*lo*/, Wide /*hi*/, int bits, bool is_signed) noexcept {
    // Reduce modulo 2^bits in unsigned arithmetic (defined behaviour), then
    // sign-extend from bit `bits-1` when the target is signed.
    const std::uint64_t mask = bits >= 64 ? ~std::uint64_t(0) : ((std::uint64_t(1) << bits) - 1);
    std::uint64_t u = static_cast<std::uint64_t>(v) & mask;
    if (is_signed && bits < 64 && (u >> (bits - 1)) != 0) u |= ~mask;
    return static_cast<Wide>(u);
  }
};

}  // namespace overflow

// Counts values that did not fit (and, for float sources, NaNs). Plain
// counter: a solver keeps one per thread and sums them.
struct saturation_counter {
  std::uint64_t events = 0;
  void add(std::uint64_t n = 1) noexcept { events += n; }
};

}  // namespace lowp
#endif
