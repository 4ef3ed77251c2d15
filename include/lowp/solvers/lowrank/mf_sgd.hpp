// SGD matrix factorization for ratings with low-precision factors: the
// LIBMF / FPSG method (Chin, Zhuang, Juan, Lin; RecSys 2013, TIST 2015,
// PAKDD 2015) with the factors stored in float or b-bit fixed point.
// Spec lowrank.md A.6.2; the objective is objectives/matrix_factorization.hpp.
//
// Per rating (u, v, r), with ratings divided by their standard deviation σ:
//   e = r - p_uᵀq_v  [- μ - b_u - b_v]
//   g_p = -e q_v + λ p_u,   g_q = -e p_u(old) + λ q_v
//   p_u -= η/√G_u · g_p,    q_v -= η/√H_v · g_q      (AdaGrad per row/column)
//   G_u += ||g_p||²/k,      H_v += ||g_q||²/k        (G, H start at 1)
// Scheduling (`blocked`, the default): user and item ids are randomly
// permuted and the matrix is cut into b x b blocks (b >= 2T), each sorted by
// (user, item). Each epoch processes every block once; a thread takes the
// free block (row band and column band not in use) with the lowest random
// priority. Running blocks never share a row or a column, so the model is
// never written concurrently: no race at all, and plain vectorisable loops.
// `hogwild` hands blocks out in priority order without the exclusivity and
// makes every factor access a relaxed std::atomic_ref (defined, TSan-clean).
//
// Fixed point (Format = fixed<B, dynamic_scale>): P and Q each have one step
// δ; an update x (in units of δ) is rounded with Rounding (stochastic:
// floor(x + U), U a 16-bit dither from counter_draw; nearest: floor(x + ½))
// and saturated to ±qmax (counted). After every epoch δ is re-picked so that
// max|P| maps to qmax·headroom (x1.25 if P saturated) and P is requantized
// (stochastically). The initial δ covers sqrt(max|r|/σ), a bound on the
// trained factors' scale, rather than the small random start. Biases,
// G/H and the arithmetic are float.
//
// Kernels: without races, float and fixed-point ratings go through one fused
// call per rating (detail/mf_kernel.hpp: both AdaGrad parts in one pass; the
// AVX-512 loop when compiled for it, else the scalar reference, same bits as
// the per-part definition above; tests/lowrank/mf_kernel_test.cpp). Training
// time is reported as wall time and as the training threads' CPU time.
// 8-bit (<= 8-bit) factors with k % 32 == 0 on a CPU with AVX-512 BW/VL and
// AES (mf_options::int8_kernel, default on) take the integer-domain update
// of detail/mf_int8.hpp instead: one binary scale per rating for the
// increment coefficients (16-bit, relative error <= 2^-15), exact integer
// row arithmetic, AdaGrad sums from exact Σp², Σpq, Σq², dithers from the
// ARS-5 AES generator of quantize/ars.hpp keyed by the same per-thread
// stream; still unbiased stochastic rounding, single-thread bit-identical
// per seed, SIMD == scalar reference. Its visiting order differs from the
// other kernels': each block's ratings (sorted by user) are cut into 16 runs
// dealt round robin, then grouped into batches of up to 16 ratings that
// share no user and no item (mf_batch_order); a batch's ratings are
// independent, so detail/mf_int8_batch.hpp updates them together (one
// vectorised prologue for the batch) with the result of updating them one
// after the other. Elsewhere (other k, other CPUs, hogwild) 8-bit factors
// keep the float-increment kernel.
//
// Randomness: permutations from (seed, 0x5100/0x5101), initial factors
// U(0,1)·√(1/k) from (seed, 0x5200), block priorities of epoch e from
// (seed, 0x5300 + e), thread t's rounding from (seed, 0x5400 + t). One
// thread with a seed is bit-identical run to run.
#ifndef LOWP_SOLVERS_LOWRANK_MF_SGD_HPP
#define LOWP_SOLVERS_LOWRANK_MF_SGD_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lowp/datasets/dataset.hpp"
#include "lowp/objectives/matrix_factorization.hpp"
#include "lowp/quantize/rng.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/solvers/lowrank/detail/mf_int8.hpp"
#include "lowp/solvers/lowrank/detail/mf_int8_batch.hpp"
#include "lowp/solvers/lowrank/detail/mf_kernel.hpp"
#include "lowp/solvers/lowrank/factors.hpp"
#include "lowp/solvers/report.hpp"

