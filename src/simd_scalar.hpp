// Internal to src/: scalar pieces of the SIMD kernels (tails, fallbacks).
//
// These are copies of the reference in include/lowp/kernels/scalar.hpp and
// include/lowp/quantize/rng.hpp, operation for operation, so tails give the
// same bits as the reference (the tests check it). They are copies rather
// than calls on purpose: every SIMD translation unit is compiled with its own
// -m flags, and an inline function from a shared header that is not inlined
// (always the case at -O0) is emitted as a COMDAT symbol the linker may take
// from any translation unit -- including one compiled for AVX-512 -- for
// every caller, the scalar table included. Each TU defines LOWP_SIMD_NS to a
// name of its own before including the simd_*.hpp headers, so nothing here
// is shared between translation units.
#ifndef LOWP_SRC_SIMD_SCALAR_HPP
#define LOWP_SRC_SIMD_SCALAR_HPP

#ifndef LOWP_SIMD_NS
#error "define LOWP_SIMD_NS (one name per translation unit) before including simd_*.hpp"
#endif

#include <cstddef>
#include <cstdint>

#include "lowp/kernels/dispatch.hpp"

namespace lowp {
namespace kernels {
namespace LOWP_SIMD_NS {

using std::size_t;
using i8 = std::int8_t;
using i16 = std::int16_t;
using i32 = std::int32_t;
using i64 = std::int64_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using rm = rounding_mode;

// ---- counter RNG (rng.hpp) -------------------------------------------------
constexpr u32 kMix1 = 0x21f0aaadU, kMix2 = 0x735a2d97U;

constexpr u32 mix32(u32 x) noexcept {
  x ^= x >> 16;
  x *= kMix1;
  x ^= x >> 15;
  x *= kMix2;
  x ^= x >> 15;
  return x;
}
constexpr u32 draw_(rng_key k, u64 counter) noexcept {
  return mix32(mix32(static_cast<u32>(counter) ^ k.k0) ^ (static_cast<u32>(counter >> 32) + k.k1));
}
constexpr u32 dither16_(rng_key k, u64 first, u64 i) noexcept {
  return (draw_(k, first + i / 2) >> ((i & 1) * 16)) & 0xffffU;
}
// This TU's own instantiations of the ARS reference code (quantize/ars.hpp's Tag).
struct tu_tag {};

// The dithers of one call in element order (ref::dithers), for tails and fallbacks.
class dithers {
 public:
  dithers(rounding_mode m, dither_source s) noexcept : m_(m), s_(s), ars_(s.key, s.first) {}
  u32 at(size_t i) noexcept {
    if (m_ == rounding_mode::nearest_even) return 0U;
    if (m_ == rounding_mode::stochastic_ars || m_ == rounding_mode::stochastic_fixed) return ars_.at(i);
    return dither16_(s_.key, s_.first, m_ == rounding_mode::stochastic ? i : (i & 63));
  }

