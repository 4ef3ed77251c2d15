// Specialised Gibbs kernel for the homogeneous Ising torus (the 1000 x 1000
// benchmark of issue 8): pi(s) ~ exp(beta sum_<ij> s_i s_j + h sum_i s_i).
//
// Why it is fast and still exact Gibbs:
//  - Checkerboard (chromatic) order: the sites of one colour are conditionally
//    independent given the other colour, so resampling a whole colour at once
//    is exactly a systematic-scan Gibbs sweep. Each colour is stored in its
//    own array, colour c row i holding columns j = 2k + ((i + c) & 1): the
//    four neighbours of (c, i, k) are (1-c, i+-1, k), (1-c, i, k) and
//    (1-c, i, k-1) or (k+1) (row parity), so a row update is contiguous
//    byte loads that the compiler vectorises.
//  - Spins are uint8 0/1, and the conditional depends only on the number of
//    +1 neighbours n1 in 0..4: P(+1) comes from a 5-entry table (no exp).
//  - Randomness is the project's counter-based generator evaluated per lane:
//    draw(key, hi = 2 * sweep + colour, lo = row * draws_per_row + index).
//    A draw is a pure function of (seed, sweep, colour, site), so the chromatic
//    result is bit-identical for any thread count.
//  - Coins: float24 compares a 24-bit float uniform with a float probability
//    (one draw per site: the float reference); lp16 compares a 16-bit uniform
//    with a 16-bit integer threshold round(p * 2^16) (half a draw per site:
//    the low-precision sampler; per-transition bias <= 2^-17, below any test's
//    resolution; a 8-bit coin with an 8-bit stochastic-rounding dither uses
//    the same 16 random bits and has the same law up to 2^-16).
//  - Threads (std::thread) own contiguous row bands. chromatic: a barrier after
//    each colour (exact, deterministic). hogwild: no barrier, threads drift
//    apart and read each other's boundary rows stale (HOGWILD!-Gibbs); those
//    rows are read and written with relaxed std::atomic_ref (TSan-clean), the
//    interior rows, which only their owner touches, with plain vector code.
// Speed needs AVX2 or AVX-512 code generation (-mavx2 / -march=native): the
// generator uses 32-bit lane multiplies.
#ifndef LOWP_SOLVERS_GIBBS_GRID_HPP
#define LOWP_SOLVERS_GIBBS_GRID_HPP

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <barrier>
#include <thread>

#include "lowp/quantize/rng.hpp"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>
#define LOWP_GIBBS_GRID_AVX512 1
#endif

namespace lowp {
namespace gibbs {

enum class grid_coin { float24, lp16 };

struct grid_options {
  std::uint64_t sweeps = 100;  // one sweep = both colours = rows * cols updates
  std::uint64_t burn_in = 10;
  std::uint64_t seed = 0;
  int threads = 1;
  bool hogwild = false;  // false: barrier after each colour (exact, deterministic)
  grid_coin coin = grid_coin::lp16;
  bool tally = true;     // count +1 per site after burn-in
  bool force_scalar = false;  // skip the AVX-512 block kernel (to check it is bit-identical)
};

namespace detail {

inline std::uint32_t grid_draw(rng_key key, std::uint32_t hi, std::uint32_t lo) noexcept {
  return lowp::detail::mix32(lowp::detail::mix32(lo ^ key.k0) ^ (hi + key.k1));
}

struct grid_tables {
  std::uint32_t t16[5];  // round(p * 65536)
  float pf[5];
};

// Table lookup written as a chain of selects on values (not loads), which
// the vectoriser turns into compares and blends.
template <class T>
struct table5 {
  T t0, t1, t2, t3, t4;
  explicit table5(const T* t) noexcept : t0(t[0]), t1(t[1]), t2(t[2]), t3(t[3]), t4(t[4]) {}
  T operator()(std::uint32_t n) const noexcept {
    T r = t0;
    r = n == 1 ? t1 : r;
    r = n == 2 ? t2 : r;
    r = n == 3 ? t3 : r;
    r = n == 4 ? t4 : r;
    return r;
  }
};
template <class T>
T pick(const T* t, std::uint32_t n) noexcept {
  return table5<T>(t)(n);
}

}  // namespace detail

#if defined(LOWP_GIBBS_GRID_AVX512) && defined(__GNUC__) && !defined(__clang__)
// GCC 12 warns about the intrinsics' own _mm512_undefined_* placeholders.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define LOWP_GIBBS_GRID_POP 1
#endif

class ising_grid {
 public:
  ising_grid(std::size_t rows, std::size_t cols, double beta, double h) : rows_(rows), cols_(cols), w_(cols / 2) {
    if (rows < 4 || cols < 4 || rows % 2 || cols % 2)
      throw std::invalid_argument("ising_grid: rows and cols must be even and >= 4");
    if (!std::isfinite(beta) || !std::isfinite(h)) throw std::invalid_argument("ising_grid: beta and h must be finite");
    const std::uint64_t per_row = (w_ + 31) / 32 * 32;
    if (per_row * rows_ >= (std::uint64_t(1) << 32)) throw std::invalid_argument("ising_grid: too many sites");
    for (int n = 0; n <= 4; ++n) {
      const double field = h + beta * (2.0 * n - 4.0);
      const double p = 1.0 / (1.0 + std::exp(-2.0 * field));
      tab_.t16[n] = static_cast<std::uint32_t>(std::nearbyint(p * 65536.0));
      tab_.pf[n] = static_cast<float>(p);
    }
    for (int c = 0; c < 2; ++c) {
      spin_[c].assign(rows_ * w_, 0);
      count_[c].assign(rows_ * w_, 0);
    }
  }

