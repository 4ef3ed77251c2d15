// Shared helpers for the run-log tests: a scratch directory, bit-level
// double comparison, and a record that exercises every field.
#ifndef LOWP_TESTS_RUNS_TEST_SUPPORT_HPP
#define LOWP_TESTS_RUNS_TEST_SUPPORT_HPP

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "lowp/runs/run_log.hpp"

namespace lowp_test {

class scratch {
 public:
  scratch() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("lowp_runs_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const noexcept { return path_; }
  // Everything in the directory, to prove no temp file was left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
    return out;
  }

 private:
  std::filesystem::path path_;
};

// The writer's temp name for `path` in this process.
inline std::string temp_name(const std::string& path) {
  return path + ".tmp." + std::to_string(static_cast<long long>(::getpid()));
}

// Bit-exact, except that any NaN equals any NaN: HDF5 moves the bits
// untouched, but the contract promises NaN, not a particular payload.
inline bool same_double(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  std::uint64_t x = 0, y = 0;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x == y;
}

inline bool same_doubles(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_double(a[i], b[i])) return false;
  return true;
}

inline bool same_row(const lowp::runs::trace_row& a, const lowp::runs::trace_row& b) {
  return a.epoch == b.epoch && same_double(a.objective, b.objective) && same_double(a.gap, b.gap) &&
         same_double(a.grad_norm, b.grad_norm) && same_double(a.scale, b.scale) &&
         same_double(a.seconds, b.seconds) && a.saturations == b.saturations && a.work == b.work;
}

inline bool same_trace(const std::vector<lowp::runs::trace_row>& a, const std::vector<lowp::runs::trace_row>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_row(a[i], b[i])) return false;
  return true;
}

inline bool same_params(const lowp::runs::param_list& a, const lowp::runs::param_list& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || a[i].second.index() != b[i].second.index()) return false;
    if (const auto* d = std::get_if<double>(&a[i].second)) {
      if (!same_double(*d, std::get<double>(b[i].second))) return false;
    } else if (a[i].second != b[i].second) {
      return false;
    }
  }
  return true;
}

inline double nan_with_payload(std::uint64_t payload) {
  const std::uint64_t bits = 0x7ff8000000000000ull | (payload & 0x0007ffffffffffffull);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

inline std::vector<lowp::runs::trace_row> sample_trace(std::size_t n) {
  std::vector<lowp::runs::trace_row> t;
  for (std::size_t i = 0; i < n; ++i) {
    lowp::runs::trace_row r;
    r.epoch = i;
    r.objective = 1.0 / static_cast<double>(i + 1) + 0.1;
    r.gap = i % 3 == 1 ? std::numeric_limits<double>::quiet_NaN() : std::ldexp(1.0, -static_cast<int>(i));
    r.grad_norm = 0.5 / static_cast<double>(i + 1);
    r.scale = i == 0 ? std::numeric_limits<double>::quiet_NaN() : 1e-3 * static_cast<double>(i);
    r.seconds = 0.25 * static_cast<double>(i);
    r.saturations = i * 7;
    r.work = (i + 1) * 1000 + (i == 4 ? std::numeric_limits<std::uint64_t>::max() - 10000 : 0);
    t.push_back(r);
  }
  return t;
}

// Values a lossy path would change: -0.0, subnormal, extremes, Inf, a NaN
// with a payload.
inline std::vector<double> tricky_values() {
  return {0.0, -0.0, 1.0 / 3.0, std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(),
          std::numeric_limits<double>::lowest(), std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity(), nan_with_payload(0x1234), 1e-300};
}

inline lowp::runs::run_record sample_record() {
  lowp::runs::run_record r;
  r.algorithm = "halp";
  r.seed = 0xfedcba9876543210ull;
  r.status = "converged";
  r.message = "gradient norm 1e-9 < tolerance 1e-8 \xc2\xb7 UTF-8 ok";
  // Out of alphabetical order, on purpose: the order must survive.
  r.params = {{"step", 0.125},
              {"b", std::int64_t{8}},
              {"rounding", std::string("stochastic")},
              {"min_int", std::numeric_limits<std::int64_t>::min()},
              {"mu", std::numeric_limits<double>::quiet_NaN()},
              {"empty", std::string()}};
  r.library_version = "0.1.0";
  r.git_revision = "abc1234";
  r.cpu_model = "Test CPU @ 3.00GHz";
  r.isa = "avx2";
  r.hostname = "testhost";
  r.started_utc = "2026-01-31T12:34:56Z";
  r.trace = sample_trace(6);
  r.model = tricky_values();
  return r;
}

}  // namespace lowp_test

#endif
