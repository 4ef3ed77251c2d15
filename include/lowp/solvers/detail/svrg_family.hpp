// One loop for SVRG, LP-SVRG and HALP (spec halp.md 6.3). They differ only in
// where the inner iterate is centred and how it is scaled:
//
//                 iterate w during epoch k     scale s              codes z
//   SVRG          z                             1                    double
//   LP-SVRG       s z                           delta (fixed)        int{b}, z0 = Q(w~/delta)
//   HALP          w~_k + s_k z                  ||g~|| / (mu (2^{b-1}-1))  int{b}, z0 = 0
//
// For a linear model f_i(w) = l(x_i.w, y_i) + l2/2 ||w||^2 the SVRG direction
//   v = grad f_i(w) - grad f_i(w~) + g~ = (l'(x_i.w) - l'(x_i.w~)) x_i + g_data + l2 w
// and the margin x_i.w~ of every example is cached by the full pass, so
// x_i.w = x_i.w~ + s x_i.z for HALP (DESIGN.md point 3). The update in units
// of s is
//   z <- Q( z (1 - alpha l2) - (alpha/s)(g_data + l2 base) - (alpha/s) c x_i ),
// where the middle term is a vector computed once per epoch.
#ifndef LOWP_SOLVERS_DETAIL_SVRG_FAMILY_HPP
#define LOWP_SOLVERS_DETAIL_SVRG_FAMILY_HPP

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/callbacks/callbacks.hpp"
#include "lowp/objectives/objective.hpp"
#include "lowp/solvers/detail/iterate.hpp"
#include "lowp/solvers/detail/monitor.hpp"
#include "lowp/solvers/options.hpp"

