// Buckwild! update kernels: SIMD equals the scalar reference, updates are
// unbiased (statistical tests with tolerances from the variance), nearest
// rounding stalls, shared randomness is really shared, saturation is counted.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "lowp/kernels/packed.hpp"
#include "lowp/kernels/race.hpp"
#include "lowp/solvers/buckwild/detail/avx512.hpp"
#include "lowp/solvers/buckwild/detail/kernels.hpp"
#include "test_support.hpp"

using namespace lowp;
namespace bw = lowp::detail::bw;

namespace {

std::vector<std::int8_t> random_i8(counter_rng& r, std::size_t n, int lo, int hi) {
  std::vector<std::int8_t> v(n);
  for (auto& x : v) x = static_cast<std::int8_t>(lo + static_cast<int>(r.next_u32() % static_cast<unsigned>(hi - lo + 1)));
  return v;
}

// Mean and variance of the per-coordinate increments d_j over K updates of a
// model reset to `w0` each time.
template <class D, class M, class Dither>
void increments(const std::vector<D>& x, double C0, std::size_t K, std::uint64_t seed, std::vector<double>& mean,
                std::vector<double>& var, M w0 = M(0)) {
  const std::size_t n = x.size();
  bw::dither_lanes L;
  L.seed(counter_rng(seed, 1));
  counter_rng coeff(seed, 2);
  std::vector<double> s1(n, 0.0), s2(n, 0.0);
  std::vector<M> w(n);
  for (std::size_t k = 0; k < K; ++k) {
    std::fill(w.begin(), w.end(), w0);
    std::uint64_t sat = 0;
    bw::update_row<race::atomic_relaxed, Dither>(w.data(), nullptr, x.data(), n, C0, L, coeff.next_u32() >> 16, sat);
    for (std::size_t j = 0; j < n; ++j) {
      const double d = static_cast<double>(w[j]) - static_cast<double>(w0);
      s1[j] += d;
      s2[j] += d * d;
    }
  }
  mean.resize(n);
  var.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    mean[j] = s1[j] / static_cast<double>(K);
    var[j] = s2[j] / static_cast<double>(K) - mean[j] * mean[j];
  }
}

}  // namespace

TEST_CASE("buckwild AVX-512 D8M8 update equals the scalar reference") {
  if (!bw::has_avx512bw()) {
    MESSAGE("skipped: this CPU has no AVX-512BW");
    return;
  }
  counter_rng r(lowp_test::seed(), 77);
  for (int shared = 0; shared < 2; ++shared) {
    for (std::size_t chunks : {1u, 2u, 3u, 7u, 20u}) {
      for (int trial = 0; trial < 40; ++trial) {
        const std::size_t n = 64 * chunks;
        const auto x = random_i8(r, n, -127, 127);
        // Some trials start near the rails so clamps happen.
        auto w = trial % 4 == 0 ? random_i8(r, n, 100, 127) : random_i8(r, n, -127, 127);
        auto w_ref = w;
        const std::int32_t c = static_cast<std::int32_t>(r.next_u32() % 511) - 255;
        bw::step_coefficient s{c, 8, 8, false};
        bw::dither_lanes L1, L2;
        L1.seed(counter_rng(r.next_u32(), 5));
        L2 = L1;
        std::uint64_t sat_ref = 0;
        // The reference loop, element by element, with the same block walk.
        if (shared) {
          bw::dither_walk<dither::shared> walk(L1, 64);
          for (std::size_t j = 0; j < n; ++j) {
            const std::size_t pos = walk.at(j);
            w_ref[j] = bw::int_update<std::int8_t>(w_ref[j], x[j], s, bw::byte_of(L1, pos, walk.rot), sat_ref);
          }
        } else {
          bw::dither_walk<dither::independent> walk(L1, 64);
          for (std::size_t j = 0; j < n; ++j) {
            const std::size_t pos = walk.at(j);
            w_ref[j] = bw::int_update<std::int8_t>(w_ref[j], x[j], s, bw::byte_of(L1, pos, walk.rot), sat_ref);
          }
        }
        const std::uint64_t sat = bw::update_d8m8_avx512(w.data(), x.data(), chunks, c, L2, shared != 0);
        REQUIRE(sat == sat_ref);
        for (std::size_t j = 0; j < n; ++j) REQUIRE(int(w[j]) == int(w_ref[j]));
        for (int l = 0; l < 16; ++l) REQUIRE(L1.s[l] == L2.s[l]);
        for (std::size_t j = 0; j < n; ++j) REQUIRE(int(w[j]) != -128);
      }
    }
  }
}

