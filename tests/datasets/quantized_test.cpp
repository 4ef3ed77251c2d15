// Quantized datasets: layout, exactness on the grid, error bounds, unbiased
// stochastic rounding, per-feature scales, reproducibility, a9a, bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/datasets/libsvm.hpp"
#include "lowp/datasets/quantized.hpp"
#include "test_files.hpp"
#include "test_support.hpp"

namespace ds = lowp::datasets;
namespace k = lowp::kernels;

namespace {

ds::dense_dataset random_dense(std::size_t n, std::size_t d, std::uint64_t seed, std::vector<float> col_range = {}) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  ds::dense_dataset x;
  x.n = n;
  x.d = d;
  x.X.resize(n * d);
  x.y.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    x.y[i] = static_cast<float>(i % 2);
    for (std::size_t j = 0; j < d; ++j) x.X[i * d + j] = u(g) * (col_range.empty() ? 3.0f : col_range[j]);
  }
  return x;
}

ds::csr_dataset random_csr(std::size_t n, std::size_t d, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<float> u(-5.0f, 5.0f);
  std::bernoulli_distribution keep(0.3);
  ds::csr_dataset x;
  x.d = d;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint32_t j = 0; j < d; ++j)
      if (keep(g)) x.indices.push_back(j), x.values.push_back(u(g) * static_cast<float>(j + 1));
    x.indptr.push_back(x.values.size());
    x.y.push_back(1.0f);
  }
  return x;
}

template <class Fn>
std::string invalid_argument_message(Fn&& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<no std::invalid_argument>";
}

constexpr k::rounding_mode all_modes[] = {k::rounding_mode::nearest_even, k::rounding_mode::stochastic,
                                          k::rounding_mode::stochastic_shared};
constexpr ds::scale_mode all_scales[] = {ds::scale_mode::per_dataset, ds::scale_mode::per_feature};

}  // namespace

TEST_CASE_TEMPLATE("quantized_dense: rows 64-byte aligned, stride a multiple of 64 bytes, padding zero", S,
                   std::int8_t, std::int16_t) {
  for (std::size_t d : {1u, 5u, 31u, 32u, 33u, 64u, 100u}) {
    const auto x = random_dense(7, d, lowp_test::seed() + d);
    for (auto sm : all_scales) {
      const auto [q, rep] = ds::quantize<S>(x, {.scale = sm, .rounding = k::rounding_mode::stochastic, .seed = 3});
      CHECK(q.n == 7);
      CHECK(q.d == d);
      CHECK(q.stride >= d);
      CHECK((q.stride * sizeof(S)) % 64 == 0);
      CHECK(q.stride * sizeof(S) < d * sizeof(S) + 64);
      CHECK(q.raw.size() == q.n * q.stride);
      CHECK(q.y == x.y);
      CHECK(q.steps().size() == (sm == ds::scale_mode::per_dataset ? 1u : d));
      for (std::size_t i = 0; i < q.n; ++i) {
        CHECK(reinterpret_cast<std::uintptr_t>(q.row(i).data()) % 64 == 0);
        const auto p = q.padded_row(i);
        for (std::size_t j = d; j < q.stride; ++j) CHECK(p[j] == 0);
      }
      CHECK(rep.clipped == 0);
    }
  }
}

