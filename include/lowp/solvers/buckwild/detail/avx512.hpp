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

#include <algorithm>
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

// One 64-byte chunk of the D8M8 step, w + floor((c x + r) / 256) per byte (r the byte's
// dither) saturated to +-127, with the clamps counted. The products come from vpmaddubsw:
// |c| <= 255 as the unsigned operand, the data as the signed one, bytes (|c|, 0) for the even
// elements of a 16-bit lane and (0, |c|) for the odd ones, so neither needs sign-extending
// shifts (three fewer shift uops per chunk than widening with slli/srai and vpmullw; shifts
// and the generator's shifts share one port pair on Zen 4). A negative c uses
//   floor((c x + r) / 256) = -floor((|c| x + (255 - r)) / 256),
// i.e. the complemented dither and a subtracting add: the same integers, no negation of a
// byte (whose -128 would not fit). |c| x + r fits int16 for |x| <= 128.
struct d8m8_coef {
  __m512i even, odd;
  bool neg;
};
__attribute__((target("avx512f,avx512bw"))) inline d8m8_coef make_d8m8_coef(std::int32_t c) noexcept {
  const bool neg = c < 0;
  const int a = neg ? -c : c;
  return {_mm512_set1_epi16(static_cast<short>(a)), _mm512_set1_epi16(static_cast<short>(a << 8)), neg};
}
template <bool Neg>
__attribute__((target("avx512f,avx512bw"))) inline __m512i d8m8_chunk_signed(__m512i wv, __m512i xv, __m512i R,
                                                                            const d8m8_coef& k,
                                                                            std::uint64_t& clamps) noexcept {
  const __m512i lowmask = _mm512_set1_epi16(0x00ff);
  if constexpr (Neg) R = _mm512_ternarylogic_epi32(R, R, R, 0x55);  // ~R
  const __m512i pe = _mm512_add_epi16(_mm512_maddubs_epi16(k.even, xv), _mm512_and_si512(R, lowmask));
  const __m512i po = _mm512_add_epi16(_mm512_maddubs_epi16(k.odd, xv), _mm512_srli_epi16(R, 8));
  // Low byte: bits 8..15 of pe (after the shift); high byte: bits 8..15 of po as they stand.
  const __m512i d8 = _mm512_ternarylogic_epi32(lowmask, _mm512_srai_epi16(pe, 8), po, 0xCA);
  const __m512i s = Neg ? _mm512_subs_epi8(wv, d8) : _mm512_adds_epi8(wv, d8);
  const __m512i wrapped = Neg ? _mm512_sub_epi8(wv, d8) : _mm512_add_epi8(wv, d8);
  const __m512i out = _mm512_max_epi8(s, _mm512_set1_epi8(-127));
  // A byte clamped iff the clamped result differs from the wrapping sum: without overflow
  // they differ only where the sum is -128 (raised to -127); with it the wrapped sum has the
  // wrong sign while the saturated one is +-127.
  clamps += static_cast<std::uint64_t>(__builtin_popcountll(_mm512_cmpneq_epi8_mask(out, wrapped)));
  return out;
}

// w[0, 64*chunks) += SR(c x / 256) with symmetric saturation; returns the clamps.
// `shared`: one generator step for the row, rotated per chunk; else one step per chunk.
// (The c < 0 and c >= 0 loops are separate instantiations, so the sign costs one branch per
// row, not one per chunk.)
template <bool Neg>
__attribute__((target("avx512f,avx512bw"))) inline std::uint64_t update_d8m8_signed(
    std::int8_t* w, const std::int8_t* x, std::size_t chunks, std::int32_t c, dither_lanes& L,
    bool shared) noexcept {
  __m512i state = _mm512_load_si512(static_cast<const void*>(L.s));
  const d8m8_coef k = make_d8m8_coef(c);
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
    _mm512_storeu_si512(static_cast<void*>(w + 64 * ch), d8m8_chunk_signed<Neg>(wv, xv, R, k, sat));
  }
  _mm512_store_si512(static_cast<void*>(L.s), state);
  return sat;
}
__attribute__((target("avx512f,avx512bw"))) inline std::uint64_t update_d8m8_avx512(
    std::int8_t* w, const std::int8_t* x, std::size_t chunks, std::int32_t c, dither_lanes& L,
    bool shared) noexcept {
  return c < 0 ? update_d8m8_signed<true>(w, x, chunks, c, L, shared) : update_d8m8_signed<false>(w, x, chunks, c, L, shared);
}

