// Inner loop of a fixed-point mf_sgd rating update (mf_sgd.hpp, non-racy
// schedule): for the elements [d0, d1) of one AdaGrad part, the increments
// of p_u and q_v in grid units, their stochastic (or nearest) rounding with
// 16-bit dithers from counter_draw, saturation to ±qmax (counted) and the
// squared-gradient sums of AdaGrad.
//
// Element i (0-based in the part) of a call whose draws start at c0 takes
// the draw w = counter_draw(key, c0 + i): p is rounded with its low 16 bits
// and q with its high 16 bits (one 32-bit draw, two 16-bit dithers, as
// everywhere in the library; a part of n elements consumes n draws). Squared gradients go to 8 float lanes
// (element i of each 8-element chunk to lane i % 8, chunks in order), so the
// float sums, like the dithers, are fixed by this definition and not by the
// vector width. The scalar reference and the AVX-512 loop compute the same
// bits (tests/lowrank/mf_kernel_test.cpp checks it); both process whole
// 8-element chunks and return where they stopped (the caller does the tail).
#ifndef LOWP_SOLVERS_LOWRANK_DETAIL_MF_KERNEL_HPP
#define LOWP_SOLVERS_LOWRANK_DETAIL_MF_KERNEL_HPP

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "lowp/quantize/rng.hpp"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
// GCC 12's unmasked intrinsics initialise an "undefined" vector from itself,
// which -Wmaybe-uninitialized reports once inlined (GCC PR 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define LOWP_MF_KERNEL_AVX512 1
#endif

