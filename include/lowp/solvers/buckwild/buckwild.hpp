// Hogwild! and Buckwild!: lock-free asynchronous SGD on a shared model, in
// any precision (Niu, Recht, Re, Wright, NIPS 2011; De Sa, Zhang, Olukotun,
// Re, "Taming the Wild", NeurIPS 2015; De Sa, Feldman, Re, Olukotun, ISCA 2017).
//
//   buckwild<D, M, G, Race, Dither, Launch, Comm>
//     D       dataset numbers: std::int8_t, std::int16_t or float (quantized once, buckwild_problem)
//     M       model numbers: std::int8_t, std::int16_t (fixed point, step s_M = R / (2^(b-1)-1)) or float
//     G       gradient numbers: float or double (margin scaling and the loss derivative; integer
//             dots are exact int64, float dots float)
//     Race    race::atomic_relaxed (default; defined, TSan-clean) or race::racy_simd (plain
//             stores and the SIMD kernels; a documented data race) - kernels/race.hpp
//     Dither  dither::independent (default), dither::shared (ISCA 2017 shared randomness) or
//             dither::nearest (deterministic ablation: small steps stall)
//     Launch  threads::openmp (default), threads::std_threads (std::thread; use it under TSan,
//             whose runtime does not understand libgomp's barriers) or threads::onetbb
//             (lowp/solvers/buckwild/onetbb.hpp; link TBB::tbb)
//     Comm    comm::per_machine: one shared model (C = M). Per-thread replicas (PerCore, C = M)
//             are buckwild_options::replicas (run_epoch_replicated), not a Comm policy.
//
//   hogwild        = buckwild<float, float>            (Hogwild!, the float instance)
//   buckwild8      = buckwild<int8_t, int8_t>          (D8M8G32fC8)
//   buckwild16     = buckwild<int16_t, int16_t>        (D16M16G32fC16)
//
// Every epoch draws a permutation of the examples (row_order: fully shuffled,
// or shuffled blocks of contiguous rows that stream from memory); thread t of
// T takes the contiguous chunk [tN/T, (t+1)N/T) of it (Hazy / DimmWitted
// style) and, per example, computes the margin from the shared model, the
// loss derivative and applies the update of detail/kernels.hpp without locks
// (D8M8 dense: the update and the next margin in one fused AVX-512 pass).
// options.staleness > 0 turns one thread into a deterministic delay simulator. Every model write
// of a fixed-point model is stochastically rounded (unbiased) with per-thread
// random streams derived from (seed, epoch, thread); clamps are counted.
// L2 decay w <- (1 - alpha l2)^K w is applied lazily every K = decay_every
// examples per thread, rounded the same way. After each epoch the model is
// evaluated in double (deterministic whatever the thread count) and shown to
// the callbacks; divergence (non-finite or blown-up gradient) ends the run.
// With one thread a run is bit-identical for a seed, and identical under
// both race policies.
// options.batch = B > 1: mini-batches (work_batched: B margins at the model as
// read, one stochastically rounded update of the summed gradient per B rows).
// options.replicas: every thread runs on a private copy of the model; the
// copies are averaged into the shared model (stochastically rounded into M)
// every options.replica_sync examples per thread, or once per epoch.
#ifndef LOWP_SOLVERS_BUCKWILD_BUCKWILD_HPP
#define LOWP_SOLVERS_BUCKWILD_BUCKWILD_HPP

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "lowp/callbacks/callbacks.hpp"
#include "lowp/kernels/dispatch.hpp"
#include "lowp/kernels/race.hpp"
#include "lowp/parallel/executor.hpp"
#include "lowp/solvers/buckwild/detail/avx512.hpp"
#include "lowp/solvers/buckwild/detail/batch.hpp"
#include "lowp/solvers/buckwild/detail/kernels.hpp"
#include "lowp/solvers/buckwild/problem.hpp"
#include "lowp/solvers/detail/monitor.hpp"
#include "lowp/solvers/report.hpp"
#include "lowp/solvers/state.hpp"

namespace lowp {

// The order in which an epoch visits the examples. Every order is a seeded
// permutation drawn afresh each epoch (counter_rng(seed, epoch)), so a
// single-thread run stays bit-identical for a seed.
//   shuffled        a uniformly random permutation of the rows (Hogwild!'s
//                   "with replacement"-free epoch). Out of cache every row is a
//                   random DRAM access: the loop is latency-bound (software
//                   prefetch hides part of it).
//   block_shuffled  the rows are cut into blocks of contiguous rows of about
//                   `block_bytes`; the blocks are visited in a random order and
//                   the rows of a block in a random order of their own (DimmWitted
//                   / Hazy style: what a shuffle buffer does). Each block is
//                   streamed from DRAM sequentially (hardware prefetcher, TLB),
//                   so epochs run at memory bandwidth; the price is that rows of
//                   one block are never far apart in an epoch, which only matters
//                   when the stored order is not itself random (shuffle the
//                   data once at load time when it is sorted).
//   sequential      storage order every epoch (passes over a data set shuffled once).
enum class row_order : std::uint8_t { shuffled, block_shuffled, sequential };

inline const char* to_string(row_order o) noexcept {
  switch (o) {
    case row_order::shuffled: return "shuffled";
    case row_order::block_shuffled: return "block_shuffled";
    case row_order::sequential: return "sequential";
  }
  return "unknown";
}

struct buckwild_options {
  double step_size = 0.1;          // alpha
  double step_decay = 1.0;         // alpha_e = alpha * step_decay^e (Hogwild!'s per-epoch decay; 1 = constant)
  std::size_t epochs = 10;
  int threads = 1;                 // workers sharing the model
  std::uint64_t seed = 0;          // every random choice derives from it
  double l2 = 0.0;                 // lambda of l2/2 ||w||^2
  double model_range = 0.0;        // R: a fixed-point model holds |w_j| <= R; 0 = 2 x max|w| of a
                                   //    2-epoch single-thread float run (spec 8.1)
  std::size_t decay_every = 64;    // K: L2 decay applied every K examples per thread
  double divergence_factor = 1e3;  // diverged when ||grad f|| grows past this times the previous
                                   // epoch's or the start's value (0 = only non-finite values)
  bool evaluate = true;            // false: skip the per-epoch full pass (benchmarks); the report's
                                   // objective and gradient are then NaN
  double f_star = std::numeric_limits<double>::quiet_NaN();  // known optimum: callbacks then see gap = f - f*
  std::size_t staleness = 0;              // tau > 0: the staleness simulator (one thread only): the
                                          // gradient of step r, computed on the model of step r, is
                                          // applied after step r + tau, so every margin reads a model
                                          // missing the last tau updates (deterministic; for studying
                                          // statistical efficiency under delay, as async_gibbs's delay)
  row_order order = row_order::shuffled;  // how each epoch visits the rows (below)
  std::size_t block_bytes = 256 * 1024;    // row_order::block_shuffled: rows per block = this / row bytes
  std::size_t batch = 1;                  // B: mini-batch size. B > 1: a worker computes the loss
                                          // derivatives of B rows at the model as it reads it, sums
                                          // g_i x_i in G precision and applies ONE stochastically rounded
                                          // update -alpha sum_i g_i x_i (the sum, not the mean: alpha keeps
                                          // its per-example meaning; see solvers/buckwild/README.md). B = 1
                                          // is the unbatched code path, bit for bit.
  bool replicas = false;                  // per-thread model replicas (PerCore replication, C = M): each
                                          // thread updates a private copy of the model; the copies are
                                          // averaged into the shared model (stochastically rounded into M)
                                          // every replica_sync examples per thread
  std::size_t replica_sync = 0;           // replicas: examples per thread between averages; 0 = once per epoch
};


namespace comm {
// One model shared by all threads (Hogwild!'s PerMachine): communication is
// the cache-coherence traffic on the model itself, so C = M.
struct per_machine {
  static constexpr const char* name = "per_machine";
};
}  // namespace comm

namespace threads {
struct openmp {
  static constexpr const char* name = "openmp";
  template <class F>
  static void launch(int T, F&& f) {
#ifdef _OPENMP
    if (T > 1) {
#pragma omp parallel num_threads(T)
      f(omp_get_thread_num());
      return;
    }
#endif
    for (int t = 0; t < T; ++t) f(t);
  }
};
struct std_threads {
  static constexpr const char* name = "std_threads";
  template <class F>
  static void launch(int T, F&& f) {
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(T > 1 ? T - 1 : 0));
    for (int t = 1; t < T; ++t) pool.emplace_back([&f, t] { f(t); });
    f(0);
    for (auto& th : pool) th.join();
  }
};
}  // namespace threads

