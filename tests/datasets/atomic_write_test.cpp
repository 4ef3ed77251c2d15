// The text writers (write_libsvm, write_ratings_csv, write_uai) go through
// detail::atomic_file: the target name holds the old file or the complete new
// one, never a prefix, and a failure leaves no temporary behind.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/datasets/detail/atomic_file.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "lowp/datasets/ratings.hpp"
#include "lowp/datasets/uai.hpp"
#include "test_files.hpp"

namespace ds = lowp::datasets;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir)) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

std::string tmp_name(const fs::path& p) { return p.string() + ".tmp." + std::to_string(::getpid()); }

ds::csr_dataset small_csr() {
  ds::csr_dataset x;
  x.d = 4;
  x.indptr = {0, 2, 2, 3};
  x.indices = {0, 3, 1};
  x.values = {0.5f, -1.25f, 3e-7f};
  x.y = {1.0f, -1.0f, 1.0f};
  return x;
}

// Runs `write` and checks it throws io_error naming `target`.
template <class F>
void check_io_error_for(const fs::path& target, F&& write) {
  try {
    write();
    FAIL("expected io_error");
  } catch (const ds::io_error& e) {
    CHECK(e.file() == target.string());
    CHECK(std::string(e.what()).find(target.string()) == 0);
  }
}

}  // namespace

TEST_CASE("write_libsvm: round trip and no temporary left") {
  lowp_test::temp_dir tmp;
  const auto x = small_csr();
  ds::write_libsvm(tmp / "x.svm", x);
  CHECK(lowp_test::slurp(tmp / "x.svm") == "1 1:0.5 4:-1.25\n-1\n1 2:3e-07\n");
  const auto back = ds::read_libsvm(tmp / "x.svm");
  CHECK(back.indptr == x.indptr);
  CHECK(back.indices == x.indices);
  CHECK(back.values == x.values);
  CHECK(back.y == x.y);
  CHECK(entries(tmp.path()) == std::vector<std::string>{"x.svm"});
}

TEST_CASE("write_libsvm: replaces an existing file") {
  lowp_test::temp_dir tmp;
  lowp_test::spit(tmp / "x.svm", "old contents that are longer than the new file\n");
  ds::write_libsvm(tmp / "x.svm", small_csr());
  CHECK(lowp_test::slurp(tmp / "x.svm") == ds::format_libsvm(small_csr()));
  CHECK(entries(tmp.path()) == std::vector<std::string>{"x.svm"});
}

TEST_CASE("text writers: a missing directory throws io_error and leaves nothing") {
  lowp_test::temp_dir tmp;
  const fs::path target = tmp / "missing" / "x.txt";
  check_io_error_for(target, [&] { ds::write_libsvm(target, small_csr()); });
  ds::ratings r;
  r.user = {0};
  r.item = {1};
  r.rating = {4.5f};
  check_io_error_for(target, [&] { ds::write_ratings_csv(target, r); });
  ds::uai_model m;
  m.cardinalities = {2};
  check_io_error_for(target, [&] { ds::write_uai(target, m); });
  CHECK(entries(tmp.path()).empty());
}

TEST_CASE("text writers: an existing file is untouched when the write fails") {
  lowp_test::temp_dir tmp;
  const fs::path target = tmp / "x.svm";
  lowp_test::spit(target, "1 1:1\n");
  // Something already sits at the temporary's name (a directory that is not
  // ours), so the temporary cannot be created.
  fs::create_directory(tmp_name(target));
  lowp_test::spit(fs::path(tmp_name(target)) / "keep", "not ours");
  check_io_error_for(target, [&] { ds::write_libsvm(target, small_csr()); });
  CHECK(lowp_test::slurp(target) == "1 1:1\n");
  CHECK(lowp_test::slurp(fs::path(tmp_name(target)) / "keep") == "not ours");  // not removed either
}

TEST_CASE("text writers: a directory at the target fails the rename and leaves no temporary") {
  lowp_test::temp_dir tmp;
  const fs::path target = tmp / "dir.svm";
  fs::create_directory(target);
  lowp_test::spit(target / "inside", "x");
  check_io_error_for(target, [&] { ds::write_libsvm(target, small_csr()); });
  CHECK(fs::is_directory(target));
  CHECK(lowp_test::slurp(target / "inside") == "x");
  CHECK(entries(tmp.path()) == std::vector<std::string>{"dir.svm"});
}

TEST_CASE("atomic_file: the target changes only at commit") {
  lowp_test::temp_dir tmp;
  const fs::path target = tmp / "f.txt";
  lowp_test::spit(target, "old\n");
  ds::detail::atomic_file out(target);
  CHECK(out.temp_path() == tmp_name(target));
  out.write("new ");
  out.write("text\n");
  CHECK(lowp_test::slurp(target) == "old\n");
  CHECK(fs::exists(out.temp_path()));
  out.commit();
  CHECK(lowp_test::slurp(target) == "new text\n");
  CHECK(entries(tmp.path()) == std::vector<std::string>{"f.txt"});
  CHECK_THROWS_AS(out.commit(), ds::io_error);
}

TEST_CASE("atomic_file: an exception before commit removes the temporary") {
  lowp_test::temp_dir tmp;
  const fs::path target = tmp / "f.txt";
  lowp_test::spit(target, "old\n");
  CHECK_THROWS_AS(
      [&] {
        ds::detail::atomic_file out(target);
        out.write("half of a fi");
        throw std::runtime_error("the producer failed");
      }(),
      std::runtime_error);
  CHECK(lowp_test::slurp(target) == "old\n");
  CHECK(entries(tmp.path()) == std::vector<std::string>{"f.txt"});
}
