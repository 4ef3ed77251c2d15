// trace_to_csv: the per-epoch trace of a run as CSV, every double at full
// precision (%.17g reads back bit-exactly), for plots and for comparing runs.
//
//   epoch,objective,gap,grad_norm,scale,seconds,saturations,total_saturations,work
//
// Rows go to "<path>.tmp.<pid>" and are flushed every epoch, so a long run
// can be watched and a crash loses at most the epoch in flight. The file
// appears under <path> only on on_end, or in the destructor when on_end never
// came (a run stopped by an exception still leaves its trace): whatever sits
// under the real name is a complete CSV, never half a row. A process that
// dies leaves only the .tmp file.
#ifndef LOWP_CALLBACKS_TRACE_TO_CSV_HPP
#define LOWP_CALLBACKS_TRACE_TO_CSV_HPP

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include "lowp/callbacks/callbacks.hpp"

namespace lowp::callbacks {

class trace_to_csv {
 public:
  static constexpr const char* header =
      "epoch,objective,gap,grad_norm,scale,seconds,saturations,total_saturations,work\n";

  // Opens the temporary now, so a bad path fails before the run starts.
  explicit trace_to_csv(std::filesystem::path path)
      : path_(std::move(path)), tmp_(path_.string() + ".tmp." + std::to_string(static_cast<long long>(::getpid()))) {
    file_ = std::fopen(tmp_.c_str(), "w");
    if (file_ == nullptr)
      throw std::runtime_error("trace_to_csv: cannot create " + tmp_ + " (for " + path_.string() +
                               "): " + std::strerror(errno));
    if (std::fputs(header, file_) < 0 || std::fflush(file_) != 0) {
      // No destructor runs for a half-built object: clean up here.
      const int e = errno;
      std::fclose(file_);
      std::remove(tmp_.c_str());
      throw std::runtime_error("trace_to_csv: cannot write " + tmp_ + " (for " + path_.string() +
                               "): " + std::strerror(e));
    }
  }

  trace_to_csv(trace_to_csv&& o) noexcept
      : path_(std::move(o.path_)), tmp_(std::move(o.tmp_)), file_(std::exchange(o.file_, nullptr)),
        failed_(o.failed_) {}
  trace_to_csv(const trace_to_csv&) = delete;
  trace_to_csv& operator=(const trace_to_csv&) = delete;
  trace_to_csv& operator=(trace_to_csv&&) = delete;

  ~trace_to_csv() {
    if (file_ == nullptr) return;
    // A failed trace stays under its .tmp name: it may end in half a row.
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (closed && !failed_) std::rename(tmp_.c_str(), path_.c_str());
  }

  const std::filesystem::path& path() const noexcept { return path_; }
  const std::string& temp_path() const noexcept { return tmp_; }

  bool on_epoch_end(const epoch_state& s) {
    if (file_ == nullptr) throw std::logic_error("trace_to_csv: epoch after on_end for " + path_.string());
    const int n = std::fprintf(file_, "%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%llu,%llu,%llu\n", s.epoch, s.objective,
                               s.gap, s.full_gradient_norm, s.scale, s.seconds,
                               static_cast<unsigned long long>(s.saturations),
                               static_cast<unsigned long long>(s.total_saturations),
                               static_cast<unsigned long long>(s.work));
    if (n < 0 || std::fflush(file_) != 0) fail("cannot write");
    return false;
  }

  void on_end(const epoch_state&, const report&) {
    if (file_ == nullptr) return;
    const bool closed = std::fclose(file_) == 0;
    const int close_errno = errno;
    file_ = nullptr;
    if (!closed) {
      failed_ = true;
      throw std::runtime_error("trace_to_csv: cannot finish " + tmp_ + " (for " + path_.string() +
                               "): " + std::strerror(close_errno));
    }
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
      throw std::runtime_error("trace_to_csv: cannot rename " + tmp_ + " to " + path_.string() + ": " +
                               std::strerror(errno));
  }

 private:
  [[noreturn]] void fail(const char* what) {
    failed_ = true;
    throw std::runtime_error("trace_to_csv: " + std::string(what) + " " + tmp_ + " (for " + path_.string() +
                             "): " + std::strerror(errno));
  }

  std::filesystem::path path_;
  std::string tmp_;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
};

static_assert(callback<trace_to_csv>);

}  // namespace lowp::callbacks
#endif