// The fused loop (update row x, then the margin of the next row on the updated model, in one
// pass) must equal the scalar update followed by the exact int64 dot, bit for bit, through
// both chunk access policies; 520 and 2400 chunks exercise the accumulator flush (every 512),
// rows at the extremes (x = 127 against w = -127) the int32 bounds.
TEST_CASE("buckwild fused D8M8 update and next margin equal the scalar reference") {
  if (!bw::has_avx512vnni()) {
    MESSAGE("skipped: this CPU has no AVX-512 VNNI");
    return;
  }
  counter_rng r(lowp_test::seed(), 79);
  auto run = [&](auto access, int shared, std::size_t chunks, int trial) {
    using A = decltype(access);
    const std::size_t n = 64 * chunks;
    auto x = random_i8(r, n, -127, 127);
    auto xn = random_i8(r, n, -127, 127);
    auto w = trial % 4 == 0 ? random_i8(r, n, 100, 127) : random_i8(r, n, -127, 127);
    if (trial % 5 == 1) {  // extremes: the largest dot magnitude
      std::fill(xn.begin(), xn.end(), std::int8_t(127));
      std::fill(w.begin(), w.end(), std::int8_t(-127));
    }
    std::vector<std::int8_t, aligned_allocator<std::int8_t>> wa(w.begin(), w.end());
    auto w_ref = w;
    // c = 0 for the extremes too, so the model stays at -127 and the dot at its largest.
    const std::int32_t c =
        trial % 7 == 3 || trial % 5 == 1 ? 0 : static_cast<std::int32_t>(r.next_u32() % 511) - 255;
    bw::dither_lanes L1, L2;
    L1.seed(counter_rng(r.next_u32(), 5));
    L2 = L1;
    std::uint64_t sat_ref = 0, sat = 0;
    if (c != 0) sat_ref = bw::update_d8m8_avx512(w_ref.data(), x.data(), chunks, c, L1, shared != 0);
    std::int64_t dot_ref = 0;
    for (std::size_t j = 0; j < n; ++j) dot_ref += std::int64_t(xn[j]) * std::int64_t(w_ref[j]);
    const std::int64_t dot =
        bw::update_dot_d8m8<A>(wa.data(), x.data(), c, xn.data(), x.data(), chunks, L2, shared != 0, sat);
    REQUIRE(dot == dot_ref);
    REQUIRE(sat == sat_ref);
    for (std::size_t j = 0; j < n; ++j) REQUIRE(int(wa[j]) == int(w_ref[j]));
    for (int l = 0; l < 16; ++l) REQUIRE(L1.s[l] == L2.s[l]);
    // Without a next row: the update alone.
    std::uint64_t sat2 = 0;
    bw::dither_lanes L3 = L1;
    auto w2 = wa;
    auto w2_ref = w_ref;
    if (c != 0) bw::update_d8m8_avx512(w2_ref.data(), x.data(), chunks, c, L1, shared != 0);
    REQUIRE(bw::update_dot_d8m8<A>(w2.data(), x.data(), c, nullptr, nullptr, chunks, L3, shared != 0, sat2) == 0);
    for (std::size_t j = 0; j < n; ++j) REQUIRE(int(w2[j]) == int(w2_ref[j]));
  };
  for (int shared = 0; shared < 2; ++shared)
    // 2400 chunks at the extremes: |x.w| = 2400 * 64 * 127^2 > 2^31, so an int32 total without
    // the flush would wrap (trials 0 and 1 only: rails and extremes).
    for (std::size_t chunks : {1u, 3u, 4u, 9u, 520u, 2400u})
      for (int trial = 0; trial < (chunks > 1000 ? 2 : chunks > 100 ? 5 : 12); ++trial) {
        run(bw::plain_chunks{}, shared, chunks, trial);
        run(bw::relaxed_chunks{}, shared, chunks, trial);
      }
}

