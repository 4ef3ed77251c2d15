// lowp: command-line tool. `lowp data info|convert|quantize`, `lowp run info`,
// `lowp plot`.
// Exit codes: 0 success, 1 data error (parse_error / io_error / invalid data,
// or gnuplot missing or failing), 2 usage error (bad option values, missing
// files, unsupported combinations).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "solve_cmd.hpp"
#include "hls_cmd.hpp"
#include "gibbs_cmd.hpp"
#include "mf_cmd.hpp"
#include "buckwild_cmd.hpp"
#include "run_program.hpp"
#include <unistd.h>

#include "lowp/datasets/dataset.hpp"
#include "lowp/datasets/error.hpp"
#include "lowp/datasets/hdf5.hpp"
#include "lowp/datasets/idx.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "lowp/datasets/quantized.hpp"
#include "lowp/datasets/ratings.hpp"
#include "lowp/datasets/sha256.hpp"
#include "lowp/datasets/uai.hpp"
#include "lowp/runs/run_log.hpp"

namespace ds = lowp::datasets;
namespace fs = std::filesystem;
namespace runs = lowp::runs;

namespace {

// A usage problem found after parsing (exit 2).
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const std::vector<std::string> k_formats = {"auto", "libsvm", "movielens", "csv", "idx", "h5", "uai"};

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

bool has_idx_magic(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char m[4] = {0, 0, 0, 0};
  if (!f.read(reinterpret_cast<char*>(m), 4)) return false;
  return m[0] == 0 && m[1] == 0 && m[2] == 0x08 && (m[3] == 1 || m[3] == 3);
}

bool has_hdf5_magic(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char m[8] = {};
  if (!f.read(m, 8)) return false;
  return std::string(m, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

std::string detect_format(const std::string& path, const std::string& requested) {
  if (requested != "auto") return requested;
  const std::string name = fs::path(path).filename().string();
  if (ends_with(name, ".h5") || ends_with(name, ".hdf5") || has_hdf5_magic(path)) return "h5";
  if (ends_with(name, ".gz") || has_idx_magic(path)) return "idx";
  if (ends_with(name, ".uai")) return "uai";
  if (name == "u.data" || ends_with(name, ".base") || ends_with(name, ".test")) return "movielens";
  if (ends_with(name, ".csv")) return "csv";
  return "libsvm";
}

void require_readable(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw usage_error(path + ": no such file");
  if (fs::is_directory(path, ec)) throw usage_error(path + ": is a directory, not a file");
}

// ---- statistics -------------------------------------------------------------

struct summary {
  std::string kind;
  std::size_t rows = 0, d = 0, nnz = 0;
  double vmin = std::numeric_limits<double>::infinity();
  double vmax = -std::numeric_limits<double>::infinity();
  std::map<float, std::size_t> labels;
  bool has_labels = true;
  std::string label_name = "labels";
  std::vector<std::string> extra;
  void value(double v) {
    vmin = std::min(vmin, v);
    vmax = std::max(vmax, v);
  }
};

template <class Vec>
void count_labels(summary& s, const Vec& y) {
  for (float v : y) {
    ++s.labels[v];
    if (s.labels.size() > 20) break;  // more is not printed anyway
  }
}

summary summarize(const ds::csr_dataset& x) {
  summary s;
  s.kind = "csr";
  s.rows = x.rows();
  s.d = x.d;
  s.nnz = x.nnz();
  for (float v : x.values) s.value(v);
  if (s.nnz < s.rows * s.d) s.value(0.0);  // implicit zeros
  count_labels(s, x.y);
  return s;
}

summary summarize(const ds::dense_dataset& x) {
  summary s;
  s.kind = "dense";
  s.rows = x.n;
  s.d = x.d;
  for (float v : x.X) {
    s.value(v);
    if (v != 0.0f) ++s.nnz;
  }
  count_labels(s, x.y);
  return s;
}

summary summarize(const ds::ratings& r) {
  summary s;
  s.kind = "ratings";
  s.rows = r.n_users;
  s.d = r.n_items;
  s.nnz = r.size();
  for (float v : r.rating) s.value(v);
  s.label_name = "ratings";
  count_labels(s, r.rating);
  s.extra.push_back("users: " + std::to_string(r.n_users) + "  items: " + std::to_string(r.n_items) +
                    "  (rows = users, d = items, nnz = ratings)");
  return s;
}

summary summarize(const ds::uai_model& m) {
  summary s;
  s.kind = m.type == ds::uai_network::bayes ? "uai (BAYES)" : "uai (MARKOV)";
  s.rows = m.factors.size();
  s.d = m.n_vars();
  for (const auto& f : m.factors) {
    for (double v : f.table) {
      s.value(v);
      if (v != 0.0) ++s.nnz;
    }
  }
  s.has_labels = false;
  s.extra.push_back("variables: " + std::to_string(m.n_vars()) + "  factors: " + std::to_string(m.factors.size()) +
                    "  (rows = factors, d = variables, nnz/values = table entries)");
  return s;
}

void print_summary(const std::string& path, const std::string& format, const summary& s) {
  std::printf("file:     %s\n", path.c_str());
  std::printf("format:   %s (%s)\n", format.c_str(), s.kind.c_str());
  for (const auto& e : s.extra) std::printf("%s\n", e.c_str());
  std::printf("rows:     %zu\n", s.rows);
  std::printf("d:        %zu\n", s.d);
  std::printf("nnz:      %zu\n", s.nnz);
  const double cells = static_cast<double>(s.rows) * static_cast<double>(s.d);
  std::printf("density:  %.6g\n", cells > 0 ? static_cast<double>(s.nnz) / cells : 0.0);
  if (s.vmin <= s.vmax)
    std::printf("values:   [%.9g, %.9g]\n", s.vmin, s.vmax);
  else
    std::printf("values:   (none)\n");
  if (s.has_labels) {
    if (s.labels.size() > 20) {
      std::printf("%s: more than 20 distinct values (no histogram)\n", s.label_name.c_str());
    } else {
      std::printf("%s:\n", s.label_name.c_str());
      for (const auto& [v, c] : s.labels) std::printf("  %-12.9g %zu\n", static_cast<double>(v), c);
    }
  }
}

// ---- commands -----------------------------------------------------------------

summary read_any(const std::string& in, const std::string& format) {
  if (format == "libsvm") return summarize(ds::read_libsvm(in));
  if (format == "movielens") return summarize(ds::read_movielens(in));
  if (format == "csv") return summarize(ds::read_ratings_csv(in));
  if (format == "uai") return summarize(ds::read_uai(in));
  if (format == "h5") {
    if (ds::probe_hdf5(in) == ds::h5_kind::csr) return summarize(ds::read_hdf5_csr(in));
    return summarize(ds::read_hdf5_dense(in));
  }
  // idx: images, or else a labels file
  try {
    const ds::idx_images img = ds::read_idx_images(in);
    summary s;
    s.kind = "idx images";
    s.rows = img.n;
    s.d = img.rows * img.cols;
    for (std::uint8_t p : img.pixels) {
      s.value(p);
      if (p != 0) ++s.nnz;
    }
    s.has_labels = false;
    s.extra.push_back("images: " + std::to_string(img.n) + " x " + std::to_string(img.rows) + " x " +
                      std::to_string(img.cols) + " (raw pixel values 0..255)");
    return s;
  } catch (const ds::parse_error& first) {
    std::vector<std::uint8_t> lab;
    try {
      lab = ds::read_idx_labels(in);
    } catch (const ds::parse_error&) {
      throw first;
    }
    summary s;
    s.kind = "idx labels";
    s.rows = lab.size();
    s.d = 0;
    for (std::uint8_t v : lab) s.value(v);
    count_labels(s, std::vector<float>(lab.begin(), lab.end()));
    return s;
  }
}

int cmd_info(const std::string& in, const std::string& fmt_opt) {
  require_readable(in);
  const std::string format = detect_format(in, fmt_opt);
  const summary s = read_any(in, format);
  const std::string sha = ds::sha256_file(in);
  print_summary(in, format, s);
  std::printf("sha256:   %s\n", sha.c_str());
  return 0;
}

int cmd_convert(const std::string& in, const std::string& out, const std::string& fmt_opt, bool dense,
                const std::string& labels) {
  require_readable(in);
  if (!labels.empty()) require_readable(labels);
  const std::string format = detect_format(in, fmt_opt);
  {  // fail early (before parsing a large input) if the output directory is unusable
    const fs::path dir = fs::path(out).has_parent_path() ? fs::path(out).parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw usage_error(out + ": output directory " + dir.string() + " does not exist");
    if (fs::is_directory(out, ec)) throw usage_error(out + ": is a directory");
  }
  ds::h5_attributes attr;
  attr.source = fs::path(in).filename().string();
  if (format == "libsvm") {
    if (!labels.empty()) throw usage_error("--labels is only for IDX image input");
    const ds::csr_dataset x = ds::read_libsvm(in);
    attr.sha256 = ds::sha256_file(in);
    if (dense)
      ds::write_hdf5(out, ds::to_dense(x), attr);
    else
      ds::write_hdf5(out, x, attr);
    std::printf("wrote %s: %zu rows, d %zu, %s\n", out.c_str(), x.rows(), x.d, dense ? "dense" : "csr");
  } else if (format == "idx") {
    if (labels.empty()) throw usage_error("IDX input needs --labels FILE (the matching labels file)");
    const ds::dense_dataset x = ds::read_idx(in, labels);
    attr.sha256 = ds::sha256_file(in);
    ds::write_hdf5(out, x, attr);
    std::printf("wrote %s: %zu rows, d %zu, dense\n", out.c_str(), x.n, x.d);
  } else {
    throw usage_error("cannot convert format '" + format + "' to HDF5 (supported: libsvm, idx)");
  }
  return 0;
}

template <class S, class X>
ds::quantization_report run_quantize(const X& x, const ds::quantize_options& o) {
  return ds::quantize<S>(x, o).report;
}

int cmd_quantize(const std::string& in, int bits, const std::string& rounding, const std::string& scale,
                 std::uint64_t seed) {
  require_readable(in);
  ds::quantize_options o;
  o.scale = scale == "feature" ? ds::scale_mode::per_feature : ds::scale_mode::per_dataset;
  o.rounding = rounding == "stochastic" ? lowp::kernels::rounding_mode::stochastic
                                        : lowp::kernels::rounding_mode::nearest_even;
  o.seed = seed;
  ds::quantization_report r;
  std::size_t n = 0, d = 0;
  if (ds::probe_hdf5(in) == ds::h5_kind::csr) {
    const ds::csr_dataset x = ds::read_hdf5_csr(in);
    n = x.rows();
    d = x.d;
    r = bits == 8 ? run_quantize<std::int8_t>(x, o) : run_quantize<std::int16_t>(x, o);
  } else {
    const ds::dense_dataset x = ds::read_hdf5_dense(in);
    n = x.n;
    d = x.d;
    r = bits == 8 ? run_quantize<std::int8_t>(x, o) : run_quantize<std::int16_t>(x, o);
  }
  std::printf("file:     %s (%zu rows, d %zu)\n", in.c_str(), n, d);
  std::printf("quantize: int%d, rounding %s, scale per-%s, seed %llu\n", bits, rounding.c_str(), scale.c_str(),
              static_cast<unsigned long long>(seed));
  std::printf("max_abs_error:            %.9g\n", r.max_abs_error);
  std::printf("rms_error:                %.9g\n", r.rms_error);
  std::printf("relative_frobenius_error: %.9g\n", r.relative_frobenius_error);
  std::printf("clipped:                  %llu\n", static_cast<unsigned long long>(r.clipped));
  return 0;
}

// ---- run logs: `lowp run info`, `lowp plot` -------------------------------------

std::string format_param(const runs::param_value& v) {
  char buf[64];
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    std::snprintf(buf, sizeof buf, "%g", *d);
    return buf;
  }
  return std::get<std::string>(v);
}

std::string format_params(const runs::param_list& params) {
  std::string s;
  for (const auto& [name, v] : params) s += (s.empty() ? "" : " ") + name + "=" + format_param(v);
  return s;
}

void print_trace_row(const runs::trace_row& r) {
  std::printf("%7llu %14.8g %12.6g %12.6g %12.6g %10.3f %12llu %14llu\n", static_cast<unsigned long long>(r.epoch),
              r.objective, r.gap, r.grad_norm, r.scale, r.seconds, static_cast<unsigned long long>(r.saturations),
              static_cast<unsigned long long>(r.work));
}

int cmd_run_info(const std::string& in, bool all_rows) {
  require_readable(in);
  const runs::run_record r = runs::read_run_log(in);
  std::printf("file:       %s\n", in.c_str());
  std::printf("algorithm:  %s\n", r.algorithm.c_str());
  std::printf("seed:       %llu\n", static_cast<unsigned long long>(r.seed));
  std::printf("status:     %s\n", r.status.c_str());
  if (!r.message.empty()) std::printf("message:    %s\n", r.message.c_str());
  std::printf("params:     %s\n", r.params.empty() ? "(none)" : format_params(r.params).c_str());
  std::printf("version:    lowp %s (git %s)\n", r.library_version.c_str(), r.git_revision.c_str());
  std::printf("machine:    %s on %s, isa %s\n", r.hostname.c_str(), r.cpu_model.c_str(),
              r.isa.empty() ? "(not recorded)" : r.isa.c_str());
  std::printf("started:    %s\n", r.started_utc.c_str());
  std::printf("model:      %zu values\n", r.model.size());
  std::printf("trace:      %zu rows\n", r.trace.size());
  if (r.trace.empty()) return 0;
  std::printf("%7s %14s %12s %12s %12s %10s %12s %14s\n", "epoch", "objective", "gap", "grad_norm", "scale", "seconds",
              "saturations", "work");
  // A long run prints its head and tail; the middle is what --all is for.
  const std::size_t n = r.trace.size(), keep = 10;
  for (std::size_t i = 0; i < n; ++i) {
    if (!all_rows && n > 2 * keep && i == keep) {
      std::printf("%7s (%zu rows not shown; --all prints every row)\n", "...", n - 2 * keep);
      i = n - keep;
    }
    print_trace_row(r.trace[i]);
  }
  return 0;
}

double x_value(const runs::trace_row& r, const std::string& x) {
  if (x == "seconds") return r.seconds;
  if (x == "work") return static_cast<double>(r.work);
  return static_cast<double>(r.epoch);
}

double y_value(const runs::trace_row& r, const std::string& y) {
  if (y == "gap") return r.gap;
  if (y == "grad_norm") return r.grad_norm;
  return r.objective;
}

// "halp b=8": the algorithm plus the params that tell the runs apart (all of
// them, up to four, for a single run), then the seed if that still leaves
// two runs with one label, then the file name as a last resort.
std::vector<std::string> run_labels(const std::vector<runs::run_record>& logs, const std::vector<std::string>& paths) {
  std::set<std::string> varying;
  if (logs.size() > 1) {
    std::map<std::string, std::set<std::string>> values;
    std::map<std::string, std::size_t> present;
    for (const auto& r : logs)
      for (const auto& [name, v] : r.params) {
        values[name].insert(format_param(v));
        ++present[name];
      }
    for (const auto& [name, vs] : values)
      if (vs.size() > 1 || present[name] != logs.size()) varying.insert(name);
  }
  std::vector<std::string> labels;
  for (const auto& r : logs) {
    std::string l = r.algorithm.empty() ? "?" : r.algorithm;
    std::size_t shown = 0;
    for (const auto& [name, v] : r.params) {
      if (logs.size() > 1 ? varying.count(name) == 0 : shown == 4) continue;
      l += " " + name + "=" + format_param(v);
      ++shown;
    }
    labels.push_back(l);
  }
  auto dedupe = [&](auto suffix) {
    std::map<std::string, std::size_t> count;
    for (const auto& l : labels) ++count[l];
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (count[labels[i]] > 1) labels[i] += suffix(i);
  };
  dedupe([&](std::size_t i) { return " seed=" + std::to_string(logs[i].seed); });
  dedupe([&](std::size_t i) { return " (" + fs::path(paths[i]).filename().string() + ")"; });
  return labels;
}

// A gnuplot single-quoted string: no escapes except '' for a quote.
std::string gp_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

std::string find_gnuplot() {
  // LOWP_GNUPLOT overrides the PATH search (a specific build, or a test that
  // needs gnuplot to be missing).
  if (const char* env = std::getenv("LOWP_GNUPLOT"); env != nullptr && *env != '\0') {
    if (::access(env, X_OK) != 0)
      throw std::runtime_error(std::string("LOWP_GNUPLOT=") + env + " is not an executable program");
    return env;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t b = 0;
  while (b <= dirs.size()) {
    std::size_t e = dirs.find(':', b);
    if (e == std::string::npos) e = dirs.size();
    const fs::path candidate = fs::path(e > b ? dirs.substr(b, e - b) : ".") / "gnuplot";
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    b = e + 1;
  }
  throw std::runtime_error("gnuplot not found on PATH (install gnuplot-nox, e.g. via scripts/setup, or set LOWP_GNUPLOT)");
}

// A private directory for the data and script files, removed on every path out.
class scratch_dir {
 public:
  scratch_dir() {
    std::string tmpl = (fs::temp_directory_path() / "lowp_plot_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory in " + tmpl);
    path_ = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

struct plot_options {
  std::vector<std::string> runs;
  std::string out;
  std::string x = "epochs";
  std::string y;  // empty: gap when every run has finite gaps, else objective
  std::string title;
  bool linear = false;
};

int cmd_plot(plot_options o) {
  for (const auto& p : o.runs) require_readable(p);
  if (o.out.empty()) o.out = fs::path(o.runs.front()).replace_extension(".png").string();
  {
    const fs::path dir = fs::path(o.out).has_parent_path() ? fs::path(o.out).parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw usage_error(o.out + ": output directory " + dir.string() + " does not exist");
    if (fs::is_directory(o.out, ec)) throw usage_error(o.out + ": is a directory");
  }
  std::vector<runs::run_record> logs;
  for (const auto& p : o.runs) logs.push_back(runs::read_run_log(p));

  if (o.y.empty()) {
    bool all_gap = true;
    for (const auto& r : logs) {
      all_gap = all_gap && !r.trace.empty();
      for (const auto& row : r.trace) all_gap = all_gap && std::isfinite(row.gap);
    }
    o.y = all_gap ? "gap" : "objective";
  }
  const bool log_y = !o.linear;
  const std::string gnuplot = find_gnuplot();
  const std::vector<std::string> labels = run_labels(logs, o.runs);

  scratch_dir scratch;
  std::string plot_cmd;
  std::size_t plotted = 0;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const fs::path dat = scratch.path() / ("run" + std::to_string(i) + ".dat");
    std::FILE* f = std::fopen(dat.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + dat.string());
    std::size_t points = 0;
    for (const auto& row : logs[i].trace) {
      const double x = x_value(row, o.x), y = y_value(row, o.y);
      // gnuplot would drop these itself on a log axis, but silently.
      if (!std::isfinite(x) || !std::isfinite(y) || (log_y && y <= 0.0)) continue;
      std::fprintf(f, "%.17g %.17g\n", x, y);
      ++points;
    }
    const bool write_ok = std::fclose(f) == 0;
    if (!write_ok) throw std::runtime_error("cannot write " + dat.string());
    if (points == 0) {
      std::fprintf(stderr, "lowp: note: %s: no %sfinite values of %s; not plotted%s\n", o.runs[i].c_str(),
                   log_y ? "positive " : "", o.y.c_str(), log_y ? " on a log scale (try --linear)" : "");
      continue;
    }
    ++plotted;
    plot_cmd += (plot_cmd.empty() ? "plot " : ", \\\n     ") + gp_quote(dat.string()) +
                " using 1:2 with linespoints linewidth 2 pointsize 0.6 title " + gp_quote(labels[i]);
  }
  if (plot_cmd.empty()) {
    std::string files;
    for (const auto& p : o.runs) files += (files.empty() ? "" : ", ") + p;
    throw std::runtime_error(files + ": nothing to plot (no usable " + o.y + " values)");
  }

  const std::map<std::string, std::string> axis_names = {
      {"epochs", "epoch"}, {"seconds", "wall time (s)"}, {"work", "work (example gradients)"},
      {"objective", "objective f(w)"}, {"gap", "gap f(w) - f*"}, {"grad_norm", "full gradient norm"}};
  // Same directory as the output, so the final rename cannot cross filesystems.
  const std::string tmp_png = o.out + ".tmp." + std::to_string(static_cast<long long>(::getpid())) + ".png";
  const fs::path script = scratch.path() / "plot.gp";
  {
    std::ofstream g(script);
    // pngcairo draws antialiased lines; plain png (libgd) is the fallback
    // that every gnuplot build has. noenhanced: labels like "grad_norm" or
    // "b=8" must print literally, not as subscripts.
    g << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
         "  set terminal pngcairo noenhanced size 960,600\n"
         "} else {\n"
         "  set terminal png noenhanced size 960,600\n"
         "}\n"
      << "set output " << gp_quote(tmp_png) << "\n"
      << "set title " << gp_quote(o.title.empty() ? axis_names.at(o.y) + " vs " + axis_names.at(o.x) : o.title)
      << "\n"
      << "set xlabel " << gp_quote(axis_names.at(o.x)) << "\n"
      << "set ylabel " << gp_quote(axis_names.at(o.y)) << "\n"
      << "set grid\nset key top right\n" << (log_y ? "set logscale y\nset format y '%.0e'\n" : "") << plot_cmd
      << "\nunset output\n";
    if (!g) throw std::runtime_error("cannot write " + script.string());
  }
  struct remove_on_exit {
    std::string p;
    ~remove_on_exit() {
      std::error_code ec;
      fs::remove(p, ec);
    }
  } tmp_guard{tmp_png};
  const int rc = lowp_tools::run_program({gnuplot, script.string()});
  std::error_code ec;
  if (rc != 0)
    throw std::runtime_error(gnuplot + " " + (rc < 0 ? "could not be run or was killed" : "exited with status " + std::to_string(rc)) +
                             " while plotting " + o.out);
  if (!fs::is_regular_file(tmp_png, ec) || fs::file_size(tmp_png, ec) == 0)
    throw std::runtime_error(gnuplot + " wrote no image for " + o.out);
  fs::rename(tmp_png, o.out, ec);
  if (ec) throw std::runtime_error("cannot rename " + tmp_png + " to " + o.out + ": " + ec.message());
  const std::string of = plotted < logs.size() ? std::to_string(plotted) + " of " : "";
  std::printf("wrote %s: %s%zu run%s, %s vs %s%s\n", o.out.c_str(), of.c_str(), logs.size(),
              logs.size() == 1 ? "" : "s", o.y.c_str(), o.x.c_str(), log_y ? " (log y)" : "");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lowp: low-precision training and optimization tools", "lowp"};
  app.require_subcommand(1);

  CLI::App* data = app.add_subcommand("data", "Inspect, convert and quantize datasets");
  data->require_subcommand(1);

  const std::string fmt_help =
      "Input format: auto (default; .h5 -> h5, .gz or IDX magic -> idx, .uai -> uai, "
      "u.data/.base/.test -> movielens, .csv -> csv, else libsvm), libsvm, movielens, csv, idx, h5, uai";

  std::string info_in, info_fmt = "auto";
  CLI::App* info = data->add_subcommand("info", "Read a dataset and print rows, d, nnz, density, label histogram, "
                                                "value range and sha256");
  info->add_option("FILE", info_in, "Dataset file to read")->required();
  info->add_option("--format", info_fmt, fmt_help)->check(CLI::IsMember(k_formats));

  std::string conv_in, conv_out, conv_fmt = "auto", conv_labels;
  bool conv_dense = false;
  CLI::App* convert = data->add_subcommand(
      "convert", "Convert LIBSVM or IDX images (+ --labels) to HDF5, with attributes source and sha256 of the input");
  convert->add_option("IN", conv_in, "Input file (LIBSVM, or IDX images)")->required();
  convert->add_option("OUT", conv_out, "Output .h5 file (written to a temp file, then renamed)")->required();
  convert->add_option("--format", conv_fmt, fmt_help)->check(CLI::IsMember(k_formats));
  convert->add_flag("--dense", conv_dense, "LIBSVM: store dense /X instead of CSR");
  convert->add_option("--labels", conv_labels, "IDX: the labels file matching the images file IN");

  std::string q_in, q_rounding = "nearest", q_scale = "dataset";
  int q_bits = 8;
  std::uint64_t q_seed = 0;
  CLI::App* quant = data->add_subcommand("quantize", "Quantize an HDF5 dataset and print the error report");
  quant->add_option("IN", q_in, "Input .h5 file (dense or CSR)")->required();
  quant->add_option("--bits", q_bits, "Storage width: 8 (int8) or 16 (int16); default 8")
      ->check(CLI::IsMember({8, 16}));
  quant->add_option("--rounding", q_rounding, "nearest (round to nearest even; default) or stochastic")
      ->check(CLI::IsMember({"nearest", "stochastic"}));
  quant->add_option("--scale", q_scale, "dataset (one step; default) or feature (one step per column)")
      ->check(CLI::IsMember({"dataset", "feature"}));
  quant->add_option("--seed", q_seed, "Seed for stochastic rounding (default 0)");

  bool info_all = false;
  std::string run_in;
  CLI::App* run = app.add_subcommand("run", "Inspect run logs (the HDF5 files a run_log_writer keeps)");
  run->require_subcommand(1);
  CLI::App* run_info = run->add_subcommand("info", "Print a run log's metadata and its trace as a table");
  run_info->add_option("RUN", run_in, "Run log (.h5)")->required();
  run_info->add_flag("--all", info_all, "Print every trace row (default: the first and last 10)");

  plot_options po;
  CLI::App* plot = app.add_subcommand("plot", "Plot run logs with gnuplot into a PNG, one line per run");
  plot->add_option("RUN", po.runs, "Run logs (.h5), one line each")->required();
  plot->add_option("-o,--output", po.out, "Output PNG (default: the first RUN with extension .png)");
  plot->add_option("--x", po.x, "x axis: epochs (default), seconds or work")
      ->check(CLI::IsMember({"epochs", "seconds", "work"}));
  plot->add_option("--y", po.y,
                   "y axis: objective, gap or grad_norm (default: gap if every run has finite gaps, else objective)")
      ->check(CLI::IsMember({"objective", "gap", "grad_norm"}));
  plot->add_option("--title", po.title, "Plot title");
  plot->add_flag("--linear", po.linear, "Linear y axis (default: log scale, non-positive values dropped)");

  lowp_cli::solve_options sgd_o, svrg_o, halp_o;
  CLI::App* sgd_cmd = lowp_cli::add_solve_command(app, "sgd", sgd_o);
  CLI::App* svrg_cmd = lowp_cli::add_solve_command(app, "svrg", svrg_o);
  CLI::App* halp_cmd = lowp_cli::add_solve_command(app, "halp", halp_o);
  lowp_cli::hls_options hls_o;
  CLI::App* hls_emit_cmd = lowp_cli::add_hls_command(app, hls_o);
  lowp_cli::gibbs_options gibbs_o;
  CLI::App* gibbs_cmd = lowp_cli::add_gibbs_command(app, gibbs_o);
  lowp_cli::mf_cmd_options mf_o;
  CLI::App* mf_cmd = lowp_cli::add_mf_command(app, mf_o);
  lowp_cli::buckwild_cli_options buckwild_o;
  CLI::App* buckwild_cmd = lowp_cli::add_buckwild_command(app, buckwild_o);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::fprintf(stderr, "lowp: usage error: %s (see --help)\n", msg.c_str());
    return 2;
  }

  try {
    if (info->parsed()) return cmd_info(info_in, info_fmt);
    if (convert->parsed()) return cmd_convert(conv_in, conv_out, conv_fmt, conv_dense, conv_labels);
    if (quant->parsed()) return cmd_quantize(q_in, q_bits, q_rounding, q_scale, q_seed);
    if (run_info->parsed()) return cmd_run_info(run_in, info_all);
    if (plot->parsed()) return cmd_plot(po);
    if (sgd_cmd->parsed()) return lowp_cli::run_solve(sgd_o);
    if (svrg_cmd->parsed()) return lowp_cli::run_solve(svrg_o);
    if (halp_cmd->parsed()) return lowp_cli::run_solve(halp_o);
    if (hls_emit_cmd->parsed()) return lowp_cli::run_hls_emit(hls_o);
    if (gibbs_cmd->parsed()) return lowp_cli::run_gibbs(gibbs_o);
    if (mf_cmd->parsed()) return lowp_cli::run_mf(mf_o);
    if (buckwild_cmd->parsed()) return lowp_cli::run_buckwild(buckwild_o);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "lowp: usage error: %s\n", e.what());
    return 2;
  } catch (const lowp_cli::option_error& e) {
    std::fprintf(stderr, "lowp: usage error: %s\n", e.what());
    return 2;
  } catch (const ds::parse_error& e) {
    std::fprintf(stderr, "lowp: error: %s\n", e.what());
    return 1;
  } catch (const ds::io_error& e) {
    std::fprintf(stderr, "lowp: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "lowp: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lowp: error: %s\n", e.what());
    return 1;
  }
  return 2;
}
