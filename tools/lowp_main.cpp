// lowp: command-line tool. `lowp data info|convert|quantize`.
// Exit codes: 0 success, 1 data error (parse_error / io_error / invalid data),
// 2 usage error (bad option values, missing files, unsupported combinations).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lowp/datasets/dataset.hpp"
#include "lowp/datasets/error.hpp"
#include "lowp/datasets/hdf5.hpp"
#include "lowp/datasets/idx.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "lowp/datasets/quantized.hpp"
#include "lowp/datasets/ratings.hpp"
#include "lowp/datasets/sha256.hpp"
#include "lowp/datasets/uai.hpp"

namespace ds = lowp::datasets;
namespace fs = std::filesystem;

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
  } catch (const usage_error& e) {
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
