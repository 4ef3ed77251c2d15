// Seeded synthetic problems with a known answer, for tests, examples and
// experiments. Header-only, C++20, uses Eigen (dense linear algebra for the
// ground truth only; the data itself is returned in dataset.hpp containers).
//
//   linear_regression(p)        dense X, y = X w* + sigma*noise; exact sample optimum w_opt, f_opt
//   logistic_regression(p)      dense X, y in {-1,+1} ~ logistic(x.w*); true P(y=+1|x); L2 optimum
//   sparse_logistic_regression  same with a CSR X of a given density
//   planted_psd(p)              A = Q diag(lambda) Q^T (rank p, eigengap lambda_p); sampled noisy entries
//   planted_rectangular(p)      M = U diag(s) V^T (rank p); sampled noisy entries
//   ising_grid(p)               rows x cols grid (open or torus) Ising model
//   ising_erdos_renyi(p)        G(n, q) random-graph Ising model
//
// Reproducibility: every random number comes from lowp::counter_rng(seed,
// stream) with one fixed stream per purpose (features, weights, noise, ...),
// so the same parameters give bit-identical output on the same platform, and
// changing e.g. noise_sigma does not change X or w*. (Gaussians use std::log,
// std::cos, std::sin, so bit-identity across different libm's is not promised.)
//
// Bad parameters throw std::invalid_argument naming the generator and field.
#ifndef LOWP_DATASETS_SYNTHETIC_HPP
#define LOWP_DATASETS_SYNTHETIC_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/QR>

#include "lowp/datasets/dataset.hpp"
#include "lowp/quantize/rng.hpp"

namespace lowp {
namespace datasets {
namespace synthetic {

// Stream ids: one per purpose, so streams never overlap and one parameter's
// change does not reshuffle unrelated parts of a problem.
namespace stream {
inline constexpr std::uint64_t features = 1;
inline constexpr std::uint64_t weights = 2;
inline constexpr std::uint64_t noise = 3;
inline constexpr std::uint64_t labels = 4;
inline constexpr std::uint64_t pattern = 5;
inline constexpr std::uint64_t basis_u = 6;
inline constexpr std::uint64_t basis_v = 7;
inline constexpr std::uint64_t sample = 8;
inline constexpr std::uint64_t couplings = 9;
inline constexpr std::uint64_t fields = 10;
inline constexpr std::uint64_t edges = 11;
}  // namespace stream

// ---------------------------------------------------------------------------
// Random variates on top of counter_rng.

// Standard normal N(0, 1) by Box–Muller; each pair of outputs uses two
// next_double() draws (four 32-bit draws).
class normal_rng {
 public:
  normal_rng(std::uint64_t seed, std::uint64_t stream_id) noexcept : rng_(seed, stream_id) {}
  double operator()() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - rng_.next_double();  // (0, 1]: log is finite
    const double u2 = rng_.next_double();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double t = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }
  counter_rng& uniform() noexcept { return rng_; }

