// LIBSVM reader: real a9a / a9a.t / a8a, small files with every accepted
// feature, options, streaming across buffer boundaries, and round trips.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "lowp/datasets/libsvm.hpp"
#include "test_files.hpp"
#include "test_support.hpp"

namespace ds = lowp::datasets;
using lowp_test::slurp;

namespace {

std::size_t count_char(const std::string& s, char c) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), c)); }

// Structural invariants of a csr_dataset, checked independently of the
// parser (one assertion per dataset, so large files stay cheap under ASan).
std::string csr_problem(const ds::csr_dataset& x) {
  if (x.indptr.size() != x.rows() + 1 || x.indptr.front() != 0 || x.indptr.back() != x.nnz() ||
      x.indices.size() != x.values.size())
    return "inconsistent sizes";
  for (std::size_t i = 0; i < x.rows(); ++i) {
    if (x.indptr[i] > x.indptr[i + 1]) return "indptr decreases at row " + std::to_string(i);
    const auto r = x.row(i);
    for (std::size_t k = 0; k < r.size(); ++k) {
      if (r.indices[k] >= x.d) return "index >= d in row " + std::to_string(i);
      if (k > 0 && r.indices[k - 1] >= r.indices[k]) return "indices not increasing in row " + std::to_string(i);
      if (!std::isfinite(r.values[k])) return "non-finite value in row " + std::to_string(i);
    }
  }
  return "";
}
void check_csr(const ds::csr_dataset& x) { CHECK(csr_problem(x) == ""); }

bool same(const ds::csr_dataset& a, const ds::csr_dataset& b) {
  return a.d == b.d && a.indptr == b.indptr && a.indices == b.indices && a.values == b.values && a.y == b.y;
}

}  // namespace

TEST_CASE("a9a: 32561 rows with d = 123 and labels +-1 and nnz = number of ':'") {
  const auto file = lowp_test::shared_datasets() / "libsvm" / "a9a";
  if (!std::filesystem::exists(file)) {
    MESSAGE("skipped: " << file.string() << " is absent (see ../shared/datasets/README.md)");
    return;
  }
  const std::string text = slurp(file);
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const ds::csr_dataset a = ds::read_libsvm(file, {.labels = ds::label_kind::binary});
  const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  MESSAGE("a9a (" << text.size() << " bytes) parsed from disk in " << ms << " ms (one run; no assertion on time)");

  CHECK(a.rows() == 32561);
  CHECK(a.d == 123);
  CHECK(a.nnz() == count_char(text, ':'));
  CHECK(a.rows() == count_char(text, '\n'));
  CHECK(std::all_of(a.y.begin(), a.y.end(), [](float v) { return v == 1.0f || v == -1.0f; }));
  CHECK(std::count(a.y.begin(), a.y.end(), 1.0f) == 7841);  // the Adult positive class
  check_csr(a);
  // First line: "-1 3:1 11:1 14:1 19:1 39:1 42:1 55:1 64:1 67:1 73:1 75:1 76:1 80:1 83:1"
  const auto r0 = a.row(0);
  CHECK(a.y[0] == -1.0f);
  REQUIRE(r0.size() == 14);
  CHECK(r0.indices[0] == 2);
  CHECK(r0.indices[13] == 82);
  CHECK(std::all_of(a.values.begin(), a.values.end(), [](float v) { return v == 1.0f; }));
  // The in-memory parser agrees with the streaming one.
  CHECK(same(a, ds::parse_libsvm(text, "a9a", {.labels = ds::label_kind::binary})));
}

TEST_CASE("a9a.t needs min_dim = 123 and a8a reads with max_dim = 123") {
  const auto dir = lowp_test::shared_datasets() / "libsvm";
  if (!std::filesystem::exists(dir / "a9a.t")) {
    MESSAGE("skipped: " << (dir / "a9a.t").string() << " is absent");
    return;
  }
  const std::string text = slurp(dir / "a9a.t");
  const auto t = ds::read_libsvm(dir / "a9a.t", {.min_dim = 123});
  CHECK(t.rows() == 16281);
  CHECK(t.d == 123);
  CHECK(t.nnz() == count_char(text, ':'));
  check_csr(t);
  CHECK(ds::read_libsvm(dir / "a9a.t").d == 122);  // its largest index, without min_dim
  CHECK_THROWS_AS(ds::read_libsvm(dir / "a9a.t", {.max_dim = 100}), ds::parse_error);

  const auto a8 = ds::read_libsvm(dir / "a8a", {.max_dim = 123});
  CHECK(a8.rows() == 22696);
  CHECK(a8.d == 123);
  check_csr(a8);
}