TEST_CASE_TEMPLATE("data already on the grid round-trip exactly in every rounding mode", S, std::int8_t,
                   std::int16_t) {
  constexpr int hi = std::numeric_limits<S>::max();
  std::mt19937_64 g(lowp_test::seed());
  std::uniform_int_distribution<int> kq(-hi, hi);
  const std::size_t n = 9, d = 6;
  // per_dataset: one power-of-two step, the maximum +-hi * step present.
  // per_feature: column j has step 2^(j-3), each column reaches +-hi * step.
  for (auto sm : all_scales) {
    ds::dense_dataset x;
    x.n = n;
    x.d = d;
    x.X.resize(n * d);
    x.y.assign(n, 0.0f);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        const float step = sm == ds::scale_mode::per_dataset ? 0.125f : std::ldexp(1.0f, static_cast<int>(j) - 3);
        int r = kq(g);
        if (i == 0) r = (j % 2 ? hi : -hi);
        x.X[i * d + j] = static_cast<float>(r) * step;
      }
    if (sm == ds::scale_mode::per_dataset) x.X[3] = hi * 0.125f;
    // a zero column gets step 1
    if (sm == ds::scale_mode::per_feature)
      for (std::size_t i = 0; i < n; ++i) x.X[i * d + 2] = 0.0f;
    for (auto m : all_modes) {
      const auto [q, rep] = ds::quantize<S>(x, {.scale = sm, .rounding = m, .seed = 11});
      CHECK(q.dequantize().X == x.X);
      CHECK(rep.max_abs_error == 0.0);
      CHECK(rep.rms_error == 0.0);
      CHECK(rep.relative_frobenius_error == 0.0);
      CHECK(rep.clipped == 0);
      if (sm == ds::scale_mode::per_feature) CHECK(q.step(2) == 1.0);
      else CHECK(q.step() == 0.125);
      // the largest magnitude maps to the largest raw value
      CHECK(q.row(0)[1] == hi);
      CHECK(q.row(0)[0] == -hi);
    }
    // CSR form of the same data
    ds::csr_dataset c;
    c.d = d;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::uint32_t j = 0; j < d; ++j)
        if (x.X[i * d + j] != 0.0f) c.indices.push_back(j), c.values.push_back(x.X[i * d + j]);
      c.indptr.push_back(c.values.size());
      c.y.push_back(0.0f);
    }
    for (auto m : all_modes) {
      const auto [q, rep] = ds::quantize<S>(c, {.scale = sm, .rounding = m, .seed = 5});
      const auto back = q.dequantize();
      CHECK(back.values == c.values);
      CHECK(back.indices == c.indices);
      CHECK(back.indptr == c.indptr);
      CHECK(rep.max_abs_error == 0.0);
      CHECK(rep.clipped == 0);
      for (std::size_t i = 0; i < n; ++i) {
        const auto row = q.dequantize_row(i);
        for (std::size_t j = 0; j < d; ++j) CHECK(row[j] == x.X[i * d + j]);
      }
    }
  }
}

TEST_CASE_TEMPLATE("nearest rounding: every error is at most step / 2", S, std::int8_t, std::int16_t) {
  constexpr int hi = std::numeric_limits<S>::max();
  const auto x = random_dense(50, 37, lowp_test::seed(), {});
  const auto c = random_csr(50, 37, lowp_test::seed() + 1);
  for (auto sm : all_scales) {
    const auto [q, rep] = ds::quantize<S>(x, {.scale = sm});
    double worst = 0.0;
    for (std::size_t i = 0; i < x.n; ++i) {
      const auto row = q.dequantize_row(i);
      for (std::size_t j = 0; j < x.d; ++j) {
        const double e = std::abs(static_cast<double>(x.X[i * x.d + j]) - row[j]);
        // float product x * inv and the float result each add a relative 2^-24
        const double bound = q.step(j) * (0.5 + hi * 1e-7) + std::abs(x.X[i * x.d + j]) * 1e-7;
        CHECK(e <= bound);
        worst = std::max(worst, e);
        CHECK(row[j] == q.value(i, j));
      }
    }
    CHECK(rep.max_abs_error == worst);
    CHECK(rep.clipped == 0);
    CHECK(rep.rms_error <= rep.max_abs_error);
    CHECK(rep.relative_frobenius_error > 0.0);

    const auto [qc, repc] = ds::quantize<S>(c, {.scale = sm});
    for (std::size_t i = 0; i < c.rows(); ++i) {
      const auto r = c.row(i);
      const auto v = qc.dequantize_values(i);
      for (std::size_t kk = 0; kk < r.size(); ++kk) {
        const double bound = qc.step(r.indices[kk]) * (0.5 + hi * 1e-7) + std::abs(r.values[kk]) * 1e-7;
        CHECK(std::abs(static_cast<double>(r.values[kk]) - v[kk]) <= bound);
      }
    }
    CHECK(repc.clipped == 0);
  }
}