namespace lowp {
namespace lowrank {

struct blocked {
  static constexpr bool racy = false;
};
// hogwild (factors.hpp) is the other schedule.

struct mf_options {
  std::size_t rank = 64;        // k
  double lambda = 0.1;          // λ_P = λ_Q; as in LIBMF it is divided by σ with the ratings
  double step_size = 0.1;       // η
  std::size_t epochs = 20;
  int threads = 1;
  std::uint64_t seed = 0;
  bool biases = false;          // μ + b_u + b_v
  std::size_t blocks = 0;       // b; 0 = max(20, 2T)
  double headroom = 1.0;        // fixed point: max|P| maps to qmax·headroom at each rescale
                                // (8-bit needs the whole grid: 0.5 costs 0.013 RMSE on ML-100k)
  bool adagrad = true;          // false: constant η
  std::size_t warm_start_dims = 8;  // epoch 1 updates only these dimensions (LIBMF's AVX "slow_only"); 0 = off
  double initial_range = 0.0;   // fixed point: |value| mapped to qmax·headroom at the start;
                                // 0 = max(max|init|, sqrt(max|r|/σ)) (a bound on the trained scale)
  bool int8_kernel = true;      // <= 8-bit factors, rank a multiple of 32: the integer-domain update
                                // (detail/mf_int8.hpp, 1.5x faster at k = 32); false: the
                                // float-increment one (used anyway without AVX-512 + AES)
  bool int8_batch = true;       // with int8_kernel: each batch of independent ratings in one call
                                // (detail/mf_int8_batch.hpp, needs VAES and warm_start_dims % 8 == 0);
                                // false: the same order two ratings at a time (same bits, slower)
};

struct mf_epoch {
  std::size_t epoch = 0;        // 0 = the initial model
  double train_rmse = 0, test_rmse = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;           // cumulative training time (evaluation excluded)
  double cpu_seconds = 0;       // cumulative CPU time of the training threads (a loaded
                                // machine inflates `seconds`, not this)
  std::uint64_t saturations = 0;
};

struct mf_result {
  objectives::mf_model model;
  std::vector<mf_epoch> trace;
  status why = status::max_epochs;
  std::string message;
  std::uint64_t updates = 0, saturations = 0;
  double seconds = 0;  // training time (evaluation excluded)
  double cpu_seconds = 0;  // CPU time of the training threads, summed
};


template <class Format = float, class Rounding = round::stochastic<>, class Schedule = blocked>
class mf_sgd {
  using traits = factor_traits<Format>;
  using rep = typename traits::rep;
  static constexpr bool racy = Schedule::racy;

 public:
  static constexpr const char* name = "mf_sgd";
  static constexpr int bits = traits::bits;

  explicit mf_sgd(mf_options o) : o_(o) {
    if (o.rank == 0 || o.rank > 4096) throw std::invalid_argument("mf_sgd: rank must be in 1..4096");
    if (!(o.lambda >= 0) || !std::isfinite(o.lambda)) throw std::invalid_argument("mf_sgd: lambda must be >= 0");
    if (!(o.step_size > 0) || !std::isfinite(o.step_size)) throw std::invalid_argument("mf_sgd: step_size must be > 0");
    if (o.threads < 1 || o.threads > 1024) throw std::invalid_argument("mf_sgd: threads must be in 1..1024");
    if (!(o.headroom > 0 && o.headroom <= 1)) throw std::invalid_argument("mf_sgd: headroom must be in (0, 1]");
  }
  const mf_options& options() const noexcept { return o_; }

  // on_epoch(const mf_epoch&) -> bool (true = stop), called after each epoch
  // (and for epoch 0) on the calling thread. test may be null.
  mf_result fit(const datasets::ratings& train, const datasets::ratings* test = nullptr,
                const std::function<bool(const mf_epoch&)>& on_epoch = {}) const;

 private:
  mf_options o_;
};

// ---------------------------------------------------------------------------
// Implementation.

namespace detail {

struct mf_block {
  std::size_t begin, end;  // into the sorted rating arrays
};

template <class Format>
struct mf_state {
  using rep = typename factor_traits<Format>::rep;
  std::size_t k;
  factor_matrix<Format> P, Q;              // rows by permuted id
  // Per row, mf_aux floats: AdaGrad sums of the warm-start part and of the
  // rest, bias, unused (one 16-byte load per row for the int8 batch kernel).
  std::vector<float> au, av;
  float mu = 0;
  std::vector<std::uint32_t> u, v;         // permuted ids, block-sorted (int8 kernel: mf_batch_order)
  std::vector<float> r;                    // scaled ratings
};

// One rating update. Storage access through load/store (atomic_ref when racy).
// Aligned to a cache line: each thread's kernel object is written per rating
// (counter, saturation counts), and neighbours in a vector shared a line.
template <class Format, bool Stochastic, bool Racy>
struct alignas(64) mf_kernel {
  using traits = factor_traits<Format>;
  using rep = typename traits::rep;
  struct conc {
    static constexpr bool racy = Racy;
  };

  float eta, lambda;
  bool adagrad, biases;
  float* G;   // row r's AdaGrad sums at G[mf_aux r], G[mf_aux r + 1] (mf_state::au)
  float* H;
  float* bu;  // row r's bias at bu[mf_aux r]
  float* bv;
  float mu;
  rep* P;
  rep* Q;
  float dp, dq;  // steps (1 for float)
  std::size_t k;
  std::size_t slow = 0;     // warm-start dimensions
  bool slow_only = false;   // first epoch
  rng_key key;
  std::uint64_t ctr = 0;
  std::uint64_t sat_p = 0, sat_q = 0;  // saturated writes to P and to Q
  std::vector<float> pold;
  bool int8 = false;        // int8 rows through mf_i8_rate (mf_options::int8_kernel)
  mf_i8_params i8{};        // its per-epoch constants
  mf_i8_keys i8k{};         // its ARS-5 dither stream (the same key as `key`)

