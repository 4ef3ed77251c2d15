// lowp-bench-mf: rating updates per second of mf_sgd (solvers/lowrank) at
// k = 32 on a synthetic ratings problem (issue 7's speed goal), float vs
// 16-bit vs 8-bit factors, 1 and 2 threads, and the test RMSE each format
// reaches within the training time float needs for its epochs ("RMSE at
// equal time").
//
// Problem: 20,000 users x 5,000 items, rank-8 planted truth, 2.5e6 ratings
// (2.25e6 train, 10% held out), noise 0.1 - the shape of the LIBMF
// measurement in spec lowrank.md A.4 (LIBMF: 40 M/s on 1 thread at k = 32,
// 75 M/s on 2). Rate = ratings x (epochs - 1) / (time of epochs 2..E): the
// first epoch (LIBMF's warm start on 8 dimensions) is excluded, like
// LIBMF's "21 minus 1 iterations". Two clocks, because the machine is shared:
//   wall: steady_clock around each epoch's training (what a user sees; a
//         loaded machine lowers it, and it is the only clock that shows
//         threads waiting for each other);
//   CPU:  CLOCK_THREAD_CPUTIME_ID of the training threads, summed (updates per
//         CPU-second = per thread when nothing waits; robust to other load).
// 2 threads vs 1: the wall-clock speed-up (meaningful on an idle machine
// only) and the CPU-time efficiency (updates per CPU-second at 2 threads over
// 1 thread: below 1 means the threads slow each other, e.g. shared caches or
// lines). The busy fraction (CPU / (threads x wall)) shows waiting or
// preemption. Median of --reps runs (by wall rate; the CPU columns are the
// median of their own).
//   lowp-bench-mf [--reps 3] [--epochs 6] [--ratings 2500000] [--rank 32]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lowp/solvers/lowrank/mf_sgd.hpp"

using namespace lowp;
using namespace lowp::lowrank;

