// Internal to src/: AVX-512 (F/BW/VL/DQ) building blocks for simd_kernels.hpp.
// Only for translation units compiled with those -m flags.
#ifndef LOWP_SRC_SIMD_AVX512_HPP
#define LOWP_SRC_SIMD_AVX512_HPP

// GCC 12's avx512fintrin.h initialises "undefined" vectors from themselves
// (__m512i __Y = __Y;), which -Wuninitialized reports once inlined (GCC PR 105593).
// Diagnostic pragmas are keyed on source location, so ignoring the warning around
// the first inclusion of the intrinsics headers covers those lines only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstdlib>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "simd_scalar.hpp"

namespace lowp {
namespace kernels {
namespace LOWP_SIMD_NS {

struct ops_avx512 {
  using arch = xsimd::avx512bw;
  using bf = xsimd::batch<float, arch>;
  using bi = xsimd::batch<i32, arch>;
  using bm = xsimd::batch_bool<float, arch>;
  using vi = __m512i;
  static constexpr int N = 16;  // 32-bit lanes

  // ---- lane-wise basics ----------------------------------------------------
  static vi zero() noexcept { return _mm512_setzero_si512(); }
  static vi set1(u32 v) noexcept { return _mm512_set1_epi32(static_cast<int>(v)); }
  static vi add(vi a, vi b) noexcept { return _mm512_add_epi32(a, b); }
  static vi srai16(vi a) noexcept { return _mm512_srai_epi32(a, 16); }
  static vi mullo(vi a, vi b) noexcept { return _mm512_mullo_epi32(a, b); }
  static vi widen(const i8* p) noexcept {
    return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static vi widen(const i16* p) noexcept {
    return _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static vi loadu(const u32* p) noexcept { return _mm512_loadu_si512(p); }
  static bf to_float(vi v) noexcept { return xsimd::batch_cast<float>(bi(v)); }
  static bf load(const float* p) noexcept { return bf::load_unaligned(p); }
  static bf load(const i8* p) noexcept { return to_float(widen(p)); }
  static bf load(const i16* p) noexcept { return to_float(widen(p)); }
  // cvtps2dq with embedded round-to-nearest-even: like the reference's explicit rounding it
  // does not depend on the MXCSR rounding mode (xsimd::nearbyint_as_int would).
  static vi cvt(bf v) noexcept { return _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // xsimd 8.1 has no avx512 fma kernel (its generic fallback is an unfused x*y+z)
  static bf fma(bf a, bf b, bf c) noexcept { return _mm512_fmadd_ps(a, b, c); }
  static unsigned count(bm m) noexcept { return static_cast<unsigned>(__builtin_popcount(m.data)); }
  // lanes where a != b or either is NaN (xsimd's != is the ordered compare)
  static unsigned count_changed(bf a, bf b) noexcept {
    return static_cast<unsigned>(__builtin_popcount(_mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ)));
  }

  static vi load_i32(const i32* p) noexcept { return _mm512_load_si512(p); }  // 64-byte aligned
  static vi load_i32u(const i32* p) noexcept { return _mm512_loadu_si512(p); }
  static void store_i32(i32* p, vi v) noexcept { _mm512_store_si512(p, v); }  // 64-byte aligned

  // ---- float dot helpers (the 64 accumulator lanes are acc[0..3]) ------------------
  // Lanes of the first `rem` (< 64) elements get their fma; the others keep their value
  // (merge masking: fma(0, 0, -0.0f) would turn -0 into +0).
  static void tail_fma(bf* acc, const float* x, const float* y, size_t rem) noexcept {
    for (int v = 0; v < 4 && rem > size_t(v) * 16; ++v) {
      const size_t r = rem - size_t(v) * 16;
      const __mmask16 m = r >= 16 ? __mmask16(0xffff) : __mmask16((1U << r) - 1);
      acc[v] =
          _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(m, x + v * 16), _mm512_maskz_loadu_ps(m, y + v * 16), acc[v], m);
    }
  }
  // The reference fold: acc[j] += acc[j + w] for w = 32, 16, ..., 1.
  static float fold64(const bf* acc) noexcept {
    const __m512 c = _mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3]));  // 32, 16
    const __m256 d = _mm256_add_ps(_mm512_castps512_ps256(c), _mm512_extractf32x8_ps(c, 1));       // 8
    const __m128 e = _mm_add_ps(_mm256_castps256_ps128(d), _mm256_extractf128_ps(d, 1));           // 4
    const __m128 f = _mm_add_ps(e, _mm_movehl_ps(e, e));                                           // 2
    return _mm_cvtss_f32(_mm_add_ss(f, _mm_shuffle_ps(f, f, 1)));                                  // 1
  }

