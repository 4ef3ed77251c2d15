// The vectorised loops (solvers/detail/svrg_fast.hpp): HALP on int8 data and
// float32 SVRG. They must solve the same problem as the double reference,
// reproducibly, with the low-precision inner loop really in integers.
#include <doctest/doctest.h>

#include <cmath>

#include "lowp/datasets/quantized.hpp"
#include "problems.hpp"

using namespace lowp;
namespace ds = lowp::datasets;

namespace {
// The spec's least-squares problem with its features quantized to int8 (a
// power-of-two step, so float32 holds the same values): the int8 data *is*
// the problem, solved exactly in double for f*.
struct quantized_problem {
  ds::dense_dataset x;
  ds::quantized_dense<std::int8_t> q;
  double f_star = 0, mu = 0;
  std::vector<double> w_opt;
  explicit quantized_problem(std::size_t d, std::size_t n = 1000) {
    auto p = ds::synthetic::linear_regression({.n = n, .d = d, .noise_sigma = 0.5, .seed = 1});
    const double step = 1.0 / 32;
    x = p.data;
    q.n = n;
    q.d = d;
    q.stride = (d + 63) / 64 * 64;
    q.raw.assign(n * q.stride, 0);
    q.scale.mode = ds::scale_mode::per_dataset;
    q.scale.steps = {step};
    q.y = x.y;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        const double r = std::clamp(std::nearbyint(x.X[i * d + j] / step), -127.0, 127.0);
        q.raw[i * q.stride + j] = static_cast<std::int8_t>(r);
        x.X[i * d + j] = static_cast<float>(r * step);
      }
    objectives::least_squares<ds::dense_dataset> f(x, 0.0);
    // w* by SVRG in double to machine precision (the objective is quadratic).
    w_opt.assign(d, 0.0);
    svrg<>({.epochs = 40, .seed = 1}).optimize(f, w_opt);
    f_star = f.evaluate(w_opt.data());
    mu = f.strong_convexity();
  }
  double rel_gap(const std::vector<double>& w) const {
    objectives::least_squares<ds::dense_dataset> f(x, 0.0);
    return (f.evaluate(w.data()) - f_star) / f_star;
  }
};
}  // namespace

TEST_CASE("HALP-8 on int8 data (SIMD integer loop) converges linearly to the exact optimum") {
  quantized_problem p(20);
  objectives::least_squares<ds::quantized_dense<std::int8_t>> f(p.q, 0.0);
  lowp_test::recorder rec;
  std::vector<double> w(20, 0.0);
  const report r = halp<fixed<8, dynamic_scale>>({.epochs = 20, .seed = 5}).optimize(f, w, rec);
  CHECK(r.why == status::max_epochs);
  const double gap = p.rel_gap(w);
  MESSAGE("fast HALP-8 relative gap after 20 epochs: " << gap);
  CHECK(gap <= 1e-10);
  CHECK(rec.states.size() == 21);
  CHECK(r.work == 20u * 3000u);
  // The same solver forced onto the double reference loop agrees on the optimum.
  std::vector<double> w_ref(20, 0.0);
  halp<fixed<8, dynamic_scale>>({.epochs = 20, .seed = 5}).use_reference_loop().optimize(f, w_ref);
  for (std::size_t j = 0; j < 20; ++j) CHECK(std::abs(w[j] - w_ref[j]) <= 1e-5);
}

TEST_CASE("HALP-16 on int8 data is bit-identical run to run and across thread counts") {
  quantized_problem p(30, 3000);
  objectives::least_squares<ds::quantized_dense<std::int8_t>> f(p.q, 0.0);
  std::vector<double> a(30, 0.0), b(30, 0.0), c(30, 0.0);
  using h16 = fixed<16, dynamic_scale>;
  halp<h16>({.epochs = 10, .seed = 2}).optimize(f, a);
  halp<h16>({.epochs = 10, .seed = 2}).optimize(f, b);
  halp<h16, round::stochastic<>, parallel::openmp>({.epochs = 10, .seed = 2}, parallel::openmp{2}).optimize(f, c);
  CHECK(a == b);
  CHECK(a == c);
  CHECK(p.rel_gap(a) <= 1e-8);
}

TEST_CASE("float32 SVRG (the speed baseline) stalls at the float32 floor that HALP goes below") {
  quantized_problem p(20);
  objectives::least_squares<ds::dense_dataset> f(p.x, 0.0);
  std::vector<double> w(20, 0.0);
  svrg<float>({.epochs = 30, .seed = 5}).optimize(f, w);
  const double gap = p.rel_gap(w);
  MESSAGE("float32 SVRG relative gap after 30 epochs: " << gap);
  CHECK(gap <= 1e-6);   // it converges...
  CHECK(gap >= 1e-14);  // ...to float32 resolution, not to the optimum
}

TEST_CASE("HALP with nearest rounding on int8 data freezes like the reference") {
  quantized_problem p(20);
  objectives::least_squares<ds::quantized_dense<std::int8_t>> f(p.q, 0.0);
  std::vector<double> w(20, 0.0);
  halp<fixed<8, dynamic_scale>, round::nearest_even>({.epochs = 5, .seed = 5}).optimize(f, w);
  for (double v : w) CHECK(v == 0.0);
}

