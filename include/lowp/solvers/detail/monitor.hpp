// The bookkeeping every solver shares: time, counters, the epoch_state it
// shows callbacks, the divergence rule and the final report.
#ifndef LOWP_SOLVERS_DETAIL_MONITOR_HPP
#define LOWP_SOLVERS_DETAIL_MONITOR_HPP

#include <chrono>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "lowp/callbacks/callbacks.hpp"
#include "lowp/solvers/options.hpp"
#include "lowp/solvers/report.hpp"
#include "lowp/solvers/state.hpp"

namespace lowp {
namespace detail {

class run_monitor {
 public:
  run_monitor(const resume_point& rp, double f_star)
      : start_(std::chrono::steady_clock::now()), offset_(rp.seconds), f_star_(f_star) {
    state_.epoch = rp.first_epoch;
    state_.work = rp.work;
    state_.total_saturations = rp.total_saturations;
    previous_norm_ = rp.previous_gradient_norm;
    initial_norm_ = rp.initial_gradient_norm;
  }
  // The gradient norm at the start point, the reference for slow blow-ups.
  void set_initial_norm(double g) noexcept {
    if (initial_norm_ == 0.0) initial_norm_ = g;
    if (previous_norm_ == 0.0) previous_norm_ = g;
  }
  double initial_norm() const noexcept { return initial_norm_; }

  double seconds() const {
    return offset_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  epoch_state& state() noexcept { return state_; }
  double previous_norm() const noexcept { return previous_norm_; }

  // Record the end of an epoch (or the start point with epoch = first).
  void record(std::size_t epoch, double objective, double grad_norm, double scale, std::uint64_t saturations,
              std::uint64_t work_done, std::span<const double> model) {
    state_.epoch = epoch;
    state_.objective = objective;
    state_.gap = std::isnan(f_star_) ? f_star_ : objective - f_star_;
    state_.full_gradient_norm = grad_norm;
    state_.scale = scale;
    state_.saturations = saturations;
    state_.total_saturations += saturations;
    state_.work += work_done;
    state_.seconds = seconds();
    state_.model = model;
  }

  // Non-finite values, or the gradient norm blowing up, end the run: the
  // caller keeps the last good model and reports why.
  bool diverged(double objective, double grad_norm, double factor, const char* what) {
    if (!std::isfinite(objective) || !std::isfinite(grad_norm)) {
      message_ = std::string(what) + ": non-finite objective or gradient at epoch " + std::to_string(state_.epoch + 1);
      return true;
    }
    if (previous_norm_ > 0 && factor > 0 && grad_norm > factor * previous_norm_) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s: ||grad f|| grew from %.3g to %.3g in epoch %zu (more than %gx)", what,
                    previous_norm_, grad_norm, state_.epoch + 1, factor);
      message_ = buf;
      return true;
    }
    // A slow geometric blow-up (under-provisioned HALP grows ~2x per epoch)
    // never trips the per-epoch rule, so also compare with the start.
    if (initial_norm_ > 0 && factor > 0 && grad_norm > factor * initial_norm_) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s: ||grad f|| reached %.3g in epoch %zu, more than %gx its start value %.3g",
                    what, grad_norm, state_.epoch + 1, factor, initial_norm_);
      message_ = buf;
      return true;
    }
    previous_norm_ = grad_norm;
    return false;
  }
  void set_message(std::string m) { message_ = std::move(m); }
  void append_message(const std::string& m) { message_ += m; }

  report finish(status why, double objective, double grad_norm) {
    report r;
    r.why = why;
    r.objective = objective;
    r.full_gradient_norm = grad_norm;
    r.epochs = state_.epoch;
    r.saturations = state_.total_saturations;
    r.work = state_.work;
    r.seconds = seconds();
    r.message = message_;
    return r;
  }

 private:
  std::chrono::steady_clock::time_point start_;
  double offset_;
  double f_star_;
  double previous_norm_ = 0.0;
  double initial_norm_ = 0.0;
  epoch_state state_;
  std::string message_;
};

inline double norm2(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

}  // namespace detail
}  // namespace lowp
#endif
