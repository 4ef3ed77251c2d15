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

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "lowp/quantize/rng.hpp"

// The AVX-512 functions carry a target attribute, so they are compiled in
// every x86-64 GCC/Clang build (not only with -mavx512*/-march=native) and
// chosen at run time when the CPU has AVX-512 F/BW/VL (mf_cpu_avx512): the
// `lowp mf` tool and the tests get them too.
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(LOWP_MF_NO_AVX512)
// GCC 12's unmasked intrinsics initialise an "undefined" vector from itself,
// which -Wmaybe-uninitialized reports once inlined (GCC PR 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#define LOWP_MF_KERNEL_AVX512 1
#define LOWP_MF_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#endif

namespace lowp {
namespace lowrank {
namespace detail {

// Whether this CPU runs the AVX-512 loops (checked once).
inline bool mf_cpu_avx512() noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
  return true;
#else
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return ok;
#endif
#else
  return false;
#endif
}

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
// mix32 (rng.hpp) lane-wise.
LOWP_MF_AVX512 inline __m512i mf_mix16(__m512i x) noexcept {
  x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
  x = _mm512_mullo_epi32(x, _mm512_set1_epi32(0x21f0aaad));
  x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
  x = _mm512_mullo_epi32(x, _mm512_set1_epi32(0x735a2d97));
  return _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
}
// The upper 8 lanes of a 16-lane float vector.
LOWP_MF_AVX512 inline __m256 mf_hi8(__m512 v) noexcept {
  return _mm256_castsi256_ps(_mm512_extracti64x4_epi64(_mm512_castps_si512(v), 1));
}
// Adds the squared gradients gp2, gq2 of the chunk at c (16 elements, or 8 when !full) to the
// AdaGrad part sums: elements below the split s to part 0, the rest to part 1, the low 8 lanes
// first (the scalar reference's order).
LOWP_MF_AVX512 inline void mf_add_parts(__m256& p0, __m256& q0, __m256& p1, __m256& q1, __m512 gp2, __m512 gq2,
                                        std::size_t c, std::size_t s, bool full) noexcept {
  if (c < s) {
    p0 = _mm256_add_ps(p0, _mm512_castps512_ps256(gp2));
    q0 = _mm256_add_ps(q0, _mm512_castps512_ps256(gq2));
  } else {
    p1 = _mm256_add_ps(p1, _mm512_castps512_ps256(gp2));
    q1 = _mm256_add_ps(q1, _mm512_castps512_ps256(gq2));
  }
  if (full) {
    if (c + 8 < s) {
      p0 = _mm256_add_ps(p0, mf_hi8(gp2));
      q0 = _mm256_add_ps(q0, mf_hi8(gq2));
    } else {
      p1 = _mm256_add_ps(p1, mf_hi8(gp2));
      q1 = _mm256_add_ps(q1, mf_hi8(gq2));
    }
  }
}
// Lane i of v, broadcast.
LOWP_MF_AVX512 inline __m512 mf_lane(__m128 v, int i) noexcept {
  alignas(16) float l[4];
  _mm_store_ps(l, v);
  return _mm512_set1_ps(l[i]);
}

// 16 draws counter_draw(k, c0 + j), j = 0..15, lane-wise (carries included).
LOWP_MF_AVX512 inline __m512i mf_draws16(rng_key k, std::uint64_t c0) noexcept {
  const auto lo0 = static_cast<std::uint32_t>(c0), hi0 = static_cast<std::uint32_t>(c0 >> 32);
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i vlo0 = _mm512_set1_epi32(static_cast<int>(lo0));
  const __m512i lo = _mm512_add_epi32(vlo0, iota);
  const __mmask16 carry = _mm512_cmplt_epu32_mask(lo, vlo0);
  const __m512i hk = _mm512_set1_epi32(static_cast<int>(hi0 + k.k1));
  const __m512i hi = _mm512_mask_add_epi32(hk, carry, hk, _mm512_set1_epi32(1));
  __m512i x = _mm512_xor_si512(lo, _mm512_set1_epi32(static_cast<int>(k.k0)));
  x = mf_mix16(x);
  x = _mm512_xor_si512(x, hi);
  return mf_mix16(x);
}

template <class Rep>
LOWP_MF_AVX512 inline __m512 mf_load_rep(const Rep* a, __mmask16 m) noexcept {
  if constexpr (sizeof(Rep) == 1)
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, a)));
  else
    return _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, a)));
}
template <class Rep>
LOWP_MF_AVX512 inline void mf_store_rep(Rep* a, __mmask16 m, __m512i v) noexcept {
  if constexpr (sizeof(Rep) == 1)
    _mm_mask_storeu_epi8(a, m, _mm512_cvtepi32_epi8(v));
  else
    _mm256_mask_storeu_epi16(a, m, _mm512_cvtepi32_epi16(v));
}

