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

// One outer iteration's inner loop of SVRG / LP-SVRG / HALP: everything
// between the full pass at the anchor and the candidate next anchor. It is
// its own class so that the data-parallel driver (distributed/) runs exactly
// this loop on one rank's shard, with the global full gradient; svrg_family
// below is the single-process driver around it.
template <class Format, class Rounding, centring Centre, svrg_objective Objective>
class svrg_inner_loop {
  using codes = iterate_codes<Format>;
  using code = typename codes::code;
  using access = objective_access<Objective>;
  static constexpr bool halp = Centre == centring::bit_centering;
  static constexpr bool linear = access::linear;

 public:
  // o: seed, option_two, inner_threads, delta; alpha, T and mu (HALP) are resolved by the caller.
  svrg_inner_loop(const solver_options& o, const Objective& f, double alpha, std::size_t T, double mu)
      : o_(o), f_(f), alpha_(alpha), mu_(mu), T_(T), n_(f.examples()), dim_(f.dimension()),
        z_(dim_), zd_(dim_), h_(dim_) {
    if constexpr (linear) k_ = f.outputs(), d_ = f.features(), l2_ = f.l2();
  }

  // Runs outer iteration `epoch` from `anchor`, whose full gradient is g (norm gnorm) and
  // whose margins over f's examples are `margins` (linear models). Returns the scale s;
  // next() is then the new iterate in units of s.
  double run(std::size_t epoch, const std::vector<double>& anchor, const std::vector<double>& g, double gnorm,
             const std::vector<double>& margins, saturation_counter& sat) {
    // Local names for the members, so the loop reads as the algorithm (and as it did inline).
    const solver_options& o = o_;
    const Objective& f = f_;
    const double alpha = alpha_;
    const std::size_t T = T_, n = n_, dim = dim_, k = k_, d = d_;
    const double l2 = l2_;
    auto& z = z_;
    auto& zd = zd_;
    auto& h = h_;
    auto& snapshot = snapshot_;
    // Scale and centre of this epoch.
    double s = 1.0;
    if constexpr (halp) {
      s = codes::quantized ? gnorm / (mu_ * codes::highest) : gnorm / mu_;
    } else if constexpr (codes::quantized) {
      s = o.delta;
    }
    s_ = s;
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
    use_snapshot_ = o.option_two && t_keep < T;
    return s;
  }

  // The iterate that ends the epoch, in units of s (codes for LP/HALP; values for SVRG).
  const std::vector<double>& next() const noexcept { return use_snapshot_ ? snapshot_ : zd_; }
  // The candidate next anchor in absolute terms: w~ + s next (HALP) or s next.
  void candidate(const std::vector<double>& anchor, std::vector<double>& out) const {
    const std::vector<double>& nx = next();
    out.resize(dim_);
    for (std::size_t j = 0; j < dim_; ++j) out[j] = halp ? anchor[j] + s_ * nx[j] : s_ * nx[j];
  }
  std::size_t epoch_length() const noexcept { return T_; }

 private:
  const solver_options& o_;
  const Objective& f_;
  double alpha_, mu_;
  std::size_t T_, n_, dim_, k_ = 1, d_ = 0;
  double l2_ = 0.0, s_ = 1.0;
  std::vector<code> z_;
  std::vector<double> zd_, h_, snapshot_;
  bool use_snapshot_ = false;
};

// The step size, epoch length and HALP mu a run uses (options, else the
// objective's bounds), validated; shared with the data-parallel driver.
struct svrg_constants {
  double alpha = 0.0, mu = 0.0;
  std::size_t T = 0;
};
// `strong()` (an eigen-solve for least squares) is called only when HALP needs it.
template <class Format, centring Centre, class Strong>
svrg_constants resolve_svrg_constants(const char* algo, const solver_options& o, double smooth, Strong&& strong,
                                      std::size_t n) {
  svrg_constants c;
  if (!(o.step_size > 0) && !(smooth > 0 && std::isfinite(smooth)))
    throw std::invalid_argument(std::string(algo) +
                                ": the objective has no smoothness() bound for the default step 0.2/L_max; set "
                                "solver_options::step_size");
  c.alpha = o.step_size > 0 ? o.step_size : 0.2 / smooth;
  c.T = o.epoch_length > 0 ? o.epoch_length : 2 * n;
  if constexpr (Centre == centring::bit_centering) {
    c.mu = o.mu > 0 ? o.mu : strong();
    if (!(c.mu > 0))
      throw std::invalid_argument(std::string(algo) +
                                  ": mu must be > 0: the objective has no strong-convexity bound (l2 = 0 "
                                  "and no closed form); set solver_options::mu");
  } else if constexpr (iterate_codes<Format>::quantized) {
    if (!(o.delta > 0))
      throw std::invalid_argument(std::string(algo) + ": a fixed-point LP solver needs solver_options::delta > 0");
  }
  return c;
}

template <class Format, class Rounding, centring Centre, class Exec, svrg_objective Objective, callback... Cs>
report svrg_family(const char* algo, const solver_options& o, const Exec& exec, const Objective& f,
                   std::vector<double>& w, const resume_point& rp, Cs&... cbs) {
  using codes = iterate_codes<Format>;
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
  std::size_t k = 1;
  if constexpr (linear) k = f.outputs();
  const svrg_constants cst = resolve_svrg_constants<Format, Centre>(
      algo, o, access::smoothness(f), [&] { return access::strong_convexity(f); }, n);
  const std::size_t T = cst.T;

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

  svrg_inner_loop<Format, Rounding, Centre, Objective> inner(o, f, cst.alpha, T, cst.mu);
  std::size_t epoch = rp.first_epoch;
  for (; why == status::max_epochs && epoch < o.epochs; ++epoch) {
    if (gnorm <= o.tolerance) {
      why = status::converged;
      break;
    }
    saturation_counter sat;
    const double s = inner.run(epoch, anchor, g, gnorm, margins, sat);
    std::vector<double> candidate(dim);
    inner.candidate(anchor, candidate);
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
