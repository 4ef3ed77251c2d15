// Internal to src/: the SIMD kernels, written once over an "ops" struct
// (ops_avx2 in simd_avx2.hpp, ops_avx512 in simd_avx512.hpp) and instantiated
// by each ISA translation unit. Float arithmetic goes through xsimd batches of
// the ops' arch; integer lane work and everything xsimd 8.1 lacks (widening
// loads, saturating packs, masks, gathers, the RNG) is in the ops structs.
//
// How each kernel reproduces the reference bit for bit:
//  - float dots: 64 accumulator lanes (4 zmm / 8 ymm); lane j holds the
//    reference's acc[j]; the fold is the same adds in the same order.
//  - rounding: the reference computes i = floor(v), f = v - i, t = rne(65536 f),
//    d = i + ((t + r) >> 16). f is exact except for -1/2 < v < 0, where
//    f = v + 1 rounds to the 2^-24 grid (2^-8 after the scaling: it can land on
//    a tie of t); O::snap repeats that rounding on s = 65536 v as
//    (s + 65536) - 65536 on the negative lanes (exact for s <= -2^15, where
//    v + 1 is exact too). Then, since 65536 i is an even integer,
//    rne(snap(65536 v)) = 65536 i + t, so d = (rne(snap(65536 v)) + r) >> 16 whenever
//    65536 v fits in int32 (|v| < 2^15): a multiply, the snap and one cvtps2dq. That
//    covers quantize (|v| <= 2^15 after the clamp) and int8 models (clamp
//    2^8). int16 models clamp at 2^16, so their general path keeps the floor
//    form; their fast path (below) has |v| < 2^15. (|v| <= 2^15 - 1 keeps
//    rne(65536 v) + dither inside int32; quantize's lower edge -2^15 is fine.)
//  - fast path for integer data: when a == 0 or 2^-100 <= |a| <= (2^15-1) / max|x|,
//    a*x is never NaN, never underflows and |a*x| <= 2^15 - 1, so
//    (a*65536)*x == (a*x)*65536 exactly and the clamp can be dropped (beyond
//    2^8 (2^16) the sum saturates either way, on the same side).
//  - dithers: draw c as 32-bit lanes seen as uint16 pairs are the dithers of
//    elements 2c, 2c+1 in order; a block of 64 elements takes 32 draws. AVX-512
//    keeps them as 16-bit lanes and rounds in 16-bit lanes (ops_avx512::round16);
//    AVX2 widens them to 32-bit lanes.
//  - tails (< 64 elements) use the scalar copies in simd_scalar.hpp.
//  - update_bias (v = fma(b, w, fma(a, x, h)), h a float per coordinate) cannot bound v
//    in advance: it rounds unclamped values and lets the block finisher reject a block
//    whose increments it cannot vouch for (NaN, |v| near 2^15 or beyond); such a block
//    takes the scalar path, before anything is stored.
//
// Throughput notes (Xeon SPR, AVX-512): a stochastic update is bound by the RNG
// (2 mix32 rounds per 2 dithers: ~12.7 cycles per 16 draws, zmm shifts and
// vpmulld competing for ports 0/5), about 0.4 cycles per element of the ~0.8
// the int8 update costs; streaming loops over > 512 KiB prefetch in software.
// The snap adds 3 uops per 16 lanes (~9% on update_i8_i8 stochastic, ~19% on the
// shared mode, measured back to back). update_bias costs per 16 lanes one more uop
// than the integer-data fast path (the fma with h, then the scaling) plus the block
// check, and 3 more with b != 0 (w converted to float, the second fma): ~1.06x and
// ~1.13x the time of update_i8_i8 stochastic. (vpermt2w in round16 costs 3 port-5
// uops here, but replacing it with packs showed no gain.)
#ifndef LOWP_SRC_SIMD_KERNELS_HPP
#define LOWP_SRC_SIMD_KERNELS_HPP

#include <type_traits>

#include "simd_scalar.hpp"

