// Quantized copies of the in-memory datasets: int8 or int16 raw values plus
// one step (per dataset) or d steps (per feature), so element (i, j) is
// raw(i, j) * step[j] (step[0] for every j in per-dataset mode). Built with
// the dispatched kernels (link lowp::kernels). C++20, header-only.
//
//   quantized_dense<S>  n x d, each row padded to a multiple of 64 bytes and
//                       starting 64-byte aligned; the padding is zero
//   quantized_csr<S>    csr_dataset's structure with S values
//   quantize<S>(data, options) -> {data, report}
//
// Steps: the largest |value| (of the dataset, or of each feature) maps to the
// largest raw value (127 or 32767); an all-zero dataset or column gets step 1.
// The kernel multiplies by a float inverse step `inv`, and the stored step is
// exactly 1/inv (in double), so the float data x quantize to
// round(x * inv) and dequantize to float(raw * step).
//
// Randomness (stochastic rounding modes): one kernel call per row, whose
// dithers are taken from counter_rng(seed, 0) in row order; the result is a
// pure function of (data, options) and identical on every ISA.
#ifndef LOWP_DATASETS_QUANTIZED_HPP
#define LOWP_DATASETS_QUANTIZED_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "lowp/datasets/dataset.hpp"
#include "lowp/kernels/dispatch.hpp"
#include "lowp/kernels/packed.hpp"
#include "lowp/quantize/rng.hpp"

namespace lowp {
namespace datasets {

template <class S>
concept quantized_storage = std::is_same_v<S, std::int8_t> || std::is_same_v<S, std::int16_t>;

enum class scale_mode : std::uint8_t {
  per_dataset,  // one step for every element
  per_feature,  // one step per column
};

struct quantize_options {
  scale_mode scale = scale_mode::per_dataset;
  kernels::rounding_mode rounding = kernels::rounding_mode::nearest_even;
  std::uint64_t seed = 0;  // stochastic modes: dithers from counter_rng(seed, 0)
};

// Errors of the dequantized values against the float data, over all n * d
// entries of the (dense view of the) dataset; implicit CSR zeros are exact.
struct quantization_report {
  double max_abs_error = 0.0;
  double rms_error = 0.0;                 // sqrt(sum err^2 / (n * d))
  double relative_frobenius_error = 0.0;  // ||X - Q||_F / ||X||_F (0 when X = 0)
  std::uint64_t clipped = 0;              // kernel clip + NaN count (0 for valid data)
};

namespace detail {

template <class S>
inline constexpr int quant_max = std::numeric_limits<S>::max();

// Step bookkeeping shared by the dense and sparse forms.
struct quant_scale {
  scale_mode mode = scale_mode::per_dataset;
  std::vector<double> steps;  // 1 (per_dataset) or d (per_feature) entries

