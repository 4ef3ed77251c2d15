// Data-parallel SVRG, LP-SVRG and HALP (issue 10): every rank holds a shard
// of the rows (distributed/shard.hpp) and one outer iteration is
//
//   1. full gradient at the common anchor w~: each rank evaluates its shard,
//      weights it by n_r / N, and one allreduce_sum adds [f, g, saturations];
//   2. each rank runs the *unchanged* single-process inner loop
//      (detail::svrg_inner_loop, the one lowp::svrg and lowp::halp run) on its
//      shard from w~, with the global g~ and its own random streams, for
//      T_r = epoch_length (default 2 n_r) steps;
//   3. the new anchor is w~ + (1/P) sum_r o_r, the ranks' offsets
//      o_r = w_r - w~ (HALP: s z_r, the codes in units of s). The offsets
//      travel as doubles through allreduce_sum (comm_bits = 0), or as int8 /
//      int16 messages with one double scale each, stochastically rounded on a
//      stream from (seed, epoch, rank) and allgathered (comm_bits = 8 | 16;
//      detail/codec.hpp). The message scale is max|o_r| / (2^{b-1} - 1),
//      re-chosen every epoch, so it shrinks with the gradient (bit centering
//      for the messages); `rescale = false` freezes it at epoch 1's value,
//      the LP-SVRG-style ablation that stalls.
//      With quantized messages the full-gradient pass is quantized as well
//      (quantize_gradient): a shard's gradient does not vanish at w*, so it
//      cannot be sent at a shrinking scale itself; instead each rank sends the
//      difference between its weighted shard gradient and the reconstruction
//      the others already hold (error feedback), and every rank adds the
//      decoded differences in rank order to a common running sum. The
//      difference shrinks like the change of the gradient between epochs, so
//      the error of g~ shrinks linearly too, and [f, saturations] alone go as
//      doubles. Per epoch a rank then sends about 2 d b/8 bytes instead of 16 d.
//
// Every decision (convergence, divergence, a callback's stop) is taken on
// globally reduced values or agreed by an allreduce, so the ranks never
// disagree and a run's result does not depend on message timing. With one
// rank and exact messages it is the single-process solver bit for bit.
//
//   distributed_halp<fixed<8, dynamic_scale>>     HALP-8 per rank
//   distributed_svrg<>                             double SVRG per rank
//   distributed_solver<lowp::svrg<fixed<8, dynamic_scale>>>   LP-SVRG per rank
//
// Rank r >= 1 draws from seed splitmix64(seed ^ ...(r)); rank 0 uses `seed`
// itself. Objectives: linear models (linear_model_objective); the fast SIMD
// paths are not used (the double reference loop runs on every rank).
#ifndef LOWP_DISTRIBUTED_DISTRIBUTED_HPP
#define LOWP_DISTRIBUTED_DISTRIBUTED_HPP

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/distributed/communicator.hpp"
#include "lowp/distributed/detail/codec.hpp"
#include "lowp/distributed/shard.hpp"
#include "lowp/solvers/halp/halp.hpp"
#include "lowp/solvers/svrg/svrg.hpp"

