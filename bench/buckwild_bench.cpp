// lowp-bench-buckwild: Hogwild!/Buckwild! throughput in dataset numbers per
// second (the ISCA 2017 "GNPS" unit) on dense data larger than the caches,
// for D8M8, D8M16, D16M16 and D32fM32f, 1 and 2 threads, with the ratios the issue
// asks for and the roofline of spec 6.2 measured in the same run:
//   R_mem = BW_read(T) / beta, beta = bytes per dataset number (the model is
//           cache resident: d = 4096);
//   R_cmp = T x (the same solver epoch on an L2-resident data set, 1 thread);
//   phi   = R / min(R_mem, R_cmp).
// Each repetition times one epoch of every signature in turn (interleaved, so
// a change in the machine's load hits every row alike) from a fresh zero
// model (so every row is really updated: a model that has fitted the data
// would make most steps zero); figures are medians over --reps repetitions
// after one warm-up. Wall time gives GNPS; process CPU time gives "G/cpu-s",
// numbers per CPU-second of all threads (what the run cost when other jobs
// share the cores: wall-clock GNPS then drops, G/cpu-s much less).
// Rows visit the data in --order (default block_shuffled: seeded random
// blocks of 256 KiB, random order inside a block; see row_order).
// Policy: race::racy_simd (the fast, documented-racy policy), logistic loss,
// independent dithers; extra rows: D8M8 with shared dithers, D8M8 with the
// default race::atomic_relaxed policy, D8M8 with mini-batches of B = 8 rows
// ("D8M8 B8": one model write per 8 rows), with per-thread replicas averaged
// once per epoch ("D8M8 repl") and both ("D8M8 B8 repl").
//
// --fmnist: the Fashion-MNIST binary task instead (label >= 5 vs < 5,
// pixels / 255, a bias column, lambda = 1e-4, 60,000 x 785, from the Debian
// package dataset-fashion-mnist via datasets/catalogue), per signature and
// thread count: seconds per epoch (median, wall and CPU; the range estimate
// and the evaluations untimed), test accuracy after every epoch, the first
// epoch at >= 91.5 % and the training time to it, against the float SGD
// reference figure of 0.071 s per epoch (shared/datasets/README.md).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <ctime>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "lowp/datasets/catalogue.hpp"
#include "lowp/datasets/idx.hpp"
#include "lowp/solvers/buckwild/buckwild.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace lowp;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class D>
buckwild_problem<D> make_data(std::size_t n, std::size_t d, std::uint64_t seed) {
  buckwild_problem<D> p;
  p.n = n;
  p.d = d;
  p.stride = d;  // d is a multiple of 64
  p.loss = linear_loss::logistic;
  p.values.resize(n * d);
  p.y.resize(n);
  std::uint64_t s = seed | 1;
  auto next = [&s] {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  };
  if constexpr (std::is_same_v<D, float>) {
    for (auto& v : p.values) v = static_cast<float>(static_cast<int>(next() % 255) - 127) / 127.0f;
  } else if constexpr (std::is_same_v<D, std::int8_t>) {
    p.scale = 1.0 / 127;
    std::uint64_t* w = reinterpret_cast<std::uint64_t*>(p.values.data());
    for (std::size_t k = 0; k < p.values.size() / 8; ++k) {
      std::uint64_t x = next();
      for (int b = 0; b < 8; ++b)
        if (static_cast<std::int8_t>(x >> (8 * b)) == -128) x &= ~(std::uint64_t(0x80) << (8 * b));
      w[k] = x;
    }
  } else {
    p.scale = 1.0 / 32767;
    for (auto& v : p.values) {
      auto t = static_cast<std::int16_t>(next());
      v = t == -32768 ? std::int16_t(0) : t;
    }
  }
  for (auto& y : p.y) y = (next() & 1) ? 1.0 : -1.0;
  return p;
}

