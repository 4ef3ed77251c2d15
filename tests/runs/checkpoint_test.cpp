// Checkpoints: bit-exact round trips (NaN payloads aside), empty pieces,
// a 10^6-value model, and the reader's validation.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/runs/run_log.hpp"
#include "runs_test_support.hpp"
#include "test_support.hpp"

namespace runs = lowp::runs;
namespace ds = lowp::datasets;
using lowp_test::scratch;

namespace {

void check_same(const runs::checkpoint& a, const runs::checkpoint& b) {
  CHECK(a.algorithm == b.algorithm);
  CHECK(a.seed == b.seed);
  CHECK(a.next_epoch == b.next_epoch);
  CHECK(lowp_test::same_doubles(a.model, b.model));
  REQUIRE(a.vectors.size() == b.vectors.size());
  for (std::size_t i = 0; i < a.vectors.size(); ++i) {
    CHECK(a.vectors[i].first == b.vectors[i].first);
    CHECK(lowp_test::same_doubles(a.vectors[i].second, b.vectors[i].second));
  }
  CHECK(a.counters == b.counters);
  CHECK(lowp_test::same_trace(a.trace, b.trace));
  CHECK(lowp_test::same_params(a.params, b.params));
}

runs::checkpoint sample_checkpoint() {
  runs::checkpoint c;
  c.algorithm = "halp";
  c.seed = 99;
  c.next_epoch = 6;
  c.model = lowp_test::tricky_values();
  // Out of name order, and one empty: both must survive.
  c.vectors = {{"w_tilde", {1.0, -0.0, lowp_test::nan_with_payload(7)}},
               {"mu", {}},
               {"full_gradient", lowp_test::tricky_values()}};
  c.counters = {{"rng_state", 0x0123456789abcdefull},
                {"work", std::numeric_limits<std::uint64_t>::max()},
                {"iterations", 0}};
  c.trace = lowp_test::sample_trace(6);
  c.params = lowp_test::sample_record().params;
  return c;
}

}  // namespace

TEST_CASE("checkpoint round trip is bit exact") {
  scratch dir;
  const runs::checkpoint in = sample_checkpoint();
  runs::write_checkpoint(dir / "c.h5", in);
  check_same(in, runs::read_checkpoint(dir / "c.h5"));
  CHECK(dir.entries() == std::vector<std::string>{"c.h5"});
}

TEST_CASE("empty checkpoint round trips") {
  scratch dir;
  const runs::checkpoint in;
  runs::write_checkpoint(dir / "c.h5", in);
  check_same(in, runs::read_checkpoint(dir / "c.h5"));
}

TEST_CASE("checkpoint with a 10^6-value model round trips") {
  scratch dir;
  std::mt19937_64 rng(lowp_test::seed());
  runs::checkpoint in;
  in.algorithm = "svrg";
  in.model.resize(1000000);
  // Random bit patterns cover every exponent, subnormals, Inf and NaNs.
  for (double& v : in.model) {
    const std::uint64_t bits = rng();
    std::memcpy(&v, &bits, sizeof v);
  }
  in.vectors = {{"w_tilde", in.model}};
  runs::write_checkpoint(dir / "big.h5", in);
  check_same(in, runs::read_checkpoint(dir / "big.h5"));
}

TEST_CASE("checkpoint reader validates") {
  scratch dir;
  const std::string path = dir / "c.h5";
  runs::write_checkpoint(path, sample_checkpoint());
  std::string expected_part;
  SUBCASE("a run log is not a checkpoint") {
    runs::write_run_log(path, lowp_test::sample_record());
    expected_part = "format attribute \"lowp-checkpoint-1\"";
  }
  SUBCASE("missing /vectors") {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(H5Ldelete(f, "/vectors", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expected_part = "group /vectors";
  }
  SUBCASE("missing next_epoch") {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(H5Adelete(f, "next_epoch") >= 0);
    H5Fclose(f);
    expected_part = "attribute 'next_epoch'";
  }
  SUBCASE("a float32 vector") {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hsize_t n = 2;
    const float v[2] = {1.0f, 2.0f};
    const hid_t s = H5Screate_simple(1, &n, nullptr);
    const hid_t d = H5Dcreate2(f, "/vectors/extra", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
    expected_part = "/vectors/extra of type float64";
  }
  SUBCASE("a signed counter") {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const std::int64_t v = -1;
    const hid_t s = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate_by_name(f, "/counters", "bad", H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Fclose(f);
    expected_part = "attribute 'bad' of /counters of type uint64";
  }
  SUBCASE("unequal trace columns") {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(H5Ldelete(f, "/trace/work", H5P_DEFAULT) >= 0);
    const hsize_t n = 7;
    const std::uint64_t v[7] = {};
    const hid_t s = H5Screate_simple(1, &n, nullptr);
    const hid_t d = H5Dcreate2(f, "/trace/work", H5T_STD_U64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
    expected_part = "/trace/work of length 6";
  }
  try {
    (void)runs::read_checkpoint(path);
    FAIL("no parse_error");
  } catch (const ds::parse_error& e) {
    INFO("message: " << e.what());
    CHECK(e.file() == path);
    CHECK(e.expected().find(expected_part) != std::string::npos);
  }
}

TEST_CASE("checkpoint writer refuses names the reader could not give back") {
  scratch dir;
  runs::checkpoint c = sample_checkpoint();
  SUBCASE("duplicate vector") { c.vectors.push_back(c.vectors.front()); }
  SUBCASE("vector name with a slash") { c.vectors.push_back({"a/b", {1.0}}); }
  SUBCASE("empty counter name") { c.counters.push_back({"", 1}); }
  SUBCASE("dot as a vector name") { c.vectors.push_back({".", {1.0}}); }
  CHECK_THROWS_AS(runs::write_checkpoint(dir / "c.h5", c), std::invalid_argument);
  CHECK(dir.entries().empty());
}
