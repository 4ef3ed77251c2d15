// The data of a Buckwild! run: the examples stored once in the dataset
// precision D (int8, int16 or float; DMGC's "D"), dense or CSR, with the loss
// and the labels. Fixed-point data are quantized once at load time with one
// scale per dataset (datasets/quantized.hpp), so element (i, j) is
// raw(i, j) * scale, exactly; that quantized data set *is* the problem solved.
#ifndef LOWP_SOLVERS_BUCKWILD_PROBLEM_HPP
#define LOWP_SOLVERS_BUCKWILD_PROBLEM_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "lowp/datasets/dataset.hpp"
#include "lowp/datasets/quantized.hpp"
#include "lowp/kernels/packed.hpp"

namespace lowp {

enum class linear_loss : std::uint8_t {
  least_squares,  // (z - y)^2 / 2
  logistic,       // log(1 + exp(-y z)), y in {-1, +1}
  hinge,          // max(0, 1 - y z) (SVM), y in {-1, +1}
};

inline const char* to_string(linear_loss l) noexcept {
  switch (l) {
    case linear_loss::least_squares: return "least_squares";
    case linear_loss::logistic: return "logistic";
    case linear_loss::hinge: return "hinge";
  }
  return "unknown";
}

namespace detail {
namespace bw {
// Loss and its derivative in the margin z.
template <class G>
inline G loss_derivative(linear_loss l, G z, G y) noexcept {
  switch (l) {
    case linear_loss::least_squares: return z - y;
    case linear_loss::logistic: {
      // -y sigmoid(-t), finite for large |t|; one exp(-|t|) serves both sides (this sits on the
      // per-row dependency chain of every Buckwild! step).
      const G t = y * z;
      const G e = std::exp(-std::abs(t));
      return t > 0 ? -y * e / (G(1) + e) : -y / (G(1) + e);
    }
    case linear_loss::hinge: return y * z < G(1) ? -y : G(0);
  }
  return G(0);
}
inline double loss_value(linear_loss l, double z, double y) noexcept {
  switch (l) {
    case linear_loss::least_squares: return 0.5 * (z - y) * (z - y);
    case linear_loss::logistic: {
      const double t = y * z;
      return t > 0 ? std::log1p(std::exp(-t)) : -t + std::log1p(std::exp(t));
    }
    case linear_loss::hinge: return y * z < 1.0 ? 1.0 - y * z : 0.0;
  }
  return 0.0;
}
}  // namespace bw
}  // namespace detail

template <class D>
concept buckwild_data_type =
    std::is_same_v<D, std::int8_t> || std::is_same_v<D, std::int16_t> || std::is_same_v<D, float>;

template <buckwild_data_type D>
struct buckwild_problem {
  using value_type = D;
  bool sparse = false;
  std::size_t n = 0, d = 0;
  std::size_t stride = 0;             // dense: elements per row, d padded to 64 bytes (padding is 0)
  aligned_vector<D> values;           // dense: n * stride; CSR: nnz
  std::vector<std::uint64_t> indptr;  // CSR only
  std::vector<std::uint32_t> indices; // CSR only
  std::vector<double> y;              // labels (+-1 for logistic / hinge) or targets
  double scale = 1.0;                 // s_D: element = raw * scale (1 for float data)
  linear_loss loss = linear_loss::logistic;
  datasets::quantization_report quantization;  // of the fixed-point data (zeros for float)

  std::size_t rows() const noexcept { return n; }
  std::size_t cols() const noexcept { return d; }
  std::size_t model_size() const noexcept { return sparse ? d : stride; }
  std::size_t row_length(std::size_t i) const noexcept {
    return sparse ? static_cast<std::size_t>(indptr[i + 1] - indptr[i]) : d;
  }
  const D* row_values(std::size_t i) const noexcept {
    return sparse ? values.data() + indptr[i] : values.data() + i * stride;
  }
  const std::uint32_t* row_indices(std::size_t i) const noexcept {
    return sparse ? indices.data() + indptr[i] : nullptr;
  }
  // Dataset numbers (stored values) per epoch: the "numbers" of GNPS.
  std::uint64_t numbers() const noexcept { return sparse ? values.size() : std::uint64_t(n) * d; }
};

namespace detail {
namespace bw {
inline std::vector<double> labels_for(linear_loss l, const std::vector<float>& y) {
  std::vector<double> out(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double v = y[i];
    if (!std::isfinite(v))
      throw std::invalid_argument("buckwild: label of example " + std::to_string(i) + " is not finite");
    if (l == linear_loss::least_squares) {
      out[i] = v;
    } else if (v == 1.0) {
      out[i] = 1.0;
    } else if (v == -1.0 || v == 0.0) {
      out[i] = -1.0;
    } else {
      throw std::invalid_argument(std::string("buckwild: ") + to_string(l) + " needs labels -1/+1 or 0/1; example " +
                                  std::to_string(i) + " has " + std::to_string(v));
    }
  }
  return out;
}
}  // namespace bw
}  // namespace detail

// Build a problem from float data. `rounding` is how fixed-point data are
// quantized (nearest by default; stochastic changes the problem, so it is
// recorded by the caller); ignored for float data.
template <buckwild_data_type D>
buckwild_problem<D> make_buckwild_problem(const datasets::dense_dataset& x, linear_loss loss,
                                          kernels::rounding_mode rounding = kernels::rounding_mode::nearest_even,
                                          std::uint64_t seed = 0) {
  buckwild_problem<D> p;
  p.loss = loss;
  p.y = detail::bw::labels_for(loss, x.y);
  p.n = x.n;
  p.d = x.d;
  if constexpr (std::is_same_v<D, float>) {
    if (x.n == 0 || x.d == 0 || x.X.size() != x.n * x.d)
      throw std::invalid_argument("buckwild: empty or inconsistent dense dataset");
    p.stride = (x.d + 15) / 16 * 16;
    p.values.assign(p.n * p.stride, 0.0f);
    for (std::size_t i = 0; i < x.n; ++i)
      for (std::size_t j = 0; j < x.d; ++j) {
        const float v = x.X[i * x.d + j];
        if (!std::isfinite(v))
          throw std::invalid_argument("buckwild: non-finite value at row " + std::to_string(i) + ", column " +
                                      std::to_string(j));
        p.values[i * p.stride + j] = v;
      }
  } else {
    auto q = datasets::quantize<D>(x, {datasets::scale_mode::per_dataset, rounding, seed});
    p.stride = q.data.stride;
    p.values = std::move(q.data.raw);
    p.scale = q.data.step();
    p.quantization = q.report;
  }
  return p;
}

template <buckwild_data_type D>
buckwild_problem<D> make_buckwild_problem(const datasets::csr_dataset& x, linear_loss loss,
                                          kernels::rounding_mode rounding = kernels::rounding_mode::nearest_even,
                                          std::uint64_t seed = 0) {
  buckwild_problem<D> p;
  p.sparse = true;
  p.loss = loss;
  p.y = detail::bw::labels_for(loss, x.y);
  p.n = x.rows();
  p.d = x.d;
  if constexpr (std::is_same_v<D, float>) {
    datasets::detail::validate(x);
    p.indptr = x.indptr;
    p.indices = x.indices;
    p.values.assign(x.values.begin(), x.values.end());
  } else {
    auto q = datasets::quantize<D>(x, {datasets::scale_mode::per_dataset, rounding, seed});
    p.indptr = std::move(q.data.indptr);
    p.indices = std::move(q.data.indices);
    p.values = std::move(q.data.values);
    p.scale = q.data.step();
    p.quantization = q.report;
  }
  return p;
}

}  // namespace lowp
#endif