// What one epoch did (summed over threads).
struct buckwild_epoch_counters {
  std::uint64_t saturations = 0;  // clamped model writes (+ clipped step multipliers)
  std::uint64_t updates = 0;      // examples processed
  std::uint64_t numbers = 0;      // dataset numbers processed
};

// f, ||grad f|| and the fraction of sign(z) == y (classification) of a double model.
struct buckwild_evaluation {
  double objective = 0.0;
  double gradient_norm = 0.0;
  double accuracy = std::numeric_limits<double>::quiet_NaN();
};

namespace detail {
// The unnormalised full-data sums [loss, hits, g_0 .. g_{d-1}] at a double
// model. Deterministic whatever the thread count: fixed row blocks, each
// summed in row order, combined in block order. evaluate_buckwild and the
// distributed local SGD (which adds the ranks' sums in rank order) share it,
// so one rank reproduces evaluate_buckwild bit for bit.
template <class Launch, buckwild_data_type D>
void buckwild_sums(const buckwild_problem<D>& p, const std::vector<double>& w, int threads, double* out) {
  const parallel::row_blocks blocks(p.n);
  std::vector<double> loss(blocks.count, 0.0), hits(blocks.count, 0.0), grad(blocks.count * p.d, 0.0);
  auto block = [&](std::size_t b) {
    double* g = grad.data() + b * p.d;
    for (std::size_t i = blocks.begin(b); i < blocks.end(b); ++i) {
      const D* x = p.row_values(i);
      const std::uint32_t* idx = p.row_indices(i);
      const std::size_t len = p.row_length(i);
      double z = 0.0;
      for (std::size_t k = 0; k < len; ++k) z += static_cast<double>(x[k]) * p.scale * w[idx ? idx[k] : k];
      loss[b] += bw::loss_value(p.loss, z, p.y[i]);
      hits[b] += (z > 0) == (p.y[i] > 0) ? 1.0 : 0.0;
      const double c = bw::loss_derivative<double>(p.loss, z, p.y[i]);
      if (c != 0.0)
        for (std::size_t k = 0; k < len; ++k) g[idx ? idx[k] : k] += c * static_cast<double>(x[k]) * p.scale;
    }
  };
  const int T = std::max(1, std::min<int>(threads, static_cast<int>(blocks.count)));
  Launch::launch(T, [&](int t) {
    for (std::size_t b = static_cast<std::size_t>(t); b < blocks.count; b += static_cast<std::size_t>(T)) block(b);
  });
  double l = 0.0, h = 0.0;
  for (std::size_t b = 0; b < blocks.count; ++b) l += loss[b], h += hits[b];
  out[0] = l;
  out[1] = h;
  double* g = out + 2;
  std::fill(g, g + p.d, 0.0);
  for (std::size_t b = 0; b < blocks.count; ++b)
    for (std::size_t j = 0; j < p.d; ++j) g[j] += grad[b * p.d + j];
}
}  // namespace detail

// f, ||grad f|| and accuracy of a double model from detail::buckwild_sums.
// Launch as in the solver (std_threads under TSan).
template <class Launch = threads::openmp, buckwild_data_type D>
buckwild_evaluation evaluate_buckwild(const buckwild_problem<D>& p, const std::vector<double>& w, double l2,
                                      int threads = 1) {
  if (w.size() < p.d) throw std::invalid_argument("evaluate_buckwild: model smaller than the feature count");
  std::vector<double> sums(p.d + 2);
  detail::buckwild_sums<Launch>(p, w, threads, sums.data());
  const double* g = sums.data() + 2;
  const double inv_n = 1.0 / static_cast<double>(p.n);
  double gn = 0.0, wn = 0.0;
  for (std::size_t j = 0; j < p.d; ++j) {
    wn += w[j] * w[j];
    const double gj = g[j] * inv_n + l2 * w[j];
    gn += gj * gj;
  }
  buckwild_evaluation e;
  e.objective = sums[0] * inv_n + 0.5 * l2 * wn;
  e.gradient_norm = std::sqrt(gn);
  if (p.loss != linear_loss::least_squares) e.accuracy = sums[1] * inv_n;
  return e;
}

template <buckwild_data_type D, class M, class G = float, race::race_policy Race = race::atomic_relaxed,
          class Dither = dither::independent, class Launch = threads::openmp, class Comm = comm::per_machine>
