// gibbs_bias: the bias measurements of De Sa, Olukotun, Re (ICML 2016) on
// this library's sampler (spec gibbs.md B.5), as CSV + PNG (gnuplot):
//   delay      4x4 Ising torus (beta 0.2, h 0.1, alpha 0.79): marginal bias
//              of simulated HOGWILD!-Gibbs against exact enumeration, for
//              tau_max in {0, 1, 2, ..., 256} (reads d ~ U{0..tau_max} updates old)
//   size       1-D ring (beta 0.4, h 0.1, alpha 0.76), tau_max 32: bias
//              against the transfer-matrix marginal for n = 16 .. 1024; the
//              paper's bound falls like 1/n (up to log n)
//   precision  4x4 torus, sequential Gibbs with a b-bit coin: round-to-
//              nearest threshold vs stochastically rounded threshold, b = 2..16
//   mixing     heat-bath grand coupling on Ising tori: coalescence time
//              against the Dobrushin bound n/(1-alpha) ln(n/0.05)
//   threads    grid kernel throughput (updates/s) on an N x N torus, 1 and 2
//              threads, float24 vs lp16 coin, chromatic vs hogwild
// delay, size and precision also write one HDF5 run log per sampler run
// under OUT/runs/ (marginal error over time; final marginals as the model).
// Usage: gibbs_bias [--only delay|size|precision|mixing|threads] [--out DIR] [--quick] [--no-plot] [--no-runs]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "run_program.hpp"  // tools/
#include "lowp/runs/run_log.hpp"
#include "lowp/solvers/gibbs/gibbs.hpp"
#include "lowp/solvers/gibbs/grid.hpp"

namespace g = lowp::gibbs;
namespace fs = std::filesystem;

