// Matrix-factorization SGD (solvers/lowrank/mf_sgd.hpp) on a planted low-rank
// ratings problem: quick properties (the MovieLens numbers are in movielens_test.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "lowp/datasets/synthetic.hpp"
#include "lowp/solvers/lowrank/mf_sgd.hpp"

using namespace lowp;
using namespace lowp::lowrank;
namespace syn = lowp::datasets::synthetic;

namespace {
struct split {
  datasets::ratings train, test;
  double noise;
};
// 400 x 300, rank 4, 48,000 noisy entries (40%); every 5th entry is held out.
const split& problem() {
  static const split s = [] {
    const double noise = 0.25;
    const auto p = syn::planted_rectangular({.rows = 400, .cols = 300, .rank = 4,
                                             .spectrum = {400.0, 300.0, 200.0, 150.0}, .samples = 48000,
                                             .noise_sigma = noise, .seed = 21});
    split out;
    out.noise = noise;
    for (auto* r : {&out.train, &out.test}) {
      r->n_users = 400;
      r->n_items = 300;
    }
    for (std::size_t k = 0; k < p.entries.size(); ++k) {
      auto& r = k % 5 == 0 ? out.test : out.train;
      r.user.push_back(p.entries.user[k]);
      r.item.push_back(p.entries.item[k]);
      r.rating.push_back(p.entries.rating[k] + 3.0f);  // ratings-like offset
    }
    return out;
  }();
  return s;
}
template <class S>
mf_result fit(int threads = 1, std::uint64_t seed = 1, std::size_t epochs = 20) {
  S m({.rank = 8, .lambda = 0.02, .step_size = 0.1, .epochs = epochs, .threads = threads, .seed = seed});
  return m.fit(problem().train, &problem().test);
}
}  // namespace

// The planted noise sigma = 0.25 is the best achievable test RMSE; a rank-8
// fit with 160 observations per row gets within ~20% of it. The global-mean
// baseline is ~1.3, so the bounds below fail for any broken update.
TEST_CASE("mf_sgd planted: float approaches the noise level and 16-bit matches it") {
  const auto f = fit<mf_sgd_f32>();
  const auto q16 = fit<mf_sgd_q16>();
  const double base = f.trace.front().test_rmse;
  MESSAGE("test RMSE: start " << base << ", float " << f.trace.back().test_rmse << ", q16 "
                              << q16.trace.back().test_rmse << " (noise " << problem().noise << ")");
  CHECK(f.why == status::max_epochs);
  CHECK(f.trace.size() == 21);
  CHECK(f.trace.back().test_rmse <= 1.4 * problem().noise);
  CHECK(q16.trace.back().test_rmse <= f.trace.back().test_rmse + 0.01);
  CHECK(f.updates == 20 * problem().train.size());
}

TEST_CASE("mf_sgd planted: 8-bit with stochastic rounding learns and round-to-nearest is worse") {
  const auto f = fit<mf_sgd_f32>();
  const auto sr = fit<mf_sgd_q8>();
  const auto rn = fit<mf_sgd<fixed<8, dynamic_scale>, round::nearest_even>>();
  const double fs = f.trace.back().test_rmse, s8 = sr.trace.back().test_rmse, n8 = rn.trace.back().test_rmse;
  MESSAGE("test RMSE float " << fs << ", q8 SR " << s8 << ", q8 nearest " << n8 << "; saturations " << sr.saturations);
  CHECK(s8 <= fs + 0.1);
  CHECK(n8 >= s8 + 0.1);  // measured 0.60 vs 0.34
}

TEST_CASE("mf_sgd: one thread is bit-identical run to run and two threads reach the same RMSE") {
  const auto a = fit<mf_sgd_q8>(1, 3, 5), b = fit<mf_sgd_q8>(1, 3, 5);
  CHECK(a.model.P == b.model.P);
  CHECK(a.model.Q == b.model.Q);
  const auto t1 = fit<mf_sgd_f32>(1, 3), t2 = fit<mf_sgd_f32>(2, 3);
  const auto h2 = mf_sgd<float, round::stochastic<>, hogwild>(
                      {.rank = 8, .lambda = 0.02, .step_size = 0.1, .epochs = 20, .threads = 2, .seed = 3})
                      .fit(problem().train, &problem().test);
  MESSAGE("test RMSE T=1 " << t1.trace.back().test_rmse << ", blocked T=2 " << t2.trace.back().test_rmse
                           << ", hogwild T=2 " << h2.trace.back().test_rmse);
  CHECK(std::abs(t2.trace.back().test_rmse - t1.trace.back().test_rmse) <= 0.02);
  CHECK(std::abs(h2.trace.back().test_rmse - t1.trace.back().test_rmse) <= 0.02);
}

