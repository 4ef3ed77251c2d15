// HLS kernels written once against the number policy (number.hpp): the MAC
// and dot product, the fixed-point quantizer, the low-precision SGD update
// lane, the HALP inner ("bias update") step and the Gibbs coin flip, plus
// vector forms that draw their dithers in-kernel from the library's RNG.
//
// Every lane is one exact fixed-point expression followed by one narrowing
// (rounding mode of the config, then its overflow mode), so it is also the
// datapath the RTL modules implement (src/hls/rtl.cpp) and can be compared
// with them bit for bit. Where the library's float reference kernels
// (kernels/scalar.hpp) compute the same thing exactly in float, the results
// are identical too (tests in src/hls/hls_tb.cpp):
//   sgd_lane   == kernels::ref::update_one      (8-bit, |a x| < 2^24 quanta)
//   halp_lane  == kernels::ref::update_bias_one (8-bit, |v| < 2^8 quanta)
// The RNG is the library's counter_draw (two keyed mix32 rounds), not a new
// xorshift: a lane's dither is dither16(key, first, i), exactly what the CPU
// kernels consume, so a model trained on the FPGA replays the CPU run.
// C++14, no exceptions, no allocation, fixed trip counts.
#ifndef LOWP_HLS_KERNELS_HPP
#define LOWP_HLS_KERNELS_HPP

#include <cstdint>

#include "lowp/hls/number.hpp"
#include "lowp/hls/pragmas.hpp"
#include "lowp/quantize/rng.hpp"

namespace lowp {
namespace hls {

// One configuration of the kernels. Bits/Frac: the stored format (model,
// data, quantizer output). Coefficients (a, b: step size times loss
// derivative, in stored quanta per data quantum) have CoefBits bits with
// CoefFrac fraction bits, so a lane drops d = CoefFrac bits when it rounds.
template <int Bits, int Frac, rnd R = rnd::stochastic, ovf O = ovf::saturate, int CoefBits = 16, int CoefFrac = 16>
struct config {
  static_assert(Bits >= 2 && Bits <= 24, "lowp::hls::config: 2 <= Bits <= 24");
  static_assert(CoefBits >= 2 && CoefBits <= 24, "lowp::hls::config: 2 <= CoefBits <= 24");
  static_assert(CoefFrac >= 0 && CoefFrac <= 32, "lowp::hls::config: 0 <= CoefFrac <= 32");
  static constexpr int bits = Bits, frac = Frac, coef_bits = CoefBits, coef_frac = CoefFrac;
  static constexpr rnd rounding = R;
  static constexpr ovf overflow = O;
  // Exact for 2^16 products of two full-scale values; 32 bits at least (the
  // DSP48 accumulator case), 48 for 16-bit operands.
  static constexpr int acc_bits = 2 * Bits + 16 > 32 ? 2 * Bits + 16 : 32;
  // The wide input of the quantizer and HALP's per-coordinate offset h:
  // 32 bits with 16 fraction bits below the stored LSB.
  static constexpr int wide_bits = 32, wide_frac = Frac + 16;

