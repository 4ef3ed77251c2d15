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

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "lowp/quantize/rng.hpp"
#include "lowp/solvers/lowrank/detail/mf_int8.hpp"
#include "lowp/solvers/lowrank/detail/mf_int8_batch.hpp"
#include "lowp/solvers/lowrank/detail/mf_kernel.hpp"

using namespace lowp;
namespace lrd = lowp::lowrank::detail;

namespace {
// The comparisons exist only where the AVX-512 loops are compiled.
#if defined(LOWP_MF_KERNEL_AVX512)
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
#endif
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

// ---------------------------------------------------------------------------
// The integer-domain int8 update (detail/mf_int8.hpp, mf_sgd_q8's kernel for
// k % 32 == 0): AVX-512 == scalar reference bit for bit, and the rounding is
// unbiased.

namespace {
struct i8_case {
  lrd::mf_i8_params up;
  std::vector<std::int8_t> P, Q;
  std::vector<float> G, H;
  std::vector<float> r, off;
  std::uint64_t c0;
};

// N = 2 ratings with random rows (full int8 range, so some increments
// saturate), random AdaGrad sums, ratings with |r| up to e_scale; nan_r puts
// a NaN rating in (non-finite coefficients: S = 1, everything saturates).
i8_case make_i8(counter_rng& g, std::size_t k, std::size_t s, bool slow_only, bool adagrad, float e_scale, bool nan_r,
                int range = 127) {
  i8_case c;
  const float dp = (0.5f + g.next_float()) / 127.0f, dq = (0.5f + g.next_float()) / 127.0f;
  c.up = lrd::mf_i8_make_params(0.05f + g.next_float() * 0.2f, g.next_float() * 0.1f, dp, dq, 127, adagrad, slow_only,
                                k, s);
  c.P.resize(2 * k);
  c.Q.resize(2 * k);
  for (auto& x : c.P) x = static_cast<std::int8_t>(static_cast<int>(g.next_u32() % (2 * unsigned(range) + 1)) - range);
  for (auto& x : c.Q) x = static_cast<std::int8_t>(static_cast<int>(g.next_u32() % (2 * unsigned(range) + 1)) - range);
  c.G.resize(4);
  c.H.resize(4);
  for (auto& x : c.G) x = 1.0f + 3.0f * g.next_float();
  for (auto& x : c.H) x = 1.0f + 3.0f * g.next_float();
  for (int t = 0; t < 2; ++t) {
    c.r.push_back((g.next_float() * 2 - 1) * e_scale);
    c.off.push_back(g.next_float() - 0.5f);
  }
  if (nan_r) c.r[1] = std::numeric_limits<float>::quiet_NaN();
  // The first draw is a multiple of 4 (an ARS block; mf_sgd's counters are
  // multiples of k); blocks near 2^32 and 2^62 exercise the 64-bit block counter.
  const std::uint64_t far = (g.next_u32() & 1) ? (std::uint64_t(1) << 34) - 64 : (std::uint64_t(1) << 62) - 256;
  c.c0 = (g.next_u32() % 3 == 0) ? far : std::uint64_t(g.next_u32() & ~3u);
  return c;
}

std::vector<lrd::mf_job<std::int8_t>> i8_jobs(i8_case& c) {
  const std::size_t k = c.up.k;
  std::vector<lrd::mf_job<std::int8_t>> j(2);
  for (std::size_t t = 0; t < 2; ++t)
    j[t] = lrd::mf_job<std::int8_t>{c.P.data() + t * k, c.Q.data() + t * k, c.G.data() + 2 * t, c.H.data() + 2 * t,
                                    c.r[t], c.off[t], c.c0 + t * k, 0.0f, nullptr};
  return j;
}

#if defined(LOWP_MF_KERNEL_AVX512)
template <bool Stochastic>
void compare_i8(counter_rng& g, std::size_t k, std::size_t s, bool slow_only, bool adagrad, float e_scale, bool nan_r) {
  const i8_case base = make_i8(g, k, s, slow_only, adagrad, e_scale, nan_r);
  const lrd::mf_i8_keys key = lrd::mf_i8_make_keys(counter_rng(g.next_u32(), 11).key());
  i8_case ref = base;
  auto jr = i8_jobs(ref);
  std::uint32_t sp1 = 0, sq1 = 0;
  for (auto& j : jr) lrd::mf_i8_rate_scalar<Stochastic>(j, ref.up, key, sp1, sq1);
  // N = 1 and 2 with VAES when the CPU has it, N = 1 with AES-NI per 128-bit lane.
  for (int n : {1, 2, 3}) {
    if (n != 3 && !lrd::mf_cpu_vaes()) continue;
    i8_case simd = base;
    auto js = i8_jobs(simd);
    std::uint32_t sp2 = 0, sq2 = 0;
    if (n != 2) {
      lrd::mf_i8_rate_avx512<Stochastic, 1>(&js[0], simd.up, key, sp2, sq2, n == 1);
      lrd::mf_i8_rate_avx512<Stochastic, 1>(&js[1], simd.up, key, sp2, sq2, n == 1);
    } else {
      lrd::mf_i8_rate_avx512<Stochastic, 2>(js.data(), simd.up, key, sp2, sq2);
    }
    CHECK(ref.P == simd.P);
    CHECK(ref.Q == simd.Q);
    CHECK(std::memcmp(ref.G.data(), simd.G.data(), 4 * sizeof(float)) == 0);
    CHECK(std::memcmp(ref.H.data(), simd.H.data(), 4 * sizeof(float)) == 0);
    for (std::size_t t = 0; t < 2; ++t) CHECK(std::memcmp(&jr[t].e, &js[t].e, sizeof(float)) == 0);
    CHECK(sp1 == sp2);
    CHECK(sq1 == sq2);
  }
  CHECK(ref.P != base.P);  // the update did something
  if (slow_only)           // only [0, s) moves in the warm-start epoch
    for (std::size_t t = 0; t < 2; ++t)
      for (std::size_t c = s; c < k; ++c) CHECK(ref.P[t * k + c] == base.P[t * k + c]);
  if (nan_r) CHECK(sp1 + sq1 > 0);
}
#endif
}  // namespace

TEST_CASE("mf_int8 avx512 rating update equals the scalar reference bit for bit") {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (!__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("avx512vl") || !lrd::mf_cpu_aes()) {
    MESSAGE("CPU without AVX-512 BW/VL or AES: comparison skipped");
    return;
  }
  counter_rng g(2029, 7);
  const std::size_t shapes[][2] = {{32, 8}, {32, 16}, {32, 32}, {64, 8}, {64, 40}, {96, 24}, {128, 8}};
  int runs = 0;
  for (const auto& sh : shapes)
    for (int variant = 0; variant < 8; ++variant) {
      const bool slow_only = variant & 1, adagrad = !(variant & 2), big = variant & 4;
      const float e_scale = big ? 1.0e4f : 2.0f;  // 1e4: most increments saturate
      for (int rep = 0; rep < 4; ++rep) {
        const bool nan_r = rep == 3;
        compare_i8<true>(g, sh[0], sh[1], slow_only, adagrad, e_scale, nan_r);
        compare_i8<false>(g, sh[0], sh[1], slow_only, adagrad, e_scale, nan_r);
        runs += 2;
      }
    }
  CHECK(runs == 7 * 8 * 4 * 2);
#else
  MESSAGE("built without AVX-512 flags: mf_i8_rate is the scalar reference, nothing to compare");
#endif
}

// The batch kernel (detail/mf_int8_batch.hpp): n = 1..16 independent
// ratings on a small model (ids drawn without repeats from 40 rows, so every
// batch touches scattered rows and leaves the others alone), against the
// reference that updates them one after the other.
namespace {
struct i8_batch_case {
  lrd::mf_i8_params up;
  std::vector<std::int8_t> P, Q;
  std::vector<float> Au, Av;  // per row: G part 0, G part 1, bias, unused
  std::vector<std::uint32_t> u, v;
  std::vector<float> r;
  float mu = 0;
  bool biases = false;
  lrd::mf_i8_model model() { return {P.data(), Q.data(), Au.data(), Av.data(), mu, biases}; }
};

i8_batch_case make_i8_batch(counter_rng& g, int n, std::size_t k, std::size_t s, bool slow_only, bool adagrad,
                            bool biases, float e_scale, bool nan_r) {
  constexpr std::uint32_t rows = 40;
  i8_batch_case c;
  const float dp = (0.5f + g.next_float()) / 127.0f, dq = (0.5f + g.next_float()) / 127.0f;
  c.up = lrd::mf_i8_make_params(0.05f + g.next_float() * 0.2f, g.next_float() * 0.1f, dp, dq, 127, adagrad, slow_only,
                                k, s);
  c.P.resize(rows * k);
  c.Q.resize(rows * k);
  for (auto& x : c.P) x = static_cast<std::int8_t>(static_cast<int>(g.next_u32() % 255) - 127);
  for (auto& x : c.Q) x = static_cast<std::int8_t>(static_cast<int>(g.next_u32() % 255) - 127);
  for (auto* A : {&c.Au, &c.Av}) {
    A->resize(lrd::mf_aux * rows);
    for (std::size_t i = 0; i < A->size(); ++i) {
      const std::size_t j = i % lrd::mf_aux;
      // The unused float holds a NaN payload: it must come back bit for bit.
      (*A)[i] = j < 2 ? 1.0f + 3.0f * g.next_float()
                      : (j == lrd::mf_aux_bias ? g.next_float() - 0.5f : std::bit_cast<float>(0x7fc01234u + std::uint32_t(i)));
    }
  }
  c.biases = biases;
  c.mu = g.next_float();
  auto pick = [&](std::vector<std::uint32_t>& ids) {
    while (ids.size() < std::size_t(n)) {
      const std::uint32_t x = g.next_u32() % rows;
      if (std::find(ids.begin(), ids.end(), x) == ids.end()) ids.push_back(x);
    }
  };
  pick(c.u);
  pick(c.v);
  for (int t = 0; t < n; ++t) c.r.push_back((g.next_float() * 2 - 1) * e_scale);
  if (nan_r) c.r[std::size_t(n) / 2] = std::numeric_limits<float>::quiet_NaN();
  return c;
}

#if defined(LOWP_MF_KERNEL_AVX512)
template <bool Stochastic>
void compare_i8_batch(counter_rng& g, int n, std::size_t k, std::size_t s, bool slow_only, bool adagrad, bool biases,
                      float e_scale, bool nan_r) {
  const i8_batch_case base = make_i8_batch(g, n, k, s, slow_only, adagrad, biases, e_scale, nan_r);
  const lrd::mf_i8_keys key = lrd::mf_i8_make_keys(counter_rng(g.next_u32(), 13).key());
  const std::uint64_t far = (g.next_u32() & 1) ? (std::uint64_t(1) << 34) - 64 : (std::uint64_t(1) << 62) - 1024;
  const std::uint64_t ctr = (g.next_u32() % 3 == 0) ? far : std::uint64_t(g.next_u32() & ~3u);
  i8_batch_case ref = base, simd = base;
  std::uint32_t sp1 = 0, sq1 = 0, sp2 = 0, sq2 = 0;
  lrd::mf_i8_batch_scalar<Stochastic>(ref.u.data(), ref.v.data(), ref.r.data(), n, ref.model(), ctr, ref.up, key, sp1,
                                      sq1);
  // Through the dispatcher: k = 32 takes the unrolled one-chunk kernel, other k the general one.
  lrd::mf_i8_batch<Stochastic>(simd.u.data(), simd.v.data(), simd.r.data(), n, simd.model(), ctr, simd.up, key, true,
                               sp2, sq2);
  CHECK(ref.P == simd.P);
  CHECK(ref.Q == simd.Q);
  CHECK(std::memcmp(ref.Au.data(), simd.Au.data(), ref.Au.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(ref.Av.data(), simd.Av.data(), ref.Av.size() * sizeof(float)) == 0);
  CHECK(sp1 == sp2);
  CHECK(sq1 == sq2);
  CHECK(ref.P != base.P);  // the update did something
  // The biases and AdaGrad sums moved when they should have.
  if (!nan_r && (biases || adagrad))
    CHECK(std::memcmp(ref.Au.data(), base.Au.data(), ref.Au.size() * sizeof(float)) != 0);
  if (nan_r) CHECK(sp1 + sq1 > 0);
}
#endif
}  // namespace

TEST_CASE("mf_int8 batch of independent ratings equals the one-by-one reference bit for bit") {
#if defined(LOWP_MF_KERNEL_AVX512)
  if (!lrd::mf_i8_batch_available(32, 8)) {
    MESSAGE("CPU without AVX-512 BW/VL/DQ or VAES: comparison skipped");
    return;
  }
  counter_rng g(2032, 3);
  const std::size_t shapes[][2] = {{32, 8}, {32, 16}, {32, 24}, {32, 32}, {64, 8}, {64, 40}, {96, 24}, {128, 64}};
  int runs = 0;
  for (const auto& sh : shapes)
    for (int variant = 0; variant < 16; ++variant) {
      const bool slow_only = variant & 1, adagrad = !(variant & 2), big = variant & 4, biases = !(variant & 8);
      const float e_scale = big ? 1.0e4f : 2.0f;  // 1e4: most increments saturate
      for (int n : {1, 3, 4, 5, 8, 13, 16}) {
        const bool nan_r = n == 5 && !big;
        compare_i8_batch<true>(g, n, sh[0], sh[1], slow_only, adagrad, biases, e_scale, nan_r);
        compare_i8_batch<false>(g, n, sh[0], sh[1], slow_only, adagrad, biases, e_scale, nan_r);
        runs += 2;
      }
    }
  CHECK(runs == 8 * 16 * 7 * 2);
#else
  MESSAGE("built without AVX-512 flags: nothing to compare");
#endif
}

// Unbiasedness: the same rating (same rows, same G/H) updated with R
// different counters; the mean of each new element must be the exact
// expected value p + (Ap q + Bp p)/2^S of the rating's integer coefficients
// (taken from the shared prologue). Each new element is p + I + Bernoulli(f)
// with the dither resolution 2^-16 shifting f by at most 2^-16, so the mean
// of R = 20000 draws has sd <= 0.5/sqrt(R) = 0.0035; the tolerance 0.02 is
// 5.6 sd (+2^-16) per element. Nearest rounding (floor(x + 1/2)) is off by up
// to 0.5 on elements whose fractional part is not ~1/2, which this would catch:
// checked below (the test fails for a biased rounding).
TEST_CASE("mf_int8 stochastic rounding of the increments is unbiased") {
  counter_rng g(2030, 1);
  const std::size_t k = 32, s = 8;
  const lrd::mf_i8_keys key = lrd::mf_i8_make_keys(counter_rng(99, 12).key());
  for (int trial = 0; trial < 3; ++trial) {
    // Small factors, so nothing saturates.
    i8_case base = make_i8(g, k, s, false, true, 2.0f, false, 40);
    // Expected increments from the prologue on a copy (it also updates G/H).
    i8_case tmp = base;
    auto jt = i8_jobs(tmp);
    lrd::mf_i8_sums sm{};
    for (std::size_t c = 0; c < k; ++c) {
      const int part = c < s ? 0 : 1;
      const std::int32_t p = tmp.P[c], q = tmp.Q[c];
      sm.pp[part] += p * p;
      sm.pq[part] += p * q;
      sm.qq[part] += q * q;
    }
    const lrd::mf_i8_coefs cf = lrd::mf_i8_prologue(jt[0], sm, tmp.up);
    REQUIRE(cf.S >= 16);  // increments well inside the dither resolution
    std::vector<double> expect_p(k), expect_q(k), mean_p(k, 0.0), mean_q(k, 0.0), mean_n(k, 0.0);
    for (std::size_t c = 0; c < k; ++c) {
      const int part = c < s ? 0 : 1;
      const double p = base.P[c], q = base.Q[c], sc = std::ldexp(1.0, -cf.S);
      expect_p[c] = p + (cf.ap[part] * q + cf.bp[part] * p) * sc;
      expect_q[c] = q + (cf.aq[part] * p + cf.bq[part] * q) * sc;
    }
    const int R = 20000;
    for (int rep = 0; rep < R; ++rep) {
      for (int mode = 0; mode < 2; ++mode) {
        i8_case w = base;
        auto j = i8_jobs(w);
        j[0].c0 = std::uint64_t(rep) * k;
        std::uint32_t sp = 0, sq = 0;
        if (mode == 0)
          lrd::mf_i8_rate<true, 1>(&j[0], w.up, key, sp, sq);
        else if (rep == 0)
          lrd::mf_i8_rate<false, 1>(&j[0], w.up, key, sp, sq);
        else
          continue;
        REQUIRE(sp + sq == 0);
        for (std::size_t c = 0; c < k; ++c) {
          if (mode == 0) {
            mean_p[c] += double(w.P[c]) / R;
            mean_q[c] += double(w.Q[c]) / R;
          } else {
            mean_n[c] = double(w.P[c]);
          }
        }
      }
    }
    double worst = 0, worst_n = 0;
    for (std::size_t c = 0; c < k; ++c) {
      worst = std::max({worst, std::abs(mean_p[c] - expect_p[c]), std::abs(mean_q[c] - expect_q[c])});
      worst_n = std::max(worst_n, std::abs(mean_n[c] - expect_p[c]));
    }
    MESSAGE("trial " << trial << ": S = " << cf.S << ", max |mean - expected| " << worst << " (nearest: " << worst_n
                     << ")");
    CHECK(worst <= 0.02);
    CHECK(worst_n > 0.05);  // the test can tell a biased rounding apart
  }
}

// The int8 coefficients approximate the float ones to 2^-15 of the largest.
TEST_CASE("mf_int8 integer coefficients match the float step to 2^-15") {
  counter_rng g(2031, 2);
  for (int trial = 0; trial < 200; ++trial) {
    i8_case c = make_i8(g, 32, 8, false, trial % 2 == 0, trial % 3 == 0 ? 50.0f : 2.0f, false);
    auto j = i8_jobs(c);
    const float G0 = c.G[0], H0 = c.H[0];
    lrd::mf_i8_sums sm{};
    for (std::size_t i = 0; i < 32; ++i) {
      const int part = i < 8 ? 0 : 1;
      sm.pp[part] += c.P[i] * c.P[i];
      sm.pq[part] += c.P[i] * c.Q[i];
      sm.qq[part] += c.Q[i] * c.Q[i];
    }
    const auto cf = lrd::mf_i8_prologue(j[0], sm, c.up);
    const double ep = c.up.adagrad ? c.up.eta / std::sqrt(double(G0)) : c.up.eta;
    const double eq = c.up.adagrad ? c.up.eta / std::sqrt(double(H0)) : c.up.eta;
    const double e = j[0].e;
    const double want[4] = {ep * e * c.up.dq / c.up.dp, -ep * c.up.lambda, eq * e * c.up.dp / c.up.dq,
                            -eq * c.up.lambda};
    const double got[4] = {double(cf.ap[0]), double(cf.bp[0]), double(cf.aq[0]), double(cf.bq[0])};
    double m = 0;
    for (double w : want) m = std::max(m, std::abs(w));
    for (int i = 0; i < 4; ++i) CHECK(std::abs(std::ldexp(got[i], -cf.S) - want[i]) <= m * 6.2e-5);
  }
}