TEST_CASE("mf_sgd: bad options and bad data throw and a huge step is reported as diverged") {
  CHECK_THROWS_AS(mf_sgd_f32({.rank = 0}), std::invalid_argument);
  CHECK_THROWS_AS(mf_sgd_f32({.lambda = -1}), std::invalid_argument);
  CHECK_THROWS_AS(mf_sgd_f32({.step_size = 0}), std::invalid_argument);
  CHECK_THROWS_AS(mf_sgd_f32({.threads = 0}), std::invalid_argument);
  datasets::ratings bad;
  bad.n_users = 1;
  bad.n_items = 1;
  CHECK_THROWS_AS(mf_sgd_f32({}).fit(bad), std::invalid_argument);
  bad.user = {0, 3};
  bad.item = {0, 0};
  bad.rating = {1, 2};
  CHECK_THROWS_AS(mf_sgd_f32({}).fit(bad), std::invalid_argument);
  const auto r = mf_sgd_f32({.rank = 8, .step_size = 1e4, .epochs = 5, .adagrad = false}).fit(problem().train);
  MESSAGE("huge step: " << std::string(to_string(r.why)) << " " << r.message);
  CHECK(r.why == status::diverged);
}

// Rank 32 takes mf_sgd_q8's integer-domain kernel (detail/mf_int8.hpp) by
// default (on CPUs with AVX-512 + AES). It must learn as well as the
// float-increment kernel it replaced (int8_kernel = false). Measured over seeds
// 1-5: int8 0.3037-0.3057, float-increment 0.3016-0.3083 test RMSE (seed 1:
// 0.3041 vs 0.3053), so the seed spread is < 0.01 and the margin 0.03 is 4x
// it, while a broken update stays near the start (~1.3). One thread must be
// bit-identical per seed. (Round-to-nearest is only reported: at rank 32 it
// measured 0.318, too close to tell apart from seed noise.)
TEST_CASE("mf_sgd int8 kernel at rank 32: learns like the float-increment kernel and is bit-identical per seed") {
  auto run = [](bool int8, std::uint64_t seed, std::size_t epochs) {
    return mf_sgd_q8({.rank = 32, .lambda = 0.02, .step_size = 0.1, .epochs = epochs, .threads = 1, .seed = seed,
                      .int8_kernel = int8})
        .fit(problem().train, &problem().test);
  };
  const auto a = run(true, 1, 20), b = run(false, 1, 20);
  const auto rn = mf_sgd<fixed<8, dynamic_scale>, round::nearest_even>(
                      {.rank = 32, .lambda = 0.02, .step_size = 0.1, .epochs = 20, .threads = 1, .seed = 1})
                      .fit(problem().train, &problem().test);
  const double sa = a.trace.back().test_rmse, sb = b.trace.back().test_rmse, sn = rn.trace.back().test_rmse;
  MESSAGE("rank 32 test RMSE: int8 kernel " << sa << ", float-increment kernel " << sb << ", int8 nearest " << sn
                                            << " (noise " << problem().noise << ")");
  CHECK(a.why == status::max_epochs);
  CHECK(sa <= sb + 0.03);
  CHECK(sa <= 1.4 * problem().noise + 0.05);
  const auto c = run(true, 7, 4), d = run(true, 7, 4), e = run(true, 8, 4);
  CHECK(c.model.P == d.model.P);
  CHECK(c.model.Q == d.model.Q);
  CHECK(c.model.P != e.model.P);
}

