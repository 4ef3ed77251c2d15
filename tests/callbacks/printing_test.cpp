// print_loss and progress_bar: exact text, captured through an
// std::ostringstream (or a FILE*) sink.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "callback_test_support.hpp"
#include "lowp/callbacks/print_loss.hpp"
#include "lowp/callbacks/progress_bar.hpp"

namespace cb = lowp::callbacks;
using lowp_test::k_nan;

namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

lowp::epoch_state full_state(std::size_t e) {
  lowp::epoch_state s;
  s.epoch = e;
  s.objective = 1.234e-2;
  s.gap = 4.5e-9;
  s.full_gradient_norm = 1.2e-5;
  s.saturations = 7;
  s.seconds = 1.234;
  return s;
}

}  // namespace

TEST_CASE("print_loss: one line per epoch in the documented format") {
  std::ostringstream out;
  cb::print_loss p(1, out);
  lowp::epoch_state s = full_state(3);
  CHECK_FALSE(p.on_epoch_end(s));
  CHECK(out.str() == "epoch 3  f 1.234e-02  gap 4.5e-09  |g| 1.2e-05  sat 7  1.23 s\n");
}

TEST_CASE("print_loss: NaN fields are left out") {
  std::ostringstream out;
  cb::print_loss p(1, out);
  lowp::epoch_state s = full_state(4);
  s.gap = k_nan;
  s.full_gradient_norm = k_nan;
  p.on_epoch_end(s);
  s.objective = k_nan;
  p.on_epoch_end(s);
  const auto l = lines_of(out.str());
  REQUIRE(l.size() == 2);
  CHECK(l[0] == "epoch 4  f 1.234e-02  sat 7  1.23 s");
  CHECK(l[1] == "epoch 4  sat 7  1.23 s");
  CHECK(out.str().find("nan") == std::string::npos);
}

TEST_CASE("print_loss: every N epochs and the final epoch always") {
  std::ostringstream out;
  cb::print_loss p(3, out);
  std::vector<lowp::epoch_state> states;
  for (std::size_t e = 0; e <= 7; ++e) states.push_back(lowp_test::state(e, 1.0 / double(e + 1), 0.5 * double(e)));
  CHECK(lowp_test::drive(states, p) == states.size());
  const auto l = lines_of(out.str());
  REQUIRE(l.size() == 5);
  CHECK(l[0].rfind("epoch 0  f 1.000e+00", 0) == 0);
  CHECK(l[1].rfind("epoch 3  f 2.500e-01", 0) == 0);
  CHECK(l[2].rfind("epoch 6  f 1.429e-01", 0) == 0);
  CHECK(l[3] == "epoch 7  f 1.250e-01  sat 0  3.50 s");  // not a multiple of 3: printed by on_end
  CHECK(l[4] == "done: max_epochs, 7 epochs, 0.00 s");
}

TEST_CASE("print_loss: a FILE sink receives the same text") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    cb::print_loss p(1, f);
    p.on_epoch_end(full_state(3));
  }
  std::rewind(f);
  char buf[256] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  CHECK(std::string(buf, n) == "epoch 3  f 1.234e-02  gap 4.5e-09  |g| 1.2e-05  sat 7  1.23 s\n");
}

TEST_CASE("progress_bar: plain lines when the sink is not a terminal") {
  std::ostringstream out;
  cb::progress_bar bar(out);  // automatic: a string stream is never a terminal
  CHECK_FALSE(bar.redraws());
  std::vector<lowp::epoch_state> states;
  for (std::size_t e = 0; e <= 4; ++e) states.push_back(lowp_test::state(e, 2.0 - 0.25 * double(e), 2.0 * double(e)));
  lowp_test::drive(states, bar);  // max_epochs = 4
  const std::string text = out.str();
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
  const auto l = lines_of(text);
  REQUIRE(l.size() == 6);
  CHECK(l[0] == "0/4  f 2.000e+00  0.0 s");
  CHECK(l[1] == "1/4  f 1.750e+00  2.0 s  ETA 6.0 s");
  CHECK(l[3] == "3/4  f 1.250e+00  6.0 s  ETA 2.0 s");
  CHECK(l[4] == "4/4  f 1.000e+00  8.0 s");
  CHECK(l[5] == "test: max_epochs after 4 epochs  f 1.000e+00  0.0 s");
  CHECK(text.back() == '\n');
}

TEST_CASE("progress_bar: automatic mode on a FILE that is not a terminal is plain") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  CHECK_FALSE(cb::progress_bar(f).redraws());
  std::fclose(f);
  CHECK(cb::progress_bar(stderr, cb::progress_bar::mode::redraw).redraws());
  CHECK_FALSE(cb::progress_bar(stderr, cb::progress_bar::mode::plain).redraws());
}

TEST_CASE("progress_bar: automatic mode redraws on a terminal") {
  // A pseudo-terminal is a terminal to isatty; skip where there is none.
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    if (master >= 0) ::close(master);
    MESSAGE("skipped: no pseudo-terminal available");
    return;
  }
  const char* name = ::ptsname(master);
  REQUIRE(name != nullptr);
  std::FILE* tty = std::fopen(name, "w");
  REQUIRE(tty != nullptr);
  CHECK(cb::progress_bar(tty).redraws());
  std::fclose(tty);
  ::close(master);
}

TEST_CASE("progress_bar: forced redraw draws one line and finishes it on_end") {
  std::ostringstream out;
  cb::progress_bar bar(out, cb::progress_bar::mode::redraw, 10);
  lowp::run_info info;
  info.algorithm = "halp";
  info.max_epochs = 10;
  bar.on_begin(info);
  bar.on_epoch_end(lowp_test::state(0, 1.0, 0.0));
  bar.on_epoch_end(lowp_test::state(5, 0.5, 90.0));
  const std::string mid = out.str();
  CHECK(mid.find('\n') == std::string::npos);  // still one line
  CHECK(mid == "\r\x1b[K[..........]  0/10  f 1.000e+00  0.0 s"
               "\r\x1b[K[#####.....]  5/10  f 5.000e-01  1m30s  ETA 1m30s");
  lowp::report r;
  r.why = lowp::status::converged;
  r.epochs = 5;
  r.seconds = 90.5;
  bar.on_end(lowp_test::state(5, 0.5, 90.5), r);
  const std::string all = out.str();
  CHECK(all.substr(mid.size()) == "\nhalp: converged after 5 epochs  f 5.000e-01  1m30s\n");
}

TEST_CASE("progress_bar: a resumed run estimates from its own epochs only") {
  std::ostringstream out;
  cb::progress_bar bar(out, cb::progress_bar::mode::plain);
  lowp::run_info info;
  info.max_epochs = 20;
  info.first_epoch = 10;
  bar.on_begin(info);
  bar.on_epoch_end(lowp_test::state(12, 1.0, 4.0));  // 2 epochs in 4 s, 8 to go
  CHECK(out.str() == "12/20  f 1.000e+00  4.0 s  ETA 16.0 s\n");
}

TEST_CASE("progress_bar: without on_begin there is no total") {
  std::ostringstream out;
  cb::progress_bar bar(out, cb::progress_bar::mode::redraw, 10);
  bar.on_epoch_end(lowp_test::state(3, k_nan, 1.0));
  CHECK(out.str() == "\r\x1b[Kepoch 3  1.0 s");
}
