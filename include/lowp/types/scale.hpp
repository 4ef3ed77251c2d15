// Scales of fixed-point formats: value = raw * scale.
// A format's scale is either known at compile time (exp2<E>, the ap_fixed /
// Buckwild! case) or chosen at run time (dynamic_scale, needed by HALP's bit
// centering, which re-scales the low-precision offset every epoch). Formats
// carry no state, so a dynamic scale travels beside the raw values.
#ifndef LOWP_TYPES_SCALE_HPP
#define LOWP_TYPES_SCALE_HPP

#include <cmath>

namespace lowp {

// value = raw * 2^E; E = -frac_bits.
template <int E>
struct exp2 {
  static constexpr bool is_static = true;
  static constexpr int exponent = E;
  static constexpr int frac_bits = -E;
  static constexpr double value() noexcept {
    return E >= 0 ? pow2_pos(E) : 1.0 / pow2_pos(-E);
  }

 private:
  static constexpr double pow2_pos(int e) noexcept {
    double r = 1.0;
    for (int i = 0; i < e; ++i) r *= 2.0;
    return r;
  }
};

// Tag: the step is a run-time value (a dynamic_scale::value object).
struct dynamic_scale {
  static constexpr bool is_static = false;
  // The run-time step. Any positive finite double; power-of-two steps make
  // the scale a shift in hardware, which power_of_two_at_least() provides.
  struct value {
    double step;
    constexpr explicit value(double s) noexcept : step(s) {}
    friend constexpr value operator*(value a, value b) noexcept { return value(a.step * b.step); }
    friend constexpr bool operator==(value a, value b) noexcept { return a.step == b.step; }
  };
  // Smallest power of two >= s (s > 0): keeps the scale a shift.
  static value power_of_two_at_least(double s) noexcept {
    int e = 0;
    const double m = std::frexp(s, &e);  // s = m * 2^e, m in [0.5, 1)
    return value(m == 0.5 ? std::ldexp(1.0, e - 1) : std::ldexp(1.0, e));
  }
};

namespace detail {
template <class>
struct always_false {
  static constexpr bool value = false;
};
template <class A, class B>
struct scale_product {  // growth of `*`: exponents add
  static_assert(always_false<A>::value,
                "lowp::fixed: cannot mix a static scale with a dynamic_scale implicitly; quantize one side first");
  using type = A;
};
template <int E1, int E2>
struct scale_product<exp2<E1>, exp2<E2>> { using type = exp2<E1 + E2>; };
template <>
struct scale_product<dynamic_scale, dynamic_scale> { using type = dynamic_scale; };

template <class A, class B>
struct scale_sum {  // growth of `+`: the finer scale
  static_assert(always_false<A>::value,
                "lowp::fixed: cannot mix a static scale with a dynamic_scale implicitly; quantize one side first");
  using type = A;
};
template <int E1, int E2>
struct scale_sum<exp2<E1>, exp2<E2>> { using type = exp2<(E1 < E2 ? E1 : E2)>; };
template <>
struct scale_sum<dynamic_scale, dynamic_scale> { using type = dynamic_scale; };
}  // namespace detail

}  // namespace lowp
#endif