namespace lowp {
namespace detail {

enum class centring { absolute, bit_centering };

inline void check_common_options(const char* algo, const solver_options& o) {
  auto bad = [&](const std::string& what) { throw std::invalid_argument(std::string(algo) + ": " + what); };
  if (!(o.step_size >= 0) || !std::isfinite(o.step_size)) bad("step_size must be finite and >= 0 (0 = 0.2/L_max)");
  if (o.epochs == 0) bad("epochs must be >= 1");
  if (!(o.tolerance >= 0)) bad("tolerance must be >= 0");
  if (!(o.mu >= 0) || !std::isfinite(o.mu)) bad("mu must be finite and >= 0 (0 = the objective's bound)");
  if (!(o.delta >= 0) || !std::isfinite(o.delta)) bad("delta must be finite and >= 0");
  if (!(o.divergence_factor >= 0)) bad("divergence_factor must be >= 0 (0 disables the check)");
  if (!(o.step_decay >= 0)) bad("step_decay must be >= 0");
}

template <class Objective>
void check_model(const char* algo, const Objective& f, const std::vector<double>& w) {
  if (w.size() != f.dimension())
    throw std::invalid_argument(std::string(algo) + ": the model has " + std::to_string(w.size()) +
                                " entries, the objective needs " + std::to_string(f.dimension()));
  for (double v : w)
    if (!std::isfinite(v)) throw std::invalid_argument(std::string(algo) + ": the start point has a non-finite entry");
}

template <class Format, class Rounding, centring Centre, class Exec, linear_model_objective Objective,
          callback... Cs>
report svrg_family(const char* algo, const solver_options& o, const Exec& exec, const Objective& f,
                   std::vector<double>& w, const resume_point& rp, Cs&... cbs) {
  using codes = iterate_codes<Format>;
  constexpr bool halp = Centre == centring::bit_centering;
  check_common_options(algo, o);
  check_model(algo, f, w);

  const std::size_t n = f.examples(), dim = f.dimension(), k = f.outputs(), d = f.features();
  const double alpha = o.step_size > 0 ? o.step_size : 0.2 / f.smoothness();
  const std::size_t T = o.epoch_length > 0 ? o.epoch_length : 2 * n;
  const double l2 = f.l2();
  double mu = 0.0;
  if constexpr (halp) {
    mu = o.mu > 0 ? o.mu : f.strong_convexity();
    if (!(mu > 0))
      throw std::invalid_argument(std::string(algo) +
                                  ": mu must be > 0: the objective has no strong-convexity bound (l2 = 0 "
                                  "and no closed form); set solver_options::mu");
  } else if constexpr (codes::quantized) {
    if (!(o.delta > 0))
      throw std::invalid_argument(std::string(algo) + ": a fixed-point LP solver needs solver_options::delta > 0");
  }

  run_monitor mon(rp, f.optimum());
  std::vector<double> g(dim), margins(n * k), anchor = w;
  double fv = f.evaluate(anchor.data(), g.data(), margins.data(), exec);
  double gnorm = norm2(g);
  mon.set_initial_norm(gnorm);

  run_info info{algo, dim, n, o.epochs, o.seed, codes::bits, rp.first_epoch};
  callbacks_begin(info, cbs...);
  status why = status::max_epochs;
  if (rp.first_epoch == 0) {
    mon.record(0, fv, gnorm, std::numeric_limits<double>::quiet_NaN(), 0, 0, anchor);
    if (callbacks_epoch_end(mon.state(), cbs...)) why = status::stopped_by_callback;
  }

  std::vector<typename codes::code> z(dim);
  std::vector<double> zd(dim), u(dim), h(dim), snapshot;
  std::vector<double> c(k), c_anchor(k), a(k);
  std::size_t epoch = rp.first_epoch;
  for (; why == status::max_epochs && epoch < o.epochs; ++epoch) {
    if (gnorm <= o.tolerance) {
      why = status::converged;
      break;
    }
    // Scale and centre of this epoch.
    double s = 1.0;
    if constexpr (halp) {
      s = codes::quantized ? gnorm / (mu * codes::highest) : gnorm / mu;
    } else if constexpr (codes::quantized) {
      s = o.delta;
    }
    saturation_counter sat;
    auto round_rng = epoch_stream(o.seed, epoch, stream_purpose::round);
    Rounding rounding = make_rounding<Rounding>(round_rng);
    for (std::size_t j = 0; j < dim; ++j) {
      const double g_data = g[j] - l2 * anchor[j];
      if constexpr (halp) {
        z[j] = typename codes::code(0);
        h[j] = -(alpha / s) * (g_data + l2 * anchor[j]);
      } else {
        z[j] = codes::round(anchor[j] / s, rounding, sat);
        h[j] = -(alpha / s) * g_data;
      }
      zd[j] = static_cast<double>(z[j]);
    }
    const double shrink = 1.0 - alpha * l2;
    auto sample_rng = epoch_stream(o.seed, epoch, stream_purpose::sample);
    std::size_t t_keep = T;  // option II: the inner iterate that becomes the anchor
    if (o.option_two) {
      auto r2 = epoch_stream(o.seed, epoch, stream_purpose::option_two);
      t_keep = uniform_index(r2, T);
    }
    for (std::size_t t = 0; t < T; ++t) {
      if (t == t_keep) snapshot = zd;
      const std::size_t i = uniform_index(sample_rng, n);
      const double* a_anchor = margins.data() + i * k;
      for (std::size_t q = 0; q < k; ++q) {
        const double xz = f.row_dot(i, zd.data() + q * d);
        a[q] = halp ? a_anchor[q] + s * xz : s * xz;
      }
      f.derivative(i, a.data(), c.data());
      f.derivative(i, a_anchor, c_anchor.data());
      for (std::size_t j = 0; j < dim; ++j) u[j] = zd[j] * shrink + h[j];
      for (std::size_t q = 0; q < k; ++q) c[q] = -(alpha / s) * (c[q] - c_anchor[q]);
      f.add_row(i, c.data(), u.data());
      for (std::size_t j = 0; j < dim; ++j) {
        z[j] = codes::round(u[j], rounding, sat);
        zd[j] = static_cast<double>(z[j]);
      }
    }
    const std::vector<double>& next = (o.option_two && t_keep < T) ? snapshot : zd;
    std::vector<double> candidate(dim);
    for (std::size_t j = 0; j < dim; ++j) candidate[j] = halp ? anchor[j] + s * next[j] : s * next[j];

    std::vector<double> g_next(dim), margins_next(n * k);
    const double f_next = f.evaluate(candidate.data(), g_next.data(), margins_next.data(), exec);
    const double gnorm_next = norm2(g_next);
    mon.state().epoch = epoch;
    if (mon.diverged(f_next, gnorm_next, o.divergence_factor, algo)) {
      if constexpr (codes::quantized) {
        char buf[200];
        std::snprintf(buf, sizeof buf,
                      "; %d-bit codes are too coarse for this problem (quantization noise ~ d s^2 outgrows the "
                      "progress per step): use more bits%s",
                      codes::bits, halp ? " or a smaller step size relative to mu" : " or a finer delta");
        mon.append_message(buf);
      }
      mon.record(epoch + 1, f_next, gnorm_next, s, sat.events, n + T, anchor);
      mon.state().rejected = true;
      callbacks_epoch_end(mon.state(), cbs...);
      why = status::diverged;
      ++epoch;
      break;  // `anchor`, the last good point, is what we return
    }
    anchor.swap(candidate);
    g.swap(g_next);
    margins.swap(margins_next);
    fv = f_next;
    gnorm = gnorm_next;
    mon.record(epoch + 1, fv, gnorm, s, sat.events, n + T, anchor);
    if (callbacks_epoch_end(mon.state(), cbs...)) {
      why = status::stopped_by_callback;
      ++epoch;
      break;
    }
  }
  if (why == status::max_epochs && gnorm <= o.tolerance) why = status::converged;
  w = anchor;
  mon.state().model = w;
  report r = mon.finish(why, fv, gnorm);
  callbacks_end(mon.state(), r, cbs...);
  return r;
}

}  // namespace detail
}  // namespace lowp
#endif
