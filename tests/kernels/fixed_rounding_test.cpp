// stochastic_fixed (include/lowp/kernels/scalar.hpp, fixed_step): the step rounded once per
// call to the 2^-16 grid, then exact integer increments. The SIMD tables equal the
// reference bit for bit (simd_vs_scalar_test sweeps this mode with the others); here:
// every increment is unbiased, including steps far below one 2^-16 unit, where rounding
// the step to nearest would be visibly wrong; outside its range the mode is stochastic_ars.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "lowp/kernels/dispatch.hpp"
#include "lowp/kernels/packed.hpp"
#include "lowp/quantize/ars.hpp"

using namespace lowp;
using kernels::rounding_mode;

namespace {

// Mean increment per element over K calls of update_i8_i8 on a zero model, the step drawn
// afresh each call (one ars_rng stream, as a solver would use it).
std::vector<double> mean_increments(const std::vector<std::int8_t>& x, float a, int K, const kernels::table& t,
                                    bool no_clip = true) {
  ars_rng rng(77, 5);
  std::vector<double> sum(x.size(), 0.0);
  std::vector<std::int8_t> w(x.size());
  for (int k = 0; k < K; ++k) {
    std::fill(w.begin(), w.end(), std::int8_t(0));
    const auto s = kernels::take_dither(rng, rounding_mode::stochastic_fixed, x.size());
    const std::size_t clipped = t.update_i8_i8(w.data(), x.data(), x.size(), a, rounding_mode::stochastic_fixed, s);
    if (no_clip) REQUIRE(clipped == 0);
    for (std::size_t i = 0; i < x.size(); ++i) sum[i] += w[i];
  }
  for (double& v : sum) v /= K;
  return sum;
}

}  // namespace

// Per element: the increment is (B x + r) >> 16 with E[. | B] = B x / 2^16, Var(. | B) <= 1/4
// (two adjacent integers), and B's own rounding adds x^2 Var(B) / 2^32 <= x^2 / 2^34. The mean
// of K calls has sd_i <= sqrt((1/4 + x_i^2 / 2^34) / K); each element within 5 sd.
// Pooled over the elements with x = 127 (step 2.4 / 2^16: B is 2 or 3, each increment 0 or
// 1): within a call the increments share B but not r, so the pooled mean of one call has
// variance <= 127^2 Var(B) / 2^32 + E[inc] / m (Bernoulli: variance <= mean) for m such
// elements; over K calls divide by K. Rounding B to nearest (2) or down would shift the mean
// by 0.4 * 127 / 2^16 = 7.8e-4, about 20 sd: the test would fail.
TEST_CASE("stochastic_fixed increments are unbiased at every step size") {
  std::vector<std::int8_t> x(256);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int8_t>(i < 128 ? 127 : int(i % 121) - 60);
  const int K = 1 << 14;
  for (const float a : {2.4f / 65536.0f, 0.3f, -0.9f, 1e-7f, 0.0f}) {
    const std::vector<double> m = mean_increments(x, a, K, kernels::best());
    int bad = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double xi = x[i], sd = std::sqrt((0.25 + xi * xi / 17179869184.0) / K);
      if (std::abs(m[i] - double(a) * xi) > 5 * sd + 1e-12) ++bad;
    }
    CHECK_MESSAGE(bad == 0, "a = " << a << ": " << bad << " elements outside 5 sd");
    double pooled = 0;
    for (std::size_t i = 0; i < 128; ++i) pooled += m[i];
    pooled /= 128;
    const double mean = double(a) * 127.0;
    const double sd = std::sqrt((127.0 * 127.0 * 0.25 / 4294967296.0 + std::abs(mean) / 128 + 1e-30) / K);
    CHECK_MESSAGE(std::abs(pooled - mean) <= 5 * sd + 1e-12, "a = " << a << ": pooled " << pooled << " vs " << mean);
  }
}

// The same property on the reference (scalar table), whose bits the SIMD tables reproduce.
TEST_CASE("stochastic_fixed reference and best table give the same increments") {
  std::vector<std::int8_t> x(200);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int8_t>(int(i * 37 % 255) - 127);
  for (const float a : {2.4f / 65536.0f, -0.3f, 1.9f}) {
    const auto m1 = mean_increments(x, a, 64, kernels::table_for(kernels::isa::scalar), false);
    const auto m2 = mean_increments(x, a, 64, kernels::best(), false);
    CHECK(m1 == m2);
  }
}