// mf_round lane-wise: floor(x + d) + base, clamped to ±qmax; returns the
// integers and adds the saturated lanes (within m) to sat.
LOWP_MF_AVX512 inline __m512i mf_round16(__m512 x, __m512 base, __m512 d, __m512 qmax, __mmask16 m, std::uint32_t& sat) noexcept {
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

// mf_round16 without the ±1e6 clamp (2 instructions fewer): the same bits.
// Finite y: the clamp never changes floor(y) + base after the ±qmax clamp.
// NaN: the reference clamps it to -1e6, so it ends at -qmax (counted); here
// max(NaN, -qmax) returns -qmax (second operand) before the min, also counted.
LOWP_MF_AVX512 inline __m512i mf_round16_fast(__m512 x, __m512 base, __m512 d, __m512 qmax, __mmask16 m,
                               std::uint32_t& sat) noexcept {
  const __m512 fl = _mm512_roundscale_ps(_mm512_add_ps(x, d), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 qv = _mm512_add_ps(base, fl);
  const __m512 cl = _mm512_min_ps(_mm512_max_ps(qv, _mm512_sub_ps(_mm512_setzero_ps(), qmax)), qmax);
  sat += static_cast<std::uint32_t>(__builtin_popcount(_mm512_mask_cmp_ps_mask(m, cl, qv, _CMP_NEQ_UQ)));
  return _mm512_cvttps_epi32(cl);
}

template <class Rep, bool Stochastic>
LOWP_MF_AVX512 inline std::size_t mf_part_fixed_avx512(Rep* __restrict p, Rep* __restrict q, const float* __restrict po,
                                        std::size_t d0, std::size_t d1, const mf_fixed_coefs& cf, rng_key kk,
                                        std::uint64_t c0, float* gp2v, float* gq2v, std::uint32_t& nsat_p,
                                        std::uint32_t& nsat_q) noexcept {
  static_assert(mf_sum_lanes == 8);
  const __m512 ap = _mm512_set1_ps(cf.ap), bp = _mm512_set1_ps(cf.bp), aq = _mm512_set1_ps(cf.aq),
               bq = _mm512_set1_ps(cf.bq), ld = _mm512_set1_ps(cf.ld), ed = _mm512_set1_ps(cf.ed),
               ld2 = _mm512_set1_ps(cf.ld2), ed2 = _mm512_set1_ps(cf.ed2), qmax = _mm512_set1_ps(cf.qmax);
  const __m512 scale = _mm512_set1_ps(1.0f / 65536.0f), half = _mm512_set1_ps(0.5f);
  __m256 accp = _mm256_loadu_ps(gp2v), accq = _mm256_loadu_ps(gq2v);
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
      accp = _mm256_add_ps(accp, mf_hi8(gp2));
      accq = _mm256_add_ps(accq, mf_hi8(gq2));
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
LOWP_MF_AVX512 inline std::size_t mf_part_float_avx512(float* __restrict p, float* __restrict q, const float* __restrict po,
                                        std::size_t d0, std::size_t d1, float lambda, float e, float ep,
                                        float eq, float* gp2v, float* gq2v) noexcept {
  const __m512 vl = _mm512_set1_ps(lambda), ve = _mm512_set1_ps(e), vep = _mm512_set1_ps(ep),
               veq = _mm512_set1_ps(eq);
  __m256 accp = _mm256_loadu_ps(gp2v), accq = _mm256_loadu_ps(gq2v);
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
      accp = _mm256_add_ps(accp, mf_hi8(gp2));
      accq = _mm256_add_ps(accq, mf_hi8(gq2));
    }
    _mm512_mask_storeu_ps(p + c, m, _mm512_sub_ps(pc, _mm512_mul_ps(vep, gp)));
    _mm512_mask_storeu_ps(q + c, m, _mm512_sub_ps(qc, _mm512_mul_ps(veq, gq)));
    c += full ? 16 : 8;
  }
  _mm256_storeu_ps(gp2v, accp);
  _mm256_storeu_ps(gq2v, accq);
  return c;
}
#endif

inline std::size_t mf_part_float(float* __restrict p, float* __restrict q, const float* __restrict po,
                                 std::size_t d0, std::size_t d1, float lambda, float e, float ep, float eq,
                                 float* gp2v, float* gq2v) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (mf_cpu_avx512()) return mf_part_float_avx512(p, q, po, d0, d1, lambda, e, ep, eq, gp2v, gq2v);
#endif
  return mf_part_float_scalar(p, q, po, d0, d1, lambda, e, ep, eq, gp2v, gq2v);
}

