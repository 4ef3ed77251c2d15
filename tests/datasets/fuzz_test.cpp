// Mutation fuzzing: valid small inputs for every reader, edited at random
// (bit flips, byte replacements, insertions of bytes and of troublesome
// tokens, deletions, truncations, duplicated ranges, digit and sign swaps,
// and for IDX rewritten header words). Each parse must either succeed with
// internally consistent output or throw parse_error / io_error: any other
// exception, a sanitizer report, or a single allocation larger than the
// input can justify fails the test. Inputs stay small so 10^4 edits per
// reader run in seconds under ASan. Replay with --lowp-seed=N.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <exception>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "alloc_tracker.hpp"
#include "lowp/datasets/idx.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "lowp/datasets/ratings.hpp"
#include "lowp/datasets/uai.hpp"
#include "test_files.hpp"
#include "test_support.hpp"

namespace ds = lowp::datasets;

namespace {

// Mutated inputs per reader: 10^4, or LOWP_FUZZ_EDITS for a longer session.
const int k_edits = [] {
  const char* env = std::getenv("LOWP_FUZZ_EDITS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 10000;
}();
constexpr std::size_t k_max_alloc = std::size_t(1) << 18;  // 256 KiB: inputs are < 4 KiB

class mutator {
 public:
  explicit mutator(std::uint64_t seed) : rng_(seed) {}
  std::mt19937_64& rng() { return rng_; }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n); }

  std::string mutate(std::string s, bool binary) {
    const std::size_t edits = 1 + below(4);
    for (std::size_t k = 0; k < edits; ++k) edit(s, binary);
    if (s.size() > 4096) s.resize(4096);
    return s;
  }

 private:
  void edit(std::string& s, bool binary) {
    static const std::string chars = std::string("0123456789:-+.eE \t\r\n#,qidnaIf") + '\0' + '\xff' + '\x1f' + '\x8b';
    static const char* const tokens[] = {"0", "-1", "+1", "4294967295", "4294967296", "99999999999999999999",
                                         "1e39", "1e-50", "nan", "inf", "-inf", "-0", "qid:", ":", "::", " ",
                                         "\n", "\r\n", "#", "MARKOV", "BAYES", "c ", ",,", "\t\t"};
    const std::size_t n = s.size();
    switch (below(binary ? 10 : 9)) {
      case 0:  // flip a bit
        if (n) s[below(n)] ^= static_cast<char>(1u << below(8));
        break;
      case 1:  // replace a byte
        if (n) s[below(n)] = chars[below(chars.size())];
        break;
      case 2:  // insert a byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(below(n + 1)), chars[below(chars.size())]);
        break;
      case 3:  // insert a troublesome token
        s.insert(below(n + 1), tokens[below(sizeof tokens / sizeof *tokens)]);
        break;
      case 4:  // delete a short range
        if (n) {
          const std::size_t at = below(n);
          s.erase(at, 1 + below(std::min<std::size_t>(8, n - at)));
        }
        break;
      case 5:  // truncate
        s.resize(below(n + 1));
        break;
      case 6:  // duplicate a range elsewhere
        if (n) {
          const std::size_t at = below(n);
          const std::string piece = s.substr(at, 1 + below(std::min<std::size_t>(32, n - at)));
          s.insert(below(n + 1), piece);
        }
        break;
      case 7: {  // change a digit
        const std::size_t at = find_digit(s);
        if (at != std::string::npos) s[at] = static_cast<char>('0' + below(10));
        break;
      }
      case 8: {  // sign swap: add a '-' before a digit, or drop a sign
        const std::size_t at = find_digit(s);
        if (at == std::string::npos) break;
        if (at > 0 && (s[at - 1] == '-' || s[at - 1] == '+')) s.erase(at - 1, 1);
        else s.insert(at, 1, below(2) ? '-' : '+');
        break;
      }
      case 9: {  // binary: overwrite a big-endian header word
        static const std::uint32_t words[] = {0, 1, 2, 3, 4, 28, 60000, 0x803, 0x801, 0x7fffffff, 0xffffffff,
                                              0x01000000, 0x00010000};
        const std::size_t at = 4 * below(5);
        const std::uint32_t w = below(3) == 0 ? static_cast<std::uint32_t>(rng_()) : words[below(13)];
        if (s.size() < at + 4) s.resize(at + 4, '\0');
        for (int b = 0; b < 4; ++b) s[at + b] = static_cast<char>(w >> (24 - 8 * b));
        break;
      }
    }
  }
  std::size_t find_digit(const std::string& s) {
    if (s.empty()) return std::string::npos;
    const std::size_t start = below(s.size());
    for (std::size_t k = 0; k < s.size(); ++k) {
      const std::size_t i = (start + k) % s.size();
      if (s[i] >= '0' && s[i] <= '9') return i;
    }
    return std::string::npos;
  }
  std::mt19937_64 rng_;
};