inline bool has_avx512vnni() noexcept {
  static const bool yes = has_avx512bw() && __builtin_cpu_supports("avx512vnni");
  return yes;
}

// How the fused kernel below reads and writes one 64-byte chunk of the model.
//   plain_chunks    one 512-bit load and store (race::racy_simd: a documented data race).
//   relaxed_chunks  eight relaxed 8-byte atomic loads and stores (race::atomic_relaxed): defined
//                   behaviour and ThreadSanitizer-clean, plain movs on x86. Each int8 element lies
//                   inside one atomic 8-byte access, so no element is ever torn; a concurrent
//                   update of a neighbour in the same 8 bytes can be lost, as with per-element
//                   load/store pairs (neither is an atomic add).
struct plain_chunks {
  __attribute__((target("avx512f"))) static __m512i load(const std::int8_t* p) noexcept {
    return _mm512_loadu_si512(static_cast<const void*>(p));
  }
  __attribute__((target("avx512f"))) static void store(std::int8_t* p, __m512i v) noexcept {
    _mm512_storeu_si512(static_cast<void*>(p), v);
  }
};
struct relaxed_chunks {
  using u64a = std::uint64_t __attribute__((may_alias));
  __attribute__((target("avx512f"))) static __m512i load(const std::int8_t* p) noexcept {
    const u64a* q = reinterpret_cast<const u64a*>(p);
    const auto at = [q](int i) {
      return static_cast<long long>(__atomic_load_n(const_cast<u64a*>(q + i), __ATOMIC_RELAXED));
    };
    return _mm512_set_epi64(at(7), at(6), at(5), at(4), at(3), at(2), at(1), at(0));
  }
  __attribute__((target("avx512f"))) static void store(std::int8_t* p, __m512i v) noexcept {
    alignas(64) std::uint64_t lanes[8];
    _mm512_store_si512(static_cast<void*>(lanes), v);
    u64a* q = reinterpret_cast<u64a*>(p);
    for (int i = 0; i < 8; ++i) __atomic_store_n(q + i, lanes[i], __ATOMIC_RELAXED);
  }
};

// Sum of 16 int32 lanes whose true sum fits in int32 (modular arithmetic: exact).
__attribute__((target("avx512f"))) inline std::int32_t lane_sum(__m512i v) noexcept {
  alignas(64) std::uint32_t l[16];
  _mm512_store_si512(static_cast<void*>(l), v);
  std::uint32_t s = 0;
  for (std::uint32_t x : l) s += x;
  return static_cast<std::int32_t>(s);
}

