// C-simulation test bench for hls_tops.cpp (Vitis convention: main returns
// 0 when every check passes). Expected values are hand-computed or come from
// code independent of lowp's kernels (plain loops, std::nearbyint, and the
// dither formula as documented in quantize/rng.hpp).
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "hls_tops.hpp"
#include "lowp/quantize/rng.hpp"

namespace {

int g_failures = 0;

void check(bool ok, const char* what, long long got, long long want) {
  if (!ok) {
    std::printf("FAIL %s: got %lld, want %lld\n", what, got, want);
    ++g_failures;
  }
}
void check_eq(const char* what, long long got, long long want) { check(got == want, what, got, want); }
void check_near(const char* what, double got, double want, double tol) {
  if (!(std::fabs(got - want) <= tol)) {
    std::printf("FAIL %s: got %.6f, want %.6f +- %.6f\n", what, got, want, tol);
    ++g_failures;
  }
}

using hls_tops::kDotN;
using hls_tops::kMacN;
using hls_tops::kVecN;

void test_dot() {
  std::int8_t x[kDotN], y[kDotN];
  std::int64_t out = 0;

  for (int i = 0; i < kDotN; ++i) x[i] = -128, y[i] = -128;
  hls_tops::dot_top(x, y, &out);
  check_eq("dot all -128", out, 256LL * 16384);  // 4194304: needs more than int16/int32-per-lane care

  for (int i = 0; i < kDotN; ++i) x[i] = 127, y[i] = -128;
  hls_tops::dot_top(x, y, &out);
  check_eq("dot 127 x -128", out, -256LL * 16256);

  // sum over i of (i mod 10) - 5: 25 full cycles of -5, then -5-4-3-2-1+0.
  for (int i = 0; i < kDotN; ++i) x[i] = 1, y[i] = static_cast<std::int8_t>(i % 10 - 5);
  hls_tops::dot_top(x, y, &out);
  check_eq("dot ramp", out, -140);

  // pseudo-random pattern against an independent loop
  long long want = 0;
  for (int i = 0; i < kDotN; ++i) {
    x[i] = static_cast<std::int8_t>((i * 37) % 256 - 128);
    y[i] = static_cast<std::int8_t>(127 - (i * 11) % 255);
    want += static_cast<long long>(x[i]) * static_cast<long long>(y[i]);
  }
  hls_tops::dot_top(x, y, &out);
  check_eq("dot pattern", out, want);
}

void test_quantize() {
  float x[kVecN];
  std::int8_t q[kVecN];
  std::uint32_t clipped = 99;

  // On the grid stochastic rounding is exact, whatever the seed.
  for (int i = 0; i < kVecN; ++i) x[i] = static_cast<float>(i - 32) / 16.0f;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    hls_tops::quantize_sr_top(x, 16.0f, seed, q, &clipped);
    for (int i = 0; i < kVecN; ++i) check_eq("quantize on grid", q[i], i - 32);
    check_eq("quantize on grid clipped", clipped, 0);
  }

  // Saturation and NaN: 3 clipped, the exact extremes not.
  for (int i = 0; i < kVecN; ++i) x[i] = 0.0f;
  x[0] = 10.0f, x[1] = -10.0f, x[2] = std::nanf(""), x[3] = 127.0f / 16.0f, x[4] = -8.0f;
  hls_tops::quantize_sr_top(x, 16.0f, 5, q, &clipped);
  check_eq("quantize +sat", q[0], 127);
  check_eq("quantize -sat", q[1], -128);
  check_eq("quantize NaN", q[2], 0);
  check_eq("quantize 127", q[3], 127);
  check_eq("quantize -128", q[4], -128);
  check_eq("quantize clipped", clipped, 3);

  // Replay against the documented formula: v = x*inv_scale (float),
  // q = floor(v) + ((nearest_even(frac(v)*2^16) + dither16(key, 0, i)) >> 16).
  const std::uint64_t seed = 20261125;
  for (int i = 0; i < kVecN; ++i) x[i] = static_cast<float>(i) * 0.37f - 11.3f;
  hls_tops::quantize_sr_top(x, 4.0f, seed, q, &clipped);
  const lowp::rng_key key = lowp::counter_rng(seed, 0).key();
  int n_up = 0;
  for (int i = 0; i < kVecN; ++i) {
    const float v = x[i] * 4.0f;
    const float fl = std::floor(v);
    const long t = static_cast<long>(std::nearbyint((v - fl) * 65536.0f));
    const long want = static_cast<long>(fl) + ((t + static_cast<long>(lowp::dither16(key, 0, i))) >> 16);
    check_eq("quantize replay", q[i], want);
    n_up += (q[i] != static_cast<long>(fl)) ? 1 : 0;
  }
  check(n_up > 0 && n_up < kVecN, "quantize replay: rounds both ways", n_up, kVecN / 2);