class buckwild {
  static_assert(std::is_same_v<M, std::int8_t> || std::is_same_v<M, std::int16_t> || std::is_same_v<M, float>,
                "lowp::buckwild: the model type M must be std::int8_t, std::int16_t or float");
  static_assert(std::is_same_v<G, float> || std::is_same_v<G, double>,
                "lowp::buckwild: the gradient type G must be float or double");
  static_assert(std::is_same_v<Dither, dither::independent> || std::is_same_v<Dither, dither::shared> ||
                    std::is_same_v<Dither, dither::nearest>,
                "lowp::buckwild: Dither must be dither::independent, dither::shared or dither::nearest");
  static_assert(std::is_same_v<Comm, comm::per_machine>,
                "lowp::buckwild: only comm::per_machine (one shared model) is implemented");
  static constexpr bool fixed_model = detail::bw::is_fixed<M>;

 public:
  using data_type = D;
  using model_type = M;
  static constexpr const char* name = "buckwild";
  static constexpr const char* dither_name = Dither::name;
  static constexpr const char* race_name = Race::name;

  // The shared model: codes (padded to 64 bytes) and the value of one quantum.
  struct model {
    aligned_vector<M> codes;
    double scale = 1.0;  // s_M (1 for a float model)
  };

  explicit buckwild(buckwild_options o = {}) : o_(o) {
    auto bad = [](const std::string& w) { throw std::invalid_argument("buckwild: " + w); };
    if (!(o.step_size > 0) || !std::isfinite(o.step_size)) bad("step_size must be finite and > 0");
    if (!(o.step_decay > 0) || !(o.step_decay <= 1)) bad("step_decay must be in (0, 1]");
    if (o.epochs == 0) bad("epochs must be >= 1");
    if (o.threads < 1 || o.threads > 1024) bad("threads must be in [1, 1024]");
    if (!(o.l2 >= 0) || !std::isfinite(o.l2)) bad("l2 must be finite and >= 0");
    if (!(o.model_range >= 0) || !std::isfinite(o.model_range)) bad("model_range must be finite and >= 0");
    if (o.decay_every == 0) bad("decay_every must be >= 1");
    if (!(o.divergence_factor >= 0)) bad("divergence_factor must be >= 0");
    if (o.order == row_order::block_shuffled && o.block_bytes == 0) bad("block_bytes must be >= 1");
    if (o.staleness > 0 && o.threads != 1)
      bad("staleness simulates delayed updates deterministically on one thread: set threads = 1");
    if (o.staleness > (std::size_t(1) << 24)) bad("staleness must be <= 2^24");
    if (o.batch == 0 || o.batch > (std::size_t(1) << 20)) bad("batch must be in [1, 2^20]");
    if (o.batch > 1 && o.staleness > 0) bad("the staleness simulator runs with batch = 1");
    if (o.replicas && o.staleness > 0) bad("the staleness simulator does not combine with replicas");
    if (!o.replicas && o.replica_sync != 0) bad("replica_sync needs replicas = true");
  }
  const buckwild_options& options() const noexcept { return o_; }

  // DMGC signature, e.g. "D8M8G32fC8" (C = M under per_machine).
  static std::string signature() {
    auto bits = [](auto t) -> std::string {
      using T = decltype(t);
      if constexpr (std::is_same_v<T, float>) return "32f";
      else if constexpr (std::is_same_v<T, double>) return "64f";
      else return std::to_string(8 * sizeof(T));
    };
    return "D" + bits(D{}) + "M" + bits(M{}) + "G" + bits(G{}) + "C" + bits(M{});
  }

  // A model holding w (rounded to nearest), with range R (ignored for float).
  model make_model(const buckwild_problem<D>& p, const std::vector<double>& w, double range) const {
    model m;
    m.codes.assign(p.model_size(), M(0));
    if constexpr (fixed_model) {
      if (!(range > 0) || !std::isfinite(range)) throw std::invalid_argument("buckwild: model range must be > 0");
      m.scale = range / detail::bw::qmax<M>;
    }
    std::uint64_t sat = 0;
    for (std::size_t j = 0; j < p.d && j < w.size(); ++j) {
      if constexpr (fixed_model) m.codes[j] = detail::bw::sat_sym<M>(round::nearest_even::real(w[j] / m.scale), sat);
      else m.codes[j] = static_cast<M>(w[j]);
    }
    return m;
  }
  std::vector<double> values(const buckwild_problem<D>& p, const model& m) const {
    std::vector<double> w(p.d);
    for (std::size_t j = 0; j < p.d; ++j) w[j] = static_cast<double>(m.codes[j]) * m.scale;
    return w;
  }

  // The range a fixed-point model would use by default: 2 x max|w| after two
  // single-thread float epochs from w (at least 1e-3).
  double estimate_range(const buckwild_problem<D>& p, const std::vector<double>& w) const {
    buckwild_options fo = o_;
    fo.threads = 1;
    fo.replicas = false;  // one thread: the same run either way
    fo.replica_sync = 0;
    // One thread: nothing races, so the vectorised kernels of racy_simd are well defined here
    // (and give the same bits as atomic_relaxed on one thread, tested).
    buckwild<D, float, G, race::racy_simd, dither::independent, threads::std_threads> f(fo);
    auto fm = f.make_model(p, w, 1.0);
    for (std::size_t e = 0; e < 2; ++e) f.run_epoch(p, fm, e, o_.step_size * std::pow(o_.step_decay, double(e)), 1);
    double mx = 0.0;
    for (std::size_t j = 0; j < p.d; ++j) mx = std::max(mx, std::abs(static_cast<double>(fm.codes[j])));
    for (double v : w) mx = std::max(mx, std::abs(v));
    return std::isfinite(mx) ? std::max(2.0 * mx, 1e-3) : 1.0;
  }

  // One asynchronous epoch with T threads on the shared model m.
  buckwild_epoch_counters run_epoch(const buckwild_problem<D>& p, model& m, std::size_t epoch, double alpha,
                                    int T) const {
    if (o_.replicas) return run_epoch_replicated(p, m, epoch, alpha, T);
    const std::size_t n = p.n;
    const std::vector<std::uint32_t> perm = epoch_order(p, epoch);
    std::vector<buckwild_epoch_counters> per(static_cast<std::size_t>(T));
    Launch::launch(T, [&](int t) {
      const std::size_t lo = n * static_cast<std::size_t>(t) / static_cast<std::size_t>(T);
      const std::size_t hi = n * (static_cast<std::size_t>(t) + 1) / static_cast<std::size_t>(T);
      per[static_cast<std::size_t>(t)] = work(p, m, epoch, alpha, static_cast<std::size_t>(t), perm.data() + lo,
                                              hi - lo);
    });
    buckwild_epoch_counters c;
    for (const auto& q : per) c.saturations += q.saturations, c.updates += q.updates, c.numbers += q.numbers;
    return c;
  }

