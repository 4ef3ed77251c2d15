// The integer-domain rating update of mf_sgd for 8-bit factors (issue 7):
// the default kernel of mf_sgd_q8 when the rank is a multiple of 32
// (mf_options::int8_kernel) on CPUs with AVX-512 BW/VL and AES.
// mf_kernel.hpp's fixed-point update computes each increment in float
// (convert both rows, two products per element, floor, convert back) and
// took 66 ns per rating at k = 32; here the per-rating float work is a few
// vector operations shared by a pair of ratings, the row work is exact
// integer arithmetic on 32 int16 lanes per zmm register, and the dithers come
// from AES rounds (44 ns; measurements in solvers/lowrank/README.md).
// mf_sgd runs the definition below through mf_int8_batch.hpp (16 independent
// ratings per call, ~20 ns) where the CPU has VAES and the warm-start part is
// whole 8-element groups; this file's one- and two-rating kernel is the
// fallback (AES-NI CPUs, other parts) and mf_options::int8_batch = false.
//
// Definition (the scalar reference mf_i8_rate_scalar; the AVX-512 loop gives
// the same bits, tests/lowrank/mf_kernel_test.cpp):
//  1. Exact integer sums over the old rows, per AdaGrad part (part 0 =
//     elements [0, s), part 1 = [s, k)): Spp = Σp², Spq = Σpq, Sqq = Σq²
//     (int32: k·127² < 2^31 for k <= 4096).
//  2. e = (r - float(Spq0 + Spq1)·(δp δq)) - off  (as mf_kernel.hpp).
//  3. Step sizes [εp0, εp1, εq0, εq1] = adagrad ? η/√[G0, G1, H0, H1] : η
//     (G1/H1 read as 1 when part 1 is empty), float.
//     Coefficients of the increment in grid units, per part j:
//       ap_j = (εp_j e)·(δq/δp),  bp_j = -(εp_j λ),  aq_j = (εq_j e)·(δp/δq),  bq_j = -(εq_j λ)
//     (all 0 for part 1 in the warm-start epoch, where only [0, s) moves).
//  4. One binary scale per rating: S = clamp(15 - frexp-exponent(max |coef|), 1, 30),
//     so the largest coefficient maps into [2^14, 2^15); each coefficient
//     becomes A = round-to-nearest-even(coef·2^S) clamped to ±32767 (NaN -> -32767).
//     This is the only approximation against the float definition: a relative
//     error <= 2^-15 of the largest coefficient, deterministic (a step-size
//     error, not a rounding bias).
//  5. Element i, draw w = word c0 + i of the ARS-5 generator (quantize/ars.hpp:
//     word c0 + i is 32-bit word (c0 + i) mod 4 of AES block (c0 + i)/4),
//     keyed by the thread's stream (ars_key_schedule of its rng_key); p takes
//     the low 16 bits, q the high ones, as with counter_draw elsewhere. c0 is
//     a multiple of 4. Dithers in units of 2^-S: dp = (w << 16) >> (32 - S), dq = (w & 0xffff0000) >> (32 - S)
//     (uniform on [0, 2^S) to 16 bits; nearest rounding uses w = 0x80008000, i.e. ½).
//       p_i' = clamp(p_i + ((Ap q_i + Bp p_i + dp) >> S), ±qmax)
//       q_i' = clamp(q_i + ((Aq p_i + Bq q_i + dq) >> S), ±qmax)
//     (>> arithmetic = floor; |A q + B p| < 2^23, so int32 is exact; old p,
//     old q on the right). So E[p_i'] = p_i + (Ap q_i + Bp p_i)/2^S up to the
//     16-bit dither resolution when nothing saturates: unbiased stochastic
//     rounding, as before. Clamped elements are counted.
//  6. AdaGrad sums from the exact sums (no per-element float work):
//       Σ gp² = ld² Spp - 2 ld ed Spq + ed² Sqq,  gp = ld p - ed q, ld = λδp, ed = e δq
//       Σ gq² = ld2² Sqq - 2 ld2 ed2 Spq + ed2² Spp, ld2 = λδq, ed2 = e δp
//     evaluated in float with the constants of mf_i8_params (ld², 2ld, ...),
//     clamped at 0; G_j += Σgp²·(1/n_j), H_j likewise (part 1 only when it moves).
// Every rating consumes k draws (c0 advances by k), also in the warm-start epoch.
#ifndef LOWP_SOLVERS_LOWRANK_DETAIL_MF_INT8_HPP
#define LOWP_SOLVERS_LOWRANK_DETAIL_MF_INT8_HPP

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "lowp/quantize/ars.hpp"
#include "lowp/quantize/rng.hpp"
#include "lowp/solvers/lowrank/detail/mf_kernel.hpp"

#if defined(LOWP_MF_KERNEL_AVX512)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
// The int8 SIMD functions also use AES (VAES, or AES-NI per 128-bit lane).
#define LOWP_MF_I8 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,aes,vaes")))
#endif

