// `lowp mf` (see mf_cmd.hpp). The run log keeps one trace row per epoch:
// objective = training RMSE, gap = test RMSE (NaN without --test), seconds =
// training time; the params say so (trace_objective / trace_gap).
#include "mf_cmd.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <CLI/CLI.hpp>

#include "lowp/datasets/ratings.hpp"
#include "lowp/runs/run_log.hpp"
#include "lowp/solvers/lowrank/mf_sgd.hpp"
#include "lowp/solvers/lowrank/run_record.hpp"
#include "solve_cmd.hpp"  // option_error

namespace ds = lowp::datasets;
namespace lr = lowp::lowrank;

namespace lowp_cli {
namespace {

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

ds::ratings load(const std::string& path, const std::string& format) {
  if (!std::filesystem::exists(path)) throw option_error("no such file: " + path);
  const bool csv = format == "csv" || (format == "auto" && ends_with(path, ".csv"));
  return csv ? ds::read_ratings_csv(path) : ds::read_movielens(path);
}

template <class Solver>
int fit(const mf_cmd_options& o, int bits) {
  ds::ratings train = load(o.data, o.format);
  ds::ratings test;
  if (!o.test.empty()) test = load(o.test, o.format);
  lowp::runs::run_record rec = lowp::runs::make_run_record("mf_sgd", o.seed);
  // The fused rating kernels pick AVX-512 at run time (solvers/lowrank/detail/mf_kernel.hpp).
  rec.isa = o.schedule != "hogwild" && lowp::lowrank::detail::mf_cpu_avx512() ? "avx512" : "scalar";
  rec.params = {{"data", o.data},
                {"test", o.test},
                {"rank", static_cast<std::int64_t>(o.rank)},
                {"bits", std::int64_t{bits}},
                {"rounding", o.rounding},
                {"schedule", o.schedule},
                {"lambda", o.lambda},
                {"step_size", o.step},
                {"epochs", static_cast<std::int64_t>(o.epochs)},
                {"threads", std::int64_t{o.threads}},
                {"blocks", static_cast<std::int64_t>(o.blocks)},
                {"biases", std::int64_t{o.biases}},
                {"trace_objective", std::string("train_rmse")},
                {"trace_gap", std::string("test_rmse")}};
  lowp::lowrank::mf_options mo;
  mo.rank = o.rank;
  mo.lambda = o.lambda;
  mo.step_size = o.step;
  mo.epochs = o.epochs;
  mo.threads = o.threads;
  mo.seed = o.seed;
  mo.biases = o.biases;
  mo.blocks = o.blocks;
  Solver solver(mo);
  std::uint64_t total_sat = 0;
  auto on_epoch = [&](const lr::mf_epoch& e) {
    lr::append_mf_epoch(rec, e, train.size(), total_sat);
    if (!o.quiet)
      std::fprintf(stderr, "epoch %3zu  train RMSE %.4f  test RMSE %.4f  %.3f s  saturations %llu\n", e.epoch,
                   e.train_rmse, e.test_rmse, e.seconds, static_cast<unsigned long long>(e.saturations));
    return false;
  };
  const lr::mf_result r = solver.fit(train, o.test.empty() ? nullptr : &test, on_epoch);
  rec.status = lowp::to_string(r.why);
  rec.message = r.message;
  if (!o.out.empty()) lowp::runs::write_run_log(o.out, rec);
  if (!o.model.empty()) {
    // Text model: "p <user> f1 .. fk" and "q <item> f1 .. fk" lines (0-based ids), LIBMF-like.
    const std::string tmp = o.model + ".tmp";
    {
      std::ofstream f(tmp);
      if (!f) throw ds::io_error(o.model, "cannot write the model");
      f << "m " << r.model.users << "\nn " << r.model.items << "\nk " << r.model.rank << "\n";
      for (std::size_t i = 0; i < r.model.users; ++i) {
        f << 'p' << i;
        for (std::size_t c = 0; c < r.model.rank; ++c) f << ' ' << r.model.P[i * r.model.rank + c];
        f << '\n';
      }
      for (std::size_t i = 0; i < r.model.items; ++i) {
        f << 'q' << i;
        for (std::size_t c = 0; c < r.model.rank; ++c) f << ' ' << r.model.Q[i * r.model.rank + c];
        f << '\n';
      }
      if (!f) throw ds::io_error(o.model, "cannot write the model");
    }
    std::filesystem::rename(tmp, o.model);
  }
  const lr::mf_epoch& last = r.trace.back();
  std::printf("mf_sgd bits %d: %s after %zu epochs, train RMSE %.4f, test RMSE %.4f, %.3f s, %.3g updates/s, "
              "saturations %llu\n",
              bits, lowp::to_string(r.why), last.epoch, last.train_rmse, last.test_rmse, r.seconds,
              r.seconds > 0 ? static_cast<double>(r.updates) / r.seconds : 0.0,
              static_cast<unsigned long long>(r.saturations));
  if (r.why == lowp::status::diverged) {
    std::fprintf(stderr, "lowp: %s\n", r.message.c_str());
    return 3;
  }
  return 0;
}

template <class Format, class Rounding>
int by_schedule(const mf_cmd_options& o, int bits) {
  if (o.schedule == "hogwild") return fit<lr::mf_sgd<Format, Rounding, lr::hogwild>>(o, bits);
  return fit<lr::mf_sgd<Format, Rounding, lr::blocked>>(o, bits);
}
template <class Format>
int by_rounding(const mf_cmd_options& o, int bits) {
  if (o.rounding == "nearest") return by_schedule<Format, lowp::round::nearest_even>(o, bits);
  return by_schedule<Format, lowp::round::stochastic<>>(o, bits);
}

}  // namespace

CLI::App* add_mf_command(CLI::App& app, mf_cmd_options& o) {
  CLI::App* c = app.add_subcommand("mf", "Matrix factorization of ratings by SGD (LIBMF-style), float/16/8-bit factors");
  c->add_option("--data", o.data, "Training ratings: MovieLens 'user item rating ts' (tabs) or user,item,rating CSV")
      ->required();
  c->add_option("--test", o.test, "Test ratings (same format): test RMSE per epoch");
  c->add_option("--format", o.format, "auto (by extension: .csv = CSV, else MovieLens), movielens or csv")
      ->check(CLI::IsMember({"auto", "movielens", "csv"}));
  c->add_option("--rank,-k", o.rank, "Number of latent factors k (default 64)")->check(CLI::Range(1, 4096));
  c->add_option("--bits", o.bits, "Factor storage: 32 (float), 16 or 8 (fixed point, dynamic scale)")
      ->check(CLI::IsMember({8, 16, 32}));
  c->add_option("--rounding", o.rounding, "stochastic (default) or nearest")
      ->check(CLI::IsMember({"stochastic", "nearest"}));
  c->add_option("--schedule", o.schedule, "blocked (conflict-free blocks, default) or hogwild")
      ->check(CLI::IsMember({"blocked", "hogwild"}));
  c->add_option("--epochs", o.epochs, "Passes over the ratings (default 20)")->check(CLI::Range(1, 100000));
  c->add_option("--lambda", o.lambda, "L2 regularization (default 0.1)")->check(CLI::NonNegativeNumber);
  c->add_option("--step", o.step, "AdaGrad base step eta (default 0.1)")->check(CLI::PositiveNumber);
  c->add_option("--threads", o.threads, "Worker threads (default 1)")->check(CLI::Range(1, 1024));
  c->add_option("--blocks", o.blocks, "Grid size b (b x b blocks; default max(20, 2 threads))")
      ->check(CLI::Range(0, 10000));
  c->add_flag("--biases", o.biases, "Add global mean and user/item biases");
  c->add_option("--seed", o.seed, "Seed for every random choice (default 0)");
  c->add_option("--out", o.out, "HDF5 run log (train/test RMSE per epoch)");
  c->add_option("--model", o.model, "Write the factors as text");
  c->add_flag("--quiet,-q", o.quiet, "No per-epoch lines on stderr");
  return c;
}

int run_mf(const mf_cmd_options& o) {
  if (o.bits == 32 && o.rounding != "stochastic")
    throw option_error("--rounding applies to --bits 8 or 16 only (float factors are not rounded)");
  if (!o.out.empty() && !ends_with(o.out, ".h5")) throw option_error("--out must end in .h5: " + o.out);
  if (!o.out.empty() && o.out == o.data) throw option_error("--out would overwrite --data");
  switch (o.bits) {
    case 8: return by_rounding<lowp::fixed<8, lowp::dynamic_scale>>(o, 8);
    case 16: return by_rounding<lowp::fixed<16, lowp::dynamic_scale>>(o, 16);
    default: return by_schedule<float, lowp::round::stochastic<>>(o, 32);
  }
}

}  // namespace lowp_cli
