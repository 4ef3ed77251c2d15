// The message codec for quantized communication (the "C" of the DMGC model,
// De Sa et al. 2017): a vector u of doubles travels as one double scale c
// and n int8 or int16 codes q, u ~ c q, little-endian:
//
//   [ c : 8 bytes ][ q_0 ... q_{n-1} : n * bits/8 bytes ]
//
// Encoding rules, in order:
//  1. a fixed scale c given by the caller (the LP-SVRG-style ablation that
//     stalls): q = SR(u / c), clamped to the code range and counted;
//  2. u already integral and inside the code range (HALP's offsets are b-bit
//     codes, so HALP-8 sends its codes losslessly over 8-bit messages): c = 1,
//     q = u exactly;
//  3. otherwise c = max|u| / (2^{b-1} - 1), q = SR(u / c): never clamps, and
//     c shrinks with u, which is what keeps quantized averaging linearly
//     convergent (the offsets shrink like the gradient, as in bit centering).
// SR is round::stochastic (unbiased to 2^-17 of a quantum, quantize/stochastic.hpp)
// on a counter_rng stream the caller derives from (seed, epoch, rank), so a
// message does not depend on timing. A non-finite u encodes c = NaN, which
// decodes to NaN everywhere and trips the solver's divergence check.
#ifndef LOWP_DISTRIBUTED_DETAIL_CODEC_HPP
#define LOWP_DISTRIBUTED_DETAIL_CODEC_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/quantize/rng.hpp"
#include "lowp/quantize/stochastic.hpp"

namespace lowp {
namespace distributed {
namespace detail {

inline void check_comm_bits(int bits) {
  if (bits != 8 && bits != 16)
    throw std::invalid_argument("lowp::distributed: quantized messages have 8 or 16 bits, got " + std::to_string(bits));
}
inline std::size_t message_bytes(std::size_t n, int bits) {
  return sizeof(double) + n * static_cast<std::size_t>(bits / 8);
}
inline std::int64_t code_highest(int bits) { return (std::int64_t(1) << (bits - 1)) - 1; }
inline std::int64_t code_lowest(int bits) { return -(std::int64_t(1) << (bits - 1)); }

struct encode_result {
  double scale = 0.0;
  std::uint64_t saturations = 0;  // codes clamped (only with a fixed scale)
  bool lossless = false;          // rule 2
};

// Writes message_bytes(u.size(), bits) bytes to out.
inline encode_result encode(std::span<const double> u, int bits, counter_rng rng, std::span<std::byte> out,
                            double fixed_scale = 0.0) {
  check_comm_bits(bits);
  const std::size_t n = u.size();
  if (out.size() != message_bytes(n, bits)) throw std::invalid_argument("lowp::distributed: message buffer size");
  const std::int64_t hi = code_highest(bits), lo = code_lowest(bits);
  encode_result res;
  double m = 0.0;
  bool integral = true, finite = true;
  for (double v : u) {
    if (!std::isfinite(v)) finite = false;
    m = std::max(m, std::abs(v));
    if (v != std::floor(v) || v > double(hi) || v < double(lo)) integral = false;
  }
  std::vector<std::int64_t> q(n, 0);
  if (!finite) {
    res.scale = std::numeric_limits<double>::quiet_NaN();
  } else if (fixed_scale > 0) {
    res.scale = fixed_scale;
    round::stochastic<> sr(rng);
    for (std::size_t j = 0; j < n; ++j) {
      std::int64_t c = sr.real(u[j] / fixed_scale);
      if (c > hi || c < lo) {
        ++res.saturations;
        c = c > hi ? hi : lo;
      }
      q[j] = c;
    }
  } else if (integral) {
    res.scale = 1.0;
    res.lossless = true;
    for (std::size_t j = 0; j < n; ++j) q[j] = static_cast<std::int64_t>(u[j]);
  } else {
    res.scale = m / double(hi);
    round::stochastic<> sr(rng);
    for (std::size_t j = 0; j < n; ++j) {
      // |u/c| <= hi up to one rounding of the division: clamp that ulp away
      // (not counted; it changes the value by ~1e-16 of a quantum).
      const double x = std::min(double(hi), std::max(-double(hi), u[j] / res.scale));
      q[j] = std::min(hi, sr.real(x));
    }
  }
  std::memcpy(out.data(), &res.scale, sizeof(double));
  std::byte* p = out.data() + sizeof(double);
  for (std::size_t j = 0; j < n; ++j) {
    if (bits == 8) {
      const std::int8_t c = static_cast<std::int8_t>(q[j]);
      std::memcpy(p + j, &c, 1);
    } else {
      const std::uint16_t c = static_cast<std::uint16_t>(static_cast<std::int16_t>(q[j]));
      const std::byte le[2] = {std::byte(c & 0xffu), std::byte(c >> 8)};
      std::memcpy(p + 2 * j, le, 2);
    }
  }
  return res;
}

// u[j] (+)= c q_j for a message of n codes.
inline void decode_add(std::span<const std::byte> msg, int bits, std::span<double> acc) {
  check_comm_bits(bits);
  const std::size_t n = acc.size();
  if (msg.size() != message_bytes(n, bits)) throw std::invalid_argument("lowp::distributed: message size");
  double c;
  std::memcpy(&c, msg.data(), sizeof(double));
  const std::byte* p = msg.data() + sizeof(double);
  for (std::size_t j = 0; j < n; ++j) {
    double q;
    if (bits == 8) {
      std::int8_t v;
      std::memcpy(&v, p + j, 1);
      q = v;
    } else {
      const auto b0 = std::to_integer<std::uint16_t>(p[2 * j]), b1 = std::to_integer<std::uint16_t>(p[2 * j + 1]);
      q = static_cast<std::int16_t>(static_cast<std::uint16_t>(b0 | (b1 << 8)));
    }
    acc[j] += c * q;
  }
}

}  // namespace detail
}  // namespace distributed
}  // namespace lowp
#endif