namespace lowp {
namespace lowrank {
namespace detail {

// Per-epoch constants of the int8 update (mf_sgd fills them when the steps change).
struct mf_i8_params {
  float eta, lambda;
  float dpq;       // δp·δq
  float rq, rp;    // δq/δp, δp/δq
  float ld, ld2;   // λδp, λδq
  float dp, dq;    // δp, δq
  std::int32_t qmax;
  bool adagrad, slow_only;
  std::size_t k, s;  // rank (a multiple of 32 for the SIMD loop), warm-start part [0, s), 0 < s <= k
  // Step 6 per lane [gp part 0, gp part 1, gq part 0, gq part 1]:
  alignas(16) float a2[4];   // ld², ld², ld2², ld2²
  alignas(16) float ta[4];   // 2ld, 2ld, 2ld2, 2ld2
  alignas(16) float ds[4];   // δq, δq, δp, δp (ed = e δq, ed2 = e δp)
  alignas(16) float inv[4];  // 1/s, 1/(k - s), 1/s, 1/(k - s) (0 when s = k)
};

inline mf_i8_params mf_i8_make_params(float eta, float lambda, float dp, float dq, std::int32_t qmax, bool adagrad,
                                      bool slow_only, std::size_t k, std::size_t s) noexcept {
  mf_i8_params u{};
  u.eta = eta, u.lambda = lambda, u.dpq = dp * dq, u.rq = dq / dp, u.rp = dp / dq;
  u.ld = lambda * dp, u.ld2 = lambda * dq, u.dp = dp, u.dq = dq, u.qmax = qmax;
  u.adagrad = adagrad, u.slow_only = slow_only, u.k = k, u.s = s;
  const float i0 = 1.0f / static_cast<float>(s), i1 = s < k ? 1.0f / static_cast<float>(k - s) : 0.0f;
  for (int l = 0; l < 4; ++l) {
    const float a = l < 2 ? u.ld : u.ld2;
    u.a2[l] = a * a;
    u.ta[l] = 2.0f * a;
    u.ds[l] = l < 2 ? dq : dp;
    u.inv[l] = (l & 1) ? i1 : i0;
  }
  return u;
}

// Exact sums of one rating, per part.
struct mf_i8_sums {
  std::int32_t pp[2], pq[2], qq[2];
};

// Step 4's coefficients: Ap, Bp, Aq, Bq per part and the scale S.
struct mf_i8_coefs {
  std::int32_t ap[2], bp[2], aq[2], bq[2];
  int S;
};

// Round-to-nearest-even of c·2^S, clamped to ±32767, NaN -> -32767. No libm
// call (this runs 8 times per rating): 2^S is exact, and adding then
// subtracting 1.5·2^23 rounds to an integer in the default rounding mode for
// |x| <= 2^22 (the clamp comes first).
// The ARS-5 round keys of a thread's stream (quantize/ars.hpp), as 128-bit
// (lo, hi) pairs ready for the AES instructions.
struct mf_i8_keys {
  alignas(16) std::uint64_t rk[6][2];
  ars_keys ks;
};
inline mf_i8_keys mf_i8_make_keys(rng_key k) noexcept {
  mf_i8_keys r{};
  r.ks = ars_key_schedule(k);
  for (int i = 0; i < 6; ++i) r.rk[i][0] = r.ks.lo[i], r.rk[i][1] = r.ks.hi[i];
  return r;
}

inline std::int32_t mf_i8_fix(float c, int S) noexcept {
  if (c != c) return -32767;
  const float x = c * static_cast<float>(std::uint32_t(1) << S);
  if (!(x < 32767.0f)) return 32767;
  if (!(x > -32767.0f)) return -32767;
  constexpr float magic = 12582912.0f;  // 1.5·2^23
  return static_cast<std::int32_t>((x + magic) - magic);
}

// Steps 2-4 and 6, shared by the reference and the SIMD loop (scalar code,
// IEEE operations, so the same bits in both): sets j.e, updates G2/H2.
inline mf_i8_coefs mf_i8_prologue(mf_job<std::int8_t>& j, const mf_i8_sums& sm, const mf_i8_params& u) noexcept {
  const bool two = u.s < u.k;
  const bool move1 = two && !u.slow_only;
  const float e = (j.r - static_cast<float>(sm.pq[0] + sm.pq[1]) * u.dpq) - j.off;
  j.e = e;
  float eps[4] = {u.eta, u.eta, u.eta, u.eta};  // εp0, εp1, εq0, εq1
  if (u.adagrad) {
    eps[0] = u.eta / std::sqrt(j.G2[0]);
    eps[1] = move1 ? u.eta / std::sqrt(j.G2[1]) : u.eta;
    eps[2] = u.eta / std::sqrt(j.H2[0]);
    eps[3] = move1 ? u.eta / std::sqrt(j.H2[1]) : u.eta;
  }
  float c[8];
  for (int t = 0; t < 2; ++t) {
    const bool mv = t == 0 || move1;
    c[4 * t + 0] = mv ? (eps[t] * e) * u.rq : 0.0f;
    c[4 * t + 1] = mv ? -(eps[t] * u.lambda) : 0.0f;
    c[4 * t + 2] = mv ? (eps[2 + t] * e) * u.rp : 0.0f;
    c[4 * t + 3] = mv ? -(eps[2 + t] * u.lambda) : 0.0f;
  }
  float m = 0.0f;
  bool finite = true;
  for (float x : c) {
    finite = finite && std::isfinite(x);
    m = std::max(m, std::fabs(x));
  }
  // frexp's exponent from the bits (m = f·2^ex, f in [0.5, 1): m·2^(15-ex)
  // in [2^14, 2^15)); m = 0 or subnormal reads as ex = -126 and takes S = 30.
  const int ex = static_cast<int>((std::bit_cast<std::uint32_t>(m) >> 23) & 0xffu) - 126;
  const int S = finite ? std::clamp(15 - ex, 1, 30) : 1;
  mf_i8_coefs cf{};
  cf.S = S;
  for (int t = 0; t < 2; ++t) {
    cf.ap[t] = mf_i8_fix(c[4 * t + 0], S);
    cf.bp[t] = mf_i8_fix(c[4 * t + 1], S);
    cf.aq[t] = mf_i8_fix(c[4 * t + 2], S);
    cf.bq[t] = mf_i8_fix(c[4 * t + 3], S);
  }
  if (u.adagrad) {
    // Float: the terms are exact integers times constants, and an absolute
    // error of ~1e-7 of them is nothing against G >= 1.
    const float ed = e * u.ds[0], ed2 = e * u.ds[2];
    for (int t = 0; t < (move1 ? 2 : 1); ++t) {
      const float spp = static_cast<float>(sm.pp[t]), spq = static_cast<float>(sm.pq[t]),
                  sqq = static_cast<float>(sm.qq[t]);
      float gp2 = (u.a2[t] * spp - (u.ta[t] * ed) * spq) + (ed * ed) * sqq;
      float gq2 = (u.a2[2 + t] * sqq - (u.ta[2 + t] * ed2) * spq) + (ed2 * ed2) * spp;
      gp2 = gp2 > 0 ? gp2 : 0.0f;  // rounding can make it slightly negative; NaN (e = ±inf) -> 0
      gq2 = gq2 > 0 ? gq2 : 0.0f;
      j.G2[t] = j.G2[t] + gp2 * u.inv[t];
      j.H2[t] = j.H2[t] + gq2 * u.inv[2 + t];
    }
  }
  return cf;
}

// Step 5 for one element (the reference).
template <bool Stochastic>
inline void mf_i8_element(std::int8_t& p, std::int8_t& q, std::int32_t ap, std::int32_t bp, std::int32_t aq,
                          std::int32_t bq, int S, std::uint32_t w, std::int32_t qmax, std::uint32_t& nsp,
                          std::uint32_t& nsq) noexcept {
  if (!Stochastic) w = 0x80008000u;
  const auto dp = static_cast<std::int32_t>((w << 16) >> (32 - S));
  const auto dq = static_cast<std::int32_t>((w & 0xffff0000u) >> (32 - S));
  const std::int32_t po = p, qo = q;
  const std::int32_t np = po + ((ap * qo + bp * po + dp) >> S);
  const std::int32_t nq = qo + ((aq * po + bq * qo + dq) >> S);
  const std::int32_t cp = std::clamp(np, -qmax, qmax), cq = std::clamp(nq, -qmax, qmax);
  nsp += cp != np ? 1u : 0u;
  nsq += cq != nq ? 1u : 0u;
  p = static_cast<std::int8_t>(cp);
  q = static_cast<std::int8_t>(cq);
}

// The scalar reference of one rating (any k, 0 < s <= k).
template <bool Stochastic>
inline void mf_i8_rate_scalar(mf_job<std::int8_t>& j, const mf_i8_params& u, const mf_i8_keys& kk,
                              std::uint32_t& nsp, std::uint32_t& nsq) noexcept {
  mf_i8_sums sm{};
  for (std::size_t c = 0; c < u.k; ++c) {
    const int t = c < u.s ? 0 : 1;
    const std::int32_t p = j.p[c], q = j.q[c];
    sm.pp[t] += p * p;
    sm.pq[t] += p * q;
    sm.qq[t] += q * q;
  }
  const mf_i8_coefs cf = mf_i8_prologue(j, sm, u);
  std::uint32_t blk[4] = {0, 0, 0, 0};
  for (std::size_t c = 0; c < u.k; ++c) {
    const int t = c < u.s ? 0 : 1;
    if (Stochastic && (c == 0 || (j.c0 + c) % 4 == 0)) ars_block(kk.ks, (j.c0 + c) / 4, blk);
    const std::uint32_t w = Stochastic ? blk[(j.c0 + c) % 4] : 0u;
    mf_i8_element<Stochastic>(j.p[c], j.q[c], cf.ap[t], cf.bp[t], cf.aq[t], cf.bq[t], cf.S, w, u.qmax, nsp, nsq);
  }
}

#if defined(LOWP_MF_KERNEL_AVX512)
// Whether the AES instructions take 512-bit registers (VAES); otherwise
// AES-NI per 128-bit lane (AVX-512 CPUs before Ice Lake).
inline bool mf_cpu_vaes() noexcept {
  static const bool ok = __builtin_cpu_supports("vaes") && __builtin_cpu_supports("aes");
  return ok;
}
inline bool mf_cpu_aes() noexcept {
  static const bool ok = __builtin_cpu_supports("aes");
  return ok;
}

// ARS-5 blocks b0 + 2i, i = 0..3 (one per 128-bit lane) and b0 + 1 + 2i:
// for the 32 elements of a chunk starting at draw 4·b0, lo gets the draws of
// elements 8g + {0..3} and hi those of 8g + {4..7}, the madd lane order.
LOWP_MF_I8 inline void mf_i8_ars2(const mf_i8_keys& kk, std::uint64_t b0, bool vaes, __m512i& lo,
                                  __m512i& hi) noexcept {
  const __m512i rk0 = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kk.rk[0])));
  const __m512i base = _mm512_set1_epi64(static_cast<long long>(b0));
  // 64-bit lanes [b, 0] per block, XORed with round key 0.
  const __m512i x = _mm512_xor_si512(_mm512_add_epi64(base, _mm512_setr_epi64(0, -static_cast<long long>(b0), 2,
                                                                               -static_cast<long long>(b0), 4,
                                                                               -static_cast<long long>(b0), 6,
                                                                               -static_cast<long long>(b0))),
                                     rk0);
  const __m512i y = _mm512_xor_si512(_mm512_add_epi64(base, _mm512_setr_epi64(1, -static_cast<long long>(b0), 3,
                                                                               -static_cast<long long>(b0), 5,
                                                                               -static_cast<long long>(b0), 7,
                                                                               -static_cast<long long>(b0))),
                                     rk0);
  if (vaes) {
    __m512i a = x, b = y;
    for (int i = 1; i < 5; ++i) {
      const __m512i rk = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kk.rk[i])));
      a = _mm512_aesenc_epi128(a, rk);
      b = _mm512_aesenc_epi128(b, rk);
    }
    const __m512i rk5 = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kk.rk[5])));
    lo = _mm512_aesenclast_epi128(a, rk5);
    hi = _mm512_aesenclast_epi128(b, rk5);
    return;
  }
  alignas(64) __m128i l[8];
  _mm512_store_si512(l, x);
  _mm512_store_si512(l + 4, y);
  for (int q = 0; q < 8; ++q) {
    __m128i z = l[q];
    for (int i = 1; i < 5; ++i) z = _mm_aesenc_si128(z, _mm_load_si128(reinterpret_cast<const __m128i*>(kk.rk[i])));
    l[q] = _mm_aesenclast_si128(z, _mm_load_si128(reinterpret_cast<const __m128i*>(kk.rk[5])));
  }
  lo = _mm512_load_si512(l);
  hi = _mm512_load_si512(l + 4);
}

