// `lowp gibbs` (see gibbs_cmd.hpp).
//
// Run log (format lowp-run-1, algorithm "gibbs"): one trace row per snapshot
//   epoch       sweeps done
//   work        single-site updates done
//   seconds     wall time at the snapshot
//   objective   mean over variables of the estimated E[x_v] (= mean P(x_v=1) for Boolean models)
//   gap         max over (v, c) of |P_t(x_v = c) - P_final(x_v = c)|: how far the running
//               estimate still was from the final one
// and /model = the final marginals P(x_v = c), variable-major (offsets from the
// cardinalities). --trace writes every snapshot's marginals as CSV
// (sweep,variable,value,p), the full "marginals over time".
#include "gibbs_cmd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lowp/datasets/uai.hpp"
#include "lowp/runs/run_log.hpp"
#include "lowp/solvers/gibbs/gibbs.hpp"
#include "lowp/solvers/gibbs/run_record.hpp"
#include "solve_cmd.hpp"  // option_error

namespace ds = lowp::datasets;
namespace fs = std::filesystem;
namespace g = lowp::gibbs;

namespace lowp_cli {
namespace {

void require_file(const std::string& what, const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw option_error(what + ": no such file: " + path);
  if (fs::is_directory(path, ec)) throw option_error(what + ": is a directory, not a file: " + path);
}

void require_output(const std::string& what, const std::string& path) {
  const fs::path dir = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw option_error(what + " " + path + ": directory " + dir.string() + " does not exist");
  if (fs::is_directory(path, ec)) throw option_error(what + " " + path + ": is a directory");
}

}  // namespace

CLI::App* add_gibbs_command(CLI::App& app, gibbs_options& o) {
  CLI::App* c = app.add_subcommand("gibbs", "Gibbs sampling of a UAI factor graph: marginals, with a run log");
  c->add_option("--model", o.model, "UAI model file (MARKOV or BAYES)")->required();
  c->add_option("--evidence", o.evidence, "UAI evidence file (its first sample is clamped)");
  c->add_option("--threads", o.threads, "Threads: 1 = sequential (default), > 1 = HOGWILD!-Gibbs (lock-free, stale reads)");
  c->add_option("--sweeps", o.sweeps, "Sweeps (one sweep = one update per free variable; default 1000)");
  c->add_option("--burn-in", o.burn_in, "Sweeps before the marginals are tallied (default 100; < --sweeps)");
  c->add_option("--thin", o.thin, "Tally in every thin-th sweep only (default 1)");
  c->add_option("--bits", o.bits, "Coin precision: 0 = double (default), 1..16 = b-bit threshold coin");
  c->add_option("--rounding", o.rounding, "b-bit threshold rounding: stochastic (unbiased; default) or nearest")
      ->check(CLI::IsMember({"stochastic", "nearest"}));
  c->add_option("--scan", o.scan, "random (default) or systematic (contiguous shard per thread)")
      ->check(CLI::IsMember({"random", "systematic"}));
  c->add_option("--tau-max", o.tau_max,
                "Simulated HOGWILD! delay: each read sees the state d ~ U{0..tau} updates ago (1 thread; deterministic)");
  c->add_option("--seed", o.seed, "Seed (default 0)");
  c->add_option("--snapshots", o.snapshots, "Marginal snapshots after burn-in, in the run log (default 20; 0 = none)");
  c->add_option("--out", o.out, "Run log (.h5): marginals over time and the final marginals");
  c->add_option("--trace", o.trace, "CSV of every snapshot's marginals: sweep,variable,value,p");
  c->add_option("--print", o.print, "Print the marginals of the first N variables (default 10)");
  c->add_flag("--quiet", o.quiet, "Only the summary line");
  return c;
}

int run_gibbs(const gibbs_options& o) {
  require_file("--model", o.model);
  if (!o.evidence.empty()) require_file("--evidence", o.evidence);
  if (o.threads < 1 || o.threads > 1024) throw option_error("--threads must be in 1..1024");
  if (o.sweeps < 1) throw option_error("--sweeps must be >= 1");
  if (o.burn_in >= o.sweeps) throw option_error("--burn-in must be < --sweeps");
  if (o.thin < 1) throw option_error("--thin must be >= 1");
  if (o.bits < 0 || o.bits > 16) throw option_error("--bits must be 0 (double) or 1..16");
  if (o.bits == 0 && o.rounding == "nearest") throw option_error("--rounding nearest needs --bits 1..16");
  if (o.tau_max > 0 && o.threads > 1) throw option_error("--tau-max simulates delays on one thread; use --threads 1");
  if (o.tau_max > (1u << 20)) throw option_error("--tau-max must be <= 1048576");
  if (o.print < 0) throw option_error("--print must be >= 0");
  if (!o.out.empty()) require_output("--out", o.out);
  if (!o.trace.empty()) require_output("--trace", o.trace);

  const ds::uai_model um = ds::read_uai(o.model);
  ds::uai_evidence ev;
  if (!o.evidence.empty()) {
    const std::vector<ds::uai_evidence> all = ds::read_uai_evidence(o.evidence, um);
    if (!all.empty()) ev = all.front();
  }
  const g::factor_graph model = g::from_uai(um, ev);

  g::options so;
  so.sweeps = o.sweeps;
  so.burn_in = o.burn_in;
  so.thin = o.thin;
  so.seed = o.seed;
  so.order = o.scan == "systematic" ? g::scan::systematic : g::scan::random;
  so.coin.bits = o.bits;
  so.coin.rounding = o.rounding == "nearest" ? g::coin_rounding::nearest : g::coin_rounding::stochastic;
  so.threads = o.threads;
  so.tau_max = o.tau_max;
  so.run = o.tau_max > 0 ? g::mode::simulated_delay : o.threads > 1 ? g::mode::hogwild : g::mode::sequential;
  if (o.snapshots > 0) so.snapshot_every = std::max<std::uint64_t>(1, (o.sweeps - o.burn_in) / o.snapshots);

  // Dobrushin's total influence: the paper's bias and mixing bounds need alpha < 1.
  double alpha = std::numeric_limits<double>::quiet_NaN();
  if (model.n_vars() <= 100000) {
    try {
      alpha = g::total_influence(model, 4096);
    } catch (const std::invalid_argument&) {
    }
  }

  lowp::runs::run_record rec = lowp::runs::make_run_record("gibbs", o.seed);
  rec.isa = "scalar";
  rec.params = {{"model", fs::path(o.model).filename().string()},
                {"evidence", o.evidence.empty() ? std::string("none") : fs::path(o.evidence).filename().string()},
                {"threads", std::int64_t(o.threads)},
                {"sweeps", std::int64_t(o.sweeps)},
                {"burn_in", std::int64_t(o.burn_in)},
                {"thin", std::int64_t(o.thin)},
                {"bits", std::int64_t(o.bits)},
                {"rounding", o.rounding},
                {"scan", o.scan},
                {"tau_max", std::int64_t(o.tau_max)},
                {"alpha", alpha}};

  const g::result r = g::sample(model, so);
  const std::vector<double> fin = r.marginals();

  std::size_t n_free = 0;
  for (std::size_t v = 0; v < model.n_vars(); ++v) n_free += model.evidence(v) < 0 ? 1 : 0;
  g::fill_run_record(model, r, rec);
  if (!o.out.empty()) lowp::runs::write_run_log(o.out, rec);
  if (!o.trace.empty()) {
    const std::string tmp = o.trace + ".tmp";
    {
      std::ofstream f(tmp);
      if (!f) throw ds::io_error(o.trace, "cannot open for writing");
      f << "sweep,variable,value,p\n";
      char buf[96];
      for (std::size_t s = 0; s < r.snapshots.size(); ++s)
        for (std::size_t v = 0; v < model.n_vars(); ++v)
          for (std::size_t k = r.offset[v]; k < r.offset[v + 1]; ++k) {
            std::snprintf(buf, sizeof buf, "%llu,%zu,%zu,%.9g\n", static_cast<unsigned long long>(r.snapshot_sweeps[s]), v,
                          k - r.offset[v], r.snapshots[s][k]);
            f << buf;
          }
      if (!f) throw ds::io_error(o.trace, "write failed");
    }
    fs::rename(tmp, o.trace);  // whole file or nothing under the real name
  }

  const char* mode_name = so.run == g::mode::hogwild ? "hogwild" : so.run == g::mode::simulated_delay ? "simulated delay" : "sequential";
  std::printf("gibbs: %zu variables (%zu free), %zu factors, %s, %d thread(s), %llu sweeps, %llu updates in %.3f s (%.4g updates/s)\n",
              model.n_vars(), n_free, model.n_factors(), mode_name, o.threads, static_cast<unsigned long long>(o.sweeps),
              static_cast<unsigned long long>(r.updates), r.seconds,
              r.seconds > 0 ? static_cast<double>(r.updates) / r.seconds : 0.0);
  if (!o.quiet) {
    if (std::isnan(alpha))
      std::printf("total influence alpha: not computed (model too large)\n");
    else
      std::printf("total influence alpha: %.4g%s\n", alpha,
                  alpha >= 1.0 ? "  (WARNING: >= 1, Dobrushin's condition fails: no rapid-mixing or low-bias guarantee)" : "");
    if (r.stuck > 0) std::printf("warning: %s\n", rec.message.c_str());
    const std::size_t show = std::min<std::size_t>(static_cast<std::size_t>(o.print), model.n_vars());
    for (std::size_t v = 0; v < show; ++v) {
      std::printf("x%zu:", v);
      for (std::size_t k = r.offset[v]; k < r.offset[v + 1]; ++k) std::printf(" %.6f", fin[k]);
      std::printf("%s\n", model.evidence(v) >= 0 ? "  (evidence)" : "");
    }
  }
  return 0;
}

}  // namespace lowp_cli
