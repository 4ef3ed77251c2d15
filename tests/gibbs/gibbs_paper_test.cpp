// Paper properties of (asynchronous, low-precision) Gibbs sampling, calibrated
// by spec gibbs.md B.5/B.6. Fixed seeds; each tolerance is derived from the
// run-to-run standard deviation measured for that estimator (noted inline).
//
// Estimator: on the 4x4 torus and the ring every spin has the same exact
// marginal p* (translation symmetry), so the signed bias of the spin-averaged
// marginal, b = mean_i P^(x_i = +1) - p*, measures a systematic error with
// much less noise than per-spin |dP|; the spec's mean/max |dP| are checked too.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "lowp/solvers/gibbs/gibbs.hpp"

namespace g = lowp::gibbs;

namespace {

struct errors {
  double signed_bias = 0.0, mean_abs = 0.0, max_abs = 0.0;
};

errors compare(const std::vector<double>& p, const std::vector<double>& exact_p1) {
  errors e;
  for (std::size_t v = 0; v < p.size(); ++v) {
    const double d = p[v] - exact_p1[v];
    e.signed_bias += d / static_cast<double>(p.size());
    e.mean_abs += std::abs(d) / static_cast<double>(p.size());
    e.max_abs = std::max(e.max_abs, std::abs(d));
  }
  return e;
}

std::vector<double> p_one_of(const std::vector<double>& marg) {
  std::vector<double> p(marg.size() / 2);
  for (std::size_t v = 0; v < p.size(); ++v) p[v] = marg[2 * v + 1];
  return p;
}

// 4x4 torus, beta = 0.2, h = 0.1 (alpha = 4 tanh 0.2 = 0.79): the B.5 model.
const g::ising_model& torus4() {
  static const g::ising_model m = g::make_ising_torus(4, 4, 0.2, 0.1);
  return m;
}
const std::vector<double>& torus4_exact() {
  static const std::vector<double> p = p_one_of(g::exact_marginals(torus4()));
  return p;
}

// Average of K runs (seeds 1..K) of `updates` single-site updates each.
errors run_torus(g::options o, int runs, std::uint64_t updates) {
  std::vector<double> avg(16, 0.0);
  o.sweeps = updates / 16;
  o.burn_in = o.sweeps / 20;
  for (int k = 1; k <= runs; ++k) {
    o.seed = static_cast<std::uint64_t>(k);
    const g::result r = g::sample(torus4(), o);
    const std::vector<double> p = o.rao_blackwell ? r.rb_p_one() : r.p_one();
    for (std::size_t v = 0; v < 16; ++v) avg[v] += p[v] / runs;
  }
  const errors e = compare(avg, torus4_exact());
  std::printf("torus4 mode %d tau %u bits %d: signed %.3g mean|dP| %.3g max|dP| %.3g\n", static_cast<int>(o.run),
              o.tau_max, o.coin.bits, e.signed_bias, e.mean_abs, e.max_abs);
  return e;
}

// Exact single-site marginal of a homogeneous ring by the transfer matrix:
// P(s_0 = +1) = (T^n)_{++} / tr(T^n), T_ab = exp(beta a b + h (a + b) / 2).
double ring_exact(int n, double beta, double h) {
  const double s[2] = {1.0, -1.0};
  double T[2][2], P[2][2] = {{1.0, 0.0}, {0.0, 1.0}};
  for (int a = 0; a < 2; ++a)
    for (int c = 0; c < 2; ++c) T[a][c] = std::exp(beta * s[a] * s[c] + h * (s[a] + s[c]) / 2.0);
  for (int k = 0; k < n; ++k) {
    double Q[2][2];
    for (int a = 0; a < 2; ++a)
      for (int c = 0; c < 2; ++c) Q[a][c] = P[a][0] * T[0][c] + P[a][1] * T[1][c];
    for (int a = 0; a < 2; ++a)
      for (int c = 0; c < 2; ++c) P[a][c] = Q[a][c];
  }
  return P[0][0] / (P[0][0] + P[1][1]);
}

double ring_bias(int n, std::uint32_t tau_max, int runs, std::uint64_t updates) {
  const g::ising_model m = g::make_ising_ring(static_cast<std::size_t>(n), 0.4, 0.1);
  const double pstar = ring_exact(n, 0.4, 0.1);
  double b = 0.0;
  for (int k = 1; k <= runs; ++k) {
    g::options o;
    o.run = g::mode::simulated_delay;
    o.tau_max = tau_max;
    o.rao_blackwell = true;
    o.sweeps = updates / static_cast<std::uint64_t>(n);
    o.burn_in = o.sweeps / 10;
    o.seed = static_cast<std::uint64_t>(k);
    const std::vector<double> p = g::sample(m, o).rb_p_one();
    for (double x : p) b += (x - pstar) / static_cast<double>(n * runs);
  }
  std::printf("ring n %d tau_max %u: bias %.3g\n", n, tau_max, b);
  return b;
}

}  // namespace

