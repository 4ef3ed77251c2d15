// Every 8- and 16-bit input through every deterministic rounding and
// overflow mode, against a long double reference written independently of
// the implementation (floorl/truncl and an explicit tie rule).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "lowp/types.hpp"

using lowp::fixed;

namespace {

enum class mode { floor, toward_zero, nearest_even };

long double ref_round(long double x, mode m) {
  switch (m) {
    case mode::floor: return floorl(x);
    case mode::toward_zero: return truncl(x);
    case mode::nearest_even: {
      const long double f = floorl(x), rem = x - f;
      if (rem > 0.5L) return f + 1;
      if (rem < 0.5L) return f;
      return std::fmod(static_cast<double>(f), 2.0) == 0.0 ? f : f + 1;
    }
  }
  return 0;
}

template <class To>
long long ref_overflow(long double r, bool& clipped) {
  const long double lo = static_cast<long double>(To::raw_lowest), hi = static_cast<long double>(To::raw_highest);
  clipped = r < lo || r > hi;
  if (std::is_same<typename To::overflow_policy, lowp::overflow::saturate>::value)
    return static_cast<long long>(r < lo ? lo : (r > hi ? hi : r));
  // wrap: modulo 2^bits into the target's range
  const long double span = ldexpl(1.0L, To::bits);
  long double w = fmodl(r - lo, span);
  if (w < 0) w += span;
  return static_cast<long long>(w + lo);
}


template <class From, class To, class Rounding>
void check_narrow_all(mode m) {
  lowp::saturation_counter c;
  unsigned long long expected_events = 0;
  for (std::int64_t raw = From::raw_lowest; raw <= From::raw_highest; ++raw) {
    const From x = From::from_raw(raw);
    const long double exact = ldexpl(static_cast<long double>(raw), -From::frac_bits);
    bool clipped = false;
    const long long want = ref_overflow<To>(ref_round(ldexpl(exact, To::frac_bits), m), clipped);
    expected_events += clipped ? 1 : 0;
    const To got = lowp::narrow<To>(x, Rounding{}, &c);
    if (static_cast<long long>(got.raw()) != want) {
      FAIL("narrow mismatch: raw " << raw << " -> " << int64_t(got.raw()) << ", expected " << want);
    }
  }
  CHECK(c.events == expected_events);
}

template <class To, class Rounding>
void check_quantize_grid(mode m) {
  // every multiple of 1/8 quantum (hits ties, near-ties, exact values) over
  // the range and 40 quanta beyond it on both sides
  lowp::saturation_counter c;
  unsigned long long expected_events = 0;
  for (std::int64_t k = (To::raw_lowest - 40) * 8; k <= (To::raw_highest + 40) * 8; ++k) {
    const double x = std::ldexp(static_cast<double>(k), -(To::frac_bits + 3));
    bool clipped = false;
    const long long want =
        ref_overflow<To>(ref_round(ldexpl(static_cast<long double>(x), To::frac_bits), m), clipped);
    expected_events += clipped ? 1 : 0;
    const To got = lowp::quantize<To>(x, Rounding{}, &c);
    if (static_cast<long long>(got.raw()) != want) {
      FAIL("quantize mismatch at " << x << ": " << int64_t(got.raw()) << ", expected " << want);
    }
  }
  CHECK(c.events == expected_events);
}

template <class From, class To>
void all_modes_narrow() {
  check_narrow_all<From, To, lowp::round::floor>(mode::floor);
  check_narrow_all<From, To, lowp::round::toward_zero>(mode::toward_zero);
  check_narrow_all<From, To, lowp::round::nearest_even>(mode::nearest_even);
}
template <class To>
void all_modes_quantize() {
  check_quantize_grid<To, lowp::round::floor>(mode::floor);
  check_quantize_grid<To, lowp::round::toward_zero>(mode::toward_zero);
  check_quantize_grid<To, lowp::round::nearest_even>(mode::nearest_even);
}

using sat = lowp::overflow::saturate;
using wrp = lowp::overflow::wrap;

}  // namespace

