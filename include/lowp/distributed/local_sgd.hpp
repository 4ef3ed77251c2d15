// Local SGD (issue 10): Buckwild! / Hogwild! on every rank with periodic
// model averaging through a communicator (distributed/communicator.hpp).
//
// Every rank holds a contiguous shard of the rows (shard_problem below, the
// same row split as distributed/shard.hpp) and one round is
//
//   1. from the common model w~ (on the model grid M), the rank runs the
//      *unchanged* Buckwild! epoch (buckwild::run_epoch: its own threads, its
//      D/M/G formats, dither and race policies) for `average_every` epochs on
//      its shard, with the global step schedule alpha_e = alpha step_decay^e;
//   2. the ranks average their models:
//        comm_bits = 0: w_r travels as doubles (allreduce_sum), mean = sum / P;
//        comm_bits = 8 | 16: the offset o_r = w_r - w~ (for a fixed-point model
//          in units of the model quantum s_M, so small offsets are integers
//          and travel losslessly, codec rule 2) is sent as one int8/int16
//          message with its own scale, stochastically rounded on a stream
//          from (seed, round, rank) (distributed/detail/codec.hpp), allgathered,
//          and every rank adds the decoded offsets in rank order:
//          mean = w~ + (1/P) sum_r o_r;
//   3. the mean goes back onto the model grid, unbiased stochastic rounding on
//      a stream from (seed, round) common to all ranks (a float model: nearest
//      float), so every rank starts the next round from the same bits;
//   4. the full-data objective, gradient norm, saturations and updates of the
//      new w~ are allreduced (one message) and shown to the monitor (divergence
//      detection) and to the callbacks; a stop on any rank stops all.
//
// Every decision is taken on reduced values, so the ranks never disagree and
// a run does not depend on message timing. With one rank and exact averaging
// every round it is the plain buckwild solver bit for bit (single thread):
// rank 0 uses the user seed itself, a one-rank mean is the rank's model, and
// the evaluation adds the same blocks in the same order as evaluate_buckwild.
// The fixed-point model range R is the maximum over ranks of the range each
// would choose (buckwild::estimate_range on its shard), or options.model_range.
//
//   distributed_local_sgd<buckwild8>    Buckwild! D8M8 per rank
//   distributed_hogwild                 Hogwild! (float) per rank
#ifndef LOWP_DISTRIBUTED_LOCAL_SGD_HPP
#define LOWP_DISTRIBUTED_LOCAL_SGD_HPP

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>  // also for svrg_fast.hpp (via distributed.hpp), which uses std::exchange without it
#include <vector>

#include "lowp/distributed/communicator.hpp"
#include "lowp/distributed/detail/codec.hpp"
#include "lowp/distributed/distributed.hpp"
#include "lowp/distributed/shard.hpp"
#include "lowp/solvers/buckwild/buckwild.hpp"

