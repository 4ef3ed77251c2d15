// Alecton: SGD for low-rank PSD recovery as stochastic power iteration
// (De Sa, Olukotun, Re, "Global Convergence of Stochastic Gradient Descent for
// Some Non-convex Matrix Problems", ICML 2015, arXiv 1411.1134), with the
// low-precision and asynchronous variants of "Taming the Wild" (NeurIPS 2015).
//
// Problem: the best rank-p PSD approximation of A = E[Ã] (top-p eigenpairs),
// from unbiased samples Ã (samplers.hpp). Plain SGD on ||Ã - Y Yᵀ||² steps
// Y += 4α(ÃY - Y(YᵀY)); the second term only right-multiplies Y (changes its
// scale and basis, never span(Y)), so Alecton drops it and runs
//   angular phase:  Y <- (I + η Ã_k) Y,  k < K,   rescaled every R steps
//   radial phase:   Ŷ = orthonormal basis of span(Y);
//                   R̄ = sym((1/L) Σ_l Ŷᵀ Ã_l Ŷ) - mean(c) I  on fresh samples
//   output:         X̂ = Ŷ R̄ Ŷᵀ (factor(): Ŷ R̄^{1/2}, negative eigenvalues clipped)
// The rescale (p = 1: divide by the norm; p > 1: thin QR, keep Q) is a
// right-multiplication, so it never changes the span: a run with R = 100 and
// one with R = 1e5 give the same projector up to round-off (tested).
//
// Template parameters:
//   Format      float, double, or fixed<B, dynamic_scale> (8 or 16 bits): the
//               storage of Y. Fixed point stores q·δ with one δ for all of Y;
//               the increment η v q_j (units of δ) goes through Rounding and
//               saturates; each rescale re-picks δ = max|Y| / (qmax/2) and
//               requantizes through Rounding.
//   Rounding    round::stochastic<> (unbiased: small increments survive in
//               expectation) or round::nearest_even (they vanish: the 8-bit
//               control that does not converge).
//   Concurrency sequential, or hogwild: T threads share Y without locks,
//               per-element std::atomic_ref relaxed loads and stores; all
//               threads stop (join) at each rescale, which one thread does.
//
// Step size (spec A.3/A.6.1): with a constant η the error has a floor
// sin²∠ ≈ 0.7 η n / Δ for incoherent A with ||A||_F = 1 (Δ = λ_p - λ_{p+1}),
// reached after K ≈ ln(n/ε)/(ηΔ) steps: K = O(ε⁻¹ n log n).
// alecton_step_size() applies that calibration.
//
// Randomness: start point from stream (seed, 0x4000), thread t samples from
// (seed, 0x1000 + t) and rounds from (seed, 0x2000 + t), the radial phase from
// (seed, 0x3000). A sequential run (any Format) is bit-identical run to run.
#ifndef LOWP_SOLVERS_LOWRANK_ALECTON_HPP
#define LOWP_SOLVERS_LOWRANK_ALECTON_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>

#include "lowp/quantize/nearest.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/solvers/lowrank/factors.hpp"
#include "lowp/solvers/lowrank/samplers.hpp"
#include "lowp/solvers/report.hpp"

namespace lowp {
namespace lowrank {

struct alecton_options {
  std::size_t rank = 1;                  // p
  double step_size = 0.0;                // η (required, > 0)
  std::uint64_t steps = 0;               // K angular steps in total (over all threads)
  std::uint64_t radial_samples = 0;      // L; 0 skips the radial phase (R̄ = 0)
  std::uint64_t rescale_every = 100000;  // R; 0 = never (double storage only)
  int threads = 1;                       // hogwild only; sequential requires 1
  std::uint64_t seed = 0;
};

struct alecton_result {
  Eigen::MatrixXd Y;            // n x p, orthonormal columns spanning the estimate
  Eigen::MatrixXd R;            // p x p radial estimate R̄ (symmetric, shift removed)
  Eigen::VectorXd eigenvalues;  // of R̄, non-increasing
  double shift = 0.0;           // mean(c) subtracted in the radial phase
  status why = status::max_epochs;
  std::uint64_t steps = 0;        // angular steps done
  std::uint64_t saturations = 0;  // clamped or NaN fixed-point writes
  double step = 1.0;              // final fixed-point δ (1 for float/double)
  double seconds = 0.0;
  std::string message;

