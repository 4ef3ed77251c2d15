// The two errors every dataset reader throws.
//
// parse_error: the bytes were read but are not a valid file of the expected
// format. It carries where (file, 1-based line and column for text formats,
// the byte offset always) and what the reader expected there, so a message
// reads like a compiler diagnostic and a test can assert on the location:
//   a9a:17:12: expected ':' after feature index, found 'x'
// Binary formats (IDX) have no lines; line() and column() are 0 and the
// message names the byte offset instead:
//   train-images-idx3-ubyte.gz: byte 2: expected unsigned-byte IDX data (type code 0x08), found type code 0x0d
//
// io_error: the operating system could not open or read the file; carries
// the OS reason (strerror).
//
// Both derive from std::runtime_error so callers that do not care can catch
// one type.
#ifndef LOWP_DATASETS_ERROR_HPP
#define LOWP_DATASETS_ERROR_HPP

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace lowp {
namespace datasets {

class parse_error : public std::runtime_error {
 public:
  // line and column are 1-based; 0 means "not applicable" (binary formats,
  // or a whole-line problem for column). offset is the byte offset from the
  // start of the (decompressed) data. found may be empty.
  parse_error(std::string file, std::size_t line, std::size_t column, std::string expected,
              std::string found, std::uint64_t offset)
      : std::runtime_error(format(file, line, column, expected, found, offset)),
        file_(std::move(file)),
        expected_(std::move(expected)),
        found_(std::move(found)),
        line_(line),
        column_(column),
        offset_(offset) {}

  const std::string& file() const noexcept { return file_; }
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }
  std::uint64_t offset() const noexcept { return offset_; }
  // What the reader wanted, without the leading "expected ".
  const std::string& expected() const noexcept { return expected_; }
  // What it got instead ("'x'", "end of line", "end of file"); may be empty.
  const std::string& found() const noexcept { return found_; }

 private:
  static std::string format(const std::string& file, std::size_t line, std::size_t column,
                            const std::string& expected, const std::string& found,
                            std::uint64_t offset) {
    std::string m = file;
    if (line != 0) {
      m += ':' + std::to_string(line);
      if (column != 0) m += ':' + std::to_string(column);
    } else {
      m += ": byte " + std::to_string(offset);
    }
    m += ": expected " + expected;
    if (!found.empty()) m += ", found " + found;
    return m;
  }

  std::string file_, expected_, found_;
  std::size_t line_, column_;
  std::uint64_t offset_;
};

class io_error : public std::runtime_error {
 public:
  io_error(std::string file, std::string reason)
      : std::runtime_error(file + ": " + reason), file_(std::move(file)), reason_(std::move(reason)) {}

  const std::string& file() const noexcept { return file_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string file_, reason_;
};

}  // namespace datasets
}  // namespace lowp

#endif