namespace lowp {

struct local_sgd_options {
  std::size_t average_every = 1;  // epochs per round; 0 = one round: average once, at the end
  int comm_bits = 0;              // 0: models travel as doubles (exact); 8 or 16: quantized offsets
};

// What a local-SGD run returns (identical on every rank except `comm` and `comm_seconds`).
struct local_sgd_report : report {
  distributed::comm_counters comm;          // this rank, this run
  std::size_t rounds = 0;                   // averagings done
  std::vector<double> round_objective;      // full-data f of the common model: [0] at the start, [k] after round k
  std::vector<std::uint64_t> round_bytes;   // payload this rank sent per round (averaging + evaluation)
  double comm_seconds = 0.0;                // wall time inside collectives (includes waiting for slower ranks)
  std::uint64_t lossless_messages = 0;      // quantized messages that carried the offsets exactly
};

namespace distributed {

// The rows [r.begin, r.end) of a Buckwild! problem as a problem of their own
// (a copy: a rank keeps only its shard). The data quantum s_D stays the full
// problem's, so the shards together are exactly the full quantized data set.
template <buckwild_data_type D>
buckwild_problem<D> shard_problem(const buckwild_problem<D>& p, row_range r) {
  if (r.end > p.n || r.begin >= r.end)
    throw std::invalid_argument("lowp::distributed::shard_problem: rows [" + std::to_string(r.begin) + ", " +
                                std::to_string(r.end) + ") of " + std::to_string(p.n) +
                                " examples (every rank needs at least one row: use fewer ranks)");
  buckwild_problem<D> s;
  s.sparse = p.sparse;
  s.n = r.size();
  s.d = p.d;
  s.stride = p.stride;
  s.scale = p.scale;
  s.loss = p.loss;
  s.quantization = p.quantization;
  s.y.assign(p.y.begin() + static_cast<std::ptrdiff_t>(r.begin), p.y.begin() + static_cast<std::ptrdiff_t>(r.end));
  if (!p.sparse) {
    s.values.assign(p.values.begin() + static_cast<std::ptrdiff_t>(r.begin * p.stride),
                    p.values.begin() + static_cast<std::ptrdiff_t>(r.end * p.stride));
  } else {
    const std::uint64_t lo = p.indptr[r.begin], hi = p.indptr[r.end];
    s.indptr.resize(s.n + 1);
    for (std::size_t i = 0; i <= s.n; ++i) s.indptr[i] = p.indptr[r.begin + i] - lo;
    s.values.assign(p.values.begin() + static_cast<std::ptrdiff_t>(lo), p.values.begin() + static_cast<std::ptrdiff_t>(hi));
    s.indices.assign(p.indices.begin() + static_cast<std::ptrdiff_t>(lo),
                     p.indices.begin() + static_cast<std::ptrdiff_t>(hi));
  }
  return s;
}

template <buckwild_data_type D>
buckwild_problem<D> shard_problem(const buckwild_problem<D>& p, int rank, int size) {
  return shard_problem(p, shard_rows(p.n, rank, size));
}

}  // namespace distributed

namespace detail {

template <class Solver>
struct buckwild_traits;
template <buckwild_data_type D, class M, class G, race::race_policy Race, class Dither, class Launch, class Comm>
struct buckwild_traits<buckwild<D, M, G, Race, Dither, Launch, Comm>> {
  using launch = Launch;
};

// The round-k stream that puts the mean back on the model grid (the same on every rank).
inline counter_rng regrid_stream(std::uint64_t seed, std::size_t round) noexcept {
  return counter_rng(splitmix64(seed ^ 0x6c6f63616c5f7367ULL), round);
}

}  // namespace detail

// Solver: a lowp::buckwild<D, M, G, Race, Dither, Launch> instance (hogwild, buckwild8, ...).
template <class Solver>
class distributed_local_sgd {
  using D = typename Solver::data_type;
  using M = typename Solver::model_type;
  using Launch = typename detail::buckwild_traits<Solver>::launch;
  static constexpr bool fixed_model = detail::bw::is_fixed<M>;

 public:
  static constexpr const char* name = "local_sgd";

  explicit distributed_local_sgd(buckwild_options o = {}, local_sgd_options l = {}) : o_(o), l_(l) {
    (void)Solver(o);  // validates the per-rank options
    if (l.comm_bits != 0) distributed::detail::check_comm_bits(l.comm_bits);
  }
  const buckwild_options& options() const noexcept { return o_; }
  const local_sgd_options& local_options() const noexcept { return l_; }

  // Called by every rank with its communicator and its shard (shard_problem);
  // w is the start point in (the same on every rank) and the common model out
  // (the same bits on every rank). Callbacks may differ between ranks.
  template <distributed::communicator Comm, callback... Cs>
  local_sgd_report optimize(Comm& comm, const buckwild_problem<D>& shard, std::vector<double>& w, Cs&&... cbs) const {
    return run(comm, shard, w, cbs...);
  }