 private:
  counter_rng rng_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Exactly uniform integer in [0, k), k >= 1 (64-bit rejection sampling).
inline std::uint64_t uniform_below(counter_rng& rng, std::uint64_t k) noexcept {
  LOWP_ASSERT(k >= 1);
  const std::uint64_t threshold = (0 - k) % k;  // 2^64 mod k
  for (;;) {
    const std::uint64_t hi = rng.next_u32();
    const std::uint64_t r = (hi << 32) | rng.next_u32();
    if (r >= threshold) return r % k;
  }
}

namespace detail {

[[noreturn]] inline void bad(const char* gen, const std::string& what) {
  throw std::invalid_argument(std::string("lowp::datasets::synthetic::") + gen + ": " + what);
}
inline void require(bool ok, const char* gen, const std::string& what) {
  if (!ok) bad(gen, what);
}
inline void require_sigma(double s, const char* gen, const char* name) {
  require(std::isfinite(s) && s >= 0.0, gen, std::string(name) + " must be finite and >= 0");
}
inline void require_prob(double q, const char* gen, const char* name) {
  require(q > 0.0 && q <= 1.0, gen, std::string(name) + " must be in (0, 1]");
}

// Visit the indices of a Bernoulli(q) subset of [0, N) in increasing order, in
// O(expected count) draws: gaps are geometric (one draw per visited index).
template <class F>
void bernoulli_subset(counter_rng& rng, std::uint64_t N, double q, F&& visit) {
  if (q >= 1.0) {
    for (std::uint64_t i = 0; i < N; ++i) visit(i);
    return;
  }
  const double lq = std::log1p(-q);
  std::uint64_t i = 0;
  for (;;) {
    const double u = 1.0 - rng.next_double();  // (0, 1]
    const double skip = std::floor(std::log(u) / lq);
    if (!(skip < static_cast<double>(N - i))) return;
    i += static_cast<std::uint64_t>(skip);
    visit(i);
    if (++i >= N) return;
  }
}

// m distinct indices uniform from [0, N), sorted increasingly.
inline std::vector<std::uint64_t> sample_without_replacement(counter_rng& rng, std::uint64_t N,
                                                             std::uint64_t m) {
  std::vector<std::uint64_t> out;
  out.reserve(static_cast<std::size_t>(m));
  if (m == 0) return out;
  if (N <= 4 * m) {
    // Knuth's Algorithm S (selection sampling): O(N), output already sorted.
    std::uint64_t need = m;
    for (std::uint64_t t = 0; t < N && need > 0; ++t)
      if (uniform_below(rng, N - t) < need) {
        out.push_back(t);
        --need;
      }
  } else {
    // Floyd's algorithm: O(m) expected, then sort.
    std::unordered_set<std::uint64_t> seen;
    seen.reserve(static_cast<std::size_t>(2 * m));
    for (std::uint64_t j = N - m; j < N; ++j) {
      const std::uint64_t t = uniform_below(rng, j + 1);
      const std::uint64_t pick = seen.insert(t).second ? t : j;
      if (pick == j) seen.insert(j);
      out.push_back(pick);
    }
    std::sort(out.begin(), out.end());
  }
  return out;
}

// Haar-random n x p matrix with orthonormal columns (QR of a Gaussian, signs
// fixed so that diag(R) > 0).
inline Eigen::MatrixXd random_orthonormal(std::size_t n, std::size_t p, std::uint64_t seed,
                                          std::uint64_t stream_id) {
  normal_rng g(seed, stream_id);
  Eigen::MatrixXd G(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(p));
  for (Eigen::Index i = 0; i < G.rows(); ++i)
    for (Eigen::Index j = 0; j < G.cols(); ++j) G(i, j) = g();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(G);
  Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(G.rows(), G.cols());
  const Eigen::MatrixXd& R = qr.matrixQR();
  for (Eigen::Index j = 0; j < Q.cols(); ++j)
    if (R(j, j) < 0) Q.col(j) = -Q.col(j);
  return Q;
}

// Spectrum lambda_1 >= ... >= lambda_p > 0: the given values, or linear from
// `top` down to `bottom` (p == 1: {bottom}, top unused).
inline std::vector<double> spectrum(const std::vector<double>& given, std::size_t p, double top,
                                    double bottom, const char* gen) {
  if (!given.empty()) {
    require(given.size() == p, gen, "spectrum must have exactly rank entries");
    for (std::size_t k = 0; k < p; ++k) {
      require(std::isfinite(given[k]) && given[k] > 0.0, gen, "spectrum entries must be finite and > 0");
      require(k == 0 || given[k] <= given[k - 1], gen, "spectrum must be non-increasing");
    }
    return given;
  }
  require(std::isfinite(bottom) && bottom > 0.0, gen, "eigengap (smallest planted value) must be > 0");
  require(p == 1 || (std::isfinite(top) && top >= bottom), gen,
          "top must be finite and >= eigengap (rank > 1)");
  std::vector<double> s(p);
  if (p == 1) {
    s[0] = bottom;
  } else {
    for (std::size_t k = 0; k < p; ++k)
      s[k] = top - (top - bottom) * static_cast<double>(k) / static_cast<double>(p - 1);
    s[p - 1] = bottom;
  }
  return s;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// 1. Planted linear regression.
//
// Objective convention (the one w_opt minimises):
//   f(w) = 1/(2n) * ||X w - y||^2 + l2/2 * ||w||^2
// evaluated in double on the float data exactly as stored in `data`.

struct linear_regression_params {
  std::size_t n = 1000;
  std::size_t d = 20;
  double noise_sigma = 0.1;       // y = X w* + noise_sigma * N(0, 1)
  double condition_number = 1.0;  // kappa >= 1 of the population Hessian E[x x^T] = diag(scale^2):
                                  // column j is scaled by kappa^(-j / (2(d-1))), so scale^2 spans [1/kappa, 1]
                                  // (d == 1: scale 1)
  double l2 = 0.0;                // lambda >= 0; with lambda = 0 need n >= d
  std::uint64_t seed = 0;
};

struct linear_regression_problem {
  dense_dataset data;            // float X (n x d row-major), float y
  Eigen::VectorXd w_star;        // planted weights, N(0, 1) entries
  Eigen::VectorXd w_opt;         // exact minimiser of f on the sample (normal equations, LDLT, double)
  double f_opt = 0.0;            // f(w_opt)
  Eigen::VectorXd column_scale;  // per-column scale of X
  double l2 = 0.0;

  // f(w) in double, the same convention as w_opt.
  double objective(const Eigen::VectorXd& w) const {
    double s = 0.0;
    for (std::size_t i = 0; i < data.n; ++i) {
      double m = 0.0;
      for (std::size_t j = 0; j < data.d; ++j) m += static_cast<double>(data.X[i * data.d + j]) * w[static_cast<Eigen::Index>(j)];
      const double r = m - static_cast<double>(data.y[i]);
      s += r * r;
    }
    return 0.5 * s / static_cast<double>(data.n) + 0.5 * l2 * w.squaredNorm();
  }
  // grad f(w) = X^T (X w - y) / n + l2 * w.
  Eigen::VectorXd gradient(const Eigen::VectorXd& w) const {
    Eigen::VectorXd g = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(data.d));
    for (std::size_t i = 0; i < data.n; ++i) {
      double m = 0.0;
      for (std::size_t j = 0; j < data.d; ++j) m += static_cast<double>(data.X[i * data.d + j]) * w[static_cast<Eigen::Index>(j)];
      const double r = m - static_cast<double>(data.y[i]);
      for (std::size_t j = 0; j < data.d; ++j) g[static_cast<Eigen::Index>(j)] += r * static_cast<double>(data.X[i * data.d + j]);
    }
    return g / static_cast<double>(data.n) + l2 * w;
  }
};

inline linear_regression_problem linear_regression(const linear_regression_params& p) {
  constexpr const char* gen = "linear_regression";
  detail::require(p.n > 0, gen, "n must be > 0");
  detail::require(p.d > 0, gen, "d must be > 0");
  detail::require_sigma(p.noise_sigma, gen, "noise_sigma");
  detail::require(std::isfinite(p.condition_number) && p.condition_number >= 1.0, gen,
                  "condition_number must be finite and >= 1");
  detail::require(std::isfinite(p.l2) && p.l2 >= 0.0, gen, "l2 must be finite and >= 0");
  detail::require(p.l2 > 0.0 || p.n >= p.d, gen, "n < d with l2 = 0: the least-squares optimum is not unique");

  const std::size_t n = p.n, d = p.d;
  const auto D = static_cast<Eigen::Index>(d);
  linear_regression_problem out;
  out.l2 = p.l2;
  out.column_scale.resize(D);
  for (std::size_t j = 0; j < d; ++j)
    out.column_scale[static_cast<Eigen::Index>(j)] =
        d == 1 ? 1.0 : std::pow(p.condition_number, -0.5 * static_cast<double>(j) / static_cast<double>(d - 1));

  normal_rng gw(p.seed, stream::weights);
  out.w_star.resize(D);
  for (Eigen::Index j = 0; j < D; ++j) out.w_star[j] = gw();

  out.data.n = n;
  out.data.d = d;
  out.data.X.resize(n * d);
  out.data.y.resize(n);
  normal_rng gx(p.seed, stream::features), ge(p.seed, stream::noise);
  for (std::size_t i = 0; i < n; ++i) {
    double m = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      const float x = static_cast<float>(out.column_scale[static_cast<Eigen::Index>(j)] * gx());
      out.data.X[i * d + j] = x;
      m += static_cast<double>(x) * out.w_star[static_cast<Eigen::Index>(j)];
    }
    out.data.y[i] = static_cast<float>(m + p.noise_sigma * ge());
  }

