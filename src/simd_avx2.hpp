// Internal to src/: AVX2 + FMA building blocks for simd_kernels.hpp.
// Only for translation units compiled with -mavx2 -mfma.
#ifndef LOWP_SRC_SIMD_AVX2_HPP
#define LOWP_SRC_SIMD_AVX2_HPP

// GCC 12's avx512fintrin.h initialises "undefined" vectors from themselves
// (__m512i __Y = __Y;), which -Wuninitialized reports once inlined (GCC PR 105593).
// Diagnostic pragmas are keyed on source location, so ignoring the warning around
// the first inclusion of the intrinsics headers covers those lines only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <xsimd/xsimd.hpp>

#include "simd_scalar.hpp"

namespace lowp {
namespace kernels {
namespace LOWP_SIMD_NS {

struct ops_avx2 {
  // fma3<avx2>, not avx2: xsimd 8.1's fma on plain avx2 is an unfused x*y+z.
  using arch = xsimd::fma3<xsimd::avx2>;
  using bf = xsimd::batch<float, arch>;
  using bi = xsimd::batch<i32, arch>;
  using bm = xsimd::batch_bool<float, arch>;
  using vi = __m256i;
  static constexpr int N = 8;  // 32-bit lanes

  // ---- lane-wise basics ----------------------------------------------------
  static vi zero() noexcept { return _mm256_setzero_si256(); }
  static vi set1(u32 v) noexcept { return _mm256_set1_epi32(static_cast<int>(v)); }
  static vi add(vi a, vi b) noexcept { return _mm256_add_epi32(a, b); }
  static vi srai16(vi a) noexcept { return _mm256_srai_epi32(a, 16); }
  static vi mullo(vi a, vi b) noexcept { return _mm256_mullo_epi32(a, b); }
  static vi widen(const i8* p) noexcept {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static vi widen(const i16* p) noexcept {
    return _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static vi loadu(const u32* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static bf to_float(vi v) noexcept { return xsimd::batch_cast<float>(bi(v)); }
  static bf load(const float* p) noexcept { return bf::load_unaligned(p); }
  static bf load(const i8* p) noexcept { return to_float(widen(p)); }
  static bf load(const i16* p) noexcept { return to_float(widen(p)); }
  // cvtps2dq: ties to even under the default MXCSR rounding mode (the contract; the AVX-512
  // tables use embedded rounding and do not depend on it)
  static vi cvt(bf v) noexcept { return xsimd::nearbyint_as_int(v); }
  static bf fma(bf a, bf b, bf c) noexcept { return xsimd::fma(a, b, c); }  // vfmadd (fma3<avx2>)
  static unsigned count(bm m) noexcept {
    return static_cast<unsigned>(__builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(m))));
  }
  static unsigned count_changed(bf a, bf b) noexcept {  // a != b or NaN
    return static_cast<unsigned>(
        __builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_NEQ_UQ)))));
  }