TEST_CASE("buckwild AVX-512 int16-model update equals the scalar reference") {
  if (!bw::has_avx512bw()) {
    MESSAGE("skipped: this CPU has no AVX-512BW");
    return;
  }
  counter_rng r(lowp_test::seed(), 78);
  auto run = [&](auto tag, int shared) {
    using D = decltype(tag);
    for (std::size_t chunks : {1u, 2u, 5u}) {
      for (int trial = 0; trial < 60; ++trial) {
        const std::size_t n = 32 * chunks;
        std::vector<D> x(n);
        std::vector<std::int16_t> w(n);
        for (auto& v : x) v = static_cast<D>(static_cast<int>(r.next_u32() % 255) - 127) ;
        if constexpr (sizeof(D) == 2)
          for (auto& v : x) v = static_cast<D>(v * 250);
        for (auto& v : w) v = static_cast<std::int16_t>(static_cast<int>(r.next_u32() % 65535) - 32767);
        auto w_ref = w;
        // C0 = m 2^e, |m| <= 1, e in [-16, 15], so k takes every value in [0, 16].
        const double C0 = std::ldexp(static_cast<double>(r.next_u32() % 2001) / 1000.0 - 1.0,
                                     static_cast<int>(r.next_u32() % 32) - 16);
        bw::dither_lanes L1, L2;
        L1.seed(counter_rng(r.next_u32(), 5));
        L2 = L1;
        std::uint64_t sat_ref = 0;
        const std::uint32_t cd = r.next_u32() >> 16;
        if (shared)
          bw::update_row<race::atomic_relaxed, dither::shared>(w_ref.data(), nullptr, x.data(), n, C0, L1, cd, sat_ref);
        else
          bw::update_row<race::atomic_relaxed, dither::independent>(w_ref.data(), nullptr, x.data(), n, C0, L1, cd,
                                                                    sat_ref);
        const auto s = shared ? bw::make_coefficient<D, std::int16_t, dither::shared>(C0, cd)
                              : bw::make_coefficient<D, std::int16_t, dither::independent>(C0, cd);
        std::uint64_t sat = s.clipped ? 1 : 0;
        if (s.c != 0) sat += bw::update_m16_avx512<D>(w.data(), x.data(), chunks, s.c, s.k, L2, shared != 0);
        CAPTURE(C0);
        REQUIRE(sat == sat_ref);
        for (std::size_t j = 0; j < n; ++j) REQUIRE(int(w[j]) == int(w_ref[j]));
        for (int l = 0; l < 16; ++l) REQUIRE(L1.s[l] == L2.s[l]);
      }
    }
  };
  for (int shared = 0; shared < 2; ++shared) {
    run(std::int8_t{}, shared);
    run(std::int16_t{}, shared);
  }
}

