// Reference kernels on raw storage: the oracle every SIMD kernel must match
// bit for bit, and the source the HLS tops instantiate. C++14, no exceptions,
// no allocation, fixed-trip loops.
//
// Conventions shared with the SIMD kernels (and documented in
// include/lowp/kernels/README.md):
//  - integer dots are exact (int64 result);
//  - the float dot uses 64 interleaved fma accumulators (element i goes to
//    accumulator i mod 64) folded pairwise (j += j+32, j += j+16, ... ), an
//    order every ISA can reproduce exactly;
//  - a stochastic kernel call over n elements consumes draws_for(n) draws
//    starting at `first`; element i uses dither16(key, first, i);
//    the shared variant consumes 32 draws and element i uses the dither of
//    i mod 64;
//  - float -> integer rounding is computed in float exactly as below;
//  - every kernel returns how many values were clipped (or were NaN).
#ifndef LOWP_KERNELS_SCALAR_HPP
#define LOWP_KERNELS_SCALAR_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "lowp/quantize/nearest.hpp"
#include "lowp/quantize/ars.hpp"
#include "lowp/quantize/rng.hpp"

namespace lowp {
namespace kernels {

enum class rounding_mode : std::uint8_t {
  nearest_even,       // deterministic; small steps vanish
  stochastic,         // fresh 16-bit dither per element
  stochastic_shared,  // one 64-dither block per call, reused across chunks
  stochastic_ars,     // as stochastic, with dithers from the AES-round generator (quantize/ars.hpp)
  stochastic_fixed,   // updates with integer data: exact integer products, exactly unbiased (see below);
                      // otherwise as stochastic_ars
};

// Modes whose element dithers come from the ARS generator.
constexpr bool ars_dithers(rounding_mode m) noexcept {
  return m == rounding_mode::stochastic_ars || m == rounding_mode::stochastic_fixed;
}

// Where a stochastic call takes its randomness: key and first draw index.
struct dither_source {
  rng_key key;
  std::uint64_t first;
};

// stochastic_fixed takes one draw more than the elements need: the last one rounds the step.
constexpr std::uint64_t draws_for_call(rounding_mode m, std::size_t n) noexcept {
  return m == rounding_mode::nearest_even                                           ? 0
         : (m == rounding_mode::stochastic || m == rounding_mode::stochastic_ars) ? draws_for(n)
         : m == rounding_mode::stochastic_fixed                                   ? draws_for(n) + 1
                                                                                  : 32;
}

// stochastic_fixed on integer data X (int8/int16). Why: the float form rounds a*x to the
// float grid and then to a 2^-16 grid (bias up to 2^-17 of a quantum), and its float
// conversions cost more than the rounding itself. Here the step is put on the 2^-16 grid
// once per call, stochastically, and everything after that is exact integer arithmetic:
//   B = floor((floor(a * 2^48) + u) / 2^32)      u = the call's last draw (32 bits)
//   increment_i = (B * x_i + r_i) >> 16         r_i = element i's 16-bit dither
// E[B] = floor(a * 2^48) / 2^32 and, B * x_i being an integer, E[increment_i | B] =
// B * x_i / 2^16, so every increment is unbiased to 2^-48 * |x_i| of a quantum. The step's
// rounding is shared by the elements of a call (a random step size, mean a). The form
// applies when a is finite and |a| * max|x| <= 32766: then |B * x_i| + r_i < 2^31 and
// |increment| < 2^15 (a larger step saturates an int8 model in one update anyway); other
// calls, and float data, round as stochastic_ars.
// (Both functions take the Tag of ars.hpp: the SIMD translation units instantiate their own.)
template <class X, class Tag = detail::ars_ref_tag>
bool fixed_applies(float a) noexcept {
  if (!std::is_integral<X>::value) return false;
  const double m = a < 0 ? -double(a) : double(a);  // NaN fails the comparison below
  return m * (sizeof(X) == 1 ? 128.0 : 32768.0) <= 32766.0;
}
// update_bias in the stochastic_fixed form (HALP's inner step with no shrink, integer data):
//   increment_i = (B * x_i + H_i + r_i) >> 16,  H_i = rne(h_i * 2^16) made once per epoch
// with B as above. Given H, every increment is unbiased; H itself is off h by at most 2^-17
// of a quantum, the same granularity the float form's 16-bit dithers already have. The
// caller keeps h in both forms (fixed_offset) and a bound on |h|: the form applies when
// |a| * 128 + bound <= 32000, so |B x_i + H_i| + r_i < 2^31 and |increment| < 2^15; other
// calls round as update_bias(..., b = 0, stochastic_ars) on h.
struct fixed_offset {
  const float* h;           // the offsets in quanta (the fallback's input)
  const std::int32_t* h32;  // H_i
  const std::int16_t* hi;   // H_i >> 16 (arithmetic)
  const std::uint16_t* lo;  // H_i & 0xffff
  float bound;              // >= max |h_i|; +inf or NaN: never the fixed form
};
template <class Tag = detail::ars_ref_tag>
bool fixed_bias_applies(float a, float bound) noexcept {
  const double m = a < 0 ? -double(a) : double(a);  // NaN fails the comparison below
  return m * 128.0 + double(bound) <= 32000.0;
}
// H_i of h_i (|h_i| < 2^15): round to nearest, ties to even, as lrint does.
inline std::int32_t fixed_offset_of(float h) noexcept {
  return static_cast<std::int32_t>(std::nearbyint(double(h) * 65536.0));
}
// B from a (|a| <= 2^8) and the draw u. a * 2^48 is exact in double (a power-of-two scaling
// of a float) and below 2^56, so floor and the conversion to int64 are exact.
template <class Tag = detail::ars_ref_tag>
std::int32_t fixed_step(float a, std::uint32_t u) noexcept {
  const std::int64_t t = static_cast<std::int64_t>(__builtin_floor(double(a) * 281474976710656.0));
  return static_cast<std::int32_t>((t + std::int64_t(u)) >> 32);
}

template <class T>
struct int_range {
  static constexpr std::int32_t lo = std::numeric_limits<T>::min();
  static constexpr std::int32_t hi = std::numeric_limits<T>::max();
  // |v| beyond this always saturates whatever the model holds (2^bits).
  static constexpr float clamp = static_cast<float>(std::int64_t(1) << (8 * sizeof(T)));
};

namespace ref {

inline std::uint32_t dither_at(rounding_mode m, dither_source s, std::size_t i) noexcept {
  if (ars_dithers(m)) return ars_dither16(ars_key_schedule(s.key), s.first, i);
  return dither16(s.key, s.first, m == rounding_mode::stochastic ? i : (i & 63));
}

// The dithers of one call in element order; for stochastic_ars one AES block
// serves eight elements instead of being recomputed per element.
class dithers {
 public:
  dithers(rounding_mode m, dither_source s) noexcept : m_(m), s_(s), ars_(s.key, s.first) {}
  std::uint32_t at(std::size_t i) noexcept {
    if (m_ == rounding_mode::nearest_even) return 0;
    if (ars_dithers(m_)) return ars_.at(i);
    return dither_at(m_, s_, i);
  }