  double step(std::size_t j) const noexcept { return mode == scale_mode::per_dataset ? steps[0] : steps[j]; }
};

// Float inverse step for a largest magnitude m: m * inv (in float, as the
// kernels compute it) never exceeds hi, so the maximum is never clipped.
inline float inverse_step(float m, int hi) noexcept {
  if (!(m > 0.0f)) return 1.0f;  // zero column: step 1
  const double r = static_cast<double>(hi) / static_cast<double>(m);
  float inv = r > static_cast<double>(std::numeric_limits<float>::max()) ? std::numeric_limits<float>::max()
                                                                        : static_cast<float>(r);
  while (m * inv > static_cast<float>(hi)) inv = std::nextafter(inv, 0.0f);
  return inv;
}

[[noreturn]] inline void throw_bad_value(const char* what, std::size_t row, std::size_t col, float v) {
  throw std::invalid_argument(std::string("lowp::datasets::quantize(") + what + "): " +
                              (std::isnan(v) ? "NaN" : "Inf") + " at row " + std::to_string(row) + ", column " +
                              std::to_string(col));
}

inline void validate(const dense_dataset& x) {
  if (x.n == 0 || x.d == 0)
    throw std::invalid_argument("lowp::datasets::quantize(dense): empty dataset (n = " + std::to_string(x.n) +
                                ", d = " + std::to_string(x.d) + ")");
  if (x.X.size() != x.n * x.d)
    throw std::invalid_argument("lowp::datasets::quantize(dense): X has " + std::to_string(x.X.size()) +
                                " values, expected n * d = " + std::to_string(x.n * x.d));
  for (std::size_t i = 0; i < x.n; ++i)
    for (std::size_t j = 0; j < x.d; ++j)
      if (!std::isfinite(x.X[i * x.d + j])) throw_bad_value("dense", i, j, x.X[i * x.d + j]);
}

inline void validate(const csr_dataset& x) {
  if (x.rows() == 0 || x.d == 0)
    throw std::invalid_argument("lowp::datasets::quantize(csr): empty dataset (rows = " + std::to_string(x.rows()) +
                                ", d = " + std::to_string(x.d) + ")");
  if (x.indptr.size() != x.rows() + 1 || x.indptr.front() != 0 || x.indptr.back() != x.values.size() ||
      x.indices.size() != x.values.size())
    throw std::invalid_argument("lowp::datasets::quantize(csr): inconsistent indptr/indices/values sizes");
  for (std::size_t i = 0; i < x.rows(); ++i) {
    if (x.indptr[i] > x.indptr[i + 1])
      throw std::invalid_argument("lowp::datasets::quantize(csr): indptr decreases at row " + std::to_string(i));
    for (std::uint64_t k = x.indptr[i]; k < x.indptr[i + 1]; ++k) {
      const std::uint32_t j = x.indices[k];
      if (j >= x.d)
        throw std::invalid_argument("lowp::datasets::quantize(csr): column " + std::to_string(j) + " at row " +
                                    std::to_string(i) + " is not below d = " + std::to_string(x.d));
      if (!std::isfinite(x.values[k])) throw_bad_value("csr", i, j, x.values[k]);
    }
  }
}

template <class S>
std::size_t run_kernel(const float* x, std::size_t n, float inv, S* q, kernels::rounding_mode m,
                       kernels::dither_source s) {
  if constexpr (std::is_same_v<S, std::int8_t>) return kernels::best().quantize_i8(x, n, inv, q, m, s);
  else return kernels::best().quantize_i16(x, n, inv, q, m, s);
}

// Accumulates the report one element at a time.
struct error_accumulator {
  double max_abs = 0.0, sum_sq_err = 0.0, sum_sq = 0.0;
  void add(float x, float q) noexcept {
    const double e = static_cast<double>(x) - static_cast<double>(q);
    max_abs = std::max(max_abs, std::abs(e));
    sum_sq_err += e * e;
    sum_sq += static_cast<double>(x) * static_cast<double>(x);
  }
  quantization_report finish(std::size_t count, std::uint64_t clipped) const noexcept {
    quantization_report r;
    r.max_abs_error = max_abs;
    r.rms_error = std::sqrt(sum_sq_err / static_cast<double>(count));
    r.relative_frobenius_error = sum_sq > 0.0 ? std::sqrt(sum_sq_err / sum_sq) : (sum_sq_err > 0.0 ? HUGE_VAL : 0.0);
    r.clipped = clipped;
    return r;
  }
};

inline float dequantize_one(std::int32_t raw, double step) noexcept {
  return static_cast<float>(static_cast<double>(raw) * step);
}

}  // namespace detail

// ---- dense ------------------------------------------------------------------

template <quantized_storage S>
struct quantized_dense {
  using storage = S;
  static constexpr int raw_max = detail::quant_max<S>;

  std::size_t n = 0;
  std::size_t d = 0;
  std::size_t stride = 0;  // elements per row: d rounded up to 64 bytes
  aligned_vector<S> raw;   // n * stride; row i is raw[i*stride, i*stride + d), then zeros
  std::vector<float> y;
  detail::quant_scale scale;

  std::size_t rows() const noexcept { return n; }
  std::size_t cols() const noexcept { return d; }
  scale_mode mode() const noexcept { return scale.mode; }
  // Value of one quantum of column j.
  double step(std::size_t j = 0) const noexcept { return scale.step(j); }
  std::span<const double> steps() const noexcept { return scale.steps; }