  template <callback... Cs>
  report optimize(const buckwild_problem<D>& p, std::vector<double>& w, Cs&&... cbs) const {
    if (p.n == 0 || p.d == 0) throw std::invalid_argument("buckwild: empty problem");
    if (w.size() != p.d)
      throw std::invalid_argument("buckwild: the model has " + std::to_string(w.size()) + " entries, the data " +
                                  std::to_string(p.d) + " features");
    for (double v : w)
      if (!std::isfinite(v)) throw std::invalid_argument("buckwild: the start point has a non-finite entry");
    detail::run_monitor mon(resume_point{}, o_.f_star);
    double range = 0.0;
    if constexpr (fixed_model) range = o_.model_range > 0 ? o_.model_range : estimate_range(p, w);
    model m = make_model(p, w, range);
    std::vector<double> cur = values(p, m);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    buckwild_evaluation ev{nan, nan, nan};
    if (o_.evaluate) ev = evaluate_buckwild<Launch>(p, cur, o_.l2, o_.threads);
    mon.set_initial_norm(ev.gradient_norm);
    run_info info{name, p.d, p.n, o_.epochs, o_.seed, fixed_model ? int(8 * sizeof(M)) : 0, 0};
    detail::callbacks_begin(info, cbs...);
    status why = status::max_epochs;
    const double scale = fixed_model ? m.scale : nan;
    mon.record(0, ev.objective, ev.gradient_norm, scale, 0, 0, cur);
    if (detail::callbacks_epoch_end(mon.state(), cbs...)) why = status::stopped_by_callback;
    std::uint64_t total_numbers = 0, total_sat = 0;
    for (std::size_t e = 0; why == status::max_epochs && e < o_.epochs; ++e) {
      const double alpha = o_.step_size * std::pow(o_.step_decay, static_cast<double>(e));
      const buckwild_epoch_counters c = run_epoch(p, m, e, alpha, o_.threads);
      total_numbers += c.numbers;
      total_sat += c.saturations;
      std::vector<double> next = values(p, m);
      if (o_.evaluate) ev = evaluate_buckwild<Launch>(p, next, o_.l2, o_.threads);
      mon.state().epoch = e;
      if (o_.evaluate && mon.diverged(ev.objective, ev.gradient_norm, o_.divergence_factor, name)) {
        mon.record(e + 1, ev.objective, ev.gradient_norm, scale, c.saturations, c.updates, cur);
        mon.state().rejected = true;
        detail::callbacks_epoch_end(mon.state(), cbs...);
        why = status::diverged;
        break;
      }
      cur.swap(next);
      mon.record(e + 1, ev.objective, ev.gradient_norm, scale, c.saturations, c.updates, cur);
      if (detail::callbacks_epoch_end(mon.state(), cbs...)) why = status::stopped_by_callback;
    }
    if (fixed_model && total_numbers > 0) {
      const double rate = static_cast<double>(total_sat) / static_cast<double>(total_numbers);
      if (rate > 1e-4) {
        char buf[200];
        std::snprintf(buf, sizeof buf,
                      "%s%.2g of model writes saturated (range R = %.4g): raise the model range or lower the step",
                      mon.state().rejected ? "; " : "", rate, range);
        mon.append_message(buf);
      }
    }
    w = cur;
    mon.state().model = w;
    report r = mon.finish(why, ev.objective, ev.gradient_norm);
    detail::callbacks_end(mon.state(), r, cbs...);
    return r;
  }

 public:
  // The rows of epoch `epoch` in visiting order (see row_order); thread t of T
  // takes the contiguous chunk [tN/T, (t+1)N/T).
  std::vector<std::uint32_t> epoch_order(const buckwild_problem<D>& p, std::size_t epoch) const {
    const std::size_t n = p.n;
    std::vector<std::uint32_t> perm(n);
    for (std::size_t i = 0; i < n; ++i) perm[i] = static_cast<std::uint32_t>(i);
    if (o_.order == row_order::sequential) return perm;
    counter_rng prng(o_.seed, stream(epoch, 0xfff, 0));
    // Fisher-Yates on [lo, hi) with multiply-shift bounded draws.
    auto shuffle = [&prng](std::uint32_t* a, std::size_t m) {
      for (std::size_t i = m; i > 1; --i) {
        const std::uint64_t x = (std::uint64_t(prng.next_u32()) << 32) | prng.next_u32();
        const auto j = static_cast<std::size_t>((static_cast<unsigned __int128>(x) * i) >> 64);
        std::swap(a[i - 1], a[j]);
      }
    };
    if (o_.order == row_order::shuffled) {
      shuffle(perm.data(), n);
      return perm;
    }
    const std::size_t row_bytes =
        p.sparse ? std::max<std::size_t>(1, p.values.size() * sizeof(D) / std::max<std::size_t>(1, n))
                 : p.stride * sizeof(D);
    const std::size_t rows = std::max<std::size_t>(1, o_.block_bytes / std::max<std::size_t>(1, row_bytes));
    const std::size_t blocks = (n + rows - 1) / rows;
    std::vector<std::uint32_t> border(blocks);
    for (std::size_t b = 0; b < blocks; ++b) border[b] = static_cast<std::uint32_t>(b);
    shuffle(border.data(), blocks);
    std::size_t at = 0;
    for (std::size_t b : border) {
      const std::size_t lo = b * rows, hi = std::min(n, lo + rows);
      for (std::size_t i = lo; i < hi; ++i) perm[at + i - lo] = static_cast<std::uint32_t>(i);
      shuffle(perm.data() + at, hi - lo);
      at += hi - lo;
    }
    return perm;
  }

 private:
  static std::uint64_t stream(std::size_t epoch, std::size_t thread, unsigned purpose) noexcept {
    return (std::uint64_t(epoch) << 24) | (std::uint64_t(thread) << 4) | purpose;
  }