namespace lowp {
namespace lowrank {
namespace detail {

// Update of one part in grid units: xp = ap q + bp p, xq = aq p + bq q;
// squared gradients from gp = ld p - ed q, gq = ld2 q - ed2 p.
struct mf_fixed_coefs {
  float ap, bp, aq, bq, ld, ed, ld2, ed2, qmax;
};

inline constexpr std::size_t mf_sum_lanes = 8;

// float -> int with stochastic (dither) or nearest rounding, saturated.
template <class Rep, bool Stochastic>
inline Rep mf_round(float x, float base, std::uint32_t draw, float qmax, std::uint32_t& sat) noexcept {
  const float d = Stochastic ? static_cast<float>(draw >> 16) * (1.0f / 65536.0f) : 0.5f;
  // floor() without a libm call and without branches: clamp to a range where
  // int conversion is exact (NaN goes to the low end and saturates),
  // truncate, correct negative non-integers.
  float y = x + d;
  y = y >= -1.0e6f ? y : -1.0e6f;
  y = y <= 1.0e6f ? y : 1.0e6f;
  const auto t = static_cast<std::int32_t>(y);
  const float ft = static_cast<float>(t);
  const float q = base + (ft > y ? ft - 1.0f : ft);
  float c = q > qmax ? qmax : q;
  c = c < -qmax ? -qmax : c;
  sat += (c != q) ? 1u : 0u;
  return static_cast<Rep>(static_cast<std::int32_t>(c));
}

// Scalar reference. p, q: the rows; po: p before the update (float);
// gp2v, gq2v: the 8 lanes of squared-gradient sums.
template <class Rep, bool Stochastic>
inline std::size_t mf_part_fixed_scalar(Rep* __restrict p, Rep* __restrict q, const float* __restrict po,
                                        std::size_t d0, std::size_t d1, const mf_fixed_coefs& cf, rng_key kk,
                                        std::uint64_t c0, float* gp2v, float* gq2v, std::uint32_t& nsat_p,
                                        std::uint32_t& nsat_q) noexcept {
  constexpr std::size_t W = mf_sum_lanes;
  std::uint32_t satp[W] = {}, satq[W] = {};
  std::size_t c = d0;
  for (; c + W <= d1; c += W) {
    float xp[W], xq[W], pb[W], qb[W];
    std::uint32_t w1[W], w2[W];
    for (std::size_t j = 0; j < W; ++j) {
      const float qc = static_cast<float>(q[c + j]);
      const float pc = po[c + j];
      const float gp = cf.ld * pc - cf.ed * qc, gq = cf.ld2 * qc - cf.ed2 * pc;
      gp2v[j] += gp * gp;
      gq2v[j] += gq * gq;
      xp[j] = cf.ap * qc + cf.bp * pc;
      xq[j] = cf.aq * pc + cf.bq * qc;
      pb[j] = pc;
      qb[j] = qc;
    }
    const std::uint64_t i0 = c - d0;
    for (std::size_t j = 0; j < W; ++j) {
      const std::uint32_t w = Stochastic ? counter_draw(kk, c0 + i0 + j) : 0u;
      w1[j] = w << 16;  // mf_round takes the dither from the top 16 bits
      w2[j] = w;
    }
    for (std::size_t j = 0; j < W; ++j) {
      p[c + j] = mf_round<Rep, Stochastic>(xp[j], pb[j], w1[j], cf.qmax, satp[j]);
      q[c + j] = mf_round<Rep, Stochastic>(xq[j], qb[j], w2[j], cf.qmax, satq[j]);
    }
  }
  for (std::size_t j = 0; j < W; ++j) {
    nsat_p += satp[j];
    nsat_q += satq[j];
  }
  return c;
}

#if defined(LOWP_MF_KERNEL_AVX512)
// 16 draws counter_draw(k, c0 + j), j = 0..15, lane-wise (carries included).
inline __m512i mf_draws16(rng_key k, std::uint64_t c0) noexcept {
  const auto lo0 = static_cast<std::uint32_t>(c0), hi0 = static_cast<std::uint32_t>(c0 >> 32);
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i vlo0 = _mm512_set1_epi32(static_cast<int>(lo0));
  const __m512i lo = _mm512_add_epi32(vlo0, iota);
  const __mmask16 carry = _mm512_cmplt_epu32_mask(lo, vlo0);
  const __m512i hk = _mm512_set1_epi32(static_cast<int>(hi0 + k.k1));
  const __m512i hi = _mm512_mask_add_epi32(hk, carry, hk, _mm512_set1_epi32(1));
  const __m512i c1 = _mm512_set1_epi32(0x21f0aaad), c2 = _mm512_set1_epi32(0x735a2d97);
  auto mix = [&](__m512i x) {
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
    x = _mm512_mullo_epi32(x, c1);
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
    x = _mm512_mullo_epi32(x, c2);
    return _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
  };
  __m512i x = _mm512_xor_si512(lo, _mm512_set1_epi32(static_cast<int>(k.k0)));
  x = mix(x);
  x = _mm512_xor_si512(x, hi);
  return mix(x);
}

template <class Rep>
inline __m512 mf_load_rep(const Rep* a, __mmask16 m) noexcept {
  if constexpr (sizeof(Rep) == 1)
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, a)));
  else
    return _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, a)));
}
template <class Rep>
inline void mf_store_rep(Rep* a, __mmask16 m, __m512i v) noexcept {
  if constexpr (sizeof(Rep) == 1)
    _mm_mask_storeu_epi8(a, m, _mm512_cvtepi32_epi8(v));
  else
    _mm256_mask_storeu_epi16(a, m, _mm512_cvtepi32_epi16(v));
}

// mf_round lane-wise: floor(x + d) + base, clamped to ±qmax; returns the
// integers and adds the saturated lanes (within m) to sat.
inline __m512i mf_round16(__m512 x, __m512 base, __m512 d, __m512 qmax, __mmask16 m, std::uint32_t& sat) noexcept {
  __m512 y = _mm512_add_ps(x, d);
  y = _mm512_max_ps(y, _mm512_set1_ps(-1.0e6f));  // NaN -> second operand, as the scalar code
  y = _mm512_min_ps(y, _mm512_set1_ps(1.0e6f));
  const __m512 fl = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 qv = _mm512_add_ps(base, fl);
  __m512 cl = _mm512_min_ps(qv, qmax);
  cl = _mm512_max_ps(cl, _mm512_sub_ps(_mm512_setzero_ps(), qmax));
  sat += static_cast<std::uint32_t>(__builtin_popcount(_mm512_mask_cmp_ps_mask(m, cl, qv, _CMP_NEQ_UQ)));
  return _mm512_cvttps_epi32(cl);
}

