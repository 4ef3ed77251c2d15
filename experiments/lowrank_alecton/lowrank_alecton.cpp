// lowrank_alecton: sin²∠ error of Alecton vs iterations on planted rank-1
// PSD problems (entrywise sampling; spec lowrank.md A.3).
//  (a) precision: n = 1000, eta = 3e-6, K = 8e6, float / 16-bit / 8-bit
//      stochastic rounding / 8-bit round-to-nearest (and double);
//  (b) n log n scaling: n = 100, 300, 1000, 3000, eta = 3e-3/n,
//      K = 2 ln(100 n)/eta (float): the curves collapse when the step count
//      is divided by n ln n, and all reach the floor 0.7 eta n = 2.1e-3.
// Writes <out>/precision.csv, <out>/scaling.csv, two PNGs (gnuplot) and one HDF5
// run log per curve under <out>/runs/ (sin² per step as the trace, final Y as the model).
//   lowrank_alecton [--out DIR]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "run_program.hpp"  // tools/
#include "lowp/datasets/synthetic.hpp"
#include "lowp/runs/run_log.hpp"
#include "lowp/solvers/lowrank/alecton.hpp"

using namespace lowp;
using namespace lowp::lowrank;
namespace fs = std::filesystem;
namespace syn = lowp::datasets::synthetic;
namespace runs = lowp::runs;

namespace {
template <class A>
void trace(std::ofstream& csv, const fs::path& runs_dir, const std::string& name, std::size_t n, double eta,
           std::uint64_t K, std::uint64_t every, std::uint64_t seed) {
  const auto pr = syn::planted_psd({.n = n, .rank = 1, .spectrum = {1.0}, .seed = seed});
  entrywise_symmetric<psd_factor> s{psd_factor(pr.U)};
  A a({.rank = 1, .step_size = eta, .steps = K, .rescale_every = every, .seed = seed});
  const double nlogn = double(n) * std::log(double(n));
  // The run log's trace: one row per callback, sin² error as the objective
  // (its floor, not 0, is the target: no gap column), steps as the work.
  runs::run_record rec = runs::make_run_record("alecton", seed);
  rec.isa = "scalar";
  rec.params = {{"precision", name},
                {"n", std::int64_t(n)},
                {"rank", std::int64_t{1}},
                {"sampling", std::string("entrywise_symmetric")},
                {"step_size", eta},
                {"steps", std::int64_t(K)},
                {"rescale_every", std::int64_t(every)},
                {"floor_0.7_eta_n", 0.7 * eta * double(n)}};
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = a.optimize(s, [&](std::uint64_t k, const Eigen::MatrixXd& Y) {
    const double e = sin2_error(pr.Q, Y);
    csv << name << ',' << n << ',' << eta << ',' << k << ',' << double(k) / nlogn << ',' << e << '\n';
    runs::trace_row row;
    row.epoch = rec.trace.size();
    row.work = k;
    row.objective = e;
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rec.trace.push_back(row);
  });
  const double fin = sin2_error(pr.Q, r.Y);
  std::printf("%-16s n=%5zu eta=%.1e K=%.2e: final sin2 %.3e (floor 0.7 eta n = %.2e), %llu saturations, %.2f s\n",
              name.c_str(), n, eta, double(K), fin, 0.7 * eta * double(n),
              static_cast<unsigned long long>(r.saturations), r.seconds);
  if (runs_dir.empty()) return;
  if (!rec.trace.empty()) rec.trace.back().saturations = r.saturations;
  rec.model.assign(r.Y.data(), r.Y.data() + r.Y.size());
  rec.status = std::isfinite(fin) ? "max_epochs" : "diverged";
  const std::string stem = name.rfind("n=", 0) == 0 ? "scaling" : name;  // the (b) curves are named n=...
  runs::write_run_log((runs_dir / (stem + "_n" + std::to_string(n) + ".h5")).string(), rec);
}
}  // namespace

int main(int argc, char** argv) {
  fs::path out = "lowrank_alecton_out";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--out") {
      out = argv[i + 1];
    } else {
      std::fprintf(stderr, "lowrank_alecton: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  fs::create_directories(out / "runs");
  const fs::path runs_dir = out / "runs";
  {
    std::ofstream csv(out / "precision.csv");
    csv << "series,n,eta,steps,steps_over_nlnn,sin2\n";
    const double eta = 3e-6;
    const std::uint64_t K = 8000000, every = 80000;
    trace<alecton<double>>(csv, runs_dir, "double", 1000, eta, K, every, 1);
    trace<alecton_f32>(csv, runs_dir, "float", 1000, eta, K, every, 1);
    trace<alecton_q16>(csv, runs_dir, "fixed16_sr", 1000, eta, K, every, 1);
    trace<alecton_q8>(csv, runs_dir, "fixed8_sr", 1000, eta, K, every, 1);
    trace<alecton_q8_nearest>(csv, runs_dir, "fixed8_nearest", 1000, eta, K, every, 1);
  }
  {
    std::ofstream csv(out / "scaling.csv");
    csv << "series,n,eta,steps,steps_over_nlnn,sin2\n";
    for (std::size_t n : {100, 300, 1000, 3000}) {
      const double eta = 3e-3 / double(n);
      const auto K = static_cast<std::uint64_t>(2 * std::log(100.0 * double(n)) / eta);
      trace<alecton_f32>(csv, runs_dir, "n=" + std::to_string(n), n, eta, K, K / 100, 2);
    }
  }
  auto plot = [&](const std::string& csv, const std::string& png, const std::string& x, const std::string& title,
                  const std::string& keys) {
    const std::string gp = "set terminal pngcairo size 900,600; set output '" + (out / png).string() +
                           "'; set datafile separator ','; set logscale y; set format y '10^{%L}'; set grid; "
                           "set key bottom left; set ylabel 'sin^2 angle(y, u_1)'; set xlabel '" + x + "'; "
                           "set title '" + title + "'; plot for [s in '" + keys + "'] '" + (out / csv).string() +
                           "' using (stringcolumn(1) eq s ? column(" + (x == "steps" ? "4" : "5") +
                           ") : 1/0):6 with lines lw 2 title s noenhanced";
    if (lowp_tools::run_program({"gnuplot", "-e", gp}) != 0)
      std::fprintf(stderr, "lowrank_alecton: gnuplot failed or is missing (CSV written)\n");
  };
  plot("precision.csv", "precision.png", "steps",
       "Alecton rank 1, n=1000, eta=3e-6: iterate precision (floor 0.7 eta n = 2.1e-3)",
       "double float fixed16_sr fixed8_sr fixed8_nearest");
  plot("scaling.csv", "scaling.png", "steps / (n ln n)", "Alecton rank 1, eta = 3e-3/n: n log n scaling",
       "n=100 n=300 n=1000 n=3000");
  return 0;
}