  // L2 decay of the shared model by `factor`: a fixed-point model decays as an update with
  // itself as data (detail::bw::decay_fixed: dithers from the update generator, one coefficient
  // draw from the decay stream; the AVX-512 int16 kernel under racy_simd on dense rows, which
  // gives the same bits); a float model element by element (scale_model).
  static void apply_decay(const buckwild_problem<D>& p, M* w, double factor, detail::bw::dither_lanes& lanes,
                          counter_rng& decay, std::vector<M>& copy, std::uint64_t& sat) noexcept {
    if constexpr (detail::bw::is_fixed<M>) {
      const std::uint32_t cd = decay.next_u32() >> 16;
      if constexpr (std::is_same_v<M, std::int16_t> && Race::vectorised && detail::bw::is_stochastic<Dither>) {
        const double C0 = factor - 1.0;
        // ceil(d / 32) chunks, as the scalar walk (same dithers); they must fit the padded model.
        const std::size_t chunks = (p.d + 31) / 32;
        if (!p.sparse && 32 * chunks <= p.model_size() && detail::bw::has_avx512bw() && C0 <= 0 && C0 >= -1.0) {
          std::copy(w, w + 32 * chunks, copy.begin());
          const auto s = detail::bw::make_coefficient<M, M, Dither>(C0, cd);
          sat += s.clipped ? 1 : 0;
          if (s.c != 0)
            sat += detail::bw::update_m16_avx512<M>(w, copy.data(), chunks, s.c, s.k, lanes,
                                                    std::is_same_v<Dither, dither::shared>);
          return;
        }
      }
      if (detail::bw::decay_fixed<Race, Dither>(w, p.d, factor, lanes, cd, copy.data(), sat)) return;
    }
    detail::bw::scale_model<Race, Dither>(w, p.d, factor, decay, sat);
  }

  // D8M8 and D8M16 on dense rows with a stochastic dither have a fused AVX-512 VNNI loop (below).
  static constexpr bool fusable = std::is_same_v<D, std::int8_t> && detail::bw::is_stochastic<Dither> &&
                                  (std::is_same_v<M, std::int8_t> || std::is_same_v<M, std::int16_t>);

  // The seed of the random streams of a replica round (round 0 is the run's seed, so one
  // thread with replicas synchronised once per epoch draws what the plain run draws).
  std::uint64_t round_seed(std::uint64_t round) const noexcept {
    return o_.seed + round * 0x9e3779b97f4a7c15ull;
  }

  // Thread t's share of an epoch: rows perm[0, count). `round` > 0: a later replica round
  // of the epoch (fresh random streams).
  buckwild_epoch_counters work(const buckwild_problem<D>& p, model& m, std::size_t epoch, double alpha,
                               std::size_t t, const std::uint32_t* perm, std::size_t count,
                               std::uint64_t round = 0) const {
    const std::uint64_t sd = round_seed(round);
    if (o_.batch > 1) return work_batched(p, m, epoch, alpha, t, perm, count, sd);
    if constexpr (fusable) {
      if (!p.sparse && p.stride % 64 == 0 && o_.staleness == 0 && detail::bw::has_avx512vnni()) {
        if constexpr (Race::vectorised)
          return work_fused<detail::bw::plain_chunks>(p, m, epoch, alpha, t, perm, count, sd);
        else
          return work_fused<detail::bw::relaxed_chunks>(p, m, epoch, alpha, t, perm, count, sd);
      }
    }
    // The staleness simulator's queue of computed but not yet applied steps.
    struct pending {
      std::size_t row;
      double C0;
      std::uint32_t cd;
    };
    std::vector<pending> queue;  // ring buffer of tau + 1 entries
    std::size_t q_head = 0, q_size = 0;
    if (o_.staleness > 0) queue.resize(o_.staleness + 1);
    buckwild_epoch_counters c;
    detail::bw::dither_lanes lanes;
    lanes.seed(counter_rng(sd, stream(epoch, t, 1)));
    counter_rng coeff(sd, stream(epoch, t, 2));
    counter_rng decay(sd, stream(epoch, t, 3));
    M* w = m.codes.data();
    const G zscale = static_cast<G>(p.scale * m.scale);
    const double cscale = -alpha * p.scale / m.scale;
    const double shrink = 1.0 - alpha * o_.l2;
    std::size_t since_decay = 0;
    const std::size_t row_bytes = std::max<std::size_t>(64, p.d * sizeof(D));
    const std::size_t ahead = std::clamp<std::size_t>(16384 / row_bytes, 2, 8);
    std::vector<M> copy(o_.l2 > 0 && detail::bw::is_fixed<M> ? p.model_size() : 0);
    for (std::size_t r = 0; r < count; ++r) {
      const std::size_t i = perm[r];
      // Prefetch `ahead` rows ahead (>= 16 KiB of data in flight): randomly ordered short rows defeat the
      // hardware streamer, and one row of look-ahead does not cover a DRAM round trip.
      if (r == 0)
        for (std::size_t q = 1; q <= ahead && q < count; ++q) prefetch_row(p, perm[q]);
      else if (r + ahead < count)
        prefetch_row(p, perm[r + ahead]);
      const D* x = p.row_values(i);
      const std::uint32_t* idx = p.row_indices(i);
      const std::size_t len = p.row_length(i);
      const G z = zscale * static_cast<G>(margin(p, x, idx, len, w));
      const G g = detail::bw::loss_derivative<G>(p.loss, z, static_cast<G>(p.y[i]));
      const std::uint32_t cd = coeff.next_u32() >> 16;
      if (o_.staleness == 0) {
        if (g != G(0)) c.saturations += update(x, idx, len, w, cscale * static_cast<double>(g), lanes, cd);
      } else {
        // Queue this step; apply the one computed tau steps ago (the order of the draws is that
        // of the computation, so a run is reproducible).
        queue[(q_head + q_size) % queue.size()] = {i, g != G(0) ? cscale * static_cast<double>(g) : 0.0, cd};
        if (++q_size > o_.staleness) {
          const pending s = queue[q_head];
          q_head = (q_head + 1) % queue.size();
          --q_size;
          if (s.C0 != 0.0)
            c.saturations += update(p.row_values(s.row), p.row_indices(s.row), p.row_length(s.row), w, s.C0, lanes,
                                    s.cd);
        }
      }
      ++c.updates;
      c.numbers += len;
      if (o_.l2 > 0 && ++since_decay == o_.decay_every) {
        apply_decay(p, w, std::pow(shrink, double(since_decay)), lanes, decay, copy, c.saturations);
        since_decay = 0;
      }
    }
    for (; q_size > 0; --q_size) {  // the shard's last tau steps land at its end
      const pending s = queue[q_head];
      q_head = (q_head + 1) % queue.size();
      if (s.C0 != 0.0)
        c.saturations += update(p.row_values(s.row), p.row_indices(s.row), p.row_length(s.row), w, s.C0, lanes, s.cd);
    }
    if (o_.l2 > 0 && since_decay > 0)
      apply_decay(p, w, std::pow(shrink, double(since_decay)), lanes, decay, copy, c.saturations);
    return c;
  }

