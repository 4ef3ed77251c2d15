// lowp/datasets/synthetic.hpp: every generator is a pure function of its
// parameters (seed included), and what it plants is what it returns.
// Statistical tolerances are 5 standard deviations of the statistic checked.
#include <doctest/doctest.h>

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "lowp/datasets/synthetic.hpp"
#include "test_support.hpp"

namespace syn = lowp::datasets::synthetic;

namespace {

template <class F>
void check_invalid(F&& f, const std::string& needle) {
  bool thrown = false;
  try {
    f();
  } catch (const std::invalid_argument& e) {
    thrown = true;
    const std::string msg = e.what();
    INFO("message: ", msg);
    CHECK(msg.find(needle) != std::string::npos);
  }
  INFO("expected std::invalid_argument mentioning: ", needle);
  CHECK(thrown);
}

bool same_ratings(const lowp::datasets::ratings& a, const lowp::datasets::ratings& b) {
  return a.user == b.user && a.item == b.item && a.rating == b.rating && a.n_users == b.n_users &&
         a.n_items == b.n_items;
}

bool same_ising(const syn::ising_model& a, const syn::ising_model& b) {
  if (a.edges.size() != b.edges.size()) return false;
  for (std::size_t k = 0; k < a.edges.size(); ++k)
    if (a.edges[k].u != b.edges[k].u || a.edges[k].v != b.edges[k].v) return false;
  return a.n_vars == b.n_vars && a.coupling == b.coupling && a.field == b.field;
}

}  // namespace

TEST_CASE("normal_rng: mean 0 and variance 1 within 5 sigma and streams differ") {
  const std::uint64_t seed = lowp_test::seed();
  syn::normal_rng g(seed, 0);
  const int N = 200000;
  double s = 0, s2 = 0, s4 = 0;
  for (int i = 0; i < N; ++i) {
    const double z = g();
    s += z;
    s2 += z * z;
    s4 += z * z * z * z;
  }
  const double mean = s / N, var = s2 / N - mean * mean;
  CHECK(std::abs(mean) <= 5.0 / std::sqrt(double(N)));
  CHECK(std::abs(var - 1.0) <= 5.0 * std::sqrt(2.0 / N));  // Var(z^2) = 2
  CHECK(std::abs(s4 / N - 3.0) <= 5.0 * std::sqrt(96.0 / N));  // Var(z^4) = 105 - 9

  syn::normal_rng a(seed, 1), b(seed, 1), c(seed, 2), d(seed + 1, 1);
  bool ab_equal = true, ac_differ = false, ad_differ = false;
  for (int i = 0; i < 64; ++i) {
    const double x = a(), y = b(), z = c(), w = d();
    ab_equal = ab_equal && x == y;
    ac_differ = ac_differ || x != z;
    ad_differ = ad_differ || x != w;
  }
  CHECK(ab_equal);
  CHECK(ac_differ);
  CHECK(ad_differ);
}

TEST_CASE("uniform_below: in range, each value within 5 sigma of N/k") {
  lowp::counter_rng r(lowp_test::seed(), 0);
  const std::uint64_t k = 7;
  const int N = 70000;
  int cnt[7] = {};
  for (int i = 0; i < N; ++i) {
    const std::uint64_t x = syn::uniform_below(r, k);
    REQUIRE(x < k);
    ++cnt[x];
  }
  const double mean = double(N) / k, sd = std::sqrt(N * (1.0 / k) * (1 - 1.0 / k));
  for (int c : cnt) CHECK(std::abs(c - mean) <= 5 * sd);
  CHECK(syn::uniform_below(r, 1) == 0);
}