  // X̂ ≈ F Fᵀ with F = Ŷ V diag(sqrt(max(μ, 0))), R̄ = V diag(μ) Vᵀ.
  Eigen::MatrixXd factor() const {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(R);
    return Y * es.eigenvectors() * es.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
  }
};

// ||sin Θ(Q, Y)||_F² = p - ||QᵀY||_F² for orthonormal Q (n x p) and Y (n x p).
inline double sin2_error(const Eigen::MatrixXd& Q, const Eigen::MatrixXd& Y) {
  return static_cast<double>(Q.cols()) - (Q.transpose() * Y).squaredNorm();
}
// ||X̂ - F Fᵀ||_F / ||F Fᵀ||_F without forming n x n matrices.
inline double relative_frobenius_error(const alecton_result& r, const Eigen::MatrixXd& F) {
  const Eigen::MatrixXd G = F.transpose() * F;    // ||FFᵀ||² = ||FᵀF||²
  const Eigen::MatrixXd P = r.Y.transpose() * F;  // tr(X̂ FFᵀ) = tr(R̄ P Pᵀ)
  const double x2 = r.R.squaredNorm(), a2 = G.squaredNorm(), xa = (r.R * P * P.transpose()).trace();
  return std::sqrt(std::max(0.0, x2 + a2 - 2.0 * xa) / a2);
}
// η and K from the calibrated floor sin² ≈ 0.7 η n / Δ (||A||_F = 1 scale):
// target floor eps, eigengap delta, dimension n, Frobenius norm of A.
struct alecton_schedule {
  double step_size;
  std::uint64_t steps;
};
inline alecton_schedule alecton_step_size(std::size_t n, double eps, double delta, double frobenius = 1.0) {
  if (!(eps > 0 && delta > 0 && frobenius > 0 && n > 0))
    throw std::invalid_argument("alecton_step_size: n, eps, delta and frobenius must be > 0");
  const double eta = eps * delta / (0.7 * static_cast<double>(n) * frobenius * frobenius);
  const double k = std::ceil(std::log(static_cast<double>(n) / eps) / (eta * delta));
  return {eta, static_cast<std::uint64_t>(k)};
}

namespace detail {
constexpr std::uint64_t alecton_stream_sample = 0x1000, alecton_stream_round = 0x2000,
                        alecton_stream_radial = 0x3000, alecton_stream_init = 0x4000;

// Thin QR basis of the columns of Y (signs fixed by diag(R) >= 0).
inline Eigen::MatrixXd orthonormal_basis(const Eigen::MatrixXd& Y) {
  if (Y.cols() == 1) return Y / Y.norm();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(Y);
  Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(Y.rows(), Y.cols());
  for (Eigen::Index j = 0; j < Q.cols(); ++j)
    if (qr.matrixQR()(j, j) < 0) Q.col(j) = -Q.col(j);
  return Q;
}
}  // namespace detail

template <class Format = float, class Rounding = round::stochastic<>, class Concurrency = sequential>
class alecton {
  using traits = factor_traits<Format>;
  using rep = typename traits::rep;

 public:
  static constexpr const char* name = "alecton";

  explicit alecton(alecton_options o) : o_(o) {
    if (!(o.step_size > 0) || !std::isfinite(o.step_size))
      throw std::invalid_argument("alecton: step_size must be finite and > 0");
    if (o.rank == 0) throw std::invalid_argument("alecton: rank must be >= 1");
    if (o.threads < 1) throw std::invalid_argument("alecton: threads must be >= 1");
    if (!Concurrency::racy && o.threads != 1)
      throw std::invalid_argument("alecton: threads > 1 needs the hogwild concurrency policy");
    if (o.rescale_every == 0 && !std::is_same_v<Format, double>)
      throw std::invalid_argument("alecton: rescale_every = 0 (never) is only allowed with double storage");
  }
  const alecton_options& options() const noexcept { return o_; }

