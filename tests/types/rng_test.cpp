// The counter-based generator: reproducible, streams unrelated, outputs uniform.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "lowp/quantize/rng.hpp"
#include "test_support.hpp"

TEST_CASE("same (seed and stream) replays - draw(i) is a pure function of the counter") {
  lowp::counter_rng a{42, 3}, b{42, 3};
  for (int i = 0; i < 1000; ++i) REQUIRE(a.next_u32() == b.next_u32());
  const lowp::counter_rng c{42, 3};
  CHECK(lowp::counter_draw(c.key(), 500) == [] {
    lowp::counter_rng r{42, 3};
    r.seek(500);
    return r.next_u32();
  }());
  // take() reserves a block: the next draw after take(n) is draw(n)
  lowp::counter_rng d{42, 3};
  CHECK(d.take(10) == 0);
  CHECK(d.next_u32() == lowp::counter_draw(c.key(), 10));
}

TEST_CASE("different seeds or streams give different keys and uncorrelated outputs") {
  const std::uint64_t s = lowp_test::seed();
  std::vector<lowp::rng_key> keys;
  for (std::uint64_t seed : {s, s + 1})
    for (std::uint64_t stream = 0; stream < 64; ++stream) keys.push_back(lowp::counter_rng{seed, stream}.key());
  for (std::size_t i = 0; i < keys.size(); ++i)
    for (std::size_t j = i + 1; j < keys.size(); ++j)
      REQUIRE((keys[i].k0 != keys[j].k0 || keys[i].k1 != keys[j].k1));
  // Pearson correlation of neighbouring streams (and lagged by one) over 10^6
  // uniforms: |r| < 5/sqrt(n).
  const int n = 1000000;
  for (std::uint64_t t = 0; t < 4; ++t) {
    lowp::counter_rng x{s, t}, y{s, t + 1};
    double sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
    double prev = 0.5;
    double lag = 0;
    for (int i = 0; i < n; ++i) {
      const double u = x.next_double() - 0.5, v = y.next_double() - 0.5;
      sx += u, sy += v, sxy += u * v, sxx += u * u, syy += v * v;
      lag += prev * u;
      prev = u;
    }
    const double r = (sxy - sx * sy / n) / std::sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
    CHECK(std::fabs(r) < 5.0 / std::sqrt(double(n)));
    CHECK(std::fabs(lag / (sxx)) < 5.0 / std::sqrt(double(n)));
  }
}

TEST_CASE("16-bit dithers are uniform: chi-square over 256 buckets of the top byte") {
  lowp::counter_rng r{lowp_test::seed(), 11};
  const int n = 1 << 20;
  std::vector<int> count(256, 0);
  const std::uint64_t first = r.take(lowp::draws_for(n));
  for (int i = 0; i < n; ++i) ++count[lowp::dither16(r.key(), first, std::uint64_t(i)) >> 8];
  double chi2 = 0;
  const double e = double(n) / 256;
  for (int c : count) chi2 += (c - e) * (c - e) / e;
  // 255 degrees of freedom: mean 255, sd sqrt(510) ~ 22.6; 5 sd
  CHECK(chi2 < 255 + 5 * 22.6);
  CHECK(chi2 > 255 - 5 * 22.6);
  // and every low/high half is used: element 2j is the low half of draw j
  CHECK(lowp::dither16(r.key(), first, 6) == (lowp::counter_draw(r.key(), first + 3) & 0xffffu));
  CHECK(lowp::dither16(r.key(), first, 7) == (lowp::counter_draw(r.key(), first + 3) >> 16));
}

TEST_CASE("uniform doubles and floats lie in the unit interval with mean 1/2") {
  lowp::counter_rng r{lowp_test::seed(), 12};
  double s = 0;
  const int n = 1000000;
  for (int i = 0; i < n; ++i) {
    const double u = r.next_double();
    const float f = r.next_float();
    REQUIRE((u >= 0.0 && u < 1.0));
    REQUIRE((f >= 0.0f && f < 1.0f));
    s += u;
  }
  CHECK(std::fabs(s / n - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
}