  std::span<const S> row(std::size_t i) const noexcept {
    LOWP_ASSERT(i < n);
    return {raw.data() + i * stride, d};
  }
  // The row including its zero padding (stride elements, 64-byte aligned).
  std::span<const S> padded_row(std::size_t i) const noexcept {
    LOWP_ASSERT(i < n);
    return {raw.data() + i * stride, stride};
  }
  float value(std::size_t i, std::size_t j) const noexcept {
    LOWP_ASSERT(i < n && j < d);
    return detail::dequantize_one(raw[i * stride + j], step(j));
  }
  void dequantize_row(std::size_t i, std::span<float> out) const {
    if (i >= n) throw std::out_of_range("quantized_dense::dequantize_row: row out of range");
    if (out.size() != d) throw std::invalid_argument("quantized_dense::dequantize_row: out must have d elements");
    const S* r = raw.data() + i * stride;
    for (std::size_t j = 0; j < d; ++j) out[j] = detail::dequantize_one(r[j], step(j));
  }
  std::vector<float> dequantize_row(std::size_t i) const {
    std::vector<float> out(d);
    dequantize_row(i, out);
    return out;
  }
  dense_dataset dequantize() const {
    dense_dataset out;
    out.n = n;
    out.d = d;
    out.X.resize(n * d);
    out.y = y;
    for (std::size_t i = 0; i < n; ++i) dequantize_row(i, std::span<float>(out.X.data() + i * d, d));
    return out;
  }
};

// ---- CSR --------------------------------------------------------------------

template <quantized_storage S>
struct quantized_csr {
  using storage = S;
  static constexpr int raw_max = detail::quant_max<S>;

  std::size_t d = 0;
  std::vector<std::uint64_t> indptr{0};
  std::vector<std::uint32_t> indices;
  aligned_vector<S> values;
  std::vector<float> y;
  detail::quant_scale scale;

  std::size_t rows() const noexcept { return y.size(); }
  std::size_t cols() const noexcept { return d; }
  std::size_t nnz() const noexcept { return values.size(); }
  scale_mode mode() const noexcept { return scale.mode; }
  double step(std::size_t j = 0) const noexcept { return scale.step(j); }
  std::span<const double> steps() const noexcept { return scale.steps; }

  struct row_view {
    std::span<const std::uint32_t> indices;
    std::span<const S> values;
    std::size_t size() const noexcept { return indices.size(); }
  };
  row_view row(std::size_t i) const noexcept {
    LOWP_ASSERT(i + 1 < indptr.size());
    const auto b = static_cast<std::size_t>(indptr[i]);
    const auto e = static_cast<std::size_t>(indptr[i + 1]);
    return {{indices.data() + b, e - b}, {values.data() + b, e - b}};
  }
  // The stored values of row i, dequantized (aligned with row(i).indices).
  std::vector<float> dequantize_values(std::size_t i) const {
    if (i >= rows()) throw std::out_of_range("quantized_csr::dequantize_values: row out of range");
    const row_view r = row(i);
    std::vector<float> out(r.size());
    for (std::size_t k = 0; k < r.size(); ++k) out[k] = detail::dequantize_one(r.values[k], step(r.indices[k]));
    return out;
  }
  // Row i as a dense d-vector.
  void dequantize_row(std::size_t i, std::span<float> out) const {
    if (i >= rows()) throw std::out_of_range("quantized_csr::dequantize_row: row out of range");
    if (out.size() != d) throw std::invalid_argument("quantized_csr::dequantize_row: out must have d elements");
    std::fill(out.begin(), out.end(), 0.0f);
    const row_view r = row(i);
    for (std::size_t k = 0; k < r.size(); ++k)
      out[r.indices[k]] = detail::dequantize_one(r.values[k], step(r.indices[k]));
  }
  std::vector<float> dequantize_row(std::size_t i) const {
    std::vector<float> out(d);
    dequantize_row(i, out);
    return out;
  }
  csr_dataset dequantize() const {
    csr_dataset out;
    out.d = d;
    out.indptr = indptr;
    out.indices = indices;
    out.y = y;
    out.values.resize(values.size());
    for (std::size_t i = 0; i < rows(); ++i) {
      const std::vector<float> v = dequantize_values(i);
      std::copy(v.begin(), v.end(), out.values.begin() + static_cast<std::ptrdiff_t>(indptr[i]));
    }
    return out;
  }
};

template <class Q>
struct quantize_result {
  Q data;
  quantization_report report;
};

// ---- quantize -----------------------------------------------------------------

// Throws std::invalid_argument for an empty dataset, inconsistent sizes, or a
// NaN / Inf value (the message names its row and column).
template <quantized_storage S>
quantize_result<quantized_dense<S>> quantize(const dense_dataset& x, const quantize_options& opt = {}) {
  detail::validate(x);
  constexpr int hi = detail::quant_max<S>;
  const std::size_t n = x.n, d = x.d;

  quantize_result<quantized_dense<S>> res;
  quantized_dense<S>& q = res.data;
  q.n = n;
  q.d = d;
  constexpr std::size_t per_line = 64 / sizeof(S);
  q.stride = (d + per_line - 1) / per_line * per_line;
  q.raw.assign(n * q.stride, S(0));
  q.y = x.y;
  q.scale.mode = opt.scale;

  // Largest magnitudes and float inverse steps.
  const std::size_t n_steps = opt.scale == scale_mode::per_dataset ? 1 : d;
  std::vector<float> maxabs(n_steps, 0.0f);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      float& m = maxabs[n_steps == 1 ? 0 : j];
      m = std::max(m, std::abs(x.X[i * d + j]));
    }
  std::vector<float> inv(n_steps);
  q.scale.steps.resize(n_steps);
  for (std::size_t j = 0; j < n_steps; ++j) {
    inv[j] = detail::inverse_step(maxabs[j], hi);
    q.scale.steps[j] = 1.0 / static_cast<double>(inv[j]);
  }