TEST_CASE("comments and blank lines and tabs and '+1' and '.25' and a last line without newline") {
  const auto x = ds::read_libsvm(lowp_test::good_dir() / "tiny.svm");
  REQUIRE(x.rows() == 3);
  CHECK(x.d == 7);
  CHECK(x.y == std::vector<float>{1, -1, -1});
  CHECK(x.indptr == std::vector<std::uint64_t>{0, 3, 4, 7});
  CHECK(x.indices == std::vector<std::uint32_t>{0, 2, 6, 1, 3, 4, 5});
  CHECK(x.values == std::vector<float>{0.5f, -2.0f, 1e-3f, 1.0f, 0.25f, 3.0f, 4.0f});

  const auto dense = ds::to_dense(x);
  CHECK(dense.row(0)[2] == -2.0f);
  CHECK(dense.row(1)[1] == 1.0f);
  CHECK(dense.row(2)[0] == 0.0f);

  // A label-only line is an example with no features.
  const auto e = ds::parse_libsvm("1\n-1 2:1\n");
  CHECK(e.rows() == 2);
  CHECK(e.row(0).size() == 0);
  // Tiny values underflow to zero rather than failing.
  CHECK(ds::parse_libsvm("1 1:1e-50\n").values[0] == 0.0f);
}

TEST_CASE("CRLF and qid skipping and 0/1 -> -1/+1 mapping") {
  const auto file = lowp_test::good_dir() / "tiny_crlf.svm";
  CHECK_THROWS_WITH_AS(ds::read_libsvm(file), doctest::Contains("qid is rejected"), ds::parse_error);
  const auto x = ds::read_libsvm(file, {.labels = ds::label_kind::binary_pm1, .qid = ds::qid_policy::skip});
  CHECK(x.rows() == 3);
  CHECK(x.y == std::vector<float>{1, -1, 1});
  CHECK(x.d == 5);
  CHECK(x.indices == std::vector<std::uint32_t>{0, 1, 2, 4});
  const auto kept = ds::read_libsvm(file, {.labels = ds::label_kind::binary, .qid = ds::qid_policy::skip});
  CHECK(kept.y == std::vector<float>{1, 0, 1});
}

TEST_CASE("label kinds and dimension options") {
  CHECK(ds::parse_libsvm("2.5 1:1\n").y[0] == 2.5f);  // regression target
  CHECK(ds::parse_libsvm("7 1:1\n3 2:1\n", "m", {.labels = ds::label_kind::integer}).y ==
        std::vector<float>{7, 3});
  CHECK_THROWS_AS(ds::parse_libsvm("1 1:1\n", "m", {.min_dim = 5, .max_dim = 3}), std::invalid_argument);
  CHECK(ds::parse_libsvm("1 2:1\n", "m", {.min_dim = 10, .max_dim = 10}).d == 10);
  CHECK(ds::parse_libsvm("1 4294967295:1\n").d == 4294967295u);  // largest index that fits
}

TEST_CASE("streaming reader: lines across buffer refills and a line longer than the buffer") {
  lowp_test::temp_dir tmp;
  std::mt19937_64 rng(lowp_test::seed());
  std::string text;
  // ~1 MB of short lines (many 256 KiB refills), then one 600 KB line.
  for (int i = 0; text.size() < (1u << 20); ++i) {
    text += (i % 2) ? "+1" : "-1";
    std::uint32_t idx = 0;
    for (int k = 0; k < 12; ++k) {
      idx += 1 + static_cast<std::uint32_t>(rng() % 50);
      text += ' ' + std::to_string(idx) + ':' + std::to_string(static_cast<int>(rng() % 1000) - 500) + ".5";
    }
    text += (i % 7 == 0) ? "\r\n" : "\n";
  }
  text += "1";
  for (std::uint32_t idx = 1; idx <= 60000; ++idx) text += ' ' + std::to_string(idx) + ":0.125";
  text += '\n';
  lowp_test::spit(tmp / "big.svm", text);
  const auto streamed = ds::read_libsvm(tmp / "big.svm");
  const auto in_memory = ds::parse_libsvm(text);
  CHECK(same(streamed, in_memory));
  CHECK(streamed.rows() == count_char(text, '\n'));
  CHECK(streamed.nnz() == count_char(text, ':'));
  CHECK(streamed.row(streamed.rows() - 1).size() == 60000);
  check_csr(streamed);
}

TEST_CASE("round trip: format_libsvm then parse_libsvm is exact") {
  std::mt19937_64 rng(lowp_test::seed() ^ 0x5151);
  std::uniform_real_distribution<float> val(-1e3f, 1e3f);
  lowp_test::temp_dir tmp;
  for (int trial = 0; trial < 50; ++trial) {
    ds::csr_dataset x;
    x.d = 1 + rng() % 300;
    const std::size_t n = 1 + rng() % 40;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::uint32_t j = 0; j < x.d; ++j)
        if (rng() % 5 == 0) {
          x.indices.push_back(j);
          x.values.push_back(rng() % 3 == 0 ? std::ldexp(val(rng), -100) : val(rng));
        }
      x.indptr.push_back(x.indices.size());
      x.y.push_back(trial % 2 ? float(rng() % 2) * 2 - 1 : val(rng));
    }
    ds::write_libsvm(tmp / "rt.svm", x);
    const auto back = ds::read_libsvm(tmp / "rt.svm", {.min_dim = x.d});
    CHECK(same(x, back));
  }
}
