// Buckwild! mini-batch and replica kernels (buckwild_options::batch > 1, buckwild::work_batched;
// buckwild_options::replicas, buckwild::run_epoch_replicated):
//   accumulate_row   buf[j] += g * x[j] over a dense row (G precision; data codes are exact
//                    in G, so the only rounding is that of the product and the sum, the
//                    same in the scalar and the AVX-512 form: separate multiply and add)
//   apply_sum_i8_avx512
//                    the racy_simd int8-model update of one batch, w_j <- sat(w_j + SR(a buf_j)),
//                    bit for bit the scalar reference (update_row's real form in
//                    detail/kernels.hpp: v = a buf_j clamped to +-256, floor, 16-bit
//                    fraction rounded to nearest even, + a 16-bit dither, >> 16), with the
//                    same dithers: 16-bit word (j mod 32) of block j/32, one generator step
//                    per block (independent) or one per batch rotated per block (shared).
#ifndef LOWP_SOLVERS_BUCKWILD_DETAIL_BATCH_HPP
#define LOWP_SOLVERS_BUCKWILD_DETAIL_BATCH_HPP

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "lowp/solvers/buckwild/detail/avx512.hpp"
#include "lowp/solvers/buckwild/detail/kernels.hpp"

namespace lowp {
namespace detail {
namespace bw {

template <class G, class D>
inline void accumulate_row_scalar(G* buf, const D* x, std::size_t n, G g) noexcept {
  for (std::size_t j = 0; j < n; ++j) buf[j] += g * static_cast<G>(x[j]);
}

#ifdef LOWP_BUCKWILD_HAVE_AVX512
__attribute__((target("avx512f,avx512bw"))) inline void accumulate_i8_f32_avx512(float* buf, const std::int8_t* x,
                                                                                 std::size_t n, float g) noexcept {
  const __m512 gv = _mm512_set1_ps(g);
  std::size_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + j));
    const __m512 xv = _mm512_maskz_cvtepi32_ps(0xffff, _mm512_maskz_cvtepi8_epi32(0xffff, b));
    _mm512_storeu_ps(buf + j, _mm512_add_ps(_mm512_loadu_ps(buf + j), _mm512_mul_ps(gv, xv)));
  }
  for (; j < n; ++j) buf[j] += g * static_cast<float>(x[j]);
}
__attribute__((target("avx512f"))) inline void accumulate_f32_avx512(float* buf, const float* x, std::size_t n,
                                                                    float g) noexcept {
  const __m512 gv = _mm512_set1_ps(g);
  std::size_t j = 0;
  for (; j + 16 <= n; j += 16)
    _mm512_storeu_ps(buf + j, _mm512_add_ps(_mm512_loadu_ps(buf + j), _mm512_mul_ps(gv, _mm512_loadu_ps(x + j))));
  for (; j < n; ++j) buf[j] += g * x[j];
}