TEST_CASE("linear_regression: deterministic in the seed") {
  syn::linear_regression_params p{.n = 200, .d = 8, .noise_sigma = 0.5, .condition_number = 10.0,
                                  .l2 = 1e-2, .seed = lowp_test::seed()};
  const auto a = syn::linear_regression(p), b = syn::linear_regression(p);
  CHECK(a.data.X == b.data.X);
  CHECK(a.data.y == b.data.y);
  CHECK(a.w_star == b.w_star);
  CHECK(a.w_opt == b.w_opt);
  CHECK(a.f_opt == b.f_opt);
  p.seed += 1;
  const auto c = syn::linear_regression(p);
  CHECK(a.data.X != c.data.X);
  CHECK(a.w_star != c.w_star);
  // Noise has its own stream: changing sigma leaves X and w* alone.
  p.seed -= 1;
  p.noise_sigma = 0.25;
  const auto e = syn::linear_regression(p);
  CHECK(e.data.X == a.data.X);
  CHECK(e.w_star == a.w_star);
  CHECK(e.data.y != a.data.y);
}

TEST_CASE("linear_regression: returned optimum has zero gradient (1e-9 relative)") {
  for (const double l2 : {0.0, 1e-3, 1.0})
    for (const double kappa : {1.0, 100.0, 1e4}) {
      const auto pr = syn::linear_regression(
          {.n = 500, .d = 30, .noise_sigma = 0.3, .condition_number = kappa, .l2 = l2, .seed = lowp_test::seed()});
      const Eigen::VectorXd g = pr.gradient(pr.w_opt);
      const Eigen::VectorXd g0 = pr.gradient(Eigen::VectorXd::Zero(30));  // = -X^T y / n
      INFO("l2 = ", l2, ", kappa = ", kappa, ", |g| = ", g.norm(), ", |g(0)| = ", g0.norm());
      CHECK(g.norm() <= 1e-9 * g0.norm());
      CHECK(pr.f_opt == doctest::Approx(pr.objective(pr.w_opt)).epsilon(1e-14));
      CHECK(pr.f_opt <= pr.objective(pr.w_star));
      CHECK(pr.f_opt <= pr.objective(pr.w_opt + 1e-3 * Eigen::VectorXd::Ones(30)));
    }
}

TEST_CASE("linear_regression: small noise recovers w* and the residual matches sigma") {
  const double sigma = 1e-3;
  const std::size_t n = 2000, d = 10;
  const auto pr = syn::linear_regression({.n = n, .d = d, .noise_sigma = sigma, .seed = lowp_test::seed()});
  // w_opt - w* = (X^T X)^-1 X^T e, so E||w_opt - w*||^2 = sigma^2 tr((X^T X)^-1).
  Eigen::MatrixXd X(n, d);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) X(i, j) = pr.data.X[i * d + j];
  const Eigen::MatrixXd XtX = X.transpose() * X;
  const double expected = sigma * std::sqrt(XtX.inverse().trace());
  INFO("|w_opt - w*| = ", (pr.w_opt - pr.w_star).norm(), ", rms expected ", expected);
  CHECK((pr.w_opt - pr.w_star).norm() <= 5 * expected);
  CHECK((pr.w_opt - pr.w_star).norm() <= 1e-3 * pr.w_star.norm());
  // 2 f_opt = RSS / n, RSS ~ sigma^2 chi^2_{n-d}: relative sd sqrt(2/(n-d)).
  const double dof = double(n - d);
  CHECK(std::abs(2 * pr.f_opt * n / (sigma * sigma) - dof) <= 5 * std::sqrt(2 * dof) + 1.0);
}

TEST_CASE("linear_regression: condition_number sets the column scales") {
  const double kappa = 100.0;
  const std::size_t n = 20000, d = 5;
  const auto pr = syn::linear_regression({.n = n, .d = d, .condition_number = kappa, .seed = lowp_test::seed()});
  CHECK(pr.column_scale[0] == 1.0);
  CHECK(pr.column_scale[d - 1] * pr.column_scale[d - 1] == doctest::Approx(1.0 / kappa).epsilon(1e-12));
  for (std::size_t j = 0; j < d; ++j) {
    double s2 = 0;
    for (std::size_t i = 0; i < n; ++i) s2 += double(pr.data.X[i * d + j]) * pr.data.X[i * d + j];
    const double var = pr.column_scale[j] * pr.column_scale[j];
    CHECK(std::abs(s2 / n - var) <= 5 * var * std::sqrt(2.0 / n));
  }
}