// The D8M16 fused loop (update of row x by the int16-model kernel, then the exact margin of
// the next row on the updated model) must equal update_m16_avx512 followed by the int64 dot,
// bit for bit: the same model, clamps, dither state and margin, for k on both sides of the
// 16-bit form's range (k >= 8) and for both dither policies. 600 chunks cross the accumulator
// flush (every 512 chunks); the extremes (x = 127 against w = -32767, c = 0) give the largest
// margin, |x.w| = 600 * 32 * 127 * 32767 > 2^36.
TEST_CASE("buckwild fused D8M16 update and next margin equal the int16-model kernel and the exact dot") {
  if (!bw::has_avx512vnni()) {
    MESSAGE("skipped: this CPU has no AVX-512 VNNI");
    return;
  }
  counter_rng r(lowp_test::seed(), 80);
  auto run = [&](auto access, int shared, std::size_t chunks, int trial) {
        using A = decltype(access);
        const std::size_t n = 32 * chunks;
        auto x = random_i8(r, n, -127, 127);
        auto xn = random_i8(r, n, -127, 127);
        std::vector<std::int16_t, aligned_allocator<std::int16_t>> w(n);
        for (auto& v : w)
          v = static_cast<std::int16_t>(trial % 4 == 0 ? 32000 + static_cast<int>(r.next_u32() % 768)
                                                       : static_cast<int>(r.next_u32() % 65535) - 32767);
        const bool extremes = trial % 5 == 1;
        if (extremes) {
          std::fill(xn.begin(), xn.end(), std::int8_t(127));
          std::fill(w.begin(), w.end(), std::int16_t(-32767));
        }
        // C0 = m 2^e, |m| <= 1, e in [-16, 15]: k from 0 to 16 (the wide and the narrow form).
        const double C0 = std::ldexp(static_cast<double>(r.next_u32() % 2001) / 1000.0 - 1.0,
                                     static_cast<int>(r.next_u32() % 32) - 16);
        const auto s = bw::make_coefficient<std::int8_t, std::int16_t, dither::independent>(C0, r.next_u32() >> 16);
        const std::int32_t c = extremes || trial % 7 == 3 ? 0 : s.c;
        auto w_ref = w;
        bw::dither_lanes L1, L2;
        L1.seed(counter_rng(r.next_u32(), 5));
        L2 = L1;
        std::uint64_t sat_ref = 0, sat = 0;
        if (c != 0) sat_ref = bw::update_m16_avx512<std::int8_t>(w_ref.data(), x.data(), chunks, c, s.k, L1, shared != 0);
        std::int64_t dot_ref = 0;
        for (std::size_t j = 0; j < n; ++j) dot_ref += std::int64_t(xn[j]) * std::int64_t(w_ref[j]);
        CAPTURE(C0);
        CAPTURE(s.k);
        const std::int64_t dot =
            bw::update_dot_d8m16<A>(w.data(), x.data(), c, s.k, xn.data(), x.data(), chunks, L2, shared != 0, sat);
        REQUIRE(dot == dot_ref);
        REQUIRE(sat == sat_ref);
        for (std::size_t j = 0; j < n; ++j) REQUIRE(int(w[j]) == int(w_ref[j]));
        for (int l = 0; l < 16; ++l) REQUIRE(L1.s[l] == L2.s[l]);
        // Without a next row: the update alone, and the dither state advanced alike.
        auto w2 = w;
        auto w2_ref = w_ref;
        std::uint64_t sat2 = 0;
        if (c != 0) bw::update_m16_avx512<std::int8_t>(w2_ref.data(), x.data(), chunks, c, s.k, L1, shared != 0);
        REQUIRE(bw::update_dot_d8m16<A>(w2.data(), x.data(), c, s.k, nullptr, nullptr, chunks, L2, shared != 0, sat2) == 0);
        for (std::size_t j = 0; j < n; ++j) REQUIRE(int(w2[j]) == int(w2_ref[j]));
        for (int l = 0; l < 16; ++l) REQUIRE(L1.s[l] == L2.s[l]);
  };
  for (int shared = 0; shared < 2; ++shared)
    for (std::size_t chunks : {1u, 2u, 5u, 25u, 600u})
      for (int trial = 0; trial < (chunks > 100 ? 6 : 40); ++trial) {
        run(bw::plain_chunks{}, shared, chunks, trial);
        run(bw::relaxed_chunks{}, shared, chunks, trial);
      }
}

