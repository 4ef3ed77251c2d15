// Counter-based random numbers for stochastic rounding.
//
// draw(key, i) is a pure function of a 64-bit key and a 64-bit counter, so
//  - per-thread streams are independent keys derived from (seed, stream id);
//  - element i of a kernel call uses draw(key, counter + i/2) whatever the
//    ISA or vector width, which is what makes SIMD results bit-identical to
//    the scalar reference;
//  - a run can be replayed or split without storing generator state.
// Each 32-bit draw supplies two 16-bit dithers (low half first).
// The mixer is two keyed rounds of a 32-bit xorshift-multiply permutation
// (constants from Wellons' hash-prospector search), chosen because it needs
// only 32-bit lane operations, which every SIMD ISA and an FPGA LUT fabric
// have. C++14, header-only, no exceptions.
#ifndef LOWP_QUANTIZE_RNG_HPP
#define LOWP_QUANTIZE_RNG_HPP

#include <cstdint>

namespace lowp {
namespace detail {

constexpr std::uint64_t splitmix64(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint32_t mix32(std::uint32_t x) noexcept {
  x ^= x >> 16;
  x *= 0x21f0aaadU;
  x ^= x >> 15;
  x *= 0x735a2d97U;
  x ^= x >> 15;
  return x;
}

}  // namespace detail

struct rng_key {
  std::uint32_t k0, k1;
};

// The generator function itself; SIMD kernels evaluate it lane-wise.
constexpr std::uint32_t counter_draw(rng_key k, std::uint64_t counter) noexcept {
  return detail::mix32(detail::mix32(static_cast<std::uint32_t>(counter) ^ k.k0) ^
                       (static_cast<std::uint32_t>(counter >> 32) + k.k1));
}

// A stream: key + position. Copyable, 16 bytes, no hidden global state.
class counter_rng {
 public:
  // Stream `stream` of a run seeded with `seed` (one stream per thread, per
  // purpose). Distinct (seed, stream) pairs give unrelated keys.
  constexpr counter_rng(std::uint64_t seed, std::uint64_t stream) noexcept
      : key_(make_key(seed, stream)), counter_(0) {}

  constexpr rng_key key() const noexcept { return key_; }
  constexpr std::uint64_t counter() const noexcept { return counter_; }
  void seek(std::uint64_t c) noexcept { counter_ = c; }
  // Reserve n consecutive draws for a kernel call; returns the first index.
  std::uint64_t take(std::uint64_t n) noexcept {
    const std::uint64_t c = counter_;
    counter_ += n;
    return c;
  }
  std::uint32_t next_u32() noexcept { return counter_draw(key_, counter_++); }
  // Uniform in [0, 1) with 24 random bits (exactly representable in float).
  float next_float() noexcept { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }
  double next_double() noexcept {
    const std::uint64_t hi = next_u32() >> 5, lo = next_u32() >> 6;  // 27 + 26 = 53 bits
    return static_cast<double>((hi << 26) | lo) * (1.0 / 9007199254740992.0);
  }

 private:
  static constexpr rng_key make_key(std::uint64_t seed, std::uint64_t stream) noexcept {
    return rng_key{static_cast<std::uint32_t>(detail::splitmix64(seed ^ detail::splitmix64(stream))),
                   static_cast<std::uint32_t>(detail::splitmix64(detail::splitmix64(stream) + seed) >> 32)};
  }
  rng_key key_;
  std::uint64_t counter_;
};

// Number of 32-bit draws a kernel call over n elements consumes (two 16-bit
// dithers per draw). Kernels always start a call on a fresh draw.
constexpr std::uint64_t draws_for(std::uint64_t n) noexcept { return (n + 1) / 2; }

// The 16-bit dither of element i of a call whose first draw is `first`.
constexpr std::uint32_t dither16(rng_key k, std::uint64_t first, std::uint64_t i) noexcept {
  return (counter_draw(k, first + i / 2) >> ((i & 1) * 16)) & 0xffffU;
}

}  // namespace lowp
#endif
