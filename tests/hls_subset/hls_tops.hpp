// HLS-style top functions over lowp's C++14 subset (types/, quantize/,
// kernels/scalar.hpp). Vitis HLS wants a non-template top with fixed-size
// array arguments, no dynamic allocation, no recursion and no STL
// containers; these are written that way and compiled as plain C++14 with
// -fno-exceptions -fno-rtti, which is what C simulation sees.
// Interface/pipeline directives are left to a directives file: `#pragma HLS`
// would trip -Wunknown-pragmas (-Wall -Werror) under g++.
#ifndef LOWP_TESTS_HLS_TOPS_HPP
#define LOWP_TESTS_HLS_TOPS_HPP

#include <cstdint>

namespace hls_tops {

constexpr int kDotN = 256;
constexpr int kVecN = 64;
constexpr int kMacN = 16;

// *out = sum x[i]*y[i], exact (kernels::ref::dot).
void dot_top(const std::int8_t x[kDotN], const std::int8_t y[kDotN], std::int64_t* out);

// q[i] = sat_int8(SR(x[i] * inv_scale)) with the dither stream (seed, 0);
// *clipped = values that saturated or were NaN (kernels::ref::quantize).
void quantize_sr_top(const float x[kVecN], float inv_scale, std::uint64_t seed, std::int8_t q[kVecN],
                     std::uint32_t* clipped);

// One SGD lane update w[i] <- sat_int8(w[i] + SR(a * x[i])), dither stream
// (seed, 1) (kernels::ref::update).
void sgd_update_top(std::int8_t w[kVecN], const std::int8_t x[kVecN], float a, std::uint64_t seed,
                    std::uint32_t* clipped);

// Fixed-point MAC over lowp::fixed<8, exp2<-6>>: exact products summed in
// number_traits<>::accumulator, then narrowed back to 8 bits with
// round-to-nearest-even (out_nearest) and with stochastic rounding from
// stream (seed, 2) (out_sr). Raw patterns in and out.
void fixed_mac_top(const std::int8_t a_raw[kMacN], const std::int8_t b_raw[kMacN], std::uint64_t seed,
                   std::int8_t* out_nearest, std::int8_t* out_sr);

}  // namespace hls_tops
#endif