// Sequential random scan, 4 x 2e7 updates. Measured run-to-run sd of the
// signed spin-averaged bias at 2e7 updates: 3e-4 (B.5 and this sampler), so
// the 4-run mean has sd 1.5e-4; 6e-4 is 4 sd. Per spin, B.5 reports mean
// |dP| 1.5e-4 and max 3.6e-4 at 2e8 updates; at 8e7 the noise is sqrt(2.5)
// larger (2.4e-4 / 5.7e-4): bounds 6e-4 / 1.2e-3 are ~2.5 and 2 times that.
// A tau_max = 16 delay (bias 2.1e-3 on every spin) fails all three.
TEST_CASE("torus4 sequential marginals match exact enumeration") {
  g::options o;
  o.rao_blackwell = true;
  const errors e = run_torus(o, 4, 20'000'000);
  CHECK(std::abs(e.signed_bias) <= 6e-4);
  CHECK(e.mean_abs <= 6e-4);
  CHECK(e.max_abs <= 1.2e-3);
}

// Systematic scan and HOGWILD! with one thread are exact too (same bounds,
// 2 x 2e7 updates: sd 2.1e-4 of the signed bias, bound ~4 sd).
TEST_CASE("torus4 systematic scan and one-thread hogwild are unbiased") {
  g::options o;
  o.order = g::scan::systematic;
  CHECK(std::abs(run_torus(o, 2, 20'000'000).signed_bias) <= 9e-4);
  g::options h;
  h.run = g::mode::hogwild;
  h.threads = 1;
  CHECK(std::abs(run_torus(h, 2, 20'000'000).signed_bias) <= 9e-4);
}

// Simulated delay: B.5 measured 6.1e-4 / 2.1e-3 / 4.7e-3 (tau_max 4/16/64);
// this sampler gives ~4e-4 / 1.9e-3 / 4.4e-3 per 2e7-update run with sd
// 3e-4. bias(16) >= 1e-3 holds with 3 sd margin; the strict ordering has
// gaps of 5 and 8 sd.
TEST_CASE("torus4 simulated delay bias is real and grows with tau_max") {
  g::options o;
  o.run = g::mode::simulated_delay;
  o.rao_blackwell = true;
  double prev = -1.0;
  for (std::uint32_t tau : {4u, 16u, 64u}) {
    o.tau_max = tau;
    const errors e = run_torus(o, 1, 20'000'000);
    if (tau == 16) {
      CHECK(e.signed_bias >= 1e-3);
      CHECK(e.mean_abs >= 1e-3);
    }
    CHECK(e.signed_bias > prev);
    prev = e.signed_bias;
  }
}