  // Normal equations (X^T X / n + l2 I) w = X^T y / n on the stored floats.
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> Xf(
      out.data.X.data(), static_cast<Eigen::Index>(n), D);
  const Eigen::MatrixXd X = Xf.cast<double>();
  const Eigen::VectorXd y =
      Eigen::Map<const Eigen::VectorXf>(out.data.y.data(), static_cast<Eigen::Index>(n)).cast<double>();
  Eigen::MatrixXd H = Eigen::MatrixXd::Zero(D, D);
  H.selfadjointView<Eigen::Lower>().rankUpdate(X.transpose(), 1.0 / static_cast<double>(n));
  H.diagonal().array() += p.l2;
  const Eigen::VectorXd b = X.transpose() * y / static_cast<double>(n);
  Eigen::LDLT<Eigen::MatrixXd> ldlt(H.selfadjointView<Eigen::Lower>());
  detail::require(ldlt.info() == Eigen::Success && ldlt.isPositive(), gen,
                  "normal equations are not positive definite (degenerate X)");
  out.w_opt = ldlt.solve(b);
  // One step of iterative refinement (cheap, d x d).
  const Eigen::MatrixXd Hfull = H.selfadjointView<Eigen::Lower>();
  out.w_opt += ldlt.solve(b - Hfull * out.w_opt);
  out.f_opt = out.objective(out.w_opt);
  return out;
}

// ---------------------------------------------------------------------------
// 2. Logistic regression with a planted w*.
//
// x_ij ~ N(0, 1) (dense) or, in the sparse variant, present with probability
// `density` and then N(0, 1). w*_j ~ N(0, margin_scale^2 / (d * density)), so
// the margin x.w* has standard deviation about margin_scale. Labels:
// P(y = +1 | x) = 1 / (1 + exp(-x.w*)), with x.w* computed in double from
// the stored floats.

struct logistic_regression_params {
  std::size_t n = 1000;
  std::size_t d = 20;
  double margin_scale = 2.0;  // std of the planted margin; larger = more separable
  double density = 1.0;       // sparse variant only (must still be in (0, 1])
  double l2 = 0.0;            // dense variant: if > 0, also solve for the regularised optimum w_opt
  std::uint64_t seed = 0;
};

// Objective convention (dense variant, the one w_opt minimises):
//   f(w) = 1/n * sum_i log(1 + exp(-y_i x_i.w)) + l2/2 * ||w||^2
// in double on the stored floats. w_opt/f_opt are filled only when l2 > 0
// (damped Newton in double to ||grad|| <= 1e-13 * ||grad f(0)||); with l2 = 0
// the optimum need not exist (separable data), and w_opt is left empty.
struct logistic_regression_problem {
  dense_dataset data;       // y in {-1, +1}
  Eigen::VectorXd w_star;
  std::vector<double> p_positive;  // true P(y_i = +1 | x_i)
  Eigen::VectorXd w_opt;    // empty unless l2 > 0
  double f_opt = 0.0;
  double l2 = 0.0;

