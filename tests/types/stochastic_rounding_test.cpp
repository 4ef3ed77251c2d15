// Stochastic rounding is unbiased with Bernoulli variance; round-to-nearest
// is biased on the same inputs. Fixed seeds; tolerances from the variance.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "lowp/types.hpp"
#include "test_support.hpp"

using lowp::fixed;

namespace {

constexpr int kDraws = 1000000;

struct moments {
  double mean, var;
};

template <class F>
moments sample(F&& draw, int n = kDraws) {
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double v = draw();
    s += v;
    s2 += v * v;
  }
  const double m = s / n;
  return {m, s2 / n - m * m};
}

// 5-sigma bounds for the mean and the sample variance of a shifted Bernoulli(p).
double mean_tol(double p, double n) { return 5.0 * std::sqrt(p * (1 - p) / n); }
double var_tol(double p, double n) {
  const double mu4 = p * (1 - p) * (1 - 3 * p + 3 * p * p), s2 = p * (1 - p);
  // plus the (mean - p)^2 term of the plug-in estimator (dominant at p = 1/2)
  return 5.0 * std::sqrt((mu4 - s2 * s2) / n) + 25.0 * s2 / n;
}

const double kFractions[] = {0.5, 0.1, 0.9, 0.37, 1.0 / 3.0, 0.01, 0.999};

}  // namespace

TEST_CASE("quantize with stochastic rounding: unbiased - variance p(1-p) - nearest is biased") {
  using q8 = fixed<8, lowp::exp2<-6>>;
  lowp::round::stochastic<> sr{lowp::counter_rng{lowp_test::seed(), 1}};
  for (double p : kFractions) {
    for (int k : {-7, 0, 3, 126}) {
      if (k == 126 && p > 0.5) continue;  // keep k+1 representable (no clipping)
      const double x = (k + p) / 64.0;    // k + p quanta
      const moments m = sample([&] { return double(lowp::quantize<q8>(x, sr).raw()); });
      // the real form rounds the fraction to 2^-16 of a quantum first: |bias| <= 2^-17
      CHECK(std::fabs(m.mean - (k + p)) <= mean_tol(p, kDraws) + std::ldexp(1.0, -17));
      CHECK(std::fabs(m.var - p * (1 - p)) <= var_tol(p, kDraws));
      const double rn = lowp::quantize<q8>(x, lowp::round::nearest_even{}).raw();
      if (p != 0.5) CHECK(std::fabs(rn - (k + p)) > mean_tol(p, kDraws));  // biased beyond 5 sigma
    }
  }
}

TEST_CASE("narrow with stochastic rounding (integer form) is exactly unbiased") {
  using from = fixed<16, lowp::exp2<-12>>;
  using to = fixed<8, lowp::exp2<-6>>;  // drops d = 6 bits: the fraction is f/64
  lowp::round::stochastic<> sr{lowp::counter_rng{lowp_test::seed(), 2}};
  for (int f : {1, 13, 32, 50, 63}) {
    const double p = f / 64.0;
    const from x = from::from_raw(-5 * 64 + f);
    const moments m = sample([&] { return double(lowp::narrow<to>(x, sr).raw()); });
    CHECK(std::fabs(m.mean - (-5 + p)) <= mean_tol(p, kDraws));
    CHECK(std::fabs(m.var - p * (1 - p)) <= var_tol(p, kDraws));
    const double rn = lowp::narrow<to>(x, lowp::round::nearest_even{}).raw();
    const double fl = lowp::narrow<to>(x, lowp::round::floor{}).raw();
    if (f != 32) CHECK(std::fabs(rn - (-5 + p)) > mean_tol(p, kDraws));
    CHECK(std::fabs(fl - (-5 + p)) > mean_tol(p, kDraws));
  }
}

TEST_CASE("more than 16 dropped bits: bias below 2^-16 of a quantum") {
  using from = fixed<32, lowp::exp2<-24>>;
  using to = fixed<8, lowp::exp2<-4>>;  // d = 20
  lowp::round::stochastic<> sr{lowp::counter_rng{lowp_test::seed(), 3}};
  const std::int64_t frac = 0x5A5A5;  // 20-bit fraction
  const double p = static_cast<double>(frac) / (1 << 20);
  const from x = from::from_raw((2 << 20) + frac);
  const moments m = sample([&] { return double(lowp::narrow<to>(x, sr).raw()); });
  CHECK(std::fabs(m.mean - (2 + p)) <= mean_tol(p, kDraws) + std::ldexp(1.0, -16));
}