// Step 5 on the 32 elements at p and q: coefficient pairs per madd lane
// ((Ap, Bp) for p, (Bq, Aq) for q; lo lanes hold elements 8g + {0..3} of
// 128-bit lane g, hi 8g + {4..7}), the shift S in the low lane of sh, the
// draws of those elements in w_lo / w_hi (mf_i8_ars2's layout).
LOWP_MF_I8 inline void mf_i8_chunk(std::int8_t* p, std::int8_t* q, __m512i cp_lo, __m512i cp_hi, __m512i cq_lo,
                                   __m512i cq_hi, __m128i sh, __m512i w_lo, __m512i w_hi, std::int32_t qmax,
                                   std::uint32_t& nsp, std::uint32_t& nsq) noexcept {
  const __m512i vqmax = _mm512_set1_epi16(static_cast<short>(qmax));
  const __m512i vqmin = _mm512_set1_epi16(static_cast<short>(-qmax));
  const __m512i hi16 = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
  const __m512i p16 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  const __m512i q16 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)));
  // int16 pairs (q_i low, p_i high).
  const __m512i qp_lo = _mm512_unpacklo_epi16(q16, p16), qp_hi = _mm512_unpackhi_epi16(q16, p16);
  const __m128i rsh = _mm_sub_epi32(_mm_setr_epi32(32, 0, 0, 0), sh);
  const __m512i dp_lo = _mm512_srl_epi32(_mm512_slli_epi32(w_lo, 16), rsh);
  const __m512i dp_hi = _mm512_srl_epi32(_mm512_slli_epi32(w_hi, 16), rsh);
  const __m512i dq_lo = _mm512_srl_epi32(_mm512_and_si512(w_lo, hi16), rsh);
  const __m512i dq_hi = _mm512_srl_epi32(_mm512_and_si512(w_hi, hi16), rsh);
  const __m512i ip_lo = _mm512_sra_epi32(_mm512_add_epi32(_mm512_madd_epi16(qp_lo, cp_lo), dp_lo), sh);
  const __m512i ip_hi = _mm512_sra_epi32(_mm512_add_epi32(_mm512_madd_epi16(qp_hi, cp_hi), dp_hi), sh);
  const __m512i iq_lo = _mm512_sra_epi32(_mm512_add_epi32(_mm512_madd_epi16(qp_lo, cq_lo), dq_lo), sh);
  const __m512i iq_hi = _mm512_sra_epi32(_mm512_add_epi32(_mm512_madd_epi16(qp_hi, cq_hi), dq_hi), sh);
  // packs restores element order (both work per 128-bit lane); the
  // saturating int16 steps only matter when the result is clamped anyway.
  const __m512i np = _mm512_adds_epi16(p16, _mm512_packs_epi32(ip_lo, ip_hi));
  const __m512i nq = _mm512_adds_epi16(q16, _mm512_packs_epi32(iq_lo, iq_hi));
  const __m512i cpv = _mm512_max_epi16(_mm512_min_epi16(np, vqmax), vqmin);
  const __m512i cqv = _mm512_max_epi16(_mm512_min_epi16(nq, vqmax), vqmin);
  // Saturation is rare: count only when a lane clamped.
  const __mmask32 sp = _mm512_cmpneq_epi16_mask(np, cpv), sq = _mm512_cmpneq_epi16_mask(nq, cqv);
  if (__builtin_expect(_kortestz_mask32_u8(sp, sq) == 0, 0)) {
    nsp += static_cast<std::uint32_t>(__builtin_popcount(sp));
    nsq += static_cast<std::uint32_t>(__builtin_popcount(sq));
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi16_epi8(cpv));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm512_cvtepi16_epi8(cqv));
}