  double objective(const Eigen::VectorXd& w) const {
    double s = 0.0;
    for (std::size_t i = 0; i < data.n; ++i) {
      const double z = static_cast<double>(data.y[i]) * margin(i, w);
      s += z > 0 ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z));
    }
    return s / static_cast<double>(data.n) + 0.5 * l2 * w.squaredNorm();
  }
  Eigen::VectorXd gradient(const Eigen::VectorXd& w) const {
    Eigen::VectorXd g = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(data.d));
    for (std::size_t i = 0; i < data.n; ++i) {
      const double y = data.y[i];
      const double c = -y / (1.0 + std::exp(y * margin(i, w)));  // d/dm log(1 + exp(-y m))
      for (std::size_t j = 0; j < data.d; ++j) g[static_cast<Eigen::Index>(j)] += c * static_cast<double>(data.X[i * data.d + j]);
    }
    return g / static_cast<double>(data.n) + l2 * w;
  }
  double margin(std::size_t i, const Eigen::VectorXd& w) const {
    double m = 0.0;
    for (std::size_t j = 0; j < data.d; ++j) m += static_cast<double>(data.X[i * data.d + j]) * w[static_cast<Eigen::Index>(j)];
    return m;
  }
};

struct sparse_logistic_regression_problem {
  csr_dataset data;         // y in {-1, +1}
  Eigen::VectorXd w_star;
  std::vector<double> p_positive;
};