// The D8M8 update of row x (as update_d8m8_avx512, bit for bit: same dithers, same clamps)
// fused with the exact dot product of the next row `xn` with the *updated* model, chunk by
// chunk: chunk ch of xn meets chunk ch of w after row x has updated it, which is what a
// sequential "update, then next margin" computes, so one pass over the model serves both
// (the model is loaded and stored once per row, and the next row's data stream from memory
// while the update computes). x == w updates the model with itself as data (the L2 decay of
// decay_i8: each chunk is read once, through Access). c == 0 skips the update; xn == nullptr skips the dot (returns
// 0). `pf`, if not null, is a row further ahead whose chunk ch is prefetched (into L2, see
// buckwild.hpp's work_fused) at chunk ch, so the prefetches are spread over the row instead of
// issued in one burst. Clamps are added
// to `sat`.
// Dot: vpdpbusd on (xn + 128) as u8 times w as s8, minus 128 sum(w) (a second vpdpbusd
// against ones). Every 512 chunks the int32 lanes are flushed to an int64 total: a lane's
// sum of x w is then at most 512 * 4 * 127^2 < 2^25 in magnitude and the sum of the 16 lanes
// < 2^29, so the int32 reduction is exact.
template <class Access, bool Neg>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline std::int64_t update_dot_d8m8_signed(
    std::int8_t* w, const std::int8_t* x, std::int32_t c, const std::int8_t* xn, const std::int8_t* pf,
    std::size_t chunks, dither_lanes& L, bool shared, std::uint64_t& sat) noexcept {
  __m512i state = _mm512_load_si512(static_cast<const void*>(L.s));
  const d8m8_coef k = make_d8m8_coef(c);
  const __m512i m128 = _mm512_set1_epi8(-128);
  const __m512i ones8 = _mm512_set1_epi8(1);
  const __m512i one = _mm512_set1_epi32(1), fifteen = _mm512_set1_epi32(15);
  __m512i rot = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  // Four dot accumulator pairs (chunk ch uses pair ch mod 4): one vpdpbusd chain would cost
  // its latency (~5 cycles) per chunk.
  const __m512i zero = _mm512_setzero_si512();
  __m512i a0 = zero, a1 = zero, a2 = zero, a3 = zero, s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  std::int64_t total = 0;
  std::uint64_t clamps = 0;  // local: `sat` could alias the model (int8 stores alias anything)
  const bool upd = c != 0;
  const bool self = x == w;  // the model as its own data (decay_i8): never read it outside Access
  if (upd && shared) state = xorshift_lanes(state);
  // Chunk ch: update (if c != 0) and return the model chunk as it now is.
#define LOWP_BW_UPDATE_CHUNK(ch, wv)                                                                            \
  do {                                                                                                        \
    if (pf) _mm_prefetch(reinterpret_cast<const char*>(pf + 64 * (ch)), _MM_HINT_T1);                          \
    wv = Access::load(w + 64 * (ch));                                                                         \
    if (upd) {                                                                                                \
      __m512i R;                                                                                              \
      if (shared) {                                                                                           \
        R = _mm512_maskz_permutexvar_epi32(0xffff, rot, state);                                               \
        rot = _mm512_and_si512(_mm512_add_epi32(rot, one), fifteen);                                          \
      } else {                                                                                                \
        state = xorshift_lanes(state);                                                                        \
        R = state;                                                                                            \
      }                                                                                                       \
      const __m512i xv = self ? wv : _mm512_loadu_si512(static_cast<const void*>(x + 64 * (ch)));            \
      wv = d8m8_chunk_signed<Neg>(wv, xv, R, k, clamps);                                                      \
      Access::store(w + 64 * (ch), wv);                                                                       \
    }                                                                                                         \
  } while (0)
#define LOWP_BW_DOT_CHUNK(ch, wv, a, sw)                                                                        \
  do {                                                                                                        \
    const __m512i xb = _mm512_xor_si512(_mm512_loadu_si512(static_cast<const void*>(xn + 64 * (ch))), m128);  \
    a = _mm512_dpbusd_epi32(a, xb, wv);                                                                       \
    sw = _mm512_dpbusd_epi32(sw, ones8, wv);                                                                  \
  } while (0)
  if (xn) {
    std::size_t ch = 0;
    while (ch < chunks) {
      // Blocks of at most 512 chunks between flushes (see above); 4 chunks per round.
      const std::size_t end = std::min(chunks, ch + 512);
      __m512i v0, v1, v2, v3;
      for (; ch + 4 <= end; ch += 4) {
        LOWP_BW_UPDATE_CHUNK(ch, v0);
        LOWP_BW_DOT_CHUNK(ch, v0, a0, s0);
        LOWP_BW_UPDATE_CHUNK(ch + 1, v1);
        LOWP_BW_DOT_CHUNK(ch + 1, v1, a1, s1);
        LOWP_BW_UPDATE_CHUNK(ch + 2, v2);
        LOWP_BW_DOT_CHUNK(ch + 2, v2, a2, s2);
        LOWP_BW_UPDATE_CHUNK(ch + 3, v3);
        LOWP_BW_DOT_CHUNK(ch + 3, v3, a3, s3);
      }
      for (; ch < end; ++ch) {
        LOWP_BW_UPDATE_CHUNK(ch, v0);
        LOWP_BW_DOT_CHUNK(ch, v0, a0, s0);
      }
      total += lane_sum(_mm512_sub_epi32(
          _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
          _mm512_maskz_slli_epi32(0xffff, _mm512_add_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(s2, s3)), 7)));
      a0 = a1 = a2 = a3 = s0 = s1 = s2 = s3 = zero;
    }
  } else {
    __m512i v0;
    for (std::size_t ch = 0; ch < chunks; ++ch) LOWP_BW_UPDATE_CHUNK(ch, v0);
    (void)v0;
  }