namespace lowp {
namespace kernels {
namespace LOWP_SIMD_NS {

// Modes that draw fresh dithers for every 64-element block, and the generator each uses.
template <rm M>
constexpr bool fresh = M == rm::stochastic || M == rm::stochastic_ars;
template <class O, rm M>
using stream_t = std::conditional_t<M == rm::stochastic_ars, typename O::ars_stream, typename O::stream>;

// ---- float kernels ------------------------------------------------------------

// The float dot (X = float) and the int8 data . float model dot of the full gradient pass
// (X = int8, converted exactly), in the canonical order.
template <class O, class X>
float dot_f32(const X* x, const float* y, size_t n) noexcept {
  using bf = typename O::bf;
  constexpr int N = O::N, V = 64 / N;
  bf acc[V];
  for (int v = 0; v < V; ++v) acc[v] = bf(0.0f);
  size_t i = 0;
  auto round = [&](size_t o) noexcept {
    for (int v = 0; v < V; ++v) acc[v] = O::fma(O::load(x + o + v * N), O::load(y + o + v * N), acc[v]);
  };
  if constexpr (std::is_integral<X>::value) {  // the float dot gets no prefetch (simd_scalar.hpp)
    if (n * sizeof(float) >= kPrefetchMinBytes)
      for (; i + 64 <= n; i += 64) prefetch_ahead(x + i), prefetch_ahead(y + i), round(i);
  }
  for (; i + 64 <= n; i += 64) round(i);
  if constexpr (std::is_integral<X>::value) {
    if (i < n) {  // the last < 64 elements, converted through a zero-padded copy
      alignas(64) X tx[64] = {};
      alignas(64) float tf[64];
      __builtin_memcpy(tx, x + i, (n - i) * sizeof(X));
      for (int v = 0; v < V; ++v) O::store(tf + v * N, O::load(tx + v * N));
      O::tail_fma(acc, tf, y + i, n - i);
    }
  } else {
    O::tail_fma(acc, x + i, y + i, n - i);
  }
  return O::fold64(acc);
}

template <class O>
typename O::bf gather_f(const float* w, const u32* idx) noexcept {
  const typename O::vi ix = O::loadu(idx);
  if (O::gather_ok(ix, 0)) return O::gather(w, ix);
  alignas(64) float t[O::N];
  for (int l = 0; l < O::N; ++l) t[l] = w[idx[l]];
  return O::load(t);
}

template <class O>
float dot_sparse_f32(const float* w, const u32* idx, const float* val, size_t nnz) noexcept {
  using bf = typename O::bf;
  constexpr int N = O::N, V = 64 / N;
  bf acc[V];
  for (int v = 0; v < V; ++v) acc[v] = bf(0.0f);
  size_t k = 0;
  for (; k + 64 <= nnz; k += 64)
    for (int v = 0; v < V; ++v) acc[v] = O::fma(gather_f<O>(w, idx + k + v * N), O::load(val + k + v * N), acc[v]);
  if (k < nnz) {
    alignas(64) float tw[64], tv[64];
    const size_t r = nnz - k;
    for (size_t j = 0; j < r; ++j) tw[j] = w[idx[k + j]], tv[j] = val[k + j];
    O::tail_fma(acc, tw, tv, r);
  }
  return O::fold64(acc);
}

// w = fma(a, x, w): the float baseline (X = float) and the int8 data axpy of the full
// gradient pass (X = int8).
template <class O, class X>
void axpy_f32(float* w, const X* x, size_t n, float a) noexcept {
  using bf = typename O::bf;
  constexpr int N = O::N;
  const bf av(a);
  size_t i = 0;
  auto round = [&](size_t o) noexcept {  // all loads before the stores: w may alias x
    const bf r0 = O::fma(av, O::load(x + o), O::load(w + o));
    const bf r1 = O::fma(av, O::load(x + o + N), O::load(w + o + N));
    const bf r2 = O::fma(av, O::load(x + o + 2 * N), O::load(w + o + 2 * N));
    const bf r3 = O::fma(av, O::load(x + o + 3 * N), O::load(w + o + 3 * N));
    O::store(w + o, r0);
    O::store(w + o + N, r1);
    O::store(w + o + 2 * N, r2);
    O::store(w + o + 3 * N, r3);
  };
  if constexpr (std::is_integral<X>::value) {  // the float axpy gets no prefetch (simd_scalar.hpp)
    if (n * sizeof(float) >= kPrefetchMinBytes) {
      for (; i + 64 <= n; i += 64) {
        prefetch_ahead(x + i), prefetch_ahead<float, 1>(w + i);
        for (size_t o = i; o < i + 64; o += 4 * N) round(o);
      }
    }
  }
  for (; i + 4 * N <= n; i += 4 * N) round(i);
  for (; i + N <= n; i += N) O::store(w + i, O::fma(av, O::load(x + i), O::load(w + i)));
  for (; i < n; ++i) w[i] = fmaf_(a, static_cast<float>(x[i]), w[i]);
}

template <class O>
void axpy_sparse_f32(float* w, const u32* idx, const float* val, size_t nnz, float a) noexcept {
  using bf = typename O::bf;
  constexpr int N = O::N;
  const bf av(a);
  size_t k = 0;
  for (; k + N <= nnz; k += N) {
    const typename O::vi ix = O::loadu(idx + k);
    if (!O::gather_ok(ix, 0)) {
      for (int l = 0; l < N; ++l) w[idx[k + l]] = fmaf_(a, val[k + l], w[idx[k + l]]);
      continue;
    }
    const bf r = O::fma(av, O::load(val + k), O::gather(w, ix));
    if constexpr (O::has_scatter) {
      O::scatter(w, ix, r);  // indices are distinct
    } else {
      alignas(64) float t[N];
      O::store(t, r);
      for (int l = 0; l < N; ++l) w[idx[k + l]] = t[l];
    }
  }
  for (; k < nnz; ++k) w[idx[k]] = fmaf_(a, val[k], w[idx[k]]);
}

template <class O, class Q>
void dequantize(const Q* q, size_t n, float scale, float* y) noexcept {
  using bf = typename O::bf;
  constexpr int N = O::N;
  const bf s(scale);
  size_t i = 0;
  if (n * sizeof(float) >= kPrefetchMinBytes) {
    for (; i + 64 <= n; i += 64) {
      prefetch_ahead(q + i), prefetch_ahead<float, 1>(y + i);
      for (int v = 0; v < 64 / N; ++v) O::store(y + i + v * N, O::load(q + i + v * N) * s);
    }
  }
  for (; i + 4 * N <= n; i += 4 * N)
    for (int v = 0; v < 4; ++v) O::store(y + i + v * N, O::load(q + i + v * N) * s);
  for (; i + N <= n; i += N) O::store(y + i, O::load(q + i) * s);
  for (; i < n; ++i) y[i] = static_cast<float>(q[i]) * scale;
}

// ---- sparse integer dots ---------------------------------------------------------

template <class O, class T>
i64 dot_sparse_int(const T* w, const u32* idx, const T* val, size_t nnz) noexcept {
  using vi = typename O::vi;
  constexpr int N = O::N;
  constexpr u32 lo_ok = sizeof(T) == 1 ? 3 : 1;  // the gather reads the dword ending at w[idx]
  vi acc0 = O::zero(), acc1 = O::zero();
  size_t k = 0;
  auto lanes = [&](size_t at) noexcept {
    const vi ix = O::loadu(idx + at);
    if (O::gather_ok(ix, lo_ok)) return O::gather(w, ix);
    alignas(64) i32 t[N];
    for (int l = 0; l < N; ++l) t[l] = w[idx[at + l]];
    return O::load_i32(t);
  };
  for (; k + 2 * N <= nnz; k += 2 * N) {
    acc0 = O::mul_acc64(acc0, lanes(k), O::widen(val + k));
    acc1 = O::mul_acc64(acc1, lanes(k + N), O::widen(val + k + N));
  }
  i64 total = O::hsum64(acc0) + O::hsum64(acc1);
  for (; k < nnz; ++k) total += i64(w[idx[k]]) * i64(val[k]);
  return total;
}

// R from s = v (nearest) or s = 65536 v (stochastic modes): rne(s), after O::snap for the
// stochastic modes (see the header comment).
template <class O, rm M>
inline typename O::vi fixed16(typename O::bf s) noexcept {
  if constexpr (M == rm::nearest_even)
    return O::cvt(s);
  else
    return O::cvt(O::snap(s));
}

// ---- quantize -----------------------------------------------------------------------

template <class O, class Q, rm M>
size_t quantize_impl(const float* x, size_t n, float inv, Q* q, dither_source s) noexcept {
  using vi = typename O::vi;
  using bf = typename O::bf;
  constexpr int N = O::N, V = 64 / N;
  const bf iv(inv), lo(static_cast<float>(int_range<Q>::lo)), hi(static_cast<float>(int_range<Q>::hi));
  const bf k65536(65536.0f), zero(0.0f);
  typename O::dblock db = O::no_dithers();
  stream_t<O, M> rng{s.key};
  if constexpr (M == rm::stochastic_shared) db = rng.block(s.first);
  size_t clipped = 0, i = 0;
  const bool pf = n * sizeof(float) >= kPrefetchMinBytes;
  for (; i + 64 <= n; i += 64) {
    if (pf) prefetch_ahead(x + i), prefetch_ahead<Q, 1>(q + i);
    if constexpr (fresh<M>) db = rng.block(s.first + i / 2, i + 128 <= n);
    vi R[V];
    for (int j = 0; j < V; ++j) {
      const bf v = O::load(x + i + size_t(j) * N) * iv;
      bf t = xsimd::min(xsimd::max(xsimd::select(v == v, v, zero), lo), hi);  // NaN -> 0, clamp
      clipped += O::count_changed(t, v);                                      // clamped or NaN
      if constexpr (M != rm::nearest_even) t = t * k65536;
      R[j] = fixed16<O, M>(t);
    }
    O::template finish_q<M>(q + i, R, db);
  }
  dithers dt(M, s);
  for (; i < n; ++i) clipped += quantize_one(x[i], inv, q[i], M, dt.at(i)) ? 1 : 0;
  return clipped;
}

template <class O, class Q>
size_t quantize(const float* x, size_t n, float inv, Q* q, rounding_mode m, dither_source s) noexcept {
  switch (m) {
    case rm::nearest_even: return quantize_impl<O, Q, rm::nearest_even>(x, n, inv, q, s);
    case rm::stochastic: return quantize_impl<O, Q, rm::stochastic>(x, n, inv, q, s);
    case rm::stochastic_ars:
    case rm::stochastic_fixed: return quantize_impl<O, Q, rm::stochastic_ars>(x, n, inv, q, s);
    default: return quantize_impl<O, Q, rm::stochastic_shared>(x, n, inv, q, s);  // as the reference
  }
}

// ---- model updates ------------------------------------------------------------------

// |a*x| <= 2^15 - 1 for every x, so rne(65536 a x) + dither cannot leave int32.
template <class X>
bool fast_ok(float a) noexcept {
  if constexpr (!std::is_integral<X>::value) {
    return false;
  } else {
    const float m = __builtin_fabsf(a);
    return a == 0.0f || (m >= 0x1p-100f && double(m) * (sizeof(X) == 1 ? 128.0 : 32768.0) <= 32767.0);
  }
}

// clamp(a*x, -c, c), NaN -> 0 (counted): the general path's value.
template <class O, class X, bool Nan>
inline typename O::bf scaled(const X* x, typename O::bf a, typename O::bf c, size_t& nan) noexcept {
  using bf = typename O::bf;
  bf v = a * O::load(x);
  if constexpr (Nan) {
    const auto m = xsimd::isnan(v);
    nan += O::count(m);
    v = xsimd::select(m, bf(0.0f), v);
  }
  return xsimd::min(xsimd::max(v, -c), c);
}

// R = rne(v) for nearest, rne(65536 v) for the stochastic modes (the increment is then
// (R + dither) >> 16). Not for the int16-model general path, where 65536 v overflows.
// On the fast path `a` is already a*65536 for the stochastic modes.
template <class O, class X, rm M, bool Fast, bool Nan>
inline typename O::vi rounded(const X* x, typename O::bf a, typename O::bf c, size_t& nan) noexcept {
  if constexpr (Fast) {
    return fixed16<O, M>(a * O::load(x));
  } else {
    typename O::bf v = scaled<O, X, Nan>(x, a, c, nan);
    if constexpr (M != rm::nearest_even) v = v * typename O::bf(65536.0f);
    return fixed16<O, M>(v);
  }
}

// The int16-model general path (|v| up to 2^16): the reference's floor form, in int32.
template <class O, class X, rm M, bool Nan>
inline typename O::vi increment_floor(const X* x, typename O::bf a, typename O::bf c, typename O::vi dith,
                                      size_t& nan) noexcept {
  using bf = typename O::bf;
  const bf v = scaled<O, X, Nan>(x, a, c, nan);
  if constexpr (M == rm::nearest_even) {
    return O::cvt(v);
  } else {
    const bf fl = xsimd::floor(v);
    const bf f = v - fl;
    return O::add(O::cvt(fl), O::srai16(O::add(O::cvt(f * bf(65536.0f)), dith)));
  }
}

// State shared by the dense and sparse update loops: the broadcast scale and
// clamp, the lane-wise RNG and the current dither block (fixed for the whole
// call in the shared mode).
template <class O, class W, rm M, bool Fast>
struct update_setup {
  using bf = typename O::bf;
  bf av, cv;
  typename O::dblock db;
  stream_t<O, M> rng;
  update_setup(float a, dither_source s) noexcept
      : av(Fast && M != rm::nearest_even ? a * 65536.0f : a),
        cv(int_range<W>::clamp),
        db(O::no_dithers()),
        rng{s.key} {
    if constexpr (M == rm::stochastic_shared) db = rng.block(s.first);
  }
};

template <class O, class W, class X, rm M, bool Fast, bool Nan>
size_t update_impl(W* w, const X* x, size_t n, float a, dither_source s) noexcept {
  using vi = typename O::vi;
  constexpr int N = O::N, V = 64 / N;
  constexpr bool wide32 = !Fast && sizeof(W) == 2;
  update_setup<O, W, M, Fast> st(a, s);
  auto& [av, cv, db, rng] = st;
  size_t clipped = 0, nan = 0, i = 0;
  const bool pf = n * sizeof(X) >= kPrefetchMinBytes;
  for (; i + 64 <= n; i += 64) {
    if (pf) prefetch_ahead(x + i), prefetch_ahead<W, 1>(w + i);
    if constexpr (fresh<M>) db = rng.block(s.first + i / 2, i + 128 <= n);
    if constexpr (wide32) {
      constexpr int G = O::group_i16;
      for (int g = 0; g < V; g += G) {
        vi sum[G];
        for (int j = 0; j < G; ++j) {
          const size_t o = i + size_t(g + j) * N;
          sum[j] = O::add(increment_floor<O, X, M, Nan>(x + o, av, cv, O::wide(db, g + j), nan), O::widen(w + o));
        }
        clipped += O::store_sat(w + i + size_t(g) * N, sum);
      }
    } else {
      vi R[V];
      for (int v = 0; v < V; ++v) R[v] = rounded<O, X, M, Fast, Nan>(x + i + size_t(v) * N, av, cv, nan);
      clipped += O::template finish<M>(w + i, R, db);
    }
  }
  dithers dt(M, s);
  for (; i < n; ++i) clipped += update_one(w[i], x[i], a, M, dt.at(i)) ? 1 : 0;
  return clipped + nan;
}

template <class O, class W, class X, rm M, bool Fast, bool Nan>
size_t update_sparse_impl(W* w, const u32* idx, const X* val, size_t nnz, float a, dither_source s) noexcept {
  using vi = typename O::vi;
  constexpr int N = O::N, V = 64 / N;
  constexpr bool wide32 = !Fast && sizeof(W) == 2;
  update_setup<O, W, M, Fast> st(a, s);
  auto& [av, cv, db, rng] = st;
  size_t clipped = 0, nan = 0, k = 0;
  // the increments of N elements, in int32
  auto inc = [&](const X* p, int j) noexcept -> vi {
    if constexpr (wide32) {
      return increment_floor<O, X, M, Nan>(p, av, cv, O::wide(db, j), nan);
    } else {
      const vi r = rounded<O, X, M, Fast, Nan>(p, av, cv, nan);
      if constexpr (M == rm::nearest_even)
        return r;
      else
        return O::srai16(O::add(r, O::wide(db, j)));
    }
  };
  alignas(64) i32 d[64];
  for (; k + 64 <= nnz; k += 64) {
    if constexpr (fresh<M>) db = rng.block(s.first + k / 2);
    for (int v = 0; v < V; ++v) O::store_i32(d + v * N, inc(val + k + size_t(v) * N, v));
    for (int j = 0; j < 64; ++j) clipped += add_sat(w[idx[k + j]], d[j]) ? 1 : 0;
  }
  if (k < nnz) {  // whole vectors of the last partial block, then scalar
    if constexpr (fresh<M>) db = rng.block(s.first + k / 2);
    for (int v = 0; k + N <= nnz; k += N, ++v) {
      O::store_i32(d, inc(val + k, v));
      for (int j = 0; j < N; ++j) clipped += add_sat(w[idx[k + j]], d[j]) ? 1 : 0;
    }
    dithers dt(M, s);
    for (; k < nnz; ++k) clipped += update_one(w[idx[k]], val[k], a, M, dt.at(k)) ? 1 : 0;
  }
  return clipped + nan;
}

template <class O, class W, class X, rm M>
size_t update_sel(W* w, const X* x, size_t n, float a, dither_source s) noexcept {
  if constexpr (std::is_integral<X>::value) {
    if (fast_ok<X>(a)) return update_impl<O, W, X, M, true, false>(w, x, n, a, s);
    if (__builtin_isfinite(a)) return update_impl<O, W, X, M, false, false>(w, x, n, a, s);
  }
  return update_impl<O, W, X, M, false, true>(w, x, n, a, s);
}

template <class O, class W, class X, rm M>
size_t update_sparse_sel(W* w, const u32* idx, const X* x, size_t nnz, float a, dither_source s) noexcept {
  if constexpr (std::is_integral<X>::value) {
    if (fast_ok<X>(a)) return update_sparse_impl<O, W, X, M, true, false>(w, idx, x, nnz, a, s);
    if (__builtin_isfinite(a)) return update_sparse_impl<O, W, X, M, false, false>(w, idx, x, nnz, a, s);
  }
  return update_sparse_impl<O, W, X, M, false, true>(w, idx, x, nnz, a, s);
}

// ---- stochastic_fixed: integer data, exact integer increments (scalar.hpp, fixed_step) ----
// The increment of element i is (B x_i + r_i) >> 16 with |B x_i| + r_i < 2^31. Ops with
// fixed64 (AVX-512BW) compute it in 16-bit lanes, 32 elements per register: lo16(B x) and
// hi16(B x) from vpmullw/vpmulhw, then hi + carry(lo + r), the stochastic_ars finisher's
// carry. Others form R = B x in 32-bit lanes and use that finisher ((R + r) >> 16).
template <class O, class = void>
struct has_fixed64 : std::false_type {};
template <class O>
struct has_fixed64<O, std::void_t<typename O::fixed_coef>> : std::true_type {};

// The step of a call over n elements: its draws are the elements' (n + 1) / 2, then this one.
template <class O>
i32 fixed_step_simd(const typename O::ars_stream& rng, float a, size_t n, dither_source s) noexcept {
  return fixed_step<tu_tag>(a, rng.single(s.first + (u64(n) + 1) / 2));
}

// The whole 64-element blocks of update_fixed_impl from i on, through fixed64 (AVX-512BW).
// Locals throughout (coefficients, index, generator run): int8 stores may alias anything
// reached through a reference, and made GCC reload them in every block.
template <class O, bool HighZero, class W, class X>
size_t update_fixed_blocks64(W* w, const X* x, size_t n, const typename O::fixed_coef& fc_in,
                             typename O::ars_stream& rng, u64 first, size_t& i_io) noexcept {
  size_t clipped = 0, i = i_io;
  const typename O::fixed_coef fc = fc_in;
  const bool pf = n * sizeof(X) >= kPrefetchMinBytes;
  if (i + 64 <= n && rng.sequential(first + i / 2, (n - i) / 64)) {
    typename O::ars_stream::run g = rng.sequence(first + i / 2);
    for (; i + 64 <= n; i += 64) {
      // A read prefetch of w: one core owns the line either way (E state), and on Zen 4
      // prefetchw measured 5-8 % slower than it in a scratch loop of this shape.
      if (pf) prefetch_ahead(x + i), prefetch_ahead(w + i);
      clipped += O::template fixed64<HighZero>(w + i, x + i, fc, g.next());
    }
  } else {
    for (; i + 64 <= n; i += 64) {
      if (pf) prefetch_ahead(x + i), prefetch_ahead<W, 1>(w + i);
      clipped += O::template fixed64<HighZero>(w + i, x + i, fc, rng.gen(first + i / 2));
    }
  }
  i_io = i;
  return clipped;
}

template <class O, class W, class X>
size_t update_fixed_impl(W* w, const X* x, size_t n, float a, dither_source s) noexcept {
  using vi = typename O::vi;
  constexpr int N = O::N, V = 64 / N;
  typename O::ars_stream rng{s.key};
  const i32 b = fixed_step_simd<O>(rng, a, n, s);
  size_t clipped = 0, i = 0;
  if constexpr (has_fixed64<O>::value) {
    const typename O::fixed_coef fc(b);
    clipped = fc.high_zero ? update_fixed_blocks64<O, true>(w, x, n, fc, rng, s.first, i)
                           : update_fixed_blocks64<O, false>(w, x, n, fc, rng, s.first, i);
  } else {
    const bool pf = n * sizeof(X) >= kPrefetchMinBytes;
    const vi bv = O::set1(static_cast<u32>(b));
    for (; i + 64 <= n; i += 64) {
      if (pf) prefetch_ahead(x + i), prefetch_ahead<W, 1>(w + i);
      const typename O::dblock db = rng.gen(s.first + i / 2);
      vi R[V];
      for (int v = 0; v < V; ++v) R[v] = O::mullo(O::widen(x + i + size_t(v) * N), bv);
      clipped += O::template finish<rm::stochastic_ars>(w + i, R, db);
    }
  }
  ars_dither_cursor<tu_tag> dt(s.key, s.first);
  for (; i < n; ++i) clipped += fixed_one(w[i], x[i], b, dt.at(i)) ? 1 : 0;
  return clipped;
}

template <class O, class W, class X>
size_t update_sparse_fixed_impl(W* w, const u32* idx, const X* val, size_t nnz, float a, dither_source s) noexcept {
  using vi = typename O::vi;
  constexpr int N = O::N, V = 64 / N;
  typename O::ars_stream rng{s.key};
  const i32 b = fixed_step_simd<O>(rng, a, nnz, s);
  const vi bv = O::set1(static_cast<u32>(b));
  size_t clipped = 0, k = 0;
  alignas(64) i32 d[64];
  for (; k + 64 <= nnz; k += 64) {
    const typename O::dblock db = rng.block(s.first + k / 2);
    for (int v = 0; v < V; ++v)
      O::store_i32(d + v * N, O::srai16(O::add(O::mullo(O::widen(val + k + size_t(v) * N), bv), O::wide(db, v))));
    for (int j = 0; j < 64; ++j) clipped += add_sat(w[idx[k + j]], d[j]) ? 1 : 0;
  }
  ars_dither_cursor<tu_tag> dt(s.key, s.first);
  for (; k < nnz; ++k) clipped += fixed_one(w[idx[k]], val[k], b, dt.at(k)) ? 1 : 0;
  return clipped;
}

template <class O, class W, class X>
size_t update_fixed_sel(W* w, const X* x, size_t n, float a, dither_source s) noexcept {
  if constexpr (std::is_integral<X>::value) {
    if (fixed_applies<X, tu_tag>(a)) return update_fixed_impl<O, W, X>(w, x, n, a, s);
  }
  return update_sel<O, W, X, rm::stochastic_ars>(w, x, n, a, s);
}

template <class O, class W, class X>
size_t update_sparse_fixed_sel(W* w, const u32* idx, const X* x, size_t nnz, float a, dither_source s) noexcept {
  if constexpr (std::is_integral<X>::value) {
    if (fixed_applies<X, tu_tag>(a)) return update_sparse_fixed_impl<O, W, X>(w, idx, x, nnz, a, s);
  }
  return update_sparse_sel<O, W, X, rm::stochastic_ars>(w, idx, x, nnz, a, s);
}

template <class O, class W, class X>
size_t update(W* w, const X* x, size_t n, float a, rounding_mode m, dither_source s) noexcept {
  switch (m) {
    case rm::nearest_even: return update_sel<O, W, X, rm::nearest_even>(w, x, n, a, s);
    case rm::stochastic: return update_sel<O, W, X, rm::stochastic>(w, x, n, a, s);
    case rm::stochastic_ars: return update_sel<O, W, X, rm::stochastic_ars>(w, x, n, a, s);
    case rm::stochastic_fixed: return update_fixed_sel<O, W, X>(w, x, n, a, s);
    default: return update_sel<O, W, X, rm::stochastic_shared>(w, x, n, a, s);
  }
}

template <class O, class W, class X>
size_t update_sparse(W* w, const u32* idx, const X* x, size_t nnz, float a, rounding_mode m, dither_source s) noexcept {
  switch (m) {
    case rm::nearest_even: return update_sparse_sel<O, W, X, rm::nearest_even>(w, idx, x, nnz, a, s);
    case rm::stochastic: return update_sparse_sel<O, W, X, rm::stochastic>(w, idx, x, nnz, a, s);
    case rm::stochastic_ars: return update_sparse_sel<O, W, X, rm::stochastic_ars>(w, idx, x, nnz, a, s);
    case rm::stochastic_fixed: return update_sparse_fixed_sel<O, W, X>(w, idx, x, nnz, a, s);
    default: return update_sparse_sel<O, W, X, rm::stochastic_shared>(w, idx, x, nnz, a, s);
  }
}

// ---- HALP / SVRG inner loops on int8 data ------------------------------------------------

// w <- w + fma(b, w, fma(a, x, h)): the float baseline of update_bias.
template <class O>
void update_bias_f32(float* w, const float* x, const float* h, size_t n, float a, float b) noexcept {
  using bf = typename O::bf;
  constexpr int N = O::N;
  const bf av(a), bv(b);
  size_t i = 0;
  auto step = [&](size_t o) noexcept {
    const bf wv = O::load(w + o);
    O::store(w + o, wv + O::fma(bv, wv, O::fma(av, O::load(x + o), O::load(h + o))));
  };
  for (; i + 4 * N <= n; i += 4 * N) step(i), step(i + N), step(i + 2 * N), step(i + 3 * N);
  for (; i + N <= n; i += N) step(i);
  for (; i < n; ++i) w[i] = w[i] + fmaf_(b, w[i], fmaf_(a, x[i], h[i]));
}

// w <- sat(w + round(fma(b, w, fma(a, x, h)))). The block values are neither clamped nor
// checked for NaN: O::finish_checked rejects a block with an increment it cannot vouch for
// (NaN, |v| >= 2^15 - 1 or so), which then takes the scalar path. With b == 0 the second
// fma only adds a signed zero to a non-zero value and is skipped (a zero or NaN rounds the
// same either way).
template <class O, class W, rm M, bool B>
size_t update_bias_impl(W* w, const i8* x, const float* h, size_t n, float a, float b, dither_source s) noexcept {
  using bf = typename O::bf;
  using vi = typename O::vi;
  constexpr int N = O::N, V = 64 / N;
  update_setup<O, W, M, false> st(a, s);
  auto& [av, cv, db, rng] = st;
  (void)cv;
  const bf bv(b), k65536(65536.0f);
  size_t clipped = 0, i = 0;
  const bool pf = n >= kPrefetchMinBytes;
  for (; i + 64 <= n; i += 64) {
    if (pf) prefetch_ahead(x + i), prefetch_ahead<W, 1>(w + i), prefetch_ahead(h + i);
    if constexpr (fresh<M>) db = rng.block(s.first + i / 2, i + 128 <= n);
    vi R[V];
    for (int j = 0; j < V; ++j) {
      const size_t o = i + size_t(j) * N;
      bf v = O::fma(av, O::load(x + o), O::load(h + o));
      if constexpr (B) v = O::fma(bv, O::load(w + o), v);
      R[j] = fixed16<O, M>(M == rm::nearest_even ? v : v * k65536);
    }
    if (!O::template finish_checked<M>(w + i, R, db, clipped))
      clipped += update_bias_scalar(w, x, h, i, i + 64, a, b, M, s);
  }
  if (i < n) clipped += update_bias_scalar(w, x, h, i, n, a, b, M, s);
  return clipped;
}

template <class O, class W, rm M>
size_t update_bias_sel(W* w, const i8* x, const float* h, size_t n, float a, float b, dither_source s) noexcept {
  if (b == 0.0f) return update_bias_impl<O, W, M, false>(w, x, h, n, a, b, s);
  return update_bias_impl<O, W, M, true>(w, x, h, n, a, b, s);
}

template <class O, class W>
size_t update_bias(W* w, const i8* x, const float* h, size_t n, float a, float b, rounding_mode m,
                   dither_source s) noexcept {
  switch (m) {
    case rm::nearest_even: return update_bias_sel<O, W, rm::nearest_even>(w, x, h, n, a, b, s);
    case rm::stochastic: return update_bias_sel<O, W, rm::stochastic>(w, x, h, n, a, b, s);
    case rm::stochastic_ars:
    case rm::stochastic_fixed: return update_bias_sel<O, W, rm::stochastic_ars>(w, x, h, n, a, b, s);
    default: return update_bias_sel<O, W, rm::stochastic_shared>(w, x, h, n, a, b, s);
  }
}

// update_bias with b = 0 in the stochastic_fixed form (scalar.hpp, fixed_offset): increments
// (B x + H + r) >> 16. Ops with fixed_bias64 (AVX-512BW) add H's halves to lo16/hi16(B x) in
// 16-bit lanes (one more carry than fixed64); others form R = B x + H in 32-bit lanes for the
// stochastic_ars finisher, as update_fixed_impl does.
template <class O, class W>
size_t update_bias_fixed(W* w, const i8* x, const fixed_offset& h, size_t n, float a, dither_source s) noexcept {
  if (!fixed_bias_applies<tu_tag>(a, h.bound)) return update_bias_sel<O, W, rm::stochastic_ars>(w, x, h.h, n, a, 0.0f, s);
  using vi = typename O::vi;
  constexpr int N = O::N, V = 64 / N;
  typename O::ars_stream rng{s.key};
  const i32 b = fixed_step_simd<O>(rng, a, n, s);
  size_t clipped = 0, i = 0;
  const bool pf = n >= kPrefetchMinBytes;
  for (; i + 64 <= n; i += 64) {
    if (pf) {
      prefetch_ahead(x + i), prefetch_ahead<W, 1>(w + i);
      if constexpr (has_fixed64<O>::value)
        prefetch_ahead(h.hi + i), prefetch_ahead(h.lo + i);
      else
        prefetch_ahead(h.h32 + i);
    }
    const typename O::dblock db = rng.gen(s.first + i / 2);
    if constexpr (has_fixed64<O>::value) {
      clipped += O::fixed_bias64(w + i, x + i, h.hi + i, h.lo + i, typename O::fixed_coef(b), db);
    } else {
      const vi bv = O::set1(static_cast<u32>(b));
      vi R[V];
      for (int v = 0; v < V; ++v) {
        const size_t o = i + size_t(v) * N;
        R[v] = O::add(O::mullo(O::widen(x + o), bv), O::load_i32u(h.h32 + o));
      }
      clipped += O::template finish<rm::stochastic_ars>(w + i, R, db);
    }
  }
  ars_dither_cursor<tu_tag> dt(s.key, s.first);
  for (; i < n; ++i) clipped += fixed_one(w[i], x[i], b, dt.at(i), h.h32[i]) ? 1 : 0;
  return clipped;
}

// ---- the table ------------------------------------------------------------------------

template <class O>
table make_table(isa id, i64 (*dot_i8)(const i8*, const i8*, size_t) noexcept) noexcept {
  return table{id,
               dot_i8,
               &O::dot_i16,
               &dot_f32<O, float>,
               &dot_sparse_int<O, i8>,
               &dot_sparse_int<O, i16>,
               &dot_sparse_f32<O>,
               &quantize<O, i8>,
               &quantize<O, i16>,
               &dequantize<O, i8>,
               &dequantize<O, i16>,
               &update<O, i8, i8>,
               &update<O, i8, i16>,
               &update<O, i8, float>,
               &update<O, i16, i8>,
               &update<O, i16, i16>,
               &update<O, i16, float>,
               &update_sparse<O, i8, i8>,
               &update_sparse<O, i8, i16>,
               &update_sparse<O, i8, float>,
               &update_sparse<O, i16, i8>,
               &update_sparse<O, i16, i16>,
               &update_sparse<O, i16, float>,
               &axpy_f32<O, float>,
               &axpy_sparse_f32<O>,
               &dot_f32<O, i8>,
               &O::dot_i16_i8,
               &axpy_f32<O, i8>,
               &update_bias<O, i8>,
               &update_bias<O, i16>,
               &update_bias_f32<O>,
               &update_bias_fixed<O, i8>,
               &update_bias_fixed<O, i16>};
}

}  // namespace LOWP_SIMD_NS
}  // namespace kernels
}  // namespace lowp
#endif
