// Drawing a value from a conditional distribution, in double precision or
// with a b-bit coin (low-precision sampling, spec gibbs.md B.5/B.6).
//
// A b-bit coin for probability q compares a b-bit uniform r (the top b bits
// of one 32-bit draw) against an integer threshold theta in [0, 2^b]:
// P(r < theta) = theta / 2^b.
//  - nearest:    theta = round(q * 2^b)            -> biased by up to 2^-(b+1)
//                                                     per transition (a 4-bit
//                                                     coin moves marginals ~5e-2)
//  - stochastic: theta = floor(q * 2^b + u), u a 16-bit dither taken from the
//                low half of the same draw (independent of r for b <= 16):
//                E[theta] = q * 2^b, so P(x = 1) = q exactly (to within the
//                2^-16 dither grid of lowp::round's SR, i.e. 2^-(b+17)), the
//                transition kernel is the exact Gibbs kernel in expectation
//                over the dither, and the chain keeps pi as its stationary law.
// Categorical variables are drawn by sequential binary coins from the last
// value down: P(x = k | x <= k) = p_k / (p_0 + ... + p_k); each coin is
// unbiased under stochastic rounding, hence so is the draw.
#ifndef LOWP_SOLVERS_GIBBS_COIN_HPP
#define LOWP_SOLVERS_GIBBS_COIN_HPP

#include <cstdint>
#include <stdexcept>
#include <string>

#include "lowp/quantize/nearest.hpp"
#include "lowp/quantize/rng.hpp"
#include "lowp/quantize/stochastic.hpp"

namespace lowp {
namespace gibbs {

enum class coin_rounding { nearest, stochastic };

struct coin_options {
  int bits = 0;  // 0: double-precision coin (53-bit uniform); 1..16: b-bit coin
  coin_rounding rounding = coin_rounding::stochastic;
  void validate() const {
    if (bits < 0 || bits > 16) throw std::invalid_argument("gibbs: coin bits must be 0 (double) or 1..16");
  }
};

// One b-bit coin with P(true) ~ q (exactly q in expectation for stochastic rounding).
inline bool flip(double q, const coin_options& c, counter_rng& rng) noexcept {
  const std::uint32_t draw = rng.next_u32();
  const double scaled = q * static_cast<double>(std::uint32_t(1) << c.bits);
  const std::int64_t theta = c.rounding == coin_rounding::nearest
                                 ? round::nearest_even::real(scaled)
                                 : round::detail::sr_real(scaled, draw & 0xffffU);
  return static_cast<std::int64_t>(draw >> (32 - c.bits)) < theta;
}

// A value from prob[0..card) (normalised).
inline int draw_value(const double* prob, int card, const coin_options& c, counter_rng& rng) noexcept {
  if (c.bits == 0) {
    if (card == 2) return rng.next_double() < prob[1] ? 1 : 0;
    const double u = rng.next_double();
    double acc = 0.0;
    for (int k = 0; k + 1 < card; ++k) {
      acc += prob[k];
      if (u < acc) return k;
    }
    return card - 1;
  }
  double rem = 1.0;
  for (int k = card - 1; k > 0; --k) {
    const double q = rem > 0.0 ? prob[k] / rem : 0.0;
    if (flip(q < 1.0 ? q : 1.0, c, rng)) return k;
    rem -= prob[k];
  }
  return 0;
}

}  // namespace gibbs
}  // namespace lowp
#endif