namespace {

struct stats {
  double signed_bias = 0.0, mean_abs = 0.0, max_abs = 0.0, se = 0.0;
};

// Spin-averaged signed bias (all spins share one exact marginal by symmetry),
// per-spin mean/max |dP| of the run-averaged marginals, and the standard
// error of the signed bias over the runs.
// Where and under what name each sampler run's HDF5 run log goes (empty dir: none).
struct run_tag {
  fs::path dir;
  std::string name;           // file stem; "_seed<k>.h5" is appended
  lowp::runs::param_list params;  // the point's settings (tau_max, bits, ...)
};

// The run log of one sampler run: the trace holds the marginals over time
// (objective = signed bias of P(x=1) averaged over spins, gap = mean |dP|
// against the exact marginals, from the tallies at each snapshot); the model
// is the final estimate of P(x_v = 1) that the CSV's statistics use.
void write_run(const run_tag& tag, const g::options& o, const g::result& r, const std::vector<double>& p,
               const std::vector<double>& exact_p1) {
  if (tag.dir.empty()) return;
  lowp::runs::run_record rec = lowp::runs::make_run_record("gibbs", o.seed);
  rec.isa = "scalar";
  rec.params = tag.params;
  rec.params.push_back({"mode", std::string(o.run == g::mode::simulated_delay ? "simulated_delay" : "sequential")});
  rec.params.push_back({"tau_max", std::int64_t(o.tau_max)});
  rec.params.push_back({"coin_bits", std::int64_t(o.coin.bits)});
  rec.params.push_back({"coin_rounding", std::string(o.coin.rounding == g::coin_rounding::nearest ? "nearest" : "stochastic")});
  rec.params.push_back({"sweeps", std::int64_t(o.sweeps)});
  rec.params.push_back({"burn_in", std::int64_t(o.burn_in)});
  rec.params.push_back({"rao_blackwell", std::int64_t(o.rao_blackwell)});
  const std::size_t n = exact_p1.size();
  for (std::size_t s = 0; s < r.snapshots.size(); ++s) {
    lowp::runs::trace_row row;
    row.epoch = r.snapshot_sweeps[s];
    row.work = r.snapshot_sweeps[s] * n;
    row.seconds = r.snapshot_seconds[s];
    double bias = 0.0, mad = 0.0;
    for (std::size_t v = 0; v < n; ++v) {
      const double d = r.snapshots[s][r.offset[v] + 1] - exact_p1[v];
      bias += d / static_cast<double>(n);
      mad += std::abs(d) / static_cast<double>(n);
    }
    row.objective = bias;
    row.gap = mad;
    rec.trace.push_back(row);
  }
  rec.model = p;
  rec.status = "max_epochs";
  if (r.stuck > 0) rec.message = std::to_string(r.stuck) + " updates kept the old value (all-zero conditional)";
  lowp::runs::write_run_log((tag.dir / (tag.name + "_seed" + std::to_string(o.seed) + ".h5")).string(), rec);
}

template <class Model>
stats measure(const Model& m, const std::vector<double>& exact_p1, g::options o, int runs, std::uint64_t updates,
              const run_tag& tag) {
  const std::size_t n = m.n_vars();
  o.sweeps = updates / n;
  o.burn_in = o.sweeps / 10;
  if (!tag.dir.empty()) o.snapshot_every = std::max<std::uint64_t>(1, o.sweeps / 20);
  std::vector<double> avg(n, 0.0), per_run;
  for (int k = 0; k < runs; ++k) {
    o.seed = 1000 + static_cast<std::uint64_t>(k);
    const g::result r = g::sample(m, o);
    const std::vector<double> p = o.rao_blackwell ? r.rb_p_one() : r.p_one();
    write_run(tag, o, r, p, exact_p1);
    double b = 0.0;
    for (std::size_t v = 0; v < n; ++v) {
      avg[v] += p[v] / runs;
      b += (p[v] - exact_p1[v]) / static_cast<double>(n);
    }
    per_run.push_back(b);
  }
  stats s;
  for (std::size_t v = 0; v < n; ++v) {
    const double d = avg[v] - exact_p1[v];
    s.signed_bias += d / static_cast<double>(n);
    s.mean_abs += std::abs(d) / static_cast<double>(n);
    s.max_abs = std::max(s.max_abs, std::abs(d));
  }
  if (runs > 1) {
    double var = 0.0;
    for (double b : per_run) var += (b - s.signed_bias) * (b - s.signed_bias) / (runs - 1);
    s.se = std::sqrt(var / runs);
  }
  return s;
}

double ring_exact(std::size_t n, double beta, double h) {
  const double sg[2] = {1.0, -1.0};
  double T[2][2], P[2][2] = {{1.0, 0.0}, {0.0, 1.0}};
  for (int a = 0; a < 2; ++a)
    for (int c = 0; c < 2; ++c) T[a][c] = std::exp(beta * sg[a] * sg[c] + h * (sg[a] + sg[c]) / 2.0);
  for (std::size_t k = 0; k < n; ++k) {
    double Q[2][2];
    for (int a = 0; a < 2; ++a)
      for (int c = 0; c < 2; ++c) Q[a][c] = (P[a][0] * T[0][c] + P[a][1] * T[1][c]) / T[0][0];  // rescaled
    for (int a = 0; a < 2; ++a)
      for (int c = 0; c < 2; ++c) P[a][c] = Q[a][c];
  }
  return P[0][0] / (P[0][0] + P[1][1]);
}

// Process CPU seconds (all threads): updates per CPU-second is the per-core
// rate even when other processes share the cores.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void plot(const std::string& script, bool enabled) {
  if (!enabled) return;
  if (lowp_tools::run_program({"gnuplot", "-e", script}) != 0)
    std::fprintf(stderr, "gibbs_bias: gnuplot failed or is missing (CSV written): gnuplot -e '%s'\n", script.c_str());
}

