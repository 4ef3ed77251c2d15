// number_traits<T>: the one place a number format describes itself
// (Eigen's NumTraits idea): width, storage, range, one quantum, and the
// accumulator a dot product of two T's must use so that it cannot wrap.
#ifndef LOWP_TYPES_TRAITS_HPP
#define LOWP_TYPES_TRAITS_HPP

#include <cstdint>
#include <limits>

#include "lowp/types/fixed.hpp"

namespace lowp {

template <class T>
struct number_traits;  // undefined for types that are not lowp formats

template <int B, class S, class O, bool G>
struct number_traits<fixed<B, S, O, G>> {
  using type = fixed<B, S, O, G>;
  using storage = typename type::storage;
  static constexpr int bits = B;
  static constexpr bool is_signed = G;
  static constexpr bool is_fixed_point = true;
  static constexpr bool has_static_scale = S::is_static;
  static constexpr std::int64_t raw_lowest = type::raw_lowest;
  static constexpr std::int64_t raw_highest = type::raw_highest;
  // int8*int8 sums into int32 (2^16 products of 2^14 fit); 16-bit products
  // into int64. The accumulator keeps the product's scale.
  using product = decltype(type() * type());
  using accumulator = fixed<(2 * B <= 16 ? 32 : 64), typename product::scale, O, true>;
  static constexpr type lowest() noexcept { return type::from_raw(raw_lowest); }
  static constexpr type highest() noexcept { return type::from_raw(raw_highest); }
  // One quantum in units of the scale; for static scales also as a value.
  static constexpr type quantum() noexcept { return type::from_raw(1); }
  static constexpr double epsilon() noexcept {
    static_assert(S::is_static, "epsilon() of a dynamic_scale format is its run-time step");
    return S::value();
  }
};

template <>
struct number_traits<float> {
  using type = float;
  using storage = float;
  static constexpr int bits = 32;
  static constexpr bool is_signed = true;
  static constexpr bool is_fixed_point = false;
  using accumulator = float;
  static constexpr float lowest() noexcept { return std::numeric_limits<float>::lowest(); }
  static constexpr float highest() noexcept { return std::numeric_limits<float>::max(); }
  static constexpr double epsilon() noexcept { return std::numeric_limits<float>::epsilon(); }
};

template <>
struct number_traits<double> {
  using type = double;
  using storage = double;
  static constexpr int bits = 64;
  static constexpr bool is_signed = true;
  static constexpr bool is_fixed_point = false;
  using accumulator = double;
  static constexpr double lowest() noexcept { return std::numeric_limits<double>::lowest(); }
  static constexpr double highest() noexcept { return std::numeric_limits<double>::max(); }
  static constexpr double epsilon() noexcept { return std::numeric_limits<double>::epsilon(); }
};

}  // namespace lowp
#endif
