// The vectorised SVRG-family loops for dense linear models with one margin
// (least squares, logistic regression):
//
//   halp<fixed<8|16, dynamic_scale>> on quantized_dense<int8_t> data
//     the genuinely low-precision inner loop of spec halp.md 6.4: per step one
//     int8 x int{b} dot product (VNNI), a scalar loss derivative, and one
//     integer "bias update" z <- sat(z + SR(h + a x_i + b z)) whose dense term
//     h = -(alpha/s) g~ was computed once per epoch. Data and iterate move as
//     1 (or 2) bytes per element.
//   svrg<float> on dense_dataset (float32) data
//     the float baseline the speed claim is measured against: the same loop
//     with float32 dot, float32 update, float32 iterate.
//
// Both run their full-gradient pass blocked by row (parallel/executor.hpp),
// accumulating in float inside a block and in double across blocks, in a
// fixed order. The objective values they see are computed from float
// margins (about 1e-8 relative); when the objective knows f*, the epoch_state
// gap is recomputed by the double reference evaluator, and that monitoring
// time is excluded from the reported seconds.
#ifndef LOWP_SOLVERS_DETAIL_SVRG_FAST_HPP
#define LOWP_SOLVERS_DETAIL_SVRG_FAST_HPP

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "lowp/datasets/dataset.hpp"
#include "lowp/datasets/quantized.hpp"
#include "lowp/kernels/dispatch.hpp"
#include "lowp/kernels/packed.hpp"
#include "lowp/objectives/linear_model.hpp"
#include "lowp/quantize/nearest.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/quantize/stochastic_fixed.hpp"
#include "lowp/solvers/detail/iterate.hpp"
#include "lowp/solvers/detail/monitor.hpp"
#include "lowp/solvers/detail/svrg_family.hpp"

