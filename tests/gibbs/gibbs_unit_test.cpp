// Gibbs sampling: quick properties (also run under ASan/UBSan and TSan).
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "lowp/datasets/uai.hpp"
#include "lowp/solvers/gibbs/gibbs.hpp"
#include "lowp/solvers/gibbs/grid.hpp"

namespace g = lowp::gibbs;

namespace {

// pi(0,0) = 0, pi(0,1) = pi(1,0) = pi(1,1) = 1/3 (De Sa et al.'s example).
g::factor_graph two_variable_model() {
  g::factor_graph m(std::vector<std::uint32_t>{2, 2});
  m.add_factor({0, 1}, {0.0, 1.0, 1.0, 1.0});
  m.finalize();
  return m;
}

std::array<double, 4> joint_frequencies(const g::options& o) {
  std::array<std::uint64_t, 4> c{};
  std::uint64_t seen = 0;
  const g::factor_graph m = two_variable_model();
  g::sample(m, o, [&](const std::vector<std::uint8_t>& x) {
    ++c[static_cast<std::size_t>(2 * x[0] + x[1])];
    ++seen;
  });
  std::array<double, 4> p{};
  for (std::size_t k = 0; k < 4; ++k) p[k] = static_cast<double>(c[k]) / static_cast<double>(seen);
  return p;
}

}  // namespace

TEST_CASE("two-variable model sequential never visits the zero-probability state") {
  g::options o;
  o.sweeps = 200'000;
  o.burn_in = 1;
  o.seed = 3;
  o.init = {1, 1};
  const std::array<double, 4> p = joint_frequencies(o);
  CHECK(p[0] == 0.0);
  // 4e5 states, correlated: sd of each frequency <= 0.5 * sqrt(3 / 4e5) < 1e-3.
  for (std::size_t k = 1; k < 4; ++k) CHECK(std::abs(p[k] - 1.0 / 3.0) < 5e-3);
}