namespace detail {
inline void check_logistic(const logistic_regression_params& p, const char* gen) {
  require(p.n > 0, gen, "n must be > 0");
  require(p.d > 0, gen, "d must be > 0");
  require(p.d <= std::numeric_limits<std::uint32_t>::max(), gen, "d must fit in 32 bits");
  require(std::isfinite(p.margin_scale) && p.margin_scale >= 0.0, gen, "margin_scale must be finite and >= 0");
  require_prob(p.density, gen, "density");
  require(std::isfinite(p.l2) && p.l2 >= 0.0, gen, "l2 must be finite and >= 0");
}
inline Eigen::VectorXd logistic_weights(const logistic_regression_params& p, double density) {
  normal_rng g(p.seed, stream::weights);
  const double s = p.margin_scale / std::sqrt(static_cast<double>(p.d) * density);
  Eigen::VectorXd w(static_cast<Eigen::Index>(p.d));
  for (Eigen::Index j = 0; j < w.size(); ++j) w[j] = s * g();
  return w;
}
// Damped Newton for the L2-regularised logistic optimum (dense data, l2 > 0).
inline void solve_logistic(logistic_regression_problem& pr) {
  const auto D = static_cast<Eigen::Index>(pr.data.d);
  const double inv_n = 1.0 / static_cast<double>(pr.data.n);
  Eigen::VectorXd w = Eigen::VectorXd::Zero(D);
  const double g0 = pr.gradient(w).norm();
  double f = pr.objective(w);
  for (int it = 0; it < 100; ++it) {
    const Eigen::VectorXd g = pr.gradient(w);
    if (g.norm() <= 1e-13 * g0) break;
    Eigen::MatrixXd H = Eigen::MatrixXd::Zero(D, D);
    Eigen::VectorXd x(D);
    for (std::size_t i = 0; i < pr.data.n; ++i) {
      for (Eigen::Index j = 0; j < D; ++j) x[j] = pr.data.X[i * pr.data.d + static_cast<std::size_t>(j)];
      const double sg = 1.0 / (1.0 + std::exp(-x.dot(w)));
      H.selfadjointView<Eigen::Lower>().rankUpdate(x, sg * (1.0 - sg) * inv_n);
    }
    H.diagonal().array() += pr.l2;
    const Eigen::VectorXd step = H.selfadjointView<Eigen::Lower>().ldlt().solve(g);
    const double dec = g.dot(step);  // Newton decrement squared
    // Near the optimum take full Newton steps: there they converge quadratically,
    // and the line search would stall once f(w) can no longer resolve the decrease.
    if (!(dec > 1e-8 * (1.0 + std::abs(f)))) {
      w -= step;
      f = pr.objective(w);
      continue;
    }
    double t = 1.0;
    for (; t > 1e-12; t *= 0.5) {
      const double ft = pr.objective(w - t * step);
      if (ft <= f - 1e-4 * t * dec) {
        f = ft;
        break;
      }
    }
    w -= t * step;
  }
  pr.w_opt = w;
  pr.f_opt = pr.objective(w);
}

inline float logistic_label(counter_rng& rng, double margin, double& prob) {
  prob = 1.0 / (1.0 + std::exp(-margin));
  return rng.next_double() < prob ? 1.0f : -1.0f;
}
}  // namespace detail

inline logistic_regression_problem logistic_regression(const logistic_regression_params& p) {
  detail::check_logistic(p, "logistic_regression");
  const std::size_t n = p.n, d = p.d;
  logistic_regression_problem out;
  out.w_star = detail::logistic_weights(p, 1.0);
  out.data.n = n;
  out.data.d = d;
  out.data.X.resize(n * d);
  out.data.y.resize(n);
  out.p_positive.resize(n);
  normal_rng gx(p.seed, stream::features);
  counter_rng lab(p.seed, stream::labels);
  for (std::size_t i = 0; i < n; ++i) {
    double m = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      const float x = static_cast<float>(gx());
      out.data.X[i * d + j] = x;
      m += static_cast<double>(x) * out.w_star[static_cast<Eigen::Index>(j)];
    }
    out.data.y[i] = detail::logistic_label(lab, m, out.p_positive[i]);
  }
  out.l2 = p.l2;
  if (p.l2 > 0.0) detail::solve_logistic(out);
  return out;
}