// Ring, beta 0.4, h 0.1, tau_max 32 (alpha 0.76): the bias falls like 1/n.
// Measured: n = 32 1.2e-3 (sd 6e-5 per 4e7-update run), n = 128 3.3e-4 (sd
// 5e-5 per run with tau 32, 1.3e-4 sequential; two runs averaged: <= 1e-4).
// The ratio's 2-sd band is about [2.7, 5.5] inside the spec's [2.5, 6]; a
// bias independent of n (ratio 1) or of order 1/n^2 (ratio 16) fails.
TEST_CASE("ring asynchronous bias shrinks like 1 over n") {
  const double b32 = ring_bias(32, 32, 1, 40'000'000);
  const double b128 = ring_bias(128, 32, 2, 40'000'000);
  CHECK(b32 >= 1e-3);
  REQUIRE(b128 > 0.0);
  CHECK(b32 / b128 >= 2.5);
  CHECK(b32 / b128 <= 6.0);
}

// Low-precision coin (sequential, 4x4). B.5: b-bit round-to-nearest threshold
// gives mean |dP| 1.6e-3 (8 bits) and 4.9e-2 (4 bits); a stochastically
// rounded threshold is exactly unbiased. 8-bit nearest, one 2e7 run: noise
// floor of mean |dP| 4.6e-4, so the band [1e-3, 3e-3] holds. 8-bit SR: 2 x
// 2e7 updates, the bounds of the systematic-scan test (4 sd).
TEST_CASE("torus4 low precision coin nearest is biased and stochastic is not") {
  g::options o;
  o.coin.bits = 8;
  o.coin.rounding = g::coin_rounding::nearest;
  const errors n8 = run_torus(o, 1, 20'000'000);
  CHECK(n8.mean_abs >= 1e-3);
  CHECK(n8.mean_abs <= 3e-3);
  o.coin.bits = 4;
  const errors n4 = run_torus(o, 1, 5'000'000);
  CHECK(n4.mean_abs >= 3e-2);
  o.coin.bits = 8;
  o.coin.rounding = g::coin_rounding::stochastic;
  const errors s8 = run_torus(o, 2, 20'000'000);
  CHECK(std::abs(s8.signed_bias) <= 9e-4);
  CHECK(s8.mean_abs <= 9e-4);
  o.coin.bits = 4;  // 4-bit nearest is biased by 4.9e-2; SR at 4 bits must be at the noise (sd 3e-4, 4 sd)
  const errors s4 = run_torus(o, 1, 20'000'000);
  CHECK(std::abs(s4.signed_bias) <= 1.2e-3);
}

// Mixing (spec B.5/B.6 item 6): heat-bath grand coupling on the 32x32 torus,
// beta 0.2 (alpha = 4 tanh 0.2 = 0.79): coalescence within the Dobrushin
// bound n/(1-alpha) ln(n/0.05) = 48.3k updates in >= 38 of 40 runs (B.5
// measured median 21.5k, max 43.1k, 40/40). A chain mixing 2x slower than
// the bound predicts would fail. Also the median is checked to be of the
// measured size (within [10k, 40k]).
TEST_CASE("grand coupling coalesces within the dobrushin mixing bound") {
  const g::ising_model m = g::make_ising_torus(32, 32, 0.2, 0.0);
  const double n = 1024.0, alpha = m.total_influence();
  const double bound = n / (1.0 - alpha) * std::log(n / 0.05);
  CHECK(bound == doctest::Approx(48.3e3).epsilon(0.01));
  std::vector<double> t;
  int within = 0;
  for (std::uint64_t k = 1; k <= 40; ++k) {
    const std::uint64_t c = g::coalescence_time(m, k, 1'000'000);
    t.push_back(static_cast<double>(c));
    within += static_cast<double>(c) <= bound ? 1 : 0;
  }
  std::sort(t.begin(), t.end());
  const double median = 0.5 * (t[19] + t[20]);
  std::printf("coupling 32x32 beta 0.2: median %.0f max %.0f bound %.0f within %d/40\n", median, t.back(), bound, within);
  CHECK(within >= 38);
  CHECK(median >= 10e3);
  CHECK(median <= 40e3);
}
