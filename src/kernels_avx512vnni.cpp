// The AVX-512 VNNI table: the AVX-512BW kernels with a vpdpbusd int8 dot.
#define LOWP_SIMD_NS simd_avx512vnni
#include "simd_avx512.hpp"
#include "simd_kernels.hpp"
#include "tables.hpp"

namespace lowp {
namespace kernels {
namespace LOWP_SIMD_NS {
namespace {

// vpdpbusd multiplies unsigned by signed bytes: with u = x ^ 0x80 = x + 128,
// sum(u*y) = sum(x*y) + 128 sum(y), and sum(y) is one more vpdpbusd against ones: 3 ops
// per 64 bytes. A round of 256 bytes feeds 8 independent accumulators (a_j: x.y, s_j: sum y).
// Rounds of 512 bytes with 16 accumulators measured 20 % slower at 2^11 bytes on Zen 4 (the
// longer reduction is paid per call; the bench repeats calls whose results it adds) and no
// faster in L2 (scratch loop, alternating variants).
// One vpdpbusd adds at most 4*255*128 = 130560 to a lane: a chunk of 1024
// rounds (plus a tail of < 256 bytes: one more op per accumulator at most) keeps each a_j
// below 2^28, their sum and each lane's a - 128 s below 2^31; longer inputs flush each
// chunk to int64 lanes.
template <bool Prefetch>
inline __m512i dot_i8_vnni_chunk(const i8* x, const i8* y, size_t& i, size_t end, size_t n, bool last) noexcept {
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80)), ones = _mm512_set1_epi8(1);
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  __m512i s0 = a0, s1 = a0, s2 = a0, s3 = a0;
  // (named variables, not arrays: GCC keeps arrays of vectors in memory here)
  // bytes i + 64k .. i + 64k + 63 into accumulators a_j, s_j
#define LOWP_VNNI_STEP(j, k)                                                                            \
  do {                                                                                                  \
    if constexpr (Prefetch) prefetch_ahead<i8, 0, 2>(x + i + 64 * (k)), prefetch_ahead<i8, 0, 2>(y + i + 64 * (k));       \
    __m512i yv = _mm512_loadu_si512(y + i + 64 * (k));                                                  \
    __asm__("" : "+v"(yv)); /* one load of y for both vpdpbusd (GCC would fold it into each) */         \
    a##j = _mm512_dpbusd_epi32(a##j, _mm512_xor_si512(_mm512_loadu_si512(x + i + 64 * (k)), bias), yv); \
    s##j = _mm512_dpbusd_epi32(s##j, ones, yv);                                                         \
  } while (0)
  for (; i < end; i += 256) {
    LOWP_VNNI_STEP(0, 0);
    LOWP_VNNI_STEP(1, 1);
    LOWP_VNNI_STEP(2, 2);
    LOWP_VNNI_STEP(3, 3);
  }
  if (last) {  // < 256 bytes left, at most one more step per accumulator
    if (n - i >= 128) {
      LOWP_VNNI_STEP(0, 0);
      LOWP_VNNI_STEP(1, 1);
      i += 128;
    }
    if (n - i >= 64) {
      LOWP_VNNI_STEP(2, 0);
      i += 64;
    }
    if (i < n) {  // masked: the bytes beyond n read as 0
      const __mmask64 m = (__mmask64(1) << (n - i)) - 1;
      const __m512i yv = _mm512_maskz_loadu_epi8(m, y + i);
      a3 = _mm512_dpbusd_epi32(a3, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, x + i), bias), yv);
      s3 = _mm512_dpbusd_epi32(s3, ones, yv);
      i = n;
    }
  }
#undef LOWP_VNNI_STEP
  const __m512i at = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
  const __m512i st = _mm512_add_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(s2, s3));
  return _mm512_sub_epi32(at, _mm512_slli_epi32(st, 7));  // this chunk's x.y, per lane
}

i64 dot_i8_vnni(const i8* x, const i8* y, size_t n) noexcept {
  constexpr size_t kChunk = 1024 * 256;
  size_t i = 0;
  const size_t body = n / 256 * 256;  // bytes covered by whole rounds
  if (n <= kChunk) {
    const __m512i lane = dot_i8_vnni_chunk<false>(x, y, i, body, n, true);
    // |x.y| <= 2^14 n: below 2^31 (every partial sum too) for n < 2^17
    if (n < (size_t(1) << 17)) return _mm512_reduce_add_epi32(lane);
    return _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(lane)),
                                                    _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(lane, 1))));
  }
  __m512i wide = _mm512_setzero_si512();  // int64 lanes
  while (i < n) {
    const size_t end = body - i > kChunk ? i + kChunk : body;
    const __m512i lane = dot_i8_vnni_chunk<true>(x, y, i, end, n, end == body);
    wide = _mm512_add_epi64(wide, _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(lane)),
                                                   _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(lane, 1))));
  }
  return _mm512_reduce_add_epi64(wide);
}

}  // namespace
}  // namespace LOWP_SIMD_NS

namespace detail {

const table& table_avx512vnni() noexcept {
  using O = LOWP_SIMD_NS::ops_avx512;
  static const table t = LOWP_SIMD_NS::make_table<O>(isa::avx512vnni, &LOWP_SIMD_NS::dot_i8_vnni);
  return t;
}

}  // namespace detail
}  // namespace kernels
}  // namespace lowp
