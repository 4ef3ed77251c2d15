// The typed front end folds scales correctly and agrees with the raw reference.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "lowp/kernels/packed.hpp"
#include "test_support.hpp"

using q8 = lowp::fixed<8, lowp::exp2<-6>>;
using d16 = lowp::fixed<16, lowp::dynamic_scale>;
using lowp::kernels::rounding_mode;

TEST_CASE("packed storage is cache-line aligned and scales are applied") {
  lowp::packed<q8> x(1000);
  CHECK(reinterpret_cast<std::uintptr_t>(x.data()) % 64 == 0);
  CHECK(x.step() == 1.0 / 64);
  lowp::packed<d16> y(10, 0.001);
  CHECK(y.step() == 0.001);
  CHECK_THROWS_AS(lowp::packed<d16>(10, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(y.set_step(-1.0), std::invalid_argument);
  CHECK_THROWS_AS(y.set_step(std::nan("")), std::invalid_argument);
}

TEST_CASE("typed dot - quantize - dequantize and axpy match the reference kernels") {
  const std::size_t n = 777;
  lowp::counter_rng data_rng{lowp_test::seed(), 1};
  std::vector<float> xs(n), ys(n);
  for (std::size_t i = 0; i < n; ++i) xs[i] = 5.0f * (data_rng.next_float() - 0.5f), ys[i] = data_rng.next_float() - 0.5f;

  lowp::packed<q8> qx(n), qy(n);
  lowp::counter_rng rng{lowp_test::seed(), 2};
  CHECK(lowp::kernels::quantize(std::span<const float>(xs), qx, rounding_mode::nearest_even, rng) > 0);  // |x| > 2 clips (q8 holds [-2, 2))
  lowp::kernels::quantize(std::span<const float>(ys), qy, rounding_mode::nearest_even, rng);
  std::vector<std::int8_t> rx(n);
  const std::size_t clipped = lowp::kernels::ref::quantize(xs.data(), n, 64.0f, rx.data(), rounding_mode::nearest_even, {});
  CHECK(std::equal(rx.begin(), rx.end(), qx.data()));
  CHECK(clipped > 0);

  const double d = lowp::kernels::dot(qx, qy);
  CHECK(d == double(lowp::kernels::ref::dot(qx.data(), qy.data(), n)) / 4096.0);

  std::vector<float> back(n);
  lowp::kernels::dequantize(qx, std::span<float>(back));
  for (std::size_t i = 0; i < n; ++i) REQUIRE(back[i] == float(qx[i].raw()) / 64.0f);

  // axpy in real units: w += 0.5 * x with w in a dynamic 16-bit format
  lowp::packed<d16> w(n, 1.0 / 4096);
  lowp::counter_rng r1{lowp_test::seed(), 3}, r2 = r1;
  lowp::kernels::axpy(0.5, qx, w, rounding_mode::stochastic, r1);
  std::vector<std::int16_t> wr(n, 0);
  const auto src = lowp::kernels::take_dither(r2, rounding_mode::stochastic, n);
  lowp::kernels::ref::update(wr.data(), qx.data(), n, 0.5f * 4096.0f / 64.0f, rounding_mode::stochastic, src);
  CHECK(std::equal(wr.begin(), wr.end(), w.data()));
  CHECK(r1.counter() == r2.counter());
  for (std::size_t i = 0; i < n; ++i) REQUIRE(w.value(i) == doctest::Approx(0.5 * double(qx[i])).epsilon(1e-12));
  CHECK_THROWS_AS(lowp::kernels::dot(qx, lowp::packed<q8>(3)), std::invalid_argument);
}
