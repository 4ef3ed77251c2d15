// C++20 concepts for the solver layer. The number types themselves stay
// C++14 (HLS subset); these only name what the solvers require of them.
#ifndef LOWP_CONCEPTS_HPP
#define LOWP_CONCEPTS_HPP

#include <concepts>
#include <cstdint>
#include <type_traits>

#include "lowp/types.hpp"

namespace lowp {

// Something number_traits describes: a lowp::fixed or float/double.
template <class T>
concept number_format = requires {
  typename number_traits<T>::storage;
  typename number_traits<T>::accumulator;
  { number_traits<T>::bits } -> std::convertible_to<int>;
};

template <class T>
concept fixed_point_format = number_format<T> && number_traits<T>::is_fixed_point;

// HALP's bit centering re-scales every epoch: only a run-time scale will do.
template <class T>
concept bit_centering_format = fixed_point_format<T> && !number_traits<T>::has_static_scale;

// A rounding policy maps exact values to integers: shift(v, d) = round(v/2^d)
// and real(x) = round(x).
// References are looked through, so forwarding parameters (R&&) can be constrained directly.
template <class R>
concept rounding_policy = requires(std::remove_cvref_t<R>& r, std::int64_t v, int d, double x) {
  { r.shift(v, d) } -> std::same_as<std::int64_t>;
  { r.real(x) } -> std::same_as<std::int64_t>;
  { std::remove_cvref_t<R>::is_stochastic } -> std::convertible_to<bool>;
};

template <class R>
concept stochastic_rounding_policy = rounding_policy<R> && std::remove_cvref_t<R>::is_stochastic;

}  // namespace lowp
#endif
