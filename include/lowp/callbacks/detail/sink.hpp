// Where the printing callbacks write: a FILE* or a std::ostream, so a program
// can keep its usual stream while a test hands in an std::ostringstream and
// reads back exactly what was printed.
#ifndef LOWP_CALLBACKS_DETAIL_SINK_HPP
#define LOWP_CALLBACKS_DETAIL_SINK_HPP

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lowp::callbacks {

class text_sink {
 public:
  // Implicit on purpose: callers pass std::cout, stderr or a string stream.
  text_sink(std::ostream& os) noexcept : os_(&os) {}  // NOLINT(google-explicit-constructor)
  text_sink(std::FILE* f) : file_(f) {                // NOLINT(google-explicit-constructor)
    if (f == nullptr) throw std::invalid_argument("lowp::callbacks: null FILE* sink");
  }

  void write(std::string_view s) const {
    if (file_ != nullptr) {
      std::fwrite(s.data(), 1, s.size(), file_);
    } else {
      os_->write(s.data(), static_cast<std::streamsize>(s.size()));
    }
  }
  void flush() const {
    if (file_ != nullptr) {
      std::fflush(file_);
    } else {
      os_->flush();
    }
  }

  // Only the standard streams have a descriptor we can ask isatty about; any
  // other ostream (a file, a string) is not a terminal.
  bool is_terminal() const noexcept {
    int fd = -1;
    if (file_ != nullptr) {
      fd = ::fileno(file_);
    } else if (os_ == &std::cout) {
      fd = STDOUT_FILENO;
    } else if (os_ == &std::cerr || os_ == &std::clog) {
      fd = STDERR_FILENO;
    }
    return fd >= 0 && ::isatty(fd) == 1;
  }

 private:
  std::ostream* os_ = nullptr;
  std::FILE* file_ = nullptr;
};

namespace detail {

__attribute__((format(printf, 2, 3))) inline void appendf(std::string& s, const char* fmt, ...) {
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  char buf[256];
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0 && static_cast<std::size_t>(n) < sizeof buf) {
    s.append(buf, static_cast<std::size_t>(n));
  } else if (n > 0) {  // longer than the stack buffer: format again in place
    const std::size_t old = s.size();
    s.resize(old + static_cast<std::size_t>(n) + 1);
    std::vsnprintf(s.data() + old, static_cast<std::size_t>(n) + 1, fmt, again);
    s.resize(old + static_cast<std::size_t>(n));
  }
  va_end(again);
}

// Human durations for progress output: "42.0 s", "3m05s", "2h07m".
inline std::string format_duration(double seconds) {
  std::string s;
  if (!(seconds >= 0)) return "?";
  if (seconds < 60) {
    appendf(s, "%.1f s", seconds);
  } else if (seconds < 3600) {
    const auto t = static_cast<long long>(seconds);
    appendf(s, "%lldm%02llds", t / 60, t % 60);
  } else {
    const auto t = static_cast<long long>(seconds / 60);
    appendf(s, "%lldh%02lldm", t / 60, t % 60);
  }
  return s;
}

}  // namespace detail
}  // namespace lowp::callbacks
#endif