struct tally {
  int ok = 0, parse_errors = 0, io_errors = 0;
};

// Runs one parse; `check` validates a successful result and returns "" or a
// description of the inconsistency. Returns false (after reporting) on any
// failure so the caller can stop at the first bad input.
bool run_one(const std::string& input, bool text, tally& t, const std::function<std::string()>& parse) {
  lowp_test::reset_largest_allocation();
  std::string problem;
  try {
    problem = parse();
    ++t.ok;
  } catch (const ds::parse_error& e) {
    ++t.parse_errors;
    if (text && (e.line() == 0 || e.column() == 0)) problem = "text parse_error without line/column";
    if (text && e.offset() > input.size()) problem = "offset past the end of the input";
    if (std::string(e.what()).empty()) problem = "empty message";
  } catch (const ds::io_error&) {
    ++t.io_errors;
  } catch (const std::exception& e) {
    problem = std::string("unexpected exception: ") + e.what();
  }
  if (problem.empty() && lowp_test::largest_allocation() > k_max_alloc)
    problem = "allocation of " + std::to_string(lowp_test::largest_allocation()) + " bytes";
  if (!problem.empty()) {
    std::string shown;
    for (char c : input.substr(0, 300)) {
      if (c >= 0x20 && c < 0x7f) shown += c;
      else {
        char b[8];
        std::snprintf(b, sizeof b, "\\x%02x", static_cast<unsigned char>(c));
        shown += b;
      }
    }
    FAIL_CHECK(problem << "\n  input (" << input.size() << " bytes): \"" << shown << "\"");
    return false;
  }
  return true;
}

std::string csr_problem(const ds::csr_dataset& x, const ds::libsvm_options& o) {
  if (x.rows() == 0) return "no rows";
  if (x.indptr.size() != x.rows() + 1 || x.indptr.front() != 0 || x.indptr.back() != x.nnz() ||
      x.indices.size() != x.values.size())
    return "inconsistent sizes";
  if (x.d < o.min_dim || (o.max_dim != 0 && x.d > o.max_dim)) return "d outside [min_dim, max_dim]";
  for (std::size_t i = 0; i < x.rows(); ++i) {
    if (x.indptr[i] > x.indptr[i + 1]) return "indptr decreases";
    if (!std::isfinite(x.y[i])) return "non-finite label";
    if ((o.labels == ds::label_kind::binary_pm1 && x.y[i] != 1 && x.y[i] != -1) ||
        (o.labels == ds::label_kind::integer && x.y[i] != std::nearbyint(x.y[i])))
      return "label of the wrong kind";
    const auto r = x.row(i);
    for (std::size_t k = 0; k < r.size(); ++k) {
      if (r.indices[k] >= x.d) return "index >= d";
      if (k > 0 && r.indices[k - 1] >= r.indices[k]) return "indices not increasing";
      if (!std::isfinite(r.values[k])) return "non-finite value";
    }
  }
  return "";
}

std::string ratings_problem(const ds::ratings& r) {
  if (r.size() == 0) return "no ratings";
  if (r.user.size() != r.size() || r.item.size() != r.size()) return "inconsistent sizes";
  std::size_t nu = 0, ni = 0;
  for (std::size_t k = 0; k < r.size(); ++k) {
    if (r.user[k] >= r.n_users || r.item[k] >= r.n_items) return "id out of range";
    if (!std::isfinite(r.rating[k])) return "non-finite rating";
    nu = std::max<std::size_t>(nu, r.user[k] + std::size_t(1));
    ni = std::max<std::size_t>(ni, r.item[k] + std::size_t(1));
  }
  return nu == r.n_users && ni == r.n_items ? "" : "n_users/n_items not one past the largest id";
}

