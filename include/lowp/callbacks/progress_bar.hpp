// progress_bar: on a terminal, one line redrawn in place every epoch
//   [###########.................]  12/30  f 1.234e-02  4.1 s  ETA 6.2 s
// When the sink is not a terminal (a log file, a pipe, CI) redrawing would
// fill the log with carriage returns and escape codes, so it degrades to one
// plain line per epoch instead. on_end finishes the line and prints how the
// run ended.
#ifndef LOWP_CALLBACKS_PROGRESS_BAR_HPP
#define LOWP_CALLBACKS_PROGRESS_BAR_HPP

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "lowp/callbacks/callbacks.hpp"
#include "lowp/callbacks/detail/sink.hpp"

namespace lowp::callbacks {

class progress_bar {
 public:
  enum class mode {
    automatic,  // redraw when the sink is a terminal (isatty), plain lines otherwise
    redraw,     // always redraw (e.g. a terminal isatty cannot see, or tests)
    plain,      // always plain lines
  };

  explicit progress_bar(text_sink out = stderr, mode m = mode::automatic, std::size_t width = 30)
      : out_(out), redraw_(m == mode::redraw || (m == mode::automatic && out.is_terminal())), width_(width) {
    if (width == 0) throw std::invalid_argument("progress_bar: width must be >= 1");
  }

  bool redraws() const noexcept { return redraw_; }

  void on_begin(const run_info& info) {
    total_ = info.max_epochs;
    first_ = info.first_epoch;
    algorithm_ = std::string(info.algorithm);
  }

  bool on_epoch_end(const epoch_state& s) {
    std::string line;
    if (redraw_) {
      // \r back to column 0, ESC[K clears what a longer previous line left.
      line = "\r\x1b[K";
      if (total_ > 0) {
        const std::size_t done = s.epoch < total_ ? s.epoch : total_;
        const std::size_t fill = done * width_ / total_;
        line += '[';
        line.append(fill, '#');
        line.append(width_ - fill, '.');
        line += "]  ";
      }
      line += body(s);
      drawn_ = true;
    } else {
      line = body(s) + '\n';
    }
    out_.write(line);
    out_.flush();
    return false;
  }

  void on_end(const epoch_state& s, const report& r) {
    std::string line = drawn_ ? "\n" : "";
    drawn_ = false;
    if (!algorithm_.empty()) line += algorithm_ + ": ";
    line += to_string(r.why);
    detail::appendf(line, " after %zu epochs", r.epochs);
    if (!std::isnan(s.objective)) detail::appendf(line, "  f %.3e", s.objective);
    line += "  " + detail::format_duration(r.seconds);
    if (!r.message.empty()) line += "  (" + r.message + ")";
    line += '\n';
    out_.write(line);
    out_.flush();
  }

 private:
  // "12/30  f 1.234e-02  4.1 s  ETA 6.2 s" (no total or ETA when max_epochs
  // is unknown, no ETA before the first epoch has finished).
  std::string body(const epoch_state& s) const {
    std::string b;
    if (total_ > 0) {
      detail::appendf(b, "%zu/%zu", s.epoch, total_);
    } else {
      detail::appendf(b, "epoch %zu", s.epoch);
    }
    if (!std::isnan(s.objective)) detail::appendf(b, "  f %.3e", s.objective);
    b += "  " + detail::format_duration(s.seconds);
    // Epochs since this run started (a resumed run did not spend its time on
    // the first `first_` epochs).
    if (total_ > 0 && s.epoch > first_ && s.epoch < total_) {
      const double per_epoch = s.seconds / static_cast<double>(s.epoch - first_);
      b += "  ETA " + detail::format_duration(per_epoch * static_cast<double>(total_ - s.epoch));
    }
    return b;
  }

  text_sink out_;
  bool redraw_;
  std::size_t width_;
  std::size_t total_ = 0, first_ = 0;
  std::string algorithm_;
  bool drawn_ = false;  // a redrawn line is open and needs its '\n'
};

static_assert(callback<progress_bar>);

}  // namespace lowp::callbacks
#endif