namespace lowp {

struct distributed_options {
  int comm_bits = 0;             // 0: everything travels as doubles (exact); 8 or 16: quantized messages
  bool rescale = true;           // quantized offsets: re-choose the scale every epoch (false: ablation, stalls)
  bool quantize_gradient = true; // comm_bits > 0: the full-gradient pass sends quantized differences too
};

// What a distributed run returns: the solver report plus this rank's traffic.
struct distributed_report : report {
  distributed::comm_counters comm;          // this rank, this run
  std::vector<std::uint64_t> epoch_bytes;   // payload this rank sent per outer iteration (epoch 1, 2, ...)
  double comm_seconds = 0.0;                // wall time inside collectives from the first full pass on
                                            // (includes waiting for slower ranks)
  std::uint64_t lossless_messages = 0;      // quantized messages that carried the offsets exactly
};

namespace detail {

template <class Inner>
struct family_traits;
template <class F, class R, class E>
struct family_traits<halp<F, R, E>> {
  using format = F;
  using rounding = R;
  using exec = E;
  static constexpr centring centre = centring::bit_centering;
  static constexpr const char* name = "distributed_halp";
};
template <class F, class R, class E>
struct family_traits<svrg<F, R, E>> {
  using format = F;
  using rounding = R;
  using exec = E;
  static constexpr centring centre = centring::absolute;
  static constexpr const char* name = iterate_codes<F>::quantized ? "distributed_lp_svrg" : "distributed_svrg";
};

inline std::uint64_t rank_seed(std::uint64_t seed, int rank) noexcept {
  return rank == 0 ? seed : splitmix64(seed ^ splitmix64(0x6c6f77705f72616eULL + static_cast<std::uint64_t>(rank)));
}
inline counter_rng message_stream(std::uint64_t seed, std::size_t epoch, int rank) noexcept {
  return counter_rng(splitmix64(seed ^ 0x636f6d6d5f6d7367ULL), (static_cast<std::uint64_t>(rank) << 40) | epoch);
}
// Full pass number `pass` (0 = at the start point, k = after epoch k).
inline counter_rng gradient_stream(std::uint64_t seed, std::size_t pass, int rank) noexcept {
  return counter_rng(splitmix64(seed ^ 0x677261645f6d7367ULL), (static_cast<std::uint64_t>(rank) << 40) | pass);
}

}  // namespace detail

// Inner: lowp::halp<...> or lowp::svrg<...> (its Format, Rounding and Executor are used).
template <class Inner>
class distributed_solver {
  using traits = detail::family_traits<Inner>;
  using Format = typename traits::format;
  using Rounding = typename traits::rounding;
  using Exec = typename traits::exec;
  static constexpr detail::centring centre = traits::centre;
  static constexpr bool halp_centring = centre == detail::centring::bit_centering;
  using codes = detail::iterate_codes<Format>;

 public:
  static constexpr const char* name = traits::name;

  explicit distributed_solver(solver_options o = {}, distributed_options d = {}, Exec exec = {})
      : o_(o), d_(d), exec_(exec) {
    detail::check_common_options(name, o);
    if (d.comm_bits != 0) distributed::detail::check_comm_bits(d.comm_bits);
  }
  const solver_options& options() const noexcept { return o_; }
  const distributed_options& comm_options() const noexcept { return d_; }

  // Called by every rank with its communicator and its shard; w is the
  // start point in (the same on every rank) and the final anchor out (the
  // same bits on every rank). Callbacks may differ between ranks (typically
  // only rank 0 logs); a stop requested on any rank stops all of them.
  template <distributed::communicator Comm, linear_model_objective Shard, callback... Cs>
  distributed_report optimize(Comm& comm, const Shard& f, std::vector<double>& w, Cs&&... cbs) const {
    return run(comm, f, w, cbs...);
  }

