// lowp::fixed: integer storage with a static or run-time scale.
//
// fixed<Bits, Scale, Overflow, Signed> holds a Bits-wide two's complement (or
// unsigned) integer in the smallest native type that fits. Arithmetic grows
// exactly as ac_fixed / ap_fixed do (a*b has Bits1+Bits2 bits, a+b one more
// integer bit than the wider operand), so accumulators never silently lose
// bits; going back to a narrower format is only possible through
// lowp::narrow / lowp::quantize, which take a rounding policy object.
// C++14, no exceptions, no dynamic memory: this header is in the HLS subset.
#ifndef LOWP_TYPES_FIXED_HPP
#define LOWP_TYPES_FIXED_HPP

#include <cstdint>
#include <type_traits>

#include "lowp/types/overflow.hpp"
#include "lowp/types/scale.hpp"

namespace lowp {
namespace detail {

template <int Bits, bool Signed>
struct storage_for {
  static_assert(Bits >= 1, "lowp::fixed needs at least one bit");
  static_assert(Signed ? Bits <= 64 : Bits <= 63,
                "lowp::fixed is limited to 64 bits (63 when unsigned); narrow the operands first");
  using type = typename std::conditional<
      (Bits <= 8), typename std::conditional<Signed, std::int8_t, std::uint8_t>::type,
      typename std::conditional<
          (Bits <= 16), typename std::conditional<Signed, std::int16_t, std::uint16_t>::type,
          typename std::conditional<
              (Bits <= 32), typename std::conditional<Signed, std::int32_t, std::uint32_t>::type,
              typename std::conditional<Signed, std::int64_t, std::uint64_t>::type>::type>::type>::type;
};

constexpr std::int64_t raw_lowest(int bits, bool is_signed) noexcept {
  return is_signed ? (bits == 64 ? INT64_MIN : -(std::int64_t(1) << (bits - 1))) : 0;
}
constexpr std::int64_t raw_highest(int bits, bool is_signed) noexcept {
  return is_signed ? (bits == 64 ? INT64_MAX : (std::int64_t(1) << (bits - 1)) - 1)
                   : (std::int64_t(1) << bits) - 1;
}
constexpr int max_int(int a, int b) noexcept { return a > b ? a : b; }

template <class Scale>
struct frac_of {  // fraction bits of a static scale; 0 for dynamic (equal scales assumed)
  static constexpr int value = 0;
};
template <int E>
struct frac_of<exp2<E>> {
  static constexpr int value = -E;
};

}  // namespace detail

template <int Bits, class Scale = exp2<0>, class Overflow = overflow::saturate, bool Signed = true>
class fixed {
 public:
  using storage = typename detail::storage_for<Bits, Signed>::type;
  using scale = Scale;
  using overflow_policy = Overflow;
  static constexpr int bits = Bits;
  static constexpr bool is_signed = Signed;
  static constexpr bool has_static_scale = Scale::is_static;
  // ac/ap "I" = Bits - frac. For dynamic scales both are relative to the
  // run-time step (frac 0).
  static constexpr int frac_bits = detail::frac_of<Scale>::value;
  static constexpr int int_bits = Bits - frac_bits;
  static constexpr std::int64_t raw_lowest = detail::raw_lowest(Bits, Signed);
  static constexpr std::int64_t raw_highest = detail::raw_highest(Bits, Signed);

  constexpr fixed() noexcept : raw_(0) {}

  // The only way in from an integer is to say that it is the raw pattern.
  static constexpr fixed from_raw(std::int64_t r) noexcept { return fixed(static_cast<storage>(r), 0); }
  constexpr storage raw() const noexcept { return raw_; }

  // Widening to floating point is explicit and exact for Bits <= 53.
  template <class S = Scale, class = typename std::enable_if<S::is_static>::type>
  constexpr explicit operator double() const noexcept {
    return static_cast<double>(raw_) * Scale::value();
  }
  template <class S = Scale, class = typename std::enable_if<S::is_static>::type>
  constexpr explicit operator float() const noexcept {
    return static_cast<float>(static_cast<double>(raw_) * Scale::value());
  }
  // A dynamic-scale value needs its step to mean anything.
  constexpr double to_double(dynamic_scale::value s) const noexcept {
    static_assert(!Scale::is_static, "to_double(step) is for dynamic_scale formats; use static_cast<double>");
    return static_cast<double>(raw_) * s.step;
  }

  // Compound add/sub keep the left type: allowed only when no rounding is
  // needed (right operand not finer); the left overflow policy applies.
  template <int B2, class O2, bool S2>
  fixed& operator+=(fixed<B2, Scale, O2, S2> o) noexcept {
    return *this = from_wide(std::int64_t(raw_) + std::int64_t(o.raw()));
  }
  template <int B2, class O2, bool S2>
  fixed& operator-=(fixed<B2, Scale, O2, S2> o) noexcept {
    return *this = from_wide(std::int64_t(raw_) - std::int64_t(o.raw()));
  }