  static vi load_i32(const i32* p) noexcept { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
  static vi load_i32u(const i32* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store_i32(i32* p, vi v) noexcept { _mm256_store_si256(reinterpret_cast<__m256i*>(p), v); }

  // ---- float dot helpers (the 64 accumulator lanes are acc[0..7]) ------------------
  static void tail_fma(bf* acc, const float* x, const float* y, size_t rem) noexcept {
    const vi iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int v = 0; v < 8 && rem > size_t(v) * 8; ++v) {
      const size_t r = rem - size_t(v) * 8;
      if (r >= 8) {
        acc[v] = fma(load(x + v * 8), load(y + v * 8), acc[v]);
      } else {
        const vi m = _mm256_cmpgt_epi32(set1(static_cast<u32>(r)), iota);
        const bf p = fma(_mm256_maskload_ps(x + v * 8, m), _mm256_maskload_ps(y + v * 8, m), acc[v]);
        acc[v] = _mm256_blendv_ps(acc[v], p, _mm256_castsi256_ps(m));
      }
    }
  }
  static float fold64(const bf* acc) noexcept {
    const __m256 a0 = _mm256_add_ps(acc[0], acc[4]), a1 = _mm256_add_ps(acc[1], acc[5]);  // 32
    const __m256 a2 = _mm256_add_ps(acc[2], acc[6]), a3 = _mm256_add_ps(acc[3], acc[7]);
    const __m256 c = _mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3));         // 16, 8
    const __m128 e = _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));  // 4
    const __m128 f = _mm_add_ps(e, _mm_movehl_ps(e, e));                                  // 2
    return _mm_cvtss_f32(_mm_add_ss(f, _mm_shuffle_ps(f, f, 1)));                         // 1
  }

  // ---- counter RNG -----------------------------------------------------------
  static vi mix_tail(vi x) noexcept {  // mix32 after its first xorshift, without its last one
    x = _mm256_mullo_epi32(x, set1(kMix1));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
    return _mm256_mullo_epi32(x, set1(kMix2));
  }
  static vi draw_rest(vi x, vi hi) noexcept {  // see ops_avx512::draw_rest (not complemented)
    x = mix_tail(x);
    x = _mm256_xor_si256(_mm256_xor_si256(x, _mm256_srli_epi32(x, 15)), hi);
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    x = mix_tail(x);
    return _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
  }
  static vi iota() noexcept { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  // 8 draws, any counter: lane j = draw(k, c0 + j), carries included.
  static vi draws_any(rng_key k, u64 c0) noexcept {
    const u32 lo0 = static_cast<u32>(c0), hi0 = static_cast<u32>(c0 >> 32);
    const vi lo = _mm256_add_epi32(set1(lo0), iota());
    vi x = _mm256_xor_si256(lo, set1(k.k0));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    const vi sign = set1(0x80000000U);
    const vi carry = _mm256_cmpgt_epi32(_mm256_xor_si256(set1(lo0), sign), _mm256_xor_si256(lo, sign));
    return draw_rest(x, _mm256_sub_epi32(set1(hi0 + k.k1), carry));
  }
  static void widen_draws(vi r, vi* d) noexcept {  // 8 draws -> the dithers of 16 elements
    d[0] = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(r));
    d[1] = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(r, 1));
  }

  // The 64 dithers of a block (draws c0 .. c0+31) as 8 vectors of 8 zero-extended lanes in
  // element order (8 draws seen as 16 uint16 are the dithers of 16 consecutive elements).
  struct dblock {
    vi v[8];
  };
  static dblock no_dithers() noexcept {
    dblock d;
    for (vi& v : d.v) v = zero();
    return d;
  }
  struct stream {  // see ops_avx512::stream
    rng_key k;
    u64 seg = ~u64(0);
    vi kx = zero(), hi = zero();
    dblock block(u64 c0, bool /*more*/ = false) noexcept {
      dblock d;
      const u32 lo0 = static_cast<u32>(c0);
      if ((lo0 & 0xffffU) > 0xffffU - 31) {
        for (int j = 0; j < 4; ++j) widen_draws(draws_any(k, c0 + 8 * j), d.v + 2 * j);
        return d;
      }
      if ((c0 >> 16) != seg) {
        seg = c0 >> 16;
        kx = set1(k.k0 ^ ((lo0 ^ k.k0) >> 16));
        hi = set1(static_cast<u32>(c0 >> 32) + k.k1);
      }
      const vi b = _mm256_add_epi32(set1(lo0), iota());
      for (int j = 0; j < 4; ++j)
        widen_draws(draw_rest(_mm256_xor_si256(_mm256_add_epi32(b, set1(u32(8 * j))), kx), hi), d.v + 2 * j);
      return d;
    }
  };
  // The ARS-5 blocks (see ops_avx512::ars_stream), with AES-NI on 128-bit halves.
  struct ars_stream {
    rng_key k;
    ars_keys ks;
    __m128i rk[6];
    explicit ars_stream(rng_key key) noexcept : k(key), ks(ars_key_schedule<tu_tag>(key)) {
      for (int i = 0; i < 6; ++i)
        rk[i] = _mm_set_epi64x(static_cast<long long>(ks.hi[i]), static_cast<long long>(ks.lo[i]));
    }
    __m128i enc(u64 b) const noexcept {
      __m128i y = _mm_xor_si128(_mm_set_epi64x(0, static_cast<long long>(b)), rk[0]);
      for (int i = 1; i < 5; ++i) y = _mm_aesenc_si128(y, rk[i]);
      return _mm_aesenclast_si128(y, rk[5]);
    }
    dblock gen(u64 c0) noexcept { return block(c0); }
    u32 single(u64 c) const noexcept {  // draw c alone: stochastic_fixed's step draw
      alignas(16) u32 t[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(t), enc(c >> 2));
      return t[c & 3];
    }
    dblock block(u64 c0, bool /*more*/ = false) noexcept {
      dblock d;
      if (c0 & 3) {
        alignas(32) u32 t[32];
        for (int j = 0; j < 32; ++j) t[j] = ars_draw<tu_tag>(ks, c0 + u64(j));
        for (int j = 0; j < 4; ++j) widen_draws(_mm256_load_si256(reinterpret_cast<const vi*>(t + 8 * j)), d.v + 2 * j);
        return d;
      }
      const u64 b = c0 >> 2;
      const u64 m62 = (u64(1) << 62) - 1;  // block indices wrap at 2^62
      for (int j = 0; j < 4; ++j)
        widen_draws(_mm256_set_m128i(enc((b + 2 * j + 1) & m62), enc((b + 2 * j) & m62)), d.v + 2 * j);
      return d;
    }
  };
  static vi wide(const dblock& d, int j) noexcept { return d.v[j]; }

  // The reference's rounding of f = v - floor(v) for -1/2 < v < 0, on s = 65536 v: see
  // ops_avx512::snap.
  static bf snap(bf s) noexcept {
    const __m256 m = _mm256_and_ps(_mm256_cmp_ps(s, _mm256_setzero_ps(), _CMP_LT_OQ), _mm256_set1_ps(65536.0f));
    return _mm256_sub_ps(_mm256_add_ps(s, m), m);
  }

  // ---- narrowing stores ------------------------------------------------------
  static vi perm_i8() noexcept { return _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7); }
  static constexpr int group_i8 = 4, group_i16 = 2;

  static vi oor16(vi p) noexcept {  // int16 lanes outside [-128, 127]
    return _mm256_or_si256(_mm256_cmpgt_epi16(p, _mm256_set1_epi16(127)),
                           _mm256_cmpgt_epi16(_mm256_set1_epi16(-128), p));
  }
  static vi oor32(vi s) noexcept {  // int32 lanes outside [-32768, 32767]
    return _mm256_or_si256(_mm256_cmpgt_epi32(s, set1(32767)), _mm256_cmpgt_epi32(set1(0xffff8000U), s));
  }
  // w[0..31] <- sat8(s[0..3]); returns how many were out of range.
  static unsigned store_sat(i8* w, const vi* s) noexcept {
    const vi p01 = _mm256_packs_epi32(s[0], s[1]), p23 = _mm256_packs_epi32(s[2], s[3]);
    const unsigned m = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_packs_epi16(oor16(p01), oor16(p23))));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w),
                        _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p01, p23), perm_i8()));
    return static_cast<unsigned>(__builtin_popcount(m));
  }
  // w[0..15] <- sat16(s[0..1]).
  static unsigned store_sat(i16* w, const vi* s) noexcept {
    const unsigned m =
        static_cast<unsigned>(_mm256_movemask_epi8(_mm256_packs_epi32(oor32(s[0]), oor32(s[1]))));  // 2 bits per lane
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w), _mm256_permute4x64_epi64(_mm256_packs_epi32(s[0], s[1]), 0xd8));
    return static_cast<unsigned>(__builtin_popcount(m)) / 2;
  }
  static void store(i8* q, const vi* d) noexcept {
    const vi p01 = _mm256_packs_epi32(d[0], d[1]), p23 = _mm256_packs_epi32(d[2], d[3]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q),
                        _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p01, p23), perm_i8()));
  }
  static void store(i16* q, const vi* d) noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm256_permute4x64_epi64(_mm256_packs_epi32(d[0], d[1]), 0xd8));
  }
  static void store(float* y, bf v) noexcept { v.store_unaligned(y); }

  // ---- block finishers: 64 rounded values R (rne of the float to round) -> model / output
  template <rm M>
  static vi round32(vi r, vi dith) noexcept {
    if constexpr (M == rm::nearest_even)
      return r;
    else
      return srai16(add(r, dith));
  }
  // w[0..63] <- sat(w + D) for 64 increments in int32 lanes; returns how many clipped.
  template <class W>
  static unsigned add_inc32(W* w, const vi* D) noexcept {
    constexpr int G = sizeof(W) == 1 ? group_i8 : group_i16;
    unsigned c = 0;
    for (int g = 0; g < 8; g += G) {
      vi s[G];
      for (int j = 0; j < G; ++j) s[j] = add(D[g + j], widen(w + 8 * (g + j)));
      c += store_sat(w + 8 * g, s);
    }
    return c;
  }
  template <rm M, class W>
  static unsigned finish(W* w, const vi* R, const dblock& d) noexcept {
    vi D[8];
    for (int j = 0; j < 8; ++j) D[j] = round32<M>(R[j], d.v[j]);
    return add_inc32(w, D);
  }
  // See ops_avx512::finish_checked: nearest increments must lie in [-2^15 + 1, 2^15 - 1],
  // stochastic ones must not be -2^15 (INT_MIN >> 16, also where R + dither wrapped).
  template <rm M, class W>
  static bool finish_checked(W* w, const vi* R, const dblock& d, size_t& clipped) noexcept {
    vi D[8], bad = zero();
    for (int j = 0; j < 8; ++j) {
      D[j] = round32<M>(R[j], d.v[j]);
      if constexpr (M == rm::nearest_even)
        bad = _mm256_or_si256(bad, _mm256_or_si256(_mm256_cmpgt_epi32(D[j], set1(32767)),
                                                   _mm256_cmpgt_epi32(set1(0xffff8001U), D[j])));
      else
        bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(D[j], set1(0xffff8000U)));
    }
    if (!_mm256_testz_si256(bad, bad)) return false;
    clipped += add_inc32(w, D);
    return true;
  }
  template <rm M, class Q>
  static void finish_q(Q* q, const vi* R, const dblock& d) noexcept {
    constexpr int G = sizeof(Q) == 1 ? group_i8 : group_i16;
    for (int g = 0; g < 8; g += G) {
      vi s[G];
      for (int j = 0; j < G; ++j) s[j] = round32<M>(R[g + j], d.v[g + j]);
      store(q + 8 * g, s);
    }
  }

  // ---- gathers (see ops_avx512) ---------------------------------------------
  static bool gather_ok(vi ix, u32 lo_ok) noexcept {
    return _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(set1(lo_ok), ix))) == 0;
  }
  static bf gather(const float* w, vi ix) noexcept { return _mm256_i32gather_ps(w, ix, 4); }
  static vi gather(const i8* w, vi ix) noexcept {
    const int* base = reinterpret_cast<const int*>(reinterpret_cast<std::uintptr_t>(w) - 3);
    return _mm256_srai_epi32(_mm256_i32gather_epi32(base, ix, 1), 24);
  }
  static vi gather(const i16* w, vi ix) noexcept {
    const int* base = reinterpret_cast<const int*>(reinterpret_cast<std::uintptr_t>(w) - 2);
    return _mm256_srai_epi32(_mm256_i32gather_epi32(base, ix, 2), 16);
  }
  static void scatter(float*, vi, bf) noexcept {}
  static constexpr bool has_scatter = false;

  static vi mul_acc64(vi acc, vi a, vi b) noexcept {
    acc = _mm256_add_epi64(acc, _mm256_mul_epi32(a, b));
    return _mm256_add_epi64(acc, _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)));
  }
  static i64 hsum64(vi v) noexcept {
    const __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1);
  }
  static i64 widen_sum32(vi v) noexcept {
    return hsum64(_mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)),
                                   _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1))));
  }

  // ---- integer dots (see ops_avx512 for the bounds) ----------------------------
  // As ops_avx512::dot_rounds with rounds of 64 elements, steps of 16, a scalar tail.
  template <class Madd, size_t Rounds, bool Prefetch, class T, class U>
  static i64 dot_rounds(const T* x, const U* y, size_t n) noexcept {
    i64 total = 0;
    size_t i = 0;
    while (i + 64 <= n) {
      const size_t end = (n - i) / 64 > Rounds ? i + Rounds * 64 : n;
      vi a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
      for (; i + 64 <= end; i += 64) {
        if constexpr (Prefetch) prefetch_ahead(x + i), prefetch_ahead(y + i);
        a0 = Madd::full(a0, x + i, y + i);
        a1 = Madd::full(a1, x + i + 16, y + i + 16);
        a2 = Madd::full(a2, x + i + 32, y + i + 32);
        a3 = Madd::full(a3, x + i + 48, y + i + 48);
      }
      total += widen_sum32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)));
    }
    vi a = zero();
    for (; i + 16 <= n; i += 16) a = Madd::full(a, x + i, y + i);
    total += widen_sum32(a);
    for (; i < n; ++i) total += i64(x[i]) * i64(y[i]);
    return total;
  }
  static vi cvt8to16(const i8* p) noexcept {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  struct madd_i8 {
    static vi full(vi acc, const i8* x, const i8* y) noexcept {
      return _mm256_add_epi32(acc, _mm256_madd_epi16(cvt8to16(x), cvt8to16(y)));
    }
  };
  static i64 dot_i8(const i8* x, const i8* y, size_t n) noexcept {
    return n >= kPrefetchMinBytes ? dot_rounds<madd_i8, 8192, true>(x, y, n)
                                  : dot_rounds<madd_i8, 8192, false>(x, y, n);
  }

  template <bool Prefetch>
  static i64 dot_i16_impl(const i16* x, const i16* y, size_t n) noexcept {
    const vi off = set1(0x7fff0000U), lo32 = _mm256_set1_epi64x(0xffffffffLL);
    vi e0 = zero(), o0 = zero(), e1 = zero(), o1 = zero();
    size_t i = 0;
    auto ld = [](const i16* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); };
    for (; i + 64 <= n; i += 64) {
      if constexpr (Prefetch) prefetch_ahead(x + i), prefetch_ahead(y + i);
      for (int h = 0; h < 64; h += 32) {
        const vi u0 = add(_mm256_madd_epi16(ld(x + i + h), ld(y + i + h)), off);
        const vi u1 = add(_mm256_madd_epi16(ld(x + i + h + 16), ld(y + i + h + 16)), off);
        e0 = _mm256_add_epi64(e0, _mm256_and_si256(u0, lo32));
        o0 = _mm256_add_epi64(o0, _mm256_srli_epi64(u0, 32));
        e1 = _mm256_add_epi64(e1, _mm256_and_si256(u1, lo32));
        o1 = _mm256_add_epi64(o1, _mm256_srli_epi64(u1, 32));
      }
    }
    u64 lanes = (i / 64) * 32;
    for (; i + 16 <= n; i += 16) {
      const vi u = add(_mm256_madd_epi16(ld(x + i), ld(y + i)), off);
      e0 = _mm256_add_epi64(e0, _mm256_and_si256(u, lo32));
      o0 = _mm256_add_epi64(o0, _mm256_srli_epi64(u, 32));
      lanes += 8;
    }
    const vi s = _mm256_add_epi64(_mm256_add_epi64(e0, o0), _mm256_add_epi64(e1, o1));
    i64 total = static_cast<i64>(static_cast<u64>(hsum64(s)) - lanes * u64(0x7fff0000U));
    for (; i < n; ++i) total += i64(x[i]) * i64(y[i]);
    return total;
  }
  static i64 dot_i16(const i16* x, const i16* y, size_t n) noexcept {
    return 2 * n >= kPrefetchMinBytes ? dot_i16_impl<true>(x, y, n) : dot_i16_impl<false>(x, y, n);
  }

  // int16 model . int8 data (bounds: see ops_avx512::dot_i16_i8).
  struct madd_i16_i8 {
    static vi full(vi acc, const i16* w, const i8* x) noexcept {
      const vi wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
      return _mm256_add_epi32(acc, _mm256_madd_epi16(wv, cvt8to16(x)));
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