TEST_CASE("logistic_regression: deterministic and labels follow the logistic model in bins") {
  syn::logistic_regression_params p{.n = 40000, .d = 6, .margin_scale = 3.0, .seed = lowp_test::seed()};
  const auto pr = syn::logistic_regression(p);
  {
    const auto again = syn::logistic_regression(p);
    CHECK(again.data.X == pr.data.X);
    CHECK(again.data.y == pr.data.y);
    CHECK(again.w_star == pr.w_star);
    auto q = p;
    q.seed += 1;
    CHECK(syn::logistic_regression(q).data.y != pr.data.y);
  }
  const int B = 10;
  double cnt[B] = {}, pos[B] = {}, psum[B] = {}, pvar[B] = {};
  for (std::size_t i = 0; i < p.n; ++i) {
    double m = 0;
    for (std::size_t j = 0; j < p.d; ++j) m += double(pr.data.X[i * p.d + j]) * pr.w_star[j];
    const double pi = pr.p_positive[i];
    REQUIRE(pi == doctest::Approx(1 / (1 + std::exp(-m))).epsilon(1e-12));
    REQUIRE((pr.data.y[i] == 1.0f || pr.data.y[i] == -1.0f));
    const int b = std::min(B - 1, int(pi * B));
    cnt[b] += 1;
    pos[b] += pr.data.y[i] > 0;
    psum[b] += pi;
    pvar[b] += pi * (1 - pi);
  }
  for (int b = 0; b < B; ++b) {
    if (cnt[b] < 50) continue;
    INFO("bin ", b, ": n = ", cnt[b], ", positives ", pos[b], ", expected ", psum[b]);
    CHECK(std::abs(pos[b] - psum[b]) <= 5 * std::sqrt(pvar[b]) + 1e-9);
  }
}

TEST_CASE("logistic_regression: with l2 > 0 the returned optimum has zero gradient") {
  for (const double l2 : {1e-3, 1e-1}) {
    const auto pr = syn::logistic_regression(
        {.n = 1000, .d = 20, .margin_scale = 4.0, .l2 = l2, .seed = lowp_test::seed()});
    REQUIRE(pr.w_opt.size() == 20);
    const Eigen::VectorXd g = pr.gradient(pr.w_opt);
    const Eigen::VectorXd g0 = pr.gradient(Eigen::VectorXd::Zero(20));
    INFO("l2 = ", l2, ", |g| = ", g.norm(), ", |g(0)| = ", g0.norm());
    CHECK(g.norm() <= 1e-9 * g0.norm());
    CHECK(pr.f_opt == pr.objective(pr.w_opt));
    CHECK(pr.f_opt <= pr.objective(pr.w_star));
    CHECK(pr.f_opt <= pr.objective(pr.w_opt + 1e-3 * Eigen::VectorXd::Ones(20)));
  }
  CHECK(syn::logistic_regression({.n = 10, .d = 3}).w_opt.size() == 0);  // l2 = 0: not solved
}

TEST_CASE("sparse_logistic_regression: CSR structure, density, labels") {
  syn::logistic_regression_params p{.n = 3000, .d = 300, .margin_scale = 2.0, .density = 0.05,
                                    .seed = lowp_test::seed()};
  const auto pr = syn::sparse_logistic_regression(p);
  const auto& s = pr.data;
  REQUIRE(s.rows() == p.n);
  REQUIRE(s.indptr.size() == p.n + 1);
  CHECK(s.indptr.front() == 0);
  CHECK(s.indptr.back() == s.nnz());
  CHECK(s.indices.size() == s.nnz());
  double pos = 0, psum = 0, pvar = 0;
  for (std::size_t i = 0; i < p.n; ++i) {
    const auto r = s.row(i);
    double m = 0;
    for (std::size_t k = 0; k < r.size(); ++k) {
      REQUIRE(r.indices[k] < p.d);
      if (k > 0) REQUIRE(r.indices[k - 1] < r.indices[k]);
      m += double(r.values[k]) * pr.w_star[r.indices[k]];
    }
    REQUIRE(pr.p_positive[i] == doctest::Approx(1 / (1 + std::exp(-m))).epsilon(1e-12));
    pos += s.y[i] > 0;
    psum += pr.p_positive[i];
    pvar += pr.p_positive[i] * (1 - pr.p_positive[i]);
  }
  const double N = double(p.n) * p.d;
  CHECK(std::abs(double(s.nnz()) - N * p.density) <= 5 * std::sqrt(N * p.density * (1 - p.density)));
  CHECK(std::abs(pos - psum) <= 5 * std::sqrt(pvar));

  const auto again = syn::sparse_logistic_regression(p);
  CHECK(again.data.indices == s.indices);
  CHECK(again.data.values == s.values);
  CHECK(again.data.y == s.y);
  auto q = p;
  q.seed += 1;
  CHECK(syn::sparse_logistic_regression(q).data.indices != s.indices);

  // density 1: every column present, same margins law as the dense variant.
  const auto full = syn::sparse_logistic_regression({.n = 5, .d = 7, .density = 1.0, .seed = 3});
  CHECK(full.data.nnz() == 35);
}