TEST_CASE("stochastic rounding is unbiased for one element over many seeds") {
  // Row (1, 0.3): step 1/127, so 0.3 sits at 38.1 quanta.
  ds::dense_dataset x;
  x.n = 1;
  x.d = 2;
  x.X = {1.0f, 0.3f};
  x.y = {0.0f};
  for (auto m : {k::rounding_mode::stochastic, k::rounding_mode::stochastic_shared}) {
    const int N = 20000;
    double sum = 0.0;
    int lo = 0, up = 0;
    double step = 0.0;
    for (int s = 0; s < N; ++s) {
      const auto [q, rep] = ds::quantize<std::int8_t>(x, {.rounding = m, .seed = lowp_test::seed() * 1000003 + s});
      step = q.step();
      CHECK(q.row(0)[0] == 127);
      const int r = q.row(0)[1];
      lo += r == 38;
      up += r == 39;
      sum += q.value(0, 1);
    }
    CHECK(lo + up == N);
    const double v = 0.3 / step, p = v - std::floor(v);
    const double mean = sum / N;
    const double sigma = step * std::sqrt(p * (1 - p) / N);
    // 16-bit dithers: the expectation is off by at most 2^-16 quanta
    CHECK(std::abs(mean - 0.3) <= 5 * sigma + step * 0x1p-16 + 1e-7);
    MESSAGE("mean " << mean << " vs 0.3, sigma " << sigma);
  }
}

TEST_CASE("per-feature scales beat one per-dataset scale on very different column ranges") {
  const auto x = random_dense(200, 4, lowp_test::seed(), {1000.0f, 1.0f, 0.01f, 0.0001f});
  const auto [qa, ra] = ds::quantize<std::int8_t>(x, {.scale = ds::scale_mode::per_dataset});
  const auto [qf, rf] = ds::quantize<std::int8_t>(x, {.scale = ds::scale_mode::per_feature});
  CHECK(rf.rms_error <= ra.rms_error);
  CHECK(rf.max_abs_error <= ra.max_abs_error);
  // the small columns collapse to zero under one scale but not per feature
  double err_small_a = 0.0, err_small_f = 0.0, norm_small = 0.0;
  for (std::size_t i = 0; i < x.n; ++i)
    for (std::size_t j = 1; j < 4; ++j) {
      const double v = x.X[i * 4 + j];
      err_small_a += std::pow(v - qa.value(i, j), 2);
      err_small_f += std::pow(v - qf.value(i, j), 2);
      norm_small += v * v;
    }
  CHECK(std::sqrt(err_small_f / norm_small) < 0.01);
  CHECK(std::sqrt(err_small_a / norm_small) > 0.5);
  CHECK(std::sqrt(err_small_f) < 0.01 * std::sqrt(err_small_a));
}

TEST_CASE_TEMPLATE("stochastic results are reproducible for a seed and match the reference kernel", S, std::int8_t,
                   std::int16_t) {
  const auto x = random_dense(20, 45, lowp_test::seed());
  const auto c = random_csr(20, 45, lowp_test::seed() + 2);
  for (auto m : {k::rounding_mode::stochastic, k::rounding_mode::stochastic_shared}) {
    for (auto sm : all_scales) {
      const ds::quantize_options o{.scale = sm, .rounding = m, .seed = 42};
      const auto a = ds::quantize<S>(x, o);
      const auto b = ds::quantize<S>(x, o);
      CHECK(a.data.raw == b.data.raw);
      CHECK(a.report.rms_error == b.report.rms_error);
      auto o2 = o;
      o2.seed = 43;
      CHECK(ds::quantize<S>(x, o2).data.raw != a.data.raw);

      // Reference: row i uses the next draws of counter_rng(42, 0).
      lowp::counter_rng rng(42, 0);
      std::vector<float> t(x.d);
      std::vector<S> expect(x.d);
      bool same = true;
      for (std::size_t i = 0; i < x.n; ++i) {
        for (std::size_t j = 0; j < x.d; ++j)
          t[j] = x.X[i * x.d + j] * static_cast<float>(1.0 / a.data.step(j));
        const auto src = k::take_dither(rng, m, x.d);
        k::ref::quantize(t.data(), x.d, 1.0f, expect.data(), m, src);
        for (std::size_t j = 0; j < x.d; ++j) same = same && expect[j] == a.data.row(i)[j];
      }
      CHECK(same);

      const auto ca = ds::quantize<S>(c, o);
      const auto cb = ds::quantize<S>(c, o);
      CHECK(ca.data.values == cb.data.values);
      CHECK(ds::quantize<S>(c, o2).data.values != ca.data.values);
    }
  }
}

