// What the SVRG-family solvers require of a problem: a regularised linear
// model that exposes margins, the loss derivative in the margins and rows to
// add (objectives/linear_model.hpp is the implementation we ship).
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

}  // namespace lowp
#endif
