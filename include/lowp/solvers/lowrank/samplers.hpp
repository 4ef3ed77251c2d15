// Unbiased samplers Ã of a symmetric matrix A for Alecton (spec lowrank.md
// A.1 table, A.6.1). Two sample shapes:
//   entry_sample {i, j, v}: Ã = v (e_i e_jᵀ + e_j e_iᵀ) for i != j and
//                           Ã = v e_i e_iᵀ for i == j; an O(p) update of rows i, j.
//   dense_sample {s, w, c}: Ã = s w wᵀ (an O(n p) rank-one update); c is this
//                           sample's estimate of the identity shift, so that
//                           E[Ã] = A + E[c] I. The radial phase subtracts mean(c).
// Entry samplers have no shift. Every sampler draws from the counter_rng it
// is given, so a (seed, stream) pair replays a run.
//
// Unbiasedness (checked by tests/lowrank/samplers_test.cpp):
//   entrywise_symmetric (oracle, (i,j) uniform over the n² ordered pairs):
//     i != j: v = (n²/2) A_ij, hit with probability 2/n² per unordered pair;
//     i == j: v = n² A_ii, probability 1/n².  E = A.
//   observed_symmetric (a list of entries with i <= j drawn uniformly from the
//     N = n(n+1)/2 positions, one picked uniformly): v = N A_ij. Over the
//     random choice of the list each position is picked with probability 1/N.
//   rectangular (M: m x n, embedding B = [[0, M], [Mᵀ, 0]] of size m+n):
//     (i, j) uniform over the mn positions, Ã = mn M_ij (e_i e_{m+j}ᵀ + e_{m+j} e_iᵀ).
//     Eigenvalues of B are ±σ_k, eigenvectors [u_k; ±v_k]/√2.
//   gaussian_trace: w ~ N(0, I), Ã = ½ (wᵀAw) w wᵀ, E = A + ½ tr(A) I (Isserlis).
//   phase_retrieval: a ~ N(0, I), b = (aᵀx)², Ã = ½ b a aᵀ, E = x xᵀ + ½||x||² I.
//   streaming: z = one data vector drawn uniformly, Ã = z zᵀ: the sample covariance.
#ifndef LOWP_SOLVERS_LOWRANK_SAMPLERS_HPP
#define LOWP_SOLVERS_LOWRANK_SAMPLERS_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "lowp/datasets/dataset.hpp"
#include "lowp/quantize/rng.hpp"

namespace lowp {
namespace lowrank {

struct entry_sample {
  std::uint32_t i = 0, j = 0;
  double v = 0;
};
struct dense_sample {
  double s = 0;
  std::vector<double> w;
  double c = 0;
};

template <class S>
concept entry_sampler = requires(const S& s, counter_rng& r) {
  { s.dimension() } -> std::convertible_to<std::size_t>;
  { s.draw(r) } -> std::same_as<entry_sample>;
};
template <class S>
concept dense_sampler = requires(const S& s, counter_rng& r, dense_sample& d) {
  { s.dimension() } -> std::convertible_to<std::size_t>;
  s.draw(r, d);
};
template <class S>
concept sampler = entry_sampler<S> || dense_sampler<S>;

namespace detail {
// Uniform integer in [0, n) from one or two 32-bit draws (Lemire's multiply;
// the bias for n < 2^32 is below n / 2^32 and immaterial here; larger ranges
// take a 64-bit value of two draws modulo n, bias below n / 2^64).
inline std::uint64_t uniform_below(counter_rng& r, std::uint64_t n) noexcept {
  if (n <= 0xffffffffULL) return (static_cast<std::uint64_t>(r.next_u32()) * n) >> 32;
  const std::uint64_t x = (static_cast<std::uint64_t>(r.next_u32()) << 32) | r.next_u32();
  return x % n;
}
inline double std_normal(counter_rng& r) noexcept {
  // Box-Muller, one value per call (keeps the sampler stateless and const).
  const double u1 = 1.0 - r.next_double(), u2 = r.next_double();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}
}  // namespace detail

// A = F Fᵀ known through its factor F (n x r): the planted-problem oracle.
class psd_factor {
 public:
  explicit psd_factor(const Eigen::MatrixXd& F)
      : n_(static_cast<std::size_t>(F.rows())), r_(static_cast<std::size_t>(F.cols())), f_(n_ * r_) {
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t c = 0; c < r_; ++c) f_[i * r_ + c] = F(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c));
  }
  std::size_t dimension() const noexcept { return n_; }
  double operator()(std::size_t i, std::size_t j) const noexcept {
    const double* a = f_.data() + i * r_;
    const double* b = f_.data() + j * r_;
    double s = 0;
    for (std::size_t c = 0; c < r_; ++c) s += a[c] * b[c];
    return s;
  }
  // wᵀ A w = ||Fᵀ w||².
  double quadratic(const std::vector<double>& w) const {
    double t = 0;
    for (std::size_t c = 0; c < r_; ++c) {
      double s = 0;
      for (std::size_t i = 0; i < n_; ++i) s += f_[i * r_ + c] * w[i];
      t += s * s;
    }
    return t;
  }