// d_j = (c x_j + r_j) >> k with c = SR(C0 2^k) is unbiased: E[d_j] = C0 x_j.
// Variance (total variance over c and r): Var = E[p(1-p)] + Var(c) x^2 / 4^k
// <= 1/4 + x^2 / (4 * 4^k), so the mean of K draws is within
// 5 sigma / sqrt(K) of C0 x_j except with probability ~6e-7 per coordinate.
TEST_CASE("buckwild updates are unbiased for every precision pair and dither policy") {
  const std::size_t K = 1u << 15;
  const std::vector<std::int8_t> x8{1, -1, 3, -7, 64, -64, 127, -127, 0, 5, 100, -33};
  std::vector<std::int16_t> x16;
  std::vector<float> xf;
  for (auto v : x8) x16.push_back(static_cast<std::int16_t>(v * 200)), xf.push_back(static_cast<float>(v) * 0.01f);
  // Fractional parts spread over [0, 1) and both signs.
  for (double C0 : {0.3 / 127.0, -0.37, 0.001953125, -0.0123, 0.5 + 1.0 / 256}) {
    CAPTURE(C0);
    auto check = [&](const auto& x, const std::vector<double>& mean, double k_bits, double xscale) {
      for (std::size_t j = 0; j < x.size(); ++j) {
        const double xv = static_cast<double>(x[j]);
        const double expect = C0 * xv;
        const double sigma = std::sqrt(0.25 + xv * xv / (4.0 * std::pow(4.0, k_bits)) + 1e-12);
        CAPTURE(j);
        CAPTURE(xscale);
        CHECK(std::abs(mean[j] - expect) <= 5.0 * sigma / std::sqrt(double(K)) + 1e-12);
      }
    };
    std::vector<double> mean, var;
    increments<std::int8_t, std::int8_t, dither::independent>(x8, C0, K, 11, mean, var);
    check(x8, mean, 8, 1);
    increments<std::int8_t, std::int8_t, dither::shared>(x8, C0, K, 12, mean, var);
    check(x8, mean, 8, 1);
    increments<std::int8_t, std::int16_t, dither::independent>(x8, C0, K, 13, mean, var);
    check(x8, mean, 0, 1);  // k varies: the bound with k = 0 is looser and still valid
    const double C16 = C0 / 200.0;
    std::vector<std::int16_t> xx = x16;
    increments<std::int16_t, std::int16_t, dither::independent>(xx, C16, K, 14, mean, var);
    for (std::size_t j = 0; j < xx.size(); ++j) {
      // k >= 15 here (|C16| 2^15 < 32767), so Var <= 1/4 + x^2 / (4 * 4^15).
      const double sigma = std::sqrt(0.25 + double(xx[j]) * double(xx[j]) / (4.0 * std::pow(4.0, 15)));
      CHECK(std::abs(mean[j] - C16 * double(xx[j])) <= 5.0 * sigma / std::sqrt(double(K)));
    }
    // Float data, int8 model: the real form (exact on the 2^-16 grid, bias < 2^-17).
    const double Cf = C0 * 100.0;
    increments<float, std::int8_t, dither::independent>(xf, Cf, K, 15, mean, var);
    for (std::size_t j = 0; j < xf.size(); ++j) {
      const double expect = static_cast<double>(static_cast<float>(Cf) * xf[j]);
      CHECK(std::abs(mean[j] - expect) <= 5.0 * 0.5 / std::sqrt(double(K)) + std::ldexp(1.0, -17));
    }
  }
}

