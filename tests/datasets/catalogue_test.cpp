// SHA-256 against the FIPS 180-4 examples; loading by catalogue name verifies
// the checksum and refuses a file that differs by one byte.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lowp/datasets/catalogue.hpp"
#include "test_files.hpp"

namespace ld = lowp::datasets;

TEST_CASE("sha256 matches the FIPS 180-4 test vectors and streams in any chunking") {
  auto one_shot = [](std::string_view s) {
    ld::sha256 h;
    h.update(s);
    return h.hex();
  };
  CHECK(one_shot("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(one_shot("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(one_shot("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  ld::sha256 million;
  const std::string chunk(997, 'a');  // a prime chunk size crosses block boundaries everywhere
  std::size_t left = 1000000;
  while (left > 0) {
    const std::size_t take = left < chunk.size() ? left : chunk.size();
    million.update(chunk.data(), take);
    left -= take;
  }
  CHECK(million.hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("catalogued files load only when their checksum matches") {
  const auto root = lowp_test::shared_datasets();
  if (!std::filesystem::exists(root / "libsvm/a9a")) {
    MESSAGE("skipped: " << root << " is absent");
    return;
  }
  const ld::csr_dataset a9a = ld::load_libsvm("a9a", root);
  CHECK(a9a.rows() == 32561);
  CHECK(a9a.d == 123);
  const ld::csr_dataset test = ld::load_libsvm("a9a.t", root);
  CHECK(test.d == 123);  // min_dim from the catalogue
  CHECK(ld::load_ratings("ml-100k-u2.test", root).size() == 20000);

  // a copy with one byte changed (same size) is refused
  const auto tmp = std::filesystem::temp_directory_path() / "lowp_catalogue_test";
  std::filesystem::create_directories(tmp / "libsvm");
  std::string text = lowp_test::slurp(root / "libsvm/a9a");
  text[text.size() / 2] = text[text.size() / 2] == '1' ? '0' : '1';
  lowp_test::spit(tmp / "libsvm/a9a", text);
  try {
    (void)ld::load_libsvm("a9a", tmp);
    FAIL("tampered file accepted");
  } catch (const ld::io_error& e) {
    CHECK(std::string(e.what()).find("does not match the catalogue") != std::string::npos);
  }
  lowp_test::spit(tmp / "libsvm/a9a", "-1 1:1\n");  // different size
  CHECK_THROWS_WITH_AS(ld::verified_path("a9a", tmp), doctest::Contains("not the catalogued file"), ld::io_error);
  CHECK_THROWS_WITH_AS(ld::verified_path("a8a", tmp), doctest::Contains("is missing"), ld::io_error);
  std::filesystem::remove_all(tmp);
}

TEST_CASE("unknown names and wrong formats are reported with the known names") {
  CHECK_THROWS_WITH_AS(ld::find_catalogued("a10a"), doctest::Contains("known: a9a"), std::invalid_argument);
  CHECK_THROWS_AS(ld::load_libsvm("ml-100k"), std::invalid_argument);
  CHECK_THROWS_AS(ld::load_ratings("a9a"), std::invalid_argument);
}
