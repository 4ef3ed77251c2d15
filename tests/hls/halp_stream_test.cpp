// The streaming HALP-8 top (src/hls/halp_stream_top.cpp) run end to end on a
// small int8 least-squares problem: the host does what lowp::halp's int8 fast
// path does between inner loops (full gradient pass, re-centring: the
// solver's own halp_int8_step), the top runs every inner step, and the model
// after each epoch must equal the C++ solver's bit for bit for the same seed.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "halp_stream_top.hpp"
#include "lowp/datasets/quantized.hpp"
#include "lowp/datasets/synthetic.hpp"
#include "lowp/solvers/solvers.hpp"

using namespace lowp;
namespace ds = lowp::datasets;

namespace {

using q8 = fixed<8, dynamic_scale>;

// y = X w + noise with X quantized to int8 (step 1/32), d = 100 features, so
// a row is two 64-byte lines (stride 128, 28 padding bytes).
ds::quantized_dense<std::int8_t> make_problem(std::size_t n, std::size_t d) {
  auto p = ds::synthetic::linear_regression({.n = n, .d = d, .noise_sigma = 0.5, .seed = 3});
  ds::quantized_dense<std::int8_t> q;
  const double step = 1.0 / 32;
  q.n = n;
  q.d = d;
  q.stride = (d + 63) / 64 * 64;
  q.raw.assign(n * q.stride, 0);
  q.scale.mode = ds::scale_mode::per_dataset;
  q.scale.steps = {step};
  q.y = p.data.y;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j)
      q.raw[i * q.stride + j] =
          static_cast<std::int8_t>(std::clamp(std::nearbyint(p.data.X[i * d + j] / step), -127.0, 127.0));
  return q;
}

// Epochs [0, epochs) with the inner loops on the streaming top. round_epoch_offset
// != 0 feeds the top another epoch's rounding stream (the mutation check).
template <class Objective>
std::vector<double> run_with_top(const Objective& f, std::size_t epochs, std::uint64_t seed,
                                 std::size_t round_epoch_offset = 0) {
  const auto& q = f.data();
  const std::size_t n = q.n, d = q.d, lines = q.stride / lowp_hls::kLine;
  const double alpha = 0.2 / f.smoothness();
  detail::halp_int8_step<q8, round::stochastic<>> step(q, f.strong_convexity());
  std::vector<double> anchor(d, 0.0), g(d), next(d);
  std::vector<detail::row_cache> cache(n);
  std::vector<lowp_hls::line_t> data(n * lines);
  std::memcpy(data.data(), q.raw.data(), q.raw.size());
  std::vector<lowp_hls::row_info> rows(n);
  std::vector<std::int8_t> z(q.stride);
  for (std::size_t e = 0; e < epochs; ++e) {
    step.full_pass(f, anchor, g, cache, parallel::serial{});
    const double s = step.begin_epoch(f, anchor, g, detail::norm2(g), alpha);
    for (std::size_t i = 0; i < n; ++i) rows[i] = {cache[i].margin, cache[i].dl, cache[i].label, 0.0f};
    std::copy(step.z.begin(), step.z.end(), z.begin());
    const rng_key ks = detail::epoch_stream(seed, e, detail::stream_purpose::sample).key();
    const rng_key kr = detail::epoch_stream(seed, e + round_epoch_offset, detail::stream_purpose::round).key();
    const lowp_hls::halp_epoch_params p{static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(lines),
                                        2 * n, s, step.sx, alpha, step.shrink, ks.k0, ks.k1, kr.k0, kr.k1};
    lowp_hls::halp_epoch_top(data.data(), rows.data(), step.h.data(), z.data(), &p);
    std::copy(z.begin(), z.end(), step.z.begin());
    step.end_epoch(anchor, next, false);
    anchor = next;
  }
  return anchor;
}

}  // namespace

TEST_CASE("HLS streaming HALP-8 top reproduces lowp::halp bit for bit after one and two epochs") {
  const auto q = make_problem(300, 100);
  const objectives::least_squares<ds::quantized_dense<std::int8_t>> f(q, 1e-3);
  for (std::size_t epochs : {1u, 2u}) {
    std::vector<double> w(q.d, 0.0);
    const report r = halp<q8>({.epochs = epochs, .seed = 5}).optimize(f, w);
    REQUIRE(r.why == status::max_epochs);
    const std::vector<double> w_top = run_with_top(f, epochs, 5);
    std::size_t equal = 0, moved = 0;
    for (std::size_t j = 0; j < q.d; ++j) {
      equal += std::memcmp(&w[j], &w_top[j], sizeof(double)) == 0 ? 1 : 0;
      moved += w[j] != 0.0 ? 1 : 0;
    }
    MESSAGE(epochs << " epoch(s): " << equal << " of " << q.d << " coordinates bit-identical");
    CHECK(equal == q.d);
    // The model did move (85 of 100 coordinates are non-zero after one epoch,
    // 99 after two; a coordinate whose offset rounds to 0 stays at the anchor).
    CHECK(moved > q.d / 2);
  }
  // The comparison can fail: the same run with the next epoch's rounding
  // stream in the top gives a different model.
  std::vector<double> w(q.d, 0.0);
  halp<q8>({.epochs = 1, .seed = 5}).optimize(f, w);
  const std::vector<double> w_wrong = run_with_top(f, 1, 5, 1);
  std::size_t differ = 0;
  for (std::size_t j = 0; j < q.d; ++j) differ += w[j] != w_wrong[j] ? 1 : 0;
  CHECK(differ > q.d / 2);
}