  std::size_t rows() const noexcept { return rows_; }
  std::size_t cols() const noexcept { return cols_; }
  std::uint8_t spin(std::size_t i, std::size_t j) const noexcept { return spin_[(i + j) & 1][i * w_ + j / 2]; }
  void set_spin(std::size_t i, std::size_t j, std::uint8_t s) noexcept { spin_[(i + j) & 1][i * w_ + j / 2] = s != 0; }
  // P(s_ij = +1) estimated from the tallies of the last run().
  double marginal(std::size_t i, std::size_t j) const noexcept {
    return tallied_ ? static_cast<double>(count_[(i + j) & 1][i * w_ + j / 2]) / static_cast<double>(tallied_) : 0.0;
  }
  std::uint64_t tallied_sweeps() const noexcept { return tallied_; }

  // Runs o.sweeps sweeps from the current state; returns seconds.
  double run(const grid_options& o) {
    if (o.sweeps == 0 || o.burn_in >= o.sweeps) throw std::invalid_argument("ising_grid: need 0 <= burn_in < sweeps");
    if (o.threads < 1) throw std::invalid_argument("ising_grid: threads must be >= 1");
    if (o.sweeps >= (std::uint64_t(1) << 31)) throw std::invalid_argument("ising_grid: too many sweeps");
    for (int c = 0; c < 2; ++c) count_[c].assign(rows_ * w_, 0);
    tallied_ = o.tally ? o.sweeps - o.burn_in : 0;
    const rng_key key = counter_rng(o.seed, 0).key();
    const int T = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(o.threads), rows_ / 2));
    const auto t0 = std::chrono::steady_clock::now();
    // std::thread + std::barrier rather than OpenMP: libgomp's fork, join and
    // barrier are invisible to ThreadSanitizer, these are not.
    std::barrier<> sync(T);
    std::vector<std::thread> pool;
    for (int t = 1; t < T; ++t) pool.emplace_back([&, t] { worker(o, key, t, T, sync); });
    worker(o, key, 0, T, sync);
    for (auto& th : pool) th.join();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

 private:
  void worker(const grid_options& o, rng_key key, int tid, int T, std::barrier<>& sync) {
    const std::size_t r0 = rows_ * static_cast<std::size_t>(tid) / static_cast<std::size_t>(T);
    const std::size_t r1 = rows_ * static_cast<std::size_t>(tid + 1) / static_cast<std::size_t>(T);
    std::vector<std::uint8_t> nn(w_ + 32);
    const bool shared_edges = o.hogwild && T > 1;
    for (std::uint64_t s = 0; s < o.sweeps; ++s) {
      const bool tally = o.tally && s >= o.burn_in;
      for (int c = 0; c < 2; ++c) {
        const auto hi = static_cast<std::uint32_t>(2 * s + static_cast<std::uint64_t>(c));
        for (std::size_t i = r0; i < r1; ++i) {
          if (shared_edges && (i == r0 || i + 1 == r1))
            update_row_atomic(o.coin, c, i, key, hi, tally);
          else if (o.coin == grid_coin::lp16)
            update_row<grid_coin::lp16>(c, i, key, hi, tally, nn.data(), o.force_scalar);
          else
            update_row<grid_coin::float24>(c, i, key, hi, tally, nn.data(), o.force_scalar);
        }
        if (!o.hogwild && T > 1) sync.arrive_and_wait();
      }
    }
  }

  std::size_t draws_per_row(grid_coin coin) const noexcept {
    return (w_ + 31) / 32 * (coin == grid_coin::lp16 ? 16 : 32);
  }

