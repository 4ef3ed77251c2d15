// IDX reader (see include/lowp/datasets/idx.hpp for the contract).
//
// All four inputs (raw or gzip, file or memory) go through one byte_source
// interface so the header checks and the incremental, data-bounded growth of
// the payload are written once. Files use gzread (zlib's own buffering and
// multi-member handling); memory uses inflate with the same conventions,
// including ignoring non-gzip bytes after the last member, as gzread does.
#include "lowp/datasets/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <system_error>

namespace lowp {
namespace datasets {
namespace {

constexpr std::uint8_t k_gzip_magic[2] = {0x1f, 0x8b};
constexpr std::size_t k_min_step = std::size_t(1) << 16;  // first payload chunk: 64 KiB

std::string hex(std::uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

[[noreturn]] void fail(const std::string& name, std::uint64_t offset, std::string expected, std::string found) {
  throw parse_error(name, 0, 0, std::move(expected), std::move(found), offset);
}

// ---- byte sources ----------------------------------------------------------------

class byte_source {
 public:
  explicit byte_source(std::string name) : name_(std::move(name)) {}
  virtual ~byte_source() = default;
  byte_source(const byte_source&) = delete;
  byte_source& operator=(const byte_source&) = delete;

  // Up to n bytes; fewer only at the end of the data. Corrupt compressed data
  // is a parse_error, an OS failure an io_error.
  virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
  // Total (decompressed) size when known without reading: raw inputs only.
  virtual std::optional<std::uint64_t> size() const { return std::nullopt; }

  // read() until n bytes or the end; tracks the offset for messages.
  std::size_t read_full(std::uint8_t* dst, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      const std::size_t r = read(dst + got, n - got);
      if (r == 0) break;
      got += r;
      offset_ += r;  // kept current, so read() can report exact offsets
    }
    return got;
  }
  std::uint64_t offset() const noexcept { return offset_; }
  const std::string& name() const noexcept { return name_; }

 protected:
  std::string name_;
  std::uint64_t offset_ = 0;  // bytes delivered so far
};

class memory_source final : public byte_source {
 public:
  memory_source(std::span<const std::uint8_t> b, std::string name) : byte_source(std::move(name)), b_(b) {}
  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    const std::size_t k = std::min(n, b_.size() - pos_);
    if (k != 0) std::memcpy(dst, b_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::optional<std::uint64_t> size() const override { return b_.size(); }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};

class inflate_source final : public byte_source {
 public:
  inflate_source(std::span<const std::uint8_t> b, std::string name) : byte_source(std::move(name)), b_(b) {
    zs_.next_in = const_cast<Bytef*>(b_.data());  // zlib's API is not const-correct
    zs_.avail_in = 0;
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
  }
  ~inflate_source() override { inflateEnd(&zs_); }

  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    std::size_t got = 0;
    while (got < n && !done_) {
      feed();
      const std::size_t want = std::min<std::size_t>(n - got, UINT_MAX);
      zs_.next_out = dst + got;
      zs_.avail_out = static_cast<uInt>(want);
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      got += want - zs_.avail_out;
      switch (rc) {
        case Z_OK: break;
        case Z_STREAM_END:
          // Another gzip member follows? Otherwise stop: trailing non-gzip
          // bytes are ignored, as gzread does.
          feed();
          if (zs_.avail_in >= 2 && zs_.next_in[0] == k_gzip_magic[0] && zs_.next_in[1] == k_gzip_magic[1])
            inflateReset(&zs_);
          else
            done_ = true;
          break;
        case Z_BUF_ERROR:  // no progress possible with output space left: the input ran out
          fail(name_, offset_ + got, "the rest of the gzip stream", "end of file (compressed data truncated)");
        case Z_MEM_ERROR: throw std::bad_alloc();
        default:
          fail(name_, offset_ + got, "valid gzip data",
               std::string("corrupt stream (zlib: ") + (zs_.msg ? zs_.msg : "error " + std::to_string(rc)) + ")");
      }
    }
    return got;
  }

 private:
  // Hand zlib the next piece of input once it has used up the previous one.
  void feed() {
    if (zs_.avail_in == 0 && fed_ < b_.size()) {
      const std::size_t k = std::min<std::size_t>(b_.size() - fed_, UINT_MAX);
      zs_.next_in = const_cast<Bytef*>(b_.data() + fed_);
      zs_.avail_in = static_cast<uInt>(k);
      fed_ += k;
    }
  }