  // The loop of work() for D8M8 and D8M16 dense rows, with the update of row r and the margin
  // of row r + 1 in one pass over the model (detail::bw::update_dot_d8m8 / update_dot_d8m16).
  // Same random draws in the same order and the same integer results as work(): bit-identical
  // models (tested). The L2 decay, when due after row r, runs between the update and the next
  // margin as in work().
  template <class Access>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // Only called on AVX-512 VNNI machines: compiled for them, so the per-row scalar work
  // (floor, fma, exp of the loss derivative) uses their instructions, and the kernel inlines.
  __attribute__((target("avx2,fma,bmi2,avx512f,avx512bw,avx512vnni")))
#endif
  buckwild_epoch_counters work_fused(const buckwild_problem<D>& p, model& m, std::size_t epoch, double alpha,
                                     std::size_t t, const std::uint32_t* perm, std::size_t count,
                                     std::uint64_t sd) const {
    buckwild_epoch_counters c;
    if (count == 0) return c;
    detail::bw::dither_lanes lanes;
    lanes.seed(counter_rng(sd, stream(epoch, t, 1)));
    counter_rng coeff(sd, stream(epoch, t, 2));
    counter_rng decay(sd, stream(epoch, t, 3));
    M* w = m.codes.data();
    const G zscale = static_cast<G>(p.scale * m.scale);
    const double cscale = -alpha * p.scale / m.scale;
    const double shrink = 1.0 - alpha * o_.l2;
    constexpr bool m8 = std::is_same_v<M, std::int8_t>;
    // Chunks of 64 model bytes; an int16 model walks ceil(d / 32) of them, as update() does
    // (the dither stream advances once per chunk, so the count must match for the same bits).
    const std::size_t chunks = m8 ? p.stride / 64 : (p.d + 31) / 32, len = p.d;
    constexpr bool shared = std::is_same_v<Dither, dither::shared>;
    std::uint64_t sat = 0;
    // Update row x by c (c == 0: none; k: the int16 form's shift) and return the margin of xn.
    auto fused = [&](const D* x, std::int32_t c, int k, const D* xn, const D* pf) -> std::int64_t {
      if constexpr (m8) {
        (void)k;
        return detail::bw::update_dot_d8m8<Access>(w, x, c, xn, pf, chunks, lanes, shared, sat);
      } else {
        return detail::bw::update_dot_d8m16<Access>(w, x, c, k, xn, pf, chunks, lanes, shared, sat);
      }
    };
    std::vector<M> copy(!m8 && o_.l2 > 0 ? p.model_size() : 0);  // apply_decay's scratch (int16)
    // Rows `ahead` rows ahead (>= 8 KiB) are prefetched line by line as the current row is
    // processed: in flight far enough to cover a DRAM round trip, spread so that the line-fill
    // buffers never fill up in a burst. Into L2 (T1), not L1: on Zen 4 an L1 prefetch holds a
    // fill buffer until its line arrives, and shuffled 4 KiB rows then read at ~10 GB/s per core
    // (T1: ~18 GB/s; the fused D8M8 loop went from 10.5 to 12 GNPS, its in-cache rate). The
    // Sapphire Rapids VM measured no difference between the hints.
    const std::size_t row_bytes = std::max<std::size_t>(64, p.stride);
    const std::size_t ahead = std::clamp<std::size_t>(8192 / row_bytes, 2, 16);
    for (std::size_t q = 0; q < ahead && q < count; ++q) prefetch_row(p, perm[q]);
    std::size_t since_decay = 0;
    std::int64_t acc = fused(nullptr, 0, 16, p.row_values(perm[0]), nullptr);
    for (std::size_t r = 0; r < count; ++r) {
      const std::size_t i = perm[r];
      const G z = zscale * static_cast<G>(acc);
      const G g = detail::bw::loss_derivative<G>(p.loss, z, static_cast<G>(p.y[i]));
      const std::uint32_t cd = coeff.next_u32() >> 16;
      std::int32_t cq = 0;
      int kq = 16;
      if (g != G(0)) {
        const auto s = detail::bw::make_coefficient<D, M, Dither>(cscale * static_cast<double>(g), cd);
        sat += s.clipped ? 1 : 0;
        cq = s.c;
        kq = s.k;
      }
      ++c.updates;
      c.numbers += len;
      const bool decay_due = o_.l2 > 0 && ++since_decay == o_.decay_every;
      const D* next = r + 1 < count ? p.row_values(perm[r + 1]) : nullptr;
      const D* pf = r + ahead < count ? p.row_values(perm[r + ahead]) : nullptr;
      if (!decay_due) {
        acc = fused(p.row_values(i), cq, kq, next, pf);
        continue;
      }
      // The decay after row r. int8 model: a second update with the model as its data
      // (decay_i8), fused with the next margin; the scalar decay when the factor is out of the
      // int8 form's range. int16 model: work()'s apply_decay, then the next margin.
      since_decay = 0;
      fused(p.row_values(i), cq, kq, nullptr, pf);
      if constexpr (m8) {
        acc = decay_fused<Access>(p, w, std::pow(shrink, double(o_.decay_every)), next, chunks, lanes, decay, sat);
      } else {
        apply_decay(p, w, std::pow(shrink, double(o_.decay_every)), lanes, decay, copy, sat);
        acc = next ? fused(nullptr, 0, 16, next, nullptr) : 0;
      }
    }
    if (o_.l2 > 0 && since_decay > 0) {
      if constexpr (m8)
        decay_fused<Access>(p, w, std::pow(shrink, double(since_decay)), nullptr, chunks, lanes, decay, sat);
      else
        apply_decay(p, w, std::pow(shrink, double(since_decay)), lanes, decay, copy, sat);
    }
    c.saturations = sat;
    return c;
  }