// ---------------------------------------------------------------------------
// One whole fixed-point rating update (both AdaGrad parts), given the error e.
//
// mf_sgd splits a row into the warm-start part [0, s) and the rest [s, k),
// each with its own AdaGrad sum (LIBMF's two pG/qG entries), and used to run
// them as two calls with the 8-element chunk loop above. That costs two
// passes with half-empty vectors, eight scalar sqrt/div and four in-order
// lane sums per rating: about a third of the 8-bit update time at k = 32
// (110 -> 72 ns per rating on the 2-vCPU Xeon VM, thread CPU time).
// mf_update_fixed_avx512_n does the same arithmetic in one pass over the row
// (coefficients chosen per lane), so it is bit-identical to the two-part
// definition, which mf_update_fixed_scalar spells out as the reference
// (e = (r - dot·dp·dq) - off first, mf_rate_fixed_scalar):
//   for each part [d0, d1) (part 1 only when !slow_only and s < k):
//     ep = adagrad ? eta/sqrt(G) : eta,  eq likewise from H
//     ap = ((ep e) dq)/dp,  bp = -ep λ,  aq = ((eq e) dp)/dq,  bq = -eq λ
//     chunks of 8 as mf_part_fixed_scalar with draws c0 + (c - d0), the
//     tail element by element; G += (Σ lanes in order) · (1/n), H likewise
//   with c0 advancing by the part's length, so element c uses draw c0 + c.
struct mf_update_params {
  float eta, lambda;  // step, λ (already divided by σ)
  float dp, dq;       // grid steps of P and Q
  float qmax;
  bool adagrad;
  std::size_t k, s;   // rank; the warm-start part is [0, s), s <= k
  bool slow_only;     // first epoch: only [0, s) moves
};

template <class Rep, bool Stochastic>
inline void mf_update_fixed_scalar(Rep* __restrict p, Rep* __restrict q, const float* __restrict po, float e,
                                   float* G2, float* H2, const mf_update_params& u, rng_key kk,
                                   std::uint64_t c0, std::uint32_t& nsat_p, std::uint32_t& nsat_q) noexcept {
  constexpr std::size_t W = mf_sum_lanes;
  const int parts = (!u.slow_only && u.s < u.k) ? 2 : 1;
  for (int part = 0; part < parts; ++part) {
    const std::size_t d0 = part == 0 ? 0 : u.s, d1 = part == 0 ? u.s : u.k, n = d1 - d0;
    const float gu = G2[part], hv = H2[part];
    const float ep = u.adagrad ? u.eta / std::sqrt(gu) : u.eta;
    const float eq = u.adagrad ? u.eta / std::sqrt(hv) : u.eta;
    const float ap = ep * e * u.dq / u.dp, bp = -ep * u.lambda;
    const float aq = eq * e * u.dp / u.dq, bq = -eq * u.lambda;
    const float ed = e * u.dq, ld = u.lambda * u.dp, ed2 = e * u.dp, ld2 = u.lambda * u.dq;
    const mf_fixed_coefs cf{ap, bp, aq, bq, ld, ed, ld2, ed2, u.qmax};
    float gp2v[W] = {}, gq2v[W] = {};
    std::size_t c = mf_part_fixed_scalar<Rep, Stochastic>(p, q, po, d0, d1, cf, kk, c0, gp2v, gq2v, nsat_p, nsat_q);
    for (; c < d1; ++c) {
      const float qc = static_cast<float>(q[c]);
      const float pc = po[c];
      const float gp = ld * pc - ed * qc, gq = ld2 * qc - ed2 * pc;
      gp2v[0] += gp * gp;
      gq2v[0] += gq * gq;
      const std::uint32_t w2 = Stochastic ? counter_draw(kk, c0 + (c - d0)) : 0u;
      p[c] = mf_round<Rep, Stochastic>(ap * qc + bp * pc, pc, w2 << 16, u.qmax, nsat_p);
      q[c] = mf_round<Rep, Stochastic>(aq * pc + bq * qc, qc, w2, u.qmax, nsat_q);
    }
    c0 += n;
    if (u.adagrad) {
      float gp2 = 0, gq2 = 0;
      for (std::size_t j = 0; j < W; ++j) {
        gp2 += gp2v[j];
        gq2 += gq2v[j];
      }
      const float inv = 1.0f / static_cast<float>(n);
      G2[part] = gu + gp2 * inv;
      H2[part] = hv + gq2 * inv;
    }
  }
}