 private:
  std::size_t n_, r_;
  std::vector<double> f_;
};

// Entrywise symmetric sampling from an oracle A(i, j) (e.g. psd_factor).
template <class Oracle>
class entrywise_symmetric {
 public:
  explicit entrywise_symmetric(Oracle a) : a_(std::move(a)), n_(a_.dimension()) {
    if (n_ == 0) throw std::invalid_argument("entrywise_symmetric: empty matrix");
  }
  std::size_t dimension() const noexcept { return n_; }
  entry_sample draw(counter_rng& r) const noexcept {
    const auto i = static_cast<std::uint32_t>(detail::uniform_below(r, n_));
    const auto j = static_cast<std::uint32_t>(detail::uniform_below(r, n_));
    const double half = 0.5 * static_cast<double>(n_) * static_cast<double>(n_);
    return {i, j, (i == j ? 2.0 * half : half) * a_(i, j)};
  }
  const Oracle& oracle() const noexcept { return a_; }

 private:
  Oracle a_;
  std::size_t n_;
};

// Entrywise symmetric sampling from observed entries (matrix completion):
// user = row <= item = column, both < n.
class observed_symmetric {
 public:
  observed_symmetric(const datasets::ratings& obs, std::size_t n) : obs_(&obs), n_(n) {
    if (obs.size() == 0) throw std::invalid_argument("observed_symmetric: no observed entries");
    for (std::size_t k = 0; k < obs.size(); ++k)
      if (obs.user[k] > obs.item[k] || obs.item[k] >= n)
        throw std::invalid_argument("observed_symmetric: entry " + std::to_string(k) +
                                    " is not in the upper triangle of an n x n matrix");
    positions_ = 0.5 * static_cast<double>(n) * static_cast<double>(n + 1);
  }
  std::size_t dimension() const noexcept { return n_; }
  entry_sample draw(counter_rng& r) const noexcept {
    const std::size_t k = detail::uniform_below(r, obs_->size());
    return {obs_->user[k], obs_->item[k], positions_ * static_cast<double>(obs_->rating[k])};
  }

 private:
  const datasets::ratings* obs_;
  std::size_t n_;
  double positions_;
};

// Rectangular M (rows x cols) through its symmetric embedding, from an oracle
// M(i, j) with rows() and cols(), e.g. rect_factor.
class rect_factor {
 public:
  rect_factor(const Eigen::MatrixXd& U, const Eigen::MatrixXd& V)
      : m_(static_cast<std::size_t>(U.rows())), n_(static_cast<std::size_t>(V.rows())),
        r_(static_cast<std::size_t>(U.cols())) {
    if (U.cols() != V.cols()) throw std::invalid_argument("rect_factor: U and V need the same rank");
    u_.resize(m_ * r_);
    v_.resize(n_ * r_);
    for (std::size_t i = 0; i < m_; ++i)
      for (std::size_t c = 0; c < r_; ++c) u_[i * r_ + c] = U(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c));
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t c = 0; c < r_; ++c) v_[i * r_ + c] = V(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c));
  }
  std::size_t rows() const noexcept { return m_; }
  std::size_t cols() const noexcept { return n_; }
  double operator()(std::size_t i, std::size_t j) const noexcept {
    double s = 0;
    for (std::size_t c = 0; c < r_; ++c) s += u_[i * r_ + c] * v_[j * r_ + c];
    return s;
  }

 private:
  std::size_t m_, n_, r_;
  std::vector<double> u_, v_;
};

