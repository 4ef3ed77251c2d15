// Run logs: round trip of every field, the reader's validation (files
// damaged one way each through the HDF5 C API), and the temp + rename
// guarantee.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/datasets/hdf5.hpp"
#include "lowp/runs/run_log.hpp"
#include "runs_test_support.hpp"

namespace runs = lowp::runs;
namespace ds = lowp::datasets;
namespace fs = std::filesystem;
using lowp_test::scratch;

namespace {

void check_same(const runs::run_record& a, const runs::run_record& b) {
  CHECK(a.algorithm == b.algorithm);
  CHECK(a.seed == b.seed);
  CHECK(a.status == b.status);
  CHECK(a.message == b.message);
  CHECK(lowp_test::same_params(a.params, b.params));
  CHECK(a.library_version == b.library_version);
  CHECK(a.git_revision == b.git_revision);
  CHECK(a.cpu_model == b.cpu_model);
  CHECK(a.isa == b.isa);
  CHECK(a.hostname == b.hostname);
  CHECK(a.started_utc == b.started_utc);
  CHECK(lowp_test::same_trace(a.trace, b.trace));
  CHECK(lowp_test::same_doubles(a.model, b.model));
}

// Opens a file read-write to damage it; closes on scope exit.
struct raw_file {
  hid_t id;
  explicit raw_file(const std::string& p) : id(H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) { REQUIRE(id >= 0); }
  ~raw_file() { H5Fclose(id); }
  raw_file(const raw_file&) = delete;
  raw_file& operator=(const raw_file&) = delete;

  void remove(const char* name) { REQUIRE(H5Ldelete(id, name, H5P_DEFAULT) >= 0); }
  void remove_attr(const char* obj, const char* name) { REQUIRE(H5Adelete_by_name(id, obj, name, H5P_DEFAULT) >= 0); }

  // (Re)creates a 1-D dataset of `count` elements of file type `type`.
  void put_column(const char* name, hid_t type, hsize_t count) {
    if (H5Lexists(id, name, H5P_DEFAULT) > 0) remove(name);
    const hid_t s = H5Screate_simple(1, &count, nullptr);
    const hid_t d = H5Dcreate2(id, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(d >= 0);
    std::vector<unsigned char> zeros(count * H5Tget_size(type));
    if (count != 0) CHECK(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data()) >= 0);
    H5Dclose(d);
    H5Sclose(s);
  }

