// lowp-bench-io: how fast the LIBSVM reader turns a9a into a csr_dataset,
// measured against the raw read bandwidth of the same file in the same run
// (and, with lowp::io, against reading the converted HDF5 file). A benchmark,
// not a test: it checks that every reader returns the same data (outside the
// timed region) and stops if not, and its goal line only compares the figure
// with the project's goal. See bench/README.md.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "lowp/datasets/catalogue.hpp"
#include "lowp/datasets/libsvm.hpp"
#if LOWP_BENCH_HAVE_IO
#include "lowp/datasets/hdf5.hpp"
#endif

#ifndef LOWP_BENCH_VERSION
#define LOWP_BENCH_VERSION "dev"
#endif
#ifndef LOWP_BENCH_DATA_ROOT
#define LOWP_BENCH_DATA_ROOT "../shared/datasets"
#endif

namespace lowp_bench_io {

namespace ds = lowp::datasets;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

constexpr double k_goal_seconds = 0.25;  // "parse a9a in well under a second"

[[noreturn]] __attribute__((format(printf, 2, 3))) void die(int code, const char* fmt, ...) {
  std::fflush(stdout);
  std::fprintf(stderr, "lowp-bench-io: ");
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "\n");
  std::exit(code);
}

// ---- command line ----------------------------------------------------------

struct options {
  std::string file;  // empty: the catalogued a9a, verified
  int reps = 5;
  bool h5 = true;
};

void print_help() {
  std::printf(
      "Usage: lowp-bench-io [options]\n"
      "LIBSVM parse throughput on a9a (or --file), compared with the raw read bandwidth of the\n"
      "same file and with reading the converted HDF5 file, all measured in this run.\n"
      "\n"
      "Options:\n"
      "  --file PATH   LIBSVM file to time (default: the catalogued a9a under $LOWP_DATA_DIR,\n"
      "                else " LOWP_BENCH_DATA_ROOT ", size and SHA-256 checked)\n"
      "  --reps N      timed repetitions per measurement, median reported (1..1000; default 5)\n"
      "  --quick       3 repetitions\n"
      "  --no-h5       skip the HDF5 measurement\n"
      "  -h, --help    this help\n"
      "\n"
      "Exit status: 0 done; 1 the file cannot be read, or the readers disagree; 2 bad command line.\n");
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], val;
    bool has_val = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      val = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      has_val = true;
    }
    auto value = [&]() -> std::string {
      if (has_val) return val;
      if (i + 1 >= argc) die(2, "option %s needs a value", a.c_str());
      return argv[++i];
    };
    auto no_value = [&] {
      if (has_val) die(2, "option %s takes no value", a.c_str());
    };
    if (a == "-h" || a == "--help") {
      no_value();
      print_help();
      std::exit(0);
    } else if (a == "--file") {
      o.file = value();
      if (o.file.empty()) die(2, "bad value for --file: empty path");
    } else if (a == "--reps") {
      const std::string v = value();
      char* end = nullptr;
      errno = 0;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || errno != 0 || *end != '\0' || n < 1 || n > 1000)
        die(2, "bad value for --reps: '%s' (expected an integer 1..1000)", v.c_str());
      o.reps = static_cast<int>(n);
    } else if (a == "--quick") {
      no_value();
      o.reps = 3;
    } else if (a == "--no-h5") {
      no_value();
      o.h5 = false;
    } else {
      die(2, "unknown argument '%s' (see --help)", argv[i]);
    }
  }
  return o;
}

// ---- timing ----------------------------------------------------------------

struct timing {
  double med = 0, lo = 0, hi = 0;  // seconds
};

// One untimed warm-up call (page cache, allocator, code), then `reps` timed
// calls. Each call builds and destroys its own result inside `body`; the
// destruction is timed too, as it is part of loading a data set and freeing it.
timing measure(int reps, const std::function<void()>& body) {
  body();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = clock_type::now();
    body();
    t.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  const std::size_t n = t.size();
  return {n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]), t.front(), t.back()};
}

// The raw-read roof: the whole file into memory with the same stdio calls the
// reader uses, plus one pass over every byte (a checksum) so the bytes are
// really touched once, as parsing touches them.
std::uint64_t read_and_checksum(const std::string& file, std::vector<unsigned char>& buf) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) die(1, "cannot open %s: %s", file.c_str(), std::strerror(errno));
  const std::size_t got = std::fread(buf.data(), 1, buf.size(), f);
  std::fclose(f);
  if (got != buf.size()) die(1, "%s: short read (%zu of %zu bytes)", file.c_str(), got, buf.size());
  std::uint64_t sum = 0;
  for (unsigned char c : buf) sum += c;
  return sum;
}

bool same(const ds::csr_dataset& a, const ds::csr_dataset& b) {
  return a.d == b.d && a.indptr == b.indptr && a.indices == b.indices && a.values == b.values && a.y == b.y;
}

