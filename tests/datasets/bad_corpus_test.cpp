// The bad-input corpus: every file in tests/data/bad/ is listed in
// MANIFEST.tsv with the reader to use, the expected location and a fragment
// of the expected message; each must throw parse_error exactly there.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "alloc_tracker.hpp"
#include "lowp/datasets/idx.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "lowp/datasets/ratings.hpp"
#include "lowp/datasets/uai.hpp"
#include "test_files.hpp"

namespace ds = lowp::datasets;
namespace fs = std::filesystem;

namespace {

struct entry {
  std::string file, reader, location, fragment;
  int manifest_line;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::vector<entry> manifest() {
  std::istringstream in(lowp_test::slurp(lowp_test::bad_dir() / "MANIFEST.tsv"));
  std::vector<entry> out;
  std::string line;
  int no = 0;
  while (std::getline(in, line)) {
    ++no;
    if (line.empty() || line[0] == '#') continue;
    const auto f = split(line, '\t');
    REQUIRE_MESSAGE(f.size() == 4, "MANIFEST.tsv:" << no << ": expected 4 tab-separated fields");
    out.push_back({f[0], f[1], f[2], f[3], no});
  }
  return out;
}

// "libsvm max_dim=10 labels=binary" -> name + options
struct reader_spec {
  std::string name;
  std::map<std::string, std::string> opt;
};
reader_spec parse_spec(const std::string& s) {
  const auto words = split(s, ' ');
  reader_spec r{words[0], {}};
  for (std::size_t i = 1; i < words.size(); ++i) {
    const auto eq = words[i].find('=');
    REQUIRE(eq != std::string::npos);
    r.opt[words[i].substr(0, eq)] = words[i].substr(eq + 1);
  }
  return r;
}

ds::libsvm_options libsvm_opts(const reader_spec& r) {
  ds::libsvm_options o;
  for (const auto& [k, v] : r.opt) {
    if (k == "max_dim") o.max_dim = std::stoul(v);
    else if (k == "min_dim") o.min_dim = std::stoul(v);
    else if (k == "labels") o.labels = v == "binary" ? ds::label_kind::binary : v == "binary_pm1" ? ds::label_kind::binary_pm1 : v == "integer" ? ds::label_kind::integer : ds::label_kind::real;
    else if (k == "qid") o.qid = v == "skip" ? ds::qid_policy::skip : ds::qid_policy::reject;
    else FAIL("unknown libsvm option " << k);
  }
  return o;
}

// Runs the reader on the file (from disk) and, for text formats and IDX, on
// its bytes in memory; returns the two actions.
std::vector<std::pair<std::string, std::function<void()>>> actions(const reader_spec& r, const fs::path& file) {
  const std::string text = lowp_test::slurp(file);
  const std::string name = file.string();
  std::vector<std::pair<std::string, std::function<void()>>> a;
  if (r.name == "libsvm") {
    const auto o = libsvm_opts(r);
    a.push_back({"disk", [=] { (void)ds::read_libsvm(file, o); }});
    a.push_back({"memory", [=] { (void)ds::parse_libsvm(text, name, o); }});
  } else if (r.name == "movielens") {
    a.push_back({"disk", [=] { (void)ds::read_movielens(file); }});
    a.push_back({"memory", [=] { (void)ds::parse_movielens(text, name); }});
  } else if (r.name == "csv") {
    a.push_back({"disk", [=] { (void)ds::read_ratings_csv(file); }});
    a.push_back({"memory", [=] { (void)ds::parse_ratings_csv(text, name); }});
  } else if (r.name == "uai") {
    a.push_back({"disk", [=] { (void)ds::read_uai(file); }});
    a.push_back({"memory", [=] { (void)ds::parse_uai(text, name); }});
  } else if (r.name == "uai_evidence") {
    const auto model = ds::read_uai(lowp_test::good_dir() / r.opt.at("model"));
    a.push_back({"disk", [=] { (void)ds::read_uai_evidence(file, model); }});
    a.push_back({"memory", [=] { (void)ds::parse_uai_evidence(text, model, name); }});
  } else if (r.name == "idx_images" || r.name == "idx_labels") {
    const bool images = r.name == "idx_images";
    const std::vector<std::uint8_t> bytes(text.begin(), text.end());
    a.push_back({"disk", [=] { images ? (void)ds::read_idx_images(file) : (void)ds::read_idx_labels(file); }});
    a.push_back({"memory", [=] { images ? (void)ds::parse_idx_images(bytes, name) : (void)ds::parse_idx_labels(bytes, name); }});
  } else if (r.name == "idx_pair") {
    const auto images = lowp_test::good_dir() / r.opt.at("images");
    a.push_back({"disk", [=] { (void)ds::read_idx(images, file); }});
  } else {
    FAIL("unknown reader " << r.name);
  }
  return a;
}

}  // namespace

TEST_CASE("every file in tests/data/bad is in MANIFEST.tsv and every entry exists") {
  const auto entries = manifest();
  std::set<std::string> listed;
  for (const auto& e : entries) {
    CHECK_MESSAGE(listed.insert(e.file).second, "listed twice: " << e.file);
    CHECK_MESSAGE(fs::exists(lowp_test::bad_dir() / e.file), "listed but missing: " << e.file);
  }
  std::size_t files = 0;
  for (const auto& d : fs::directory_iterator(lowp_test::bad_dir())) {
    const std::string n = d.path().filename().string();
    if (n == "MANIFEST.tsv" || n == "make_idx.py") continue;
    ++files;
    CHECK_MESSAGE(listed.count(n) == 1, "not in MANIFEST.tsv: " << n);
  }
  CHECK(files == entries.size());
  CHECK(files >= 30);
  // Every reader is covered.
  std::set<std::string> readers;
  for (const auto& e : entries) readers.insert(parse_spec(e.reader).name);
  CHECK(readers == std::set<std::string>{"libsvm", "movielens", "csv", "uai", "uai_evidence", "idx_images",
                                         "idx_labels", "idx_pair"});
}

TEST_CASE("each bad file throws parse_error at the listed location with the listed message") {
  std::size_t checked = 0;
  for (const auto& e : manifest()) {
    const fs::path file = lowp_test::bad_dir() / e.file;
    const reader_spec spec = parse_spec(e.reader);
    const bool binary = e.location.rfind("byte ", 0) == 0;
    std::size_t line = 0, column = 0;
    std::uint64_t offset = 0;
    if (binary) {
      offset = std::stoull(e.location.substr(5));
    } else {
      const auto lc = split(e.location, ':');
      line = std::stoul(lc[0]);
      column = lc.size() > 1 ? std::stoul(lc[1]) : 0;
    }
    for (const auto& action : actions(spec, file)) {
      const std::string how = action.first;  // not a structured binding: INFO's lambda captures it (clang 14)
      const auto& run = action.second;
      INFO("MANIFEST.tsv:" << e.manifest_line << ": " << e.file << " (" << e.reader << ", " << how << ")");
      lowp_test::reset_largest_allocation();
      try {
        run();
        FAIL_CHECK("no error thrown");
      } catch (const ds::parse_error& x) {
        INFO("what(): " << std::string(x.what()));
        CHECK(std::string(x.what()).find(e.fragment) != std::string::npos);
        CHECK(x.file() == file.string());
        CHECK(x.line() == line);
        if (column != 0) CHECK(x.column() == column);
        if (binary) {
          // zlib's gzread decodes ahead of what was asked, so on a corrupt
          // stream it may notice the damage before the byte the in-memory
          // reader reports; never after it.
          const bool read_ahead = how == "disk" && file.extension() == ".gz";
          if (read_ahead) CHECK(x.offset() <= offset);
          else CHECK(x.offset() == offset);
        }
        // Lying headers and counts (4e9 variables, 60000 images over 1000
        // bytes) must not buy a large allocation: the files are all tiny, the
        // largest legitimate buffer is the 256 KiB line buffer.
        CHECK(lowp_test::largest_allocation() <= (std::size_t(1) << 20));
        ++checked;
      } catch (const std::exception& x) {
        FAIL_CHECK("wrong exception type: " << std::string(x.what()));
      }
    }
  }
  MESSAGE(checked << " (file, reader path) pairs checked");
}
