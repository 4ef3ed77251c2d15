// Synthetic runs for the callback tests: a solver loop in miniature, and a
// scratch directory.
#ifndef LOWP_TESTS_CALLBACKS_CALLBACK_TEST_SUPPORT_HPP
#define LOWP_TESTS_CALLBACKS_CALLBACK_TEST_SUPPORT_HPP

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "lowp/callbacks/callbacks.hpp"

namespace lowp_test {

inline constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// epoch_state for epoch e with the given objective; the rest filled with
// values derived from e so every column of a trace differs.
inline lowp::epoch_state state(std::size_t e, double objective, double seconds = 0.0) {
  lowp::epoch_state s;
  s.epoch = e;
  s.objective = objective;
  s.seconds = seconds;
  return s;
}

// Feeds the states to the callbacks as a solver would (on_begin, one
// on_epoch_end per state until one asks to stop, on_end) and returns the
// index of the state that stopped the run, or states.size() if none did.
template <lowp::callback... Cs>
std::size_t drive(const std::vector<lowp::epoch_state>& states, Cs&... cs) {
  lowp::run_info info;
  info.algorithm = "test";
  info.max_epochs = states.empty() ? 0 : states.back().epoch;
  lowp::detail::callbacks_begin(info, cs...);
  std::size_t i = 0;
  bool stopped = false;
  for (; i < states.size(); ++i) {
    if (lowp::detail::callbacks_epoch_end(states[i], cs...)) {
      stopped = true;
      break;
    }
  }
  lowp::report r;
  r.why = stopped ? lowp::status::stopped_by_callback : lowp::status::max_epochs;
  r.epochs = states.empty() ? 0 : states[stopped ? i : i - 1].epoch;
  if (!states.empty()) lowp::detail::callbacks_end(states[stopped ? i : i - 1], r, cs...);
  return i;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline void spit(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
}

class scratch_dir {
 public:
  scratch_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("lowp_callbacks_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Names of the entries, sorted, to see what a callback left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> v;
    for (const auto& e : std::filesystem::directory_iterator(path_)) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace lowp_test
#endif