  template <sampler S>
  alecton_result optimize(const S& s) const {
    return optimize(s, [](std::uint64_t, const Eigen::MatrixXd&) {});
  }

  // observe(steps_done, Ŷ) is called on the calling thread at the start and
  // after every rescale (Ŷ orthonormal, n x p), for traces.
  template <sampler S, class Observer>
  alecton_result optimize(const S& s, Observer&& observe) const {
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t n = s.dimension(), p = o_.rank;
    if (p > n) throw std::invalid_argument("alecton: rank must be <= the dimension");
    alecton_result out;

    // Random start: uniform on the Stiefel manifold (QR of a Gaussian matrix).
    counter_rng init(o_.seed, detail::alecton_stream_init);
    Eigen::MatrixXd G(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(p));
    for (Eigen::Index i = 0; i < G.rows(); ++i)
      for (Eigen::Index c = 0; c < G.cols(); ++c) G(i, c) = detail::std_normal(init);
    Eigen::MatrixXd Yd = detail::orthonormal_basis(G);

    factor_matrix<Format> Y(n, p);
    Rounding rescale_rounding = lowrank::detail::make_rounding<Rounding>(o_.seed, detail::alecton_stream_round + 0xfff);
    out.saturations += assign(Y, Yd, rescale_rounding);
    observe(0, Yd);

    const int T = Concurrency::racy ? o_.threads : 1;
    std::vector<counter_rng> srng;
    std::vector<Rounding> rnd;
    for (int t = 0; t < T; ++t) {
      srng.emplace_back(o_.seed, detail::alecton_stream_sample + static_cast<std::uint64_t>(t));
      rnd.push_back(lowrank::detail::make_rounding<Rounding>(o_.seed, detail::alecton_stream_round + static_cast<std::uint64_t>(t)));
    }
    std::vector<std::uint64_t> sat(static_cast<std::size_t>(T), 0);

    const std::uint64_t R = o_.rescale_every == 0 ? o_.steps : o_.rescale_every;
    std::uint64_t done = 0;
    std::vector<std::uint64_t> did(static_cast<std::size_t>(T), 0);
    std::atomic<bool> full{false};  // fixed point: a value passed 3/4 qmax, rescale now
    while (done < o_.steps) {
      const std::uint64_t chunk = std::min(R, o_.steps - done);
      full.store(false, std::memory_order_relaxed);
      if (T == 1) {
        did[0] = run_steps(s, Y, chunk, srng[0], rnd[0], sat[0], full);
      } else {
        std::vector<std::thread> pool;
        for (int t = 1; t < T; ++t) {
          const std::uint64_t mine = chunk / std::uint64_t(T) + (std::uint64_t(t) < chunk % std::uint64_t(T) ? 1 : 0);
          pool.emplace_back([&, t, mine] {
            did[std::size_t(t)] = run_steps(s, Y, mine, srng[std::size_t(t)], rnd[std::size_t(t)], sat[std::size_t(t)], full);
          });
        }
        did[0] = run_steps(s, Y, chunk / std::uint64_t(T) + (0 < chunk % std::uint64_t(T) ? 1 : 0), srng[0], rnd[0], sat[0], full);
        for (auto& th : pool) th.join();
      }
      for (auto d : did) done += d;
      // Rescale (a right-multiplication: the span is unchanged).
      Yd = values(Y);
      if (!Yd.allFinite() || Yd.norm() == 0.0) {
        out.why = status::diverged;
        out.message = !Yd.allFinite() ? "alecton: non-finite iterate after " + std::to_string(done) + " steps"
                                      : "alecton: the iterate collapsed to zero after " + std::to_string(done) + " steps";
        break;
      }
      Yd = detail::orthonormal_basis(Yd);
      if (o_.rescale_every != 0 || done == o_.steps) out.saturations += assign(Y, Yd, rescale_rounding);
      observe(done, Yd);
    }
    out.steps = done;
    for (auto c : sat) out.saturations += c;
    out.step = Y.step();
    out.Y = detail::orthonormal_basis(values(Y));
    if (!out.Y.allFinite()) out.Y = Yd;
    radial(s, out);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  }