TEST_CASE("a9a quantized to int8 CSR is exact (0/1 values)") {
  const auto file = lowp_test::shared_datasets() / "libsvm" / "a9a";
  if (!std::filesystem::exists(file)) {
    MESSAGE("skipped: " << file.string() << " is absent (see ../shared/datasets/README.md)");
    return;
  }
  const ds::csr_dataset a = ds::read_libsvm(file, {.labels = ds::label_kind::binary});
  for (auto sm : all_scales)
    for (auto m : all_modes) {
      const auto [q, rep] = ds::quantize<std::int8_t>(a, {.scale = sm, .rounding = m, .seed = 1});
      CHECK(q.nnz() == a.nnz());
      CHECK(q.rows() == a.rows());
      CHECK(q.indptr == a.indptr);
      CHECK(q.indices == a.indices);
      CHECK(q.y == a.y);
      CHECK(rep.max_abs_error == 0.0);
      CHECK(rep.rms_error == 0.0);
      CHECK(rep.relative_frobenius_error == 0.0);
      CHECK(rep.clipped == 0);
      CHECK(q.dequantize().values == a.values);
      bool all_max = true;
      for (auto v : q.values) all_max = all_max && v == 127;
      CHECK(all_max);
    }
}

TEST_CASE("NaN, Inf and empty datasets are rejected with the row and column named") {
  auto x = random_dense(4, 5, lowp_test::seed());
  x.X[1 * 5 + 2] = std::numeric_limits<float>::quiet_NaN();
  std::string msg = invalid_argument_message([&] { (void)ds::quantize<std::int8_t>(x); });
  CHECK(msg.find("NaN") != std::string::npos);
  CHECK(msg.find("row 1") != std::string::npos);
  CHECK(msg.find("column 2") != std::string::npos);

  x.X[1 * 5 + 2] = 0.0f;
  x.X[3 * 5 + 4] = -std::numeric_limits<float>::infinity();
  msg = invalid_argument_message([&] { (void)ds::quantize<std::int16_t>(x, {.scale = ds::scale_mode::per_feature}); });
  CHECK(msg.find("Inf") != std::string::npos);
  CHECK(msg.find("row 3") != std::string::npos);
  CHECK(msg.find("column 4") != std::string::npos);

  auto c = random_csr(6, 10, lowp_test::seed());
  REQUIRE(c.row(4).size() > 0);
  const std::size_t kk = c.indptr[4];
  c.values[kk] = std::numeric_limits<float>::quiet_NaN();
  msg = invalid_argument_message([&] { (void)ds::quantize<std::int8_t>(c); });
  CHECK(msg.find("NaN") != std::string::npos);
  CHECK(msg.find("row 4") != std::string::npos);
  CHECK(msg.find("column " + std::to_string(c.indices[kk])) != std::string::npos);

  CHECK_THROWS_AS((void)ds::quantize<std::int8_t>(ds::dense_dataset{}), std::invalid_argument);
  CHECK_THROWS_AS((void)ds::quantize<std::int8_t>(ds::csr_dataset{}), std::invalid_argument);
}
