// HALP's properties from the paper and from the spec (halp.md 6.6), with the
// thresholds calibrated in halp.md section 4 plus margin. Fixed seeds: these
// are statements about one well-defined run each, not about the test seed.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "problems.hpp"

using namespace lowp;
using lowp_test::ls_problem;
using lowp_test::recorder;

namespace {
using q4 = fixed<4, dynamic_scale>;
using q8 = fixed<8, dynamic_scale>;
using q16 = fixed<16, dynamic_scale>;

double min_of(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
// Median of the last m values: the level a stalled run sits at.
double floor_of(std::vector<double> v, std::size_t m) {
  v.erase(v.begin(), v.end() - static_cast<long>(m));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(m / 2), v.end());
  return v[m / 2];
}
}  // namespace

TEST_CASE("HALP with quantization disabled reproduces SVRG to 1e-12") {
  ls_problem pr(20);
  const solver_options o{.epochs = 12, .seed = 11};
  auto w_svrg = pr.zeros(), w_halp = pr.zeros();
  recorder rs, rh;
  svrg<>(o).optimize(pr.f, w_svrg, rs);
  halp<double>(o).optimize(pr.f, w_halp, rh);
  REQUIRE(rs.states.size() == rh.states.size());
  // Compare while the gap is far above rounding (afterwards both sit at machine precision).
  for (std::size_t k = 0; k < 6; ++k) {
    const double scale = std::max(1.0, std::abs(rs.states[k].objective));
    CHECK(std::abs(rs.states[k].objective - rh.states[k].objective) <= 1e-12 * scale);
    for (std::size_t j = 0; j < w_svrg.size(); ++j)
      CHECK(std::abs(rs.models[k][j] - rh.models[k][j]) <= 1e-12 * std::max(1.0, std::abs(rs.models[k][j])));
  }
  for (std::size_t j = 0; j < w_svrg.size(); ++j) CHECK(w_halp[j] == doctest::Approx(w_svrg[j]).epsilon(1e-12));
}

TEST_CASE("HALP-8 converges linearly to the exact optimum at SVRG's pace where LP-SGD and LP-SVRG stall") {
  ls_problem pr(20);
  const solver_options o{.epochs = 40, .seed = 5};
  recorder r_svrg, r_halp, r_lpsvrg8, r_lpsvrg16, r_lpsgd8;
  auto w = pr.zeros();
  svrg<>(o).optimize(pr.f, w, r_svrg);
  w = pr.zeros();
  const report rh = halp<q8>(o).optimize(pr.f, w, r_halp);
  CHECK(rh.why == status::max_epochs);
  auto o8 = o, o16 = o;
  o8.delta = pr.lp_delta(8);
  o16.delta = pr.lp_delta(16);
  w = pr.zeros();
  svrg<q8>(o8).optimize(pr.f, w, r_lpsvrg8);
  w = pr.zeros();
  svrg<q16>(o16).optimize(pr.f, w, r_lpsvrg16);
  w = pr.zeros();
  sgd<q8>(o8).optimize(pr.f, w, r_lpsgd8);

  const auto g_svrg = r_svrg.rel_gaps(pr.f_star), g_halp = r_halp.rel_gaps(pr.f_star);
  // Within 20 outer iterations both reach 1e-12 relative (spec 6.6.4; measured: machine precision by 15).
  CHECK(*std::min_element(g_halp.begin(), g_halp.begin() + 21) <= 1e-12);
  CHECK(*std::min_element(g_svrg.begin(), g_svrg.begin() + 21) <= 1e-12);

  // The baselines never get near: a floor set by the fixed grid.
  const double lpsvrg8 = floor_of(r_lpsvrg8.rel_gaps(pr.f_star), 10);
  const double lpsvrg16 = floor_of(r_lpsvrg16.rel_gaps(pr.f_star), 10);
  MESSAGE("floors: lp-svrg-8 " << lpsvrg8 << ", lp-svrg-16 " << lpsvrg16 << ", ratio " << lpsvrg8 / lpsvrg16);
  CHECK(min_of(r_lpsvrg8.rel_gaps(pr.f_star)) >= 1e-4);
  CHECK(min_of(r_lpsgd8.rel_gaps(pr.f_star)) >= 1e-4);
  // 16-bit LP-SVRG stalls too, near 1e-7 relative (measured 2.2e-7 in the spec, 1.3e-6 here)
  CHECK(lpsvrg16 > 1e-9);
  CHECK(lpsvrg16 < 1e-5);
  // The floor scales as delta^2: 2^16 between 8 and 16 bits (spec 6.6.5 window).
  CHECK(lpsvrg8 / lpsvrg16 >= 1e4);
  CHECK(lpsvrg8 / lpsvrg16 <= 2e5);
}

