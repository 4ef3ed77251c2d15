// Non-template HLS top functions for the default configuration: 8-bit stored
// values with 6 fraction bits, stochastic rounding, saturation; 16-bit
// coefficients with 16 fraction bits (lowp::hls::config<8, 6>). C++14, fixed
// array sizes, raw integers at the interface (what any vendor tool maps to
// m_axi / s_axilite ports), no exceptions, no allocation. `lowp hls emit`
// writes the same tops for any other configuration.
#ifndef LOWP_SRC_HLS_TOPS_HPP
#define LOWP_SRC_HLS_TOPS_HPP

#include <cstdint>

namespace lowp_hls {

constexpr int kN = 64;      // lanes per call of the vector tops
constexpr int kDotN = 256;  // dot product length

// Dithers of every top: element i of a call uses dither16({k0, k1}, first, i).

// acc = sum x[i]*y[i] (exact, 32 bits, 2^-12 units); *out = SR(acc) to the
// 8-bit format (6 fraction bits) with dither 0; *clip when it saturated.
void dot_top(const std::int8_t x[kDotN], const std::int8_t y[kDotN], std::uint32_t k0, std::uint32_t k1,
             std::uint64_t first, std::int32_t* acc, std::int8_t* out, std::uint8_t* clip);

// q[i] = sat(SR(v[i])) from 32-bit values with 22 fraction bits; returns the
// number that saturated.
std::uint32_t quantize_top(const std::int32_t v[kN], std::int8_t q[kN], std::uint32_t k0, std::uint32_t k1,
                           std::uint64_t first);

// w[i] <- sat(SR(w[i] + a*x[i])), a in 2^-16 units (kernels::ref::update
// with a = a_raw / 65536).
std::uint32_t sgd_update_top(std::int8_t w[kN], const std::int8_t x[kN], std::int16_t a, std::uint32_t k0,
                             std::uint32_t k1, std::uint64_t first);

// z[i] <- sat(SR(z[i] + h[i] + a*x[i] + b*z[i])), h in 2^-22 units (2^-16 of
// a quantum), a and b in 2^-16 units (kernels::ref::update_bias).
std::uint32_t halp_step_top(std::int8_t z[kN], const std::int8_t x[kN], const std::int32_t h[kN], std::int16_t a,
                            std::int16_t b, std::uint32_t k0, std::uint32_t k1, std::uint64_t first);

// s[i] = 1 with probability p[i] / 65536 (p[i] <= 65536).
void gibbs_top(const std::uint32_t p[kN], std::uint8_t s[kN], std::uint32_t k0, std::uint32_t k1,
               std::uint64_t first);

// The library's float quantizer (kernels::ref::quantize, stochastic), as an
// HLS top: float in, int8 out, in-kernel RNG.
std::uint32_t quantize_float_top(const float x[kN], float inv_scale, std::int8_t q[kN], std::uint32_t k0,
                                 std::uint32_t k1, std::uint64_t first);

}  // namespace lowp_hls
#endif
