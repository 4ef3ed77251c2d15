// The ARS-5 generator (quantize/ars.hpp) behind the stochastic_ars rounding
// mode: its software AES round is the instruction's, bit for bit; its draws
// are uniform enough that stochastic rounding with them is unbiased; and the
// reference policy round::stochastic<ars_rng> is what the kernels compute.
#include <doctest/doctest.h>

#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "lowp/kernels/dispatch.hpp"
#include "lowp/quantize/ars.hpp"
#include "lowp/quantize/stochastic.hpp"

using namespace lowp;

namespace {
__attribute__((target("aes"))) void hw_round(const std::uint8_t* s, const std::uint8_t* k, bool last,
                                             std::uint8_t* out) {
  __m128i x, y;
  std::memcpy(&x, s, 16);
  std::memcpy(&y, k, 16);
  const __m128i r = last ? _mm_aesenclast_si128(x, y) : _mm_aesenc_si128(x, y);
  std::memcpy(out, &r, 16);
}
}  // namespace

TEST_CASE("the software AES round equals AESENC and AESENCLAST on 2^16 random states") {
  if (!__builtin_cpu_supports("aes")) {
    MESSAGE("no AES-NI on this CPU: skipped");
    return;
  }
  counter_rng r(3, 4);
  CHECK(detail::aes_sbox()[0x00] == 0x63);  // FIPS-197 S-box corners
  CHECK(detail::aes_sbox()[0x53] == 0xed);
  CHECK(detail::aes_sbox()[0xff] == 0x16);
  int bad = 0;
  for (int t = 0; t < 65536; ++t) {
    detail::aes_block s{}, k{};
    for (auto& b : s.b) b = static_cast<std::uint8_t>(r.next_u32());
    for (auto& b : k.b) b = static_cast<std::uint8_t>(r.next_u32());
    std::uint8_t hw[16];
    hw_round(s.b, k.b, t & 1, hw);
    bad += std::memcmp(hw, detail::aes_round(s, k, t & 1).b, 16) != 0;
  }
  CHECK(bad == 0);
}

// Each of the 32 output bits of 2^20 draws is set with probability 1/2: the count
// has sd 2^9, so 6 sd = 3072 bounds every bit with a false-alarm rate ~ 32 * 2e-9.
// Consecutive draws (the pairs a kernel uses) must not be correlated either: the
// sample correlation of 2^20 pairs has sd 2^-10, bound 6 sd.
TEST_CASE("ARS draws are balanced bit by bit and uncorrelated between neighbours") {
  const ars_keys k = ars_key_schedule(counter_rng(11, 0).key());
  const std::size_t n = std::size_t(1) << 20;
  std::vector<long> ones(32, 0);
  double sxy = 0, sx = 0, sxx = 0;
  double prev = 0;
  for (std::size_t c = 0; c < n; ++c) {
    const std::uint32_t d = ars_draw(k, c);
    for (int b = 0; b < 32; ++b) ones[b] += (d >> b) & 1;
    const double u = d / 4294967296.0 - 0.5;
    if (c > 0) sxy += u * prev;
    sx += u, sxx += u * u, prev = u;
  }
  for (int b = 0; b < 32; ++b) CHECK(std::abs(ones[b] - long(n / 2)) <= 3072);
  const double corr = (sxy / (n - 1) - (sx / n) * (sx / n)) / (sxx / n - (sx / n) * (sx / n));
  CHECK(std::abs(corr) <= 6.0 / 1024);
}

// Unbiasedness (spec halp.md 6.6.1a, as for the mix32 generator): the mean of 2^20
// roundings of x is within 5 sd of x, sd = sqrt(p(1-p)/2^20) quanta.
TEST_CASE("stochastic rounding with ARS dithers is unbiased") {
  for (double x : {0.25, -0.75, 3.5, 1.0 / 65536, -2.0 + 1.0 / 3}) {
    round::stochastic<ars_rng> sr(ars_rng(5, 9));
    const int n = 1 << 20;
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += static_cast<double>(sr.real(x));
    const double p = x - std::floor(x), sd = std::sqrt(std::max(p * (1 - p), 1e-12) / n);
    CHECK(std::abs(sum / n - x) <= 5 * sd + 1.0 / 131072);  // + the 2^-17 grid bias of the real form
  }
}

// The reference policy and the kernels agree: a run of kernel calls with dithers from
// take_dither(ars_rng&) equals the same elements rounded by round::stochastic<ars_rng>
// through the reference's formula, element by element.
TEST_CASE("kernel calls in stochastic_ars mode consume the ars_rng stream like the reference policy") {
  using kernels::rounding_mode;
  ars_rng a(21, 3), b(21, 3);
  std::vector<float> x(200);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.37f * static_cast<float>(i) - 30.1f;
  std::vector<std::int8_t> q(x.size());
  const auto s = kernels::take_dither(a, rounding_mode::stochastic_ars, x.size());
  CHECK(s.first % 4 == 0);
  kernels::best().quantize_i8(x.data(), x.size(), 1.0f, q.data(), rounding_mode::stochastic_ars, s);
  b.seek(s.first);
  round::stochastic<ars_rng> sr(b);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(q[i] == static_cast<std::int8_t>(sr.real(x[i])));
}