TEST_CASE("planted_psd: rank p, requested spectrum and eigengap, orthonormal basis") {
  const std::size_t n = 60, p = 3;
  const auto pr = syn::planted_psd({.n = n, .rank = p, .top = 1.0, .eigengap = 0.6, .seed = lowp_test::seed()});
  CHECK((pr.Q.transpose() * pr.Q - Eigen::MatrixXd::Identity(p, p)).norm() <= 1e-12);
  const Eigen::MatrixXd A = pr.matrix();
  CHECK((A - A.transpose()).norm() == 0.0);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(A);
  REQUIRE(es.info() == Eigen::Success);
  const Eigen::VectorXd ev = es.eigenvalues().reverse();  // descending
  const double expect[3] = {1.0, 0.8, 0.6};
  for (std::size_t k = 0; k < p; ++k) CHECK(ev[k] == doctest::Approx(expect[k]).epsilon(1e-10));
  std::size_t rank = 0;
  for (Eigen::Index k = 0; k < ev.size(); ++k) rank += ev[k] > 1e-10;
  CHECK(rank == p);
  CHECK(ev[p - 1] - ev[p] == doctest::Approx(0.6).epsilon(1e-10));
  CHECK(ev.minCoeff() >= -1e-12);

  // Explicit spectrum and rank 1.
  const auto r1 = syn::planted_psd({.n = 10, .rank = 1, .eigengap = 2.5, .seed = 1});
  CHECK(r1.eigenvalues[0] == 2.5);
  const auto sp = syn::planted_psd({.n = 10, .rank = 2, .spectrum = {3.0, 0.5}, .seed = 1});
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es2(sp.matrix());
  CHECK(es2.eigenvalues()[9] == doctest::Approx(3.0).epsilon(1e-10));
  CHECK(es2.eigenvalues()[8] == doctest::Approx(0.5).epsilon(1e-10));
}

