// Shared machinery of the text readers (LIBSVM, ratings, UAI): a line source
// that streams a file through one reusable buffer (or walks a string in
// memory without copying), whole-token number parsing on std::from_chars,
// and the quoting used in "found ..." parts of error messages.
//
// Why not iostreams: a9a is 2.3 MB and ~450k tokens; operator>> per token is
// an order of magnitude slower and hides where a token started, which the
// error messages need.
#ifndef LOWP_DATASETS_DETAIL_TEXT_HPP
#define LOWP_DATASETS_DETAIL_TEXT_HPP

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "lowp/datasets/error.hpp"

namespace lowp {
namespace datasets {
namespace detail {

// ---- lines -------------------------------------------------------------------

// Yields the lines of a file or a string, without their '\n' (a '\r' before it
// is left in place; the readers treat '\r' as whitespace, which is all CRLF
// needs). A last line without '\n' is still a line. Tracks the 1-based line
// number and the byte offset of the current line so errors can point at a
// byte.
class line_reader {
 public:
  // In memory: no copy; `text` must outlive the reader.
  line_reader(std::string_view text, std::string name) : name_(std::move(name)), data_(text.data()), end_(text.size()) {}

  // Streaming from disk through a buffer that only grows when one line is
  // longer than it (so memory is bounded by the longest line, not the file).
  explicit line_reader(const std::filesystem::path& file) : name_(file.string()) {
    file_.reset(std::fopen(file.c_str(), "rb"));
    if (!file_) throw io_error(name_, std::strerror(errno));
    buf_.resize(k_chunk);
    data_ = buf_.data();
  }

  const std::string& name() const noexcept { return name_; }

  bool next() {
    for (;;) {
      if (pos_ < end_) {
        const void* nl = std::memchr(data_ + pos_, '\n', end_ - pos_);
        if (nl != nullptr) {
          const std::size_t e = static_cast<std::size_t>(static_cast<const char*>(nl) - data_);
          return take(e, e + 1);
        }
      }
      if (!file_ || eof_) {
        if (pos_ < end_) return take(end_, end_);
        return false;
      }
      refill();
    }
  }

  std::string_view line() const noexcept { return line_; }
  std::size_t line_number() const noexcept { return line_no_; }
  std::uint64_t line_offset() const noexcept { return line_off_; }

  // Throw a parse_error at byte `col0` (0-based) of the current line.
  [[noreturn]] void fail(std::size_t col0, std::string expected, std::string found) const {
    throw parse_error(name_, line_no_, col0 + 1, std::move(expected), std::move(found), line_off_ + col0);
  }
  // Throw at the end of the input (after next() returned false): the position
  // just past the last byte, as an editor would show it.
  [[noreturn]] void fail_at_end(std::string expected, std::string found = "end of file") const {
    std::size_t line = line_no_, col = line_.size() + 1;
    if (line_no_ == 0 || last_had_newline_) {
      line = line_no_ + 1;
      col = 1;
    }
    throw parse_error(name_, line, col, std::move(expected), std::move(found), consumed_);
  }

 private:
  static constexpr std::size_t k_chunk = std::size_t(1) << 18;  // 256 KiB

  bool take(std::size_t e, std::size_t next_pos) {
    line_ = std::string_view(data_ + pos_, e - pos_);
    line_off_ = consumed_;
    ++line_no_;
    last_had_newline_ = next_pos != e;
    consumed_ += next_pos - pos_;
    pos_ = next_pos;
    return true;
  }

  void refill() {
    // Keep the unfinished line, move it to the front, grow only if it fills
    // the whole buffer.
    const std::size_t keep = end_ - pos_;
    if (keep > 0 && pos_ > 0) std::memmove(buf_.data(), buf_.data() + pos_, keep);
    pos_ = 0;
    end_ = keep;
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    data_ = buf_.data();
    const std::size_t want = buf_.size() - end_;
    const std::size_t got = std::fread(buf_.data() + end_, 1, want, file_.get());
    if (got < want) {
      if (std::ferror(file_.get())) throw io_error(name_, std::strerror(errno));
      eof_ = true;
    }
    end_ += got;
  }

  struct file_closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };

  std::string name_;
  std::unique_ptr<std::FILE, file_closer> file_;
  std::vector<char> buf_;
  const char* data_ = nullptr;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  std::string_view line_;
  std::size_t line_no_ = 0;
  std::uint64_t line_off_ = 0, consumed_ = 0;
  bool last_had_newline_ = false;
};

// ---- characters and tokens -----------------------------------------------------

constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

inline std::size_t skip_space(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// End of the token starting at i: the next whitespace or `stop` character.
inline std::size_t token_end(std::string_view s, std::size_t i, char stop = '\0') noexcept {
  while (i < s.size() && !is_space(s[i]) && (stop == '\0' || s[i] != stop)) ++i;
  return i;
}

// 'tok' with non-printable bytes escaped and long tokens cut, for messages.
inline std::string quote(std::string_view tok) {
  constexpr std::size_t k_max = 24;
  std::string q = "'";
  const std::size_t n = tok.size() < k_max ? tok.size() : k_max;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(tok[i]);
    if (c == '\t') {
      q += "\\t";
    } else if (c == '\r') {
      q += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      q += "\\x";
      q += hex[c >> 4];
      q += hex[c & 15];
    } else {
      q += static_cast<char>(c);
    }
  }
  if (tok.size() > k_max) q += "...";
  q += '\'';
  return q;
}

// What sits at position i of a line, for "found ...": the token there, or
// "whitespace", or "end of line".
inline std::string describe(std::string_view line, std::size_t i) {
  if (i >= line.size()) return "end of line";
  if (is_space(line[i])) return line[i] == '\r' && i + 1 == line.size() ? "end of line" : "whitespace";
  return quote(line.substr(i, token_end(line, i) - i));
}

// ---- numbers ------------------------------------------------------------------------

enum class num { ok, invalid, out_of_range, not_finite };

// The whole token must be a number. Accepts a leading '+' (svmlight writes
// "+1"), which from_chars does not. A value too small for the type becomes a
// signed zero, as strtod would give, rather than an error: 1e-50 in a feature
// file is a legitimate (if pointless) number. Too large is out_of_range; NaN
// and Inf parse but are reported as not_finite.
template <class Float>
num to_float(std::string_view tok, Float& out) noexcept {
  if (tok.size() > 1 && tok[0] == '+' && (tok[1] == '.' || (tok[1] >= '0' && tok[1] <= '9'))) tok.remove_prefix(1);
  const char* b = tok.data();
  const char* e = b + tok.size();
  Float v{};
  const auto r = std::from_chars(b, e, v);
  if (r.ptr != e || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range)) return num::invalid;
  if (r.ec == std::errc::result_out_of_range) {
    // Decide underflow vs overflow with a wider parse (or by the exponent's
    // sign when even long double is out of range).
    long double w = 0;
    const auto r2 = std::from_chars(b, e, w);
    bool tiny;
    if (r2.ec == std::errc()) {
      tiny = std::fabs(w) < 1.0L;
    } else {
      const std::size_t x = tok.find_first_of("eE");
      if (x != std::string_view::npos) {
        tiny = x + 1 < tok.size() && tok[x + 1] == '-';
      } else {  // thousands of digits: tiny iff the integer part is all zeros
        const std::string_view int_part = tok.substr(0, tok.find('.'));
        tiny = int_part.find_first_not_of("-0") == std::string_view::npos;
      }
    }
    if (!tiny) return num::out_of_range;
    out = tok[0] == '-' ? -Float(0) : Float(0);
    return num::ok;
  }
  if (!std::isfinite(v)) return num::not_finite;
  out = v;
  return num::ok;
}

// Plain decimal digits only (no sign, no spaces): ids, indices, counts.
template <class UInt>
num to_uint(std::string_view tok, UInt& out) noexcept {
  const char* b = tok.data();
  const char* e = b + tok.size();
  if (b == e || *b < '0' || *b > '9') return num::invalid;
  UInt v{};
  const auto r = std::from_chars(b, e, v);
  if (r.ec == std::errc::result_out_of_range) return num::out_of_range;
  if (r.ec != std::errc() || r.ptr != e) return num::invalid;
  out = v;
  return num::ok;
}

// Shortest text that reads back to exactly the same value.
template <class T>
void append_number(std::string& s, T v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

}  // namespace detail
}  // namespace datasets
}  // namespace lowp

#endif