inline sparse_logistic_regression_problem sparse_logistic_regression(const logistic_regression_params& p) {
  detail::check_logistic(p, "sparse_logistic_regression");
  const std::size_t n = p.n, d = p.d;
  sparse_logistic_regression_problem out;
  out.w_star = detail::logistic_weights(p, p.density);
  out.data.d = d;
  out.data.indptr.assign(1, 0);
  out.data.indptr.reserve(n + 1);
  out.data.y.resize(n);
  out.p_positive.resize(n);
  normal_rng gx(p.seed, stream::features);
  counter_rng pat(p.seed, stream::pattern), lab(p.seed, stream::labels);
  for (std::size_t i = 0; i < n; ++i) {
    double m = 0.0;
    detail::bernoulli_subset(pat, d, p.density, [&](std::uint64_t j) {
      const float x = static_cast<float>(gx());
      out.data.indices.push_back(static_cast<std::uint32_t>(j));
      out.data.values.push_back(x);
      m += static_cast<double>(x) * out.w_star[static_cast<Eigen::Index>(j)];
    });
    out.data.indptr.push_back(out.data.values.size());
    out.data.y[i] = detail::logistic_label(lab, m, out.p_positive[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// 3. Planted low-rank matrices with sampled noisy entries.
//
// Spectrum: `spectrum` if given (rank entries, positive, non-increasing),
// otherwise linear from `top` (largest) down to `eigengap` (smallest; with
// rank 1 the single value is `eigengap`). Because the (rank+1)-th value is 0,
// the eigengap lambda_p - lambda_{p+1} equals the smallest planted value.
// Samples: `samples` distinct positions drawn uniformly without replacement,
// returned sorted by (row, column), value = exact entry + noise_sigma * N(0,1).

struct planted_psd_params {
  std::size_t n = 100;
  std::size_t rank = 1;
  double top = 1.0;
  double eigengap = 1.0;
  std::vector<double> spectrum{};  // overrides top/eigengap when non-empty
  std::size_t samples = 0;       // from the n(n+1)/2 positions with row <= column
  double noise_sigma = 0.0;
  std::uint64_t seed = 0;
};

struct planted_psd_problem {
  Eigen::MatrixXd Q;            // n x rank, orthonormal columns (Haar)
  Eigen::VectorXd eigenvalues;  // rank, non-increasing, > 0
  Eigen::MatrixXd U;            // Q diag(sqrt(eigenvalues)), so A = U U^T
  ratings entries;              // user = row <= item = column; n_users = n_items = n

  double entry(std::size_t i, std::size_t j) const {
    return U.row(static_cast<Eigen::Index>(i)).dot(U.row(static_cast<Eigen::Index>(j)));
  }
  Eigen::MatrixXd matrix() const { return U * U.transpose(); }  // n x n dense: small n only
};

struct planted_rectangular_params {
  std::size_t rows = 100;
  std::size_t cols = 80;
  std::size_t rank = 1;
  double top = 1.0;
  double eigengap = 1.0;         // smallest planted singular value
  std::vector<double> spectrum{};  // singular values; overrides top/eigengap when non-empty
  std::size_t samples = 0;       // from the rows*cols positions
  double noise_sigma = 0.0;
  std::uint64_t seed = 0;
};

struct planted_rectangular_problem {
  Eigen::MatrixXd Qu, Qv;           // rows x rank, cols x rank, orthonormal columns
  Eigen::VectorXd singular_values;  // rank, non-increasing, > 0
  Eigen::MatrixXd U, V;             // Qu diag(sqrt s), Qv diag(sqrt s): M = U V^T
  ratings entries;                  // user = row, item = column; n_users = rows, n_items = cols

  double entry(std::size_t i, std::size_t j) const {
    return U.row(static_cast<Eigen::Index>(i)).dot(V.row(static_cast<Eigen::Index>(j)));
  }
  Eigen::MatrixXd matrix() const { return U * V.transpose(); }
};

inline planted_psd_problem planted_psd(const planted_psd_params& p) {
  constexpr const char* gen = "planted_psd";
  detail::require(p.n > 0, gen, "n must be > 0");
  detail::require(p.n <= std::numeric_limits<std::uint32_t>::max(), gen, "n must fit in 32 bits");
  detail::require(p.rank > 0, gen, "rank must be > 0");
  detail::require(p.rank <= p.n, gen, "rank must be <= n");
  detail::require_sigma(p.noise_sigma, gen, "noise_sigma");
  const std::uint64_t N = static_cast<std::uint64_t>(p.n) * (p.n + 1) / 2;
  detail::require(p.samples <= N, gen, "samples must be <= n(n+1)/2 (distinct upper-triangle positions)");
  const std::vector<double> lam = detail::spectrum(p.spectrum, p.rank, p.top, p.eigengap, gen);

  planted_psd_problem out;
  out.Q = detail::random_orthonormal(p.n, p.rank, p.seed, stream::basis_u);
  out.eigenvalues = Eigen::Map<const Eigen::VectorXd>(lam.data(), static_cast<Eigen::Index>(lam.size()));
  out.U = out.Q * out.eigenvalues.cwiseSqrt().asDiagonal();

  counter_rng srng(p.seed, stream::sample);
  normal_rng ge(p.seed, stream::noise);
  const std::vector<std::uint64_t> idx = detail::sample_without_replacement(srng, N, p.samples);
  ratings& r = out.entries;
  r.n_users = r.n_items = p.n;
  r.user.reserve(idx.size());
  r.item.reserve(idx.size());
  r.rating.reserve(idx.size());
  // Linear index over the upper triangle, row-major: row i holds (n - i) positions.
  std::uint64_t row = 0, row_start = 0;
  for (const std::uint64_t k : idx) {
    while (k >= row_start + (p.n - row)) {
      row_start += p.n - row;
      ++row;
    }
    const std::uint64_t col = row + (k - row_start);
    r.user.push_back(static_cast<std::uint32_t>(row));
    r.item.push_back(static_cast<std::uint32_t>(col));
    r.rating.push_back(static_cast<float>(out.entry(row, col) + p.noise_sigma * ge()));
  }
  return out;
}

inline planted_rectangular_problem planted_rectangular(const planted_rectangular_params& p) {
  constexpr const char* gen = "planted_rectangular";
  detail::require(p.rows > 0 && p.cols > 0, gen, "rows and cols must be > 0");
  detail::require(p.rows <= std::numeric_limits<std::uint32_t>::max() &&
                      p.cols <= std::numeric_limits<std::uint32_t>::max(),
                  gen, "rows and cols must fit in 32 bits");
  detail::require(p.rank > 0, gen, "rank must be > 0");
  detail::require(p.rank <= std::min(p.rows, p.cols), gen, "rank must be <= min(rows, cols)");
  detail::require_sigma(p.noise_sigma, gen, "noise_sigma");
  const std::uint64_t N = static_cast<std::uint64_t>(p.rows) * p.cols;
  detail::require(p.samples <= N, gen, "samples must be <= rows*cols (distinct positions)");
  const std::vector<double> s = detail::spectrum(p.spectrum, p.rank, p.top, p.eigengap, gen);

  planted_rectangular_problem out;
  out.Qu = detail::random_orthonormal(p.rows, p.rank, p.seed, stream::basis_u);
  out.Qv = detail::random_orthonormal(p.cols, p.rank, p.seed, stream::basis_v);
  out.singular_values = Eigen::Map<const Eigen::VectorXd>(s.data(), static_cast<Eigen::Index>(s.size()));
  out.U = out.Qu * out.singular_values.cwiseSqrt().asDiagonal();
  out.V = out.Qv * out.singular_values.cwiseSqrt().asDiagonal();

  counter_rng srng(p.seed, stream::sample);
  normal_rng ge(p.seed, stream::noise);
  const std::vector<std::uint64_t> idx = detail::sample_without_replacement(srng, N, p.samples);
  ratings& r = out.entries;
  r.n_users = p.rows;
  r.n_items = p.cols;
  r.user.reserve(idx.size());
  r.item.reserve(idx.size());
  r.rating.reserve(idx.size());
  for (const std::uint64_t k : idx) {
    const std::uint64_t i = k / p.cols, j = k % p.cols;
    r.user.push_back(static_cast<std::uint32_t>(i));
    r.item.push_back(static_cast<std::uint32_t>(j));
    r.rating.push_back(static_cast<float>(out.entry(i, j) + p.noise_sigma * ge()));
  }
  return out;
}

// ---------------------------------------------------------------------------
// 4. Ising models over spins x_i in {-1, +1}:
//   P(x) proportional to exp( sum_e coupling[e] x_u x_v + sum_i field[i] x_i ).
// A coupling w is a DimmWitted EQUAL factor of weight w. The struct is plain
// data: overwrite coupling/field to plant any per-edge values.

struct ising_edge {
  std::uint32_t u, v;  // u < v
};

struct ising_model {
  std::size_t n_vars = 0;
  std::vector<ising_edge> edges;
  std::vector<double> coupling;  // one per edge
  std::vector<double> field;     // one per variable
  std::size_t rows = 0, cols = 0;  // grid shape (variable r*cols + c); 0 for random graphs

  std::vector<std::size_t> degrees() const {
    std::vector<std::size_t> deg(n_vars, 0);
    for (const ising_edge& e : edges) {
      ++deg[e.u];
      ++deg[e.v];
    }
    return deg;
  }
  // Dobrushin total influence alpha = max_i sum_{j ~ i} tanh|beta_ij|; alpha < 1
  // is the condition under which asynchronous Gibbs has bounded bias.
  double dobrushin_alpha() const {
    std::vector<double> s(n_vars, 0.0);
    for (std::size_t k = 0; k < edges.size(); ++k) {
      const double t = std::tanh(std::abs(coupling[k]));
      s[edges[k].u] += t;
      s[edges[k].v] += t;
    }
    return s.empty() ? 0.0 : *std::max_element(s.begin(), s.end());
  }
};

// Couplings: beta + coupling_spread * U(-1, 1) per edge; fields: h +
// field_spread * U(-1, 1) per variable (spreads of 0 give constants and
// consume no random numbers).
struct ising_grid_params {
  std::size_t rows = 32;
  std::size_t cols = 32;
  bool torus = false;  // periodic boundary along each dimension of size >= 3 (size 1: no edges that
                       // way, so 1 x L torus = ring of L); a size of 2 would duplicate edges and throws
  double beta = 0.2;
  double h = 0.0;
  double coupling_spread = 0.0;
  double field_spread = 0.0;
  std::uint64_t seed = 0;
};

struct ising_erdos_renyi_params {
  std::size_t n = 100;
  double edge_probability = 0.05;  // each of the n(n-1)/2 pairs independently, in (0, 1]
  double beta = 0.1;
  double h = 0.0;
  double coupling_spread = 0.0;
  double field_spread = 0.0;
  std::uint64_t seed = 0;
};

namespace detail {
inline void check_ising_common(double beta, double h, double cs, double fs, const char* gen) {
  require(std::isfinite(beta) && std::isfinite(h), gen, "beta and h must be finite");
  require_sigma(cs, gen, "coupling_spread");
  require_sigma(fs, gen, "field_spread");
}
inline void fill_ising_values(ising_model& m, double beta, double h, double cs, double fs, std::uint64_t seed) {
  m.coupling.assign(m.edges.size(), beta);
  m.field.assign(m.n_vars, h);
  if (cs > 0.0) {
    counter_rng r(seed, stream::couplings);
    for (double& c : m.coupling) c += cs * (2.0 * r.next_double() - 1.0);
  }
  if (fs > 0.0) {
    counter_rng r(seed, stream::fields);
    for (double& f : m.field) f += fs * (2.0 * r.next_double() - 1.0);
  }
}
}  // namespace detail

// Edges in site order, each site contributing (right, down) when present.
// Open grid: rows*(cols-1) + cols*(rows-1) edges; torus (rows, cols >= 3):
// 2*rows*cols, every degree 4; torus 1 x L (L >= 3): a ring of L edges.
inline ising_model ising_grid(const ising_grid_params& p) {
  constexpr const char* gen = "ising_grid";
  detail::require(p.rows > 0 && p.cols > 0, gen, "rows and cols must be > 0");
  detail::require(!p.torus || (p.rows != 2 && p.cols != 2), gen,
                  "a torus cannot have a dimension of size 2 (its wrap edge would duplicate an edge)");
  detail::require(p.rows * p.cols <= std::numeric_limits<std::uint32_t>::max(), gen, "too many variables");
  detail::check_ising_common(p.beta, p.h, p.coupling_spread, p.field_spread, gen);
  ising_model m;
  m.rows = p.rows;
  m.cols = p.cols;
  m.n_vars = p.rows * p.cols;
  m.edges.reserve(2 * m.n_vars);
  const auto id = [&](std::size_t r, std::size_t c) { return static_cast<std::uint32_t>(r * p.cols + c); };
  for (std::size_t r = 0; r < p.rows; ++r)
    for (std::size_t c = 0; c < p.cols; ++c) {
      if (c + 1 < p.cols) m.edges.push_back({id(r, c), id(r, c + 1)});
      else if (p.torus && p.cols >= 3) m.edges.push_back({id(r, 0), id(r, c)});
      if (r + 1 < p.rows) m.edges.push_back({id(r, c), id(r + 1, c)});
      else if (p.torus && p.rows >= 3) m.edges.push_back({id(0, c), id(r, c)});
    }
  detail::fill_ising_values(m, p.beta, p.h, p.coupling_spread, p.field_spread, p.seed);
  return m;
}

// G(n, q): edges sorted by (u, v), u < v; edge count ~ Binomial(n(n-1)/2, q).
inline ising_model ising_erdos_renyi(const ising_erdos_renyi_params& p) {
  constexpr const char* gen = "ising_erdos_renyi";
  detail::require(p.n > 0, gen, "n must be > 0");
  detail::require(p.n <= std::numeric_limits<std::uint32_t>::max(), gen, "n must fit in 32 bits");
  detail::require_prob(p.edge_probability, gen, "edge_probability");
  detail::check_ising_common(p.beta, p.h, p.coupling_spread, p.field_spread, gen);
  ising_model m;
  m.n_vars = p.n;
  const std::uint64_t pairs = static_cast<std::uint64_t>(p.n) * (p.n - 1) / 2;
  counter_rng r(p.seed, stream::edges);
  // Pair index k enumerates (u, v), u < v, row-major: row u holds n-1-u pairs.
  std::uint64_t u = 0, row_start = 0;
  detail::bernoulli_subset(r, pairs, p.edge_probability, [&](std::uint64_t k) {
    while (k >= row_start + (p.n - 1 - u)) {
      row_start += p.n - 1 - u;
      ++u;
    }
    m.edges.push_back({static_cast<std::uint32_t>(u), static_cast<std::uint32_t>(u + 1 + (k - row_start))});
  });
  detail::fill_ising_values(m, p.beta, p.h, p.coupling_spread, p.field_spread, p.seed);
  return m;
}

}  // namespace synthetic
}  // namespace datasets
}  // namespace lowp

#endif