 private:
  rounding_mode m_;
  dither_source s_;
  ars_dither_cursor<tu_tag> ars_;
};

// ---- rounding (scalar.hpp / nearest.hpp) ------------------------------------
inline i32 nearest_int(float v) noexcept {
  const double x = v;
  const double f = __builtin_floor(x);
  const double rem = x - f;
  const i64 q = static_cast<i64>(f);
  return static_cast<i32>(rem > 0.5 ? q + 1 : (rem < 0.5 ? q : q + (q & 1)));
}
inline i32 round_float(float v, rounding_mode m, u32 dither) noexcept {
  if (m == rounding_mode::nearest_even) return nearest_int(v);
  const float i = __builtin_floorf(v);
  const float f = v - i;
  const i32 t = nearest_int(f * 65536.0f);
  return static_cast<i32>(i) + ((t + static_cast<i32>(dither)) >> 16);
}
inline float clamp_float(float v, float lo, float hi) noexcept { return v < lo ? lo : (v > hi ? hi : v); }

// Saturating add of an already rounded increment (the second half of update_one).
template <class W>
inline bool add_sat(W& w, i32 d) noexcept {
  const i32 sum = i32(w) + d;
  if (sum < int_range<W>::lo) return w = static_cast<W>(int_range<W>::lo), true;
  if (sum > int_range<W>::hi) return w = static_cast<W>(int_range<W>::hi), true;
  w = static_cast<W>(sum);
  return false;
}

// One element of stochastic_fixed (scalar.hpp's update_fixed_one): w <- sat(w + ((b x + h + r) >> 16)).
template <class W, class X>
inline bool fixed_one(W& w, X x, i32 b, u32 dither, i32 h = 0) noexcept {
  return add_sat(w, static_cast<i32>((i64(b) * i64(x) + i64(h) + i64(dither)) >> 16));
}

inline float fmaf_(float a, float b, float c) noexcept { return __builtin_fmaf(a, b, c); }

template <class W>
inline bool add_rounded(W& w, float v, rounding_mode m, u32 dither) noexcept {
  bool bad = false;
  if (v != v) v = 0.0f, bad = true;
  const float c = int_range<W>::clamp;
  return add_sat(w, round_float(clamp_float(v, -c, c), m, dither)) || bad;
}
template <class W, class X>
inline bool update_one(W& w, X x, float a, rounding_mode m, u32 dither) noexcept {
  return add_rounded(w, a * static_cast<float>(x), m, dither);
}
template <class W, class X>
inline bool update_bias_one(W& w, X x, float h, float a, float b, rounding_mode m, u32 dither) noexcept {
  return add_rounded(w, fmaf_(b, static_cast<float>(w), fmaf_(a, static_cast<float>(x), h)), m, dither);
}

// Elements [from, to) of update_bias one by one: the tails, and the blocks the SIMD loop
// hands back. Out of line, to keep the SIMD loop's registers its own.
template <class W, class X>
__attribute__((noinline)) size_t update_bias_scalar(W* w, const X* x, const float* h, size_t from, size_t to, float a,
                                                    float b, rounding_mode m, dither_source s) noexcept {
  size_t clipped = 0;
  dithers dt(m, s);
  for (size_t i = from; i < to; ++i) clipped += update_bias_one(w[i], x[i], h[i], a, b, m, dt.at(i)) ? 1 : 0;
  return clipped;
}

template <class Q>
inline bool quantize_one(float x, float inv_scale, Q& q, rounding_mode m, u32 dither) noexcept {
  const float lo = static_cast<float>(int_range<Q>::lo), hi = static_cast<float>(int_range<Q>::hi);
  float v = x * inv_scale;
  bool bad = false;
  if (v != v)
    v = 0.0f, bad = true;
  else if (v < lo || v > hi)
    bad = true;
  q = static_cast<Q>(round_float(clamp_float(v, lo, hi), m, dither));
  return bad;
}

// Software prefetch of the 64-element block `kPrefetch` elements ahead of p, for the
// streaming loops over int8/int16 data: their loops are busy enough that the hardware
// prefetcher alone leaves DRAM bandwidth unused (measured on a Xeon SPR: update_i8_i8
// nearest 4.4 -> 6.8 G/s, dot_i8 14.7 -> 15.7 GB/s at 2^28 elements; no effect on the
// float dot and axpy, which get no prefetch). Addresses are formed as integers: the
// prefetch may point past the end of the array, which is harmless for a prefetch.
constexpr size_t kPrefetch = 2048;
// Prefetching only pays when the data come from beyond L2; in L1 the extra load-port
// uops cost a third of the int8 dot's speed. Kernels prefetch from this many bytes per
// array on.
constexpr size_t kPrefetchMinBytes = size_t(1) << 19;
// Locality 3 (T0) fetches into L1; the dots ask for 2 (T1, into L2): on Zen 4 their two
// read-only streams then reach 25-28 GB/s against 21-26 with T0 (a scratch loop, 2^28 int8
// elements per array, alternating variants), while the updates measured better with T0.
template <class T, int Write = 0, int Locality = 3>
inline void prefetch_ahead(const T* p) noexcept {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p) + kPrefetch * sizeof(T);
  for (size_t o = 0; o < 64 * sizeof(T); o += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(a + o), Write, Locality);
}

inline float fold64(float* acc) noexcept {
  for (int w = 32; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

}  // namespace LOWP_SIMD_NS
}  // namespace kernels
}  // namespace lowp
#endif