// Exact integer dot product of two rows (int8: int32 sums, int16: int64).
template <class Rep>
using mf_acc_t = std::conditional_t<(sizeof(Rep) == 1), std::int32_t, std::int64_t>;
template <class Rep>
inline mf_acc_t<Rep> mf_dot_fixed_scalar(const Rep* __restrict p, const Rep* __restrict q, std::size_t k) noexcept {
  mf_acc_t<Rep> acc = 0;
  for (std::size_t c = 0; c < k; ++c) acc += mf_acc_t<Rep>(p[c]) * mf_acc_t<Rep>(q[c]);
  return acc;
}

// One rating for the fused kernels: rows, AdaGrad pairs (G[2u], G[2u+1]),
// the rating r, off = (μ + b_u) + b_v (0 without biases), the first draw c0.
// The kernel returns e = (r - dot·dp·dq) - off in e (for the bias update).
// mf_sgd keeps per row mf_aux floats: the AdaGrad sums of the warm-start
// part and of the rest (a job's G2/H2 point there), the bias, one unused.
inline constexpr std::size_t mf_aux = 4, mf_aux_bias = 2;

template <class Rep>
struct mf_job {
  Rep* p;
  Rep* q;
  float* G2;
  float* H2;
  float r, off;
  std::uint64_t c0;
  float e;
  float* po;  // scratch of k floats for the reference (p before the update)
};

#if defined(LOWP_MF_KERNEL_AVX512)
// 16 elements as int16.
template <class Rep>
LOWP_MF_AVX512 inline __m256i mf_load16(const Rep* a, __mmask16 m) noexcept {
  if constexpr (sizeof(Rep) == 1)
    return _mm256_cvtepi8_epi16(_mm_maskz_loadu_epi8(m, a));
  else
    return _mm256_maskz_loadu_epi16(m, a);
}
template <class Rep>
LOWP_MF_AVX512 inline mf_acc_t<Rep> mf_dot_fixed_avx512(const Rep* __restrict p, const Rep* __restrict q, std::size_t k) noexcept {
  // 16 elements per step as int16 pairs (vpmaddwd: exact, |sum of a pair| < 2^31).
  if constexpr (sizeof(Rep) == 1) {
    __m256i acc = _mm256_setzero_si256();
    for (std::size_t c = 0; c < k; c += 16) {
      const __mmask16 m = c + 16 <= k ? __mmask16(0xffff) : __mmask16((1u << (k - c)) - 1);
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(mf_load16<Rep>(p + c, m), mf_load16<Rep>(q + c, m)));
    }
    const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    const __m128i s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
    const __m128i s1 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, 1));
    return _mm_cvtsi128_si32(s1);
  } else {
    __m512i acc = _mm512_setzero_si512();
    for (std::size_t c = 0; c < k; c += 16) {
      const __mmask16 m = c + 16 <= k ? __mmask16(0xffff) : __mmask16((1u << (k - c)) - 1);
      acc = _mm512_add_epi64(acc, _mm512_cvtepi32_epi64(_mm256_madd_epi16(mf_load16<Rep>(p + c, m), mf_load16<Rep>(q + c, m))));
    }
    return _mm512_reduce_add_epi64(acc);
  }
}

// The lane sums of a, b, c, d, each in lane order starting from 0 (the
// reference's loop), as [Σa, Σb, Σc, Σd]: a 4x8 transpose, then the eight
// columns added in order (lanes are >= 0 or NaN, so 0 + v0 = v0).
LOWP_MF_AVX512 inline __m128 mf_sum8x4_in_order(__m256 a, __m256 b, __m256 c, __m256 d) noexcept {
  const __m256 t0 = _mm256_unpacklo_ps(a, b), t1 = _mm256_unpackhi_ps(a, b);  // a0 b0 a1 b1 | a4 b4 a5 b5
  const __m256 t2 = _mm256_unpacklo_ps(c, d), t3 = _mm256_unpackhi_ps(c, d);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);  // columns 0|4, 1|5
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);  // 2|6, 3|7
  __m128 s = _mm_add_ps(_mm_add_ps(_mm_add_ps(_mm256_castps256_ps128(u0), _mm256_castps256_ps128(u1)),
                                   _mm256_castps256_ps128(u2)),
                        _mm256_castps256_ps128(u3));
  s = _mm_add_ps(s, _mm256_extractf128_ps(u0, 1));
  s = _mm_add_ps(s, _mm256_extractf128_ps(u1, 1));
  s = _mm_add_ps(s, _mm256_extractf128_ps(u2, 1));
  return _mm_add_ps(s, _mm256_extractf128_ps(u3, 1));
}