// 16 elements of the batch update (see the top of the file); `dw`: their 16 dithers.
__attribute__((target("avx512f,avx512bw"))) inline __m512i batch_delta16(__m512 v, __m512i dw,
                                                                         std::uint64_t& sat) noexcept {
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  sat += static_cast<std::uint64_t>(__builtin_popcount(nan));
  v = _mm512_mask_mov_ps(v, nan, _mm512_setzero_ps());
  v = _mm512_maskz_min_ps(0xffff, _mm512_maskz_max_ps(0xffff, v, _mm512_set1_ps(-256.0f)), _mm512_set1_ps(256.0f));
  const __m512 i = _mm512_maskz_roundscale_ps(0xffff, v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(v, i);
  const __m512i t = _mm512_maskz_cvt_roundps_epi32(0xffff, _mm512_mul_ps(f, _mm512_set1_ps(65536.0f)),
                                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512i d = _mm512_add_epi32(_mm512_maskz_cvt_roundps_epi32(0xffff, i, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
                                     _mm512_maskz_srai_epi32(0xffff, _mm512_add_epi32(t, dw), 16));
  return _mm512_mask_mov_epi32(d, nan, _mm512_setzero_si512());
}

// w[0, 32*blocks) += SR(a buf) (int8 model, symmetric saturation, clamps counted in `sat`).
// w and buf must hold 32*ceil(n/32) elements (the padding of buf is 0: no change there).
__attribute__((target("avx512f,avx512bw"))) inline void apply_sum_i8_avx512(std::int8_t* w, const float* buf,
                                                                            std::size_t n, float a,
                                                                            dither_lanes& L, bool shared,
                                                                            std::uint64_t& sat_out) noexcept {
  const std::size_t blocks = (n + 31) / 32;
  if (blocks == 0) return;
  // A local count: w is int8_t (char-like, may alias anything), so a counter behind a
  // reference would be stored and reloaded after every store to w (a latency chain).
  std::uint64_t sat = 0;
  __m512i state = _mm512_load_si512(static_cast<const void*>(L.s));
  if (shared) state = xorshift_lanes(state);
  const __m512 av = _mm512_set1_ps(a);
  const __m512i lo_idx = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i hi_idx = _mm512_add_epi32(lo_idx, _mm512_set1_epi32(8));
  const __m512i shifts = _mm512_setr_epi32(0, 16, 0, 16, 0, 16, 0, 16, 0, 16, 0, 16, 0, 16, 0, 16);
  const __m512i low16 = _mm512_set1_epi32(0xffff), fifteen = _mm512_set1_epi32(15);
  const __m512i hi = _mm512_set1_epi32(127), lo = _mm512_set1_epi32(-127);
  for (std::size_t b = 0; b < blocks; ++b) {
    __m512i rot = _mm512_setzero_si512();
    if (shared) rot = _mm512_set1_epi32(static_cast<int>(rot_of_chunk(b)));
    else state = xorshift_lanes(state);
    const __m512i i0 = _mm512_and_si512(_mm512_add_epi32(lo_idx, rot), fifteen);
    const __m512i i1 = _mm512_and_si512(_mm512_add_epi32(hi_idx, rot), fifteen);
    const __m512i d0w = _mm512_and_si512(
        _mm512_maskz_srlv_epi32(0xffff, _mm512_maskz_permutexvar_epi32(0xffff, i0, state), shifts), low16);
    const __m512i d1w = _mm512_and_si512(
        _mm512_maskz_srlv_epi32(0xffff, _mm512_maskz_permutexvar_epi32(0xffff, i1, state), shifts), low16);
    const float* bp = buf + 32 * b;
    std::int8_t* wp = w + 32 * b;
    const __m512i e0 = batch_delta16(_mm512_mul_ps(av, _mm512_loadu_ps(bp)), d0w, sat);
    const __m512i e1 = batch_delta16(_mm512_mul_ps(av, _mm512_loadu_ps(bp + 16)), d1w, sat);
    const __m256i wb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp));
    __m512i s0 = _mm512_add_epi32(_mm512_maskz_cvtepi8_epi32(0xffff, _mm256_castsi256_si128(wb)), e0);
    __m512i s1 = _mm512_add_epi32(_mm512_maskz_cvtepi8_epi32(0xffff, _mm256_extracti128_si256(wb, 1)), e1);
    sat += static_cast<std::uint64_t>(__builtin_popcount(_mm512_cmpgt_epi32_mask(s0, hi) |
                                                         _mm512_cmplt_epi32_mask(s0, lo)));
    sat += static_cast<std::uint64_t>(__builtin_popcount(_mm512_cmpgt_epi32_mask(s1, hi) |
                                                         _mm512_cmplt_epi32_mask(s1, lo)));
    s0 = _mm512_maskz_min_epi32(0xffff, _mm512_maskz_max_epi32(0xffff, s0, lo), hi);
    s1 = _mm512_maskz_min_epi32(0xffff, _mm512_maskz_max_epi32(0xffff, s1, lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(wp), _mm512_maskz_cvtepi32_epi8(0xffff, s0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(wp + 16), _mm512_maskz_cvtepi32_epi8(0xffff, s1));
  }
  _mm512_store_si512(static_cast<void*>(L.s), state);
  sat_out += sat;
}
#else
inline void apply_sum_i8_avx512(std::int8_t*, const float*, std::size_t, float, dither_lanes&, bool,
                                std::uint64_t&) noexcept {}
#endif

// The replica average (buckwild_options::replicas): w_j <- the mean of the T replicas'
// element j, rounded into M. Fixed point: with s_j = sum_t w_t,j = T q + f (floor division,
// 0 <= f < T) w_j = q + [u < f], u uniform in [0, T) from `u` (multiply-shift of 32 bits:
// P(round up) = f / T to within T / 2^32), so E[w_j] = s_j / T and Var = p (1 - p), p = f / T;
// no draw when f = 0 (exact means, e.g. one replica, consume no randomness). The mean of
// in-range codes is in range (no clamps; counted if any). Float: the nearest float of the
// double mean.
template <class M>
void average_replicas(M* w, std::size_t n, const std::vector<const M*>& reps, counter_rng& u,
                      std::uint64_t& sat) noexcept {
  const std::size_t T = reps.size();
  for (std::size_t j = 0; j < n; ++j) {
    if constexpr (is_fixed<M>) {
      std::int64_t s = 0;
      for (std::size_t t = 0; t < T; ++t) s += reps[t][j];
      const auto T64 = static_cast<std::int64_t>(T);
      std::int64_t q = s / T64, f = s % T64;
      if (f < 0) f += T64, q -= 1;  // floor division
      if (f > 0) q += ((std::uint64_t(u.next_u32()) * T) >> 32) < static_cast<std::uint64_t>(f) ? 1 : 0;
      w[j] = sat_sym<M>(q, sat);
    } else {
      double s = 0.0;
      for (std::size_t t = 0; t < T; ++t) s += static_cast<double>(reps[t][j]);
      w[j] = static_cast<M>(s / static_cast<double>(T));
    }
  }
}

// buf[0, n) += g x[0, n): the AVX-512 forms when available (same bits), else the scalar loop.
template <class G, class D>
inline void accumulate_row(G* buf, const D* x, std::size_t n, G g) noexcept {
#ifdef LOWP_BUCKWILD_HAVE_AVX512
  if constexpr (std::is_same_v<G, float> && std::is_same_v<D, std::int8_t>) {
    if (has_avx512bw()) return accumulate_i8_f32_avx512(buf, x, n, g);
  } else if constexpr (std::is_same_v<G, float> && std::is_same_v<D, float>) {
    if (has_avx512bw()) return accumulate_f32_avx512(buf, x, n, g);
  }
#endif
  accumulate_row_scalar(buf, x, n, g);
}

}  // namespace bw
}  // namespace detail
}  // namespace lowp
#endif