std::string uai_problem(const ds::uai_model& m) {
  if (m.n_vars() == 0) return "no variables";
  for (auto c : m.cardinalities)
    if (c == 0) return "cardinality 0";
  for (const auto& f : m.factors) {
    std::set<std::uint32_t> seen;
    std::uint64_t size = 1;
    for (auto v : f.scope) {
      if (v >= m.n_vars() || !seen.insert(v).second) return "bad scope";
      size *= m.cardinalities[v];
    }
    if (f.table.size() != size) return "table size != product of cardinalities";
    for (double e : f.table)
      if (!std::isfinite(e) || e < 0) return "bad table entry";
  }
  return "";
}

std::string evidence_problem(const std::vector<ds::uai_evidence>& ev, const ds::uai_model& m) {
  if (ev.empty()) return "no sample";
  for (const auto& s : ev)
    for (const auto& [v, x] : s)
      if (v >= m.n_vars() || x >= m.cardinalities[v]) return "evidence out of range";
  return "";
}

std::string gzip(const std::string& raw) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void report(const char* what, const tally& t) {
  MESSAGE(std::string(what) << ": " << t.ok << " parsed, " << t.parse_errors << " parse_error, " << t.io_errors << " io_error");
}

}  // namespace

TEST_CASE("fuzz: LIBSVM") {
  mutator m(lowp_test::seed() ^ 0x1);
  std::vector<std::string> seeds{lowp_test::slurp(lowp_test::good_dir() / "tiny.svm"),
                                 lowp_test::slurp(lowp_test::good_dir() / "tiny_crlf.svm"),
                                 "+1 1:0.5 2:1e-3 10:-7\n-1 3:1 4:2 # c\n\n0 5:.5 6:1\r\n2 qid:3 1:1 7:8"};
  tally t;
  for (int i = 0; i < k_edits; ++i) {
    const std::string in = m.mutate(seeds[m.below(seeds.size())], false);
    ds::libsvm_options o;
    o.labels = static_cast<ds::label_kind>(m.below(4));
    o.qid = m.below(2) ? ds::qid_policy::skip : ds::qid_policy::reject;
    if (m.below(3) == 0) o.max_dim = 1 + m.below(12);
    if (m.below(3) == 0) o.min_dim = m.below(o.max_dim ? o.max_dim + 1 : 20);
    if (!run_one(in, true, t, [&] { return csr_problem(ds::parse_libsvm(in, "f", o), o); })) break;
  }
  report("LIBSVM", t);
  CHECK(t.ok > 0);
  CHECK(t.parse_errors > 0);
}

TEST_CASE("fuzz: MovieLens and CSV ratings") {
  mutator m(lowp_test::seed() ^ 0x2);
  const std::string ml = lowp_test::slurp(lowp_test::good_dir() / "tiny.data");
  const std::string csv = lowp_test::slurp(lowp_test::good_dir() / "tiny.csv");
  tally t_ml, t_csv;
  for (int i = 0; i < k_edits; ++i) {
    const std::string in = m.mutate(ml, false);
    if (!run_one(in, true, t_ml, [&] { return ratings_problem(ds::parse_movielens(in, "f")); })) break;
  }
  for (int i = 0; i < k_edits; ++i) {
    const std::string in = m.mutate(csv, false);
    ds::ratings_csv_options o;
    o.header = static_cast<ds::csv_header>(m.below(3));
    o.one_based = m.below(4) != 0;
    if (!run_one(in, true, t_csv, [&] { return ratings_problem(ds::parse_ratings_csv(in, "f", o)); })) break;
  }
  report("MovieLens", t_ml);
  report("CSV", t_csv);
  CHECK(t_ml.ok > 0);
  CHECK(t_csv.ok > 0);
}

