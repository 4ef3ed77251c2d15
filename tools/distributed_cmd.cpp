// `lowp halp|svrg --distributed` (see distributed_cmd.hpp).
#include "distributed_cmd.hpp"

#include <CLI/CLI.hpp>

#include "solve_cmd.hpp"

#if LOWP_CLI_WITH_MPI
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "fit_summary.hpp"
#include "load_data.hpp"
#include "lowp/callbacks.hpp"
#include "lowp/datasets/dataset.hpp"
#include "lowp/distributed/distributed.hpp"
#include "lowp/distributed/mpi.hpp"
#include "lowp/runs/run_log_callback.hpp"
#endif

namespace lowp_cli {

void add_distributed_options(CLI::App* c, solve_options& o) {
  c->add_flag("--distributed", o.distributed,
              "Data-parallel over MPI (start with mpirun -np P): one block of rows per rank, full gradients by "
              "allreduce, the ranks' inner loops averaged every outer iteration");
  c->add_option("--comm-bits", o.comm_bits,
                "--distributed: 0 = offsets sent as doubles (exact, default); 8 or 16 = stochastically rounded "
                "int8/int16 messages with a per-epoch scale")
      ->check(CLI::IsMember({0, 8, 16}));
}

#if !LOWP_CLI_WITH_MPI

int run_distributed(const solve_options&) {
  throw option_error("--distributed: this lowp was built without MPI (install an MPI, e.g. libopenmpi-dev, and "
                     "reconfigure with LOWP_WITH_MPI=ON)");
}

#else

namespace {
namespace ds = lowp::datasets;


std::string join(const std::vector<std::uint64_t>& v) {
  std::string s;
  for (auto x : v) {
    if (!s.empty()) s += ' ';
    s += std::to_string(x);
  }
  return s;
}

template <class Solver, class F>
int train(const Solver& solver, lowp::distributed::mpi_communicator& comm, const F& f, const F* test,
          const solve_options& o, int bits) {
  lowp::distributed::row_shard<F> shard(f, comm.rank(), comm.size());
  std::vector<double> w(f.dimension(), 0.0);
  const bool root = comm.rank() == 0;
  std::optional<lowp::callbacks::progress_bar> bar;
  std::optional<lowp::runs::run_log_writer> log;
  std::optional<lowp::callbacks::trace_to_csv> csv;
  lowp::runs::param_list params = {{"data", o.data},
                                   {"loss", o.loss},
                                   {"bits", std::int64_t{bits}},
                                   {"l2", o.l2},
                                   {"step_size", o.step},
                                   {"epoch_length", static_cast<std::int64_t>(o.epoch_length)},
                                   {"mu", o.mu},
                                   {"delta", o.delta},
                                   {"bias", std::int64_t{o.bias}},
                                   {"ranks", std::int64_t{comm.size()}},
                                   {"comm_bits", std::int64_t{o.comm_bits}}};
  if (root) {
    if (!o.quiet) bar.emplace(stderr);
    if (!o.out.empty()) {
      auto base = lowp::runs::make_run_record(std::string(Solver::name), o.seed);
      base.isa = "reference";
      base.params = params;
      log.emplace(o.out, std::move(base));
    }
    if (!o.trace.empty()) csv.emplace(o.trace);
  }
  lowp::callbacks::time_limit limit(o.time_limit > 0 ? o.time_limit : 1e300);
  using lowp::callbacks::if_present;
  auto cb_bar = if_present(bar);
  auto cb_log = if_present(log);
  auto cb_csv = if_present(csv);
  const lowp::distributed_report r = solver.optimize(comm, shard, w, cb_bar, cb_log, cb_csv, limit);
  if (root) {
    if (log) {  // add the traffic, known only now, to the run log
      lowp::runs::run_record rec = log->record();
      rec.params.emplace_back("comm_bytes_total", static_cast<std::int64_t>(r.comm.bytes_sent));
      rec.params.emplace_back("comm_epoch_bytes", join(r.epoch_bytes));
      rec.params.emplace_back("comm_seconds", r.comm_seconds);
      lowp::runs::write_run_log(o.out, rec);
    }
    std::printf("%s on %d ranks: %s after %zu epochs, f = %.12g, |grad f| = %.3g, %.3f s (%.3f s in collectives), "
                "%llu saturations, %llu bytes sent by rank 0 (%llu in epoch 1)\n",
                Solver::name, comm.size(), lowp::to_string(r.why), r.epochs, r.objective, r.full_gradient_norm,
                r.seconds, r.comm_seconds, static_cast<unsigned long long>(r.saturations),
                static_cast<unsigned long long>(r.comm.bytes_sent),
                static_cast<unsigned long long>(r.epoch_bytes.empty() ? 0 : r.epoch_bytes.front()));
    if (!r.message.empty()) std::printf("  %s\n", r.message.c_str());
    print_fit_summary(f, test, w, o.loss);
  }
  return r.why == lowp::status::diverged ? 3 : 0;
}

template <class F>
int pick_solver(lowp::distributed::mpi_communicator& comm, const F& f, const F* test, const solve_options& o) {
  using q8 = lowp::fixed<8, lowp::dynamic_scale>;
  using q16 = lowp::fixed<16, lowp::dynamic_scale>;
  using sr = lowp::round::stochastic<>;
  using E = lowp::parallel::openmp;
  const int bits = o.bits >= 0 ? o.bits : (o.algorithm == "halp" ? 8 : 0);
  if (bits != 0 && bits != 8 && bits != 16) throw option_error("--distributed: --bits must be 0, 8 or 16");
  if (o.algorithm == "svrg" && bits != 0 && !(o.delta > 0))
    throw option_error("--distributed LP-svrg (--bits " + std::to_string(bits) + ") needs --delta");
  const lowp::solver_options so{.step_size = o.step,
                                .epoch_length = o.epoch_length,
                                .epochs = o.epochs,
                                .tolerance = o.tolerance,
                                .seed = o.seed,
                                .mu = o.mu,
                                .delta = o.delta,
                                .inner_threads = o.inner_threads};
  const lowp::distributed_options dop{.comm_bits = o.comm_bits};
  const E ex{o.threads};
  if (o.algorithm == "svrg") {
    if (bits == 0) return train(lowp::distributed_svrg<double, sr, E>(so, dop, ex), comm, f, test, o, bits);
    if (bits == 8) return train(lowp::distributed_svrg<q8, sr, E>(so, dop, ex), comm, f, test, o, bits);
    return train(lowp::distributed_svrg<q16, sr, E>(so, dop, ex), comm, f, test, o, bits);
  }
  if (bits == 0) return train(lowp::distributed_halp<double, sr, E>(so, dop, ex), comm, f, test, o, bits);
  if (bits == 8) return train(lowp::distributed_halp<q8, sr, E>(so, dop, ex), comm, f, test, o, bits);
  return train(lowp::distributed_halp<q16, sr, E>(so, dop, ex), comm, f, test, o, bits);
}

template <class Data, class Loss>
int with_objective(lowp::distributed::mpi_communicator& comm, const Data& tr, const Data* te, Loss loss,
                   const solve_options& o) {
  using F = lowp::objectives::linear_model<Loss, Data>;
  F f(tr, o.l2, loss);
  f.set_optimum(o.f_star);
  std::optional<F> t;
  if (te != nullptr) t.emplace(*te, o.l2, loss);
  if (f.examples() < static_cast<std::size_t>(comm.size()))
    throw option_error(o.data + ": " + std::to_string(f.examples()) + " examples cannot be split over " +
                       std::to_string(comm.size()) + " ranks");
  return pick_solver(comm, f, t ? &*t : nullptr, o);
}

// Every rank must succeed before the first collective, or none may enter it:
// otherwise the ranks that loaded their data would wait forever.
template <class Fn>
auto on_all_ranks(lowp::distributed::mpi_communicator& comm, Fn&& fn) {
  std::exception_ptr err;
  decltype(fn()) value{};
  try {
    value = fn();
  } catch (...) {
    err = std::current_exception();
  }
  double failed = err ? 1.0 : 0.0;
  comm.allreduce_max(&failed, 1);
  if (err) std::rethrow_exception(err);
  if (failed > 0) throw std::runtime_error("another rank failed to read its input (see its message)");
  return value;
}

}  // namespace

int run_distributed(const solve_options& o) {
  if (o.algorithm == "sgd") throw option_error("--distributed applies to svrg and halp");
  if (!o.resume.empty() || !o.checkpoint.empty())
    throw option_error("--distributed runs do not write or resume checkpoints (--checkpoint, --resume)");
  if (o.rounding != "stochastic") throw option_error("--distributed: --rounding nearest is not offered");
  lowp::distributed::mpi_session session(nullptr, nullptr);
  lowp::distributed::mpi_communicator comm;
  using data_pair = std::pair<any_data, std::optional<any_data>>;
  const data_pair data = on_all_ranks(comm, [&]() -> data_pair {
    any_data tr = load_data(o.data, o.labels, 0);
    std::optional<any_data> te;
    if (!o.test.empty()) te = load_data(o.test, o.test_labels, cols(tr));
    if (te && te->index() != tr.index())
      throw option_error(o.test + ": test set layout (dense/sparse) differs from " + o.data);
    return {std::move(tr), std::move(te)};
  });
  try {
    return std::visit(
        [&](const auto& x) -> int {
          using D = std::decay_t<decltype(x)>;
          const D tr = o.bias ? ds::with_bias_column(x) : x;
          std::optional<D> te;
          if (data.second) {
            D t = std::get<D>(*data.second);
            if (t.cols() > x.cols())
              throw option_error(o.test + ": " + std::to_string(t.cols()) + " features, the training set has " +
                                 std::to_string(x.cols()));
            if constexpr (std::is_same_v<D, ds::csr_dataset>) t.d = x.d;
            te = o.bias ? ds::with_bias_column(t) : t;
          }
          const D* tp = te ? &*te : nullptr;
          if (o.loss == "least_squares")
            return with_objective(comm, tr, tp, lowp::objectives::squared_loss{}, o);
          if (o.loss == "logistic") return with_objective(comm, tr, tp, lowp::objectives::logistic_loss{}, o);
          std::size_t k = o.classes;
          if (k == 0)
            for (float y : tr.y) k = std::max(k, static_cast<std::size_t>(std::max(0.0f, y)) + 1);
          if (k < 2) throw option_error("softmax needs at least 2 classes (--classes)");
          return with_objective(comm, tr, tp, lowp::objectives::softmax_loss{k}, o);
        },
        data.first);
  } catch (const option_error&) {
    throw;  // raised identically on every rank (same options, same data): a clean exit 2
  } catch (const std::exception& e) {
    // Anything else may be one rank's alone (a run log it cannot write): the
    // others would wait in a collective forever, so end the whole job.
    std::fprintf(stderr, "lowp: error on rank %d: %s\n", comm.rank(), e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }
}

#endif

}  // namespace lowp_cli
