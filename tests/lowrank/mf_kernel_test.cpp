// The fixed-point inner loop of mf_sgd (solvers/lowrank/detail/mf_kernel.hpp):
// the AVX-512 loop and the scalar reference must give the same bits (rows,
// squared-gradient lanes, saturation counts, returned position) on random
// inputs, int8 and int16, stochastic and nearest, part lengths that are and
// are not multiples of 16, including increments that saturate and NaN.
// The fused whole-rating update mf_sgd runs (both AdaGrad parts in one pass)
// must equal the two-part reference the same way, for N = 1 and 2 ratings.
// This file is compiled with AVX-512 flags when the compiler has them; the
// comparison runs when the CPU has AVX-512 BW/VL (otherwise the test says so).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "lowp/quantize/rng.hpp"
#include "lowp/solvers/lowrank/detail/mf_kernel.hpp"

using namespace lowp;
namespace lrd = lowp::lowrank::detail;

namespace {
template <class Rep, bool Stochastic>
void compare_once(counter_rng& g, std::size_t k, std::size_t d0, std::size_t d1, float scale, bool nan) {
  const float qmax = sizeof(Rep) == 1 ? 127.0f : 32767.0f;
  std::vector<Rep> p(k), q(k);
  std::vector<float> po(k);
  for (std::size_t i = 0; i < k; ++i) {
    p[i] = static_cast<Rep>(static_cast<int>(g.next_u32() % (2 * unsigned(qmax) + 1)) - int(qmax));
    q[i] = static_cast<Rep>(static_cast<int>(g.next_u32() % (2 * unsigned(qmax) + 1)) - int(qmax));
    po[i] = static_cast<float>(p[i]);
  }
  auto u = [&] { return (g.next_float() * 2.0f - 1.0f) * scale; };
  lrd::mf_fixed_coefs cf{u(), -g.next_float() * 0.1f, u(), -g.next_float() * 0.1f, g.next_float(), u(),
                         g.next_float(), u(), qmax};
  if (nan) cf.ap = std::numeric_limits<float>::quiet_NaN();
  const rng_key key = counter_rng(g.next_u32(), 7).key();
  // Counters near a 2^32 boundary exercise the carry into the high word.
  const std::uint64_t c0 = (g.next_u32() & 1) ? (std::uint64_t(5) << 32) - 20 : g.next_u32();
  std::vector<Rep> p1 = p, q1 = q, p2 = p, q2 = q;
  float gp1[8], gq1[8], gp2[8], gq2[8];
  for (int j = 0; j < 8; ++j) {
    gp1[j] = gp2[j] = g.next_float();
    gq1[j] = gq2[j] = g.next_float();
  }
  std::uint32_t sp1 = 0, sq1 = 0, sp2 = 0, sq2 = 0;
  const std::size_t e1 = lrd::mf_part_fixed_scalar<Rep, Stochastic>(p1.data(), q1.data(), po.data(), d0, d1, cf,
                                                                    key, c0, gp1, gq1, sp1, sq1);
  const std::size_t e2 = lrd::mf_part_fixed_avx512<Rep, Stochastic>(p2.data(), q2.data(), po.data(), d0, d1, cf,
                                                                    key, c0, gp2, gq2, sp2, sq2);
  CHECK(e1 == e2);
  CHECK(e1 == d0 + (d1 - d0) / 8 * 8);
  CHECK(p1 == p2);
  CHECK(q1 == q2);
  CHECK(std::memcmp(gp1, gp2, sizeof gp1) == 0);
  CHECK(std::memcmp(gq1, gq2, sizeof gq1) == 0);
  CHECK(sp1 == sp2);
  CHECK(sq1 == sq2);
  if (nan) CHECK(sp1 == (d1 - d0) / 8 * 8);  // NaN increments saturate, counted
}

void compare_float(counter_rng& g, std::size_t k, std::size_t d0, std::size_t d1) {
  std::vector<float> p(k), q(k);
  for (auto& x : p) x = g.next_float() - 0.5f;
  for (auto& x : q) x = g.next_float() - 0.5f;
  const std::vector<float> po = p;
  std::vector<float> p1 = p, q1 = q, p2 = p, q2 = q;
  float gp1[8], gq1[8], gp2[8], gq2[8];
  for (int j = 0; j < 8; ++j) {
    gp1[j] = gp2[j] = g.next_float();
    gq1[j] = gq2[j] = g.next_float();
  }
  const float lambda = g.next_float() * 0.1f, e = g.next_float() * 4 - 2, ep = g.next_float(), eq = g.next_float();
  const std::size_t e1 = lrd::mf_part_float_scalar(p1.data(), q1.data(), po.data(), d0, d1, lambda, e, ep, eq, gp1, gq1);
  const std::size_t e2 = lrd::mf_part_float_avx512(p2.data(), q2.data(), po.data(), d0, d1, lambda, e, ep, eq, gp2, gq2);
  CHECK(e1 == e2);
  CHECK(std::memcmp(p1.data(), p2.data(), k * sizeof(float)) == 0);
  CHECK(std::memcmp(q1.data(), q2.data(), k * sizeof(float)) == 0);
  CHECK(std::memcmp(gp1, gp2, sizeof gp1) == 0);
  CHECK(std::memcmp(gq1, gq2, sizeof gq1) == 0);
  CHECK(p1 != p);  // the loop did update
}

// The fused whole-rating update (mf_update_fixed_avx512_n, N = 1 and 2)
// against the two-part reference mf_rate_fixed_scalar: rows, G/H pairs, e,
// saturation counts. e_scale 1e4 makes most increments saturate; nan_r puts
// a NaN rating in (e = NaN: every element saturates, counted alike).
template <class Rep, bool Stochastic>
void compare_fused(counter_rng& g, std::size_t k, std::size_t s, bool slow_only, bool adagrad, float e_scale,
                   bool nan_r) {
  const int qm = sizeof(Rep) == 1 ? 127 : 32767;
  const lrd::mf_update_params up{0.05f + g.next_float() * 0.2f, g.next_float() * 0.1f,
                                 (0.5f + g.next_float()) / float(qm), (0.5f + g.next_float()) / float(qm),
                                 float(qm), adagrad, k, s, slow_only};
  const rng_key key = counter_rng(g.next_u32(), 9).key();
  constexpr int N = 2;
  std::vector<Rep> P(N * k), Q(N * k);
  for (auto& x : P) x = static_cast<Rep>(static_cast<int>(g.next_u32() % (2 * unsigned(qm) + 1)) - qm);
  for (auto& x : Q) x = static_cast<Rep>(static_cast<int>(g.next_u32() % (2 * unsigned(qm) + 1)) - qm);
  std::vector<float> G(2 * N), H(2 * N), po(k);
  for (auto& x : G) x = 1.0f + 3.0f * g.next_float();
  for (auto& x : H) x = 1.0f + 3.0f * g.next_float();
  float r[N], off[N];
  for (int t = 0; t < N; ++t) {
    r[t] = (g.next_float() * 2 - 1) * e_scale;
    off[t] = g.next_float() - 0.5f;
  }
  if (nan_r) r[1] = std::numeric_limits<float>::quiet_NaN();
  const std::uint64_t c0 = (g.next_u32() & 1) ? (std::uint64_t(3) << 32) - 40 : g.next_u32();
  auto jobs = [&](std::vector<Rep>& Pw, std::vector<Rep>& Qw, std::vector<float>& Gw, std::vector<float>& Hw) {
    std::vector<lrd::mf_job<Rep>> j(N);
    for (int t = 0; t < N; ++t)
      j[std::size_t(t)] = lrd::mf_job<Rep>{Pw.data() + t * k, Qw.data() + t * k, Gw.data() + 2 * t, Hw.data() + 2 * t,
                                           r[t], off[t], c0 + std::uint64_t(t) * k, 0.0f, po.data()};
    return j;
  };
  // Reference: one rating after the other.
  auto P1 = P, Q1 = Q;
  auto G1 = G, H1 = H;
  auto j1 = jobs(P1, Q1, G1, H1);
  std::uint32_t sp1 = 0, sq1 = 0;
  for (auto& j : j1) lrd::mf_rate_fixed_scalar<Rep, Stochastic>(j, up, key, sp1, sq1);
  // Fused, one at a time and both at once.
  for (int n : {1, 2}) {
    auto P2 = P, Q2 = Q;
    auto G2 = G, H2 = H;
    auto j2 = jobs(P2, Q2, G2, H2);
    std::uint32_t sp2 = 0, sq2 = 0;
    if (n == 1) {
      lrd::mf_update_fixed_avx512_n<Rep, Stochastic, 1>(&j2[0], up, key, sp2, sq2);
      lrd::mf_update_fixed_avx512_n<Rep, Stochastic, 1>(&j2[1], up, key, sp2, sq2);
    } else {
      lrd::mf_update_fixed_avx512_n<Rep, Stochastic, 2>(j2.data(), up, key, sp2, sq2);
    }
    CHECK(P1 == P2);
    CHECK(Q1 == Q2);
    CHECK(std::memcmp(G1.data(), G2.data(), G1.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(H1.data(), H2.data(), H1.size() * sizeof(float)) == 0);
    for (int t = 0; t < N; ++t) CHECK(std::memcmp(&j1[std::size_t(t)].e, &j2[std::size_t(t)].e, sizeof(float)) == 0);
    CHECK(sp1 == sp2);
    CHECK(sq1 == sq2);
  }
  CHECK(P1 != P);  // the update did something
  if (nan_r) CHECK(sp1 >= (slow_only ? s : k));
}

// The same for float factors (mf_update_float_avx512_n against mf_rate_float_scalar).
void compare_fused_float(counter_rng& g, std::size_t k, std::size_t s, bool slow_only, bool adagrad, bool nan_r) {
  const lrd::mf_update_params up{0.05f + g.next_float() * 0.2f, g.next_float() * 0.1f, 1.0f, 1.0f, 0.0f,
                                 adagrad, k, s, slow_only};
  constexpr int N = 2;
  std::vector<float> P(N * k), Q(N * k), G(2 * N), H(2 * N), po(k);
  for (auto& x : P) x = g.next_float() - 0.5f;
  for (auto& x : Q) x = g.next_float() - 0.5f;
  for (auto& x : G) x = 1.0f + 3.0f * g.next_float();
  for (auto& x : H) x = 1.0f + 3.0f * g.next_float();
  float r[N] = {g.next_float() * 4 - 2, g.next_float() * 4 - 2}, off[N] = {g.next_float() - 0.5f, 0.0f};
  if (nan_r) r[1] = std::numeric_limits<float>::quiet_NaN();
  auto jobs = [&](std::vector<float>& Pw, std::vector<float>& Qw, std::vector<float>& Gw, std::vector<float>& Hw) {
    std::vector<lrd::mf_job<float>> j(N);
    for (int t = 0; t < N; ++t)
      j[std::size_t(t)] = lrd::mf_job<float>{Pw.data() + t * k, Qw.data() + t * k, Gw.data() + 2 * t,
                                             Hw.data() + 2 * t, r[t], off[t], 0, 0.0f, po.data()};
    return j;
  };
  auto P1 = P, Q1 = Q, G1 = G, H1 = H;
  auto j1 = jobs(P1, Q1, G1, H1);
  for (auto& j : j1) lrd::mf_rate_float_scalar(j, up);
  for (int n : {1, 2}) {
    auto P2 = P, Q2 = Q, G2 = G, H2 = H;
    auto j2 = jobs(P2, Q2, G2, H2);
    if (n == 1) {
      lrd::mf_update_float_avx512_n<1>(&j2[0], up);
      lrd::mf_update_float_avx512_n<1>(&j2[1], up);
    } else {
      lrd::mf_update_float_avx512_n<2>(j2.data(), up);
    }
    CHECK(std::memcmp(P1.data(), P2.data(), P1.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(Q1.data(), Q2.data(), Q1.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(G1.data(), G2.data(), G1.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(H1.data(), H2.data(), H1.size() * sizeof(float)) == 0);
    for (int t = 0; t < N; ++t) CHECK(std::memcmp(&j1[std::size_t(t)].e, &j2[std::size_t(t)].e, sizeof(float)) == 0);
  }
  CHECK(std::memcmp(P1.data(), P.data(), k * sizeof(float)) != 0);
}
}  // namespace

TEST_CASE("mf_kernel fused avx512 float rating update equals the two-part reference bit for bit") {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (!__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("avx512vl")) {
    MESSAGE("CPU without AVX-512 BW/VL: comparison skipped");
    return;
  }
  counter_rng g(2028, 5);
  const std::size_t shapes[][2] = {{32, 8}, {64, 8}, {32, 32}, {40, 8}, {48, 16}, {16, 8}, {8, 8}, {128, 24}};
  int runs = 0;
  for (const auto& sh : shapes)
    for (int variant = 0; variant < 4; ++variant)
      for (int rep = 0; rep < 4; ++rep) {
        compare_fused_float(g, sh[0], sh[1], variant & 1, !(variant & 2), rep == 3);
        ++runs;
      }
  CHECK(runs == 8 * 4 * 4);
#else
  MESSAGE("built without AVX-512 flags: mf_rate_float is the scalar reference, nothing to compare");
#endif
}

TEST_CASE("mf_kernel fused avx512 rating update equals the two-part reference bit for bit") {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (!__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("avx512vl")) {
    MESSAGE("CPU without AVX-512 BW/VL: comparison skipped");
    return;
  }
  counter_rng g(2027, 3);
  const std::size_t shapes[][2] = {{32, 8}, {64, 8}, {32, 32}, {40, 8}, {48, 16}, {16, 8}, {8, 8}, {128, 24}};
  int runs = 0;
  for (const auto& sh : shapes)
    for (int variant = 0; variant < 8; ++variant) {
      const bool slow_only = variant & 1, adagrad = !(variant & 2), big = variant & 4;
      const float e_scale = big ? 1.0e4f : 2.0f;
      for (int rep = 0; rep < 3; ++rep) {
        const bool nan_r = rep == 2;
        compare_fused<std::int8_t, true>(g, sh[0], sh[1], slow_only, adagrad, e_scale, nan_r);
        compare_fused<std::int8_t, false>(g, sh[0], sh[1], slow_only, adagrad, e_scale, nan_r);
        compare_fused<std::int16_t, true>(g, sh[0], sh[1], slow_only, adagrad, e_scale, nan_r);
        compare_fused<std::int16_t, false>(g, sh[0], sh[1], slow_only, adagrad, e_scale, nan_r);
        runs += 4;
      }
    }
  CHECK(runs == 8 * 8 * 3 * 4);
#else
  MESSAGE("built without AVX-512 flags: mf_rate_fixed is the scalar reference, nothing to compare");
#endif
}

TEST_CASE("mf_kernel avx512 loop equals the scalar reference bit for bit") {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (!__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("avx512vl")) {
    MESSAGE("CPU without AVX-512 BW/VL: comparison skipped");
    return;
  }
  counter_rng g(2026, 1);
  const std::size_t parts[][3] = {{32, 0, 8}, {32, 8, 32}, {64, 8, 64}, {64, 0, 64}, {40, 3, 40}, {24, 0, 24},
                                  {100, 8, 100}, {16, 0, 16}, {7, 0, 7}};
  int runs = 0;
  for (const auto& pt : parts)
    for (float scale : {0.3f, 3.0f, 400.0f})  // 400: most increments saturate
      for (int rep = 0; rep < 8; ++rep) {
        const bool nan = rep == 7;
        compare_once<std::int8_t, true>(g, pt[0], pt[1], pt[2], scale, nan);
        compare_once<std::int8_t, false>(g, pt[0], pt[1], pt[2], scale, nan);
        compare_once<std::int16_t, true>(g, pt[0], pt[1], pt[2], scale * 256.0f, nan);
        compare_once<std::int16_t, false>(g, pt[0], pt[1], pt[2], scale * 256.0f, nan);
        runs += 4;
      }
  for (const auto& pt : parts)
    if (pt[2] - pt[1] >= 8)
      for (int rep = 0; rep < 8; ++rep) compare_float(g, pt[0], pt[1], pt[2]);
  CHECK(runs == 9 * 3 * 8 * 4);
#else
  MESSAGE("built without AVX-512 flags: mf_part_fixed is the scalar reference, nothing to compare");
#endif
}
