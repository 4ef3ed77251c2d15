// Writing a file so that its name only ever holds a complete file: the bytes
// go to "<path>.tmp.<pid>", which is flushed to disk, closed and only then
// renamed over <path> (rename is atomic within a directory). Any failure, or
// an exception from the code producing the bytes, removes the temporary and
// leaves an existing <path> as it was. Readers therefore see the old file or
// the new one, never a prefix of the new one. The .tmp name sits in the same
// directory as the target so the rename never crosses file systems; the pid
// keeps two processes writing the same path from sharing a temporary.
#ifndef LOWP_DATASETS_DETAIL_ATOMIC_FILE_HPP
#define LOWP_DATASETS_DETAIL_ATOMIC_FILE_HPP

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "lowp/datasets/error.hpp"

namespace lowp {
namespace datasets {
namespace detail {

class atomic_file {
 public:
  explicit atomic_file(const std::filesystem::path& path)
      : path_(path.string()), tmp_(path_ + ".tmp." + std::to_string(static_cast<long long>(::getpid()))) {
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (f_ == nullptr) throw io_error(path_, "cannot create " + tmp_ + ": " + std::strerror(errno));
  }
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;

  // Not committed (an error, or the producer threw): drop the temporary.
  ~atomic_file() { discard(); }

  const std::string& temp_path() const noexcept { return tmp_; }

  void write(std::string_view bytes) {
    if (f_ == nullptr) throw io_error(path_, "write after commit");
    if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) fail("cannot write " + tmp_, errno);
  }

  // Flush, sync, close and rename into place. The fsync makes the data reach
  // the disk before the rename does, so a power loss cannot leave an empty
  // file under the new name.
  void commit() {
    if (f_ == nullptr) throw io_error(path_, "commit twice");
    if (std::fflush(f_) != 0) fail("cannot write " + tmp_, errno);
    if (::fsync(::fileno(f_)) != 0 && errno != EINVAL && errno != EROFS)  // EINVAL: pipes, special files
      fail("cannot sync " + tmp_, errno);
    std::FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0) fail("cannot close " + tmp_, errno);
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) fail("cannot rename " + tmp_ + " into place", errno);
    committed_ = true;
  }

 private:
  void discard() noexcept {
    if (committed_) return;
    if (f_ != nullptr) std::fclose(f_);
    f_ = nullptr;
    std::remove(tmp_.c_str());  // only ever our own temporary: fopen created it
    committed_ = true;          // nothing left to clean up
  }

  [[noreturn]] void fail(const std::string& what, int err) {
    discard();
    throw io_error(path_, what + ": " + std::strerror(err));
  }

  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

// Write `text` to `file` atomically (see above); io_error on any failure.
inline void write_file_atomically(const std::filesystem::path& file, std::string_view text) {
  atomic_file out(file);
  out.write(text);
  out.commit();
}

}  // namespace detail
}  // namespace datasets
}  // namespace lowp

#endif