template <class Rep, bool Stochastic>
inline std::size_t mf_part_fixed_avx512(Rep* __restrict p, Rep* __restrict q, const float* __restrict po,
                                        std::size_t d0, std::size_t d1, const mf_fixed_coefs& cf, rng_key kk,
                                        std::uint64_t c0, float* gp2v, float* gq2v, std::uint32_t& nsat_p,
                                        std::uint32_t& nsat_q) noexcept {
  static_assert(mf_sum_lanes == 8);
  const __m512 ap = _mm512_set1_ps(cf.ap), bp = _mm512_set1_ps(cf.bp), aq = _mm512_set1_ps(cf.aq),
               bq = _mm512_set1_ps(cf.bq), ld = _mm512_set1_ps(cf.ld), ed = _mm512_set1_ps(cf.ed),
               ld2 = _mm512_set1_ps(cf.ld2), ed2 = _mm512_set1_ps(cf.ed2), qmax = _mm512_set1_ps(cf.qmax);
  const __m512 scale = _mm512_set1_ps(1.0f / 65536.0f), half = _mm512_set1_ps(0.5f);
  __m256 accp = _mm256_loadu_ps(gp2v), accq = _mm256_loadu_ps(gq2v);
  auto hi8 = [](__m512 v) { return _mm256_castsi256_ps(_mm512_extracti64x4_epi64(_mm512_castps_si512(v), 1)); };
  std::size_t c = d0;
  while (c + 8 <= d1) {
    const bool full = c + 16 <= d1;
    const __mmask16 m = full ? __mmask16(0xffff) : __mmask16(0x00ff);
    const __m512 qc = mf_load_rep(q + c, m);
    const __m512 pc = _mm512_maskz_loadu_ps(m, po + c);
    const __m512 gp = _mm512_sub_ps(_mm512_mul_ps(ld, pc), _mm512_mul_ps(ed, qc));
    const __m512 gq = _mm512_sub_ps(_mm512_mul_ps(ld2, qc), _mm512_mul_ps(ed2, pc));
    const __m512 gp2 = _mm512_mul_ps(gp, gp), gq2 = _mm512_mul_ps(gq, gq);
    // Chunk order: elements c..c+7 first, then c+8..c+15.
    accp = _mm256_add_ps(accp, _mm512_castps512_ps256(gp2));
    accq = _mm256_add_ps(accq, _mm512_castps512_ps256(gq2));
    if (full) {
      accp = _mm256_add_ps(accp, hi8(gp2));
      accq = _mm256_add_ps(accq, hi8(gq2));
    }
    const __m512 xp = _mm512_add_ps(_mm512_mul_ps(ap, qc), _mm512_mul_ps(bp, pc));
    const __m512 xq = _mm512_add_ps(_mm512_mul_ps(aq, pc), _mm512_mul_ps(bq, qc));
    __m512 dp = half, dq = half;
    if constexpr (Stochastic) {
      const __m512i w = mf_draws16(kk, c0 + (c - d0));
      dp = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_and_si512(w, _mm512_set1_epi32(0xffff))), scale);
      dq = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w, 16)), scale);
    }
    mf_store_rep(p + c, m, mf_round16(xp, pc, dp, qmax, m, nsat_p));
    mf_store_rep(q + c, m, mf_round16(xq, qc, dq, qmax, m, nsat_q));
    c += full ? 16 : 8;
  }
  _mm256_storeu_ps(gp2v, accp);
  _mm256_storeu_ps(gq2v, accq);
  return c;
}
#endif

// Float factors, elements [d0, d1) in whole 8-element chunks: g_p = λp - eq,
// g_q = λq - ep (p = po, the old p), p -= ep g_p, q -= eq g_q; squared
// gradients in 8 lanes as above. Returns where it stopped.
inline std::size_t mf_part_float_scalar(float* __restrict p, float* __restrict q, const float* __restrict po,
                                        std::size_t d0, std::size_t d1, float lambda, float e, float ep,
                                        float eq, float* gp2v, float* gq2v) noexcept {
  constexpr std::size_t W = mf_sum_lanes;
  std::size_t c = d0;
  for (; c + W <= d1; c += W)
    for (std::size_t j = 0; j < W; ++j) {
      const float qc = q[c + j], pc = po[c + j];
      const float gp = lambda * pc - e * qc, gq = lambda * qc - e * pc;
      gp2v[j] += gp * gp;
      gq2v[j] += gq * gq;
      p[c + j] = pc - ep * gp;
      q[c + j] = qc - eq * gq;
    }
  return c;
}

