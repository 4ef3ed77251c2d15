// C-simulation test bench of the default tops (hls_tops.hpp), in the vendor
// convention: self-checking, fixed seeds, main returns 0 when every check
// passes (so it doubles as a Vitis/Catapult test bench for C/RTL
// co-simulation). The expected values come from the library itself:
//   kernels::ref::update / update_bias / dot  (the CPU reference kernels),
//   lowp::narrow with round::stochastic<>     (the library's SR policy, fed by
//                                              a counter_rng at `first`),
//   round::detail::sr_shift                   (the integer SR formula).
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "hls_tops.hpp"
#include "lowp/kernels/scalar.hpp"
#include "lowp/quantize/narrow.hpp"
#include "lowp/quantize/rng.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/types/fixed.hpp"

namespace {

using lowp_hls::kDotN;
using lowp_hls::kN;
namespace k = lowp::kernels;

int g_fail = 0;
long g_checked = 0;

void expect_eq(const char* what, int i, long long got, long long want) {
  ++g_checked;
  if (got != want) {
    if (g_fail < 20) std::printf("FAIL %s [%d]: got %lld, want %lld\n", what, i, got, want);
    ++g_fail;
  }
}

// Stimulus: mostly uniform over the full raw range, with the corners (min,
// max, 0, +-1) over-represented.
struct stim {
  lowp::counter_rng r;
  explicit stim(std::uint64_t seed) : r(seed, 99) {}
  long long raw(int bits) {
    const long long lo = -(1LL << (bits - 1)), hi = (1LL << (bits - 1)) - 1;
    const std::uint32_t u = r.next_u32();
    switch (u & 15U) {
      case 0: return lo;
      case 1: return hi;
      case 2: return 0;
      case 3: return (u & 16U) ? 1 : -1;
      default: {
        const std::uint64_t v = (std::uint64_t(r.next_u32()) << 32) | r.next_u32();
        return static_cast<long long>(v % std::uint64_t(hi - lo + 1)) + lo;
      }
    }
  }
};

using q6 = lowp::fixed<8, lowp::exp2<-6>>;

lowp::round::stochastic<> policy_at(lowp::counter_rng rng, std::uint64_t first) {
  rng.seek(first);
  return lowp::round::stochastic<>(rng);
}

void test_sgd(std::uint64_t seed) {
  stim s(seed);
  const lowp::counter_rng rng(seed, 1);
  const lowp::rng_key key = rng.key();
  for (int rep = 0; rep < 200; ++rep) {
    std::int8_t w[kN], w_ref[kN], x[kN];
    for (int i = 0; i < kN; ++i) w[i] = w_ref[i] = static_cast<std::int8_t>(s.raw(8)), x[i] = static_cast<std::int8_t>(s.raw(8));
    const std::int16_t a = static_cast<std::int16_t>(s.raw(16));
    const std::uint64_t first = std::uint64_t(rep) * 1000 + (seed << 40);
    const std::uint32_t clipped = lowp_hls::sgd_update_top(w, x, a, key.k0, key.k1, first);
    // The CPU reference kernel, float coefficient a / 2^16 (exact in float).
    const std::size_t ref_clipped = k::ref::update(w_ref, x, kN, static_cast<float>(a) / 65536.0f,
                                                   k::rounding_mode::stochastic, k::dither_source{key, first});
    for (int i = 0; i < kN; ++i) expect_eq("sgd_update_top vs kernels::ref::update", i, w[i], w_ref[i]);
    expect_eq("sgd_update_top clipped", 0, clipped, static_cast<long long>(ref_clipped));
  }
}

void test_halp(std::uint64_t seed) {
  stim s(seed);
  const lowp::counter_rng rng(seed, 2);
  const lowp::rng_key key = rng.key();
  for (int rep = 0; rep < 200; ++rep) {
    std::int8_t z[kN], z_f[kN], z_i[kN], x[kN];
    std::int32_t h[kN];
    float hf[kN];
    const bool small = rep % 2 == 0;  // |v| < 2^8 quanta: the float kernel is exact there
    for (int i = 0; i < kN; ++i) {
      z[i] = z_f[i] = z_i[i] = static_cast<std::int8_t>(s.raw(8));
      x[i] = static_cast<std::int8_t>(s.raw(8));
      h[i] = static_cast<std::int32_t>(small ? s.raw(23) : s.raw(32));  // 2^-22 units: |h| < 64 quanta when small
      hf[i] = static_cast<float>(static_cast<double>(h[i]) / 65536.0);
    }
    const std::int16_t a = static_cast<std::int16_t>(s.raw(16)), b = static_cast<std::int16_t>(s.raw(16));
    const std::uint64_t first = std::uint64_t(rep) * 977;
    const std::uint32_t clipped = lowp_hls::halp_step_top(z, x, h, a, b, key.k0, key.k1, first);
    // Integer reference: the library's SR formula on the exact sum.
    std::uint32_t clipped_i = 0;
    for (int i = 0; i < kN; ++i) {
      const std::int64_t v = std::int64_t(z_i[i]) * 65536 + h[i] + std::int64_t(a) * x[i] + std::int64_t(b) * z_i[i];
      const std::int64_t q = lowp::round::detail::sr_shift(v, 16, lowp::dither16(key, first, i));
      clipped_i += (q < -128 || q > 127) ? 1U : 0U;
      z_i[i] = static_cast<std::int8_t>(q < -128 ? -128 : (q > 127 ? 127 : q));
      expect_eq("halp_step_top vs sr_shift", i, z[i], z_i[i]);
    }
    expect_eq("halp_step_top clipped vs sr_shift", 0, clipped, clipped_i);
    if (small) {  // and the CPU reference kernel
      const std::size_t ref_clipped =
          k::ref::update_bias(z_f, x, hf, kN, static_cast<float>(a) / 65536.0f, static_cast<float>(b) / 65536.0f,
                              k::rounding_mode::stochastic, k::dither_source{key, first});
      for (int i = 0; i < kN; ++i) expect_eq("halp_step_top vs kernels::ref::update_bias", i, z[i], z_f[i]);
      expect_eq("halp_step_top clipped vs update_bias", 0, clipped, static_cast<long long>(ref_clipped));
    }
  }
}

void test_quantize(std::uint64_t seed) {
  stim s(seed);
  const lowp::counter_rng rng(seed, 3);
  const lowp::rng_key key = rng.key();
  using wide = lowp::fixed<32, lowp::exp2<-22>>;
  int mutated_differs = 0;
  for (int rep = 0; rep < 200; ++rep) {
    std::int32_t v[kN];
    std::int8_t q[kN];
    // Half the calls stay near the representable range so rounding (not
    // saturation) decides most lanes.
    for (int i = 0; i < kN; ++i) v[i] = static_cast<std::int32_t>(rep % 2 ? s.raw(32) : s.raw(25));
    const std::uint64_t first = std::uint64_t(rep) * 31;
    const std::uint32_t clipped = lowp_hls::quantize_top(v, q, key.k0, key.k1, first);
    auto pol = policy_at(rng, first);
    auto wrong = policy_at(rng, first + 1);  // mutation: the next draw's dithers
    lowp::saturation_counter sat;
    for (int i = 0; i < kN; ++i) {
      const q6 want = lowp::narrow<q6>(wide::from_raw(v[i]), pol, &sat);
      expect_eq("quantize_top vs narrow+round::stochastic", i, q[i], want.raw());
      mutated_differs += lowp::narrow<q6>(wide::from_raw(v[i]), wrong).raw() != q[i] ? 1 : 0;
    }
    expect_eq("quantize_top clipped", 0, clipped, static_cast<long long>(sat.events));
  }
  // The comparison can fail: a reference with other dithers disagrees often.
  if (mutated_differs < 200) {  // about 800 per seed observed
    std::printf("FAIL quantize mutation: only %d lanes differ with shifted dithers\n", mutated_differs);
    ++g_fail;
  }
}

void test_dot(std::uint64_t seed) {
  stim s(seed);
  const lowp::counter_rng rng(seed, 4);
  const lowp::rng_key key = rng.key();
  using acc_t = lowp::fixed<32, lowp::exp2<-12>>;
  for (int rep = 0; rep < 100; ++rep) {
    std::int8_t x[kDotN], y[kDotN];
    for (int i = 0; i < kDotN; ++i) x[i] = static_cast<std::int8_t>(s.raw(8)), y[i] = static_cast<std::int8_t>(s.raw(8));
    if (rep % 3 == 0)  // small products: the rounded result lands inside the range
      for (int i = 0; i < kDotN; ++i) y[i] = static_cast<std::int8_t>(y[i] / 32);
    std::int32_t acc = 0;
    std::int8_t out = 0;
    std::uint8_t clip = 0;
    const std::uint64_t first = std::uint64_t(rep) * 5;
    lowp_hls::dot_top(x, y, key.k0, key.k1, first, &acc, &out, &clip);
    const std::int64_t want = k::ref::dot(x, y, kDotN);
    expect_eq("dot_top acc vs kernels::ref::dot", rep, acc, want);
    lowp::saturation_counter sat;
    expect_eq("dot_top out vs narrow", rep, out, lowp::narrow<q6>(acc_t::from_raw(want), policy_at(rng, first), &sat).raw());
    expect_eq("dot_top clip", rep, clip, static_cast<long long>(sat.events));
  }
}

void test_gibbs(std::uint64_t seed) {
  const lowp::counter_rng rng(seed, 5);
  const lowp::rng_key key = rng.key();
  std::uint32_t p[kN];
  std::uint8_t out[kN];
  // Exact replay of the documented lane order, and the ends of the range.
  for (int i = 0; i < kN; ++i) p[i] = i == 0 ? 0U : (i == 1 ? 65536U : std::uint32_t(i) * 1021U);
  long ones = 0;
  const int calls = 512;
  for (int c = 0; c < calls; ++c) {
    lowp_hls::gibbs_top(p, out, key.k0, key.k1, std::uint64_t(c) * 32);
    for (int i = 0; i < kN; ++i) {
      expect_eq("gibbs_top replay", i, out[i], lowp::dither16(key, std::uint64_t(c) * 32, i) < p[i] ? 1 : 0);
      if (i == 0) expect_eq("gibbs p=0", i, out[i], 0);
      if (i == 1) expect_eq("gibbs p=1", i, out[i], 1);
    }
  }
  // Frequency: p = 0.3 on all lanes; 64 * 512 = 32768 flips, sd of the mean
  // sqrt(0.21 / 32768) = 0.0025, tolerance 5 sd.
  for (int i = 0; i < kN; ++i) p[i] = 19661U;  // 0.30000 * 65536
  for (int c = 0; c < calls; ++c) {
    lowp_hls::gibbs_top(p, out, key.k0, key.k1, 100000 + std::uint64_t(c) * 32);
    for (int i = 0; i < kN; ++i) ones += out[i];
  }
  const double freq = static_cast<double>(ones) / (64.0 * calls);
  if (std::fabs(freq - 19661.0 / 65536.0) > 0.0125) {
    std::printf("FAIL gibbs frequency %.5f, want 0.30000 +- 0.0125\n", freq);
    ++g_fail;
  }
}

void test_quantize_float(std::uint64_t seed) {
  const lowp::counter_rng rng(seed, 6);
  const lowp::rng_key key = rng.key();
  float x[kN];
  std::int8_t q[kN];
  for (int i = 0; i < kN; ++i) x[i] = static_cast<float>(i - 32) / 16.0f;  // on the grid: exact
  x[0] = 100.0f, x[1] = -100.0f, x[2] = std::nanf("");
  const std::uint32_t clipped = lowp_hls::quantize_float_top(x, 16.0f, q, key.k0, key.k1, 0);
  for (int i = 3; i < kN; ++i) expect_eq("quantize_float_top on grid", i, q[i], i - 32);
  expect_eq("quantize_float_top +sat", 0, q[0], 127);
  expect_eq("quantize_float_top -sat", 1, q[1], -128);
  expect_eq("quantize_float_top NaN", 2, q[2], 0);
  expect_eq("quantize_float_top clipped", 0, clipped, 3);
}

}  // namespace

int main() {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    test_sgd(seed);
    test_halp(seed);
    test_quantize(seed);
    test_dot(seed);
    test_gibbs(seed);
    test_quantize_float(seed);
  }
  if (g_fail != 0) {
    std::printf("lowp hls csim: %d of %ld checks FAILED\n", g_fail, g_checked);
    return 1;
  }
  std::printf("lowp hls csim: all %ld checks passed\n", g_checked);
  return 0;
}
