// Regularised linear models over a dataset:
//   f(w) = 1/N sum_i l(x_i.W, y_i) + l2/2 ||w||^2
// with W the model as `outputs()` class-major blocks of `features()` weights
// (one block for least squares and logistic regression).
//
// The objective exposes its structure (margins, the loss derivative in the
// margins, adding a scaled row) instead of an opaque per-example gradient,
// because the low-precision solvers need it: a margin at w~ + s z is the
// cached margin at w~ plus s times an integer dot product (DESIGN.md, point 3).
// The data are float, all arithmetic here is double: this is the reference
// path the low-precision solvers are measured against.
#ifndef LOWP_OBJECTIVES_LINEAR_MODEL_HPP
#define LOWP_OBJECTIVES_LINEAR_MODEL_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Dense>

#include "lowp/datasets/dataset.hpp"
#include "lowp/datasets/quantized.hpp"
#include "lowp/objectives/blocked_evaluate.hpp"
#include "lowp/objectives/losses.hpp"
#include "lowp/parallel/executor.hpp"

namespace lowp {
namespace objectives {

namespace detail {
template <class D>
inline constexpr bool is_quantized_dense = false;
template <class S>
inline constexpr bool is_quantized_dense<datasets::quantized_dense<S>> = true;
}  // namespace detail

// Data: dense_dataset, csr_dataset, or quantized_dense<int8_t / int16_t>. A
// quantized dataset *is* the problem (element = raw * step, exactly, in
// double); the low-precision solvers' fast paths read its integer rows.
template <class Loss, class Data>
class linear_model {
  static_assert(std::is_same_v<Data, datasets::dense_dataset> || std::is_same_v<Data, datasets::csr_dataset> ||
                    detail::is_quantized_dense<Data>,
                "lowp::objectives::linear_model: Data must be dense_dataset, csr_dataset or quantized_dense");

 public:
  using loss_type = Loss;
  using data_type = Data;

  // Keeps a reference to `data`: it must outlive the objective.
  linear_model(const Data& data, double l2, Loss loss = {}) : data_(&data), loss_(loss), l2_(l2) {
    if (!(l2 >= 0.0) || !std::isfinite(l2))
      throw std::invalid_argument(std::string(Loss::name) + ": l2 must be finite and >= 0, got " + std::to_string(l2));
    if (data.rows() == 0) throw std::invalid_argument(std::string(Loss::name) + ": the dataset has no examples");
    if (data.cols() == 0) throw std::invalid_argument(std::string(Loss::name) + ": the dataset has no features");
    labels_.resize(data.rows());
    for (std::size_t i = 0; i < data.rows(); ++i) labels_[i] = loss_.check_label(data.y[i], i);
    row_norm2_max_ = 0.0;
    for (std::size_t i = 0; i < data.rows(); ++i) row_norm2_max_ = std::max(row_norm2_max_, row_norm2(i));
  }

  const Data& data() const noexcept { return *data_; }
  const Loss& loss() const noexcept { return loss_; }
  std::size_t examples() const noexcept { return data_->rows(); }
  std::size_t features() const noexcept { return data_->cols(); }
  std::size_t outputs() const noexcept { return loss_.outputs(); }
  std::size_t dimension() const noexcept { return features() * outputs(); }
  double l2() const noexcept { return l2_; }
  double label(std::size_t i) const noexcept { return labels_[i]; }

  // f*, when the caller knows it (synthetic problems, a direct solve); NaN otherwise.
  double optimum() const noexcept { return optimum_; }
  void set_optimum(double f_star) noexcept { optimum_ = f_star; }

  // L_max: a smoothness constant valid for every f_i (with the regulariser).
  double smoothness() const noexcept { return loss_.curvature() * row_norm2_max_ + l2_; }
  // A lower bound on the strong convexity of f. Least squares: the smallest
  // eigenvalue of X^T X / N (a dense d x d eigen-solve; only for d <= 4096)
  // plus l2; otherwise l2, the only bound that holds everywhere.
  double strong_convexity() const {
    if constexpr (std::is_same_v<Loss, squared_loss>) {
      const std::size_t d = features();
      if (d <= 4096) {
        Eigen::MatrixXd h = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(d));
        std::vector<double> x(d);
        for (std::size_t i = 0; i < examples(); ++i) {
          dense_row(i, x.data());
          Eigen::Map<const Eigen::VectorXd> v(x.data(), static_cast<Eigen::Index>(d));
          h.selfadjointView<Eigen::Lower>().rankUpdate(v);
        }
        h = h.selfadjointView<Eigen::Lower>();
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(h, Eigen::EigenvaluesOnly);
        return std::max(0.0, es.eigenvalues()(0) / static_cast<double>(examples())) + l2_;
      }
    }
    return l2_;
  }