  // Lane count of the partial sums: float sums are accumulated in W lanes
  // (lane j takes elements j, j+W, ...) and the lanes added in order, so the
  // result is fixed by the code, not by what the compiler vectorises.
  static constexpr std::size_t W = 8;

  void prefetch(std::uint32_t u, std::uint32_t v) const noexcept {
    const char* p = reinterpret_cast<const char*>(P + std::size_t(u) * k);
    const char* q = reinterpret_cast<const char*>(Q + std::size_t(v) * k);
    const std::size_t last = k * sizeof(rep) - 1;  // a row may straddle lines
    __builtin_prefetch(p, 1);
    __builtin_prefetch(p + last, 1);
    __builtin_prefetch(q, 1);
    __builtin_prefetch(q + last, 1);
  }

  void operator()(std::uint32_t u, std::uint32_t v, float r) noexcept {
    rep* p = P + std::size_t(u) * k;
    rep* q = Q + std::size_t(v) * k;
    const std::size_t K = k;
    float* __restrict po = pold.data();
    if constexpr ((traits::is_fixed || std::is_same_v<rep, float>) && !Racy) {
      // The common cases in one fused call (detail/mf_kernel.hpp), the same
      // bits as the two part() calls below.
      mf_job<rep> j[1] = {job(u, v, r, pold.data())};
      rate<1>(j);
      return;
    }
    float dot = 0;
    if constexpr (Racy) {
      for (std::size_t c = 0; c < K; ++c) po[c] = static_cast<float>(lowrank::detail::load<conc>(p[c]));
      if constexpr (traits::is_fixed) {
        std::int64_t acc = 0;
        for (std::size_t c = 0; c < K; ++c)
          acc += std::int64_t(po[c]) * std::int64_t(lowrank::detail::load<conc>(q[c]));
        dot = static_cast<float>(acc) * (dp * dq);
      } else {
        for (std::size_t c = 0; c < K; ++c) dot += po[c] * lowrank::detail::load<conc>(q[c]);
      }
    } else {
      const rep* __restrict pr = p;
      const rep* __restrict qr = q;
      if constexpr (traits::is_fixed) {
        // int8·int8 sums fit int32 for k <= 4096; int16 products need int64.
        using acc_t = std::conditional_t<(traits::bits <= 8), std::int32_t, std::int64_t>;
        acc_t acc = 0;
        for (std::size_t c = 0; c < K; ++c) acc += acc_t(pr[c]) * acc_t(qr[c]);
        for (std::size_t c = 0; c < K; ++c) po[c] = static_cast<float>(pr[c]);
        dot = static_cast<float>(acc) * (dp * dq);
      } else {
        float lane[W] = {};
        std::size_t c = 0;
        for (; c + W <= K; c += W)
          for (std::size_t j = 0; j < W; ++j) lane[j] += pr[c + j] * qr[c + j];
        for (; c < K; ++c) lane[0] += pr[c] * qr[c];
        for (std::size_t j = 0; j < W; ++j) dot += lane[j];
        for (std::size_t c2 = 0; c2 < K; ++c2) po[c2] = pr[c2];
      }
    }
    float e = r - dot;
    float ebu = 0, ebv = 0;
    if (biases) {
      ebu = lowrank::detail::load<conc>(bu[mf_aux * u]);
      ebv = lowrank::detail::load<conc>(bv[mf_aux * v]);
      e -= mu + ebu + ebv;
    }
    // LIBMF's warm start: in the first epoch only the first `slow` dimensions
    // move; afterwards both parts, each with its own AdaGrad sum.
    part(p, q, po, e, 0, slow, mf_aux * u, mf_aux * v);
    if (!slow_only && slow < K) part(p, q, po, e, slow, K, mf_aux * u + 1, mf_aux * v + 1);
    if (biases) {
      lowrank::detail::store<conc>(bu[mf_aux * u], ebu + eta * (e - lambda * ebu));
      lowrank::detail::store<conc>(bv[mf_aux * v], ebv + eta * (e - lambda * ebv));
    }
  }

  // n <= 16 independent ratings (no shared user or item), int8 kernel only:
  // the batch kernel (simd) or its one-by-one reference.
  void batch(const std::uint32_t* u, const std::uint32_t* v, const float* r, int n, bool simd) noexcept {
    if constexpr (std::is_same_v<rep, std::int8_t>) {
      const mf_i8_model m{P, Q, G, H, mu, biases};
      std::uint32_t nsat_p = 0, nsat_q = 0;
      mf_i8_batch<Stochastic>(u, v, r, n, m, ctr, i8, i8k, simd, nsat_p, nsat_q);
      ctr += std::uint64_t(n) * k;
      sat_p += nsat_p;
      sat_q += nsat_q;
    }
  }

  // Two independent ratings (no shared row) in one kernel call.
  void pair(std::uint32_t u1, std::uint32_t v1, float r1, std::uint32_t u2, std::uint32_t v2, float r2) noexcept {
    mf_job<rep> j[2] = {job(u1, v1, r1, pold.data()), job(u2, v2, r2, pold.data())};
    rate<2>(j);
  }

