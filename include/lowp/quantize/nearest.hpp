// Round to nearest, ties to even (*_RND_CONV): unbiased on ties, but every
// value strictly inside a quantum still moves to the same neighbour, which is
// why small SGD steps vanish under it (see stochastic.hpp).
// Written without std::nearbyint so the result does not depend on the
// floating-point environment's rounding mode.
#ifndef LOWP_QUANTIZE_NEAREST_HPP
#define LOWP_QUANTIZE_NEAREST_HPP

#include <cmath>
#include <cstdint>

namespace lowp {
namespace round {

struct nearest_even {
  static constexpr bool is_stochastic = false;
  static constexpr std::int64_t shift(std::int64_t v, int d) noexcept {
    // q = floor(v / 2^d); rem in [0, 2^d)
    return tie_break(v >> d, v - ((v >> d) * (std::int64_t(1) << d)), std::int64_t(1) << (d - 1));
  }
  static std::int64_t real(double x) noexcept {
    const double f = std::floor(x);
    const double rem = x - f;  // exact: x and floor(x) share an exponent range
    const std::int64_t q = static_cast<std::int64_t>(f);
    return rem > 0.5 ? q + 1 : (rem < 0.5 ? q : q + (q & 1));
  }

 private:
  static constexpr std::int64_t tie_break(std::int64_t q, std::int64_t rem, std::int64_t half) noexcept {
    return rem > half ? q + 1 : (rem < half ? q : q + (q & 1));
  }
};

}  // namespace round
}  // namespace lowp
#endif