#undef LOWP_BW_UPDATE_CHUNK
#undef LOWP_BW_DOT_CHUNK
  if (upd) _mm512_store_si512(static_cast<void*>(L.s), state);
  sat += clamps;
  return total;
}
template <class Access>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline std::int64_t update_dot_d8m8(
    std::int8_t* w, const std::int8_t* x, std::int32_t c, const std::int8_t* xn, const std::int8_t* pf,
    std::size_t chunks, dither_lanes& L, bool shared, std::uint64_t& sat) noexcept {
  return c < 0 ? update_dot_d8m8_signed<Access, true>(w, x, c, xn, pf, chunks, L, shared, sat)
               : update_dot_d8m8_signed<Access, false>(w, x, c, xn, pf, chunks, L, shared, sat);
}

// int16 model, int8 or int16 data, one 32-element chunk (64 bytes of model):
// d = (c x + (r16 >> (16 - k))) >> k, w = clamp(w + d, +-32767), element j using 16-bit
// word j of the dither block R; returns the new chunk and adds the clamps to `sat`.
//   m16_chunk_wide: in 32-bit lanes, any c, k (|c x| < 2^31 for |c| <= 32767, |x| <= 32767).
//   m16_chunk_narrow: int8 data and k >= 8, in 16-bit lanes: c x = hi 2^16 + lo (vpmulhw,
//     vpmullw, lo unsigned); with s = lo + r (mod 2^16) and its carry,
//     (c x + r) >> k = (hi + carry) 2^(16-k) + (s >> k) exactly, and |d| <= 2^22 / 2^8 + 1
//     fits int16, so w + d saturating to int16 and then max(-32767) is the clamp. About 20
//     vector uops per chunk against 35 for the wide form (no vpmulld, no widening).
template <class D>
__attribute__((target("avx512f,avx512bw"))) inline __m512i m16_chunk_wide(__m512i wv, const D* x, __m512i R,
                                                                         __m512i cv, __m128i kshift,
                                                                         __m128i rshift,
                                                                         std::uint64_t& sat) noexcept {
  static_assert(sizeof(D) <= 2, "int8 or int16 data");
  const __m512i hi = _mm512_set1_epi32(32767), lo = _mm512_set1_epi32(-32767);
  __m512i x0, x1;
  if constexpr (sizeof(D) == 1) {
    const __m256i xb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
    x0 = _mm512_maskz_cvtepi8_epi32(0xffff, _mm256_castsi256_si128(xb));
    x1 = _mm512_maskz_cvtepi8_epi32(0xffff, _mm256_extracti128_si256(xb, 1));
  } else {
    const __m512i xw = _mm512_loadu_si512(static_cast<const void*>(x));
    x0 = _mm512_maskz_cvtepi16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xf, xw, 0));
    x1 = _mm512_maskz_cvtepi16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xf, xw, 1));
  }
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
  // One 64-byte result (stored with one store: the next margin reads the model in 64-byte
  // loads, and a load spanning two narrower stores still in the store buffer cannot be
  // forwarded). c0, c1 are within +-32767, so the saturating pack is exact; it interleaves
  // the halves per 128-bit lane, which the qword permute undoes.
  const __m512i packed = _mm512_maskz_packs_epi32(0xffffffff, c0, c1);
  return _mm512_maskz_permutexvar_epi64(0xff, _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), packed);
}