// Jacobi: both variables resampled from the old state. Its chain has
// stationary law (1/9, 2/9, 2/9, 4/9) [D], TV 2/9 from pi. 2e5 sweeps; the
// chain mixes in a couple of steps, sd of a frequency ~ sqrt(p(1-p)/2e5 * 3)
// < 2e-3; the spec band 3e-3 is ~2.5 sd (fixed seed).
TEST_CASE("two-variable model synchronous updates have TV error 2 over 9") {
  g::options o;
  o.run = g::mode::jacobi;
  o.sweeps = 200'000;
  o.burn_in = 1;
  o.seed = 5;
  o.init = {1, 1};
  const std::array<double, 4> p = joint_frequencies(o);
  const double want[4] = {1.0 / 9, 2.0 / 9, 2.0 / 9, 4.0 / 9}, pi[4] = {0.0, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  double tv = 0.0;
  for (std::size_t k = 0; k < 4; ++k) {
    CHECK(std::abs(p[k] - want[k]) <= 3e-3);
    tv += 0.5 * std::abs(p[k] - pi[k]);
  }
  CHECK(std::abs(tv - 2.0 / 9.0) <= 6e-3);
}

// Simulated delay tau_max = 1 reaches (0,0): B.5 measured p00 = 0.022; the
// spec band [0.018, 0.026]. 4e5 updates: sd of p00 ~ sqrt(0.022 / 4e5) =
// 2.3e-4 (x ~2 for correlation), band is +-8 sd.
TEST_CASE("two-variable model simulated delay reaches the zero-probability state") {
  g::options o;
  o.run = g::mode::simulated_delay;
  o.tau_max = 1;
  o.sweeps = 200'000;
  o.burn_in = 1;
  o.seed = 7;
  o.init = {1, 1};
  const std::array<double, 4> p = joint_frequencies(o);
  CHECK(p[0] >= 0.018);
  CHECK(p[0] <= 0.026);
}

// One b-bit coin for q = 0.3 (q * 16 = 4.8: nearest gives 5/16 = 0.3125).
// 1e6 flips: sd sqrt(0.21 / 1e6) = 4.6e-4. SR within 4 sd of q at 4..8 bits;
// nearest at 4 bits is 0.0125 = 27 sd away, and within 4 sd of 5/16.
TEST_CASE("coin flip stochastic threshold is unbiased and nearest is not") {
  const double q = 0.3;
  auto freq = [&](int bits, g::coin_rounding rnd) {
    g::coin_options c;
    c.bits = bits;
    c.rounding = rnd;
    lowp::counter_rng rng(11, static_cast<std::uint64_t>(bits));
    std::uint64_t ones = 0;
    for (int i = 0; i < 1'000'000; ++i) ones += g::flip(q, c, rng) ? 1u : 0u;
    return static_cast<double>(ones) / 1e6;
  };
  for (int bits : {4, 5, 6, 7, 8}) CHECK(std::abs(freq(bits, g::coin_rounding::stochastic) - q) <= 4 * 4.6e-4);
  const double n4 = freq(4, g::coin_rounding::nearest);
  CHECK(std::abs(n4 - q) >= 0.01);
  CHECK(std::abs(n4 - 5.0 / 16.0) <= 4 * 4.6e-4);
}

// A categorical UAI model (3 variables, cardinalities 3/2/3) with evidence:
// sequential Gibbs against exact enumeration, double and 8-bit SR coins.
// 3e5 sweeps (9e5 updates): per-entry sd <= 0.5 * sqrt(5 / 3e5) = 2e-3, bound
// 1e-2 (5 sd). Evidence variables stay clamped.
TEST_CASE("categorical UAI model marginals match enumeration") {
  const char* text =
      "MARKOV\n4\n3 2 3 2\n4\n2 0 1\n2 1 2\n1 2\n2 2 3\n"
      "6\n 1.0 2.0 0.5 1.0 3.0 0.2\n6\n 1.0 0.5 2.0 0.1 1.0 1.0\n3\n 1.0 2.0 0.0\n6\n 2 1 1 2 1 3\n";
  const lowp::datasets::uai_model um = lowp::datasets::parse_uai(text);
  const g::factor_graph m = g::from_uai(um, {{3, 1}});
  const std::vector<double> exact = g::exact_marginals(m);
  for (int bits : {0, 8}) {
    g::options o;
    o.sweeps = 300'000;
    o.burn_in = 100;
    o.seed = 13;
    o.coin.bits = bits;
    const g::result r = g::sample(m, o);
    const std::vector<double> p = r.marginals();
    REQUIRE(p.size() == exact.size());
    for (std::size_t k = 0; k < p.size(); ++k) CHECK(std::abs(p[k] - exact[k]) <= 1e-2);
    CHECK(r.state[3] == 1);
    CHECK(p[r.offset[2] + 2] == 0.0);  // zero unary entry: never sampled
  }
}

TEST_CASE("single-threaded runs are bit-identical and seeds matter") {
  const g::ising_model m = g::make_ising_torus(6, 6, 0.2, 0.1);
  g::options o;
  o.sweeps = 2000;
  o.burn_in = 100;
  o.seed = 42;
  o.run = g::mode::simulated_delay;
  o.tau_max = 8;
  const g::result a = g::sample(m, o), b = g::sample(m, o);
  CHECK(a.counts == b.counts);
  CHECK(a.state == b.state);
  o.seed = 43;
  CHECK(g::sample(m, o).counts != a.counts);
}

TEST_CASE("dobrushin total influence of ising grids") {
  CHECK(g::make_ising_torus(8, 8, 0.25, 0.0).total_influence() == doctest::Approx(0.9797).epsilon(1e-3));
  CHECK(g::make_ising_torus(8, 8, 0.26, 0.0).total_influence() >= 1.0);
  // The general enumeration: one edge gives tanh(beta) exactly; on a torus
  // the Ising formula is an upper bound (attained only if a zero local field
  // is possible, which h = 0.3 with 3 other +-0.2 neighbours excludes).
  const g::ising_model pair(2, {{0, 1, 0.3}}, {0.0, 0.0});
  CHECK(g::total_influence(pair.to_factor_graph()) == doctest::Approx(std::tanh(0.3)).epsilon(1e-9));
  const g::ising_model m = g::make_ising_torus(4, 4, 0.2, 0.3);
  const double a = g::total_influence(m.to_factor_graph());
  CHECK(a <= m.total_influence() + 1e-12);
  CHECK(a >= 0.9 * m.total_influence());
}

TEST_CASE("bad options are rejected") {
  const g::ising_model m = g::make_ising_ring(5, 0.1, 0.0);
  g::options o;
  o.burn_in = o.sweeps;
  CHECK_THROWS_AS(g::sample(m, o), std::invalid_argument);
  o = g::options{};
  o.coin.bits = 17;
  CHECK_THROWS_AS(g::sample(m, o), std::invalid_argument);
  o = g::options{};
  o.init = {0, 1};
  CHECK_THROWS_AS(g::sample(m, o), std::invalid_argument);
}

// HOGWILD! on 2 threads (the TSan target): relaxed atomic_ref state, per-
// thread tallies. Random scan: marginals close to exact on a weakly coupled
// 4x4 torus (2e4 sweeps: per-entry sd ~ sqrt(0.25 * 3 / 2e4) = 6e-3 with 1
// thread; the bound 2e-2 leaves room for the small asynchronous bias).
TEST_CASE("hogwild two threads marginals") {
  const g::ising_model m = g::make_ising_torus(4, 4, 0.1, 0.2);
  const std::vector<double> exact = g::exact_marginals(m);
  for (g::scan sc : {g::scan::random, g::scan::systematic}) {
    g::options o;
    o.run = g::mode::hogwild;
    o.threads = 2;
    o.order = sc;
    o.sweeps = 20'000;
    o.burn_in = 100;
    o.snapshot_every = 5000;
    const g::result r = g::sample(m, o);
    CHECK(r.snapshots.size() == 4);
    CHECK(r.updates == 20'000u * 16u);
    // Systematic shards are not ergodic while one thread stalls (gibbs.hpp),
    // which on 16 spins and 2e4 sweeps can be the whole run: only the
    // random scan's marginals are checked.
    if (sc == g::scan::systematic) continue;
    const std::vector<double> p = r.marginals();
    for (std::size_t k = 0; k < p.size(); ++k) CHECK(std::abs(p[k] - exact[k]) <= 2e-2);
  }
}

// The checkerboard grid kernel (grid.hpp) against exact enumeration on a 4x4
// torus, every sampler variant; and the threaded variants run (TSan).
TEST_CASE("grid kernel matches enumeration") {
  const g::ising_model m = g::make_ising_torus(4, 4, 0.2, 0.1);
  const std::vector<double> exact = g::exact_marginals(m);
  for (g::grid_coin c : {g::grid_coin::float24, g::grid_coin::lp16}) {
    for (int threads : {1, 2}) {
      g::ising_grid grid(4, 4, 0.2, 0.1);
      g::grid_options o;
      o.coin = c;
      o.threads = threads;
      o.seed = 17;
      o.sweeps = 60'000;
      o.burn_in = 100;
      grid.run(o);
      // 6e4 sweeps of 16 spins: per-spin sd ~ sqrt(0.25 * 3 / 6e4) = 3.5e-3; bound 1.4e-2 (4 sd).
      for (std::size_t v = 0; v < 16; ++v) CHECK(std::abs(grid.marginal(v / 4, v % 4) - exact[2 * v + 1]) <= 1.4e-2);
    }
  }
}

// Chromatic grid runs are bit-identical for any thread count (draws depend on
// (seed, sweep, colour, site) only). HOGWILD! grid runs (no barrier; shared
// boundary rows through relaxed atomic_ref, interior rows plain) complete and
// tally every sweep; their marginals are not checked, since a thread that
// stalls freezes its band (TSan checks this test for races).
TEST_CASE("grid kernel threads") {
  g::ising_grid a(16, 20, 0.2, 0.1), b(16, 20, 0.2, 0.1);
  g::grid_options o;
  o.sweeps = 300;
  o.burn_in = 50;
  o.seed = 3;
  a.run(o);
  o.threads = 2;
  b.run(o);
  bool same = true;
  for (std::size_t i = 0; i < 16; ++i)
    for (std::size_t j = 0; j < 20; ++j) same = same && a.spin(i, j) == b.spin(i, j) && a.marginal(i, j) == b.marginal(i, j);
  CHECK(same);
  for (g::grid_coin c : {g::grid_coin::float24, g::grid_coin::lp16}) {
    g::ising_grid h(16, 20, 0.2, 0.1);
    o.hogwild = true;
    o.coin = c;
    h.run(o);
    CHECK(h.tallied_sweeps() == 250);
  }
  CHECK_THROWS_AS(g::ising_grid(6, 5, 0.1, 0.0), std::invalid_argument);
  o.burn_in = o.sweeps;
  CHECK_THROWS_AS(a.run(o), std::invalid_argument);
}

// Fixed-point energies (spec B.6 item 5: quantized weights change the model;
// test against enumeration of the quantized model). 4x4 torus, beta 0.3,
// h 0.15 on a 2^-2 grid: beta -> 0.25, h -> 0.25. 1e5 sweeps: per-spin sd
// ~ sqrt(0.25 * 3 / 1e5) = 2.7e-3; bound 1.2e-2 against the quantized model,
// whose marginals differ from the original by > 0.02 (checked), so sampling
// the quantized model cannot pass against the original's enumeration.
TEST_CASE("quantized weights are sampled exactly as the quantized model") {
  const g::ising_model m = g::make_ising_torus(4, 4, 0.3, 0.15);
  const g::ising_model q = m.quantized(2);
  const std::vector<double> ex_m = g::exact_marginals(m), ex_q = g::exact_marginals(q);
  CHECK(std::abs(ex_q[1] - ex_m[1]) > 0.02);
  g::options o;
  o.sweeps = 100'000;
  o.burn_in = 100;
  o.seed = 21;
  const std::vector<double> p = g::sample(q, o).marginals();
  for (std::size_t k = 0; k < p.size(); ++k) CHECK(std::abs(p[k] - ex_q[k]) <= 1.2e-2);
  CHECK_THROWS_AS(m.quantized(2, 1).quantized(30), std::invalid_argument);
  CHECK_THROWS_AS(g::make_ising_ring(4, 3.0, 0.0).quantized(4, 1), std::invalid_argument);
}
