// AVX-512BW version of the D8 M8 dense model update of detail/kernels.hpp,
// for the racy_simd policy. Compiled through a target attribute, so including
// it needs no -m flags; callers check has_avx512bw() first.
//
// One 64-element chunk (one cache line of x and of w):
//   x even bytes -> 16-bit lanes (shift left 8, arithmetic shift right 8),
//   x odd bytes  -> 16-bit lanes (arithmetic shift right 8);
//   P = c * x (vpmullw, exact: |c| <= 255, |x| <= 127);
//   d = (P + r) >> 8 with r the matching byte of the 64-byte dither block;
//   both halves back to bytes with one ternary-logic blend;
//   w = max(adds(w, d), -127); clamps found by comparing with the wrapping add.
// `shared` reuses one block per row, its 32-bit lanes rotated by one per chunk.
// Element j of the chunk uses byte j of the dither block, as the reference.
#ifndef LOWP_SOLVERS_BUCKWILD_DETAIL_AVX512_HPP
#define LOWP_SOLVERS_BUCKWILD_DETAIL_AVX512_HPP

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LOWP_BUCKWILD_HAVE_AVX512 1
// GCC 12's unmasked shift/permute intrinsics initialise an "undefined" vector
// from itself, which -Wmaybe-uninitialized reports once inlined (GCC PR 105593);
// the zero-masked forms used below avoid those code paths.
#include <immintrin.h>
#endif

#include "lowp/solvers/buckwild/detail/kernels.hpp"