FILE* open_csv(const fs::path& p, const char* header) {
  FILE* f = std::fopen(p.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "gibbs_bias: cannot write %s\n", p.c_str());
    std::exit(1);
  }
  std::fprintf(f, "%s\n", header);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gibbs_bias: asynchronous and low-precision Gibbs bias (De Sa et al. 2016)"};
  std::string only = "all", out = "experiments/gibbs_bias/results";
  bool quick = false, no_plot = false, plot_only = false, no_runs = false;
  std::size_t grid_n = 1000;
  app.add_option("--only", only, "delay, size, precision, mixing, threads or all (default)")
      ->check(CLI::IsMember({"all", "delay", "size", "precision", "threads", "mixing"}));
  app.add_option("--out", out, "Output directory (default experiments/gibbs_bias/results)");
  app.add_option("--grid", grid_n, "threads: grid side (default 1000)");
  app.add_flag("--quick", quick, "10x fewer updates (a smoke test)");
  app.add_flag("--no-plot", no_plot, "CSV only");
  app.add_flag("--no-runs", no_runs, "No HDF5 run logs (default: one per sampler run under OUT/runs/)");
  app.add_flag("--plot-only", plot_only, "Redraw the PNGs from the CSVs already in --out");
  CLI11_PARSE(app, argc, argv);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!fs::is_directory(out)) {
    std::fprintf(stderr, "gibbs_bias: cannot create %s\n", out.c_str());
    return 2;
  }
  const std::uint64_t scale = quick ? 10 : 1;
  const fs::path dir(out);
  const bool all = only == "all";
  const fs::path runs_dir = no_runs || plot_only ? fs::path() : dir / "runs";
  if (!runs_dir.empty()) {
    fs::create_directories(runs_dir, ec);
    if (!fs::is_directory(runs_dir)) {
      std::fprintf(stderr, "gibbs_bias: cannot create %s\n", runs_dir.c_str());
      return 2;
    }
  }
  auto tag = [&](std::string name, lowp::runs::param_list params) {
    return run_tag{runs_dir, std::move(name), std::move(params)};
  };

  const g::ising_model torus = g::make_ising_torus(4, 4, 0.2, 0.1);
  std::vector<double> torus_exact(16);
  {
    const std::vector<double> m = g::exact_marginals(torus);
    for (std::size_t v = 0; v < 16; ++v) torus_exact[v] = m[2 * v + 1];
  }

  if (all || only == "delay") {
    const fs::path csv = dir / "bias_vs_delay.csv";
    if (!plot_only) {
      FILE* f = open_csv(csv, "tau_max,mean_delay,signed_bias,se,mean_abs_dP,max_abs_dP,updates");
      for (std::uint32_t tau : {0u, 1u, 2u, 4u, 8u, 16u, 32u, 64u, 128u, 256u}) {
        g::options o;
        o.run = tau ? g::mode::simulated_delay : g::mode::sequential;
        o.tau_max = tau;
        o.rao_blackwell = true;
        const std::uint64_t upd = 40'000'000 / scale;
        const stats s = measure(torus, torus_exact, o, 2, upd / 2,
                                tag("delay_tau" + std::to_string(tau), {{"experiment", std::string("delay")},
                                                                         {"model", std::string("ising_torus_4x4_b0.2_h0.1")}}));
        std::fprintf(f, "%u,%g,%.6g,%.3g,%.6g,%.6g,%llu\n", tau, tau / 2.0, s.signed_bias, s.se, s.mean_abs, s.max_abs,
                     static_cast<unsigned long long>(upd));
        std::printf("delay tau_max %3u: bias %.3g (se %.2g) mean|dP| %.3g max %.3g\n", tau, s.signed_bias, s.se, s.mean_abs,
                    s.max_abs);
        std::fflush(stdout);
      }
      std::fclose(f);
    }
    plot("set terminal pngcairo noenhanced size 800,560; set output \"" + (dir / "bias_vs_delay.png").string() +
             "\"; set datafile separator \",\"; set logscale x 2; set logscale y; set xlabel \"tau_max (reads d ~ U{0..tau_max} updates old)\";"
             " set ylabel \"marginal error\"; set title \"4x4 Ising torus, beta 0.2, h 0.1: simulated HOGWILD!-Gibbs bias\"; set key top left;"
             " plot \"" + csv.string() + "\" every ::2 using 1:3:4 with yerrorlines title \"signed bias (spin average) +- se\","
             " \"\" every ::2 using 1:5 with linespoints title \"mean |dP| per spin\","
             " \"\" every ::1::1 using (1):5 with points pt 7 title \"sequential (tau_max 0) mean |dP|, drawn at x = 1: the noise floor\"",
         !no_plot);
  }

  if (all || only == "size") {
    const fs::path csv = dir / "bias_vs_size.csv";
    if (!plot_only) {
      FILE* f = open_csv(csv, "n,tau_max,signed_bias,se,n_times_bias,seq_bias,seq_se,updates");
      for (std::size_t n : {16u, 32u, 64u, 128u, 256u, 512u, 1024u}) {
        const g::ising_model ring = g::make_ising_ring(n, 0.4, 0.1);
        const std::vector<double> ex(n, ring_exact(n, 0.4, 0.1));
        g::options o;
        o.rao_blackwell = true;
        const std::uint64_t upd = 40'000'000 / scale;
        const lowp::runs::param_list pl = {{"experiment", std::string("size")},
                                           {"model", "ising_ring_" + std::to_string(n) + "_b0.4_h0.1"}};
        const stats seq = measure(ring, ex, o, 2, upd / 2, tag("size_n" + std::to_string(n) + "_sequential", pl));
        o.run = g::mode::simulated_delay;
        o.tau_max = 32;
        const stats s = measure(ring, ex, o, 4, upd / 4, tag("size_n" + std::to_string(n) + "_tau32", pl));
        std::fprintf(f, "%zu,32,%.6g,%.3g,%.6g,%.6g,%.3g,%llu\n", n, s.signed_bias, s.se, n * s.signed_bias, seq.signed_bias,
                     seq.se, static_cast<unsigned long long>(upd));
        std::printf("size n %4zu: bias %.3g (se %.2g)  n*bias %.3g  sequential %.3g (se %.2g)\n", n, s.signed_bias, s.se,
                    n * s.signed_bias, seq.signed_bias, seq.se);
        std::fflush(stdout);
      }
      std::fclose(f);
    }
    plot("set terminal pngcairo noenhanced size 800,560; set output \"" + (dir / "bias_vs_size.png").string() +
             "\"; set datafile separator \",\"; set logscale x 2; set logscale y 10; set format y \"%.0e\"; set yrange [1e-5:1e-2]; set xlabel \"ring size n\"; set ylabel \"bias of the average marginal\";"
             " set title \"1-D ring, beta 0.4, h 0.1, tau_max 32 (E[tau] 16)\"; set key top right;"
             " plot \"" + csv.string() + "\" using 1:(abs($3)):4 with yerrorlines title \"|bias| +- se (simulated delay)\","
             " \"\" using 1:(abs($6)) with linespoints title \"|bias| sequential (noise floor)\","
             " 0.04/x title \"0.04 / n\"",
         !no_plot);
  }

  if (all || only == "precision") {
    const fs::path csv = dir / "precision_vs_bias.csv";
    if (!plot_only) {
      FILE* f = open_csv(csv, "bits,rounding,signed_bias,se,mean_abs_dP,max_abs_dP,updates");
      for (const char* rnd : {"nearest", "stochastic"}) {
        for (int bits : {2, 3, 4, 5, 6, 7, 8, 10, 12, 16}) {
          g::options o;
          o.coin.bits = bits;
          o.coin.rounding = std::string(rnd) == "nearest" ? g::coin_rounding::nearest : g::coin_rounding::stochastic;
          // The same 4 seeds for every (bits, rounding): common random numbers,
          // so the runs of different settings share most of their noise.
          const std::uint64_t upd = 40'000'000 / scale;
          const stats s = measure(torus, torus_exact, o, 4, upd / 4,
                                  tag("precision_b" + std::to_string(bits) + "_" + rnd,
                                      {{"experiment", std::string("precision")},
                                       {"model", std::string("ising_torus_4x4_b0.2_h0.1")}}));
          std::fprintf(f, "%d,%s,%.6g,%.3g,%.6g,%.6g,%llu\n", bits, rnd, s.signed_bias, s.se, s.mean_abs, s.max_abs,
                       static_cast<unsigned long long>(upd));
          std::printf("precision %2d bits %-10s: bias %.3g (se %.2g) mean|dP| %.3g\n", bits, rnd, s.signed_bias, s.se,
                      s.mean_abs);
          std::fflush(stdout);
        }
      }
      std::fclose(f);
    }
    plot("set terminal pngcairo noenhanced size 800,560; set output \"" + (dir / "precision_vs_bias.png").string() +
             "\"; set datafile separator \",\"; set logscale y; set xlabel \"coin bits b\"; set ylabel \"mean |dP| per spin\";"
             " set title \"4x4 Ising torus, sequential Gibbs with a b-bit coin\"; set key top right;"
             " plot \"< grep nearest " + csv.string() + "\" using 1:5 with linespoints title \"round-to-nearest threshold\","
             " \"< grep stochastic " + csv.string() + "\" using 1:5 with linespoints title \"stochastically rounded threshold\"",
         !no_plot);
  }

  if (all || only == "mixing") {
    const fs::path csv = dir / "mixing_vs_bound.csv";
    if (!plot_only) {
      FILE* f = open_csv(csv, "side,beta,n,alpha,runs,median_updates,max_updates,bound,within_bound");
      struct cfg {
        std::size_t side;
        double beta;
        int runs;
      };
      for (const cfg c : {cfg{16, 0.1, 40}, cfg{16, 0.2, 40}, cfg{32, 0.1, 40}, cfg{32, 0.2, 40}, cfg{32, 0.24, 20},
                          cfg{64, 0.2, 20}, cfg{100, 0.2, 10}}) {
        const g::ising_model m = g::make_ising_torus(c.side, c.side, c.beta, 0.0);
        const double n = static_cast<double>(c.side * c.side), alpha = m.total_influence();
        const double bound = n / (1.0 - alpha) * std::log(n / 0.05);
        const int runs = quick ? std::max(2, c.runs / 10) : c.runs;
        std::vector<double> t;
        int within = 0;
        for (int k = 0; k < runs; ++k) {
          t.push_back(static_cast<double>(g::coalescence_time(m, 500 + static_cast<std::uint64_t>(k), 100'000'000)));
          within += t.back() <= bound ? 1 : 0;
        }
        std::sort(t.begin(), t.end());
        const double med = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
        std::fprintf(f, "%zu,%g,%g,%.4f,%d,%.0f,%.0f,%.0f,%d\n", c.side, c.beta, n, alpha, runs, med, t.back(), bound, within);
        std::printf("mixing %zux%zu beta %g (alpha %.3f): median %.0f max %.0f bound %.0f within %d/%d\n", c.side, c.side,
                    c.beta, alpha, med, t.back(), bound, within, runs);
        std::fflush(stdout);
      }
      std::fclose(f);
    }
    plot("set terminal pngcairo noenhanced size 800,560; set output \"" + (dir / "mixing_vs_bound.png").string() +
             "\"; set datafile separator \",\"; set logscale xy; set xlabel \"Dobrushin bound n/(1-alpha) ln(n/0.05) (updates)\";"
             " set ylabel \"grand-coupling coalescence (updates)\"; set title \"Ising tori, heat-bath grand coupling\"; set key top left;"
             " plot \"" + csv.string() + "\" every ::1 using 8:6 with points pt 7 title \"median\","
             " \"\" every ::1 using 8:7 with points pt 6 title \"max\", x title \"y = bound\"",
         !no_plot);
  }

  if (all || only == "threads") {
    const fs::path csv = dir / "throughput_vs_threads.csv";
    if (!plot_only) {
      FILE* f = open_csv(csv, "grid,coin,schedule,threads,updates_per_s,per_core,updates_per_cpu_s,reps,sweeps");
      const std::size_t n = quick ? 200 : grid_n;
      const std::uint64_t sweeps = 20, reps = 5;
      for (g::grid_coin coin : {g::grid_coin::float24, g::grid_coin::lp16}) {
        for (bool hog : {false, true}) {
          for (int th : {1, 2}) {
            g::ising_grid grid(n, n, 0.1, 0.05);
            g::grid_options o;
            o.coin = coin;
            o.hogwild = hog;
            o.threads = th;
            o.sweeps = 3;
            o.burn_in = 2;
            grid.run(o);
            std::vector<double> rate, cpu;
            for (std::uint64_t r = 0; r < reps; ++r) {
              o.sweeps = sweeps;
              o.burn_in = 0;
              o.seed = r;
              const double c0 = cpu_seconds();
              rate.push_back(static_cast<double>(n * n * sweeps) / grid.run(o));
              cpu.push_back(static_cast<double>(n * n * sweeps) / (cpu_seconds() - c0));
            }
            std::sort(rate.begin(), rate.end());
            std::sort(cpu.begin(), cpu.end());
            const double med = rate[rate.size() / 2], med_cpu = cpu[cpu.size() / 2];
            const char* cn = coin == g::grid_coin::lp16 ? "lp16" : "float24";
            std::fprintf(f, "%zu,%s,%s,%d,%.4g,%.4g,%.4g,%llu,%llu\n", n, cn, hog ? "hogwild" : "chromatic", th, med, med / th,
                         med_cpu, static_cast<unsigned long long>(reps), static_cast<unsigned long long>(sweeps));
            std::printf("threads %s %s %d: %.3g updates/s, %.3g updates/cpu-s\n", cn, hog ? "hogwild" : "chromatic", th, med,
                        med_cpu);
            std::fflush(stdout);
          }
        }
      }
      std::fclose(f);
    }
    plot("set terminal pngcairo noenhanced size 800,560; set output \"" + (dir / "throughput_vs_threads.png").string() +
             "\"; set datafile separator \",\"; set xlabel \"threads\"; set ylabel \"variable updates / s\"; set xtics 1; set xrange [0.8:2.2];"
             " set yrange [0:*]; set title \"Ising torus grid kernel (median of 5 x 20 sweeps), machine at load 8\"; set key top left;"
             " plot \"< grep float24,chromatic " + csv.string() + "\" using 4:5 with linespoints title \"float24 chromatic\","
             " \"< grep float24,hogwild " + csv.string() + "\" using 4:5 with linespoints title \"float24 hogwild\","
             " \"< grep lp16,chromatic " + csv.string() + "\" using 4:5 with linespoints title \"lp16 chromatic\","
             " \"< grep lp16,hogwild " + csv.string() + "\" using 4:5 with linespoints title \"lp16 hogwild\","
             " \"< grep lp16,chromatic " + csv.string() + "\" using 4:($7*$4) with linespoints dt 2 title \"lp16 chromatic: per-CPU-second rate x threads (idle-machine estimate)\","
             " \"< grep float24,chromatic " + csv.string() + "\" using 4:($7*$4) with linespoints dt 2 title \"float24 chromatic: per-CPU-second rate x threads\","
             " 1.65e7 title \"DimmWitted 1 thread (spec B.4)\"",
         !no_plot);
  }
  return 0;
}