 private:
  template <class Comm, class Shard, class... Cs>
  distributed_report run(Comm& comm, const Shard& f, std::vector<double>& w, Cs&... cbs) const {
    const char* algo = name;
    const solver_options& o = o_;
    detail::check_model(algo, f, w);
    const int P = comm.size(), rank = comm.rank();
    const distributed::comm_counters counters_before = comm.counters();  // a communicator may be reused
    const std::size_t n = f.examples(), dim = f.dimension(), k = f.outputs();
    double comm_seconds = 0.0;
    auto timed = [&](auto&& op) {
      const auto t0 = std::chrono::steady_clock::now();
      op();
      comm_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };

    // Global constants: N, L_max (for the default step), mu (HALP default), f*.
    double sizes[2] = {static_cast<double>(n), 0.0};
    const std::size_t T_r = o.epoch_length > 0 ? o.epoch_length : 2 * n;
    sizes[1] = static_cast<double>(T_r);
    timed([&] { comm.allreduce_sum(sizes, 2); });
    const double N = sizes[0], weight = static_cast<double>(n) / N;
    const auto T_total = static_cast<std::uint64_t>(sizes[1]);
    double smooth = std::numeric_limits<double>::quiet_NaN();
    if (!(o.step_size > 0)) {
      smooth = f.smoothness();
      timed([&] { comm.allreduce_max(&smooth, 1); });
    }
    double mu_global = 0.0;
    if (halp_centring && !(o.mu > 0)) {
      // sum_r (n_r/N) H_r = H, so the weighted mean of the shards' bounds bounds H from below.
      mu_global = weight * f.strong_convexity();
      timed([&] { comm.allreduce_sum(&mu_global, 1); });
    }
    double f_star = f.optimum();
    timed([&] { comm.broadcast(&f_star, 1, 0); });
    const detail::svrg_constants cst =
        detail::resolve_svrg_constants<Format, centre>(algo, o, smooth, [&] { return mu_global; }, n);

    solver_options ro = o;
    ro.seed = detail::rank_seed(o.seed, rank);

    // Full pass at wv: global f and g (and the saturations of the epoch that produced wv).
    std::vector<double> buf(dim + 2);
    const bool quantized_grad = d_.comm_bits != 0 && d_.quantize_gradient;
    std::vector<double> g_mine(quantized_grad ? dim : 0), g_sum(quantized_grad ? dim : 0), delta, decoded;
    std::vector<std::byte> gmsg, gall;
    if (quantized_grad) {
      delta.resize(dim), decoded.resize(dim);
      gmsg.resize(distributed::detail::message_bytes(dim, d_.comm_bits));
      gall.resize(gmsg.size() * static_cast<std::size_t>(P));
    }
    std::size_t pass = 0;
    auto full_pass = [&](const std::vector<double>& wv, std::vector<double>& g, std::vector<double>& margins,
                         std::uint64_t sat_r, std::uint64_t& sat_total) {
      buf[0] = weight * f.evaluate(wv.data(), buf.data() + 1, margins.data(), exec_);
      for (std::size_t j = 0; j < dim; ++j) buf[1 + j] *= weight;
      if (!quantized_grad) {
        buf[dim + 1] = static_cast<double>(sat_r);
        timed([&] { comm.allreduce_sum(buf.data(), buf.size()); });
        std::copy(buf.begin() + 1, buf.begin() + 1 + static_cast<std::ptrdiff_t>(dim), g.begin());
        sat_total = static_cast<std::uint64_t>(buf[dim + 1]);
        return buf[0];
      }
      // Error feedback: send what the others do not know yet of this rank's weighted gradient.
      for (std::size_t j = 0; j < dim; ++j) delta[j] = buf[1 + j] - g_mine[j];
      distributed::detail::encode(delta, d_.comm_bits, detail::gradient_stream(o.seed, pass++, rank), gmsg);
      double fs[2] = {buf[0], static_cast<double>(sat_r)};
      timed([&] {
        comm.allgather(gmsg, gall);
        comm.allreduce_sum(fs, 2);
      });
      for (int q = 0; q < P; ++q) {
        std::fill(decoded.begin(), decoded.end(), 0.0);
        distributed::detail::decode_add(
            std::span<const std::byte>(gall).subspan(static_cast<std::size_t>(q) * gmsg.size(), gmsg.size()),
            d_.comm_bits, decoded);
        for (std::size_t j = 0; j < dim; ++j) g_sum[j] += decoded[j];
        if (q == rank)
          for (std::size_t j = 0; j < dim; ++j) g_mine[j] += decoded[j];
      }
      std::copy(g_sum.begin(), g_sum.end(), g.begin());
      sat_total = static_cast<std::uint64_t>(fs[1]);
      return fs[0];
    };
    auto agree_stop = [&](bool stop) {
      double v = stop ? 1.0 : 0.0;
      timed([&] { comm.allreduce_max(&v, 1); });
      return v > 0.0;
    };

    // Collective time from here on, the span the monitor's seconds cover (the setup
    // collectives above also absorb the other ranks' start-up).
    comm_seconds = 0.0;
    detail::run_monitor mon(resume_point{}, f_star);
    std::vector<double> g(dim), margins(n * k), anchor = w;
    std::uint64_t sat_total = 0;
    double fv = full_pass(anchor, g, margins, 0, sat_total);
    double gnorm = detail::norm2(g);
    mon.set_initial_norm(gnorm);
    run_info info{algo, dim, static_cast<std::size_t>(N), o.epochs, o.seed, codes::bits, 0};
    detail::callbacks_begin(info, cbs...);
    status why = status::max_epochs;
    mon.record(0, fv, gnorm, std::numeric_limits<double>::quiet_NaN(), 0, 0, anchor);
    if (agree_stop(detail::callbacks_epoch_end(mon.state(), cbs...))) why = status::stopped_by_callback;

    distributed_report out;
    detail::svrg_inner_loop<Format, Rounding, centre, Shard> inner(ro, f, cst.alpha, cst.T, cst.mu);
    const int bits = d_.comm_bits;
    std::vector<double> u(dim), sum(dim), candidate(dim), g_next(dim), margins_next(n * k);
    std::vector<std::byte> msg(bits ? distributed::detail::message_bytes(dim, bits) : 0);
    std::vector<std::byte> all(msg.size() * static_cast<std::size_t>(P));
    double fixed_scale = 0.0;  // rescale = false: the absolute message step, frozen at epoch 1
    std::size_t epoch = 0;
    for (; why == status::max_epochs && epoch < o.epochs; ++epoch) {
      if (gnorm <= o.tolerance) {
        why = status::converged;
        break;
      }
      const std::uint64_t bytes_before = comm.counters().bytes_sent;
      saturation_counter sat;
      const double s = inner.run(epoch, anchor, g, gnorm, margins, sat);
      if (P == 1 && bits == 0) {
        inner.candidate(anchor, candidate);  // nothing to average: the single-process step exactly
      } else {
        // This rank's offset in units of `unit`: HALP's codes (unit s), else w_r - w~.
        double unit = 1.0;
        if constexpr (halp_centring) {
          u = inner.next();
          unit = s;
        } else {
          inner.candidate(anchor, candidate);
          for (std::size_t j = 0; j < dim; ++j) u[j] = candidate[j] - anchor[j];
        }
        if (bits == 0) {
          sum = u;
          timed([&] { comm.allreduce_sum(sum.data(), dim); });
        } else {
          if (!d_.rescale && fixed_scale == 0.0) {
            double m = 0.0;
            for (double v : u) m = std::max(m, std::abs(v) * unit);
            timed([&] { comm.allreduce_max(&m, 1); });
            fixed_scale = m > 0 && std::isfinite(m) ? m / double(distributed::detail::code_highest(bits)) : 1.0;
          }
          const auto enc = distributed::detail::encode(u, bits, detail::message_stream(o.seed, epoch, rank), msg,
                                                       d_.rescale ? 0.0 : fixed_scale / unit);
          sat.events += enc.saturations;
          out.lossless_messages += enc.lossless;
          timed([&] { comm.allgather(msg, all); });
          std::fill(sum.begin(), sum.end(), 0.0);
          for (int q = 0; q < P; ++q)
            distributed::detail::decode_add(std::span<const std::byte>(all).subspan(static_cast<std::size_t>(q) * msg.size(), msg.size()),
                                            bits, sum);
        }
        for (std::size_t j = 0; j < dim; ++j) candidate[j] = anchor[j] + unit * (sum[j] / P);
      }

      std::uint64_t sat_epoch = 0;
      const double f_next = full_pass(candidate, g_next, margins_next, sat.events, sat_epoch);
      const double gnorm_next = detail::norm2(g_next);
      out.epoch_bytes.push_back(comm.counters().bytes_sent - bytes_before);
      mon.state().epoch = epoch;
      if (mon.diverged(f_next, gnorm_next, o.divergence_factor, algo)) {
        if constexpr (codes::quantized)
          mon.append_message("; " + std::to_string(codes::bits) + "-bit codes are too coarse for this problem: "
                             "use more bits or a smaller step size");
        mon.record(epoch + 1, f_next, gnorm_next, s, sat_epoch, static_cast<std::uint64_t>(N) + T_total, anchor);
        mon.state().rejected = true;
        detail::callbacks_epoch_end(mon.state(), cbs...);
        why = status::diverged;
        ++epoch;
        break;
      }
      anchor.swap(candidate);
      g.swap(g_next);
      margins.swap(margins_next);
      fv = f_next;
      gnorm = gnorm_next;
      mon.record(epoch + 1, fv, gnorm, s, sat_epoch, static_cast<std::uint64_t>(N) + T_total, anchor);
      const bool stop = agree_stop(detail::callbacks_epoch_end(mon.state(), cbs...));
      out.epoch_bytes.back() = comm.counters().bytes_sent - bytes_before;
      if (stop) {
        why = status::stopped_by_callback;
        ++epoch;
        break;
      }
    }
    if (why == status::max_epochs && gnorm <= o.tolerance) why = status::converged;
    w = anchor;
    mon.state().model = w;
    report r = mon.finish(why, fv, gnorm);
    detail::callbacks_end(mon.state(), r, cbs...);
    static_cast<report&>(out) = r;
    out.comm.bytes_sent = comm.counters().bytes_sent - counters_before.bytes_sent;
    out.comm.collectives = comm.counters().collectives - counters_before.collectives;
    out.comm_seconds = comm_seconds;
    return out;
  }

  solver_options o_;
  distributed_options d_;
  Exec exec_;
};

template <class Format = fixed<8, dynamic_scale>, class Rounding = round::stochastic<>,
          parallel::executor Exec = parallel::serial>
using distributed_halp = distributed_solver<halp<Format, Rounding, Exec>>;
template <class Format = double, class Rounding = round::stochastic<>, parallel::executor Exec = parallel::serial>
using distributed_svrg = distributed_solver<svrg<Format, Rounding, Exec>>;

}  // namespace lowp
#endif