TEST_CASE("fuzz: UAI models and evidence") {
  mutator m(lowp_test::seed() ^ 0x3);
  const std::string model_text = lowp_test::slurp(lowp_test::good_dir() / "tiny.uai");
  const ds::uai_model model = ds::parse_uai(model_text);
  const std::vector<std::string> models{model_text, "BAYES 2 2 3 2 1 0 2 0 1 2 0.5 0.5 6 1 2 3 4 5 6",
                                        "MARKOV\n1\n2\n2\n0\n1 0\n1\n7\n2\n0 1e-3\n"};
  const std::vector<std::string> evidence{lowp_test::slurp(lowp_test::good_dir() / "tiny.uai.evid"),
                                          lowp_test::slurp(lowp_test::good_dir() / "tiny_multi.evid"), "0\n"};
  tally t_model, t_ev;
  for (int i = 0; i < k_edits; ++i) {
    const std::string in = m.mutate(models[m.below(models.size())], false);
    if (!run_one(in, true, t_model, [&] { return uai_problem(ds::parse_uai(in, "f")); })) break;
  }
  for (int i = 0; i < k_edits; ++i) {
    const std::string in = m.mutate(evidence[m.below(evidence.size())], false);
    if (!run_one(in, true, t_ev, [&] { return evidence_problem(ds::parse_uai_evidence(in, model, "f"), model); }))
      break;
  }
  report("UAI model", t_model);
  report("UAI evidence", t_ev);
  CHECK(t_model.ok > 0);
  CHECK(t_ev.ok > 0);
}

TEST_CASE("fuzz: IDX raw and gzip in memory and (a sample) through gzread") {
  mutator m(lowp_test::seed() ^ 0x4);
  const std::string images = lowp_test::slurp(lowp_test::good_dir() / "tiny-images-idx3-ubyte");
  const std::string labels = lowp_test::slurp(lowp_test::good_dir() / "tiny-labels-idx1-ubyte");
  auto images_problem = [](const ds::idx_images& x) -> std::string {
    if (x.n == 0 || x.rows == 0 || x.cols == 0) return "zero dimension";
    return x.pixels.size() == x.n * x.rows * x.cols ? "" : "pixel count != n*rows*cols";
  };
  auto labels_problem = [](const std::vector<std::uint8_t>& l) -> std::string { return l.empty() ? "no labels" : ""; };

  tally t_raw, t_gz_inner, t_gz_outer, t_file;
  for (int i = 0; i < k_edits; ++i) {
    const bool img = m.below(3) != 0;
    const std::string in = m.mutate(img ? images : labels, true);
    if (!run_one(in, false, t_raw, [&] {
          return img ? images_problem(ds::parse_idx_images(bytes_of(in), "f"))
                     : labels_problem(ds::parse_idx_labels(bytes_of(in), "f"));
        }))
      break;
  }
  // Mutate the IDX bytes, then compress: exercises the IDX checks through inflate.
  for (int i = 0; i < k_edits / 2; ++i) {
    const std::string in = gzip(m.mutate(images, true));
    if (!run_one(in, false, t_gz_inner, [&] { return images_problem(ds::parse_idx_images(bytes_of(in), "f")); }))
      break;
  }
  // Mutate the compressed bytes: exercises zlib error handling.
  const std::string gz_images = gzip(images);
  for (int i = 0; i < k_edits / 2; ++i) {
    const std::string in = m.mutate(gz_images, true);
    if (!run_one(in, false, t_gz_outer, [&] { return images_problem(ds::parse_idx_images(bytes_of(in), "f")); }))
      break;
  }
  // The file path (fopen/fread or gzopen/gzread) on a sample of both kinds.
  lowp_test::temp_dir tmp;
  for (int i = 0; i < 400; ++i) {
    const std::string in = i % 2 ? m.mutate(gz_images, true) : gzip(m.mutate(images, true));
    lowp_test::spit(tmp / "f.gz", in);
    if (!run_one(in, false, t_file, [&] { return images_problem(ds::read_idx_images(tmp / "f.gz")); })) break;
  }
  report("IDX raw", t_raw);
  report("IDX gzip(mutated)", t_gz_inner);
  report("IDX mutated(gzip)", t_gz_outer);
  report("IDX files via gzread", t_file);
  CHECK(t_raw.ok > 0);
  CHECK(t_gz_inner.ok > 0);
}
