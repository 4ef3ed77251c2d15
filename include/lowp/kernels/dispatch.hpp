// Runtime-dispatched SIMD kernels (link lowp::kernels).
//
// Each ISA translation unit in src/ fills one `table`; `best()` picks the
// widest ISA this CPU supports, once. Every entry computes exactly what the
// reference in kernels/scalar.hpp computes (tests sweep every ISA present).
#ifndef LOWP_KERNELS_DISPATCH_HPP
#define LOWP_KERNELS_DISPATCH_HPP

#include <cstddef>
#include <cstdint>

#include "lowp/kernels/scalar.hpp"
#include "lowp/quantize/rng.hpp"

namespace lowp {
namespace kernels {

enum class isa : std::uint8_t { scalar, avx2, avx512bw, avx512vnni };
constexpr isa all_isas[] = {isa::scalar, isa::avx2, isa::avx512bw, isa::avx512vnni};
const char* name(isa) noexcept;

struct table {
  isa id;
  // exact integer dots; float dot in the canonical 64-accumulator order
  std::int64_t (*dot_i8)(const std::int8_t*, const std::int8_t*, std::size_t);
  std::int64_t (*dot_i16)(const std::int16_t*, const std::int16_t*, std::size_t);
  float (*dot_f32)(const float*, const float*, std::size_t);
  // sparse dots: sum_k w[idx[k]] * val[k]
  std::int64_t (*dot_sparse_i8)(const std::int8_t*, const std::uint32_t*, const std::int8_t*, std::size_t);
  std::int64_t (*dot_sparse_i16)(const std::int16_t*, const std::uint32_t*, const std::int16_t*, std::size_t);
  float (*dot_sparse_f32)(const float*, const std::uint32_t*, const float*, std::size_t);
  // float -> int with saturation; return clipped + NaN count
  std::size_t (*quantize_i8)(const float*, std::size_t, float, std::int8_t*, rounding_mode, dither_source);
  std::size_t (*quantize_i16)(const float*, std::size_t, float, std::int16_t*, rounding_mode, dither_source);
  void (*dequantize_i8)(const std::int8_t*, std::size_t, float, float*);
  void (*dequantize_i16)(const std::int16_t*, std::size_t, float, float*);
  // w <- sat(w + round(a*x)), model type first, data type second
  std::size_t (*update_i8_i8)(std::int8_t*, const std::int8_t*, std::size_t, float, rounding_mode, dither_source);
  std::size_t (*update_i8_i16)(std::int8_t*, const std::int16_t*, std::size_t, float, rounding_mode, dither_source);
  std::size_t (*update_i8_f32)(std::int8_t*, const float*, std::size_t, float, rounding_mode, dither_source);
  std::size_t (*update_i16_i8)(std::int16_t*, const std::int8_t*, std::size_t, float, rounding_mode, dither_source);
  std::size_t (*update_i16_i16)(std::int16_t*, const std::int16_t*, std::size_t, float, rounding_mode,
                                dither_source);
  std::size_t (*update_i16_f32)(std::int16_t*, const float*, std::size_t, float, rounding_mode, dither_source);
  std::size_t (*update_sparse_i8_i8)(std::int8_t*, const std::uint32_t*, const std::int8_t*, std::size_t, float,
                                     rounding_mode, dither_source);
  std::size_t (*update_sparse_i8_i16)(std::int8_t*, const std::uint32_t*, const std::int16_t*, std::size_t, float,
                                      rounding_mode, dither_source);
  std::size_t (*update_sparse_i8_f32)(std::int8_t*, const std::uint32_t*, const float*, std::size_t, float,
                                      rounding_mode, dither_source);
  std::size_t (*update_sparse_i16_i8)(std::int16_t*, const std::uint32_t*, const std::int8_t*, std::size_t, float,
                                      rounding_mode, dither_source);
  std::size_t (*update_sparse_i16_i16)(std::int16_t*, const std::uint32_t*, const std::int16_t*, std::size_t,
                                       float, rounding_mode, dither_source);
  std::size_t (*update_sparse_i16_f32)(std::int16_t*, const std::uint32_t*, const float*, std::size_t, float,
                                       rounding_mode, dither_source);
  // the float baseline
  void (*axpy_f32)(float*, const float*, std::size_t, float);
  void (*axpy_sparse_f32)(float*, const std::uint32_t*, const float*, std::size_t, float);
  // HALP / SVRG on int8 data (ref::dot, ref::axpy, ref::update_bias overloads):
  // the float dot's canonical order with float(x[i]) * w[i]
  float (*dot_i8_f32)(const std::int8_t* x, const float* w, std::size_t n);
  // exact
  std::int64_t (*dot_i16_i8)(const std::int16_t* w, const std::int8_t* x, std::size_t n);
  // y[i] = fma(a, float(x[i]), y[i])
  void (*axpy_i8_f32)(float* y, const std::int8_t* x, std::size_t n, float a);
  // w[i] <- sat(w[i] + round(fma(b, w[i], fma(a, x[i], h[i])))), as update_* otherwise
  std::size_t (*update_bias_i8_i8)(std::int8_t* w, const std::int8_t* x, const float* h, std::size_t n, float a,
                                   float b, rounding_mode, dither_source);
  std::size_t (*update_bias_i16_i8)(std::int16_t* w, const std::int8_t* x, const float* h, std::size_t n, float a,
                                    float b, rounding_mode, dither_source);
  // its float baseline: w[i] = w[i] + fma(b, w[i], fma(a, x[i], h[i]))
  void (*update_bias_f32)(float* w, const float* x, const float* h, std::size_t n, float a, float b);
  // update_bias with b = 0 in the stochastic_fixed form (scalar.hpp, fixed_offset); its
  // dither source takes draws_for_call(stochastic_fixed, n)
  std::size_t (*update_bias_fixed_i8_i8)(std::int8_t* w, const std::int8_t* x, const fixed_offset& h, std::size_t n,
                                         float a, dither_source);
  std::size_t (*update_bias_fixed_i16_i8)(std::int16_t* w, const std::int8_t* x, const fixed_offset& h,
                                          std::size_t n, float a, dither_source);
};

// Compiled into this build and supported by this CPU.
bool available(isa) noexcept;
// The table of one ISA; falls back to the scalar table if `available` is false.
const table& table_for(isa) noexcept;
// The widest available ISA (decided once; LOWP_ISA=scalar|avx2|avx512bw|avx512vnni in the
// environment caps it, for comparing paths on one machine).
const table& best() noexcept;

// ---- convenience front ends over best() -----------------------------------

inline std::int64_t dot(const std::int8_t* x, const std::int8_t* y, std::size_t n) noexcept {
  return best().dot_i8(x, y, n);
}
inline std::int64_t dot(const std::int16_t* x, const std::int16_t* y, std::size_t n) noexcept {
  return best().dot_i16(x, y, n);
}
inline float dot(const float* x, const float* y, std::size_t n) noexcept { return best().dot_f32(x, y, n); }

// Takes the draws it needs from `rng` (none for nearest_even).
// stochastic_ars/_fixed calls start on an AES block (4 draws), the SIMD generator's fast case.
inline dither_source take_dither(counter_rng& rng, rounding_mode m, std::size_t n) noexcept {
  if (ars_dithers(m)) rng.seek((rng.counter() + 3) & ~std::uint64_t(3));
  return dither_source{rng.key(), rng.take(draws_for_call(m, n))};
}
// The stochastic_ars mode's stream (its take() starts every call on an AES block).
inline dither_source take_dither(ars_rng& rng, rounding_mode m, std::size_t n) noexcept {
  return dither_source{rng.key(), rng.take(draws_for_call(m, n))};
}

}  // namespace kernels
}  // namespace lowp
#endif