// Float data, non-finite steps and |a| max|x| > 32766 take the stochastic_ars form: same
// result as a stochastic_ars call with the same first draw.
TEST_CASE("stochastic_fixed falls back to stochastic_ars outside its range") {
  const auto& t = kernels::best();
  std::vector<std::int8_t> x8(150);
  std::vector<std::int16_t> x16(150);
  std::vector<float> xf(150);
  for (std::size_t i = 0; i < x8.size(); ++i) {
    x8[i] = static_cast<std::int8_t>(int(i * 13 % 255) - 127);
    x16[i] = static_cast<std::int16_t>(int(i * 4099 % 65535) - 32767);
    xf[i] = 0.37f * static_cast<float>(i) - 20.0f;
  }
  const kernels::dither_source s{rng_key{3, 4}, 1000};
  auto same = [&](auto upd, const auto& x, float a) {
    std::vector<std::int16_t> w1(x.size(), 5), w2(x.size(), 5);
    const auto c1 = upd(w1.data(), x.data(), x.size(), a, rounding_mode::stochastic_fixed, s);
    const auto c2 = upd(w2.data(), x.data(), x.size(), a, rounding_mode::stochastic_ars, s);
    return c1 == c2 && w1 == w2;
  };
  CHECK(same(t.update_i16_i8, x8, 255.99f));  // 255.99 * 128 > 32766
  CHECK(same(t.update_i16_i16, x16, 1.0f));   // 32768 > 32766
  CHECK(same(t.update_i16_i8, x8, std::nanf("")));
  CHECK(same(t.update_i16_f32, xf, 0.3f));
  CHECK(kernels::draws_for_call(rounding_mode::stochastic_fixed, 150) == 76);
}

// Inside the range, the documented formula: B from the call's last draw (first + 75 for
// 150 elements), element i's dither the low/high half of draw first + i/2.
TEST_CASE("stochastic_fixed computes the documented integer formula") {
  std::vector<std::int8_t> x(150);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int8_t>(int(i * 13 % 255) - 127);
  const kernels::dither_source s{rng_key{3, 4}, 1000};
  const ars_keys k = ars_key_schedule(s.key);
  for (const float a : {0.3f, -0.0123f, 2.4f / 65536.0f}) {
    std::vector<std::int16_t> w(x.size(), 5);
    CHECK(kernels::best().update_i16_i8(w.data(), x.data(), x.size(), a, rounding_mode::stochastic_fixed, s) == 0);
    const std::int32_t b = kernels::fixed_step(a, ars_draw(k, s.first + 75));
    CHECK(std::abs(b - double(a) * 65536.0) < 1.0);
    int bad = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::uint32_t r = ars_draw(k, s.first + i / 2), d = (i & 1) ? r >> 16 : r & 0xffffU;
      const std::int64_t inc = (std::int64_t(b) * x[i] + std::int64_t(d)) >> 16;
      bad += (w[i] != 5 + inc) ? 1 : 0;
    }
    CHECK_MESSAGE(bad == 0, "a = " << a);
  }
}

// ---- update_bias_fixed: HALP's inner step (b = 0) in the same integer form ----------------
// increment_i = (B x_i + H_i + r_i) >> 16 with H_i = rne(h_i 2^16) made once (fixed_offset).

namespace {

std::vector<double> mean_bias_increments(const std::vector<std::int8_t>& x, const kernels::fixed_offset& h, float a,
                                         int K, const kernels::table& t) {
  ars_rng rng(78, 6);
  std::vector<double> sum(x.size(), 0.0);
  std::vector<std::int16_t> w(x.size());
  for (int k = 0; k < K; ++k) {
    std::fill(w.begin(), w.end(), std::int16_t(0));
    const auto s = kernels::take_dither(rng, rounding_mode::stochastic_fixed, x.size());
    REQUIRE(t.update_bias_fixed_i16_i8(w.data(), x.data(), h, x.size(), a, s) == 0);
    for (std::size_t i = 0; i < x.size(); ++i) sum[i] += w[i];
  }
  for (double& v : sum) v /= K;
  return sum;
}

}  // namespace