  // Site k's draw index within its row and which 16-bit half (lp16): blocks of
  // 32 sites use 16 draws, low halves for the first 16 sites, high for the rest.
  static std::size_t draw_index(grid_coin coin, std::size_t k) noexcept {
    return coin == grid_coin::lp16 ? (k / 32) * 16 + (k % 16) : k;
  }

  template <grid_coin Coin>
  void update_row(int c, std::size_t i, rng_key key, std::uint32_t hi, bool tally, std::uint8_t* nn,
                  [[maybe_unused]] bool force_scalar) {
    const std::size_t W = w_;
    const std::uint8_t* other = spin_[1 - c].data();
    const std::uint8_t* up = other + ((i + rows_ - 1) % rows_) * W;
    const std::uint8_t* dn = other + ((i + 1) % rows_) * W;
    const std::uint8_t* mid = other + i * W;
    std::uint8_t* out = spin_[c].data() + i * W;
    std::uint32_t* cnt = count_[c].data() + i * W;
    for (std::size_t k = 0; k < W; ++k) nn[k] = static_cast<std::uint8_t>(up[k] + dn[k] + mid[k]);
    if ((i + static_cast<std::size_t>(c)) & 1) {  // side neighbour k + 1
      for (std::size_t k = 0; k + 1 < W; ++k) nn[k] = static_cast<std::uint8_t>(nn[k] + mid[k + 1]);
      nn[W - 1] = static_cast<std::uint8_t>(nn[W - 1] + mid[0]);
    } else {  // side neighbour k - 1
      for (std::size_t k = 1; k < W; ++k) nn[k] = static_cast<std::uint8_t>(nn[k] + mid[k - 1]);
      nn[0] = static_cast<std::uint8_t>(nn[0] + mid[W - 1]);
    }
    const auto lo0 = static_cast<std::uint32_t>(i * draws_per_row(Coin));
    const std::size_t full = W / 32;
    const std::uint32_t tmask = tally ? 1u : 0u;
    const detail::table5<std::uint32_t> t16(tab_.t16);
    const detail::table5<float> pf(tab_.pf);
    std::size_t b = 0;
#ifdef LOWP_GIBBS_GRID_AVX512
    // Explicit AVX-512: GCC 12 does not if-convert the table select. Same
    // draws, same lane mapping, same results as the scalar loop below.
    if (!force_scalar) {
      const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      const __m512i kk0 = _mm512_set1_epi32(static_cast<int>(key.k0));
      const __m512i khi = _mm512_set1_epi32(static_cast<int>(hi + key.k1));
      const __m512i m1 = _mm512_set1_epi32(0x21f0aaad), m2 = _mm512_set1_epi32(0x735a2d97);
      auto mix = [&](__m512i x) {
        x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
        x = _mm512_mullo_epi32(x, m1);
        x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
        x = _mm512_mullo_epi32(x, m2);
        return _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
      };
      auto draw16 = [&](std::uint32_t lo) {
        const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(lo)), iota);
        return mix(_mm512_xor_si512(mix(_mm512_xor_si512(idx, kk0)), khi));
      };
      const __m512i tab16 = _mm512_maskz_loadu_epi32(0x1f, tab_.t16);
      const __m512 tabf = _mm512_maskz_loadu_ps(0x1f, tab_.pf);
      const __mmask16 tm = tally ? 0xffff : 0;
      const __m128i one8 = _mm_set1_epi8(1);
      const __m512i one32 = _mm512_set1_epi32(1);
      auto put = [&](std::size_t k, __mmask16 x) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), _mm_maskz_mov_epi8(x, one8));
        const __m512i cv = _mm512_loadu_si512(cnt + k);
        _mm512_storeu_si512(cnt + k, _mm512_mask_add_epi32(cv, x & tm, cv, one32));
      };
      auto nbrs = [&](std::size_t k) {
        return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(nn + k)));
      };
      for (; b < full; ++b) {
        const std::size_t k0 = 32 * b;
        if constexpr (Coin == grid_coin::lp16) {
          const __m512i d = draw16(static_cast<std::uint32_t>(lo0 + 16 * b));
          const __m512i mask16 = _mm512_set1_epi32(0xffff);
          put(k0, _mm512_cmplt_epu32_mask(_mm512_and_si512(d, mask16), _mm512_permutexvar_epi32(nbrs(k0), tab16)));
          put(k0 + 16, _mm512_cmplt_epu32_mask(_mm512_srli_epi32(d, 16), _mm512_permutexvar_epi32(nbrs(k0 + 16), tab16)));
        } else {
          const __m512 scale = _mm512_set1_ps(1.0f / 16777216.0f);
          for (std::size_t h = 0; h < 2; ++h) {
            const __m512i d = draw16(static_cast<std::uint32_t>(lo0 + 32 * b + 16 * h));
            const __m512 u = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(d, 8)), scale);
            put(k0 + 16 * h, _mm512_cmp_ps_mask(u, _mm512_permutexvar_ps(nbrs(k0 + 16 * h), tabf), _CMP_LT_OQ));
          }
        }
      }
    }
