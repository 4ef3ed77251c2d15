// Gibbs sampling on discrete factor graphs: sequential (random or systematic
// scan), synchronous (Jacobi), a deterministic simulated-delay mode, and
// HOGWILD!-Gibbs on std::threads (De Sa, Olukotun, Re, ICML 2016; spec
// gibbs.md B.6). Low-precision sampling: the b-bit coin of coin.hpp.
//
// Model: factor_graph or ising_model (factor_graph.hpp), or anything with the
// same n_vars / cardinality / evidence / conditional interface.
//
// Estimates: after burn_in sweeps, every update tallies the value it wrote
// for its variable (in sweeps where sweep % thin == 0). In stationarity each
// single-site update preserves pi, so the written value is pi-distributed and
// the tallies estimate the marginals; this costs one increment per update
// instead of a pass over all n variables.
//
// Randomness: thread t draws its variable choices and coins from
// counter_rng(seed, t) and its simulated delays from counter_rng(seed, 2^32 + t),
// so a single-threaded run is bit-identical run to run.
//
// Modes:
//  - sequential:      one chain, reads the current state (exact Gibbs).
//  - simulated_delay: one chain; every neighbour read returns the value that
//                     variable had d updates ago, d ~ U{0..tau_max} drawn per
//                     read (the paper's hardware model, E[tau] = tau_max/2),
//                     replayed from a per-variable write history. Deterministic.
//  - jacobi:          all free variables resampled from the previous state
//                     at once (fully synchronous; biased, see tests).
//  - hogwild:         `threads` threads share the state with relaxed
//                     std::atomic_ref loads and stores (no locks, TSan-clean);
//                     random scan picks uniformly over all variables, the
//                     systematic scan sweeps a contiguous shard per thread (the
//                     DimmWitted order). Not deterministic for threads > 1.
//                     With the systematic order a stalled thread freezes its
//                     shard while the others keep sweeping theirs, so the
//                     chain is not ergodic during the stall (seen on tiny
//                     models, where one thread can finish before the other
//                     starts); the random scan has no such failure.
#ifndef LOWP_SOLVERS_GIBBS_GIBBS_HPP
#define LOWP_SOLVERS_GIBBS_GIBBS_HPP

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <thread>

#include "lowp/quantize/rng.hpp"
#include "lowp/solvers/gibbs/coin.hpp"
#include "lowp/solvers/gibbs/factor_graph.hpp"

namespace lowp {
namespace gibbs {

enum class scan { random, systematic };
enum class mode { sequential, simulated_delay, jacobi, hogwild };

struct options {
  std::uint64_t sweeps = 100;   // one sweep = n_free updates
  std::uint64_t burn_in = 10;   // sweeps before tallying starts (counted inside `sweeps`)
  std::uint64_t thin = 1;       // tally in sweeps where sweep % thin == 0
  std::uint64_t seed = 0;
  scan order = scan::random;
  mode run = mode::sequential;
  coin_options coin;            // bits 0 = double-precision coin
  std::uint32_t tau_max = 0;    // simulated_delay
  int threads = 1;              // hogwild
  std::uint64_t snapshot_every = 0;  // snapshot the marginals after sweeps k * snapshot_every > burn_in (0: none)
  std::vector<std::uint8_t> init;    // initial state (empty: all zeros; evidence overrides)
  // sequential/simulated_delay: also accumulate the conditional probabilities
  // used (Rao-Blackwellised marginals, result::rb_marginals). Same mean as the
  // tallies (E[x_new | reads] = prob with the double coin), lower variance.
  bool rao_blackwell = false;