namespace lowp {
namespace detail {

template <class Rounding>
constexpr bool kernel_rounding = std::is_same_v<Rounding, round::stochastic<>> ||
                                 std::is_same_v<Rounding, round::stochastic<ars_rng>> ||
                                 std::is_same_v<Rounding, round::stochastic_fixed> ||
                                 std::is_same_v<Rounding, round::nearest_even> ||
                                 std::is_same_v<Rounding, round::shared_stochastic<>>;
template <class Rounding>
constexpr kernels::rounding_mode kernel_mode() {
  if constexpr (std::is_same_v<Rounding, round::nearest_even>)
    return kernels::rounding_mode::nearest_even;
  else if constexpr (std::is_same_v<Rounding, round::shared_stochastic<>>)
    return kernels::rounding_mode::stochastic_shared;
  else if constexpr (std::is_same_v<Rounding, round::stochastic<ars_rng>>)
    return kernels::rounding_mode::stochastic_ars;
  else if constexpr (std::is_same_v<Rounding, round::stochastic_fixed>)
    return kernels::rounding_mode::stochastic_fixed;
  else
    return kernels::rounding_mode::stochastic;
}

template <class Loss>
constexpr bool scalar_margin_loss =
    std::is_same_v<Loss, objectives::squared_loss> || std::is_same_v<Loss, objectives::logistic_loss>;

template <class Objective>
struct fast_data {
  static constexpr bool int8 = false, f32 = false;
};
template <class Loss>
struct fast_data<objectives::linear_model<Loss, datasets::quantized_dense<std::int8_t>>> {
  static constexpr bool int8 = scalar_margin_loss<Loss>, f32 = false;
};
template <class Loss>
struct fast_data<objectives::linear_model<Loss, datasets::dense_dataset>> {
  static constexpr bool int8 = false, f32 = scalar_margin_loss<Loss>;
};

// Which (solver, format, rounding, objective) combinations take a fast path.
template <class Format, class Rounding, class Objective>
constexpr bool halp_fast_path = fast_data<Objective>::int8 && bit_centering_format<Format> &&
                                (number_traits<Format>::bits == 8 || number_traits<Format>::bits == 16) &&
                                kernel_rounding<Rounding>;
template <class Format, class Objective>
constexpr bool svrg_f32_fast_path = fast_data<Objective>::f32 && std::is_same_v<Format, float>;
// halp<float> on float32 data: the same loop with the iterate an offset from the anchor.
template <class Format, class Objective>
constexpr bool halp_f32_fast_path = svrg_f32_fast_path<Format, Objective>;

// What the inner loop needs of example i besides its features, packed in one
// 16-byte record: a random step touches one cache line here, not three.
struct row_cache {
  float margin;  // x_i . w~ (float)
  float dl;      // l'(margin, y_i)
  float label;   // y_i as the loss sees it
  float pad;
};

// Full pass at the anchor: margins and loss derivatives at the anchor into
// `cache`, and the gradient (with l2) into g; returns f.
template <class Objective, class Exec, class RowDot, class RowAxpy>
double fast_full_pass(const Objective& f, const double* w, std::vector<double>& g, std::vector<row_cache>& cache,
                      const Exec& exec, RowDot row_dot, RowAxpy row_axpy) {
  const std::size_t n = f.examples(), d = f.features();
  const parallel::row_blocks blocks(n);
  std::vector<double> part_f(blocks.count, 0.0);
  std::vector<double> part_g(blocks.count * d, 0.0);
  exec.for_each_block(blocks.count, [&](std::size_t b) {
    aligned_vector<float> acc(d, 0.0f);
    double fs = 0.0;
    for (std::size_t i = blocks.begin(b); i < blocks.end(b); ++i) {
      // The inner loop rebuilds margins from the float cache, so the loss
      // derivative at the anchor must be taken at exactly that float value:
      // then the SVRG correction l'(a) - l'(a~) is exactly 0 at z = 0.
      const float af = static_cast<float>(row_dot(i));
      const double a = af;
      fs += f.loss(i, &a);
      double c = 0.0;
      f.derivative(i, &a, &c);
      cache[i] = row_cache{af, static_cast<float>(c), static_cast<float>(f.label(i)), 0.0f};
      row_axpy(i, static_cast<float>(c), acc.data());
    }
    part_f[b] = fs;
    for (std::size_t j = 0; j < d; ++j) part_g[b * d + j] = acc[j];
  });
  const double inv_n = 1.0 / static_cast<double>(n);
  double fv = 0.0, w2 = 0.0;
  for (std::size_t b = 0; b < blocks.count; ++b) fv += part_f[b];
  for (std::size_t j = 0; j < d; ++j) {
    double s = 0.0;
    for (std::size_t b = 0; b < blocks.count; ++b) s += part_g[b * d + j];
    g[j] = s * inv_n + f.l2() * w[j];
    w2 += w[j] * w[j];
  }
  return fv * inv_n + 0.5 * f.l2() * w2;
}

// Into L2 (prefetcht1): a row fetched several steps early must survive the
// other rows' traffic, which the L1-only non-temporal hint does not.
inline void prefetch_row(const void* p, std::size_t bytes) noexcept {
  const char* c = static_cast<const char*>(p);
  for (std::size_t k = 0; k < bytes; k += 64) __builtin_prefetch(c + k, 0, 2);
}

// Times the exact (double) monitoring evaluation so it can be left out of
// the solver's seconds.
template <class Objective, class Exec>
double exact_objective(const Objective& f, const std::vector<double>& w, const Exec& exec, double& excluded) {
  const auto t0 = std::chrono::steady_clock::now();
  const double v = f.evaluate(w.data(), nullptr, nullptr, exec);
  excluded += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return v;
}

// One loop for both fast paths. `Step` holds the per-path inner-step state.
// (Exec by value: executors are tiny, and GCC 12 warns about an empty one
// passed by reference.)
template <class Step, class Objective, class Exec, class... Cs>
report fast_loop(const char* algo, const solver_options& o, Exec exec, const Objective& f,
                 std::vector<double>& w, const resume_point& rp, Step& step, Cs&... cbs) {
  check_common_options(algo, o);
  check_model(algo, f, w);
  const std::size_t n = f.examples(), d = f.features();
  const double alpha = o.step_size > 0 ? o.step_size : 0.2 / f.smoothness();
  const std::size_t T = o.epoch_length > 0 ? o.epoch_length : 2 * n;
  const bool exact = !std::isnan(f.optimum());
  double excluded = 0.0;  // seconds spent on exact monitoring

  run_monitor mon(rp, f.optimum());
  std::vector<double> g(d), anchor = w, g_next(d), candidate(d);
  std::vector<row_cache> cache(n), cache_next(n);
  double fv = step.full_pass(f, anchor, g, cache, exec);
  double gnorm = norm2(g);
  mon.set_initial_norm(gnorm);
  run_info info{algo, d, n, o.epochs, o.seed, Step::bits, rp.first_epoch};
  callbacks_begin(info, cbs...);
  auto shown = [&](double fast_value, const std::vector<double>& model) {
    return exact ? exact_objective(f, model, exec, excluded) : fast_value;
  };
  status why = status::max_epochs;
  if (rp.first_epoch == 0) {
    mon.record(0, shown(fv, anchor), gnorm, std::numeric_limits<double>::quiet_NaN(), 0, 0, anchor);
    mon.state().seconds -= excluded;
    if (callbacks_epoch_end(mon.state(), cbs...)) why = status::stopped_by_callback;
  }
  std::size_t epoch = rp.first_epoch;
  for (; why == status::max_epochs && epoch < o.epochs; ++epoch) {
    if (gnorm <= o.tolerance) {
      why = status::converged;
      break;
    }
    auto sample_rng = epoch_stream(o.seed, epoch, stream_purpose::sample);
    auto round_rng = epoch_stream(o.seed, epoch, stream_purpose::round);
    std::size_t t_keep = T;
    if (o.option_two) {
      auto r2 = epoch_stream(o.seed, epoch, stream_purpose::option_two);
      t_keep = uniform_index(r2, T);
    }
    const double s = step.begin_epoch(f, anchor, g, gnorm, alpha);
    // Rows are sampled at random, so the hardware prefetcher cannot help:
    // draw the indices `ahead` steps early (same sequence) and prefetch.
    constexpr std::size_t ahead = 8;
    std::size_t queue[ahead];
    for (std::size_t q = 0; q < ahead; ++q) {
      queue[q] = uniform_index(sample_rng, n);
      step.prefetch(queue[q]);
      __builtin_prefetch(cache.data() + queue[q]);
    }
    for (std::size_t t = 0; t < T; ++t) {
      if (t == t_keep) step.snapshot();
      const std::size_t i = queue[t % ahead];
      if (t + ahead < T) {
        queue[t % ahead] = uniform_index(sample_rng, n);
        step.prefetch(queue[t % ahead]);
        __builtin_prefetch(cache.data() + queue[t % ahead]);
      }
      step.inner(f, i, cache[i], round_rng);
    }
    step.end_epoch(anchor, candidate, t_keep < T);
    const double f_next = step.full_pass(f, candidate, g_next, cache_next, exec);
    const double gnorm_next = norm2(g_next);
    mon.state().epoch = epoch;
    const std::uint64_t sat = step.take_saturations();
    if (mon.diverged(f_next, gnorm_next, o.divergence_factor, algo)) {
      if (Step::bits > 0) {
        mon.append_message("; " + std::to_string(Step::bits) +
                           "-bit codes are too coarse for this problem: use more bits or a smaller step size "
                           "relative to mu");
      }
      mon.record(epoch + 1, f_next, gnorm_next, s, sat, n + T, anchor);
      mon.state().seconds -= excluded;
      mon.state().rejected = true;
      callbacks_epoch_end(mon.state(), cbs...);
      why = status::diverged;
      ++epoch;
      break;
    }
    anchor.swap(candidate);
    g.swap(g_next);
    cache.swap(cache_next);
    fv = f_next;
    gnorm = gnorm_next;
    mon.record(epoch + 1, shown(fv, anchor), gnorm, s, sat, n + T, anchor);
    mon.state().seconds -= excluded;
    if (callbacks_epoch_end(mon.state(), cbs...)) {
      why = status::stopped_by_callback;
      ++epoch;
      break;
    }
  }
  if (why == status::max_epochs && gnorm <= o.tolerance) why = status::converged;
  w = anchor;
  mon.state().model = w;
  report r = mon.finish(why, exact ? mon.state().objective : fv, gnorm);
  r.seconds -= excluded;
  callbacks_end(mon.state(), r, cbs...);
  (void)alpha;
  return r;
}

// ---- HALP on int8 data ---------------------------------------------------------

template <class Format, class Rounding>
struct halp_int8_step {
  using code = typename number_traits<Format>::storage;
  static constexpr int bits = number_traits<Format>::bits;
  static constexpr kernels::rounding_mode mode = kernel_mode<Rounding>();
  const kernels::table& kt = kernels::best();
  const datasets::quantized_dense<std::int8_t>* data;
  double mu, sx, s = 1.0, alpha = 0.0;
  float shrink = 0.0f;
  std::size_t stride;
  aligned_vector<code> z, z_keep;
  aligned_vector<float> h;
  kernels::fixed_offset_buffer h_fixed;  // h on the 2^-16 grid (round::stochastic_fixed)
  aligned_vector<float> anchor_f;
  std::uint64_t saturations = 0;