// The int8 model's L2 decay (decay_i8, an update with the model as its own data) must be
// unbiased: E[w'] = factor w. Per trial the increment is c w / 2^8 rounded with a dither, c
// itself SR(-(1-factor) 2^8): Var <= 1/4 + w^2 / (4 * 4^8) as for any k = 8 update (the bound
// used above), so the mean of K trials is within 5 sigma / sqrt(K) of (factor - 1) w. Also
// through the fused AVX-512 kernel (x == w), which must give the same bits.
TEST_CASE("buckwild int8 model decay is unbiased and the fused kernel matches it") {
  const std::vector<std::int8_t> w0{127, -127, 100, -57, 3, -1, 0, 64, 33, -90};
  const std::size_t n = 64, K = 1 << 15;
  for (double factor : {0.999, 0.99, 0.9, 0.5}) {
    CAPTURE(factor);
    bw::dither_lanes L, L2;
    L.seed(counter_rng(21, 1));
    L2 = L;
    counter_rng coeff(21, 2);
    std::vector<double> sum(n, 0.0);
    std::vector<std::int8_t> w(n), copy(n), w2v;
    for (std::size_t k = 0; k < K; ++k) {
      for (std::size_t j = 0; j < n; ++j) w[j] = w0[j % w0.size()];
      const std::uint32_t cd = coeff.next_u32() >> 16;
      std::uint64_t sat = 0;
      REQUIRE(bw::decay_i8<race::atomic_relaxed, dither::independent>(w.data(), n, factor, L, cd, copy.data(), sat));
      REQUIRE(sat == 0);
      for (std::size_t j = 0; j < n; ++j) sum[j] += static_cast<double>(w[j]) - static_cast<double>(w0[j % w0.size()]);
      if (k < 64 && bw::has_avx512vnni()) {
        std::vector<std::int8_t, aligned_allocator<std::int8_t>> wa(n);
        for (std::size_t j = 0; j < n; ++j) wa[j] = w0[j % w0.size()];
        const auto s = bw::make_coefficient<std::int8_t, std::int8_t, dither::independent>(factor - 1.0, cd);
        std::uint64_t sat2 = 0;
        bw::update_dot_d8m8<bw::relaxed_chunks>(wa.data(), wa.data(), s.c, nullptr, nullptr, 1, L2, false, sat2);
        for (std::size_t j = 0; j < n; ++j) REQUIRE(int(wa[j]) == int(w[j]));
        for (int l = 0; l < 16; ++l) REQUIRE(L.s[l] == L2.s[l]);
      } else {
        L2 = L;
      }
    }
    for (std::size_t j = 0; j < w0.size(); ++j) {
      const double wj = w0[j];
      const double sigma = std::sqrt(0.25 + wj * wj / (4.0 * 65536.0));
      CAPTURE(j);
      CHECK(std::abs(sum[j] / double(K) - (factor - 1.0) * wj) <= 5.0 * sigma / std::sqrt(double(K)));
    }
  }
  // A factor below 1/256 is out of the int8 form's range: refused (the solver then decays
  // element by element).
  std::vector<std::int8_t> w(8, 10), copy(8);
  bw::dither_lanes L;
  L.seed(counter_rng(1, 1));
  std::uint64_t sat = 0;
  CHECK_FALSE(bw::decay_i8<race::atomic_relaxed, dither::independent>(w.data(), 8, 1e-3, L, 0, copy.data(), sat));
}

// Spec 9.2: adding 0.3 quanta M times. SR: mean 0.3 M +- 5 sigma (sigma^2 = M
// 0.21 for independent steps); nearest: the model never moves.
TEST_CASE("buckwild nearest rounding stalls on small steps where stochastic rounding does not") {
  const std::size_t M = 2000, n = 64;
  const std::vector<std::int8_t> x(n, 1);
  const double C0 = 0.3;  // 0.3 quanta per step on every coordinate
  for (int pass = 0; pass < 2; ++pass) {
    bw::dither_lanes L;
    L.seed(counter_rng(3, 1));
    counter_rng coeff(3, 2);
    std::vector<std::int16_t> w(n, 0);  // int16 so 0.3 * 2000 = 600 fits
    std::uint64_t sat = 0;
    for (std::size_t t = 0; t < M; ++t) {
      if (pass == 0)
        bw::update_row<race::atomic_relaxed, dither::independent>(w.data(), nullptr, x.data(), n, C0, L,
                                                                  coeff.next_u32() >> 16, sat);
      else
        bw::update_row<race::atomic_relaxed, dither::nearest>(w.data(), nullptr, x.data(), n, C0, L,
                                                              coeff.next_u32() >> 16, sat);
    }
    CHECK(sat == 0);
    double mean = 0.0;
    for (auto v : w) mean += v;
    mean /= double(n);
    if (pass == 0) {
      // Each coordinate: sum of M increments of variance <= 1/4 (+ the c rounding term, x = 1: 1/4^16),
      // and the mean over n coordinates has sigma <= sqrt(M / 4 / n).
      CHECK(std::abs(mean - 0.3 * M) <= 5.0 * std::sqrt(double(M) * 0.25 / double(n)));
    } else {
      for (auto v : w) CHECK(v == 0);
    }
  }
}