TEST_CASE("planted_psd: samples distinct, in the upper triangle, exact + noise") {
  for (const std::size_t m : {std::size_t(50), std::size_t(150), std::size_t(210)}) {  // Floyd, Algorithm S, all
    const std::size_t n = 20;
    syn::planted_psd_params p{.n = n, .rank = 2, .top = 1.0, .eigengap = 0.5, .samples = m,
                              .seed = lowp_test::seed()};
    const auto pr = syn::planted_psd(p);
    const auto& e = pr.entries;
    REQUIRE(e.size() == m);
    CHECK(e.n_users == n);
    CHECK(e.n_items == n);
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    for (std::size_t k = 0; k < m; ++k) {
      REQUIRE(e.user[k] <= e.item[k]);
      REQUIRE(e.item[k] < n);
      seen.insert({e.user[k], e.item[k]});
      CHECK(e.rating[k] == static_cast<float>(pr.entry(e.user[k], e.item[k])));
      if (k > 0) CHECK(std::make_pair(e.user[k - 1], e.item[k - 1]) < std::make_pair(e.user[k], e.item[k]));
    }
    CHECK(seen.size() == m);
    CHECK(same_ratings(syn::planted_psd(p).entries, e));
  }
  // Noise: residuals have sd sigma.
  const double sigma = 0.1;
  const auto pr = syn::planted_psd({.n = 200, .rank = 2, .samples = 5000, .noise_sigma = sigma,
                                    .seed = lowp_test::seed()});
  double s = 0, s2 = 0;
  for (std::size_t k = 0; k < pr.entries.size(); ++k) {
    const double r = pr.entries.rating[k] - pr.entry(pr.entries.user[k], pr.entries.item[k]);
    s += r;
    s2 += r * r;
  }
  const double N = double(pr.entries.size());
  CHECK(std::abs(s / N) <= 5 * sigma / std::sqrt(N));
  CHECK(std::abs(s2 / N - sigma * sigma) <= 5 * sigma * sigma * std::sqrt(2 / N));
  // Uniform over positions: the fraction on the diagonal is n / (n(n+1)/2).
  double diag = 0;
  for (std::size_t k = 0; k < pr.entries.size(); ++k) diag += pr.entries.user[k] == pr.entries.item[k];
  const double q = 200.0 / (200.0 * 201 / 2);
  // Hypergeometric variance <= binomial variance.
  CHECK(std::abs(diag - N * q) <= 5 * std::sqrt(N * q * (1 - q)));
}

TEST_CASE("planted_rectangular: singular values, factors and samples") {
  syn::planted_rectangular_params p{.rows = 30, .cols = 20, .rank = 2, .spectrum = {1.0, 0.7}, .samples = 100,
                                    .noise_sigma = 0.01, .seed = lowp_test::seed()};
  const auto pr = syn::planted_rectangular(p);
  const Eigen::MatrixXd M = pr.matrix();
  REQUIRE(M.rows() == 30);
  REQUIRE(M.cols() == 20);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(M);
  const Eigen::VectorXd s = svd.singularValues();
  CHECK(s[0] == doctest::Approx(1.0).epsilon(1e-10));
  CHECK(s[1] == doctest::Approx(0.7).epsilon(1e-10));
  CHECK(s[2] <= 1e-12);
  CHECK((pr.Qu.transpose() * pr.Qu - Eigen::MatrixXd::Identity(2, 2)).norm() <= 1e-12);
  CHECK((pr.Qv.transpose() * pr.Qv - Eigen::MatrixXd::Identity(2, 2)).norm() <= 1e-12);
  const auto& e = pr.entries;
  REQUIRE(e.size() == 100);
  CHECK(e.n_users == 30);
  CHECK(e.n_items == 20);
  std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
  for (std::size_t k = 0; k < e.size(); ++k) {
    REQUIRE(e.user[k] < 30);
    REQUIRE(e.item[k] < 20);
    seen.insert({e.user[k], e.item[k]});
    CHECK(std::abs(e.rating[k] - M(e.user[k], e.item[k])) <= 5 * 0.01 + 1e-6);
  }
  CHECK(seen.size() == 100);
  const auto again = syn::planted_rectangular(p);
  CHECK(again.U == pr.U);
  CHECK(again.V == pr.V);
  CHECK(same_ratings(again.entries, e));
  p.seed += 1;
  const auto other = syn::planted_rectangular(p);
  CHECK(other.U != pr.U);
  CHECK(!same_ratings(other.entries, e));
}