// The fused update of N independent ratings (no shared row of P or Q, no
// shared G/H pair), their instructions interleaved step by step so that the
// out-of-order core overlaps their dependency chains (dot -> e -> steps ->
// increments -> rounding is ~120 cycles, longer than the work). Each rating
// gets exactly the bits of mf_update_fixed_scalar. Requires k % 8 == 0 and
// s % 8 == 0 (mf_update_fused checks).
template <class Rep, bool Stochastic, int N>
LOWP_MF_AVX512 inline void mf_update_fixed_avx512_n(mf_job<Rep>* jb, const mf_update_params& u, rng_key kk,
                                     std::uint32_t& nsat_p, std::uint32_t& nsat_q) noexcept {
  const std::size_t s = u.s, d1 = u.slow_only ? u.s : u.k;
  const bool two = !u.slow_only && s < u.k;
  const float dpq = u.dp * u.dq;
  __m128 gh[N];
  __m512 ap0[N], ap1[N], aq0[N], aq1[N], bp0[N], bp1[N], bq0[N], bq1[N], ed[N], ed2[N];
  for (int t = 0; t < N; ++t) {
    const float e = (jb[t].r - static_cast<float>(mf_dot_fixed_avx512<Rep>(jb[t].p, jb[t].q, u.k)) * dpq) - jb[t].off;
    jb[t].e = e;
    // [ep0, ep1, eq0, eq1] and the per-part coefficients, as the reference's
    // scalar expressions (IEEE sqrt/div/mul are the same bits in any lane).
    gh[t] = _mm_setr_ps(jb[t].G2[0], two ? jb[t].G2[1] : 1.0f, jb[t].H2[0], two ? jb[t].H2[1] : 1.0f);
    const __m128 eps = u.adagrad ? _mm_div_ps(_mm_set1_ps(u.eta), _mm_sqrt_ps(gh[t])) : _mm_set1_ps(u.eta);
    const __m128 a4 = _mm_div_ps(_mm_mul_ps(_mm_mul_ps(eps, _mm_set1_ps(e)), _mm_setr_ps(u.dq, u.dq, u.dp, u.dp)),
                                 _mm_setr_ps(u.dp, u.dp, u.dq, u.dq));
    const __m128 b4 = _mm_mul_ps(_mm_xor_ps(eps, _mm_set1_ps(-0.0f)), _mm_set1_ps(u.lambda));
    ap0[t] = mf_lane(a4, 0), ap1[t] = mf_lane(a4, 1), aq0[t] = mf_lane(a4, 2), aq1[t] = mf_lane(a4, 3);
    bp0[t] = mf_lane(b4, 0), bp1[t] = mf_lane(b4, 1), bq0[t] = mf_lane(b4, 2), bq1[t] = mf_lane(b4, 3);
    ed[t] = _mm512_set1_ps(e * u.dq), ed2[t] = _mm512_set1_ps(e * u.dp);
  }
  const __m512 ld = _mm512_set1_ps(u.lambda * u.dp), ld2 = _mm512_set1_ps(u.lambda * u.dq);
  const __m512 qmax = _mm512_set1_ps(u.qmax);
  const __m512 scale = _mm512_set1_ps(1.0f / 65536.0f), half = _mm512_set1_ps(0.5f);
  __m256 accp0[N], accp1[N], accq0[N], accq1[N];
  for (int t = 0; t < N; ++t) accp0[t] = accp1[t] = accq0[t] = accq1[t] = _mm256_setzero_ps();
  for (std::size_t c = 0; c < d1; c += 16) {
    const bool full = c + 16 <= d1;
    const __mmask16 m = full ? __mmask16(0xffff) : __mmask16(0x00ff);
    // Lanes of part 0 (s is a multiple of 8: none, the low 8 or all 16).
    const __mmask16 pm = c + 16 <= s ? __mmask16(0xffff) : (c < s ? __mmask16(0x00ff) : __mmask16(0));
    for (int t = 0; t < N; ++t) {
      Rep* __restrict p = jb[t].p;
      Rep* __restrict q = jb[t].q;
      const __m512 ap = _mm512_mask_blend_ps(pm, ap1[t], ap0[t]), bp = _mm512_mask_blend_ps(pm, bp1[t], bp0[t]);
      const __m512 aq = _mm512_mask_blend_ps(pm, aq1[t], aq0[t]), bq = _mm512_mask_blend_ps(pm, bq1[t], bq0[t]);
      const __m512 qc = mf_load_rep(q + c, m);
      const __m512 pc = mf_load_rep(p + c, m);
      const __m512 gp = _mm512_sub_ps(_mm512_mul_ps(ld, pc), _mm512_mul_ps(ed[t], qc));
      const __m512 gq = _mm512_sub_ps(_mm512_mul_ps(ld2, qc), _mm512_mul_ps(ed2[t], pc));
      const __m512 gp2 = _mm512_mul_ps(gp, gp), gq2 = _mm512_mul_ps(gq, gq);
      mf_add_parts(accp0[t], accq0[t], accp1[t], accq1[t], gp2, gq2, c, s, full);
      const __m512 xp = _mm512_add_ps(_mm512_mul_ps(ap, qc), _mm512_mul_ps(bp, pc));
      const __m512 xq = _mm512_add_ps(_mm512_mul_ps(aq, pc), _mm512_mul_ps(bq, qc));
      __m512 dp = half, dq = half;
      if constexpr (Stochastic) {
        const __m512i w = mf_draws16(kk, jb[t].c0 + c);
        dp = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_and_si512(w, _mm512_set1_epi32(0xffff))), scale);
        dq = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w, 16)), scale);
      }
      mf_store_rep(p + c, m, mf_round16_fast(xp, pc, dp, qmax, m, nsat_p));
      mf_store_rep(q + c, m, mf_round16_fast(xq, qc, dq, qmax, m, nsat_q));
    }
  }
  if (u.adagrad) {
    // [G0, G1, H0, H1] += [Σgp²_0, Σgp²_1, Σgq²_0, Σgq²_1] · [1/s, 1/(k-s), 1/s, 1/(k-s)]
    const float inv0 = 1.0f / static_cast<float>(s), inv1 = two ? 1.0f / static_cast<float>(u.k - s) : 0.0f;
    for (int t = 0; t < N; ++t) {
      const __m128 g = _mm_add_ps(gh[t], _mm_mul_ps(mf_sum8x4_in_order(accp0[t], accp1[t], accq0[t], accq1[t]),
                                                    _mm_setr_ps(inv0, inv1, inv0, inv1)));
      jb[t].G2[0] = _mm_cvtss_f32(g);
      jb[t].H2[0] = _mm_cvtss_f32(_mm_movehl_ps(g, g));
      if (two) {
        jb[t].G2[1] = _mm_cvtss_f32(_mm_shuffle_ps(g, g, 1));
        jb[t].H2[1] = _mm_cvtss_f32(_mm_shuffle_ps(g, g, 3));
      }
    }
  }
}

