// `lowp buckwild --distributed [--average-every E] [--comm-bits 0|8|16]`:
// local SGD (include/lowp/distributed/local_sgd.hpp) over MPI_COMM_WORLD.
// Every rank reads the whole file, keeps its contiguous block of rows and runs
// Buckwild! on it (--threads per rank, the chosen D/M, race and dither); the
// models are averaged every E epochs (0: once, at the end), as doubles or as
// int8/int16 offsets. Start with mpirun/mpiexec; without it MPI runs one rank.
// MPI_Init is called only here, so plain `lowp buckwild` never needs mpirun.
// Rank 0 alone prints and writes --out / --trace; the run log's params gain
// ranks, average_every, comm_bits, comm_bytes_total and comm_round_bytes.
// Included by buckwild_cmd.cpp only (one instantiation per solver type).
#ifndef LOWP_TOOLS_BUCKWILD_DISTRIBUTED_HPP
#define LOWP_TOOLS_BUCKWILD_DISTRIBUTED_HPP

#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "buckwild_cmd.hpp"
#include "lowp/callbacks.hpp"
#include "lowp/distributed/local_sgd.hpp"
#include "lowp/runs/run_log_callback.hpp"
#include "solve_cmd.hpp"  // option_error
#if LOWP_CLI_WITH_MPI
#include "lowp/distributed/mpi.hpp"
#endif

namespace lowp_cli {

inline void add_buckwild_distributed_options(CLI::App* c, buckwild_cli_options& o) {
  c->add_flag("--distributed", o.distributed,
              "Local SGD over MPI (start with mpirun -np P): one block of rows per rank, Buckwild! on each, the "
              "models averaged every --average-every epochs");
  c->add_option("--average-every", o.average_every,
                "--distributed: epochs between averagings (default 1; 0 = once, at the end)");
  c->add_option("--comm-bits", o.comm_bits,
                "--distributed: 0 = models sent as doubles (exact, default); 8 or 16 = offsets as stochastically "
                "rounded int8/int16 messages with a per-round scale")
      ->check(CLI::IsMember({0, 8, 16}));
}

inline void check_buckwild_distributed_options(const buckwild_cli_options& o) {
  if (!o.distributed && (o.comm_bits != 0 || o.average_every != 1))
    throw option_error("--comm-bits and --average-every apply to --distributed runs");
}

template <class Solver, class D>
int train_local_sgd(const buckwild_cli_options& o, const lowp::buckwild_options& bo, const lowp::buckwild_problem<D>& p,
                    const lowp::buckwild_problem<D>* t) {
#if !LOWP_CLI_WITH_MPI
  (void)bo, (void)p, (void)t;
  throw option_error("--distributed: this lowp was built without MPI (install an MPI, e.g. libopenmpi-dev, and "
                     "reconfigure with LOWP_WITH_MPI=ON)");
#else
  const lowp::distributed_local_sgd<Solver> solver(bo, {.average_every = o.average_every, .comm_bits = o.comm_bits});
  lowp::distributed::mpi_session session(nullptr, nullptr);
  lowp::distributed::mpi_communicator comm;
  if (p.n < static_cast<std::size_t>(comm.size()))
    throw option_error(o.data + ": " + std::to_string(p.n) + " examples cannot be split over " +
                       std::to_string(comm.size()) + " ranks");
  try {
    const auto shard = lowp::distributed::shard_problem(p, comm.rank(), comm.size());
    const bool root = comm.rank() == 0;
    std::optional<lowp::callbacks::progress_bar> bar;
    std::optional<lowp::runs::run_log_writer> log;
    std::optional<lowp::callbacks::trace_to_csv> csv;
    if (root) {
      if (!o.quiet) bar.emplace(stderr);
      if (!o.out.empty()) {
        auto base = lowp::runs::make_run_record("local_sgd", o.seed);
        base.isa = lowp::kernels::name(lowp::kernels::best().id);
        base.params = {{"data", o.data},
                       {"signature", Solver::signature()},
                       {"loss", o.loss},
                       {"threads", std::int64_t{o.threads}},
                       {"race", o.race},
                       {"dither", o.dither},
                       {"step_size", o.step},
                       {"step_decay", o.step_decay},
                       {"l2", o.l2},
                       {"model_range", o.model_range},
                       {"ranks", std::int64_t{comm.size()}},
                       {"average_every", static_cast<std::int64_t>(o.average_every)},
                       {"comm_bits", std::int64_t{o.comm_bits}}};
        log.emplace(o.out, std::move(base));
      }
      if (!o.trace.empty()) csv.emplace(o.trace);
    }
    using lowp::callbacks::if_present;
    auto cb_bar = if_present(bar);
    auto cb_log = if_present(log);
    auto cb_csv = if_present(csv);
    std::vector<double> w(p.d, 0.0);
    const lowp::local_sgd_report r = solver.optimize(comm, shard, w, cb_bar, cb_log, cb_csv);
    if (root) {
      if (log) {  // the traffic is known only now
        lowp::runs::run_record rec = log->record();
        std::string rb;
        for (auto b : r.round_bytes) rb += (rb.empty() ? "" : " ") + std::to_string(b);
        rec.params.emplace_back("comm_bytes_total", static_cast<std::int64_t>(r.comm.bytes_sent));
        rec.params.emplace_back("comm_round_bytes", rb);
        rec.params.emplace_back("comm_seconds", r.comm_seconds);
        lowp::runs::write_run_log(o.out, rec);
      }
      std::printf("local_sgd %s on %d ranks (%d threads each, average every %zu epochs, comm_bits %d): %s after %zu "
                  "epochs (%zu rounds), f = %.10g, |grad f| = %.3g, %.3f s (%.3f s in collectives), %llu saturations, "
                  "%llu bytes sent by rank 0\n",
                  Solver::signature().c_str(), comm.size(), o.threads, o.average_every, o.comm_bits,
                  lowp::to_string(r.why), r.epochs, r.rounds, r.objective, r.full_gradient_norm, r.seconds,
                  r.comm_seconds, static_cast<unsigned long long>(r.saturations),
                  static_cast<unsigned long long>(r.comm.bytes_sent));
      if (!r.message.empty()) std::printf("  %s\n", r.message.c_str());
      if (p.loss != lowp::linear_loss::least_squares)
        std::printf("train accuracy %.2f %%\n", 100 * lowp::evaluate_buckwild(p, w, o.l2).accuracy);
      if (t != nullptr) {
        const auto e = lowp::evaluate_buckwild(*t, w, o.l2);
        if (t->loss == lowp::linear_loss::least_squares) std::printf("test objective %.10g\n", e.objective);
        else std::printf("test accuracy %.2f %%\n", 100 * e.accuracy);
      }
    }
    return r.why == lowp::status::diverged ? 3 : 0;
  } catch (const option_error&) {
    throw;  // raised identically on every rank: a clean exit 2
  } catch (const std::exception& e) {
    // Possibly one rank's alone (a run log it cannot write): the others would wait in a
    // collective forever, so end the whole job.
    std::fprintf(stderr, "lowp: error on rank %d: %s\n", comm.rank(), e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }
#endif
}

}  // namespace lowp_cli
#endif
