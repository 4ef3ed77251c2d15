// The top functions: thin non-template wrappers that instantiate lowp's
// templates for one format each, as a Vitis HLS top would.
#include "hls_tops.hpp"

#include "lowp/kernels/scalar.hpp"
#include "lowp/types.hpp"

namespace hls_tops {

namespace k = lowp::kernels;

void dot_top(const std::int8_t x[kDotN], const std::int8_t y[kDotN], std::int64_t* out) {
  *out = k::ref::dot(x, y, kDotN);
}

void quantize_sr_top(const float x[kVecN], float inv_scale, std::uint64_t seed, std::int8_t q[kVecN],
                     std::uint32_t* clipped) {
  const lowp::counter_rng rng(seed, 0);
  const k::dither_source src{rng.key(), 0};
  *clipped = static_cast<std::uint32_t>(k::ref::quantize(x, kVecN, inv_scale, q, k::rounding_mode::stochastic, src));
}

void sgd_update_top(std::int8_t w[kVecN], const std::int8_t x[kVecN], float a, std::uint64_t seed,
                    std::uint32_t* clipped) {
  const lowp::counter_rng rng(seed, 1);
  const k::dither_source src{rng.key(), 0};
  *clipped = static_cast<std::uint32_t>(k::ref::update(w, x, kVecN, a, k::rounding_mode::stochastic, src));
}

void fixed_mac_top(const std::int8_t a_raw[kMacN], const std::int8_t b_raw[kMacN], std::uint64_t seed,
                   std::int8_t* out_nearest, std::int8_t* out_sr) {
  using q6 = lowp::fixed<8, lowp::exp2<-6>>;
  using acc_t = lowp::number_traits<q6>::accumulator;  // fixed<32, exp2<-12>>
  acc_t acc;
  for (int i = 0; i < kMacN; ++i) acc += q6::from_raw(a_raw[i]) * q6::from_raw(b_raw[i]);
  *out_nearest = lowp::narrow<q6>(acc, lowp::round::nearest_even{}).raw();
  lowp::round::stochastic<> sr{lowp::counter_rng(seed, 2)};
  *out_sr = lowp::narrow<q6>(acc, sr).raw();
}

}  // namespace hls_tops
