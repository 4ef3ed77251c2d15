// `lowp sgd|svrg|halp` (see solve_cmd.hpp). One runtime dispatch over data
// layout x loss x number format into the solver templates; everything else
// (logs, checkpoints, accuracy) is shared.
#include "solve_cmd.hpp"
#include "load_data.hpp"
#include "fit_summary.hpp"
#include "distributed_cmd.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "lowp/callbacks.hpp"
#include "lowp/datasets/hdf5.hpp"
#include "lowp/datasets/idx.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "lowp/datasets/quantized.hpp"
#include "lowp/kernels/dispatch.hpp"
#include "lowp/runs/checkpoint_callback.hpp"
#include "lowp/runs/run_log_callback.hpp"
#include "lowp/solvers/solvers.hpp"

namespace ds = lowp::datasets;

namespace lowp_cli {
namespace {


lowp::runs::param_list params_of(const solve_options& o, int bits) {
  return {{"data", o.data},
          {"loss", o.loss},
          {"bits", std::int64_t{bits}},
          {"rounding", o.rounding},
          {"l2", o.l2},
          {"step_size", o.step},
          {"epoch_length", static_cast<std::int64_t>(o.epoch_length)},
          {"mu", o.mu},
          {"delta", o.delta},
          {"threads", std::int64_t{o.threads}},
          {"inner_threads", static_cast<std::int64_t>(o.inner_threads)},
          {"bias", std::int64_t{o.bias}},
          {"quantize_data", std::int64_t{o.quantize_data}}};
}

// Parameters that must agree between a checkpoint and the run resuming it.
void check_resumable(const lowp::runs::checkpoint& c, const solve_options& o, int bits) {
  if (c.algorithm != o.algorithm)
    throw option_error(o.resume + ": checkpoint of '" + c.algorithm + "', not '" + o.algorithm + "'");
  if (c.seed != o.seed)
    throw option_error(o.resume + ": checkpoint has seed " + std::to_string(c.seed) + ", --seed is " +
                                std::to_string(o.seed));
  const auto now = params_of(o, bits);
  for (const auto& [k, v] : now) {
    // Full passes are deterministic across thread counts; inner_threads > 1 cannot resume (run_solve).
    if (k == "threads" || k == "inner_threads") continue;
    bool found = false;
    for (const auto& [k2, v2] : c.params)
      if (k2 == k) {
        found = true;
        if (v2 != v) throw option_error(o.resume + ": parameter '" + k + "' differs from the checkpoint");
      }
    if (!found) throw option_error(o.resume + ": checkpoint lacks parameter '" + k + "'");
  }
}

template <class Solver, class F>
int train(const Solver& solver, const F& f, const F* test, const solve_options& o, int bits) {
  std::vector<double> w(f.dimension(), 0.0);
  lowp::resume_point rp;
  lowp::runs::run_record base = lowp::runs::make_run_record(o.algorithm, o.seed);
  base.isa = lowp::kernels::name(lowp::kernels::best().id);
  base.params = params_of(o, bits);
  lowp::runs::checkpoint from;
  if (!o.resume.empty()) {
    from = lowp::runs::read_checkpoint(o.resume);
    check_resumable(from, o, bits);
    if (from.model.size() != w.size())
      throw option_error(o.resume + ": checkpoint model has " + std::to_string(from.model.size()) +
                                  " weights, the problem has " + std::to_string(w.size()));
    w = from.model;
    rp = lowp::runs::resume_point_from(from);
    base.trace = from.trace;
    if (rp.first_epoch >= o.epochs)
      throw option_error(o.resume + ": the checkpoint is at epoch " + std::to_string(rp.first_epoch) +
                                  "; raise --epochs to continue");
  }

  // Optional pieces, each absent when not asked for (callbacks::if_present).
  std::optional<lowp::callbacks::progress_bar> bar;
  if (!o.quiet) bar.emplace(stderr);
  std::optional<lowp::runs::run_log_writer> log;
  if (!o.out.empty()) log.emplace(o.out, base);
  std::optional<lowp::runs::checkpoint_writer> ck;
  if (!o.checkpoint.empty()) {
    if (!o.resume.empty() && o.checkpoint == o.resume)
      ck.emplace(o.checkpoint, from);
    else if (!o.resume.empty()) {
      lowp::runs::checkpoint c = from;
      ck.emplace(o.checkpoint, std::move(c));
    } else
      ck.emplace(o.checkpoint, o.algorithm, o.seed, params_of(o, bits));
  }
  std::optional<lowp::callbacks::trace_to_csv> csv;
  if (!o.trace.empty()) csv.emplace(o.trace);
  lowp::callbacks::time_limit limit(o.time_limit > 0 ? o.time_limit : 1e300);


  using lowp::callbacks::if_present;
  auto cb_bar = if_present(bar);
  auto cb_log = if_present(log);
  auto cb_ck = if_present(ck);
  auto cb_csv = if_present(csv);
  const lowp::report r = o.resume.empty() ? solver.optimize(f, w, cb_bar, cb_log, cb_ck, cb_csv, limit)
                                          : solver.resume(f, w, rp, cb_bar, cb_log, cb_ck, cb_csv, limit);
  std::printf("%s: %s after %zu epochs, f = %.12g, |grad f| = %.3g, %.3f s, %llu saturations, %llu example gradients\n",
              o.algorithm.c_str(), lowp::to_string(r.why), r.epochs, r.objective, r.full_gradient_norm, r.seconds,
              static_cast<unsigned long long>(r.saturations), static_cast<unsigned long long>(r.work));
  if (!r.message.empty()) std::printf("  %s\n", r.message.c_str());
  print_fit_summary(f, test, w, o.loss);
  return r.why == lowp::status::diverged ? 3 : 0;
}

template <class F>
int pick_solver(const F& f, const F* test, const solve_options& o) {
  using q8 = lowp::fixed<8, lowp::dynamic_scale>;
  using q16 = lowp::fixed<16, lowp::dynamic_scale>;
  using lowp::round::nearest_even;
  using sr = lowp::round::stochastic<>;
  const int bits = o.bits >= 0 ? o.bits : (o.algorithm == "halp" ? 8 : 0);
  const bool nearest = o.rounding == "nearest";
  lowp::solver_options so{.step_size = o.step,
                          .epoch_length = o.epoch_length,
                          .epochs = o.epochs,
                          .tolerance = o.tolerance,
                          .seed = o.seed,
                          .mu = o.mu,
                          .delta = o.delta,
                          .step_decay = o.step_decay,
                          .inner_threads = o.inner_threads};
  if (o.inner_threads > 1 && o.algorithm == "sgd")
    throw option_error("--inner-threads applies to svrg and halp (the SVRG family's inner loop)");
  if (o.inner_threads > 1 && !o.resume.empty())
    throw option_error("--inner-threads > 1 runs are not bit-reproducible, so they cannot resume a checkpoint exactly; "
                       "use --inner-threads 1 with --resume");
  const lowp::parallel::openmp ex{o.threads};
  using E = lowp::parallel::openmp;
  if (bits != 0 && bits != 8 && bits != 16 && !(bits == 32 && o.algorithm == "svrg"))
    throw option_error("--bits must be 0 (double), 8 or 16 (and 32 = float32 for svrg)");
  if (nearest && (bits == 0 || bits == 32))
    throw option_error("--rounding nearest applies to 8 or 16 bits only");
  if (o.algorithm != "halp" && bits > 0 && bits < 32 && !(o.delta > 0))
    throw option_error("LP-" + o.algorithm + " (--bits " + std::to_string(bits) +
                                ") needs --delta, the fixed grid step");
  if (o.algorithm == "sgd") {
    if (nearest) throw option_error("sgd: --rounding nearest is not offered (use halp for the ablation)");
    if (bits == 0) return train(lowp::sgd<double, sr, E>(so, ex), f, test, o, bits);
    if (bits == 8) return train(lowp::sgd<q8, sr, E>(so, ex), f, test, o, bits);
    return train(lowp::sgd<q16, sr, E>(so, ex), f, test, o, bits);
  }
  if (o.algorithm == "svrg") {
    if (nearest) throw option_error("svrg: --rounding nearest is not offered (use halp for the ablation)");
    if (bits == 0) return train(lowp::svrg<double, sr, E>(so, ex), f, test, o, bits);
    if (bits == 32) return train(lowp::svrg<float, sr, E>(so, ex), f, test, o, bits);
    if (bits == 8) return train(lowp::svrg<q8, sr, E>(so, ex), f, test, o, bits);
    return train(lowp::svrg<q16, sr, E>(so, ex), f, test, o, bits);
  }
  if (bits == 0) return train(lowp::halp<double, sr, E>(so, ex), f, test, o, bits);
  if (bits == 8)
    return nearest ? train(lowp::halp<q8, nearest_even, E>(so, ex), f, test, o, bits)
                   : train(lowp::halp<q8, sr, E>(so, ex), f, test, o, bits);
  return nearest ? train(lowp::halp<q16, nearest_even, E>(so, ex), f, test, o, bits)
                 : train(lowp::halp<q16, sr, E>(so, ex), f, test, o, bits);
}

template <class Data, class Loss>
int with_objective(const Data& train_data, const Data* test_data, Loss loss, const solve_options& o) {
  using F = lowp::objectives::linear_model<Loss, Data>;
  F f(train_data, o.l2, loss);
  f.set_optimum(o.f_star);
  std::optional<F> t;
  if (test_data != nullptr) t.emplace(*test_data, o.l2, loss);
  return pick_solver(f, t ? &*t : nullptr, o);
}

template <class Data>
int with_loss(const Data& train_data, const Data* test_data, const solve_options& o) {
  if (o.loss == "least_squares") return with_objective(train_data, test_data, lowp::objectives::squared_loss{}, o);
  if (o.loss == "logistic") return with_objective(train_data, test_data, lowp::objectives::logistic_loss{}, o);
  std::size_t k = o.classes;
  if (k == 0)
    for (float y : train_data.y) k = std::max(k, static_cast<std::size_t>(std::max(0.0f, y)) + 1);
  if (k < 2) throw option_error("softmax needs at least 2 classes (--classes)");
  return with_objective(train_data, test_data, lowp::objectives::softmax_loss{k}, o);
}

}  // namespace

CLI::App* add_solve_command(CLI::App& app, const std::string& algorithm, solve_options& o) {
  const char* what = algorithm == "halp"   ? "HALP: SVRG with a bit-centred low-precision inner loop (arXiv 1803.03383)"
                     : algorithm == "svrg" ? "SVRG (and LP-SVRG with --bits 8|16 --delta)"
                                           : "SGD (and LP-SGD with --bits 8|16 --delta)";
  o.algorithm = algorithm;
  CLI::App* c = app.add_subcommand(algorithm, what);
  c->add_option("--data", o.data, "Training set: LIBSVM text, .h5 (dense or CSR), or IDX images with --labels")
      ->required();
  c->add_option("--test", o.test, "Test set in the same format; prints test accuracy (or objective)");
  c->add_option("--labels", o.labels, "IDX labels file for --data");
  c->add_option("--test-labels", o.test_labels, "IDX labels file for --test");
  c->add_option("--loss", o.loss, "least_squares, logistic (default; labels -1/+1 or 0/1) or softmax (labels 0..K-1)")
      ->check(CLI::IsMember({"least_squares", "logistic", "softmax"}));
  c->add_option("--classes", o.classes, "softmax: number of classes (default: largest label + 1)");
  c->add_flag("--bias", o.bias, "Append a constant-1 feature (an intercept, regularised like the rest)");
  c->add_option("--l2", o.l2, "L2 regularisation lambda (default 1e-4)")->check(CLI::NonNegativeNumber);
  c->add_option("--bits", o.bits,
                "Iterate width: 0 = double, 8 or 16 = fixed point (halp default 8; LP-SGD/LP-SVRG), 32 = float32 "
                "(svrg)");
  c->add_option("--rounding", o.rounding, "stochastic (default) or nearest (halp ablation)")
      ->check(CLI::IsMember({"stochastic", "nearest"}));
  c->add_option("--step", o.step, "Step size alpha (default 0: 0.2 / L_max)")->check(CLI::NonNegativeNumber);
  c->add_option("--epochs", o.epochs, "Outer iterations (epochs for sgd); default 20")->check(CLI::PositiveNumber);
  c->add_option("--epoch-length", o.epoch_length, "Inner steps per outer iteration (default 2N; sgd N)");
  c->add_option("--mu", o.mu, "halp: scale denominator mu (default: the objective's strong-convexity bound)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--delta", o.delta, "LP-SGD / LP-SVRG: fixed grid step")->check(CLI::NonNegativeNumber);
  c->add_option("--f-star", o.f_star, "Known optimum f*: the trace then records the gap f - f*");
  c->add_option("--tolerance", o.tolerance, "Stop when |grad f| <= this (default 0: run every epoch)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--step-decay", o.step_decay, "sgd: alpha / (1 + decay * epoch)")->check(CLI::NonNegativeNumber);
  c->add_option("--time-limit", o.time_limit, "Stop after this many seconds (checked per epoch)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--seed", o.seed, "Seed of every random choice (default 0)");
  c->add_option("--threads", o.threads, "Threads for the full-gradient passes (results do not depend on it)")
      ->check(CLI::Range(1, 1024));
  c->add_option("--inner-threads", o.inner_threads,
                "svrg/halp: threads sharing the inner loop, Hogwild!-style (default 1: sequential and "
                "bit-reproducible; > 1 runs the double reference loop and is not reproducible)")
      ->check(CLI::Range(1, 1024));
  c->add_option("--out", o.out, "Run log (.h5): parameters, machine, per-epoch trace, final model");
  c->add_option("--trace", o.trace, "Per-epoch trace as CSV");
  c->add_option("--checkpoint", o.checkpoint, "Checkpoint file (.h5) rewritten after every epoch");
  c->add_option("--resume", o.resume, "Continue from a checkpoint (same data and parameters; raise --epochs)");
  c->add_flag("--quiet", o.quiet, "No progress output");
  if (algorithm != "sgd") add_distributed_options(c, o);
  return c;
}

int run_solve(const solve_options& o) {
  if (o.distributed) return run_distributed(o);
  if (o.comm_bits != 0) throw option_error("--comm-bits applies to --distributed runs");
  const any_data train_data = load_data(o.data, o.labels, 0);
  std::optional<any_data> test_data;
  if (!o.test.empty()) test_data = load_data(o.test, o.test_labels, cols(train_data));
  if (test_data && test_data->index() != train_data.index())
    throw option_error(o.test + ": test set layout (dense/sparse) differs from " + o.data);
  return std::visit(
      [&](const auto& x) -> int {
        using D = std::decay_t<decltype(x)>;
        D tr = o.bias ? ds::with_bias_column(x) : x;
        std::optional<D> te;
        if (test_data) {
          D t = std::get<D>(*test_data);
          if (t.cols() > x.cols())
            throw option_error(o.test + ": " + std::to_string(t.cols()) + " features, the training set has " +
                                        std::to_string(x.cols()));
          if constexpr (std::is_same_v<D, ds::csr_dataset>) t.d = x.d;
          te = o.bias ? ds::with_bias_column(t) : t;
        }
        return with_loss(tr, te ? &*te : nullptr, o);
      },
      train_data);
}

}  // namespace lowp_cli
