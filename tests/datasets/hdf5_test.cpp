// HDF5 reader/writer: round trips, a9a through CSR HDF5, every rejected
// input, and the write-to-temp-then-rename guarantee.
//
// Bad files are made by writing a valid file with write_hdf5 and then
// damaging it through the HDF5 C API (this test links HDF5::HDF5 itself), so
// each case differs from a good file in exactly one way.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/datasets/hdf5.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "test_files.hpp"

namespace ds = lowp::datasets;
namespace fs = std::filesystem;

namespace {

ds::dense_dataset small_dense() {
  ds::dense_dataset x;
  x.n = 3;
  x.d = 4;
  // Values that would expose a lossy path: subnormal, negative zero, extremes.
  x.X = {0.0f, -0.0f, 1.5f, -2.25f,
         std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(), 1e-30f, 3.0f,
         std::numeric_limits<float>::lowest(), 0.1f, 7.0f, -1.0f};
  x.y = {1.0f, -1.0f, 0.5f};
  return x;
}

// 4 rows x d = 6, including an empty row.
ds::csr_dataset small_csr() {
  ds::csr_dataset x;
  x.d = 6;
  x.indptr = {0, 2, 2, 5, 6};
  x.indices = {0, 5, 1, 2, 4, 3};
  x.values = {1.0f, -2.0f, 0.25f, 3.5f, -0.0f, 1e-20f};
  x.y = {1.0f, -1.0f, 1.0f, -1.0f};
  return x;
}

bool same(const ds::dense_dataset& a, const ds::dense_dataset& b) {
  return a.n == b.n && a.d == b.d && a.X == b.X && a.y == b.y;
}
bool same(const ds::csr_dataset& a, const ds::csr_dataset& b) {
  return a.d == b.d && a.indptr == b.indptr && a.indices == b.indices && a.values == b.values && a.y == b.y;
}

// Bit-exact float comparison (== treats 0.0 and -0.0 as equal).
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::signbit(a[i]) != std::signbit(b[i]) || a[i] != b[i]) return false;
  return true;
}