template <class Oracle>
class rectangular {
 public:
  explicit rectangular(Oracle m) : m_(std::move(m)), rows_(m_.rows()), cols_(m_.cols()) {
    if (rows_ == 0 || cols_ == 0) throw std::invalid_argument("rectangular: empty matrix");
  }
  std::size_t dimension() const noexcept { return rows_ + cols_; }
  std::size_t rows() const noexcept { return rows_; }
  std::size_t cols() const noexcept { return cols_; }
  entry_sample draw(counter_rng& r) const noexcept {
    const std::size_t i = detail::uniform_below(r, rows_), j = detail::uniform_below(r, cols_);
    return {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(rows_ + j),
            static_cast<double>(rows_) * static_cast<double>(cols_) * m_(i, j)};
  }

 private:
  Oracle m_;
  std::size_t rows_, cols_;
};

// Gaussian trace sensing with an oracle that gives wᵀAw (e.g. psd_factor::quadratic).
template <class Oracle>
class gaussian_trace {
 public:
  explicit gaussian_trace(Oracle a) : a_(std::move(a)), n_(a_.dimension()) {}
  std::size_t dimension() const noexcept { return n_; }
  void draw(counter_rng& r, dense_sample& d) const {
    d.w.resize(n_);
    for (auto& x : d.w) x = detail::std_normal(r);
    const double q = a_.quadratic(d.w);
    d.s = 0.5 * q;
    d.c = 0.5 * q;  // E[wᵀAw] = tr(A): the shift ½ tr(A) is estimated by ½ wᵀAw
  }

 private:
  Oracle a_;
  std::size_t n_;
};

// Phase retrieval: measurements b = (aᵀx)² of an unknown x with Gaussian a.
class phase_retrieval {
 public:
  explicit phase_retrieval(std::vector<double> x) : x_(std::move(x)) {
    if (x_.empty()) throw std::invalid_argument("phase_retrieval: empty signal");
  }
  std::size_t dimension() const noexcept { return x_.size(); }
  void draw(counter_rng& r, dense_sample& d) const {
    d.w.resize(x_.size());
    double ax = 0;
    for (std::size_t i = 0; i < x_.size(); ++i) {
      d.w[i] = detail::std_normal(r);
      ax += d.w[i] * x_[i];
    }
    const double b = ax * ax;
    d.s = 0.5 * b;
    d.c = 0.5 * b;  // E[b] = ||x||²
  }

 private:
  std::vector<double> x_;
};

// Streaming PCA / subspace tracking: Ã = z zᵀ for a data column z (d x N, column-major).
class streaming {
 public:
  explicit streaming(Eigen::MatrixXd Z) : z_(std::move(Z)) {
    if (z_.cols() == 0 || z_.rows() == 0) throw std::invalid_argument("streaming: no data");
  }
  std::size_t dimension() const noexcept { return static_cast<std::size_t>(z_.rows()); }
  void draw(counter_rng& r, dense_sample& d) const {
    const auto k = static_cast<Eigen::Index>(detail::uniform_below(r, static_cast<std::uint64_t>(z_.cols())));
    d.w.resize(static_cast<std::size_t>(z_.rows()));
    for (Eigen::Index i = 0; i < z_.rows(); ++i) d.w[static_cast<std::size_t>(i)] = z_(i, k);
    d.s = 1.0;
    d.c = 0.0;
  }

 private:
  Eigen::MatrixXd z_;
};

}  // namespace lowrank
}  // namespace lowp
#endif