TEST_CASE("ising_grid: edge counts, degrees, no duplicates, couplings") {
  const std::size_t L = 6;
  const auto open = syn::ising_grid({.rows = L, .cols = L, .torus = false, .beta = 0.2, .h = 0.1});
  CHECK(open.n_vars == L * L);
  CHECK(open.edges.size() == 2 * L * (L - 1));
  const auto torus = syn::ising_grid({.rows = L, .cols = L, .torus = true, .beta = 0.25, .h = 0.1});
  CHECK(torus.edges.size() == 2 * L * L);
  for (const auto* m : {&open, &torus}) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    for (const auto& e : m->edges) {
      REQUIRE(e.u < e.v);
      REQUIRE(e.v < m->n_vars);
      // Grid neighbours: same row and adjacent column (mod L), or same column and adjacent row.
      const std::size_t ru = e.u / L, cu = e.u % L, rv = e.v / L, cv = e.v % L;
      const bool horiz = ru == rv && ((cu + 1) % L == cv || (cv + 1) % L == cu);
      const bool vert = cu == cv && ((ru + 1) % L == rv || (rv + 1) % L == ru);
      CHECK((horiz || vert));
      seen.insert({e.u, e.v});
    }
    CHECK(seen.size() == m->edges.size());
    CHECK(m->coupling.size() == m->edges.size());
    CHECK(m->field.size() == m->n_vars);
  }
  for (const std::size_t d : torus.degrees()) CHECK(d == 4);
  const auto deg = open.degrees();
  std::size_t d2 = 0, d3 = 0, d4 = 0;
  for (const std::size_t d : deg) {
    d2 += d == 2;
    d3 += d == 3;
    d4 += d == 4;
  }
  CHECK(d2 == 4);
  CHECK(d3 == 4 * (L - 2));
  CHECK(d4 == (L - 2) * (L - 2));
  CHECK(std::all_of(torus.coupling.begin(), torus.coupling.end(), [](double c) { return c == 0.25; }));
  CHECK(std::all_of(torus.field.begin(), torus.field.end(), [](double f) { return f == 0.1; }));
  CHECK(torus.dobrushin_alpha() == doctest::Approx(4 * std::tanh(0.25)).epsilon(1e-14));  // 0.9798
  CHECK(torus.dobrushin_alpha() == doctest::Approx(0.9798).epsilon(1e-4));

  // 1 x L torus is a ring (the 1-D Ising chain of the Gibbs experiments).
  const auto ring = syn::ising_grid({.rows = 1, .cols = 32, .torus = true, .beta = 0.4, .h = 0.1});
  CHECK(ring.edges.size() == 32);
  for (const std::size_t d : ring.degrees()) CHECK(d == 2);
  CHECK(syn::ising_grid({.rows = 1, .cols = 32, .torus = false}).edges.size() == 31);

  // Rectangular grid and per-edge random couplings.
  syn::ising_grid_params p{.rows = 4, .cols = 7, .torus = true, .beta = 0.1, .h = 0.0, .coupling_spread = 0.05,
                           .field_spread = 0.2, .seed = lowp_test::seed()};
  const auto r = syn::ising_grid(p);
  CHECK(r.edges.size() == 2 * 4 * 7);
  for (const double c : r.coupling) CHECK((c >= 0.05 && c <= 0.15));
  for (const double f : r.field) CHECK((f >= -0.2 && f <= 0.2));
  CHECK(same_ising(r, syn::ising_grid(p)));
  p.seed += 1;
  const auto r2 = syn::ising_grid(p);
  CHECK(r2.coupling != r.coupling);
  CHECK(r2.field != r.field);
}

TEST_CASE("ising_erdos_renyi: edge count within 5 sigma of the binomial mean, simple graph") {
  syn::ising_erdos_renyi_params p{.n = 400, .edge_probability = 0.05, .beta = 0.1, .h = -0.2,
                                  .seed = lowp_test::seed()};
  const auto m = syn::ising_erdos_renyi(p);
  const double pairs = 400.0 * 399 / 2;
  CHECK(std::abs(double(m.edges.size()) - pairs * 0.05) <= 5 * std::sqrt(pairs * 0.05 * 0.95));
  for (std::size_t k = 0; k < m.edges.size(); ++k) {
    REQUIRE(m.edges[k].u < m.edges[k].v);
    REQUIRE(m.edges[k].v < 400);
    if (k > 0)
      REQUIRE(std::make_pair(m.edges[k - 1].u, m.edges[k - 1].v) < std::make_pair(m.edges[k].u, m.edges[k].v));
  }
  // Degree of each vertex ~ Binomial(n-1, q): mean degree = 2|E|/n.
  const auto deg = m.degrees();
  double sum = 0;
  for (const std::size_t d : deg) sum += double(d);
  CHECK(sum == 2.0 * double(m.edges.size()));
  CHECK(m.field.size() == 400);
  CHECK(m.field[0] == -0.2);
  CHECK(same_ising(m, syn::ising_erdos_renyi(p)));
  p.seed += 1;
  CHECK(!same_ising(m, syn::ising_erdos_renyi(p)));

  const auto complete = syn::ising_erdos_renyi({.n = 12, .edge_probability = 1.0});
  CHECK(complete.edges.size() == 66);
  for (const std::size_t d : complete.degrees()) CHECK(d == 11);
}