// round::stochastic<ars_rng> selects the kernels' stochastic_ars mode (AES-round dithers):
// the same algorithm with another generator, so the same convergence, and the reference
// loop with the same policy reaches the same optimum.
TEST_CASE("HALP-8 with ARS dithers on int8 data converges like HALP-8 with the default generator") {
  quantized_problem p(20);
  objectives::least_squares<ds::quantized_dense<std::int8_t>> f(p.q, 0.0);
  using halp8_ars = halp<fixed<8, dynamic_scale>, round::stochastic<ars_rng>>;
  std::vector<double> w(20, 0.0), w2(20, 0.0), w_ref(20, 0.0);
  const report r = halp8_ars({.epochs = 20, .seed = 5}).optimize(f, w);
  halp8_ars({.epochs = 20, .seed = 5}).optimize(f, w2);
  CHECK(r.why == status::max_epochs);
  CHECK(w == w2);  // reproducible
  CHECK(p.rel_gap(w) <= 1e-10);
  halp8_ars({.epochs = 20, .seed = 5}).use_reference_loop().optimize(f, w_ref);
  for (std::size_t j = 0; j < 20; ++j) CHECK(std::abs(w[j] - w_ref[j]) <= 1e-5);
}

// round::stochastic_fixed selects the integer form of the inner update (kernels/scalar.hpp,
// fixed_offset) where there is no shrink: the same algorithm with exactly unbiased integer
// increments, so the same convergence; its bits differ from the float form's (the fixed
// kernel really runs). With l2 > 0 the update takes the float form, and HALP still reaches
// the ridge solution.
TEST_CASE("HALP-8 with the stochastic_fixed update on int8 data converges like the float form") {
  quantized_problem p(20);
  objectives::least_squares<ds::quantized_dense<std::int8_t>> f(p.q, 0.0);
  using halp8_fixed = halp<fixed<8, dynamic_scale>, round::stochastic_fixed>;
  using halp8_ars = halp<fixed<8, dynamic_scale>, round::stochastic<ars_rng>>;
  std::vector<double> w(20, 0.0), w2(20, 0.0), w_ars(20, 0.0), w_ref(20, 0.0);
  lowp_test::recorder rec;
  const report r = halp8_fixed({.epochs = 20, .seed = 5}).optimize(f, w, rec);
  halp8_fixed({.epochs = 20, .seed = 5}).optimize(f, w2);
  halp8_ars({.epochs = 20, .seed = 5}).optimize(f, w_ars);
  CHECK(r.why == status::max_epochs);
  CHECK(w == w2);
  CHECK(w != w_ars);
  const double gap = p.rel_gap(w);
  MESSAGE("fast HALP-8 (stochastic_fixed) relative gap after 20 epochs: " << gap);
  CHECK(gap <= 1e-10);
  halp8_fixed({.epochs = 20, .seed = 5}).use_reference_loop().optimize(f, w_ref);
  for (std::size_t j = 0; j < 20; ++j) CHECK(std::abs(w[j] - w_ref[j]) <= 1e-5);

  objectives::least_squares<ds::quantized_dense<std::int8_t>> ridge(p.q, 0.1);
  objectives::least_squares<ds::dense_dataset> ridge_f(p.x, 0.1);
  std::vector<double> wr(20, 0.0), wr_opt(20, 0.0);
  halp8_fixed({.epochs = 25, .seed = 5}).optimize(ridge, wr);
  svrg<>({.epochs = 40, .seed = 1}).optimize(ridge_f, wr_opt);
  for (std::size_t j = 0; j < 20; ++j) CHECK(std::abs(wr[j] - wr_opt[j]) <= 1e-6 * (1 + std::abs(wr_opt[j])));
}

// halp<float> on float32 data: the float32 SVRG loop with the iterate a float32 offset from
// the double anchor. Same work per step as svrg<float>, but no float32 floor: it goes below
// the gap where svrg<float> stalls, and agrees with the double reference optimum.
TEST_CASE("centred float32 SVRG (halp<float>) goes below the float32 floor") {
  quantized_problem p(20);
  objectives::least_squares<ds::dense_dataset> f(p.x, 0.0);
  std::vector<double> w(20, 0.0), w2(20, 0.0), wf(20, 0.0);
  lowp_test::recorder rec;
  const report r = halp<float>({.epochs = 30, .seed = 5}).optimize(f, w, rec);
  halp<float>({.epochs = 30, .seed = 5}).optimize(f, w2);
  svrg<float>({.epochs = 30, .seed = 5}).optimize(f, wf);
  CHECK(r.why == status::max_epochs);
  CHECK(w == w2);
  CHECK(r.work == 30u * 3000u);
  const double gap = p.rel_gap(w), gap_f = p.rel_gap(wf);
  MESSAGE("centred float32 SVRG gap " << gap << ", float32 SVRG " << gap_f);
  CHECK(gap <= 1e-12);
  CHECK(gap <= 1e-2 * gap_f);
  for (std::size_t j = 0; j < 20; ++j) CHECK(std::abs(w[j] - p.w_opt[j]) <= 1e-6 * (1 + std::abs(p.w_opt[j])));
  objectives::least_squares<ds::dense_dataset> ridge(p.x, 0.1);
  std::vector<double> wr(20, 0.0), wr_opt(20, 0.0);
  halp<float>({.epochs = 30, .seed = 5}).optimize(ridge, wr);
  svrg<>({.epochs = 40, .seed = 1}).optimize(ridge, wr_opt);
  for (std::size_t j = 0; j < 20; ++j) CHECK(std::abs(wr[j] - wr_opt[j]) <= 1e-6 * (1 + std::abs(wr_opt[j])));
}
