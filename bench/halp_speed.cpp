// lowp-bench-halp: HALP on int8 data against our own float32 SVRG, on a
// dense least-squares problem larger than the caches (issue 5's speed goal).
//
// The problem is defined by its int8 data: x = raw * 2^-4 with raw in
// [-127, 127] (Gaussian features quantized once), so float32 holds the same
// values exactly and both solvers minimise the same f. f* comes from the
// normal equations in double. Timing covers the solvers only; the relative
// gaps (f - f*)/f* of every epoch's anchor are computed afterwards in double.
//
// Reported per thread count, medians over --reps runs: seconds per epoch,
// time to each target gap, the ratios against float32 SVRG, and the
// fraction of the read roofline each epoch reaches (roofline = the int8 dot
// kernel streaming two DRAM buffers, measured in the same run).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <Eigen/Dense>

#include "lowp/datasets/idx.hpp"
#include "lowp/datasets/quantized.hpp"
#include "lowp/kernels/dispatch.hpp"
#include "lowp/solvers/solvers.hpp"

namespace ds = lowp::datasets;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

struct problem {
  ds::quantized_dense<std::int8_t> q;
  ds::dense_dataset x;
  double f_star = 0, mu = 0;
};

problem make_problem(std::size_t n, std::size_t d, std::uint64_t seed) {
  problem p;
  const double step = 1.0 / 16;
  p.q.n = n;
  p.q.d = d;
  p.q.stride = (d + 63) / 64 * 64;
  p.q.raw.assign(n * p.q.stride, 0);
  p.q.scale.mode = ds::scale_mode::per_dataset;
  p.q.scale.steps = {step};
  p.x.n = n;
  p.x.d = d;
  p.x.X.resize(n * d);
  p.x.y.resize(n);
  std::vector<double> w_true(d);
  lowp::counter_rng wr(seed, 1);
  for (auto& v : w_true) v = std::sqrt(-2 * std::log(1 - wr.next_double())) * std::cos(6.283185307179586 * wr.next_double());
  const long nn = static_cast<long>(n);
#pragma omp parallel for schedule(static)
  for (long il = 0; il < nn; ++il) {
    const auto i = static_cast<std::size_t>(il);
    lowp::counter_rng r(seed, 1000 + i);
    double m = 0;
    for (std::size_t j = 0; j < d; ++j) {
      const double g = std::sqrt(-2 * std::log(1 - r.next_double())) * std::cos(6.283185307179586 * r.next_double());
      const double raw = std::clamp(std::nearbyint(g / step), -127.0, 127.0);
      p.q.raw[i * p.q.stride + j] = static_cast<std::int8_t>(raw);
      p.x.X[i * d + j] = static_cast<float>(raw * step);
      m += raw * step * w_true[j];
    }
    const double e = std::sqrt(-2 * std::log(1 - r.next_double())) * std::cos(6.283185307179586 * r.next_double());
    p.x.y[i] = static_cast<float>(m + 0.5 * e);
  }
  p.q.y = p.x.y;
  // Normal equations in double, by blocks of rows (Eigen's GEMM).
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(d));
  Eigen::VectorXd b = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(d));
  const std::size_t block = 4096;
  for (std::size_t i0 = 0; i0 < n; i0 += block) {
    const std::size_t rows = std::min(block, n - i0);
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> xb(
        p.x.X.data() + i0 * d, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(d));
    const Eigen::MatrixXd xd = xb.cast<double>();
    Eigen::Map<const Eigen::VectorXf> yb(p.x.y.data() + i0, static_cast<Eigen::Index>(rows));
    h.noalias() += xd.transpose() * xd;
    b.noalias() += xd.transpose() * yb.cast<double>();
  }
  h /= static_cast<double>(n);
  b /= static_cast<double>(n);
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(h);
  Eigen::VectorXd w = ldlt.solve(b);
  w += ldlt.solve(b - h * w);
  lowp::objectives::least_squares<ds::dense_dataset> f(p.x, 0.0);
  std::vector<double> ws(w.data(), w.data() + d);
  p.f_star = f.evaluate(ws.data(), nullptr, nullptr, lowp::parallel::openmp{});
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(h, Eigen::EigenvaluesOnly);
  p.mu = es.eigenvalues()(0);
  return p;
}