  template <class T>
  void put_attr(const char* obj, const char* name, hid_t type, T v) {
    if (H5Aexists_by_name(id, obj, name, H5P_DEFAULT) > 0) remove_attr(obj, name);
    const hid_t s = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate_by_name(id, obj, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(a >= 0);
    CHECK(H5Awrite(a, type, &v) >= 0);
    H5Aclose(a);
    H5Sclose(s);
  }

  void put_string_attr(const char* obj, const char* name, const char* v) {
    if (H5Aexists_by_name(id, obj, name, H5P_DEFAULT) > 0) remove_attr(obj, name);
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    const hid_t s = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate_by_name(id, obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(a >= 0);
    CHECK(H5Awrite(a, t, &v) >= 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
  }
};

// Reading `path` must fail with a parse_error naming the file and saying
// what was expected.
void expect_parse_error(const std::string& path, const std::string& expected_part) {
  try {
    (void)runs::read_run_log(path);
    FAIL("no parse_error for " << path);
  } catch (const ds::parse_error& e) {
    CHECK(e.file() == path);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
    INFO("message: " << e.what());
    CHECK(e.expected().find(expected_part) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("run log round trip keeps every field") {
  scratch dir;
  const std::string path = dir / "run.h5";
  const runs::run_record in = lowp_test::sample_record();
  runs::write_run_log(path, in);
  const runs::run_record out = runs::read_run_log(path);
  check_same(in, out);
  // Types survive, not just printed values.
  REQUIRE(out.params.size() == 6);
  CHECK(std::holds_alternative<double>(out.params[0].second));
  CHECK(std::holds_alternative<std::int64_t>(out.params[1].second));
  CHECK(std::holds_alternative<std::string>(out.params[2].second));
  CHECK(std::get<std::int64_t>(out.params[3].second) == std::numeric_limits<std::int64_t>::min());
  // The NaN gap rows stay NaN.
  CHECK(std::isnan(out.trace[1].gap));
  CHECK(std::isnan(out.trace[4].gap));
  CHECK(dir.entries() == std::vector<std::string>{"run.h5"});
}

TEST_CASE("run log with nothing in it round trips") {
  scratch dir;
  const std::string path = dir / "empty.h5";
  const runs::run_record in;
  runs::write_run_log(path, in);
  check_same(in, runs::read_run_log(path));
}

TEST_CASE("run log keeps the order of many params") {
  // More than 8 attributes moves HDF5 to dense attribute storage; the
  // creation order must survive that too.
  scratch dir;
  runs::run_record in;
  for (int i = 20; i > 0; --i) {
    // Not "p" + to_string(i): GCC 12 -O2 flags that with a false -Wrestrict.
    std::string name = std::to_string(i);
    name.insert(0, 1, 'p');
    in.params.emplace_back(std::move(name), std::int64_t{i});
  }
  runs::write_run_log(dir / "many.h5", in);
  CHECK(lowp_test::same_params(in.params, runs::read_run_log(dir / "many.h5").params));
}

TEST_CASE("rewriting a run log replaces it whole") {
  scratch dir;
  const std::string path = dir / "run.h5";
  runs::run_record r = lowp_test::sample_record();
  runs::write_run_log(path, r);
  r.trace.resize(2);
  r.model.clear();
  r.params.pop_back();
  r.status = "running";
  runs::write_run_log(path, r);
  check_same(r, runs::read_run_log(path));
}

TEST_CASE("make_run_record fills machine and version fields") {
  const runs::run_record r = runs::make_run_record("svrg", 42);
  CHECK(r.algorithm == "svrg");
  CHECK(r.seed == 42);
  CHECK(r.status == "running");
  CHECK(r.library_version == std::to_string(LOWP_VERSION_MAJOR) + "." + std::to_string(LOWP_VERSION_MINOR) + "." +
                                 std::to_string(LOWP_VERSION_PATCH));
  CHECK(!r.git_revision.empty());
  CHECK(!r.cpu_model.empty());
  CHECK(!r.hostname.empty());
  CHECK(r.isa.empty());  // the caller's to fill
  REQUIRE(r.started_utc.size() == 20);
  CHECK(r.started_utc[4] == '-');
  CHECK(r.started_utc[10] == 'T');
  CHECK(r.started_utc[19] == 'Z');
  CHECK(r.trace.empty());
  CHECK(r.model.empty());
}

TEST_CASE("run log reader rejects a file missing a trace column") {
  scratch dir;
  const std::string path = dir / "run.h5";
  runs::write_run_log(path, lowp_test::sample_record());
  raw_file(path).remove("/trace/objective");
  expect_parse_error(path, "/trace/objective");
}

TEST_CASE("run log reader rejects trace columns of unequal length") {
  scratch dir;
  const std::string path = dir / "run.h5";
  runs::write_run_log(path, lowp_test::sample_record());  // 6 rows
  raw_file(path).put_column("/trace/gap", H5T_IEEE_F64LE, 5);
  expect_parse_error(path, "/trace/gap of length 6");
}

TEST_CASE("run log reader rejects wrong types") {
  scratch dir;
  const std::string path = dir / "run.h5";
  SUBCASE("a float epoch column") {
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).put_column("/trace/epoch", H5T_IEEE_F64LE, 6);
    expect_parse_error(path, "/trace/epoch of type uint64");
  }
  SUBCASE("a float32 objective column") {
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).put_column("/trace/objective", H5T_IEEE_F32LE, 6);
    expect_parse_error(path, "/trace/objective of type float64");
  }
  SUBCASE("a signed seed") {
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).put_attr("/", "seed", H5T_NATIVE_INT64, std::int64_t{1});
    expect_parse_error(path, "attribute 'seed' of / of type uint64");
  }
  SUBCASE("an int32 param") {
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).put_attr("/params", "bits", H5T_NATIVE_INT32, std::int32_t{8});
    expect_parse_error(path, "int64, float64 or string");
  }
  SUBCASE("a numeric status") {
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).put_attr("/", "status", H5T_NATIVE_UINT64, std::uint64_t{0});
    expect_parse_error(path, "attribute 'status' of / of type string");
  }
}

TEST_CASE("run log reader rejects missing groups and metadata") {
  scratch dir;
  const std::string path = dir / "run.h5";
  SUBCASE("no /trace") {
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).remove("/trace");
    expect_parse_error(path, "group /trace");
  }
  SUBCASE("no /params") {
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).remove("/params");
    expect_parse_error(path, "group /params");
  }
  SUBCASE("no /model") {
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).remove("/model");
    expect_parse_error(path, "dataset /model");
  }
  SUBCASE("no hostname attribute") {
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).remove_attr("/", "hostname");
    expect_parse_error(path, "attribute 'hostname'");
  }
  SUBCASE("a 2-D model") {
    runs::write_run_log(path, lowp_test::sample_record());
    {
      raw_file f(path);
      f.remove("/model");
      const hsize_t dims[2] = {2, 3};
      const hid_t s = H5Screate_simple(2, dims, nullptr);
      const hid_t d = H5Dcreate2(f.id, "/model", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      REQUIRE(d >= 0);
      const double zeros[6] = {};
      CHECK(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) >= 0);
      H5Dclose(d);
      H5Sclose(s);
    }
    expect_parse_error(path, "/model of rank 1");
  }
}