__attribute__((target("avx512f,avx512bw"))) inline __m512i m16_chunk_narrow(__m512i wv, const std::int8_t* x,
                                                                           __m512i R, __m512i cv16, __m512i kv,
                                                                           __m512i rv, std::uint64_t& sat) noexcept {
  // Per-lane shift counts (vpsrlvw/vpsllvw: one uop; a shift by an xmm count is two).
  const __m512i xv = _mm512_maskz_cvtepi8_epi16(0xffffffff, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
  const __m512i r = _mm512_srlv_epi16(R, rv);
  const __m512i lo = _mm512_mullo_epi16(xv, cv16);
  const __m512i s = _mm512_add_epi16(lo, r);
  const __mmask32 carry = _mm512_cmplt_epu16_mask(s, lo);
  __m512i hi = _mm512_mulhi_epi16(xv, cv16);
  hi = _mm512_mask_sub_epi16(hi, carry, hi, _mm512_set1_epi16(-1));
  const __m512i d = _mm512_add_epi16(_mm512_sllv_epi16(hi, rv), _mm512_srlv_epi16(s, kv));
  // w + d lies in [-49152, 49151]; the clamped result differs from the wrapping sum exactly
  // when w + d is outside +-32767 (above: the wrap is negative; -32768 and below: the clamp
  // is -32767 and the wrap is not), so one compare counts the clamps.
  const __m512i res = _mm512_max_epi16(_mm512_adds_epi16(wv, d), _mm512_set1_epi16(-32767));
  const __mmask32 m = _mm512_cmpneq_epi16_mask(res, _mm512_add_epi16(wv, d));
  if (m != 0) sat += static_cast<std::uint64_t>(__builtin_popcount(m));
  return res;
}

// The dither block of the next chunk: `shared` reuses the row's block with its 32-bit lanes
// rotated by one per chunk; else one generator step per chunk.
struct dither_cursor {
  __m512i state, rot;
  bool shared;
  __attribute__((target("avx512f,avx512bw"))) dither_cursor(const dither_lanes& L, bool sh) noexcept
      : state(_mm512_load_si512(static_cast<const void*>(L.s))),
        rot(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)), shared(sh) {
    if (shared) state = xorshift_lanes(state);
  }
  __attribute__((target("avx512f,avx512bw"))) __m512i next() noexcept {
    if (shared) {
      const __m512i R = _mm512_maskz_permutexvar_epi32(0xffff, rot, state);
      rot = _mm512_and_si512(_mm512_maskz_add_epi32(0xffff, rot, _mm512_set1_epi32(1)), _mm512_set1_epi32(15));
      return R;
    }
    state = xorshift_lanes(state);
    return state;
  }
  __attribute__((target("avx512f,avx512bw"))) void save(dither_lanes& L) const noexcept {
    _mm512_store_si512(static_cast<void*>(L.s), state);
  }
};