 private:
  rounding_mode m_;
  dither_source s_;
  ars_dither_cursor<> ars_;
};

// round(v) to an integer in float arithmetic; |v| <= 2^24 and not NaN.
inline std::int32_t round_float(float v, rounding_mode m, std::uint32_t dither) noexcept {
  if (m == rounding_mode::nearest_even) return static_cast<std::int32_t>(round::nearest_even::real(v));
  const float i = std::floor(v);
  const float f = v - i;  // in [0, 1]
  const std::int32_t t = static_cast<std::int32_t>(round::nearest_even::real(f * 65536.0f));
  return static_cast<std::int32_t>(i) + ((t + static_cast<std::int32_t>(dither)) >> 16);
}

inline float clamp_float(float v, float lo, float hi) noexcept { return v < lo ? lo : (v > hi ? hi : v); }

// ---- dot products ---------------------------------------------------------

template <class T, class U>
std::int64_t dot_int(const T* x, const U* y, std::size_t n) noexcept {
  std::int64_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s += std::int64_t(x[i]) * std::int64_t(y[i]);
  return s;
}
inline std::int64_t dot(const std::int8_t* x, const std::int8_t* y, std::size_t n) noexcept { return dot_int(x, y, n); }
inline std::int64_t dot(const std::int16_t* x, const std::int16_t* y, std::size_t n) noexcept { return dot_int(x, y, n); }

inline float fold64(float* acc) noexcept {
  for (int w = 32; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

inline float dot(const float* x, const float* y, std::size_t n) noexcept {
  float acc[64] = {};
  for (std::size_t i = 0; i < n; ++i) acc[i & 63] = std::fma(x[i], y[i], acc[i & 63]);
  return fold64(acc);
}

// Mixed dots. int8 data . float model, in the float dot's canonical order:
inline float dot(const std::int8_t* x, const float* w, std::size_t n) noexcept {
  float acc[64] = {};
  for (std::size_t i = 0; i < n; ++i) acc[i & 63] = std::fma(static_cast<float>(x[i]), w[i], acc[i & 63]);
  return fold64(acc);
}
// int16 model . int8 data, exact.
inline std::int64_t dot(const std::int16_t* w, const std::int8_t* x, std::size_t n) noexcept {
  return dot_int(w, x, n);
}

// ---- quantize / dequantize -----------------------------------------------

// q[i] = sat(round(x[i] * inv_scale)); NaN -> 0. Returns clipped + NaN count.
template <class Q>
std::size_t quantize(const float* x, std::size_t n, float inv_scale, Q* q, rounding_mode m,
                     dither_source s) noexcept {
  const float lo = static_cast<float>(int_range<Q>::lo), hi = static_cast<float>(int_range<Q>::hi);
  std::size_t clipped = 0;
  dithers dt(m, s);
  for (std::size_t i = 0; i < n; ++i) {
    float v = x[i] * inv_scale;
    if (v != v) v = 0.0f, ++clipped;
    else if (v < lo || v > hi) ++clipped;
    q[i] = static_cast<Q>(round_float(clamp_float(v, lo, hi), m, dt.at(i)));
  }
  return clipped;
}

template <class Q>
void dequantize(const Q* q, std::size_t n, float scale, float* y) noexcept {
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(q[i]) * scale;
}

// ---- model updates ---------------------------------------------------------

// w <- sat(w + round(v)) with NaN -> 0 and v clamped to +-2^bits first: the second half
// of every model update. Returns whether it clipped (or v was NaN).
template <class W>
bool add_rounded(W& w, float v, rounding_mode m, std::uint32_t dither) noexcept {
  bool bad = false;
  if (v != v) v = 0.0f, bad = true;
  const float c = int_range<W>::clamp;
  const std::int32_t sum = std::int32_t(w) + round_float(clamp_float(v, -c, c), m, dither);
  if (sum < int_range<W>::lo) w = static_cast<W>(int_range<W>::lo), bad = true;
  else if (sum > int_range<W>::hi) w = static_cast<W>(int_range<W>::hi), bad = true;
  else w = static_cast<W>(sum);
  return bad;
}

// One element of w <- sat(w + round(a * x)); returns whether it clipped.
template <class W, class X>
bool update_one(W& w, X x, float a, rounding_mode m, std::uint32_t dither) noexcept {
  return add_rounded(w, a * static_cast<float>(x), m, dither);
}

// One element of the HALP inner update w <- sat(w + round(fma(b, w, fma(a, x, h)))).
template <class W, class X>
bool update_bias_one(W& w, X x, float h, float a, float b, rounding_mode m, std::uint32_t dither) noexcept {
  return add_rounded(w, std::fma(b, static_cast<float>(w), std::fma(a, static_cast<float>(x), h)), m, dither);
}

// stochastic_fixed's step for a call over n elements (see fixed_step).
inline std::int32_t fixed_step_of(float a, std::size_t n, dither_source s) noexcept {
  return fixed_step(a, ars_draw(ars_key_schedule(s.key), s.first + draws_for(n)));
}
// One element of the fixed form: w <- sat(w + ((b * x + h + r) >> 16)) (h: update_bias_fixed's
// offset on the 2^-16 grid, 0 for update).
template <class W, class X>
bool update_fixed_one(W& w, X x, std::int32_t b, std::uint32_t dither, std::int32_t h = 0) noexcept {
  const std::int64_t d = (std::int64_t(b) * std::int64_t(x) + std::int64_t(h) + std::int64_t(dither)) >> 16;
  const std::int64_t sum = std::int64_t(w) + d;
  if (sum < int_range<W>::lo) return w = static_cast<W>(int_range<W>::lo), true;
  if (sum > int_range<W>::hi) return w = static_cast<W>(int_range<W>::hi), true;
  w = static_cast<W>(sum);
  return false;
}

// Dense: w[i] <- sat(w[i] + round(a * x[i])). `a` maps a data unit to model
// quanta (step * data scale / model scale).
template <class W, class X>
std::size_t update(W* w, const X* x, std::size_t n, float a, rounding_mode m, dither_source s) noexcept {
  std::size_t clipped = 0;
  if (m == rounding_mode::stochastic_fixed && fixed_applies<X>(a)) {
    const std::int32_t b = fixed_step_of(a, n, s);
    ars_dither_cursor<> dt(s.key, s.first);
    for (std::size_t i = 0; i < n; ++i) clipped += update_fixed_one(w[i], x[i], b, dt.at(i)) ? 1 : 0;
    return clipped;
  }
  dithers dt(m, s);
  for (std::size_t i = 0; i < n; ++i) clipped += update_one(w[i], x[i], a, m, dt.at(i)) ? 1 : 0;
  return clipped;
}

// Sparse: w[idx[k]] <- sat(w[idx[k]] + round(a * val[k])); indices distinct.
template <class W, class X>
std::size_t update_sparse(W* w, const std::uint32_t* idx, const X* val, std::size_t nnz, float a, rounding_mode m,
                          dither_source s) noexcept {
  std::size_t clipped = 0;
  if (m == rounding_mode::stochastic_fixed && fixed_applies<X>(a)) {
    const std::int32_t b = fixed_step_of(a, nnz, s);
    ars_dither_cursor<> dt(s.key, s.first);
    for (std::size_t k = 0; k < nnz; ++k) clipped += update_fixed_one(w[idx[k]], val[k], b, dt.at(k)) ? 1 : 0;
    return clipped;
  }
  dithers dt(m, s);
  for (std::size_t k = 0; k < nnz; ++k) clipped += update_one(w[idx[k]], val[k], a, m, dt.at(k)) ? 1 : 0;
  return clipped;
}

// The HALP inner update ("bias update"): w[i] <- sat(w[i] + round(v)) with
// v = fma(b, w[i], fma(a, x[i], h[i])) in float, in that order; NaN -> 0, clamp, rounding,
// saturation, counting and dithers as in update(). h is the per-coordinate offset (in model
// quanta), b the shrink factor (usually 0 or -step*lambda).
template <class W, class X>
std::size_t update_bias(W* w, const X* x, const float* h, std::size_t n, float a, float b, rounding_mode m,
                        dither_source s) noexcept {
  std::size_t clipped = 0;
  dithers dt(m, s);
  for (std::size_t i = 0; i < n; ++i) clipped += update_bias_one(w[i], x[i], h[i], a, b, m, dt.at(i)) ? 1 : 0;
  return clipped;
}

// update_bias with b = 0 in the stochastic_fixed form (see fixed_offset); draws as
// stochastic_fixed's update (draws_for(n) + 1).
template <class W>
std::size_t update_bias_fixed(W* w, const std::int8_t* x, const fixed_offset& h, std::size_t n, float a,
                              dither_source s) noexcept {
  if (!fixed_bias_applies(a, h.bound)) return update_bias(w, x, h.h, n, a, 0.0f, rounding_mode::stochastic_ars, s);
  const std::int32_t b = fixed_step_of(a, n, s);
  ars_dither_cursor<> dt(s.key, s.first);
  std::size_t clipped = 0;
  for (std::size_t i = 0; i < n; ++i) clipped += update_fixed_one(w[i], x[i], b, dt.at(i), h.h32[i]) ? 1 : 0;
  return clipped;
}

// Its float baseline: w[i] <- w[i] + fma(b, w[i], fma(a, x[i], h[i])).
inline void update_bias(float* w, const float* x, const float* h, std::size_t n, float a, float b) noexcept {
  for (std::size_t i = 0; i < n; ++i) w[i] = w[i] + std::fma(b, w[i], std::fma(a, x[i], h[i]));
}

// The float baseline: w[i] <- fma(a, x[i], w[i]).
inline void axpy(float* w, const float* x, std::size_t n, float a) noexcept {
  for (std::size_t i = 0; i < n; ++i) w[i] = std::fma(a, x[i], w[i]);
}
// Mixed: y[i] <- fma(a, float(x[i]), y[i]) (int8 data into a float accumulator).
inline void axpy(float* y, const std::int8_t* x, std::size_t n, float a) noexcept {
  for (std::size_t i = 0; i < n; ++i) y[i] = std::fma(a, static_cast<float>(x[i]), y[i]);
}
inline void axpy_sparse(float* w, const std::uint32_t* idx, const float* val, std::size_t nnz, float a) noexcept {
  for (std::size_t k = 0; k < nnz; ++k) w[idx[k]] = std::fma(a, val[k], w[idx[k]]);
}

// Sparse dots: sum_k w[idx[k]] * val[k].
template <class T>
std::int64_t dot_sparse_int(const T* w, const std::uint32_t* idx, const T* val, std::size_t nnz) noexcept {
  std::int64_t s = 0;
  for (std::size_t k = 0; k < nnz; ++k) s += std::int64_t(w[idx[k]]) * std::int64_t(val[k]);
  return s;
}
inline std::int64_t dot_sparse(const std::int8_t* w, const std::uint32_t* idx, const std::int8_t* val,
                               std::size_t nnz) noexcept {
  return dot_sparse_int(w, idx, val, nnz);
}
inline std::int64_t dot_sparse(const std::int16_t* w, const std::uint32_t* idx, const std::int16_t* val,
                               std::size_t nnz) noexcept {
  return dot_sparse_int(w, idx, val, nnz);
}
inline float dot_sparse(const float* w, const std::uint32_t* idx, const float* val, std::size_t nnz) noexcept {
  float acc[64] = {};
  for (std::size_t k = 0; k < nnz; ++k) acc[k & 63] = std::fma(w[idx[k]], val[k], acc[k & 63]);
  return fold64(acc);
}

}  // namespace ref
}  // namespace kernels
}  // namespace lowp
#endif