// Removes the HDF5 scratch directory however the run ends (except a signal).
struct scratch_dir {
  fs::path path;
  ~scratch_dir() {
    if (path.empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string fmt_range(const timing& t) {
  char b[64];
  std::snprintf(b, sizeof b, "[%.2f, %.2f]", t.lo * 1e3, t.hi * 1e3);
  return b;
}

int run(int argc, char** argv) {
  const options o = parse(argc, argv);

  // ---- the file
  std::string file = o.file;
  std::string provenance = "as given (--file), not verified";
  std::size_t min_dim = 0;
  if (file.empty()) {
    const char* env = std::getenv("LOWP_DATA_DIR");
    const fs::path root =
        fs::weakly_canonical(env != nullptr && *env != '\0' ? fs::path(env) : fs::path(LOWP_BENCH_DATA_ROOT));
    try {
      file = ds::verified_path("a9a", root).string();
    } catch (const ds::io_error& e) {
      die(1, "%s (pass --file PATH to time another file)", e.what());
    }
    provenance = "catalogued a9a, size and sha256 verified";
    min_dim = ds::find_catalogued("a9a").min_dim;
  }
  std::error_code ec;
  const auto bytes = static_cast<std::size_t>(fs::file_size(file, ec));
  if (ec) die(1, "cannot stat %s: %s", file.c_str(), ec.message().c_str());
  ds::libsvm_options lo;
  lo.min_dim = min_dim;

  // ---- reference parse and agreement (untimed)
  std::vector<unsigned char> buf(bytes);
  read_and_checksum(file, buf);
  const std::string text(buf.begin(), buf.end());
  ds::csr_dataset ref;
  try {
    ref = ds::read_libsvm(file, lo);
  } catch (const std::exception& e) {
    die(1, "%s", e.what());
  }
  if (!same(ref, ds::parse_libsvm(text, file, lo))) die(1, "read_libsvm and parse_libsvm disagree on %s", file.c_str());

  std::printf("lowp-bench-io %s\n", LOWP_BENCH_VERSION);
  std::printf("file   %s (%zu bytes; %s)\n", file.c_str(), bytes, provenance.c_str());
  std::printf("data   %zu rows, d = %zu, nnz = %zu\n", ref.rows(), ref.d, ref.nnz());
  std::printf("timing %d repetitions after 1 warm-up, median [min, max]; page cache warm; 1 thread\n\n", o.reps);
  std::fflush(stdout);

  // ---- measurements
  volatile std::uint64_t sink = 0;
  std::fprintf(stderr, "lowp-bench-io: raw read\n");
  const timing raw = measure(o.reps, [&] { sink = sink + read_and_checksum(file, buf); });
  std::fprintf(stderr, "lowp-bench-io: read_libsvm\n");
  const timing from_file = measure(o.reps, [&] { sink = sink + ds::read_libsvm(file, lo).nnz(); });
  std::fprintf(stderr, "lowp-bench-io: parse_libsvm\n");
  const timing in_memory = measure(o.reps, [&] { sink = sink + ds::parse_libsvm(text, file, lo).nnz(); });

  bool have_h5 = false;
  timing h5;
  std::size_t h5_bytes = 0;
#if LOWP_BENCH_HAVE_IO
  scratch_dir scratch;
  if (o.h5) {
    scratch.path = fs::temp_directory_path() / ("lowp-bench-io." + std::to_string(::getpid()));
    fs::create_directories(scratch.path);
    const std::string h5_file = (scratch.path / "data.h5").string();
    ds::write_hdf5(h5_file, ref, {"lowp-bench-io:" + file, ""});
    h5_bytes = static_cast<std::size_t>(fs::file_size(h5_file));
    if (!same(ref, ds::read_hdf5_csr(h5_file))) die(1, "read_hdf5_csr disagrees with read_libsvm on %s", file.c_str());
    std::fprintf(stderr, "lowp-bench-io: read_hdf5_csr\n");
    h5 = measure(o.reps, [&] { sink = sink + ds::read_hdf5_csr(h5_file).nnz(); });
    have_h5 = true;
  }
#endif

  // ---- report
  const double mb = static_cast<double>(bytes) / 1e6, rows = static_cast<double>(ref.rows());
  std::printf("%-22s %9s %-16s %9s %9s %9s\n", "measurement", "ms", "[min, max]", "MB/s", "Mrows/s",
              "vs raw");
  auto line = [&](const char* name, const timing& t, double megabytes) {
    std::printf("%-22s %9.2f %-16s %9.1f %9.3f %9.4f\n", name, t.med * 1e3, fmt_range(t).c_str(), megabytes / t.med,
                rows / t.med / 1e6, raw.med / t.med);
  };
  line("raw read + checksum", raw, mb);
  line("read_libsvm (file)", from_file, mb);
  line("parse_libsvm (memory)", in_memory, mb);
  if (have_h5) line("read_hdf5_csr (.h5)", h5, static_cast<double>(h5_bytes) / 1e6);
  std::printf(
      "\nms: median time of one call; MB/s: 10^6 bytes of the LIBSVM text per second (for the .h5\n"
      "row, of the %zu-byte .h5 file); vs raw: raw read + checksum time / this time, which for the\n"
      "LIBSVM rows is the fraction of the raw read bandwidth the parser reaches.\n",
      h5_bytes);
  if (have_h5) std::printf("read_hdf5_csr is %.1fx faster than read_libsvm\n", from_file.med / h5.med);
  else if (o.h5) std::printf("read_hdf5_csr: n/a (built without lowp::io)\n");
  std::printf("\ngoal: parse %s in well under a second (median read_libsvm < %.2f s): %s (%.3f s)\n",
              min_dim != 0 ? "a9a" : "the file", k_goal_seconds, from_file.med < k_goal_seconds ? "PASS" : "MISS",
              from_file.med);
  (void)sink;
  return 0;
}

}  // namespace lowp_bench_io

int main(int argc, char** argv) {
  try {
    return lowp_bench_io::run(argc, argv);
  } catch (const std::bad_alloc&) {
    lowp_bench_io::die(1, "out of memory");
  } catch (const std::exception& e) {
    lowp_bench_io::die(1, "error: %s", e.what());
  }
}