// Read roofline: the int8 dot kernel over two buffers of `bytes` each, split
// across `threads` (it measured 0.998 of a plain stream loop in lowp-bench).
double read_bandwidth(std::size_t bytes, int threads) {
  lowp::aligned_vector<std::int8_t> a(bytes, 1), b(bytes, 2);
  const auto& kt = lowp::kernels::best();
  std::vector<double> runs;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = clock_type::now();
    std::int64_t sink = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : sink)
    for (int t = 0; t < threads; ++t) {
      const std::size_t part = bytes / static_cast<std::size_t>(threads);
      sink += kt.dot_i8(a.data() + t * part, b.data() + t * part, part);
    }
    runs.push_back(2.0 * static_cast<double>(bytes) / seconds_since(t0));
    if (sink == 42) std::printf(" ");
  }
  return median(runs);
}

struct recorder {
  std::vector<double> seconds;
  std::vector<std::vector<double>> anchors;
  bool on_epoch_end(const lowp::epoch_state& s) {
    seconds.push_back(s.seconds);
    anchors.emplace_back(s.model.begin(), s.model.end());
    return false;
  }
};

struct outcome {
  double epoch_seconds;                 // median over epochs 1..K
  std::vector<double> time_to;          // per target; NaN = not reached
  double final_gap;
  std::uint64_t saturations;
  std::string status;
};

template <class Solver, class F>
outcome run(const Solver& solver, const F& f, const problem& p, const std::vector<double>& targets) {
  std::vector<double> w(p.x.d, 0.0);
  recorder rec;
  const lowp::report r = solver.optimize(f, w, rec);
  lowp::objectives::least_squares<ds::dense_dataset> exact(p.x, 0.0);
  outcome o;
  std::vector<double> per_epoch;
  for (std::size_t k = 1; k < rec.seconds.size(); ++k) per_epoch.push_back(rec.seconds[k] - rec.seconds[k - 1]);
  o.epoch_seconds = median(per_epoch);
  o.time_to.assign(targets.size(), std::nan(""));
  for (std::size_t k = 0; k < rec.anchors.size(); ++k) {
    const double gap =
        (exact.evaluate(rec.anchors[k].data(), nullptr, nullptr, lowp::parallel::openmp{}) - p.f_star) / p.f_star;
    o.final_gap = gap;
    for (std::size_t t = 0; t < targets.size(); ++t)
      if (std::isnan(o.time_to[t]) && gap <= targets[t]) o.time_to[t] = rec.seconds[k];
  }
  o.saturations = r.saturations;
  o.status = lowp::to_string(r.why);
  return o;
}