// Read bandwidth with T threads over `bytes` bytes of `buf` (sum of 64-bit words).
#if defined(__x86_64__)
__attribute__((target("avx512f"))) std::uint64_t read_sum(const char* b, std::size_t bytes) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t o = 0; o + 256 <= bytes; o += 256) {
    a0 = _mm512_add_epi64(a0, _mm512_load_si512(static_cast<const void*>(b + o)));
    a1 = _mm512_add_epi64(a1, _mm512_load_si512(static_cast<const void*>(b + o + 64)));
    a2 = _mm512_add_epi64(a2, _mm512_load_si512(static_cast<const void*>(b + o + 128)));
    a3 = _mm512_add_epi64(a3, _mm512_load_si512(static_cast<const void*>(b + o + 192)));
  }
  alignas(64) std::uint64_t lanes[8];
  _mm512_store_si512(static_cast<void*>(lanes), _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)));
  std::uint64_t s = 0;
  for (auto v : lanes) s += v;
  return s;
}
#else
std::uint64_t read_sum(const char* b, std::size_t bytes) {
  std::uint64_t s = 0;
  for (std::size_t o = 0; o + 8 <= bytes; o += 8) {
    std::uint64_t v;
    std::memcpy(&v, b + o, 8);
    s += v;
  }
  return s;
}
#endif

volatile std::uint64_t sink;

double read_bandwidth(const char* buf, std::size_t bytes, int T, int reps) {
  std::vector<double> r;
  for (int k = 0; k < reps + 1; ++k) {
    std::vector<std::uint64_t> part(static_cast<std::size_t>(T));
    const double t0 = now();
    std::vector<std::thread> th;
    const std::size_t chunk = bytes / static_cast<std::size_t>(T) / 256 * 256;
    for (int t = 1; t < T; ++t)
      th.emplace_back([&, t] { part[std::size_t(t)] = read_sum(buf + chunk * std::size_t(t), chunk); });
    part[0] = read_sum(buf, chunk);
    for (auto& x : th) x.join();
    const double t1 = now();
    for (auto v : part) sink = sink + v;
    if (k > 0) r.push_back(static_cast<double>(chunk) * T / (t1 - t0));
  }
  return median(r);
}

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct timing {
  double wall = 0, cpu = 0;  // numbers per wall second, per CPU second
};

// `repeat` epochs of `s` on `p` with T threads, each from a fresh zero model; returns numbers
// per second of the epochs alone (the model set-up untimed). Fresh models matter for R_cmp's
// small set: 64 rows of d = 4096 are separable, so a model kept across its repetitions fits
// them within an epoch, its later steps round to zero coefficients and skip the update, and
// the "compute roofline" would time dot products alone (it read 36 GNPS against 11 for the
// update it stands for). From zero, every row's first visit has |g| ~ 1/2: the work of the big
// set, where each row is visited once per epoch.
template <class Solver, class D>
timing one_epoch(const Solver& s, const buckwild_problem<D>& p, int T, std::size_t epoch, int repeat = 1) {
  std::vector<double> w0(p.d, 0.0);
  double wall = 0, cpu = 0;
  std::uint64_t numbers = 0;
  for (int k = 0; k < repeat; ++k) {
    auto m = s.make_model(p, w0, 1.0);
    const double t0 = now(), c0 = cpu_now();
    numbers += s.run_epoch(p, m, epoch * 1000 + static_cast<std::size_t>(k), 0.01, T).numbers;
    wall += now() - t0;
    cpu += cpu_now() - c0;
  }
  return {static_cast<double>(numbers) / wall, static_cast<double>(numbers) / cpu};
}

struct row {
  std::string sig;
  int threads;
  double gnps, per_cpu, bw, roof_mem, roof_cmp, phi, vs_f32;
};