#endif
    for (; b < full; ++b) {
      const std::size_t k0 = 32 * b;
      if constexpr (Coin == grid_coin::lp16) {
        std::uint32_t d[16];
        const auto lo = static_cast<std::uint32_t>(lo0 + 16 * b);
        for (std::uint32_t m = 0; m < 16; ++m) d[m] = detail::grid_draw(key, hi, lo + m);
        for (std::size_t m = 0; m < 32; ++m) {
          const std::uint32_t r = m < 16 ? (d[m % 16] & 0xffffU) : (d[m % 16] >> 16);
          const std::uint32_t x = r < t16(nn[k0 + m]) ? 1u : 0u;
          out[k0 + m] = static_cast<std::uint8_t>(x);
          cnt[k0 + m] += x & tmask;
        }
      } else {
        const auto lo = static_cast<std::uint32_t>(lo0 + 32 * b);
        for (std::size_t m = 0; m < 32; ++m) {
          const std::uint32_t d = detail::grid_draw(key, hi, lo + static_cast<std::uint32_t>(m));
          const float u = static_cast<float>(d >> 8) * (1.0f / 16777216.0f);
          const std::uint32_t x = u < pf(nn[k0 + m]) ? 1u : 0u;
          out[k0 + m] = static_cast<std::uint8_t>(x);
          cnt[k0 + m] += x & tmask;
        }
      }
    }
    for (std::size_t k = 32 * full; k < W; ++k) {
      const std::uint8_t x = sample_site(Coin, key, hi, lo0, k, nn[k]);
      out[k] = x;
      cnt[k] += tally ? x : 0;
    }
  }

  std::uint8_t sample_site(grid_coin coin, rng_key key, std::uint32_t hi, std::uint32_t lo0, std::size_t k,
                           std::uint32_t n1) const noexcept {
    const std::uint32_t d = detail::grid_draw(key, hi, lo0 + static_cast<std::uint32_t>(draw_index(coin, k)));
    if (coin == grid_coin::lp16) {
      const std::uint32_t r = (k % 32) < 16 ? (d & 0xffffU) : (d >> 16);
      return r < detail::pick(tab_.t16, n1) ? 1 : 0;
    }
    return static_cast<float>(d >> 8) * (1.0f / 16777216.0f) < detail::pick(tab_.pf, n1) ? 1 : 0;
  }

  // A row another thread reads (or next to one): every access is a relaxed
  // atomic; same draws and same result as update_row for the same inputs.
  void update_row_atomic(grid_coin coin, int c, std::size_t i, rng_key key, std::uint32_t hi, bool tally) {
    const std::size_t W = w_;
    std::uint8_t* other = spin_[1 - c].data();
    std::uint8_t* up = other + ((i + rows_ - 1) % rows_) * W;
    std::uint8_t* dn = other + ((i + 1) % rows_) * W;
    std::uint8_t* mid = other + i * W;
    std::uint8_t* out = spin_[c].data() + i * W;
    std::uint32_t* cnt = count_[c].data() + i * W;
    auto ld = [](std::uint8_t* p) { return std::atomic_ref<std::uint8_t>(*p).load(std::memory_order_relaxed); };
    const bool right = (i + static_cast<std::size_t>(c)) & 1;
    const auto lo0 = static_cast<std::uint32_t>(i * draws_per_row(coin));
    for (std::size_t k = 0; k < W; ++k) {
      const std::size_t side = right ? (k + 1 == W ? 0 : k + 1) : (k == 0 ? W - 1 : k - 1);
      const std::uint32_t n1 = static_cast<std::uint32_t>(ld(up + k)) + ld(dn + k) + ld(mid + k) + ld(mid + side);
      const std::uint8_t x = sample_site(coin, key, hi, lo0, k, n1);
      std::atomic_ref<std::uint8_t>(out[k]).store(x, std::memory_order_relaxed);
      cnt[k] += tally ? x : 0;
    }
  }

  std::size_t rows_, cols_, w_;
  detail::grid_tables tab_{};
  std::vector<std::uint8_t> spin_[2];
  std::vector<std::uint32_t> count_[2];
  std::uint64_t tallied_ = 0;
};

#ifdef LOWP_GIBBS_GRID_POP
#pragma GCC diagnostic pop
#undef LOWP_GIBBS_GRID_POP
#endif

}  // namespace gibbs
}  // namespace lowp
#endif