  halp_int8_step(const datasets::quantized_dense<std::int8_t>& x, double mu_)
      : data(&x), mu(mu_), sx(x.step(0)), stride(x.stride), z(x.stride), z_keep(x.stride), h(x.stride, 0.0f),
        anchor_f(x.stride, 0.0f) {}

  template <class Objective, class Exec>
  double full_pass(const Objective& f, const std::vector<double>& w, std::vector<double>& g,
                   std::vector<row_cache>& cache, const Exec& exec) {
    for (std::size_t j = 0; j < w.size(); ++j) anchor_f[j] = static_cast<float>(w[j]);
    const float sxf = static_cast<float>(sx);
    return fast_full_pass(
        f, w.data(), g, cache, exec,
        [&](std::size_t i) { return sx * double(kt.dot_i8_f32(data->raw.data() + i * stride, anchor_f.data(), stride)); },
        [&](std::size_t i, float c, float* acc) {
          kt.axpy_i8_f32(acc, data->raw.data() + i * stride, data->d, c * sxf);
        });
  }
  template <class Objective>
  double begin_epoch(const Objective& f, const std::vector<double>&, const std::vector<double>& g, double gnorm,
                     double alpha_) {
    alpha = alpha_;
    s = gnorm / (mu * static_cast<double>(number_traits<Format>::raw_highest));
    for (std::size_t j = 0; j < g.size(); ++j) h[j] = static_cast<float>(-(alpha / s) * g[j]);
    shrink = static_cast<float>(-alpha * f.l2());
    if constexpr (mode == kernels::rounding_mode::stochastic_fixed) h_fixed.assign(h.data(), h.size());
    std::fill(z.begin(), z.end(), code(0));
    return s;
  }
  void snapshot() { z_keep = z; }
  void prefetch(std::size_t i) const noexcept { prefetch_row(data->raw.data() + i * stride, data->d); }
  template <class Objective>
  void inner(const Objective& f, std::size_t i, const row_cache& rc, counter_rng& rng) {
    const std::int8_t* x = data->raw.data() + i * stride;
    std::int64_t xz;
    if constexpr (bits == 8)
      xz = kt.dot_i8(x, z.data(), stride);
    else
      xz = kt.dot_i16_i8(z.data(), x, stride);
    const double a = double(rc.margin) + s * sx * double(xz);
    double c = 0.0;
    f.loss().derivative(&a, double(rc.label), &c);
    const float coef = static_cast<float>(-(alpha / s) * sx * (c - double(rc.dl)));
    const kernels::dither_source src = kernels::take_dither(rng, mode, stride);
    if constexpr (mode == kernels::rounding_mode::stochastic_fixed) {
      // The exact integer form (kernels/scalar.hpp, fixed_offset) has no shrink term.
      if (shrink == 0.0f) {
        if constexpr (bits == 8)
          saturations += kt.update_bias_fixed_i8_i8(z.data(), x, h_fixed.view(), stride, coef, src);
        else
          saturations += kt.update_bias_fixed_i16_i8(z.data(), x, h_fixed.view(), stride, coef, src);
        return;
      }
    }
    if constexpr (bits == 8)
      saturations += kt.update_bias_i8_i8(z.data(), x, h.data(), stride, coef, shrink, mode, src);
    else
      saturations += kt.update_bias_i16_i8(z.data(), x, h.data(), stride, coef, shrink, mode, src);
  }
  void end_epoch(const std::vector<double>& anchor, std::vector<double>& next, bool use_snapshot) const {
    const auto& zz = use_snapshot ? z_keep : z;
    for (std::size_t j = 0; j < anchor.size(); ++j) next[j] = anchor[j] + s * double(zz[j]);
  }
  std::uint64_t take_saturations() noexcept { return std::exchange(saturations, 0); }
};

// ---- SVRG on float32 data with a float32 iterate (the baseline) -------------------
// Centred = false: svrg<float>, the iterate itself in float32 (it stalls at float32
// resolution, about 1e-9 to 1e-7 relative gap). Centred = true: halp<float>, the float32
// iterate is an offset z from the double anchor, re-centred every epoch (bit centering
// without quantization): the same work per step, margins x.w~ + x.z from the cached x.w~,
// and the offset's float32 resolution shrinks with it, so it goes on to the optimum.

template <bool Centred = false>
struct svrg_f32_step {
  static constexpr int bits = 0;
  const kernels::table& kt = kernels::best();
  const datasets::dense_dataset* data;
  std::size_t d;
  double alpha = 0.0;
  float shrink = 0.0f;
  aligned_vector<float> w, w_keep, h, anchor_f;

