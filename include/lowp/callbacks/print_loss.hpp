// print_loss: one line per epoch (or every `every` epochs) with whatever the
// solver measured, for logs and quick runs:
//   epoch 3  f 1.234e-02  gap 4.5e-09  |g| 1.2e-05  sat 0  1.23 s
// Fields a solver does not have (NaN in epoch_state) are left out rather than
// printed as "nan", so the same callback reads well for SGD and HALP.
#ifndef LOWP_CALLBACKS_PRINT_LOSS_HPP
#define LOWP_CALLBACKS_PRINT_LOSS_HPP

#include <cmath>
#include <cstddef>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <string>

#include "lowp/callbacks/callbacks.hpp"
#include "lowp/callbacks/detail/sink.hpp"

namespace lowp::callbacks {

class print_loss {
 public:
  explicit print_loss(std::size_t every = 1, text_sink out = std::cout) : every_(every), out_(out) {
    if (every == 0) throw std::invalid_argument("print_loss: every must be >= 1");
  }

  // The epoch line print_loss writes for `s`, without the newline.
  static std::string format(const epoch_state& s) {
    std::string line;
    detail::appendf(line, "epoch %zu", s.epoch);
    if (!std::isnan(s.objective)) detail::appendf(line, "  f %.3e", s.objective);
    if (!std::isnan(s.gap)) detail::appendf(line, "  gap %.1e", s.gap);
    if (!std::isnan(s.full_gradient_norm)) detail::appendf(line, "  |g| %.1e", s.full_gradient_norm);
    detail::appendf(line, "  sat %llu  %.2f s", static_cast<unsigned long long>(s.saturations), s.seconds);
    return line;
  }

  bool on_epoch_end(const epoch_state& s) {
    if (s.epoch % every_ == 0) emit(s);
    return false;
  }

  // The final state always appears, even when `every` skipped it, followed
  // by how the run ended.
  void on_end(const epoch_state& s, const report& r) {
    if (last_printed_ != s.epoch) emit(s);
    std::string line = std::string("done: ") + to_string(r.why);
    if (!r.message.empty()) line += " (" + r.message + ")";
    detail::appendf(line, ", %zu epochs, %.2f s\n", r.epochs, r.seconds);
    out_.write(line);
    out_.flush();
  }

 private:
  void emit(const epoch_state& s) {
    out_.write(format(s) + '\n');
    out_.flush();  // a log tailing a long run should see every line as it happens
    last_printed_ = s.epoch;
  }

  std::size_t every_;
  text_sink out_;
  std::size_t last_printed_ = std::numeric_limits<std::size_t>::max();
};

static_assert(callback<print_loss>);

}  // namespace lowp::callbacks
#endif