// Fashion-MNIST binary logistic regression (label >= 5 against < 5, pixels /
// 255, a constant-1 bias column, lambda = 1e-4: PEERS.md's setup). Float32
// SVRG runs on the float pixels; HALP on the int8 copy raw = round(127 x)
// (step 1/127, so its problem differs from the float one by that rounding).
int run_fmnist(const std::string& dir, std::size_t epochs, int threads, double mu) {
  auto load = [&](const std::string& images, const std::string& labels) {
    const ds::idx_images img = ds::read_idx_images(dir + "/" + images);
    const std::vector<std::uint8_t> lab = ds::read_idx_labels(dir + "/" + labels);
    problem p;
    const std::size_t n = img.n, d = img.rows * img.cols + 1;
    p.x.n = n;
    p.x.d = d;
    p.x.X.resize(n * d);
    p.x.y.resize(n);
    p.q.n = n;
    p.q.d = d;
    p.q.stride = (d + 63) / 64 * 64;
    p.q.raw.assign(n * p.q.stride, 0);
    p.q.scale.mode = ds::scale_mode::per_dataset;
    p.q.scale.steps = {1.0 / 127};
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j + 1 < d; ++j) {
        const std::uint8_t v = img.pixels[i * (d - 1) + j];
        p.x.X[i * d + j] = static_cast<float>(v) / 255.0f;
        p.q.raw[i * p.q.stride + j] = static_cast<std::int8_t>(std::lround(v * 127.0 / 255.0));
      }
      p.x.X[i * d + d - 1] = 1.0f;
      p.q.raw[i * p.q.stride + d - 1] = 127;
      p.x.y[i] = lab[i] >= 5 ? 1.0f : -1.0f;
    }
    p.q.y = p.x.y;
    return p;
  };
  const problem tr = load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
  const problem te = load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
  const double f_star = 0.18789210320577941946;  // PEERS.md, float pixels
  lowp::objectives::logistic_regression<ds::dense_dataset> f32(tr.x, 1e-4), t32(te.x, 1e-4);
  lowp::objectives::logistic_regression<ds::quantized_dense<std::int8_t>> f8(tr.q, 1e-4), t8(te.q, 1e-4);
  auto accuracy = [](const auto& f, const std::vector<double>& w) {
    std::size_t ok = 0;
    for (std::size_t i = 0; i < f.examples(); ++i) ok += (f.row_dot(i, w.data()) > 0) == (f.label(i) > 0);
    return 100.0 * double(ok) / double(f.examples());
  };
  using E = lowp::parallel::openmp;
  using sr = lowp::round::stochastic<>;
  std::printf("Fashion-MNIST binary: N = %zu, d = %zu, lambda = 1e-4, %zu epochs (T = 2N), %d thread(s), HALP mu = %g\n",
              tr.x.n, tr.x.d, epochs, threads, mu);
  std::printf("  %-24s %10s %12s %14s %10s %10s\n", "solver", "s/epoch", "s per N ex.", "rel gap (f32)", "train %",
              "test %");
  auto show = [&](const char* name, const recorder& rec, const std::vector<double>& w, const auto& ftr, const auto& fte) {
    std::vector<double> ep;
    for (std::size_t k = 1; k < rec.seconds.size(); ++k) ep.push_back(rec.seconds[k] - rec.seconds[k - 1]);
    const double e = median(ep);
    std::printf("  %-24s %10.4f %12.4f %14.3e %10.2f %10.2f\n", name, e, e / 3.0,
                (f32.evaluate(w.data(), nullptr, nullptr, E{}) - f_star) / f_star, accuracy(ftr, w), accuracy(fte, w));
    return e;
  };
  const lowp::solver_options o{.epochs = epochs, .seed = 3};
  auto oh = o;
  oh.mu = mu;
  recorder r1, r2, r3;
  std::vector<double> w1(tr.x.d, 0.0), w2(tr.x.d, 0.0), w3(tr.x.d, 0.0);
  lowp::svrg<float, sr, E>(o, E{threads}).optimize(f32, w1, r1);
  lowp::halp<lowp::fixed<8, lowp::dynamic_scale>, sr, E>(oh, E{threads}).optimize(f8, w2, r2);
  lowp::halp<lowp::fixed<16, lowp::dynamic_scale>, sr, E>(oh, E{threads}).optimize(f8, w3, r3);
  const double e32 = show("svrg float32", r1, w1, f32, t32);
  const double e8 = show("halp-8 (int8 data)", r2, w2, f8, t8);
  show("halp-16 (int8 data)", r3, w3, f8, t8);
  std::printf("  an SVRG-family epoch is 3N example gradients; 's per N ex.' is comparable to one SGD epoch\n");
  std::printf("  halp-8 vs our float32 SVRG per epoch: %.2fx; vs the peer float SGD epoch (0.071 s, PEERS.md): %.1fx "
              "per N examples\n", e32 / e8, 0.071 / (e8 / 3.0));
  std::printf("  goal (issue 5): >= 100x the peer per epoch at >= 91.5 %% test accuracy -> %s\n",
              0.071 / (e8 / 3.0) >= 100 && accuracy(t8, w2) >= 91.5 ? "PASS" : "MISS");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lowp-bench-halp: HALP on int8 data against float32 SVRG (time to a relative gap)"};
  std::size_t n = 200000, d = 1000, epochs = 12;
  int reps = 3;
  std::vector<int> threads{1, 2};
  double mu8 = 16, mu16 = 4;
  std::uint64_t seed = 1;
  app.add_option("--n", n, "Examples (default 200000)");
  app.add_option("--d", d, "Features (default 1000)");
  app.add_option("--epochs", epochs, "Outer iterations per run (default 12)");
  app.add_option("--reps", reps, "Runs per solver and thread count; medians are reported (default 3)");
  app.add_option("--threads", threads, "Thread counts (default 1 2)");
  app.add_option("--mu8", mu8, "HALP-8 mu as a multiple of the true mu (default 16)");
  app.add_option("--mu16", mu16, "HALP-16 mu as a multiple of the true mu (default 4)");
  app.add_option("--seed", seed, "Data seed");
  std::string fmnist;
  double fmnist_mu = 1e-2;
  app.add_option("--fmnist", fmnist,
                 "Run the Fashion-MNIST binary logistic benchmark instead, from this directory (e.g. "
                 "/usr/share/datasets/fashion-mnist)");
  app.add_option("--fmnist-mu", fmnist_mu, "HALP mu for --fmnist (default 1e-2)");
  CLI11_PARSE(app, argc, argv);
  if (!fmnist.empty()) return run_fmnist(fmnist, epochs, threads.empty() ? 1 : threads.front(), fmnist_mu);

  std::printf("lowp-bench-halp: N = %zu, d = %zu, int8 data (step 2^-4), T = 2N, alpha = 0.2/L_max, %zu epochs, "
              "%d reps, ISA %s\n", n, d, epochs, reps, lowp::kernels::name(lowp::kernels::best().id));
  auto t0 = clock_type::now();
  const problem p = make_problem(n, d, seed);
  lowp::objectives::least_squares<ds::dense_dataset> f32(p.x, 0.0);
  lowp::objectives::least_squares<ds::quantized_dense<std::int8_t>> f8(p.q, 0.0);
  std::printf("problem built in %.1f s: f* = %.10g, mu = %.4g, L_max = %.4g, kappa_max = %.0f\n", seconds_since(t0),
              p.f_star, p.mu, f32.smoothness(), f32.smoothness() / p.mu);
  const std::vector<double> targets{1e-6, 1e-10};
  using q8 = lowp::fixed<8, lowp::dynamic_scale>;
  using q16 = lowp::fixed<16, lowp::dynamic_scale>;
  using sr = lowp::round::stochastic<>;
  using E = lowp::parallel::openmp;

  for (int t : threads) {
    const double bw = read_bandwidth(std::size_t(1) << 29, t);
    const lowp::solver_options base{.epochs = epochs, .seed = 7};
    auto o8 = base, o16 = base;
    o8.mu = mu8 * p.mu;
    o16.mu = mu16 * p.mu;
    std::vector<outcome> rf, rfc, r8, r8s, r8a, r8x, r16, r16x;
    for (int rep = 0; rep < reps; ++rep) {
      rf.push_back(run(lowp::svrg<float, sr, E>(base, E{t}), f32, p, targets));
      rfc.push_back(run(lowp::halp<float, sr, E>(base, E{t}), f32, p, targets));
      r8x.push_back(run(lowp::halp<q8, lowp::round::stochastic_fixed, E>(o8, E{t}), f8, p, targets));
      r8.push_back(run(lowp::halp<q8, sr, E>(o8, E{t}), f8, p, targets));
      r8s.push_back(run(lowp::halp<q8, lowp::round::shared_stochastic<>, E>(o8, E{t}), f8, p, targets));
      r8a.push_back(run(lowp::halp<q8, lowp::round::stochastic<lowp::ars_rng>, E>(o8, E{t}), f8, p, targets));
      r16.push_back(run(lowp::halp<q16, sr, E>(o16, E{t}), f8, p, targets));
      r16x.push_back(run(lowp::halp<q16, lowp::round::stochastic_fixed, E>(o16, E{t}), f8, p, targets));
    }
    // bytes of x per epoch: a full pass plus T = 2N random rows
    const double bytes8 = 3.0 * double(n) * double(d), bytes32 = 4 * bytes8;
    std::printf("\nthreads %d: read roofline %.1f GB/s\n", t, bw / 1e9);
    std::printf("  %-22s %10s %8s %10s %12s %12s %10s %10s %s\n", "solver", "s/epoch", "roofline", "vs f32", "t(1e-6) s",
                "t(1e-10) s", "final gap", "sat", "status");
    const double f32_epoch = median([&] {
      std::vector<double> v;
      for (auto& o : rf) v.push_back(o.epoch_seconds);
      return v;
    }());
    auto line = [&](const char* name, const std::vector<outcome>& rs, double bytes) {
      std::vector<double> ep, t6, t10, fg;
      for (auto& o : rs) ep.push_back(o.epoch_seconds), t6.push_back(o.time_to[0]), t10.push_back(o.time_to[1]),
          fg.push_back(o.final_gap);
      const double e = median(ep);
      std::printf("  %-22s %10.4f %8.2f %9.2fx %12.3f %12.3f %10.2e %10llu %s\n", name, e, bytes / e / bw,
                  f32_epoch / e, median(t6), median(t10), median(fg),
                  static_cast<unsigned long long>(rs.back().saturations), rs.back().status.c_str());
    };
    line("svrg float32", rf, bytes32);
    line("svrg float32 centred", rfc, bytes32);
    line("halp-8 (int8 data)", r8, bytes8);
    line("halp-8 shared dither", r8s, bytes8);
    line("halp-8 ARS dithers", r8a, bytes8);
    line("halp-8 fixed update", r8x, bytes8);
    line("halp-16 (int8 data)", r16, bytes8);
    line("halp-16 fixed update", r16x, bytes8);
    auto ratio = [&](const std::vector<outcome>& a, const std::vector<outcome>& b, std::size_t k) {
      std::vector<double> v;
      for (std::size_t i = 0; i < a.size(); ++i) v.push_back(a[i].time_to[k] / b[i].time_to[k]);
      return median(v);
    };
    std::printf("  time to 1e-6:  svrg-f32 / halp-8 = %.2fx, / halp-8 shared = %.2fx, / halp-8 ARS = %.2fx, / halp-16 = "
                "%.2fx\n",
                ratio(rf, r8, 0), ratio(rf, r8s, 0), ratio(rf, r8a, 0), ratio(rf, r16, 0));
    std::printf("  time to 1e-10: svrg-f32 / halp-8 = %.2fx, / halp-8 shared = %.2fx, / halp-16 = %.2fx (nan: one of "
                "the pair never reached it)\n", ratio(rf, r8, 1), ratio(rf, r8s, 1), ratio(rf, r16, 1));
    // float32 SVRG stalls above 1e-10 (its float32 floor); the centred float32 SVRG does the
    // same work per step and gets there, so it is the baseline for the time to 1e-10.
    const double t8 = ratio(rfc, r8, 1), t8x = ratio(rfc, r8x, 1), t8s = ratio(rfc, r8s, 1), t16 = ratio(rfc, r16, 1),
                 t16x = ratio(rfc, r16x, 1);
    std::printf("  time to 1e-10: svrg-f32 centred / halp-8 = %.2fx, / halp-8 fixed = %.2fx, / halp-8 shared = %.2fx, "
                "/ halp-16 = %.2fx, / halp-16 fixed = %.2fx\n", t8, t8x, t8s, t16, t16x);
    const double best = std::max({std::isnan(t8) ? 0.0 : t8, std::isnan(t8x) ? 0.0 : t8x});
    std::printf("  goal (issue 5): HALP-8 time to 1e-10 >= 4x float SVRG (centred) -> %.2fx %s\n", best,
                best >= 4 ? "PASS" : "MISS");
  }
  return 0;
}