// int16 model, int8 or int16 data: w[0, 32*chunks) += the update above, chunk by chunk.
template <class D>
__attribute__((target("avx512f,avx512bw"))) inline std::uint64_t update_m16_avx512(
    std::int16_t* w, const D* x, std::size_t chunks, std::int32_t c, int k, dither_lanes& L, bool shared) noexcept {
  static_assert(sizeof(D) <= 2, "int8 or int16 data");
  dither_cursor cur(L, shared);
  const __m128i kshift = _mm_cvtsi32_si128(k), rshift = _mm_cvtsi32_si128(16 - k);
  std::uint64_t sat = 0;
  if (sizeof(D) == 1 && k >= 8) {
    const __m512i cv16 = _mm512_set1_epi16(static_cast<short>(c));
    const __m512i kv = _mm512_set1_epi16(static_cast<short>(k)), rv = _mm512_set1_epi16(static_cast<short>(16 - k));
    for (std::size_t ch = 0; ch < chunks; ++ch) {
      const __m512i wv = _mm512_loadu_si512(static_cast<const void*>(w + 32 * ch));
      _mm512_storeu_si512(static_cast<void*>(w + 32 * ch),
                          m16_chunk_narrow(wv, reinterpret_cast<const std::int8_t*>(x + 32 * ch), cur.next(), cv16,
                                           kv, rv, sat));
    }
  } else {
    const __m512i cv = _mm512_set1_epi32(c);
    for (std::size_t ch = 0; ch < chunks; ++ch) {
      const __m512i wv = _mm512_loadu_si512(static_cast<const void*>(w + 32 * ch));
      _mm512_storeu_si512(static_cast<void*>(w + 32 * ch),
                          m16_chunk_wide<D>(wv, x + 32 * ch, cur.next(), cv, kshift, rshift, sat));
    }
  }
  cur.save(L);
  return sat;
}