  // Unbiased: v = 0.25 and v = -0.75, averaged over 256 seeds x 64 lanes
  // (sd of the mean ~0.0034; tolerance ~4.5 sd).
  double sum_pos = 0, sum_neg = 0;
  for (std::uint64_t seed2 = 0; seed2 < 256; ++seed2) {
    for (int i = 0; i < kVecN; ++i) x[i] = 0.25f / 16.0f;
    hls_tops::quantize_sr_top(x, 16.0f, seed2, q, &clipped);
    for (int i = 0; i < kVecN; ++i) {
      check(q[i] == 0 || q[i] == 1, "quantize 0.25 in {0,1}", q[i], 0);
      sum_pos += q[i];
    }
    for (int i = 0; i < kVecN; ++i) x[i] = -0.75f / 16.0f;
    hls_tops::quantize_sr_top(x, 16.0f, seed2, q, &clipped);
    for (int i = 0; i < kVecN; ++i) {
      check(q[i] == 0 || q[i] == -1, "quantize -0.75 in {-1,0}", q[i], 0);
      sum_neg += q[i];
    }
  }
  check_near("quantize E[SR(0.25)]", sum_pos / (256.0 * kVecN), 0.25, 0.015);
  check_near("quantize E[SR(-0.75)]", sum_neg / (256.0 * kVecN), -0.75, 0.015);
}

void test_sgd() {
  std::int8_t w[kVecN], x[kVecN];
  std::uint32_t clipped = 99;

  // a*x integral: exact, no randomness involved.
  for (int i = 0; i < kVecN; ++i) w[i] = static_cast<std::int8_t>(i - 32), x[i] = static_cast<std::int8_t>(2 * (i % 8) - 8);
  hls_tops::sgd_update_top(w, x, 0.5f, 3, &clipped);
  for (int i = 0; i < kVecN; ++i) check_eq("sgd exact", w[i], (i - 32) + (i % 8) - 4);
  check_eq("sgd exact clipped", clipped, 0);

  // Saturation both ways.
  for (int i = 0; i < kVecN; ++i) w[i] = 0, x[i] = 0;
  w[0] = 120, x[0] = 20, w[1] = -120, x[1] = -20, w[2] = 100, x[2] = 27;
  hls_tops::sgd_update_top(w, x, 1.0f, 3, &clipped);
  check_eq("sgd +sat", w[0], 127);
  check_eq("sgd -sat", w[1], -128);
  check_eq("sgd exact 127", w[2], 127);
  check_eq("sgd clipped", clipped, 2);

  // A step of a quarter quantum: nearest rounding would drop it every time;
  // stochastic rounding keeps it on average.
  double sum = 0;
  for (std::uint64_t seed = 0; seed < 256; ++seed) {
    for (int i = 0; i < kVecN; ++i) w[i] = 10, x[i] = 1;
    hls_tops::sgd_update_top(w, x, 0.25f, seed, &clipped);
    for (int i = 0; i < kVecN; ++i) {
      check(w[i] == 10 || w[i] == 11, "sgd step in {10,11}", w[i], 10);
      sum += w[i] - 10;
    }
  }
  check_near("sgd E[step]", sum / (256.0 * kVecN), 0.25, 0.015);
}

void test_fixed_mac() {
  std::int8_t a[kMacN] = {}, b[kMacN] = {};
  std::int8_t n = 0, s = 0;

  // 0.125 * 0.1875 = 96 * 2^-12 = 1.5 steps of 2^-6: nearest-even -> 2.
  a[0] = 8, b[0] = 12;
  hls_tops::fixed_mac_top(a, b, 1, &n, &s);
  check_eq("mac 1.5 nearest", n, 2);
  check(s == 1 || s == 2, "mac 1.5 sr in {1,2}", s, 1);
  // 0.125 * 0.3125 = 2.5 steps: nearest-even -> 2.
  b[0] = 20;
  hls_tops::fixed_mac_top(a, b, 1, &n, &s);
  check_eq("mac 2.5 nearest", n, 2);
  check(s == 2 || s == 3, "mac 2.5 sr in {2,3}", s, 2);
  // SR of 2.5 steps is unbiased over seeds.
  double sum = 0;
  for (std::uint64_t seed = 0; seed < 4096; ++seed) {
    hls_tops::fixed_mac_top(a, b, seed, &n, &s);
    sum += s;
  }
  check_near("mac E[SR(2.5)]", sum / 4096.0, 2.5, 0.035);

  // 4 x (0.5 * 0.25) = 0.5 = 32 steps exactly, both roundings.
  for (int i = 0; i < kMacN; ++i) a[i] = i < 4 ? 32 : 0, b[i] = 16;
  hls_tops::fixed_mac_top(a, b, 9, &n, &s);
  check_eq("mac exact nearest", n, 32);
  check_eq("mac exact sr", s, 32);
  // 16 x (0.5 * -1.0) = -8.0: the 32-bit accumulator holds it, the 8-bit
  // result saturates at -2.0.
  for (int i = 0; i < kMacN; ++i) a[i] = 32, b[i] = -64;
  hls_tops::fixed_mac_top(a, b, 9, &n, &s);
  check_eq("mac saturate nearest", n, -128);
  check_eq("mac saturate sr", s, -128);
}

}  // namespace

int main() {
  test_dot();
  test_quantize();
  test_sgd();
  test_fixed_mac();
  if (g_failures != 0) {
    std::printf("hls_subset: %d check(s) FAILED\n", g_failures);
    return 1;
  }
  std::printf("hls_subset: all checks passed\n");
  return 0;
}