TEST_CASE("HALP-8 contracts at a rate within 2x of SVRG's") {
  // Per-outer-iteration contraction over the first 10 iterations, on four
  // draws of the spec's problem. Measured here: SVRG 0.036-0.044, HALP-8
  // 0.072-0.087 (the spec's scratch run: 0.055 and 0.082); the quantization
  // noise costs about a factor 1.8 per iteration, not the linear rate.
  double log_ratio = 0;
  for (std::uint64_t data_seed = 1; data_seed <= 4; ++data_seed) {
    ls_problem pr(20, 0.0, data_seed);
    recorder rs, rh;
    auto w = pr.zeros();
    svrg<>({.epochs = 10, .seed = 5}).optimize(pr.f, w, rs);
    w = pr.zeros();
    halp<q8>({.epochs = 10, .seed = 5}).optimize(pr.f, w, rh);
    const double rate_svrg = std::pow(rs.states[10].gap / rs.states[0].gap, 0.1);
    const double rate_halp = std::pow(rh.states[10].gap / rh.states[0].gap, 0.1);
    MESSAGE("data " << data_seed << ": contraction svrg " << rate_svrg << ", halp-8 " << rate_halp);
    CHECK(rate_halp < 0.15);
    CHECK(rate_halp / rate_svrg < 2.5);
    log_ratio += std::log(rate_halp / rate_svrg) / 4;
  }
  CHECK(std::exp(log_ratio) < 2.0);
}

TEST_CASE("HALP with round-to-nearest freezes at the start point") {
  ls_problem pr(20);
  auto w = pr.zeros();
  const report r = halp<q8, round::nearest_even>({.epochs = 10, .seed = 5}).optimize(pr.f, w);
  // |alpha g_j| < s/2 for every coordinate at z = 0: no write ever moves.
  for (double v : w) CHECK(v == 0.0);
  CHECK(r.objective == pr.f.evaluate(pr.zeros().data()));
}

TEST_CASE("too few bits are detected: HALP-4 at d = 100 diverges and says so while HALP-16 converges") {
  ls_problem pr(100);
  auto w = pr.zeros();
  const report r4 = halp<q4>({.epochs = 40, .seed = 5}).optimize(pr.f, w);
  CHECK(r4.why == status::diverged);
  CHECK(r4.message.find("4-bit") != std::string::npos);
  for (double v : w) CHECK(std::isfinite(v));  // the last good anchor, not garbage
  w = pr.zeros();
  const report r16 = halp<q16>({.epochs = 20, .seed = 5}).optimize(pr.f, w);
  CHECK(r16.why == status::max_epochs);
  CHECK((r16.objective - pr.f_star) / pr.f_star <= 1e-12);
}

TEST_CASE("the b-bit box around every anchor contains the optimum") {
  ls_problem pr(20, /*l2=*/0.05);
  recorder rec;
  auto w = pr.zeros();
  halp<q8>({.epochs = 15, .seed = 3}).optimize(pr.f, w, rec);
  // s_k (127) = ||g~_k|| / mu bounds ||w~_k - w*|| for mu-strongly convex f.
  for (std::size_t k = 0; k < rec.states.size(); ++k) {
    const double half_width = rec.states[k].full_gradient_norm / pr.mu;
    double dist = 0;
    for (std::size_t j = 0; j < w.size(); ++j)
      dist = std::max(dist, std::abs(rec.models[k][j] - pr.p.w_opt[static_cast<Eigen::Index>(j)]));
    CHECK(dist <= half_width * (1 + 1e-9) + 1e-15);
  }
}

TEST_CASE("HALP's fixed point with l2 > 0 is the ridge solution") {
  // Fails for the lambda*z instead of lambda*(w~ + s z) regulariser bug.
  ls_problem pr(20, /*l2=*/0.1);
  auto w = pr.zeros();
  halp<q8>({.epochs = 30, .seed = 9}).optimize(pr.f, w);
  for (std::size_t j = 0; j < w.size(); ++j)
    CHECK(std::abs(w[j] - pr.p.w_opt[static_cast<Eigen::Index>(j)]) <= 1e-10);
}

TEST_CASE("a mu that is too large clamps but still makes progress on average") {
  ls_problem pr(20);
  double first = 0, mid = 0, last = 0;
  std::uint64_t clamps = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    recorder rec;
    auto w = pr.zeros();
    const report r = halp<q8>({.epochs = 20, .seed = seed, .mu = 100 * pr.mu}).optimize(pr.f, w, rec);
    clamps += r.saturations;
    const auto g = rec.rel_gaps(pr.f_star);
    first += g[0] / 5, mid += g[10] / 5, last += g[20] / 5;
  }
  MESSAGE("mu x100: clamps " << clamps << ", mean gap " << first << " -> " << mid << " -> " << last);
  CHECK(clamps > 0);
  CHECK(mid < first);
  CHECK(last < mid);
}