TEST_CASE("run log reader rejects files that are not run logs") {
  scratch dir;
  SUBCASE("a dataset file") {
    const std::string path = dir / "data.h5";
    ds::dense_dataset x;
    x.n = 1;
    x.d = 2;
    x.X = {1.0f, 2.0f};
    x.y = {1.0f};
    ds::write_hdf5(path, x, {});
    expect_parse_error(path, "format attribute \"lowp-run-1\"");
  }
  SUBCASE("a checkpoint") {
    const std::string path = dir / "ckpt.h5";
    runs::write_checkpoint(path, runs::checkpoint{});
    expect_parse_error(path, "format attribute \"lowp-run-1\"");
  }
  SUBCASE("an HDF5 file with no format attribute") {
    const std::string path = dir / "other.h5";
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(f >= 0);
    H5Fclose(f);
    expect_parse_error(path, "lowp file");
  }
  SUBCASE("a wrong format version") {
    const std::string path = dir / "run.h5";
    runs::write_run_log(path, lowp_test::sample_record());
    raw_file(path).put_string_attr("/", "format", "lowp-run-2");
    expect_parse_error(path, "format attribute \"lowp-run-1\"");
  }
  SUBCASE("a text file") {
    const std::string path = dir / "notes.h5";
    std::ofstream(path) << "epoch,objective\n0,1.0\n";
    expect_parse_error(path, "an HDF5 file");
  }
  SUBCASE("a missing file is io_error") {
    const std::string path = dir / "missing.h5";
    CHECK_THROWS_AS((void)runs::read_run_log(path), ds::io_error);
    try {
      (void)runs::read_run_log(path);
    } catch (const ds::io_error& e) {
      CHECK(e.file() == path);
    }
  }
}

TEST_CASE("writing into a missing directory throws and leaves nothing") {
  scratch dir;
  const std::string path = dir / "no_such_dir/run.h5";
  CHECK_THROWS_AS(runs::write_run_log(path, lowp_test::sample_record()), ds::io_error);
  CHECK(!fs::exists(dir / "no_such_dir"));
  CHECK(dir.entries().empty());
}

TEST_CASE("a failed write leaves the existing file untouched") {
  scratch dir;
  const std::string path = dir / "run.h5";
  const runs::run_record good = lowp_test::sample_record();
  runs::write_run_log(path, good);
  runs::run_record other = good;
  other.status = "diverged";
  other.trace.clear();

  SUBCASE("the temp file cannot be created") {
    // A directory where the temp file would go makes the HDF5 create fail
    // halfway into a real write, not in up-front validation.
    fs::create_directory(lowp_test::temp_name(path));
    CHECK_THROWS_AS(runs::write_run_log(path, other), ds::io_error);
    CHECK(fs::is_directory(lowp_test::temp_name(path)));  // not ours: left alone
    fs::remove(lowp_test::temp_name(path));
  }
  SUBCASE("the record is invalid") {
    other.params.emplace_back("step", 1.0);  // a duplicate name
    CHECK_THROWS_AS(runs::write_run_log(path, other), std::invalid_argument);
  }
  SUBCASE("a name with a slash") {
    other.params = {{"a/b", 1.0}};
    CHECK_THROWS_AS(runs::write_run_log(path, other), std::invalid_argument);
  }
  SUBCASE("a string with a NUL byte") {
    other.message = std::string("a\0b", 3);
    CHECK_THROWS_AS(runs::write_run_log(path, other), std::invalid_argument);
  }
  check_same(good, runs::read_run_log(path));
  CHECK(dir.entries() == std::vector<std::string>{"run.h5"});
}

TEST_CASE("a stale temp file from this pid does not block a write") {
  scratch dir;
  const std::string path = dir / "run.h5";
  std::ofstream(lowp_test::temp_name(path)) << "left over by a crash";
  runs::write_run_log(path, lowp_test::sample_record());
  check_same(lowp_test::sample_record(), runs::read_run_log(path));
  CHECK(dir.entries() == std::vector<std::string>{"run.h5"});
}
