// What the SVRG-family solvers require of a problem. Two forms:
//  - linear_model_objective: a regularised linear model that exposes margins,
//    the loss derivative in the margins and rows to add
//    (objectives/linear_model.hpp is the implementation we ship). This is the
//    structure the low-precision inner loop needs (DESIGN.md point 3).
//  - separable_objective: any f(w) = (1/N) sum_i f_i(w) with per-example
//    gradients, the generic double reference path for problems that are not
//    linear models. Optional members: smoothness() (L_max, for the default
//    step size), strong_convexity() (HALP's default mu) and optimum() (f*,
//    for gaps); without them the solver asks for the option explicitly.
#ifndef LOWP_OBJECTIVES_OBJECTIVE_HPP
#define LOWP_OBJECTIVES_OBJECTIVE_HPP

#include <concepts>
#include <cstddef>

namespace lowp {

template <class F>
concept linear_model_objective = requires(const F& f, std::size_t i, const double* cw, double* w) {
  { f.examples() } -> std::convertible_to<std::size_t>;
  { f.features() } -> std::convertible_to<std::size_t>;
  { f.outputs() } -> std::convertible_to<std::size_t>;
  { f.dimension() } -> std::convertible_to<std::size_t>;
  { f.l2() } -> std::convertible_to<double>;
  { f.optimum() } -> std::convertible_to<double>;
  { f.smoothness() } -> std::convertible_to<double>;
  { f.strong_convexity() } -> std::convertible_to<double>;
  f.margins(i, cw, w);
  { f.loss(i, cw) } -> std::convertible_to<double>;
  f.derivative(i, cw, w);
  f.add_row(i, cw, w);
  { f.row_dot(i, cw) } -> std::convertible_to<double>;
  f.row_axpy(i, 1.0, w);
  { f.evaluate(cw, w, w) } -> std::convertible_to<double>;
};

// grad f_i(w) is written (not added) into g, regulariser included; evaluate
// returns f(w) and writes its full gradient.
template <class F>
concept separable_objective = requires(const F& f, std::size_t i, const double* cw, double* g) {
  { f.examples() } -> std::convertible_to<std::size_t>;
  { f.dimension() } -> std::convertible_to<std::size_t>;
  { f.evaluate(cw, g) } -> std::convertible_to<double>;
  f.gradient(i, cw, g);
};

// The SVRG family takes either form; a type that models both is treated as a
// linear model (the structured path).
template <class F>
concept svrg_objective = linear_model_objective<F> || separable_objective<F>;

}  // namespace lowp
#endif
