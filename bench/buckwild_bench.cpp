// lowp-bench-buckwild: Hogwild!/Buckwild! throughput in dataset numbers per
// second (the ISCA 2017 "GNPS" unit) on dense data larger than the caches,
// for D8M8, D16M16 and D32fM32f, 1 and 2 threads, with the ratios the issue
// asks for and the roofline of spec 6.2 measured in the same run:
//   R_mem = BW_read(T) / beta, beta = bytes per dataset number (the model is
//           cache resident: d = 4096);
//   R_cmp = T x (the same solver epoch on an L2-resident data set, 1 thread);
//   phi   = R / min(R_mem, R_cmp).
// Every figure is the median of --reps epochs (after one warm-up epoch).
// Policy: race::racy_simd (the fast, documented-racy policy), logistic loss,
// independent dithers (and D8M8 with shared dithers as an extra row).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

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

template <class Solver, class D>
double numbers_per_second(const Solver& s, const buckwild_problem<D>& p, int T, int reps) {
  std::vector<double> w0(p.d, 0.0);
  auto m = s.make_model(p, w0, 1.0);
  std::vector<double> r;
  for (int k = 0; k < reps + 1; ++k) {
    const double t0 = now();
    const auto c = s.run_epoch(p, m, static_cast<std::size_t>(k), 0.01, T);
    const double t1 = now();
    if (k > 0) r.push_back(static_cast<double>(c.numbers) / (t1 - t0));
  }
  return median(r);
}

struct row {
  std::string sig;
  int threads;
  double gnps, bw, roof_mem, roof_cmp, phi, vs_f32;
};

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  int log2_numbers = 29;  // 512 MiB of int8 data, 2 GiB of float: beyond the 260 MiB L3
  std::size_t d = 4096;
  std::string csv;
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
    else if (s == "--quick") reps = 3, log2_numbers = 28;
    else if (s == "-h" || s == "--help") {
      std::printf("usage: lowp-bench-buckwild [--reps N] [--log2-numbers K (20..31)] [--quick] [--csv FILE]\n");
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
  using B8 = buckwild<std::int8_t, std::int8_t, float, race::racy_simd>;
  using B8s = buckwild<std::int8_t, std::int8_t, float, race::racy_simd, dither::shared>;
  using B16 = buckwild<std::int16_t, std::int16_t, float, race::racy_simd>;
  using BF = buckwild<float, float, float, race::racy_simd>;

  std::vector<row> rows;
  const char* buf = reinterpret_cast<const char*>(pf.values.data());
  const std::size_t buf_bytes = pf.values.size() * sizeof(float);
  for (int T : {1, 2}) {
    std::fprintf(stderr, "threads %d: read bandwidth...\n", T);
    const double bw = read_bandwidth(buf, buf_bytes, T, reps);
    auto measure = [&](const std::string& sig, auto solver, const auto& big, const auto& small, double beta) {
      std::fprintf(stderr, "threads %d: %s...\n", T, sig.c_str());
      const double cmp1 = numbers_per_second(solver, small, 1, small_reps * 50);
      const double r = numbers_per_second(solver, big, T, reps);
      row x;
      x.sig = sig;
      x.threads = T;
      x.gnps = r / 1e9;
      x.bw = bw / 1e9;
      x.roof_mem = bw / beta / 1e9;
      x.roof_cmp = T * cmp1 / 1e9;
      x.phi = x.gnps / std::min(x.roof_mem, x.roof_cmp);
      rows.push_back(x);
    };
    measure("D32fM32f", BF(o), pf, sf, 4.0);
    measure("D8M8", B8(o), p8, s8, 1.0);
    measure("D8M8 shared", B8s(o), p8, s8, 1.0);
    measure("D16M16", B16(o), p16, s16, 2.0);
  }
  for (auto& x : rows)
    for (auto& y : rows)
      if (y.sig == "D32fM32f" && y.threads == x.threads) x.vs_f32 = x.gnps / y.gnps;

  std::printf("lowp-bench-buckwild: d = %zu, %zu rows (%zu numbers per epoch), median of %d epochs, race::racy_simd, "
              "logistic loss\n",
              d, n, numbers, reps);
  std::printf("%-12s %3s %9s %9s %9s %9s %6s %8s\n", "signature", "T", "GNPS", "BW GB/s", "R_mem", "R_cmp", "phi",
              "vs f32");
  for (const auto& x : rows)
    std::printf("%-12s %3d %9.2f %9.1f %9.2f %9.2f %6.2f %8.2f\n", x.sig.c_str(), x.threads, x.gnps, x.bw,
                x.roof_mem, x.roof_cmp, x.phi, x.vs_f32);
  auto find = [&](const std::string& s, int T) {
    for (const auto& x : rows)
      if (x.sig == s && x.threads == T) return x;
    return row{};
  };
  const row a1 = find("D8M8", 1), a2 = find("D8M8", 2);
  std::printf("\ngoals (issue 6): D8M8 >= 3x D32fM32f: %.2fx (1 thread), %.2fx (2 threads); "
              "phi >= 0.8: %.2f (1), %.2f (2); 2 threads >= 1.8x 1 thread: %.2fx\n",
              a1.vs_f32, a2.vs_f32, a1.phi, a2.phi, a2.gnps / a1.gnps);
  if (!csv.empty()) {
    const std::string tmp = csv + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "lowp-bench-buckwild: cannot write %s\n", tmp.c_str());
      return 1;
    }
    std::fprintf(f, "signature,threads,gnps,read_bw_gbs,roof_mem_gnps,roof_cmp_gnps,phi,vs_f32\n");
    for (const auto& x : rows)
      std::fprintf(f, "%s,%d,%.4f,%.3f,%.4f,%.4f,%.4f,%.4f\n", x.sig.c_str(), x.threads, x.gnps, x.bw, x.roof_mem,
                   x.roof_cmp, x.phi, x.vs_f32);
    std::fclose(f);
    std::rename(tmp.c_str(), csv.c_str());
  }
  return 0;
}