  // ---- counter RNG -----------------------------------------------------------
  static vi mix_tail(vi x) noexcept {  // mix32 after its first xorshift
    const vi c1 = set1(kMix1), c2 = set1(kMix2);
    x = _mm512_mullo_epi32(x, c1);
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
    x = _mm512_mullo_epi32(x, c2);
    return x;  // the last xorshift is left to the caller (it folds into a ternlog)
  }
  // The rest of draw() once the first xorshift of the first mix32 is done; hi = counter's
  // high word + k1. Returns the complemented draws (~r), see dblock.
  static vi draw_rest(vi x, vi hi) noexcept {
    x = mix_tail(x);
    x = _mm512_ternarylogic_epi32(x, _mm512_srli_epi32(x, 15), hi, 0x96);  // x ^ x>>15 ^ hi
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
    x = mix_tail(x);
    return _mm512_ternarylogic_epi32(x, _mm512_srli_epi32(x, 15), x, 0xc3);  // ~(x ^ x>>15)
  }
  static vi iota() noexcept { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
  // 16 complemented draws, any counter: lane j = ~draw(k, c0 + j), carries included.
  static vi draws_any(rng_key k, u64 c0) noexcept {
    const u32 lo0 = static_cast<u32>(c0), hi0 = static_cast<u32>(c0 >> 32);
    const vi lo = _mm512_add_epi32(set1(lo0), iota());
    vi x = _mm512_xor_si512(lo, set1(k.k0));
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
    const __mmask16 carry = _mm512_cmplt_epu32_mask(lo, set1(lo0));  // low word wrapped
    const vi hi = _mm512_mask_add_epi32(set1(hi0 + k.k1), carry, set1(hi0 + k.k1), set1(1));
    return draw_rest(x, hi);
  }

  // The dithers of a 64-element block (draws c0 .. c0+31), kept as the draws themselves:
  // 16 draws seen as 32 uint16 lanes are the dithers of 32 consecutive elements in order.
  // Stored complemented (~r), which is what the carry test below wants.
  struct dblock {
    vi nd[2];
  };
  static dblock no_dithers() noexcept { return {{zero(), zero()}}; }
  // The dithers of successive blocks of one call. When a block's 32 counters share bits
  // 16..63 (all but one block in 2048), the first xorshift of (lo ^ k0) is one xor with a
  // constant (its >> 16 is the same in every lane) and the high word has no carry; those
  // two constants are kept across blocks.
  struct stream {
    rng_key k;
    u64 seg = ~u64(0);
    vi kx = zero(), hi = zero();
    dblock block(u64 c0, bool /*more*/ = false) noexcept {
      const u32 lo0 = static_cast<u32>(c0);
      if ((lo0 & 0xffffU) > 0xffffU - 31) return {{draws_any(k, c0), draws_any(k, c0 + 16)}};
      if ((c0 >> 16) != seg) {
        seg = c0 >> 16;
        kx = set1(k.k0 ^ ((lo0 ^ k.k0) >> 16));
        hi = set1(static_cast<u32>(c0 >> 32) + k.k1);
      }
      const vi b = set1(lo0), i0 = iota();
      const vi x0 = _mm512_xor_si512(_mm512_add_epi32(b, i0), kx);
      const vi x1 = _mm512_xor_si512(_mm512_add_epi32(b, _mm512_add_epi32(i0, set1(16))), kx);
      return {{draw_rest(x0, hi), draw_rest(x1, hi)}};
    }
  };
  // The same blocks from the ARS-5 generator (quantize/ars.hpp): with c0 a multiple of 4
  // (every block of a call that starts on an AES block, which ars_rng::take ensures) the
  // 32 draws are the 8 AES blocks c0/4 .. c0/4+7, two per 128-bit lane pair of 2 zmm, in
  // lane order. VAES does 4 blocks per instruction; without it (AVX-512 before Ice Lake)
  // each 128-bit lane takes the AES-NI instructions. Other c0 take the scalar reference.
  struct ars_stream {
    rng_key k;
    ars_keys ks;
    vi rk[6], rk5n;
    bool vaes;
    explicit ars_stream(rng_key key) noexcept : k(key), ks(ars_key_schedule<tu_tag>(key)), vaes(has_vaes()) {
      for (int i = 0; i < 6; ++i)
        rk[i] = _mm512_broadcast_i32x4(_mm_set_epi64x(static_cast<long long>(ks.hi[i]), static_cast<long long>(ks.lo[i])));
      rk5n = _mm512_ternarylogic_epi32(rk[5], rk[5], rk[5], 0x55);  // ~rk[5]
    }
    static bool has_vaes() noexcept {
      static const bool v = [] {
        __builtin_cpu_init();
        if (const char* e = std::getenv("LOWP_NO_VAES"); e != nullptr && *e == '1') return false;  // tests
        return __builtin_cpu_supports("vaes") != 0 && __builtin_cpu_supports("aes") != 0;
      }();
      return v;
    }
    // Draw c alone (AES-NI on one block): stochastic_fixed's step draw.
    u32 single(u64 c) const noexcept {
      __m128i z = _mm_xor_si128(_mm_set_epi64x(0, static_cast<long long>(c >> 2)), _mm512_castsi512_si128(rk[0]));
      for (int i = 1; i < 5; ++i) z = _mm_aesenc_si128(z, _mm512_castsi512_si128(rk[i]));
      z = _mm_aesenclast_si128(z, _mm512_castsi512_si128(rk[5]));
      alignas(16) u32 t[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(t), z);
      return t[c & 3];
    }
    // Two 4-block groups, rounds interleaved (two independent AES chains in flight). The
    // last round key is rk5n = ~rk[5]: aesenclast ends with the key's XOR, so the blocks come
    // out complemented, as dblock keeps them, without another instruction.
    void enc2(vi& x, vi& y) const noexcept {
      if (vaes) {
        x = _mm512_xor_si512(x, rk[0]);
        y = _mm512_xor_si512(y, rk[0]);
        for (int i = 1; i < 5; ++i) x = _mm512_aesenc_epi128(x, rk[i]), y = _mm512_aesenc_epi128(y, rk[i]);
        x = _mm512_aesenclast_epi128(x, rk5n);
        y = _mm512_aesenclast_epi128(y, rk5n);
        return;
      }
      alignas(64) __m128i l[8];
      _mm512_store_si512(l, x);
      _mm512_store_si512(l + 4, y);
      for (int q = 0; q < 8; ++q) {
        __m128i z = _mm_xor_si128(l[q], _mm512_castsi512_si128(rk[0]));
        for (int i = 1; i < 5; ++i) z = _mm_aesenc_si128(z, _mm512_castsi512_si128(rk[i]));
        l[q] = _mm_aesenclast_si128(z, _mm512_castsi512_si128(rk5n));
      }
      x = _mm512_load_si512(l);
      y = _mm512_load_si512(l + 4);
    }
    // `more`: the caller's next block is c0 + 32. Its AES rounds are then issued now, one
    // block ahead, so their latency overlaps this block's rounding instead of stalling it.
    [[gnu::always_inline]] dblock block(u64 c0, bool more = false) noexcept {
      dblock r = (have_next && c0 == next_c0) ? next : gen(c0);
      have_next = more;
      if (more) next_c0 = c0 + 32, next = gen(next_c0);
      return r;
    }
    // Unaligned first draws and CPUs without VAES: out of line, so that the fast case
    // inlines into the kernel loops without their registers.
    [[gnu::noinline]] dblock gen_slow(u64 c0) const noexcept {
      if (c0 & 3) {
        alignas(64) u32 t[32];
        for (int j = 0; j < 32; ++j) t[j] = ~ars_draw<tu_tag>(ks, c0 + u64(j));
        return {{_mm512_load_si512(t), _mm512_load_si512(t + 16)}};
      }
      vi x = counters(c0, 0), y = counters(c0, 4);
      enc2(x, y);
      return {{x, y}};
    }
    // The 128-bit lanes (b + j, 0), j = first .. first + 3, b = c0 / 4; block indices are c / 4
    // of a 64-bit counter: they wrap at 2^62.
    static vi counters(u64 c0, int first) noexcept {
      const long long b = static_cast<long long>(c0 >> 2);
      const vi m62 = _mm512_maskz_set1_epi64(0x55, 0x3fffffffffffffffLL);
      return _mm512_and_si512(_mm512_add_epi64(_mm512_maskz_set1_epi64(0x55, b),
                                               _mm512_setr_epi64(first, 0, first + 1, 0, first + 2, 0, first + 3, 0)),
                              m62);
    }
    [[gnu::always_inline]] dblock gen(u64 c0) const noexcept {
      if ((c0 & 3) != 0 || !vaes) return gen_slow(c0);
      vi x = counters(c0, 0), y = counters(c0, 4);
      x = _mm512_xor_si512(x, rk[0]);
      y = _mm512_xor_si512(y, rk[0]);
      for (int i = 1; i < 5; ++i) x = _mm512_aesenc_epi128(x, rk[i]), y = _mm512_aesenc_epi128(y, rk[i]);
      return {{_mm512_aesenclast_epi128(x, rk5n), _mm512_aesenclast_epi128(y, rk5n)}};
    }
    // Blocks c0, c0 + 32, c0 + 64, ... taken in order (stochastic_fixed's loop): the
    // counters advance by one add each, with no mask, and the round keys are the run's own
    // copies, which the compiler keeps in registers -- through the stream object they were
    // reloaded after every int8 store, which may alias them. Only where gen would take
    // the fast case for every block of the run and no block index reaches 2^62
    // (sequential()).
    struct run {
      vi x, y, rk[6], rk5n, step;
      [[gnu::always_inline]] dblock next() noexcept {
        vi a = _mm512_xor_si512(x, rk[0]), b = _mm512_xor_si512(y, rk[0]);
        for (int i = 1; i < 5; ++i) a = _mm512_aesenc_epi128(a, rk[i]), b = _mm512_aesenc_epi128(b, rk[i]);
        x = _mm512_add_epi64(x, step);
        y = _mm512_add_epi64(y, step);
        return {{_mm512_aesenclast_epi128(a, rk5n), _mm512_aesenclast_epi128(b, rk5n)}};
      }
    };
    // Whether `blocks` successive 64-element blocks from draw c0 can go through run.
    bool sequential(u64 c0, u64 blocks) const noexcept {
      return vaes && (c0 & 3) == 0 && (c0 >> 2) + 8 * blocks + 8 < (u64(1) << 62);
    }
    run sequence(u64 c0) const noexcept {
      run r;
      r.x = counters(c0, 0);
      r.y = counters(c0, 4);
      for (int i = 0; i < 6; ++i) r.rk[i] = rk[i];
      r.rk5n = rk5n;
      r.step = _mm512_maskz_set1_epi64(0x55, 8);
      return r;
    }
    dblock next{};
    u64 next_c0 = 0;
    bool have_next = false;
  };

  // The dithers of elements 16j .. 16j+15 as zero-extended 32-bit lanes.
  static vi wide(const dblock& d, int j) noexcept {
    const vi r = _mm512_ternarylogic_epi32(d.nd[j >> 1], d.nd[j >> 1], d.nd[j >> 1], 0x55);  // ~nd
    return _mm512_cvtepu16_epi32((j & 1) ? _mm512_extracti64x4_epi64(r, 1) : _mm512_castsi512_si256(r));
  }

  // The reference's rounding of f = v - floor(v) for -1/2 < v < 0 (where v + 1 is inexact),
  // on s = 65536 v: (s + 65536) - 65536 on the negative lanes (see simd_kernels.hpp).
  static bf snap(bf s) noexcept {
    const __m512 c = _mm512_set1_ps(65536.0f);
    return _mm512_mask_sub_ps(s, _mm512_cmp_ps_mask(s, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_add_ps(s, c), c);
  }

  // ---- rounding in 16-bit lanes ------------------------------------------------
  // R = rne(65536 v) as int32 for 32 elements (R0: 0-15, R1: 16-31). The stochastic result
  // (R + r) >> 16 is hi16(R) + carry(lo16(R) + r); vpermt2w gathers the high and the low
  // halves in element order, the order of the dithers. Needs |R| + r < 2^31 (so the result
  // fits int16); for nearest R itself must fit int16.
  static vi idx16(int half) noexcept {
    alignas(64) static const short lo[32] = {0,  2,  4,  6,  8,  10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30,
                                             32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62};
    alignas(64) static const short hi[32] = {1,  3,  5,  7,  9,  11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31,
                                             33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 63};
    return _mm512_load_si512(half ? hi : lo);
  }
  template <rm M>
  static vi round16(vi r0, vi r1, vi nd) noexcept {
    const vi lo = _mm512_permutex2var_epi16(r0, idx16(0), r1);
    if constexpr (M == rm::nearest_even) {
      return lo;
    } else {
      const vi hi = _mm512_permutex2var_epi16(r0, idx16(1), r1);
      return _mm512_mask_add_epi16(hi, _mm512_cmpgt_epu16_mask(lo, nd), hi, _mm512_set1_epi16(1));
    }
  }

  // ---- narrowing stores ------------------------------------------------------
  // packs_epi16 / packs_epi32 interleave 64-bit chunks across 128-bit lanes; one vpermq
  // puts them back in element order.
  static vi perm_i16() noexcept { return _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7); }
  static constexpr int group_i16 = 2;  // int32 vectors per store_sat(int16*)

  // int32 path (int16 model, general a): w[0..31] <- sat16(s[0..1]); returns how many
  // were out of range.
  static unsigned store_sat(i16* w, const vi* s) noexcept {
    const vi off = set1(32768), lim = set1(65535);
    const __mmask16 m0 = _mm512_cmpgt_epu32_mask(add(s[0], off), lim);
    const __mmask16 m1 = _mm512_cmpgt_epu32_mask(add(s[1], off), lim);
    _mm512_storeu_si512(w, _mm512_permutexvar_epi64(perm_i16(), _mm512_packs_epi32(s[0], s[1])));
    return static_cast<unsigned>(__builtin_popcount(m0) + __builtin_popcount(m1));
  }
  static void store(float* y, bf v) noexcept { v.store_unaligned(y); }

  // ---- block finishers: 64 rounded values R (rne of the float to round) -> model / output
  // w[0..63] <- sat(w + d) for increments d0 (elements 0-31) and d1 (32-63) in int16 lanes;
  // returns how many were out of range. int8 model: the sum saturated in int16 keeps the
  // int8 verdict.
  static unsigned add_inc16(i8* w, vi d0, vi d1) noexcept {
    const vi s0 = _mm512_adds_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w))), d0);
    const vi s1 =
        _mm512_adds_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32))), d1);
    const vi off = _mm512_set1_epi16(128), lim = _mm512_set1_epi16(255);
    const __mmask32 m0 = _mm512_cmpgt_epu16_mask(_mm512_add_epi16(s0, off), lim);
    const __mmask32 m1 = _mm512_cmpgt_epu16_mask(_mm512_add_epi16(s1, off), lim);
    _mm512_storeu_si512(w, _mm512_permutexvar_epi64(perm_i16(), _mm512_packs_epi16(s0, s1)));
    return static_cast<unsigned>(__builtin_popcountll(_cvtmask64_u64(_mm512_kunpackd(m1, m0))));
  }
  // int16 model (|d| < 2^15): saturating int16 add; it clipped where it differs from the
  // wrapping add.
  static unsigned add_inc16(i16* w, vi d0, vi d1) noexcept {
    unsigned c = 0;
    for (int h = 0; h < 2; ++h) {
      const vi dv = h == 0 ? d0 : d1;
      const vi wv = _mm512_loadu_si512(w + 32 * h);
      const vi sv = _mm512_adds_epi16(wv, dv);
      c += static_cast<unsigned>(__builtin_popcount(_mm512_cmpneq_epi16_mask(sv, _mm512_add_epi16(wv, dv))));
      _mm512_storeu_si512(w + 32 * h, sv);
    }
    return c;
  }
  template <rm M, class W>
  static unsigned finish(W* w, const vi* R, const dblock& d) noexcept {
    return add_inc16(w, round16<M>(R[0], R[1], d.nd[0]), round16<M>(R[2], R[3], d.nd[1]));
  }
  // finish for values R that were not clamped or checked for NaN (update_bias): leaves w
  // alone and returns false when an increment may be wrong.
  // Nearest: R saturated to int16 (packs) is wrong only where it reads +-(2^15 - 1) or -2^15
  // (NaN and |v| >= 2^31 convert to INT_MIN), so those lanes flag the block.
  // Stochastic: an increment of -2^15 flags every lane that cannot be trusted -- a NaN or
  // |65536 v| >= 2^31 converts to INT_MIN (high half -2^15, low half 0, so no carry), and
  // a high half 2^15 - 1 plus a carry wraps to -2^15 -- and otherwise only
  // -2^15 <= v < -2^15 + 1, which the caller's exact path handles as well.
  template <rm M, class W>
  static bool finish_checked(W* w, const vi* R, const dblock& d, size_t& clipped) noexcept {
    vi d0, d1;
    if constexpr (M == rm::nearest_even) {
      d0 = _mm512_permutexvar_epi64(perm_i16(), _mm512_packs_epi32(R[0], R[1]));
      d1 = _mm512_permutexvar_epi64(perm_i16(), _mm512_packs_epi32(R[2], R[3]));
      const vi lim = _mm512_set1_epi16(32766);  // |d| as uint16: 32767 and 32768 (-2^15) flag
      if (_kortestz_mask32_u8(_mm512_cmpgt_epu16_mask(_mm512_abs_epi16(d0), lim),
                              _mm512_cmpgt_epu16_mask(_mm512_abs_epi16(d1), lim)) == 0)
        return false;
    } else {
      d0 = round16<M>(R[0], R[1], d.nd[0]), d1 = round16<M>(R[2], R[3], d.nd[1]);
      if (_mm512_cmpeq_epi16_mask(_mm512_min_epi16(d0, d1), _mm512_set1_epi16(-32768)) != 0) return false;
    }
    clipped += add_inc16(w, d0, d1);
    return true;
  }
  // stochastic_fixed (simd_kernels.hpp): B = bh 2^16 + bl with bl read as a signed int16, so
  // B x = (bh x) 2^16 + bl x and, mod 2^16, hi16(B x) = bh x + mulhi(bl, x), lo16 = mullo(bl, x).
  // |B| < 2^15 (steps below half a quantum per data unit, the usual SGD case) has bh = 0:
  // hi16(B x) is then mulhi(bl, x) alone, two multiplies and two adds fewer per 64 elements
  // (fixed64<true>; on Zen 4 the multiplies share a pipe pair with the AES rounds).
  struct fixed_coef {
    vi bl, bh;
    bool high_zero;
    explicit fixed_coef(i32 b) noexcept
        : bl(_mm512_set1_epi16(static_cast<short>(static_cast<u32>(b) & 0xffffU))),
          bh(_mm512_set1_epi16(static_cast<short>((b >> 16) + ((b & 0x8000) ? 1 : 0)))),
          high_zero((b >> 16) + ((b & 0x8000) ? 1 : 0) == 0) {}
  };
  static vi load16(const i8* x) noexcept { return cvt8to16(x); }
  static vi load16(const i16* x) noexcept { return _mm512_loadu_si512(x); }
  template <bool HighZero = false, class X>
  static vi fixed_inc32(const X* x, const fixed_coef& c, vi nd) noexcept {
    const vi xv = load16(x);
    const vi lo = _mm512_mullo_epi16(xv, c.bl);
    vi hi = _mm512_mulhi_epi16(xv, c.bl);
    if constexpr (!HighZero) hi = _mm512_add_epi16(_mm512_mullo_epi16(xv, c.bh), hi);
    return _mm512_mask_add_epi16(hi, _mm512_cmpgt_epu16_mask(lo, nd), hi, _mm512_set1_epi16(1));
  }
  // int8 model and increments that fit int8: sat(w + d) is the saturating int8 add, and it
  // clipped where that differs from the wrapping add. No widening of w (two vpmovsxbw and
  // half the adds and compares of add_inc16).
  static unsigned add_inc8(i8* w, vi d0, vi d1) noexcept {
    const vi d = _mm512_permutexvar_epi64(perm_i16(), _mm512_packs_epi16(d0, d1));
    const vi wv = _mm512_loadu_si512(w);
    const vi sv = _mm512_adds_epi8(wv, d);
    const __mmask64 m = _mm512_cmpneq_epi8_mask(sv, _mm512_add_epi8(wv, d));
    _mm512_storeu_si512(w, sv);
    return static_cast<unsigned>(__builtin_popcountll(_cvtmask64_u64(m)));
  }
  // With int8 data and bh = 0 the increment hi16(B x) + carry lies in [-64, 65] (|B| <= 2^15,
  // |x| <= 2^7), so an int8 model takes add_inc8.
  template <bool HighZero = false, class W, class X>
  static unsigned fixed64(W* w, const X* x, const fixed_coef& c, const dblock& d) noexcept {
    const vi d0 = fixed_inc32<HighZero>(x, c, d.nd[0]), d1 = fixed_inc32<HighZero>(x + 32, c, d.nd[1]);
    if constexpr (HighZero && std::is_same_v<W, i8> && std::is_same_v<X, i8>)
      return add_inc8(w, d0, d1);
    else
      return add_inc16(w, d0, d1);
  }

  // update_bias_fixed: fixed_inc32 plus H = hh 2^16 + hl (hl unsigned), whose low half
  // may carry into the high half before the dither's carry.
  static vi fixed_bias_inc32(const i8* x, const i16* hh, const u16* hl, const fixed_coef& c, vi nd) noexcept {
    const vi one = _mm512_set1_epi16(1), xv = load16(x);
    const vi p = _mm512_mullo_epi16(xv, c.bl);
    const vi lo = _mm512_add_epi16(p, _mm512_loadu_si512(hl));
    vi hi = _mm512_add_epi16(_mm512_add_epi16(_mm512_mullo_epi16(xv, c.bh), _mm512_mulhi_epi16(xv, c.bl)),
                             _mm512_loadu_si512(hh));
    hi = _mm512_mask_add_epi16(hi, _mm512_cmplt_epu16_mask(lo, p), hi, one);
    return _mm512_mask_add_epi16(hi, _mm512_cmpgt_epu16_mask(lo, nd), hi, one);
  }
  template <class W>
  static unsigned fixed_bias64(W* w, const i8* x, const i16* hh, const u16* hl, const fixed_coef& c,
                               const dblock& d) noexcept {
    return add_inc16(w, fixed_bias_inc32(x, hh, hl, c, d.nd[0]), fixed_bias_inc32(x + 32, hh + 32, hl + 32, c, d.nd[1]));
  }

  // quantize: values already in range.
  template <rm M>
  static void finish_q(i8* q, const vi* R, const dblock& d) noexcept {
    const vi d0 = round16<M>(R[0], R[1], d.nd[0]), d1 = round16<M>(R[2], R[3], d.nd[1]);
    _mm512_storeu_si512(q, _mm512_permutexvar_epi64(perm_i16(), _mm512_packs_epi16(d0, d1)));
  }
  template <rm M>
  static void finish_q(i16* q, const vi* R, const dblock& d) noexcept {
    _mm512_storeu_si512(q, round16<M>(R[0], R[1], d.nd[0]));
    _mm512_storeu_si512(q + 32, round16<M>(R[2], R[3], d.nd[1]));
  }

  // ---- gathers ---------------------------------------------------------------
  // Lanes whose index is < lo_ok or >= 2^31 cannot use the fast gather (signed 32-bit
  // indices; the integer gathers read the dword ending at the element).
  static bool gather_ok(vi ix, u32 lo_ok) noexcept { return _mm512_cmpgt_epi32_mask(set1(lo_ok), ix) == 0; }
  static bf gather(const float* w, vi ix) noexcept { return _mm512_i32gather_ps(ix, w, 4); }
  // Sign-extended w[idx] from the dword w[idx-3 .. idx] (bytes before the element, so the
  // read never goes past it); needs idx >= 3.
  static vi gather(const i8* w, vi ix) noexcept {
    const void* base = reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(w) - 3);
    return _mm512_srai_epi32(_mm512_i32gather_epi32(ix, base, 1), 24);
  }
  // From the dword w[idx-1 .. idx]; needs idx >= 1.
  static vi gather(const i16* w, vi ix) noexcept {
    const void* base = reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(w) - 2);
    return _mm512_srai_epi32(_mm512_i32gather_epi32(ix, base, 2), 16);
  }
  static void scatter(float* w, vi ix, bf v) noexcept { _mm512_i32scatter_ps(w, ix, v, 4); }
  static constexpr bool has_scatter = true;

  // Exact sum over lanes of a*b for sign-extended 32-bit lanes (|a*b| < 2^31 not needed).
  static vi mul_acc64(vi acc, vi a, vi b) noexcept {
    acc = _mm512_add_epi64(acc, _mm512_mul_epi32(a, b));
    return _mm512_add_epi64(acc, _mm512_mul_epi32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(b, 32)));
  }
  static i64 hsum64(vi v) noexcept { return _mm512_reduce_add_epi64(v); }

  // ---- integer dots ------------------------------------------------------------
  static i64 widen_sum32(vi v) noexcept {  // exact sum of 16 int32 lanes
    return _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)),
                                                    _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1))));
  }

  // Exact integer dots whose products, summed in pairs into int32 lanes by Madd::full /
  // Madd::part (the masked form), cannot wrap within Rounds rounds: 4 accumulators take a
  // round of 128 elements, are flushed to int64 every Rounds rounds, and the last < 128
  // elements go in masked steps of 32 (at most 4 more pairs per lane).
  template <class Madd, size_t Rounds, bool Prefetch, class T, class U>
  static i64 dot_rounds(const T* x, const U* y, size_t n) noexcept {
    i64 total = 0;
    size_t i = 0;
    while (i + 128 <= n) {
      const size_t end = (n - i) / 128 > Rounds ? i + Rounds * 128 : n;
      vi a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
      for (; i + 128 <= end; i += 128) {
        if constexpr (Prefetch)
          prefetch_ahead<T, 0, 2>(x + i), prefetch_ahead<T, 0, 2>(x + i + 64), prefetch_ahead<U, 0, 2>(y + i),
              prefetch_ahead<U, 0, 2>(y + i + 64);
        a0 = Madd::full(a0, x + i, y + i);
        a1 = Madd::full(a1, x + i + 32, y + i + 32);
        a2 = Madd::full(a2, x + i + 64, y + i + 64);
        a3 = Madd::full(a3, x + i + 96, y + i + 96);
      }
      total += widen_sum32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)));
    }
    vi a = zero();
    for (; i < n; i += 32) a = Madd::part(a, x + i, y + i, n - i >= 32 ? ~__mmask32(0) : (__mmask32(1) << (n - i)) - 1);
    return total + widen_sum32(a);
  }
  static vi cvt8to16(const i8* p) noexcept {
    return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static vi cvt8to16(const i8* p, __mmask32 m) noexcept { return _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, p)); }

  // int8 x int8 without VNNI: sign-extend to int16, vpmaddwd (a pair is at most 2^15 in
  // magnitude), flush to int64 every 8192 rounds: each of the 4 accumulators' lanes then
  // holds at most 2^28, their sum at most 2^30.
  struct madd_i8 {
    static vi full(vi acc, const i8* x, const i8* y) noexcept {
      return _mm512_add_epi32(acc, _mm512_madd_epi16(cvt8to16(x), cvt8to16(y)));
    }
    static vi part(vi acc, const i8* x, const i8* y, __mmask32 m) noexcept {
      return _mm512_add_epi32(acc, _mm512_madd_epi16(cvt8to16(x, m), cvt8to16(y, m)));
    }
  };
  static i64 dot_i8(const i8* x, const i8* y, size_t n) noexcept {
    return n >= kPrefetchMinBytes ? dot_rounds<madd_i8, 8192, true>(x, y, n)
                                  : dot_rounds<madd_i8, 8192, false>(x, y, n);
  }

  // int16 x int16: vpmaddwd pairs lie in [-2^31 + 2^16, 2^31]; only (-2^15)^2 + (-2^15)^2 = 2^31
  // wraps (to INT32_MIN). Adding 2^31 - 2^16 maps the true range onto [0, 2^32 - 2^16] as
  // uint32 (the wrapped lane lands on 2^32 - 2^16, which is right), then the unsigned lanes are
  // summed into int64 lanes and the offset is taken back at the end.
  template <bool Prefetch>
  static i64 dot_i16_impl(const i16* x, const i16* y, size_t n) noexcept {
    const vi off = set1(0x7fff0000U), lo32 = _mm512_set1_epi64(0xffffffffLL);
    vi e0 = zero(), o0 = zero(), e1 = zero(), o1 = zero();
    u64 lanes = 0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
      if constexpr (Prefetch) prefetch_ahead<i16, 0, 2>(x + i), prefetch_ahead<i16, 0, 2>(y + i);
      const vi u0 = add(_mm512_madd_epi16(_mm512_loadu_si512(x + i), _mm512_loadu_si512(y + i)), off);
      const vi u1 = add(_mm512_madd_epi16(_mm512_loadu_si512(x + i + 32), _mm512_loadu_si512(y + i + 32)), off);
      e0 = _mm512_add_epi64(e0, _mm512_and_si512(u0, lo32));
      o0 = _mm512_add_epi64(o0, _mm512_srli_epi64(u0, 32));
      e1 = _mm512_add_epi64(e1, _mm512_and_si512(u1, lo32));
      o1 = _mm512_add_epi64(o1, _mm512_srli_epi64(u1, 32));
    }
    lanes += (i / 64) * 32;
    for (; i < n; i += 32) {
      const __mmask32 m = n - i >= 32 ? ~__mmask32(0) : (__mmask32(1) << (n - i)) - 1;
      const vi u = add(_mm512_madd_epi16(_mm512_maskz_loadu_epi16(m, x + i), _mm512_maskz_loadu_epi16(m, y + i)), off);
      e0 = _mm512_add_epi64(e0, _mm512_and_si512(u, lo32));
      o0 = _mm512_add_epi64(o0, _mm512_srli_epi64(u, 32));
      lanes += 16;
    }
    const vi s = _mm512_add_epi64(_mm512_add_epi64(e0, o0), _mm512_add_epi64(e1, o1));
    // modular arithmetic: exact because the true result fits in int64
    return static_cast<i64>(static_cast<u64>(_mm512_reduce_add_epi64(s)) - lanes * u64(0x7fff0000U));
  }
  static i64 dot_i16(const i16* x, const i16* y, size_t n) noexcept {
    return 2 * n >= kPrefetchMinBytes ? dot_i16_impl<true>(x, y, n) : dot_i16_impl<false>(x, y, n);
  }

  // int16 model . int8 data: the data sign-extended to int16, then pairs of products (each
  // |w x| <= 2^15 * 2^7 = 2^22, a pair <= 2^23) summed into int32 lanes: vpdpwssd with VNNI,
  // vpmaddwd + vpaddd without. 4 accumulators of at most 63 pairs each stay below 2^31 in
  // sum; every 63 rounds they are flushed to int64.
  struct madd_i16_i8 {
    static vi dp(vi acc, vi w, vi x) noexcept {
#ifdef __AVX512VNNI__
      return _mm512_dpwssd_epi32(acc, w, x);
#else
      return _mm512_add_epi32(acc, _mm512_madd_epi16(w, x));
#endif
    }
    static vi full(vi acc, const i16* w, const i8* x) noexcept { return dp(acc, _mm512_loadu_si512(w), cvt8to16(x)); }
    static vi part(vi acc, const i16* w, const i8* x, __mmask32 m) noexcept {
      return dp(acc, _mm512_maskz_loadu_epi16(m, w), cvt8to16(x, m));
    }
  };
  static i64 dot_i16_i8(const i16* w, const i8* x, size_t n) noexcept {
    return 2 * n >= kPrefetchMinBytes ? dot_rounds<madd_i16_i8, 63, true>(w, x, n)
                                      : dot_rounds<madd_i16_i8, 63, false>(w, x, n);
  }
};

}  // namespace LOWP_SIMD_NS
}  // namespace kernels
}  // namespace lowp
#endif