  double row_norm2(std::size_t i) const noexcept {
    double s = 0.0;
    if constexpr (std::is_same_v<Data, datasets::dense_dataset>) {
      for (float v : data_->row(i)) s += double(v) * double(v);
    } else if constexpr (detail::is_quantized_dense<Data>) {
      const auto r = data_->row(i);
      for (std::size_t j = 0; j < r.size(); ++j) s += sq(double(r[j]) * data_->step(j));
    } else {
      for (float v : data_->row(i).values) s += double(v) * double(v);
    }
    return s;
  }

  // x_i . w_block for one block of `features()` weights.
  double row_dot(std::size_t i, const double* w) const noexcept {
    double s = 0.0;
    if constexpr (std::is_same_v<Data, datasets::dense_dataset>) {
      const float* x = data_->X.data() + i * data_->d;
      for (std::size_t j = 0; j < data_->d; ++j) s += double(x[j]) * w[j];
    } else if constexpr (detail::is_quantized_dense<Data>) {
      const auto r = data_->row(i);
      for (std::size_t j = 0; j < r.size(); ++j) s += double(r[j]) * data_->step(j) * w[j];
    } else {
      const datasets::sparse_row r = data_->row(i);
      for (std::size_t k = 0; k < r.size(); ++k) s += double(r.values[k]) * w[r.indices[k]];
    }
    return s;
  }
  // g_block += c * x_i
  void row_axpy(std::size_t i, double c, double* g) const noexcept {
    if constexpr (std::is_same_v<Data, datasets::dense_dataset>) {
      const float* x = data_->X.data() + i * data_->d;
      for (std::size_t j = 0; j < data_->d; ++j) g[j] += c * double(x[j]);
    } else if constexpr (detail::is_quantized_dense<Data>) {
      const auto r = data_->row(i);
      for (std::size_t j = 0; j < r.size(); ++j) g[j] += c * (double(r[j]) * data_->step(j));
    } else {
      const datasets::sparse_row r = data_->row(i);
      for (std::size_t k = 0; k < r.size(); ++k) g[r.indices[k]] += c * double(r.values[k]);
    }
  }
  void dense_row(std::size_t i, double* x) const noexcept {
    std::fill(x, x + features(), 0.0);
    row_axpy(i, 1.0, x);
  }

  // a[c] = x_i . W_c for every output c.
  void margins(std::size_t i, const double* w, double* a) const noexcept {
    for (std::size_t c = 0; c < outputs(); ++c) a[c] = row_dot(i, w + c * features());
  }
  double loss(std::size_t i, const double* a) const noexcept { return loss_.loss(a, labels_[i]); }
  void derivative(std::size_t i, const double* a, double* c) const noexcept { loss_.derivative(a, labels_[i], c); }
  // g += sum_c coef[c] * (x_i in block c)
  void add_row(std::size_t i, const double* coef, double* g) const noexcept {
    for (std::size_t c = 0; c < outputs(); ++c)
      if (coef[c] != 0.0) row_axpy(i, coef[c], g + c * features());
  }

  // f(w) and, if g != nullptr, grad f(w) (with the regulariser), in one
  // deterministic pass. If `margins_out` is given it receives the N x outputs()
  // margins at w (the cache HALP and SVRG reuse in their inner loops).
  template <class Exec = parallel::serial>
  double evaluate(const double* w, double* g = nullptr, double* margins_out = nullptr, const Exec& exec = {}) const {
    return blocked_evaluate(*this, w, g, margins_out, exec);
  }

 private:
  static double sq(double v) noexcept { return v * v; }
  const Data* data_;
  Loss loss_;
  double l2_;
  double optimum_ = std::numeric_limits<double>::quiet_NaN();
  double row_norm2_max_ = 0.0;
  std::vector<double> labels_;
};

template <class Data>
using least_squares = linear_model<squared_loss, Data>;
template <class Data>
using logistic_regression = linear_model<logistic_loss, Data>;
template <class Data>
using softmax_regression = linear_model<softmax_loss, Data>;

}  // namespace objectives
}  // namespace lowp
#endif
