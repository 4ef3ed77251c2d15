// The HALP-8 streaming top (see halp_stream_top.hpp).
#include "halp_stream_top.hpp"

#include "lowp/hls/pragmas.hpp"
#include "lowp/kernels/scalar.hpp"
#include "lowp/quantize/rng.hpp"

namespace lowp_hls {

namespace {
// lowp::detail::uniform_index without __int128: the high 64 bits of x * n
// for n < 2^32, from two 64-bit products (exact: the dropped low bits cannot
// carry into the result).
std::uint64_t uniform_index(lowp::rng_key key, std::uint64_t& counter, std::uint32_t n) {
  const std::uint64_t hi = lowp::counter_draw(key, counter), lo = lowp::counter_draw(key, counter + 1);
  counter += 2;
  return (hi * n + ((lo * n) >> 32)) >> 32;
}
}  // namespace

std::uint64_t halp_epoch_top(const line_t data[kMaxRows * kMaxLines], const row_info rows[kMaxRows],
                             const float h[kMaxLines * kLine], std::int8_t z[kMaxLines * kLine],
                             const halp_epoch_params* p) {
  LOWP_HLS_AXI(data, gmem0)
  LOWP_HLS_AXI(rows, gmem1)
  LOWP_HLS_AXI(h, gmem2)
  LOWP_HLS_AXI(z, gmem3)
  LOWP_HLS_AXI(p, gmem4)
  LOWP_HLS_CONTROL()
  namespace k = lowp::kernels;
  const lowp::rng_key sample_key{p->sample_k0, p->sample_k1}, round_key{p->round_k0, p->round_k1};
  std::uint64_t sample_ctr = 0, round_ctr = 0, saturated = 0;
  for (std::uint64_t t = 0; t < p->steps; ++t) {
    const std::uint64_t i = uniform_index(sample_key, sample_ctr, p->n);
    const line_t* x = data + i * p->lines;
    // The dot product: one line per iteration, exact.
    std::int64_t xz = 0;
    for (std::uint32_t l = 0; l < p->lines; ++l) {
      LOWP_HLS_PIPELINE(1)
      LOWP_HLS_TRIPCOUNT(kMaxLines)
      xz += k::ref::dot(x[l].v, z + l * kLine, kLine);
    }
    // The scalar part, in the solver's order of operations.
    const row_info rc = rows[i];
    const double a = double(rc.margin) + p->s * p->sx * double(xz);
    const double c = a - double(rc.label);  // squared loss: l'(a, y) = a - y
    const float coef = static_cast<float>(-(p->alpha / p->s) * p->sx * (c - double(rc.dl)));
    // The bias update: element j of the row uses dither16(round_key, first, j).
    const std::uint64_t first = round_ctr;
    round_ctr += lowp::draws_for(std::uint64_t(p->lines) * kLine);
    for (std::uint32_t l = 0; l < p->lines; ++l) {
      LOWP_HLS_PIPELINE(1)
      LOWP_HLS_TRIPCOUNT(kMaxLines)
      const k::dither_source src{round_key, first + std::uint64_t(l) * (kLine / 2)};
      saturated += k::ref::update_bias(z + l * kLine, x[l].v, h + l * kLine, kLine, coef, p->shrink,
                                       k::rounding_mode::stochastic, src);
    }
  }
  return saturated;
}

}  // namespace lowp_hls