// Exact sum of 16 int32 lanes as int64.
__attribute__((target("avx512f"))) inline std::int64_t lane_sum64(__m512i v) noexcept {
  alignas(64) std::int64_t l[8];
  _mm512_store_si512(static_cast<void*>(l),
                     _mm512_add_epi64(_mm512_maskz_cvtepi32_epi64(0xff, _mm512_maskz_extracti64x4_epi64(0xf, v, 0)),
                                      _mm512_maskz_cvtepi32_epi64(0xff, _mm512_maskz_extracti64x4_epi64(0xf, v, 1))));
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

// D8M16 (int8 data, int16 model) counterpart of update_dot_d8m8 (model chunks through Access, as
// there: plain for race::racy_simd, 8-byte relaxed atomics for race::atomic_relaxed): the
// update of row x (update_m16_avx512 bit for bit: same dithers, same clamps) fused with the
// exact dot of the next row `xn` with the updated model, 32 elements (one 64-byte model
// chunk) at a time; c == 0 skips the update, xn == nullptr the dot (returns 0); `pf`, if not
// null, is a row further ahead whose 32-byte chunk ch is prefetched at chunk ch.
// Dot: vpdpwssd of the model with xn sign-extended to int16; a pair is at most
// 2 * 32767 * 128 < 2^23, so each of the 4 accumulators (chunk ch uses ch mod 4) takes 128
// chunks (< 2^30 per lane) before the int64 flush.
template <class Access>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline std::int64_t update_dot_d8m16(
    std::int16_t* w, const std::int8_t* x, std::int32_t c, int k, const std::int8_t* xn, const std::int8_t* pf,
    std::size_t chunks, dither_lanes& L, bool shared, std::uint64_t& sat) noexcept {
  const bool upd = c != 0;
  const bool narrow = k >= 8;
  const __m128i kshift = _mm_cvtsi32_si128(k), rshift = _mm_cvtsi32_si128(16 - k);
  const __m512i cv16 = _mm512_set1_epi16(static_cast<short>(c)), cv = _mm512_set1_epi32(c);
  const __m512i kv = _mm512_set1_epi16(static_cast<short>(k)), rv = _mm512_set1_epi16(static_cast<short>(16 - k));
  // The dither state in locals (as dither_cursor, inlined by hand): an object reached through a
  // reference would be reloaded after every model store, __m512i stores aliasing everything.
  __m512i state = _mm512_load_si512(static_cast<const void*>(L.s));
  __m512i rot = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i one = _mm512_set1_epi32(1), fifteen = _mm512_set1_epi32(15);
  if (upd && shared) state = xorshift_lanes(state);
  std::uint64_t clamps = 0;
#define LOWP_BW_M16_CHUNK(ch, wv)                                                                           \
  do {                                                                                                      \
    if (pf && (ch) % 2 == 0) _mm_prefetch(reinterpret_cast<const char*>(pf + 32 * (ch)), _MM_HINT_T1);        \
    wv = Access::load(reinterpret_cast<const std::int8_t*>(w + 32 * (ch)));                                 \
    if (upd) {                                                                                              \
      __m512i R;                                                                                            \
      if (shared) {                                                                                         \
        R = _mm512_maskz_permutexvar_epi32(0xffff, rot, state);                                             \
        rot = _mm512_and_si512(_mm512_maskz_add_epi32(0xffff, rot, one), fifteen);                          \
      } else {                                                                                              \
        state = xorshift_lanes(state);                                                                      \
        R = state;                                                                                          \
      }                                                                                                     \
      wv = narrow ? m16_chunk_narrow(wv, x + 32 * (ch), R, cv16, kv, rv, clamps)                             \
                  : m16_chunk_wide<std::int8_t>(wv, x + 32 * (ch), R, cv, kshift, rshift, clamps);           \
      Access::store(reinterpret_cast<std::int8_t*>(w + 32 * (ch)), wv);                                     \
    }                                                                                                       \
  } while (0)
#define LOWP_BW_XN16(ch) _mm512_maskz_cvtepi8_epi16(0xffffffff, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xn + 32 * (ch))))
  std::int64_t total = 0;
  if (xn) {
    const __m512i zero = _mm512_setzero_si512();
    std::size_t ch = 0;
    while (ch < chunks) {
      const std::size_t end = std::min(chunks, ch + 512);
      __m512i a0 = zero, a1 = zero, a2 = zero, a3 = zero, v0, v1, v2, v3;
      for (; ch + 4 <= end; ch += 4) {
        LOWP_BW_M16_CHUNK(ch, v0);
        a0 = _mm512_dpwssd_epi32(a0, v0, LOWP_BW_XN16(ch));
        LOWP_BW_M16_CHUNK(ch + 1, v1);
        a1 = _mm512_dpwssd_epi32(a1, v1, LOWP_BW_XN16(ch + 1));
        LOWP_BW_M16_CHUNK(ch + 2, v2);
        a2 = _mm512_dpwssd_epi32(a2, v2, LOWP_BW_XN16(ch + 2));
        LOWP_BW_M16_CHUNK(ch + 3, v3);
        a3 = _mm512_dpwssd_epi32(a3, v3, LOWP_BW_XN16(ch + 3));
      }
      for (; ch < end; ++ch) {
        LOWP_BW_M16_CHUNK(ch, v0);
        a0 = _mm512_dpwssd_epi32(a0, v0, LOWP_BW_XN16(ch));
      }
      total += lane_sum64(a0) + lane_sum64(a1) + lane_sum64(a2) + lane_sum64(a3);
    }
  } else if (upd) {
    __m512i v0;
    for (std::size_t ch = 0; ch < chunks; ++ch) LOWP_BW_M16_CHUNK(ch, v0);
    (void)v0;
  }
#undef LOWP_BW_M16_CHUNK
#undef LOWP_BW_XN16
  if (upd) _mm512_store_si512(static_cast<void*>(L.s), state);
  sat += clamps;
  return total;
}

#else
inline bool has_avx512bw() noexcept { return false; }
inline bool has_avx512vnni() noexcept { return false; }
struct plain_chunks {};
struct relaxed_chunks {};
template <class Access>
inline std::int64_t update_dot_d8m8(std::int8_t*, const std::int8_t*, std::int32_t, const std::int8_t*,
                                    const std::int8_t*, std::size_t, dither_lanes&, bool, std::uint64_t&) noexcept {
  return 0;
}
template <class D>
inline std::uint64_t update_m16_avx512(std::int16_t*, const D*, std::size_t, std::int32_t, int, dither_lanes&,
                                       bool) noexcept {
  return 0;
}
template <class Access>
inline std::int64_t update_dot_d8m16(std::int16_t*, const std::int8_t*, std::int32_t, int, const std::int8_t*,
                                     const std::int8_t*, std::size_t, dither_lanes&, bool, std::uint64_t&) noexcept {
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