TEST_CASE("shared randomness: each rounding unbiased - roundings correlated within a block") {
  using q8 = fixed<8, lowp::exp2<-6>>;
  const unsigned reuse = 64;
  lowp::round::shared_stochastic<> sr{lowp::counter_rng{lowp_test::seed(), 4}, reuse};
  const double p = 0.3, x = (10 + p) / 64.0;
  const moments m = sample([&] { return double(lowp::quantize<q8>(x, sr).raw()); });
  // identical inputs in a block round identically: only kDraws/reuse independent outcomes
  CHECK(std::fabs(m.mean - (10 + p)) <= mean_tol(p, double(kDraws) / reuse) + std::ldexp(1.0, -17));
  // and they really are shared: 64 consecutive roundings of one value agree
  lowp::round::shared_stochastic<> sr2{lowp::counter_rng{lowp_test::seed(), 5}, reuse};
  int agree = 0;
  const int first = lowp::quantize<q8>(x, sr2).raw();
  for (unsigned i = 1; i < reuse; ++i) agree += lowp::quantize<q8>(x, sr2).raw() == first ? 1 : 0;
  CHECK(agree == int(reuse) - 1);
}

TEST_CASE("small steps: stochastic rounding accumulates them - round-to-nearest stalls") {
  using q8 = fixed<8, lowp::exp2<-6>>;
  using wide = fixed<16, lowp::exp2<-12>>;
  lowp::round::stochastic<> sr{lowp::counter_rng{lowp_test::seed(), 6}};
  q8 w_sr{}, w_rn{};
  const wide step = wide::from_raw(6);  // 6/64 = 0.09375 quanta of q8
  for (int i = 0; i < 20000; ++i) {
    w_sr = lowp::narrow<q8>(w_sr + step, sr);
    w_rn = lowp::narrow<q8>(w_rn + step, lowp::round::nearest_even{});
  }
  // expected 20000 * 6/64 = 1875 quanta, but q8 saturates at 127: use a range that fits
  CHECK(w_rn.raw() == 0);
  CHECK(w_sr.raw() == 127);
  q8 v_sr{};
  for (int i = 0; i < 1000; ++i) v_sr = lowp::narrow<q8>(v_sr + step, sr);
  // 1000 * 6/64 = 93.75; sd of a sum of 1000 Bernoulli(0.09375) <= sqrt(1000*0.085) = 9.2
  CHECK(std::fabs(v_sr.raw() - 93.75) < 5 * 9.22);
}

TEST_CASE("the stochastic policy consumes dithers in the kernels' documented order") {
  const lowp::counter_rng rng{lowp_test::seed(), 7};
  lowp::round::stochastic<> sr{rng};
  for (std::uint64_t i = 0; i < 1000; ++i) REQUIRE(sr.next_dither() == lowp::dither16(rng.key(), 0, i));
}

// next_dithers(out, n) is n calls of next_dither(): the same values, and the
// stream left in the same place (a pending half draw at either end), for the
// vectorised counter-based loop and for a plain stream.
namespace {
struct plain_rng {  // next_u32 only: next_dithers' generic loop
  lowp::counter_rng g;
  std::uint32_t next_u32() noexcept { return g.next_u32(); }
};
template <class Rng>
void check_bulk(Rng make) {
  for (std::size_t lead : {0u, 1u, 2u, 3u})
    for (std::size_t n : {0u, 1u, 2u, 7u, 64u, 129u}) {
      lowp::round::stochastic<Rng> a{make}, b{make};
      for (std::size_t i = 0; i < lead; ++i) REQUIRE(a.next_dither() == b.next_dither());
      std::vector<std::uint16_t> d(n + 1, 0xabcd);
      a.next_dithers(d.data(), n);
      for (std::size_t i = 0; i < n; ++i) CHECK(d[i] == b.next_dither());
      CHECK(d[n] == 0xabcd);  // nothing written past n
      for (int i = 0; i < 3; ++i) CHECK(a.next_dither() == b.next_dither());
    }
}
}  // namespace

TEST_CASE("bulk dithers equal one-at-a-time dithers and leave the stream in the same place") {
  check_bulk(lowp::counter_rng{lowp_test::seed(), 8});
  check_bulk(plain_rng{lowp::counter_rng{lowp_test::seed(), 9}});
}