  friend constexpr bool operator==(fixed a, fixed b) noexcept { return a.raw_ == b.raw_; }
  friend constexpr bool operator!=(fixed a, fixed b) noexcept { return a.raw_ != b.raw_; }
  friend constexpr bool operator<(fixed a, fixed b) noexcept { return a.raw_ < b.raw_; }
  friend constexpr bool operator>(fixed a, fixed b) noexcept { return a.raw_ > b.raw_; }
  friend constexpr bool operator<=(fixed a, fixed b) noexcept { return a.raw_ <= b.raw_; }
  friend constexpr bool operator>=(fixed a, fixed b) noexcept { return a.raw_ >= b.raw_; }

 private:
  constexpr fixed(storage r, int) noexcept : raw_(r) {}
  static fixed from_wide(std::int64_t w) noexcept {
    return from_raw(Overflow::apply(w, raw_lowest, raw_highest, Bits, Signed));
  }
  storage raw_;
};

template <int B, class O = overflow::saturate>
using ufixed_bits = fixed<B, exp2<0>, O, false>;

namespace detail {
template <class T>
struct is_fixed : std::false_type {};
template <int B, class S, class O, bool Sg>
struct is_fixed<fixed<B, S, O, Sg>> : std::true_type {};

// ac_fixed growth rules (rt<...>::mult / plus), expressed in (bits, frac).
template <class A, class B>
struct product_type {
  using type = fixed<A::bits + B::bits, typename scale_product<typename A::scale, typename B::scale>::type,
                     typename A::overflow_policy, (A::is_signed || B::is_signed)>;
};
template <class A, class B, bool Minus>
struct sum_type {
  static constexpr int f = max_int(A::frac_bits, B::frac_bits);
  static constexpr bool s = A::is_signed || B::is_signed || Minus;
  static constexpr int i = max_int(A::int_bits + (s && !A::is_signed ? 1 : 0),
                                   B::int_bits + (s && !B::is_signed ? 1 : 0)) + 1;
  using type = fixed<i + f, typename scale_sum<typename A::scale, typename B::scale>::type,
                     typename A::overflow_policy, s>;
};
template <class A, class B>
struct same_scale_kind
    : std::integral_constant<bool, A::has_static_scale == B::has_static_scale> {};
}  // namespace detail

// a * b: exact; bits and fraction bits add.
template <int B1, class S1, class O1, bool G1, int B2, class S2, class O2, bool G2>
constexpr typename detail::product_type<fixed<B1, S1, O1, G1>, fixed<B2, S2, O2, G2>>::type operator*(
    fixed<B1, S1, O1, G1> a, fixed<B2, S2, O2, G2> b) noexcept {
  static_assert(S1::is_static == S2::is_static,
                "lowp::fixed: cannot mix a static scale with a dynamic_scale implicitly; quantize one side first");
  using R = typename detail::product_type<fixed<B1, S1, O1, G1>, fixed<B2, S2, O2, G2>>::type;
  return R::from_raw(std::int64_t(a.raw()) * std::int64_t(b.raw()));
}

namespace detail {
template <class R, class A, class B>
constexpr std::int64_t aligned(A a) noexcept {
  return std::int64_t(a.raw()) * (std::int64_t(1) << (R::frac_bits - A::frac_bits));
}
}  // namespace detail

// a + b, a - b: exact; the result has the finer scale and one more integer bit.
template <int B1, class S1, class O1, bool G1, int B2, class S2, class O2, bool G2>
constexpr typename detail::sum_type<fixed<B1, S1, O1, G1>, fixed<B2, S2, O2, G2>, false>::type operator+(
    fixed<B1, S1, O1, G1> a, fixed<B2, S2, O2, G2> b) noexcept {
  static_assert(S1::is_static == S2::is_static,
                "lowp::fixed: cannot mix a static scale with a dynamic_scale implicitly; quantize one side first");
  using A = fixed<B1, S1, O1, G1>;
  using B = fixed<B2, S2, O2, G2>;
  using R = typename detail::sum_type<A, B, false>::type;
  return R::from_raw(detail::aligned<R, A, B>(a) + detail::aligned<R, B, A>(b));
}
template <int B1, class S1, class O1, bool G1, int B2, class S2, class O2, bool G2>
constexpr typename detail::sum_type<fixed<B1, S1, O1, G1>, fixed<B2, S2, O2, G2>, true>::type operator-(
    fixed<B1, S1, O1, G1> a, fixed<B2, S2, O2, G2> b) noexcept {
  static_assert(S1::is_static == S2::is_static,
                "lowp::fixed: cannot mix a static scale with a dynamic_scale implicitly; quantize one side first");
  using A = fixed<B1, S1, O1, G1>;
  using B = fixed<B2, S2, O2, G2>;
  using R = typename detail::sum_type<A, B, true>::type;
  return R::from_raw(detail::aligned<R, A, B>(a) - detail::aligned<R, B, A>(b));
}
template <int B1, class S1, class O1, bool G1>
constexpr fixed<B1 + 1, S1, O1, true> operator-(fixed<B1, S1, O1, G1> a) noexcept {
  return fixed<B1 + 1, S1, O1, true>::from_raw(-std::int64_t(a.raw()));
}

}  // namespace lowp
#endif