// E[increment_i] = a x_i + H_i / 2^16 up to B's 2^-48 |x_i|, and |H_i / 2^16 - h_i| <= 2^-17;
// sd as in the first test. Dropping the carry of lo16(B x) + lo16(H) (or of the dither) would
// move most means by a large fraction of a quantum.
TEST_CASE("update_bias_fixed increments are unbiased") {
  std::vector<std::int8_t> x(200);
  std::vector<float> h(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<std::int8_t>(int(i * 37 % 255) - 127);
    h[i] = 0.377f * static_cast<float>(int(i % 19) - 9) + 0.0001f * static_cast<float>(i);
  }
  kernels::fixed_offset_buffer hb;
  hb.assign(h.data(), h.size());
  REQUIRE(hb.view().bound < 4.0f);
  const int K = 1 << 13;
  for (const float a : {0.3f, -0.0123f, 2.4f / 65536.0f, 0.0f}) {
    REQUIRE(kernels::fixed_bias_applies(a, hb.view().bound));
    const auto m = mean_bias_increments(x, hb.view(), a, K, kernels::best());
    int bad = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double xi = x[i], sd = std::sqrt((0.25 + xi * xi / 17179869184.0) / K);
      if (std::abs(m[i] - (double(a) * xi + double(h[i]))) > 5 * sd + 1.0 / 131072) ++bad;
    }
    CHECK_MESSAGE(bad == 0, "a = " << a << ": " << bad << " elements outside 5 sd");
  }
}

// The documented formula, element by element, and the fallback: |a| 128 + bound > 32000 or a
// non-finite offset takes update_bias(..., b = 0, stochastic_ars) with the same source.
TEST_CASE("update_bias_fixed computes the documented formula and falls back outside its range") {
  const auto& t = kernels::best();
  std::vector<std::int8_t> x(150);
  std::vector<float> h(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<std::int8_t>(int(i * 13 % 255) - 127);
    h[i] = 3.1f * static_cast<float>(int(i % 11) - 5) + 0.01f;
  }
  kernels::fixed_offset_buffer hb;
  hb.assign(h.data(), h.size());
  const kernels::dither_source s{rng_key{3, 4}, 1000};
  const ars_keys k = ars_key_schedule(s.key);
  for (const float a : {0.3f, -0.0123f, 2.4f / 65536.0f}) {
    std::vector<std::int16_t> w(x.size(), 5);
    CHECK(t.update_bias_fixed_i16_i8(w.data(), x.data(), hb.view(), x.size(), a, s) == 0);
    const std::int32_t b = kernels::fixed_step(a, ars_draw(k, s.first + 75));
    int bad = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::uint32_t r = ars_draw(k, s.first + i / 2), d = (i & 1) ? r >> 16 : r & 0xffffU;
      const std::int64_t hh = std::llrint(double(h[i]) * 65536.0);
      const std::int64_t inc = (std::int64_t(b) * x[i] + hh + std::int64_t(d)) >> 16;
      bad += (w[i] != 5 + inc) ? 1 : 0;
    }
    CHECK_MESSAGE(bad == 0, "a = " << a);
  }
  auto falls_back = [&](const std::vector<float>& hv, float a) {
    kernels::fixed_offset_buffer fb;
    fb.assign(hv.data(), hv.size());
    std::vector<std::int16_t> w1(x.size(), 5), w2(x.size(), 5);
    const auto c1 = t.update_bias_fixed_i16_i8(w1.data(), x.data(), fb.view(), x.size(), a, s);
    const auto c2 = t.update_bias_i16_i8(w2.data(), x.data(), hv.data(), x.size(), a, 0.0f, rounding_mode::stochastic_ars, s);
    return c1 == c2 && w1 == w2;
  };
  CHECK(falls_back(h, 250.0f));  // 250 * 128 + 15.5 > 32000
  CHECK(falls_back(h, std::nanf("")));
  std::vector<float> hn = h;
  hn[77] = std::nanf("");
  CHECK(falls_back(hn, 0.3f));
  hn[77] = 20000.0f;  // >= 2^14: bound +inf
  CHECK(falls_back(hn, 0.3f));
}
