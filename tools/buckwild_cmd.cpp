// `lowp buckwild` (see buckwild_cmd.hpp): one runtime dispatch over dataset
// bits x model bits x race policy x dither into lowp::buckwild.
#include "buckwild_cmd.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "lowp/callbacks.hpp"
#include "lowp/datasets/hdf5.hpp"
#include "lowp/datasets/idx.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "lowp/kernels/dispatch.hpp"
#include "lowp/runs/run_log_callback.hpp"
#include "lowp/solvers/buckwild/buckwild.hpp"
#include "load_data.hpp"
#include "solve_cmd.hpp"  // option_error
#include "buckwild_distributed.hpp"

namespace ds = lowp::datasets;

namespace lowp_cli {
namespace {

// --positive-from k: labels >= k become +1, the others -1 (multi-class sets as binary tasks).
any_data load(const std::string& path, const std::string& labels, std::size_t min_dim, int positive_from) {
  any_data out = load_data(path, labels, min_dim);
  if (positive_from >= 0)
    std::visit(
        [&](auto& x) {
          for (auto& y : x.y) y = y >= static_cast<float>(positive_from) ? 1.0f : -1.0f;
        },
        out);
  return out;
}

lowp::runs::param_list params_of(const buckwild_cli_options& o, const std::string& signature) {
  return {{"data", o.data},
          {"signature", signature},
          {"loss", o.loss},
          {"dataset_bits", std::int64_t{o.dataset_bits}},
          {"model_bits", std::int64_t{o.model_bits}},
          {"threads", std::int64_t{o.threads}},
          {"race", o.race},
          {"dither", o.dither},
          {"data_rounding", o.data_rounding},
          {"order", o.order},
          {"block_kib", std::int64_t(o.block_kib)},
          {"staleness", std::int64_t(o.staleness)},
          {"batch", std::int64_t(o.batch)},
          {"replicas", std::int64_t{o.replicas}},
          {"replica_sync", std::int64_t(o.replica_sync)},
          {"step_size", o.step},
          {"step_decay", o.step_decay},
          {"l2", o.l2},
          {"model_range", o.model_range},
          {"bias", std::int64_t{o.bias}},
          {"positive_from", std::int64_t{o.positive_from}}};
}

template <class Solver, class D>
int train(const buckwild_cli_options& o, const lowp::buckwild_problem<D>& p, const lowp::buckwild_problem<D>* t) {
  lowp::buckwild_options bo;
  bo.step_size = o.step;
  bo.step_decay = o.step_decay;
  bo.epochs = o.epochs;
  bo.threads = o.threads;
  bo.seed = o.seed;
  bo.l2 = o.l2;
  bo.model_range = o.model_range;
  bo.order = o.order == "block_shuffled" ? lowp::row_order::block_shuffled
             : o.order == "sequential"   ? lowp::row_order::sequential
                                         : lowp::row_order::shuffled;
  bo.block_bytes = o.block_kib * 1024;
  bo.staleness = o.staleness;
  bo.batch = o.batch;
  bo.replicas = o.replicas;
  bo.replica_sync = o.replica_sync;
  Solver solver(bo);
  if (o.distributed) return train_local_sgd<Solver>(o, bo, p, t);
  const std::string sig = Solver::signature();
  lowp::runs::run_record base = lowp::runs::make_run_record("buckwild", o.seed);
  base.isa = lowp::kernels::name(lowp::kernels::best().id);
  base.params = params_of(o, sig);
  std::optional<lowp::runs::run_log_writer> log;
  if (!o.out.empty()) log.emplace(o.out, base);
  std::optional<lowp::callbacks::trace_to_csv> csv;
  if (!o.trace.empty()) csv.emplace(o.trace);
  std::optional<lowp::callbacks::progress_bar> bar;
  if (!o.quiet) bar.emplace(stderr);
  auto cb_bar = lowp::callbacks::if_present(bar);
  auto cb_log = lowp::callbacks::if_present(log);
  auto cb_csv = lowp::callbacks::if_present(csv);
  std::vector<double> w(p.d, 0.0);
  const lowp::report r = solver.optimize(p, w, cb_bar, cb_log, cb_csv);
  std::string extra;
  if (o.batch > 1) extra += ", batch " + std::to_string(o.batch);
  if (o.replicas)
    extra += o.replica_sync > 0 ? ", replicas averaged every " + std::to_string(o.replica_sync) + " examples"
                                : std::string(", replicas averaged per epoch");
  std::printf("buckwild %s (%s, %s dithers, %d threads%s): %s after %zu epochs, f = %.10g, |grad f| = %.3g, %.3f s, "
              "%llu saturations\n",
              sig.c_str(), o.race.c_str(), o.dither.c_str(), o.threads, extra.c_str(), lowp::to_string(r.why), r.epochs,
              r.objective, r.full_gradient_norm, r.seconds, static_cast<unsigned long long>(r.saturations));
  if (!r.message.empty()) std::printf("  %s\n", r.message.c_str());
  if (p.loss != lowp::linear_loss::least_squares)
    std::printf("train accuracy %.2f %%\n", 100 * lowp::evaluate_buckwild(p, w, o.l2).accuracy);
  if (t != nullptr) {
    const auto e = lowp::evaluate_buckwild(*t, w, o.l2);
    if (t->loss == lowp::linear_loss::least_squares) std::printf("test objective %.10g\n", e.objective);
    else std::printf("test accuracy %.2f %%\n", 100 * e.accuracy);
  }
  return r.why == lowp::status::diverged ? 3 : 0;
}

template <class D, class M, class Race>
int with_dither(const buckwild_cli_options& o, const lowp::buckwild_problem<D>& p,
                const lowp::buckwild_problem<D>* t) {
  using namespace lowp;
  if (o.dither == "shared") return train<buckwild<D, M, float, Race, dither::shared>>(o, p, t);
  if (o.dither == "nearest") return train<buckwild<D, M, float, Race, dither::nearest>>(o, p, t);
  return train<buckwild<D, M, float, Race, dither::independent>>(o, p, t);
}

template <class D, class M>
int with_race(const buckwild_cli_options& o, const lowp::buckwild_problem<D>& p, const lowp::buckwild_problem<D>* t) {
  if (o.race == "racy") return with_dither<D, M, lowp::race::racy_simd>(o, p, t);
  return with_dither<D, M, lowp::race::atomic_relaxed>(o, p, t);
}

template <class D, class Data>
int with_data(const buckwild_cli_options& o, const Data& train_data, const Data* test_data, lowp::linear_loss loss) {
  const auto rounding =
      o.data_rounding == "stochastic" ? lowp::kernels::rounding_mode::stochastic : lowp::kernels::rounding_mode::nearest_even;
  const auto p = lowp::make_buckwild_problem<D>(train_data, loss, rounding, o.seed);
  std::optional<lowp::buckwild_problem<D>> t;
  if (test_data) t.emplace(lowp::make_buckwild_problem<D>(*test_data, loss, rounding, o.seed));
  const auto* tp = t ? &*t : nullptr;
  if (o.model_bits == 8) return with_race<D, std::int8_t>(o, p, tp);
  if (o.model_bits == 16) return with_race<D, std::int16_t>(o, p, tp);
  return with_race<D, float>(o, p, tp);
}

}  // namespace

CLI::App* add_buckwild_command(CLI::App& app, buckwild_cli_options& o) {
  CLI::App* c = app.add_subcommand(
      "buckwild", "Hogwild!/Buckwild!: lock-free multithreaded SGD in low precision (arXiv 1506.06438, ISCA 2017)");
  c->add_option("--data", o.data, "Training set: LIBSVM text, .h5 (dense or CSR), or IDX images with --labels")
      ->required();
  c->add_option("--test", o.test, "Test set in the same format; prints test accuracy (or objective)");
  c->add_option("--labels", o.labels, "IDX labels file for --data");
  c->add_option("--test-labels", o.test_labels, "IDX labels file for --test");
  c->add_option("--positive-from", o.positive_from,
                "Binary task from class labels: labels >= K become +1, the others -1 (e.g. 5 for Fashion-MNIST)")
      ->check(CLI::Range(0, 1000000));
  c->add_option("--loss", o.loss, "least_squares, logistic (default; labels -1/+1 or 0/1) or hinge (SVM)")
      ->check(CLI::IsMember({"least_squares", "logistic", "hinge"}));
  c->add_flag("--bias", o.bias, "Append a constant-1 feature (an intercept, regularised like the rest)");
  c->add_option("--dataset-bits", o.dataset_bits, "D: 8 or 16 (fixed point, one scale) or 32 (float); default 32")
      ->check(CLI::IsMember({8, 16, 32}));
  c->add_option("--model-bits", o.model_bits, "M: 8 or 16 (fixed point) or 32 (float, Hogwild!); default 32")
      ->check(CLI::IsMember({8, 16, 32}));
  c->add_option("--threads", o.threads, "Worker threads sharing the model (default 1)")->check(CLI::Range(1, 1024));
  c->add_option("--race", o.race, "atomic (std::atomic_ref relaxed; default) or racy (plain stores + SIMD kernels)")
      ->check(CLI::IsMember({"atomic", "racy"}));
  c->add_option("--dither", o.dither,
                "Rounding of model updates: independent (default), shared (ISCA 2017) or nearest (ablation)")
      ->check(CLI::IsMember({"independent", "shared", "nearest"}));
  c->add_option("--order", o.order,
                "Row order per epoch: shuffled (default; a random permutation), block_shuffled (random blocks "
                "of contiguous rows, random order inside: streams from memory) or sequential")
      ->check(CLI::IsMember({"shuffled", "block_shuffled", "sequential"}));
  c->add_option("--block-kib", o.block_kib, "block_shuffled: KiB of rows per block (default 256)")
      ->check(CLI::Range(1, 1 << 20));
  c->add_option("--staleness", o.staleness,
                "Staleness simulator: apply each gradient TAU steps after it was computed (deterministic, "
                "needs --threads 1; default 0 = off)")
      ->check(CLI::Range(0, 1 << 24));
  c->add_option("--batch", o.batch,
                "Mini-batch size B: each worker sums the gradients of B rows at the model it reads and applies "
                "one stochastically rounded update of the sum (step not rescaled; default 1 = unbatched)")
      ->check(CLI::Range(1, 1 << 20));
  c->add_flag("--replicas", o.replicas,
              "Per-thread model replicas: each thread updates its own copy; the copies are averaged "
              "(stochastically rounded) into the shared model every --replica-sync examples per thread");
  c->add_option("--replica-sync", o.replica_sync,
                "With --replicas: examples per thread between averages (default 0 = once per epoch)")
      ->check(CLI::Range(0, 1 << 30));
  c->add_option("--data-rounding", o.data_rounding, "Quantization of fixed-point data: nearest (default) or stochastic")
      ->check(CLI::IsMember({"nearest", "stochastic"}));
  c->add_option("--step", o.step, "Step size alpha (default 0.1)")->check(CLI::PositiveNumber);
  c->add_option("--step-decay", o.step_decay, "alpha_e = alpha * decay^e, in (0, 1] (default 1)")
      ->check(CLI::Range(1e-9, 1.0));
  c->add_option("--l2", o.l2, "L2 regularisation lambda (default 1e-4)")->check(CLI::NonNegativeNumber);
  c->add_option("--model-range", o.model_range,
                "Fixed-point model range R (|w_j| <= R); default 0: 2 x max|w| of a short float run")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--epochs", o.epochs, "Epochs (default 10)")->check(CLI::Range(1, 1000000));
  c->add_option("--seed", o.seed, "Seed of every random choice (default 0)");
  c->add_option("--out", o.out, "Run log (.h5): parameters, machine, per-epoch trace, final model");
  c->add_option("--trace", o.trace, "Per-epoch trace as CSV");
  c->add_flag("--quiet", o.quiet, "No progress output");
  add_buckwild_distributed_options(c, o);
  return c;
}

int run_buckwild(const buckwild_cli_options& o) {
  if (!o.out.empty()) {
    const auto dir = std::filesystem::path(o.out).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir))
      throw option_error("--out: directory " + dir.string() + " does not exist");
  }
  if (o.dither == "nearest" && o.model_bits == 32)
    throw option_error("--dither nearest applies to a fixed-point model (--model-bits 8 or 16)");
  if (o.staleness > 0 && o.threads != 1)
    throw option_error("--staleness simulates delays deterministically on one thread: use --threads 1");
  check_buckwild_distributed_options(o);
  if (o.staleness > 0 && o.batch > 1)
    throw option_error("--staleness runs unbatched: use --batch 1");
  if (o.staleness > 0 && o.replicas) throw option_error("--staleness does not combine with --replicas");
  if (o.replica_sync > 0 && !o.replicas) throw option_error("--replica-sync needs --replicas");
  if (!o.test.empty() && !o.labels.empty() && o.test_labels.empty())
    throw option_error("--test with IDX data needs --test-labels");
  const lowp::linear_loss loss = o.loss == "least_squares" ? lowp::linear_loss::least_squares
                                 : o.loss == "hinge"       ? lowp::linear_loss::hinge
                                                           : lowp::linear_loss::logistic;
  const any_data train_data = load(o.data, o.labels, 0, o.positive_from);
  std::optional<any_data> test_data;
  if (!o.test.empty())
    test_data = load(o.test, o.test_labels, std::visit([](const auto& x) { return x.cols(); }, train_data),
                     o.positive_from);
  if (test_data && test_data->index() != train_data.index())
    throw option_error(o.test + ": test set layout (dense/sparse) differs from " + o.data);
  return std::visit(
      [&](const auto& x) -> int {
        using Data = std::decay_t<decltype(x)>;
        Data tr = o.bias ? ds::with_bias_column(x) : x;
        std::optional<Data> te;
        if (test_data) {
          Data t = std::get<Data>(*test_data);
          if (t.cols() != x.cols()) {
            if constexpr (std::is_same_v<Data, ds::csr_dataset>) {
              if (t.cols() > x.cols())
                throw option_error(o.test + ": " + std::to_string(t.cols()) + " features, the training set has " +
                                   std::to_string(x.cols()));
              t.d = x.d;
            } else {
              throw option_error(o.test + ": " + std::to_string(t.cols()) + " features, the training set has " +
                                 std::to_string(x.cols()));
            }
          }
          te = o.bias ? ds::with_bias_column(t) : t;
        }
        const Data* tp = te ? &*te : nullptr;
        if (o.dataset_bits == 8) return with_data<std::int8_t>(o, tr, tp, loss);
        if (o.dataset_bits == 16) return with_data<std::int16_t>(o, tr, tp, loss);
        return with_data<float>(o, tr, tp, loss);
      },
      train_data);
}

}  // namespace lowp_cli
