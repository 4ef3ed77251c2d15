// Misuse that must not compile (Eigen failtest / fmt compile-error-test idea).
//
// Built once per case by tests/compile_fail/CMakeLists.txt:
//   c++ -std=c++20 -fsyntax-only -I<include> -DCASE=<name> compile_fail.cpp
// must FAIL, and its diagnostic must match the reason registered for <name>;
//   ... -DCASE=<name> -DLOWP_CF_CONTROL compile_fail.cpp
// is the positive control: the same function with the misuse replaced by the
// correct spelling must compile, so the failure above can only come from the
// one line that differs.
#include "lowp/types.hpp"

#define LOWP_CF_product_init 1
#define LOWP_CF_product_assign 2
#define LOWP_CF_narrow_no_rounding 3
#define LOWP_CF_stochastic_no_rng 4
#define LOWP_CF_mix_static_dynamic_add 5
#define LOWP_CF_mix_static_dynamic_mul 6
#define LOWP_CF_static_scale_init 7
#define LOWP_CF_static_scale_assign 8
#define LOWP_CF_quantize_dynamic_no_step 9
#define LOWP_CF_fixed_to_double 10

#define LOWP_CF_CAT2(a, b) a##b
#define LOWP_CF_CAT(a, b) LOWP_CF_CAT2(a, b)
#ifndef CASE
#  error "compile with -DCASE=<name>"
#endif
#define LOWP_CF_ID LOWP_CF_CAT(LOWP_CF_, CASE)
#if LOWP_CF_ID < 1 || LOWP_CF_ID > 10
#  error "unknown CASE"
#endif

#ifdef LOWP_CF_CONTROL
#  define LOWP_CF_PICK(bad, good) good
#else
#  define LOWP_CF_PICK(bad, good) bad
#endif

using q6 = lowp::fixed<8, lowp::exp2<-6>>;  // 8 bits, step 1/64
using q4 = lowp::fixed<8, lowp::exp2<-4>>;  // 8 bits, step 1/16
using qd = lowp::fixed<8, lowp::dynamic_scale>;

double use(double d) { return d; }
template <class F>
double use(F f) {
  return static_cast<double>(f.raw());
}

double test_case() {
  const q6 a = q6::from_raw(48);  // 0.75
  const q6 b = q6::from_raw(-40);  // -0.625
  const qd c = qd::from_raw(3);
  const lowp::dynamic_scale::value step(0.25);
  (void)a, (void)b, (void)c, (void)step;

#if LOWP_CF_ID == LOWP_CF_product_init
  // a*b is fixed<16, exp2<-12>>: going back to 8 bits loses information.
  q6 p = LOWP_CF_PICK(a * b, lowp::narrow<q6>(a * b, lowp::round::nearest_even{}));
  return use(p);
#elif LOWP_CF_ID == LOWP_CF_product_assign
  q6 p;
  p = LOWP_CF_PICK(a * b, lowp::narrow<q6>(a * b, lowp::round::nearest_even{}));
  return use(p);
#elif LOWP_CF_ID == LOWP_CF_narrow_no_rounding
  // narrow must name its rounding policy; there is no default.
  auto p = LOWP_CF_PICK(lowp::narrow<q6>(a * b), lowp::narrow<q6>(a * b, lowp::round::nearest_even{}));
  return use(p);
#elif LOWP_CF_ID == LOWP_CF_stochastic_no_rng
  // stochastic rounding owns an explicit RNG stream; no hidden global one.
  lowp::round::stochastic<> r LOWP_CF_PICK(, {lowp::counter_rng(42, 0)});
  return use(lowp::quantize<q6>(0.3, r));
#elif LOWP_CF_ID == LOWP_CF_mix_static_dynamic_add
  // a static scale and a run-time scale cannot be aligned at compile time.
  auto s = LOWP_CF_PICK(a + c, a + lowp::quantize<q6>(c.to_double(step), lowp::round::nearest_even{}));
  return use(s);
#elif LOWP_CF_ID == LOWP_CF_mix_static_dynamic_mul
  auto s = LOWP_CF_PICK(a * c, a * lowp::quantize<q6>(c.to_double(step), lowp::round::nearest_even{}));
  return use(s);
#elif LOWP_CF_ID == LOWP_CF_static_scale_init
  // same width, coarser step: two fraction bits would be dropped silently.
  q4 x = LOWP_CF_PICK(a, lowp::narrow<q4>(a, lowp::round::nearest_even{}));
  return use(x);
#elif LOWP_CF_ID == LOWP_CF_static_scale_assign
  q4 x;
  x = LOWP_CF_PICK(a, lowp::narrow<q4>(a, lowp::round::nearest_even{}));
  return use(x);
#elif LOWP_CF_ID == LOWP_CF_quantize_dynamic_no_step
  // a dynamic_scale format means nothing without its run-time step.
  auto q = LOWP_CF_PICK(lowp::quantize<qd>(0.3, lowp::round::nearest_even{}),
                        lowp::quantize<qd>(0.3, step, lowp::round::nearest_even{}));
  return use(q);
#elif LOWP_CF_ID == LOWP_CF_fixed_to_double
  // widening to double is exact but must be spelled out.
  double d = LOWP_CF_PICK(a, static_cast<double>(a));
  return use(d);
#endif
}

int main() { return test_case() == 12345.0 ? 1 : 0; }