  // work() with mini-batches of B = options().batch rows (ISCA 2017's batching; spec 8.3's
  // apply_buf): the margins of the B rows read the model as it is (other threads may write it
  // meanwhile; this thread does not until the batch ends), buf_j = sum_i g_i x_ij is summed in
  // G precision (exact integer codes of the data times g), and one update
  //   w_j <- sat(w_j + SR(C0 buf_j)),  C0 = -alpha s_D / s_M quanta per data unit,
  // goes to the model: the real form of detail/kernels.hpp (update_row with the buffer as its
  // data row: 16-bit dithers from the thread's lanes, unbiased to 2^-17 quanta). A float model
  // takes w_j = fma(float(C0), buf_j, w_j). CSR rows: the buffer holds the union of the batch's
  // indices, applied once each (in first-touch order). The model write, its dithers and its
  // coherence traffic are paid once per B rows. The L2 decay runs after the batch in which its
  // K-th row falls, by (1 - alpha l2)^rows since the last one (the same total decay).
  buckwild_epoch_counters work_batched(const buckwild_problem<D>& p, model& m, std::size_t epoch, double alpha,
                                       std::size_t t, const std::uint32_t* perm, std::size_t count,
                                       std::uint64_t sd) const {
    buckwild_epoch_counters c;
    detail::bw::dither_lanes lanes;
    lanes.seed(counter_rng(sd, stream(epoch, t, 1)));
    counter_rng decay(sd, stream(epoch, t, 3));
    M* w = m.codes.data();
    const G zscale = static_cast<G>(p.scale * m.scale);
    const double cscale = -alpha * p.scale / m.scale;
    const double shrink = 1.0 - alpha * o_.l2;
    const std::size_t B = o_.batch;
    // 64-byte aligned: the AVX-512 accumulation and update would otherwise split every access
    // across two cache lines.
    aligned_vector<G> buf(p.sparse ? p.d : std::max(p.model_size(), 32 * ((p.d + 31) / 32)), G(0));
    std::vector<std::uint8_t> mark(p.sparse ? p.d : 0, 0);
    std::vector<std::uint32_t> touched;
    std::vector<G> vals;
    std::vector<M> copy(o_.l2 > 0 && detail::bw::is_fixed<M> ? p.model_size() : 0);
    const std::size_t row_bytes = std::max<std::size_t>(64, p.d * sizeof(D));
    const std::size_t ahead = std::clamp<std::size_t>(16384 / row_bytes, 2, 8);
    for (std::size_t q = 0; q < ahead && q < count; ++q) prefetch_row(p, perm[q]);
    std::size_t since_decay = 0;
    for (std::size_t r0 = 0; r0 < count; r0 += B) {
      const std::size_t r1 = std::min(count, r0 + B);
      bool any = false;
      for (std::size_t r = r0; r < r1; ++r) {
        if (r + ahead < count) prefetch_row(p, perm[r + ahead]);
        const std::size_t i = perm[r];
        const D* x = p.row_values(i);
        const std::uint32_t* idx = p.row_indices(i);
        const std::size_t len = p.row_length(i);
        const G z = zscale * static_cast<G>(margin(p, x, idx, len, w));
        const G g = detail::bw::loss_derivative<G>(p.loss, z, static_cast<G>(p.y[i]));
        ++c.updates;
        c.numbers += len;
        if (g == G(0)) continue;
        any = true;
        if (idx == nullptr) {
          detail::bw::accumulate_row(buf.data(), x, len, g);
        } else {
          for (std::size_t k = 0; k < len; ++k) {
            const std::uint32_t j = idx[k];
            if (!mark[j]) mark[j] = 1, touched.push_back(j);
            buf[j] += g * static_cast<G>(x[k]);
          }
        }
      }
      if (any) {
        if (!p.sparse) {
          c.saturations += apply_sum(w, m.codes.size(), nullptr, buf.data(), p.d, cscale, lanes);
          std::fill(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(p.d), G(0));
        } else {
          vals.resize(touched.size());
          for (std::size_t k = 0; k < touched.size(); ++k) {
            vals[k] = buf[touched[k]];
            buf[touched[k]] = G(0);
            mark[touched[k]] = 0;
          }
          c.saturations += apply_sum(w, m.codes.size(), touched.data(), vals.data(), touched.size(), cscale, lanes);
          touched.clear();
        }
      }
      since_decay += r1 - r0;
      if (o_.l2 > 0 && since_decay >= o_.decay_every) {
        apply_decay(p, w, std::pow(shrink, double(since_decay)), lanes, decay, copy, c.saturations);
        since_decay = 0;
      }
    }
    if (o_.l2 > 0 && since_decay > 0)
      apply_decay(p, w, std::pow(shrink, double(since_decay)), lanes, decay, copy, c.saturations);
    return c;
  }

  // The update of one mini-batch: w_j <- w_j + round(C0 buf_j) (see work_batched).
  // `cap`: elements of w (the AVX-512 form writes whole blocks of 32).
  static std::uint64_t apply_sum(M* w, std::size_t cap, const std::uint32_t* idx, const G* buf, std::size_t n,
                                 double C0, detail::bw::dither_lanes& lanes) noexcept {
    std::uint64_t sat = 0;
    if constexpr (Race::vectorised && std::is_same_v<M, std::int8_t> && detail::bw::is_stochastic<Dither> &&
                  std::is_same_v<G, float>) {
      if (idx == nullptr && 32 * ((n + 31) / 32) <= cap && detail::bw::has_avx512bw()) {
        detail::bw::apply_sum_i8_avx512(w, buf, n, static_cast<float>(C0), lanes,
                                        std::is_same_v<Dither, dither::shared>, sat);
        return sat;
      }
    }
    detail::bw::update_row<Race, Dither>(w, idx, buf, n, C0, lanes, 0, sat);
    return sat;
  }

  // An epoch with per-thread replicas (options().replicas): the epoch's rows are cut into
  // rounds of replica_sync rows per thread (one round when 0). In a round every thread copies
  // the shared model into its own replica and runs work() on it alone (no shared writes: the
  // threads do not race, so a replicated run is deterministic for a seed whatever T); after
  // the round (the launcher's join) the replicas are averaged into the shared model,
  // stochastically rounded into M: with s_j = sum_t w_t,j = T q + f (0 <= f < T) the model
  // gets q + [u < f], u uniform in [0, T): E = s_j / T exactly (a float model takes the
  // nearest float of the double mean). Round r > 0 seeds its streams with round_seed(r).
  buckwild_epoch_counters run_epoch_replicated(const buckwild_problem<D>& p, model& m, std::size_t epoch,
                                               double alpha, int T) const {
    const std::size_t n = p.n, Tn = static_cast<std::size_t>(T);
    const std::vector<std::uint32_t> perm = epoch_order(p, epoch);
    std::vector<std::size_t> lo(Tn), hi(Tn);
    std::size_t longest = 0;
    for (std::size_t t = 0; t < Tn; ++t) {
      lo[t] = n * t / Tn;
      hi[t] = n * (t + 1) / Tn;
      longest = std::max(longest, hi[t] - lo[t]);
    }
    const std::size_t k = o_.replica_sync == 0 ? std::max<std::size_t>(1, longest) : o_.replica_sync;
    const std::size_t rounds = std::max<std::size_t>(1, (longest + k - 1) / k);
    std::vector<model> rep(Tn);
    std::vector<buckwild_epoch_counters> per(Tn);
    counter_rng avg(o_.seed, stream(epoch, 0xffe, 4));
    std::uint64_t avg_sat = 0;
    for (std::size_t r = 0; r < rounds; ++r) {
      Launch::launch(T, [&](int ti) {
        const auto t = static_cast<std::size_t>(ti);
        model& mine = rep[t];
        mine.codes.assign(m.codes.begin(), m.codes.end());
        mine.scale = m.scale;
        const std::size_t from = std::min(hi[t], lo[t] + r * k), to = std::min(hi[t], from + k);
        const buckwild_epoch_counters c = work(p, mine, epoch, alpha, t, perm.data() + from, to - from, r);
        per[t].saturations += c.saturations, per[t].updates += c.updates, per[t].numbers += c.numbers;
      });
      average_replicas(m, rep, avg, avg_sat);
    }
    buckwild_epoch_counters c;
    c.saturations = avg_sat;
    for (const auto& q : per) c.saturations += q.saturations, c.updates += q.updates, c.numbers += q.numbers;
    return c;
  }