  void validate() const {
    if (sweeps == 0) throw std::invalid_argument("gibbs: sweeps must be >= 1");
    if (burn_in >= sweeps) throw std::invalid_argument("gibbs: burn_in must be < sweeps");
    if (thin == 0) throw std::invalid_argument("gibbs: thin must be >= 1");
    if (threads < 1) throw std::invalid_argument("gibbs: threads must be >= 1");
    if (run == mode::simulated_delay && tau_max > (1u << 20)) throw std::invalid_argument("gibbs: tau_max too large");
    coin.validate();
  }
};

struct result {
  std::vector<std::size_t> offset;      // counts of variable v start at offset[v]
  std::vector<std::uint64_t> counts;    // tallies per (variable, value)
  std::vector<std::uint8_t> state;      // final state
  std::uint64_t updates = 0;            // single-site updates done
  std::uint64_t stuck = 0;              // updates whose conditional was all-zero (stale reads); value kept
  double seconds = 0.0;
  std::vector<double> rb_sum;           // rao_blackwell: sum of conditionals, flattened like counts
  std::vector<std::uint64_t> snapshot_sweeps;
  std::vector<double> snapshot_seconds;
  std::vector<std::vector<double>> snapshots;  // marginals() at each snapshot

  // P(x_v = c) estimates, flattened like counts (evidence variables: a point mass).
  std::vector<double> marginals() const {
    std::vector<double> m(counts.size(), 0.0);
    for (std::size_t v = 0; v + 1 < offset.size(); ++v) {
      std::uint64_t tot = 0;
      for (std::size_t k = offset[v]; k < offset[v + 1]; ++k) tot += counts[k];
      for (std::size_t k = offset[v]; k < offset[v + 1]; ++k)
        m[k] = tot ? static_cast<double>(counts[k]) / static_cast<double>(tot) : 0.0;
      if (tot == 0) m[offset[v] + state[v]] = 1.0;
    }
    return m;
  }
  // Rao-Blackwellised P(x_v = 1) (options::rao_blackwell).
  std::vector<double> rb_p_one() const {
    std::vector<double> p(offset.size() - 1, 0.0);
    for (std::size_t v = 0; v < p.size(); ++v) {
      std::uint64_t tot = 0;
      for (std::size_t k = offset[v]; k < offset[v + 1]; ++k) tot += counts[k];
      if (tot && offset[v + 1] - offset[v] > 1) p[v] = rb_sum[offset[v] + 1] / static_cast<double>(tot);
    }
    return p;
  }
  // P(x_v = 1) for each variable (Boolean models).
  std::vector<double> p_one() const {
    const std::vector<double> m = marginals();
    std::vector<double> p(offset.size() - 1);
    for (std::size_t v = 0; v < p.size(); ++v) p[v] = offset[v + 1] - offset[v] > 1 ? m[offset[v] + 1] : 0.0;
    return p;
  }
};

namespace detail {

inline std::uint32_t uniform_below(std::uint32_t draw, std::size_t n) noexcept {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(draw) * n) >> 32);
}

// Per-variable history of the last `cap` writes (time, old value), newest last
// in a ring, so a read "d updates ago" undoes the writes made since.
class write_history {
 public:
  write_history(std::size_t n, std::uint32_t cap) : cap_(cap + 1), time_(n * cap_), old_(n * cap_), head_(n, 0), size_(n, 0) {}
  void record(std::size_t v, std::uint64_t t, std::uint8_t old) {
    const std::size_t at = v * cap_ + head_[v];
    time_[at] = t;
    old_[at] = old;
    head_[v] = (head_[v] + 1) % cap_;
    if (size_[v] < cap_) ++size_[v];
  }
  // Value of v before the writes at times >= since.
  std::uint8_t value_before(std::size_t v, std::uint8_t current, std::uint64_t since) const {
    std::uint8_t x = current;
    std::uint32_t h = head_[v];
    for (std::uint32_t k = 0; k < size_[v]; ++k) {
      h = (h + cap_ - 1) % cap_;
      const std::size_t at = v * cap_ + h;
      if (time_[at] < since) break;
      x = old_[at];
    }
    return x;
  }

 private:
  std::uint32_t cap_;
  std::vector<std::uint64_t> time_;
  std::vector<std::uint8_t> old_;
  std::vector<std::uint32_t> head_, size_;
};

inline void snapshot(result& r) {
  r.snapshots.push_back(r.marginals());
}

}  // namespace detail