namespace lowp {
namespace detail {
namespace bw {

#ifdef LOWP_BUCKWILD_HAVE_AVX512

inline bool has_avx512bw() noexcept {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return yes;
}

__attribute__((target("avx512f,avx512bw"))) inline __m512i xorshift_lanes(__m512i s) noexcept {
  s = _mm512_xor_si512(s, _mm512_maskz_slli_epi32(0xffff, s, 13));
  s = _mm512_xor_si512(s, _mm512_maskz_srli_epi32(0xffff, s, 17));
  return _mm512_xor_si512(s, _mm512_maskz_slli_epi32(0xffff, s, 5));
}

// w[0, 64*chunks) += SR(c x / 256) with symmetric saturation; returns the clamps.
// `shared`: one generator step for the row, rotated per chunk; else one step per chunk.
__attribute__((target("avx512f,avx512bw"))) inline std::uint64_t update_d8m8_avx512(
    std::int8_t* w, const std::int8_t* x, std::size_t chunks, std::int32_t c, dither_lanes& L,
    bool shared) noexcept {
  __m512i state = _mm512_load_si512(static_cast<const void*>(L.s));
  const __m512i cv = _mm512_set1_epi16(static_cast<short>(c));
  const __m512i lowmask = _mm512_set1_epi16(0x00ff);
  const __m512i m127 = _mm512_set1_epi8(-127);
  const __m512i m128 = _mm512_set1_epi8(-128);
  std::uint64_t sat = 0;
  const __m512i one = _mm512_set1_epi32(1), fifteen = _mm512_set1_epi32(15);
  __m512i rot = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  if (shared) state = xorshift_lanes(state);
  for (std::size_t ch = 0; ch < chunks; ++ch) {
    __m512i R;
    if (shared) {
      R = _mm512_maskz_permutexvar_epi32(0xffff, rot, state);  // lane l = state[(l + ch) mod 16]
      rot = _mm512_and_si512(_mm512_add_epi32(rot, one), fifteen);
    } else {
      state = xorshift_lanes(state);
      R = state;
    }
    const __m512i xv = _mm512_loadu_si512(static_cast<const void*>(x + 64 * ch));
    const __m512i wv = _mm512_loadu_si512(static_cast<const void*>(w + 64 * ch));
    const __m512i xe = _mm512_srai_epi16(_mm512_slli_epi16(xv, 8), 8);
    const __m512i xo = _mm512_srai_epi16(xv, 8);
    const __m512i re = _mm512_and_si512(R, lowmask);
    const __m512i ro = _mm512_srli_epi16(R, 8);
    const __m512i de = _mm512_srai_epi16(_mm512_add_epi16(_mm512_mullo_epi16(xe, cv), re), 8);
    const __m512i dodd = _mm512_srai_epi16(_mm512_add_epi16(_mm512_mullo_epi16(xo, cv), ro), 8);
    const __m512i d8 = _mm512_ternarylogic_epi32(lowmask, de, _mm512_slli_epi16(dodd, 8), 0xCA);
    const __m512i s = _mm512_adds_epi8(wv, d8);
    const __mmask64 m = _mm512_cmpneq_epi8_mask(s, _mm512_add_epi8(wv, d8)) | _mm512_cmpeq_epi8_mask(s, m128);
    if (m != 0) sat += static_cast<std::uint64_t>(__builtin_popcountll(m));
    _mm512_storeu_si512(static_cast<void*>(w + 64 * ch), _mm512_max_epi8(s, m127));
  }
  _mm512_store_si512(static_cast<void*>(L.s), state);
  return sat;
}

// int16 model, int8 or int16 data: 32-element chunks in 32-bit lanes.
// d = (c x + (r16 >> (16 - k))) >> k, w = clamp(w + d, +-32767); element j of
// a chunk uses 16-bit word j of the chunk's block, as the reference.
template <class D>
__attribute__((target("avx512f,avx512bw"))) inline std::uint64_t update_m16_avx512(
    std::int16_t* w, const D* x, std::size_t chunks, std::int32_t c, int k, dither_lanes& L, bool shared) noexcept {
  static_assert(sizeof(D) <= 2, "int8 or int16 data");
  __m512i state = _mm512_load_si512(static_cast<const void*>(L.s));
  const __m512i cv = _mm512_set1_epi32(c);
  const __m128i kshift = _mm_cvtsi32_si128(k), rshift = _mm_cvtsi32_si128(16 - k);
  const __m512i hi = _mm512_set1_epi32(32767), lo = _mm512_set1_epi32(-32767);
  const __m512i one = _mm512_set1_epi32(1), fifteen = _mm512_set1_epi32(15);
  __m512i rot = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  std::uint64_t sat = 0;
  if (shared) state = xorshift_lanes(state);
  for (std::size_t ch = 0; ch < chunks; ++ch) {
    __m512i R;
    if (shared) {
      R = _mm512_maskz_permutexvar_epi32(0xffff, rot, state);
      rot = _mm512_and_si512(_mm512_maskz_add_epi32(0xffff, rot, one), fifteen);
    } else {
      state = xorshift_lanes(state);
      R = state;
    }
    __m512i x0, x1;
    if constexpr (sizeof(D) == 1) {
      const __m256i xb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * ch));
      x0 = _mm512_maskz_cvtepi8_epi32(0xffff, _mm256_castsi256_si128(xb));
      x1 = _mm512_maskz_cvtepi8_epi32(0xffff, _mm256_extracti128_si256(xb, 1));
    } else {
      const __m512i xw = _mm512_loadu_si512(static_cast<const void*>(x + 32 * ch));
      x0 = _mm512_maskz_cvtepi16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xf, xw, 0));
      x1 = _mm512_maskz_cvtepi16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xf, xw, 1));
    }
    const __m512i wv = _mm512_loadu_si512(static_cast<const void*>(w + 32 * ch));
    const __m512i w0 = _mm512_maskz_cvtepi16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xf, wv, 0));
    const __m512i w1 = _mm512_maskz_cvtepi16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xf, wv, 1));
    const __m512i r0 = _mm512_maskz_srl_epi32(0xffff, _mm512_maskz_cvtepu16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xf, R, 0)), rshift);
    const __m512i r1 = _mm512_maskz_srl_epi32(0xffff, _mm512_maskz_cvtepu16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xf, R, 1)), rshift);
    const __m512i s0 = _mm512_maskz_add_epi32(0xffff, w0, _mm512_maskz_sra_epi32(0xffff, _mm512_maskz_add_epi32(0xffff, _mm512_maskz_mullo_epi32(0xffff, x0, cv), r0), kshift));
    const __m512i s1 = _mm512_maskz_add_epi32(0xffff, w1, _mm512_maskz_sra_epi32(0xffff, _mm512_maskz_add_epi32(0xffff, _mm512_maskz_mullo_epi32(0xffff, x1, cv), r1), kshift));
    const __m512i c0 = _mm512_maskz_min_epi32(0xffff, _mm512_maskz_max_epi32(0xffff, s0, lo), hi);
    const __m512i c1 = _mm512_maskz_min_epi32(0xffff, _mm512_maskz_max_epi32(0xffff, s1, lo), hi);
    const unsigned m = (static_cast<unsigned>(_mm512_cmpneq_epi32_mask(s0, c0))) |
                       (static_cast<unsigned>(_mm512_cmpneq_epi32_mask(s1, c1)) << 16);
    if (m != 0) sat += static_cast<std::uint64_t>(__builtin_popcount(m));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w + 32 * ch), _mm512_maskz_cvtepi32_epi16(0xffff, c0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w + 32 * ch + 16), _mm512_maskz_cvtepi32_epi16(0xffff, c1));
  }
  _mm512_store_si512(static_cast<void*>(L.s), state);
  return sat;
}

#else
inline bool has_avx512bw() noexcept { return false; }
template <class D>
inline std::uint64_t update_m16_avx512(std::int16_t*, const D*, std::size_t, std::int32_t, int, dither_lanes&,
                                       bool) noexcept {
  return 0;
}
inline std::uint64_t update_d8m8_avx512(std::int8_t*, const std::int8_t*, std::size_t, std::int32_t, dither_lanes&,
                                        bool) noexcept {
  return 0;
}
#endif

}  // namespace bw
}  // namespace detail
}  // namespace lowp
#endif