// --fmnist (see the top of the file).
int fmnist(int epochs, row_order order, int reps_unused) {
  (void)reps_unused;
  namespace ds = lowp::datasets;
  const auto root = ds::default_data_root();
  auto load = [&](const char* img, const char* lab) {
    auto x = ds::read_idx(ds::verified_path(img, root), ds::verified_path(lab, root));  // pixels / 255
    for (auto& y : x.y) y = y >= 5.0f ? 1.0f : -1.0f;
    return ds::with_bias_column(x);
  };
  const auto tr = load("fashion-mnist-train-images", "fashion-mnist-train-labels");
  const auto te = load("fashion-mnist-t10k-images", "fashion-mnist-t10k-labels");
  const double reference = 0.071, target = 0.915;
  std::printf("lowp-bench-buckwild --fmnist: Fashion-MNIST binary, %zu x %zu, lambda 1e-4, step 0.005 x 0.9^e, seed 1, "
              "%s rows; float SGD reference 0.071 s/epoch\n",
              tr.n, tr.d, to_string(order));
  std::printf("%-22s %2s %10s %10s %9s %9s %8s %12s %10s\n", "signature", "T", "s/epoch", "cpu-s/ep", "vs 0.071",
              "acc e1", "acc end", "epoch>=91.5", "time to it");
  auto go = [&](auto solver, const std::string& name, int T) {
    using S = decltype(solver);
    using D = typename S::data_type;
    const auto p = make_buckwild_problem<D>(tr, linear_loss::logistic);
    const auto t = make_buckwild_problem<D>(te, linear_loss::logistic);
    std::vector<double> w(p.d, 0.0);
    double range = 1.0;
    if constexpr (!std::is_same_v<typename S::model_type, float>) range = solver.estimate_range(p, w);
    auto m = solver.make_model(p, w, range);
    std::vector<double> wall, cpu, acc;
    for (int e = 0; e < epochs; ++e) {
      const double alpha = solver.options().step_size * std::pow(solver.options().step_decay, double(e));
      const double t0 = now(), c0 = cpu_now();
      solver.run_epoch(p, m, static_cast<std::size_t>(e), alpha, T);
      wall.push_back(now() - t0);
      cpu.push_back(cpu_now() - c0);
      acc.push_back(evaluate_buckwild(t, solver.values(p, m), 1e-4).accuracy);
    }
    int hit = -1;
    double to_hit = 0;
    for (int e = 0; e < epochs && hit < 0; ++e) {
      to_hit += wall[static_cast<std::size_t>(e)];
      if (acc[static_cast<std::size_t>(e)] >= target) hit = e + 1;
    }
    const double spe = median(wall);
    std::printf("%-22s %2d %10.5f %10.5f %8.1fx %8.2f%% %7.2f%% %12s %10s\n", name.c_str(), T, spe, median(cpu),
                reference / spe, 100 * acc.front(), 100 * acc.back(), hit > 0 ? std::to_string(hit).c_str() : "-",
                hit > 0 ? (std::to_string(to_hit).substr(0, 7) + " s").c_str() : "-");
  };
  for (int T : {1, 2}) {
    buckwild_options o;
    o.step_size = 0.005;
    o.step_decay = 0.9;
    o.seed = 1;
    o.l2 = 1e-4;
    o.threads = T;
    o.order = order;
    o.evaluate = false;
    go(buckwild<float, float, float, race::racy_simd>(o), "D32fM32f racy", T);
    go(buckwild<std::int8_t, std::int8_t, float, race::racy_simd>(o), "D8M8 racy", T);
    go(buckwild<std::int8_t, std::int8_t, float, race::atomic_relaxed>(o), "D8M8 atomic", T);
    go(buckwild<std::int8_t, std::int8_t, float, race::racy_simd, dither::shared>(o), "D8M8 shared racy", T);
    go(buckwild<std::int8_t, std::int16_t, float, race::racy_simd>(o), "D8M16 racy", T);
    go(buckwild<std::int8_t, std::int16_t, float, race::atomic_relaxed>(o), "D8M16 atomic", T);
    if (T > 1) {
      // Per-thread replicas averaged once per epoch (DMGC PerCore): no model line shared
      // between the cores while they run, which is what limits the shared-model rows.
      o.replicas = true;
      go(buckwild<std::int8_t, std::int8_t, float, race::racy_simd>(o), "D8M8 repl", T);
      go(buckwild<std::int8_t, std::int16_t, float, race::racy_simd>(o), "D8M16 repl", T);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  int log2_numbers = 29;  // 512 MiB of int8 data, 2 GiB of float: beyond the 260 MiB L3
  std::size_t d = 4096;
  std::string csv;
  row_order order = row_order::block_shuffled;
  bool fm = false;
  int fm_epochs = 10;
  for (int a = 1; a < argc; ++a) {
    const std::string s = argv[a];
    auto value = [&](const char* what) -> const char* {
      if (a + 1 >= argc) {
        std::fprintf(stderr, "lowp-bench-buckwild: %s needs a value\n", what);
        std::exit(2);
      }
      return argv[++a];
    };
    if (s == "--reps") reps = std::atoi(value("--reps"));
    else if (s == "--log2-numbers") log2_numbers = std::atoi(value("--log2-numbers"));
    else if (s == "--csv") csv = value("--csv");
    else if (s == "--order") {
      const std::string v = value("--order");
      if (v == "shuffled") order = row_order::shuffled;
      else if (v == "block_shuffled") order = row_order::block_shuffled;
      else if (v == "sequential") order = row_order::sequential;
      else {
        std::fprintf(stderr, "lowp-bench-buckwild: --order: %s is not shuffled, block_shuffled or sequential\n", v.c_str());
        return 2;
      }
    }
    else if (s == "--quick") reps = 3, log2_numbers = 28;
    else if (s == "--fmnist") fm = true;
    else if (s == "--epochs") fm_epochs = std::atoi(value("--epochs"));
    else if (s == "-h" || s == "--help") {
      std::printf("usage: lowp-bench-buckwild [--reps N] [--log2-numbers K (20..31)] [--quick] [--csv FILE]\n"
                  "                           [--order shuffled|block_shuffled|sequential]\n"
                  "       lowp-bench-buckwild --fmnist [--epochs E] [--order ...]\n");
      return 0;
    } else {
      std::fprintf(stderr, "lowp-bench-buckwild: unknown option %s\n", s.c_str());
      return 2;
    }
  }
  if (reps < 1 || reps > 1000 || log2_numbers < 20 || log2_numbers > 31) {
    std::fprintf(stderr, "lowp-bench-buckwild: --reps in 1..1000, --log2-numbers in 20..31\n");
    return 2;
  }
  if (fm) {
    if (fm_epochs < 1 || fm_epochs > 1000) {
      std::fprintf(stderr, "lowp-bench-buckwild: --epochs in 1..1000\n");
      return 2;
    }
    try {
      return fmnist(fm_epochs, order, reps);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lowp-bench-buckwild: %s\n", e.what());
      return 1;
    }
  }
  const std::size_t numbers = std::size_t(1) << log2_numbers;
  const std::size_t n = numbers / d, n_small = 64;  // small: 256 KiB of int8 (L2 resident)
  std::fprintf(stderr, "generating %zu x %zu dense rows (D8, D16, D32f)...\n", n, d);
  const auto p8 = make_data<std::int8_t>(n, d, 1), s8 = make_data<std::int8_t>(n_small, d, 2);
  const auto p16 = make_data<std::int16_t>(n, d, 3), s16 = make_data<std::int16_t>(n_small, d, 4);
  const auto pf = make_data<float>(n, d, 5), sf = make_data<float>(n_small, d, 6);
  const int small_reps = std::max(reps, 5);

  buckwild_options o;
  o.seed = 7;
  o.evaluate = false;
  o.order = order;
  using B8 = buckwild<std::int8_t, std::int8_t, float, race::racy_simd>;
  using B8s = buckwild<std::int8_t, std::int8_t, float, race::racy_simd, dither::shared>;
  using B16 = buckwild<std::int16_t, std::int16_t, float, race::racy_simd>;
  using B816 = buckwild<std::int8_t, std::int16_t, float, race::racy_simd>;
  using BF = buckwild<float, float, float, race::racy_simd>;

  std::vector<row> rows;
  const char* buf = reinterpret_cast<const char*>(pf.values.data());
  const std::size_t buf_bytes = pf.values.size() * sizeof(float);
  using B8a = buckwild<std::int8_t, std::int8_t, float, race::atomic_relaxed, dither::independent, threads::std_threads>;
  for (int T : {1, 2}) {
    std::fprintf(stderr, "threads %d: read bandwidth...\n", T);
    const double bw = read_bandwidth(buf, buf_bytes, T, reps);
    struct entry {
      std::string sig;
      double beta;
      std::function<timing(std::size_t)> big, small;
      std::vector<double> wall, cpu, cmp;
    };
    // T = 2 on the large data runs T workers; R_cmp is T x one thread on the small set.
    auto make = [&](const std::string& sig, auto solver, const auto& big, const auto& small, double beta) {
      entry e;
      e.sig = sig;
      e.beta = beta;
      e.big = [solver, &big, T](std::size_t k) { return one_epoch(solver, big, T, k); };
      e.small = [solver, &small](std::size_t k) { return one_epoch(solver, small, 1, k, 20); };
      return e;
    };
    std::vector<entry> es;
    es.push_back(make("D32fM32f", BF(o), pf, sf, 4.0));
    es.push_back(make("D8M8", B8(o), p8, s8, 1.0));
    es.push_back(make("D8M8 shared", B8s(o), p8, s8, 1.0));
    es.push_back(make("D8M8 atomic", B8a(o), p8, s8, 1.0));
    es.push_back(make("D16M16", B16(o), p16, s16, 2.0));
    es.push_back(make("D8M16", B816(o), p8, s8, 1.0));
    buckwild_options ob = o, orp = o, obr = o;
    ob.batch = 8;
    orp.replicas = true;
    obr.batch = 8;
    obr.replicas = true;
    es.push_back(make("D8M8 B8", B8(ob), p8, s8, 1.0));
    es.push_back(make("D8M8 repl", B8(orp), p8, s8, 1.0));
    es.push_back(make("D8M8 B8 repl", B8(obr), p8, s8, 1.0));
    std::fprintf(stderr, "threads %d: %d interleaved repetitions of %zu signatures...\n", T, reps + 1, es.size());
    for (int k = 0; k <= reps; ++k)
      for (auto& e : es) {
        const timing t = e.big(static_cast<std::size_t>(k));
        if (k > 0) e.wall.push_back(t.wall), e.cpu.push_back(t.cpu);
      }
    for (int k = 0; k <= small_reps; ++k)
      for (auto& e : es) {
        const timing t = e.small(static_cast<std::size_t>(k));
        if (k > 0) e.cmp.push_back(std::max(t.wall, 0.0));
      }
    for (auto& e : es) {
      row x;
      x.sig = e.sig;
      x.threads = T;
      x.gnps = median(e.wall) / 1e9;
      x.per_cpu = median(e.cpu) / 1e9;
      x.bw = bw / 1e9;
      x.roof_mem = bw / e.beta / 1e9;
      x.roof_cmp = T * median(e.cmp) / 1e9;
      x.phi = x.gnps / std::min(x.roof_mem, x.roof_cmp);
      rows.push_back(x);
    }
  }
  for (auto& x : rows)
    for (auto& y : rows)
      if (y.sig == "D32fM32f" && y.threads == x.threads) x.vs_f32 = x.gnps / y.gnps;

  std::printf("lowp-bench-buckwild: d = %zu, %zu rows (%zu numbers per epoch), median of %d interleaved epochs, "
              "race::racy_simd unless named, logistic loss, %s rows\n",
              d, n, numbers, reps, to_string(order));
  std::printf("%-12s %3s %9s %9s %9s %9s %9s %6s %8s\n", "signature", "T", "GNPS", "G/cpu-s", "BW GB/s", "R_mem",
              "R_cmp", "phi", "vs f32");
  for (const auto& x : rows)
    std::printf("%-12s %3d %9.2f %9.2f %9.1f %9.2f %9.2f %6.2f %8.2f\n", x.sig.c_str(), x.threads, x.gnps, x.per_cpu,
                x.bw, x.roof_mem, x.roof_cmp, x.phi, x.vs_f32);
  auto find = [&](const std::string& s, int T) {
    for (const auto& x : rows)
      if (x.sig == s && x.threads == T) return x;
    return row{};
  };
  const row a1 = find("D8M8", 1), a2 = find("D8M8", 2), r2 = find("D8M8 repl", 2);
  // The roofline goal is against memory (GNPS / R_mem); phi (against the lower of the
  // two roofs) says whether the rest is the kernel's compute or the overlap.
  std::printf("\ngoals (issue 6): D8M8 >= 3x D32fM32f: %.2fx (1 thread), %.2fx (2 threads); "
              ">= 0.8 of the memory roofline: %.2f (1), %.2f (2), %.2f (2, repl) [phi %.2f, %.2f, %.2f]; "
              "2 threads >= 1.8x 1 thread: %.2fx (shared model), %.2fx (repl)\n",
              a1.vs_f32, a2.vs_f32, a1.gnps / a1.roof_mem, a2.gnps / a2.roof_mem, r2.gnps / r2.roof_mem, a1.phi,
              a2.phi, r2.phi, a2.gnps / a1.gnps, r2.gnps / a1.gnps);
  if (!csv.empty()) {
    const std::string tmp = csv + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "lowp-bench-buckwild: cannot write %s\n", tmp.c_str());
      return 1;
    }
    std::fprintf(f, "signature,threads,order,gnps,g_per_cpu_s,read_bw_gbs,roof_mem_gnps,roof_cmp_gnps,phi,vs_f32\n");
    for (const auto& x : rows)
      std::fprintf(f, "%s,%d,%s,%.4f,%.4f,%.3f,%.4f,%.4f,%.4f,%.4f\n", x.sig.c_str(), x.threads, to_string(order),
                   x.gnps, x.per_cpu, x.bw, x.roof_mem, x.roof_cmp, x.phi, x.vs_f32);
    std::fclose(f);
    std::rename(tmp.c_str(), csv.c_str());
  }
  return 0;
}