 private:
  template <class Comm, class... Cs>
  local_sgd_report run(Comm& comm, const buckwild_problem<D>& p, std::vector<double>& w, Cs&... cbs) const {
    if (p.n == 0 || p.d == 0) throw std::invalid_argument("local_sgd: empty shard");
    if (w.size() != p.d)
      throw std::invalid_argument("local_sgd: the model has " + std::to_string(w.size()) + " entries, the data " +
                                  std::to_string(p.d) + " features");
    for (double v : w)
      if (!std::isfinite(v)) throw std::invalid_argument("local_sgd: the start point has a non-finite entry");
    const int P = comm.size(), rank = comm.rank();
    const distributed::comm_counters before = comm.counters();
    const std::size_t d = p.d;
    double comm_seconds = 0.0;
    auto timed = [&](auto&& op) {
      const auto t0 = std::chrono::steady_clock::now();
      op();
      comm_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };

    double N = static_cast<double>(p.n);
    timed([&] { comm.allreduce_sum(&N, 1); });
    buckwild_options ro = o_;
    ro.seed = detail::rank_seed(o_.seed, rank);
    const Solver local(ro);
    double range = 0.0;
    if constexpr (fixed_model) {
      range = o_.model_range > 0 ? o_.model_range : local.estimate_range(p, w);
      timed([&] { comm.allreduce_max(&range, 1); });  // one grid for all ranks
    }
    typename Solver::model m = local.make_model(p, w, range);
    std::vector<double> common = local.values(p, m);

    // Global f, ||grad f||, and the round's saturations and updates, in one allreduce.
    std::vector<double> sums(d + 4);
    auto evaluate = [&](const std::vector<double>& v, std::uint64_t sat, std::uint64_t updates, double& f,
                        double& gn, std::uint64_t& sat_all, std::uint64_t& upd_all) {
      detail::buckwild_sums<Launch>(p, v, o_.threads, sums.data());
      sums[d + 2] = static_cast<double>(sat);
      sums[d + 3] = static_cast<double>(updates);
      timed([&] { comm.allreduce_sum(sums.data(), sums.size()); });
      const double inv_n = 1.0 / N;
      double wn = 0.0, g2 = 0.0;
      for (std::size_t j = 0; j < d; ++j) {
        wn += v[j] * v[j];
        const double gj = sums[2 + j] * inv_n + o_.l2 * v[j];
        g2 += gj * gj;
      }
      f = sums[0] * inv_n + 0.5 * o_.l2 * wn;
      gn = std::sqrt(g2);
      sat_all = static_cast<std::uint64_t>(sums[d + 2]);
      upd_all = static_cast<std::uint64_t>(sums[d + 3]);
    };
    auto agree_stop = [&](bool stop) {
      double v = stop ? 1.0 : 0.0;
      timed([&] { comm.allreduce_max(&v, 1); });
      return v > 0.0;
    };

    comm_seconds = 0.0;
    local_sgd_report out;
    detail::run_monitor mon(resume_point{}, o_.f_star);
    double fv = 0.0, gnorm = 0.0;
    std::uint64_t sat_all = 0, upd_all = 0;
    evaluate(common, 0, 0, fv, gnorm, sat_all, upd_all);
    mon.set_initial_norm(gnorm);
    run_info info{name, d, static_cast<std::size_t>(N), o_.epochs, o_.seed, fixed_model ? int(8 * sizeof(M)) : 0, 0};
    detail::callbacks_begin(info, cbs...);
    status why = status::max_epochs;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double scale = fixed_model ? m.scale : nan;
    mon.record(0, fv, gnorm, scale, 0, 0, common);
    out.round_objective.push_back(fv);
    if (agree_stop(detail::callbacks_epoch_end(mon.state(), cbs...))) why = status::stopped_by_callback;

    const int bits = l_.comm_bits;
    const double unit = fixed_model ? m.scale : 1.0;  // offsets travel in units of the model quantum
    const std::size_t per_round = l_.average_every == 0 ? o_.epochs : l_.average_every;
    std::vector<double> sum(d), next(d), u(bits ? d : 0);
    std::vector<std::byte> msg(bits ? distributed::detail::message_bytes(d, bits) : 0);
    std::vector<std::byte> all(msg.size() * static_cast<std::size_t>(P));
    std::size_t e = 0, round = 0;
    while (why == status::max_epochs && e < o_.epochs) {
      const std::uint64_t bytes_before = comm.counters().bytes_sent;
      const std::size_t end = std::min(o_.epochs, e + per_round);
      std::uint64_t sat = 0, updates = 0;
      for (; e < end; ++e) {
        const double alpha = o_.step_size * std::pow(o_.step_decay, static_cast<double>(e));
        const buckwild_epoch_counters c = local.run_epoch(p, m, e, alpha, o_.threads);
        sat += c.saturations;
        updates += c.updates;
      }
      // Average.
      if (bits == 0) {
        sum = local.values(p, m);
        timed([&] { comm.allreduce_sum(sum.data(), d); });
        for (std::size_t j = 0; j < d; ++j) next[j] = sum[j] / P;
      } else {
        for (std::size_t j = 0; j < d; ++j) u[j] = (static_cast<double>(m.codes[j]) * m.scale - common[j]) / unit;
        const auto enc = distributed::detail::encode(u, bits, detail::message_stream(o_.seed, round, rank), msg);
        out.lossless_messages += enc.lossless;
        timed([&] { comm.allgather(msg, all); });
        std::fill(sum.begin(), sum.end(), 0.0);
        for (int q = 0; q < P; ++q)
          distributed::detail::decode_add(
              std::span<const std::byte>(all).subspan(static_cast<std::size_t>(q) * msg.size(), msg.size()), bits, sum);
        for (std::size_t j = 0; j < d; ++j) next[j] = common[j] + unit * (sum[j] / P);
      }
      // Back onto the model grid, identically on every rank (a one-rank exact mean is on it already).
      if constexpr (fixed_model) {
        round::stochastic<> sr(detail::regrid_stream(o_.seed, round));
        for (std::size_t j = 0; j < d; ++j) {
          // NaN would make the rounding undefined: keep 0 and let the monitor see the NaN objective.
          m.codes[j] = std::isfinite(next[j]) ? detail::bw::sat_sym<M>(sr.real(next[j] / m.scale), sat) : M(0);
        }
      } else {
        for (std::size_t j = 0; j < d; ++j) m.codes[j] = static_cast<M>(next[j]);
      }
      bool finite = true;
      for (double v : next) finite = finite && std::isfinite(v);
      next = local.values(p, m);
      ++round;

      double f_next = 0.0, g_next = 0.0;
      evaluate(next, sat, updates, f_next, g_next, sat_all, upd_all);
      if (!finite) f_next = nan;  // a non-finite mean is divergence even if it rounded to something finite
      out.round_bytes.push_back(comm.counters().bytes_sent - bytes_before);
      mon.state().epoch = e - 1;
      if (mon.diverged(f_next, g_next, o_.divergence_factor, name)) {
        mon.record(e, f_next, g_next, scale, sat_all, upd_all, common);
        mon.state().rejected = true;
        detail::callbacks_epoch_end(mon.state(), cbs...);
        why = status::diverged;
        break;
      }
      common.swap(next);
      fv = f_next;
      gnorm = g_next;
      mon.record(e, fv, gnorm, scale, sat_all, upd_all, common);
      out.round_objective.push_back(fv);
      const bool stop = agree_stop(detail::callbacks_epoch_end(mon.state(), cbs...));
      out.round_bytes.back() = comm.counters().bytes_sent - bytes_before;
      if (stop) why = status::stopped_by_callback;
    }
    w = common;
    mon.state().model = w;
    report r = mon.finish(why, fv, gnorm);
    detail::callbacks_end(mon.state(), r, cbs...);
    static_cast<report&>(out) = r;
    out.rounds = round;
    out.comm.bytes_sent = comm.counters().bytes_sent - before.bytes_sent;
    out.comm.collectives = comm.counters().collectives - before.collectives;
    out.comm_seconds = comm_seconds;
    return out;
  }

  buckwild_options o_;
  local_sgd_options l_;
};

using distributed_hogwild = distributed_local_sgd<hogwild>;
using distributed_buckwild8 = distributed_local_sgd<buckwild8>;
using distributed_buckwild16 = distributed_local_sgd<buckwild16>;

}  // namespace lowp
#endif