  explicit svrg_f32_step(const datasets::dense_dataset& x)
      : data(&x), d(x.d), w(x.d), w_keep(x.d), h(x.d), anchor_f(x.d) {}

  template <class Objective, class Exec>
  double full_pass(const Objective& f, const std::vector<double>& wd, std::vector<double>& g,
                   std::vector<row_cache>& cache, const Exec& exec) {
    for (std::size_t j = 0; j < d; ++j) anchor_f[j] = static_cast<float>(wd[j]);
    return fast_full_pass(
        f, wd.data(), g, cache, exec,
        [&](std::size_t i) { return double(kt.dot_f32(data->X.data() + i * d, anchor_f.data(), d)); },
        [&](std::size_t i, float c, float* acc) { kt.axpy_f32(acc, data->X.data() + i * d, d, c); });
  }
  template <class Objective>
  double begin_epoch(const Objective& f, const std::vector<double>& anchor, const std::vector<double>& g, double,
                     double alpha_) {
    alpha = alpha_;
    // v = c x_i + g_data + l2 w with g_data = g - l2 w~; centred, w = w~ + z and
    // v = c x_i + g + l2 z.
    for (std::size_t j = 0; j < d; ++j) {
      h[j] = static_cast<float>(-alpha * (Centred ? g[j] : g[j] - f.l2() * anchor[j]));
      w[j] = Centred ? 0.0f : static_cast<float>(anchor[j]);
    }
    shrink = static_cast<float>(-alpha * f.l2());
    return std::numeric_limits<double>::quiet_NaN();
  }
  void snapshot() { w_keep = w; }
  void prefetch(std::size_t i) const noexcept { prefetch_row(data->X.data() + i * d, d * sizeof(float)); }
  template <class Objective>
  void inner(const Objective& f, std::size_t i, const row_cache& rc, counter_rng&) {
    const float* x = data->X.data() + i * d;
    const double a = (Centred ? double(rc.margin) : 0.0) + double(kt.dot_f32(x, w.data(), d));
    double c = 0.0;
    f.loss().derivative(&a, double(rc.label), &c);
    kt.update_bias_f32(w.data(), x, h.data(), d, static_cast<float>(-alpha * (c - double(rc.dl))), shrink);
  }
  void end_epoch(const std::vector<double>& anchor, std::vector<double>& next, bool use_snapshot) const {
    const auto& ww = use_snapshot ? w_keep : w;
    for (std::size_t j = 0; j < d; ++j) next[j] = (Centred ? anchor[j] : 0.0) + double(ww[j]);
  }
  std::uint64_t take_saturations() noexcept { return 0; }
};

}  // namespace detail
}  // namespace lowp
#endif
