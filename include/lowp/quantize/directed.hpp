// Deterministic rounding modes: floor (toward -inf; ap/ac *_TRN, free in
// hardware) and toward zero (C integer division; *_TRN_ZERO).
// A rounding policy maps an exact value to an integer in two forms:
//   shift(v, d): round(v / 2^d) for an integer v and d >= 1 (fixed -> fixed)
//   real(x):     round(x) for a finite double (float -> fixed)
#ifndef LOWP_QUANTIZE_DIRECTED_HPP
#define LOWP_QUANTIZE_DIRECTED_HPP

#include <cmath>
#include <cstdint>

namespace lowp {
namespace round {

struct floor {
  static constexpr bool is_stochastic = false;
  static constexpr std::int64_t shift(std::int64_t v, int d) noexcept { return v >> d; }
  static std::int64_t real(double x) noexcept { return static_cast<std::int64_t>(std::floor(x)); }
};

struct toward_zero {
  static constexpr bool is_stochastic = false;
  static constexpr std::int64_t shift(std::int64_t v, int d) noexcept {
    return v >= 0 ? (v >> d) : -((-v) >> d);
  }
  static std::int64_t real(double x) noexcept { return static_cast<std::int64_t>(std::trunc(x)); }
};

}  // namespace round
}  // namespace lowp
#endif