  static void average_replicas(model& m, const std::vector<model>& rep, counter_rng& u, std::uint64_t& sat) {
    std::vector<const M*> codes(rep.size());
    for (std::size_t t = 0; t < rep.size(); ++t) codes[t] = rep[t].codes.data();
    detail::bw::average_replicas(m.codes.data(), m.codes.size(), codes, u, sat);
  }

  // decay_i8 through the fused kernel (bit for bit the same), then the margin of `next`.
  template <class Access>
  static std::int64_t decay_fused(const buckwild_problem<D>& p, std::int8_t* w, double factor, const D* next,
                                  std::size_t chunks, detail::bw::dither_lanes& lanes, counter_rng& decay,
                                  std::uint64_t& sat) noexcept {
    constexpr bool shared = std::is_same_v<Dither, dither::shared>;
    const std::uint32_t cd = decay.next_u32() >> 16;
    const double C0 = factor - 1.0;
    if (C0 * 256.0 >= -255.0 && C0 <= 0) {
      const auto s = detail::bw::make_coefficient<D, M, Dither>(C0, cd);
      return detail::bw::update_dot_d8m8<Access>(w, w, s.c, next, nullptr, chunks, lanes, shared, sat);
    }
    detail::bw::scale_model<Race, Dither>(w, p.d, factor, decay, sat);
    return next ? detail::bw::update_dot_d8m8<Access>(w, nullptr, 0, next, nullptr, chunks, lanes, shared, sat) : 0;
  }

  // Into L2 (locality 2 = T1), for the reason given in work_fused.
  static void prefetch_row(const buckwild_problem<D>& p, std::size_t i) noexcept {
    if (p.sparse) return;
    const char* b = reinterpret_cast<const char*>(p.row_values(i));
    const std::size_t bytes = p.d * sizeof(D);
    for (std::size_t o = 0; o < bytes; o += 64) __builtin_prefetch(b + o, 0, 2);
  }

  static auto margin(const buckwild_problem<D>& p, const D* x, const std::uint32_t* idx, std::size_t len,
                     const M* w) noexcept {
    if constexpr (Race::vectorised) {
      const kernels::table& k = kernels::best();
      if (idx == nullptr) {
        if constexpr (std::is_same_v<D, std::int8_t> && std::is_same_v<M, std::int8_t>)
          return k.dot_i8(x, w, p.stride);
        else if constexpr (std::is_same_v<D, std::int16_t> && std::is_same_v<M, std::int16_t>)
          return k.dot_i16(x, w, p.stride);
        else if constexpr (std::is_same_v<D, std::int8_t> && std::is_same_v<M, std::int16_t>)
          return k.dot_i16_i8(w, x, p.stride);
        else if constexpr (std::is_same_v<D, float> && std::is_same_v<M, float>)
          return k.dot_f32(x, w, len);
        else if constexpr (std::is_same_v<D, std::int8_t> && std::is_same_v<M, float>)
          return k.dot_i8_f32(x, w, len);
        else
          return detail::bw::dot_dense<Race>(x, w, len);
      } else {
        if constexpr (std::is_same_v<D, M> && std::is_same_v<D, std::int8_t>)
          return k.dot_sparse_i8(w, idx, x, len);
        else if constexpr (std::is_same_v<D, M> && std::is_same_v<D, std::int16_t>)
          return k.dot_sparse_i16(w, idx, x, len);
        else if constexpr (std::is_same_v<D, M> && std::is_same_v<D, float>)
          return k.dot_sparse_f32(w, idx, x, len);
        else
          return detail::bw::dot_sparse<Race>(idx, x, len, w);
      }
    } else {
      return idx == nullptr ? detail::bw::dot_dense<Race>(x, w, len) : detail::bw::dot_sparse<Race>(idx, x, len, w);
    }
  }

  // Returns the clamps of this update.
  static std::uint64_t update(const D* x, const std::uint32_t* idx, std::size_t len, M* w, double C0, detail::bw::dither_lanes& lanes, std::uint32_t cd) noexcept {
    std::uint64_t sat = 0;
    if constexpr (Race::vectorised) {
      if (idx == nullptr) {
        if constexpr (std::is_same_v<D, std::int8_t> && std::is_same_v<M, std::int8_t> &&
                      !std::is_same_v<Dither, dither::nearest>) {
          if (detail::bw::has_avx512bw()) {
            const auto s = detail::bw::make_coefficient<D, M, Dither>(C0, cd);
            sat += s.clipped ? 1 : 0;
            if (s.c != 0)
              sat += detail::bw::update_d8m8_avx512(w, x, (len + 63) / 64, s.c, lanes,
                                                    std::is_same_v<Dither, dither::shared>);
            return sat;
          }
        } else if constexpr (std::is_same_v<M, std::int16_t> && detail::bw::is_fixed<D> &&
                             !std::is_same_v<Dither, dither::nearest>) {
          if (detail::bw::has_avx512bw()) {
            const auto s = detail::bw::make_coefficient<D, M, Dither>(C0, cd);
            sat += s.clipped ? 1 : 0;
            if (s.c != 0)
              sat += detail::bw::update_m16_avx512<D>(w, x, (len + 31) / 32, s.c, s.k, lanes,
                                                      std::is_same_v<Dither, dither::shared>);
            return sat;
          }
        } else if constexpr (std::is_same_v<D, float> && std::is_same_v<M, float>) {
          kernels::best().axpy_f32(w, x, len, static_cast<float>(C0));
          return 0;
        } else if constexpr (std::is_same_v<D, std::int8_t> && std::is_same_v<M, float>) {
          kernels::best().axpy_i8_f32(w, x, len, static_cast<float>(C0));
          return 0;
        }
      }
    }
    detail::bw::update_row<Race, Dither>(w, idx, x, len, C0, lanes, cd, sat);
    return sat;
  }

  buckwild_options o_;
};

using hogwild = buckwild<float, float>;
using buckwild8 = buckwild<std::int8_t, std::int8_t>;
using buckwild16 = buckwild<std::int16_t, std::int16_t>;

}  // namespace lowp
#endif