 private:
  static Eigen::MatrixXd values(const factor_matrix<Format>& Y) {
    Eigen::MatrixXd M(static_cast<Eigen::Index>(Y.rows()), static_cast<Eigen::Index>(Y.cols()));
    for (std::size_t i = 0; i < Y.rows(); ++i)
      for (std::size_t c = 0; c < Y.cols(); ++c)
        M(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)) = Y.value(i, c);
    return M;
  }
  static std::uint64_t assign(factor_matrix<Format>& Y, const Eigen::MatrixXd& M, Rounding& r) {
    std::vector<double> v(Y.rows() * Y.cols());
    for (std::size_t i = 0; i < Y.rows(); ++i)
      for (std::size_t c = 0; c < Y.cols(); ++c)
        v[i * Y.cols() + c] = M(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c));
    return Y.assign(v.data(), r, 0.5);
  }

  // y + x (x in storage units), rounded and saturated for fixed point.
  static rep add(rep y, double x, Rounding& r, std::uint64_t& sat) noexcept {
    if constexpr (traits::is_fixed) {
      const auto qmax = static_cast<std::int64_t>(traits::qmax);
      if (!(std::abs(x) < 1e15)) {  // NaN or far out of range: saturate, count
        ++sat;
        return static_cast<rep>(x > 0 ? qmax : (x < 0 ? -qmax : y));
      }
      std::int64_t q = static_cast<std::int64_t>(y) + r.real(x);
      if (q > qmax || q < -qmax) {
        ++sat;
        q = q > qmax ? qmax : -qmax;
      }
      return static_cast<rep>(q);
    } else {
      (void)r;
      (void)sat;
      return static_cast<rep>(static_cast<double>(y) + x);
    }
  }

  // Runs up to k steps; returns how many it did. Fixed point stops early
  // (all threads) once a written value passes 3/4 of qmax, so the rescale
  // comes before saturation whatever η, λ₁ and R are.
  template <class S>
  std::uint64_t run_steps(const S& s, factor_matrix<Format>& Y, std::uint64_t k, counter_rng& g, Rounding& r,
                          std::uint64_t& sat, std::atomic<bool>& full) const {
    using C = Concurrency;
    const std::size_t p = Y.cols();
    const double eta = o_.step_size;
    if constexpr (entry_sampler<S>) {
      std::vector<rep> oi(p), oj(p);
      for (std::uint64_t step = 0; step < k; ++step) {
        if (stop_early(full)) return step;
        const entry_sample e = s.draw(g);
        const double a = eta * e.v;
        rep* yi = Y.row(e.i);
        if (e.i == e.j) {
          for (std::size_t c = 0; c < p; ++c) {
            const rep o = lowrank::detail::load<C>(yi[c]);
            const rep nv = add(o, a * static_cast<double>(o), r, sat);
            lowrank::detail::store<C>(yi[c], nv);
            watch(nv, full);
          }
        } else {
          rep* yj = Y.row(e.j);
          // Both rows from their old values (Ã Y uses the pre-step Y).
          for (std::size_t c = 0; c < p; ++c) {
            oi[c] = lowrank::detail::load<C>(yi[c]);
            oj[c] = lowrank::detail::load<C>(yj[c]);
          }
          for (std::size_t c = 0; c < p; ++c) {
            const rep ni = add(oi[c], a * static_cast<double>(oj[c]), r, sat);
            const rep nj = add(oj[c], a * static_cast<double>(oi[c]), r, sat);
            lowrank::detail::store<C>(yi[c], ni);
            lowrank::detail::store<C>(yj[c], nj);
            watch(ni, full);
            watch(nj, full);
          }
        }
      }
      return k;
    } else {
      dense_sample d;
      std::vector<double> t(p);
      for (std::uint64_t step = 0; step < k; ++step) {
        if (stop_early(full)) return step;
        s.draw(g, d);
        std::fill(t.begin(), t.end(), 0.0);
        for (std::size_t i = 0; i < Y.rows(); ++i) {
          const rep* yi = Y.row(i);
          for (std::size_t c = 0; c < p; ++c) t[c] += d.w[i] * static_cast<double>(lowrank::detail::load<C>(yi[c]));
        }
        const double a = eta * d.s;
        for (std::size_t i = 0; i < Y.rows(); ++i) {
          rep* yi = Y.row(i);
          for (std::size_t c = 0; c < p; ++c) {
            const rep o = lowrank::detail::load<C>(yi[c]);
            const rep nv = add(o, a * d.w[i] * t[c], r, sat);
            lowrank::detail::store<C>(yi[c], nv);
            watch(nv, full);
          }
        }
      }
      return k;
    }
  }
  static bool stop_early(const std::atomic<bool>& full) noexcept {
    if constexpr (traits::is_fixed) return full.load(std::memory_order_relaxed);
    (void)full;
    return false;
  }
  static void watch(rep v, std::atomic<bool>& full) noexcept {
    if constexpr (traits::is_fixed) {
      if (std::abs(static_cast<double>(v)) > 0.75 * traits::qmax) full.store(true, std::memory_order_relaxed);
    } else {
      (void)v;
      (void)full;
    }
  }

