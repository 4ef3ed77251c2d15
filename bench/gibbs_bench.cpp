// lowp-bench-gibbs: Gibbs sampling throughput on the 1000 x 1000 Ising torus
// (issue 8). Variable updates per second (and per core) for
//   - the checkerboard grid kernel (grid.hpp): float24 (float coin, one draw
//     per update) vs lp16 (16-bit integer threshold, half a draw), 1 and 2
//     threads, chromatic (barrier per colour, exact) and hogwild (no barrier);
//   - the generic paths of gibbs.hpp (ising_model and factor_graph,
//     systematic scan, double coin), the DimmWitted-like baseline.
// Each figure is the median of --reps repetitions; the mean marginal P(+1)
// of every variant is printed so they can be compared with the sequential
// sampler's.
//
// Usage: lowp-bench-gibbs [--size N] [--sweeps S] [--reps R] [--beta B] [--h H] [--quick]
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "lowp/solvers/gibbs/gibbs.hpp"
#include "lowp/solvers/gibbs/grid.hpp"

namespace g = lowp::gibbs;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

struct row {
  std::string name;
  int threads;
  double rate, mean_p, cpu_rate = 0.0;
};

// Process CPU seconds (all threads): updates per CPU-second is the per-core
// rate even when other processes share the cores, which wall time is not.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 1000;
  std::uint64_t sweeps = 20, reps = 5;
  double beta = 0.1, h = 0.05;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "lowp-bench-gibbs: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--size") n = std::strtoull(next(), nullptr, 10);
    else if (a == "--sweeps") sweeps = std::strtoull(next(), nullptr, 10);
    else if (a == "--reps") reps = std::strtoull(next(), nullptr, 10);
    else if (a == "--beta") beta = std::strtod(next(), nullptr);
    else if (a == "--h") h = std::strtod(next(), nullptr);
    else if (a == "--quick") { n = 200; sweeps = 10; reps = 3; }
    else {
      std::fprintf(stderr, "usage: lowp-bench-gibbs [--size N] [--sweeps S] [--reps R] [--beta B] [--h H] [--quick]\n");
      return 2;
    }
  }
  if (n < 4 || n % 2 || sweeps < 2 || reps < 1) {
    std::fprintf(stderr, "lowp-bench-gibbs: need an even --size >= 4, --sweeps >= 2, --reps >= 1\n");
    return 2;
  }
  const double sites = static_cast<double>(n) * static_cast<double>(n);
  std::printf("lowp-bench-gibbs: %zux%zu Ising torus, beta %g, h %g, %llu sweeps x %llu reps (median), %u hw threads\n",
              n, n, beta, h, static_cast<unsigned long long>(sweeps), static_cast<unsigned long long>(reps),
              std::thread::hardware_concurrency());
  std::vector<row> rows;

  // The AVX-512 block kernel (when compiled in) must be bit-identical to the
  // scalar loop: same draws, same lane mapping.
  {
    bool same = true;
    for (g::grid_coin coin : {g::grid_coin::float24, g::grid_coin::lp16}) {
      g::ising_grid a(64, 100, beta, h), b(64, 100, beta, h);
      g::grid_options o;
      o.coin = coin;
      o.sweeps = 20;
      o.burn_in = 5;
      o.seed = 9;
      a.run(o);
      o.force_scalar = true;
      b.run(o);
      for (std::size_t i = 0; i < 64; ++i)
        for (std::size_t j = 0; j < 100; ++j)
          same = same && a.spin(i, j) == b.spin(i, j) && a.marginal(i, j) == b.marginal(i, j);
    }
    std::printf("block kernel == scalar reference (64x100, 20 sweeps, both coins): %s\n", same ? "yes" : "NO");
    if (!same) return 1;
  }

  // Grid kernel variants. Warm start: a short burn-in run first.
  for (g::grid_coin coin : {g::grid_coin::float24, g::grid_coin::lp16}) {
    for (bool hogwild : {false, true}) {
      for (int threads : {1, 2}) {
        if (hogwild && threads == 1) continue;  // identical to chromatic with one thread
        g::ising_grid grid(n, n, beta, h);
        g::grid_options o;
        o.coin = coin;
        o.threads = threads;
        o.hogwild = hogwild;
        o.sweeps = 5;
        o.burn_in = 4;
        grid.run(o);
        std::vector<double> rate, cpu_rate;
        double mp = 0.0;
        for (std::uint64_t r = 0; r < reps; ++r) {
          o.sweeps = sweeps;
          o.burn_in = 0;
          o.seed = r + 1;
          const double c0 = cpu_seconds();
          const double s = grid.run(o);
          cpu_rate.push_back(sites * static_cast<double>(sweeps) / (cpu_seconds() - c0));
          rate.push_back(sites * static_cast<double>(sweeps) / s);
          double sum = 0.0;
          for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j) sum += grid.marginal(i, j);
          mp = sum / sites;
        }
        std::string name = std::string("grid ") + (coin == g::grid_coin::lp16 ? "lp16" : "float24") +
                           (hogwild ? " hogwild" : " chromatic");
        rows.push_back({name, threads, median(rate), mp, median(cpu_rate)});
      }
    }
  }

  // Generic paths (systematic scan, double coin): fewer sweeps, they are slower.
  {
    const g::ising_model m = g::make_ising_torus(n, n, beta, h);
    const g::factor_graph fg = m.to_factor_graph();
    for (int which = 0; which < 2; ++which) {
      for (int threads : {1, 2}) {
        std::vector<double> rate, cpu_rate;
        double mp = 0.0;
        for (std::uint64_t r = 0; r < std::min<std::uint64_t>(reps, 3); ++r) {
          g::options o;
          o.sweeps = std::max<std::uint64_t>(6, sweeps / 2);
          o.burn_in = 3;
          o.order = g::scan::systematic;  // the DimmWitted order
          o.seed = r + 1;
          o.run = threads == 1 ? g::mode::sequential : g::mode::hogwild;
          o.threads = threads;
          const double c0 = cpu_seconds();
          const g::result res = which == 0 ? g::sample(m, o) : g::sample(fg, o);
          cpu_rate.push_back(static_cast<double>(res.updates) / (cpu_seconds() - c0));
          rate.push_back(static_cast<double>(res.updates) / res.seconds);
          const std::vector<double> p = res.p_one();
          double sum = 0.0;
          for (double x : p) sum += x;
          mp = sum / sites;
        }
        rows.push_back({which == 0 ? "generic ising_model" : "generic factor_graph", threads, median(rate), mp,
                        median(cpu_rate)});
      }
    }
  }

  double float1 = 0.0;
  for (const row& r : rows)
    if (r.name == "grid float24 chromatic" && r.threads == 1) float1 = r.rate;
  std::printf("%-26s %7s %12s %14s %14s %10s %12s %10s\n", "sampler", "threads", "updates/s", "updates/s/core",
              "updates/cpu-s", "vs float1", "vs DW 1.65e7", "mean P(+1)");
  for (const row& r : rows)
    std::printf("%-26s %7d %12.4g %14.4g %14.4g %10.2f %12.2f %10.5f\n", r.name.c_str(), r.threads, r.rate,
                r.rate / r.threads, r.cpu_rate, r.rate / float1, r.rate / 1.65e7, r.mean_p);
  // Scaling of each grid variant from 1 to 2 threads.
  for (const char* base : {"grid float24", "grid lp16"}) {
    double one = 0.0;
    for (const row& r : rows)
      if (r.name == std::string(base) + " chromatic" && r.threads == 1) one = r.rate;
    for (const row& r : rows)
      if (r.threads == 2 && r.name.rfind(base, 0) == 0)
        std::printf("speedup %-22s 2 threads / 1 thread: %.2fx\n", r.name.c_str(), r.rate / one);
  }
  return 0;
}