  using value_t = number<Bits, Frac, O>;
  using acc_t = number<acc_bits, 2 * Frac, ovf::wrap>;
  using wide_t = number<wide_bits, wide_frac, ovf::wrap>;
  using coef_t = number<CoefBits, CoefFrac, ovf::wrap>;
  using prob_t = number<17, 16, ovf::saturate, false>;  // [0, 1], raw 0..65536
};

// ---- lanes ------------------------------------------------------------------

// acc + a*b, wrapping in acc_bits (exact for the lengths above).
template <class C>
typename C::acc_t mac_step(typename C::acc_t acc, typename C::value_t a, typename C::value_t b) noexcept {
  bool wrapped = false;
  return narrow_to<typename C::acc_t, rnd::floor>(acc + a * b, 0, &wrapped);
}

// The accumulator rounded back to the stored format.
template <class C>
typename C::value_t dot_round(typename C::acc_t acc, std::uint32_t dither16, bool* clip) noexcept {
  return narrow_to<typename C::value_t, C::rounding>(acc, dither16, clip);
}

// wide -> stored format.
template <class C>
typename C::value_t quantize_lane(typename C::wide_t v, std::uint32_t dither16, bool* clip) noexcept {
  return narrow_to<typename C::value_t, C::rounding>(v, dither16, clip);
}

// Low-precision SGD: w <- ovf(round(w + a*x)).
template <class C>
typename C::value_t sgd_lane(typename C::value_t w, typename C::value_t x, typename C::coef_t a,
                             std::uint32_t dither16, bool* clip) noexcept {
  return narrow_to<typename C::value_t, C::rounding>(w + a * x, dither16, clip);
}

// HALP inner step: z <- ovf(round(z + (h + a*x + b*z))); h is the dense
// -(alpha/s) g~ term, b the shrink factor.
template <class C>
typename C::value_t halp_lane(typename C::value_t z, typename C::value_t x, typename C::wide_t h,
                              typename C::coef_t a, typename C::coef_t b, std::uint32_t dither16,
                              bool* clip) noexcept {
  return narrow_to<typename C::value_t, C::rounding>(z + ((h + a * x) + b * z), dither16, clip);
}

// Gibbs coin flip: 1 with probability exactly p (p on the 2^-16 grid): the
// 16-bit dither read as a number in [0, 1) is below p.
template <class C>
bool gibbs_flip(typename C::prob_t p, std::uint32_t dither16) noexcept {
  return make<typename C::prob_t>(std::int64_t(dither16 & 0xffffU)) < p;
}

// ---- vectors with the in-kernel RNG -------------------------------------------
// Element i uses dither16(key, first, i): one counter_draw per pair of lanes,
// low half first, the order of the CPU kernels.

template <class C, int N>
std::uint32_t sgd_update(typename C::value_t w[N], const typename C::value_t x[N], typename C::coef_t a, rng_key key,
                         std::uint64_t first) noexcept {
  static_assert(N % 2 == 0, "lowp::hls::sgd_update: N must be even (two lanes per RNG draw)");
  std::uint32_t clipped = 0;
  for (int k = 0; k < N / 2; ++k) {
    LOWP_HLS_PIPELINE(1)
    const std::uint32_t draw = counter_draw(key, first + std::uint64_t(k));
    for (int h = 0; h < 2; ++h) {
      LOWP_HLS_UNROLL()
      bool clip = false;
      w[2 * k + h] = sgd_lane<C>(w[2 * k + h], x[2 * k + h], a, (draw >> (16 * h)) & 0xffffU, &clip);
      clipped += clip ? 1U : 0U;
    }
  }
  return clipped;
}

template <class C, int N>
std::uint32_t halp_step(typename C::value_t z[N], const typename C::value_t x[N], const typename C::wide_t h[N],
                        typename C::coef_t a, typename C::coef_t b, rng_key key, std::uint64_t first) noexcept {
  static_assert(N % 2 == 0, "lowp::hls::halp_step: N must be even (two lanes per RNG draw)");
  std::uint32_t clipped = 0;
  for (int k = 0; k < N / 2; ++k) {
    LOWP_HLS_PIPELINE(1)
    const std::uint32_t draw = counter_draw(key, first + std::uint64_t(k));
    for (int j = 0; j < 2; ++j) {
      LOWP_HLS_UNROLL()
      bool clip = false;
      const int i = 2 * k + j;
      z[i] = halp_lane<C>(z[i], x[i], h[i], a, b, (draw >> (16 * j)) & 0xffffU, &clip);
      clipped += clip ? 1U : 0U;
    }
  }
  return clipped;
}

template <class C, int N>
std::uint32_t quantize(const typename C::wide_t v[N], typename C::value_t q[N], rng_key key,
                       std::uint64_t first) noexcept {
  static_assert(N % 2 == 0, "lowp::hls::quantize: N must be even (two lanes per RNG draw)");
  std::uint32_t clipped = 0;
  for (int k = 0; k < N / 2; ++k) {
    LOWP_HLS_PIPELINE(1)
    const std::uint32_t draw = counter_draw(key, first + std::uint64_t(k));
    for (int j = 0; j < 2; ++j) {
      LOWP_HLS_UNROLL()
      bool clip = false;
      q[2 * k + j] = quantize_lane<C>(v[2 * k + j], (draw >> (16 * j)) & 0xffffU, &clip);
      clipped += clip ? 1U : 0U;
    }
  }
  return clipped;
}

// Dot product of N stored values into the exact accumulator; *out is the
// accumulator rounded with dither16(key, first, 0).
template <class C, int N>
typename C::acc_t dot(const typename C::value_t x[N], const typename C::value_t y[N], rng_key key,
                      std::uint64_t first, typename C::value_t* out, bool* clip) noexcept {
  typename C::acc_t acc;
  for (int i = 0; i < N; ++i) {
    LOWP_HLS_PIPELINE(1)
    acc = mac_step<C>(acc, x[i], y[i]);
  }
  *out = dot_round<C>(acc, dither16(key, first, 0), clip);
  return acc;
}

template <class C, int N>
void gibbs(const typename C::prob_t p[N], bool s[N], rng_key key, std::uint64_t first) noexcept {
  static_assert(N % 2 == 0, "lowp::hls::gibbs: N must be even (two lanes per RNG draw)");
  for (int k = 0; k < N / 2; ++k) {
    LOWP_HLS_PIPELINE(1)
    const std::uint32_t draw = counter_draw(key, first + std::uint64_t(k));
    s[2 * k] = gibbs_flip<C>(p[2 * k], draw & 0xffffU);
    s[2 * k + 1] = gibbs_flip<C>(p[2 * k + 1], draw >> 16);
  }
}

}  // namespace hls
}  // namespace lowp
#endif
