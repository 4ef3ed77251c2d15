// The default-configuration tops (see hls_tops.hpp). Each is a thin
// non-template wrapper: raw integers in, lowp::hls templates instantiated for
// one config, raw integers out.
#include "hls_tops.hpp"

#include "lowp/hls/kernels.hpp"
#include "lowp/kernels/scalar.hpp"

namespace lowp_hls {

namespace {
using cfg = lowp::hls::config<8, 6, lowp::hls::rnd::stochastic, lowp::hls::ovf::saturate>;
using value_t = cfg::value_t;
using lowp::hls::make;
using lowp::hls::raw;
}  // namespace

void dot_top(const std::int8_t x[kDotN], const std::int8_t y[kDotN], std::uint32_t k0, std::uint32_t k1,
             std::uint64_t first, std::int32_t* acc, std::int8_t* out, std::uint8_t* clip) {
  LOWP_HLS_AXI(x, gmem0)
  LOWP_HLS_AXI(y, gmem1)
  LOWP_HLS_CONTROL()
  value_t xv[kDotN], yv[kDotN];
  for (int i = 0; i < kDotN; ++i) {
    LOWP_HLS_PIPELINE(1)
    xv[i] = make<value_t>(x[i]);
    yv[i] = make<value_t>(y[i]);
  }
  value_t o;
  bool c = false;
  const cfg::acc_t a = lowp::hls::dot<cfg, kDotN>(xv, yv, lowp::rng_key{k0, k1}, first, &o, &c);
  *acc = static_cast<std::int32_t>(raw(a));
  *out = static_cast<std::int8_t>(raw(o));
  *clip = c ? 1 : 0;
}

std::uint32_t quantize_top(const std::int32_t v[kN], std::int8_t q[kN], std::uint32_t k0, std::uint32_t k1,
                           std::uint64_t first) {
  LOWP_HLS_AXI(v, gmem0)
  LOWP_HLS_AXI(q, gmem1)
  LOWP_HLS_CONTROL()
  cfg::wide_t vv[kN];
  value_t qv[kN];
  for (int i = 0; i < kN; ++i) vv[i] = make<cfg::wide_t>(v[i]);
  const std::uint32_t clipped = lowp::hls::quantize<cfg, kN>(vv, qv, lowp::rng_key{k0, k1}, first);
  for (int i = 0; i < kN; ++i) q[i] = static_cast<std::int8_t>(raw(qv[i]));
  return clipped;
}

std::uint32_t sgd_update_top(std::int8_t w[kN], const std::int8_t x[kN], std::int16_t a, std::uint32_t k0,
                             std::uint32_t k1, std::uint64_t first) {
  LOWP_HLS_AXI(w, gmem0)
  LOWP_HLS_AXI(x, gmem1)
  LOWP_HLS_CONTROL()
  value_t wv[kN], xv[kN];
  for (int i = 0; i < kN; ++i) wv[i] = make<value_t>(w[i]), xv[i] = make<value_t>(x[i]);
  const std::uint32_t clipped =
      lowp::hls::sgd_update<cfg, kN>(wv, xv, make<cfg::coef_t>(a), lowp::rng_key{k0, k1}, first);
  for (int i = 0; i < kN; ++i) w[i] = static_cast<std::int8_t>(raw(wv[i]));
  return clipped;
}

std::uint32_t halp_step_top(std::int8_t z[kN], const std::int8_t x[kN], const std::int32_t h[kN], std::int16_t a,
                            std::int16_t b, std::uint32_t k0, std::uint32_t k1, std::uint64_t first) {
  LOWP_HLS_AXI(z, gmem0)
  LOWP_HLS_AXI(x, gmem1)
  LOWP_HLS_AXI(h, gmem2)
  LOWP_HLS_CONTROL()
  value_t zv[kN], xv[kN];
  cfg::wide_t hv[kN];
  for (int i = 0; i < kN; ++i) zv[i] = make<value_t>(z[i]), xv[i] = make<value_t>(x[i]), hv[i] = make<cfg::wide_t>(h[i]);
  const std::uint32_t clipped = lowp::hls::halp_step<cfg, kN>(zv, xv, hv, make<cfg::coef_t>(a), make<cfg::coef_t>(b),
                                                              lowp::rng_key{k0, k1}, first);
  for (int i = 0; i < kN; ++i) z[i] = static_cast<std::int8_t>(raw(zv[i]));
  return clipped;
}

void gibbs_top(const std::uint32_t p[kN], std::uint8_t s[kN], std::uint32_t k0, std::uint32_t k1,
               std::uint64_t first) {
  LOWP_HLS_AXI(p, gmem0)
  LOWP_HLS_AXI(s, gmem1)
  LOWP_HLS_CONTROL()
  cfg::prob_t pv[kN];
  bool sv[kN];
  for (int i = 0; i < kN; ++i) pv[i] = make<cfg::prob_t>(p[i] > 65536U ? 65536 : std::int64_t(p[i]));
  lowp::hls::gibbs<cfg, kN>(pv, sv, lowp::rng_key{k0, k1}, first);
  for (int i = 0; i < kN; ++i) s[i] = sv[i] ? 1 : 0;
}

std::uint32_t quantize_float_top(const float x[kN], float inv_scale, std::int8_t q[kN], std::uint32_t k0,
                                 std::uint32_t k1, std::uint64_t first) {
  LOWP_HLS_AXI(x, gmem0)
  LOWP_HLS_AXI(q, gmem1)
  LOWP_HLS_CONTROL()
  namespace k = lowp::kernels;
  const k::dither_source src{lowp::rng_key{k0, k1}, first};
  return static_cast<std::uint32_t>(k::ref::quantize(x, kN, inv_scale, q, k::rounding_mode::stochastic, src));
}

}  // namespace lowp_hls