namespace {
struct measured {
  double rate = 0;        // updates/s of wall time (all threads), median
  double cpu_rate = 0;    // updates per CPU-second (threads summed), median
  double busy = 0;        // CPU / (threads x wall) over epochs 2..E, of the median-wall run
  double cpu_seconds = 0; // training CPU time of all epochs, median run
  std::vector<double> epoch_cpu, epoch_rmse;  // of the median run
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class S>
measured bench(const datasets::ratings& tr, const datasets::ratings& te, std::size_t k, int threads,
               std::size_t epochs, int reps, bool int8_kernel = true, bool int8_batch = true) {
  std::vector<std::pair<double, mf_result>> runs;
  std::vector<double> cpu_rates;
  for (int r = 0; r < reps; ++r) {
    S solver({.rank = k, .lambda = 0.05, .step_size = 0.1, .epochs = epochs, .threads = threads,
              .seed = std::uint64_t(r + 1), .int8_kernel = int8_kernel, .int8_batch = int8_batch});
    mf_result res = solver.fit(tr, &te);
    if (res.why != status::max_epochs) {
      std::fprintf(stderr, "run failed: %s\n", res.message.c_str());
      std::exit(1);
    }
    const double upd = static_cast<double>(tr.size()) * double(epochs - 1);
    const double dt = res.trace.back().seconds - res.trace[1].seconds;
    const double dc = res.trace.back().cpu_seconds - res.trace[1].cpu_seconds;
    cpu_rates.push_back(dc > 0 ? upd / dc : 0.0);
    runs.emplace_back(upd / dt, std::move(res));
  }
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const auto& med = runs[runs.size() / 2];
  measured m;
  m.rate = med.first;
  m.cpu_rate = median(cpu_rates);
  const auto& tr0 = med.second.trace;
  m.busy = (tr0.back().cpu_seconds - tr0[1].cpu_seconds) / (double(threads) * (tr0.back().seconds - tr0[1].seconds));
  m.cpu_seconds = med.second.cpu_seconds;
  for (const auto& e : tr0) {
    m.epoch_cpu.push_back(e.cpu_seconds);
    m.epoch_rmse.push_back(e.test_rmse);
  }
  return m;
}
// Test RMSE after the last epoch that ended within `budget` CPU-seconds of training.
double rmse_at(const measured& m, double budget) {
  double r = m.epoch_rmse.front();
  for (std::size_t i = 0; i < m.epoch_cpu.size(); ++i)
    if (m.epoch_cpu[i] <= budget * (1 + 1e-9)) r = m.epoch_rmse[i];
  return r;
}
}  // namespace

int main(int argc, char** argv) {
  int reps = 3;
  std::size_t epochs = 6, n_ratings = 2500000, k = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const long v = std::atol(argv[i + 1]);
    if (v <= 0) {
      std::fprintf(stderr, "lowp-bench-mf: %s needs a positive integer\n", a.c_str());
      return 2;
    }
    if (a == "--reps") reps = int(v);
    else if (a == "--epochs") epochs = std::size_t(std::max(2L, v));
    else if (a == "--ratings") n_ratings = std::size_t(v);
    else if (a == "--rank") k = std::size_t(v);
    else {
      std::fprintf(stderr, "lowp-bench-mf: unknown option %s (--reps --epochs --ratings --rank)\n", a.c_str());
      return 2;
    }
  }
  // Planted rank-8 ratings r = u_iᵀv_j + 0.1 N(0,1), u, v with N(0, 1/√8)
  // entries (so r has unit variance), positions uniform (repeats allowed).
  // Generated here without Eigen: this file is built with -march=native.
  const std::size_t m = 20000, n = 5000, r8 = 8;
  counter_rng g(42, 1);
  auto normal = [&g] {
    const double u1 = 1.0 - g.next_double(), u2 = g.next_double();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  std::vector<double> U(m * r8), V(n * r8);
  for (auto& x : U) x = normal() / std::sqrt(std::sqrt(double(r8)));
  for (auto& x : V) x = normal() / std::sqrt(std::sqrt(double(r8)));
  datasets::ratings tr, te;
  for (auto* r : {&tr, &te}) {
    r->n_users = m;
    r->n_items = n;
  }
  for (std::size_t i = 0; i < n_ratings; ++i) {
    const auto u = static_cast<std::uint32_t>((std::uint64_t(g.next_u32()) * m) >> 32);
    const auto v = static_cast<std::uint32_t>((std::uint64_t(g.next_u32()) * n) >> 32);
    double x = 0.1 * normal();
    for (std::size_t c = 0; c < r8; ++c) x += U[u * r8 + c] * V[v * r8 + c];
    auto& r = i % 10 == 0 ? te : tr;
    r.user.push_back(u);
    r.item.push_back(v);
    r.rating.push_back(static_cast<float>(x));
  }
  // Wall-clock rates are only meaningful on an idle machine: show the load.
  if (std::FILE* la = std::fopen("/proc/loadavg", "r")) {
    char buf[128] = {};
    if (std::fgets(buf, sizeof buf, la)) std::printf("load average: %s", buf);
    std::fclose(la);
  }
  std::printf("lowp-bench-mf: %zu train / %zu test ratings, 20000 x 5000, k = %zu, %zu epochs, median of %d\n",
              tr.size(), te.size(), k, epochs, reps);
  std::printf("fixed8 kernel: %s\n",
              lowrank::detail::mf_i8_batch_available(k, 8)
                  ? "integer domain, batches of 16 independent ratings (detail/mf_int8_batch.hpp, AVX-512 + VAES)"
                  : (lowrank::detail::mf_i8_available(k)
                         ? "integer domain, pairs (detail/mf_int8.hpp, AVX-512 + AES; batches need VAES)"
                         : "float increments (int8 kernel needs k % 32 == 0, AVX-512 and AES)"));
  std::printf("rates over epochs 2..%zu; wall = steady clock, CPU = thread CPU time summed over threads\n", epochs);
  std::printf("%-8s %3s %11s %11s %12s %8s %6s %10s %14s\n", "factors", "T", "wall M/s", "wall M/s/T",
              "M/CPU-s", "vs float", "busy", "RMSE(end)", "RMSE@floatCPU");
  // fixed8: the default 8-bit kernel (integer domain; batches of independent
  // ratings, detail/mf_int8_batch.hpp, when k % 32 == 0 and the CPU has
  // AVX-512 + VAES); fixed8-p: the same order and bits two ratings at a time
  // (mf_options::int8_batch = false, the pair kernel of detail/mf_int8.hpp);
  // fixed8-f: the float-increment kernel (int8_kernel = false). For comparison.
  constexpr int F = 5;
  const char* names[F] = {"float", "fixed16", "fixed8", "fixed8-p", "fixed8-f"};
  measured res[2][F];
  for (int T : {1, 2}) {
    auto& m = res[T - 1];
    m[0] = bench<mf_sgd_f32>(tr, te, k, T, epochs, reps);
    m[1] = bench<mf_sgd_q16>(tr, te, k, T, epochs, reps);
    m[2] = bench<mf_sgd_q8>(tr, te, k, T, epochs, reps);
    m[3] = bench<mf_sgd_q8>(tr, te, k, T, epochs, reps, true, false);
    m[4] = bench<mf_sgd_q8>(tr, te, k, T, epochs, reps, false);
    // Equal time: float's whole training CPU time (all epochs, all threads).
    const double budget = m[0].cpu_seconds;
    for (int f = 0; f < F; ++f)
      std::printf("%-8s %3d %11.1f %11.1f %12.1f %8.2f %6.2f %10.4f %14.4f\n", names[f], T, m[f].rate / 1e6,
                  m[f].rate / 1e6 / T, m[f].cpu_rate / 1e6, m[f].cpu_rate / m[0].cpu_rate, m[f].busy,
                  m[f].epoch_rmse.back(), rmse_at(m[f], budget));
    std::fflush(stdout);
  }
  std::printf("\n2 threads vs 1 thread:\n%-8s %16s %22s\n", "factors", "wall speed-up", "CPU-time efficiency");
  for (int f = 0; f < F; ++f)
    std::printf("%-8s %16.2f %22.2f\n", names[f], res[1][f].rate / res[0][f].rate,
                res[1][f].cpu_rate / res[0][f].cpu_rate);
  std::printf("(wall speed-up is only meaningful when the load average above is < 1; the CPU-time efficiency\n"
              " x 2 bounds the speed-up an idle machine could show, before waiting at the epoch's last blocks)\n");
  return 0;
}