  // Fixed point or float without races: N independent ratings (no shared
  // row) through mf_rate_fixed / mf_rate_float / mf_i8_rate. The float and
  // float-increment kernels use N = 1: two interleaved ratings (block halves
  // alternating) measured no faster, the update being throughput-bound; the
  // int8 kernel takes pairs where it has no batch kernel (fit's worker): one
  // vectorised prologue serves both ratings, 53 -> 44 ns per update at k = 32.
  mf_job<rep> job(std::uint32_t u, std::uint32_t v, float r, float* po) noexcept {
    float off = 0;
    if (biases) off = mu + bu[mf_aux * u] + bv[mf_aux * v];
    return mf_job<rep>{P + std::size_t(u) * k, Q + std::size_t(v) * k, G + mf_aux * u, H + mf_aux * v,
                       r, off, 0, 0.0f, po};
  }
  template <int N>
  void rate(mf_job<rep>* jb) noexcept {
    if constexpr (traits::is_fixed && std::is_same_v<rep, std::int8_t>) {
      if (int8) {
        // Every rating takes k draws (mf_int8.hpp), also in the warm-start epoch.
        for (int t = 0; t < N; ++t) jb[t].c0 = ctr + std::uint64_t(t) * k;
        ctr += std::uint64_t(N) * k;
        std::uint32_t nsat_p = 0, nsat_q = 0;
        mf_i8_rate<Stochastic, N>(jb, i8, i8k, nsat_p, nsat_q);
        sat_p += nsat_p;
        sat_q += nsat_q;
        rate_biases<N>(jb);
        return;
      }
    }
    if constexpr (traits::is_fixed) {
      const std::size_t n = slow_only ? slow : k;  // draws per rating: the parts' lengths
      for (int t = 0; t < N; ++t) jb[t].c0 = ctr + std::uint64_t(t) * n;
      ctr += std::uint64_t(N) * n;
      const mf_update_params up{eta, lambda, dp, dq, static_cast<float>(traits::qmax), adagrad, k, slow, slow_only};
      std::uint32_t nsat_p = 0, nsat_q = 0;
      mf_rate_fixed<rep, Stochastic, N>(jb, up, key, nsat_p, nsat_q);
      sat_p += nsat_p;
      sat_q += nsat_q;
    } else {
      const mf_update_params up{eta, lambda, 1.0f, 1.0f, 0.0f, adagrad, k, slow, slow_only};
      mf_rate_float<N>(jb, up);
    }
    rate_biases<N>(jb);
  }
  template <int N>
  void rate_biases(mf_job<rep>* jb) noexcept {
    if (biases)
      for (int t = 0; t < N; ++t) {
        float& bu_ = jb[t].G2[mf_aux_bias];
        float& bv_ = jb[t].H2[mf_aux_bias];
        const float ebu = bu_, ebv = bv_, e = jb[t].e;
        bu_ = ebu + eta * (e - lambda * ebu);
        bv_ = ebv + eta * (e - lambda * ebv);
      }
  }
  void part(rep* p, rep* q, const float* po, float e, std::size_t d0, std::size_t d1, std::size_t gi,
            std::size_t hi) noexcept {
    const float gu = lowrank::detail::load<conc>(G[gi]), hv = lowrank::detail::load<conc>(H[hi]);
    const float ep = adagrad ? eta / std::sqrt(gu) : eta;
    const float eq = adagrad ? eta / std::sqrt(hv) : eta;
    float gp2v[W] = {}, gq2v[W] = {};
    const std::size_t n = d1 - d0;
    std::uint32_t nsat_p = 0, nsat_q = 0;
    if constexpr (traits::is_fixed) {
      // Real gradient components: g_p = -e δq Q + λ δp P; the update in
      // units of δp is -ep g_p / δp = ap Q + bp P with ap = ep e δq/δp, bp = -ep λ.
      const float qmax = static_cast<float>(traits::qmax);
      const float ap = ep * e * dq / dp, bp = -ep * lambda;
      const float aq = eq * e * dp / dq, bq = -eq * lambda;
      const float ed = e * dq, ld = lambda * dp, ed2 = e * dp, ld2 = lambda * dq;
      const std::uint64_t c0 = ctr;
      ctr += n;
      const rng_key kk = key;
      // Element i (0-based in this part) rounds p with the low and q with the
      // high 16 bits of draw c0 + i: the same numbers whatever the vector width. Without
      // races whole 8-element chunks go through mf_part_fixed
      // (detail/mf_kernel.hpp: AVX-512 or the scalar reference, same bits).
      std::size_t c = d0;
      if constexpr (!Racy) {
        const mf_fixed_coefs cf{ap, bp, aq, bq, ld, ed, ld2, ed2, qmax};
        c = mf_part_fixed<rep, Stochastic>(p, q, po, d0, d1, cf, kk, c0, gp2v, gq2v, nsat_p, nsat_q);
      }
      for (; c < d1; ++c) {
        const float qc = static_cast<float>(lowrank::detail::load<conc>(q[c]));
        const float pc = po[c];
        const float gp = ld * pc - ed * qc, gq = ld2 * qc - ed2 * pc;
        gp2v[0] += gp * gp;
        gq2v[0] += gq * gq;
        const std::uint64_t i = c - d0;
        const std::uint32_t w2 = Stochastic ? counter_draw(kk, c0 + i) : 0u;
        const std::uint32_t w1 = w2 << 16;  // p: the low 16 bits, q: the high ones
        // Round the increment alone (exact in float), then add the integer.
        lowrank::detail::store<conc>(p[c], mf_round<rep, Stochastic>(ap * qc + bp * pc, pc, w1, qmax, nsat_p));
        lowrank::detail::store<conc>(q[c], mf_round<rep, Stochastic>(aq * pc + bq * qc, qc, w2, qmax, nsat_q));
      }
    } else {
      auto body = [&](std::size_t c, std::size_t j, rep* __restrict pw, rep* __restrict qw) {
        const float qc = Racy ? lowrank::detail::load<conc>(q[c]) : qw[c];
        const float pc = po[c];
        const float gp = lambda * pc - e * qc, gq = lambda * qc - e * pc;
        gp2v[j] += gp * gp;
        gq2v[j] += gq * gq;
        if constexpr (Racy) {
          lowrank::detail::store<conc>(p[c], pc - ep * gp);
          lowrank::detail::store<conc>(q[c], qc - eq * gq);
        } else {
          pw[c] = pc - ep * gp;
          qw[c] = qc - eq * gq;
        }
      };
      std::size_t c = d0;
      if constexpr (Racy) {
        for (; c + W <= d1; c += W)
          for (std::size_t j = 0; j < W; ++j) body(c + j, j, p, q);
      } else {
        c = mf_part_float(p, q, po, d0, d1, lambda, e, ep, eq, gp2v, gq2v);
      }
      for (; c < d1; ++c) body(c, 0, p, q);
    }
    sat_p += nsat_p;
    sat_q += nsat_q;
    if (adagrad) {
      float gp2 = 0, gq2 = 0;
      for (std::size_t j = 0; j < W; ++j) {
        gp2 += gp2v[j];
        gq2 += gq2v[j];
      }
      const float inv = 1.0f / static_cast<float>(n);
      lowrank::detail::store<conc>(G[gi], gu + gp2 * inv);
      lowrank::detail::store<conc>(H[hi], hv + gq2 * inv);
    }
  }
};

// Conflict-free block scheduler (FPSG): hand out the free block of lowest
// priority among those not yet done this epoch.
class block_scheduler {
 public:
  block_scheduler(std::size_t b, std::vector<double> priority, bool exclusive)
      : b_(b), prio_(std::move(priority)), done_(b * b, false), row_busy_(b, false), col_busy_(b, false),
        exclusive_(exclusive) {}
  // Returns b*b when the epoch has no block left for this thread.
  std::size_t acquire() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (handed_ == b_ * b_) return b_ * b_;
      std::size_t best = b_ * b_;
      for (std::size_t i = 0; i < b_ * b_; ++i) {
        if (done_[i]) continue;
        if (exclusive_ && (row_busy_[i / b_] || col_busy_[i % b_])) continue;
        if (best == b_ * b_ || prio_[i] < prio_[best]) best = i;
      }
      if (best != b_ * b_) {
        done_[best] = true;
        ++handed_;
        row_busy_[best / b_] = true;
        col_busy_[best % b_] = true;
        return best;
      }
      cv_.wait(lk);
    }
  }
  void release(std::size_t blk) {
    {
      std::lock_guard<std::mutex> lk(m_);
      row_busy_[blk / b_] = false;
      col_busy_[blk % b_] = false;
    }
    cv_.notify_all();
  }