TEST_CASE("bad parameters throw std::invalid_argument with a clear message") {
  check_invalid([] { syn::linear_regression({.n = 0}); }, "n must be > 0");
  check_invalid([] { syn::linear_regression({.d = 0}); }, "d must be > 0");
  check_invalid([] { syn::linear_regression({.noise_sigma = -1.0}); }, "noise_sigma");
  check_invalid([] { syn::linear_regression({.noise_sigma = std::nan("")}); }, "noise_sigma");
  check_invalid([] { syn::linear_regression({.condition_number = 0.5}); }, "condition_number");
  check_invalid([] { syn::linear_regression({.l2 = -1.0}); }, "l2");
  check_invalid([] { syn::linear_regression({.n = 5, .d = 10}); }, "not unique");
  CHECK_NOTHROW(syn::linear_regression({.n = 5, .d = 10, .l2 = 0.1}));
  check_invalid([] { syn::logistic_regression({.n = 0}); }, "logistic_regression: n must be > 0");
  check_invalid([] { syn::logistic_regression({.l2 = -1.0}); }, "l2");
  check_invalid([] { syn::sparse_logistic_regression({.density = 0.0}); }, "density must be in (0, 1]");
  check_invalid([] { syn::sparse_logistic_regression({.density = 1.5}); }, "density");
  check_invalid([] { syn::sparse_logistic_regression({.density = -0.1}); }, "density");
  check_invalid([] { syn::planted_psd({.n = 0}); }, "n must be > 0");
  check_invalid([] { syn::planted_psd({.n = 5, .rank = 6}); }, "rank must be <= n");
  check_invalid([] { syn::planted_psd({.n = 5, .rank = 0}); }, "rank must be > 0");
  check_invalid([] { syn::planted_psd({.n = 5, .samples = 16}); }, "samples");
  check_invalid([] { syn::planted_psd({.n = 5, .noise_sigma = -0.1}); }, "noise_sigma");
  check_invalid([] { syn::planted_psd({.n = 5, .rank = 2, .spectrum = {1.0}}); }, "spectrum");
  check_invalid([] { syn::planted_psd({.n = 5, .rank = 2, .spectrum = {1.0, 2.0}}); }, "non-increasing");
  check_invalid([] { syn::planted_psd({.n = 5, .rank = 2, .top = 0.5, .eigengap = 1.0}); }, "top");
  check_invalid([] { syn::planted_psd({.n = 5, .eigengap = 0.0}); }, "eigengap");
  check_invalid([] { syn::planted_rectangular({.rows = 5, .cols = 3, .rank = 4}); }, "rank must be <= min");
  check_invalid([] { syn::planted_rectangular({.rows = 0}); }, "rows and cols");
  check_invalid([] { syn::planted_rectangular({.rows = 3, .cols = 3, .samples = 10}); }, "samples");
  check_invalid([] { syn::ising_grid({.rows = 0}); }, "rows and cols");
  check_invalid([] { syn::ising_grid({.rows = 2, .cols = 5, .torus = true}); }, "torus");
  check_invalid([] { syn::ising_grid({.coupling_spread = -1.0}); }, "coupling_spread");
  check_invalid([] { syn::ising_erdos_renyi({.n = 0}); }, "n must be > 0");
  check_invalid([] { syn::ising_erdos_renyi({.edge_probability = 0.0}); }, "edge_probability");
  check_invalid([] { syn::ising_erdos_renyi({.edge_probability = 1.1}); }, "edge_probability");
  check_invalid([] { syn::ising_erdos_renyi({.beta = INFINITY}); }, "finite");
}
