// Per-example losses of linear models, as functions of the margins a = x_i.w
// (one margin for least squares and logistic regression, one per class for
// softmax). Each gives the loss, its derivative in a and a bound on the
// curvature, which the solvers turn into L_max.
#ifndef LOWP_OBJECTIVES_LOSSES_HPP
#define LOWP_OBJECTIVES_LOSSES_HPP

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace lowp {
namespace objectives {

// l(a, y) = (a - y)^2 / 2
struct squared_loss {
  static constexpr const char* name = "least_squares";
  std::size_t outputs() const noexcept { return 1; }
  double curvature() const noexcept { return 1.0; }
  double check_label(double y, std::size_t) const { return y; }
  double loss(const double* a, double y) const noexcept {
    const double r = a[0] - y;
    return 0.5 * r * r;
  }
  void derivative(const double* a, double y, double* c) const noexcept { c[0] = a[0] - y; }
};

// l(a, y) = log(1 + exp(-y a)), y in {-1, +1} (0/1 labels are mapped to -1/+1).
struct logistic_loss {
  static constexpr const char* name = "logistic_regression";
  std::size_t outputs() const noexcept { return 1; }
  double curvature() const noexcept { return 0.25; }
  double check_label(double y, std::size_t i) const {
    if (y == 1.0) return 1.0;
    if (y == -1.0 || y == 0.0) return -1.0;
    throw std::invalid_argument("logistic_regression: label of example " + std::to_string(i) + " is " +
                                std::to_string(y) + "; expected -1/+1 or 0/1");
  }
  double loss(const double* a, double y) const noexcept {
    const double z = y * a[0];
    return z > 0 ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z));
  }
  void derivative(const double* a, double y, double* c) const noexcept {
    const double z = y * a[0];
    // -y * sigmoid(-z), written to stay finite for large |z|
    c[0] = z > 0 ? -y * std::exp(-z) / (1.0 + std::exp(-z)) : -y / (1.0 + std::exp(z));
  }
};

// l(a, y) = logsumexp(a) - a_y over `classes` margins; labels 0..classes-1.
struct softmax_loss {
  static constexpr const char* name = "softmax_regression";
  std::size_t classes = 2;
  std::size_t outputs() const noexcept { return classes; }
  // The Hessian in a is diag(p) - p p^T, whose largest eigenvalue is <= 1/2.
  double curvature() const noexcept { return 0.5; }
  double check_label(double y, std::size_t i) const {
    if (!(y >= 0) || y != std::floor(y) || y >= static_cast<double>(classes))
      throw std::invalid_argument("softmax_regression: label of example " + std::to_string(i) + " is " +
                                  std::to_string(y) + "; expected an integer class in [0, " +
                                  std::to_string(classes) + ")");
    return y;
  }
  double loss(const double* a, double y) const noexcept {
    double m = a[0];
    for (std::size_t c = 1; c < classes; ++c) m = a[c] > m ? a[c] : m;
    double s = 0.0;
    for (std::size_t c = 0; c < classes; ++c) s += std::exp(a[c] - m);
    return m + std::log(s) - a[static_cast<std::size_t>(y)];
  }
  void derivative(const double* a, double y, double* g) const noexcept {
    double m = a[0];
    for (std::size_t c = 1; c < classes; ++c) m = a[c] > m ? a[c] : m;
    double s = 0.0;
    for (std::size_t c = 0; c < classes; ++c) s += (g[c] = std::exp(a[c] - m));
    for (std::size_t c = 0; c < classes; ++c) g[c] /= s;
    g[static_cast<std::size_t>(y)] -= 1.0;
  }
};

}  // namespace objectives
}  // namespace lowp
#endif