TEST_CASE("narrow: every 16-bit value - every rounding and overflow mode") {
  using f16 = fixed<16, lowp::exp2<-8>>;
  all_modes_narrow<f16, fixed<8, lowp::exp2<-4>, sat>>();               // drop 4 fraction bits, saturate
  all_modes_narrow<f16, fixed<8, lowp::exp2<-4>, wrp>>();               // ... wrap
  all_modes_narrow<f16, fixed<8, lowp::exp2<-4>, sat, false>>();        // unsigned target
  all_modes_narrow<f16, fixed<8, lowp::exp2<-4>, wrp, false>>();
  all_modes_narrow<f16, fixed<8, lowp::exp2<-8>, sat>>();               // same scale, width only
  all_modes_narrow<f16, fixed<12, lowp::exp2<-10>, sat>>();             // finer target: exact shift
  all_modes_narrow<f16, fixed<12, lowp::exp2<-10>, wrp>>();
  all_modes_narrow<f16, fixed<4, lowp::exp2<1>, sat>>();                // drop 9 bits, coarse target
  all_modes_narrow<f16, fixed<16, lowp::exp2<-1>, sat>>();              // 16 -> 16, drop 7 bits
}

TEST_CASE("narrow: every 8-bit value - every rounding and overflow mode") {
  using f8 = fixed<8, lowp::exp2<-6>>;
  all_modes_narrow<f8, fixed<4, lowp::exp2<-2>, sat>>();
  all_modes_narrow<f8, fixed<4, lowp::exp2<-2>, wrp>>();
  all_modes_narrow<f8, fixed<4, lowp::exp2<-2>, sat, false>>();
  all_modes_narrow<f8, fixed<8, lowp::exp2<-5>, sat>>();
  all_modes_narrow<f8, fixed<8, lowp::exp2<-5>, wrp>>();
  all_modes_narrow<fixed<8, lowp::exp2<0>, sat, false>, fixed<8, lowp::exp2<0>, sat, true>>();  // u8 -> s8
}

TEST_CASE("quantize: every 1/8 quantum across 8- and 16-bit ranges - every mode") {
  all_modes_quantize<fixed<8, lowp::exp2<-6>, sat>>();
  all_modes_quantize<fixed<8, lowp::exp2<-6>, wrp>>();
  all_modes_quantize<fixed<8, lowp::exp2<-3>, sat, false>>();
  all_modes_quantize<fixed<8, lowp::exp2<2>, sat>>();  // coarse scale: quanta of 4
  all_modes_quantize<fixed<16, lowp::exp2<-12>, sat>>();
  all_modes_quantize<fixed<16, lowp::exp2<-12>, wrp>>();
  all_modes_quantize<fixed<16, lowp::exp2<-8>, sat, false>>();
}

TEST_CASE("widening back to double is exact for every 8- and 16-bit value") {
  for (int r = -32768; r <= 32767; ++r) {
    const auto x = fixed<16, lowp::exp2<-11>>::from_raw(r);
    REQUIRE(static_cast<double>(x) == std::ldexp(static_cast<double>(r), -11));
    REQUIRE(lowp::quantize<fixed<16, lowp::exp2<-11>>>(static_cast<double>(x), lowp::round::floor{}).raw() == r);
  }
  for (int r = -128; r <= 127; ++r) {
    const auto x = fixed<8, lowp::exp2<-7>>::from_raw(r);
    REQUIRE(static_cast<float>(x) == std::ldexp(static_cast<float>(r), -7));
  }
}

TEST_CASE("the stochastic integer form is floor + the indicator r >= 2^d - f for every fraction and dither") {
  // Exhaustive over (fraction, dither) for d = 4, 8 and 16 (sampled for 16):
  // this is the identity that makes SR unbiased (specs/buckwild.md 8.2).
  for (int d : {4, 8, 16}) {
    const std::int64_t one = std::int64_t(1) << d;
    const std::int64_t fstep = d == 16 ? 257 : 1, rstep = d == 16 ? 263 : 1;
    for (std::int64_t a : {-3, 0, 5}) {
      for (std::int64_t f = 0; f < one; f += fstep) {
        for (std::int64_t r = 0; r < one; r += rstep) {
          const std::uint32_t dither = static_cast<std::uint32_t>(r << (16 - d));
          const std::int64_t got = lowp::round::detail::sr_shift(a * one + f, d, dither);
          REQUIRE(got == a + (r >= one - f ? 1 : 0));
        }
      }
    }
  }
}