// The int8 kernel's batches (detail/mf_int8_batch.hpp) give the bits of the
// same order taken two ratings at a time through the pair kernel, with biases
// and the warm-start epoch; with and without AdaGrad.
TEST_CASE("mf_sgd int8 batches equal the same order rated in pairs bit for bit") {
  if (!lowrank::detail::mf_i8_batch_available(32, 8)) {
    MESSAGE("CPU without AVX-512 + VAES: the batch kernel does not run here");
    return;
  }
  for (const bool adagrad : {true, false}) {
    auto run = [&](bool batch) {
      return mf_sgd_q8({.rank = 32, .lambda = 0.02, .step_size = 0.1, .epochs = 3, .threads = 1,
                        .seed = 3, .biases = true, .adagrad = adagrad, .int8_batch = batch})
          .fit(problem().train, &problem().test);
    };
    const auto a = run(true), b = run(false);
    CHECK(a.model.P == b.model.P);
    CHECK(a.model.Q == b.model.Q);
    CHECK(a.model.user_bias == b.model.user_bias);
    CHECK(a.model.item_bias == b.model.item_bias);
    CHECK(a.saturations == b.saturations);
    CHECK(a.trace.back().test_rmse < a.trace.front().test_rmse - 0.2);  // it trained
  }
}

// mf_batch_order: a permutation within each block, batches of at most 16
// ratings that share no user and no item, covering the block, mostly full.
TEST_CASE("mf_batch_order permutes within blocks into conflict-free batches") {
  namespace lrd = lowrank::detail;
  counter_rng g(77, 1);
  std::vector<std::uint32_t> u, v;
  std::vector<float> r;
  std::vector<lrd::mf_block> blocks;
  for (std::size_t b = 0; b < 5; ++b) {
    const std::size_t n = b == 0 ? 0 : (b == 1 ? 7 : 300 * b);
    blocks.push_back({u.size(), u.size() + n});
    std::vector<std::pair<std::uint32_t, std::uint32_t>> e;
    for (std::size_t i = 0; i < n; ++i) e.push_back({g.next_u32() % (b == 4 ? 3u : 60u), g.next_u32() % 40u});
    std::sort(e.begin(), e.end());  // by user, as mf_sgd's blocks
    for (auto [x, y] : e) {
      u.push_back(x);
      v.push_back(y);
      r.push_back(float(x) * 1000.0f + float(y));  // identifies the pair
    }
  }
  const auto u0 = u, v0 = v;
  const auto r0 = r;
  // lookahead 1 cuts each batch at its first clash: few full batches here.
  std::size_t greedy_full = 0;
  {
    auto u1 = u, v1 = v;
    auto r1 = r;
    const auto len1 = lrd::mf_batch_order(u1, v1, r1, blocks, 1);
    for (std::size_t b = 2; b <= 3; ++b)
      for (std::size_t i = blocks[b].begin; i < blocks[b].end; i += len1[i]) greedy_full += len1[i] == 16 ? 16 : 0;
  }
  const auto len = lrd::mf_batch_order(u, v, r, blocks);
  std::size_t batches = 0, covered = 0, full = 0, wide = 0;  // wide: ratings in blocks 2 and 3
  for (const auto& B : blocks) {
    const bool many = &B == &blocks[2] || &B == &blocks[3];
    if (many) wide += B.end - B.begin;
    std::vector<float> x(r0.begin() + std::ptrdiff_t(B.begin), r0.begin() + std::ptrdiff_t(B.end)),
        y(r.begin() + std::ptrdiff_t(B.begin), r.begin() + std::ptrdiff_t(B.end));
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    CHECK(x == y);  // the same ratings in the block
    for (std::size_t i = B.begin; i < B.end; ++i) CHECK(r[i] == float(u[i]) * 1000.0f + float(v[i]));
    for (std::size_t i = B.begin; i < B.end;) {
      const std::size_t n = len[i];
      REQUIRE(n >= 1);
      REQUIRE(n <= 16);
      REQUIRE(i + n <= B.end);
      for (std::size_t a = i; a < i + n; ++a)
        for (std::size_t c = a + 1; c < i + n; ++c) CHECK((u[a] != u[c] && v[a] != v[c]));
      if (many) full += n == 16 ? 16 : 0;
      covered += n;
      ++batches;
      i += n;
    }
  }
  CHECK(covered == u.size());
  // Blocks of 60 users x 40 items fill nearly every batch (a rating that
  // clashes waits for a later one); the 3-user block cannot.
  MESSAGE(batches << " batches for " << covered << " ratings; in the 60 x 40 blocks " << full << " of " << wide
                  << " ratings in full batches (" << greedy_full << " when cut at the first clash)");
  CHECK(full >= wide * 8 / 10);
  CHECK(greedy_full < full / 2);
}

