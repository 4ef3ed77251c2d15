// Batches of up to 16 independent ratings (no two share a user or an item)
// through mf_int8.hpp's integer-domain update, with the per-rating scalar
// work done once per batch across 16 vector lanes (issue 7's speed goal).
//
// mf_int8.hpp's pair kernel spends about 150 cycles per rating at k = 32, and
// the row update (dithers included) is well under half of it: the rest is
// the exact sums' reduction to scalars and the prologue (e, AdaGrad step
// sizes, the binary scale S, eight rounded coefficients, the G/H update),
// one rating or one pair at a time. Here:
//  - the sums of four ratings are transposed together (one 128-bit group per
//    8 elements, then the groups), so the 16 ratings' pp, pq, qq totals and
//    warm-start parts land in 16-lane vectors;
//  - the prologue runs once on those vectors; each row's AdaGrad sums and
//    bias come as one 16-byte load (mf_sgd's per-row aux floats) and are
//    transposed into lanes and back (Zen 4's gathers and scatters cost
//    about 5 ns per rating here);
//  - the row update is mf_i8_chunk, as in the pair kernel, with the
//    coefficient pairs broadcast from the batch's arrays.
// Definition: the result of mf_i8_batch_scalar, i.e. the n ratings updated
// one after the other by mf_i8_rate_scalar (rating t draws from counter
// ctr + t·k) followed by the bias step. The ratings being independent, this
// is also the result of any order; the lane-wise IEEE operations are those of
// mf_i8_prologue in the same order, so the bits are the same
// (tests/lowrank/mf_kernel_test.cpp).
#ifndef LOWP_SOLVERS_LOWRANK_DETAIL_MF_INT8_BATCH_HPP
#define LOWP_SOLVERS_LOWRANK_DETAIL_MF_INT8_BATCH_HPP

#include <cstddef>
#include <cstdint>

#include "lowp/solvers/lowrank/detail/mf_int8.hpp"

