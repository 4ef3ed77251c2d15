// The objectives are the reference every solver is judged by: check their
// gradients against central differences, their determinism across
// executors, and their input validation.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "lowp/datasets/synthetic.hpp"
#include "lowp/objectives/linear_model.hpp"
#include "lowp/objectives/objective.hpp"
#include "test_support.hpp"

using namespace lowp;
namespace ds = lowp::datasets;

namespace {

ds::dense_dataset small_dense(std::size_t n, std::size_t d, std::uint64_t seed, int label_kind) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> nd;
  ds::dense_dataset x;
  x.n = n;
  x.d = d;
  x.X.resize(n * d);
  for (auto& v : x.X) v = nd(g);
  x.y.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    x.y[i] = label_kind == 0 ? nd(g) : (label_kind == 1 ? (i % 2 ? 1.0f : -1.0f) : float(i % 3));
  return x;
}

ds::csr_dataset sparsify(const ds::dense_dataset& x) {
  ds::csr_dataset s;
  s.d = x.d;
  for (std::size_t i = 0; i < x.n; ++i) {
    for (std::size_t j = 0; j < x.d; ++j)
      if ((i + j) % 3 != 0) {
        s.indices.push_back(static_cast<std::uint32_t>(j));
        s.values.push_back(x.X[i * x.d + j]);
      }
    s.indptr.push_back(s.values.size());
    s.y.push_back(x.y[i]);
  }
  return s;
}

template <class F>
void check_gradient(const F& f, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nd;
  std::vector<double> w(f.dimension()), grad(f.dimension());
  for (auto& v : w) v = 0.3 * nd(g);
  const double fw = f.evaluate(w.data(), grad.data());
  CHECK(std::isfinite(fw));
  for (std::size_t j = 0; j < f.dimension(); ++j) {
    const double h = 1e-5;
    std::vector<double> wp = w, wm = w;
    wp[j] += h;
    wm[j] -= h;
    const double fd = (f.evaluate(wp.data()) - f.evaluate(wm.data())) / (2 * h);
    // central differences: O(h^2 f''') truncation plus O(eps f / h) rounding
    CHECK(grad[j] == doctest::Approx(fd).epsilon(1e-6).scale(1.0));
  }
}

}  // namespace

static_assert(linear_model_objective<objectives::least_squares<ds::dense_dataset>>);
static_assert(linear_model_objective<objectives::softmax_regression<ds::csr_dataset>>);

TEST_CASE("least squares gradient matches central differences dense and sparse") {
  const auto x = small_dense(40, 7, lowp_test::seed(), 0);
  check_gradient(objectives::least_squares<ds::dense_dataset>(x, 0.1), lowp_test::seed());
  const auto s = sparsify(x);
  check_gradient(objectives::least_squares<ds::csr_dataset>(s, 0.0), lowp_test::seed() + 1);
}

TEST_CASE("logistic gradient matches central differences dense and sparse") {
  const auto x = small_dense(40, 7, lowp_test::seed(), 1);
  check_gradient(objectives::logistic_regression<ds::dense_dataset>(x, 0.01), lowp_test::seed());
  check_gradient(objectives::logistic_regression<ds::csr_dataset>(sparsify(x), 0.0), lowp_test::seed() + 2);
}

TEST_CASE("softmax gradient matches central differences") {
  const auto x = small_dense(30, 5, lowp_test::seed(), 2);
  objectives::softmax_regression<ds::dense_dataset> f(x, 0.05, objectives::softmax_loss{3});
  CHECK(f.dimension() == 15);
  check_gradient(f, lowp_test::seed());
}

TEST_CASE("dense and sparse forms of the same data agree") {
  const auto x = small_dense(50, 6, lowp_test::seed(), 1);
  const auto s = sparsify(x);
  const auto xd = ds::to_dense(s);
  objectives::logistic_regression<ds::dense_dataset> fd(xd, 0.01);
  objectives::logistic_regression<ds::csr_dataset> fs(s, 0.01);
  std::vector<double> w(6, 0.25), gd(6), gs(6);
  CHECK(fd.evaluate(w.data(), gd.data()) == doctest::Approx(fs.evaluate(w.data(), gs.data())).epsilon(1e-14));
  for (int j = 0; j < 6; ++j) CHECK(gd[j] == doctest::Approx(gs[j]).epsilon(1e-13));
}

TEST_CASE("full passes are bit-identical across executors and thread counts") {
  // 3000 rows = 12 blocks, so threads really split the work.
  const auto x = small_dense(3000, 9, lowp_test::seed(), 1);
  objectives::logistic_regression<ds::dense_dataset> f(x, 1e-3);
  std::vector<double> w(9, 0.1), g1(9), g2(9), g4(9), m1(3000), m2(3000);
  const double f1 = f.evaluate(w.data(), g1.data(), m1.data(), parallel::serial{});
  const double f2 = f.evaluate(w.data(), g2.data(), m2.data(), parallel::openmp{2});
  const double f4 = f.evaluate(w.data(), g4.data(), nullptr, parallel::openmp{4});
  CHECK(f1 == f2);
  CHECK(f1 == f4);
  CHECK(g1 == g2);
  CHECK(g1 == g4);
  CHECK(m1 == m2);
}

TEST_CASE("least squares constants: mu is the smallest Hessian eigenvalue and L_max bounds every row") {
  auto p = ds::synthetic::linear_regression({.n = 500, .d = 8, .noise_sigma = 0.1, .condition_number = 20, .seed = 3});
  objectives::least_squares<ds::dense_dataset> f(p.data, 0.0);
  const double mu = f.strong_convexity();
  Eigen::MatrixXd X(500, 8);
  for (int i = 0; i < 500; ++i)
    for (int j = 0; j < 8; ++j) X(i, j) = p.data.X[i * 8 + j];
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(X.transpose() * X / 500.0);
  CHECK(mu == doctest::Approx(es.eigenvalues()(0)).epsilon(1e-10));
  CHECK(mu < 0.2);  // the condition number was planted
  double l = 0;
  for (int i = 0; i < 500; ++i) l = std::max(l, X.row(i).squaredNorm());
  CHECK(f.smoothness() == doctest::Approx(l).epsilon(1e-12));
}

TEST_CASE("bad labels and parameters are rejected with the reason") {
  auto x = small_dense(10, 3, 1, 1);
  x.y[4] = 0.5f;
  CHECK_THROWS_WITH_AS(objectives::logistic_regression<ds::dense_dataset>(x, 0.0),
                       doctest::Contains("label of example 4"), std::invalid_argument);
  auto c = small_dense(10, 3, 1, 2);
  CHECK_THROWS_AS(objectives::softmax_regression<ds::dense_dataset>(c, 0.0, objectives::softmax_loss{2}),
                  std::invalid_argument);
  CHECK_THROWS_AS(objectives::least_squares<ds::dense_dataset>(x, -1.0), std::invalid_argument);
  ds::dense_dataset empty;
  CHECK_THROWS_AS(objectives::least_squares<ds::dense_dataset>(empty, 0.0), std::invalid_argument);
}