TEST_CASE("same seed gives the same trajectory bit for bit and threads do not change it") {
  ls_problem pr(20, 0.0, 1, 3000);
  const solver_options o{.epochs = 5, .seed = 21};
  recorder a, b, c;
  auto wa = pr.zeros(), wb = pr.zeros(), wc = pr.zeros();
  halp<q8>(o).optimize(pr.f, wa, a);
  halp<q8>(o).optimize(pr.f, wb, b);
  halp<q8, round::stochastic<>, parallel::openmp>(o, parallel::openmp{2}).optimize(pr.f, wc, c);
  CHECK(wa == wb);
  CHECK(wa == wc);
  for (std::size_t k = 0; k < a.states.size(); ++k) {
    CHECK(a.states[k].objective == b.states[k].objective);
    CHECK(a.states[k].objective == c.states[k].objective);
  }
  auto wd = pr.zeros();
  halp<q8>({.epochs = 5, .seed = 22}).optimize(pr.f, wd);
  CHECK(wd != wa);
}

TEST_CASE("work accounting is K (N + T) with cached margins") {
  ls_problem pr(20);
  auto w = pr.zeros();
  const report r = halp<q8>({.epoch_length = 1500, .epochs = 7, .seed = 1}).optimize(pr.f, w);
  CHECK(r.epochs == 7);
  CHECK(r.work == 7u * (1000u + 1500u));
}

TEST_CASE("a run resumed from the middle is bit-identical to an uninterrupted one") {
  ls_problem pr(20);
  const solver_options o{.epochs = 12, .seed = 77};
  recorder full, first, second;
  auto w_full = pr.zeros();
  halp<q8>(o).optimize(pr.f, w_full, full);

  struct stop_at {
    std::size_t epoch;
    bool on_epoch_end(const epoch_state& s) { return s.epoch == epoch; }
  } stop{5};
  auto w = pr.zeros();
  const report r1 = halp<q8>(o).optimize(pr.f, w, first, stop);
  CHECK(r1.why == status::stopped_by_callback);
  CHECK(r1.epochs == 5);
  const auto& last = first.states.back();
  const resume_point rp{.first_epoch = 5, .work = last.work, .total_saturations = last.total_saturations,
                        .seconds = last.seconds, .previous_gradient_norm = last.full_gradient_norm,
                        .initial_gradient_norm = first.states[0].full_gradient_norm};
  halp<q8>(o).resume(pr.f, w, rp, second);
  CHECK(w == w_full);
  REQUIRE(first.states.size() + second.states.size() == full.states.size());
  for (std::size_t k = 0; k < second.states.size(); ++k) {
    const auto& a = full.states[first.states.size() + k];
    CHECK(second.states[k].epoch == a.epoch);
    CHECK(second.states[k].objective == a.objective);
    CHECK(second.states[k].work == a.work);
    CHECK(second.states[k].total_saturations == a.total_saturations);
  }
}

TEST_CASE("HALP-8 solves regularised logistic and softmax regression to high accuracy") {
  auto lp = lowp::datasets::synthetic::logistic_regression({.n = 800, .d = 10, .l2 = 1e-2, .seed = 4});
  objectives::logistic_regression<lowp::datasets::dense_dataset> f(lp.data, 1e-2);
  auto w = std::vector<double>(10, 0.0);
    // mu defaults to l2, a global bound far below the curvature near w*; a
  // tuned mu (spec 6.5: a tuning knob for non-quadratic losses) is 10x faster.
  const report r = halp<q8>({.epochs = 25, .seed = 2, .mu = 0.1}).optimize(f, w);
  CHECK(r.why == status::max_epochs);
  for (int j = 0; j < 10; ++j) CHECK(std::abs(w[static_cast<std::size_t>(j)] - lp.w_opt[j]) <= 1e-8);

  // softmax: 3 classes from the sign pattern of two planted directions
  lowp::datasets::dense_dataset x = lp.data;
  for (std::size_t i = 0; i < x.n; ++i) x.y[i] = x.X[i * x.d] > 0.5f ? 2.0f : (x.X[i * x.d + 1] > 0 ? 1.0f : 0.0f);
  // l2 = 0.1: softmax's shift-invariant direction has curvature l2 only, so
  // kappa = L/l2; at l2 = 0.01 (kappa ~ 1500) 8 and 16 bits still converge
  // linearly but at 0.85 per epoch against SVRG's 0.57 (spec 1.3: bits grow
  // with kappa sqrt(d)); here both track SVRG.
  objectives::softmax_regression<lowp::datasets::dense_dataset> fs(x, 0.1, objectives::softmax_loss{3});
  std::vector<double> ws(fs.dimension(), 0.0), wr(fs.dimension(), 0.0);
  svrg<>({.epochs = 25, .seed = 2}).optimize(fs, wr);
  const report r8 = halp<q8>({.epochs = 25, .seed = 2}).optimize(fs, ws);
  CHECK(r8.why == status::max_epochs);
  CHECK(r8.full_gradient_norm <= 1e-10);
  for (std::size_t j = 0; j < ws.size(); ++j) CHECK(std::abs(ws[j] - wr[j]) <= 1e-9);
}
