// The error types: message layout and carried fields.
#include <doctest/doctest.h>

#include <string>

#include "lowp/datasets/error.hpp"
#include "lowp/datasets/libsvm.hpp"

using lowp::datasets::io_error;
using lowp::datasets::parse_error;

TEST_CASE("parse_error reads like a compiler diagnostic") {
  const parse_error e("a9a", 17, 12, "':' after feature index", "'x'", 1234);
  CHECK(std::string(e.what()) == "a9a:17:12: expected ':' after feature index, found 'x'");
  CHECK(e.file() == "a9a");
  CHECK(e.line() == 17);
  CHECK(e.column() == 12);
  CHECK(e.offset() == 1234);
  CHECK(e.expected() == "':' after feature index");
  CHECK(e.found() == "'x'");

  CHECK(std::string(parse_error("f", 3, 0, "x", "", 9).what()) == "f:3: expected x");
  CHECK(std::string(parse_error("img.gz", 0, 0, "y", "z", 16).what()) == "img.gz: byte 16: expected y, found z");
}

TEST_CASE("the LIBSVM reader produces the documented example message") {
  std::string text;
  for (int i = 0; i < 16; ++i) text += "+1 1:1 2:1\n";
  text += "1 3:1 4:1 5x:1\n";
  try {
    (void)lowp::datasets::parse_libsvm(text, "a9a");
    FAIL("no error");
  } catch (const parse_error& e) {
    CHECK(std::string(e.what()) == "a9a:17:12: expected ':' after feature index, found 'x'");
    CHECK(e.offset() == 16 * 11 + 11);
  }
}

TEST_CASE("both errors are runtime_errors and io_error carries the OS reason") {
  const io_error e("/no/such/file", "No such file or directory");
  CHECK(std::string(e.what()) == "/no/such/file: No such file or directory");
  CHECK(e.reason() == "No such file or directory");
  const std::runtime_error& base = e;
  CHECK(std::string(base.what()).find("/no/such") == 0);
  CHECK_THROWS_AS(lowp::datasets::read_libsvm("/no/such/dir/a9a"), io_error);
  try {
    (void)lowp::datasets::read_libsvm("/no/such/dir/a9a");
  } catch (const io_error& x) {
    CHECK(x.file() == "/no/such/dir/a9a");
    CHECK(x.reason() == "No such file or directory");
  }
  // A directory opens but cannot be read: still an io_error, not a parse_error.
  CHECK_THROWS_AS(lowp::datasets::read_libsvm(LOWP_TEST_DATA_DIR), io_error);
}
