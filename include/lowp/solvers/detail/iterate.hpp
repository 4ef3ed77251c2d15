// How a solver stores its (offset) iterate for a given number format:
// double stores values as they are (the full-precision reference, and the
// "quantization disabled" instance of the low-precision solvers); a
// lowp::fixed with a dynamic_scale stores integer codes of a run-time step,
// written only through the rounding policy and the format's overflow policy.
#ifndef LOWP_SOLVERS_DETAIL_ITERATE_HPP
#define LOWP_SOLVERS_DETAIL_ITERATE_HPP

#include <cstdint>
#include <type_traits>

#include "lowp/concepts.hpp"
#include "lowp/quantize/narrow.hpp"
#include "lowp/quantize/rng.hpp"
#include "lowp/types/fixed.hpp"
#include "lowp/types/overflow.hpp"
#include "lowp/types/scale.hpp"

namespace lowp {
namespace detail {

template <class Format>
struct iterate_codes;

template <>
struct iterate_codes<double> {
  using code = double;
  static constexpr int bits = 0;
  static constexpr bool quantized = false;
  static constexpr double highest = 0.0;  // unused: no range
  template <class R>
  static code round(double u, R&, saturation_counter&) noexcept {
    return u;
  }
};

// A float32 iterate: every write rounds to nearest float (what a plain
// float32 implementation does, and why its small steps vanish near w*).
template <>
struct iterate_codes<float> {
  using code = float;
  static constexpr int bits = 0;
  static constexpr bool quantized = false;
  static constexpr double highest = 0.0;
  template <class R>
  static code round(double u, R&, saturation_counter&) noexcept {
    return static_cast<float>(u);
  }
};

template <class Format>
  requires bit_centering_format<Format>
struct iterate_codes<Format> {
  using code = typename number_traits<Format>::storage;
  static constexpr int bits = number_traits<Format>::bits;
  static constexpr bool quantized = true;
  static constexpr double highest = static_cast<double>(number_traits<Format>::raw_highest);
  // u is already in units of the step.
  template <class R>
  static code round(double u, R& r, saturation_counter& c) noexcept {
    return quantize<Format>(u, dynamic_scale::value(1.0), r, &c).raw();
  }
};

template <class Format>
concept iterate_format = std::is_same_v<Format, double> || std::is_same_v<Format, float> || bit_centering_format<Format>;

// Build a rounding policy for one stream: stochastic policies own a
// counter_rng, deterministic ones are stateless.
template <class Rounding>
Rounding make_rounding(counter_rng rng) {
  if constexpr (std::is_constructible_v<Rounding, counter_rng>)
    return Rounding(rng);
  else if constexpr (std::is_constructible_v<Rounding, counter_rng, unsigned>)
    return Rounding(rng, 64u);  // shared randomness: one dither per 64 roundings, as the kernels do
  else
    return Rounding{};
}

// Uniform index in [0, n) from a 64-bit draw (multiply-shift; the bias is
// below n / 2^64).
inline std::size_t uniform_index(counter_rng& rng, std::size_t n) noexcept {
  const std::uint64_t x = (std::uint64_t(rng.next_u32()) << 32) | rng.next_u32();
  return static_cast<std::size_t>((static_cast<unsigned __int128>(x) * n) >> 64);
}

// The random streams of a run. Each purpose and each epoch has its own
// stream, so epoch k's randomness does not depend on how epochs before it
// consumed theirs: a run resumed at epoch k replays exactly.
enum class stream_purpose : std::uint64_t { sample = 0, round = 1, option_two = 2 };
// Thread t > 0 of a Hogwild! inner loop gets its own streams; thread 0's are
// the sequential run's.
inline counter_rng epoch_stream(std::uint64_t seed, std::size_t epoch, stream_purpose p,
                                std::size_t thread = 0) noexcept {
  return counter_rng(seed, (std::uint64_t(thread) << 56) | (std::uint64_t(epoch) << 8) | static_cast<std::uint64_t>(p));
}

}  // namespace detail
}  // namespace lowp
#endif
