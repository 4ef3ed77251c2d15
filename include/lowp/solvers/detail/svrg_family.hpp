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

#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <thread>
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
  if (o.inner_threads == 0) bad("inner_threads must be >= 1");
}

template <class Objective>
void check_model(const char* algo, const Objective& f, const std::vector<double>& w) {
  if (w.size() != f.dimension())
    throw std::invalid_argument(std::string(algo) + ": the model has " + std::to_string(w.size()) +
                                " entries, the objective needs " + std::to_string(f.dimension()));
  for (double v : w)
    if (!std::isfinite(v)) throw std::invalid_argument(std::string(algo) + ": the start point has a non-finite entry");
}

// Runs body(thread, steps) on `threads` std::threads (std::thread rather than
// OpenMP so that ThreadSanitizer sees every synchronisation), splitting T
// steps as evenly as possible, and adds the saturation events each returns.
template <class Body>
void hogwild_inner(std::size_t threads, std::size_t T, Body&& body, saturation_counter& sat) {
  std::vector<std::uint64_t> events(threads, 0);
  std::vector<std::exception_ptr> errors(threads);
  auto run = [&](std::size_t th) {
    try {
      events[th] = body(th, T / threads + (th < T % threads ? 1 : 0));
    } catch (...) {
      errors[th] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(threads - 1);
    for (std::size_t th = 1; th < threads; ++th) pool.emplace_back(run, th);
    run(0);
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  for (auto e : events) sat.events += e;
}

// The few things the loop asks of either objective form (objective.hpp).
template <class Objective>
struct objective_access {
  static constexpr bool linear = linear_model_objective<Objective>;
  static double optimum(const Objective& f) {
    if constexpr (requires { f.optimum(); })
      return f.optimum();
    else
      return std::numeric_limits<double>::quiet_NaN();
  }
  static double smoothness(const Objective& f) {
    if constexpr (requires { f.smoothness(); })
      return f.smoothness();
    else
      return std::numeric_limits<double>::quiet_NaN();
  }
  static double strong_convexity(const Objective& f) {
    if constexpr (requires { f.strong_convexity(); })
      return f.strong_convexity();
    else
      return 0.0;
  }
  template <class Exec>
  static double evaluate(const Objective& f, const double* w, double* g, double* margins, const Exec& exec) {
    if constexpr (linear)
      return f.evaluate(w, g, margins, exec);
    else
      return f.evaluate(w, g);
  }
};

template <class Format, class Rounding, centring Centre, class Exec, svrg_objective Objective, callback... Cs>
report svrg_family(const char* algo, const solver_options& o, const Exec& exec, const Objective& f,
                   std::vector<double>& w, const resume_point& rp, Cs&... cbs) {
  using codes = iterate_codes<Format>;
  using code = typename codes::code;
  using access = objective_access<Objective>;
  constexpr bool halp = Centre == centring::bit_centering;
  constexpr bool linear = access::linear;
  check_common_options(algo, o);
  check_model(algo, f, w);
  if (o.inner_threads > 1 && o.option_two)
    throw std::invalid_argument(std::string(algo) +
                                ": option_two (a random inner iterate as the next anchor) needs a sequential "
                                "inner loop; use inner_threads = 1");

  const std::size_t n = f.examples(), dim = f.dimension();
  std::size_t k = 1, d = dim;
  double l2 = 0.0;
  if constexpr (linear) k = f.outputs(), d = f.features(), l2 = f.l2();
  const double smooth = access::smoothness(f);
  if (!(o.step_size > 0) && !(smooth > 0 && std::isfinite(smooth)))
    throw std::invalid_argument(std::string(algo) +
                                ": the objective has no smoothness() bound for the default step 0.2/L_max; set "
                                "solver_options::step_size");
  const double alpha = o.step_size > 0 ? o.step_size : 0.2 / smooth;
  const std::size_t T = o.epoch_length > 0 ? o.epoch_length : 2 * n;
  double mu = 0.0;
  if constexpr (halp) {
    mu = o.mu > 0 ? o.mu : access::strong_convexity(f);
    if (!(mu > 0))
      throw std::invalid_argument(std::string(algo) +
                                  ": mu must be > 0: the objective has no strong-convexity bound (l2 = 0 "
                                  "and no closed form); set solver_options::mu");
  } else if constexpr (codes::quantized) {
    if (!(o.delta > 0))
      throw std::invalid_argument(std::string(algo) + ": a fixed-point LP solver needs solver_options::delta > 0");
  }

  run_monitor mon(rp, access::optimum(f));
  std::vector<double> g(dim), margins(linear ? n * k : 0), anchor = w;
  double fv = access::evaluate(f, anchor.data(), g.data(), margins.data(), exec);
  double gnorm = norm2(g);
  mon.set_initial_norm(gnorm);

  run_info info{algo, dim, n, o.epochs, o.seed, codes::bits, rp.first_epoch};
  callbacks_begin(info, cbs...);
  status why = status::max_epochs;
  if (rp.first_epoch == 0) {
    mon.record(0, fv, gnorm, std::numeric_limits<double>::quiet_NaN(), 0, 0, anchor);
    if (callbacks_epoch_end(mon.state(), cbs...)) why = status::stopped_by_callback;
  }

  std::vector<code> z(dim);
  std::vector<double> zd(dim), h(dim), snapshot;
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
    // Thread 0's rounding stream: the start codes, then the (sequential) inner loop.
    Rounding rounding = make_rounding<Rounding>(epoch_stream(o.seed, epoch, stream_purpose::round));
    {
      for (std::size_t j = 0; j < dim; ++j) {
        // Linear models fold the l2 pull on z into `shrink`, so h carries the data part
        // only where the iterate is s z (LP); a generic objective's gradients include it.
        const double g_data = linear ? g[j] - l2 * anchor[j] : g[j];
        if constexpr (halp) {
          z[j] = code(0);
          h[j] = -(alpha / s) * (g_data + l2 * anchor[j]);
        } else {
          z[j] = codes::round(anchor[j] / s, rounding, sat);
          h[j] = -(alpha / s) * g_data;
        }
        zd[j] = static_cast<double>(z[j]);
      }
    }
    const double shrink = 1.0 - alpha * l2;
    std::size_t t_keep = T;  // option II: the inner iterate that becomes the anchor
    if (o.option_two) {
      auto r2 = epoch_stream(o.seed, epoch, stream_purpose::option_two);
      t_keep = uniform_index(r2, T);
    }

    // One thread's share of the inner loop. `z_in` is the iterate it reads (the shared codes
    // in a Hogwild! run), u its update in units of s. The direction is SVRG's,
    //   v = grad f_i(w) - grad f_i(w~) + g~, w = w~ + s z (HALP) or s z (LP, SVRG),
    // through the cached margins for a linear model and two gradient calls otherwise.
    struct scratch {
      std::vector<double> u, c, c_anchor, a, wcur, gi, ga;
    };
    auto make_scratch = [&] {
      scratch sc;
      sc.u.resize(dim);
      if constexpr (linear) {
        sc.c.resize(k), sc.c_anchor.resize(k), sc.a.resize(k);
      } else {
        sc.wcur.resize(dim), sc.gi.resize(dim), sc.ga.resize(dim);
      }
      return sc;
    };
    auto direction = [&](std::size_t i, const double* zs, scratch& sc) {
      double* u = sc.u.data();
      if constexpr (linear) {
        const double* a_anchor = margins.data() + i * k;
        for (std::size_t q = 0; q < k; ++q) {
          const double xz = f.row_dot(i, zs + q * d);
          sc.a[q] = halp ? a_anchor[q] + s * xz : s * xz;
        }
        f.derivative(i, sc.a.data(), sc.c.data());
        f.derivative(i, a_anchor, sc.c_anchor.data());
        for (std::size_t j = 0; j < dim; ++j) u[j] = zs[j] * shrink + h[j];
        for (std::size_t q = 0; q < k; ++q) sc.c[q] = -(alpha / s) * (sc.c[q] - sc.c_anchor[q]);
        f.add_row(i, sc.c.data(), u);
      } else {
        for (std::size_t j = 0; j < dim; ++j) sc.wcur[j] = halp ? anchor[j] + s * zs[j] : s * zs[j];
        f.gradient(i, sc.wcur.data(), sc.gi.data());
        f.gradient(i, anchor.data(), sc.ga.data());
        for (std::size_t j = 0; j < dim; ++j) u[j] = zs[j] - (alpha / s) * (sc.gi[j] - sc.ga[j]) + h[j];
      }
    };

    if (o.inner_threads == 1) {
      auto sample_rng = epoch_stream(o.seed, epoch, stream_purpose::sample);
      scratch sc = make_scratch();
      for (std::size_t t = 0; t < T; ++t) {
        if (t == t_keep) snapshot = zd;
        direction(uniform_index(sample_rng, n), zd.data(), sc);
        for (std::size_t j = 0; j < dim; ++j) {
          z[j] = codes::round(sc.u[j], rounding, sat);
          zd[j] = static_cast<double>(z[j]);
        }
      }
    } else {
      hogwild_inner(o.inner_threads, T, [&](std::size_t th, std::size_t steps) {
        Rounding my_rounding =
            th == 0 ? rounding : make_rounding<Rounding>(epoch_stream(o.seed, epoch, stream_purpose::round, th));
        auto sample_rng = epoch_stream(o.seed, epoch, stream_purpose::sample, th);
        scratch sc = make_scratch();
        std::vector<double> zs(dim);
        saturation_counter my_sat;
        for (std::size_t t = 0; t < steps; ++t) {
          // Reads and writes race with the other threads by design (Hogwild!): relaxed
          // atomics make each coordinate's read and write well defined, not the step atomic.
          for (std::size_t j = 0; j < dim; ++j) zs[j] = static_cast<double>(std::atomic_ref<code>(z[j]).load(std::memory_order_relaxed));
          direction(uniform_index(sample_rng, n), zs.data(), sc);
          for (std::size_t j = 0; j < dim; ++j)
            std::atomic_ref<code>(z[j]).store(codes::round(sc.u[j], my_rounding, my_sat), std::memory_order_relaxed);
        }
        return my_sat.events;
      }, sat);
      for (std::size_t j = 0; j < dim; ++j) zd[j] = static_cast<double>(z[j]);
    }
    const std::vector<double>& next = (o.option_two && t_keep < T) ? snapshot : zd;
    std::vector<double> candidate(dim);
    for (std::size_t j = 0; j < dim; ++j) candidate[j] = halp ? anchor[j] + s * next[j] : s * next[j];

    std::vector<double> g_next(dim), margins_next(linear ? n * k : 0);
    const double f_next = access::evaluate(f, candidate.data(), g_next.data(), margins_next.data(), exec);
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