 private:
  std::size_t b_;
  std::vector<double> prio_;
  std::vector<bool> done_, row_busy_, col_busy_;
  bool exclusive_;
  std::size_t handed_ = 0;
  std::mutex m_;
  std::condition_variable cv_;
};

// CPU time of the calling thread in seconds (0 where POSIX thread clocks are missing).
inline double thread_cpu_seconds() noexcept {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec t{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
#else
  return 0;
#endif
}

// The int8 kernel's visiting order (in place, block by block) and its
// batches: a block's ratings, sorted by user, are cut into 16 runs of equal
// length dealt round robin (neighbours then mostly belong to different
// users); batches of at most mf_i8_batch_max ratings sharing no user or item
// are then filled in that order, a rating that clashes with the batch being
// filled waiting (with at most `lookahead` others) for a later batch
// (lookahead 1: a batch ends at its first clash).
// Cutting at the first clash instead left batches of ~12 on the benchmark's
// blocks of 250 items, and the per-batch work is then shared by fewer
// ratings. Returns each batch's length at its first index.
inline std::vector<std::uint8_t> mf_batch_order(std::vector<std::uint32_t>& u, std::vector<std::uint32_t>& v,
                                                std::vector<float>& r, const std::vector<mf_block>& blocks,
                                                std::size_t lookahead = 32) {
  constexpr std::size_t W = mf_i8_batch_max;
  std::vector<std::uint8_t> len(u.size(), 0);
  std::vector<std::uint32_t> tu, tv;
  std::vector<float> tr;
  std::vector<std::size_t> seq, wait, next_wait;
  for (const mf_block& B : blocks) {
    const std::size_t n = B.end - B.begin;
    if (n == 0) continue;
    tu.assign(u.begin() + std::ptrdiff_t(B.begin), u.begin() + std::ptrdiff_t(B.end));
    tv.assign(v.begin() + std::ptrdiff_t(B.begin), v.begin() + std::ptrdiff_t(B.end));
    tr.assign(r.begin() + std::ptrdiff_t(B.begin), r.begin() + std::ptrdiff_t(B.end));
    std::size_t seg[W + 1];
    for (std::size_t j = 0; j <= W; ++j) seg[j] = j * n / W;
    seq.clear();
    for (std::size_t i = 0; i < (n + W - 1) / W; ++i)
      for (std::size_t j = 0; j < W; ++j)
        if (seg[j] + i < seg[j + 1]) seq.push_back(seg[j] + i);
    wait.clear();
    std::size_t next = 0, o = B.begin;
    std::size_t batch[W];
    while (o < B.end) {
      std::size_t m = 0;
      auto fits = [&](std::size_t x) {
        for (std::size_t a = 0; a < m; ++a)
          if (tu[batch[a]] == tu[x] || tv[batch[a]] == tv[x]) return false;
        return true;
      };
      next_wait.clear();
      for (std::size_t x : wait) {
        if (m < W && fits(x)) batch[m++] = x;
        else next_wait.push_back(x);
      }
      wait.swap(next_wait);
      while (m < W && next < n && (wait.size() < lookahead || m == 0)) {
        const std::size_t x = seq[next++];
        if (fits(x)) batch[m++] = x;
        else wait.push_back(x);
      }
      len[o] = static_cast<std::uint8_t>(m);
      for (std::size_t a = 0; a < m; ++a, ++o) {
        u[o] = tu[batch[a]];
        v[o] = tv[batch[a]];
        r[o] = tr[batch[a]];
      }
    }
  }
  return len;
}

inline std::vector<std::uint32_t> random_permutation(std::size_t n, counter_rng g) {
  std::vector<std::uint32_t> p(n);
  std::iota(p.begin(), p.end(), 0u);
  for (std::size_t i = n; i > 1; --i) {
    const std::size_t j = (static_cast<std::uint64_t>(g.next_u32()) * i) >> 32;
    std::swap(p[i - 1], p[j]);
  }
  return p;
}

}  // namespace detail

template <class Format, class Rounding, class Schedule>
mf_result mf_sgd<Format, Rounding, Schedule>::fit(const datasets::ratings& train, const datasets::ratings* test,
                                                   const std::function<bool(const mf_epoch&)>& on_epoch) const {
  if (train.size() == 0) throw std::invalid_argument("mf_sgd: no training ratings");
  if (train.user.size() != train.size() || train.item.size() != train.size())
    throw std::invalid_argument("mf_sgd: ratings arrays of unequal length");
  const std::size_t nu = train.n_users, nv = train.n_items, k = o_.rank, N = train.size();
  for (std::size_t i = 0; i < N; ++i) {
    if (train.user[i] >= nu || train.item[i] >= nv)
      throw std::invalid_argument("mf_sgd: rating " + std::to_string(i) + " has an id beyond n_users/n_items");
    if (!std::isfinite(train.rating[i])) throw std::invalid_argument("mf_sgd: rating " + std::to_string(i) + " is not finite");
  }
  const int T = o_.threads;
  const std::size_t b = std::max<std::size_t>(o_.blocks == 0 ? 20 : o_.blocks, 2 * std::size_t(T));

  // Scale: divide by the rating standard deviation (about 0; LIBMF's scale_problem).
  double mean = 0, m2 = 0;
  for (float x : train.rating) mean += x;
  mean /= double(N);
  for (float x : train.rating) m2 += (x - mean) * (x - mean);
  double sigma = std::sqrt(m2 / double(N));
  if (!(sigma > 0)) sigma = std::abs(mean) > 0 ? std::abs(mean) : 1.0;

  detail::mf_state<Format> st;
  st.k = k;
  st.P = factor_matrix<Format>(nu, k);
  st.Q = factor_matrix<Format>(nv, k);
  // Per row: two AdaGrad sums (warm-start part, rest) from 1, the bias from 0.
  for (auto* A : {&st.au, &st.av}) {
    A->assign(detail::mf_aux * (A == &st.au ? nu : nv), 0.0f);
    for (std::size_t i = 0; i < A->size(); i += detail::mf_aux) (*A)[i] = (*A)[i + 1] = 1.0f;
  }
  if (o_.biases) st.mu = static_cast<float>(mean / sigma);
  const auto pu = detail::random_permutation(nu, counter_rng(o_.seed, 0x5100));
  const auto pv = detail::random_permutation(nv, counter_rng(o_.seed, 0x5101));

  // Initial factors U(0,1)·√(1/k), in original row order then permuted rows.
  {
    counter_rng g(o_.seed, 0x5200);
    const double s = std::sqrt(1.0 / double(k));
    std::vector<double> a(nu * k), c(nv * k);
    for (std::size_t i = 0; i < nu; ++i)
      for (std::size_t j = 0; j < k; ++j) a[std::size_t(pu[i]) * k + j] = g.next_double() * s;
    for (std::size_t i = 0; i < nv; ++i)
      for (std::size_t j = 0; j < k; ++j) c[std::size_t(pv[i]) * k + j] = g.next_double() * s;
    auto r0 = lowrank::detail::make_rounding<Rounding>(o_.seed, 0x5201);
    double rmax = 0;
    for (float x : train.rating) rmax = std::max(rmax, std::abs(double(x)));
    const double range = o_.initial_range > 0 ? o_.initial_range : std::sqrt(rmax / sigma);
    st.P.assign(a.data(), r0, o_.headroom, range);
    st.Q.assign(c.data(), r0, o_.headroom, range);
  }

  // Grid and sort.
  std::vector<std::size_t> order(N);
  std::vector<std::uint32_t> blk(N);
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t bu = std::size_t(pu[train.user[i]]) * b / nu, bvv = std::size_t(pv[train.item[i]]) * b / nv;
    blk[i] = static_cast<std::uint32_t>(bu * b + bvv);
  }
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    if (blk[x] != blk[y]) return blk[x] < blk[y];
    const auto ux = pu[train.user[x]], uy = pu[train.user[y]];
    if (ux != uy) return ux < uy;
    const auto vx = pv[train.item[x]], vy = pv[train.item[y]];
    return vx != vy ? vx < vy : x < y;
  });
  st.u.resize(N);
  st.v.resize(N);
  st.r.resize(N);
  std::vector<detail::mf_block> blocks(b * b, detail::mf_block{0, 0});
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t o = order[i];
    st.u[i] = pu[train.user[o]];
    st.v[i] = pv[train.item[o]];
    st.r[i] = static_cast<float>(train.rating[o] / sigma);
  }
  for (std::size_t i = 0, cur = 0; cur < b * b; ++cur) {
    blocks[cur].begin = i;
    while (i < N && blk[order[i]] == cur) ++i;
    blocks[cur].end = i;
  }

  // The int8 kernel's order and batches (mf_batch_order).
  const std::size_t slow = std::min<std::size_t>(k, o_.warm_start_dims == 0 ? k : o_.warm_start_dims);
  const bool i8_order = std::is_same_v<rep, std::int8_t> && !racy && o_.int8_kernel && detail::mf_i8_available(k);
  const bool i8_simd = i8_order && o_.int8_batch && detail::mf_i8_batch_available(k, slow);
  std::vector<std::uint8_t> batch_len;
  if (i8_order) batch_len = detail::mf_batch_order(st.u, st.v, st.r, blocks);

  mf_result res;
  // The model in real units (original ids).
  auto export_model = [&]() {
    objectives::mf_model m;
    m.users = nu;
    m.items = nv;
    m.rank = k;
    m.P.resize(nu * k);
    m.Q.resize(nv * k);
    const double ss = std::sqrt(sigma);  // σ pred = (√σ p)ᵀ(√σ q)
    for (std::size_t i = 0; i < nu; ++i)
      for (std::size_t j = 0; j < k; ++j) m.P[i * k + j] = static_cast<float>(st.P.value(pu[i], j) * ss);
    for (std::size_t i = 0; i < nv; ++i)
      for (std::size_t j = 0; j < k; ++j) m.Q[i * k + j] = static_cast<float>(st.Q.value(pv[i], j) * ss);
    if (o_.biases) {
      m.user_bias.resize(nu);
      m.item_bias.resize(nv);
      for (std::size_t i = 0; i < nu; ++i)
        m.user_bias[i] = static_cast<float>(st.au[detail::mf_aux * pu[i] + detail::mf_aux_bias] * sigma);
      for (std::size_t i = 0; i < nv; ++i)
        m.item_bias[i] = static_cast<float>(st.av[detail::mf_aux * pv[i] + detail::mf_aux_bias] * sigma);
      m.mean = double(st.mu) * sigma;
    }
    m.fallback = mean;
    return m;
  };

  double train_seconds = 0, train_cpu = 0;
  auto record = [&](std::size_t epoch, std::uint64_t sats) -> bool {
    res.model = export_model();
    mf_epoch e;
    e.epoch = epoch;
    e.train_rmse = objectives::rmse(res.model, train);
    if (test != nullptr && test->size() > 0) e.test_rmse = objectives::rmse(res.model, *test);
    e.seconds = train_seconds;
    e.cpu_seconds = train_cpu;
    e.saturations = sats;
    res.trace.push_back(e);
    const double first = res.trace.front().train_rmse;
    if (!std::isfinite(e.train_rmse) || e.train_rmse > 100.0 * first + 1.0) {
      res.why = status::diverged;
      res.message = "mf_sgd: training RMSE " + std::to_string(e.train_rmse) + " at epoch " + std::to_string(epoch) +
                    " (diverged; lower step_size)";
      return true;
    }
    if (on_epoch && on_epoch(e)) {
      res.why = status::stopped_by_callback;
      return true;
    }
    return false;
  };
  if (record(0, 0)) return res;

  std::vector<detail::mf_kernel<Format, Rounding::is_stochastic, racy>> kern(static_cast<std::size_t>(T));
  for (int t = 0; t < T; ++t) {
    auto& kr = kern[std::size_t(t)];
    kr.eta = static_cast<float>(o_.step_size);
    kr.lambda = static_cast<float>(o_.lambda / sigma);  // LIBMF: λ /= σ with the ratings
    kr.adagrad = o_.adagrad;
    kr.biases = o_.biases;
    kr.mu = st.mu;
    kr.k = k;
    kr.slow = slow;
    kr.key = counter_rng(o_.seed, 0x5400 + std::uint64_t(t)).key();
    if constexpr (std::is_same_v<rep, std::int8_t>) kr.i8k = detail::mf_i8_make_keys(kr.key);
    kr.pold.resize(k);
  }
  auto requant_rng = lowrank::detail::make_rounding<Rounding>(o_.seed, 0x5202);

  for (std::size_t epoch = 1; epoch <= o_.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<double> prio(b * b);
    {
      counter_rng g(o_.seed, 0x5300 + epoch);
      for (auto& x : prio) x = g.next_double();
    }
    detail::block_scheduler sched(b, std::move(prio), !racy);
    for (auto& kr : kern) {
      kr.G = st.au.data();
      kr.H = st.av.data();
      kr.bu = st.au.data() + detail::mf_aux_bias;
      kr.bv = st.av.data() + detail::mf_aux_bias;
      kr.P = st.P.data();
      kr.Q = st.Q.data();
      kr.dp = static_cast<float>(st.P.step());
      kr.dq = static_cast<float>(st.Q.step());
      kr.sat_p = kr.sat_q = 0;
      kr.slow_only = epoch == 1 && o_.warm_start_dims != 0;
      if constexpr (std::is_same_v<rep, std::int8_t>) {
        // hogwild keeps the float-increment path; so do CPUs without AVX-512 or AES (mf_i8_available).
        kr.int8 = i8_order;
        kr.i8 = detail::mf_i8_make_params(kr.eta, kr.lambda, kr.dp, kr.dq, static_cast<std::int32_t>(traits::qmax),
                                          kr.adagrad, kr.slow_only, k, kr.slow);
      }
    }
    std::vector<double> cpu(static_cast<std::size_t>(T), 0.0);
    auto worker = [&](int t) {
      auto& kr = kern[std::size_t(t)];
      const double c0 = detail::thread_cpu_seconds();
      for (;;) {
        const std::size_t bi = sched.acquire();
        if (bi == b * b) {
          cpu[std::size_t(t)] = detail::thread_cpu_seconds() - c0;
          return;
        }
        const detail::mf_block& B = blocks[bi];
        // Item rows are scattered (users are sorted within a block): fetch
        // the rows of the rating D ahead while this one is updated.
        constexpr std::size_t D = 4;
        if constexpr (std::is_same_v<rep, std::int8_t> && !racy) {
          if (kr.int8) {
            // Batches of independent ratings (mf_batch_order); rows are
            // fetched two batches ahead.
            constexpr std::size_t ahead = 2 * detail::mf_i8_batch_max;
            for (std::size_t i = B.begin; i < B.end;) {
              const std::size_t n = batch_len[i];
              for (std::size_t x = i + ahead; x < std::min(i + ahead + n, B.end); ++x) kr.prefetch(st.u[x], st.v[x]);
              if (i8_simd) {
                kr.batch(&st.u[i], &st.v[i], &st.r[i], static_cast<int>(n), true);
              } else {
                std::size_t j = i;
                for (; j + 1 < i + n; j += 2) kr.pair(st.u[j], st.v[j], st.r[j], st.u[j + 1], st.v[j + 1], st.r[j + 1]);
                if (j < i + n) kr(st.u[j], st.v[j], st.r[j]);
              }
              i += n;
            }
            sched.release(bi);
            continue;
          }
        }
        std::size_t i = B.begin;
        for (; i + D < B.end; ++i) {
          kr.prefetch(st.u[i + D], st.v[i + D]);
          kr(st.u[i], st.v[i], st.r[i]);
        }
        for (; i < B.end; ++i) kr(st.u[i], st.v[i], st.r[i]);
        sched.release(bi);
      }
    };
    if (T == 1) {
      worker(0);
    } else {
      std::vector<std::thread> pool;
      for (int t = 1; t < T; ++t) pool.emplace_back(worker, t);
      worker(0);
      for (auto& th : pool) th.join();
    }
    std::uint64_t sats = 0, sat_p = 0, sat_q = 0;
    for (auto& kr : kern) {
      sat_p += kr.sat_p;
      sat_q += kr.sat_q;
    }
    sats = sat_p + sat_q;
    // Fixed point: re-pick the steps so the factors use the grid well.
    if constexpr (traits::is_fixed) {
      for (auto* F : {&st.P, &st.Q}) {
        // A matrix that saturated says nothing about its true range: widen
        // it by 1/4 then (re-picking max|P| would keep the clamp forever; a
        // little clipping is harmless, doubling costs 0.004 RMSE on ML-100k).
        const double m = F->max_abs();
        const bool saturated = (F == &st.P ? sat_p : sat_q) > 0;
        sats += F->requantize(requant_rng, o_.headroom, saturated ? 1.25 * m : 0.0);
      }
    }
    for (double c : cpu) train_cpu += c;
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.updates += N;
    res.saturations += sats;
    if (record(epoch, sats)) break;
  }
  res.seconds = train_seconds;
  res.cpu_seconds = train_cpu;
  return res;
}

using mf_sgd_f32 = mf_sgd<float>;
using mf_sgd_q16 = mf_sgd<fixed<16, dynamic_scale>>;
using mf_sgd_q8 = mf_sgd<fixed<8, dynamic_scale>>;

}  // namespace lowrank
}  // namespace lowp
#endif