#endif

// Whether mf_update_fixed takes the fused path (which does not read po).
inline bool mf_update_fused(const mf_update_params& u) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  return u.k % 8 == 0 && u.s % 8 == 0 && u.s > 0 && mf_cpu_avx512();
#else
  (void)u;
  return false;
#endif
}

template <class Rep>
inline mf_acc_t<Rep> mf_dot_fixed(const Rep* __restrict p, const Rep* __restrict q, std::size_t k) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (mf_cpu_avx512()) return mf_dot_fixed_avx512<Rep>(p, q, k);
#endif
  return mf_dot_fixed_scalar<Rep>(p, q, k);
}

// The reference for one job: e, then mf_update_fixed_scalar.
template <class Rep, bool Stochastic>
inline void mf_rate_fixed_scalar(mf_job<Rep>& j, const mf_update_params& u, rng_key kk, std::uint32_t& nsat_p,
                                 std::uint32_t& nsat_q) noexcept {
  j.e = (j.r - static_cast<float>(mf_dot_fixed_scalar<Rep>(j.p, j.q, u.k)) * (u.dp * u.dq)) - j.off;
  for (std::size_t c = 0; c < u.k; ++c) j.po[c] = static_cast<float>(j.p[c]);
  mf_update_fixed_scalar<Rep, Stochastic>(j.p, j.q, j.po, j.e, j.G2, j.H2, u, kk, j.c0, nsat_p, nsat_q);
}

// What mf_sgd calls (non-racy fixed point): N independent ratings, in the
// order of the array (the result is that of updating them one after the
// other, which is what the reference does).
template <class Rep, bool Stochastic, int N>
inline void mf_rate_fixed(mf_job<Rep>* jb, const mf_update_params& u, rng_key kk, std::uint32_t& nsat_p,
                          std::uint32_t& nsat_q) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (mf_update_fused(u)) {
    mf_update_fixed_avx512_n<Rep, Stochastic, N>(jb, u, kk, nsat_p, nsat_q);
    return;
  }
#endif
  for (int t = 0; t < N; ++t) mf_rate_fixed_scalar<Rep, Stochastic>(jb[t], u, kk, nsat_p, nsat_q);
}