#if defined(LOWP_MF_KERNEL_AVX512)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace lowp {
namespace lowrank {
namespace detail {

// What a batch updates: the rows and each row's mf_aux floats (AdaGrad sums
// of the two parts, bias; mf_kernel.hpp) at Au + mf_aux·u, Av + mf_aux·v.
// Without biases off = 0 and the bias floats stay as they are.
struct mf_i8_model {
  std::int8_t* P;
  std::int8_t* Q;
  float* Au;
  float* Av;
  float mu;
  bool biases;
};

inline constexpr int mf_i8_batch_max = 16;

// The reference: ratings (u[t], v[t], r[t]), t < n, one after the other.
template <bool Stochastic>
inline void mf_i8_batch_scalar(const std::uint32_t* u, const std::uint32_t* v, const float* r, int n,
                               const mf_i8_model& m, std::uint64_t ctr, const mf_i8_params& pr, const mf_i8_keys& kk,
                               std::uint32_t& nsp, std::uint32_t& nsq) noexcept {
  const std::size_t k = pr.k;
  for (int t = 0; t < n; ++t) {
    float* au = m.Au + mf_aux * u[t];
    float* av = m.Av + mf_aux * v[t];
    const float off = m.biases ? m.mu + au[mf_aux_bias] + av[mf_aux_bias] : 0.0f;
    mf_job<std::int8_t> j{m.P + std::size_t(u[t]) * k, m.Q + std::size_t(v[t]) * k, au, av, r[t], off,
                          ctr + std::uint64_t(t) * k, 0.0f, nullptr};
    mf_i8_rate_scalar<Stochastic>(j, pr, kk, nsp, nsq);
    if (m.biases) {
      const float ebu = au[mf_aux_bias], ebv = av[mf_aux_bias];
      au[mf_aux_bias] = ebu + pr.eta * (j.e - pr.lambda * ebu);
      av[mf_aux_bias] = ebv + pr.eta * (j.e - pr.lambda * ebv);
    }
  }
}

// Whether mf_i8_batch_avx512 takes these shapes on this CPU: whole 32-element
// chunks, a warm-start part of whole 8-element groups, VAES, and row ids
inline bool mf_i8_batch_available(std::size_t k, std::size_t s) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  return k % 32 == 0 && s % 8 == 0 && s > 0 && s <= k && mf_cpu_avx512() && mf_cpu_vaes();
#else
  (void)k, (void)s;
  return false;
#endif
}

#if defined(LOWP_MF_KERNEL_AVX512)
// Four ratings' 16-lane vectors -> one vector whose 128-bit lane g holds the
// four ratings' sums over lane g (an in-lane transpose-add).
LOWP_MF_I8 inline __m512i mf_i8_fold4(const __m512i* a) noexcept {
  const __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(a[0], a[1]), _mm512_unpackhi_epi32(a[0], a[1]));
  const __m512i t2 = _mm512_add_epi32(_mm512_unpacklo_epi32(a[2], a[3]), _mm512_unpackhi_epi32(a[2], a[3]));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(t1, t2), _mm512_unpackhi_epi64(t1, t2));
}
// Four fold4 results (quads 0..3) -> lane 4i + j = rating 4i + j's total.
LOWP_MF_I8 inline __m512i mf_i8_tree4(const __m512i* g) noexcept {
  const __m512i s01 = _mm512_add_epi32(_mm512_shuffle_i64x2(g[0], g[1], _MM_SHUFFLE(1, 0, 1, 0)),
                                       _mm512_shuffle_i64x2(g[0], g[1], _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512i s23 = _mm512_add_epi32(_mm512_shuffle_i64x2(g[2], g[3], _MM_SHUFFLE(1, 0, 1, 0)),
                                       _mm512_shuffle_i64x2(g[2], g[3], _MM_SHUFFLE(3, 2, 3, 2)));
  return _mm512_add_epi32(_mm512_shuffle_i64x2(s01, s23, _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_i64x2(s01, s23, _MM_SHUFFLE(3, 1, 3, 1)));
}

// The aux floats of 16 rows (A + mf_aux·id[t], t < n; rows t >= n read as
// [1, 1, 0, 0]) as vectors: lane t of x[j] = float j of row t.
LOWP_MF_I8 __attribute__((always_inline)) inline void mf_i8_aux_load(const float* A, const std::uint32_t* id, int n, __m512* x) noexcept {
  const __m128 idle = _mm_setr_ps(1.0f, 1.0f, 0.0f, 0.0f);
  __m128 row[mf_i8_batch_max];
  for (int t = 0; t < mf_i8_batch_max; ++t) row[t] = t < n ? _mm_loadu_ps(A + mf_aux * id[t]) : idle;
  // z[i] holds rows i, 4 + i, 8 + i, 12 + i in its 128-bit lanes, so the
  // in-lane 4x4 transpose leaves row 4j + i in lane 4j + i.
  __m512 z[4];
  for (int i = 0; i < 4; ++i)
    z[i] = _mm512_insertf32x4(
        _mm512_insertf32x4(_mm512_insertf32x4(_mm512_castps128_ps512(row[i]), row[4 + i], 1), row[8 + i], 2),
        row[12 + i], 3);
  const __m512 t0 = _mm512_unpacklo_ps(z[0], z[1]), t1 = _mm512_unpackhi_ps(z[0], z[1]);
  const __m512 t2 = _mm512_unpacklo_ps(z[2], z[3]), t3 = _mm512_unpackhi_ps(z[2], z[3]);
  x[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
  x[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
  x[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
  x[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
}
// The inverse: rows t < n get float j = lane t of x[j].
LOWP_MF_I8 __attribute__((always_inline)) inline void mf_i8_aux_store(float* A, const std::uint32_t* id, int n, const __m512* x) noexcept {
  const __m512 t0 = _mm512_unpacklo_ps(x[0], x[1]), t1 = _mm512_unpackhi_ps(x[0], x[1]);
  const __m512 t2 = _mm512_unpacklo_ps(x[2], x[3]), t3 = _mm512_unpackhi_ps(x[2], x[3]);
  __m512 z[4];
  z[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
  z[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
  z[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
  z[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
  // z[i]'s 128-bit lane j is row 4j + i.
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 4; ++i) {
      const int t = 4 * j + i;
      if (t >= n) return;
      __m128 r;
      switch (j) {
        case 0: r = _mm512_castps512_ps128(z[i]); break;
        case 1: r = _mm512_extractf32x4_ps(z[i], 1); break;
        case 2: r = _mm512_extractf32x4_ps(z[i], 2); break;
        default: r = _mm512_extractf32x4_ps(z[i], 3); break;
      }
      _mm_storeu_ps(A + mf_aux * id[t], r);
    }
}

// Lanes 4g..4g+3 (madd lanes of elements c + 8g .. c + 8g + 7) set where
// those elements lie in the warm-start part [0, s).
inline __mmask16 mf_i8_part0_mask(std::size_t c, std::size_t s) noexcept {
  const std::size_t groups = c >= s ? 0 : std::min<std::size_t>((s - c) / 8, 4);
  return static_cast<__mmask16>((1u << (4 * groups)) - 1u);
}

// n in 1..16 independent ratings; k % 32 == 0, s % 8 == 0, ctr % 4 == 0
// (mf_i8_batch_available; mf_sgd's counters are multiples of k).
// K32: k == 32 (one chunk per row; the loops unroll and the sums stay in registers).
template <bool Stochastic, bool K32 = false>
LOWP_MF_I8 inline void mf_i8_batch_avx512(const std::uint32_t* uid, const std::uint32_t* vid, const float* rr, int n,
                                          const mf_i8_model& m, std::uint64_t ctr, const mf_i8_params& pr,
                                          const mf_i8_keys& kk, std::uint32_t& nsp, std::uint32_t& nsq) noexcept {
  const std::size_t k = K32 ? 32 : pr.k, s = pr.s;
  const __mmask16 act = static_cast<__mmask16>((1u << n) - 1u);
  std::int8_t* prow[mf_i8_batch_max];
  std::int8_t* qrow[mf_i8_batch_max];
  for (int t = 0; t < n; ++t) {
    prow[t] = m.P + std::size_t(uid[t]) * k;
    qrow[t] = m.Q + std::size_t(vid[t]) * k;
  }

  // 1. Exact sums: [all, warm-start part] x [pp, pq, qq], one lane per rating.
  __m512i g[6][4];
  const bool one_chunk = K32 || k == 32;
  const __mmask16 g0mask = mf_i8_part0_mask(0, s);
  for (int quad = 0; quad < 4; ++quad) {
    if (4 * quad >= n) {
      for (auto& x : g) x[quad] = _mm512_setzero_si512();
      continue;
    }
    __m512i a[6][4];
    if (one_chunk) {
      // The sums in registers: one chunk, no separate warm-start accumulators.
      for (int j = 0; j < 4; ++j) {
        const int t = 4 * quad + j;
        if (t >= n) {
          a[0][j] = a[1][j] = a[2][j] = _mm512_setzero_si512();
          continue;
        }
        const __m512i p16 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(prow[t])));
        const __m512i q16 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qrow[t])));
        a[0][j] = _mm512_madd_epi16(p16, p16);
        a[1][j] = _mm512_madd_epi16(p16, q16);
        a[2][j] = _mm512_madd_epi16(q16, q16);
      }
      for (int w = 0; w < 3; ++w) {
        g[w][quad] = mf_i8_fold4(a[w]);
        // The part is whole 128-bit groups, and fold4 keeps groups apart.
        g[3 + w][quad] = _mm512_maskz_mov_epi32(g0mask, g[w][quad]);
      }
      continue;
    }
    for (int j = 0; j < 4; ++j) {
      const int t = 4 * quad + j;
      for (auto& x : a) x[j] = _mm512_setzero_si512();
      if (t >= n) continue;
      for (std::size_t c = 0; c < k; c += 32) {
        const __m512i p16 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(prow[t] + c)));
        const __m512i q16 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qrow[t] + c)));
        const __m512i x = _mm512_madd_epi16(p16, p16), y = _mm512_madd_epi16(p16, q16),
                      z = _mm512_madd_epi16(q16, q16);
        a[0][j] = _mm512_add_epi32(a[0][j], x);
        a[1][j] = _mm512_add_epi32(a[1][j], y);
        a[2][j] = _mm512_add_epi32(a[2][j], z);
        if (c < s) {
          const __mmask16 mc = mf_i8_part0_mask(c, s);
          a[3][j] = _mm512_mask_add_epi32(a[3][j], mc, a[3][j], x);
          a[4][j] = _mm512_mask_add_epi32(a[4][j], mc, a[4][j], y);
          a[5][j] = _mm512_mask_add_epi32(a[5][j], mc, a[5][j], z);
        }
      }
    }
    for (int w = 0; w < 3; ++w) {
      g[w][quad] = mf_i8_fold4(a[w]);
      g[3 + w][quad] = mf_i8_fold4(a[3 + w]);
    }
  }
  const __m512i FX = mf_i8_tree4(g[0]), FY = mf_i8_tree4(g[1]), FZ = mf_i8_tree4(g[2]);
  const __m512i FX0 = mf_i8_tree4(g[3]), FY0 = mf_i8_tree4(g[4]), FZ0 = mf_i8_tree4(g[5]);

  // 2. mf_i8_prologue, lane-wise.
  const bool move1 = s < k && !pr.slow_only;
  const __m512 zero = _mm512_setzero_ps();
  const __m512 eta = _mm512_set1_ps(pr.eta), lam = _mm512_set1_ps(pr.lambda);
  const __m512 r = _mm512_maskz_loadu_ps(act, rr);
  __m512 xa[4], xb[4];  // users', items' aux floats: G part 0, part 1, bias, unused
  mf_i8_aux_load(m.Au, uid, n, xa);
  mf_i8_aux_load(m.Av, vid, n, xb);
  const __m512 ebu = xa[mf_aux_bias], ebv = xb[mf_aux_bias];
  __m512 off = zero;
  if (m.biases) off = _mm512_add_ps(_mm512_add_ps(_mm512_set1_ps(m.mu), ebu), ebv);
  const __m512 e = _mm512_sub_ps(_mm512_sub_ps(r, _mm512_mul_ps(_mm512_cvtepi32_ps(FY), _mm512_set1_ps(pr.dpq))), off);
  const __m512i one = _mm512_set1_epi32(1);
  __m512 ep0 = eta, ep1 = eta, eq0 = eta, eq1 = eta;
  if (pr.adagrad) {
    ep0 = _mm512_div_ps(eta, _mm512_sqrt_ps(xa[0]));
    eq0 = _mm512_div_ps(eta, _mm512_sqrt_ps(xb[0]));
    if (move1) {
      ep1 = _mm512_div_ps(eta, _mm512_sqrt_ps(xa[1]));
      eq1 = _mm512_div_ps(eta, _mm512_sqrt_ps(xb[1]));
    }
  }
  const __m512 sign = _mm512_set1_ps(-0.0f);
  // c[]: ap0 bp0 aq0 bq0 ap1 bp1 aq1 bq1 (part 1 zero when it does not move).
  __m512 c[8];
  c[0] = _mm512_mul_ps(_mm512_mul_ps(ep0, e), _mm512_set1_ps(pr.rq));
  c[1] = _mm512_xor_ps(_mm512_mul_ps(ep0, lam), sign);
  c[2] = _mm512_mul_ps(_mm512_mul_ps(eq0, e), _mm512_set1_ps(pr.rp));
  c[3] = _mm512_xor_ps(_mm512_mul_ps(eq0, lam), sign);
  if (move1) {
    c[4] = _mm512_mul_ps(_mm512_mul_ps(ep1, e), _mm512_set1_ps(pr.rq));
    c[5] = _mm512_xor_ps(_mm512_mul_ps(ep1, lam), sign);
    c[6] = _mm512_mul_ps(_mm512_mul_ps(eq1, e), _mm512_set1_ps(pr.rp));
    c[7] = _mm512_xor_ps(_mm512_mul_ps(eq1, lam), sign);
  } else {
    c[4] = c[5] = c[6] = c[7] = zero;
  }
  // max |c| (vrangeps: the larger magnitude, sign cleared; only its exponent
  // field is used) and whether any c is NaN or infinite (then S = 1).
  __m512 mx = _mm512_andnot_ps(sign, c[0]);
  __mmask16 bad = _mm512_fpclass_ps_mask(c[0], 0x99);  // QNaN, SNaN, +inf, -inf
  for (int i = 1; i < 8; ++i) {
    mx = _mm512_range_ps(mx, c[i], 0x0b);
    bad |= _mm512_fpclass_ps_mask(c[i], 0x99);
  }
  __m512i S = _mm512_sub_epi32(_mm512_set1_epi32(15 + 126),
                               _mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(mx), 23), _mm512_set1_epi32(0xff)));
  S = _mm512_min_epi32(_mm512_max_epi32(S, one), _mm512_set1_epi32(30));
  S = _mm512_mask_mov_epi32(S, bad, one);
  const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(S, _mm512_set1_epi32(127)), 23));
  // mf_i8_fix: clamp (NaN -> -32767, second operand of max), then round to
  // nearest even (embedded rounding: the same as the scalar 1.5·2^23 trick).
  __m512i fx[8];
  for (int i = 0; i < 8; ++i) {
    const __m512 x = _mm512_mul_ps(c[i], scale);
    const __m512 cl = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-32767.0f)), _mm512_set1_ps(32767.0f));
    fx[i] = _mm512_cvt_roundps_epi32(cl, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  // int16 pairs per rating: (Ap, Bp) for p, (Bq, Aq) for q (mf_i8_chunk's madd order).
  constexpr __mmask32 high = 0xaaaaaaaau;
  alignas(64) std::int32_t cp[2][mf_i8_batch_max], cq[2][mf_i8_batch_max], sh[mf_i8_batch_max];
  for (int part = 0; part < 2; ++part) {
    _mm512_store_si512(cp[part], _mm512_mask_blend_epi16(high, fx[4 * part], _mm512_slli_epi32(fx[4 * part + 1], 16)));
    _mm512_store_si512(cq[part], _mm512_mask_blend_epi16(high, fx[4 * part + 3], _mm512_slli_epi32(fx[4 * part + 2], 16)));
  }
  _mm512_store_si512(sh, S);
  if (pr.adagrad) {
    // Σgp², Σgq² per part from the exact sums (mf_i8_prologue's step 6).
    const __m512 ed = _mm512_mul_ps(e, _mm512_set1_ps(pr.ds[0])), ed2 = _mm512_mul_ps(e, _mm512_set1_ps(pr.ds[2]));
    const __m512 edd = _mm512_mul_ps(ed, ed), edd2 = _mm512_mul_ps(ed2, ed2);
    for (int part = 0; part < (move1 ? 2 : 1); ++part) {
      const __m512i ipp = part == 0 ? FX0 : _mm512_sub_epi32(FX, FX0);
      const __m512i ipq = part == 0 ? FY0 : _mm512_sub_epi32(FY, FY0);
      const __m512i iqq = part == 0 ? FZ0 : _mm512_sub_epi32(FZ, FZ0);
      const __m512 spp = _mm512_cvtepi32_ps(ipp), spq = _mm512_cvtepi32_ps(ipq), sqq = _mm512_cvtepi32_ps(iqq);
      __m512 gp2 = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(pr.a2[part]), spp),
                                 _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(pr.ta[part]), ed), spq));
      gp2 = _mm512_add_ps(gp2, _mm512_mul_ps(edd, sqq));
      __m512 gq2 = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(pr.a2[2 + part]), sqq),
                                 _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(pr.ta[2 + part]), ed2), spq));
      gq2 = _mm512_add_ps(gq2, _mm512_mul_ps(edd2, spp));
      gp2 = _mm512_max_ps(gp2, zero);  // NaN -> 0 (second operand), as the reference
      gq2 = _mm512_max_ps(gq2, zero);
      xa[part] = _mm512_add_ps(xa[part], _mm512_mul_ps(gp2, _mm512_set1_ps(pr.inv[part])));
      xb[part] = _mm512_add_ps(xb[part], _mm512_mul_ps(gq2, _mm512_set1_ps(pr.inv[2 + part])));
    }
  }
  if (m.biases) {
    xa[mf_aux_bias] = _mm512_add_ps(ebu, _mm512_mul_ps(eta, _mm512_sub_ps(e, _mm512_mul_ps(lam, ebu))));
    xb[mf_aux_bias] = _mm512_add_ps(ebv, _mm512_mul_ps(eta, _mm512_sub_ps(e, _mm512_mul_ps(lam, ebv))));
  }
  // Rows whose floats did not change get their own bits back.
  mf_i8_aux_store(m.Au, uid, n, xa);
  mf_i8_aux_store(m.Av, vid, n, xb);

  // 3. The rows, rating by rating. Rating t's chunk c draws from ARS blocks
  // (ctr + t·k + c)/4 + 0..7, consecutive over the whole batch: the counters
  // advance by 8 blocks per chunk, the round keys stay in registers.
  __m512i rk[6];
  for (int i = 0; i < 6; ++i)
    rk[i] = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kk.rk[i])));
  const __m512i b0 = _mm512_maskz_set1_epi64(0x55, static_cast<long long>(ctr / 4));
  __m512i cx = _mm512_add_epi64(b0, _mm512_setr_epi64(0, 0, 2, 0, 4, 0, 6, 0));
  __m512i cy = _mm512_add_epi64(b0, _mm512_setr_epi64(1, 0, 3, 0, 5, 0, 7, 0));
  const __m512i step8 = _mm512_setr_epi64(8, 0, 8, 0, 8, 0, 8, 0);
  const __mmask16 m32 = mf_i8_part0_mask(0, s);
  for (int t = 0; t < n; ++t) {
    const __m512i p0 = _mm512_set1_epi32(cp[0][t]), p1 = _mm512_set1_epi32(cp[1][t]);
    const __m512i q0 = _mm512_set1_epi32(cq[0][t]), q1 = _mm512_set1_epi32(cq[1][t]);
    const __m128i shv = _mm_cvtsi32_si128(sh[t]);
    for (std::size_t c = 0; c < k; c += 32) {
      const __mmask16 mc = K32 ? m32 : mf_i8_part0_mask(c, s);
      const __m512i cpv = _mm512_mask_blend_epi32(mc, p1, p0), cqv = _mm512_mask_blend_epi32(mc, q1, q0);
      __m512i w_lo, w_hi;
      if constexpr (Stochastic) {
        __m512i x = _mm512_xor_si512(cx, rk[0]), y = _mm512_xor_si512(cy, rk[0]);
        for (int i = 1; i < 5; ++i) {
          x = _mm512_aesenc_epi128(x, rk[i]);
          y = _mm512_aesenc_epi128(y, rk[i]);
        }
        w_lo = _mm512_aesenclast_epi128(x, rk[5]);
        w_hi = _mm512_aesenclast_epi128(y, rk[5]);
        cx = _mm512_add_epi64(cx, step8);
        cy = _mm512_add_epi64(cy, step8);
      } else {
        w_lo = w_hi = _mm512_set1_epi32(static_cast<int>(0x80008000u));
      }
      mf_i8_chunk(prow[t] + c, qrow[t] + c, cpv, cpv, cqv, cqv, shv, w_lo, w_hi, pr.qmax, nsp, nsq);
    }
  }
}
#endif

// What mf_sgd calls: the SIMD batch where mf_i8_batch_available, else the reference.
template <bool Stochastic>
inline void mf_i8_batch(const std::uint32_t* u, const std::uint32_t* v, const float* r, int n, const mf_i8_model& m,
                        std::uint64_t ctr, const mf_i8_params& pr, const mf_i8_keys& kk, bool simd, std::uint32_t& nsp,
                        std::uint32_t& nsq) noexcept {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (simd) {
    if (pr.k == 32)
      mf_i8_batch_avx512<Stochastic, true>(u, v, r, n, m, ctr, pr, kk, nsp, nsq);
    else
      mf_i8_batch_avx512<Stochastic, false>(u, v, r, n, m, ctr, pr, kk, nsp, nsq);
    return;
  }
#else
  (void)simd;
#endif
  mf_i8_batch_scalar<Stochastic>(u, v, r, n, m, ctr, pr, kk, nsp, nsq);
}

}  // namespace detail
}  // namespace lowrank
}  // namespace lowp

#if defined(LOWP_MF_KERNEL_AVX512)
#pragma GCC diagnostic pop
#endif
#endif
