// Two extensions of the SVRG family, tested against what must hold:
//  - the generic separable_objective path (objective.hpp) computes the same
//    SVRG as the structured linear-model path, and HALP on a problem that is
//    not a linear model still converges to its exact optimum;
//  - the Hogwild! inner loop (solver_options::inner_threads, spec halp.md
//    6.6.10) converges to <= 1e-10 on test 4's problem, judged by the median
//    and spread over 5 seeds since runs are not bit-reproducible.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "lowp/datasets/synthetic.hpp"
#include "problems.hpp"

using namespace lowp;
using lowp_test::ls_problem;
using lowp_test::recorder;

namespace {
using q8 = fixed<8, dynamic_scale>;

// A linear model seen only through the generic interface: per-example
// gradients, no margins. Same arithmetic as the structured path, in another
// order, so the two agree to rounding, not bit for bit.
template <class F>
struct as_separable {
  const F& f;
  std::size_t examples() const { return f.examples(); }
  std::size_t dimension() const { return f.dimension(); }
  double smoothness() const { return f.smoothness(); }
  double strong_convexity() const { return f.strong_convexity(); }
  double optimum() const { return f.optimum(); }
  double evaluate(const double* w, double* g) const { return f.evaluate(w, g); }
  void gradient(std::size_t i, const double* w, double* g) const {
    const std::size_t k = f.outputs(), d = f.features();
    std::vector<double> a(k), c(k);
    f.margins(i, w, a.data());
    f.derivative(i, a.data(), c.data());
    for (std::size_t j = 0; j < f.dimension(); ++j) g[j] = f.l2() * w[j];
    for (std::size_t q = 0; q < k; ++q) f.row_axpy(i, c[q], g + q * d);
  }
};

// Not a linear model: f_i(w) = 1/2 sum_j c_ij (w_j - a_ij)^2 + l2/2 |w|^2 with
// per-example weights c_ij in [0.5, 1.5]. f is separable per coordinate, so
// w*_j = sum_i c_ij a_ij / (sum_i c_ij + N l2) exactly, mu = min_j mean_i c_ij + l2
// and L_max = max c_ij + l2.
struct weighted_centroids {
  std::size_t n, d;
  double l2;
  std::vector<double> c, a, w_star;
  double f_star = 0;
  weighted_centroids(std::size_t n_, std::size_t d_, double l2_, std::uint64_t seed) : n(n_), d(d_), l2(l2_) {
    counter_rng r(seed, 0);
    c.resize(n * d), a.resize(n * d);
    for (std::size_t t = 0; t < n * d; ++t) c[t] = 0.5 + r.next_double(), a[t] = 4.0 * r.next_double() - 1.0;
    w_star.assign(d, 0.0);
    for (std::size_t j = 0; j < d; ++j) {
      double num = 0, den = n * l2;
      for (std::size_t i = 0; i < n; ++i) num += c[i * d + j] * a[i * d + j], den += c[i * d + j];
      w_star[j] = num / den;
    }
    f_star = evaluate(w_star.data(), nullptr);
  }
  std::size_t examples() const { return n; }
  std::size_t dimension() const { return d; }
  double optimum() const { return f_star; }
  double smoothness() const { return 1.5 + l2; }
  double strong_convexity() const {
    double m = 1e300;
    for (std::size_t j = 0; j < d; ++j) {
      double s = 0;
      for (std::size_t i = 0; i < n; ++i) s += c[i * d + j];
      m = std::min(m, s / n);
    }
    return m + l2;
  }
  double evaluate(const double* w, double* g) const {
    double f = 0;
    if (g) std::fill(g, g + d, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        const double e = w[j] - a[i * d + j];
        f += 0.5 * c[i * d + j] * e * e;
        if (g) g[j] += c[i * d + j] * e;
      }
    for (std::size_t j = 0; j < d; ++j) {
      f += 0.5 * n * l2 * w[j] * w[j];
      if (g) g[j] = g[j] / n + l2 * w[j];
    }
    return f / n;
  }
  void gradient(std::size_t i, const double* w, double* g) const {
    for (std::size_t j = 0; j < d; ++j) g[j] = c[i * d + j] * (w[j] - a[i * d + j]) + l2 * w[j];
  }
};
static_assert(separable_objective<weighted_centroids> && !linear_model_objective<weighted_centroids>);

double median5(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

TEST_CASE("SVRG through the generic separable interface equals the linear-model path to 1e-12") {
  ls_problem pr(20, 1e-3);
  const as_separable<decltype(pr.f)> g{pr.f};
  static_assert(separable_objective<decltype(g)> && !linear_model_objective<decltype(g)>);
  const solver_options o{.epochs = 8, .seed = 3};
  recorder rl, rg;
  auto wl = pr.zeros(), wg = pr.zeros();
  svrg<>(o).optimize(pr.f, wl, rl);
  svrg<>(o).optimize(g, wg, rg);
  REQUIRE(rl.states.size() == rg.states.size());
  for (std::size_t k = 0; k < 5; ++k) {  // while the gap is far above rounding
    CHECK(std::abs(rl.states[k].objective - rg.states[k].objective) <= 1e-12 * std::abs(rl.states[k].objective));
    for (std::size_t j = 0; j < wl.size(); ++j)
      CHECK(std::abs(rl.models[k][j] - rg.models[k][j]) <= 1e-12 * std::max(1.0, std::abs(rl.models[k][j])));
  }
  // HALP-8 sees the same rounding stream on both paths; its codes may differ where a
  // dither lands within rounding of a cell edge, so compare outcomes, not bits.
  recorder hl, hg;
  wl = pr.zeros(), wg = pr.zeros();
  const solver_options o8{.epochs = 20, .seed = 3};
  halp<q8>(o8).use_reference_loop().optimize(pr.f, wl, hl);
  halp<q8>(o8).optimize(g, wg, hg);
  CHECK(hl.states.back().gap <= 1e-12 * pr.f_star);
  CHECK(hg.states.back().gap <= 1e-12 * pr.f_star);
}

TEST_CASE("HALP-8 on a separable problem that is not a linear model converges to its exact optimum") {
  const weighted_centroids p(2000, 30, 1e-2, 7);
  const solver_options o{.epochs = 25, .seed = 9};
  recorder r_halp, r_lp;
  std::vector<double> w(p.d, 0.0);
  const report rh = halp<q8>(o).optimize(p, w, r_halp);
  CHECK(rh.why == status::max_epochs);
  const double gap = r_halp.states.back().gap / p.f_star;
  CHECK(gap <= 1e-10);
  double dist = 0;
  for (std::size_t j = 0; j < p.d; ++j) dist = std::max(dist, std::abs(w[j] - p.w_star[j]));
  CHECK(dist <= 1e-5);  // f - f* ~ mu/2 |w - w*|^2 with mu ~ 1: 1e-10 gap <=> ~1e-5 distance
  // LP-SVRG-8 on a fixed grid over the same range stalls (spec 6.6.5's picture). Its floor
  // here is ~7e-6 relative (seed 9; the grid's rounding noise delta^2/4 per coordinate,
  // delta ~ 1e-2); 1e-7 leaves 70x of margin and is still 1000x above HALP-8's bound.
  auto o8 = o;
  double wmax = 0;
  for (double v : p.w_star) wmax = std::max(wmax, std::abs(v));
  o8.delta = 1.25 * wmax / 127;
  std::fill(w.begin(), w.end(), 0.0);
  svrg<q8>(o8).optimize(p, w, r_lp);
  double best = 1e300;
  for (const auto& s : r_lp.states) best = std::min(best, s.gap / p.f_star);
  CHECK(best >= 1e-7);
}

TEST_CASE("a generic objective without smoothness or mu asks for the step size and mu") {
  struct bare {
    std::size_t examples() const { return 4; }
    std::size_t dimension() const { return 2; }
    double evaluate(const double* w, double* g) const {
      if (g) g[0] = w[0], g[1] = w[1];
      return 0.5 * (w[0] * w[0] + w[1] * w[1]);
    }
    void gradient(std::size_t, const double* w, double* g) const { g[0] = w[0], g[1] = w[1]; }
  } f;
  std::vector<double> w{1.0, -1.0};
  CHECK_THROWS_WITH_AS(svrg<>().optimize(f, w), doctest::Contains("step_size"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(halp<q8>(solver_options{.step_size = 0.1}).optimize(f, w), doctest::Contains("mu"),
                       std::invalid_argument);
  const report r = halp<q8>(solver_options{.step_size = 0.2, .epochs = 30, .mu = 1.0}).optimize(f, w);
  CHECK(r.why == status::max_epochs);
  CHECK(std::abs(w[0]) <= 1e-9);
  CHECK(std::abs(w[1]) <= 1e-9);
}

// Spec 6.6.10. A single run with 2 threads is not reproducible, so the claim is
// about the distribution: over 5 seeds the median final gap must be <= 1e-10
// (sequential HALP-8 reaches machine precision, ~1e-16, here in 20 epochs) and
// no seed may be stuck above 1e-8 (the spread: a Hogwild! run that lost its
// linear rate would sit orders of magnitude higher, near LP-SVRG's 1e-2 floor).
TEST_CASE("HALP-8 with a 2-thread Hogwild inner loop converges to 1e-10 over 5 seeds") {
  ls_problem pr(20);
  std::vector<double> finals;
  std::uint64_t saturations = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const solver_options o{.epochs = 25, .seed = seed, .inner_threads = 2};
    recorder r;
    auto w = pr.zeros();
    const report rep = halp<q8>(o).optimize(pr.f, w, r);
    CHECK(rep.why == status::max_epochs);
    CHECK(r.states.back().work == 25 * (1000 + 2000));  // work accounting unchanged by threads
    finals.push_back(std::max(r.states.back().gap, 0.0) / pr.f_star);
    saturations += rep.saturations;
  }
  const double med = median5(finals);
  MESSAGE("Hogwild HALP-8 final relative gaps: ", finals[0], " ", finals[1], " ", finals[2], " ", finals[3], " ",
          finals[4]);
  CHECK(med <= 1e-10);
  CHECK(*std::max_element(finals.begin(), finals.end()) <= 1e-8);
  CHECK(saturations == 0);  // mu is the true strong convexity: the box always contains w*
}

TEST_CASE("SVRG with a 2-thread Hogwild inner loop converges and inner_threads is validated") {
  ls_problem pr(20);
  auto w = pr.zeros();
  recorder r;
  svrg<>(solver_options{.epochs = 15, .seed = 2, .inner_threads = 2}).optimize(pr.f, w, r);
  CHECK(r.states.back().gap <= 1e-12 * pr.f_star);
  w = pr.zeros();
  CHECK_THROWS_WITH_AS(halp<q8>(solver_options{.inner_threads = 0}).optimize(pr.f, w),
                       doctest::Contains("inner_threads"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(halp<q8>(solver_options{.option_two = true, .inner_threads = 2}).optimize(pr.f, w),
                       doctest::Contains("option_two"), std::invalid_argument);
}

TEST_CASE("inner_threads = 1 keeps a run bit-identical to itself") {
  ls_problem pr(20);
  const solver_options o{.epochs = 6, .seed = 4, .inner_threads = 1};
  auto w1 = pr.zeros(), w2 = pr.zeros();
  halp<q8>(o).optimize(pr.f, w1);
  halp<q8>(o).optimize(pr.f, w2);
  CHECK(w1 == w2);
}