// ---------------------------------------------------------------------------
// The float rating update, fused the same way. Reference (mf_sgd's float
// definition): dot = Σ of 8 lanes in order, lane j = Σ over 8-chunks of
// p[c+j] q[c+j] (tail into lane 0); e = (r - dot) - off; then per part
// [d0, d1): ep = adagrad ? eta/sqrt(G) : eta (eq from H), chunks of 8 as
// mf_part_float_scalar, the tail element by element into lane 0, and
// G += (Σ lanes in order) · (1/n), H likewise.
inline void mf_rate_float_scalar(mf_job<float>& j, const mf_update_params& u) noexcept {
  constexpr std::size_t W = mf_sum_lanes;
  float* __restrict p = j.p;
  float* __restrict q = j.q;
  float lane[W] = {};
  std::size_t c = 0;
  for (; c + W <= u.k; c += W)
    for (std::size_t i = 0; i < W; ++i) lane[i] += p[c + i] * q[c + i];
  for (; c < u.k; ++c) lane[0] += p[c] * q[c];
  float dot = 0;
  for (std::size_t i = 0; i < W; ++i) dot += lane[i];
  const float e = (j.r - dot) - j.off;
  j.e = e;
  float* __restrict po = j.po;
  for (std::size_t i = 0; i < u.k; ++i) po[i] = p[i];
  const int parts = (!u.slow_only && u.s < u.k) ? 2 : 1;
  for (int part = 0; part < parts; ++part) {
    const std::size_t d0 = part == 0 ? 0 : u.s, d1 = part == 0 ? u.s : u.k, n = d1 - d0;
    const float gu = j.G2[part], hv = j.H2[part];
    const float ep = u.adagrad ? u.eta / std::sqrt(gu) : u.eta;
    const float eq = u.adagrad ? u.eta / std::sqrt(hv) : u.eta;
    float gp2v[W] = {}, gq2v[W] = {};
    std::size_t cc = mf_part_float_scalar(p, q, po, d0, d1, u.lambda, e, ep, eq, gp2v, gq2v);
    for (; cc < d1; ++cc) {
      const float qc = q[cc], pc = po[cc];
      const float gp = u.lambda * pc - e * qc, gq = u.lambda * qc - e * pc;
      gp2v[0] += gp * gp;
      gq2v[0] += gq * gq;
      p[cc] = pc - ep * gp;
      q[cc] = qc - eq * gq;
    }
    if (u.adagrad) {
      float gp2 = 0, gq2 = 0;
      for (std::size_t i = 0; i < W; ++i) {
        gp2 += gp2v[i];
        gq2 += gq2v[i];
      }
      const float inv = 1.0f / static_cast<float>(n);
      j.G2[part] = gu + gp2 * inv;
      j.H2[part] = hv + gq2 * inv;
    }
  }
}