  template <class S>
  void radial(const S& s, alecton_result& out) const {
    const auto p = static_cast<Eigen::Index>(o_.rank);
    out.R = Eigen::MatrixXd::Zero(p, p);
    if (o_.radial_samples == 0 || out.why == status::diverged) {
      out.eigenvalues = Eigen::VectorXd::Zero(p);
      return;
    }
    counter_rng g(o_.seed, detail::alecton_stream_radial);
    // Plain loops over a row-major copy of Ŷ: no temporaries per sample.
    const std::size_t n = static_cast<std::size_t>(out.Y.rows()), pp = o_.rank;
    std::vector<double> Yr(n * pp), acc(pp * pp, 0.0), t(pp);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < pp; ++c)
        Yr[i * pp + c] = out.Y(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c));
    double csum = 0;
    if constexpr (entry_sampler<S>) {
      for (std::uint64_t l = 0; l < o_.radial_samples; ++l) {
        const entry_sample e = s.draw(g);
        const double* yi = Yr.data() + std::size_t(e.i) * pp;
        const double* yj = Yr.data() + std::size_t(e.j) * pp;
        // Ŷᵀ Ã Ŷ = v (y_i y_jᵀ + y_j y_iᵀ), or v y_i y_iᵀ on the diagonal.
        for (std::size_t a = 0; a < pp; ++a)
          for (std::size_t b = 0; b < pp; ++b)
            acc[a * pp + b] += e.i == e.j ? e.v * yi[a] * yi[b] : e.v * (yi[a] * yj[b] + yj[a] * yi[b]);
      }
    } else {
      dense_sample d;
      for (std::uint64_t l = 0; l < o_.radial_samples; ++l) {
        s.draw(g, d);
        std::fill(t.begin(), t.end(), 0.0);
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t c = 0; c < pp; ++c) t[c] += Yr[i * pp + c] * d.w[i];
        for (std::size_t a = 0; a < pp; ++a)
          for (std::size_t b = 0; b < pp; ++b) acc[a * pp + b] += d.s * t[a] * t[b];
        csum += d.c;
      }
    }
    for (std::size_t a = 0; a < pp; ++a)
      for (std::size_t b = 0; b < pp; ++b)
        out.R(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = acc[a * pp + b];
    const double L = static_cast<double>(o_.radial_samples);
    out.R /= L;
    out.R = 0.5 * (out.R + out.R.transpose()).eval();
    out.shift = csum / L;
    out.R -= out.shift * Eigen::MatrixXd::Identity(p, p);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(out.R, Eigen::EigenvaluesOnly);
    out.eigenvalues = es.eigenvalues().reverse();
  }

  alecton_options o_;
};

// Short names.
using alecton_f32 = alecton<float>;
using alecton_q16 = alecton<fixed<16, dynamic_scale>>;
using alecton_q8 = alecton<fixed<8, dynamic_scale>>;
using alecton_q8_nearest = alecton<fixed<8, dynamic_scale>, round::nearest_even>;
template <class Format = float, class Rounding = round::stochastic<>>
using alecton_hogwild = alecton<Format, Rounding, hogwild>;

}  // namespace lowrank
}  // namespace lowp
#endif