// The SIMD update keeps everything of a rating in registers: the sums as
// vectors, the prologue (mf_i8_prologue's IEEE operations, lane-wise and in
// the same order, so the same bits) without branches or memory round trips,
// the coefficient pairs picked per lane by vpermd. The first version went
// through the scalar prologue and measured no faster than the float kernel:
// its ~120 scalar instructions, a latency chain between the sums and the row
// update, kept the out-of-order window from overlapping ratings.
template <int N>
struct mf_i8_regs {
  __m128i all[N], p0[N];  // [Σpp, Σpq, Σqq, 0]: whole row, part 0
};

// Coefficient pairs of one rating as int32 lanes [cp0, cq0, cp0, cq0, cp1, cq1, cp1, cq1]
// (cp = Ap | Bp << 16, cq = Bq | Aq << 16) and the shift S in lane 0 of an xmm (others 0).
LOWP_MF_I8 inline void mf_i8_prologue_avx512(mf_job<std::int8_t>& j, __m128i all, __m128i p0,
                                                 const mf_i8_params& u, __m256i& pairs, __m128i& S) noexcept {
  const bool two = u.s < u.k;
  const bool move1 = two && !u.slow_only;
  const __m128 allf = _mm_cvtepi32_ps(all);
  const float dot = _mm_cvtss_f32(_mm_movehdup_ps(allf));  // lane 1: float(Spq0 + Spq1)
  const float e = (j.r - dot * u.dpq) - j.off;
  j.e = e;
  // [G0, G1, H0, H1], lanes 1 and 3 read as 1 when part 1 does not move.
  __m128 g4 = _mm_loadh_pi(_mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(j.G2))),
                           reinterpret_cast<const __m64*>(j.H2));
  if (!move1) g4 = _mm_blend_ps(g4, _mm_set1_ps(1.0f), 0xa);
  const __m128 eta = _mm_set1_ps(u.eta);
  const __m128 eps = u.adagrad ? _mm_div_ps(eta, _mm_sqrt_ps(g4)) : eta;  // εp0 εp1 εq0 εq1
  // Lanes [ap0, bp0, bq0, aq0, ap1, bp1, bq1, aq1] (packs then pairs them up).
  const __m256 e8 = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(eps), _mm256_setr_epi32(0, 0, 2, 2, 1, 1, 3, 3));
  const __m256 prod = _mm256_mul_ps(e8, _mm256_setr_ps(e, u.lambda, u.lambda, e, e, u.lambda, u.lambda, e));
  __m256 c = _mm256_mul_ps(prod, _mm256_setr_ps(u.rq, 1.0f, 1.0f, u.rp, u.rq, 1.0f, 1.0f, u.rp));
  c = _mm256_xor_ps(c, _mm256_setr_ps(0.0f, -0.0f, -0.0f, 0.0f, 0.0f, -0.0f, -0.0f, 0.0f));
  if (!move1) c = _mm256_insertf128_ps(c, _mm_setzero_ps(), 1);
  const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), c);
  const __mmask8 bad = _mm256_cmp_ps_mask(a, _mm256_set1_ps(3.402823466e38f), _CMP_NLE_UQ);  // NaN or inf
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ps(m4, _mm_movehdup_ps(m4));  // lane 0: max (any NaN only matters through `bad`)
  // S = clamp(15 - ex, 1, 30), ex = biased exponent - 126; 1 when a coefficient is not finite.
  __m128i s = _mm_sub_epi32(_mm_set1_epi32(15 + 126), _mm_and_si128(_mm_srli_epi32(_mm_castps_si128(m4), 23),
                                                                    _mm_set1_epi32(0xff)));
  s = _mm_min_epi32(_mm_max_epi32(s, _mm_set1_epi32(1)), _mm_set1_epi32(30));
  s = _mm_mask_mov_epi32(s, bad != 0 ? __mmask8(0xff) : __mmask8(0), _mm_set1_epi32(1));
  S = _mm_and_si128(s, _mm_setr_epi32(-1, 0, 0, 0));
  // 2^S as float bits; min(max(x, -32767), 32767) sends NaN to -32767 (second operand of max).
  const __m256 scale = _mm256_castsi256_ps(_mm256_broadcastd_epi32(_mm_slli_epi32(_mm_add_epi32(s, _mm_set1_epi32(127)), 23)));
  const __m256 x = _mm256_mul_ps(c, scale);
  const __m256 cl = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-32767.0f)), _mm256_set1_ps(32767.0f));
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  const __m256i fx = _mm256_cvttps_epi32(_mm256_sub_ps(_mm256_add_ps(cl, magic), magic));
  pairs = _mm256_packs_epi32(fx, fx);
  if (u.adagrad) {
    // Lanes [Σgp²0, Σgp²1, Σgq²0, Σgq²1] = ((a a) X - ((2 a) b) Y) + (b b) Z.
    const __m128i p1 = _mm_sub_epi32(all, p0);
    const __m128i lo = _mm_unpacklo_epi32(p0, p1), hi = _mm_unpackhi_epi32(p0, p1);  // [X0 X1 Y0 Y1], [Z0 Z1 0 0]
    const __m128 X = _mm_cvtepi32_ps(_mm_unpacklo_epi64(lo, hi));  // pp0 pp1 qq0 qq1
    const __m128 Y = _mm_cvtepi32_ps(_mm_unpackhi_epi64(lo, lo));  // pq0 pq1 pq0 pq1
    const __m128 Z = _mm_cvtepi32_ps(_mm_unpacklo_epi64(hi, lo));  // qq0 qq1 pp0 pp1
    const __m128 bv = _mm_mul_ps(_mm_set1_ps(e), _mm_load_ps(u.ds));
    __m128 v = _mm_sub_ps(_mm_mul_ps(_mm_load_ps(u.a2), X), _mm_mul_ps(_mm_mul_ps(_mm_load_ps(u.ta), bv), Y));
    v = _mm_add_ps(v, _mm_mul_ps(_mm_mul_ps(bv, bv), Z));
    v = _mm_max_ps(v, _mm_setzero_ps());  // NaN -> 0 (second operand), as the reference
    const __m128 gn = _mm_add_ps(g4, _mm_mul_ps(v, _mm_load_ps(u.inv)));
    if (move1) {
      _mm_storel_pi(reinterpret_cast<__m64*>(j.G2), gn);
      _mm_storeh_pi(reinterpret_cast<__m64*>(j.H2), gn);
    } else {
      _mm_store_ss(j.G2, gn);
      _mm_store_ss(j.H2, _mm_movehl_ps(gn, gn));
    }
  }
}

