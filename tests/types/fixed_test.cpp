// Exact growth, storage width, traits and the dynamic-scale format.
#include <doctest/doctest.h>

#include <cstdint>
#include <type_traits>

#include "lowp/types.hpp"

using lowp::fixed;
using q8 = fixed<8, lowp::exp2<-6>>;    // Q1.6
using q16 = fixed<16, lowp::exp2<-12>>;
using u8 = fixed<8, lowp::exp2<-8>, lowp::overflow::saturate, false>;

// ---- growth rules (ac_fixed/ap_fixed): checked at compile time -----------
using prod8 = decltype(q8() * q8());
static_assert(prod8::bits == 16 && prod8::frac_bits == 12 && prod8::is_signed, "8x8 -> 16 bits, frac adds");
using sum8 = decltype(q8() + q8());
static_assert(sum8::bits == 9 && sum8::frac_bits == 6, "a+b gains one integer bit");
using mixed_sum = decltype(q8() + fixed<8, lowp::exp2<-2>>());  // I = 2 and 6, F = 6 and 2
static_assert(mixed_sum::frac_bits == 6 && mixed_sum::int_bits == 7 && mixed_sum::bits == 13,
              "sum aligns to the finer scale and the wider integer part");
using su = decltype(q8() * u8());
static_assert(su::bits == 16 && su::is_signed && su::frac_bits == 14, "signed x unsigned is signed");
using uu_sum = decltype(u8() + u8());
static_assert(!uu_sum::is_signed && uu_sum::bits == 9, "unsigned + unsigned stays unsigned");
using us_sum = decltype(u8() + q8());  // unsigned I=0 needs a sign bit: I = max(0+1, 2) + 1
static_assert(us_sum::is_signed && us_sum::int_bits == 3 && us_sum::frac_bits == 8, "");
using diff = decltype(u8() - u8());
static_assert(diff::is_signed && diff::bits == 10, "u - u is signed with one more bit");
using neg = decltype(-q8());
static_assert(neg::bits == 9, "negation of the minimum needs one more bit");
// storage is the smallest fitting native width
static_assert(sizeof(fixed<4, lowp::exp2<-3>>) == 1 && sizeof(fixed<9>) == 2 && sizeof(fixed<17>) == 4 &&
                  sizeof(fixed<33>) == 8 && sizeof(q8) == 1,
              "smallest storage");
static_assert(std::is_trivially_copyable<q8>::value && std::is_standard_layout<q8>::value, "");
// accumulators
static_assert(std::is_same<lowp::number_traits<q8>::accumulator::storage, std::int32_t>::value, "int8 -> int32");
static_assert(lowp::number_traits<q8>::accumulator::frac_bits == 12, "accumulator keeps the product scale");
static_assert(std::is_same<lowp::number_traits<fixed<16, lowp::exp2<-8>>>::accumulator::storage, std::int64_t>::value,
              "int16 -> int64");
static_assert(lowp::number_traits<q8>::raw_lowest == -128 && lowp::number_traits<q8>::raw_highest == 127, "");
static_assert(lowp::number_traits<u8>::raw_lowest == 0 && lowp::number_traits<u8>::raw_highest == 255, "");
static_assert(lowp::number_traits<fixed<5, lowp::exp2<-1>>>::raw_highest == 15, "5-bit range");
static_assert(fixed<12, lowp::exp2<-4>>::int_bits == 8, "int_bits is ap/ac I");

TEST_CASE("products and sums are exact for every 8-bit pair") {
  // exhaustive: 65536 pairs, compared with double arithmetic (exact here)
  for (int a = -128; a <= 127; ++a)
    for (int b = -128; b <= 127; ++b) {
      const q8 x = q8::from_raw(a), y = fixed<8, lowp::exp2<-6>>::from_raw(b);
      const fixed<8, lowp::exp2<-2>> z = fixed<8, lowp::exp2<-2>>::from_raw(b);
      REQUIRE(static_cast<double>(x * y) == static_cast<double>(x) * static_cast<double>(y));
      REQUIRE(static_cast<double>(x + z) == static_cast<double>(x) + static_cast<double>(z));
      REQUIRE(static_cast<double>(x - z) == static_cast<double>(x) - static_cast<double>(z));
    }
}

TEST_CASE("a 16-bit dot product accumulates exactly where Eigen's custom-scalar path wraps") {
  // E3 in DESIGN.md: 64 x (1.5 * 1.5) over int16 Q.8 gives -112 when products are
  // narrowed back to 16 bits; the declared accumulator gives 144.
  using qa = fixed<16, lowp::exp2<-8>>;
  using acc_t = lowp::number_traits<qa>::accumulator;
  const qa v = lowp::quantize<qa>(1.5, lowp::round::nearest_even{});
  acc_t acc{};
  for (int i = 0; i < 64; ++i) acc += v * v;
  CHECK(static_cast<double>(acc) == 144.0);
}

TEST_CASE("compound add saturates by default and wraps when asked") {
  q8 x = q8::from_raw(120);
  x += q8::from_raw(20);
  CHECK(x.raw() == 127);
  using w8 = fixed<8, lowp::exp2<-6>, lowp::overflow::wrap>;
  w8 y = w8::from_raw(120);
  y += w8::from_raw(20);
  CHECK(y.raw() == -116);  // 140 - 256
  q8 z = q8::from_raw(-120);
  z -= q8::from_raw(20);
  CHECK(z.raw() == -128);
}

TEST_CASE("dynamic scale: values live beside their run-time step") {
  using d8 = fixed<8, lowp::dynamic_scale>;
  const lowp::dynamic_scale::value step(0.01);
  const d8 a = lowp::quantize<d8>(0.337, step, lowp::round::nearest_even{});
  CHECK(a.raw() == 34);
  CHECK(a.to_double(step) == doctest::Approx(0.34).epsilon(1e-12));
  const auto p = a * a;  // scale is step*step
  static_assert(decltype(p)::bits == 16 && !decltype(p)::has_static_scale, "");
  CHECK(p.to_double(step * step) == doctest::Approx(0.34 * 0.34).epsilon(1e-12));
  lowp::saturation_counter c;
  const d8 big = lowp::quantize<d8>(5.0, step, lowp::round::nearest_even{}, &c);
  CHECK(big.raw() == 127);
  CHECK(c.events == 1);
  // bit centering wants power-of-two steps so that re-scaling is a shift
  CHECK(lowp::dynamic_scale::power_of_two_at_least(0.3).step == 0.5);
  CHECK(lowp::dynamic_scale::power_of_two_at_least(0.25).step == 0.25);
  CHECK(lowp::dynamic_scale::power_of_two_at_least(3e-5).step == std::ldexp(1.0, -15));
}

TEST_CASE("NaN and infinities are reported - not silently converted") {
  lowp::saturation_counter c;
  CHECK(lowp::quantize<q8>(std::nan(""), lowp::round::nearest_even{}, &c).raw() == 0);
  CHECK(lowp::quantize<q8>(HUGE_VAL, lowp::round::floor{}, &c).raw() == 127);
  CHECK(lowp::quantize<q8>(-HUGE_VAL, lowp::round::floor{}, &c).raw() == -128);
  CHECK(c.events == 3);
  CHECK(lowp::quantize<q8>(0.5, lowp::round::floor{}, &c).raw() == 32);
  CHECK(c.events == 3);
}