#if defined(LOWP_MF_KERNEL_AVX512)
// N independent float ratings, interleaved as in mf_update_fixed_avx512_n;
// requires k % 8 == 0 and s % 8 == 0.
template <int N>
LOWP_MF_AVX512 inline void mf_update_float_avx512_n(mf_job<float>* jb, const mf_update_params& u) noexcept {
  const std::size_t s = u.s, d1 = u.slow_only ? u.s : u.k, k = u.k;
  const bool two = !u.slow_only && s < u.k;
  __m128 gh[N];
  __m512 ep0[N], ep1[N], eq0[N], eq1[N], ve[N];
  for (int t = 0; t < N; ++t) {
    __m256 acc = _mm256_setzero_ps();
    for (std::size_t c = 0; c < k; c += 16) {
      const bool full = c + 16 <= k;
      const __mmask16 m = full ? __mmask16(0xffff) : __mmask16(0x00ff);
      const __m512 pq = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, jb[t].p + c), _mm512_maskz_loadu_ps(m, jb[t].q + c));
      acc = _mm256_add_ps(acc, _mm512_castps512_ps256(pq));
      if (full) acc = _mm256_add_ps(acc, mf_hi8(pq));
    }
    const __m256 z = _mm256_setzero_ps();
    const float dot = _mm_cvtss_f32(mf_sum8x4_in_order(acc, z, z, z));
    const float e = (jb[t].r - dot) - jb[t].off;
    jb[t].e = e;
    ve[t] = _mm512_set1_ps(e);
    gh[t] = _mm_setr_ps(jb[t].G2[0], two ? jb[t].G2[1] : 1.0f, jb[t].H2[0], two ? jb[t].H2[1] : 1.0f);
    const __m128 eps = u.adagrad ? _mm_div_ps(_mm_set1_ps(u.eta), _mm_sqrt_ps(gh[t])) : _mm_set1_ps(u.eta);
    alignas(16) float l[4];
    _mm_store_ps(l, eps);
    ep0[t] = _mm512_set1_ps(l[0]), ep1[t] = _mm512_set1_ps(l[1]);
    eq0[t] = _mm512_set1_ps(l[2]), eq1[t] = _mm512_set1_ps(l[3]);
  }
  const __m512 vl = _mm512_set1_ps(u.lambda);
  __m256 accp0[N], accp1[N], accq0[N], accq1[N];
  for (int t = 0; t < N; ++t) accp0[t] = accp1[t] = accq0[t] = accq1[t] = _mm256_setzero_ps();
  for (std::size_t c = 0; c < d1; c += 16) {
    const bool full = c + 16 <= d1;
    const __mmask16 m = full ? __mmask16(0xffff) : __mmask16(0x00ff);
    const __mmask16 pm = c + 16 <= s ? __mmask16(0xffff) : (c < s ? __mmask16(0x00ff) : __mmask16(0));
    for (int t = 0; t < N; ++t) {
      float* __restrict p = jb[t].p;
      float* __restrict q = jb[t].q;
      const __m512 ep = _mm512_mask_blend_ps(pm, ep1[t], ep0[t]), eq = _mm512_mask_blend_ps(pm, eq1[t], eq0[t]);
      const __m512 qc = _mm512_maskz_loadu_ps(m, q + c), pc = _mm512_maskz_loadu_ps(m, p + c);
      const __m512 gp = _mm512_sub_ps(_mm512_mul_ps(vl, pc), _mm512_mul_ps(ve[t], qc));
      const __m512 gq = _mm512_sub_ps(_mm512_mul_ps(vl, qc), _mm512_mul_ps(ve[t], pc));
      const __m512 gp2 = _mm512_mul_ps(gp, gp), gq2 = _mm512_mul_ps(gq, gq);
      mf_add_parts(accp0[t], accq0[t], accp1[t], accq1[t], gp2, gq2, c, s, full);
      _mm512_mask_storeu_ps(p + c, m, _mm512_sub_ps(pc, _mm512_mul_ps(ep, gp)));
      _mm512_mask_storeu_ps(q + c, m, _mm512_sub_ps(qc, _mm512_mul_ps(eq, gq)));
    }
  }
  if (u.adagrad) {
    const float inv0 = 1.0f / static_cast<float>(s), inv1 = two ? 1.0f / static_cast<float>(u.k - s) : 0.0f;
    for (int t = 0; t < N; ++t) {
      const __m128 g = _mm_add_ps(gh[t], _mm_mul_ps(mf_sum8x4_in_order(accp0[t], accp1[t], accq0[t], accq1[t]),
                                                    _mm_setr_ps(inv0, inv1, inv0, inv1)));
      jb[t].G2[0] = _mm_cvtss_f32(g);
      jb[t].H2[0] = _mm_cvtss_f32(_mm_movehl_ps(g, g));
      if (two) {
        jb[t].G2[1] = _mm_cvtss_f32(_mm_shuffle_ps(g, g, 1));
        jb[t].H2[1] = _mm_cvtss_f32(_mm_shuffle_ps(g, g, 3));
      }
    }
  }
}
#endif

// What mf_sgd calls for float factors without races.
template <int N>
inline void mf_rate_float(mf_job<float>* jb, const mf_update_params& u) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (mf_update_fused(u)) {
    mf_update_float_avx512_n<N>(jb, u);
    return;
  }
#endif
  for (int t = 0; t < N; ++t) mf_rate_float_scalar(jb[t], u);
}

// The loop mf_sgd runs: AVX-512 when compiled for it, else the reference.
template <class Rep, bool Stochastic>
inline std::size_t mf_part_fixed(Rep* __restrict p, Rep* __restrict q, const float* __restrict po, std::size_t d0,
                                 std::size_t d1, const mf_fixed_coefs& cf, rng_key kk, std::uint64_t c0,
                                 float* gp2v, float* gq2v, std::uint32_t& nsat_p, std::uint32_t& nsat_q) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (mf_cpu_avx512())
    return mf_part_fixed_avx512<Rep, Stochastic>(p, q, po, d0, d1, cf, kk, c0, gp2v, gq2v, nsat_p, nsat_q);
#endif
  return mf_part_fixed_scalar<Rep, Stochastic>(p, q, po, d0, d1, cf, kk, c0, gp2v, gq2v, nsat_p, nsat_q);
}

}  // namespace detail
}  // namespace lowrank
}  // namespace lowp

#if defined(LOWP_MF_KERNEL_AVX512)
#pragma GCC diagnostic pop
#endif
#endif