  std::span<const std::uint8_t> b_;
  std::size_t fed_ = 0;
  z_stream zs_{};
  bool done_ = false;
};

class file_source final : public byte_source {
 public:
  file_source(std::FILE* f, std::string name, std::optional<std::uint64_t> size)
      : byte_source(std::move(name)), f_(f), size_(size) {}
  ~file_source() override { std::fclose(f_); }
  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    const std::size_t r = std::fread(dst, 1, n, f_);
    if (r < n && std::ferror(f_)) throw io_error(name_, std::strerror(errno));
    return r;
  }
  std::optional<std::uint64_t> size() const override { return size_; }

 private:
  std::FILE* f_;
  std::optional<std::uint64_t> size_;
};

class gzfile_source final : public byte_source {
 public:
  gzfile_source(gzFile gz, std::string name) : byte_source(std::move(name)), gz_(gz) {
    gzbuffer(gz_, 1u << 17);
  }
  ~gzfile_source() override { gzclose(gz_); }
  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    const unsigned want = static_cast<unsigned>(std::min<std::size_t>(n, 1u << 30));
    const int r = gzread(gz_, dst, want);
    int err = Z_OK;
    const char* msg = gzerror(gz_, &err);
    // zlib prefixes its message with the path; the parse_error names the file already.
    if (msg != nullptr && std::strncmp(msg, name_.c_str(), name_.size()) == 0 &&
        std::strncmp(msg + name_.size(), ": ", 2) == 0)
      msg += name_.size() + 2;
    if (r < 0 || (err != Z_OK && err != Z_BUF_ERROR)) {
      if (err == Z_ERRNO) throw io_error(name_, std::strerror(errno));
      if (err == Z_MEM_ERROR) throw std::bad_alloc();
      fail(name_, offset_ + static_cast<unsigned>(std::max(r, 0)), "valid gzip data",
           std::string("corrupt stream (zlib: ") + (msg ? msg : "?") + ")");
    }
    if (static_cast<unsigned>(r) < want && err == Z_BUF_ERROR)
      fail(name_, offset_ + static_cast<unsigned>(r), "the rest of the gzip stream",
           "end of file (compressed data truncated)");
    return static_cast<std::size_t>(r);
  }

 private:
  gzFile gz_;
};

std::unique_ptr<byte_source> open_memory(std::span<const std::uint8_t> b, const std::string& name) {
  if (b.size() >= 2 && b[0] == k_gzip_magic[0] && b[1] == k_gzip_magic[1])
    return std::make_unique<inflate_source>(b, name);
  return std::make_unique<memory_source>(b, name);
}

std::unique_ptr<byte_source> open_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) throw io_error(name, std::strerror(errno));
  std::uint8_t magic[2] = {0, 0};
  const std::size_t k = std::fread(magic, 1, 2, f);
  if (k < 2 && std::ferror(f)) {
    const int e = errno;
    std::fclose(f);
    throw io_error(name, std::strerror(e));
  }
  if (k == 2 && magic[0] == k_gzip_magic[0] && magic[1] == k_gzip_magic[1]) {
    std::fclose(f);
    gzFile gz = gzopen(file.c_str(), "rb");
    if (gz == nullptr) throw io_error(name, errno != 0 ? std::strerror(errno) : "gzopen failed");
    return std::make_unique<gzfile_source>(gz, name);
  }
  std::rewind(f);
  std::error_code ec;
  const auto sz = std::filesystem::file_size(file, ec);
  return std::make_unique<file_source>(f, name, ec ? std::nullopt : std::optional<std::uint64_t>(sz));
}

// ---- the format ------------------------------------------------------------------------

const char* type_name(std::uint8_t t) {
  switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "not an IDX type";
  }
}

struct idx_payload {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};