// mf_i8_prologue_avx512 for two ratings at once (the pair path of mf_sgd):
// the same lane-wise operations on 8 and 16 lanes instead of 4 and 8, so the
// same bits, with about half the instructions per rating. `pairs` holds
// rating a's coefficient pairs in int32 lanes 0..7 and rating b's in 8..15
// (layout of the one-rating version each); S of a and b in sa, sb.
LOWP_MF_I8 inline void mf_i8_prologue2_avx512(mf_job<std::int8_t>& ja, mf_job<std::int8_t>& jb,
                                              const __m128i* all, const __m128i* p0, const mf_i8_params& u,
                                              __m512i& pairs, __m128i& sa, __m128i& sb) noexcept {
  const bool two = u.s < u.k;
  const bool move1 = two && !u.slow_only;
  const float ea = (ja.r - _mm_cvtss_f32(_mm_movehdup_ps(_mm_cvtepi32_ps(all[0]))) * u.dpq) - ja.off;
  const float eb = (jb.r - _mm_cvtss_f32(_mm_movehdup_ps(_mm_cvtepi32_ps(all[1]))) * u.dpq) - jb.off;
  ja.e = ea;
  jb.e = eb;
  auto g4 = [](const mf_job<std::int8_t>& j) {
    return _mm_loadh_pi(_mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(j.G2))),
                        reinterpret_cast<const __m64*>(j.H2));
  };
  __m256 g8 = _mm256_set_m128(g4(jb), g4(ja));
  if (!move1) g8 = _mm256_blend_ps(g8, _mm256_set1_ps(1.0f), 0xaa);
  const __m256 eta = _mm256_set1_ps(u.eta);
  const __m256 eps = u.adagrad ? _mm256_div_ps(eta, _mm256_sqrt_ps(g8)) : eta;
  // Lanes [ap0, bp0, bq0, aq0, ap1, bp1, bq1, aq1] of a, then of b.
  const __m512 e16 = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 2, 2, 1, 1, 3, 3, 4, 4, 6, 6, 5, 5, 7, 7),
                                           _mm512_castps256_ps512(eps));
  const __m512 ev = _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(ea), _mm512_set1_ps(eb));
  const __m512 mult = _mm512_mask_blend_ps(0x6666, ev, _mm512_set1_ps(u.lambda));
  const __m512 rr = _mm512_setr_ps(u.rq, 1.0f, 1.0f, u.rp, u.rq, 1.0f, 1.0f, u.rp, u.rq, 1.0f, 1.0f, u.rp, u.rq,
                                   1.0f, 1.0f, u.rp);
  __m512 c = _mm512_mul_ps(_mm512_mul_ps(e16, mult), rr);
  c = _mm512_castsi512_ps(_mm512_mask_xor_epi32(_mm512_castps_si512(c), 0x6666, _mm512_castps_si512(c),
                                                _mm512_set1_epi32(static_cast<int>(0x80000000u))));
  if (!move1) c = _mm512_maskz_mov_ps(0x0f0f, c);
  const __m512 a = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(c), _mm512_set1_epi32(0x7fffffff)));
  const __mmask16 bad = _mm512_cmp_ps_mask(a, _mm512_set1_ps(3.402823466e38f), _CMP_NLE_UQ);
  __m512 m = _mm512_max_ps(a, _mm512_shuffle_f32x4(a, a, _MM_SHUFFLE(2, 3, 0, 1)));
  m = _mm512_max_ps(m, _mm512_permute_ps(m, _MM_SHUFFLE(1, 0, 3, 2)));
  m = _mm512_max_ps(m, _mm512_movehdup_ps(m));  // lanes 0 and 8: the maxima of a and b
  __m512i s = _mm512_sub_epi32(_mm512_set1_epi32(15 + 126),
                               _mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(m), 23), _mm512_set1_epi32(0xff)));
  s = _mm512_min_epi32(_mm512_max_epi32(s, _mm512_set1_epi32(1)), _mm512_set1_epi32(30));
  const __mmask16 badm = static_cast<__mmask16>(((bad & 0x00ff) != 0 ? 0x00ff : 0) | ((bad & 0xff00) != 0 ? 0xff00 : 0));
  s = _mm512_mask_mov_epi32(s, badm, _mm512_set1_epi32(1));
  s = _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 8, 8), s);
  const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(s, _mm512_set1_epi32(127)), 23));
  const __m512 x = _mm512_mul_ps(c, scale);
  const __m512 cl = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-32767.0f)), _mm512_set1_ps(32767.0f));
  const __m512 magic = _mm512_set1_ps(12582912.0f);
  const __m512i fx = _mm512_cvttps_epi32(_mm512_sub_ps(_mm512_add_ps(cl, magic), magic));
  pairs = _mm512_packs_epi32(fx, fx);
  const __m128i low = _mm_setr_epi32(-1, 0, 0, 0);
  sa = _mm_and_si128(_mm512_castsi512_si128(s), low);
  sb = _mm_and_si128(_mm512_extracti32x4_epi32(s, 2), low);
  if (u.adagrad) {
    auto xyz = [](__m128i al, __m128i q0, __m128i& X, __m128i& Y, __m128i& Z) {
      const __m128i q1 = _mm_sub_epi32(al, q0);
      const __m128i lo = _mm_unpacklo_epi32(q0, q1), hi = _mm_unpackhi_epi32(q0, q1);
      X = _mm_unpacklo_epi64(lo, hi);
      Y = _mm_unpackhi_epi64(lo, lo);
      Z = _mm_unpacklo_epi64(hi, lo);
    };
    __m128i Xa, Ya, Za, Xb, Yb, Zb;
    xyz(all[0], p0[0], Xa, Ya, Za);
    xyz(all[1], p0[1], Xb, Yb, Zb);
    const __m256 X = _mm256_cvtepi32_ps(_mm256_set_m128i(Xb, Xa));
    const __m256 Y = _mm256_cvtepi32_ps(_mm256_set_m128i(Yb, Ya));
    const __m256 Z = _mm256_cvtepi32_ps(_mm256_set_m128i(Zb, Za));
    const __m256 bv = _mm256_mul_ps(_mm256_blend_ps(_mm256_set1_ps(ea), _mm256_set1_ps(eb), 0xf0),
                                    _mm256_broadcast_ps(reinterpret_cast<const __m128*>(u.ds)));
    const __m256 a2 = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(u.a2));
    const __m256 ta = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(u.ta));
    __m256 v = _mm256_sub_ps(_mm256_mul_ps(a2, X), _mm256_mul_ps(_mm256_mul_ps(ta, bv), Y));
    v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_mul_ps(bv, bv), Z));
    v = _mm256_max_ps(v, _mm256_setzero_ps());  // NaN -> 0 (second operand), as the reference
    const __m256 gn = _mm256_add_ps(g8, _mm256_mul_ps(v, _mm256_broadcast_ps(reinterpret_cast<const __m128*>(u.inv))));
    const __m128 ga = _mm256_castps256_ps128(gn), gb = _mm256_extractf128_ps(gn, 1);
    if (move1) {
      _mm_storel_pi(reinterpret_cast<__m64*>(ja.G2), ga);
      _mm_storeh_pi(reinterpret_cast<__m64*>(ja.H2), ga);
      _mm_storel_pi(reinterpret_cast<__m64*>(jb.G2), gb);
      _mm_storeh_pi(reinterpret_cast<__m64*>(jb.H2), gb);
    } else {
      _mm_store_ss(ja.G2, ga);
      _mm_store_ss(ja.H2, _mm_movehl_ps(ga, ga));
      _mm_store_ss(jb.G2, gb);
      _mm_store_ss(jb.H2, _mm_movehl_ps(gb, gb));
    }
  }
}