// Open an existing file read-write for damage; closes on scope exit.
struct raw_file {
  hid_t id;
  explicit raw_file(const fs::path& p) : id(H5Fopen(p.string().c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {
    REQUIRE(id >= 0);
  }
  ~raw_file() { H5Fclose(id); }
  raw_file(const raw_file&) = delete;
  raw_file& operator=(const raw_file&) = delete;

  template <class T>
  void overwrite(const char* name, hid_t mem_type, const std::vector<T>& v) {
    const hid_t d = H5Dopen2(id, name, H5P_DEFAULT);
    REQUIRE(d >= 0);
    CHECK(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
    H5Dclose(d);
  }
  void remove(const char* name) { REQUIRE(H5Ldelete(id, name, H5P_DEFAULT) >= 0); }
  void set_u64_attribute(const char* name, std::uint64_t v) {
    const hid_t a = H5Aopen(id, name, H5P_DEFAULT);
    REQUIRE(a >= 0);
    CHECK(H5Awrite(a, H5T_NATIVE_UINT64, &v) >= 0);
    H5Aclose(a);
  }
  // Replace a 1-D dataset by one of another type (same length).
  void retype_1d(const char* name, hid_t file_type, hid_t mem_type, const void* data, hsize_t len) {
    remove(name);
    const hid_t s = H5Screate_simple(1, &len, nullptr);
    const hid_t d = H5Dcreate2(id, name, file_type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(d >= 0);
    CHECK(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Sclose(s);
  }
};

// The parse_error a read throws, or fails the test.
template <class F>
ds::parse_error parse_failure(F&& f) {
  try {
    f();
  } catch (const ds::parse_error& e) {
    return e;
  } catch (const std::exception& e) {
    FAIL("expected parse_error, got: " << e.what());
  }
  FAIL("expected parse_error, nothing thrown");
  throw std::logic_error("unreachable");
}

// Open HDF5 files, datasets, groups, attributes and committed types, across
// all files. (HDF5 1.10 offers no public count of dataspace or transient type
// identifiers; those are held by the same RAII wrapper in src/io/hdf5.cpp.)
ssize_t open_objects() { return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// No "<name>.tmp.*" left in the directory.
bool no_temp_files(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (contains(e.path().filename().string(), ".tmp.")) return false;
  return true;
}

}  // namespace

TEST_CASE("hdf5: dense round trip is bit-exact and keeps the attributes") {
  lowp_test::temp_dir dir;
  const std::string path = (dir / "dense.h5").string();
  const ds::dense_dataset x = small_dense();
  ds::write_hdf5(path, x, {.source = "unit test", .sha256 = "abc123"});
  CHECK(ds::probe_hdf5(path) == ds::h5_kind::dense);
  const ds::dense_dataset r = ds::read_hdf5_dense(path);
  CHECK(same(r, x));
  CHECK(same_bits(r.X, x.X));
  const ds::h5_attributes a = ds::read_hdf5_attributes(path);
  CHECK(a.source == "unit test");
  CHECK(a.sha256 == "abc123");
  CHECK(no_temp_files(dir.path()));
  // Reading it as the other layout is refused by name.
  const auto e = parse_failure([&] { ds::read_hdf5_csr(path); });
  CHECK(contains(e.expected(), "csr"));
  CHECK(e.line() == 0);
  CHECK(e.column() == 0);
}

TEST_CASE("hdf5: CSR round trip is bit-exact, empty sha256 and empty dataset") {
  lowp_test::temp_dir dir;
  const std::string path = (dir / "sparse.h5").string();
  const ds::csr_dataset x = small_csr();
  ds::write_hdf5(path, x, {.source = "small", .sha256 = ""});
  CHECK(ds::probe_hdf5(path) == ds::h5_kind::csr);
  const ds::csr_dataset r = ds::read_hdf5_csr(path);
  CHECK(same(r, x));
  CHECK(same_bits(r.values, x.values));
  const ds::h5_attributes a = ds::read_hdf5_attributes(path);
  CHECK(a.source == "small");
  CHECK(a.sha256.empty());

  // Zero rows, and an overwrite of an existing file through the rename.
  ds::csr_dataset empty;
  empty.d = 3;
  ds::write_hdf5(path, empty, {});
  const ds::csr_dataset re = ds::read_hdf5_csr(path);
  CHECK(same(re, empty));
  ds::dense_dataset dempty;
  dempty.d = 5;
  ds::write_hdf5(path, dempty, {});
  CHECK(same(ds::read_hdf5_dense(path), dempty));
  CHECK(no_temp_files(dir.path()));
}

TEST_CASE("hdf5: a9a via the LIBSVM reader survives a CSR HDF5 round trip") {
  const auto file = lowp_test::shared_datasets() / "libsvm" / "a9a";
  if (!fs::exists(file)) {
    MESSAGE("skipped: " << file.string() << " is absent (see ../shared/datasets/README.md)");
    return;
  }
  const ds::csr_dataset a = ds::read_libsvm(file, {.labels = ds::label_kind::binary});
  REQUIRE(a.rows() == 32561);
  lowp_test::temp_dir dir;
  const std::string path = (dir / "a9a.h5").string();
  ds::write_hdf5(path, a, {.source = "libsvm:a9a", .sha256 = ""});
  const ds::csr_dataset r = ds::read_hdf5_csr(path);
  CHECK(same(r, a));
  CHECK(r.d == 123);
  CHECK(ds::read_hdf5_attributes(path).source == "libsvm:a9a");
}

TEST_CASE("hdf5: missing files and non-HDF5 files") {
  lowp_test::temp_dir dir;
  CHECK_THROWS_AS(ds::read_hdf5_dense((dir / "absent.h5").string()), ds::io_error);
  CHECK_THROWS_AS(ds::probe_hdf5((dir / "absent.h5").string()), ds::io_error);

  const auto text = dir / "text.h5";
  lowp_test::spit(text, "-1 3:1 11:1\n+1 5:1\n");
  const auto e = parse_failure([&] { ds::read_hdf5_csr(text.string()); });
  CHECK(e.file() == text.string());
  CHECK(contains(e.expected(), "HDF5"));
  CHECK_THROWS_AS(ds::probe_hdf5(text.string()), ds::parse_error);
  CHECK_THROWS_AS(ds::read_hdf5_attributes(text.string()), ds::parse_error);

  // A real HDF5 file cut in half: the signature is there, the rest is not.
  const auto cut = dir / "cut.h5";
  ds::write_hdf5(cut.string(), small_dense(), {});
  fs::resize_file(cut, fs::file_size(cut) / 2);
  CHECK_THROWS_AS(ds::read_hdf5_dense(cut.string()), ds::parse_error);
  CHECK(open_objects() == 0);

  const auto empty = dir / "empty.h5";
  lowp_test::spit(empty, "");
  CHECK_THROWS_AS(ds::read_hdf5_dense(empty.string()), ds::parse_error);
}

TEST_CASE("hdf5: missing datasets, wrong types and disagreeing attributes") {
  lowp_test::temp_dir dir;

  SUBCASE("dense file without /y") {
    const auto p = dir / "no_y.h5";
    ds::write_hdf5(p.string(), small_dense(), {});
    raw_file(p).remove("/y");
    const auto e = parse_failure([&] { ds::read_hdf5_dense(p.string()); });
    CHECK(contains(e.expected(), "/y"));
  }
  SUBCASE("CSR file without /y") {
    const auto p = dir / "no_y_csr.h5";
    ds::write_hdf5(p.string(), small_csr(), {});
    raw_file(p).remove("/y");
    CHECK(contains(parse_failure([&] { ds::read_hdf5_csr(p.string()); }).expected(), "/y"));
  }
  SUBCASE("CSR file without /indices") {
    const auto p = dir / "no_indices.h5";
    ds::write_hdf5(p.string(), small_csr(), {});
    raw_file(p).remove("/indices");
    CHECK(contains(parse_failure([&] { ds::read_hdf5_csr(p.string()); }).expected(), "/indices"));
  }
  SUBCASE("/y stored as float64") {
    const auto p = dir / "y_f64.h5";
    ds::write_hdf5(p.string(), small_dense(), {});
    const std::vector<double> y = {1, -1, 0.5};
    raw_file(p).retype_1d("/y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, y.data(), y.size());
    const auto e = parse_failure([&] { ds::read_hdf5_dense(p.string()); });
    CHECK(contains(e.expected(), "float32"));
    CHECK(e.found() == "float64");
  }
  SUBCASE("/indices stored as signed int32") {
    const auto p = dir / "idx_i32.h5";
    ds::write_hdf5(p.string(), small_csr(), {});
    const std::vector<std::int32_t> idx = {0, 5, 1, 2, 4, 3};
    raw_file(p).retype_1d("/indices", H5T_STD_I32LE, H5T_NATIVE_INT32, idx.data(), idx.size());
    CHECK(parse_failure([&] { ds::read_hdf5_csr(p.string()); }).found() == "int32");
  }
  SUBCASE("/X of rank 1") {
    const auto p = dir / "x_rank1.h5";
    ds::write_hdf5(p.string(), small_dense(), {});
    const std::vector<float> flat = small_dense().X;
    raw_file(p).retype_1d("/X", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, flat.data(), flat.size());
    CHECK(contains(parse_failure([&] { ds::read_hdf5_dense(p.string()); }).expected(), "rank 2"));
  }
  SUBCASE("n attribute disagrees with /X") {
    const auto p = dir / "bad_n.h5";
    ds::write_hdf5(p.string(), small_dense(), {});
    raw_file(p).set_u64_attribute("n", 4);
    CHECK(contains(parse_failure([&] { ds::read_hdf5_dense(p.string()); }).expected(), "n attribute"));
  }
  SUBCASE("d attribute disagrees with /X") {
    const auto p = dir / "bad_d.h5";
    ds::write_hdf5(p.string(), small_dense(), {});
    raw_file(p).set_u64_attribute("d", 3);
    CHECK(contains(parse_failure([&] { ds::read_hdf5_dense(p.string()); }).expected(), "d attribute"));
  }
  SUBCASE("n attribute disagrees with /indptr") {
    const auto p = dir / "bad_n_csr.h5";
    ds::write_hdf5(p.string(), small_csr(), {});
    raw_file(p).set_u64_attribute("n", 3);
    CHECK(contains(parse_failure([&] { ds::read_hdf5_csr(p.string()); }).expected(), "/indptr"));
  }
  SUBCASE("missing format attribute") {
    const auto p = dir / "no_format.h5";
    ds::write_hdf5(p.string(), small_csr(), {});
    {
      raw_file f(p);
      REQUIRE(H5Adelete(f.id, "format") >= 0);
    }
    CHECK(contains(parse_failure([&] { ds::probe_hdf5(p.string()); }).expected(), "format"));
  }
  CHECK(open_objects() == 0);  // no identifier leaked on any error path
}

TEST_CASE("hdf5: CSR structure violations") {
  lowp_test::temp_dir dir;
  const auto p = dir / "bad.h5";
  ds::write_hdf5(p.string(), small_csr(), {});
  const auto read = [&] { ds::read_hdf5_csr(p.string()); };

  SUBCASE("decreasing indptr") {
    raw_file(p).overwrite("/indptr", H5T_NATIVE_UINT64, std::vector<std::uint64_t>{0, 2, 1, 5, 6});
    const auto e = parse_failure(read);
    CHECK(contains(e.expected(), "non-decreasing"));
    CHECK(contains(e.found(), "indptr[2] = 1"));
  }
  SUBCASE("indptr not starting at 0") {
    raw_file(p).overwrite("/indptr", H5T_NATIVE_UINT64, std::vector<std::uint64_t>{1, 2, 2, 5, 6});
    CHECK(contains(parse_failure(read).expected(), "indptr[0] = 0"));
  }
  SUBCASE("indptr ending before nnz") {
    raw_file(p).overwrite("/indptr", H5T_NATIVE_UINT64, std::vector<std::uint64_t>{0, 2, 2, 5, 5});
    CHECK(contains(parse_failure(read).expected(), "ending at nnz"));
  }
  SUBCASE("indptr past nnz (would read out of bounds)") {
    raw_file(p).overwrite("/indptr", H5T_NATIVE_UINT64, std::vector<std::uint64_t>{0, 2, 2, 5, 1000});
    CHECK(contains(parse_failure(read).expected(), "<= nnz"));
  }
  SUBCASE("column index out of range") {
    raw_file(p).overwrite("/indices", H5T_NATIVE_UINT32, std::vector<std::uint32_t>{0, 6, 1, 2, 4, 3});
    const auto e = parse_failure(read);
    CHECK(contains(e.expected(), "< d = 6"));
    CHECK(contains(e.found(), "row 0"));
  }
  SUBCASE("column indices not strictly increasing") {
    raw_file(p).overwrite("/indices", H5T_NATIVE_UINT32, std::vector<std::uint32_t>{0, 5, 1, 1, 4, 3});
    CHECK(contains(parse_failure(read).expected(), "strictly increasing"));
  }
  SUBCASE("NaN in /data") {
    raw_file(p).overwrite("/data", H5T_NATIVE_FLOAT,
                          std::vector<float>{1, 2, std::numeric_limits<float>::quiet_NaN(), 4, 5, 6});
    const auto e = parse_failure(read);
    CHECK(contains(e.expected(), "finite"));
    CHECK(contains(e.found(), "NaN at element 2"));
  }
  SUBCASE("Inf in /y") {
    raw_file(p).overwrite("/y", H5T_NATIVE_FLOAT,
                          std::vector<float>{1, std::numeric_limits<float>::infinity(), 1, 1});
    CHECK(contains(parse_failure(read).found(), "Inf"));
  }
  // Every failure above threw from inside the reader: nothing may stay open.
  CHECK(open_objects() == 0);
}

TEST_CASE("hdf5: NaN in dense /X is rejected on read") {
  lowp_test::temp_dir dir;
  const auto p = dir / "nan.h5";
  ds::write_hdf5(p.string(), small_dense(), {});
  std::vector<float> X = small_dense().X;
  X[5] = std::numeric_limits<float>::quiet_NaN();
  raw_file(p).overwrite("/X", H5T_NATIVE_FLOAT, X);
  CHECK(contains(parse_failure([&] { ds::read_hdf5_dense(p.string()); }).found(), "NaN at element 5"));
}

TEST_CASE("hdf5: a failed write leaves neither the destination nor a temp file") {
  lowp_test::temp_dir dir;
  const auto dst = dir / "out.h5";

  SUBCASE("invalid data is refused before touching the disk") {
    ds::dense_dataset x = small_dense();
    x.X[0] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(ds::write_hdf5(dst.string(), x, {}), std::invalid_argument);
    ds::csr_dataset c = small_csr();
    c.indices[1] = 99;
    CHECK_THROWS_AS(ds::write_hdf5(dst.string(), c, {}), std::invalid_argument);
    ds::csr_dataset past = small_csr();
    past.indptr = {0, 2, 100, 100, 6};  // non-decreasing but past nnz: must not read out of bounds
    CHECK_THROWS_AS(ds::write_hdf5(dst.string(), past, {}), std::invalid_argument);
    CHECK(!fs::exists(dst));
    CHECK(no_temp_files(dir.path()));
  }
  SUBCASE("the final rename fails after the temp file was fully written") {
    // A non-empty directory at the destination: HDF5 writes the temp file
    // happily, then rename() cannot replace the directory.
    fs::create_directories(dst / "occupied");
    CHECK_THROWS_AS(ds::write_hdf5(dst.string(), small_csr(), {}), ds::io_error);
    CHECK(fs::is_directory(dst));
    CHECK(no_temp_files(dir.path()));
  }
  SUBCASE("the temp file cannot be created") {
    const auto nowhere = dir / "no_such_dir" / "out.h5";
    CHECK_THROWS_AS(ds::write_hdf5(nowhere.string(), small_dense(), {}), ds::io_error);
    CHECK(!fs::exists(nowhere));
    CHECK(no_temp_files(dir.path()));
  }
  SUBCASE("a failed overwrite keeps the old file intact") {
    ds::write_hdf5(dst.string(), small_csr(), {.source = "old", .sha256 = ""});
    ds::csr_dataset c = small_csr();
    c.values[0] = std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(ds::write_hdf5(dst.string(), c, {.source = "new", .sha256 = ""}), std::invalid_argument);
    CHECK(same(ds::read_hdf5_csr(dst.string()), small_csr()));
    CHECK(ds::read_hdf5_attributes(dst.string()).source == "old");
    CHECK(no_temp_files(dir.path()));
  }
  // Writer failures (including HDF5 failing to create the file) close everything.
  CHECK(open_objects() == 0);
}