// Reads and checks a whole unsigned-byte IDX stream with `ndim` dimensions.
idx_payload read_idx(byte_source& src, std::uint8_t ndim, const char* what) {
  const std::string& name = src.name();
  const std::uint32_t want_magic = 0x0800u | ndim;
  const std::string magic_desc = std::string("IDX ") + what + " magic " + hex(want_magic, 8);

  std::uint8_t m[4];
  const std::size_t got = src.read_full(m, 4);
  if (got < 4) fail(name, got, "4-byte " + magic_desc, got == 0 ? "end of file (empty file)" : "end of file");
  const std::uint32_t magic = (std::uint32_t(m[0]) << 24) | (std::uint32_t(m[1]) << 16) |
                              (std::uint32_t(m[2]) << 8) | std::uint32_t(m[3]);
  if (m[0] != 0 || m[1] != 0) fail(name, 0, magic_desc + ", which starts with two zero bytes", hex(magic, 8));
  if (m[2] != 0x08)
    fail(name, 2, "unsigned-byte IDX data (type code 0x08)",
         "type code " + hex(m[2], 2) + " (" + type_name(m[2]) + ")");
  if (m[3] != ndim)
    fail(name, 3, std::to_string(ndim) + " dimension" + (ndim == 1 ? "" : "s") + " (" + magic_desc + ")",
         std::to_string(m[3]) + " (magic " + hex(magic, 8) + ")");

  idx_payload p;
  std::uint64_t product = 1;
  // Cap: the float copy of the payload (4 bytes per element) must stay
  // addressable; anything beyond is a lying header, whatever the data says.
  constexpr std::uint64_t k_max_elements = std::uint64_t(1) << 48;
  for (std::uint8_t j = 0; j < ndim; ++j) {
    std::uint8_t b[4];
    const std::uint64_t at = 4 + 4 * std::uint64_t(j);
    const std::size_t k = src.read_full(b, 4);
    if (k < 4)
      fail(name, at + k, "dimension " + std::to_string(j + 1) + " of " + std::to_string(ndim) + " (4-byte big-endian)",
           "end of file");
    const std::uint32_t dim =
        (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
    if (dim == 0) fail(name, at, "non-zero dimension " + std::to_string(j + 1), "0");
    if (product > k_max_elements / dim)
      fail(name, at, "dimensions whose product is at most 2^48 elements",
           "dimension " + std::to_string(j + 1) + " = " + std::to_string(dim) + " after a product of " +
               std::to_string(product));
    product *= dim;
    p.dims.push_back(dim);
  }
  const std::uint64_t header = 4 + 4 * std::uint64_t(ndim);
  std::string shape;
  for (std::size_t j = 0; j < p.dims.size(); ++j) shape += (j ? " x " : "") + std::to_string(p.dims[j]);
  const std::string want_data = std::to_string(product) + " bytes of " + what + " data (" + shape + " from the header)";

  // Raw input: the size is known, so check before allocating anything.
  if (const auto size = src.size()) {
    if (*size < header + product)
      fail(name, *size, want_data, "end of file after " + std::to_string(*size - header) + " bytes");
    if (*size > header + product)
      fail(name, header + product, "end of file after " + want_data,
           std::to_string(*size - header - product) + " more bytes");
  }

  // Grow with the data: each step at most doubles what already arrived, so
  // a header claiming 4 GB over a 1 KB stream allocates ~64 KiB, not 4 GB.
  std::uint64_t have = 0;
  while (have < product) {
    const std::uint64_t step = std::min<std::uint64_t>(product - have, std::max<std::uint64_t>(have, k_min_step));
    p.data.resize(static_cast<std::size_t>(have + step));
    const std::size_t k = src.read_full(p.data.data() + have, static_cast<std::size_t>(step));
    have += k;
    if (k < step) fail(name, header + have, want_data, "end of file after " + std::to_string(have) + " bytes");
  }
  std::uint8_t extra;
  if (src.read_full(&extra, 1) != 0) fail(name, header + product, "end of file after " + want_data, "trailing data");
  return p;
}

idx_images images_from(byte_source& src) {
  idx_payload p = read_idx(src, 3, "images");
  idx_images out;
  out.n = p.dims[0];
  out.rows = p.dims[1];
  out.cols = p.dims[2];
  out.pixels = std::move(p.data);
  return out;
}

std::vector<std::uint8_t> labels_from(byte_source& src) { return read_idx(src, 1, "labels").data; }

}  // namespace

idx_images read_idx_images(const std::filesystem::path& file) { return images_from(*open_file(file)); }

std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& file) { return labels_from(*open_file(file)); }

idx_images parse_idx_images(std::span<const std::uint8_t> bytes, const std::string& name) {
  return images_from(*open_memory(bytes, name));
}

std::vector<std::uint8_t> parse_idx_labels(std::span<const std::uint8_t> bytes, const std::string& name) {
  return labels_from(*open_memory(bytes, name));
}

dense_dataset make_idx_dataset(const idx_images& images, std::span<const std::uint8_t> labels,
                               const idx_options& options, const std::string& labels_name) {
  if (labels.size() != images.n)
    fail(labels_name, 4, "as many labels as images (" + std::to_string(images.n) + ")",
         std::to_string(labels.size()) + " labels");
  dense_dataset out;
  out.n = images.n;
  out.d = images.rows * images.cols;
  out.X.resize(images.pixels.size());
  // Division, not multiplication by 1/255: exact rounding keeps 255 -> 1.0f.
  const float scale = options.scale_to_unit ? 255.0f : 1.0f;
  for (std::size_t k = 0; k < images.pixels.size(); ++k) out.X[k] = float(images.pixels[k]) / scale;
  out.y.assign(labels.begin(), labels.end());
  return out;
}

dense_dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels,
                       const idx_options& options) {
  const idx_images im = read_idx_images(images);
  const std::vector<std::uint8_t> lb = read_idx_labels(labels);
  return make_idx_dataset(im, lb, options, labels.string());
}

}  // namespace datasets
}  // namespace lowp