// N independent ratings (no shared row, no shared G/H pair), k % 32 == 0,
// every c0 a multiple of 4 (whole ARS blocks; mf_sgd's are multiples of k),
// phases interleaved across the N ratings so that their dependency chains
// (sums -> e -> coefficients -> row update) overlap.
template <bool Stochastic, int N>
LOWP_MF_I8 inline void mf_i8_rate_avx512(mf_job<std::int8_t>* jb, const mf_i8_params& u, const mf_i8_keys& kk,
                                         std::uint32_t& nsp, std::uint32_t& nsq,
                                         bool vaes = mf_cpu_vaes()) noexcept {  // false: AES-NI (tests)
  const std::size_t k = u.k, s = u.s;
  const __m512i vs = _mm512_set1_epi32(static_cast<int>(s));
  // Sums: after a 4x4 transpose-add within each 128-bit lane, lane group g
  // holds [Σpp, Σpq, Σqq, 0] of elements c + 8g .. c + 8g + 7.
  const __m512i grp = _mm512_setr_epi32(0, 0, 0, 0, 8, 8, 8, 8, 16, 16, 16, 16, 24, 24, 24, 24);
  __m128i all[N], p0[N];
  for (int t = 0; t < N; ++t) {
    __m512i acc = _mm512_setzero_si512(), acc0 = _mm512_setzero_si512();
    for (std::size_t c = 0; c < k; c += 32) {
      const __m512i p16 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(jb[t].p + c)));
      const __m512i q16 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(jb[t].q + c)));
      const __m512i x = _mm512_madd_epi16(p16, p16), y = _mm512_madd_epi16(p16, q16), z = _mm512_madd_epi16(q16, q16);
      const __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(x, y), _mm512_unpackhi_epi32(x, y));
      const __m512i zz = _mm512_add_epi32(_mm512_unpacklo_epi32(z, _mm512_setzero_si512()),
                                          _mm512_unpackhi_epi32(z, _mm512_setzero_si512()));
      const __m512i v = _mm512_add_epi32(_mm512_unpacklo_epi64(t0, zz), _mm512_unpackhi_epi64(t0, zz));
      const __mmask16 m0 = _mm512_cmplt_epu32_mask(_mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(c)), grp), vs);
      acc = _mm512_add_epi32(acc, v);
      acc0 = _mm512_mask_add_epi32(acc0, m0, acc0, v);
    }
    const __m256i a8 = _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
    const __m256i b8 = _mm256_add_epi32(_mm512_castsi512_si256(acc0), _mm512_extracti64x4_epi64(acc0, 1));
    all[t] = _mm_add_epi32(_mm256_castsi256_si128(a8), _mm256_extracti128_si256(a8, 1));
    p0[t] = _mm_add_epi32(_mm256_castsi256_si128(b8), _mm256_extracti128_si256(b8, 1));
  }
  // Coefficient pairs: rating t's at int32 lanes 8·t' .. of pr[t / 2] (t' = t % 2).
  __m512i pr2[(N + 1) / 2];
  __m128i sh[N];
  if constexpr (N % 2 == 0) {
    for (int t = 0; t < N; t += 2)
      mf_i8_prologue2_avx512(jb[t], jb[t + 1], all + t, p0 + t, u, pr2[t / 2], sh[t], sh[t + 1]);
  } else {
    for (int t = 0; t < N; ++t) {
      __m256i pairs;
      mf_i8_prologue_avx512(jb[t], all[t], p0[t], u, pairs, sh[t]);
      if (t % 2 == 0) pr2[t / 2] = _mm512_castsi256_si512(pairs);
      else pr2[t / 2] = _mm512_inserti64x4(pr2[t / 2], pairs, 1);
    }
  }
  // madd lanes after unpacklo/hi of 16-bit pairs: lo holds elements
  // 8g + {0..3} of each 128-bit lane g, hi 8g + {4..7}.
  const __m512i idx_lo = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const __m512i idx_hi = _mm512_add_epi32(idx_lo, _mm512_set1_epi32(4));
  for (std::size_t c = 0; c < k; c += 32) {
    // Pair index per lane: 0 (cp0) or 4 (cp1) by part; +1 for the q pairs.
    const __m512i vc = _mm512_set1_epi32(static_cast<int>(c));
    const __m512i i_lo = _mm512_mask_blend_epi32(_mm512_cmplt_epu32_mask(_mm512_add_epi32(vc, idx_lo), vs),
                                                 _mm512_set1_epi32(4), _mm512_setzero_si512());
    const __m512i i_hi = _mm512_mask_blend_epi32(_mm512_cmplt_epu32_mask(_mm512_add_epi32(vc, idx_hi), vs),
                                                 _mm512_set1_epi32(4), _mm512_setzero_si512());
    const __m512i one = _mm512_set1_epi32(1), eight = _mm512_set1_epi32(8);
    for (int t = 0; t < N; ++t) {
      const __m512i pr = pr2[t / 2];
      const __m512i il = t % 2 ? _mm512_add_epi32(i_lo, eight) : i_lo, ih = t % 2 ? _mm512_add_epi32(i_hi, eight) : i_hi;
      __m512i w_lo, w_hi;
      if constexpr (Stochastic) {
        mf_i8_ars2(kk, (jb[t].c0 + c) / 4, vaes, w_lo, w_hi);
      } else {
        w_lo = w_hi = _mm512_set1_epi32(static_cast<int>(0x80008000u));
      }
      mf_i8_chunk(jb[t].p + c, jb[t].q + c, _mm512_permutexvar_epi32(il, pr), _mm512_permutexvar_epi32(ih, pr),
                  _mm512_permutexvar_epi32(_mm512_add_epi32(il, one), pr),
                  _mm512_permutexvar_epi32(_mm512_add_epi32(ih, one), pr), sh[t], w_lo, w_hi, u.qmax, nsp, nsq);
    }
  }
}
#endif
// Whether the SIMD loop runs (otherwise the reference, same bits, but its
// software AES makes it ~50x slower: mf_sgd only takes this kernel when the
// SIMD loop runs, mf_i8_available).
inline bool mf_i8_simd(const mf_i8_params& u) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  return u.k % 32 == 0 && mf_cpu_avx512() && mf_cpu_aes();
#else
  (void)u;
  return false;
#endif
}
inline bool mf_i8_available(std::size_t k) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  return k % 32 == 0 && mf_cpu_avx512() && mf_cpu_aes();
#else
  (void)k;
  return false;
#endif
}

// What mf_sgd calls: N independent ratings, the result of updating them one
// after the other.
template <bool Stochastic, int N>
inline void mf_i8_rate(mf_job<std::int8_t>* jb, const mf_i8_params& u, const mf_i8_keys& kk, std::uint32_t& nsp,
                       std::uint32_t& nsq) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (mf_i8_simd(u)) {
    mf_i8_rate_avx512<Stochastic, N>(jb, u, kk, nsp, nsq);
    return;
  }
#endif
  for (int t = 0; t < N; ++t) mf_i8_rate_scalar<Stochastic>(jb[t], u, kk, nsp, nsq);
}

}  // namespace detail
}  // namespace lowrank
}  // namespace lowp

#if defined(LOWP_MF_KERNEL_AVX512)
#pragma GCC diagnostic pop
#endif
#endif