#if defined(LOWP_MF_KERNEL_AVX512)
inline std::size_t mf_part_float_avx512(float* __restrict p, float* __restrict q, const float* __restrict po,
                                        std::size_t d0, std::size_t d1, float lambda, float e, float ep,
                                        float eq, float* gp2v, float* gq2v) noexcept {
  const __m512 vl = _mm512_set1_ps(lambda), ve = _mm512_set1_ps(e), vep = _mm512_set1_ps(ep),
               veq = _mm512_set1_ps(eq);
  __m256 accp = _mm256_loadu_ps(gp2v), accq = _mm256_loadu_ps(gq2v);
  auto hi8 = [](__m512 v) { return _mm256_castsi256_ps(_mm512_extracti64x4_epi64(_mm512_castps_si512(v), 1)); };
  std::size_t c = d0;
  while (c + 8 <= d1) {
    const bool full = c + 16 <= d1;
    const __mmask16 m = full ? __mmask16(0xffff) : __mmask16(0x00ff);
    const __m512 qc = _mm512_maskz_loadu_ps(m, q + c), pc = _mm512_maskz_loadu_ps(m, po + c);
    const __m512 gp = _mm512_sub_ps(_mm512_mul_ps(vl, pc), _mm512_mul_ps(ve, qc));
    const __m512 gq = _mm512_sub_ps(_mm512_mul_ps(vl, qc), _mm512_mul_ps(ve, pc));
    const __m512 gp2 = _mm512_mul_ps(gp, gp), gq2 = _mm512_mul_ps(gq, gq);
    accp = _mm256_add_ps(accp, _mm512_castps512_ps256(gp2));
    accq = _mm256_add_ps(accq, _mm512_castps512_ps256(gq2));
    if (full) {
      accp = _mm256_add_ps(accp, hi8(gp2));
      accq = _mm256_add_ps(accq, hi8(gq2));
    }
    _mm512_mask_storeu_ps(p + c, m, _mm512_sub_ps(pc, _mm512_mul_ps(vep, gp)));
    _mm512_mask_storeu_ps(q + c, m, _mm512_sub_ps(qc, _mm512_mul_ps(veq, gq)));
    c += full ? 16 : 8;
  }
  _mm256_storeu_ps(gp2v, accp);
  _mm256_storeu_ps(gq2v, accq);
  return c;
}
#pragma GCC diagnostic pop
#endif

inline std::size_t mf_part_float(float* __restrict p, float* __restrict q, const float* __restrict po,
                                 std::size_t d0, std::size_t d1, float lambda, float e, float ep, float eq,
                                 float* gp2v, float* gq2v) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  return mf_part_float_avx512(p, q, po, d0, d1, lambda, e, ep, eq, gp2v, gq2v);
#else
  return mf_part_float_scalar(p, q, po, d0, d1, lambda, e, ep, eq, gp2v, gq2v);
#endif
}

// The loop mf_sgd runs: AVX-512 when compiled for it, else the reference.
template <class Rep, bool Stochastic>
inline std::size_t mf_part_fixed(Rep* __restrict p, Rep* __restrict q, const float* __restrict po, std::size_t d0,
                                 std::size_t d1, const mf_fixed_coefs& cf, rng_key kk, std::uint64_t c0,
                                 float* gp2v, float* gq2v, std::uint32_t& nsat_p, std::uint32_t& nsat_q) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  return mf_part_fixed_avx512<Rep, Stochastic>(p, q, po, d0, d1, cf, kk, c0, gp2v, gq2v, nsat_p, nsat_q);
#else
  return mf_part_fixed_scalar<Rep, Stochastic>(p, q, po, d0, d1, cf, kk, c0, gp2v, gq2v, nsat_p, nsat_q);
#endif
}

}  // namespace detail
}  // namespace lowrank
}  // namespace lowp
#endif