// Observer: called with the state after every update (sequential,
// simulated_delay) or every sweep (jacobi); never for hogwild. Tests use it
// to count joint states.
struct no_observer {
  void operator()(const std::vector<std::uint8_t>&) const noexcept {}
};

template <class Model, class Observer = no_observer>
result sample(const Model& model, const options& o, Observer&& observe = Observer{}) {
  o.validate();
  const std::size_t n = model.n_vars();
  result r;
  r.offset.assign(n + 1, 0);
  for (std::size_t v = 0; v < n; ++v) r.offset[v + 1] = r.offset[v] + static_cast<std::size_t>(model.cardinality(v));
  r.counts.assign(r.offset[n], 0);
  if (o.rao_blackwell) r.rb_sum.assign(r.offset[n], 0.0);
  std::vector<std::uint8_t>& x = r.state;
  x.assign(n, 0);
  if (!o.init.empty()) {
    if (o.init.size() != n) throw std::invalid_argument("gibbs: init has the wrong length");
    for (std::size_t v = 0; v < n; ++v) {
      if (o.init[v] >= model.cardinality(v)) throw std::invalid_argument("gibbs: init value out of range");
      x[v] = o.init[v];
    }
  }
  std::vector<std::uint32_t> free_vars;
  for (std::size_t v = 0; v < n; ++v) {
    if (model.evidence(v) >= 0)
      x[v] = static_cast<std::uint8_t>(model.evidence(v));
    else
      free_vars.push_back(static_cast<std::uint32_t>(v));
  }
  const std::size_t nf = free_vars.size();
  const auto t0 = std::chrono::steady_clock::now();
  auto tallying = [&](std::uint64_t sweep) { return sweep >= o.burn_in && (sweep - o.burn_in) % o.thin == 0; };
  auto maybe_snapshot = [&](std::uint64_t sweep_done) {
    if (o.snapshot_every && sweep_done > o.burn_in && sweep_done % o.snapshot_every == 0) {
      r.snapshot_sweeps.push_back(sweep_done);
      r.snapshot_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      detail::snapshot(r);
    }
  };
  if (nf == 0) {
    r.seconds = 0.0;
    return r;
  }

  if (o.run == mode::sequential || o.run == mode::simulated_delay) {
    counter_rng rng(o.seed, 0), delay_rng(o.seed, std::uint64_t(1) << 32);
    const bool delayed = o.run == mode::simulated_delay && o.tau_max > 0;
    detail::write_history hist(delayed ? n : 0, delayed ? o.tau_max : 0);
    std::uint64_t t = 0;
    double prob[max_cardinality];
    for (std::uint64_t sweep = 0; sweep < o.sweeps; ++sweep) {
      const bool tally = tallying(sweep);
      for (std::size_t i = 0; i < nf; ++i, ++t) {
        const std::uint32_t v = o.order == scan::random ? free_vars[detail::uniform_below(rng.next_u32(), nf)] : free_vars[i];
        bool ok;
        if (delayed) {
          ok = model.conditional(v, [&](std::uint32_t u) -> std::uint8_t {
            const std::uint64_t d = detail::uniform_below(delay_rng.next_u32(), std::size_t(o.tau_max) + 1);
            // Undo the writes made at times >= t - d (the last d updates).
            return d == 0 ? x[u] : hist.value_before(u, x[u], d > t ? 0 : t - d);
          }, prob);
        } else {
          ok = model.conditional(v, [&](std::uint32_t u) { return x[u]; }, prob);
        }
        std::uint8_t nv = x[v];
        if (ok)
          nv = static_cast<std::uint8_t>(draw_value(prob, model.cardinality(v), o.coin, rng));
        else
          ++r.stuck;
        if (delayed && nv != x[v]) hist.record(v, t, x[v]);
        x[v] = nv;
        if (tally) {
          ++r.counts[r.offset[v] + nv];
          if (o.rao_blackwell) {
            if (ok)
              for (int k = 0; k < model.cardinality(v); ++k) r.rb_sum[r.offset[v] + static_cast<std::size_t>(k)] += prob[k];
            else
              r.rb_sum[r.offset[v] + nv] += 1.0;
          }
        }
        observe(x);
      }
      maybe_snapshot(sweep + 1);
    }
    r.updates = t;
  } else if (o.run == mode::jacobi) {
    counter_rng rng(o.seed, 0);
    std::vector<std::uint8_t> next(x);
    double prob[max_cardinality];
    for (std::uint64_t sweep = 0; sweep < o.sweeps; ++sweep) {
      for (std::uint32_t v : free_vars) {
        if (model.conditional(v, [&](std::uint32_t u) { return x[u]; }, prob))
          next[v] = static_cast<std::uint8_t>(draw_value(prob, model.cardinality(v), o.coin, rng));
        else
          ++r.stuck;
      }
      x.swap(next);
      next = x;
      observe(x);
      if (tallying(sweep))
        for (std::uint32_t v : free_vars) ++r.counts[r.offset[v] + x[v]];
      maybe_snapshot(sweep + 1);
    }
    r.updates = o.sweeps * nf;
  } else {  // hogwild
    const int T = o.threads;
    std::vector<std::vector<std::uint64_t>> local(static_cast<std::size_t>(T), std::vector<std::uint64_t>(r.counts.size(), 0));
    std::vector<std::uint64_t> stuck(static_cast<std::size_t>(T), 0);
    std::vector<counter_rng> rngs;
    for (int t = 0; t < T; ++t) rngs.emplace_back(o.seed, static_cast<std::uint64_t>(t));
    const std::uint64_t chunk = o.snapshot_every ? o.snapshot_every : o.sweeps;
    std::uint8_t* xs = x.data();
    for (std::uint64_t s0 = 0; s0 < o.sweeps; s0 += chunk) {
      const std::uint64_t s1 = std::min(o.sweeps, s0 + chunk);
      auto worker = [&](int tid) {
        counter_rng& rng = rngs[static_cast<std::size_t>(tid)];
        std::vector<std::uint64_t>& cnt = local[static_cast<std::size_t>(tid)];
        const std::size_t lo = nf * static_cast<std::size_t>(tid) / static_cast<std::size_t>(T);
        const std::size_t hi = nf * static_cast<std::size_t>(tid + 1) / static_cast<std::size_t>(T);
        auto read = [&](std::uint32_t u) { return std::atomic_ref<std::uint8_t>(xs[u]).load(std::memory_order_relaxed); };
        double prob[max_cardinality];
        for (std::uint64_t sweep = s0; sweep < s1; ++sweep) {
          const bool tally = tallying(sweep);
          for (std::size_t i = lo; i < hi; ++i) {
            const std::uint32_t v = o.order == scan::random ? free_vars[detail::uniform_below(rng.next_u32(), nf)] : free_vars[i];
            std::uint8_t nv;
            if (model.conditional(v, read, prob)) {
              nv = static_cast<std::uint8_t>(draw_value(prob, model.cardinality(v), o.coin, rng));
              std::atomic_ref<std::uint8_t>(xs[v]).store(nv, std::memory_order_relaxed);
            } else {
              ++stuck[static_cast<std::size_t>(tid)];
              nv = read(v);
            }
            if (tally) ++cnt[r.offset[v] + nv];
          }
        }
      };
      // std::thread rather than OpenMP: libgomp's fork/join is invisible to
      // ThreadSanitizer, so the tally merge below would look like a race.
      std::vector<std::thread> pool;
      for (int tid = 1; tid < T; ++tid) pool.emplace_back(worker, tid);
      worker(0);
      for (auto& th : pool) th.join();
      for (int t = 0; t < T; ++t) {
        auto& c = local[static_cast<std::size_t>(t)];
        for (std::size_t k = 0; k < c.size(); ++k) {
          r.counts[k] += c[k];
          c[k] = 0;
        }
      }
      maybe_snapshot(s1);
    }
    for (std::uint64_t s : stuck) r.stuck += s;
    r.updates = o.sweeps * nf;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// Grand-coupling coalescence time (spec B.6 diagnostic): two random-scan
// chains started at the all-lowest and all-highest states share the variable
// choice and the uniform of every update (inverse CDF with the double coin).
// Returns the number of single-site updates until the states agree, or
// max_updates + 1 if they never did. For monotone models (ferromagnetic
// Ising) the two chains sandwich every other start, so this bounds the
// mixing time: t_mix(eps) <= the (1 - eps) quantile of the coalescence time.
template <class Model>
std::uint64_t coalescence_time(const Model& m, std::uint64_t seed, std::uint64_t max_updates) {
  const std::size_t n = m.n_vars();
  std::vector<std::uint8_t> lo(n, 0), hi(n, 0);
  std::vector<std::uint32_t> free_vars;
  for (std::size_t v = 0; v < n; ++v) {
    if (m.evidence(v) >= 0) {
      lo[v] = hi[v] = static_cast<std::uint8_t>(m.evidence(v));
    } else {
      hi[v] = static_cast<std::uint8_t>(m.cardinality(v) - 1);
      free_vars.push_back(static_cast<std::uint32_t>(v));
    }
  }
  std::size_t differ = 0;
  for (std::size_t v = 0; v < n; ++v) differ += lo[v] != hi[v] ? 1 : 0;
  counter_rng rng(seed, 0);
  double pl[max_cardinality], ph[max_cardinality];
  auto inverse_cdf = [](const double* p, int card, double u) {
    double acc = 0.0;
    for (int k = 0; k + 1 < card; ++k) {
      acc += p[k];
      if (u < acc) return k;
    }
    return card - 1;
  };
  for (std::uint64_t t = 0; t < max_updates; ++t) {
    if (differ == 0) return t;
    const std::uint32_t v = free_vars[detail::uniform_below(rng.next_u32(), free_vars.size())];
    const double u = rng.next_double();
    const int c = m.cardinality(v);
    const bool okl = m.conditional(v, [&](std::uint32_t w) { return lo[w]; }, pl);
    const bool okh = m.conditional(v, [&](std::uint32_t w) { return hi[w]; }, ph);
    const bool was = lo[v] != hi[v];
    if (okl) lo[v] = static_cast<std::uint8_t>(inverse_cdf(pl, c, u));
    if (okh) hi[v] = static_cast<std::uint8_t>(inverse_cdf(ph, c, u));
    const bool now = lo[v] != hi[v];
    if (was != now) differ = now ? differ + 1 : differ - 1;
  }
  return differ == 0 ? max_updates : max_updates + 1;
}

// Exact marginals P(x_v = c) by enumerating every state (tests; n small).
template <class Model>
std::vector<double> exact_marginals(const Model& m) {
  const std::size_t n = m.n_vars();
  std::vector<std::size_t> offset(n + 1, 0);
  for (std::size_t v = 0; v < n; ++v) offset[v + 1] = offset[v] + static_cast<std::size_t>(m.cardinality(v));
  std::vector<double> logp, marg(offset[n], 0.0);
  std::vector<std::vector<std::uint8_t>> states;
  std::vector<std::uint8_t> x(n, 0);
  double mx = -INFINITY;
  for (;;) {
    bool ok = true;
    for (std::size_t v = 0; v < n; ++v)
      if (m.evidence(v) >= 0 && x[v] != m.evidence(v)) ok = false;
    if (ok) {
      const double lp = m.log_potential(x);
      logp.push_back(lp);
      states.push_back(x);
      mx = std::max(mx, lp);
    }
    std::size_t v = 0;
    while (v < n && ++x[v] == m.cardinality(v)) x[v++] = 0;
    if (v == n) break;
  }
  double z = 0.0;
  for (std::size_t s = 0; s < states.size(); ++s) {
    const double w = std::exp(logp[s] - mx);
    z += w;
    for (std::size_t v = 0; v < n; ++v) marg[offset[v] + states[s][v]] += w;
  }
  for (double& p : marg) p /= z;
  return marg;
}

}  // namespace gibbs
}  // namespace lowp
#endif
