// The fixed-point inner loop of mf_sgd (solvers/lowrank/detail/mf_kernel.hpp):
// the AVX-512 loop and the scalar reference must give the same bits (rows,
// squared-gradient lanes, saturation counts, returned position) on random
// inputs, int8 and int16, stochastic and nearest, part lengths that are and
// are not multiples of 16, including increments that saturate and NaN.
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
}  // namespace

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