  counter_rng rng(opt.seed, 0);
  std::uint64_t clipped = 0;
  std::vector<float> tmp(opt.scale == scale_mode::per_feature ? d : 0);
  for (std::size_t i = 0; i < n; ++i) {
    const float* src = x.X.data() + i * d;
    S* dst = q.raw.data() + i * q.stride;
    const kernels::dither_source ds = kernels::take_dither(rng, opt.rounding, d);
    if (opt.scale == scale_mode::per_dataset) {
      clipped += detail::run_kernel(src, d, inv[0], dst, opt.rounding, ds);
    } else {
      // Pre-multiplied row: the kernel's x * 1.0f is then exactly x * inv[j].
      for (std::size_t j = 0; j < d; ++j) tmp[j] = src[j] * inv[j];
      clipped += detail::run_kernel(tmp.data(), d, 1.0f, dst, opt.rounding, ds);
    }
  }

  detail::error_accumulator acc;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) acc.add(x.X[i * d + j], q.value(i, j));
  res.report = acc.finish(n * d, clipped);
  return res;
}

template <quantized_storage S>
quantize_result<quantized_csr<S>> quantize(const csr_dataset& x, const quantize_options& opt = {}) {
  detail::validate(x);
  constexpr int hi = detail::quant_max<S>;
  const std::size_t rows = x.rows(), d = x.d;

  quantize_result<quantized_csr<S>> res;
  quantized_csr<S>& q = res.data;
  q.d = d;
  q.indptr = x.indptr;
  q.indices = x.indices;
  q.values.assign(x.values.size(), S(0));
  q.y = x.y;
  q.scale.mode = opt.scale;

  const bool per_dataset = opt.scale == scale_mode::per_dataset;
  const std::size_t n_steps = per_dataset ? 1 : d;
  std::vector<float> maxabs(n_steps, 0.0f);
  for (std::size_t k = 0; k < x.values.size(); ++k) {
    float& m = maxabs[per_dataset ? 0 : x.indices[k]];
    m = std::max(m, std::abs(x.values[k]));
  }
  std::vector<float> inv(n_steps);
  q.scale.steps.resize(n_steps);
  for (std::size_t j = 0; j < n_steps; ++j) {
    inv[j] = detail::inverse_step(maxabs[j], hi);
    q.scale.steps[j] = 1.0 / static_cast<double>(inv[j]);
  }

  counter_rng rng(opt.seed, 0);
  std::uint64_t clipped = 0;
  std::vector<float> tmp;
  for (std::size_t i = 0; i < rows; ++i) {
    const auto b = static_cast<std::size_t>(x.indptr[i]);
    const std::size_t len = static_cast<std::size_t>(x.indptr[i + 1]) - b;
    const kernels::dither_source ds = kernels::take_dither(rng, opt.rounding, len);
    if (len == 0) continue;
    if (per_dataset) {
      clipped += detail::run_kernel(x.values.data() + b, len, inv[0], q.values.data() + b, opt.rounding, ds);
    } else {
      tmp.resize(len);
      for (std::size_t k = 0; k < len; ++k) tmp[k] = x.values[b + k] * inv[x.indices[b + k]];
      clipped += detail::run_kernel(tmp.data(), len, 1.0f, q.values.data() + b, opt.rounding, ds);
    }
  }

  detail::error_accumulator acc;
  for (std::size_t k = 0; k < x.values.size(); ++k)
    acc.add(x.values[k], detail::dequantize_one(q.values[k], q.step(x.indices[k])));
  res.report = acc.finish(rows * d, clipped);
  return res;
}

}  // namespace datasets
}  // namespace lowp

#endif
