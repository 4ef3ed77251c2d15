// Unbiased stochastic rounding (SR) with an explicit random source.
//
// Integer form (fixed -> fixed, d fraction bits dropped, R = min(d, 16)):
//   SR(v) = (v + (r << (d - R))) >> d,   r uniform in [0, 2^R)
// If v = a*2^d + f with 0 <= f < 2^d and d <= 16, SR(v) = a + [r >= 2^d - f],
// so E[SR(v)] = v / 2^d exactly and Var = p(1-p) with p = f/2^d. For d > 16
// the bits below d-16 are floored first (bias < 2^-16 of a quantum). This is
// the "dither + *_TRN" form that maps bit-exactly onto ap_fixed/ac_fixed and
// onto the Verilog datapath.
// Real form (float -> fixed): x = i + f with i = floor(x); f is rounded to the
// nearest multiple of 2^-16 (t/2^16) and SR(x) = i + ((t + r) >> 16). It is
// exactly unbiased for x on the 2^-16 grid and within 2^-17 of a quantum
// otherwise, with no systematic sign. The SIMD kernels use the same formula.
//
// The policy object owns its random stream (the format carries no state), so
// every stochastic narrowing names where its randomness comes from.
#ifndef LOWP_QUANTIZE_STOCHASTIC_HPP
#define LOWP_QUANTIZE_STOCHASTIC_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "lowp/quantize/nearest.hpp"
#include "lowp/quantize/rng.hpp"

namespace lowp {
namespace round {

namespace detail {
inline std::int64_t sr_shift(std::int64_t v, int d, std::uint32_t dither16) noexcept {
  const int r_bits = d < 16 ? d : 16;
  const std::int64_t r = static_cast<std::int64_t>(dither16 >> (16 - r_bits));
  return (v + r * (std::int64_t(1) << (d - r_bits))) >> d;
}
// x = floor + frac / 2^16 with frac rounded to nearest, in [0, 65536]; the stochastic result is
// floor + ((frac + dither16) >> 16). Split out for callers that round one x many times
// (lowrank::factor_matrix::requantize tabulates it).
struct sr_split_t {
  std::int64_t floor, frac;
};
inline sr_split_t sr_split(double x) noexcept {
  const double i = std::floor(x);
  return {static_cast<std::int64_t>(i), nearest_even::real((x - i) * 65536.0)};
}
inline std::int64_t sr_apply(sr_split_t s, std::uint32_t dither16) noexcept {
  return s.floor + ((s.frac + static_cast<std::int64_t>(dither16)) >> 16);
}
inline std::int64_t sr_real(double x, std::uint32_t dither16) noexcept { return sr_apply(sr_split(x), dither16); }
// Whether R is a counter-based stream (counter_rng's take(n) and key()).
template <class R, class = void>
struct is_counter_stream : std::false_type {};
template <class R>
struct is_counter_stream<R, decltype(void(std::declval<R&>().take(std::uint64_t(1))), void(std::declval<R&>().key()))>
    : std::true_type {};
}  // namespace detail

// Independent randomness: a fresh 16-bit dither per rounding, in the same
// order the kernels consume them (low half of a draw, then high half).
template <class Rng = counter_rng>
class stochastic {
 public:
  static constexpr bool is_stochastic = true;
  explicit stochastic(Rng rng) noexcept : rng_(rng) {}
  std::int64_t shift(std::int64_t v, int d) noexcept { return detail::sr_shift(v, d, next_dither()); }
  std::int64_t real(double x) noexcept { return detail::sr_real(x, next_dither()); }
  std::uint32_t next_dither() noexcept {
    if (has_half_) {
      has_half_ = false;
      return word_ >> 16;
    }
    word_ = rng_.next_u32();
    has_half_ = true;
    return word_ & 0xffffU;
  }
  // The next n dithers, as n calls of next_dither() would return them (bulk
  // callers such as factor_matrix::requantize: one draw per two dithers, no
  // per-dither state check).
  void next_dithers(std::uint16_t* out, std::size_t n) noexcept {
    std::size_t i = 0;
    if (has_half_ && n > 0) {
      out[i++] = static_cast<std::uint16_t>(word_ >> 16);
      has_half_ = false;
    }
    const std::size_t pairs = (n - i) / 2;
    draw_pairs(out + i, pairs, detail::is_counter_stream<Rng>{});
    i += 2 * pairs;
    if (i < n) out[i] = static_cast<std::uint16_t>(next_dither());
  }
  Rng& rng() noexcept { return rng_; }

 private:
  // Two dithers (low half, high half) from each of `pairs` draws. A
  // counter-based stream's draw c0 + j is a pure function of j, so that loop
  // vectorises. (Tag dispatch, not if constexpr: this header is in the C++14
  // HLS subset.)
  void draw_pairs(std::uint16_t* o, std::size_t pairs, std::true_type) noexcept {
    const rng_key k = rng_.key();
    const std::uint64_t c0 = rng_.take(pairs);
    for (std::size_t j = 0; j < pairs; ++j) {
      const std::uint32_t w = counter_draw(k, c0 + j);
      o[2 * j] = static_cast<std::uint16_t>(w & 0xffffU);
      o[2 * j + 1] = static_cast<std::uint16_t>(w >> 16);
    }
  }
  void draw_pairs(std::uint16_t* o, std::size_t pairs, std::false_type) noexcept {
    for (std::size_t j = 0; j < pairs; ++j) {
      const std::uint32_t w = rng_.next_u32();
      o[2 * j] = static_cast<std::uint16_t>(w & 0xffffU);
      o[2 * j + 1] = static_cast<std::uint16_t>(w >> 16);
    }
  }

  Rng rng_;
  std::uint32_t word_ = 0;
  bool has_half_ = false;
};

// Shared randomness (ISCA 2017): one dither reused for `reuse` consecutive
// roundings. Each rounding stays unbiased; roundings that share a dither are
// correlated. Cheaper when the RNG dominates the cost.
template <class Rng = counter_rng>
class shared_stochastic {
 public:
  static constexpr bool is_stochastic = true;
  shared_stochastic(Rng rng, unsigned reuse) noexcept : rng_(rng), reuse_(reuse == 0 ? 1 : reuse) {}
  std::int64_t shift(std::int64_t v, int d) noexcept { return detail::sr_shift(v, d, next_dither()); }
  std::int64_t real(double x) noexcept { return detail::sr_real(x, next_dither()); }
  std::uint32_t next_dither() noexcept {
    if (used_ == 0) dither_ = rng_.next_u32() >> 16;
    used_ = (used_ + 1) % reuse_;
    return dither_;
  }

 private:
  Rng rng_;
  unsigned reuse_;
  unsigned used_ = 0;
  std::uint32_t dither_ = 0;
};

}  // namespace round
}  // namespace lowp
#endif
