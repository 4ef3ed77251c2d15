// In-memory datasets as the readers return them: plain std::vector storage,
// float32 features, and cheap span accessors. No Eigen here, so the readers
// stay light to include; an Eigen::Map over X or values is a one-liner for
// callers that want one.
//
//   dense_dataset  n x d row-major float X, float y       (IDX images)
//   csr_dataset    compressed sparse rows, float y, d      (LIBSVM)
//   ratings        (user, item, rating) triples, 0-based   (MovieLens, CSV)
#ifndef LOWP_DATASETS_DATASET_HPP
#define LOWP_DATASETS_DATASET_HPP

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lowp/config.hpp"

namespace lowp {
namespace datasets {

struct dense_dataset {
  std::size_t n = 0;       // rows (examples)
  std::size_t d = 0;       // columns (features)
  std::vector<float> X;    // n * d, row-major: example i is X[i*d, (i+1)*d)
  std::vector<float> y;    // n labels or targets

  std::size_t rows() const noexcept { return n; }
  std::size_t cols() const noexcept { return d; }
  std::span<const float> row(std::size_t i) const noexcept {
    LOWP_ASSERT(i < n);
    return {X.data() + i * d, d};
  }
  std::span<float> row(std::size_t i) noexcept {
    LOWP_ASSERT(i < n);
    return {X.data() + i * d, d};
  }
};

// One row of a csr_dataset: the stored (column, value) pairs, columns strictly
// increasing.
struct sparse_row {
  std::span<const std::uint32_t> indices;
  std::span<const float> values;
  std::size_t size() const noexcept { return indices.size(); }
};

// Compressed sparse rows. indptr has rows()+1 entries starting at 0; row i
// owns indices/values [indptr[i], indptr[i+1]). Column indices are 0-based,
// strictly increasing within a row and < d. 64-bit indptr because nnz of a
// large text dataset can pass 2^32 while a column index cannot.
struct csr_dataset {
  std::size_t d = 0;
  std::vector<std::uint64_t> indptr{0};
  std::vector<std::uint32_t> indices;
  std::vector<float> values;
  std::vector<float> y;

  std::size_t rows() const noexcept { return y.size(); }
  std::size_t cols() const noexcept { return d; }
  std::size_t nnz() const noexcept { return values.size(); }
  sparse_row row(std::size_t i) const noexcept {
    LOWP_ASSERT(i + 1 < indptr.size());
    const auto b = static_cast<std::size_t>(indptr[i]);
    const auto e = static_cast<std::size_t>(indptr[i + 1]);
    return {{indices.data() + b, e - b}, {values.data() + b, e - b}};
  }
};

// Densify (for small d, e.g. tests or a9a's 123 columns).
inline dense_dataset to_dense(const csr_dataset& s) {
  dense_dataset out;
  out.n = s.rows();
  out.d = s.d;
  out.X.assign(out.n * out.d, 0.0f);
  out.y = s.y;
  for (std::size_t i = 0; i < out.n; ++i) {
    const sparse_row r = s.row(i);
    float* dst = out.X.data() + i * out.d;
    for (std::size_t k = 0; k < r.size(); ++k) dst[r.indices[k]] = r.values[k];
  }
  return out;
}

// A copy with one more column, constant `value`, appended as the last
// feature: the usual way to give a linear model an intercept (regularised
// with the rest, as LIBLINEAR does with -B 1).
inline csr_dataset with_bias_column(const csr_dataset& s, float value = 1.0f) {
  csr_dataset out;
  out.d = s.d + 1;
  out.y = s.y;
  out.indptr.reserve(s.indptr.size());
  out.indices.reserve(s.nnz() + s.rows());
  out.values.reserve(s.nnz() + s.rows());
  for (std::size_t i = 0; i < s.rows(); ++i) {
    const sparse_row r = s.row(i);
    out.indices.insert(out.indices.end(), r.indices.begin(), r.indices.end());
    out.values.insert(out.values.end(), r.values.begin(), r.values.end());
    out.indices.push_back(static_cast<std::uint32_t>(s.d));
    out.values.push_back(value);
    out.indptr.push_back(out.values.size());
  }
  return out;
}
inline dense_dataset with_bias_column(const dense_dataset& x, float value = 1.0f) {
  dense_dataset out;
  out.n = x.n;
  out.d = x.d + 1;
  out.y = x.y;
  out.X.resize(out.n * out.d);
  for (std::size_t i = 0; i < x.n; ++i) {
    for (std::size_t j = 0; j < x.d; ++j) out.X[i * out.d + j] = x.X[i * x.d + j];
    out.X[i * out.d + x.d] = value;
  }
  return out;
}

// Rating triples with 0-based ids. n_users / n_items are one past the largest
// id seen (so ids index dense factor matrices directly); ids never seen in
// between are simply users/items without ratings.
struct ratings {
  std::vector<std::uint32_t> user;
  std::vector<std::uint32_t> item;
  std::vector<float> rating;
  std::size_t n_users = 0;
  std::size_t n_items = 0;

  struct entry {
    std::uint32_t user, item;
    float rating;
  };
  std::size_t size() const noexcept { return rating.size(); }
  entry operator[](std::size_t k) const noexcept {
    LOWP_ASSERT(k < rating.size());
    return {user[k], item[k], rating[k]};
  }
};

}  // namespace datasets
}  // namespace lowp

#endif