// factor_matrix::requantize (mf_sgd's step re-pick after every epoch) is assign(values()) in
// place: the same bits, saturation count and draws, through its table of the possible q.
template <class F, class R>
void check_requantize(R make_r, double scale, double min_range, int seed) {
  factor_matrix<F> a(97, 13), b(97, 13);
  std::vector<double> v(97 * 13);
  counter_rng g(seed, 1);
  for (auto& x : v) x = (g.next_double() - 0.5) * scale;
  auto r0a = make_r(7), r0b = make_r(7);
  a.assign(v.data(), r0a, 0.5);
  b.assign(v.data(), r0b, 0.5);
  // Re-pick with another headroom, so that every q maps to a non-integer x (nearest_even takes
  // requantize's fallback, assign(values()), and checks only that). For stochastic rounding the
  // streams start with half a draw pending when seed is odd (the bulk path's first dither).
  auto ra = make_r(8), rb = make_r(8);
  if constexpr (R::result_type::is_stochastic)
    if (seed % 2 == 1) CHECK(ra.next_dither() == rb.next_dither());
  const std::vector<double> vals = a.values();
  double m = 0;
  for (double x : vals) m = std::max(m, std::abs(x));
  CHECK(b.max_abs() == m);
  const auto sa = a.assign(vals.data(), ra, 0.3, min_range);
  const auto sb = b.requantize(rb, 0.3, min_range);
  CHECK(sa == sb);
  CHECK(a.step() == b.step());
  const std::vector<double> va = a.values(), vb = b.values();
  std::size_t diff = 0;
  for (std::size_t i = 0; i < va.size(); ++i) diff += va[i] != vb[i];
  CHECK(diff == 0);
  // The streams advanced alike.
  if constexpr (R::result_type::is_stochastic) CHECK(ra.next_dither() == rb.next_dither());
}
template <class Rnd>
struct maker {
  using result_type = Rnd;
  Rnd operator()(std::uint64_t stream) const { return lowrank::detail::make_rounding<Rnd>(5, stream); }
};
struct shared_maker {  // one dither per 3 roundings
  using result_type = round::shared_stochastic<>;
  result_type operator()(std::uint64_t stream) const { return result_type(counter_rng(5, stream), 3); }
};

TEST_CASE("factor_matrix requantize equals assign of values: 8 and 16 bits, stochastic and nearest") {
  using q8 = fixed<8, dynamic_scale>;
  using q16 = fixed<16, dynamic_scale>;
  for (double min_range : {0.0, 0.2, 3.0}) {  // below, near and above max|v|
    check_requantize<q8>(maker<round::stochastic<>>{}, 1.0, min_range, 1);
    check_requantize<q16>(maker<round::stochastic<>>{}, 1.0, min_range, 2);
    check_requantize<q8>(maker<round::nearest_even>{}, 1.0, min_range, 3);
    check_requantize<q8>(shared_maker{}, 2.0, min_range, 4);
  }
  // headroom above 1 makes the largest values saturate: counted alike. From the full range
  // (max|q| = 127), x = 1.3 q, so q' = 128 (q = 98) must clamp as well as q' = 165.
  factor_matrix<q8> a(40, 25), b(40, 25);
  std::vector<double> v(1000);
  counter_rng g(9, 9);
  for (auto& x : v) x = g.next_double() * 2.0 - 1.0;
  auto r0a = maker<round::stochastic<>>{}(1), r0b = r0a;
  a.assign(v.data(), r0a, 1.0);
  b.assign(v.data(), r0b, 1.0);
  auto ra = maker<round::stochastic<>>{}(2), rb = ra;
  const auto vals = a.values();
  const auto sa = a.assign(vals.data(), ra, 1.3, 0.0);
  const auto sb = b.requantize(rb, 1.3, 0.0);
  CHECK(sa > 100);
  CHECK(sa == sb);
  CHECK(a.values() == b.values());
}