// Spec 9.3: coordinates of different chunks that reuse a dither are
// correlated (> 0.9) under `shared`, and not (|rho| < 5/sqrt(K)) under `independent`.
TEST_CASE("buckwild shared randomness correlates coordinates and independent does not") {
  const std::size_t K = 1u << 15, n = 128;
  const std::vector<std::int8_t> x(n, 1);
  const double C0 = 0.5 / 1.0;  // p = 1/2 per coordinate: maximal variance
  for (int shared = 0; shared < 2; ++shared) {
    bw::dither_lanes L;
    L.seed(counter_rng(9, 1));
    counter_rng coeff(9, 2);
    // element 0 (chunk 0, byte 0) and element 64 + 60 (chunk 1, lane-rotated: byte 0 again)
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    std::vector<std::int8_t> w(n);
    for (std::size_t k = 0; k < K; ++k) {
      std::fill(w.begin(), w.end(), std::int8_t(0));
      std::uint64_t sat = 0;
      if (shared)
        bw::update_row<race::atomic_relaxed, dither::shared>(w.data(), nullptr, x.data(), n, C0, L,
                                                             coeff.next_u32() >> 16, sat);
      else
        bw::update_row<race::atomic_relaxed, dither::independent>(w.data(), nullptr, x.data(), n, C0, L,
                                                                  coeff.next_u32() >> 16, sat);
      const double a = w[0], b = w[124];
      sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b;
    }
    const double Kd = double(K);
    const double cov = sab / Kd - (sa / Kd) * (sb / Kd);
    const double rho = cov / std::sqrt((saa / Kd - sa * sa / Kd / Kd) * (sbb / Kd - sb * sb / Kd / Kd));
    CAPTURE(rho);
    if (shared) CHECK(rho > 0.9);
    else CHECK(std::abs(rho) < 5.0 / std::sqrt(Kd));
    CHECK(std::abs(sa / Kd - 0.5) < 5.0 * 0.5 / std::sqrt(Kd));  // still unbiased
  }
}

TEST_CASE("buckwild saturation clamps symmetrically and is counted") {
  const std::size_t n = 64;
  std::vector<std::int8_t> x(n, 127), w(n, 120);
  bw::dither_lanes L;
  L.seed(counter_rng(1, 1));
  std::uint64_t sat = 0;
  bw::update_row<race::atomic_relaxed, dither::independent>(w.data(), nullptr, x.data(), n, 0.5, L, 0, sat);
  CHECK(sat == n);
  for (auto v : w) CHECK(int(v) == 127);
  sat = 0;
  std::fill(w.begin(), w.end(), std::int8_t(-120));
  bw::update_row<race::atomic_relaxed, dither::independent>(w.data(), nullptr, x.data(), n, -5.0, L, 0, sat);
  // C0 = -5 quanta per unit is beyond the D8M8 multiplier range: clipped (counted once), then every write clamps.
  CHECK(sat == n + 1);
  for (auto v : w) CHECK(int(v) == -127);
  std::vector<std::int16_t> w16(n, 32000);
  sat = 0;
  bw::update_row<race::atomic_relaxed, dither::independent>(w16.data(), nullptr, x.data(), n, 100.0, L, 0, sat);
  CHECK(sat == n);
  for (auto v : w16) CHECK(int(v) == 32767);
}
